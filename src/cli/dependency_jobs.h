// A verb on units that have dependencies: the request becomes one
// transaction (src/manager/transaction.h) over the graph the loader reads
// (cli/dependency_loader.h), whose jobs run through the job runner in the
// transaction's order, each job the single-unit verb (a restart its stop,
// then its start); a job that fails cancels the waiting jobs that needed
// it (manager/job_outcome.h), each saying which unit it needed. A .target
// has no process: its start and stop write its record
// (runtime/target_state.h). Units without dependencies never come here
// (lifecycle.cc keeps today's path for them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/targets.h"
#include "unit/unit_path.h"

namespace unitrun::cli {

enum class Verb { Start, Stop, Restart, TryRestart, Reload, ForceReload };

// nullopt when none of the targets needs the manager: the caller runs the
// verb as it always did. Otherwise the worst exit code of the requested
// units' jobs.
// `whole_system` (boot, shutdown): through the manager even without
// dependencies, and every job's failure counts, not only the requested
// units'.
std::optional<int> run_with_dependencies(Verb verb, const std::vector<Target>& targets, const unit::UnitPath& path,
                                         bool whole_system = false);

// The single-unit verbs (lifecycle.cc), one job each.
int start_unit(const unit::UnitFile& file);
int stop_unit(const unit::UnitFile& file);
int reload_unit(const unit::UnitFile& file);

}  // namespace unitrun::cli
