// Supervision (issue 4): Restart= with real exits and signals, RestartSec=,
// the start limit, and the faults of reliability.md §3.2 that concern a
// running monitor: F2 (the service SIGKILLed; the pidfile replaced
// atomically under a concurrent reader), F3 (a crash loop ends at the start
// limit), F6 (zombies reaped across restarts), F7 (a full disk under the
// service's log), and SIGHUP to a daemonized monitor (log reopening, F13).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "supervision_util.h"

using namespace itest;
using namespace itest::sv;
using Clock = std::chrono::steady_clock;

namespace {

std::string crasher(const std::string& counter, const std::string& args) {
  return helper("crasher") + " --counter " + counter + " " + args;
}

// The monotonic milliseconds the crasher wrote at each start.
std::vector<long long> spawn_times(const std::string& counter) {
  std::vector<long long> out;
  for (const std::string& l : lines_of(counter)) {
    std::istringstream in(l);
    std::string word;
    long long pid = 0, ms = 0;
    in >> word >> pid >> ms;
    out.push_back(ms);
  }
  return out;
}

// What a concurrent reader saw of a pidfile.
struct PidfileReads {
  long total = 0, absent = 0, empty = 0, malformed = 0, good = 0;
  std::set<pid_t> pids;
  std::string first_bad;
};

// Reads `path` in a tight loop on a thread of its own until stopped (or
// a bound of reads is reached), classifying every read.
class PidfileReader {
 public:
  explicit PidfileReader(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~PidfileReader() { finish(); }
  PidfileReads finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return reads_;
  }

 private:
  void loop() {
    for (long i = 0; i < 20000000 && !stop_; ++i) {
      ++reads_.total;
      auto content = read_file(path_);
      if (!content) {
        ++reads_.absent;
        continue;
      }
      if (content->empty()) {
        ++reads_.empty;
        continue;
      }
      // The strict format: a positive decimal PID and one newline.
      bool ok = content->size() >= 2 && content->size() <= 11 && content->back() == '\n' && (*content)[0] != '0';
      for (size_t k = 0; ok && k + 1 < content->size(); ++k) ok = (*content)[k] >= '0' && (*content)[k] <= '9';
      if (!ok) {
        if (reads_.malformed++ == 0) reads_.first_bad = *content;
        continue;
      }
      ++reads_.good;
      reads_.pids.insert(static_cast<pid_t>(std::stol(*content)));
    }
  }
  std::string path_;
  std::atomic<bool> stop_{false};
  PidfileReads reads_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("F2: a SIGKILLed service comes back after RestartSec, the pidfile is replaced atomically under a reader",
          "[supervision][F2]") {
  TempDir dir;
  TestUnit u(dir, "f2", "/bin/sleep 1000", opts("Restart=on-failure\nRestartSec=1\n"));
  pid_t first = start_ok(u);
  pid_t monitor = parent_of(first);
  REQUIRE(monitor > 1);

  PidfileReader reader(u.pidfile());
  std::vector<pid_t> mains{first};
  for (int round = 1; round <= 3; ++round) {
    pid_t old = mains.back();
    auto old_stat = proc_stat(old);
    REQUIRE(old_stat);
    Clock::time_point killed_at = Clock::now();
    REQUIRE(::kill(old, SIGKILL) == 0);
    pid_t next = 0;
    bool restarted = wait_until(
        [&] {
          auto p = read_pidfile(u.pidfile());
          if (!p || *p == old || !alive(*p)) return false;
          next = *p;
          return true;
        },
        10000, 5);
    double delay = seconds_since(killed_at);
    INFO("round " << round << ": restart after " << delay << " s");
    REQUIRE(restarted);
    // RestartSec=1 between the death and the next start (monotonic), and
    // not much more.
    CHECK(delay >= 0.95);
    CHECK(delay < 10.0);
    // The same monitor runs the new process, and reaped the old one.
    CHECK(parent_of(next) == monitor);
    CHECK_FALSE(still_there(old, old_stat->start_time));
    mains.push_back(next);

    // The pidfile names the new process from its exec on; the record says
    // "running" once ExecStartPost= (none here) is done, a moment later.
    nlohmann::json j;
    CHECK(wait_until(
        [&] {
          j = status_json(u);
          return j["sub_state"] == "running";
        },
        5000, 5));
    CHECK(j["main_pid"] == next);
    CHECK(j["restarts"] == round);
    CHECK(j["last_exit_signal"] == SIGKILL);
  }

  PidfileReads reads = reader.finish();
  INFO("reads " << reads.total << ", absent " << reads.absent << ", empty " << reads.empty << ", malformed "
                << reads.malformed << " (first: \"" << reads.first_bad << "\"), good " << reads.good);
  CHECK(reads.total > 1000);
  CHECK(reads.good > 0);
  // Never empty, never half-written, never anything but a PID of this unit.
  CHECK(reads.empty == 0);
  CHECK(reads.malformed == 0);
  for (pid_t p : reads.pids) {
    INFO("the pidfile named " << p);
    CHECK(std::find(mains.begin(), mains.end(), p) != mains.end());
  }
  // Not even missing between the death and the restart (RestartSec=1):
  // the pidfile names the last main PID until the next one replaces it.
  CHECK(reads.absent == 0);

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("F3: a crash loop stops at the start limit: exactly 5 spawns, status 3 start-limit-hit, start begins afresh",
          "[supervision][F3]") {
  TempDir dir;
  std::string counter = dir / "spawns";
  // Each spawn notes its PID, the shell's, which execs false: the main PID
  // ($$ is a literal $ in a unit file).
  TestUnit u(dir, "f3", "/bin/sh -c \"echo spawn $$$$ >> " + counter + "; exec /bin/false\"",
             opts("Restart=always\n", "StartLimitBurst=5\nStartLimitIntervalSec=10"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);

  CHECK(wait_unit_down(u) == 3);
  // The count is final once no process of the unit is left to write it.
  CHECK(wait_until([&] { return u.nothing_running(); }, 10000));
  CHECK(count_lines(counter) == 5);
  // No further spawns: the loop stopped because the monitor refused the
  // sixth start, not because something else ended it. Its record accounts
  // for every start: exactly the five spawns the counter saw, each ended,
  // then the start limit, and nothing started after it.
  {
    nlohmann::json j = status_json(u);
    INFO(j.dump(2));
    std::vector<std::string> spawned, started, after_limit;
    for (const std::string& l : lines_of(counter)) spawned.push_back(l.substr(l.find(' ') + 1));
    bool limit_hit = false;
    for (const std::string& e : events_of(j)) {
      if (limit_hit) after_limit.push_back(e);
      if (contains(e, "start limit hit")) limit_hit = true;
      for (const char* prefix : {"started (pid ", "restarted (pid "})
        if (e.rfind(prefix, 0) == 0)
          started.push_back(e.substr(std::strlen(prefix), e.find(')') - std::strlen(prefix)));
    }
    CHECK(started == spawned);
    for (const std::string& pid : started) CHECK(any_event(j, "main process " + pid + " exited, code=1"));
    CHECK(limit_hit);
    CHECK(after_limit == std::vector<std::string>{"failed (Result: start-limit-hit)"});
  }

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);
  CHECK(contains(status.out, "failed (Result: start-limit-hit)"));
  CHECK(contains(status.out, "Restarts: 4"));
  // The last exit is shown (in the text, and in the JSON).
  CHECK(contains(status.out, "code=1"));
  nlohmann::json j = status_json(u);
  CHECK(j["result"] == "start-limit-hit");
  CHECK(j["active_state"] == "failed");
  CHECK(j["restarts"] == 4);
  CHECK(j["last_exit_code"] == 1);

  // An explicit start is allowed again and begins afresh: five more spawns,
  // and the restart count starts over.
  RunResult again = u.start();
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  CHECK(wait_unit_down(u) == 3);
  CHECK(count_lines(counter) == 10);
  nlohmann::json j2 = status_json(u);
  CHECK(j2["result"] == "start-limit-hit");
  CHECK(j2["restarts"] == 4);
}

TEST_CASE("Restart=: which real endings bring the service back", "[supervision][restart]") {
  struct Row {
    const char* restart;
    const char* extra;   // more [Service] lines
    const char* ending;  // crasher arguments
    bool restarts;
    const char* active;  // status's Active: line when not restarted
  };
  const std::vector<Row> rows = {
      {"on-failure", "", "--exit 1", true, ""},
      {"on-failure", "", "--exit 0", false, "inactive (dead)"},
      {"on-failure", "SuccessExitStatus=42\n", "--exit 42", false, "inactive (dead)"},
      {"on-failure", "RestartPreventExitStatus=3\n", "--exit 3", false, "failed (Result: exit-code, status=3)"},
      {"on-failure", "", "--signal 15", false, "inactive (dead)"},
      {"on-failure", "", "--signal 9", true, ""},
      {"on-success", "", "--exit 0", true, ""},
      {"on-success", "", "--exit 1", false, "failed (Result: exit-code, status=1)"},
      {"on-abnormal", "", "--exit 1", false, "failed (Result: exit-code, status=1)"},
      {"on-abnormal", "", "--signal 9", true, ""},
      {"on-abort", "", "--signal 6", true, ""},
      {"on-abort", "", "--signal 9", true, ""},
      {"on-abort", "", "--signal 15", false, "inactive (dead)"},
      {"on-abort", "", "--exit 2", false, "failed (Result: exit-code, status=2)"},
      {"on-watchdog", "", "--signal 6", false, "failed (Result: signal, signal=SIGABRT)"},
      {"always", "", "--exit 0", true, ""},
      {"always", "RestartPreventExitStatus=SIGKILL\n", "--signal 9", false, "failed (Result: signal, signal=SIGKILL)"},
      {"no", "", "--signal 9", false, "failed (Result: signal, signal=SIGKILL)"},
      {"no", "", "--exit 0", false, "inactive (dead)"},
  };
  TempDir dir;
  for (const Row& row : rows) {
    std::string counter = dir / unique_name("count");
    TestUnit u(dir, "restart", crasher(counter, std::string("--after 200 ") + row.ending),
               opts(std::string("Restart=") + row.restart + "\nRestartSec=100ms\nLimitCORE=0\n" + row.extra));
    INFO("Restart=" << row.restart << " " << row.extra << "; crasher " << row.ending);
    RunResult start = u.start();
    INFO(start.describe());
    REQUIRE(start.exit_code == 0);
    if (row.restarts) {
      CHECK(wait_until([&] { return count_lines(counter) >= 2; }, 10000));
      RunResult stop = u.stop();
      CHECK(stop.exit_code == 0);
    } else {
      int code = wait_unit_down(u);
      CHECK(code == 3);
      CHECK(count_lines(counter) == 1);
      RunResult status = u.status();
      INFO(status.describe());
      CHECK(contains(status.out, std::string("Active: ") + row.active));
    }
    CHECK(u.nothing_running());
  }
}

TEST_CASE("RestartSec= spaces the starts (default 100 ms) on the monotonic clock", "[supervision][restart]") {
  TempDir dir;
  for (auto [restart_sec, min_gap_ms] :
       std::vector<std::pair<std::string, long long>>{{"", 100}, {"RestartSec=700ms\n", 700}}) {
    std::string counter = dir / unique_name("count");
    TestUnit u(dir, "restartsec", crasher(counter, "--exit 1"), opts("Restart=on-failure\n" + restart_sec));
    INFO("RestartSec: " << (restart_sec.empty() ? "default" : restart_sec));
    REQUIRE(u.start().exit_code == 0);
    REQUIRE(wait_until([&] { return count_lines(counter) >= 3; }, 10000));
    RunResult stop = u.stop();
    CHECK(stop.exit_code == 0);
    std::vector<long long> t = spawn_times(counter);
    REQUIRE(t.size() >= 3);
    for (size_t i = 1; i < t.size(); ++i) {
      INFO("gap " << i << ": " << t[i] - t[i - 1] << " ms");
      // Each crasher wrote its time before it exited; the next one starts
      // RestartSec after that exit at the earliest.
      CHECK(t[i] - t[i - 1] >= min_gap_ms);
      CHECK(t[i] - t[i - 1] < 5000);
    }
  }
}

TEST_CASE("StartLimitBurst=0 disables the start limit", "[supervision][start_limit]") {
  TempDir dir;
  std::string counter = dir / "spawns";
  TestUnit u(dir, "noburst", crasher(counter, "--exit 1"),
             opts("Restart=always\nRestartSec=20ms\n", "StartLimitBurst=0\nStartLimitIntervalSec=10"));
  REQUIRE(u.start().exit_code == 0);
  CHECK(wait_until([&] { return count_lines(counter) >= 15; }, 15000));
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK_FALSE(contains(status.out, "start-limit-hit"));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("StartLimitIntervalSec=: starts older than the interval no longer count", "[supervision][start_limit]") {
  TempDir dir;
  SECTION("one start per 0.7 s never fills a burst of 2 within 1 s") {
    std::string counter = dir / "spawns";
    TestUnit u(dir, "interval", crasher(counter, "--after 600 --exit 1"),
               opts("Restart=always\nRestartSec=100ms\n", "StartLimitBurst=2\nStartLimitIntervalSec=1"));
    REQUIRE(u.start().exit_code == 0);
    CHECK(wait_until([&] { return count_lines(counter) >= 5; }, 15000));
    nlohmann::json j = status_json(u);
    CHECK(j["active_state"] != "failed");
    CHECK(j["result"] != "start-limit-hit");
    CHECK(u.stop().exit_code == 0);
  }
  SECTION("the same service with a 10 s interval stops after 2 starts") {
    std::string counter = dir / "spawns";
    TestUnit u(dir, "interval", crasher(counter, "--after 600 --exit 1"),
               opts("Restart=always\nRestartSec=100ms\n", "StartLimitBurst=2\nStartLimitIntervalSec=10"));
    REQUIRE(u.start().exit_code == 0);
    CHECK(wait_unit_down(u) == 3);
    CHECK(count_lines(counter) == 2);
    CHECK(status_json(u)["result"] == "start-limit-hit");
  }
}

TEST_CASE("F6: the monitor reaps orphans and a dead service's zombies across restarts", "[supervision][F6]") {
  TempDir dir;
  TestUnit u(dir, "f6", helper("reaper"), opts("Restart=always\nRestartSec=200ms\n"));
  pid_t first = start_ok(u);
  pid_t monitor = parent_of(first);
  REQUIRE(monitor > 1);

  // Orphans land on the monitor as the reaper makes them; a zombie of the
  // monitor may exist for the instant between an exit and the monitor's
  // SIGCHLD, but one still there a second later, or an orphan left a
  // zombie, is a leak.
  OrphanCensus census = count_orphans(monitor, first, 30, 20000, 1000);
  INFO("first reaper: " << census.orphans << " orphans seen, " << census.zombies_caught << " caught as zombies");
  CHECK(census.orphans >= 30);  // the test means something only if orphans landed
  CHECK(census.unreaped == std::vector<std::string>{});
  // The orphans were reaped, and none was taken for the main process.
  nlohmann::json j = status_json(u);
  CHECK(j["main_pid"] == first);
  CHECK(j["restarts"] == 0);

  // Killed, the reaper leaves up to 100 unreaped children: they are
  // re-parented to the monitor as zombies, and it must reap them too. Once
  // it holds ten of them, it is killed.
  std::vector<ProcStat> left;
  REQUIRE(wait_until(
      [&] {
        left.clear();
        for (const ProcStat& s : all_processes())
          if (s.ppid == first && s.state == 'Z') left.push_back(s);
        return left.size() >= 10;
      },
      10000));
  REQUIRE(::kill(first, SIGKILL) == 0);
  pid_t second = 0;
  REQUIRE(wait_until(
      [&] {
        auto p = read_pidfile(u.pidfile());
        if (!p || *p == first || !alive(*p)) return false;
        second = *p;
        return true;
      },
      10000));
  for (const ProcStat& z : left) {
    INFO("zombie " << z.pid << " of the killed reaper");
    CHECK(wait_until([&] { return !still_there(z.pid, z.start_time); }, 1000, 2));
  }
  census = count_orphans(monitor, second, 30, 20000, 1000);
  INFO("second reaper: " << census.orphans << " orphans seen, " << census.zombies_caught << " caught as zombies");
  CHECK(census.orphans >= 30);
  CHECK(census.unreaped == std::vector<std::string>{});
  CHECK(zombies_of(monitor).size() <= 2);
  nlohmann::json j2 = status_json(u);
  CHECK(j2["main_pid"] == second);
  CHECK(j2["restarts"] == 1);

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("F7: a full disk under the service's log: the monitor stays up, status and stop work, logging resumes",
          "[supervision][F7]") {
  TempDir dir;
  TinyTmpfs full(dir / "full", "64k");
  std::string log = dir / "full/out.log";
  std::string report = dir / "spew.report";
  TestUnit u(dir, "f7", helper("spew") + " 10000000 " + report + " 100", opts("StandardOutput=append:" + log + "\n"));
  pid_t main_pid = start_ok(u);
  pid_t monitor = parent_of(main_pid);

  // The service offered 10 MB; the file system took 64 KiB and refused the rest.
  auto kv_text = [&] {
    bool done = wait_until([&] { return exists(report); }, 30000);
    REQUIRE(done);
    return *read_file(report);
  }();
  INFO("spew: " << kv_text);
  CHECK(contains(kv_text, "first_errno=28"));  // ENOSPC
  struct stat st;
  REQUIRE(::stat(log.c_str(), &st) == 0);
  CHECK(st.st_size <= 64 * 1024);

  CHECK(alive(monitor));
  CHECK(alive(main_pid));
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(status.seconds < 10.0);

  // Space freed (the log truncated, as copytruncate would): the service's
  // writes land again.
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  CHECK(wait_until([&] { return contains(read_file(log).value_or(""), "tick"); }, 10000));

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 30.0);
  CHECK(u.nothing_running());
  CHECK_FALSE(alive(monitor));
}

TEST_CASE("SIGHUP to a daemonized monitor reopens its own log and does not touch the service",
          "[supervision][logrotate]") {
  MachineLogTurn turn(MachineLogTurn::Kind::Rotating);  // first: held until the log is put back
  const std::string log = "/var/log/unitrun.log";
  TempDir dir;
  std::string hups = dir / "hups";
  // The service notes every SIGHUP it gets (READY=1 once it does), and
  // sends the test's sentinels (ERRNO=1, ERRNO=2) when asked.
  TestUnit u(dir, "hup", helper("notifier") + " hup-log:" + hups + " send:READY=1 usr1:ERRNO=1 usr1:ERRNO=2",
             opts("Type=notify\n"));
  pid_t main_pid = start_ok(u);
  pid_t monitor = parent_of(main_pid);
  REQUIRE(exists(log));
  // The monitor writes its first lines (and opens the log) once it has
  // replied to the start, before its loop sleeps: the rotation comes after.
  std::string tag = u.name() + "[" + std::to_string(monitor) + "]";
  REQUIRE(wait_until([&] { return contains(read_file(log).value_or(""), tag + ": started"); }, 5000));

  // logrotate's move: the old file is renamed, the monitor told to reopen.
  std::string rotated = log + "." + u.name();
  REQUIRE(::rename(log.c_str(), rotated.c_str()) == 0);
  struct Restore {
    std::string log, rotated;
    ~Restore() {
      // Put the original back, with whatever landed in the new file.
      auto fresh = read_file(log);
      if (fresh) {
        FILE* f = std::fopen(rotated.c_str(), "a");
        if (f) {
          std::fwrite(fresh->data(), 1, fresh->size(), f);
          std::fclose(f);
        }
      }
      ::rename(rotated.c_str(), log.c_str());
    }
  } restore{log, rotated};

  REQUIRE(::kill(monitor, SIGHUP) == 0);
  CHECK(wait_until([&] { return exists(log); }, 5000));
  // The service was neither signalled nor restarted. The monitor handled
  // the SIGHUP (the new log shows it) in one turn of its loop, before it
  // read the first sentinel; a SIGHUP it had sent the service was pending
  // there before the test asked for the second, and the notifier takes
  // a pending SIGHUP before SIGUSR1 (lower signals first).
  sentinel(u, main_pid, 1);
  sentinel(u, main_pid, 2);
  CHECK_FALSE(exists(hups));
  CHECK(alive(main_pid));
  CHECK(read_pidfile(u.pidfile()) == main_pid);
  CHECK(status_json(u)["restarts"] == 0);

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  // What the monitor logged after the SIGHUP went to the new file.
  auto fresh = read_file(log).value_or("");
  INFO("new " << log << ":\n" << fresh);
  CHECK(contains(fresh, tag));
  CHECK(contains(fresh, "stopped"));
  auto old = read_file(rotated).value_or("");
  CHECK(contains(old, tag));  // it logged "started" there before
  CHECK_FALSE(contains(old, tag + ": stopped"));
}

// The postrotate script of contrib/logrotate, as installed (the binary under
// test in place of the installed one).
std::string logrotate_postrotate() {
  auto conf = read_file(std::string(UNITRUN_SOURCE_DIR) + "/contrib/logrotate/unitrun.in");
  REQUIRE(conf);
  size_t begin = conf->find("postrotate\n");
  size_t end = conf->find("endscript", begin);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::string script = conf->substr(begin + std::strlen("postrotate\n"), end - begin - std::strlen("postrotate\n"));
  const std::string placeholder = "@UNITRUN_INSTALLED_BINARY@";
  for (size_t at; (at = script.find(placeholder)) != std::string::npos;)
    script.replace(at, placeholder.size(), unitrun_binary());
  return script;
}

TEST_CASE(
    "logrotate's postrotate reopens the monitors' log and signals nothing else: a start waiting for READY=1, "
    "logs -f and a foreground run survive it",
    "[supervision][logrotate][security]") {
  MachineLogTurn turn(MachineLogTurn::Kind::Rotating);  // first: held until the log is put back
  const std::string log = "/var/log/unitrun.log";
  TempDir dir;
  TestUnit daemon(dir, "rot", "/bin/sleep 1000");
  pid_t main_pid = start_ok(daemon);
  pid_t monitor = parent_of(main_pid);
  // A start that waits for READY=1, which never comes.
  TestUnit waiting(dir, "rotwait", "/bin/sleep 1000", opts("Type=notify\nTimeoutStartSec=120\n"));
  Running start = waiting.spawn_verb("start");
  REQUIRE(wait_until([&] { return status_json(waiting)["active_state"] == "activating"; }, 10000, 20));
  Running follow_f = spawn({unitrun_binary(), "logs", "-f", daemon.path()});
  // A foreground run, whose SIGHUP would be a reload.
  std::string reloaded = dir / "reloaded";
  TestUnit fg(dir, "rotfg", "/bin/sleep 1000", opts("ExecReload=/bin/touch " + reloaded + "\n"));
  Running foreground = fg.spawn_verb("run");
  REQUIRE(wait_until([&] { return status_json(fg)["active_state"] == "active"; }, 10000, 20));
  REQUIRE(wait_until([&] { return proc_stat(follow_f.pid()).has_value(); }, 5000));

  std::string rotated = log + "." + daemon.name();
  REQUIRE(exists(log));
  REQUIRE(::rename(log.c_str(), rotated.c_str()) == 0);
  struct Restore {
    std::string log, rotated;
    ~Restore() {
      auto fresh = read_file(log);
      if (fresh) {
        FILE* f = std::fopen(rotated.c_str(), "a");
        if (f) {
          std::fwrite(fresh->data(), 1, fresh->size(), f);
          std::fclose(f);
        }
      }
      ::rename(rotated.c_str(), log.c_str());
    }
  } restore{log, rotated};

  std::string script = logrotate_postrotate();
  INFO("postrotate:\n" << script);
  RunResult post = run({"/bin/sh", "-c", script});
  INFO(post.describe());
  CHECK(post.exit_code == 0);
  // The daemonized monitor reopened its log: a new file at the old path.
  CHECK(wait_until([&] { return exists(log); }, 5000));
  CHECK(alive(monitor));
  CHECK(alive(main_pid));
  // Nobody else got the signal: a SIGHUP would have ended the waiting start
  // and logs -f (exit 129) and made the foreground run reload.
  REQUIRE(::kill(foreground.pid(), SIGTERM) == 0);  // as systemd stops it
  RunResult ran = foreground.wait();
  INFO(ran.describe());
  CHECK(ran.term_signal == 0);
  CHECK(ran.exit_code == 0);
  CHECK_FALSE(exists(reloaded));
  CHECK(alive(follow_f.pid()));
  CHECK(::kill(follow_f.pid(), SIGTERM) == 0);
  RunResult followed = follow_f.wait();
  CHECK(followed.term_signal == SIGTERM);  // ours, not a SIGHUP
  RunResult stop_waiting = waiting.stop();
  CHECK(stop_waiting.exit_code == 0);
  RunResult started = start.wait();
  INFO(started.describe());
  CHECK(started.term_signal == 0);
  CHECK(contains(started.err, "start cancelled"));  // ended by the stop, not by SIGHUP
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("reopen-logs: 0 with no monitor to tell, 1 when the runtime directory cannot be read, 2 for an argument",
          "[supervision][logrotate]") {
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  std::string runtime = dir.world_writable_subdir("nobody-runtime");
  RunOptions as_nobody;
  as_nobody.wrapper = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
  as_nobody.set_env = {"XDG_RUNTIME_DIR=" + runtime, "XDG_STATE_HOME=" + runtime};

  RunResult extra = run_unitrun({"reopen-logs", "unit.ini"});
  INFO(extra.describe());
  CHECK(extra.exit_code == 2);
  RunResult none = run_unitrun({"reopen-logs"}, as_nobody);  // nobody has never run a unit
  INFO(none.describe());
  CHECK(none.exit_code == 0);
  CHECK(none.out.empty());
  std::string unreadable = runtime + "/unitrun";
  REQUIRE(::mkdir(unreadable.c_str(), 0) == 0);
  REQUIRE(::chown(unreadable.c_str(), 65534, 65534) == 0);
  RunResult denied = run_unitrun({"reopen-logs"}, as_nobody);
  INFO(denied.describe());
  CHECK(denied.exit_code == 1);
  CHECK(contains(denied.err, unreadable));
  CHECK(::rmdir(unreadable.c_str()) == 0);
}
