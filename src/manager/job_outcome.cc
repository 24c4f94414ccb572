#include "manager/job_outcome.h"

#include <algorithm>
#include <utility>

namespace unitrun::manager {
namespace {

// "which failed", "which timed out", ... for the unit a dependent needed.
std::string what_happened(const Job& job, JobResult result) {
  if (job.type == JobType::Stop) return "which failed to stop";
  switch (result) {
    case JobResult::Done:
      return "which is not active after it started";
    case JobResult::Failed:
      return "which failed";
    case JobResult::Timeout:
      return "which timed out";
    case JobResult::Dependency:
      return "which failed on a dependency";
    case JobResult::Skipped:
      return "which is not active";
  }
  return "which failed";
}

void add_follow_up(std::vector<FollowUp>& out, RequestType type, const std::string& unit, JobMode mode,
                   std::string reason, FollowUpCause cause) {
  for (const FollowUp& f : out)
    if (f.type == type && f.unit == unit) return;
  out.push_back(FollowUp{type, unit, mode, std::move(reason), cause});
}

void start_on_failure(const DependencyGraph& graph, UnitId unit, const std::string& why, std::vector<FollowUp>& out) {
  for (UnitId other : graph.unit(unit)[Dependency::OnFailure])
    add_follow_up(out, RequestType::Start, graph.name(other), JobMode::Replace,
                  why + ": " + describe_edge(graph, unit, Dependency::OnFailure, other), FollowUpCause::OnFailure);
}

}  // namespace

const char* to_string(FollowUpCause cause) {
  switch (cause) {
    case FollowUpCause::OnFailure:
      return "OnFailure=";
    case FollowUpCause::OnSuccess:
      return "OnSuccess=";
    case FollowUpCause::BindsTo:
      return "BindsTo=";
    case FollowUpCause::StopWhenUnneeded:
      return "StopWhenUnneeded=";
    case FollowUpCause::Upholds:
      return "Upholds=";
    case FollowUpCause::PropagatesStopTo:
      return "PropagatesStopTo=";
    case FollowUpCause::Retroactive:
      return "retroactive";
  }
  return "retroactive";
}

const char* to_string(JobResult result) {
  switch (result) {
    case JobResult::Done:
      return "done";
    case JobResult::Failed:
      return "failed";
    case JobResult::Timeout:
      return "timeout";
    case JobResult::Dependency:
      return "dependency";
    case JobResult::Skipped:
      return "skipped";
  }
  return "failed";
}

std::optional<JobResult> verify_active_result(ActiveState unit_state) {
  if (is_active_or_reloading(unit_state)) return JobResult::Done;
  if (unit_state == ActiveState::Activating) return std::nullopt;
  return JobResult::Skipped;
}

JobConsequences job_finished(const DependencyGraph& graph, const Transaction& transaction,
                             const std::vector<JobState>& states, JobId job, JobResult result, ActiveState unit_state) {
  JobConsequences out;
  std::vector<JobState> state = states;
  state.resize(transaction.jobs.size(), JobState::Finished);
  state[job] = JobState::Finished;
  std::vector<std::vector<JobId>> jobs_of_unit(graph.size());
  for (JobId id = 0; id < transaction.jobs.size(); ++id) jobs_of_unit[transaction.jobs[id].unit_id].push_back(id);

  auto fail = [&](JobId id, std::string message, std::vector<std::pair<JobId, JobResult>>& queue) {
    state[id] = JobState::Finished;
    out.failed.push_back(FailedJob{id, std::move(message)});
    queue.emplace_back(id, JobResult::Dependency);
  };

  std::vector<std::pair<JobId, JobResult>> queue = {{job, result}};
  for (size_t next = 0; next < queue.size(); ++next) {
    auto [id, how] = queue[next];
    const Job& finished = transaction.jobs[id];
    const UnitNode& unit = graph.unit(finished.unit_id);

    // systemd's job_fail_dependencies() with the atom that applies.
    std::vector<Dependency> dependents;
    if (how != JobResult::Done) {
      if (finished.type == JobType::Start || finished.type == JobType::VerifyActive)
        dependents = {Dependency::RequiredBy, Dependency::RequisiteOf, Dependency::BoundBy};
      else if (finished.type == JobType::Stop && !finished.restart)
        dependents = {Dependency::ConflictedBy};
    } else if (id == job && (finished.type == JobType::Start || finished.type == JobType::Reload) &&
               !is_active_or_reloading(unit_state)) {
      dependents = {Dependency::RequisiteOf};
    }
    for (Dependency kind : dependents) {
      for (UnitId other : unit[kind]) {
        for (JobId candidate : jobs_of_unit[other]) {
          const Job& c = transaction.jobs[candidate];
          if (state[candidate] != JobState::Waiting) continue;
          if (c.type != JobType::Start && c.type != JobType::VerifyActive) continue;
          fail(candidate,
               "dependency failed: " + describe_edge(graph, other, inverse(kind), finished.unit_id) + ", " +
                   what_happened(finished, how),
               queue);
        }
      }
    }

    // A restart whose stop failed does not start (systemd drops the whole
    // restart job).
    if (finished.restart && finished.type == JobType::Stop && how != JobResult::Done) {
      for (JobId candidate : jobs_of_unit[finished.unit_id]) {
        const Job& c = transaction.jobs[candidate];
        if (c.restart && c.type == JobType::Start && state[candidate] == JobState::Waiting)
          fail(candidate, "restart of " + finished.unit + " failed: it could not be stopped", queue);
      }
    }

    // job_finish_and_invalidate(): "Trigger OnFailure= dependencies that
    // are not generated by the unit itself."
    if (how == JobResult::Timeout || how == JobResult::Dependency)
      start_on_failure(graph, finished.unit_id, job_name(finished) + " ended with result " + to_string(how),
                       out.follow_ups);
  }
  return out;
}

namespace {

class StateRules {
 public:
  StateRules(const DependencyGraph& graph, const UnitStates& now, const std::unordered_set<std::string>& with_jobs,
             const StateChange& change, UnitId unit)
      : g_(graph), now_(now), with_jobs_(with_jobs), change_(change), unit_(unit) {}

  ActiveState state(UnitId id) const { return id == unit_ ? change_.to : now_.of(g_.name(id)); }
  bool has_job(UnitId id) const { return with_jobs_.count(g_.name(id)) > 0; }

  // systemd's unit_is_unneeded(): StopWhenUnneeded=yes, active, no job, and
  // no unit that Requires=, Requisite=, Wants=, BindsTo= or Upholds= it is
  // active, on its way, or has a job.
  bool unneeded(UnitId id) const {
    const UnitNode& node = g_.unit(id);
    if (!node.stop_when_unneeded || state(id) != ActiveState::Active || has_job(id)) return false;
    for (Dependency kind : {Dependency::RequiredBy, Dependency::RequisiteOf, Dependency::WantedBy, Dependency::BoundBy,
                            Dependency::UpheldBy})
      for (UnitId other : node[kind])
        if (has_job(other) || !is_inactive_or_failed(state(other))) return false;
    return true;
  }

  // systemd's unit_is_bound_by_inactive(): active, no job, and a unit it
  // BindsTo= is inactive with no job that could bring it back.
  std::optional<UnitId> bound_to_inactive(UnitId id) const {
    if (state(id) != ActiveState::Active || has_job(id)) return std::nullopt;
    for (UnitId other : g_.unit(id)[Dependency::BindsTo])
      if (!has_job(other) && is_inactive_or_failed(state(other))) return other;
    return std::nullopt;
  }

  // systemd's unit_is_upheld_by_active(): inactive, no job, and an active
  // unit with no job Upholds= it.
  std::optional<UnitId> upheld_by_active(UnitId id) const {
    if (!is_inactive_or_failed(state(id)) || has_job(id)) return std::nullopt;
    for (UnitId other : g_.unit(id)[Dependency::UpheldBy])
      if (!has_job(other) && is_active_or_reloading(state(other))) return other;
    return std::nullopt;
  }

  void stop_if_unneeded(UnitId id, std::vector<FollowUp>& out) const {
    if (unneeded(id))
      add_follow_up(out, RequestType::Stop, g_.name(id), JobMode::Replace,
                    g_.name(id) + " has StopWhenUnneeded=yes and no active unit needs it",
                    FollowUpCause::StopWhenUnneeded);
  }

  void stop_if_bound_to_inactive(UnitId id, std::vector<FollowUp>& out) const {
    if (std::optional<UnitId> culprit = bound_to_inactive(id))
      add_follow_up(out, RequestType::Stop, g_.name(id), JobMode::Replace,
                    describe_edge(g_, id, Dependency::BindsTo, *culprit) + ", which is " + to_string(state(*culprit)),
                    FollowUpCause::BindsTo);
  }

  void start_if_upheld(UnitId id, std::vector<FollowUp>& out) const {
    if (std::optional<UnitId> upholder = upheld_by_active(id))
      add_follow_up(out, RequestType::Start, g_.name(id), JobMode::Replace,
                    describe_edge(g_, *upholder, Dependency::Upholds, id) + ", which is " + to_string(state(id)),
                    FollowUpCause::Upholds);
  }

 private:
  const DependencyGraph& g_;
  const UnitStates& now_;
  const std::unordered_set<std::string>& with_jobs_;
  const StateChange& change_;
  UnitId unit_;
};

}  // namespace

std::vector<FollowUp> after_state_change(const DependencyGraph& graph, const UnitStates& now,
                                         const std::unordered_set<std::string>& units_with_jobs,
                                         const StateChange& change) {
  std::vector<FollowUp> out;
  std::optional<UnitId> found = graph.find(change.unit);
  if (!found) return out;
  UnitId u = *found;
  const UnitNode& unit = graph.unit(u);
  StateRules rules(graph, now, units_with_jobs, change, u);
  ActiveState from = change.from, to = change.to;
  std::string became = unit.name + " became " + to_string(to);

  if (!change.by_job) {
    // retroactively_start_dependencies(): a unit that came up on its own
    // pulls in what it needs (Wants= with mode fail) unless it is ordered
    // after it, and pushes out what it conflicts with.
    if (is_inactive_or_failed(from) && is_active_or_activating(to)) {
      for (Dependency kind : {Dependency::Requires, Dependency::BindsTo, Dependency::Upholds, Dependency::Wants}) {
        JobMode mode = kind == Dependency::Wants ? JobMode::Fail : JobMode::Replace;
        for (UnitId other : unit[kind])
          if (!graph.has(u, Dependency::After, other) && !is_active_or_activating(rules.state(other)))
            add_follow_up(out, RequestType::Start, graph.name(other), mode,
                          describe_edge(graph, u, kind, other) + ", and " + became, FollowUpCause::Retroactive);
      }
      for (Dependency kind : {Dependency::Conflicts, Dependency::ConflictedBy})
        for (UnitId other : unit[kind])
          if (!is_inactive_or_deactivating(rules.state(other)))
            add_follow_up(out, RequestType::Stop, graph.name(other), JobMode::Replace,
                          describe_edge(graph, u, kind, other) + ", and " + became, FollowUpCause::Retroactive);
    }
    // retroactively_stop_dependencies(): BindsTo= "if the unit bound to is
    // stopped, this unit will be stopped too".
    if (is_active_or_activating(from) && is_inactive_or_deactivating(to)) {
      for (UnitId other : unit[Dependency::BoundBy])
        if (!is_inactive_or_deactivating(rules.state(other)))
          add_follow_up(out, RequestType::Stop, graph.name(other), JobMode::Replace,
                        describe_edge(graph, other, Dependency::BindsTo, u) + ", and " + became,
                        FollowUpCause::BindsTo);
      // PropagatesStopTo= has the same atom (UNIT_ATOM_RETROACTIVE_STOP_ON_STOP).
      for (UnitId other : unit[Dependency::PropagatesStopTo])
        if (!is_inactive_or_deactivating(rules.state(other)))
          add_follow_up(out, RequestType::Stop, graph.name(other), JobMode::Replace,
                        describe_edge(graph, u, Dependency::PropagatesStopTo, other) + ", and " + became,
                        FollowUpCause::PropagatesStopTo);
    }
  }

  // OnFailure=: "activated when this unit enters the "failed" state";
  // OnSuccess=: "activated when this unit enters the "inactive" state" (from
  // a state other than failed). Neither while Restart= brings it back.
  if (!change.will_auto_restart) {
    if (to == ActiveState::Failed && from != ActiveState::Failed) start_on_failure(graph, u, became, out);
    if (to == ActiveState::Inactive && from != ActiveState::Failed && from != ActiveState::Inactive)
      for (UnitId other : unit[Dependency::OnSuccess])
        add_follow_up(out, RequestType::Start, graph.name(other), JobMode::Replace,
                      became + ": " + describe_edge(graph, u, Dependency::OnSuccess, other), FollowUpCause::OnSuccess);
  }

  if (is_inactive_or_failed(to)) {
    // check_unneeded_dependencies(): what this unit needed may be unneeded.
    for (Dependency kind :
         {Dependency::Requires, Dependency::Requisite, Dependency::Wants, Dependency::BindsTo, Dependency::Upholds})
      for (UnitId other : unit[kind]) rules.stop_if_unneeded(other, out);
    // check_bound_by_dependencies(), whether the stop was expected or not.
    for (UnitId other : unit[Dependency::BoundBy]) rules.stop_if_bound_to_inactive(other, out);
    // Upholds=: "all units listed in Upholds= are started whenever found to
    // be inactive or failed".
    rules.start_if_upheld(u, out);
  }
  if (is_active_or_reloading(to)) {
    for (UnitId other : unit[Dependency::Upholds]) rules.start_if_upheld(other, out);
    rules.stop_if_unneeded(u, out);
    rules.stop_if_bound_to_inactive(u, out);
  }
  return out;
}

}  // namespace unitrun::manager
