// The value parsers of src/unit/values.h, against systemd's own behaviour
// (ecosystem.md §2.2 golden vectors from `systemd-analyze timespan`) and the
// bad inputs of reliability.md B7.
#include "unit/values.h"

#include <sched.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace unitrun;
using namespace unitrun::values;

namespace {
constexpr Usec kSec = 1000000;
}

TEST_CASE("parse_timespan: systemd-analyze golden vectors", "[values][timespan]") {
  const std::vector<std::pair<std::string, Usec>> golden = {
      {"5s", 5000000ULL},
      {"1min 30s", 90000000ULL},
      {"90", 90000000ULL},
      {"1min30", 90000000ULL},
      {"1.5h", 5400000000ULL},
      {"2min200ms", 120200000ULL},
      {"5 s", 5000000ULL},
      {"1m", 60000000ULL},
      {"1M", 2629800000000ULL},
      {"1w", 604800000000ULL},
      {"300ms20s 5day", 432020300000ULL},
      {"infinity", UINT64_MAX},
      {"5min 20s", 320 * kSec},
  };
  for (const auto& [text, expected] : golden) {
    INFO("input '" << text << "'");
    auto r = parse_timespan(text);
    REQUIRE(r.ok());
    CHECK(*r == expected);
  }
}

TEST_CASE("parse_timespan: every unit name", "[values][timespan]") {
  const std::vector<std::pair<std::string, Usec>> units = {
      {"7usec", 7},
      {"7us", 7},
      {"7\xc2\xb5s", 7},
      {"7msec", 7000},
      {"7ms", 7000},
      {"7seconds", 7 * kSec},
      {"7second", 7 * kSec},
      {"7sec", 7 * kSec},
      {"7s", 7 * kSec},
      {"7minutes", 420 * kSec},
      {"7minute", 420 * kSec},
      {"7min", 420 * kSec},
      {"7m", 420 * kSec},
      {"2hours", 7200 * kSec},
      {"2hour", 7200 * kSec},
      {"2hr", 7200 * kSec},
      {"2h", 7200 * kSec},
      {"1days", 86400 * kSec},
      {"1day", 86400 * kSec},
      {"1d", 86400 * kSec},
      {"1weeks", 604800 * kSec},
      {"1week", 604800 * kSec},
      {"1months", 2629800 * kSec},
      {"1month", 2629800 * kSec},
      {"1years", 31557600 * kSec},
      {"1year", 31557600 * kSec},
      {"1y", 31557600 * kSec},
      {"0", 0},
      {"0s", 0},
      {" 5s ", 5 * kSec},
      {"0.5s", 500000},
      {"1.25", 1250000},
      {".5s", 500000},
      // systemd: "Don't allow '12.34.56', but accept '12.34 .56' or '12.34s.56'".
      {"12.34 .56", 12900000},
      {"12.34s.56", 12900000},
  };
  for (const auto& [text, expected] : units) {
    INFO("input '" << text << "'");
    auto r = parse_timespan(text);
    REQUIRE(r.ok());
    CHECK(*r == expected);
  }
}

TEST_CASE("parse_timespan: rejects what systemd rejects", "[values][timespan]") {
  for (std::string bad : {"-5s", "5 x", "", "   ", "10foo", "1e3", "18446744073709551616s", "-1", "5s -1s", "infinityx",
                          "s", "5mins", "1.5.5s", "12.34.56", "5..5", "5s infinity", "99999999999999999999"}) {
    INFO("input '" << bad << "'");
    auto r = parse_timespan(bad);
    CHECK_FALSE(r.ok());
    if (!r.ok()) CHECK_FALSE(r.error().message().empty());
  }
  // Sums that overflow are errors too, not a wrap-around.
  CHECK_FALSE(parse_timespan("584542y 584542y").ok());
  CHECK_FALSE(parse_timespan("18446744073709551615us").ok());  // that value is "infinity"
  CHECK(parse_timespan("18446744073709551614us").ok());
}

TEST_CASE("format_timespan: systemd style and round trip", "[values][timespan]") {
  CHECK(format_timespan(0) == "0");
  CHECK(format_timespan(kInfinity) == "infinity");
  CHECK(format_timespan(90 * kSec) == "1min 30s");
  CHECK(format_timespan(100000) == "100ms");
  CHECK(format_timespan(5 * kSec) == "5s");
  CHECK(format_timespan(1) == "1us");
  CHECK(format_timespan(320 * kSec) == "5min 20s");

  const std::vector<Usec> samples = {0,
                                     1,
                                     999,
                                     1000,
                                     100000,
                                     5 * kSec,
                                     90 * kSec,
                                     3600 * kSec,
                                     5400000000ULL,
                                     432020300000ULL,
                                     2629800000000ULL,
                                     31557600 * kSec + 1,
                                     123456789012345ULL,
                                     UINT64_MAX - 1,
                                     kInfinity};
  for (Usec v : samples) {
    std::string text = format_timespan(v);
    INFO(v << " formatted as '" << text << "'");
    auto back = parse_timespan(text);
    REQUIRE(back.ok());
    CHECK(*back == v);
  }
}

TEST_CASE("parse_bool", "[values]") {
  for (std::string yes : {"1", "yes", "y", "true", "t", "on", "YES", "True", "On", " yes "}) {
    INFO(yes);
    auto r = parse_bool(yes);
    REQUIRE(r.ok());
    CHECK(*r);
  }
  for (std::string no : {"0", "no", "n", "false", "f", "off", "NO", "False", "OFF"}) {
    INFO(no);
    auto r = parse_bool(no);
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
  }
  for (std::string bad : {"", "2", "yess", "enable", "nope", "-1", "o"}) {
    INFO(bad);
    CHECK_FALSE(parse_bool(bad).ok());
  }
}

TEST_CASE("parse_umask: octal 0 to 0777 only", "[values][umask]") {
  const std::vector<std::pair<std::string, mode_t>> good = {
      {"0", 0},      {"22", 022},    {"022", 022}, {"0027", 027},  {"27", 027},
      {"777", 0777}, {"0777", 0777}, {"0000", 0},  {" 022 ", 022}, {"7", 07},
  };
  for (const auto& [text, expected] : good) {
    INFO("input '" << text << "'");
    auto r = parse_umask(text);
    REQUIRE(r.ok());
    CHECK(*r == expected);
  }
  for (std::string bad :
       {"999", "abc", "-1", "0x12", "0o22", "07777", "7777", "022abc", "022 x", "", "1000", "8", "+22", "00022"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(parse_umask(bad).ok());
  }
}

TEST_CASE("parse_signal: names with and without SIG, numbers, real-time", "[values][signal]") {
  const std::vector<std::pair<std::string, int>> good = {
      {"SIGTERM", SIGTERM},
      {"TERM", SIGTERM},
      {"15", 15},
      {"9", 9},
      {"KILL", SIGKILL},
      {"SIGKILL", SIGKILL},
      {"HUP", SIGHUP},
      {"SIGUSR1", SIGUSR1},
      {"INT", SIGINT},
      {"RTMIN", SIGRTMIN},
      {"RTMIN+3", SIGRTMIN + 3},
      {"SIGRTMIN+3", SIGRTMIN + 3},
      {"RTMAX", SIGRTMAX},
      {"RTMAX-1", SIGRTMAX - 1},
      {"64", 64},
  };
  for (const auto& [text, expected] : good) {
    INFO("input '" << text << "'");
    auto r = parse_signal(text);
    REQUIRE(r.ok());
    CHECK(*r == expected);
  }
  for (std::string bad : {"BOGUS", "0", "SIGFOO", "-1", "99", "65", "", "SIG", "RTMIN+99", "RTMIN+", "RTMINX",
                          "RTMAX+1", "15x", "0x0f", "SIGTERMX"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(parse_signal(bad).ok());
  }
}

TEST_CASE("signal_name: names parse back to the same signal", "[values][signal]") {
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGKILL) == "SIGKILL");
  CHECK(signal_name(SIGHUP) == "SIGHUP");
  CHECK(signal_name(SIGRTMIN) == "SIGRTMIN");
  CHECK(signal_name(SIGRTMIN + 3) == "SIGRTMIN+3");
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    std::string name = signal_name(sig);
    INFO(sig << " named '" << name << "'");
    auto back = parse_signal(name);
    REQUIRE(back.ok());
    CHECK(*back == sig);
  }
}

TEST_CASE("parse_unsigned: strict base 10", "[values]") {
  CHECK(*parse_unsigned("0", 10) == 0);
  CHECK(*parse_unsigned("42", 42) == 42);
  CHECK(*parse_unsigned("007", 10) == 7);  // base 10, not octal
  CHECK(*parse_unsigned("18446744073709551615", UINT64_MAX) == UINT64_MAX);
  for (std::string bad : {"", "43", "+1", "-1", " 1", "1 ", "0x10", "1e3", "18446744073709551616", "4.2", "abc"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(parse_unsigned(bad, bad == "18446744073709551616" ? UINT64_MAX : 42).ok());
  }
}

TEST_CASE("parse_nice: -20 to 19", "[values]") {
  const std::vector<std::pair<std::string, int>> good = {
      {"-20", -20}, {"19", 19}, {"0", 0}, {"5", 5}, {"+5", 5}, {"-1", -1}, {" 10 ", 10},
  };
  for (const auto& [text, expected] : good) {
    INFO("input '" << text << "'");
    auto r = parse_nice(text);
    REQUIRE(r.ok());
    CHECK(*r == expected);
  }
  for (std::string bad : {"20", "-21", "", "-", "abc", "1.5", "0x1", "--1", "100"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(parse_nice(bad).ok());
  }
}

TEST_CASE("parse_rlimit: N, soft:hard, infinity, byte suffixes", "[values][rlimit]") {
  auto r = parse_rlimit("1024", false);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{1024, 1024});
  r = parse_rlimit("1024:4096", false);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{1024, 4096});
  r = parse_rlimit("infinity", false);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{UINT64_MAX, UINT64_MAX});
  r = parse_rlimit("1024:infinity", false);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{1024, UINT64_MAX});
  r = parse_rlimit("0", true);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{0, 0});

  r = parse_rlimit("1K", true);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{1024, 1024});
  r = parse_rlimit("2M", true);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{2 * 1024 * 1024, 2 * 1024 * 1024});
  r = parse_rlimit("1G:2G", true);
  REQUIRE(r.ok());
  CHECK(*r == ResourceLimit{1ULL << 30, 2ULL << 30});
  r = parse_rlimit("1E", true);
  REQUIRE(r.ok());
  CHECK(r->soft == 1ULL << 60);

  for (std::string bad :
       {"4096:1024", "infinity:1024", "", ":", "1024:", ":1024", "1:2:3", "abc", "-1", "1.5", "1K", "2M"}) {
    INFO("bytes=false, input '" << bad << "'");
    CHECK_FALSE(parse_rlimit(bad, false).ok());
  }
  for (std::string bad : {"4096:1024", "1X", "K", "16E", "2M:1M", "1k"}) {
    INFO("bytes=true, input '" << bad << "'");
    CHECK_FALSE(parse_rlimit(bad, true).ok());
  }
}

TEST_CASE("format_rlimit round trip", "[values][rlimit]") {
  for (ResourceLimit l : {ResourceLimit{1024, 1024}, ResourceLimit{1024, 4096}, ResourceLimit{UINT64_MAX, UINT64_MAX},
                          ResourceLimit{0, UINT64_MAX}}) {
    std::string text = format_rlimit(l);
    INFO(text);
    auto back = parse_rlimit(text, false);
    REQUIRE(back.ok());
    CHECK(*back == l);
  }
  CHECK(format_rlimit({1024, 1024}) == "1024");
  CHECK(format_rlimit({1024, 4096}) == "1024:4096");
  CHECK(format_rlimit({UINT64_MAX, UINT64_MAX}) == "infinity");
}

TEST_CASE("parse_exit_status_list: numbers, sysexits names, signals", "[values]") {
  ExitStatusSet set;
  REQUIRE(parse_exit_status_list("0 1 TEMPFAIL SIGTERM", set).ok());
  CHECK(set.codes == std::vector<int>{0, 1, 75});
  CHECK(set.signals == std::vector<int>{SIGTERM});

  // It adds to what is there (the key accumulates).
  REQUIRE(parse_exit_status_list("255 KILL USAGE", set).ok());
  CHECK(set.codes == std::vector<int>{0, 1, 75, 255, 64});
  CHECK(set.signals == std::vector<int>{SIGTERM, SIGKILL});

  ExitStatusSet empty;
  REQUIRE(parse_exit_status_list("", empty).ok());
  CHECK(empty.empty());

  for (std::string bad : {"256", "foo", "0 foo", "-1", "1x", "tempfail"}) {
    INFO("input '" << bad << "'");
    ExitStatusSet s;
    CHECK_FALSE(parse_exit_status_list(bad, s).ok());
  }
}

TEST_CASE("parse_exit_status_list: systemd's exit status names, all of a value or nothing", "[values]") {
  ExitStatusSet set;
  REQUIRE(parse_exit_status_list("SUCCESS NOTINSTALLED CHDIR BPF CONFIG", set).ok());
  CHECK(set.codes == std::vector<int>{0, 5, 200, 245, 78});
  CHECK(exit_status_name(203) == "EXEC");
  CHECK(exit_status_name(75) == "TEMPFAIL");
  CHECK(exit_status_name(100) == "100");
  ExitStatusSet kept{{1}, {}};
  CHECK_FALSE(parse_exit_status_list("2 nonsense", kept).ok());
  CHECK(kept.codes == std::vector<int>{1});  // the 2 was not added
}

TEST_CASE("parse_integer, parse_mode", "[values]") {
  CHECK(*parse_integer("-1000", -1000, 1000) == -1000);
  CHECK(*parse_integer("+12", -1000, 1000) == 12);
  CHECK(*parse_integer(" 7 ", 0, 7) == 7);
  for (std::string bad : {"1001", "-1001", "", "1e3", "0x10", "- 1", "one"}) {
    INFO(bad);
    CHECK_FALSE(parse_integer(bad, -1000, 1000).ok());
  }
  CHECK(*parse_mode("0755") == 0755);
  CHECK(*parse_mode("1777") == 01777);
  CHECK(*parse_mode("07777") == 07777);
  for (std::string bad : {"", "8", "10000", "0o755", "755x", "-1"}) {
    INFO(bad);
    CHECK_FALSE(parse_mode(bad).ok());
  }
}

TEST_CASE("parse_cpu_set: indices, ranges, blanks and commas", "[values]") {
  CpuSet set;
  REQUIRE(parse_cpu_set("0-2, 5 7", set).ok());
  CHECK(set.bits == std::vector<bool>{true, true, true, false, false, true, false, true});
  CHECK(format_cpu_set(set) == "0-2 5 7");
  REQUIRE(parse_cpu_set("3", set).ok());  // adds
  CHECK(format_cpu_set(set) == "0-3 5 7");
  REQUIRE(parse_cpu_set("8191", set).ok());
  for (std::string bad : {"8192", "3-1", "a", "1-", "-1", "1--2"}) {
    INFO(bad);
    CpuSet s;
    CHECK_FALSE(parse_cpu_set(bad, s).ok());
    CHECK(s.empty());
  }
}

TEST_CASE("scheduling, syslog, NUMA and personality names", "[values]") {
  CHECK(*parse_sched_policy("fifo") == SCHED_FIFO);
  CHECK(*parse_sched_policy("idle") == SCHED_IDLE);
  CHECK(sched_policy_name(SCHED_RR) == "rr");
  CHECK_FALSE(parse_sched_policy("deadline").ok());
  CHECK(*parse_io_class("best-effort") == 2);
  CHECK(*parse_io_class("3") == 3);
  CHECK(io_class_name(1) == "realtime");
  CHECK_FALSE(parse_io_class("4").ok());
  CHECK(*parse_syslog_facility("local7") == (23 << 3));
  CHECK(syslog_facility_name(3 << 3) == "daemon");
  CHECK_FALSE(parse_syslog_facility("local8").ok());
  CHECK(*parse_syslog_level("debug") == 7);
  CHECK(syslog_level_name(3) == "err");
  CHECK_FALSE(parse_syslog_level("error").ok());
  CHECK(*parse_numa_policy("bind") == 2);
  CHECK_FALSE(parse_numa_policy("spread").ok());
#if defined(__x86_64__)
  CHECK(personality_name(*parse_personality("x86")) == "x86");
  CHECK(personality_name(*parse_personality("x86-64")) == "x86-64");
  auto s390 = parse_personality("s390x");
  REQUIRE_FALSE(s390.ok());
  CHECK_THAT(s390.error().message(), Catch::Contains("not one this machine's kernel can run"));
#endif
  CHECK_FALSE(parse_personality("vax").ok());
}

TEST_CASE("parse_coredump_filter: names, all, default, hexadecimal masks", "[values]") {
  CHECK(*parse_coredump_filter("default") == 0x33);
  CHECK(*parse_coredump_filter("all") == 0x1ff);
  CHECK(*parse_coredump_filter("private-anonymous shared-dax") == (0x1 | 0x100));
  CHECK(*parse_coredump_filter("0x1f") == 0x1f);
  CHECK(*parse_coredump_filter("1f") == 0x1f);
  for (std::string bad : {"everything", "0xzz", "11111111111111111"}) {
    INFO(bad);
    CHECK_FALSE(parse_coredump_filter(bad).ok());
  }
}

TEST_CASE("parse_limit: each Limit key in its own unit", "[values]") {
  CHECK(rlimit_of("LimitNPROC") == RLIMIT_NPROC);
  CHECK(rlimit_key(RLIMIT_RTTIME) == "LimitRTTIME");
  CHECK(rlimit_of("LimitNothing") == -1);
  CHECK(*parse_limit(RLIMIT_CPU, "90") == ResourceLimit{90, 90});
  CHECK(*parse_limit(RLIMIT_CPU, "1min:2min") == ResourceLimit{60, 120});
  CHECK(*parse_limit(RLIMIT_CPU, "1500ms") == ResourceLimit{2, 2});      // rounded up to seconds
  CHECK(*parse_limit(RLIMIT_RTTIME, "200") == ResourceLimit{200, 200});  // microseconds
  CHECK(*parse_limit(RLIMIT_RTTIME, "1s") == ResourceLimit{1000000, 1000000});
  CHECK(*parse_limit(RLIMIT_NICE, "-20") == ResourceLimit{40, 40});
  CHECK(*parse_limit(RLIMIT_NICE, "+19") == ResourceLimit{1, 1});
  CHECK(*parse_limit(RLIMIT_NICE, "10") == ResourceLimit{10, 10});
  CHECK(*parse_limit(RLIMIT_MEMLOCK, "64K:infinity") == ResourceLimit{65536, UINT64_MAX});
  CHECK(*parse_limit(RLIMIT_NPROC, "infinity") == ResourceLimit{UINT64_MAX, UINT64_MAX});
  for (auto [resource, bad] : std::vector<std::pair<int, std::string>>{{RLIMIT_NPROC, "1K"},
                                                                       {RLIMIT_NICE, "41"},
                                                                       {RLIMIT_NICE, "-21"},
                                                                       {RLIMIT_CPU, "5x"},
                                                                       {RLIMIT_AS, "2:1"},
                                                                       {RLIMIT_FSIZE, "-1"}}) {
    INFO(rlimit_key(resource) << "=" << bad);
    CHECK_FALSE(parse_limit(resource, bad).ok());
  }
}
