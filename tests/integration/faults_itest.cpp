// Faults (reliability.md §3.2): a killed monitor, services that resist or
// escape a stop, start failures of every kind, resource exhaustion, stale
// pidfiles. After each failure: no process left, no pidfile, no lock held.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "supervision_util.h"

using namespace itest;
using itest::sv::start_ok;

namespace {

pid_t parent_of(pid_t pid) {
  auto s = proc_stat(pid);
  REQUIRE(s);
  return s->ppid;
}

// What a failed start must leave: no process (no monitor either), no
// pidfile, and the lock free (status says "not running"; it can only say
// "unknown", 4, of an invalid unit), and the runtime directory holds no
// temporary files of the unit (the snapshot of what it was started
// from, written before the monitor runs, is no temporary).
void check_nothing_left(const TestUnit& u, bool unit_valid = true) {
  CHECK(u.nothing_running());
  CHECK_FALSE(exists(u.pidfile()));
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == (unit_valid ? 3 : 4));
  for (const std::string& f : u.runtime_files()) {
    INFO("runtime file " << f);
    auto ends = [&](const std::string& suffix) {
      return f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    CHECK((ends(".lock") || ends(".state") || ends(".state.spare") || ends(".unit") || ends(".name")));
  }
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The children of the test process, zombies included.
std::set<pid_t> children_of_test() {
  std::set<pid_t> out;
  for (const ProcStat& s : all_processes())
    if (s.ppid == ::getpid()) out.insert(s.pid);
  return out;
}

}  // namespace

TEST_CASE("F1: after the monitor is SIGKILLed, status tells the truth and stop ends the survivor", "[faults]") {
  TempDir dir;
  TestUnit u(dir, "f1", "/bin/sleep 1000", {.extra = "TimeoutStopSec=10\n"});
  pid_t main_pid = start_ok(u);
  pid_t monitor = parent_of(main_pid);
  REQUIRE(u.monitors() == std::vector<pid_t>{monitor});

  REQUIRE(::kill(monitor, SIGKILL) == 0);
  REQUIRE(wait_exit(monitor, 5000));
  reap_adopted();
  REQUIRE(alive(main_pid));

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "monitor"));
  CHECK_FALSE(contains(status.out, "Process: 0"));  // no monitor is no PID 0
  CHECK(contains(status.out, std::to_string(main_pid) + " /bin/sleep 1000"));

  SECTION("start does not make a second copy") {
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 0);
    std::vector<pid_t> services = u.services();
    CHECK(services.size() == 1);
    auto pid = read_pidfile(u.pidfile());
    REQUIRE(pid);
    CHECK(services == std::vector<pid_t>{*pid});
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(u.nothing_running());
    CHECK_FALSE(exists(u.pidfile()));
  }
  SECTION("stop ends the survivor") {
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(stop.seconds < 10.0);
    CHECK_FALSE(alive(main_pid));
    CHECK(u.nothing_running());
    CHECK_FALSE(exists(u.pidfile()));
    RunResult after = u.status();
    INFO(after.describe());
    CHECK(after.exit_code == 3);
    // "inactive (dead) since" the stop, not since the start of the run.
    nlohmann::json j = parse_json(u.status_json().out);
    INFO(j.dump(2));
    CHECK(j["since_usec"].get<uint64_t>() > j["main_started_usec"].get<uint64_t>());
    CHECK(j["active_state"] == "inactive");
  }
}

// The record names a new main process before the pidfile does: a monitor
// SIGKILLed between the two must not leave a live pidfile beside the last
// run's final record, where the service would look like one run outside
// unitrun and `stop` would leave it running. strace kills the monitor as it
// renames the pidfile into place (the state record is exchanged with
// renameat2, so renameat is the pidfile's alone) and lets the service go at
// its exec.
TEST_CASE("F1: a monitor SIGKILLed as it writes the pidfile has put the service on record: stop ends it", "[faults]") {
  if (::access("/usr/bin/strace", X_OK) != 0) {
    WARN("no /usr/bin/strace here: the case needs it to kill the monitor at one system call");
    return;
  }
  TempDir dir;
  TestUnit u(dir, "f1p", "/bin/sleep 1000");
  start_ok(u);  // a finished record of an earlier run is on disk
  REQUIRE(u.stop().exit_code == 0);
  RunOptions marked;
  marked.set_env.push_back("UNITRUN_TEST_MARKER=" + u.marker());
  RunResult killed = run({"/usr/bin/strace", "-f", "-qq", "-o", "/dev/null", "-b", "execve", "-e", "trace=renameat",
                          "-e", "inject=renameat:signal=KILL:when=1", unitrun_binary(), "start", u.path()},
                         marked);
  INFO(killed.describe());
  REQUIRE(killed.exit_code == 1);
  REQUIRE(contains(killed.err, "monitor exited before reporting"));
  reap_adopted();
  std::vector<pid_t> services = u.services();
  REQUIRE(services.size() == 1);
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "the monitor died"));
  bool had_cgroups = !unit_cgroup_dirs(u.name()).empty();
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(wait_exit(services[0], 5000));
  CHECK(u.nothing_running());
  // The dead monitor's cgroups go with its survivors, as its own end would
  // have taken them (none are left in any tree).
  if (!had_cgroups) {
    WARN("no cgroup of the unit here (no writable cgroup tree?): their removal is not checked");
    return;
  }
  CHECK(unit_cgroup_dirs(u.name()).empty());
}

// A start that waits on the unit lock claims the unit's name the moment the
// lock is free: a monitor's name lock must be gone by then, also when the
// monitor is SIGKILLed and the kernel lets go of its locks in its own
// order, from the highest fd down (runtime/unit_lock.cc). The monitor's fds
// (its /proc links) put the name lock above the unit lock, and the order in
// which the kernel released the two files (their close events, sent by the
// release that drops the locks) is the name lock's first.
TEST_CASE("F1: a SIGKILLed monitor lets go of the name lock before the unit lock", "[faults]") {
  TempDir dir;
  TestUnit u(dir, "f1order", "/bin/sleep 1000");
  pid_t main_pid = start_ok(u);
  pid_t monitor = parent_of(main_pid);
  REQUIRE(u.monitors() == std::vector<pid_t>{monitor});
  const std::string prefix = std::string(kRuntimeDir) + "/" + u.name() + ".";
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  int unit_fd = -1, name_fd = -1;
  std::string unit_lock, name_lock;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(monitor) + "/fd")) {
    std::error_code ec;
    std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (target.rfind(prefix, 0) != 0) continue;
    int fd = std::stoi(e.path().filename().string());
    if (ends_with(target, ".lock")) unit_fd = fd, unit_lock = target.substr(target.rfind('/') + 1);
    if (ends_with(target, ".name")) name_fd = fd, name_lock = target.substr(target.rfind('/') + 1);
  }
  INFO("unit lock " << unit_lock << " on fd " << unit_fd << ", name lock " << name_lock << " on fd " << name_fd);
  REQUIRE(unit_fd >= 0);
  REQUIRE(name_fd >= 0);
  CHECK(name_fd > unit_fd);

  struct Inotify {
    int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ~Inotify() {
      if (fd >= 0) ::close(fd);
    }
    int get() const { return fd; }
  } events;
  REQUIRE(events.get() >= 0);
  REQUIRE(::inotify_add_watch(events.get(), kRuntimeDir, IN_CLOSE_WRITE) >= 0);
  REQUIRE(::kill(monitor, SIGKILL) == 0);
  std::vector<std::string> closed;  // other units' files close here too
  while (closed.size() < 2) {
    struct pollfd p = {events.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 30000) == 1);  // a bound so that a hang fails
    alignas(struct inotify_event) char buf[4096];
    ssize_t n = ::read(events.get(), buf, sizeof buf);
    REQUIRE(n > 0);
    for (char* at = buf; at < buf + n;) {
      auto* e = reinterpret_cast<struct inotify_event*>(at);
      if (e->len > 0 && (e->name == unit_lock || e->name == name_lock)) closed.push_back(e->name);
      at += sizeof *e + e->len;
    }
  }
  CHECK(closed == std::vector<std::string>{name_lock, unit_lock});
  REQUIRE(wait_exit(monitor, 5000));
  reap_adopted();
  // The survivor is ended by the next start, which finds the name free.
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  CHECK_FALSE(alive(main_pid));
}

TEST_CASE("F1: the survivors of a SIGKILLed monitor are stopped as KillMode= says", "[faults]") {
  // The clean-up of orphans follows the same stop plan as the monitor
  // (process/stop_plan.h). The service's child ignores SIGTERM; the main
  // process does not.
  TempDir dir;
  const std::string service =
      "/bin/sh -c \"/bin/sh -c 'trap \\\"\\\" TERM; exec /bin/sleep 1001' & exec /bin/sleep 1000\"";
  auto orphaned = [&](const TestUnit& u) {
    pid_t main_pid = start_ok(u);
    // Two processes are not enough: the child ignores SIGTERM only once its
    // shell has run the trap, which it has when it has exec'd sleep 1001
    // (SIG_IGN survives exec). Before that a SIGTERM would end it, and a
    // clean-up that wrongly sent SIGTERM to it would pass.
    REQUIRE(wait_until(
        [&] {
          std::vector<std::string> cmdlines;
          for (pid_t p : u.services()) cmdlines.push_back(proc_cmdline(p));
          std::sort(cmdlines.begin(), cmdlines.end());
          return cmdlines == std::vector<std::string>{"/bin/sleep 1000", "/bin/sleep 1001"} &&
                 proc_cmdline(main_pid) == "/bin/sleep 1000";
        },
        5000));
    pid_t monitor = parent_of(main_pid);
    REQUIRE(::kill(monitor, SIGKILL) == 0);
    REQUIRE(wait_exit(monitor, 5000));
    reap_adopted();
    REQUIRE(alive(main_pid));
    return main_pid;
  };
  SECTION("mixed: SIGTERM to the main process, then SIGKILL to the rest at once") {
    TestUnit u(dir, "orphmixed", service, {.extra = "KillMode=mixed\nTimeoutStopSec=30\n"});
    pid_t main_pid = orphaned(u);
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(stop.seconds < 20.0);  // not TimeoutStopSec=: the child got SIGKILL once main was gone
    CHECK_FALSE(alive(main_pid));
    CHECK(u.nothing_running());
  }
  SECTION("process: only the main process is stopped, the rest is left running (as systemd leaves it)") {
    TestUnit u(dir, "orphproc", service, {.extra = "KillMode=process\nTimeoutStopSec=30\n"});
    pid_t main_pid = orphaned(u);
    std::vector<pid_t> before = u.services();
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(stop.seconds < 20.0);
    CHECK_FALSE(alive(main_pid));
    std::vector<pid_t> left = u.services();
    CHECK(left.size() == 1);
    for (pid_t p : left) CHECK(p != main_pid);
    kill_marked(u.marker());
  }
}

TEST_CASE("a stale pidfile (monitor and service SIGKILLed): status 1, start replaces it", "[faults]") {
  TempDir dir;
  TestUnit u(dir, "stale", "/bin/sleep 1000");
  pid_t main_pid = start_ok(u);
  pid_t monitor = parent_of(main_pid);
  REQUIRE(::kill(monitor, SIGKILL) == 0);
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  REQUIRE(wait_exit(monitor, 5000));
  REQUIRE(wait_exit(main_pid, 5000));
  reap_adopted();
  REQUIRE(exists(u.pidfile()));

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 1);
  CHECK(contains(status.out, "pidfile"));

  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  CHECK(*pid != main_pid);
  CHECK(u.services() == std::vector<pid_t>{*pid});
  CHECK(u.status().exit_code == 0);
}

TEST_CASE("F4: a service that ignores SIGTERM is SIGKILLed after TimeoutStopSec", "[faults]") {
  TempDir dir;
  TestUnit u(dir, "f4a", helper("trapterm"), {.extra = "Type=notify\nTimeoutStopSec=2\n"});
  pid_t pid = start_ok(u);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  // SIGTERM was ignored, so the stop waited out the 2 s before SIGKILL; the
  // upper bound only catches a hang.
  CHECK(stop.seconds >= 1.8);
  CHECK(stop.seconds < 10.0);
  CHECK_FALSE(alive(pid));
  CHECK(u.nothing_running());
  CHECK_FALSE(exists(u.pidfile()));
  // Not reported as a clean stop: stderr says what happened, and the unit
  // failed with Result=timeout, as systemd records it.
  CHECK(stop.err.find("did not stop within 2s of SIGTERM; sending SIGKILL") != std::string::npos);
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.out.find("failed (Result: timeout)") != std::string::npos);
}

TEST_CASE("F4: a SIGSTOPped service stops at once (SIGCONT follows SIGTERM)", "[faults]") {
  TempDir dir;
  std::string exec, type;
  // `trapterm catch` ends in a SIGTERM handler, which a stopped process never
  // runs until it gets SIGCONT (it says READY=1 once the handler is set). A
  // plain sleep is killed by SIGTERM even while stopped (the kernel turns a
  // fatal signal into SIGKILL), so it checks less.
  SECTION("a SIGTERM handler") {
    exec = helper("trapterm") + " catch";
    type = "Type=notify\n";
  }
  SECTION("a plain sleep") { exec = "/bin/sleep 1000"; }
  TestUnit u(dir, "f4b", exec, {.extra = type + "TimeoutStopSec=60\n"});
  pid_t pid = start_ok(u);
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  REQUIRE(wait_until([&] { return proc_stat(pid) && proc_stat(pid)->state == 'T'; }, 5000));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 10.0);  // far below TimeoutStopSec=60: no SIGKILL escalation was needed
  CHECK_FALSE(alive(pid));
  CHECK(u.nothing_running());
}

TEST_CASE("F5: stop ends a setsid() grandchild that escaped the service's session", "[faults]") {
  TempDir dir;
  TestUnit u(dir, "f5forker", helper("forker"), {.extra = "TimeoutStopSec=30\n"});
  pid_t main_pid = start_ok(u);
  // Two live processes, the second not the main process's child: the middle
  // one that called setsid() has exited (a zombie is not counted).
  pid_t grandchild = 0;
  REQUIRE(wait_until(
      [&] {
        std::vector<pid_t> services = u.services();
        if (services.size() != 2) return false;
        grandchild = services[0] == main_pid ? services[1] : services[0];
        auto st = proc_stat(grandchild);
        return st && st->ppid != main_pid;
      },
      5000));
  auto gs = proc_stat(grandchild);
  REQUIRE(gs);
  CHECK(gs->sid != main_pid);  // it left the service's session
  uint64_t grandchild_start = gs->start_time;

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 10.0);
  CHECK_FALSE(alive(main_pid));
  CHECK_FALSE(alive(grandchild));
  CHECK(u.nothing_running());
  // The escapee was re-parented to the monitor (a subreaper), which must
  // have reaped it: a zombie of it would have been handed on to this test.
  auto g = proc_stat(grandchild);
  CHECK_FALSE((g && g->start_time == grandchild_start && g->state == 'Z'));
}

TEST_CASE("F5: stop ends a service that forks 200 children a second", "[faults]") {
  TempDir dir;
  // Type=notify: forkchurn says READY=1 once it has forked ten children,
  // so start returns with the churn under way (and fails after
  // TimeoutStartSec if it never gets that far).
  TestUnit u(dir, "f5churn", helper("forkchurn"), {.extra = "Type=notify\nTimeoutStartSec=20\nTimeoutStopSec=30\n"});
  std::set<pid_t> mine_before = children_of_test();
  pid_t main_pid = start_ok(u);
  pid_t monitor = parent_of(main_pid);
  REQUIRE(alive(main_pid));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 15.0);
  CHECK_FALSE(alive(main_pid));
  CHECK(u.nothing_running());
  // Nothing forked late survived either, not even for a moment. The monitor
  // (a subreaper) must reap every descendant before it exits; one forked
  // after its last kill that outlived it was handed on to this test process,
  // the subreaper above it, alive or as a zombie that nothing_running()
  // does not count. So the test has adopted the monitor and nothing else.
  std::vector<pid_t> adopted;
  for (pid_t p : children_of_test())
    if (!mine_before.count(p) && p != monitor) adopted.push_back(p);
  INFO("adopted by the test: " << describe_processes(adopted));
  CHECK(adopted.empty());
}

TEST_CASE("F8: a pidfile that cannot be written fails the start and leaves nothing", "[faults]") {
  TempDir dir;
  // As root, a 0555 directory is writable; a path under a regular file is not.
  write_file(dir / "regular", "I am a file\n");
  std::string bad_pidfile = dir / "regular/sub/x.pid";
  TestUnit u(dir, "f8", "/bin/sleep 1000", {.pidfile = bad_pidfile});
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, dir / "regular"));
  CHECK(read_file(dir / "regular") == "I am a file\n");
  check_nothing_left(u);
  // The record ends failed with the reason (a Type=simple unit's record said
  // active before the pidfile was tried: supervisor.cc, up_once_spawned).
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(contains(status.out, "failed (Result: resources"));
  CHECK(contains(status.out, "start failed: cannot write pidfile"));

  // The lock was released: the fixed unit starts.
  u.rewrite("/bin/sleep 1000");
  pid_t pid = start_ok(u);
  CHECK(u.services() == std::vector<pid_t>{pid});
  RunResult stop = u.stop();
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("F9: a missing, non-executable or broken program fails the start synchronously", "[faults]") {
  TempDir dir;
  std::string program, message, extra;
  int code = 0;
  std::string ran = dir / "ran";
  SECTION("missing: 5") {
    program = dir / "no-such-program";
    code = 5;
    message = "No such file or directory";
  }
  SECTION("missing, with Restart=always: 5, and no restart loop") {
    program = dir / "no-such-program";
    extra = "Restart=always\nRestartSec=0\n";
    code = 5;
    message = "No such file or directory";
  }
  SECTION("a bare name not in the fixed PATH: 5, and a file of that name in WorkingDirectory= never runs") {
    program = "unitrun-f9-bare-name";
    write_file(dir / program, "#!/bin/sh\ntouch " + ran + "\nexec /bin/sleep 1000\n", 0755);
    extra = "WorkingDirectory=" + dir.path() + "\n";
    code = 5;
    message = "No such file or directory";
  }
  SECTION("mode 0644: 1, Permission denied") {
    program = dir / "not-executable";
    write_file(program, "#!/bin/sh\nexec /bin/sleep 1000\n", 0644);
    code = 1;
    message = "Permission denied";
  }
  SECTION("empty file with +x: 1, Exec format error") {
    program = dir / "empty";
    write_file(program, "", 0755);
    code = 1;
    message = "Exec format error";
  }
  TestUnit u(dir, "f9", program, {.extra = extra});
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == code);
  CHECK(contains(start.err, message));
  CHECK(contains(start.err, program));
  check_nothing_left(u);
  CHECK_FALSE(exists(ran));
}

TEST_CASE("F10: a bad WorkingDirectory= exits 1, an unknown User= exits 6", "[faults]") {
  TempDir dir;
  SECTION("WorkingDirectory=/nonexistent") {
    TestUnit u(dir, "f10wd", "/bin/sleep 1000", {.extra = "WorkingDirectory=/nonexistent\n"});
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(contains(start.err, "/nonexistent"));
    check_nothing_left(u);
  }
  SECTION("User=idontexist") {
    TestUnit u(dir, "f10user", "/bin/sleep 1000", {.extra = "User=idontexist\n"});
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 6);
    CHECK(contains(start.err, "idontexist"));
    check_nothing_left(u, false);
  }
}

TEST_CASE("F11: start under every RLIMIT_NOFILE from 3 to 32 starts cleanly or fails leaving nothing, never hangs",
          "[faults]") {
  // A monitor that could not open the fds to prove its service's processes
  // its own once left the service running untracked ("cannot write pidfile
  // ... Too many open files", the service still up under PID 1). Root raises
  // the monitor's own limit where it may (CAP_SYS_RESOURCE); either way, a
  // start that fails leaves nothing.
  TempDir dir;
  TestUnit u(dir, "f11", "/bin/sleep 1000");
  int failed = 0;
  bool largest_started = false;
  for (rlim_t limit = 3; limit <= 32; ++limit) {
    RunOptions opts;
    opts.nofile = limit;
    opts.timeout_ms = 20000;
    RunResult start = u.start(opts);
    INFO("RLIMIT_NOFILE=" << limit << ": " << start.describe());
    REQUIRE_FALSE(start.timed_out);
    CHECK_FALSE(start.output_held_open);
    if (limit == 32) largest_started = start.exit_code == 0;
    if (start.exit_code == 0) {
      auto pid = read_pidfile(u.pidfile());
      CHECK(pid);
      CHECK(u.services().size() == 1);
      RunResult stop = u.stop();
      INFO(stop.describe());
      CHECK(stop.exit_code == 0);
      CHECK(u.nothing_running());
    } else {
      ++failed;
      // Below 4 not even the dynamic loader runs (127); above, unitrun says why.
      if (start.exit_code != 127) {
        CHECK(start.exit_code == 1);
#ifndef UNITRUN_SANITIZED
        CHECK(start.err.find("Too many open files") != std::string::npos);
#endif
      }
      check_nothing_left(u);
    }
    kill_marked(u.marker());
  }
  // The clean-failure path really ran, and a modest limit is enough.
  CHECK(failed > 0);
  CHECK(largest_started);
  // Whatever happened, the unit works normally afterwards.
  pid_t pid = start_ok(u);
  CHECK(u.services() == std::vector<pid_t>{pid});
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("F12: a pidfile naming an unrelated live process is stale: nothing is signalled", "[faults]") {
  TempDir dir;
  TestUnit u(dir, "f12", "/bin/sleep 1000");
  SECTION("never started") {}
  SECTION("after a previous run") {
    start_ok(u);
    REQUIRE(u.stop().exit_code == 0);
  }
  // An unrelated sleep of another user, started by the test.
  ChildProcess unrelated(
      {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sleep", "1000"});
  REQUIRE(wait_until([&] { return proc_cmdline(unrelated.pid()) == "/bin/sleep 1000"; }, 5000));
  write_file(u.pidfile(), std::to_string(unrelated.pid()) + "\n", 0644);

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 1);

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(unrelated.alive());
  CHECK(proc_stat(unrelated.pid())->state == 'S');

  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  CHECK(*pid != unrelated.pid());
  CHECK(u.services() == std::vector<pid_t>{*pid});
  CHECK(u.stop().exit_code == 0);
  CHECK(unrelated.alive());

  // A process that counts what it gets: not even a SIGCONT reaches it.
  Canary counted;
  write_file(u.pidfile(), std::to_string(counted.pid()) + "\n", 0644);
  CHECK(u.status().exit_code == 1);
  CHECK(u.stop().exit_code == 0);
  CHECK(counted.alive());
  CHECK(counted.signals_received() == 0);
}

TEST_CASE("F12: a state record of a previous boot is stale: its PIDs are nobody's", "[faults]") {
  // The record names a live process as the orphaned service, as if the
  // monitor had been SIGKILLed; but it was written in another boot, where
  // that PID meant something else.
  TempDir dir;
  TestUnit u(dir, "f12boot", "/bin/sleep 1000");
  start_ok(u);
  REQUIRE(u.stop().exit_code == 0);
  std::string state_path;
  for (const std::string& f : u.runtime_files())
    if (f.size() > 6 && f.compare(f.size() - 6, 6, ".state") == 0) state_path = f;
  REQUIRE_FALSE(state_path.empty());
  // A session leader, so that everything else in the record fits it: only
  // the boot id tells it apart from the service the record describes.
  ChildProcess victim({"/usr/bin/setsid", "/bin/sleep", "1000"});
  REQUIRE(wait_until([&] { return proc_cmdline(victim.pid()) == "/bin/sleep 1000"; }, 5000));
  auto vs = proc_stat(victim.pid());
  REQUIRE(vs);
  REQUIRE(vs->sid == victim.pid());
  nlohmann::json j = nlohmann::json::parse(*read_file(state_path));
  j["boot_id"] = "00000000-0000-0000-0000-000000000000";
  j["sub_state"] = "running";
  j["main_pid"] = victim.pid();
  j["main_sid"] = victim.pid();
  j["main_start_time"] = vs->start_time;
  write_file(state_path, j.dump());
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);  // not "running without its monitor"
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  pid_t pid = start_ok(u);
  CHECK(u.services() == std::vector<pid_t>{pid});
  CHECK(u.stop().exit_code == 0);
  CHECK(victim.alive());
  CHECK(proc_stat(victim.pid())->state == 'S');  // not even stopped
}

// ---------------------------------------------------------------- the old monitor's crashes

TEST_CASE("a crash loop with RestartSec=0 and no start limit never overflows the monitor's stack, and stop ends it",
          "[faults][regression]") {
  // The old monitor started again from inside the failed start's stop
  // sequence (start_failed → begin_stop → ... → start_cycle → start_failed),
  // and a start that failed at once recursed until SIGSEGV. The script runs
  // once, deletes itself and exits 1: every later start fails at exec.
  TempDir dir;
  std::string script = dir / "once.sh";
  write_file(script, "#!/bin/sh\nrm -f \"$0\"\nexit 1\n", 0755);
  TestUnit u(dir, "crashloop", script,
             {.extra = "Restart=always\nRestartSec=0\n", .unit_section = "StartLimitIntervalSec=0\n"});
  RunResult start = u.start();
  INFO(start.describe());
  // The first start may see the script running or already gone: either the
  // start succeeded or it failed at once, like systemd's.
  if (start.exit_code != 0) {
    CHECK(start.exit_code == 1);
    CHECK(u.nothing_running());
    return;
  }
  // The monitor as its record names it (a child it is cloning right now
  // runs unitrun's image too, until its exec).
  pid_t monitor = parse_json(u.status_json().out).value("monitor_pid", 0);
  REQUIRE(monitor > 1);
  // Thousands of rounds in a few seconds; the monitor must live through them
  // and keep its record true.
  REQUIRE(wait_until(
      [&] {
        nlohmann::json j = parse_json(u.status_json().out);
        return j.value("restarts", 0) >= 200;
      },
      30000, 20));
  CHECK(alive(monitor));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(wait_exit(monitor, 10000));
  CHECK(u.nothing_running());
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);
  CHECK(status.out.find("pidfile is left") == std::string::npos);
}

TEST_CASE("ExecStopPost= after the main process died of a signal with no name (32): it runs, and learns EXIT_STATUS=32",
          "[faults][regression]") {
  // The old monitor built EXIT_STATUS with signal_name(32).substr(3) ("32")
  // and threw std::out_of_range out of its loop: ExecStopPost= never ran.
  TempDir dir;
  std::string seen = dir / "stoppost.env";
  TestUnit u(dir, "sig32", "/bin/sleep 1000",
             {.extra = "ExecStopPost=/bin/sh -c 'echo \"$EXIT_CODE $EXIT_STATUS $SERVICE_RESULT\" > " + seen + "'\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  REQUIRE(::kill(*pid, 32) == 0);
  REQUIRE(wait_exit(monitors[0], 10000));
  CHECK(read_file(seen) == std::string("killed 32 signal\n"));
  CHECK(u.nothing_running());
  nlohmann::json j = parse_json(u.status_json().out);
  INFO(j.dump(2));
  CHECK(j["active_state"] == "failed");
  CHECK(j["result"] == "signal");
}

TEST_CASE("a pidfile naming the unit's program run outside unitrun: start refuses naming it, status says so",
          "[faults]") {
  // nginx restarted by its own init script during an upgrade: the pidfile
  // names a live nginx master that unitrun did not start. The old start
  // deleted that pidfile and started a second copy beside it.
  TempDir dir;
  TestUnit u(dir, "outside", "/bin/sleep 1000");
  ChildProcess outsider({"/bin/sleep", "1000"});  // the same program, as the unit's user (root)
  REQUIRE(wait_until([&] { return proc_cmdline(outsider.pid()) == "/bin/sleep 1000"; }, 5000));
  std::string content = std::to_string(outsider.pid()) + "\n";
  write_file(u.pidfile(), content, 0644);

  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "names pid " + std::to_string(outsider.pid())));
  CHECK(read_file(u.pidfile()) == content);  // left as it was
  CHECK(u.services().empty());               // no second copy

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "running outside unitrun"));

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(outsider.alive());  // not ours to stop
  CHECK(proc_stat(outsider.pid())->state == 'S');
}
