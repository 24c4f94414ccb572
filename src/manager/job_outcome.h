// What happens to the rest of the system when a job ends or a unit changes
// state at run time, after systemd's job_finish_and_invalidate() (src/core/
// job.c) and unit_notify() (src/core/unit.c): which waiting jobs fail
// because something they need failed, which units start or stop as a
// consequence (OnFailure=, OnSuccess=, BindsTo=, StopWhenUnneeded=,
// Upholds=). Pure: they return what to do; the runner does it.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "manager/active_state.h"
#include "manager/dependency_graph.h"
#include "manager/transaction.h"

namespace unitrun::manager {

// How a job ended: systemd's job results that apply here.
enum class JobResult {
  Done,
  Failed,
  Timeout,
  Dependency,  // a job it needed failed
  Skipped,     // a verify-active job found its unit not active
};
const char* to_string(JobResult result);

// A verify-active job (Requisite=) looks at its unit when it runs: done if
// the unit is active or reloading, skipped if not, and it keeps waiting
// (nullopt) while the unit is activating.
std::optional<JobResult> verify_active_result(ActiveState unit_state);

// A job that must not run any more, and why ("dependency failed:
// web.service requires db.service, which failed").
struct FailedJob {
  JobId job = 0;
  std::string message;
};

// Which rule asked for a follow-up job: a runner that carries out only some
// of them (cli/unit_reactions.h) picks by it.
enum class FollowUpCause {
  OnFailure,
  OnSuccess,
  BindsTo,           // bound to a unit that went down
  StopWhenUnneeded,  // no active unit needs it
  Upholds,           // an active unit upholds it
  PropagatesStopTo,  // a unit that propagates its stops to it went down
  Retroactive,       // a unit came up outside a job: what it needs, what it conflicts with
};
const char* to_string(FollowUpCause cause);

// A job to request (a transaction of its own), and why.
struct FollowUp {
  RequestType type = RequestType::Start;  // Start or Stop
  std::string unit;
  // Replace, except for a unit started because an active unit Wants= it,
  // which systemd enqueues with mode fail.
  JobMode mode = JobMode::Replace;
  std::string reason;
  FollowUpCause cause = FollowUpCause::OnFailure;
};

struct JobConsequences {
  // Waiting jobs of the transaction that now fail with result Dependency,
  // and the jobs that fail because those fail, in that order.
  std::vector<FailedJob> failed;
  // OnFailure= units to start: systemd starts them for a job that ends in
  // a timeout or a dependency failure. (A unit that fails by itself enters
  // the failed state; after_state_change() covers that.)
  std::vector<FollowUp> follow_ups;
};

// The consequences of job `job` ending with `result`, its unit now in
// `unit_state`:
// - a start or verify-active job that did not succeed fails the waiting
//   start and verify-active jobs of the units that Requires=, Requisite= or
//   BindsTo= its unit (systemd.unit(5), Requires=: "If one of the other
//   units fails to activate, and an ordering dependency After= on the
//   failing unit is set, this unit will not be started"). The After= is
//   what makes them wait; a job already running is left alone.
// - a stop job that failed fails the waiting starts of the units that
//   Conflicts= its unit: they cannot start while it runs.
// - a start or reload that succeeded but left the unit inactive (a
//   oneshot, a failed condition) fails the units that have Requisite= on
//   it.
// - the stop half of a restart that failed fails the start half.
// `states` has one entry per job of the transaction, as runnable_jobs()
// takes it.
JobConsequences job_finished(const DependencyGraph& graph, const Transaction& transaction,
                             const std::vector<JobState>& states, JobId job, JobResult result, ActiveState unit_state);

struct StateChange {
  std::string unit;
  ActiveState from = ActiveState::Inactive;
  ActiveState to = ActiveState::Inactive;
  // The change is the outcome of a job of this unit (started or stopped on
  // request) rather than something that happened to it (its process exited,
  // someone started it outside the manager).
  bool by_job = false;
  // The unit will be restarted by its own Restart=: systemd then triggers
  // neither OnFailure= nor OnSuccess=.
  bool will_auto_restart = false;
};

// The jobs systemd's unit_notify() queues when `change.unit` goes from one
// state to another. `now` is every unit's state after the change;
// `units_with_jobs` names the units that have a job queued or running,
// which these rules leave alone.
// - unexpectedly active: start what it Requires=/BindsTo=/Upholds= or
//   Wants= and is not ordered after, stop what it conflicts with;
// - unexpectedly inactive: stop the units that BindsTo= it, and those it
//   PropagatesStopTo= (or that have StopPropagatedFrom= it);
// - failed: start its OnFailure= units; inactive after running: start its
//   OnSuccess= units;
// - inactive or failed: stop a unit it needed that has StopWhenUnneeded=yes
//   and is needed by no active unit any more, stop the units bound to it,
//   start it again if an active unit Upholds= it;
// - active: start the units it Upholds= that are not running, stop it if
//   it has StopWhenUnneeded=yes and nobody needs it, or if a unit it binds
//   to is inactive.
std::vector<FollowUp> after_state_change(const DependencyGraph& graph, const UnitStates& now,
                                         const std::unordered_set<std::string>& units_with_jobs,
                                         const StateChange& change);

}  // namespace unitrun::manager
