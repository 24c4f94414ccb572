// OnFailure= and OnSuccess= at run time: when the monitor's unit ends
// failed (or inactive after it ran), the listed units are started by a
// `unitrun start` of their own, detached (setsid, double fork, stdio on
// /dev/null), so that the monitor never waits for them and their start
// goes through the manager like any other (docs/dependencies.md).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "unit/unit.h"

namespace unitrun::monitor {

// The units to start when the unit ends: OnFailure= when `failed`, else
// OnSuccess= when it `ran` (became active at some point).
std::vector<std::string> units_to_trigger(const Unit& unit, bool failed, bool ran);

// Whether the unit lists any OnFailure= or OnSuccess= unit.
bool has_triggers(const Unit& unit);

// The running unitrun binary itself (O_PATH), opened when the monitor starts:
// a package upgrade replaces the file at its path, or leaves the path
// "... (deleted)", and the fd still execs the binary that runs.
Result<UniqueFd> open_own_binary();

// The environment of that start, whole: PATH (systemd's fixed one), the
// variables that select unitrun's paths (HOME, XDG_*, TMPDIR, UNITRUN_*,
// ...), LANG and LC_ALL from `environment`, and the two trigger variables
// (monitor.h). Nothing else of whoever started the failed unit.
std::vector<std::string> trigger_environment(const char* const* environment, const std::string& why, pid_t monitor_pid,
                                             uint64_t monitor_start_time);

// Runs `unitrun start UNITS...` (the binary `binary_fd` holds, see
// open_own_binary()) detached. Returns once it has exec'd, or with the step
// that failed and its errno (a close-on-exec pipe, as runtime/daemonize.cc);
// the start runs on without the monitor. `why` goes to kTriggeredByVariable
// (monitor.h) ("OnFailure= of a.service"), the calling monitor's identity to
// kTriggerMonitorVariable: the start waits for the monitor's exit.
Status start_detached(int binary_fd, const std::vector<std::string>& units, const std::string& why, pid_t monitor_pid,
                      uint64_t monitor_start_time);

// The same for any verb: `unitrun ARGS...` (ARGS not empty), detached, with
// that environment. start_detached is `run_detached(fd, {"start", UNITS...})`;
// a unit that ends on its own runs `unitrun stop --ended NAME` (monitor.cc).
Status run_detached(int binary_fd, const std::vector<std::string>& args, const std::string& why, pid_t monitor_pid,
                    uint64_t monitor_start_time);

}  // namespace unitrun::monitor
