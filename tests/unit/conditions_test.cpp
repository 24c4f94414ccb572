// Conditions and asserts: parsing their values, and evaluating them against
// this machine: real files and directories made here, /proc, uname(), the
// environment of the test process (which plays unitrun's part).
#include "unit/conditions.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "test_support.h"
#include "unit/unit_parser.h"

using namespace unitrun;
using namespace unitrun::unit;
using unitrun::test::TempDir;

namespace {

Condition cond(ConditionKind kind, const std::string& value, bool is_assert = false) {
  std::vector<Condition> list;
  Status r = parse_condition(kind, is_assert, value, 7, list);
  INFO(to_string(kind) << " " << value << ": " << (r ? "" : r.error().message()));
  REQUIRE(r);
  REQUIRE(list.size() == 1);
  return list[0];
}

bool holds(ConditionKind kind, const std::string& value) { return check(cond(kind, value)); }

Unit unit_with(const std::string& lines) {
  ParseContext c;
  c.path = "/srv/units/demo.service";
  c.user_name = "root";
  c.home = "/root";
  c.runtime_dir = "/run";
  c.pid_dir = "/run/unitrun";
  c.log_dir = "/var/log/unitrun";
  ParseResult r = parse("[Unit]\n" + lines + "[Service]\nExecStart=/bin/true\n", c);
  for (const Diagnostic& d : r.diagnostics) INFO(d.format("demo.service"));
  REQUIRE_FALSE(has_errors(r.diagnostics));
  return r.unit;
}

}  // namespace

TEST_CASE("conditions: prefixes and the values systemd checks when loading", "[conditions]") {
  Condition c = cond(ConditionKind::PathExists, "|!/etc/x");
  CHECK(c.trigger);
  CHECK(c.negate);
  CHECK(c.value == "/etc/x");
  CHECK(c.line == 7);
  CHECK(condition_key(c) == "ConditionPathExists");
  CHECK(condition_text(c) == "|!/etc/x");
  CHECK(condition_key(cond(ConditionKind::User, "root", true)) == "AssertUser");

  std::vector<Condition> list;
  using K = ConditionKind;
  for (auto [kind, bad] : std::vector<std::pair<K, std::string>>{{K::PathExists, "relative"},
                                                                 {K::PathIsDirectory, "!relative"},
                                                                 {K::NeedsUpdate, "/usr"},
                                                                 {K::FirstBoot, "maybe"},
                                                                 {K::Architecture, "pdp11"},
                                                                 {K::Virtualization, "hyperthing"},
                                                                 {K::Security, "magic"},
                                                                 {K::Capability, "CAP_FLY"},
                                                                 {K::Memory, ">lots"},
                                                                 {K::CPUs, "<=many"},
                                                                 {K::KernelVersion, ">="},
                                                                 {K::OSRelease, "debian"},
                                                                 {K::MemoryPressure, "10"},
                                                                 {K::CPUPressure, "10%/2min"},
                                                                 {K::IOPressure, "notaslice:10%"},
                                                                 {K::Firmware, "bios"}}) {
    INFO(to_string(kind) << "=" << bad);
    CHECK_FALSE(parse_condition(kind, false, bad, 1, list));
  }
  CHECK(list.empty());
  // An empty value removes every condition (or every assert) before it.
  REQUIRE(parse_condition(K::PathExists, false, "/a", 1, list));
  REQUIRE(parse_condition(K::User, true, "root", 2, list));
  REQUIRE(parse_condition(K::Host, false, "", 3, list));
  REQUIRE(list.size() == 1);
  CHECK(list[0].is_assert);
}

TEST_CASE("conditions: paths, against files made here", "[conditions]") {
  TempDir dir;
  std::string file = dir.write("file", "content", 0755);
  std::string empty = dir.write("empty", "", 0644);
  REQUIRE(::mkdir((dir / "emptydir").c_str(), 0755) == 0);
  REQUIRE(::mkdir((dir / "hidden-only").c_str(), 0755) == 0);
  dir.write("hidden-only/.hidden", "x");
  dir.write("hidden-only/backup~", "x");
  dir.write("hidden-only/conf.dpkg-old", "x");
  REQUIRE(::mkdir((dir / "full").c_str(), 0755) == 0);
  dir.write("full/entry", "x");
  REQUIRE(::symlink(file.c_str(), (dir / "link").c_str()) == 0);
  using K = ConditionKind;

  CHECK(holds(K::PathExists, file));
  CHECK_FALSE(holds(K::PathExists, dir / "missing"));
  CHECK(holds(K::PathExists, "!" + dir / "missing"));
  CHECK_FALSE(holds(K::PathExists, "!" + file));
  CHECK(holds(K::PathExistsGlob, dir / "fi*"));
  CHECK(holds(K::PathExistsGlob, dir / "{nope,empty}"));
  CHECK_FALSE(holds(K::PathExistsGlob, dir / "nothing*"));
  CHECK(holds(K::PathIsDirectory, dir.path()));
  CHECK_FALSE(holds(K::PathIsDirectory, file));
  CHECK(holds(K::PathIsSymbolicLink, dir / "link"));
  CHECK_FALSE(holds(K::PathIsSymbolicLink, file));
  CHECK(holds(K::PathIsMountPoint, "/proc"));
  CHECK_FALSE(holds(K::PathIsMountPoint, dir.path()));
  CHECK(holds(K::PathIsReadWrite, dir.path()));
  CHECK(holds(K::PathIsReadWrite, dir / "missing"));  // as systemd: only a read-only file system fails it
  CHECK_FALSE(holds(K::PathIsEncrypted, dir.path()));
  CHECK(holds(K::DirectoryNotEmpty, dir / "full"));
  CHECK_FALSE(holds(K::DirectoryNotEmpty, dir / "emptydir"));
  CHECK_FALSE(holds(K::DirectoryNotEmpty, dir / "hidden-only"));  // hidden and backup files do not count
  CHECK_FALSE(holds(K::DirectoryNotEmpty, dir / "missing"));
  CHECK(holds(K::FileNotEmpty, file));
  CHECK_FALSE(holds(K::FileNotEmpty, empty));
  CHECK_FALSE(holds(K::FileNotEmpty, dir.path()));
  CHECK(holds(K::FileIsExecutable, file));
  CHECK(holds(K::FileIsExecutable, dir / "link"));  // followed, as by systemd
  CHECK_FALSE(holds(K::FileIsExecutable, empty));
  CHECK_FALSE(holds(K::FileIsExecutable, dir.path()));
}

TEST_CASE("conditions: this machine", "[conditions]") {
  using K = ConditionKind;
  struct utsname u;
  REQUIRE(::uname(&u) == 0);
  CHECK(holds(K::KernelVersion, u.release));
  CHECK(holds(K::KernelVersion, ">=2.6"));
  CHECK(holds(K::KernelVersion, ">=3 <1000"));
  CHECK_FALSE(holds(K::KernelVersion, "<2.6"));
  CHECK_FALSE(holds(K::KernelVersion, "0.*"));
  CHECK(holds(K::Architecture, "native"));
  CHECK(holds(K::Architecture, architecture_name()));
  CHECK_FALSE(holds(K::Architecture, architecture_name() == "s390" ? "x86" : "s390"));
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  CHECK(holds(K::Host, host));
  CHECK(holds(K::Host, std::string(host).substr(0, 1) + "*"));
  CHECK_FALSE(holds(K::Host, std::string("x") + host + "x"));
  CHECK(holds(K::CPUs, ">=1"));
  CHECK_FALSE(holds(K::CPUs, ">100000"));
  CHECK(holds(K::Memory, ">=1M"));
  CHECK_FALSE(holds(K::Memory, "<1K"));
  CHECK(holds(K::Memory, "1K"));  // >= by default
  // The test process's own user, groups and environment (unitrun's, in a run).
  CHECK(holds(K::User, std::to_string(::getuid())));
  CHECK(holds(K::User, ::getuid() == 0 ? "root" : "@system") == (::getuid() == 0 || ::getuid() < 1000));
  CHECK_FALSE(holds(K::User, "4000000"));
  CHECK(holds(K::Group, std::to_string(::getgid())));
  ::setenv("UNITRUN_COND_TEST", "42", 1);
  CHECK(holds(K::Environment, "UNITRUN_COND_TEST"));
  CHECK(holds(K::Environment, "UNITRUN_COND_TEST=42"));
  CHECK_FALSE(holds(K::Environment, "UNITRUN_COND_TEST=43"));
  CHECK_FALSE(holds(K::Environment, "UNITRUN_COND_TEST_NOT_SET"));
  // The kernel command line, word by word.
  std::string cmdline = test::read_file("/proc/cmdline");
  std::string first = cmdline.substr(0, cmdline.find_first_of(" \n"));
  if (!first.empty()) {
    CHECK(holds(K::KernelCommandLine, first));
    if (first.find('=') != std::string::npos) CHECK(holds(K::KernelCommandLine, first.substr(0, first.find('='))));
  }
  CHECK_FALSE(holds(K::KernelCommandLine, "unitrun.no.such.word"));
  // Capabilities from the bounding set: CAP_CHOWN (0) is in any root's.
  if (::getuid() == 0) CHECK(holds(K::Capability, "CAP_CHOWN"));
  CHECK(holds(K::Capability, "cap_chown") == holds(K::Capability, "CAP_CHOWN"));
  // os-release: ID= is there on Debian.
  std::string os = test::read_file("/etc/os-release");
  if (os.find("\nID=debian") != std::string::npos || os.rfind("ID=debian", 0) == 0) {
    CHECK(holds(K::OSRelease, "ID=debian"));
    CHECK(holds(K::OSRelease, "ID!=fedora"));
    CHECK_FALSE(holds(K::OSRelease, "ID=fedora"));
  }
  // Virtualization: one answer, consistent across the ways to ask.
  std::string virt = detect_virtualization();
  INFO("detected: " << virt);
  CHECK(holds(K::Virtualization, "yes") == (virt != "none"));
  CHECK(holds(K::Virtualization, "container") == is_container(virt));
  if (virt != "none" && virt != "vm-other" && virt != "container-other") CHECK(holds(K::Virtualization, virt));
  // Pressure: 100% is never exceeded.
  CHECK(holds(K::MemoryPressure, "100%"));
  CHECK(holds(K::CPUPressure, "100%/10sec"));
  CHECK(holds(K::ACPower, "true") != holds(K::ACPower, "false"));
  CHECK(holds(K::FirstBoot, "no") != holds(K::FirstBoot, "yes"));
}

TEST_CASE("conditions: triggering and negation, conditions before asserts", "[conditions]") {
  TempDir dir;
  std::string here = dir.write("here", "x");
  std::string gone = dir / "gone";
  SECTION("every plain condition must pass") {
    Unit u = unit_with("ConditionPathExists=" + here + "\nConditionPathExists=" + gone + "\n");
    ConditionVerdict v = evaluate_conditions(u);
    CHECK(v.outcome == ConditionVerdict::Outcome::ConditionFailed);
    REQUIRE(v.failed.size() == 1);
    CHECK(v.failed[0].line == 3);
    CHECK(v.message == "ConditionPathExists=" + gone + " (line 3) was not met");
  }
  SECTION("one triggering condition passing is enough") {
    Unit u = unit_with("ConditionPathExists=|" + gone + "\nConditionPathExists=|" + here + "\n");
    CHECK(evaluate_conditions(u).outcome == ConditionVerdict::Outcome::Pass);
  }
  SECTION("none of the triggering conditions passing fails") {
    Unit u = unit_with("ConditionPathExists=|" + gone + "\nConditionPathExists=|!" + here + "\n");
    ConditionVerdict v = evaluate_conditions(u);
    CHECK(v.outcome == ConditionVerdict::Outcome::ConditionFailed);
    CHECK(v.failed.size() == 2);
    CHECK_THAT(v.message, Catch::StartsWith("none of the triggering conditions was met:"));
  }
  SECTION("a plain condition failing fails whatever the triggers") {
    Unit u = unit_with("ConditionPathExists=|" + here + "\nConditionPathExists=!" + here + "\n");
    CHECK(evaluate_conditions(u).outcome == ConditionVerdict::Outcome::ConditionFailed);
  }
  SECTION("a failed assert fails the start; conditions come first") {
    Unit u = unit_with("AssertPathExists=" + gone + "\n");
    ConditionVerdict v = evaluate_conditions(u);
    CHECK(v.outcome == ConditionVerdict::Outcome::AssertFailed);
    CHECK(v.message == "AssertPathExists=" + gone + " (line 2) was not met");
    Unit both = unit_with("AssertPathExists=" + gone + "\nConditionPathExists=" + gone + "\n");
    CHECK(evaluate_conditions(both).outcome == ConditionVerdict::Outcome::ConditionFailed);
  }
  SECTION("everything passing") {
    Unit u = unit_with("ConditionPathExists=" + here + "\nAssertPathExists=!" + gone +
                       "\nConditionDirectoryNotEmpty=" + dir.path() + "\n");
    ConditionVerdict v = evaluate_conditions(u);
    CHECK(v.outcome == ConditionVerdict::Outcome::Pass);
    CHECK(v.message.empty());
  }
}
