// `unitrun security` (the exposure score of systemd-analyze security) and
// `unitrun check`'s warnings for protections and limits this machine cannot
// give, through the binary.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

#include "support.h"

using namespace itest;

namespace {

// Debian 12's redis-server.service, less RemoveIPC= (which unitrun refuses),
// and run as daemon instead of redis: the unit is validated, and a redis user
// exists only where redis-server is installed (not on a fresh CI machine).
// Any system user other than root and nobody scores the same.
const char* kRedis = R"([Unit]
Description=Advanced key-value store
After=network.target

[Service]
Type=notify
ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no
PIDFile=/run/redis/redis-server.pid
TimeoutStopSec=0
Restart=always
User=daemon
Group=daemon
RuntimeDirectory=redis
RuntimeDirectoryMode=2755
UMask=007
PrivateTmp=true
LimitNOFILE=65535
PrivateDevices=true
ProtectHome=true
ProtectSystem=strict
ReadWritePaths=-/var/lib/redis
ReadWritePaths=-/var/log/redis
ReadWritePaths=-/var/run/redis
CapabilityBoundingSet=
LockPersonality=true
MemoryDenyWriteExecute=true
NoNewPrivileges=true
PrivateUsers=true
ProtectClock=true
ProtectControlGroups=true
ProtectHostname=true
ProtectKernelLogs=true
ProtectKernelModules=true
ProtectKernelTunables=true
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=true
RestrictRealtime=true
RestrictSUIDSGID=true
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~ @privileged @resources
ReadWriteDirectories=-/etc/redis
NoExecPaths=/
ExecPaths=/usr/bin/redis-server /usr/lib /lib
)";

const char* kPlain = "[Service]\nExecStart=/bin/sleep 100\n";

std::string write_unit(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir / name;
  write_file(path, text);
  return path;
}

// "→ Overall exposure level for NAME: 9.6 UNSAFE 😨": {9.6, "UNSAFE"}.
std::pair<double, std::string> overall(const RunResult& r) {
  std::smatch m;
  static const std::regex line("Overall exposure level for [^:]+: ([0-9]+\\.[0-9]) ([A-Z]+)");
  INFO(r.describe());
  REQUIRE(std::regex_search(r.out, m, line));
  return {std::stod(m[1]), m[2]};
}

// The 1-based line of the file that starts with `key`.
int line_of(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string l;
  for (int n = 1; std::getline(in, l); ++n)
    if (l.rfind(key, 0) == 0) return n;
  FAIL("no " << key << " in " << path);
  return 0;
}

// The memory controller on a v1 hierarchy (this project's reference
// machine): MemoryHigh= has no v1 equivalent.
bool memory_on_v1() {
  std::ifstream in("/proc/self/mountinfo");
  std::string l;
  while (std::getline(in, l))
    if (l.find(" - cgroup ") != std::string::npos && l.find(",memory") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("security: a plain unit is UNSAFE, redis-server's protections score OK", "[exposure]") {
  TempDir dir;
  RunResult plain = run_unitrun({"security", write_unit(dir, "plain.service", kPlain)});
  INFO(plain.describe());
  CHECK(plain.exit_code == 0);
  auto [plain_score, plain_level] = overall(plain);
  CHECK(plain_score >= 9.0);
  CHECK(plain_level == "UNSAFE");
  CHECK(plain.out.find("PrivateNetwork=") != std::string::npos);
  CHECK(plain.out.find("Service has access to the host's network") != std::string::npos);

  RunResult redis = run_unitrun({"security", write_unit(dir, "redis-server.service", kRedis)});
  INFO(redis.describe());
  CHECK(redis.exit_code == 0);
  auto [redis_score, redis_level] = overall(redis);
  CHECK(redis_score <= 2.0);
  CHECK(redis_level == "OK");
  CHECK(redis.out.find("Overall exposure level for redis-server.service") != std::string::npos);
  // Where unitrun differs from systemd is said under the table.
  CHECK(redis.out.find("Note: unitrun does not implement DynamicUser=") != std::string::npos);
}

TEST_CASE("security: --threshold exits 1 above it, 0 at or below, 2 out of range", "[exposure]") {
  TempDir dir;
  std::string plain = write_unit(dir, "plain.service", kPlain);
  std::string redis = write_unit(dir, "redis-server.service", kRedis);
  CHECK(run_unitrun({"security", "--threshold=100", plain}).exit_code == 0);
  CHECK(run_unitrun({"security", "--threshold=96", plain}).exit_code == 0);
  CHECK(run_unitrun({"security", "--threshold=95", plain}).exit_code == 1);
  CHECK(run_unitrun({"security", "--threshold=20", redis}).exit_code == 0);
  CHECK(run_unitrun({"security", "--threshold=5", redis}).exit_code == 1);
  // Either unit above it fails the whole command.
  CHECK(run_unitrun({"security", "--threshold=50", redis, plain}).exit_code == 1);
  CHECK(run_unitrun({"security", "--threshold=101", plain}).exit_code == 2);
  CHECK(run_unitrun({"security", "--threshold=x", plain}).exit_code == 2);
  CHECK(run_unitrun({"security", dir / "missing.service"}).exit_code == 6);
}

TEST_CASE("security: --json is an array of every check", "[exposure]") {
  TempDir dir;
  RunResult r = run_unitrun({"security", "--json", write_unit(dir, "plain.service", kPlain)});
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  nlohmann::json rows = nlohmann::json::parse(r.out);
  REQUIRE(rows.is_array());
  CHECK(rows.size() == 81);
  bool saw_network = false;
  for (const auto& row : rows) {
    REQUIRE(row.contains("name"));
    REQUIRE(row.contains("description"));
    REQUIRE(row.contains("weight"));
    REQUIRE(row.contains("exposure"));
    REQUIRE(row.contains("passed"));
    if (row["name"] == "PrivateNetwork=") {
      saw_network = true;
      CHECK(row["weight"] == 2500);
      CHECK(row["exposure"].get<double>() == Approx(0.5));
      CHECK(row["passed"] == false);
    }
  }
  CHECK(saw_network);
}

TEST_CASE("security: a unit with a key unitrun refuses is scored, and exits 6", "[exposure]") {
  TempDir dir;
  RunResult r =
      run_unitrun({"security", write_unit(dir, "dynamic.service", std::string(kPlain) + "DynamicUser=yes\n")});
  INFO(r.describe());
  CHECK(r.exit_code == 6);
  CHECK(r.err.find("DynamicUser= is refused") != std::string::npos);
  CHECK(r.out.find("unitrun refuses to start it") != std::string::npos);
  overall(r);
}

TEST_CASE("check: a limit this machine cannot apply is a warning naming key, value and line, exit 0", "[exposure]") {
  if (!memory_on_v1()) {
    WARN("the memory controller is on cgroup v2 here: MemoryHigh= can be applied, nothing to warn about");
    return;
  }
  TempDir dir;
  TestUnit high(dir, "high", "/bin/sleep 100", {.extra = "MemoryMax=200M\nMemoryHigh=100M\n"});
  RunResult r = high.verb("check");
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(r.err.find(high.path() + ":" + std::to_string(line_of(high.path(), "MemoryHigh=")) +
                   ": warning: MemoryHigh=104857600 cannot be applied here: needs cgroup v2's memory controller (v1 "
                   "has no equivalent) (start will fail; X-Unitrun-Sandbox=best-effort runs without it)") !=
        std::string::npos);
  // The control: MemoryMax= has its controller here.
  CHECK(r.err.find("MemoryMax=") == std::string::npos);

  // And the start does fail, naming the key, as check said.
  RunResult start = high.start();
  INFO(start.describe());
  CHECK(start.exit_code != 0);
  CHECK(start.err.find("MemoryHigh=") != std::string::npos);
  CHECK(high.nothing_running());

  std::string lenient =
      write_unit(dir, "lenient.service", std::string(kPlain) + "MemoryHigh=100M\nX-Unitrun-Sandbox=best-effort\n");
  RunResult l = run_unitrun({"check", lenient});
  INFO(l.describe());
  CHECK(l.exit_code == 0);
  CHECK(l.err.find("MemoryHigh=104857600 cannot be applied here") != std::string::npos);
  CHECK(l.err.find("(X-Unitrun-Sandbox=best-effort: the service runs without it)") != std::string::npos);

  // A unit asking for nothing this machine lacks gets no such warning.
  RunResult clean = run_unitrun({"check", write_unit(dir, "max.service", std::string(kPlain) + "MemoryMax=200M\n")});
  INFO(clean.describe());
  CHECK(clean.exit_code == 0);
  CHECK(clean.err.find("cannot be applied") == std::string::npos);
}
