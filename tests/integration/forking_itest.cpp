// Type=forking (the classic double-fork daemon that writes its own pidfile)
// and Type=oneshot (issue 4), and S2 / CVE-2018-16888: a pidfile that names
// anything outside the unit's tree is refused.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "supervision_util.h"

using namespace itest;
using namespace itest::sv;

namespace {

// ExecStart= of the classic daemon writing `pidfile` itself.
std::string daemon_cmd(const std::string& pidfile, const std::string& args = "") {
  return "/usr/bin/python3 " + helper("classic_daemon.py") + " " + pidfile + (args.empty() ? "" : " " + args);
}

UnitOptions forking(const std::string& pidfile, const std::string& extra = "") {
  UnitOptions o = opts("Type=forking\n" + extra);
  o.pidfile = pidfile;
  return o;
}

// The daemon's children (not zombies), by PID.
std::vector<pid_t> daemon_children(pid_t daemon) { return children_of(daemon); }

}  // namespace

TEST_CASE("Type=forking: the classic double-fork daemon is supervised through its own pidfile",
          "[supervision][forking]") {
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  TestUnit u(dir, "classic", daemon_cmd(pidfile, "--children 2"), forking(pidfile));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  REQUIRE(alive(*pid));
  CHECK(contains(start.out, "(pid " + std::to_string(*pid) + ")"));
  nlohmann::json j = status_json(u);
  CHECK(j["sub_state"] == "running");
  CHECK(j["main_pid"] == *pid);
  pid_t monitor = j["monitor_pid"].get<int>();
  // Re-parented to the subreaping monitor once the middle process exited.
  CHECK(wait_until([&] { return parent_of(*pid) == monitor; }, 5000));
  // The daemon, its two children, nothing else (the first processes exited).
  CHECK(wait_until([&] { return daemon_children(*pid).size() == 2; }, 5000));
  std::vector<pid_t> tree = u.services();
  CHECK(tree.size() == 3);

  // stop ends the whole tree, and the monitor removes the daemon's pidfile.
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  for (pid_t p : tree) CHECK_FALSE(alive(p));
  CHECK(u.processes().empty());
  CHECK_FALSE(exists(pidfile));
  CHECK(u.status().exit_code == 3);
}

TEST_CASE("Type=forking: start waits for a pidfile written 1 s late", "[supervision][forking]") {
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  TestUnit u(dir, "late", daemon_cmd(pidfile, "--pidfile-delay 1000"), forking(pidfile));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  CHECK(start.seconds >= 0.95);
  CHECK(start.seconds <= 10.0);
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  CHECK(status_json(u)["main_pid"] == *pid);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking with ExecStartPre=: the daemon starts (the pre command's reaping is no lost daemon)",
          "[supervision][forking][hooks]") {
  // The monitor has no child at all between the reaping of the last
  // ExecStartPre= and the spawn of the forking command; the supervisor once
  // took that moment for "every process is gone, no pidfile will come".
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  std::string order = dir / "order";
  TestUnit u(dir, "forkpre", daemon_cmd(pidfile),
             forking(pidfile, "ExecStartPre=/bin/sh -c \"echo pre >> " + order + "\"\n"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  CHECK(lines_of(order) == std::vector<std::string>{"pre"});
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  CHECK(status_json(u)["main_pid"] == *pid);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking: a daemon that creates its pidfile's directories itself is waited for",
          "[supervision][forking]") {
  TempDir dir;
  std::string pidfile = dir / "run/sub/daemon.pid";  // neither run/ nor run/sub exist yet
  TestUnit u(dir, "mkdirpid", daemon_cmd(pidfile, "--pidfile-delay 300 --make-dir"),
             forking(pidfile, "TimeoutStartSec=10\n"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  CHECK(start.seconds < 5.0);  // seen when written, not at the timeout
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  CHECK(status_json(u)["main_pid"] == *pid);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking: a pidfile never written fails the start at TimeoutStartSec, nothing left",
          "[supervision][forking]") {
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  TestUnit u(dir, "nopid", daemon_cmd(pidfile, "--no-pidfile"), forking(pidfile, "TimeoutStartSec=2\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(start.seconds >= 1.9);
  CHECK(start.seconds <= 20.0);
  check_nothing_left(u);
}

TEST_CASE("Type=forking: a first process that exits 1 fails the start, and the daemon it left is ended",
          "[supervision][forking]") {
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  TestUnit u(dir, "exit1", daemon_cmd(pidfile, "--first-exit 1"), forking(pidfile));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(start.seconds <= 20.0);
  check_nothing_left(u);
}

TEST_CASE("Type=forking: a stale pidfile naming a dead process is waited past until the daemon writes its own",
          "[supervision][forking]") {
  // "unitrun waits ... for the pidfile to name a live process of the
  // unit's tree" (issue 4). A pidfile left by a crash names a dead PID; the
  // new daemon replaces it 500 ms later. systemd does the same wait
  // (service_load_pid_file fails with ESRCH, then service_demand_pid_file).
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  REQUIRE(::waitpid(dead, nullptr, 0) == dead);
  write_file(pidfile, std::to_string(dead) + "\n");
  TestUnit u(dir, "stale", daemon_cmd(pidfile, "--pidfile-delay 500"), forking(pidfile, "TimeoutStartSec=10\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  CHECK(start.seconds < 10.0);
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  CHECK(*pid != dead);
  CHECK(alive(*pid));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking: a stale pidfile whose PID was reused by a stranger does not fail the start",
          "[supervision][forking][security]") {
  // Left by a crash, the pidfile now names an unrelated live process, and
  // the daemon writes its own only 500 ms after its first process exited.
  // The stranger must neither fail the start nor receive a signal.
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  Canary stranger;
  write_file(pidfile, std::to_string(stranger.pid()) + "\n");
  TestUnit u(dir, "reused", daemon_cmd(pidfile, "--pidfile-delay 500"), forking(pidfile, "TimeoutStartSec=10\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  CHECK(*pid != stranger.pid());
  CHECK(status_json(u)["main_pid"] == *pid);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
  CHECK(stranger.alive());
  CHECK(stranger.signals_received() == 0);
}

TEST_CASE("S2: a forking pidfile naming a process outside the unit's tree is refused and the start fails",
          "[supervision][forking][security][S2]") {
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  Canary outsider;  // a root process, as the attacker's target would be
  for (std::string victim : {std::string("1"), std::to_string(outsider.pid()), std::to_string(::getpid())}) {
    INFO("the pidfile names " << victim);
    TestUnit u(dir, "liar", daemon_cmd(pidfile, "--write-pid " + victim), forking(pidfile, "TimeoutStartSec=10\n"));
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(start.seconds < 10.0);  // refused at once, not timed out
    // PID 1 is not even a valid pidfile PID; the others are refused as strangers.
    CHECK(contains(start.err, "PIDFile " + pidfile));
    CHECK((contains(start.err, "refusing") || contains(start.err, "invalid content")));
    if (victim != "1") CHECK(contains(start.err, "refusing PID " + victim));
    check_nothing_left(u);
    CHECK(outsider.alive());
    CHECK(outsider.signals_received() == 0);
    remove_file(pidfile);
  }
}

TEST_CASE("S2: a pidfile of any owner or mode is accepted when it names a process of the unit's tree, as systemd",
          "[supervision][forking][security][S2]") {
  // systemd after CVE-2018-16888: what the file names decides, not who wrote
  // it (daemons that write it with umask 0, or as their own user while the
  // unit has no User=, are common: dnsmasq, pg_ctlcluster). A PID outside
  // the tree is still refused (the test above).
  TempDir dir;
  std::string run = dir.world_writable_subdir("run");
  SECTION("mode 0666, written by the service's user") {
    std::string pidfile = run + "/daemon.pid";
    TestUnit u(dir, "wwpid", daemon_cmd(pidfile, "--mode 0666"), forking(pidfile, "User=nobody\nTimeoutStartSec=10\n"));
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 0);
    auto pid = read_pidfile(pidfile);
    REQUIRE(pid);
    CHECK(status_json(u)["main_pid"] == *pid);
    CHECK(u.stop().exit_code == 0);
    CHECK(u.processes().empty());
  }
  SECTION("owned by another user than the unit's (no User=): the daemon dropped root before writing it") {
    std::string pidfile = run + "/dropped.pid";
    TestUnit u(dir, "dropped", daemon_cmd(pidfile, "--chown-pidfile nobody"), forking(pidfile, "TimeoutStartSec=10\n"));
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 0);
    struct stat st;
    REQUIRE(::stat(pidfile.c_str(), &st) == 0);
    CHECK(st.st_uid != 0);
    CHECK(u.stop().exit_code == 0);
    CHECK(u.processes().empty());
  }
}

TEST_CASE(
    "S2: the service rewrites its pidfile to name a root process: stop ends the real daemon, the root process lives",
    "[supervision][forking][security][S2]") {
  TempDir dir;
  std::string run = dir.world_writable_subdir("run");
  std::string pidfile = run + "/daemon.pid";
  Canary root_victim;
  TestUnit u(dir, "s2", daemon_cmd(pidfile, "--children 1"), forking(pidfile, "User=nobody\n"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  auto daemon = read_pidfile(pidfile);
  REQUIRE(daemon);
  struct stat st;
  REQUIRE(::stat(pidfile.c_str(), &st) == 0);
  struct passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody);
  CHECK(st.st_uid == nobody->pw_uid);  // the service wrote it
  // The middle process may outlive start's return by a moment: once it has
  // exited, the daemon is the monitor's, and the tree is the daemon and
  // its child.
  pid_t monitor = status_json(u)["monitor_pid"].get<int>();
  CHECK(wait_until([&] { return parent_of(*daemon) == monitor; }, 5000));
  std::vector<pid_t> tree = u.services();
  CHECK(tree.size() == 2);

  // "nobody" (the file is its own) now names root's process.
  write_file(pidfile, std::to_string(root_victim.pid()) + "\n", 0644);
  REQUIRE(::chown(pidfile.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);

  nlohmann::json j = status_json(u);
  CHECK(j["main_pid"] == *daemon);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  for (pid_t p : tree) CHECK_FALSE(alive(p));
  CHECK(u.processes().empty());
  CHECK(root_victim.alive());
  CHECK(root_victim.signals_received() == 0);
}

TEST_CASE("Type=forking: a SIGKILLed daemon is restarted under Restart=on-failure", "[supervision][forking][restart]") {
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  TestUnit u(dir, "fkrestart", daemon_cmd(pidfile), forking(pidfile, "Restart=on-failure\nRestartSec=200ms\n"));
  REQUIRE(u.start().exit_code == 0);
  auto first = read_pidfile(pidfile);
  REQUIRE(first);
  pid_t monitor = status_json(u)["monitor_pid"].get<int>();
  REQUIRE(wait_until([&] { return parent_of(*first) == monitor; }, 5000));
  REQUIRE(::kill(*first, SIGKILL) == 0);
  CHECK(wait_until(
      [&] {
        auto p = read_pidfile(pidfile);
        return p && *p != *first && alive(*p) && status_json(u)["sub_state"] == "running";
      },
      10000));
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(j["restarts"] == 1);
  CHECK(any_event(j, "main process " + std::to_string(*first) + " killed, signal=SIGKILL"));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking: a daemon whose pidfile was read before it was re-parented is still restarted after SIGKILL",
          "[supervision][forking][restart]") {
  // The middle process lingers 500 ms after the pidfile is written, so the
  // monitor adopts the daemon only later. By the time it is killed it is
  // the monitor's child, and its wait status (SIGKILL) must decide.
  TempDir dir;
  std::string pidfile = dir / "daemon.pid";
  TestUnit u(dir, "fkadopt", daemon_cmd(pidfile, "--hold-middle 500"),
             forking(pidfile, "Restart=on-failure\nRestartSec=200ms\n"));
  REQUIRE(u.start().exit_code == 0);
  auto first = read_pidfile(pidfile);
  REQUIRE(first);
  pid_t monitor = status_json(u)["monitor_pid"].get<int>();
  REQUIRE(wait_until([&] { return parent_of(*first) == monitor; }, 5000));
  REQUIRE(::kill(*first, SIGKILL) == 0);
  bool restarted = wait_until(
      [&] {
        auto p = read_pidfile(pidfile);
        return p && *p != *first && alive(*p) && status_json(u)["sub_state"] == "running";
      },
      10000);
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(restarted);
  CHECK(any_event(j, "main process " + std::to_string(*first) + " killed, signal=SIGKILL"));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

// ---------------------------------------------------------------- oneshot

TEST_CASE("Type=oneshot: start runs the commands to completion, in order", "[supervision][oneshot]") {
  TempDir dir;
  std::string out = dir / "out";
  UnitOptions o = opts("Type=oneshot\nExecStart=/bin/sh -c \"echo second >> " + out + "\"\n");
  TestUnit u(dir, "oneshot", "/bin/sh -c \"sleep 1; echo first >> " + out + "\"", o);
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  CHECK(start.seconds >= 0.95);
  CHECK(start.seconds <= 20.0);
  // Done when start returns.
  CHECK(read_file(out) == std::string("first\nsecond\n"));
  CHECK(u.processes().empty());
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);
  CHECK_FALSE(contains(status.out, "failed"));
}

TEST_CASE("Type=oneshot: a failing command fails the start, and the rest do not run", "[supervision][oneshot]") {
  TempDir dir;
  std::string out = dir / "out";
  UnitOptions o = opts("Type=oneshot\nExecStart=/bin/sh -c \"echo never >> " + out + "\"\n");
  TestUnit u(dir, "oneshotfail", "/bin/sh -c \"exit 4\"", o);
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "code=4"));
  CHECK_FALSE(exists(out));
  CHECK(u.processes().empty());
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);
  CHECK(contains(status.out, "failed"));
}

// ---------------------------------------------------------------- the trust issue's forking cases

TEST_CASE("Type=forking: a daemon that hands over to a new master (nginx's binary upgrade) stays supervised",
          "[supervision][forking]") {
  // USR2: the old master starts a new one, which writes the pidfile; QUIT
  // ends the old master. systemd reads PIDFile= again when the main process
  // exits; so must unitrun, not stop the whole service.
  TempDir dir;
  std::string pidfile = dir / "nginx.pid";
  TestUnit u(dir, "handover", daemon_cmd(pidfile, "--handover"), forking(pidfile, "Restart=on-failure\n"));
  pid_t old_master = start_ok(u);
  REQUIRE(::kill(old_master, SIGUSR2) == 0);
  pid_t new_master = 0;
  REQUIRE(wait_until(
      [&] {
        auto p = read_pidfile(pidfile);
        if (!p || *p == old_master || !alive(*p)) return false;
        new_master = *p;
        return true;
      },
      10000));
  REQUIRE(::kill(old_master, SIGQUIT) == 0);
  REQUIRE(wait_exit(old_master, 10000));
  REQUIRE(wait_until([&] { return status_json(u)["main_pid"] == new_master; }, 10000));
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(j["sub_state"] == "running");
  CHECK(j["restarts"] == 0);
  CHECK(alive(new_master));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking: '-' on ExecStart= accepts a forking command that exits non-zero, as systemd",
          "[supervision][forking]") {
  // postgresql@.service: ExecStart=-/usr/bin/pg_ctlcluster ... (a long
  // recovery makes pg_ctlcluster exit non-zero although the server runs).
  TempDir dir;
  std::string pidfile = dir / "pg.pid";
  TestUnit u(dir, "dashforking", "-" + daemon_cmd(pidfile, "--first-exit 1"), forking(pidfile));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  auto pid = read_pidfile(pidfile);
  REQUIRE(pid);
  CHECK(alive(*pid));
  CHECK(status_json(u)["main_pid"] == *pid);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("Type=forking: a start that leaves no process and no pidfile fails at once, even with TimeoutStartSec=0",
          "[supervision][forking]") {
  // The old monitor waited out TimeoutStartSec= (forever at 0, which
  // postgresql@.service sets) while status said activating with nothing
  // running.
  TempDir dir;
  std::string pidfile = dir / "none.pid";
  TestUnit u(dir, "nothingleft", "/bin/true", forking(pidfile, "TimeoutStartSec=0\n"));
  RunResult start = u.start(RunOptions{.timeout_ms = 20000});
  INFO(start.describe());
  CHECK_FALSE(start.timed_out);
  CHECK(start.exit_code == 1);
  CHECK(start.seconds < 10.0);
  CHECK(contains(start.err, "left no process"));
  CHECK(u.processes().empty());
}
