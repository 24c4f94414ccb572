// The SysV double fork (daemon(7)): caller → fork → setsid → fork → monitor.
// The caller learns the outcome through a readiness pipe: the monitor writes
// "ok PID" once the service runs, or "fail CODE message". Nobody but the
// caller keeps the caller's stdin, stdout or stderr.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace unitrun::daemon {

struct StartOutcome {
  int code = 1;         // LSB exit code
  pid_t pid = 0;        // the service's main PID, on success
  std::string message;  // on failure: one line for the user
};

// Runs monitor_main(ready_fd) in a daemonized grandchild and waits for its
// report. monitor_main's return value becomes the monitor's exit status.
StartOutcome daemonize(const std::function<int(int ready_fd)>& monitor_main);

// Parses the monitor's report; exposed for tests.
StartOutcome parse_report(const std::string& report);

}  // namespace unitrun::daemon
