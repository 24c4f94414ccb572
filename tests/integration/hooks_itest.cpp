// ExecStartPre=, ExecStartPost=, ExecReload=, ExecStop=, ExecStopPost= in
// systemd's order with its '-' semantics and $MAINPID; the reload verbs
// (reload, force-reload, try-restart, condrestart: LSB); and `logs`.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "supervision_util.h"

using namespace itest;
using namespace itest::sv;

namespace {

// A command line that appends WORDS (expanded by the shell from the
// environment unitrun gives it) to FILE.
std::string note(const std::string& file, const std::string& words) {
  return "/bin/sh -c \"echo " + words + " >> " + file + "\"";
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// `unitrun logs UNIT ARGS...` with its stdout in the file `out`, so that
// the test can watch what it printed while it runs (and end it then).
Running spawn_logs(const TestUnit& u, const std::vector<std::string>& args, const std::string& out) {
  RunOptions o;
  o.wrapper = {"/bin/sh", "-c", "exec \"$@\" > " + out, "sh"};
  std::vector<std::string> argv{unitrun_binary(), "logs", u.path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, o);
}

// Whether the process has an inotify watch in place: the fdinfo of an
// inotify fd has one "inotify wd:" line per watch.
bool has_inotify_watch(pid_t pid) {
  for (const auto& [fd, target] : proc_fds(pid)) {
    if (target != "anon_inode:inotify") continue;
    auto info = read_file("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
    if (info && contains(*info, "inotify wd:")) return true;
  }
  return false;
}

// The "tick N" numbers in a text, in order.
std::vector<long> ticks_in(const std::string& text) {
  std::istringstream in(text);
  std::vector<long> ticks;
  std::string word;
  long n;
  while (in >> word >> n) {
    CHECK(word == "tick");
    ticks.push_back(n);
  }
  return ticks;
}

}  // namespace

TEST_CASE("Exec* commands run in systemd's order, with $MAINPID for ExecStartPost, ExecReload and ExecStop",
          "[supervision][hooks]") {
  TempDir dir;
  std::string order = dir / "order";
  std::string extra =
      "ExecStartPre=" + note(order, "pre1") + "\n" + "ExecStartPre=-/bin/false\n" +  // '-': its failure is ignored
      "ExecStartPre=" + note(order, "pre2") + "\n" + "ExecStartPost=" + note(order, "post $MAINPID") + "\n" +
      "ExecReload=" + note(order, "reload $MAINPID") + "\n" + "ExecStop=" + note(order, "stop $MAINPID") + "\n" +
      "ExecStop=-/bin/false\n" + "ExecStopPost=" + note(order, "stoppost $SERVICE_RESULT") + "\n";
  TestUnit u(dir, "order", "/bin/sleep 1000", opts(extra));
  pid_t pid = start_ok(u);
  std::string p = std::to_string(pid);
  CHECK(lines_of(order) == std::vector<std::string>{"pre1", "pre2", "post " + p});

  RunResult reload = u.verb("reload");
  INFO(reload.describe());
  CHECK(reload.exit_code == 0);
  CHECK(lines_of(order) == std::vector<std::string>{"pre1", "pre2", "post " + p, "reload " + p});
  CHECK(alive(pid));

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(lines_of(order) ==
        std::vector<std::string>{"pre1", "pre2", "post " + p, "reload " + p, "stop " + p, "stoppost success"});
  CHECK(u.processes().empty());
}

TEST_CASE("a failing ExecStartPre= fails the start: no ExecStart, no ExecStop, but ExecStopPost runs",
          "[supervision][hooks]") {
  TempDir dir;
  std::string order = dir / "order";
  std::string extra = "ExecStartPre=" + note(order, "pre1") + "\n" + "ExecStartPre=/bin/sh -c \"exit 7\"\n" +
                      "ExecStartPre=" + note(order, "pre-after-failure") + "\n" + "ExecStop=" + note(order, "stop") +
                      "\n" + "ExecStopPost=" + note(order, "stoppost $SERVICE_RESULT") + "\n";
  TestUnit u(dir, "prefail", "/bin/sh -c \"echo main >> " + order + "; exec /bin/sleep 1000\"", opts(extra));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "code=7"));
  CHECK(lines_of(order) == std::vector<std::string>{"pre1", "stoppost exit-code"});
  check_nothing_left(u);
}

TEST_CASE("a failing ExecStartPost= fails the start and ends the main process, ExecStopPost runs",
          "[supervision][hooks]") {
  TempDir dir;
  std::string order = dir / "order";
  std::string extra =
      "ExecStartPost=/bin/false\n"
      "ExecStop=" +
      note(order, "stop") + "\n" + "ExecStopPost=" + note(order, "stoppost") + "\n";
  TestUnit u(dir, "postfail", "/bin/sleep 1000", opts(extra));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  // ExecStop= is only for a service that started (systemd.service(5)).
  CHECK(lines_of(order) == std::vector<std::string>{"stoppost"});
  check_nothing_left(u);
}

TEST_CASE("ExecStopPost= runs after the service ends on its own, and learns how", "[supervision][hooks]") {
  TempDir dir;
  std::string order = dir / "order";
  TestUnit u(dir, "selfend", helper("crasher") + " --after 200 --exit 3",
             opts("ExecStopPost=" + note(order, "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS") + "\n"));
  start_ok(u);
  CHECK(wait_unit_down(u) == 3);
  CHECK(lines_of(order) == std::vector<std::string>{"exit-code exited 3"});
}

TEST_CASE("ExecStopPost= runs when the main program cannot even be executed", "[supervision][hooks]") {
  TempDir dir;
  std::string order = dir / "order";
  std::string broken = dir / "broken";
  write_file(broken, "", 0755);  // 0 bytes, executable: ENOEXEC
  TestUnit u(dir, "noexec", broken, opts("ExecStopPost=" + note(order, "stoppost") + "\n"));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(lines_of(order) == std::vector<std::string>{"stoppost"});
  check_nothing_left(u);
}

TEST_CASE("a missing program exits 5 wherever it is: ExecStartPre=, a oneshot's ExecStart=, ExecStartPost=",
          "[supervision][hooks][exit-codes]") {
  TempDir dir;
  std::string missing = dir / "not-installed";
  std::string main = "/bin/sleep 1000", extra;
  SECTION("ExecStartPre=") { extra = "ExecStartPre=" + missing + "\n"; }
  SECTION("Type=oneshot ExecStart=") {
    main = "/bin/true";
    extra = "Type=oneshot\nExecStart=" + missing + "\n";
  }
  SECTION("ExecStartPost=") { extra = "ExecStartPost=" + missing + "\n"; }
  TestUnit u(dir, "missing5", main, opts(extra));
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 5);
  CHECK(contains(start.err, missing));
  check_nothing_left(u);
}

TEST_CASE("a missing program behind '-' is only noted: the start goes on", "[supervision][hooks]") {
  TempDir dir;
  TestUnit u(dir, "missingdash", "/bin/sleep 1000", opts("ExecStartPre=-" + (dir / "not-installed") + "\n"));
  start_ok(u);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("ExecReload=: a failure fails the reload (exit 1), a '-' failure does not", "[supervision][hooks][reload]") {
  TempDir dir;
  std::string order = dir / "order";
  SECTION("plain failure") {
    TestUnit u(dir, "reloadfail", "/bin/sleep 1000", opts("ExecReload=/bin/false\n"));
    pid_t pid = start_ok(u);
    RunResult reload = u.verb("reload");
    INFO(reload.describe());
    CHECK(reload.exit_code == 1);
    // The service keeps running.
    CHECK(alive(pid));
    CHECK(u.status().exit_code == 0);
    CHECK(status_json(u)["sub_state"] == "running");
  }
  SECTION("'-' failure, then a command that works") {
    TestUnit u(dir, "reloadignore", "/bin/sleep 1000",
               opts("ExecReload=-/bin/false\nExecReload=" + note(order, "reloaded $MAINPID") + "\n"));
    pid_t pid = start_ok(u);
    RunResult reload = u.verb("reload");
    INFO(reload.describe());
    CHECK(reload.exit_code == 0);
    CHECK(lines_of(order) == std::vector<std::string>{"reloaded " + std::to_string(pid)});
  }
}

TEST_CASE(
    "reload: without ExecReload= the unit cannot be reloaded (3) and its service is left alone; exit 7 when not "
    "running",
    "[supervision][hooks][reload]") {
  TempDir dir;
  std::string hups = dir / "hups";
  // As systemd: no ExecReload=, no reload. A SIGHUP sent instead would end
  // every program without a handler for it (sleep below), and a reload that
  // kills the service must never be reported as "reloaded".
  TestUnit bare(dir, "noreload", "/bin/sleep 1000");
  RunResult before = bare.verb("reload");
  INFO(before.describe());
  CHECK(before.exit_code == 7);
  pid_t pid = start_ok(bare);
  RunResult refused = bare.verb("reload");
  INFO(refused.describe());
  CHECK(refused.exit_code == 3);
  CHECK(contains(refused.err, "no ExecReload="));
  CHECK(alive(pid));
  CHECK(read_pidfile(bare.pidfile()) == pid);
  nlohmann::json j = status_json(bare);
  CHECK(j["sub_state"] == "running");
  CHECK(j["restarts"] == 0);
  CHECK(bare.stop().exit_code == 0);

  // The usual way to ask a daemon to reload: ExecReload=kill -HUP $MAINPID.
  // The notifier handles SIGHUP only once its step ran; it says READY=1
  // after it, and start returns only then.
  TestUnit u(dir, "hupreload", helper("notifier") + " hup-log:" + hups + " send:READY=1",
             opts("Type=notify\nExecReload=/bin/kill -HUP $MAINPID\n"));
  pid = start_ok(u);
  RunResult reload = u.verb("reload");
  INFO(reload.describe());
  CHECK(reload.exit_code == 0);
  CHECK(wait_until([&] { return read_file(hups) == std::string("HUP\n"); }, 5000));
  CHECK(alive(pid));
  CHECK(read_pidfile(u.pidfile()) == pid);

  REQUIRE(u.stop().exit_code == 0);
  RunResult after = u.verb("reload");
  INFO(after.describe());
  CHECK(after.exit_code == 7);
}

TEST_CASE("force-reload, try-restart and condrestart as in LSB", "[supervision][hooks][reload]") {
  TempDir dir;
  std::string hups = dir / "hups";
  // READY=1 once SIGHUP is handled (start returns only then).
  TestUnit u(dir, "lsb", helper("notifier") + " hup-log:" + hups + " send:READY=1",
             opts("Type=notify\nExecReload=/bin/kill -HUP $MAINPID\n"));

  // Not running: all succeed and leave it stopped.
  for (const char* verb : {"force-reload", "try-restart", "condrestart"}) {
    RunResult r = u.verb(verb);
    INFO(verb << ": " << r.describe());
    CHECK(r.exit_code == 0);
    CHECK(u.processes().empty());
    CHECK(u.status().exit_code == 3);
  }

  pid_t pid = start_ok(u);
  RunResult fr = u.verb("force-reload");
  INFO(fr.describe());
  CHECK(fr.exit_code == 0);
  CHECK(wait_until([&] { return read_file(hups) == std::string("HUP\n"); }, 5000));
  CHECK(read_pidfile(u.pidfile()) == pid);

  for (const char* verb : {"try-restart", "condrestart"}) {
    RunResult r = u.verb(verb);
    INFO(verb << ": " << r.describe());
    CHECK(r.exit_code == 0);
    auto now = read_pidfile(u.pidfile());
    REQUIRE(now);
    CHECK(*now != pid);
    CHECK(alive(*now));
    CHECK_FALSE(alive(pid));
    CHECK(u.services().size() == 1);
    pid = *now;
  }
  CHECK(u.stop().exit_code == 0);

  // LSB's force-reload of a unit that cannot reload: a restart.
  TestUnit bare(dir, "lsbbare", "/bin/sleep 1000");
  pid = start_ok(bare);
  RunResult restarted = bare.verb("force-reload");
  INFO(restarted.describe());
  CHECK(restarted.exit_code == 0);
  auto now = read_pidfile(bare.pidfile());
  REQUIRE(now);
  CHECK(*now != pid);
  CHECK(alive(*now));
  CHECK_FALSE(alive(pid));
  CHECK(bare.stop().exit_code == 0);
}

// ---------------------------------------------------------------- logs

TEST_CASE("logs -n N prints the last N lines of append: and file: outputs", "[supervision][logs]") {
  TempDir dir;
  for (const char* kind : {"append", "file"}) {
    INFO("StandardOutput=" << kind);
    std::string log = dir / (std::string(kind) + ".log");
    TestUnit u(dir, "logs", "/bin/sh -c \"seq 1 30 | sed s/^/line/; exec /bin/sleep 1000\"",
               opts(std::string("StandardOutput=") + kind + ":" + log + "\n"));
    start_ok(u);
    REQUIRE(wait_until([&] { return count_lines(log) == 30; }, 5000));
    RunResult three = run_unitrun({"logs", u.path(), "-n", "3"});
    INFO(three.describe());
    CHECK(three.exit_code == 0);
    CHECK(three.out == "line28\nline29\nline30\n");
    RunResult dflt = run_unitrun({"logs", u.path()});
    CHECK(dflt.exit_code == 0);
    CHECK(split_words(dflt.out).size() == 10);
    CHECK(dflt.out.rfind("line21\n", 0) == 0);
    RunResult all = run_unitrun({"logs", u.path(), "-n", "100"});
    CHECK(all.exit_code == 0);
    CHECK(split_words(all.out).size() == 30);
    CHECK(all.out.rfind("line1\n", 0) == 0);
    CHECK(u.stop().exit_code == 0);
  }
}

TEST_CASE("logs -f follows what the service writes", "[supervision][logs]") {
  TempDir dir;
  TestUnit u(dir, "follow", helper("ticker") + " 50");
  start_ok(u);
  REQUIRE(wait_until([&] { return count_lines(u.log()) >= 3; }, 5000));
  std::string printed = dir / "printed";
  Running follow = spawn_logs(u, {"-n", "2", "-f"}, printed);
  // -f never ends by itself: once it has printed 20 lines (2 old ones and
  // what the ticker wrote since), the test ends it.
  bool twenty = wait_until([&] { return count_lines(printed) >= 20; }, 30000);
  CHECK_FALSE(wait_exit(follow.pid(), 0));  // still following
  REQUIRE(::kill(follow.pid(), SIGTERM) == 0);
  RunResult r = follow.wait();
  INFO(r.describe());
  CHECK(r.term_signal == SIGTERM);
  std::string out = read_file(printed).value_or("");
  INFO("logs -f printed:\n" << out);
  CHECK(twenty);
  // Consecutive, no line twice, none lost.
  std::vector<long> ticks = ticks_in(out);
  CHECK(ticks.size() >= 20);
  for (size_t i = 1; i < ticks.size(); ++i) CHECK(ticks[i] == ticks[i - 1] + 1);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("logs -f waits for a log file that does not exist yet", "[supervision][logs]") {
  TempDir dir;
  TestUnit u(dir, "followlater", helper("ticker") + " 50");
  remove_file(u.log());
  std::string printed = dir / "printed";
  Running follow = spawn_logs(u, {"-f"}, printed);
  // -f is waiting for the file (its directory is watched) before the unit starts.
  REQUIRE(wait_until([&] { return has_inotify_watch(follow.pid()); }, 10000));
  REQUIRE_FALSE(exists(u.log()));
  start_ok(u);
  bool followed = wait_until([&] { return contains(read_file(printed).value_or(""), "tick 1\n"); }, 30000);
  CHECK_FALSE(wait_exit(follow.pid(), 0));  // it kept following, it did not give up
  REQUIRE(::kill(follow.pid(), SIGTERM) == 0);
  RunResult r = follow.wait();
  INFO(r.describe());
  INFO("logs -f printed:\n" << read_file(printed).value_or(""));
  CHECK(followed);
  CHECK(r.term_signal == SIGTERM);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("logs shows a StandardError= file of its own after stdout's, each under a header", "[supervision][logs]") {
  TempDir dir;
  std::string out = dir / "out.log", err = dir / "err.log", go = dir / "go";
  TestUnit u(dir, "twofiles",
             "/bin/sh -c \"echo out; echo err >&2; while [ ! -e " + go +
                 " ]; do sleep 0.05; done; echo late >&2; exec /bin/sleep 1000\"",
             opts("StandardOutput=append:" + out + "\nStandardError=append:" + err + "\n"));
  start_ok(u);
  REQUIRE(wait_until([&] { return count_lines(out) == 1 && count_lines(err) == 1; }, 5000));
  RunResult r = run_unitrun({"logs", u.path()});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "==> " + out + " <==\nout\n\n==> " + err + " <==\nerr\n");
  // -f follows both: what the service writes to stderr later comes too.
  RunOptions o;
  o.timeout_ms = 2500;  // -f never ends by itself: the harness kills it
  Running follow = spawn({unitrun_binary(), "logs", u.path(), "-f"}, o);
  write_file(go, "", 0644);
  RunResult f = follow.wait();
  INFO(f.describe());
  CHECK(f.timed_out);
  CHECK(f.out == "==> " + out + " <==\nout\n\n==> " + err + " <==\nerr\nlate\n");
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("logs of a unit whose output is not a file exits 1 and says so", "[supervision][logs]") {
  TempDir dir;
  TestUnit u(dir, "nolog", "/bin/sleep 1000", opts("StandardOutput=null\n"));
  RunResult r = run_unitrun({"logs", u.path()});
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "StandardOutput=null"));
}
