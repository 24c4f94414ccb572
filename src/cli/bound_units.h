// What follows when a unit ends on its own (its main process died or exited,
// no Restart= brings it back): its monitor runs `unitrun stop --ended NAME`
// detached (monitor/monitor.cc, monitor/trigger_units.h), and this stops
// every running unit bound to it (BindsTo=, as systemd's "Unit D is bound
// to inactive unit X. Stopping, too."), then does what the unit's end means
// for StopWhenUnneeded= and Upholds= (cli/unit_reactions.h). One hook, one
// detached process, for all three (docs/dependencies.md).
#pragma once

#include <string>

namespace unitrun::cli {

// Waits for the ended unit's monitor to exit (kTriggerMonitorVariable);
// then, unless the unit runs again or `unitrun shutdown` is under way,
// stops through the usual stop (a unit's own dependents with it) the
// running units of `.required-by/NAME/` whose unit has BindsTo= NAME (the
// name resolved: an alias counts), and writes "stopped: bound to NAME,
// which ended (BindsTo=)" to each one's monitor log; then
// react_to_changes({NAME}). Exit: the BindsTo= stop's.
int after_unit_ended(const std::string& name);

}  // namespace unitrun::cli
