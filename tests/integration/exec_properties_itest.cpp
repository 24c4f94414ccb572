// The process properties of systemd.exec(5) as the service sees them from
// inside (argvdump reads /proc/self, sched_getscheduler, sched_getaffinity,
// ioprio_get, prctl, getrlimit, its SIGPIPE disposition and its stdin):
// OOMScoreAdjust=, CoredumpFilter=, CPUScheduling*=, CPUAffinity=,
// IOScheduling*=, TimerSlackNSec=, Limit*=, IgnoreSIGPIPE=,
// StandardInputText=/Data=, PassEnvironment=/UnsetEnvironment=, the
// directory variables and the '+' and '!' prefixes.
#include <pwd.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "support.h"

using namespace itest;

namespace {

std::string dump_env(const std::string& path) { return "Environment=ARGVDUMP_OUT=" + path + "\n"; }

nlohmann::json start_and_dump(const TestUnit& u, const std::string& dump, RunOptions opts = {}) {
  RunResult r = u.start(std::move(opts));
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  return wait_for_dump(dump);
}

std::set<std::string> env_set(const nlohmann::json& dump) {
  std::set<std::string> out;
  for (const auto& e : dump.at("environ")) out.insert(e.get<std::string>());
  return out;
}

}  // namespace

// Raising a hard limit or lowering oom_score_adj needs CAP_SYS_RESOURCE,
// which a container may not give root: these values only go the other way.
TEST_CASE("exec properties: OOM score, core dump filter, timer slack, limits", "[exec_properties]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "props", helper("argvdump"),
             {.extra = dump_env(dump) + "OOMScoreAdjust=321\n"
                                        "CoredumpFilter=0x1f\n"
                                        "TimerSlackNSec=123456\n"
                                        "LimitNPROC=2000:3000\n"
                                        "LimitMEMLOCK=64K\n"
                                        "LimitCPU=1h:infinity\n"
                                        "LimitRTTIME=5s\n"});
  nlohmann::json j = start_and_dump(u, dump);
  INFO(j.dump(2));
  const nlohmann::json& p = j.at("props");
  CHECK(p.at("oom_score_adj") == 321);
  CHECK(p.at("coredump_filter") == 0x1f);
  CHECK(p.at("timerslack_ns") == 123456);
  CHECK(p.at("limits").at("NPROC") == nlohmann::json::array({2000, 3000}));
  CHECK(p.at("limits").at("MEMLOCK") == nlohmann::json::array({65536, 65536}));
  CHECK(p.at("limits").at("CPU") == nlohmann::json::array({3600, -1}));
  CHECK(p.at("limits").at("RTTIME") == nlohmann::json::array({5000000, 5000000}));
}

TEST_CASE("exec properties: CPU and I/O scheduling, affinity", "[exec_properties]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  cpu_set_t mine;
  CPU_ZERO(&mine);
  REQUIRE(::sched_getaffinity(0, sizeof mine, &mine) == 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &mine)) ++cpu;  // one CPU this test may use
  SECTION("batch, idle I/O, one CPU") {
    TestUnit u(dir, "sched", helper("argvdump"),
               {.extra = dump_env(dump) + "CPUSchedulingPolicy=batch\nCPUSchedulingResetOnFork=yes\n" +
                         "IOSchedulingClass=idle\nCPUAffinity=" + std::to_string(cpu) + "\n"});
    nlohmann::json j = start_and_dump(u, dump);
    INFO(j.dump(2));
    const nlohmann::json& p = j.at("props");
    CHECK(p.at("sched_policy") == SCHED_BATCH);
    CHECK(p.at("sched_reset_on_fork") == true);
    CHECK(p.at("ioprio") == (3 << 13));  // IOPRIO_CLASS_IDLE, level 0
    CHECK(p.at("affinity") == nlohmann::json::array({cpu}));
  }
  SECTION("round robin at 10, best-effort 6") {
    TestUnit u(
        dir, "rr", helper("argvdump"),
        {.extra = dump_env(dump) + "CPUSchedulingPolicy=rr\nCPUSchedulingPriority=10\nIOSchedulingPriority=6\n"});
    nlohmann::json j = start_and_dump(u, dump);
    INFO(j.dump(2));
    const nlohmann::json& p = j.at("props");
    CHECK(p.at("sched_policy") == SCHED_RR);
    CHECK(p.at("sched_priority") == 10);
    CHECK(p.at("sched_reset_on_fork") == false);
    CHECK(p.at("ioprio") == ((2 << 13) | 6));  // IOPRIO_CLASS_BE
  }
}

TEST_CASE("exec properties: IgnoreSIGPIPE=, and a failing step is reported", "[exec_properties]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  SECTION("ignored when asked") {
    TestUnit u(dir, "pipe", helper("argvdump"), {.extra = dump_env(dump) + "IgnoreSIGPIPE=yes\n"});
    nlohmann::json j = start_and_dump(u, dump);
    CHECK(j.at("props").at("sigpipe_ignored") == true);
  }
  SECTION("the default disposition for a .ini unit") {
    TestUnit u(dir, "pipe", helper("argvdump"), {.extra = dump_env(dump)});
    nlohmann::json j = start_and_dump(u, dump);
    CHECK(j.at("props").at("sigpipe_ignored") == false);
    CHECK(j.at("props").at("oom_score_adj") == 0);
  }
  SECTION("a step the kernel refuses fails the start, and the message names it") {
    // No CPU 8000 here: sched_setaffinity() fails with EINVAL in the child.
    TestUnit u(dir, "nocpu", helper("argvdump"), {.extra = dump_env(dump) + "CPUAffinity=8000\n"});
    RunResult r = u.start();
    INFO(r.describe());
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("sched_setaffinity") != std::string::npos);
    CHECK_FALSE(exists(dump));
  }
}

TEST_CASE("exec properties: StandardInputText= reaches the service's stdin", "[exec_properties]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "stdin", helper("argvdump"),
             {.extra = dump_env(dump) + "StandardInputText=first line\nStandardInputData=c2Vjb25kCg==\n"});
  nlohmann::json j = start_and_dump(u, dump);
  INFO(j.dump(2));
  CHECK(j.at("props").at("stdin") == "first line\nsecond\n");
  bool stdin_is_memfd = false;
  for (const auto& fd : j.at("fds"))
    if (fd.at("fd") == 0)
      stdin_is_memfd = fd.at("target").get<std::string>().find("memfd:unitrun-stdin") != std::string::npos;
  CHECK(stdin_is_memfd);
}

TEST_CASE("exec properties: PassEnvironment=, UnsetEnvironment=, directory variables", "[exec_properties]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "env", helper("argvdump"),
             {.extra = dump_env(dump) + "PassEnvironment=UNITRUN_PASSED UNITRUN_NOT_SET\n"
                                        "Environment=KEEP=1 DROP=2 MAYBE=yes\n"
                                        "UnsetEnvironment=DROP MAYBE=no UNITRUN_PASSED_TOO\n"
                                        "RuntimeDirectory=unitrun-itest-env/a unitrun-itest-env/b\n"
                                        "StateDirectory=unitrun-itest-env\n"});
  RunOptions opts;
  opts.set_env = {"UNITRUN_PASSED=from-unitrun", "UNITRUN_PASSED_TOO=x", "UNITRUN_HIDDEN=never"};
  nlohmann::json j = start_and_dump(u, dump, opts);
  INFO(j.dump(2));
  std::set<std::string> env = env_set(j);
  CHECK(env.count("UNITRUN_PASSED=from-unitrun") == 1);
  CHECK(env.count("KEEP=1") == 1);
  CHECK(env.count("DROP=2") == 0);
  CHECK(env.count("MAYBE=yes") == 1);  // NAME=VALUE unsets that value only
  for (const std::string& e : env) {
    CHECK(e.rfind("UNITRUN_HIDDEN=", 0) != 0);  // only what PassEnvironment= names
    CHECK(e.rfind("UNITRUN_NOT_SET=", 0) != 0);
  }
  CHECK(env.count("RUNTIME_DIRECTORY=/run/unitrun-itest-env/a:/run/unitrun-itest-env/b") == 1);
  CHECK(env.count("STATE_DIRECTORY=/var/lib/unitrun-itest-env") == 1);
}

TEST_CASE("exec properties: '+' and '!' run a command without User=", "[exec_properties]") {
  TempDir dir;
  std::string out = dir.world_writable_subdir("out");
  const struct passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  TestUnit u(dir, "privileged", "/bin/sleep 1000",
             {.extra = "User=nobody\n"
                       "ExecStartPre=+/bin/sh -c 'id -u > " +
                       out + "/plus'\n" + "ExecStartPre=!/bin/sh -c 'id -u > " + out +
                       "/bang'\n"
                       "ExecStartPre=!!/bin/sh -c 'id -u > " +
                       out + "/bangbang'\n" + "ExecStartPre=/bin/sh -c 'id -u > " + out + "/plain'\n"});
  RunResult r = u.start();
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  std::string root = "0\n", user = std::to_string(nobody->pw_uid) + "\n";
  CHECK(read_file(out + "/plus") == root);
  CHECK(read_file(out + "/bang") == root);
  CHECK(read_file(out + "/bangbang") == user);  // ambient capabilities exist: as without a prefix
  CHECK(read_file(out + "/plain") == user);
}

namespace {

// "Max open files  SOFT  HARD  files" of /proc/PID/limits, as two numbers
// (-1 for unlimited).
std::pair<long long, long long> nofile_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/limits");
  REQUIRE(text);
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::strlen("Max open files")));
    std::string soft, hard;
    fields >> soft >> hard;
    auto number = [](const std::string& s) { return s == "unlimited" ? -1LL : std::stoll(s); };
    return {number(soft), number(hard)};
  }
  FAIL("no 'Max open files' line in /proc/" << pid << "/limits");
  return {0, 0};
}

long long own_nofile_hard() {
  struct rlimit r;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &r) == 0);
  return static_cast<long long>(r.rlim_max);
}

}  // namespace

// systemd's setrlimit_closest(): a Limit*= the kernel refuses (above the hard
// limit without CAP_SYS_RESOURCE; for NOFILE, above fs.nr_open even with it)
// is clamped to the hard limit in force, and the start goes on, saying so.
// Debian's redis-server and memcached units set LimitNOFILE=65535.
TEST_CASE("exec properties: a Limit*= above the hard limit is clamped to it, and says so", "[exec_properties]") {
  TempDir dir;
  long long hard = own_nofile_hard();
  auto nr_open = read_file("/proc/sys/fs/nr_open");
  REQUIRE(nr_open);
  // Above fs.nr_open no process may go: refused with or without the
  // capability, wherever this test runs.
  long long wanted = std::stoll(*nr_open) + 1;
  REQUIRE(wanted > hard);
  std::string key = "LimitNOFILE=" + std::to_string(wanted);
  TestUnit u(dir, "clamp", "/bin/sleep 1000", {.extra = key + "\n"});

  RunResult check = run_unitrun({"check", u.path()});
  INFO(check.describe());
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.err, Catch::Contains(key + " exceeds the hard limit " + std::to_string(hard)));
  CHECK_THAT(check.err, Catch::Contains("start will set it to " + std::to_string(hard)));

  RunResult r = u.start();
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  CHECK(nofile_of(*pid) == std::pair<long long, long long>{hard, hard});
  RunResult status = u.status();
  INFO(status.describe());
  CHECK_THAT(status.out, Catch::Contains(key + " exceeds the hard limit " + std::to_string(hard) + " and "));
  CHECK_THAT(status.out, Catch::Contains(": set to " + std::to_string(hard)));
  CHECK(u.stop().exit_code == 0);

  // SOFT:HARD keeps the soft value the kernel allows.
  u.rewrite("/bin/sleep 1000", {.extra = "LimitNOFILE=1000:" + std::to_string(wanted) + "\n"});
  RunResult again = u.start();
  INFO(again.describe());
  REQUIRE(again.exit_code == 0);
  pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  CHECK(nofile_of(*pid) == std::pair<long long, long long>{1000, hard});
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("exec properties: a Limit*= within the hard limit is applied exactly, without a warning",
          "[exec_properties]") {
  TempDir dir;
  long long hard = own_nofile_hard();
  REQUIRE(hard > 1000);
  TestUnit u(dir, "exact", "/bin/sleep 1000", {.extra = "LimitNOFILE=900:" + std::to_string(hard - 1) + "\n"});
  RunResult check = run_unitrun({"check", u.path()});
  INFO(check.describe());
  CHECK(check.exit_code == 0);
  CHECK(check.err.find("exceeds the hard limit") == std::string::npos);
  RunResult r = u.start();
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  CHECK(nofile_of(*pid) == std::pair<long long, long long>{900, hard - 1});
  CHECK(u.status().out.find("exceeds the hard limit") == std::string::npos);
  CHECK(u.stop().exit_code == 0);
}
