#include "cli/bound_units.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/exit_codes.h"
#include "cli/commands.h"
#include "cli/dependency_loader.h"
#include "cli/unit_catalog.h"
#include "cli/unit_reactions.h"
#include "cli/unit_source.h"
#include "monitor/monitor_log.h"
#include "runtime/runtime_files.h"
#include "unit/unit_lookup.h"
#include "unit/unit_path.h"
#include "unit/unit_validate.h"

namespace unitrun::cli {
namespace {

// The name a dependency names, as the index keeps it: an alias resolved.
std::string resolved(const std::string& name, const unit::UnitPath& path) {
  auto found = unit::find_unit(name, path);
  return found && found->found && unit::is_valid_dependency_name(found->name) ? found->name : name;
}

}  // namespace

int after_unit_ended(const std::string& name) {
  wait_for_triggering_monitor();
  if (shutdown_in_progress(runtime_directory())) return exit_code::kSuccess;
  unit::UnitPath path = unit::unit_path_for_current_user();
  auto ended = unit::find_unit(name, path);
  if (ended && ended->found) {
    // Started again since (by hand, or by its own OnFailure=): nothing is
    // bound to an inactive unit any more.
    RuntimeFiles files = runtime_files_for(*ended);
    ActiveState s = quick_state(ended->name, files).active;
    if (s != ActiveState::Inactive && s != ActiveState::Failed) return exit_code::kSuccess;
  }
  std::vector<std::string> bound;
  std::vector<Unit> units;  // for their log lines
  const std::vector<std::string> required_by = running_required_by(name);
  for (const std::string& dependent : required_by) {
    auto file = unit::find_unit(dependent, path);
    if (!file || !file->found) continue;
    LoadedUnit loaded = load_unit(*file, UnitSource::Running);
    const Unit& unit = loaded.load.unit;
    bool binds = std::any_of(unit.dependencies.begin(), unit.dependencies.end(), [&](const Dependency& d) {
      return d.kind == DependencyKind::BindsTo && unit::is_valid_dependency_name(d.unit) &&
             resolved(d.unit, path) == name;
    });
    if (!binds) continue;
    bound.push_back(dependent);
    units.push_back(unit);
  }
  int code = bound.empty() ? exit_code::kSuccess : stop(bound);
  for (const Unit& unit : units) {
    monitor::MonitorLog log;
    log.open(unit, false);
    if (code == exit_code::kSuccess)
      log.info("stopped: bound to " + name + ", which ended (BindsTo=)");
    else
      log.error("bound to " + name + ", which ended (BindsTo=): the stop failed (exit " + std::to_string(code) + ")");
    log.flush();
  }
  react_to_changes({name}, {}, false, path, nullptr, &required_by);
  return code;
}

}  // namespace unitrun::cli
