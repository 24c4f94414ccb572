// unit::validate(): the rules between keys, users and groups on this
// machine, and (in Check mode) the programs on disk.
#include "unit/unit_validate.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_support.h"
#include "unit/unit_parser.h"

using namespace unitrun;
using namespace unitrun::unit;
using unitrun::test::TempDir;

namespace {

ParseContext context(const std::string& path) {
  ParseContext c;
  c.path = path;
  c.user_name = "root";
  c.home = "/root";
  c.runtime_dir = "/run";
  c.pid_dir = "/run/unitrun";
  c.log_dir = "/var/log/unitrun";
  return c;
}

std::string describe(const Diagnostics& ds) {
  std::string out;
  for (const Diagnostic& d : ds) out += d.format("demo.ini") + "\n";
  return out;
}

// Parses (which must be clean), resolves programs, validates.
Diagnostics validate_text(const std::string& content, ValidateMode mode = ValidateMode::Start,
                          const std::string& path = "/srv/units/demo.ini") {
  ParseResult r = parse(content, context(path));
  INFO("parse diagnostics:\n" << describe(r.diagnostics));
  REQUIRE_FALSE(has_errors(r.diagnostics));
  resolve_programs(r.unit);
  return validate(r.unit, mode);
}

Diagnostics errors(const Diagnostics& ds) {
  Diagnostics out;
  for (const Diagnostic& d : ds)
    if (d.severity == Diagnostic::Severity::Error) out.push_back(d);
  return out;
}

void require_valid(const std::string& content, ValidateMode mode = ValidateMode::Start,
                   const std::string& path = "/srv/units/demo.ini") {
  Diagnostics d = validate_text(content, mode, path);
  INFO("unit:\n" << content << "\ndiagnostics:\n" << describe(d));
  CHECK_FALSE(has_errors(d));
}

void require_error(const std::string& content, int line, const std::string& text,
                   ValidateMode mode = ValidateMode::Start, const std::string& path = "/srv/units/demo.ini") {
  Diagnostics e = errors(validate_text(content, mode, path));
  INFO("unit:\n" << content << "\ndiagnostics:\n" << describe(e));
  REQUIRE(e.size() == 1);
  CHECK(e[0].line == line);
  CHECK_THAT(e[0].message, Catch::Contains(text));
}

}  // namespace

TEST_CASE("validate: exactly one ExecStart unless oneshot", "[validate]") {
  require_valid("[Service]\nExecStart=/bin/true\n");
  require_valid("[Service]\nType=exec\nExecStart=/bin/true\n");
  require_error("[Unit]\nDescription=x\n[Service]\nType=simple\n", 3, "no ExecStart=");
  require_error("[Service]\nType=notify\nExecStart=\n", 1, "no ExecStart=");
  require_error("[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n", 3, "more than one ExecStart=");
  require_error("[Service]\nExecStart=/bin/true ; /bin/false\n", 2, "more than one ExecStart=");
  require_error("[Service]\nType=forking\nPIDFile=/run/x.pid\nExecStart=/bin/a\nExecStart=/bin/b\n", 5,
                "more than one ExecStart=");
  // Oneshot may have several, or none when it has ExecStop=.
  require_valid("[Service]\nType=oneshot\nExecStart=/bin/true\nExecStart=/bin/false ; /bin/true\n");
  require_valid("[Service]\nExecStop=/bin/true\n");
  require_error("[Service]\n", 1, "no ExecStart= and no ExecStop=");
}

TEST_CASE("validate: forking without PIDFile= is accepted, its main PID is guessed", "[validate]") {
  // systemd guesses the main PID (GuessMainPID=yes); the monitor tells the
  // two cases apart by key_lines.
  require_valid("[Service]\nType=forking\nExecStart=/bin/true\n");
  require_valid("[Service]\nType=forking\nExecStart=/bin/true\nPIDFile=/run/demo.pid\n");
  require_valid("[Service]\nType=forking\nExecStart=/bin/true\nGuessMainPID=no\n");
  ParseResult r = parse("[Service]\nType=forking\nExecStart=/bin/true\nPIDFile=/run/demo.pid\nPIDFile=\n",
                        context("/srv/units/demo.ini"));
  CHECK(r.unit.key_lines.count("Service.PIDFile") == 0);
  CHECK(r.unit.guess_main_pid);
}

TEST_CASE("validate: Type=dbus needs BusName=", "[validate]") {
  require_error("[Service]\nType=dbus\nExecStart=/bin/true\n", 2, "Type=dbus needs BusName=");
  require_valid("[Service]\nType=dbus\nBusName=org.example.Demo\nExecStart=/bin/true\n");
  // BusName= without Type=dbus is fine (systemd uses it for other things).
  require_valid("[Service]\nBusName=org.example.Demo\nExecStart=/bin/true\n");
  require_valid("[Service]\nType=idle\nExecStart=/bin/true\n");
}

TEST_CASE("validate: CPU scheduling priorities fit the policy", "[validate]") {
  require_error("[Service]\nExecStart=/bin/true\nCPUSchedulingPolicy=fifo\n", 3, "needs CPUSchedulingPriority=");
  require_error("[Service]\nExecStart=/bin/true\nCPUSchedulingPolicy=rr\nCPUSchedulingPriority=0\n", 4,
                "needs CPUSchedulingPriority=");
  require_error("[Service]\nExecStart=/bin/true\nCPUSchedulingPolicy=batch\nCPUSchedulingPriority=5\n", 4, "must be 0");
  require_valid("[Service]\nExecStart=/bin/true\nCPUSchedulingPolicy=fifo\nCPUSchedulingPriority=10\n");
  require_valid("[Service]\nExecStart=/bin/true\nCPUSchedulingPolicy=idle\n");
}

TEST_CASE("validate: NUMA and data input rules", "[validate]") {
  require_error("[Service]\nExecStart=/bin/true\nNUMAPolicy=bind\n", 3, "needs NUMAMask=");
  require_valid("[Service]\nExecStart=/bin/true\nNUMAPolicy=bind\nNUMAMask=0\n");
  require_valid("[Service]\nExecStart=/bin/true\nNUMAPolicy=local\n");
  require_error("[Service]\nExecStart=/bin/true\nCPUAffinity=numa\n", 3, "CPUAffinity=numa needs NUMAMask=");
  require_error("[Service]\nExecStart=/bin/true\nStandardInput=data\n", 3, "needs StandardInputText=");
  require_valid("[Service]\nExecStart=/bin/true\nStandardInputText=hello\n");
  Diagnostics d = validate_text("[Service]\nExecStart=/bin/true\nStandardInputText=x\nStandardInput=null\n");
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Diagnostic::Severity::Warning);
  CHECK(d[0].line == 4);
}

TEST_CASE("validate: a template starts only as an instance", "[validate]") {
  require_error("[Service]\nExecStart=/bin/echo %i\n", 0, "is a template", ValidateMode::Start,
                "/srv/units/web@.service");
  require_valid("[Service]\nExecStart=/bin/echo %i\n", ValidateMode::Start, "/srv/units/web@8080.service");
  // check validates it (as instance 'i', like systemd-analyze verify).
  Diagnostics d = validate_text("[Service]\nExecStart=/bin/echo %i\n", ValidateMode::Check, "/srv/units/web@.service");
  CHECK_FALSE(has_errors(d));
}

TEST_CASE("validate: nothing to run", "[validate]") {
  require_error("[Unit]\nSuccessAction=reboot\n[Service]\n", 3, "SuccessAction= alone has no effect here");
}

TEST_CASE("validate: Restart=always and on-success are not for oneshot", "[validate]") {
  require_error("[Service]\nType=oneshot\nExecStart=/bin/true\nRestart=always\n", 4, "Restart=always");
  require_error("[Service]\nExecStop=/bin/true\n\nRestart=on-success\n", 4, "Restart=on-success");
  require_valid("[Service]\nType=oneshot\nExecStart=/bin/true\nRestart=on-failure\n");
  require_valid("[Service]\nExecStart=/bin/true\nRestart=always\n");
}

TEST_CASE("validate: WatchdogSec without notify is a warning", "[validate]") {
  Diagnostics d = validate_text("[Service]\nExecStart=/bin/true\nWatchdogSec=10s\n");
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Diagnostic::Severity::Warning);
  CHECK(d[0].line == 3);
  CHECK(validate_text("[Service]\nType=notify\nExecStart=/bin/true\nWatchdogSec=10s\n").empty());
}

TEST_CASE("validate: users and groups must exist", "[validate]") {
  require_error("[Service]\nExecStart=/bin/true\nUser=idontexist_unitrun\n", 3,
                "user 'idontexist_unitrun' does not exist");
  require_error("[Service]\nExecStart=/bin/true\n\nGroup=nonexistentgroupxyz\n", 4,
                "group 'nonexistentgroupxyz' does not exist");
  require_error("[Service]\nExecStart=/bin/true\nSupplementaryGroups=nogroup nonexistentgroupxyz\n", 3,
                "group 'nonexistentgroupxyz' does not exist");
  require_valid("[Service]\nExecStart=/bin/true\nUser=nobody\nGroup=nogroup\nSupplementaryGroups=nogroup root\n");
  require_valid("[Service]\nExecStart=/bin/true\nUser=root\n");
  // Numeric IDs need no entry in /etc/passwd or /etc/group.
  require_valid("[Service]\nExecStart=/bin/true\nUser=65534\nGroup=65534\n");
  require_valid("[Service]\nExecStart=/bin/true\nUser=4242\nGroup=4242\nSupplementaryGroups=4243\n");
  // ...but a user ID without one has no primary group, and unitrun's (root's)
  // must never stand in for it.
  require_error("[Service]\nExecStart=/bin/true\n\nUser=4242\n", 4,
                "user ID 4242 has no passwd entry, so no primary group: set Group= as well");
  require_valid("[Service]\nExecStart=/bin/true\nUser=65534\n");  // nobody: its passwd entry has a group
}

TEST_CASE("validate: Check mode requires existing executable programs", "[validate]") {
  TempDir dir;
  std::string script = dir.write("run.sh", "#!/bin/sh\nexit 0\n", 0755);
  std::string data = dir.write("data.txt", "not a program\n", 0644);
  std::string missing = dir / "missing.sh";
  const std::string head = "[Service]\nExecStart=" + script + "\n";

  require_valid(head, ValidateMode::Check);
  require_error(head + "ExecStartPre=" + missing + " x\n", 3, "does not exist", ValidateMode::Check);
  require_error(head + "ExecStartPost=" + data + "\n", 3, "is not executable", ValidateMode::Check);
  require_error(head + "ExecStop=" + dir.path() + "\n", 3, "is not a regular file", ValidateMode::Check);
  require_error(head + "\nExecReload=idontexist_unitrun_prog --now\n", 4, "not found in", ValidateMode::Check);
  require_error(head + "ExecStopPost=-" + missing + "\n", 3, "does not exist", ValidateMode::Check);

  // Every problem is reported, each on its line.
  Diagnostics all = errors(validate_text(
      "[Service]\nType=oneshot\nExecStart=" + missing + "\nExecStart=" + data + "\nExecStop=" + dir.path() + "\n",
      ValidateMode::Check));
  REQUIRE(all.size() == 3);
  CHECK(all[0].line == 3);
  CHECK(all[1].line == 4);
  CHECK(all[2].line == 5);

  // Relative programs resolve against the unit's directory, so a unit next
  // to its script checks out.
  Diagnostics rel = validate_text("[Service]\nExecStart=./run.sh\n", ValidateMode::Check, dir / "demo.ini");
  CHECK_FALSE(has_errors(rel));
  require_error("[Service]\nExecStart=./data.txt\n", 2, "is not executable", ValidateMode::Check, dir / "demo.ini");
}

TEST_CASE("validate: Start mode does not report missing programs", "[validate]") {
  TempDir dir;
  std::string data = dir.write("data.txt", "x\n", 0644);
  require_valid("[Service]\nExecStart=/nonexistent/unitrun/prog\n", ValidateMode::Start);
  require_valid("[Service]\nExecStart=" + data + "\n", ValidateMode::Start);
  require_valid("[Service]\nExecStart=idontexist_unitrun_prog\n", ValidateMode::Start);
  require_valid("[Service]\nExecStart=/bin/true\nWorkingDirectory=/nonexistent/unitrun\n", ValidateMode::Start);
}

TEST_CASE("validate: Check mode warns about a missing WorkingDirectory and EnvironmentFile", "[validate]") {
  Diagnostics d = validate_text(
      "[Service]\nExecStart=/bin/true\nWorkingDirectory=/nonexistent/unitrun\nEnvironmentFile=/nonexistent/env\n"
      "EnvironmentFile=-/nonexistent/optional\n",
      ValidateMode::Check);
  CHECK_FALSE(has_errors(d));
  REQUIRE(d.size() == 2);
  CHECK(d[0].line == 3);
  CHECK(d[1].line == 4);
  CHECK(validate_text("[Service]\nExecStart=/bin/true\nWorkingDirectory=-/nonexistent/unitrun\n", ValidateMode::Check)
            .empty());
}

TEST_CASE("resolve_programs: bare names in the fixed PATH", "[validate]") {
  ParseResult r = parse(
      "[Service]\nType=oneshot\nExecStart=sleep 1\nExecStart=@sleep nap 1\nExecStart=idontexist_unitrun_prog\n"
      "ExecStart=/bin/true\n",
      context("/srv/units/demo.ini"));
  REQUIRE(r.diagnostics.empty());
  resolve_programs(r.unit);
  const auto& c = r.unit.exec_start;
  REQUIRE(c.size() == 4);
  struct stat st;
  REQUIRE(::stat("/usr/bin/sleep", &st) == 0);
  bool local_sleep = ::access("/usr/local/sbin/sleep", X_OK) == 0 || ::access("/usr/local/bin/sleep", X_OK) == 0 ||
                     ::access("/usr/sbin/sleep", X_OK) == 0;
  if (!local_sleep) CHECK(c[0].program == "/usr/bin/sleep");
  CHECK(c[0].program.front() == '/');
  CHECK(c[0].argv == std::vector<std::string>{c[0].program, "1"});
  CHECK(c[1].program == c[0].program);
  CHECK(c[1].argv == std::vector<std::string>{"nap", "1"});  // '@' keeps its argv[0]
  CHECK(c[2].program == "idontexist_unitrun_prog");
  CHECK(c[3].program == "/bin/true");

  // The caller's PATH plays no part.
  std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", "/nonexistent", 1);
  ParseResult again = parse("[Service]\nExecStart=sleep 1\n", context("/srv/units/demo.ini"));
  resolve_programs(again.unit);
  ::setenv("PATH", saved.c_str(), 1);
  CHECK(again.unit.exec_start[0].program == c[0].program);

  // A resolved bare name passes the Check-mode program test.
  Diagnostics d = validate_text("[Service]\nExecStart=sleep 1\n", ValidateMode::Check);
  CHECK_FALSE(has_errors(d));
}

TEST_CASE("validate: X-Unitrun-Timestamps=yes needs a KillMode= that leaves no process behind", "[validate]") {
  require_error("[Service]\nExecStart=/bin/true\nKillMode=process\nX-Unitrun-Timestamps=yes\n", 4,
                "X-Unitrun-Timestamps=yes cannot be used with KillMode=process");
  require_valid("[Service]\nExecStart=/bin/true\nKillMode=mixed\nX-Unitrun-Timestamps=yes\n");
  require_valid("[Service]\nExecStart=/bin/true\nKillMode=process\n");
}
