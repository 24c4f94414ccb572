// The terminal interface (src/cli/terminal.h, src/cli/progress.h): colour and
// glyphs as systemctl prints them, only on a terminal, never with NO_COLOR,
// ASCII outside a UTF-8 locale; and the progress line of long waits, only
// when stderr is a terminal. The terminals are real ptys.
#include <algorithm>
#include <catch2/catch.hpp>

#include "support.h"

using namespace itest;

namespace {

constexpr const char* kGreen = "\033[0;1;32m";
constexpr const char* kRed = "\033[0;1;31m";
constexpr const char* kReset = "\033[0m";

// A terminal that wants colour, in a UTF-8 locale, NO_COLOR unset.
RunOptions on_terminal() {
  RunOptions o;
  o.stdout_tty = true;
  o.set_env = {"TERM=xterm", "LC_ALL=C.UTF-8"};
  o.unset_env = {"NO_COLOR"};
  return o;
}

RunResult status_with(const TestUnit& u, std::vector<std::string> args, RunOptions opts) {
  args.push_back(u.path());
  opts.set_env.push_back("UNITRUN_TEST_MARKER=" + u.marker());
  return run_unitrun(args, opts);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}
bool has_escape(const std::string& s) { return s.find('\033') != std::string::npos; }
bool all_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// A running service with a child, so that status draws a process tree.
std::string with_child(const TempDir& dir) {
  std::string path = dir / "parent.sh";
  write_file(path, "#!/bin/sh\n/bin/sleep 1000 &\nexec /bin/sleep 1001\n", 0755);
  return path;
}

void start_ok(const TestUnit& u) {
  RunResult r = u.start();
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("status on a terminal colours the dot and the state green, as systemctl", "[terminal]") {
  TempDir dir;
  TestUnit u(dir, "colour", with_child(dir));
  start_ok(u);
  REQUIRE(wait_until([&] { return u.services().size() == 2; }, 5000));
  RunResult r = status_with(u, {"status"}, on_terminal());
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, std::string(kGreen) + "●" + kReset + " " + u.name()));
  CHECK(contains(r.out, std::string("Active: ") + kGreen + "active (running)" + kReset + " since "));
  // A UTF-8 locale: systemctl's tree.
  CHECK(contains(r.out, "└─"));
}

TEST_CASE("status on a terminal colours a failed unit red", "[terminal]") {
  TempDir dir;
  TestUnit u(dir, "red", "/bin/false", {.extra = "Type=oneshot\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code != 0);
  RunResult r = status_with(u, {"status"}, on_terminal());
  INFO(r.describe());
  CHECK(r.exit_code == 3);
  CHECK(contains(r.out, std::string(kRed) + "×" + kReset + " " + u.name()));
  CHECK(contains(r.out, std::string("Active: ") + kRed + "failed (Result: exit-code)" + kReset));
}

TEST_CASE("no colour when NO_COLOR is set, when piped, or with --no-color and --color=never", "[terminal]") {
  TempDir dir;
  TestUnit u(dir, "plain", "/bin/sleep 1000");
  start_ok(u);
  SECTION("NO_COLOR=1 on a terminal") {
    RunOptions o = on_terminal();
    o.set_env.push_back("NO_COLOR=1");
    RunResult r = status_with(u, {"status"}, o);
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "active (running)"));
    CHECK_FALSE(has_escape(r.out));
  }
  SECTION("an empty NO_COLOR counts as unset (no-color.org)") {
    RunOptions o = on_terminal();
    o.set_env.push_back("NO_COLOR=");
    CHECK(has_escape(status_with(u, {"status"}, o).out));
  }
  SECTION("TERM=dumb") {
    RunOptions o = on_terminal();
    o.set_env = {"TERM=dumb", "LC_ALL=C.UTF-8"};
    CHECK_FALSE(has_escape(status_with(u, {"status"}, o).out));
  }
  SECTION("piped") {
    RunOptions o = on_terminal();
    o.stdout_tty = false;
    RunResult r = status_with(u, {"status"}, o);
    CHECK(contains(r.out, "active (running)"));
    CHECK_FALSE(has_escape(r.out));
  }
  SECTION("--no-color before the verb, --color=never after it") {
    CHECK_FALSE(has_escape(status_with(u, {"--no-color", "status"}, on_terminal()).out));
    CHECK_FALSE(has_escape(status_with(u, {"status", "--color=never"}, on_terminal()).out));
  }
}

TEST_CASE("colour with --color=always also when piped, and despite NO_COLOR", "[terminal]") {
  TempDir dir;
  TestUnit u(dir, "always", "/bin/sleep 1000");
  start_ok(u);
  RunOptions piped = on_terminal();
  piped.stdout_tty = false;
  piped.set_env.push_back("NO_COLOR=1");
  for (auto args : {std::vector<std::string>{"--color=always", "status"},
                    {"--color", "always", "status"},
                    {"status", "--color=always"}}) {
    RunResult r = status_with(u, args, piped);
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, std::string(kGreen) + "●" + kReset));
  }
  RunResult bad = status_with(u, {"--color=sometimes", "status"}, piped);
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "auto, always or never"));
}

TEST_CASE("outside a UTF-8 locale, status prints systemctl's ASCII dot and tree", "[terminal]") {
  TempDir dir;
  TestUnit u(dir, "ascii", with_child(dir));
  start_ok(u);
  REQUIRE(wait_until([&] { return u.services().size() == 2; }, 5000));
  for (const char* locale : {"LC_ALL=C", "LC_ALL=POSIX"}) {
    RunOptions o = on_terminal();
    o.set_env = {"TERM=xterm", locale};
    RunResult r = status_with(u, {"status"}, o);
    INFO(locale << "\n" << r.describe());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, std::string(kGreen) + "*" + kReset + " " + u.name()));
    CHECK(contains(r.out, "`-"));
    CHECK(all_ascii(r.out));
  }
  // LC_ALL wins over LANG, LC_CTYPE over LANG.
  RunOptions o = on_terminal();
  o.set_env = {"TERM=xterm", "LANG=C.UTF-8", "LC_CTYPE=C"};
  o.unset_env = {"NO_COLOR", "LC_ALL"};
  CHECK(all_ascii(status_with(u, {"status"}, o).out));
  o.set_env = {"TERM=xterm", "LANG=C", "LC_CTYPE=C.UTF-8"};
  CHECK(contains(status_with(u, {"status"}, o).out, "●"));
}

TEST_CASE("a start waiting for READY=1 shows a progress line on a terminal only", "[terminal][progress]") {
  TempDir dir;
  TestUnit u(dir, "slowready", helper("notifier") + " sleep:2500 send:READY=1", {.extra = "Type=notify\n"});
  SECTION("stderr on a terminal") {
    RunOptions o;
    o.stderr_tty = true;
    o.set_env = {"TERM=xterm"};
    RunResult r = u.start(o);
    INFO(r.describe());
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "\rWaiting for READY=1 from " + u.name() + " ("));
    CHECK(contains(r.err, "s / 1min 30s)\033[K"));
    // Cleared when done: the last thing on stderr erases the line.
    CHECK(r.err.size() >= 4);
    CHECK(r.err.substr(r.err.size() - 4) == "\r\033[K");
    CHECK(contains(r.out, "started " + u.name()));
  }
  SECTION("stderr piped") {
    RunResult r = u.start();
    INFO(r.describe());
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
  }
}

TEST_CASE("a stop waiting out TimeoutStopSec= shows a progress line on a terminal only", "[terminal][progress]") {
  TempDir dir;
  TestUnit u(dir, "slowstop", helper("trapterm"), {.extra = "Type=notify\nTimeoutStopSec=3\n"});
  SECTION("stderr on a terminal") {
    start_ok(u);
    RunOptions o;
    o.stderr_tty = true;
    o.set_env = {"TERM=xterm"};
    RunResult r = u.stop(o);
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "\rWaiting for " + u.name() + " to stop ("));
    CHECK(contains(r.err, "s / 3s)\033[K"));
    CHECK(contains(r.err, "\r\033[K"));
    CHECK(contains(r.out, "stopped " + u.name()));
  }
  SECTION("stderr piped") {
    start_ok(u);
    RunResult r = u.stop();
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.err, "Waiting for"));
  }
}
