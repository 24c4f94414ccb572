// The registry (unit/directives.h): exactly systemd 252's directives, each
// with a status and a reason that fit; and what the parser does with each
// status: notes for keys without effect, errors for refused ones,
// did-you-mean against the whole registry, X- keys ignored.
#include "unit/directives.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "test_support.h"
#include "unit/directive_docs.h"
#include "unit/unit_parser.h"
#include "unit/unit_show.h"

using namespace unitrun;
using namespace unitrun::unit;

namespace {

// "Section.Key" for each line under a "[Section]" header.
std::set<std::string> keys_of_list(const std::string& text) {
  std::set<std::string> keys;
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '[') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    keys.insert(section + "." + line);
  }
  return keys;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

ParseContext context(const std::string& path = "/srv/units/demo.service") {
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
  for (const Diagnostic& d : ds) out += d.format("demo.service") + "\n";
  return out;
}

}  // namespace

TEST_CASE("registry: exactly the directives of systemd 252, committed and live", "[directives]") {
  std::string committed = test::read_file(std::string(UNITRUN_SOURCE_DIR) + "/src/unit/systemd-252-directives.txt");
  REQUIRE_FALSE(committed.empty());
  std::set<std::string> systemd = keys_of_list(committed);
  std::set<std::string> registry = keys_of_list(directives_list());
  CHECK(systemd.size() == 361);
  for (const std::string& k : systemd) {
    INFO(k << " is a systemd 252 directive missing from the registry");
    CHECK(registry.count(k) == 1);
  }
  for (const std::string& k : registry) {
    INFO(k << " is in the registry but not a systemd 252 directive");
    CHECK(systemd.count(k) == 1);
  }
  CHECK(registry.size() == directives().size());  // no row twice

  // This machine's systemd, when it is the same version: the committed list
  // is what scripts/systemd-directives prints now.
  std::string version = run("/lib/systemd/systemd --version 2>/dev/null");
  if (::access("/lib/systemd/systemd", X_OK) == 0 && version.rfind("systemd 252 ", 0) == 0) {
    std::string live = run(std::string(UNITRUN_SOURCE_DIR) + "/scripts/systemd-directives");
    CHECK(live == committed);
  } else {
    WARN("no systemd 252 here: the committed list is not compared with a live one");
  }
}

TEST_CASE("registry: statuses, reasons and parsers fit together", "[directives]") {
  std::set<Reason> refusals = {Reason::Sandboxing,  Reason::ResourceControl,     Reason::SocketActivation,
                               Reason::PamSession,  Reason::EncryptedCredential, Reason::ImageMount,
                               Reason::DynamicUser, Reason::BpfFilter,           Reason::NamespacePath,
                               Reason::MacLabel};
  std::map<DirectiveStatus, int> counts;
  std::set<size_t> ordinals;
  for (const Directive& d : directives()) {
    INFO(d.section() << "." << d.name());
    ++counts[d.status()];
    // The row found is this one (the section's own table row: directives()
    // is a copy of those): same key, same status, same parser.
    const Directive* found = find_directive(d.section(), d.name());
    REQUIRE(found != nullptr);
    CHECK(found->section() == d.section());
    CHECK(found->name() == d.name());
    CHECK(found->status() == d.status());
    CHECK(found->reason() == d.reason());
    CHECK(found->parse() == d.parse());
    CHECK(directive_ordinal(*found) == directive_ordinal(d));
    CHECK(directive_ordinal(d) < directive_count());
    ordinals.insert(directive_ordinal(d));
    switch (d.status()) {
      case DirectiveStatus::Implemented:
        CHECK(d.reason() == Reason::None);
        CHECK(d.parse() != nullptr);
        break;
      case DirectiveStatus::NoEffect:
        CHECK(d.reason() != Reason::None);
        CHECK(refusals.count(d.reason()) == 0);
        CHECK_FALSE(reason_text(d.reason()).empty());
        break;
      case DirectiveStatus::Refused:
        CHECK(refusals.count(d.reason()) == 1);
        CHECK(d.parse() == nullptr);  // a refused value is never looked at
        break;
    }
  }
  CHECK(counts[DirectiveStatus::Implemented] > 150);
  // One place per row: the parser keeps per-row state by it.
  CHECK(ordinals.size() == directives().size());
  CHECK(directive_count() == directives().size());
  // The sandbox's part of the registry is all in [Service]; what it
  // implements has no reason, what it does not implement says why.
  for (const Directive& d : sandbox_directives().rows) {
    INFO(d.name());
    CHECK(d.section() == "Service");
  }
  for (std::string_view key :
       {"PrivateTmp", "ProtectSystem", "CapabilityBoundingSet", "NoNewPrivileges", "SystemCallFilter", "ReadWritePaths",
        "DeviceAllow", "MemoryMax", "TasksMax", "CPUQuota", "Slice", "Delegate", "MemoryLimit", "RemoveIPC",
        "IPAddressDeny", "IPAddressAllow", "MemoryAccounting", "TasksAccounting", "CPUAccounting"}) {
    INFO(key);
    REQUIRE(find_directive("Service", key));
    CHECK(find_directive("Service", key)->status() == DirectiveStatus::Implemented);
  }
  for (auto [key, reason] : std::vector<std::pair<std::string_view, Reason>>{{"DynamicUser", Reason::DynamicUser},
                                                                             {"BPFProgram", Reason::BpfFilter},
                                                                             {"RootImage", Reason::ImageMount},
                                                                             {"MemoryLow", Reason::ResourceControl},
                                                                             {"MountAPIVFS", Reason::Sandboxing}}) {
    INFO(key);
    REQUIRE(find_directive("Service", key));
    CHECK(find_directive("Service", key)->status() == DirectiveStatus::Refused);
    CHECK(find_directive("Service", key)->reason() == reason);
  }
  // A MAC label is accepted only with systemd's '-' (ignore where unavailable).
  for (std::string_view key : {"AppArmorProfile", "SELinuxContext", "SmackProcessLabel"}) {
    INFO(key);
    REQUIRE(find_directive("Service", key));
    CHECK(find_directive("Service", key)->status() == DirectiveStatus::NoEffect);
    CHECK(find_directive("Service", key)->reason() == Reason::MacLabelIgnorable);
  }
  // The compatibility spellings are in both sections.
  for (std::string_view key : {"StartLimitBurst", "StartLimitInterval"}) {
    CHECK(find_directive("Unit", key));
    CHECK(find_directive("Service", key));
  }
  CHECK(find_directive("Unit", "NoSuchKey") == nullptr);
  CHECK(find_directive("Install", "Description") == nullptr);
}

TEST_CASE("parser: a MAC label with '-' is a warning, without it refused", "[directives]") {
  ParseResult r = parse(
      "[Service]\n"
      "ExecStart=/bin/true\n"
      "AppArmorProfile=-redis-server\n"
      "SELinuxContext=-system_u:system_r:sshd_t:s0\n"
      "SmackProcessLabel=-_\n",
      context());
  INFO(describe(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 3);
  for (const Diagnostic& d : r.diagnostics) CHECK(d.severity == Diagnostic::Severity::Warning);
  CHECK(r.diagnostics[0].format("u") ==
        "u:3: warning: AppArmorProfile=-redis-server is not applied: unitrun loads no SELinux, AppArmor or SMACK "
        "label (the '-' prefix lets the service run without it)");
  CHECK(r.unit.unapplied_labels == std::vector<std::string>{"AppArmorProfile=-redis-server",
                                                            "SELinuxContext=-system_u:system_r:sshd_t:s0",
                                                            "SmackProcessLabel=-_"});
  CHECK_THAT(show_text(r.unit),
             Catch::Contains("AcceptedWithoutEffect=AppArmorProfile SELinuxContext SmackProcessLabel"));
  // An empty value resets that key's entries only.
  ParseResult reset =
      parse("[Service]\nExecStart=/bin/true\nAppArmorProfile=-a\nSmackProcessLabel=-b\nAppArmorProfile=\n", context());
  CHECK(reset.unit.unapplied_labels == std::vector<std::string>{"SmackProcessLabel=-b"});

  for (std::string key : {"AppArmorProfile", "SELinuxContext", "SmackProcessLabel"}) {
    INFO(key);
    ParseResult bad = parse("[Service]\nExecStart=/bin/true\n" + key + "=confined\n", context());
    INFO(describe(bad.diagnostics));
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].severity == Diagnostic::Severity::Error);
    CHECK(bad.diagnostics[0].line == 3);
    CHECK_THAT(bad.diagnostics[0].message, Catch::StartsWith(key + "=confined is refused: unitrun applies no SELinux"));
    CHECK_THAT(bad.diagnostics[0].message, Catch::Contains("'-' prefix"));
  }
}

TEST_CASE("parser: a key without effect is a note, and show lists it", "[directives]") {
  ParseResult r = parse(
      "[Unit]\n"
      "JoinsNamespaceOf=network.service\n"
      "IgnoreOnIsolate=yes\n"
      "RequiresMountsFor=/var /srv\n"
      "After=c.service\n"
      "PropagatesStopTo=a.service b.target\n"
      "[Service]\n"
      "ExecStart=/bin/true\n"
      "UtmpIdentifier=tty1\n"
      "[Install]\n"
      "Alias=other.service\n",
      context());
  INFO(describe(r.diagnostics));
  // Alias=, After= and PropagatesStopTo= have an effect (unitrun enable, start, stop): no note for them.
  REQUIRE(r.diagnostics.size() == 4);
  for (const Diagnostic& d : r.diagnostics) CHECK(d.severity == Diagnostic::Severity::Note);
  CHECK(r.diagnostics[0].line == 2);
  CHECK(r.diagnostics[0].format("u") ==
        "u:2: note: JoinsNamespaceOf= is accepted without effect: it takes effect while a manager watches units "
        "between commands; unitrun acts on dependencies when a command starts or stops units");
  CHECK(r.diagnostics[1].message == "IgnoreOnIsolate= is accepted without effect: unitrun has no isolate operation");
  CHECK(r.diagnostics[3].line == 9);
  CHECK_FALSE(has_errors(r.diagnostics));
  // Parsed all the same, for when units are managed together.
  REQUIRE(r.unit.dependencies.size() == 4);
  CHECK(r.unit.dependencies[0] == Dependency{DependencyKind::JoinsNamespaceOf, "network.service", 2});
  CHECK(r.unit.dependencies[3] == Dependency{DependencyKind::PropagatesStopTo, "b.target", 6});
  CHECK(r.unit.requires_mounts_for == std::vector<std::string>{"/var", "/srv"});
  CHECK(r.unit.alias == std::vector<std::string>{"other.service"});
  std::string text = show_text(r.unit);
  CHECK_THAT(text, Catch::Contains("\nJoinsNamespaceOf=network.service\n"));
  CHECK_THAT(text, Catch::Contains("\nUtmpIdentifier=tty1\n"));
  CHECK_THAT(text, Catch::Contains("\nAcceptedWithoutEffect=JoinsNamespaceOf IgnoreOnIsolate RequiresMountsFor "
                                   "UtmpIdentifier\n"));
  CHECK_THAT(text, Catch::Contains("\nPropagatesStopTo=a.service b.target\n"));
  CHECK_THAT(text, Catch::Contains("\nAlias=other.service\n"));
  // A dependency a command acts on is a property of its own, as in systemctl show.
  CHECK_THAT(text, Catch::Contains("\nAfter=c.service\n"));
  CHECK_THAT(text, Catch::Contains("\nDefaultDependencies=yes\n"));
  nlohmann::json j = show_json(r.unit);
  CHECK(j["AcceptedWithoutEffect"]["RequiresMountsFor"]["values"] == nlohmann::json::array({"/var /srv"}));
  CHECK(j["AcceptedWithoutEffect"]["RequiresMountsFor"]["section"] == "Unit");
  CHECK(j["AcceptedWithoutEffect"]["UtmpIdentifier"]["reason"] == "unitrun writes no utmp or wtmp records");
  // A value without effect is still checked where systemd checks it.
  ParseResult bad =
      parse("[Unit]\nIgnoreOnIsolate=maybe\nAfter=not a unit\n[Service]\nExecStart=/bin/true\n", context());
  INFO(describe(bad.diagnostics));
  REQUIRE(bad.diagnostics.size() == 2);
  CHECK(bad.diagnostics[0].severity == Diagnostic::Severity::Error);
  CHECK_THAT(bad.diagnostics[0].message, Catch::StartsWith("IgnoreOnIsolate=: invalid boolean"));
  CHECK_THAT(bad.diagnostics[1].message, Catch::StartsWith("After=: invalid unit name 'not'"));
}

TEST_CASE("parser: a refused key is an error with its reason, its value unread", "[directives]") {
  ParseResult r = parse(
      "[Service]\n"
      "ExecStart=/bin/true\n"
      "RootImage=/x.img\n"
      "MemoryLow=%Z\n"  // not even the specifier is looked at
      "Sockets=x.socket\n"
      "StandardInput=socket\n",
      context());
  INFO(describe(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 4);
  CHECK(r.diagnostics[0].format("u") ==
        "u:3: RootImage= is refused: unitrun does not mount disk images (they need dm-verity and loop devices): "
        "refused rather than running the service on the host's file system");
  CHECK(r.diagnostics[1].message ==
        "MemoryLow= is refused: unitrun does not implement this limit: refused rather than running the service "
        "without it");
  CHECK(r.diagnostics[2].message == "Sockets= is refused: socket activation is not supported");
  CHECK(r.diagnostics[3].message == "StandardInput=socket is refused: socket activation is not supported");
  for (const Diagnostic& d : r.diagnostics) CHECK(d.severity == Diagnostic::Severity::Error);
}

TEST_CASE("parser: did-you-mean never turns a known key into another", "[directives]") {
  // Keys that got misleading hints before the registry knew them.
  ParseResult known =
      parse("[Service]\nExecStart=/bin/true\nUnsetEnvironment=A\nRestartForceExitStatus=3\nSlice=x.slice\n", context());
  INFO(describe(known.diagnostics));
  REQUIRE(known.diagnostics.size() == 1);
  CHECK(known.diagnostics[0].severity == Diagnostic::Severity::Warning);
  CHECK_THAT(known.diagnostics[0].message, Catch::StartsWith("Slice=x.slice is not applied"));
  // A typo gets the closest key of the whole registry, and its section when
  // that is another one.
  ParseResult typo = parse("[Service]\nExecStart=/bin/true\nPrivateTpm=yes\nDescripton=x\nUsre=x\n", context());
  INFO(describe(typo.diagnostics));
  REQUIRE(typo.diagnostics.size() == 3);
  CHECK(typo.diagnostics[0].message == "unknown key 'PrivateTpm' in [Service]; did you mean 'PrivateTmp='?");
  CHECK(typo.diagnostics[1].message ==
        "unknown key 'Descripton' in [Service]; did you mean 'Description=' (in [Unit])?");
  CHECK(typo.diagnostics[2].message == "unknown key 'Usre' in [Service]; did you mean 'User='?");
  // X- keys and [X-...] sections are skipped silently, as by systemd.
  ParseResult x = parse("[Unit]\nX-Any=1\n[Service]\nExecStart=/bin/true\nX-Foo=%Z\n[X-Vendor]\nUsre=1\n", context());
  CHECK(x.diagnostics.empty());
}

TEST_CASE("parser: KillMode=none and the obsolete spellings warn as systemd does", "[directives]") {
  ParseResult r = parse(
      "[Unit]\nRequiresOverridable=a.service\n[Service]\nExecStart=/bin/true\nKillMode=none\nStandardOutput=syslog\n",
      context());
  INFO(describe(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 3);  // the obsolete dependency is acted on: no note
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::Warning);
  CHECK_THAT(r.diagnostics[0].message, Catch::Contains("RequiresOverridable= is obsolete"));
  CHECK(r.diagnostics[1].format("u") ==
        "u:5: warning: KillMode=none is unsafe, as it disables unitrun's process lifecycle management for the "
        "service: at stop only ExecStop= runs and no process is signalled. Please use a safer KillMode=, such as "
        "'mixed' or 'control-group'. systemd deprecates KillMode=none and will eventually remove it.");
  CHECK_THAT(r.diagnostics[2].message, Catch::Contains("StandardOutput=syslog is obsolete"));
  CHECK(r.unit.kill_mode == KillMode::None);
  CHECK(r.unit.standard_output.kind == OutputSpec::Kind::Journal);
  CHECK(r.unit.dependencies.at(0).kind == DependencyKind::Requires);
}
