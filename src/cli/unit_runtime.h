// What the lifecycle verbs know about a unit at run time: its lock, its
// monitor's state record, its pidfile, and any processes it left behind
// when its monitor was killed. Every PID found here is proven (start time,
// boot id, lock) before anyone may signal it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process/proc.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "unit/unit.h"

namespace unitrun::cli {

enum class Liveness {
  Running,      // the monitor holds the lock
  Orphaned,     // no monitor, but the service it started still runs
  DeadPidfile,  // not running, and a pidfile is left
  Outside,      // not running under unitrun, but PIDFile= names a live process of the unit's program
  NotRunning,
};

struct RuntimeView {
  Liveness liveness = Liveness::NotRunning;
  std::optional<MonitorState> state;
  std::optional<std::string> pidfile_content;  // raw, as found
  std::vector<proc::Stat> orphans;             // for Liveness::Orphaned
  std::optional<proc::Stat> outsider;          // for Liveness::Outside
  // For Liveness::NotRunning: the pidfile (a name's default one) belongs
  // to another unit of the same name, which runs; this is its unit file.
  std::optional<std::string> pidfile_holder;
};

// Reads the runtime files without changing anything. `lock` is an open lock
// of the unit (not holding the alive byte). The pidfile tells the kinds of
// "not running" apart, and status shows it; a caller that only signals a
// running unit's monitor (stop) passes false: while the monitor holds the
// lock, the pidfile is left unread and `state` holds only what
// read_state_summary() reads (which monitor, in which state). A caller
// that needs nothing of a finished run's record (a start, whose only use
// for it without a monitor is finding orphans, which a finished run does
// not leave) passes false for `finished_record`: `state` is then empty for
// one, its text read but not parsed past its first key.
RuntimeView inspect(const Unit& unit, const RuntimeFiles& files, UnitLock& lock, bool everything_when_running = true,
                    bool finished_record = true);

// A pidfile left where no monitor runs: does it name a live process that
// runs the unit's own program (the daemon started by other means: an init
// script, by hand)? Then that process is the service, running outside
// unitrun; a stranger that merely reused the PID is not (the pidfile is
// stale). Never a reason to signal anything.
std::optional<proc::Stat> running_outside(const Unit& unit, const std::string& pidfile_content);

// The processes of the unit's session that outlived a killed monitor,
// proven by the unit's cgroup (named after the unit), or by boot id,
// invocation id, session id and start times.
std::vector<proc::Stat> find_orphans(const std::string& unit_name, const MonitorState& state);

// For a caller other than root whose own instance of the unit does not run:
// root's state record of the same unit file, when its monitor lives (proven
// by PID and start time; root's lock file is not readable to others). That
// unit is not the caller's to stop, but status says that it runs.
std::optional<MonitorState> run_by_root(const Unit& unit);

// After a dead monitor's survivors were ended: the record says the unit is
// dead since now (its monitor, which would have said so, is gone).
void record_orphans_stopped(const RuntimeFiles& files, const MonitorState& last);

// Ends orphans the way the monitor stops a unit (process/stop_plan.h:
// KillMode=, KillSignal=, FinalKillSignal= after TimeoutStopSec=), waiting on
// pidfds. `record` (the dead monitor's state) says which orphan is the main
// process. Then removes the unit's cgroups where nothing is left in them.
// Returns how many signals were sent.
size_t end_orphans(const Unit& unit, const std::vector<proc::Stat>& orphans, const MonitorState* record);

}  // namespace unitrun::cli
