// A request (start these units, stop those, ...) turned into the jobs that
// carry it out, after systemd's transaction (src/core/transaction.c): the
// jobs the dependency keys pull in, merged per unit, the ones with nothing
// to do dropped, ordering cycles broken where a job is only wanted, and the
// order the runner must keep. Pure: the graph and the units' current states
// in, the plan out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "manager/active_state.h"
#include "manager/dependency_graph.h"
#include "manager/job_type.h"

namespace unitrun::manager {

// systemctl's verbs that make jobs.
enum class RequestType {
  Start,
  Stop,
  Restart,
  TryRestart,          // restart only if active
  Reload,              // fails for a unit that is not active or cannot reload
  ReloadOrRestart,     // reload if it can, else restart; starts it if inactive
  TryReloadOrRestart,  // the same, only if active
};
const char* to_string(RequestType type);

// systemctl's --job-mode, the two that make sense without queued jobs of
// other transactions: replace (the default) takes every job the
// dependencies pull in; fail also drops jobs nobody requires that would
// stop a running unit.
enum class JobMode { Replace, Fail };

struct Request {
  RequestType type = RequestType::Start;
  std::vector<std::string> units;  // several units make one transaction
  JobMode mode = JobMode::Replace;
};

using JobId = size_t;  // an index into Transaction::jobs

struct Job {
  std::string unit;
  UnitId unit_id = 0;
  // Start, Stop, Reload or VerifyActive. A restart is two jobs: a Stop and
  // a Start with `restart` set, the start after the stop, so that the
  // ordering of other units can come between them the way systemd runs a
  // restart job (its stop part, then the start part, each in order).
  JobType type = JobType::Start;
  bool restart = false;
  bool requested = false;  // the request named this unit
  // Failing it fails a requested job: it is required, not only wanted, on
  // every step from a requested job (systemd's "matters to anchor").
  bool required = false;
  // The jobs that must finish, with whatever result, before this one runs:
  // After=/Before= between two units that both have a job, stops before
  // starts, stops in the reverse order (systemd.unit(5), Before=, After=).
  std::vector<JobId> ready_after;
  // Why the job is there, in unit-file terms: "requested", "web.service
  // Requires=db.service", ...
  std::string reason;
};

// "web.service/start"; the halves of a restart print as restart.
std::string job_name(const Job& job);

// A job that could not be added: the unit does not exist or is masked, a
// unit it requires cannot start, ... with a message naming the cause.
struct JobFailure {
  std::string unit;
  JobType type = JobType::Start;
  bool requested = false;
  std::string message;
};

struct Transaction {
  // Every job appears after the jobs in its ready_after.
  std::vector<Job> jobs;
  std::vector<JobFailure> failed;
  // Jobs deleted to break an ordering cycle (systemd's wording, and the
  // cycle in order), conflicting jobs resolved.
  std::vector<std::string> warnings;
  // What was ignored: Wants= of a unit that does not exist, a try-restart of
  // an inactive unit, jobs that had nothing to do, ...
  std::vector<std::string> notes;

  std::optional<JobId> find(std::string_view unit, JobType type) const;
};

// Fails, with systemd's reasons, when the jobs cannot be reconciled: two
// required jobs on one unit conflict ("Transaction contains conflicting
// jobs 'start' and 'stop' for b.service"), or an ordering cycle has no job
// that is merely wanted (the message lists the cycle's jobs in order).
// Everything else that goes wrong is per job, in Transaction::failed.
Result<Transaction> build_transaction(const DependencyGraph& graph, const UnitStates& states, const Request& request);

// The jobs grouped so that each group can run at once once the groups
// before it are done: group 0 needs nothing, group n needs something of
// group n-1. A runner does better with runnable_jobs(), which does not wait
// for a whole group.
std::vector<std::vector<JobId>> parallel_layers(const Transaction& transaction);

enum class JobState { Waiting, Running, Finished };

// The waiting jobs whose every ready_after job has finished. `states` has
// one entry per job.
std::vector<JobId> runnable_jobs(const Transaction& transaction, const std::vector<JobState>& states);

}  // namespace unitrun::manager
