// `unitrun security`'s scoring (process/exposure.h) against the numbers
// systemd 252's own `systemd-analyze security --offline=true` gives for the
// same unit files (Debian 12's 252.39, measured on the reference machine).
// Units that get a mount namespace from another setting say
// PrivateMounts=yes too: systemd's --offline mode does not count the
// implied one, a loaded unit (and unitrun) does.
#include "process/exposure.h"

#include <catch2/catch.hpp>

#include "process/sandbox.h"
#include "unit/unit_parser.h"

namespace {

using namespace unitrun;
using process::exposure::Assessment;
using process::exposure::Check;

Assessment score(const std::string& service_lines, const std::string& unit_lines = "") {
  unit::ParseContext c;
  c.path = "/srv/units/demo.service";
  c.user_name = "root";
  c.home = "/root";
  c.runtime_dir = "/run";
  c.pid_dir = "/run/unitrun";
  c.log_dir = "/var/log/unitrun";
  std::string text = "[Unit]\n" + unit_lines + "[Service]\nExecStart=/bin/sleep 100\n" + service_lines;
  unit::ParseResult r = unit::parse(text, c);
  std::string said;
  for (const Diagnostic& d : r.diagnostics) said += d.format("demo.service") + "\n";
  INFO(said);
  REQUIRE_FALSE(has_errors(r.diagnostics));
  auto e = process::effective_sandbox(r.unit.sandbox);
  REQUIRE(e);
  return process::exposure::assess(process::exposure::security_info(r.unit, *e), &process::native_syscall);
}

const Check& row(const Assessment& a, const std::string& name) {
  for (const Check& c : a.checks)
    if (c.name == name) return c;
  FAIL("no row " << name);
  return a.checks.front();
}

std::string exposure_of(const Assessment& a, const std::string& name) {
  const Check& c = row(a, name);
  return c.exposure ? process::exposure::tenths_text(*c.exposure) : "n/a";
}

}  // namespace

TEST_CASE("security: totals are systemd-analyze security's for the same unit") {
  struct Case {
    const char* what;
    std::string service, unit;
    uint64_t exposure;
    const char* level;
  };
  const std::string redis =
      "User=redis\nGroup=redis\nUMask=007\nPrivateTmp=true\nPrivateDevices=true\nProtectHome=true\n"
      "ProtectSystem=strict\nReadWritePaths=-/var/lib/redis\nCapabilityBoundingSet=\nLockPersonality=true\n"
      "MemoryDenyWriteExecute=true\nNoNewPrivileges=true\nPrivateUsers=true\nProtectClock=true\n"
      "ProtectControlGroups=true\nProtectHostname=true\nProtectKernelLogs=true\nProtectKernelModules=true\n"
      "ProtectKernelTunables=true\nProtectProc=invisible\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
      "RestrictNamespaces=true\nRestrictRealtime=true\nRestrictSUIDSGID=true\nSystemCallArchitectures=native\n"
      "SystemCallFilter=@system-service\nSystemCallFilter=~ @privileged @resources\nNoExecPaths=/\n"
      "ExecPaths=/usr/bin/redis-server /usr/lib /lib\nPrivateMounts=yes\nType=notify\n";
  const std::vector<Case> cases = {
      {"nothing set", "", "", 96, "UNSAFE"},
      {"an allow list", "SystemCallFilter=@system-service\n", "", 82, "EXPOSED"},
      {"a deny list", "SystemCallFilter=~@clock @mount\n", "", 92, "UNSAFE"},
      {"ProtectClock= drops two capabilities", "ProtectClock=yes\n", "", 92, "UNSAFE"},
      {"PrivateDevices= closes the device policy", "PrivateDevices=yes\nPrivateMounts=yes\n", "", 88, "EXPOSED"},
      {"DevicePolicy=closed", "DevicePolicy=closed\n", "", 94, "UNSAFE"},
      {"DeviceAllow= alone is no ACL", "DeviceAllow=/dev/null r\n", "", 96, "UNSAFE"},
      {"graded settings",
       "User=nobody\nUMask=0077\nProtectHome=read-only\nProtectSystem=full\nProtectProc=noaccess\n"
       "RestrictAddressFamilies=~AF_PACKET\nRestrictNamespaces=~user\nSystemCallArchitectures=native x86\n"
       "NotifyAccess=all\nDelegate=yes\nKeyringMode=shared\nAmbientCapabilities=CAP_NET_RAW\n"
       "CapabilityBoundingSet=~CAP_SYS_ADMIN\nSupplementaryGroups=adm\nPrivateMounts=yes\n",
       "", 87, "EXPOSED"},
      {"DefaultDependencies=no",
       "User=daemon\nProtectHome=tmpfs\nProtectSystem=yes\nRestrictAddressFamilies=AF_UNIX\n"
       "RestrictNamespaces=net ipc\nSystemCallFilter=~@obsolete\nPrivateMounts=yes\n",
       "DefaultDependencies=no\n", 76, "EXPOSED"},
      // Debian's redis-server.service without RemoveIPC= (refused here):
      // systemd says 1.1 for this file.
      {"redis-server's protections", redis, "", 11, "OK"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Assessment a = score(c.service, c.unit);
    CHECK(a.checks.size() == 81);
    CHECK(a.exposure == c.exposure);
    CHECK(a.level == c.level);
  }
}

TEST_CASE("security: rows carry systemd's texts and exposures") {
  Assessment plain = score("");
  CHECK(exposure_of(plain, "PrivateNetwork=") == "0.5");
  CHECK(exposure_of(plain, "User=/DynamicUser=") == "0.4");
  CHECK(row(plain, "User=/DynamicUser=").description == "Service runs as root user");
  CHECK(exposure_of(plain, "SupplementaryGroups=") == "n/a");
  CHECK(row(plain, "SupplementaryGroups=").description == "Service runs as root, option does not matter");
  CHECK(row(plain, "UMask=").description == "Files created by service are world-readable by default");
  CHECK(row(plain, "KeyringMode=").passed());
  CHECK(row(plain, "Delegate=").passed());

  Assessment allow = score("SystemCallFilter=@system-service\n");
  CHECK(row(allow, "SystemCallFilter=~@privileged").description ==
        "System call allow list defined for service, and @privileged is included (e.g. chown is allowed)");
  CHECK(row(allow, "SystemCallFilter=~@mount").passed());
  Assessment deny = score("SystemCallFilter=~@clock @mount\n");
  CHECK(row(deny, "SystemCallFilter=~@swap").description ==
        "System call deny list defined for service, and @swap is not included (e.g. swapoff is allowed)");
  CHECK(row(deny, "SystemCallFilter=~@clock").description ==
        "System call deny list defined for service, and @clock is included");

  // IPAddressDeny= counts as systemd-analyze security counts it.
  CHECK(exposure_of(plain, "IPAddressDeny=") == "0.2");
  CHECK(row(plain, "IPAddressDeny=").description == "Service does not define an IP address allow list");
  Assessment deny_all = score("IPAddressDeny=any\n");
  CHECK(row(deny_all, "IPAddressDeny=").passed());
  CHECK(row(deny_all, "IPAddressDeny=").description == "Service blocks all IP address ranges");
  Assessment local = score("IPAddressDeny=any\nIPAddressAllow=localhost\n");
  CHECK(exposure_of(local, "IPAddressDeny=") == "0.1");
  CHECK(row(local, "IPAddressDeny=").description ==
        "Service defines IP address allow list with only localhost entries");
  Assessment other = score("IPAddressDeny=any\nIPAddressAllow=localhost 10.0.0.0/8\n");
  CHECK(exposure_of(other, "IPAddressDeny=") == "0.1");
  CHECK(row(other, "IPAddressDeny=").description == "Service defines IP address allow list with non-localhost entries");
  // Only IPv4 denied is not "any" for systemd.
  CHECK_FALSE(row(score("IPAddressDeny=0.0.0.0/0\n"), "IPAddressDeny=").passed());
  CHECK(score("IPAddressDeny=any\n").exposure < plain.exposure);

  Assessment clock = score("PrivateDevices=yes\nProtectClock=yes\n");
  CHECK(row(clock, "DeviceAllow=").description == "Service has a device ACL with some special devices: char-rtc:r");
  CHECK(exposure_of(clock, "DeviceAllow=") == "0.1");
  CHECK(row(clock, "CapabilityBoundingSet=~CAP_SYS_TIME").passed());
  CHECK(row(clock, "CapabilityBoundingSet=~CAP_MKNOD").passed());
  // A mount namespace of its own, as a loaded unit's PrivateMounts= says.
  CHECK(row(clock, "PrivateMounts=").passed());

  Assessment nodeps = score("PrivateTmp=yes\n", "DefaultDependencies=no\n");
  CHECK(row(nodeps, "PrivateTmp=").description == "Service runs in special boot phase, option is not appropriate");
  CHECK_FALSE(row(nodeps, "PrivateTmp=").badness);
}

TEST_CASE("security: the table sorts and marks as systemd-analyze does") {
  Assessment a = score("");
  // Description descending, then name.
  for (size_t i = 1; i < a.checks.size(); ++i) {
    INFO(a.checks[i - 1].description << " / " << a.checks[i].description);
    CHECK(a.checks[i - 1].description >= a.checks[i].description);
  }
  std::string utf8 = process::exposure::format(a, "demo.service", true);
  CHECK(utf8.find("✗ PrivateNetwork=") != std::string::npos);
  CHECK(utf8.find("✓ KeyringMode=") != std::string::npos);
  CHECK(utf8.find("\n  SupplementaryGroups=") != std::string::npos);
  CHECK(utf8.find("→ Overall exposure level for demo.service: 9.6 UNSAFE 😨\n") != std::string::npos);
  std::string ascii =
      process::exposure::format(process::exposure::assess(
                                    process::exposure::SecurityInfo{}, [](auto&) { return true; }, false),
                                "demo.service", false, {"Note: a note"});
  CHECK(ascii.find("- PrivateNetwork=") != std::string::npos);
  CHECK(ascii.find("+ KeyringMode=") != std::string::npos);
  CHECK(ascii.find("Note: a note\n\n-> Overall exposure level for demo.service: ") != std::string::npos);
  CHECK(ascii.find(":-{") != std::string::npos);
}

TEST_CASE("security: levels at systemd's thresholds") {
  using process::exposure::level_of;
  CHECK(level_of(0) == "PERFECT");
  CHECK(level_of(1) == "SAFE");
  CHECK(level_of(9) == "SAFE");
  CHECK(level_of(10) == "OK");
  CHECK(level_of(49) == "OK");
  CHECK(level_of(50) == "MEDIUM");
  CHECK(level_of(75) == "EXPOSED");
  CHECK(level_of(90) == "UNSAFE");
  CHECK(level_of(100) == "DANGEROUS");
}
