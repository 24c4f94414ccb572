// The monitor: the one long-lived unitrun process of a unit. It starts the
// service, reports the outcome to `start` through the readiness pipe, reaps
// every child at once (it is a subreaper), and runs the stop sequence.
// One event loop: epoll over a signalfd and a timerfd; no polling, and no
// wakeups while the service runs quietly.
#pragma once

#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "unit/unit.h"

namespace unitrun::monitor {

struct Options {
  int ready_fd = -1;        // where "ok PID" or "fail CODE message" goes; -1: nobody waits
  bool foreground = false;  // `run`: stdout/stderr are the caller's
};

// Runs until the unit has stopped for good; returns the monitor's exit
// status. The lock must hold the alive lock already.
int run(Unit unit, RuntimeFiles files, UnitLock lock, Options options);

}  // namespace unitrun::monitor
