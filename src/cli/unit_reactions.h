// StopWhenUnneeded= and Upholds= at run time (docs/dependencies.md). unitrun
// has no manager between commands, so what systemd's unit_notify() does at
// every state change happens at two moments: at the end of a command that
// ran jobs through the manager (cli/dependency_jobs.cc), for the units its
// jobs stopped or started; and when a unit's monitor ends on its own
// (monitor/monitor.cc runs `unitrun stop --ended NAME` detached, the same
// hook that stops the units bound to it, cli/bound_units.h). The rules are
// the manager's (manager/job_outcome.h, after_state_change()); this reads
// the graph they need and runs the jobs they ask for.
#pragma once

#include <string>
#include <vector>

#include "manager/dependency_graph.h"
#include "unit/unit_path.h"

namespace unitrun::cli {

// `ended`: units now inactive or failed (by a stop job when `by_job`, else
// on their own); `started`: units a start job made active (not those it
// found running: that changes no state). Then:
// - each unit with StopWhenUnneeded=yes that an ended unit Requires=,
//   Requisite=, Wants=, BindsTo= or Upholds= (or a started unit itself) is
//   stopped when no active unit pulls it in by those keys any more (every
//   running unit is read for that, only when such a unit exists);
// - the units an ended unit PropagatesStopTo= (or that StopPropagatedFrom=
//   it) are stopped, when it ended on its own (a stop job propagated it);
// - each ended unit that an active unit Upholds= is started again, and so
//   is each unit that a started unit Upholds= and that is inactive or failed
//   by the command's end (it died, or its start failed, before its upholder
//   was up, when its own end found no active upholder); counted against its
//   start limit as a trigger's start (kTriggeredByVariable).
// Each unit acted on gets one line in its monitor log saying why, and one
// on stdout. Nothing during `unitrun shutdown`. The outcome of those jobs is
// reported, never returned: they are not what the command asked for.
// `known`: the graph the command's transaction was built from, if any;
// when it has no unit with StopWhenUnneeded=yes, no ended unit that a unit
// Upholds= and no started unit that Upholds= one, nothing is read (a
// command's usual case).
// `ended_required_by`: what running_required_by() (cli/dependency_loader.h)
// gave for the ended units, when the caller has read it already; else it is
// read here. A unit listed that has stopped since is loaded with its state
// as it is now, and so pulls nothing in and upholds nothing.
void react_to_changes(const std::vector<std::string>& ended, const std::vector<std::string>& started, bool by_job,
                      const unit::UnitPath& path, const manager::DependencyGraph* known = nullptr,
                      const std::vector<std::string>* ended_required_by = nullptr);

}  // namespace unitrun::cli
