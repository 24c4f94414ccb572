// systemd's job types and the algebra between them (src/core/job.c):
// which two jobs on one unit merge into one, what a conditional job becomes
// given the unit's state, and which jobs have nothing left to do.
#pragma once

#include <optional>

#include "manager/active_state.h"

namespace unitrun::manager {

enum class JobType {
  // The five a transaction holds, in systemd's order (the merge table
  // below depends on it).
  Start,
  VerifyActive,  // Requisite=: succeeds only if the unit is already active
  Stop,
  Reload,
  Restart,
  // Conditional types; collapse() turns them into one of the above or Nop.
  TryRestart,
  TryReload,
  ReloadOrStart,
  Nop,
};

// "start", "verify-active", "stop", ... as systemctl prints them.
const char* to_string(JobType type);

// systemd's job_type_collapse(): try-restart is a restart if the unit is
// active or activating, try-reload a reload if it is active or reloading,
// reload-or-start a reload if it is active, else a start; Nop otherwise.
JobType collapse(JobType type, ActiveState state);

// systemd's job merging table: start + verify-active = start, reload +
// start = reload-or-start, reload + verify-active = reload, restart + start,
// verify-active or reload = restart; stop merges with nothing but stop.
// Only the first five types; nullopt when the two conflict.
std::optional<JobType> merge(JobType a, JobType b);

// The merge, then the collapse (job_type_merge_and_collapse()).
std::optional<JobType> merge_and_collapse(JobType a, JobType b, ActiveState state);

// systemd's job_type_is_redundant(): a start or verify-active of a unit that
// is active or reloading, a stop of one inactive or failed, a reload of one
// reloading. A restart never is.
bool is_redundant(JobType type, ActiveState state);

}  // namespace unitrun::manager
