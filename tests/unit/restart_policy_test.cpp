// The pure restart logic of src/monitor/restart_policy.h against
// systemd.service(5): the meaning of a clean exit (SuccessExitStatus=, the
// four clean signals, oneshot's stricter rule), Table 2 of Restart= for
// every termination, RestartPreventExitStatus= as an exception to all of
// them, and the StartLimitIntervalSec=/StartLimitBurst= window on synthetic
// monotonic times.
#include "monitor/restart_policy.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace unitrun;
using unitrun::monitor::is_clean;
using unitrun::monitor::result_of;
using unitrun::monitor::should_restart;
using unitrun::monitor::StartLimit;
using unitrun::monitor::Termination;

namespace {

constexpr Usec kSec = 1000000;
constexpr int kListedCode = 42;  // in SuccessExitStatus= of every unit below

// The rows of Table 2, plus a clean exit by SuccessExitStatus=.
enum class Kind { Clean, UncleanExit, UncleanSignal, Timeout, Watchdog };

struct Case {
  const char* name;
  Termination t;
  Kind kind;           // for a non-oneshot service
  const char* result;  // systemd's Result= word
};

Termination exited(int code) {
  Termination t;
  t.exit_code = code;
  return t;
}

Termination killed(int sig) {
  Termination t;
  t.signal = sig;
  return t;
}

// The monitor kills a silent service with SIGABRT and marks it.
Termination watchdog() {
  Termination t = killed(SIGABRT);
  t.watchdog = true;
  return t;
}

// A start or runtime timeout: the service was killed (SIGTERM, then maybe
// SIGKILL) or its status never seen; either way the timeout is what counts.
Termination timeout(int sig) {
  Termination t;
  t.signal = sig;
  t.timeout = true;
  return t;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"exit 0", exited(0), Kind::Clean, "success"},
      {"exit 1", exited(1), Kind::UncleanExit, "exit-code"},
      {"exit 42 (SuccessExitStatus=42)", exited(kListedCode), Kind::Clean, "success"},
      {"exit 3", exited(3), Kind::UncleanExit, "exit-code"},
      {"exit 255", exited(255), Kind::UncleanExit, "exit-code"},
      {"SIGTERM", killed(SIGTERM), Kind::Clean, "success"},
      {"SIGHUP", killed(SIGHUP), Kind::Clean, "success"},
      {"SIGINT", killed(SIGINT), Kind::Clean, "success"},
      {"SIGPIPE", killed(SIGPIPE), Kind::Clean, "success"},
      {"SIGKILL", killed(SIGKILL), Kind::UncleanSignal, "signal"},
      {"SIGABRT", killed(SIGABRT), Kind::UncleanSignal, "signal"},
      {"SIGSEGV", killed(SIGSEGV), Kind::UncleanSignal, "signal"},
      {"watchdog (SIGABRT)", watchdog(), Kind::Watchdog, "watchdog"},
      {"timeout (SIGTERM)", timeout(SIGTERM), Kind::Timeout, "timeout"},
      {"timeout (SIGKILL)", timeout(SIGKILL), Kind::Timeout, "timeout"},
      {"timeout (status unknown)", timeout(0), Kind::Timeout, "timeout"},
      {"timeout (as a failed restart reports it: exit 1)",
       [] {
         Termination t = exited(1);
         t.timeout = true;
         return t;
       }(),
       Kind::Timeout, "timeout"},
  };
  return c;
}

// systemd.service(5), Table 2: which terminations each Restart= value
// restarts after.
bool table2(RestartPolicy p, Kind k) {
  switch (p) {
    case RestartPolicy::No:
      return false;
    case RestartPolicy::Always:
      return true;
    case RestartPolicy::OnSuccess:
      return k == Kind::Clean;
    case RestartPolicy::OnFailure:
      return k != Kind::Clean;
    case RestartPolicy::OnAbnormal:
      return k == Kind::UncleanSignal || k == Kind::Timeout || k == Kind::Watchdog;
    case RestartPolicy::OnAbort:
      return k == Kind::UncleanSignal;
    case RestartPolicy::OnWatchdog:
      return k == Kind::Watchdog;
  }
  FAIL("unknown policy");
  return false;
}

const std::vector<RestartPolicy> kPolicies = {
    RestartPolicy::No,         RestartPolicy::OnSuccess, RestartPolicy::OnFailure, RestartPolicy::OnAbnormal,
    RestartPolicy::OnWatchdog, RestartPolicy::OnAbort,   RestartPolicy::Always};

Unit service(ServiceType type, RestartPolicy restart) {
  Unit u;
  u.type = type;
  u.restart = restart;
  u.success_exit_status.codes = {kListedCode};
  return u;
}

// The RestartPreventExitStatus= sets tried against every case.
struct Prevent {
  const char* name;
  ExitStatusSet set;
};

const std::vector<Prevent>& prevents() {
  static const std::vector<Prevent> p = {
      {"(none)", {}},
      {"1", {{1}, {}}},
      {"0", {{0}, {}}},
      {"42", {{kListedCode}, {}}},
      {"SIGKILL", {{}, {SIGKILL}}},
      {"SIGTERM", {{}, {SIGTERM}}},
      {"SIGABRT", {{}, {SIGABRT}}},
      {"1 3 SIGKILL SIGABRT", {{1, 3}, {SIGKILL, SIGABRT}}},
  };
  return p;
}

bool prevented_by(const ExitStatusSet& set, const Termination& t) {
  for (int c : set.codes)
    if (t.exit_code >= 0 && t.exit_code == c) return true;
  for (int s : set.signals)
    if (t.signal > 0 && t.signal == s) return true;
  return false;
}

}  // namespace

TEST_CASE("is_clean: exit 0, SuccessExitStatus= codes and the four clean signals", "[restart_policy]") {
  for (ServiceType type : {ServiceType::Simple, ServiceType::Exec, ServiceType::Notify, ServiceType::Forking}) {
    Unit u = service(type, RestartPolicy::No);
    for (const Case& c : cases()) {
      INFO("type " << to_string(type) << ", " << c.name);
      CHECK(is_clean(u, c.t) == (c.kind == Kind::Clean));
    }
  }
}

TEST_CASE("is_clean: for Type=oneshot only exit 0 and SuccessExitStatus= are clean", "[restart_policy]") {
  Unit u = service(ServiceType::Oneshot, RestartPolicy::No);
  CHECK(is_clean(u, exited(0)));
  CHECK(is_clean(u, exited(kListedCode)));
  CHECK_FALSE(is_clean(u, exited(1)));
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGKILL, SIGABRT}) {
    INFO("signal " << sig);
    CHECK_FALSE(is_clean(u, killed(sig)));
  }
  // ... unless the signal is listed.
  u.success_exit_status.signals = {SIGTERM};
  CHECK(is_clean(u, killed(SIGTERM)));
  CHECK_FALSE(is_clean(u, killed(SIGINT)));
}

TEST_CASE("is_clean: signals listed in SuccessExitStatus= are clean, a watchdog or timeout never is",
          "[restart_policy]") {
  Unit u = service(ServiceType::Simple, RestartPolicy::No);
  u.success_exit_status.signals = {SIGKILL, SIGUSR1};
  CHECK(is_clean(u, killed(SIGKILL)));
  CHECK(is_clean(u, killed(SIGUSR1)));
  CHECK_FALSE(is_clean(u, killed(SIGUSR2)));
  CHECK_FALSE(is_clean(u, killed(SIGABRT)));
  // The monitor's own verdicts override the signal that carried them out.
  Termination w = killed(SIGKILL);
  w.watchdog = true;
  CHECK_FALSE(is_clean(u, w));
  CHECK_FALSE(is_clean(u, timeout(SIGKILL)));
  CHECK_FALSE(is_clean(u, timeout(SIGTERM)));
  // Codes listed are clean; their neighbours are not.
  CHECK(is_clean(u, exited(kListedCode)));
  CHECK_FALSE(is_clean(u, exited(kListedCode + 1)));
  CHECK_FALSE(is_clean(u, exited(kListedCode - 1)));
}

TEST_CASE("result_of: systemd's Result= word for each termination", "[restart_policy]") {
  Unit u = service(ServiceType::Simple, RestartPolicy::No);
  for (const Case& c : cases()) {
    INFO(c.name);
    CHECK(std::string(to_string(result_of(u, c.t))) == c.result);
  }
  Unit oneshot = service(ServiceType::Oneshot, RestartPolicy::No);
  CHECK(std::string(to_string(result_of(oneshot, killed(SIGTERM)))) == "signal");
  CHECK(std::string(to_string(result_of(oneshot, exited(0)))) == "success");
  CHECK(std::string(to_string(result_of(oneshot, exited(2)))) == "exit-code");
  CHECK(std::string(to_string(result_of(oneshot, timeout(SIGKILL)))) == "timeout");
}

TEST_CASE("should_restart: every Restart= value against every termination (Table 2)", "[restart_policy]") {
  for (RestartPolicy p : kPolicies) {
    Unit u = service(ServiceType::Simple, p);
    for (const Case& c : cases()) {
      INFO("Restart=" << to_string(p) << ", " << c.name);
      CHECK(should_restart(u, c.t) == table2(p, c.kind));
    }
  }
}

TEST_CASE("should_restart: Type=oneshot counts the clean signals as failures", "[restart_policy]") {
  for (RestartPolicy p : kPolicies) {
    Unit u = service(ServiceType::Oneshot, p);
    INFO("Restart=" << to_string(p));
    CHECK(should_restart(u, killed(SIGTERM)) == table2(p, Kind::UncleanSignal));
    CHECK(should_restart(u, exited(0)) == table2(p, Kind::Clean));
    CHECK(should_restart(u, exited(1)) == table2(p, Kind::UncleanExit));
  }
}

TEST_CASE("should_restart: RestartPreventExitStatus= overrides every Restart= value", "[restart_policy]") {
  for (RestartPolicy p : kPolicies) {
    for (const Prevent& prevent : prevents()) {
      Unit u = service(ServiceType::Simple, p);
      u.restart_prevent_exit_status = prevent.set;
      for (const Case& c : cases()) {
        bool expected = table2(p, c.kind) && !prevented_by(prevent.set, c.t);
        INFO("Restart=" << to_string(p) << ", RestartPreventExitStatus=" << prevent.name << ", " << c.name);
        CHECK(should_restart(u, c.t) == expected);
      }
    }
  }
}

TEST_CASE("should_restart: the prevent list is exact, not a range", "[restart_policy]") {
  Unit u = service(ServiceType::Simple, RestartPolicy::Always);
  u.restart_prevent_exit_status = {{3}, {SIGUSR1}};
  CHECK_FALSE(should_restart(u, exited(3)));
  CHECK(should_restart(u, exited(2)));
  CHECK(should_restart(u, exited(4)));
  CHECK_FALSE(should_restart(u, killed(SIGUSR1)));
  CHECK(should_restart(u, killed(SIGUSR2)));
  // A code in the prevent list does not match a signal of the same number.
  u.restart_prevent_exit_status = {{SIGKILL}, {}};
  CHECK(should_restart(u, killed(SIGKILL)));
  CHECK_FALSE(should_restart(u, exited(SIGKILL)));
}

TEST_CASE("should_restart: RestartForceExitStatus= restarts whatever Restart= says, except what is prevented",
          "[restart_policy]") {
  for (RestartPolicy p : kPolicies) {
    for (const Prevent& force : prevents()) {
      for (const Prevent& prevent : prevents()) {
        Unit u = service(ServiceType::Simple, p);
        u.restart_force_exit_status = force.set;
        u.restart_prevent_exit_status = prevent.set;
        for (const Case& c : cases()) {
          bool expected = !prevented_by(prevent.set, c.t) && (prevented_by(force.set, c.t) || table2(p, c.kind));
          INFO("Restart=" << to_string(p) << ", RestartForceExitStatus=" << force.name
                          << ", RestartPreventExitStatus=" << prevent.name << ", " << c.name);
          CHECK(should_restart(u, c.t) == expected);
        }
      }
    }
  }
  // With Restart=no, a forced status alone brings the service back; a code
  // does not match a signal of the same number.
  Unit u = service(ServiceType::Simple, RestartPolicy::No);
  u.restart_force_exit_status = {{SIGHUP}, {SIGUSR1}};
  CHECK(should_restart(u, exited(SIGHUP)));
  CHECK_FALSE(should_restart(u, killed(SIGHUP)));
  CHECK(should_restart(u, killed(SIGUSR1)));
  CHECK_FALSE(should_restart(u, exited(0)));
}

TEST_CASE("StartLimit: the burst-th start within the interval is the last one allowed",
          "[restart_policy][start_limit]") {
  const uint64_t t0 = 5000 * kSec;  // an arbitrary monotonic origin
  StartLimit limit(10 * kSec, 5);
  for (int i = 0; i < 5; ++i) {
    INFO("start " << i);
    CHECK(limit.try_start(t0 + static_cast<uint64_t>(i) * 100000));
  }
  CHECK_FALSE(limit.try_start(t0 + 500000));
  // A refused start is not recorded: refusals do not extend the window.
  for (int i = 0; i < 100; ++i) CHECK_FALSE(limit.try_start(t0 + 600000 + static_cast<uint64_t>(i) * 1000));
  // Still within 10 s of the first start.
  CHECK_FALSE(limit.try_start(t0 + 10 * kSec - 1));
}

TEST_CASE("StartLimit: starts older than the interval fall out of the window", "[restart_policy][start_limit]") {
  const uint64_t t0 = 777 * kSec;
  StartLimit limit(10 * kSec, 5);
  for (int i = 0; i < 5; ++i) REQUIRE(limit.try_start(t0 + static_cast<uint64_t>(i) * kSec));  // t0 .. t0+4s
  CHECK_FALSE(limit.try_start(t0 + 9 * kSec));
  // Past t0+10s the first start has expired: one slot is free again ...
  CHECK(limit.try_start(t0 + 10 * kSec + 1));
  // ... and only one: t0+1s .. t0+4s and the new start fill the window.
  CHECK_FALSE(limit.try_start(t0 + 10 * kSec + 2));
  // Once every old start has expired, a full burst is allowed again.
  const uint64_t later = t0 + 10 * kSec + 1 + 10 * kSec + 1;
  for (int i = 0; i < 5; ++i) {
    INFO("start " << i << " after the window passed");
    CHECK(limit.try_start(later + static_cast<uint64_t>(i)));
  }
  CHECK_FALSE(limit.try_start(later + 5));
}

TEST_CASE("StartLimit: slow restarts never hit the limit", "[restart_policy][start_limit]") {
  StartLimit limit(10 * kSec, 5);
  // One start every 2.5 s: at most 4 within any 10 s.
  for (int i = 0; i < 1000; ++i) {
    INFO("start " << i);
    REQUIRE(limit.try_start(1 * kSec + static_cast<uint64_t>(i) * 2500000));
  }
}

TEST_CASE("StartLimit: a burst of 1 allows one start per interval", "[restart_policy][start_limit]") {
  StartLimit limit(2 * kSec, 1);
  CHECK(limit.try_start(100 * kSec));
  CHECK_FALSE(limit.try_start(100 * kSec + 1));
  CHECK_FALSE(limit.try_start(101 * kSec));
  CHECK(limit.try_start(102 * kSec + 1));
  CHECK_FALSE(limit.try_start(103 * kSec));
}

TEST_CASE("StartLimit: a burst or an interval of 0 disables the limit", "[restart_policy][start_limit]") {
  StartLimit no_burst(10 * kSec, 0);
  StartLimit no_interval(0, 5);
  for (int i = 0; i < 10000; ++i) {
    INFO("start " << i);
    REQUIRE(no_burst.try_start(kSec + static_cast<uint64_t>(i)));
    REQUIRE(no_interval.try_start(kSec + static_cast<uint64_t>(i)));
  }
}

TEST_CASE("StartLimit: an infinite interval never forgets a start", "[restart_policy][start_limit]") {
  StartLimit limit(kInfinity, 3);
  CHECK(limit.try_start(1));
  CHECK(limit.try_start(1000 * kSec));
  CHECK(limit.try_start(1000000 * kSec));
  CHECK_FALSE(limit.try_start(UINT64_MAX / 2));
}

TEST_CASE("StartLimit: reset() begins afresh", "[restart_policy][start_limit]") {
  StartLimit limit(10 * kSec, 2);
  CHECK(limit.try_start(50 * kSec));
  CHECK(limit.try_start(50 * kSec + 1));
  CHECK_FALSE(limit.try_start(50 * kSec + 2));
  limit.reset();
  CHECK(limit.try_start(50 * kSec + 3));
  CHECK(limit.try_start(50 * kSec + 4));
  CHECK_FALSE(limit.try_start(50 * kSec + 5));
}

TEST_CASE("StartLimit: the starts of earlier monitors count, and only the last burst of them is kept",
          "[restart_policy][start_limit]") {
  const uint64_t t0 = 9000 * kSec;
  StartLimit first(10 * kSec, 3);
  for (int i = 0; i < 2; ++i) REQUIRE(first.try_start(t0 + static_cast<uint64_t>(i) * kSec));
  // The next monitor (a start by OnFailure=) begins with what the record kept.
  StartLimit next(10 * kSec, 3, first.starts());
  CHECK(next.try_start(t0 + 2 * kSec));
  CHECK_FALSE(next.try_start(t0 + 3 * kSec));
  CHECK(next.starts().size() == 3);
  // A record written under a larger burst: the window holds `burst` starts at most.
  StartLimit smaller(10 * kSec, 2, {t0, t0 + 1, t0 + 2, t0 + 3});
  CHECK(smaller.starts() == std::vector<uint64_t>{t0 + 2, t0 + 3});
  CHECK_FALSE(smaller.try_start(t0 + 4));
  CHECK(smaller.try_start(t0 + 10 * kSec + 2));
}
