// Load and concurrency (reliability.md §3.1): parallel starts, many
// start/stop cycles, an interleaved storm. Sized for a 2-core machine; the
// long versions are soak tests, not part of this suite.
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <deque>
#include <memory>
#include <random>
#include <regex>
#include <set>

#include "support.h"

using namespace itest;

namespace {

// Waits for every call in `runs`; each must have exited 0.
void expect_all_succeed(std::vector<Running>& runs) {
  for (Running& r : runs) {
    RunResult result = r.wait();
    INFO(result.describe());
    CHECK(result.exit_code == 0);
  }
}

}  // namespace

TEST_CASE("L1: 50 parallel starts make exactly one service", "[concurrency]") {
  TempDir dir;
  TestUnit u(dir, "l1", "/bin/sleep 1000");
  std::vector<Running> runs;
  for (int i = 0; i < 50; ++i) runs.push_back(u.spawn_verb("start"));
  std::vector<RunResult> results;
  for (Running& r : runs) results.push_back(r.wait());

  std::regex started("started " + u.name() + " \\(pid ([0-9]+)\\)\n");
  std::regex already(u.name() + " already running \\(pid ([0-9]+)\\)\n");
  int n_started = 0, n_already = 0;
  std::set<pid_t> pids;
  for (const RunResult& r : results) {
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    std::smatch m;
    if (std::regex_match(r.out, m, started))
      ++n_started;
    else if (std::regex_match(r.out, m, already))
      ++n_already;
    else
      FAIL_CHECK("unexpected output");
    if (!m.empty()) pids.insert(static_cast<pid_t>(std::stol(m[1])));
  }
  CHECK(n_started == 1);
  CHECK(n_already == 49);
  REQUIRE(pids.size() == 1);
  pid_t pid = *pids.begin();
  CHECK(read_pidfile(u.pidfile()) == pid);
  CHECK(u.services() == std::vector<pid_t>{pid});
  CHECK(u.monitors().size() == 1);
  CHECK(u.status().exit_code == 0);

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("L1: parallel starts of a unit that fails to start all fail", "[concurrency]") {
  // A failed start must leave nothing behind by the time it returns: no
  // monitor and no lock held. Otherwise a start racing with it finds the
  // lock held and reports "already running (pid 0)" for a unit that runs
  // nowhere.
  TempDir dir;
  TestUnit u(dir, "l1fail", dir / "no-such-program");
  for (int round = 0; round < 10; ++round) {
    std::vector<Running> runs;
    for (int i = 0; i < 4; ++i) runs.push_back(u.spawn_verb("start"));
    for (Running& r : runs) {
      RunResult result = r.wait();
      INFO("round " << round << ": " << result.describe());
      CHECK(result.exit_code == 5);
      CHECK(result.out.find("already running") == std::string::npos);
    }
    CHECK(u.nothing_running());
  }
}

// 200 cycles here; the 1,000-cycle version of L2 is the soak test.
TEST_CASE("L2: 200 start/stop cycles leave nothing behind", "[concurrency]") {
  TempDir dir;
  TestUnit u(dir, "l2", "/bin/sleep 1000");
  std::regex started("started " + u.name() + " \\(pid ([0-9]+)\\)\n");
  struct Seen {
    pid_t pid;
    uint64_t start_time;
  };
  std::vector<Seen> seen;
  for (int i = 0; i < 200; ++i) {
    RunResult start = u.start();
    INFO("cycle " << i << ": " << start.describe());
    REQUIRE(start.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_match(start.out, m, started));
    pid_t pid = static_cast<pid_t>(std::stol(m[1]));
    auto service = proc_stat(pid);
    REQUIRE(service);
    auto monitor = proc_stat(service->ppid);
    REQUIRE(monitor);
    seen.push_back({pid, service->start_time});
    seen.push_back({monitor->pid, monitor->start_time});

    RunResult stop = u.stop();
    INFO("cycle " << i << ": " << stop.describe());
    REQUIRE(stop.exit_code == 0);
    REQUIRE(stop.out == "stopped " + u.name() + "\n");
    reap_adopted();  // the exited monitors were handed to this test (it plays init)
  }
  // No service or monitor of any cycle is left, not even as a zombie.
  reap_adopted();
  for (const Seen& s : seen) {
    INFO("pid " << s.pid << " " << proc_cmdline(s.pid));
    CHECK_FALSE(still_there(s.pid, s.start_time));
  }
  CHECK(u.nothing_running());
  CHECK_FALSE(exists(u.pidfile()));
  // The runtime directory holds the unit's lock and state files, the state
  // record's spare (safe_files::rewrite), the snapshot of what the last
  // monitor was started from and the name lock (NAME.service.name), nothing else (no
  // temporaries of atomic writes).
  std::vector<std::string> files = u.runtime_files();
  INFO("runtime files: " << nlohmann::json(files).dump());
  REQUIRE(files.size() == 5);
  std::string stem = std::string(kRuntimeDir) + "/" + u.name() + ".";
  CHECK(files[0].rfind(std::string(kRuntimeDir) + "/." + u.name() + ".", 0) == 0);
  CHECK(files[0].substr(files[0].size() - 12) == ".state.spare");
  CHECK(files[1].rfind(stem, 0) == 0);
  CHECK(files[1].substr(files[1].size() - 5) == ".lock");
  CHECK(files[2].rfind(stem, 0) == 0);
  CHECK(files[2].substr(files[2].size() - 6) == ".state");
  CHECK(files[3].rfind(stem, 0) == 0);
  CHECK(files[3].substr(files[3].size() - 5) == ".unit");
  CHECK(files[4] == stem + "service.name");  // keyed by the service name, NAME.ini or NAME.service alike
}

TEST_CASE("L3: interleaved starts and stops leave a consistent state", "[concurrency]") {
  TempDir dir;
  TestUnit u(dir, "l3", "/bin/sleep 1000");
  unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);

  for (int round = 0; round < 4; ++round) {
    INFO("round " << round);
    std::deque<Running> inflight;
    std::deque<std::string> verbs;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
    auto collect_oldest = [&] {
      RunResult r = inflight.front().wait();
      INFO(verbs.front() << ": " << r.describe());
      CHECK(r.exit_code == 0);
      CHECK_FALSE(r.timed_out);
      inflight.pop_front();
      verbs.pop_front();
    };
    int sampled = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      while (inflight.size() < 6) {
        std::string verb = rng() % 2 ? "start" : "stop";
        RunOptions opts;
        opts.timeout_ms = 30000;
        inflight.push_back(u.spawn_verb(verb, opts));
        verbs.push_back(verb);
      }
      collect_oldest();
      // While the other calls are in flight, status is never wrong in kind:
      // running or stopped, never "dead with a pidfile" (the monitor removes
      // the pidfile before it lets go of the lock) and never unknown.
      RunResult during = u.status();
      INFO("status during the storm: " << during.describe());
      CHECK((during.exit_code == 0 || during.exit_code == 3));
      ++sampled;
    }
    CHECK(sampled > 0);
    while (!inflight.empty()) collect_oldest();

    // Quiet now: status 0 ⇔ one live service named by the pidfile;
    // status 3 ⇔ no process and no pidfile.
    RunResult status = u.status();
    INFO(status.describe());
    std::vector<pid_t> services = u.services();
    std::vector<pid_t> monitors = u.monitors();
    auto pidfile = read_pidfile(u.pidfile());
    if (status.exit_code == 0) {
      CHECK(services.size() == 1);
      CHECK(monitors.size() == 1);
      REQUIRE(pidfile);
      CHECK(services == std::vector<pid_t>{*pidfile});
    } else {
      CHECK(status.exit_code == 3);
      CHECK(services.empty());
      CHECK(monitors.empty());
      CHECK_FALSE(exists(u.pidfile()));
    }
    reap_adopted();
  }
  RunResult stop = u.stop();
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("two unit files of the same name never run at once: they would share the default pidfile and log",
          "[concurrency]") {
  TempDir a, b;
  std::string name = "twin-" + std::to_string(::getpid());
  write_file(a / (name + ".ini"),
             "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=UNITRUN_TEST_MARKER=" + name + "\n");
  write_file(b / (name + ".ini"),
             "[Service]\nExecStart=/bin/sleep 1001\nEnvironment=UNITRUN_TEST_MARKER=" + name + "\n");
  RunResult first = run_unitrun({"start", a / (name + ".ini")});
  INFO(first.describe());
  REQUIRE(first.exit_code == 0);
  RunResult second = run_unitrun({"start", b / (name + ".ini")});
  INFO(second.describe());
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("another unit of that name is running (" + a / (name + ".ini") + ")") != std::string::npos);
  CHECK(find_marked(name).size() == 1);  // the first unit's service, no second one
  CHECK(run_unitrun({"stop", a / (name + ".ini")}).exit_code == 0);
  // Once the first is stopped the second may run.
  CHECK(run_unitrun({"start", b / (name + ".ini")}).exit_code == 0);
  CHECK(run_unitrun({"stop", b / (name + ".ini")}).exit_code == 0);
  CHECK(find_marked(name).empty());
  // The runtime files of both, and the shared default log.
  remove_runtime_files(name + ".");
  remove_file(std::string(kDefaultLogDir) + "/" + name + ".log");
}

TEST_CASE("L4: parallel restarts never let two instances overlap", "[concurrency]") {
  // The service holds an exclusive flock for as long as any of its
  // processes lives (flock keeps it, and its child sleep inherits the fd);
  // a new instance that finds it held exits 99. A restart that started the
  // next instance before the last process of the previous one was gone
  // would show as an exit 99.
  TempDir dir;
  std::string lock = dir / "instance.lock";
  TestUnit u(dir, "l4", "/usr/bin/flock -n -E 99 " + lock + " /bin/sleep 1000",
             {.unit_section = "StartLimitBurst=0\n"});
  REQUIRE(u.start().exit_code == 0);
  std::vector<Running> runs;
  for (int i = 0; i < 30; ++i) runs.push_back(u.spawn_verb("restart"));
  expect_all_succeed(runs);
  nlohmann::json j = nlohmann::json::parse(u.status_json().out);
  INFO(j.dump(2));
  CHECK(j["sub_state"] == "running");
  for (const auto& e : j["events"]) CHECK(e["text"].get<std::string>().find("code=99") == std::string::npos);
  // flock forks its sleep once it holds the lock, which may be after the
  // last restart returned: wait for that child, then count.
  pid_t main_pid = j.value("main_pid", 0);
  REQUIRE(main_pid > 0);
  CHECK(wait_until(
      [&] {
        for (pid_t p : u.services()) {
          auto s = proc_stat(p);
          if (s && s->ppid == main_pid) return true;
        }
        return false;
      },
      10000));
  CHECK(u.services().size() == 2);  // flock and its sleep: one instance
  CHECK(u.stop().exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("L5: 50 units started and stopped in parallel, no cross-talk", "[concurrency]") {
  TempDir dir;
  std::vector<std::unique_ptr<TestUnit>> units;
  for (int i = 0; i < 50; ++i)
    units.push_back(std::make_unique<TestUnit>(dir, "l5u" + std::to_string(i), "/bin/sleep 1000"));
  std::vector<Running> starts;
  for (auto& u : units) starts.push_back(u->spawn_verb("start"));
  expect_all_succeed(starts);
  std::set<pid_t> mains;
  for (auto& u : units) {
    INFO(u->name());
    std::vector<pid_t> services = u->services();
    REQUIRE(services.size() == 1);  // its own service, found by its own marker
    auto pid = read_pidfile(u->pidfile());
    REQUIRE(pid);
    CHECK(*pid == services[0]);  // and its pidfile names that one
    mains.insert(*pid);
    CHECK(u->monitors().size() == 1);
  }
  CHECK(mains.size() == units.size());
  std::vector<Running> stops;
  for (auto& u : units) stops.push_back(u->spawn_verb("stop"));
  expect_all_succeed(stops);
  for (auto& u : units) {
    INFO(u->name());
    CHECK(u->nothing_running());
    CHECK_FALSE(exists(u->pidfile()));
  }
}

TEST_CASE("L6: 64 MiB of numbered lines reach the log whole, in order, and status answers meanwhile", "[concurrency]") {
  // 1 GiB is bench/run's output phase; this is the same path, smaller.
  TempDir dir;
  std::string report = dir / "report";
  const long long bytes = 64LL << 20;
  TestUnit u(dir, "l6", helper("spew") + " " + std::to_string(bytes) + " " + report);
  REQUIRE(u.start().exit_code == 0);
  int status_calls = 0;
  while (!exists(report)) {
    RunOptions o;
    o.timeout_ms = 10000;  // a status that hangs behind the flood fails here
    RunResult s = u.verb("status", o);
    CHECK(s.exit_code == 0);
    ++status_calls;
    if (status_calls > 2000) break;
  }
  REQUIRE(wait_until([&] { return exists(report); }, 30000));
  INFO("status answered " << status_calls << " times during the flood");
  auto log = read_file(u.log());
  REQUIRE(log);
  CHECK(static_cast<long long>(log->size()) >= bytes);
  // Every line once, in order: numbered from 0 ("%012lld spew line ...").
  long long expect = 0;
  bool in_order = true;
  size_t pos = 0;
  while (pos < log->size() && in_order) {
    size_t eol = log->find('\n', pos);
    if (eol == std::string::npos) break;
    long long n = -1;  // (not sscanf: it measures the whole remaining 64 MiB each time)
    auto [end, ec] = std::from_chars(log->data() + pos, log->data() + eol, n);
    if (ec != std::errc() || end == log->data() + pos || n != expect) in_order = false;
    ++expect;
    pos = eol + 1;
  }
  INFO("lines checked: " << expect);
  CHECK(in_order);
  CHECK(u.stop().exit_code == 0);
}
