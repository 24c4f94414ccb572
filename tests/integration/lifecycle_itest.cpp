// start, stop, restart and status end to end: what they print, their exit
// codes, the pidfile, the state they leave behind; ExecStop=, KillMode=,
// zombie reaping.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "supervision_util.h"
#include "support.h"

using namespace itest;

namespace {

size_t lines_in(const std::string& path) {
  std::string text = read_file(path).value_or("");
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// "started NAME (pid N)\n" → N; fails the test on anything else.
pid_t started_pid(const RunResult& r, const std::string& name) {
  std::smatch m;
  std::regex re("started " + name + " \\(pid ([0-9]+)\\)\n");
  INFO(r.describe());
  REQUIRE(std::regex_match(r.out, m, re));
  return static_cast<pid_t>(std::stol(m[1]));
}

pid_t parent_of(pid_t pid) {
  auto s = proc_stat(pid);
  REQUIRE(s);
  return s->ppid;
}

}  // namespace

TEST_CASE("start runs the service and writes its pidfile - status and stop follow", "[lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "basic", "/bin/sleep 1000");

  RunResult started = u.start();
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  REQUIRE_FALSE(started.output_held_open);
  pid_t main_pid = started_pid(started, u.name());

  // The pidfile: the main PID and a newline, mode 0644.
  REQUIRE(read_file(u.pidfile()) == std::to_string(main_pid) + "\n");
  CHECK(file_mode(u.pidfile()) == 0644);
  REQUIRE(alive(main_pid));
  // start returns once the exec succeeded (the close-on-exec pipe closed),
  // which may be a moment before the kernel has set the new image's
  // arguments: /proc/PID/cmdline reads empty until then.
  CHECK(wait_until([&] { return !proc_cmdline(main_pid).empty(); }, 5000));
  CHECK(proc_cmdline(main_pid) == "/bin/sleep 1000");
  REQUIRE(u.services() == std::vector<pid_t>{main_pid});
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  pid_t monitor = monitors[0];
  CHECK(parent_of(main_pid) == monitor);

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("active (running)") != std::string::npos);
  CHECK(status.out.find(std::to_string(main_pid)) != std::string::npos);

  RunResult js = u.status_json();
  INFO(js.describe());
  CHECK(js.exit_code == 0);
  nlohmann::json j = parse_json(js.out);
  CHECK(j.at("sub_state") == "running");
  CHECK(j.at("main_pid") == main_pid);
  CHECK(j.at("monitor_pid") == monitor);

  RunResult again = u.start();
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  CHECK(again.out == u.name() + " already running (pid " + std::to_string(main_pid) + ")\n");
  CHECK(u.services() == std::vector<pid_t>{main_pid});

  RunResult stopped = u.stop();
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.seconds < 5.0);  // sleep obeys SIGTERM
  // stop returns once every process is gone.
  CHECK_FALSE(alive(main_pid));
  CHECK_FALSE(alive(monitor));
  CHECK(u.nothing_running());
  CHECK_FALSE(exists(u.pidfile()));

  RunResult after = u.status();
  INFO(after.describe());
  CHECK(after.exit_code == 3);
  nlohmann::json j2 = parse_json(u.status_json().out);
  CHECK(j2.at("main_pid") == 0);
  CHECK(j2.at("sub_state") != "running");

  RunResult stop_again = u.stop();
  INFO(stop_again.describe());
  CHECK(stop_again.exit_code == 0);
}

TEST_CASE("stop where pidfd_open is refused says so and exits, instead of waiting on the monitor", "[lifecycle]") {
  // A container's seccomp profile older than the call (or a kernel before
  // 5.3) makes pidfd_open fail ENOSYS: stop signals nothing it cannot pin,
  // and must not then wait forever for a monitor it never asked to stop.
  TempDir dir;
  TestUnit u(dir, "nopidfd", "/bin/sleep 1000");
  pid_t main_pid = sv::start_ok(u);
  RunOptions refused;
  refused.wrapper = {helper("nopidfd")};
  refused.timeout_ms = 20000;
  RunResult r = u.stop(refused);
  INFO(r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot open a pidfd for monitor") != std::string::npos);
  CHECK(alive(main_pid));  // nothing was signalled
  // EPERM (a filter's answer, even to root) is the same: no privilege
  // is missing, so not exit code 4.
  refused.wrapper = {helper("nopidfd"), "--eperm"};
  RunResult eperm = u.stop(refused);
  INFO(eperm.describe());
  CHECK_FALSE(eperm.timed_out);
  CHECK(eperm.exit_code == 1);
  CHECK(alive(main_pid));
  RunResult stopped = u.stop();
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("start with stdin, stdout and stderr closed: the monitor keeps its locks and supervises", "[lifecycle]") {
  // What unitrun opens first takes the lowest free fds: with 0-2 closed by
  // its caller, the unit's lock and the readiness pipe would land there, and
  // the monitor's /dev/null on 0-2 would close them under it (the alive
  // lock let go, the unit running without its monitor).
  TempDir dir;
  TestUnit u(dir, "closedstd", "/bin/sleep 1000");
  RunOptions closed;
  closed.wrapper = {"/bin/sh", "-c", "exec \"$0\" \"$@\" <&- >&- 2>&-"};
  RunResult start = u.start(closed);
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  ::usleep(200 * 1000);  // a monitor that lost its lock dies within the first turns of its loop
  CHECK(u.monitors().size() == 1);
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("without its monitor") == std::string::npos);
  RunResult stop = u.stop();
  CHECK(stop.exit_code == 0);
  CHECK(stop.out.find("its monitor had died") == std::string::npos);
}

TEST_CASE("status of a never-started unit exits 3 and stop of it exits 0", "[lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "never", "/bin/sleep 1000");
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);
  nlohmann::json j = parse_json(u.status_json().out);
  CHECK(j.at("main_pid") == 0);
  CHECK(j.at("monitor_pid") == 0);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("status exits 4 when the unit file cannot be read or is invalid", "[lifecycle]") {
  TempDir dir;
  write_file(dir / "regular", "x");
  ::mkdir((dir / "a-directory.ini").c_str(), 0755);
  REQUIRE(::symlink((dir / "nowhere.ini").c_str(), (dir / "dangling.ini").c_str()) == 0);
  write_file(dir / "invalid.ini", "[Service]\nExecStart=/bin/sleep 1000\nNoSuchKey=1\n");
  for (const std::string& path : {dir / "missing.ini", dir / "regular/under-a-file.ini", dir / "a-directory.ini",
                                  dir / "dangling.ini", dir / "invalid.ini"}) {
    for (bool json : {false, true}) {
      RunResult r = json ? run_unitrun({"status", "--json", path}) : run_unitrun({"status", path});
      INFO(path << (json ? " --json" : "") << ": " << r.describe());
      CHECK(r.exit_code == 4);
    }
  }
}

TEST_CASE("invalid arguments exit 2 for every verb, status included", "[lifecycle][exit-codes]") {
  for (const char* verb : {"status", "start", "stop", "reload", "logs", "show"}) {
    RunResult r = run_unitrun({verb, "--bogus", "x.ini"});
    INFO(verb << ": " << r.describe());
    CHECK(r.exit_code == 2);
  }
}

// main() runs `VERB UNIT...` of start, stop, restart and status without the
// command line parser (cli/main.cpp, run_plain_unit_verb); with an option
// the parser runs. Both must make the same call.
TEST_CASE("start, stop, restart and status: the plain form and the parsed one agree", "[lifecycle][exit-codes]") {
  TempDir dir;
  TestUnit u(dir, "plain", "/bin/sleep 1000");
  TestUnit other(dir, "plainother", "/bin/sleep 1000");
  auto both = [&](const std::string& verb, std::vector<std::string> units) {
    std::vector<std::string> plain{verb}, parsed{verb, "--color=auto"};
    plain.insert(plain.end(), units.begin(), units.end());
    parsed.insert(parsed.end(), units.begin(), units.end());
    return std::pair{run_unitrun(plain), run_unitrun(parsed)};
  };
  auto [stopped, stopped_parsed] = both("status", {u.path()});
  INFO(stopped.describe() << "\n" << stopped_parsed.describe());
  CHECK(stopped.exit_code == 3);
  CHECK(stopped.exit_code == stopped_parsed.exit_code);
  CHECK(stopped.out == stopped_parsed.out);

  RunResult started = u.start();
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  // Already running: both forms say so with the same PID.
  auto [again, again_parsed] = both("start", {u.path()});
  INFO(again.describe() << "\n" << again_parsed.describe());
  CHECK(again.exit_code == 0);
  CHECK(again.exit_code == again_parsed.exit_code);
  CHECK(again.out == again_parsed.out);
  auto [running, running_parsed] = both("status", {u.path(), other.path()});
  INFO(running.describe() << "\n" << running_parsed.describe());
  CHECK(running.exit_code == running_parsed.exit_code);
  CHECK(running.out.find("active (running)") != std::string::npos);
  CHECK(running_parsed.out.find("active (running)") != std::string::npos);

  // The verb's own name among the units is the parser's to read, as are
  // `--` and an empty word: the same answer as before the plain form.
  const std::pair<std::vector<std::string>, int> parsed_forms[] = {
      {{"stop", "stop"}, 5},               // a unit named stop: not found
      {{"status", "--", u.path()}, 0},     // running
      {{"start", ""}, 2},                  // empty unit name
      {{"stop", "++", "plainnosuch"}, 2},  // CLI11's end of a subcommand's arguments
  };
  for (const auto& [args, code] : parsed_forms) {
    RunResult r = run_unitrun(args);
    INFO(args.front() << " " << args.back() << ": " << r.describe());
    CHECK(r.exit_code == code);
  }

  auto [restarted, restarted_parsed] = both("restart", {u.path()});
  INFO(restarted.describe() << "\n" << restarted_parsed.describe());
  CHECK(restarted.exit_code == 0);
  CHECK(restarted_parsed.exit_code == 0);
  auto [stop, stop_parsed] = both("stop", {u.path(), other.path()});
  INFO(stop.describe() << "\n" << stop_parsed.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop_parsed.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("exit codes of the action verbs", "[lifecycle][exit-codes]") {
  TempDir dir;
  std::vector<int> seen;
  auto expect = [&](const RunResult& r, int code, const std::string& what) {
    INFO(what << ": " << r.describe());
    CHECK(r.exit_code == code);
    seen.push_back(r.exit_code);
  };

  SECTION("2: bad arguments, for every verb (status's 4, LSB's 'unknown', is for a unit it cannot read)") {
    expect(run_unitrun({}), 2, "no verb");
    expect(run_unitrun({"frobnicate", dir / "x.ini"}), 2, "unknown verb");
    for (const char* verb : {"start", "stop", "restart"}) {
      expect(run_unitrun({verb}), 2, std::string(verb) + " without a unit");
      expect(run_unitrun({verb, "--no-such-option", dir / "a.ini"}), 2, std::string(verb) + " with a bad option");
      expect(run_unitrun({verb, "not a name"}), 2, std::string(verb) + " with an invalid unit name");
    }
    expect(run_unitrun({"status", "--no-such-option"}), 2, "status with a bad option");
    expect(run_unitrun({"status", "not a name"}), 2, "status with an invalid unit name");
  }

  SECTION("several units: each acted on, the worst exit code (two unreadable unit files: 6; status: 4)") {
    for (const char* verb : {"start", "stop", "restart"}) {
      RunResult r = run_unitrun({verb, dir / "a.ini", dir / "b.ini"});
      expect(r, 6, std::string(verb) + " with two missing unit files");
      CHECK(r.err.find(dir / "a.ini") < r.err.find(dir / "b.ini"));  // each reported, in order
    }
    expect(run_unitrun({"status", dir / "a.ini", dir / "b.ini"}), 4, "status of two missing unit files");
  }

  SECTION("6: the unit is invalid, for start, stop and restart") {
    TestUnit u(dir, "invalid", "/bin/sleep 1000", {.extra = "Usre=nobody\n"});
    expect(u.start(), 6, "start");
    CHECK(u.nothing_running());
    CHECK_FALSE(exists(u.pidfile()));
    expect(u.stop(), 6, "stop");
    expect(u.restart(), 6, "restart");
    expect(u.status(), 4, "status");
    TestUnit no_exec(dir, "noexec", "/bin/sleep 1000");
    no_exec.write_raw("[Service]\nPIDFile=" + no_exec.pidfile() + "\n");
    expect(no_exec.start(), 6, "start without ExecStart=");
  }

  SECTION("5: the program is not installed, for start and restart") {
    TestUnit u(dir, "missing", dir / "no-such-program");
    expect(u.start(), 5, "start");
    expect(u.restart(), 5, "restart");
    CHECK(u.nothing_running());
    CHECK_FALSE(exists(u.pidfile()));
  }

  SECTION("1: other failures") {
    write_file(dir / "not-executable", "#!/bin/sh\nexec sleep 1000\n", 0644);
    TestUnit u(dir, "noexec", dir / "not-executable");
    expect(u.start(), 1, "start");
    expect(u.restart(), 1, "restart");
    CHECK(u.nothing_running());
  }

  SECTION("0: start, start again, restart, stop, stop again") {
    TestUnit u(dir, "ok", "/bin/sleep 1000");
    expect(u.start(), 0, "start");
    expect(u.start(), 0, "start when running");
    expect(u.restart(), 0, "restart");
    expect(u.stop(), 0, "stop");
    expect(u.stop(), 0, "stop when stopped");
    expect(u.restart(), 0, "restart when stopped");
    expect(u.stop(), 0, "stop");
  }

  // 7 ("program is not running") is not used by any action verb yet: stop of
  // a stopped unit is 0, as LSB asks.
  CHECK(std::find(seen.begin(), seen.end(), 7) == seen.end());
}

TEST_CASE("restart starts a stopped unit and replaces a running one", "[lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "restart", "/bin/sleep 1000");

  RunResult first = u.restart();
  INFO(first.describe());
  REQUIRE(first.exit_code == 0);
  pid_t pid1 = started_pid(first, u.name());
  REQUIRE(alive(pid1));
  REQUIRE(read_pidfile(u.pidfile()) == pid1);
  pid_t monitor1 = parent_of(pid1);

  RunResult second = u.restart();
  INFO(second.describe());
  REQUIRE(second.exit_code == 0);
  pid_t pid2 = started_pid(second, u.name());
  CHECK(pid2 != pid1);
  CHECK_FALSE(alive(pid1));
  CHECK(alive(pid2));
  CHECK(read_pidfile(u.pidfile()) == pid2);
  CHECK(u.services() == std::vector<pid_t>{pid2});
  CHECK(u.monitors().size() == 1);
  // The monitor carried the restart out itself (one job: stop, then start).
  CHECK(parent_of(pid2) == monitor1);

  RunResult stop = u.stop();
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("restart applies an edited unit file: the unit is stopped and started anew, not restarted by its monitor",
          "[lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "edited", "/bin/sleep 1000");
  RunResult first = u.start();
  REQUIRE(first.exit_code == 0);
  pid_t pid1 = started_pid(first, u.name());
  pid_t monitor1 = parent_of(pid1);
  // Unchanged: the monitor restarts it, and stays.
  RunResult same = u.restart();
  INFO(same.describe());
  REQUIRE(same.exit_code == 0);
  pid_t pid2 = started_pid(same, u.name());
  CHECK(parent_of(pid2) == monitor1);
  CHECK(wait_until([&] { return proc_cmdline(pid2) == "/bin/sleep 1000"; }, 5000));  // an exec may be in progress
  // Edited: the new ExecStart= runs, under a new monitor.
  u.rewrite("/bin/sleep 2000");
  RunResult edited = u.restart();
  INFO(edited.describe());
  REQUIRE(edited.exit_code == 0);
  pid_t pid3 = started_pid(edited, u.name());
  CHECK(wait_until([&] { return proc_cmdline(pid3) == "/bin/sleep 2000"; }, 5000));
  CHECK(parent_of(pid3) != monitor1);
  CHECK_FALSE(alive(monitor1));
  CHECK(u.services() == std::vector<pid_t>{pid3});
  CHECK(u.stop().exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("restart of a running unit whose program is gone: the monitor's restart fails with 5, once its stop is over",
          "[lifecycle]") {
  TempDir dir;
  std::string program = dir / "prog";
  REQUIRE(run({"/bin/cp", "/bin/sleep", program}).exit_code == 0);
  TestUnit u(dir, "gone", program + " 1000");
  RunResult started = u.start();
  REQUIRE(started.exit_code == 0);
  pid_t monitor = parent_of(started_pid(started, u.name()));
  remove_file(program);
  RunResult restart = u.restart();
  INFO(restart.describe());
  CHECK(restart.exit_code == 5);
  CHECK(restart.err.find("restart failed") != std::string::npos);
  CHECK(wait_exit(monitor, 10000));
  CHECK(u.nothing_running());
  CHECK(u.status().exit_code == 3);
}

TEST_CASE("restart from inside the service's own tree: the monitor carries it out, and the service runs again",
          "[lifecycle]") {
  // As over ssh into an sshd unit: the restart command is a process of the
  // unit, which the stop (KillMode=control-group) ends. The monitor does the
  // restart as one job; the command only asks.
  TempDir dir;
  std::string fifo = dir / "trigger", runs = dir / "runs", out = dir / "restart.out";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  TestUnit u(dir, "selfrestart", dir / "service.sh");
  write_file(dir / "service.sh",
             "#!/bin/sh\necho $$ >> " + runs + "\nread line < " + fifo + "\n" + unitrun_binary() + " restart " +
                 u.path() + " >> " + out + " 2>&1\necho \"restart exited $?\" >> " + out + "\nexec sleep 1000\n",
             0755);
  RunResult started = u.start();
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  pid_t first = started_pid(started, u.name());
  // The trigger: the service runs `unitrun restart` on itself.
  {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "go\n", 3) == 3);
    ::close(fd);
  }
  // A second run begins, and is up.
  bool second_run = wait_until([&] { return lines_in(runs) == 2; }, 20000);
  INFO("runs: " << read_file(runs).value_or("") << "\nrestart said: " << read_file(out).value_or(""));
  REQUIRE(second_run);
  nlohmann::json j;
  REQUIRE(wait_until(
      [&] {
        j = parse_json(u.status_json().out);
        return j["sub_state"] == "running" && j["main_pid"] != 0 && j["main_pid"] != first;
      },
      10000));
  INFO(j.dump(2));
  pid_t second = j["main_pid"].get<pid_t>();
  CHECK(second != first);
  CHECK(alive(second));
  CHECK_FALSE(alive(first));
  CHECK(u.status().exit_code == 0);
  // The record tells the restart was asked for and carried out.
  std::string events;
  for (const auto& e : j["events"]) events += e["text"].get<std::string>() + "\n";
  CHECK(events.find("restart requested") != std::string::npos);
  CHECK(events.find("restarted") != std::string::npos);
  CHECK(u.stop().exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("output of a restarted service is appended to its log", "[lifecycle][output]") {
  TempDir dir;
  write_file(dir / "hello.sh", "#!/bin/sh\necho \"hello from $$\"\nexec /bin/sleep 1000\n", 0755);
  TestUnit u(dir, "append", dir / "hello.sh");
  write_file(u.log(), "line from before\n", 0640);

  RunResult s1 = u.start();
  INFO(s1.describe());
  REQUIRE(s1.exit_code == 0);
  pid_t pid1 = started_pid(s1, u.name());
  std::string line1 = "hello from " + std::to_string(pid1) + "\n";
  REQUIRE(wait_until([&] { return read_file(u.log()) == "line from before\n" + line1; }, 5000));

  RunResult s2 = u.restart();
  INFO(s2.describe());
  REQUIRE(s2.exit_code == 0);
  pid_t pid2 = started_pid(s2, u.name());
  std::string line2 = "hello from " + std::to_string(pid2) + "\n";
  bool both = wait_until([&] { return read_file(u.log()) == "line from before\n" + line1 + line2; }, 5000);
  INFO("log: " << read_file(u.log()).value_or("<missing>"));
  CHECK(both);
}

TEST_CASE("ExecStop= runs with MAINPID while the main process still lives", "[lifecycle]") {
  TempDir dir;
  // The stop command records $MAINPID and whether that process was alive.
  write_file(dir / "on-stop.sh",
             "#!/bin/sh\nif kill -0 \"$1\" 2>/dev/null; then state=alive; else state=dead; fi\n"
             "echo \"$1 $state\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\"\n",
             0755);
  TestUnit u(dir, "execstop", "/bin/sleep 1000",
             {.extra = "ExecStop=" + (dir / "on-stop.sh") + " $MAINPID " + (dir / "stopped") + "\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  pid_t main_pid = started_pid(start, u.name());

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(read_file(dir / "stopped") == std::to_string(main_pid) + " alive\n");
  CHECK_FALSE(alive(main_pid));
  CHECK(u.nothing_running());
}

TEST_CASE("KillMode=process ends only the main process", "[lifecycle][killmode]") {
  TempDir dir;
  // The main process starts two children (sleep) and waits.
  write_file(dir / "family.sh", "#!/bin/sh\n/bin/sleep 1001 &\n/bin/sleep 1002 &\nwait\n", 0755);
  TestUnit u(dir, "kmprocess", dir / "family.sh", {.extra = "KillMode=process\nTimeoutStopSec=30\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  pid_t main_pid = started_pid(start, u.name());
  REQUIRE(wait_until([&] { return u.services().size() == 3; }, 5000));
  std::vector<pid_t> children;
  for (pid_t p : u.services())
    if (p != main_pid) children.push_back(p);

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 10.0);
  CHECK_FALSE(alive(main_pid));
  for (pid_t c : children) {
    INFO("child " << c << " " << proc_cmdline(c));
    CHECK(alive(c));  // left running, as systemd does; the test's cleanup kills them
  }
  CHECK(u.monitors().empty());
  CHECK_FALSE(exists(u.pidfile()));
  kill_marked(u.marker());
}

TEST_CASE("KillMode=process: at TimeoutStopSec only the main process gets FinalKillSignal", "[lifecycle][killmode]") {
  TempDir dir;
  // The main process ignores SIGTERM; its children must not be touched at all.
  write_file(dir / "family.sh",
             "#!/bin/sh\ntrap '' TERM\n/bin/sleep 1001 &\n/bin/sleep 1002 &\nwhile :; do wait; done\n", 0755);
  TestUnit u(dir, "kmprockill", dir / "family.sh", {.extra = "KillMode=process\nTimeoutStopSec=1\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  pid_t main_pid = started_pid(start, u.name());
  REQUIRE(wait_until([&] { return u.services().size() == 3; }, 5000));
  std::vector<pid_t> children;
  for (pid_t p : u.services())
    if (p != main_pid) children.push_back(p);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds >= 0.9);  // SIGTERM was ignored: the timeout passed
  CHECK_FALSE(alive(main_pid));
  for (pid_t c : children) {
    INFO("child " << c << " " << proc_cmdline(c));
    CHECK(alive(c));
  }
  kill_marked(u.marker());
}

TEST_CASE("KillMode=mixed: SIGTERM to the main process, SIGKILL to the rest", "[lifecycle][killmode]") {
  TempDir dir;
  // The main process notes the SIGTERM it gets and exits; its children
  // (trapterm) ignore SIGTERM, so only a SIGKILL ends them quickly.
  write_file(dir / "mixed.sh",
             "#!/bin/sh\ntrap 'echo TERM > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; exit 0' TERM\n" + helper("trapterm") +
                 " &\n" + helper("trapterm") + " &\nwhile :; do sleep 1; done\n",
             0755);
  TestUnit u(dir, "kmmixed", dir / "mixed.sh" + " " + (dir / "main-got"),
             {.extra = "KillMode=mixed\nTimeoutStopSec=60\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  pid_t main_pid = started_pid(start, u.name());
  std::string trapterm = helper("trapterm");
  auto trapterms = [&] {
    std::vector<pid_t> out;
    for (pid_t p : u.services())
      if (proc_cmdline(p) == trapterm) out.push_back(p);
    return out;
  };
  REQUIRE(wait_until([&] { return trapterms().size() == 2; }, 5000));
  std::vector<pid_t> children = trapterms();

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  // Well before TimeoutStopSec=60: the children were SIGKILLed, not waited out.
  CHECK(stop.seconds < 15.0);
  CHECK(read_file(dir / "main-got") == "TERM\n");
  CHECK_FALSE(alive(main_pid));
  for (pid_t c : children) CHECK_FALSE(alive(c));
  CHECK(u.nothing_running());
}

TEST_CASE("the monitor reaps orphaned zombies at once", "[lifecycle][reaping]") {
  TempDir dir;
  TestUnit u(dir, "reaper", helper("reaper"));
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  pid_t main_pid = started_pid(start, u.name());
  pid_t monitor = parent_of(main_pid);

  // The reaper orphans a grandchild every 20 ms; each one is re-parented to
  // the monitor and exits within 50 ms. Follow them as they land until 30
  // have been seen. A sample may catch a zombie in the instant between its
  // exit and the monitor's reaping; one that is still there a second later
  // was not reaped at once, nor may any orphan be left a zombie.
  OrphanCensus census = count_orphans(monitor, main_pid, 30, 20000, 1000);
  INFO(census.orphans << " orphans seen, " << census.zombies_caught << " of them caught as zombies");
  // The test is only meaningful if orphans did land on the monitor.
  CHECK(census.orphans >= 30);
  CHECK(census.unreaped == std::vector<std::string>{});
  CHECK(alive(main_pid));

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

TEST_CASE("start does not keep the caller's stdout and stderr open (start | cat returns)", "[lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "pipe", "/bin/sleep 1000");
  RunOptions opts;
  opts.eof_grace_ms = 2000;
  RunResult r = u.start(opts);
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  // Running::wait saw both pipes reach EOF right after unitrun exited: no
  // monitor or service kept a copy of their write ends.
  CHECK_FALSE(r.output_held_open);
  // The same for restart.
  RunResult rr = u.restart(opts);
  INFO(rr.describe());
  CHECK(rr.exit_code == 0);
  CHECK_FALSE(rr.output_held_open);
}

// ---------------------------------------------------------------- run (foreground)

TEST_CASE("run: the monitor in the foreground exits with the service's status, and writes no pidfile unasked",
          "[lifecycle][run]") {
  TempDir dir;
  std::string pidfile = dir / "run.pid";
  TestUnit u(dir, "fg", "/bin/sh -c \"sleep 0.3; exit 3\"", {.pidfile = ""});
  RunOptions opts;
  SECTION("plain") {}
  // An ignored SIGCHLD would make the kernel reap the service behind the
  // monitor's back, and run would never learn how it ended.
  SECTION("SIGCHLD ignored and SIGTERM blocked by the caller") {
    opts.ignore_signals = {SIGCHLD, SIGHUP};
    opts.block_signals = {SIGTERM, SIGCHLD};
  }
  opts.timeout_ms = 20000;
  RunResult r = u.verb("run", opts);
  INFO(r.describe());
  CHECK(r.exit_code == 3);
  CHECK(r.seconds < 15.0);
  CHECK(u.nothing_running());
  CHECK(u.status().exit_code == 3);
}

TEST_CASE("run: SIGTERM runs the stop sequence and exits 0; SIGINT too", "[lifecycle][run]") {
  TempDir dir;
  std::string order = dir / "order";
  int sig = GENERATE(SIGTERM, SIGINT);
  TestUnit u(dir, "fgstop", "/bin/sleep 1000",
             {.extra = "ExecStop=/bin/sh -c \"echo stop $MAINPID >> " + order + "\"\n"});
  Running running = u.spawn_verb("run");
  pid_t service = 0;
  REQUIRE(wait_until(
      [&] {
        std::vector<pid_t> s = u.services();
        if (s.size() != 1) return false;
        service = s[0];
        return true;
      },
      10000));
  REQUIRE(::kill(running.pid(), sig) == 0);
  RunResult r = running.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(read_file(order) == "stop " + std::to_string(service) + "\n");
  CHECK_FALSE(alive(service));
  CHECK(u.nothing_running());
}

TEST_CASE("run: stop and restart from another shell reach the foreground unit (its start lock is let go once it runs)",
          "[lifecycle][run]") {
  // The foreground monitor took the start lock for its start and, with no
  // caller to report to, kept it for life: every `stop` waited behind it.
  bool restart_first = GENERATE(false, true);
  TempDir dir;
  TestUnit u(dir, "fgother", "/bin/sleep 1000");
  Running running = u.spawn_verb("run");
  pid_t first = 0;
  REQUIRE(wait_until(
      [&] {
        std::vector<pid_t> s = u.services();
        if (s.size() == 1) first = s[0];
        return s.size() == 1;
      },
      10000));
  RunOptions opts;
  opts.timeout_ms = 10000;
  if (restart_first) {
    // The foreground monitor carries the restart out itself, and goes on.
    RunResult r = u.verb("restart", opts);
    INFO(r.describe());
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    std::vector<pid_t> now = u.services();
    REQUIRE(now.size() == 1);
    CHECK(now[0] != first);
  }
  RunResult r = u.verb("stop", opts);
  INFO(r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  RunResult fg = running.wait();
  INFO(fg.describe());
  CHECK(fg.exit_code == 0);
  CHECK(u.nothing_running());
}

namespace {

// Whether `pid` is waiting for a stop in progress: blocked on the unit's
// start lock (an OFD lock: the kernel's wait channel says so, /proc/locks
// shows no pid for those), or watching the runtime directory for the
// record's change (an inotify instance).
bool waits_for_stop(pid_t pid) {
  for (const auto& [fd, target] : proc_fds(pid))
    if (target == "anon_inode:inotify") return true;
  auto wchan = read_file("/proc/" + std::to_string(pid) + "/wchan");
  return wchan && wchan->find("setlk") != std::string::npos;
}

}  // namespace

TEST_CASE("trust 16: start during a stop in progress waits for the stop, then starts", "[lifecycle]") {
  TempDir dir;
  std::string go = dir / "go";
  // The service takes its time to stop: until the test says so.
  std::string service =
      "/bin/sh -c 'trap \"while [ ! -e " + go + " ]; do sleep 0.05; done; exit 0\" TERM; while :; do sleep 0.05; done'";
  TestUnit u(dir, "slowstop", service, {.extra = "TimeoutStopSec=30\n"});
  REQUIRE(u.start().exit_code == 0);
  std::optional<pid_t> first = read_pidfile(u.pidfile());
  REQUIRE(first);

  Running stop = u.spawn_verb("stop");
  REQUIRE(wait_until(
      [&] {
        RunResult s = u.status_json();
        return !s.out.empty() && parse_json(s.out).value("active_state", "") == "deactivating";
      },
      20000));
  Running start = u.spawn_verb("start");
  // The start is waiting on the stop before the service is let go: a start
  // that answered at once ("already running") would not be.
  REQUIRE(wait_until([&] { return waits_for_stop(start.pid()); }, 20000));
  write_file(go, "");

  RunResult stopped = stop.wait();
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  RunResult started = start.wait();
  INFO(started.describe());
  CHECK(started.exit_code == 0);
  CHECK(started.out.find("started ") != std::string::npos);

  RunResult status = u.status_json();
  INFO(status.describe());
  nlohmann::json j = parse_json(status.out);
  CHECK(j["active_state"] == "active");
  std::optional<pid_t> second = read_pidfile(u.pidfile());
  REQUIRE(second);
  CHECK(*second != *first);
  CHECK(u.stop().exit_code == 0);  // "go" is there: the new run stops at once
  CHECK(u.nothing_running());
}

// The monitor is the start's own child (one fork): a start whose monitor
// reports as its last act (a oneshot that ran, a condition that failed, a
// failure) reaps it before it returns. An unreaped monitor would be a zombie
// handed to this test (a subreaper) when the start exits.
TEST_CASE("start reaps a monitor that ended with its report: no zombie is left behind", "[lifecycle][reaping]") {
  TempDir dir;
  TestUnit ran(dir, "reaped-ran", "/bin/true", {.extra = "Type=oneshot\n"});
  TestUnit failed(dir, "reaped-failed", "/bin/false", {.extra = "Type=oneshot\n"});
  TestUnit skipped(dir, "reaped-skipped", "/bin/true",
                   {.extra = "Type=oneshot\n", .unit_section = "ConditionPathExists=" + (dir / "absent") + "\n"});
  for (const TestUnit* u : {&ran, &failed, &skipped}) {
    INFO(u->name());
    reap_adopted();
    RunResult start = u->start();
    INFO(start.describe());
    CHECK(start.exit_code == (u == &failed ? 1 : 0));
    // The monitor, by the PID and start time its state record gives: gone
    // the moment start returns. Not reaped, it would still be there, a
    // zombie of the start or (handed to this test, a subreaper) of ours,
    // whether it exited before the start did or after.
    pid_t monitor = 0;
    uint64_t monitor_start = 0;
    for (const std::string& f : u->runtime_files())
      if (f.size() > 6 && f.compare(f.size() - 6, 6, ".state") == 0) {
        nlohmann::json state = parse_json(read_file(f).value_or(""));
        monitor = state.value("monitor_pid", 0);
        monitor_start = state.value("monitor_start_time", uint64_t{0});
      }
    REQUIRE(monitor > 1);
    CHECK_FALSE(still_there(monitor, monitor_start));
    CHECK(zombies_of(::getpid()).empty());
  }
}

// When `stop` returns, no process of the unit is left, the monitor
// included (architecture.md): a stop woken by anything earlier than the
// monitor's exit (its lock, let go of by hand before the kernel's teardown
// of its address space; tried) must still wait for that exit. The monitor,
// handed to this test (a subreaper) when its start returned, is then an
// unreaped zombie of ours or gone, never a process still exiting.
TEST_CASE("stop returns only once the monitor has exited, not when its lock is free", "[lifecycle][reaping]") {
  TempDir dir;
  TestUnit u(dir, "stop-waits-exit", "/bin/sleep 1000");
  for (int round = 0; round < 10; ++round) {
    INFO("round " << round);
    reap_adopted();
    RunResult started = u.start();
    INFO(started.describe());
    REQUIRE(started.exit_code == 0);
    std::vector<pid_t> monitors = u.monitors();
    REQUIRE(monitors.size() == 1);
    std::optional<ProcStat> before = proc_stat(monitors[0]);
    REQUIRE(before);
    RunResult stopped = u.stop();
    INFO(stopped.describe());
    REQUIRE(stopped.exit_code == 0);
    std::optional<ProcStat> after = proc_stat(monitors[0]);
    bool same = after && after->start_time == before->start_time;
    INFO("monitor " << monitors[0] << (same ? std::string(" in state ") + after->state : std::string(" gone")));
    CHECK((!same || after->state == 'Z'));  // a monitor still tearing down shows R or D
  }
  reap_adopted();
}

// The record's start times, which every later signal is checked against
// (PID reuse), are the kernel's: the monitor's and the main process's come
// from the clock around their fork and clone (proc::start_time_between()),
// not from /proc, and must be exactly what /proc says, start after start.
TEST_CASE("the record's start times of the monitor and the service are the kernel's", "[lifecycle]") {
  TempDir dir;
  TestUnit u(dir, "start-times", "/bin/sleep 1000");
  for (int round = 0; round < 25; ++round) {
    INFO("round " << round);
    RunResult started = u.start();
    INFO(started.describe());
    REQUIRE(started.exit_code == 0);
    nlohmann::json state;
    for (const std::string& f : u.runtime_files())
      if (f.size() > 6 && f.compare(f.size() - 6, 6, ".state") == 0) state = parse_json(read_file(f).value_or(""));
    INFO(state.dump());
    pid_t monitor = state.value("monitor_pid", 0), main = state.value("main_pid", 0);
    REQUIRE(monitor > 1);
    REQUIRE(main > 1);
    std::optional<ProcStat> m = proc_stat(monitor), s = proc_stat(main);
    REQUIRE(m);
    REQUIRE(s);
    CHECK(state.value("monitor_start_time", uint64_t{0}) == m->start_time);
    CHECK(state.value("main_start_time", uint64_t{0}) == s->start_time);
    RunResult stopped = u.stop();
    INFO(stopped.describe());
    REQUIRE(stopped.exit_code == 0);
  }
}
