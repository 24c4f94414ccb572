// RefuseManualStart= and RefuseManualStop= (systemd.unit(5)): a unit that
// "may be requested by dependency only" refuses a start (or stop) named on
// a command line, as systemd's bus_unit_queue_job() refuses one from
// systemctl; the same job pulled in by another unit, or propagated from
// one, runs (cli/dependency_jobs.h), and so do the starts and stops a
// unit's end asks for (OnFailure=, BindsTo=, Upholds=, StopWhenUnneeded=:
// kTriggeredByVariable is set for those).
#pragma once

#include <vector>

#include "cli/dependency_jobs.h"
#include "cli/targets.h"
#include "unit/unit.h"

namespace unitrun::cli {

// Each target whose unit refuses `verb` becomes an error target (its
// `error` systemctl's message, its code 1, as systemctl exits): start by
// RefuseManualStart=, stop by RefuseManualStop=, restart and try-restart
// by either, force-reload (try-reload-or-restart) by either when the unit
// cannot reload; reload never. The others are left as they are.
void refuse_manual_jobs(Verb verb, std::vector<Target>& targets);

// Whether `unit` refuses `verb` from a command line, by the rule above. Pure.
bool refuses_manual(Verb verb, const Unit& unit);

}  // namespace unitrun::cli
