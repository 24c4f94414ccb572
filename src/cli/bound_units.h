// BindsTo= at run time (docs/dependencies.md): when a unit ends on its own
// (its main process died, no Restart= brings it back), its monitor runs
// `unitrun stop --bound-to-ended NAME` detached (monitor/monitor.cc,
// monitor/trigger_units.h), and this stops every running unit bound to it,
// as systemd's "Unit D is bound to inactive unit X. Stopping, too."
#pragma once

#include <string>

namespace unitrun::cli {

// Waits for the ended unit's monitor to exit (kTriggerMonitorVariable);
// then, unless the unit runs again or `unitrun shutdown` is under way,
// stops through the usual stop (a unit's own dependents with it) the
// running units of `.required-by/NAME/` whose unit has BindsTo= NAME (the
// name resolved: an alias counts), and writes "stopped: bound to NAME,
// which ended (BindsTo=)" to each one's monitor log. Exit: the stop's.
int stop_bound_to_ended(const std::string& name);

}  // namespace unitrun::cli
