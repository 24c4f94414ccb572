// The monitor: the one long-lived unitrun process of a unit. It starts the
// service, reports the outcome to `start` through the readiness pipe, reaps
// every child at once (it is a subreaper), and runs the stop sequence.
// One event loop: epoll over a signalfd and a timerfd; no polling, and no
// wakeups while the service runs quietly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "unit/unit.h"

namespace unitrun::monitor {

// Set in the environment of the `unitrun start` a trigger runs, to
// "OnFailure= of NAME" (or OnSuccess=): that start counts against the unit's
// start limit across monitors (Options::triggered_by, cli/lifecycle.cc).
inline constexpr const char* kTriggeredByVariable = "UNITRUN_TRIGGERED_BY";
// And to "PID STARTTIME" of the monitor that runs the trigger: the start
// waits for that monitor to exit before it does anything, so that it finds
// the triggering unit's locks free and its record final (OnFailure=%n, or an
// OnFailure= unit that Requires= the failed one, would find it running).
inline constexpr const char* kTriggerMonitorVariable = "UNITRUN_TRIGGER_MONITOR";

struct Options {
  int ready_fd = -1;        // where "ok PID" or "fail CODE message" goes; -1: nobody waits
  bool foreground = false;  // `run`: stdout/stderr are the caller's
  // A start by OnFailure=/OnSuccess= of `triggered_by` (empty: a start asked
  // for by someone): it counts against the starts the unit's last record
  // lists (`earlier_starts`, this boot), so that a chain of triggers meets
  // StartLimitBurst= as one monitor's restarts do. `was_failed`: that record
  // said failed; a start it refuses then triggers no OnFailure= again
  // (systemd fires it on a change to failed only), which ends the chain.
  std::string triggered_by;
  std::vector<uint64_t> earlier_starts;
  bool was_failed = false;
  // The monitor's own start time (/proc/PID/stat's field 22) when its fork
  // knew it (proc::start_time_between()); else it is read from /proc.
  std::optional<uint64_t> start_time;
};

// Runs until the unit has stopped for good; returns the monitor's exit
// status (`run`), or, daemonized (not options.foreground), ends the
// process with it (_exit: the monitor's exit is what `stop` waits for).
// The lock must hold the alive lock already. The unit is moved from, not
// copied (a 3 kB temporary in a start's frames would stay in the monitor's
// stack pages).
int run(Unit&& unit, RuntimeFiles files, UnitLock lock, Options options);

}  // namespace unitrun::monitor
