// When a service ends: was it clean, and does Restart= bring it back?
// Pure functions, after systemd.service(5), Table 2.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "runtime/service_state.h"
#include "unit/unit.h"

namespace unitrun::monitor {

// How the main process ended.
struct Termination {
  int exit_code = -1;        // >= 0 when it exited
  int signal = 0;            // > 0 when a signal killed it
  bool watchdog = false;     // the monitor killed it because WATCHDOG=1 stopped
  bool timeout = false;      // a start or runtime timeout ended it
  bool core_dumped = false;  // with `signal`: the kernel wrote a core dump
  bool oom_killed = false;   // with SIGKILL: the unit's cgroup counted an OOM kill
};

// In words, as systemd logs it: "exited, code=1", "killed, signal=SIGTERM",
// "dumped core, signal=SIGSEGV", "killed by the OOM killer, signal=SIGKILL".
std::string describe(const Termination& t);

// Clean: code 0 or listed in SuccessExitStatus=; for services other than
// oneshot also SIGHUP, SIGINT, SIGTERM, SIGPIPE, or a listed signal.
bool is_clean(const Unit& unit, const Termination& t);

// systemd's Result= for a termination: success, exit-code, signal,
// core-dump, watchdog, timeout, oom-kill.
ServiceResult result_of(const Unit& unit, const Termination& t);

// RestartPreventExitStatus= first (never), then RestartForceExitStatus=
// (always), then Restart=.
bool should_restart(const Unit& unit, const Termination& t);

// StartLimitIntervalSec= / StartLimitBurst=: remembers start times on the
// monotonic clock; a start is allowed while fewer than `burst` starts fall
// within the interval. A burst or interval of 0 disables the limit.
// The times outlive one monitor through the state record (`starts()`,
// `StartLimit(..., earlier)`): a start by OnFailure=/OnSuccess= is a new
// monitor, and counts against the starts its predecessors made.
class StartLimit {
 public:
  // `earlier`: the last `burst` of them count (a record written under a
  // larger burst holds more).
  StartLimit(Usec interval, unsigned burst, const std::vector<uint64_t>& earlier = {});
  // Records a start at `now` and returns true, or returns false (hit).
  bool try_start(uint64_t now_usec);
  void reset() { starts_.clear(); }
  // The recorded starts, oldest first (at most `burst` of them).
  std::vector<uint64_t> starts() const { return {starts_.begin(), starts_.end()}; }

 private:
  Usec interval_;
  unsigned burst_;
  std::deque<uint64_t> starts_;
};

}  // namespace unitrun::monitor
