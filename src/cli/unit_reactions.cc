#include "cli/unit_reactions.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "cli/commands.h"
#include "cli/dependency_loader.h"
#include "cli/unit_source.h"
#include "manager/job_outcome.h"
#include "monitor/monitor.h"
#include "monitor/monitor_log.h"
#include "runtime/runtime_files.h"
#include "runtime/shutdown_lock.h"
#include "runtime/unit_lock.h"
#include "unit/unit_lookup.h"

namespace unitrun::cli {
namespace {

bool has_unneeded_unit(const manager::DependencyGraph& graph) {
  for (manager::UnitId id = 0; id < graph.size(); ++id)
    if (graph.unit(id).stop_when_unneeded) return true;
  return false;
}

// One line in the unit's monitor log (where `status` and `logs` show it).
void log_reason(const LoadedGraph& loaded, const std::string& name, const std::string& line) {
  auto it = loaded.files.find(name);
  if (it == loaded.files.end() || !it->second.found || it->second.masked) return;
  LoadedUnit unit = load_unit(it->second, UnitSource::Running);
  monitor::MonitorLog log;
  log.open(unit.load.unit, false);
  log.info(line);
  log.flush();
}

// Runs `verb` as a start or stop a unit's end asked for, not a person:
// RefuseManualStart=/RefuseManualStop= do not apply (manual_refusal.h), and
// a start counts against the unit's start limit with the starts before it.
int as_triggered(const std::string& why, int (*verb)(const std::vector<std::string>&),
                 const std::vector<std::string>& units) {
  const char* before = std::getenv(monitor::kTriggeredByVariable);
  std::string saved = before ? before : "";
  (void)::setenv(monitor::kTriggeredByVariable, why.c_str(), 1);  // ENOMEM only: the start then counts afresh
  std::fflush(stdout);
  int code = verb(units);
  if (before)
    (void)::setenv(monitor::kTriggeredByVariable, saved.c_str(), 1);
  else
    (void)::unsetenv(monitor::kTriggeredByVariable);
  return code;
}

// The units of the graph that another process is starting or stopping
// now (their start lock is held): systemd leaves a unit with a job alone,
// neither unneeded nor to be upheld, and so does this. A lock that cannot
// be read counts as held: when in doubt, leave the unit as it is.
std::unordered_set<std::string> units_with_jobs(const LoadedGraph& loaded) {
  std::unordered_set<std::string> out;
  for (const auto& [name, file] : loaded.files) {
    RuntimeFiles files = runtime_files_for(file);
    if (UnitLock::start_held(files.lock).value_or(true)) out.insert(name);
  }
  return out;
}

// How deep follow-ups may nest: each one runs a start or stop whose own
// end reacts again (as_triggered below). Two units that each uphold a unit
// the other's conflicts stop would otherwise ping-pong one level deeper
// each time, without end where start limits are off; systemd loops there
// too, but never runs out of stack.
constexpr int kMaxNestedReactions = 8;
int nested_reactions = 0;

}  // namespace

void react_to_changes(const std::vector<std::string>& ended, const std::vector<std::string>& started, bool by_job,
                      const unit::UnitPath& path, const manager::DependencyGraph* known,
                      const std::vector<std::string>* ended_required_by) {
  if (ended.empty() && started.empty()) return;
  // Nothing to do unless a unit may be unneeded now, an ended unit is
  // upheld (by a unit of the command's graph, or by a running one outside
  // it: the ended unit's .required-by index names those), or a started unit
  // upholds one (which may have ended before the upholder was up: its end
  // found no active upholder, and so did nothing).
  if (known && !has_unneeded_unit(*known) &&
      std::none_of(started.begin(), started.end(),
                   [&](const std::string& s) {
                     auto id = known->find(s);
                     return id && !known->unit(*id)[manager::Dependency::Upholds].empty();
                   }) &&
      std::none_of(ended.begin(), ended.end(), [&](const std::string& e) {
        auto id = known->find(e);
        return (id && !known->unit(*id)[manager::Dependency::UpheldBy].empty()) || !running_required_by(e).empty();
      }))
    return;
  // Upholds= starts units: not once `unitrun shutdown` began, and held
  // until the reaction's jobs are done, so that a shutdown that begins
  // after the check lists what they started (runtime/shutdown_lock.h).
  auto shutdown_lock = ShutdownLock::shared(runtime_directory());
  if (shutdown_lock && !*shutdown_lock) {
    std::fprintf(stderr, "unitrun: StopWhenUnneeded=/Upholds= not acted on: unitrun shutdown is stopping every unit\n");
    return;
  }
  if (!shutdown_lock) std::fprintf(stderr, "unitrun: warning: %s\n", shutdown_lock.error().message().c_str());
  if (shutdown_in_progress(runtime_directory())) return;
  std::vector<unit::UnitFile> roots;
  // A unit of this change that its name does not find in the unit path (one
  // started by its path) has dependencies the graph cannot see: whether it
  // still needs a StopWhenUnneeded= unit is unknown, so none is stopped.
  bool all_known = true;
  for (const std::vector<std::string>* names : {&ended, &started})
    for (const std::string& n : *names)
      if (auto f = unit::find_unit(n, path); f && f->found)
        roots.push_back(*f);
      else
        all_known = false;
  // The units that Upholds= an ended one are in its index (record_requirements).
  std::vector<std::string> also;
  if (ended_required_by)
    also = *ended_required_by;
  else
    for (const std::string& e : ended)
      for (std::string& n : running_required_by(e)) also.push_back(std::move(n));
  auto loaded = load_graph(roots, also, path);
  if (!loaded) return;
  if (has_unneeded_unit(loaded->graph)) {
    // Whether a unit is still needed: every running unit may pull it in
    // (a target's .wants/, a Wants= nobody indexes). Read only now.
    for (std::string& n : running_unit_names()) also.push_back(std::move(n));
    loaded = load_graph(roots, also, path);
    if (!loaded) return;
  }
  const std::unordered_set<std::string> with_jobs = units_with_jobs(*loaded);
  std::vector<manager::FollowUp> follow_ups;
  // Upholds=: an ended unit that an active unit upholds, and (systemd's
  // check_uphold_dependencies() as a unit becomes active) a unit that a
  // started one upholds and that is inactive or failed by now.
  auto take = [&](const manager::StateChange& change) {
    for (manager::FollowUp& f : manager::after_state_change(loaded->graph, loaded->states, with_jobs, change)) {
      bool wanted = (f.cause == manager::FollowUpCause::StopWhenUnneeded && all_known) ||
                    f.cause == manager::FollowUpCause::PropagatesStopTo || f.cause == manager::FollowUpCause::Upholds;
      bool seen = std::any_of(follow_ups.begin(), follow_ups.end(),
                              [&](const manager::FollowUp& o) { return o.unit == f.unit && o.type == f.type; });
      if (wanted && !seen) follow_ups.push_back(std::move(f));
    }
  };
  for (const std::string& e : ended) {
    manager::ActiveState now = loaded->states.of(e);
    if (!manager::is_inactive_or_failed(now)) continue;  // runs again
    take({e, manager::ActiveState::Active, now, by_job, false});
  }
  for (const std::string& s : started) {
    if (loaded->states.of(s) != manager::ActiveState::Active) continue;
    take({s, manager::ActiveState::Inactive, manager::ActiveState::Active, true, false});
  }
  if (!follow_ups.empty() && nested_reactions >= kMaxNestedReactions) {
    for (const manager::FollowUp& f : follow_ups)
      std::fprintf(stderr,
                   "unitrun: %s: left as it is: %d follow-ups nested (a loop of Upholds=, Conflicts= or "
                   "PropagatesStopTo=?); would have been %s: %s\n",
                   f.unit.c_str(), kMaxNestedReactions,
                   f.type == manager::RequestType::Stop ? "stopped" : "started again", f.reason.c_str());
    return;
  }
  ++nested_reactions;
  struct Unnest {
    ~Unnest() { --nested_reactions; }
  } unnest;
  for (const manager::FollowUp& f : follow_ups) {
    bool stop = f.type == manager::RequestType::Stop;
    std::string line =
        std::string(stop ? "stopping" : "starting again") + ": " + f.reason + " (" + manager::to_string(f.cause) + ")";
    std::printf("%s: %s\n", f.unit.c_str(), line.c_str());
    log_reason(*loaded, f.unit, line);
    as_triggered(std::string(manager::to_string(f.cause)) + " (" + f.reason + ")", stop ? &cli::stop : &cli::start,
                 {f.unit});
  }
}

}  // namespace unitrun::cli
