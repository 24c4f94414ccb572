// The private notify socket (issue 4): Type=notify readiness, STATUS=,
// ERRNO=, EXTEND_TIMEOUT_USEC=, RELOADING=/READY=, STOPPING=, MAINPID=,
// garbage datagrams, who is heard (only the unit's tree), and the service
// watchdog (WatchdogSec=, WATCHDOG=1, SIGABRT, Restart=).
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "supervision_util.h"

using namespace itest;
using namespace itest::sv;
using Clock = std::chrono::steady_clock;

namespace {

std::string notifier(const std::string& steps) { return helper("notifier") + " " + steps; }

const char* kNotify = "Type=notify\n";

}  // namespace

TEST_CASE("Type=notify: start returns only after READY=1, sent after 1 s", "[supervision][notify]") {
  TempDir dir;
  std::string env = dir / "env";
  TestUnit u(dir, "ready1s", notifier("env:" + env + " \"send:STATUS=warming up\" sleep:1000 send:READY=1"),
             opts(kNotify));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  CHECK(start.seconds >= 1.0);
  CHECK(start.seconds <= 10.0);
  auto kv = wait_kv(env);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  CHECK(std::to_string(*pid) == kv["PID"]);
  // Every service gets a socket of its own monitor, in the abstract namespace.
  CHECK(kv["NOTIFY_SOCKET"].rfind("@unitrun/", 0) == 0);
  // No WatchdogSec=: no watchdog variables.
  CHECK(kv["WATCHDOG_USEC"].empty());
  CHECK(kv["WATCHDOG_PID"].empty());
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "active (running)"));
}

TEST_CASE("STATUS=, ERRNO= and the time of READY=1 appear in status", "[supervision][notify]") {
  TempDir dir;
  TestUnit u(dir, "statusline",
             notifier("\"send:STATUS=loading the cache\" send:ERRNO=2 sleep:200 send:READY=1 sleep:200 "
                      "\"send:STATUS=serving 42 clients\""),
             opts(kNotify));
  start_ok(u);
  CHECK(wait_until([&] { return status_json(u)["status_text"] == "serving 42 clients"; }, 5000));
  RunResult status = u.status();
  INFO(status.out);
  CHECK(contains(status.out, "Status: \"serving 42 clients\""));
  CHECK(contains(status.out, "Error: 2 (No such file or directory)"));
  CHECK(contains(status.out, "Ready: "));
  nlohmann::json j = status_json(u);
  CHECK(j["status_text"] == "serving 42 clients");
  CHECK(any_event(j, "READY=1"));
  CHECK(any_event(j, "errno 2"));
}

TEST_CASE("Type=notify: a service that dies before READY=1 fails the start fast, says why, leaves nothing",
          "[supervision][notify]") {
  TempDir dir;
  std::string post = dir / "post";
  // A child of the service must go too.
  TestUnit u(dir, "diesearly",
             "/bin/sh -c \"/bin/sleep 1000 & exec " + helper("notifier") +
                 " 'stderr:fatal: cannot bind port 80' 'stderr:giving up' sleep:300 exit:3\"",
             opts(std::string(kNotify) + "ExecStopPost=/bin/sh -c \"echo $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS >> " +
                  post + "\"\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(start.seconds < 10.0);  // TimeoutStartSec= is 90 s: this is not the timeout
  CHECK(contains(start.err, "before it sent READY=1"));
  CHECK(contains(start.err, "code=3"));
  // The last lines of the service's stderr.
  CHECK(contains(start.err, "fatal: cannot bind port 80"));
  CHECK(contains(start.err, "giving up"));
  check_nothing_left(u);
  // ExecStopPost= ran, and knew how the service ended.
  CHECK(read_file(post) == std::string("exit-code exited 3\n"));
}

TEST_CASE("Type=notify: a failed start quotes the StandardError= file when stderr has its own",
          "[supervision][notify]") {
  TempDir dir;
  std::string err = dir / "stderr.log";
  TestUnit u(dir, "stderrfile",
             helper("notifier") + " 'stdout:just chatter' 'stderr:config error on line 3' sleep:200 exit:1",
             opts(std::string(kNotify) + "StandardError=append:" + err + "\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "config error on line 3"));
  CHECK_FALSE(contains(start.err, "just chatter"));
  CHECK(read_file(u.log()) == std::string("just chatter\n"));
  check_nothing_left(u);
}

TEST_CASE("Type=notify: TimeoutStartSec= without READY=1 fails the start and leaves nothing", "[supervision][notify]") {
  TempDir dir;
  TestUnit u(dir, "noready", "/bin/sh -c \"/bin/sleep 1000 & exec " + helper("notifier") + " 'stderr:still loading'\"",
             opts(std::string(kNotify) + "TimeoutStartSec=2\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(start.seconds >= 1.9);
  CHECK(start.seconds <= 20.0);
  CHECK(contains(start.err, "timed out"));
  CHECK(contains(start.err, "still loading"));
  check_nothing_left(u);
  CHECK(contains(u.status().out, "Result: timeout"));
}

TEST_CASE("EXTEND_TIMEOUT_USEC= extends the wait for READY=1, by as much as it says", "[supervision][notify]") {
  TempDir dir;
  SECTION("extended past the moment READY=1 comes: the start succeeds") {
    TestUnit u(dir, "extend", notifier("sleep:100 send:EXTEND_TIMEOUT_USEC=4000000 sleep:2500 send:READY=1"),
               opts(std::string(kNotify) + "TimeoutStartSec=1\n"));
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 0);
    CHECK(start.seconds >= 2.5);
    CHECK(start.seconds <= 10.0);
  }
  SECTION("extended by 2 s, READY=1 never comes: the start fails after about 2 s, not 1 s") {
    TestUnit u(dir, "extend", notifier("sleep:100 send:EXTEND_TIMEOUT_USEC=2000000"),
               opts(std::string(kNotify) + "TimeoutStartSec=1\n"));
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(start.seconds >= 1.9);
    CHECK(start.seconds <= 10.0);
    check_nothing_left(u);
  }
}

TEST_CASE("garbage, empty, oversized and malformed datagrams are ignored, never a crash", "[supervision][notify]") {
  TempDir dir;
  // READY=0, READY=<8 KiB of 1s> (truncated) and friends must not count as
  // READY=1: the service sends them, then a sentinel (ERRNO=1), and only
  // once the monitor has read that sentinel, and so everything before it,
  // does the test let the real READY=1 go.
  std::string env = dir / "env";
  TestUnit u(dir, "garbage",
             notifier("env:" + env +
                      " empty garbage flood:3000 empty usr1:ERRNO=1 usr1:READY=1 flood:5000 garbage "
                      "\"send:STATUS=still fine\" usr1:ERRNO=2"),
             opts(kNotify));
  Running start = u.spawn_verb("start");
  pid_t pid = std::stoi(wait_kv(env)["PID"]);
  nlohmann::json j = sentinel(u, pid, 1);
  INFO(j.dump(2));
  CHECK(j["active_state"] == "activating");
  CHECK_FALSE(any_event(j, "READY=1"));
  CHECK_FALSE(wait_exit(start.pid(), 0));  // the start still waits
  REQUIRE(::kill(pid, SIGUSR1) == 0);      // the real READY=1
  RunResult started = start.wait();
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE(read_pidfile(u.pidfile()) == pid);
  pid_t monitor = parent_of(pid);
  CHECK(wait_until([&] { return status_json(u)["status_text"] == "still fine"; }, 10000));
  CHECK(alive(monitor));
  // MAINPID=garbage and MAINPID=-5 changed nothing.
  CHECK(status_json(u)["main_pid"] == pid);
  // From outside the tree too (the test process): ignored, no harm. The
  // service's sentinel follows the forged datagrams: once the monitor has
  // read it, it has read them.
  std::string address = read_kv(env)["NOTIFY_SOCKET"];
  REQUIRE_FALSE(address.empty());
  for (int i = 0; i < 1000; ++i) notify_send(address, i % 2 ? "" : std::string("\0\xff=junk\n", 8));
  CHECK(notify_send(address, "READY=1\nSTATUS=forged"));
  j = sentinel(u, pid, 2);
  INFO(j.dump(2));
  CHECK(alive(monitor));
  CHECK(j["status_text"] == "still fine");
  CHECK(j["main_pid"] == pid);
  CHECK(j["sub_state"] == "running");
  CHECK_FALSE(any_event(j, "READY=1 from pid " + std::to_string(::getpid())));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("only the unit's own processes are heard on its notify socket", "[supervision][notify][credentials]") {
  TempDir dir;
  SECTION("READY=1, STATUS= and MAINPID= from outside the tree are ignored") {
    std::string env = dir / "env";
    Canary outsider;
    // The service speaks only when the test asks: a sentinel (ERRNO=) after
    // each round of forged datagrams, then READY=1.
    std::string steps = "env:" + env;
    for (int i = 1; i <= 5; ++i) steps += " usr1:ERRNO=" + std::to_string(i);
    TestUnit u(dir, "outside", notifier(steps + " usr1:READY=1"), opts(kNotify));
    Running start = u.spawn_verb("start");
    auto kv = wait_kv(env);
    std::string address = kv["NOTIFY_SOCKET"];
    REQUIRE_FALSE(address.empty());
    pid_t pid = std::stoi(kv["PID"]);
    std::string forged_ready = "READY=1 from pid " + std::to_string(::getpid());
    for (int i = 1; i <= 5; ++i) {
      CHECK(notify_send(address, "READY=1"));
      CHECK(notify_send(address, "STATUS=forged\nMAINPID=" + std::to_string(outsider.pid())));
      // The monitor has read both: they changed nothing.
      nlohmann::json j = sentinel(u, pid, i);
      INFO("round " << i << ": " << j.dump(2));
      CHECK(j["active_state"] == "activating");
      CHECK(j["status_text"] != "forged");
      CHECK(j["main_pid"] == pid);
      CHECK_FALSE(any_event(j, forged_ready));
      CHECK_FALSE(wait_exit(start.pid(), 0));  // the start still waits
    }
    REQUIRE(::kill(pid, SIGUSR1) == 0);  // the service's own READY=1
    RunResult r = start.wait();
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    nlohmann::json j = status_json(u);
    CHECK(j["status_text"] != "forged");
    CHECK(j["main_pid"] == pid);
    CHECK(any_event(j, "READY=1 from pid " + std::to_string(pid)));
    CHECK(u.stop().exit_code == 0);
    CHECK(outsider.alive());
    CHECK(outsider.signals_received() == 0);
  }
  SECTION("READY=1 from a child of the service is ignored by default (NotifyAccess=main), as systemd ignores it") {
    // The child's READY=1 (it has exited when the next step runs), then the
    // main process's sentinel: once the monitor has read the sentinel, it
    // has read the child's datagram, and the start must still be waiting.
    std::string env = dir / "env";
    TestUnit u(dir, "childmain", notifier("env:" + env + " child-send:READY=1 usr1:ERRNO=1 usr1:READY=1"),
               opts(kNotify));
    Running start = u.spawn_verb("start");
    pid_t pid = std::stoi(wait_kv(env)["PID"]);
    nlohmann::json j = sentinel(u, pid, 1);
    INFO(j.dump(2));
    CHECK(j["active_state"] == "activating");
    CHECK_FALSE(any_event(j, "READY=1"));
    CHECK_FALSE(wait_exit(start.pid(), 0));  // the start still waits
    REQUIRE(::kill(pid, SIGUSR1) == 0);      // the main process's own READY=1 counts
    RunResult r = start.wait();
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK(any_event(status_json(u), "READY=1 from pid " + std::to_string(pid)));
    CHECK(u.stop().exit_code == 0);
    CHECK(u.processes().empty());
  }
  SECTION("READY=1 from a child of the service counts with NotifyAccess=all") {
    // The child lingers after sending: sd_notify(3) only promises that a
    // message is attributed while its sender still exists.
    TestUnit u(dir, "child", notifier("sleep:500 child-send:READY=1"),
               opts(std::string(kNotify) + "NotifyAccess=all\n"));
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 0);
    CHECK(start.seconds >= 0.5);
    CHECK(start.seconds <= 10.0);
    CHECK(u.stop().exit_code == 0);
  }
}

TEST_CASE("MAINPID= is accepted only for a process of the unit's tree", "[supervision][notify][mainpid]") {
  TempDir dir;
  SECTION("a child of the service becomes the main process, and the pidfile follows") {
    std::string env = dir / "env";
    // NotifyAccess=all: once MAINPID= named its child, the notifier is no
    // longer the main process, and its READY=1 would not count under main.
    TestUnit u(dir, "mainpid", notifier("env:" + env + " fork-mainpid sleep:200 send:READY=1"),
               opts(std::string(kNotify) + "NotifyAccess=all\n"));
    start_ok(u);
    pid_t notifier_pid = std::stoi(wait_kv(env)["PID"]);
    std::vector<pid_t> kids = children_of(notifier_pid);
    REQUIRE(kids.size() == 1);
    CHECK(wait_until([&] { return read_pidfile(u.pidfile()) == kids[0]; }, 5000));
    CHECK(status_json(u)["main_pid"] == kids[0]);
    CHECK(alive(notifier_pid));
    CHECK(u.stop().exit_code == 0);
    CHECK(u.processes().empty());
  }
  SECTION("a pidfile that cannot follow MAINPID= is said; the record names the new main process") {
    std::string env = dir / "env", go = dir / "go";
    TestUnit u(dir, "mainpidpf", notifier("env:" + env + " send:READY=1 wait-file:" + go + " fork-mainpid"),
               opts(std::string(kNotify) + "NotifyAccess=all\n"));
    start_ok(u);
    pid_t notifier_pid = std::stoi(wait_kv(env)["PID"]);
    // The pidfile becomes a directory with a file in it: no rename replaces it.
    REQUIRE(::unlink(u.pidfile().c_str()) == 0);
    REQUIRE(::mkdir(u.pidfile().c_str(), 0755) == 0);
    write_file(u.pidfile() + "/keep", "");
    write_file(go, "");
    CHECK(wait_until([&] { return any_event(status_json(u), "cannot write the pidfile for main PID"); }, 10000));
    nlohmann::json s = status_json(u);
    std::vector<pid_t> kids = children_of(notifier_pid);
    REQUIRE(kids.size() == 1);
    CHECK(s["main_pid"] == kids[0]);
    CHECK(s["active_state"] == "active");
    CHECK(u.stop().exit_code == 0);
    CHECK(u.processes().empty());
    ::unlink((u.pidfile() + "/keep").c_str());
    ::rmdir(u.pidfile().c_str());
  }
  SECTION("MAINPID=1, a nonexistent PID and a PID outside the tree are ignored") {
    Canary outsider;
    // The service's READY=1 follows its MAINPID= datagrams on the same
    // socket, which is read in order: once start has returned, the monitor
    // has read them all, and adopting a main process is done as it reads.
    TestUnit u(dir, "mainpid",
               notifier("mainpid:1 mainpid:0 mainpid:4194304 mainpid:999999999 mainpid:" +
                        std::to_string(outsider.pid()) + " send:READY=1"),
               opts(kNotify));
    pid_t pid = start_ok(u);
    CHECK_FALSE(any_event(status_json(u), "MAINPID="));
    CHECK(read_pidfile(u.pidfile()) == pid);
    CHECK(status_json(u)["main_pid"] == pid);
    CHECK(u.stop().exit_code == 0);
    CHECK(outsider.alive());
    CHECK(outsider.signals_received() == 0);
    CHECK(u.processes().empty());
  }
}

TEST_CASE(
    "NOTIFY_SOCKET as systemd gives it: a Type=simple service with NotifyAccess=main reports STATUS=, without it has "
    "none",
    "[supervision][notify]") {
  TempDir dir;
  std::string env = dir / "env";
  TestUnit u(dir, "simplestatus", notifier("env:" + env + " \"send:STATUS=simple and fine\""),
             opts("NotifyAccess=main\n"));
  start_ok(u);
  auto kv = wait_kv(env);
  CHECK(kv["NOTIFY_SOCKET"].rfind("@unitrun/", 0) == 0);
  CHECK(wait_until([&] { return status_json(u)["status_text"] == "simple and fine"; }, 5000));
  CHECK(u.stop().exit_code == 0);

  // systemd.service(5): NotifyAccess= defaults to none for a simple service
  // without WatchdogSec=, and then NOTIFY_SOCKET is not set at all.
  std::string env2 = dir / "env2";
  TestUnit plain(dir, "simplenone", notifier("env:" + env2));
  start_ok(plain);
  auto kv2 = wait_kv(env2);
  CHECK(kv2["NOTIFY_SOCKET"].empty());
  CHECK(plain.stop().exit_code == 0);
}

TEST_CASE("STOPPING=1 is tracked", "[supervision][notify]") {
  TempDir dir;
  TestUnit u(dir, "stopping", notifier("on-term:stopping:300 send:READY=1"), opts(kNotify));
  start_ok(u);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(any_event(j, "STOPPING=1"));
  CHECK(j["status_text"] == "shutting down");
}

TEST_CASE("the last words of a service that exits right after sending them are heard (STATUS=, STOPPING=1)",
          "[supervision][notify]") {
  // sd_notify("STOPPING=1") immediately followed by exit() is the common
  // pattern; systemd reads pending notifications before it reaps (manager.c
  // gives the notify event source priority over SIGCHLD) so the sender can
  // still be identified. Five tries: each must be heard.
  TempDir dir;
  for (int i = 0; i < 5; ++i) {
    TestUnit u(dir, "lastwords", notifier("on-term:stopping send:READY=1"), opts(kNotify));
    start_ok(u);
    CHECK(u.stop().exit_code == 0);
    nlohmann::json j = status_json(u);
    INFO("try " << i << ": " << j.dump(2));
    CHECK(any_event(j, "STOPPING=1"));
    CHECK(j["status_text"] == "shutting down");
  }
}

TEST_CASE("RELOADING=1 ... READY=1 is tracked: status shows reloading in between", "[supervision][notify][reload]") {
  TempDir dir;
  std::string hups = dir / "hups";
  // The service stays between RELOADING=1 and READY=1 until the test has
  // seen "reloading" and sends it SIGUSR1: no window to catch in time.
  TestUnit u(dir, "reloading", notifier("hup-log:" + hups + " reload-usr1 send:READY=1"),
             opts(std::string(kNotify) + "ExecReload=/bin/kill -HUP $MAINPID\n"));
  pid_t pid = start_ok(u);
  RunResult reload = u.verb("reload");
  INFO(reload.describe());
  CHECK(reload.exit_code == 0);
  REQUIRE(wait_until([&] { return status_json(u)["active_state"] == "reloading"; }, 10000));
  REQUIRE(::kill(pid, SIGUSR1) == 0);
  CHECK(wait_until([&] { return status_json(u)["sub_state"] == "running"; }, 10000));
  CHECK(read_file(hups) == std::string("HUP\n"));
  CHECK(read_pidfile(u.pidfile()) == pid);
  CHECK(status_json(u)["restarts"] == 0);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("RELOADING=1 without READY=1 ends after TimeoutStartSec=: back to running, a waiting reload fails",
          "[supervision][notify][reload]") {
  TempDir dir;
  TestUnit u(dir, "stuckreload", notifier("send:READY=1 sleep:300 send:RELOADING=1"),
             opts(std::string(kNotify) + "TimeoutStartSec=2\n"));
  pid_t pid = start_ok(u);
  REQUIRE(wait_until([&] { return status_json(u)["active_state"] == "reloading"; }, 5000, 20));
  // A reload asked for now joins the one in progress, and learns how it ended.
  RunResult reload = u.verb("reload");
  INFO(reload.describe());
  CHECK(reload.exit_code == 1);
  CHECK(reload.seconds < 10.0);
  CHECK(contains(reload.err, "no READY=1"));
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(j["sub_state"] == "running");
  CHECK(j["main_pid"] == pid);
  CHECK(any_event(j, "reload timed out without READY=1"));
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE(
    "the shipped Type=notify example: start waits for its warm-up, status shows its STATUS=, reload and stop work",
    "[supervision][notify][example]") {
  TempDir dir;
  TestUnit u(
      dir, "cachewarmer", "/usr/bin/python3 " UNITRUN_SOURCE_DIR "/units/cache-warmer.py",
      opts(std::string(kNotify) +
           "Environment=WARMER_STEPS=4 WARMER_STEP_SECONDS=0.3\nWatchdogSec=2\nExecReload=/bin/kill -HUP $MAINPID\n"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  CHECK(start.seconds >= 1.1);  // 4 blocks of 0.3 s before READY=1
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(j["sub_state"] == "running");
  CHECK(contains(j["status_text"].get<std::string>(), "serving"));
  CHECK(j["ready_usec"].get<uint64_t>() > 0);
  CHECK(u.verb("reload").exit_code == 0);
  // It pings its watchdog once a second (half of WatchdogSec=2), through
  // the reload too, and reports every tenth request in STATUS=, sent after
  // that request's ping: once status shows 10 requests the monitor has
  // read ten pings over about 9 s, and a missed one would be a restart.
  CHECK(wait_until([&] { return status_json(u)["status_text"] == "serving: 10 requests"; }, 30000));
  j = status_json(u);
  INFO(j.dump(2));
  CHECK(j["sub_state"] == "running");
  CHECK(j["restarts"] == 0);
  CHECK_FALSE(any_event(j, "watchdog"));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
  CHECK(contains(read_file(u.log()).value_or(""), "stopping after"));
}

// ---------------------------------------------------------------- watchdog

TEST_CASE(
    "WatchdogSec=: WATCHDOG_USEC and WATCHDOG_PID, a service that stops pinging is killed with SIGABRT and restarted",
    "[supervision][notify][watchdog]") {
  TempDir dir;
  std::string env = dir / "env";
  TestUnit u(dir, "watchdog", notifier("env:" + env + " send:READY=1 ping:4:300"),
             opts(std::string(kNotify) + "WatchdogSec=1\nRestart=on-watchdog\nLimitCORE=0\n"));
  Clock::time_point t0 = Clock::now();
  pid_t first = start_ok(u);
  auto kv = wait_kv(env);
  CHECK(kv["WATCHDOG_USEC"] == "1000000");
  CHECK(kv["WATCHDOG_PID"] == std::to_string(first));

  pid_t second = 0;
  bool restarted = wait_until(
      [&] {
        auto p = read_pidfile(u.pidfile());
        if (!p || *p == first || !alive(*p)) return false;
        second = *p;
        return true;
      },
      15000);
  double after = seconds_since(t0);
  INFO("restarted after " << after << " s");
  REQUIRE(restarted);
  // Four pings 300 ms apart keep it alive for ~1.2 s, then 1 s of silence.
  CHECK(after >= 1.9);
  CHECK(after <= 15.0);
  CHECK_FALSE(alive(first));
  nlohmann::json j = status_json(u);
  CHECK(j["restarts"].get<int>() >= 1);
  CHECK(j["last_exit_signal"] == SIGABRT);
  CHECK(any_event(j, "watchdog"));
  // The new process got its own WATCHDOG_PID.
  CHECK(wait_until([&] { return read_kv(env)["PID"] == std::to_string(second); }, 5000));
  CHECK(read_kv(env)["WATCHDOG_PID"] == std::to_string(second));
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE(
    "WatchdogSec=: a hung service that ignores SIGABRT gets FinalKillSignal after TimeoutStopSec, then Restart= "
    "decides",
    "[supervision][notify][watchdog]") {
  TempDir dir;
  // SIG_IGN survives exec: the sleep ignores SIGABRT, and never pings.
  TestUnit u(dir, "wdignore", "/bin/sh -c \"trap '' ABRT; exec /bin/sleep 1000\"",
             opts("WatchdogSec=1\nTimeoutStopSec=1\nRestart=on-watchdog\nLimitCORE=0\n"));
  Clock::time_point t0 = Clock::now();
  pid_t first = start_ok(u);
  pid_t second = 0;
  bool restarted = wait_until(
      [&] {
        auto p = read_pidfile(u.pidfile());
        if (!p || *p == first || !alive(*p)) return false;
        second = *p;
        return true;
      },
      15000);
  double after = seconds_since(t0);
  INFO("restarted after " << after << " s");
  REQUIRE(restarted);
  CHECK(after >= 1.9);  // 1 s of silence, then 1 s of ignored SIGABRT
  CHECK_FALSE(alive(first));
  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(any_event(j, "watchdog timeout"));
  CHECK(any_event(j, "did not stop within 1s of SIGABRT; sending SIGKILL"));
  CHECK(any_event(j, "main process " + std::to_string(first) + " killed, signal=SIGKILL"));
  CHECK(j["restarts"].get<int>() >= 1);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.processes().empty());
}

TEST_CASE("WatchdogSec=: a service that keeps pinging is never killed", "[supervision][notify][watchdog]") {
  TempDir dir;
  // 14 pings 250 ms apart span 3.5 watchdog periods; the STATUS= after
  // them tells the test that the monitor has read them all (datagrams on
  // one socket are read in order). A missed ping would show as a restart.
  TestUnit u(dir, "pinger", notifier("send:READY=1 ping:14:250 \"send:STATUS=pinged 14 times\" ping:0:250"),
             opts(std::string(kNotify) + "WatchdogSec=1\nRestart=always\n"));
  pid_t pid = start_ok(u);
  REQUIRE(wait_until([&] { return status_json(u)["status_text"] == "pinged 14 times"; }, 30000));
  CHECK(alive(pid));
  CHECK(read_pidfile(u.pidfile()) == pid);
  CHECK(status_json(u)["restarts"] == 0);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE(
    "a watchdog kill and Restart=: on-watchdog, on-failure, on-abnormal and always restart, on-abort and no do not",
    "[supervision][notify][watchdog]") {
  struct Row {
    const char* restart;
    bool restarts;
  };
  const std::vector<Row> rows = {{"on-watchdog", true}, {"on-failure", true}, {"on-abnormal", true},
                                 {"always", true},      {"on-abort", false},  {"no", false}};
  TempDir dir;
  for (const Row& row : rows) {
    INFO("Restart=" << row.restart);
    TestUnit u(dir, "wdpolicy", notifier("send:READY=1"),
               opts(std::string(kNotify) + "WatchdogSec=500ms\nLimitCORE=0\nRestart=" + row.restart + "\n"));
    pid_t first = start_ok(u);
    if (row.restarts) {
      CHECK(wait_until(
          [&] {
            auto p = read_pidfile(u.pidfile());
            return p && *p != first && alive(*p);
          },
          10000));
      CHECK(u.stop().exit_code == 0);
    } else {
      CHECK(wait_unit_down(u) == 3);
      RunResult status = u.status();
      INFO(status.describe());
      CHECK(contains(status.out, "failed (Result: watchdog"));
      CHECK(status_json(u)["last_exit_signal"] == SIGABRT);
    }
    CHECK(u.processes().empty());
  }
}

TEST_CASE("stop during a start that waits for READY=1 cancels it at once", "[supervision][notify][lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "cancel", notifier("sleep:600000"), opts(std::string(kNotify) + "TimeoutStartSec=60\n"));
  Running start = u.spawn_verb("start");
  REQUIRE(wait_until([&] { return status_json(u)["active_state"] == "activating" && u.services().size() == 1; }, 10000,
                     20));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 10.0);  // not TimeoutStartSec=60
  CHECK(contains(stop.out, "cancelling the start of " + u.name()));
  RunResult started = start.wait();
  INFO(started.describe());
  CHECK(started.exit_code == 1);
  CHECK(contains(started.err, "start cancelled"));
  CHECK(u.nothing_running());
  CHECK(u.status().exit_code == 3);
}

TEST_CASE("status never hands the service's control characters to the terminal: STATUS=, argv and log lines escaped",
          "[supervision][notify][security]") {
  TempDir dir;
  std::string out = dir / "esc.log";
  // "\x1b" in the unit file is systemd's C escape: the service really gets ESC.
  TestUnit u(dir, "esc",
             notifier("\"send:STATUS=\\x1b]0;owned\\x07\\x1b[2Jcleared\" send:READY=1 \"stdout:arg\\x1b[31mred\""),
             opts(std::string(kNotify) + "StandardOutput=append:" + out + "\n", ""));
  start_ok(u);
  RunResult status = u.status();
  INFO(status.describe());
  REQUIRE(status.exit_code == 0);
  CHECK(status.out.find('\x1b') == std::string::npos);
  CHECK(status.out.find('\x07') == std::string::npos);
  CHECK(contains(status.out, "\\x1b]0;owned\\x07\\x1b[2Jcleared"));
  CHECK(contains(status.out, "stdout:arg\\x1b[31mred"));  // its command line
  REQUIRE(wait_until([&] { return contains(read_file(out).value_or(""), "arg"); }, 5000));
  status = u.status();
  CHECK(status.out.find('\x1b') == std::string::npos);
  CHECK(contains(status.out, "  arg\\x1b[31mred"));  // its log line
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("the daemonized monitor's process title is `unitrun monitor NAME`", "[supervision][lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "title", "/bin/sleep 1000");
  pid_t pid = start_ok(u);
  auto s = proc_stat(pid);
  REQUIRE(s);
  CHECK(proc_cmdline(s->ppid) == "unitrun monitor " + u.name());
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("status shows Ready: only for the run that is up, not a previous run's across a restart",
          "[supervision][notify]") {
  TempDir dir;
  TestUnit u(dir, "staleready", notifier("send:READY=1 sleep:300 exit:1"),
             opts(std::string(kNotify) + "Restart=on-failure\nRestartSec=2\n"));
  start_ok(u);
  // Between the runs (auto-restart, for 2 s) there is no Ready: line.
  REQUIRE(wait_until([&] { return status_json(u)["sub_state"] == "auto-restart"; }, 10000, 10));
  RunResult status = u.status();
  INFO(status.describe());
  CHECK_FALSE(contains(status.out, "Ready: "));
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE(
    "KillMode=mixed with a main process that is not the monitor's child (MAINPID=): stop does not wait out the timeout",
    "[supervision][notify][killmode]") {
  // The new main process is the notifier's child; the notifier lives on.
  // Once the main process is gone (its pidfd says so), the rest get
  // SIGKILL at once: the old monitor only looked again at the next SIGCHLD,
  // which never came, and waited the whole TimeoutStopSec=.
  TempDir dir;
  TestUnit u(dir, "mixedforeign", notifier("fork-mainpid send:READY=1"),
             opts(std::string(kNotify) + "KillMode=mixed\nTimeoutStopSec=30\nNotifyAccess=all\n"));
  start_ok(u);
  REQUIRE(wait_until([&] { return u.services().size() == 2; }, 5000));
  nlohmann::json j = status_json(u);
  pid_t main_pid = j["main_pid"];
  auto st = proc_stat(main_pid);
  REQUIRE(st);
  REQUIRE(st->ppid != j["monitor_pid"].get<int>());  // not the monitor's child
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 10.0);
  CHECK(u.processes().empty());
}

TEST_CASE("a stranger's notify flood (uid nobody) changes nothing and NotifyAccess=all still hears the unit's children",
          "[supervision][notify][security]") {
  TempDir dir;
  std::string env = dir / "env", go = dir / "go";
  // Children of the main process speak (NotifyAccess=all): READY=1 first,
  // then, once the flood is over, a last STATUS=.
  TestUnit u(dir, "flood",
             notifier("env:" + env + " \"child-send:STATUS=from a child\\nREADY=1\" wait-file:" + go +
                      " \"child-send:STATUS=after the flood\""),
             opts(std::string(kNotify) + "NotifyAccess=all\nTimeoutStartSec=60\n"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  pid_t pid = *read_pidfile(u.pidfile());
  pid_t monitor = parent_of(pid);
  REQUIRE(wait_until([&] { return status_json(u)["status_text"] == "from a child"; }, 10000));
  std::string address = wait_kv(env)["NOTIFY_SOCKET"];
  REQUIRE_FALSE(address.empty());

  // Another user floods the socket with everything a datagram can ask for.
  pid_t stranger = ::fork();
  REQUIRE(stranger >= 0);
  if (stranger == 0) {
    if (::setgroups(0, nullptr) < 0 || ::setresgid(65534, 65534, 65534) < 0 || ::setresuid(65534, 65534, 65534) < 0)
      ::_exit(2);
    int refused = 0;
    for (int i = 0; i < 20000; ++i) {
      const char* text = i % 3 == 0   ? "STATUS=owned\nSTOPPING=1\nWATCHDOG=trigger"
                         : i % 3 == 1 ? "MAINPID=1\nERRNO=13\nRELOADING=1"
                                      : "READY=1\nEXTEND_TIMEOUT_USEC=1";
      if (!notify_send(address, text)) ++refused;
    }
    ::_exit(refused == 20000 ? 3 : 0);  // 3: the kernel refused every one (no flood was tested)
  }
  int status = 0;
  REQUIRE(::waitpid(stranger, &status, 0) == stranger);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  nlohmann::json j = status_json(u);
  INFO(j.dump(2));
  CHECK(alive(monitor));
  CHECK(alive(pid));
  CHECK(j["sub_state"] == "running");
  CHECK(j["main_pid"] == pid);
  CHECK(j["status_text"] == "from a child");
  CHECK(j["service_errno"] == 0);
  CHECK(status_code(u) == 0);
  // The unit's own processes are still heard, flood or not.
  write_file(go, "");
  CHECK(wait_until([&] { return status_json(u)["status_text"] == "after the flood"; }, 10000));
  CHECK(status_json(u)["sub_state"] == "running");
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}
