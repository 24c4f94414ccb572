// The SysV double fork (daemon(7)): caller → fork → setsid → fork → monitor.
// The caller learns the outcome through a readiness pipe: the monitor first
// writes "monitor PID STARTTIME" (who it is), then "ok PID" once the service
// runs, or "fail CODE message". Nobody but the caller keeps the caller's
// stdin, stdout or stderr.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace unitrun::daemon {

struct StartOutcome {
  int code = 1;         // LSB exit code
  pid_t pid = 0;        // the service's main PID, on success
  std::string message;  // on failure: one line for the user
  // The monitor, when it said who it is: a failed start waits for it to be
  // gone, so that nothing of the unit is left when `start` returns.
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;
  // On success, what the monitor said besides: "" (the service runs, `pid`),
  // "0" (a oneshot ran to completion), "exited" (a oneshot with
  // RemainAfterExit=: active, nothing running), "skipped" (a condition said
  // not to start).
  std::string detail;
};

// The report's first line, written by the monitor as soon as it runs.
std::string identity_line(pid_t monitor_pid, uint64_t monitor_start_time);

// What the caller does while it waits for the report: tick() whenever
// interval_ms pass without news (a progress line); interval_ms -1 is a wait
// without timeout, and no tick.
struct WaitTicks {
  int interval_ms = -1;
  std::function<void()> tick;
};

// Runs monitor_main(ready_fd) in a daemonized grandchild and waits for its
// report. monitor_main's return value becomes the monitor's exit status.
// after_fork runs in the caller once the first child exists: the place to
// close what only the monitor should keep. It runs in that child too, once
// the monitor is forked and before the child exits, so that what it closes
// is closed in its order there as well, not in whatever order exit closes
// fds (a lock released before another one that must go first).
StartOutcome daemonize(const std::function<int(int ready_fd)>& monitor_main, const std::function<void()>& after_fork,
                       const WaitTicks& ticks = {});

// Parses the monitor's report; exposed for tests.
StartOutcome parse_report(const std::string& report);

}  // namespace unitrun::daemon
