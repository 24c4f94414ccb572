// The monitor's start, one fork (the shape of daemon(7) minus its second
// fork): caller → fork → setsid → monitor. The monitor leads a session and a
// process group of its own, without a controlling terminal (as systemd runs
// every service); it never acquires one, since every open of the monitor
// that could name a terminal carries O_NOCTTY (sys::open, safe_files, the
// unit's stdin and TTYPath=), and a session leader only takes a terminal it
// opens without that flag. It stays the caller's child until the caller
// exits (then its parent is the nearest subreaper, or init).
// The caller learns the outcome through a readiness pipe: the monitor
// writes "monitor PID STARTTIME" (who it is) and "ok PID" once the service
// runs, or "fail CODE message", in one write (the caller reads to the end
// of the pipe, or to a whole "ok PID": is_whole_running_report(); the
// identity is missing when what failed was the fork's setup). Nobody but the caller keeps the caller's stdin, stdout or
// stderr.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace unitrun::daemon {

struct StartOutcome {
  int code = 1;         // LSB exit code
  pid_t pid = 0;        // the service's main PID, on success
  std::string message;  // on failure: one line for the user
  // The monitor, this process's child (the PID fork returned), and its
  // start time when it said who it is: a failed start reaps it
  // (reap_monitor), so that nothing of the unit is left when `start`
  // returns.
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;
  // On success, what the monitor said besides: "" (the service runs, `pid`),
  // "0" (a oneshot ran to completion), "exited" (a oneshot with
  // RemainAfterExit=: active, nothing running), "skipped" (a condition said
  // not to start).
  std::string detail;
};

// A monitor's identity as text, "PID STARTTIME": the report's first line
// carries it ("monitor " in front), and so does the variable a triggered
// start waits on (monitor.h, kTriggerMonitorVariable). The parse takes
// exactly that (a PID above 1, a start time) or gives nullopt.
struct MonitorIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;
};
std::string identity_text(pid_t monitor_pid, uint64_t monitor_start_time);
std::optional<MonitorIdentity> parse_identity_text(std::string_view text);

// The report's first line, which the monitor writes with the outcome.
std::string identity_line(pid_t monitor_pid, uint64_t monitor_start_time);

// What the caller does while it waits for the report: tick() whenever
// interval_ms pass without news (a progress line); interval_ms -1 is a wait
// without timeout, and no tick.
struct WaitTicks {
  int interval_ms = -1;
  std::function<void()> tick;
};

// Runs monitor_main(ready_fd) in a daemonized child and waits for its
// report (not for the child: on success it lives on). monitor_main's return
// value becomes the monitor's exit status. The child keeps fds 0-2
// (/dev/null), the readiness pipe and `keep` (the unit's locks; fewer than
// 8), and closes every other fd before monitor_main runs (daemon(7): what
// the caller inherited, and what the command that forks it holds, which
// never execs); `let_go` runs in the child before that, to drop what the
// caller's objects hold and the monitor does not use, so that nothing in
// it refers to an fd the close takes. after_fork runs in the caller
// once the monitor exists: the place to close what only the monitor should
// keep, in the order it must go (the caller's lock handle: UnitLock::close()).
StartOutcome daemonize(std::initializer_list<int> keep, const std::function<void()>& let_go,
                       const std::function<int(int ready_fd)>& monitor_main, const std::function<void()>& after_fork,
                       const WaitTicks& ticks = {});

// Waits for the monitor of a start this process made to exit, and reaps it:
// for a report the monitor gives as its last act (a failure, a oneshot that
// ran, a condition that failed). Without it the monitor would stay a zombie
// as long as this process lives. Call it before anything of this process
// waits for any child (waitpid(-1)): the PID is ours until it is reaped.
void reap_monitor(const StartOutcome& outcome);

// Parses the monitor's report; exposed for tests.
StartOutcome parse_report(const std::string& report);

// Whether what was read of a report is all of it before EOF: the identity
// line and "ok PID\n" (a service that runs). The monitor writes nothing
// after that and lives on; waiting for its close of the pipe cost the
// caller a second poll and wake-up on every start. Any other report is
// read to EOF: a failure may quote output lines after its first line, and
// after a oneshot's "ok 0" (or "ok exited", "ok skipped") the caller
// reaps the exiting monitor anyway. Exposed for tests.
bool is_whole_running_report(std::string_view report);

}  // namespace unitrun::daemon
