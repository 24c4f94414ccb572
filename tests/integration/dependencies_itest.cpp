// Dependencies at run time (cli/dependency_jobs.h): Requires=, After=,
// Wants=, cycles, stop propagation, .target units, boot and shutdown. Real
// processes; each test has a unit path of its own (UNITRUN_UNIT_PATH) and
// unique unit names. The services see the order themselves: a dependent's
// command checks the file its requirement writes once it is up.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "support.h"

using namespace itest;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A unit path of its own; names are PREFIX-short.service. The destructor
// stops what the test started and removes the runtime files.
class DepDir {
 public:
  DepDir() : prefix_(unique_name("d")), marker_(prefix_ + "-marker") { ::chmod(dir_.path().c_str(), 0755); }
  ~DepDir() { end_units(started_, options(), marker_, prefix_, runtime_); }
  DepDir(const DepDir&) = delete;
  DepDir& operator=(const DepDir&) = delete;

  std::string path() const { return dir_.path(); }
  std::string operator/(const std::string& f) const { return dir_ / f; }
  // "PREFIX-short.service" (or .target with a suffix given).
  std::string name(const std::string& short_name, const std::string& suffix = ".service") const {
    return prefix_ + "-" + short_name + suffix;
  }
  // Writes the unit `short_name`.service; returns its name.
  std::string service(const std::string& short_name, const std::string& exec_start,
                      const std::string& unit_section = "", const std::string& more = "") {
    std::string n = name(short_name);
    write_file(dir_ / n, "[Unit]\n" + unit_section + "[Service]\nExecStart=" + exec_start +
                             "\nEnvironment=UNITRUN_TEST_MARKER=" + marker_ + "\nStandardOutput=append:" + dir_.path() +
                             "/" + n + ".log\n" + more);
    started_.push_back(n);
    return n;
  }
  void started(const std::string& n) { started_.push_back(n); }
  void set_runtime(const std::string& dir) { runtime_ = dir; }
  RunOptions& options() { return options_; }
  RunResult unitrun(const std::vector<std::string>& args) { return run_unitrun(args, options()); }

 private:
  TempDir dir_;
  std::string prefix_, marker_;
  std::vector<std::string> started_;
  std::string runtime_ = kRuntimeDir;
  RunOptions options_ = [this] {
    RunOptions o;
    o.set_env = {"UNITRUN_UNIT_PATH=" + dir_.path(), "UNITRUN_TEST_MARKER=" + marker_};
    return o;
  }();
};

std::string active_of(DepDir& d, const std::string& unit) {
  RunResult r = d.unitrun({"is-active", unit});
  return r.out.substr(0, r.out.find('\n'));
}

// Waits (20 s at most, so that a hang fails) until the unit's record says
// Result=start-limit-hit; `status` keeps the last `status --json` read, for
// the caller's checks and messages.
bool wait_for_start_limit(DepDir& d, const std::string& unit, nlohmann::json& status) {
  return wait_until(
      [&] {
        status = parse_json(d.unitrun({"status", "--json", unit}).out);
        return status.is_object() && status.value("result", "") == "start-limit-hit";
      },
      20000, 50);
}

// As nobody, with a runtime directory of its own: shutdown stops every
// unit of the caller's runtime directory, and other tests run beside.
// Returns XDG_RUNTIME_DIR (unitrun's directory is its unitrun/).
std::string as_nobody_apart(DepDir& d) {
  std::string runtime = d / "runtime";
  std::string state = d / "state";
  REQUIRE(::mkdir(runtime.c_str(), 0700) == 0);
  REQUIRE(::mkdir(state.c_str(), 0700) == 0);
  REQUIRE(::chown(runtime.c_str(), 65534, 65534) == 0);
  REQUIRE(::chown(state.c_str(), 65534, 65534) == 0);
  REQUIRE(::chmod(d.path().c_str(), 0777) == 0);  // the services write their logs there
  d.set_runtime(runtime + "/unitrun");
  d.options().wrapper = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
  d.options().set_env.push_back("XDG_RUNTIME_DIR=" + runtime);
  d.options().set_env.push_back("XDG_STATE_HOME=" + state);
  d.options().set_env.push_back("HOME=/nonexistent");
  return runtime;
}

// The shutdown lock file of unitrun's directory in `runtime`, made as
// nobody's (unitrun makes it at its first use).
std::string shutdown_lock_file(const std::string& runtime) {
  std::string path = runtime + "/unitrun/.shutdown.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::fchown(fd, 65534, 65534) == 0);
  ::close(fd);
  return path;
}

// A POSIX record lock on the whole of `path`, as unitrun's shutdown (F_WRLCK)
// or a triggered start (F_RDLCK) holds it (runtime/shutdown_lock.h); let
// go of when it goes out of scope.
class RecordLock {
 public:
  RecordLock(const std::string& path, short type) : fd_(::open(path.c_str(), O_RDWR | O_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    REQUIRE(::fcntl(fd_, F_SETLK, &fl) == 0);
  }
  ~RecordLock() { release(); }
  RecordLock(const RecordLock&) = delete;
  RecordLock& operator=(const RecordLock&) = delete;
  void release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// The processes that have `path` open.
std::vector<pid_t> holding_open(const std::string& path) {
  std::vector<pid_t> out;
  for (const auto& p : std::filesystem::directory_iterator("/proc")) {
    std::string pid = p.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator(p.path() / "fd", ec)) {
      std::error_code link_ec;
      if (std::filesystem::read_symlink(fd.path(), link_ec) == path) out.push_back(std::stoi(pid));
    }
  }
  return out;
}

// Whether process `pid` waits for a POSIX lock (a "->" line of /proc/locks).
bool waits_for_record_lock(pid_t pid) {
  std::string locks = read_file("/proc/locks").value_or("");
  std::string needle = " " + std::to_string(pid) + " ";
  size_t at = 0;
  while ((at = locks.find("->", at)) != std::string::npos) {
    size_t end = locks.find('\n', at);
    std::string line = locks.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.find("POSIX") != std::string::npos && line.find(needle) != std::string::npos) return true;
    at = end == std::string::npos ? locks.size() : end;
  }
  return false;
}

}  // namespace

TEST_CASE("dependencies: Requires= and After= start the required unit first, as the dependent sees it",
          "[dependencies]") {
  DepDir d;
  std::string ready = d / "db.ready";
  std::string db = d.service("db", "/bin/sh -c 'touch " + ready + "'", "", "Type=oneshot\nRemainAfterExit=yes\n");
  // The dependent fails unless the required unit's start is complete.
  std::string web = d.service("web", "/bin/sh -c 'test -e " + ready + " && exec sleep 1000'",
                              "Requires=" + db + "\nAfter=" + db + "\n",
                              "Type=exec\nExecStartPost=/bin/sh -c 'test -e " + ready + "'\n");
  RunResult started = d.unitrun({"start", web});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  // The pulled-in unit's outcome is reported before the dependent's.
  size_t db_line = started.out.find("started " + db);
  size_t web_line = started.out.find("started " + web);
  REQUIRE(db_line != std::string::npos);
  REQUIRE(web_line != std::string::npos);
  CHECK(db_line < web_line);
  CHECK(active_of(d, db) == "active");
  CHECK(active_of(d, web) == "active");

  // Stopping the required unit stops the unit that Requires= it, first.
  RunResult stopped = d.unitrun({"stop", db});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(active_of(d, web) == "inactive");
  CHECK(active_of(d, db) == "inactive");
  CHECK(stopped.out.find(web) < stopped.out.find(db));
}

TEST_CASE("dependencies: a failed required unit fails the dependent, naming it", "[dependencies]") {
  DepDir d;
  std::string db = d.service("db", "/bin/false", "", "Type=oneshot\n");
  std::string web = d.service("web", "/bin/sleep 1000", "Requires=" + db + "\nAfter=" + db + "\n");
  RunResult started = d.unitrun({"start", web});
  INFO(started.describe());
  CHECK(started.exit_code == 1);
  CHECK(contains(started.err, "dependency failed: " + web + " requires " + db + ", which failed"));
  CHECK(active_of(d, web) == "inactive");
  CHECK(!contains(started.out, "started " + web));

  // A missing required unit: the dependent fails with its name, exit 1;
  // the same unit only wanted is a note.
  std::string missing = d.name("nothere");
  std::string needs = d.service("needs", "/bin/sleep 1000", "Requires=" + missing + "\n");
  RunResult refused = d.unitrun({"start", needs});
  INFO(refused.describe());
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, missing));
  CHECK(active_of(d, needs) == "inactive");
  std::string wants = d.service("wants", "/bin/sleep 1000", "Wants=" + missing + "\n");
  RunResult noted = d.unitrun({"start", wants});
  INFO(noted.describe());
  CHECK(noted.exit_code == 0);
  CHECK(contains(noted.err, "note: "));
  CHECK(contains(noted.err, missing));
  CHECK(active_of(d, wants) == "active");
}

TEST_CASE("dependencies: on a .socket, .mount or other unit unitrun does not run, a note, and the unit starts",
          "[dependencies]") {
  // Debian's rsyslog.service: Requires=syslog.socket. The socket unit exists
  // in the unit path (systemd's directory), unitrun cannot start it.
  DepDir d;
  std::string socket = d.name("log", ".socket");
  write_file(d / socket, "[Socket]\nListenDatagram=/run/" + socket + "\n");
  std::string svc =
      d.service("logd", "/bin/sleep 1000", "Requires=" + socket + "\nAfter=" + socket + "\nWants=local-fs.mount\n");
  RunResult started = d.unitrun({"start", svc});
  INFO(started.describe());
  CHECK(started.exit_code == 0);
  CHECK(contains(started.err, "note: " + svc + ": Requires=" + socket +
                                  " ignored: unitrun runs services and targets, not socket units"));
  CHECK(contains(started.err, "note: " + svc + ": Wants=local-fs.mount ignored"));
  CHECK_FALSE(contains(started.err, "After="));  // an ordering has nothing to order: no line
  CHECK(active_of(d, svc) == "active");
}

TEST_CASE("dependencies: an ordering cycle is reported with its units", "[dependencies]") {
  DepDir d;
  std::string a = d.name("a"), b = d.name("b");
  d.service("a", "/bin/sleep 1000", "Wants=" + b + "\nAfter=" + b + "\n");
  d.service("b", "/bin/sleep 1000", "After=" + a + "\n");
  // b is only wanted: its job is deleted to break the cycle, with a warning.
  RunResult started = d.unitrun({"start", a});
  INFO(started.describe());
  CHECK(started.exit_code == 0);
  CHECK(contains(started.err, "warning: "));
  CHECK(contains(started.err, "ordering cycle"));
  CHECK(contains(started.err, a + "/start"));
  CHECK(contains(started.err, b + "/start"));
  CHECK(active_of(d, a) == "active");
  (void)d.unitrun({"stop", a});
  // Both requested: every job matters, the transaction fails naming both.
  RunResult cyclic = d.unitrun({"start", a, b});
  INFO(cyclic.describe());
  CHECK(cyclic.exit_code == 1);
  CHECK(contains(cyclic.err, "Transaction order is cyclic"));
  CHECK(contains(cyclic.err, a));
  CHECK(contains(cyclic.err, b));
  CHECK(active_of(d, a) == "inactive");
}

TEST_CASE("dependencies: a .target starts what it wants, shows its state, and a built-in one works without a file",
          "[dependencies][target]") {
  DepDir d;
  std::string svc = d.service("member", "/bin/sleep 1000");
  std::string target = d.name("group", ".target");
  write_file(d / target, "[Unit]\nDescription=a group\nWants=" + svc + "\n");
  d.started(target);
  RunResult started = d.unitrun({"start", target});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  CHECK(contains(started.out, "started " + svc));
  CHECK(contains(started.out, "reached " + target));
  CHECK(active_of(d, target) == "active");
  CHECK(active_of(d, svc) == "active");
  RunResult status = d.unitrun({"status", target});
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, target + " - a group"));
  CHECK(contains(status.out, "Active: active"));
  RunResult list = d.unitrun({"list"});
  CHECK(contains(list.out, target));

  RunResult stopped = d.unitrun({"stop", target});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(contains(stopped.out, "stopped " + target));
  CHECK(active_of(d, target) == "inactive");
  CHECK(d.unitrun({"status", target}).exit_code == 3);
  // Wants= does not propagate a stop.
  CHECK(active_of(d, svc) == "active");
}

TEST_CASE("dependencies: boot starts the enabled units in order, shutdown stops them in reverse",
          "[dependencies][boot]") {
  DepDir d;
  std::string runtime = as_nobody_apart(d);
  std::string order = d / "order";
  write_file(order, "");
  REQUIRE(::chmod(order.c_str(), 0666) == 0);
  auto logged = [&](const std::string& word) {
    return "/bin/sh -c 'echo " + word + " >> " + order + "; exec sleep 1000'";
  };
  // An OnSuccess= unit is not started while shutdown stops everything
  // (systemd's would conflict with shutdown.target).
  std::string after = d.service("after", "/bin/sh -c 'echo after >> " + order + "'", "", "Type=oneshot\n");
  std::string a = d.service("a", logged("start-a"), "OnSuccess=" + after + "\n",
                            "ExecStopPost=/bin/sh -c 'echo stop-a >> " + order + "'\n");
  std::string b = d.service("b", logged("start-b"), "Requires=" + a + "\nAfter=" + a + "\n",
                            "ExecStopPost=/bin/sh -c 'echo stop-b >> " + order + "'\nType=exec\n" +
                                "ExecStartPost=/bin/sh -c 'grep -q start-a " + order + "'\n");
  std::string c = d.service("c", "/bin/sleep 1000");  // not enabled: boot leaves it alone
  std::filesystem::create_directories(d / "multi-user.target.wants");
  std::filesystem::create_symlink("../" + a, d / ("multi-user.target.wants/" + a));
  std::filesystem::create_symlink("../" + b, d / ("multi-user.target.wants/" + b));

  RunResult booted = d.unitrun({"boot"});
  INFO(booted.describe());
  REQUIRE(booted.exit_code == 0);
  CHECK(active_of(d, a) == "active");
  CHECK(active_of(d, b) == "active");
  CHECK(active_of(d, c) == "inactive");
  CHECK(active_of(d, "multi-user.target") == "active");
  CHECK(active_of(d, "default.target") == "active");
  CHECK(read_file(order).value_or("") == "start-a\nstart-b\n");

  RunResult down = d.unitrun({"shutdown"});
  INFO(down.describe());
  CHECK(down.exit_code == 0);
  CHECK(active_of(d, a) == "inactive");
  CHECK(active_of(d, b) == "inactive");
  CHECK(active_of(d, "multi-user.target") == "inactive");
  CHECK(read_file(order).value_or("") == "start-a\nstart-b\nstop-b\nstop-a\n");
  RunResult a_status = d.unitrun({"status", a});
  INFO(a_status.describe());
  CHECK(contains(a_status.out, "OnSuccess= " + after + " not started: unitrun shutdown is stopping every unit"));
  CHECK_FALSE(std::filesystem::exists(runtime + "/unitrun/.shutdown"));  // gone with the shutdown

  // A failure shows in boot's exit code.
  write_file(d / a, "[Service]\nExecStart=/bin/false\nType=oneshot\n");
  RunResult failed = d.unitrun({"boot"});
  INFO(failed.describe());
  CHECK(failed.exit_code != 0);
  CHECK(contains(failed.err, "dependency failed: " + b + " requires " + a + ", which failed"));
  (void)d.unitrun({"shutdown"});
}

TEST_CASE("dependencies: OnFailure= and OnSuccess= start their units when the unit ends", "[dependencies][onfailure]") {
  DepDir d;
  std::string failed_mark = d / "handler.ran", success_mark = d / "after.ran";
  std::string handler = d.service("handler", "/bin/sh -c 'touch " + failed_mark + "'", "", "Type=oneshot\n");
  std::string after = d.service("after", "/bin/sh -c 'touch " + success_mark + "'", "", "Type=oneshot\n");
  std::string bad =
      d.service("bad", "/bin/false", "OnFailure=" + handler + "\nOnSuccess=" + after + "\n", "Type=oneshot\n");
  RunResult started = d.unitrun({"start", bad});
  INFO(started.describe());
  CHECK(started.exit_code == 1);
  // Started detached by the monitor as it ends: waited for, not assumed.
  CHECK(wait_until([&] { return exists(failed_mark); }, 10000));
  CHECK(!exists(success_mark));

  std::string good =
      d.service("good", "/bin/true", "OnFailure=" + handler + "\nOnSuccess=" + after + "\n", "Type=oneshot\n");
  remove_file(failed_mark);
  RunResult ok = d.unitrun({"start", good});
  INFO(ok.describe());
  CHECK(ok.exit_code == 0);
  CHECK(wait_until([&] { return exists(success_mark); }, 10000));
  CHECK(!exists(failed_mark));
}

TEST_CASE("dependencies: OnFailure= of the unit itself meets StartLimitBurst= across the monitors it starts",
          "[dependencies][onfailure][start-limit]") {
  // Each triggered start is a monitor of its own: the starts before it
  // come from the state record. Should the limit not hold, the command
  // ends the chain itself after 10 runs (exit 0: OnFailure= is not fired).
  DepDir d;
  std::string count = d / "runs";
  std::string self = d.name("loop");
  d.service("loop", "/bin/sh -c 'echo run >> " + count + "; [ $(wc -l < " + count + ") -ge 10 ] && exit 0; exit 1'",
            "OnFailure=" + self + "\nStartLimitBurst=3\nStartLimitIntervalSec=1h\n", "Type=oneshot\n");
  RunResult started = d.unitrun({"start", self});
  INFO(started.describe());
  CHECK(started.exit_code == 1);
  auto lines = [&] {
    std::string text = read_file(count).value_or("");
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  };
  // The chain ends with a start the limit refused, which starts nothing.
  nlohmann::json status;
  bool ended = wait_until(
      [&] {
        RunResult r = d.unitrun({"status", "--json", self});
        status = parse_json(r.out);
        if (!status.is_object() || status.value("active_state", "") != "failed") return false;
        if (status.value("result", "") != "start-limit-hit") return lines() >= 10;
        for (const auto& e : status["events"])
          if (contains(e.value("text", ""), "its start was refused")) return true;
        return false;
      },
      20000, 50);
  INFO(status.dump(2));
  CHECK(ended);
  CHECK(status.value("result", "") == "start-limit-hit");
  CHECK(lines() == 3);
}

TEST_CASE("dependencies: a unit started by OnFailure= finds the failed unit's monitor gone, not running",
          "[dependencies][onfailure]") {
  DepDir d;
  SECTION("OnFailure=%n: each failure starts the unit again, until a run succeeds") {
    // Runs 1-4 fail at once (the start lock is long free: Type=simple),
    // run 5 exits cleanly. A start that found the monitor still there
    // would say "already running" and end the chain early.
    std::string count = d / "runs";
    std::string self = d.name("again");
    d.service("again", "/bin/sh -c 'echo run >> " + count + "; [ $(wc -l < " + count + ") -ge 5 ] && exit 0; exit 1'",
              "OnFailure=%n\nStartLimitBurst=10\n");
    RunResult started = d.unitrun({"start", self});
    INFO(started.describe());
    CHECK(started.exit_code == 0);
    bool five = wait_until(
        [&] {
          std::string text = read_file(count).value_or("");
          return std::count(text.begin(), text.end(), '\n') >= 5 && active_of(d, self) == "inactive";
        },
        20000, 50);
    INFO(read_file(count).value_or("(no runs)") << d.unitrun({"status", self}).out);
    CHECK(five);
  }
  SECTION("an OnFailure= unit that Requires= the failed one starts it again") {
    std::string runs = d / "dep-runs", mark = d / "handler.ran";
    std::string dep = d.name("dep");
    std::string handler = d.service("handler", "/bin/sh -c 'touch " + mark + "'",
                                    "Requires=" + dep + "\nAfter=" + dep + "\n", "Type=oneshot\n");
    d.service("dep",
              "/bin/sh -c 'echo run >> " + runs + "; [ $(wc -l < " + runs + ") -ge 2 ] && exec sleep 600; exit 1'",
              "OnFailure=" + handler + "\n");
    RunResult started = d.unitrun({"start", dep});
    INFO(started.describe());
    CHECK(started.exit_code == 0);
    CHECK(wait_until([&] { return exists(mark); }, 20000, 50));
    INFO(d.unitrun({"status", dep}).out);
    CHECK(active_of(d, dep) == "active");
  }
}

TEST_CASE("dependencies: OnFailure= works after the unitrun binary was replaced on disk (a package upgrade)",
          "[dependencies][onfailure]") {
  DepDir d;
  TempDir bin;
  std::string copy = bin / "unitrun";
  std::filesystem::copy_file(unitrun_binary(), copy);
  ::chmod(copy.c_str(), 0755);
  std::string fifo = d / "go", mark = d / "handler.ran";
  make_fifo(fifo);
  std::string handler = d.service("handler", "/bin/sh -c 'touch " + mark + "'", "", "Type=oneshot\n");
  std::string dep = d.service("dep", "/bin/sh -c 'read x < " + fifo + "; exit 1'", "OnFailure=" + handler + "\n");
  RunResult started = run({copy, "start", dep}, d.options());
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  // The monitor's binary is gone from its path ("... (deleted)" in /proc).
  remove_file(copy);
  write_fifo(fifo, "go\n");  // the service reads it: the open returns
  bool ran = wait_until([&] { return exists(mark); }, 20000, 50);
  INFO(d.unitrun({"status", dep}).out);
  CHECK(ran);
}

TEST_CASE("dependencies: a unit OnSuccess= starts gets none of the environment the first unit was started with",
          "[dependencies][onfailure]") {
  // PassEnvironment= takes from the manager's environment: for a unit a
  // trigger starts, that must not be whatever the caller of the first had.
  DepDir d;
  std::string seen = d / "seen";
  std::string after = d.service("after", "/bin/sh -c 'echo \"secret=$TRIGGER_SECRET\" > " + seen + "'", "",
                                "Type=oneshot\nPassEnvironment=TRIGGER_SECRET\n");
  // UNITRUN_UNIT_PATH does reach it: the unit path found `after` itself.
  std::string first = d.service("first", "/bin/true", "OnSuccess=" + after + "\n", "Type=oneshot\n");
  RunOptions o = d.options();
  o.set_env.push_back("TRIGGER_SECRET=leaked");
  RunResult started = run_unitrun({"start", first}, o);
  INFO(started.describe());
  CHECK(started.exit_code == 0);
  REQUIRE(wait_until([&] { return read_file(seen).value_or("").find('\n') != std::string::npos; }, 20000, 50));
  CHECK(read_file(seen).value_or("") == "secret=\n");
}

TEST_CASE(
    "dependencies: a stop finds a dependent that required it by an alias, and drops the index entries of "
    "units that no longer run",
    "[dependencies][required-by]") {
  DepDir d;
  std::string db = d.service("db", "/bin/sleep 600");
  std::string alias = d.name("database");
  REQUIRE(::symlink(db.c_str(), (d / alias).c_str()) == 0);
  std::string web = d.service("web", "/bin/sleep 600", "Requires=" + alias + "\nAfter=" + alias + "\n");
  RunResult started = d.unitrun({"start", web});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(active_of(d, db) == "active");
  RunResult stopped = d.unitrun({"stop", db});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(active_of(d, web) == "inactive");  // Requires=: stopped with what it requires

  // web's entry under db stays while web runs, and goes once a stop finds web gone.
  REQUIRE(d.unitrun({"start", web}).exit_code == 0);
  REQUIRE(d.unitrun({"stop", web}).exit_code == 0);
  std::string index = std::string(kRuntimeDir) + "/.required-by/" + db;
  auto entries_of_web = [&] {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(index, ec))
      if (e.path().filename().string().rfind(web.substr(0, web.size() - 8), 0) == 0) ++n;
    return n;
  };
  CHECK(entries_of_web() == 1);
  REQUIRE(d.unitrun({"stop", db}).exit_code == 0);
  CHECK(entries_of_web() == 0);
}

namespace {

// The pid a service's shell wrote to `pidfile` before it exec'd, once there.
pid_t written_pid(const std::string& pidfile) {
  std::string text;
  if (!wait_until([&] { return !(text = read_file(pidfile).value_or("")).empty() && text.back() == '\n'; }, 10000))
    return 0;
  return static_cast<pid_t>(std::stol(text));
}

size_t lines_of(const std::string& path) {
  std::string text = read_file(path).value_or("");
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE(
    "dependencies: BindsTo= stops the bound unit when the unit it is bound to dies on its own, Requires= does not",
    "[dependencies][bindsto]") {
  DepDir d;
  std::string pidfile = d / "x.pid", bound_stopped = d / "bound.stopped", required_stopped = d / "required.stopped";
  std::string x = d.service("x", "/bin/sh -c 'echo $$$$ > " + pidfile + " && exec sleep 600'", "", "Restart=no\n");
  std::string bound = d.service("bound", "/bin/sleep 600", "BindsTo=" + x + "\nAfter=" + x + "\n",
                                "ExecStop=/bin/sh -c 'echo stopped >> " + bound_stopped + "'\n");
  std::string required = d.service("required", "/bin/sleep 600", "Requires=" + x + "\nAfter=" + x + "\n",
                                   "ExecStop=/bin/sh -c 'echo stopped >> " + required_stopped + "'\n");
  RunResult started = d.unitrun({"start", bound, required});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(active_of(d, bound) == "active");
  REQUIRE(active_of(d, required) == "active");
  pid_t main_pid = written_pid(pidfile);
  REQUIRE(main_pid > 0);
  // The unit's own main process (its shell wrote its pid, $$ in a unit file, then exec'd).
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  // Stopped through its ExecStop=, after X's monitor ended: waited for.
  CHECK(wait_until([&] { return exists(bound_stopped); }, 15000));
  CHECK(wait_until([&] { return active_of(d, bound) == "inactive"; }, 15000));
  CHECK(active_of(d, x) == "failed");
  // The same pass looked at the unit that only Requires= it: left running.
  CHECK(active_of(d, required) == "active");
  CHECK(!exists(required_stopped));
  CHECK(lines_of(bound_stopped) == 1);
}

TEST_CASE("dependencies: a stop of the unit a unit is bound to stops that unit once", "[dependencies][bindsto]") {
  DepDir d;
  std::string stopped_mark = d / "bound.stopped";
  std::string x = d.service("x", "/bin/sleep 600");
  std::string bound = d.service("bound", "/bin/sleep 600", "BindsTo=" + x + "\nAfter=" + x + "\n",
                                "ExecStop=/bin/sh -c 'echo stopped >> " + stopped_mark + "'\n");
  RunResult started = d.unitrun({"start", bound});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(active_of(d, x) == "active");
  RunResult stopped = d.unitrun({"stop", x});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.err.empty());
  CHECK(active_of(d, bound) == "inactive");
  CHECK(active_of(d, x) == "inactive");
  CHECK(lines_of(stopped_mark) == 1);
}

TEST_CASE("dependencies: StopWhenUnneeded= stops a helper once no active unit needs it, by a stop or a death",
          "[dependencies][stopwhenunneeded]") {
  MachineLogTurn turn(MachineLogTurn::Kind::Reading);  // its monitors' lines are looked for there
  DepDir d;
  std::string pidfile = d / "web.pid";
  std::string helper = d.service("helper", "/bin/sleep 600", "StopWhenUnneeded=yes\n");
  std::string web = d.service("web", "/bin/sh -c 'echo $$$$ > " + pidfile + " && exec sleep 600'",
                              "Requires=" + helper + "\nAfter=" + helper + "\n", "Restart=no\n");
  std::string api = d.service("api", "/bin/sleep 600", "Wants=" + helper + "\n");
  RunResult started = d.unitrun({"start", web, api});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(active_of(d, helper) == "active");

  // web stops: api still wants the helper.
  RunResult stopped = d.unitrun({"stop", web});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(active_of(d, helper) == "active");
  // api stops: nobody needs it; stopped within the same command.
  stopped = d.unitrun({"stop", api});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(contains(stopped.out, "StopWhenUnneeded="));
  CHECK(active_of(d, helper) == "inactive");
  // One line in the monitor log says why.
  CHECK(contains(read_file("/var/log/unitrun.log").value_or(""),
                 "stopping: " + helper + " has StopWhenUnneeded=yes and no active unit needs it"));

  // web dies on its own: its monitor's end stops the helper.
  REQUIRE(d.unitrun({"start", web}).exit_code == 0);
  REQUIRE(active_of(d, helper) == "active");
  pid_t main_pid = written_pid(pidfile);
  REQUIRE(main_pid > 0);
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  CHECK(wait_until([&] { return active_of(d, helper) == "inactive"; }, 15000));
  CHECK(active_of(d, web) == "failed");
}

TEST_CASE("dependencies: StopWhenUnneeded= leaves alone a helper that another command is starting or stopping",
          "[dependencies][stopwhenunneeded]") {
  DepDir d;
  std::string helper = d.service("helper", "/bin/sleep 600", "StopWhenUnneeded=yes\n");
  std::string web = d.service("web", "/bin/sleep 600", "Requires=" + helper + "\nAfter=" + helper + "\n");
  REQUIRE(d.unitrun({"start", web}).exit_code == 0);
  REQUIRE(active_of(d, helper) == "active");
  // Another command's job on the helper, as its start lock (byte 1 of the
  // unit's lock file) says: held here, on an open file description.
  std::string lock;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(kRuntimeDir, ec)) {
    std::string n = e.path().filename();
    if (n.rfind(helper + ".", 0) == 0 && n.size() > 5 && n.compare(n.size() - 5, 5, ".lock") == 0) lock = e.path();
  }
  REQUIRE(!lock.empty());
  int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 1;
  fl.l_len = 1;
  REQUIRE(::fcntl(fd, F_OFD_SETLK, &fl) == 0);
  // web stops: the helper is unneeded, but has a job: left alone (a stop
  // of it would wait for that lock, and this command with it).
  RunResult stopped = d.unitrun({"stop", web});
  ::close(fd);
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK_FALSE(contains(stopped.out, "StopWhenUnneeded="));
  CHECK(active_of(d, helper) == "active");
}

TEST_CASE("dependencies: StopWhenUnneeded= unit started alone is stopped again by the same start",
          "[dependencies][stopwhenunneeded]") {
  DepDir d;
  std::string ran = d / "helper.ran";
  // ExecStartPre= has run once the start returns (a Type=simple service's
  // own shell may not have, before the same start stops it).
  std::string helper =
      d.service("helper", "/bin/sleep 600", "StopWhenUnneeded=yes\n", "ExecStartPre=/bin/touch " + ran + "\n");
  RunResult started = d.unitrun({"start", helper});
  INFO(started.describe());
  CHECK(started.exit_code == 0);  // systemctl start succeeds too: the start job did
  CHECK(exists(ran));
  CHECK(active_of(d, helper) == "inactive");
}

TEST_CASE("dependencies: StopWhenUnneeded= keeps a helper that a unit started by its path requires",
          "[dependencies][stopwhenunneeded]") {
  DepDir d;
  std::string helper = d.service("helper", "/bin/sleep 600", "StopWhenUnneeded=yes\n");
  // The dependent lies outside the unit path: its name finds no file, and
  // the start that pulled the helper in must not take it for unneeded.
  TempDir elsewhere;
  std::string outside = elsewhere / d.name("outside");
  write_file(outside, "[Unit]\nRequires=" + helper + "\nAfter=" + helper + "\n[Service]\nExecStart=/bin/sleep 600\n");
  d.started(outside);  // stopped by its path at the end, if the test stops early
  RunResult started = d.unitrun({"start", outside});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  CHECK(active_of(d, helper) == "active");
  CHECK(d.unitrun({"stop", outside}).exit_code == 0);
}

TEST_CASE("dependencies: two upheld units that conflict ping-pong a bounded number of times, then are left alone",
          "[dependencies][upholds]") {
  DepDir d;
  std::string a = d.name("a"), b = d.name("b");
  // No start limit: only the bound on nested follow-ups ends the loop.
  d.service("a", "/bin/sleep 600", "Conflicts=" + b + "\nStartLimitIntervalSec=0\n", "Restart=no\n");
  d.service("b", "/bin/sleep 600", "Conflicts=" + a + "\nStartLimitIntervalSec=0\n", "Restart=no\n");
  std::string k1 = d.service("k1", "/bin/sleep 600", "Upholds=" + a + "\n");
  std::string k2 = d.service("k2", "/bin/sleep 600", "Upholds=" + b + "\n");
  REQUIRE(d.unitrun({"start", k1}).exit_code == 0);
  REQUIRE(active_of(d, a) == "active");
  // b's start stops a, which k1 upholds: a again, which stops b, which k2
  // upholds, and so on, each round nested in the one before.
  RunResult r = d.unitrun({"start", k2});
  INFO(r.describe());
  CHECK(contains(r.err, "follow-ups nested (a loop of Upholds=, Conflicts= or PropagatesStopTo=?)"));
  CHECK(active_of(d, k1) == "active");
  CHECK(active_of(d, k2) == "active");
}

TEST_CASE("dependencies: Upholds= starts the upheld unit again when it dies or is stopped, while the upholder runs",
          "[dependencies][upholds]") {
  MachineLogTurn turn(MachineLogTurn::Kind::Reading);  // its monitors' lines are looked for there
  DepDir d;
  std::string pids = d / "x.pids";
  std::string x = d.service("x", "/bin/sh -c 'echo $$$$ >> " + pids + " && exec sleep 600'", "", "Restart=no\n");
  std::string keeper = d.service("keeper", "/bin/sleep 600", "Upholds=" + x + "\n");
  RunResult started = d.unitrun({"start", keeper});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(active_of(d, x) == "active");
  REQUIRE(wait_until([&] { return lines_of(pids) == 1; }, 10000));
  pid_t first = written_pid(pids);
  REQUIRE(first > 0);
  REQUIRE(::kill(first, SIGKILL) == 0);
  // Its monitor's end starts it again: a second run, active.
  CHECK(wait_until([&] { return lines_of(pids) == 2 && active_of(d, x) == "active"; }, 15000));
  CHECK(contains(read_file("/var/log/unitrun.log").value_or(""),
                 "starting again: " + keeper + " upholds " + x + ", which is failed (Upholds=)"));
  RunResult status = d.unitrun({"status", "--json", x});
  CHECK(contains(status.out, "started by Upholds="));

  // A stop is undone too, as systemd's: the upholder is still up.
  RunResult stopped = d.unitrun({"stop", x});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(contains(stopped.out, "Upholds="));
  // The new run writes its PID once its shell runs, after start returned.
  CHECK(wait_until([&] { return lines_of(pids) == 3; }, 15000));
  CHECK(active_of(d, x) == "active");

  // Once the upholder is down, a stop stays a stop.
  REQUIRE(d.unitrun({"stop", keeper}).exit_code == 0);
  REQUIRE(d.unitrun({"stop", x}).exit_code == 0);
  CHECK(active_of(d, x) == "inactive");
  CHECK(lines_of(pids) == 3);
}

// A caller that ignores SIGCHLD (it survives exec): unitrun resets it, and
// waits only for its own jobs. Here the stop's follow-ups start x again in
// this process (one job: its monitor is the command's child, and runs on),
// then y with z, which it wants (two jobs, run in parallel). Waiting for
// "any child" with SIGCHLD ignored would wait for x's monitor as well, for
// as long as x runs, and lose every job's exit status.
TEST_CASE(
    "dependencies: a caller's ignored SIGCHLD neither hangs nor loses the jobs of a command that started a "
    "monitor in-process",
    "[dependencies][upholds][signals]") {
  DepDir d;
  std::string x = d.service("x", "/bin/sleep 600");
  std::string z = d.service("z", "/bin/sleep 600");
  std::string y = d.service("y", "/bin/sleep 600", "Wants=" + z + "\n");
  std::string keeper = d.service("keeper", "/bin/sleep 600", "Upholds=" + x + " " + y + "\n");
  RunResult started = d.unitrun({"start", keeper});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  for (const std::string& u : {x, y, z}) REQUIRE(active_of(d, u) == "active");
  RunOptions ignoring = d.options();
  ignoring.ignore_signals = {SIGCHLD};
  ignoring.timeout_ms = 20000;
  RunResult stopped = run_unitrun({"stop", x, y, z}, ignoring);
  INFO(stopped.describe());
  CHECK_FALSE(stopped.timed_out);
  CHECK(stopped.exit_code == 0);
  CHECK(contains(stopped.out, "started " + x));
  CHECK(contains(stopped.out, "started " + y));
  CHECK(contains(stopped.out, "started " + z));
  for (const std::string& u : {x, y, z}) CHECK(active_of(d, u) == "active");
}

TEST_CASE("dependencies: Upholds= restarts a failing unit only up to its start limit",
          "[dependencies][upholds][start-limit]") {
  // Should the limit not hold, the unit stays up after its 10th run.
  DepDir d;
  std::string count = d / "runs";
  std::string x = d.service(
      "x", "/bin/sh -c 'echo run >> " + count + "; [ $(wc -l < " + count + ") -ge 10 ] && exec sleep 600; exit 1'",
      "StartLimitBurst=3\nStartLimitIntervalSec=1h\n");
  std::string keeper = d.service("keeper", "/bin/sleep 600", "Upholds=" + x + "\n");
  RunResult started = d.unitrun({"start", keeper});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  nlohmann::json status;
  bool ended = wait_until(
      [&] {
        RunResult r = d.unitrun({"status", "--json", x});
        status = parse_json(r.out);
        return status.is_object() && (status.value("result", "") == "start-limit-hit" || lines_of(count) >= 10);
      },
      20000, 50);
  INFO(status.dump(2));
  CHECK(ended);
  CHECK(status.value("result", "") == "start-limit-hit");
  CHECK(lines_of(count) == 3);
  CHECK(active_of(d, keeper) == "active");
}

TEST_CASE("dependencies: Upholds= restarts a unit that failed before its upholder was up and stops at its start limit",
          "[dependencies][upholds][start-limit]") {
  // keeper starts only after x's start failed: x's start returns once x's
  // monitor is gone, and that monitor's end looked for an upholder before
  // keeper's start recorded itself as one. Only the end of keeper's start
  // finds x failed with its upholder up.
  DepDir d;
  std::string count = d / "runs";
  std::string x = d.service("x", "/bin/sh -c 'echo run >> " + count + "; exit 1'",
                            "StartLimitBurst=3\nStartLimitIntervalSec=1h\n", "Type=oneshot\n");
  std::string keeper = d.service("keeper", "/bin/sleep 600", "Upholds=" + x + "\nAfter=" + x + "\n");
  RunResult started = d.unitrun({"start", keeper});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  CHECK(contains(started.out, x + ": starting again: " + keeper + " upholds " + x + ", which is failed (Upholds=)"));
  nlohmann::json status;
  bool ended = wait_for_start_limit(d, x, status);
  INFO(status.dump(2));
  CHECK(ended);
  CHECK(lines_of(count) == 3);
  CHECK(active_of(d, keeper) == "active");
}

TEST_CASE("dependencies: starting a running upholder again does not start its failed upheld unit by Upholds=",
          "[dependencies][upholds][start-limit]") {
  // systemd: a start that finds its unit active changes no state, so
  // check_uphold_dependencies() does not run; only a unit becoming active
  // starts what it upholds. (Its transaction still pulls x in once, as
  // Upholds= implies Wants=.)
  DepDir d;
  std::string count = d / "runs";
  std::string x =
      d.service("x", "/bin/sh -c 'echo run >> " + count + "; exit 1'", "StartLimitBurst=3\nStartLimitIntervalSec=1h\n");
  std::string keeper = d.service("keeper", "/bin/sleep 600", "Upholds=" + x + "\n");
  RunResult first = d.unitrun({"start", keeper});
  INFO(first.describe());
  REQUIRE(first.exit_code == 0);
  nlohmann::json status;
  // The events of x's last run: a start by Upholds= says so.
  auto upheld_starts = [&] {
    size_t n = 0;
    if (status.is_object() && status.contains("events") && status["events"].is_array())
      for (const nlohmann::json& e : status["events"])
        if (e.is_object() && e.value("text", "").rfind("started by Upholds=", 0) == 0) ++n;
    return n;
  };
  bool limited = wait_for_start_limit(d, x, status);
  INFO(status.dump(2));
  REQUIRE(limited);
  REQUIRE(lines_of(count) == 3);
  REQUIRE(upheld_starts() == 1);
  REQUIRE(active_of(d, keeper) == "active");

  RunResult again = d.unitrun({"start", keeper});
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, keeper + " already running"));
  CHECK_FALSE(contains(again.out + again.err, "starting again"));
  // The pull-in's one run (a command-line transaction begins the start
  // limit afresh, docs/compatibility.md) is a start by no trigger...
  CHECK(contains(again.out, "started " + x + " (pid "));
  // ...and its failure, with keeper up and idle, is x becoming failed: x's
  // own end starts it again by Upholds= (systemd's unit_notify() queues the
  // check), counted with that run, up to the limit: runs 5 and 6, then a
  // refused start. Wait for that end, not for a moment: the pull-in's shell
  // writes its line after `start` returned, and each Upholds= start follows
  // a detached reaction. keeper's second start adds nothing to this (it
  // printed no "starting again"): 3 runs in the window, whoever asks.
  bool limited_again = wait_for_start_limit(d, x, status);
  INFO(status.dump(2));
  CHECK(limited_again);
  CHECK(lines_of(count) == 6);
  CHECK(status.value("active_state", "") == "failed");
  CHECK(upheld_starts() == 1);
  CHECK(active_of(d, keeper) == "active");
}

TEST_CASE("dependencies: Requisite= on a unit its start left inactive fails the dependent, naming it",
          "[dependencies][requisite]") {
  DepDir d;
  std::string ran = d / "y.ran";
  std::string x = d.service("x", "/bin/true", "", "Type=oneshot\n");
  std::string y =
      d.service("y", "/bin/sh -c 'touch " + ran + " && exec sleep 600'", "Requisite=" + x + "\nAfter=" + x + "\n");
  RunResult started = d.unitrun({"start", x, y});
  INFO(started.describe());
  CHECK(started.exit_code == 1);
  CHECK(contains(started.err, x));
  CHECK(contains(started.err, "not active"));
  CHECK(active_of(d, y) == "inactive");
  CHECK(!exists(ran));

  // The same oneshot with RemainAfterExit=yes stays active: y starts.
  d.service("x", "/bin/true", "", "Type=oneshot\nRemainAfterExit=yes\n");
  RunResult again = d.unitrun({"start", x, y});
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  CHECK(active_of(d, y) == "active");
}

TEST_CASE("dependencies: RefuseManualStart= and RefuseManualStop= refuse the command line, not a dependency",
          "[dependencies][refuse-manual]") {
  DepDir d;
  std::string r = d.service("r", "/bin/sleep 600", "RefuseManualStart=yes\n");
  std::string s = d.service("s", "/bin/sleep 600", "RefuseManualStop=yes\nPartOf=" + d.name("p") + "\n");
  std::string p = d.service("p", "/bin/sleep 600", "Requires=" + r + " " + s + "\nAfter=" + r + " " + s + "\n");
  RunResult refused = d.unitrun({"start", r});
  INFO(refused.describe());
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "Operation refused, unit " + r +
                                  " may be requested by dependency only (it is configured to refuse manual "
                                  "start/stop)."));
  CHECK(active_of(d, r) == "inactive");
  RunResult pulled = d.unitrun({"start", p});
  INFO(pulled.describe());
  CHECK(pulled.exit_code == 0);
  CHECK(active_of(d, r) == "active");
  CHECK(active_of(d, s) == "active");

  RunResult stop_refused = d.unitrun({"stop", s});
  INFO(stop_refused.describe());
  CHECK(stop_refused.exit_code == 1);
  CHECK(contains(stop_refused.err, "failed to stop " + s + ": Operation refused"));
  CHECK(active_of(d, s) == "active");
  CHECK(d.unitrun({"restart", r}).exit_code == 1);  // restart: refused by either key

  RunResult propagated = d.unitrun({"stop", p});  // PartOf=: s's stop is propagated
  INFO(propagated.describe());
  CHECK(propagated.exit_code == 0);
  CHECK(active_of(d, s) == "inactive");
  CHECK(active_of(d, r) == "active");  // Requires= does not stop what it requires
  d.started(r);
}

TEST_CASE("dependencies: PropagatesStopTo= and StopPropagatedFrom= stop the other unit, by a stop or a death",
          "[dependencies][propagatesstopto]") {
  DepDir d;
  std::string pidfile = d / "a.pid";
  std::string b = d.service("b", "/bin/sleep 600");
  std::string c = d.service("c", "/bin/sleep 600", "StopPropagatedFrom=" + d.name("a") + "\n");
  std::string a = d.service("a", "/bin/sh -c 'echo $$$$ > " + pidfile + " && exec sleep 600'",
                            "PropagatesStopTo=" + b + "\n", "Restart=no\n");
  RunResult started = d.unitrun({"start", a, b, c});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  // One-way: a stop of b (or c) leaves a running.
  REQUIRE(d.unitrun({"stop", b}).exit_code == 0);
  CHECK(active_of(d, a) == "active");
  REQUIRE(d.unitrun({"start", b}).exit_code == 0);
  RunResult stopped = d.unitrun({"stop", a});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(active_of(d, b) == "inactive");
  CHECK(active_of(d, c) == "inactive");

  // a dies on its own: its monitor's end stops both.
  remove_file(pidfile);
  started = d.unitrun({"start", a, b, c});
  REQUIRE(started.exit_code == 0);
  pid_t main_pid = written_pid(pidfile);
  REQUIRE(main_pid > 0);
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  CHECK(wait_until([&] { return active_of(d, b) == "inactive" && active_of(d, c) == "inactive"; }, 15000));
}

TEST_CASE("dependencies: a target that upholds a unit by a .upholds/ link starts it again when it dies",
          "[dependencies][upholds]") {
  DepDir d;
  std::string pids = d / "x.pids";
  std::string x = d.service("x", "/bin/sh -c 'echo $$$$ >> " + pids + " && exec sleep 600'", "", "Restart=no\n");
  std::string target = d.name("keep", ".target");
  write_file(d / target, "[Unit]\nDescription=keeps x\n");
  REQUIRE(::mkdir((d / (target + ".upholds")).c_str(), 0755) == 0);
  REQUIRE(::symlink((d / x).c_str(), (d / (target + ".upholds/" + x)).c_str()) == 0);
  RunResult started = d.unitrun({"start", target});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(wait_until([&] { return lines_of(pids) == 1; }, 10000));
  pid_t first = written_pid(pids);
  REQUIRE(first > 0);
  REQUIRE(::kill(first, SIGKILL) == 0);
  CHECK(wait_until([&] { return lines_of(pids) == 2 && active_of(d, x) == "active"; }, 15000));
  REQUIRE(d.unitrun({"stop", target}).exit_code == 0);
  REQUIRE(d.unitrun({"stop", x}).exit_code == 0);
  CHECK(active_of(d, x) == "inactive");
}

// A start that OnFailure=/OnSuccess= triggered (UNITRUN_TRIGGERED_BY) is
// refused while a shutdown holds the shutdown lock, as `unitrun shutdown`
// does from before it lists the running units to its end: it cannot start a
// unit after that list was made. Held here by the test, as shutdown would.
TEST_CASE("shutdown: a triggered start is refused while a shutdown holds its lock", "[dependencies][boot]") {
  DepDir d;
  std::string runtime = as_nobody_apart(d);
  std::string svc = d.service("svc", "/bin/sleep 1000");
  d.options().set_env.push_back("UNITRUN_TRIGGERED_BY=OnFailure= of " + d.name("other"));
  // Nothing holds it: the triggered start starts the unit.
  RunResult first = d.unitrun({"start", svc});
  INFO(first.describe());
  REQUIRE(first.exit_code == 0);
  REQUIRE(active_of(d, svc) == "active");
  // Its monitor does not keep the lock file open (it was forked while the
  // start held the lock).
  CHECK(holding_open(runtime + "/unitrun/.shutdown.lock").empty());
  REQUIRE(d.unitrun({"stop", svc}).exit_code == 0);
  REQUIRE(active_of(d, svc) == "inactive");

  RecordLock shutdown(shutdown_lock_file(runtime), F_WRLCK);
  RunResult refused = d.unitrun({"start", svc});
  INFO(refused.describe());
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "not started: unitrun shutdown is stopping every unit"));
  CHECK(active_of(d, svc) == "inactive");
}

// A start triggered just before a shutdown began holds the shutdown lock
// shared from its check of the shutdown marker until its monitors run:
// shutdown waits for it before it lists the running units, and so stops
// the unit that start started too. The test holds it, and starts a unit
// while the shutdown waits, as that start would.
TEST_CASE("shutdown: waits for a triggered start under way and stops what it started", "[dependencies][boot]") {
  DepDir d;
  std::string runtime = as_nobody_apart(d);
  std::string early = d.service("early", "/bin/sleep 1000");
  std::string late = d.service("late", "/bin/sleep 1000");
  RunResult started = d.unitrun({"start", early});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  RecordLock start_under_way(shutdown_lock_file(runtime), F_RDLCK);
  std::vector<std::string> argv{unitrun_binary(), "shutdown"};
  Running shutdown = spawn(argv, d.options());
  REQUIRE(wait_until([&] { return waits_for_record_lock(shutdown.pid()); }, 20000));
  CHECK(active_of(d, early) == "active");  // nothing stopped before the lock is free
  RunResult late_start = d.unitrun({"start", late});
  INFO(late_start.describe());
  REQUIRE(late_start.exit_code == 0);
  start_under_way.release();
  RunResult down = shutdown.wait();
  INFO(down.describe());
  CHECK(down.exit_code == 0);
  CHECK(active_of(d, early) == "inactive");
  CHECK(active_of(d, late) == "inactive");
}
