#include "cli/dependency_jobs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "cli/dependency_loader.h"
#include "cli/job_runner.h"
#include "cli/unit_catalog.h"
#include "cli/unit_reactions.h"
#include "cli/unit_source.h"
#include "manager/job_outcome.h"
#include "manager/transaction.h"
#include "runtime/runtime_files.h"
#include "runtime/safe_files.h"
#include "runtime/shutdown_lock.h"
#include "runtime/target_state.h"

namespace unitrun::cli {
namespace {

manager::RequestType request_type(Verb verb) {
  switch (verb) {
    case Verb::Start:
      return manager::RequestType::Start;
    case Verb::Stop:
      return manager::RequestType::Stop;
    case Verb::Restart:
      return manager::RequestType::Restart;
    case Verb::TryRestart:
      return manager::RequestType::TryRestart;
    case Verb::Reload:
      return manager::RequestType::Reload;
    case Verb::ForceReload:
      return manager::RequestType::TryReloadOrRestart;
  }
  return manager::RequestType::Start;
}

bool stops(Verb verb) { return verb != Verb::Start && verb != Verb::Reload; }

unit::UnitFile file_of(const LoadedGraph& loaded, const std::string& name) {
  if (auto it = loaded.files.find(name); it != loaded.files.end() && !it->second.name.empty()) return it->second;
  unit::UnitFile f;
  f.spelling = f.name = f.identity = name;
  f.by_name = true;
  return f;
}

int target_job(const unit::UnitFile& file, bool start, bool requested) {
  if (file.masked) {
    std::fprintf(stderr, "unitrun: %s is masked\n", file.name.c_str());
    return exit_code::kFailure;
  }
  RuntimeFiles files = runtime_files_for(file);
  if (start) {
    // Its requirements and what it upholds (a NAME.upholds/ link, most
    // often), in the index as a service's start records them: a unit it
    // upholds that ends is started again (unit_reactions.h).
    Unit unit;
    if (file.found) unit = load_unit(file, UnitSource::Disk).load.unit;
    unit.name = file.name;
    record_requirements(unit, files);
  }
  if (auto written = write_target_state(file.name, files, start); !written) {
    std::fprintf(stderr, "unitrun: %s: %s\n", file.name.c_str(), written.error().message().c_str());
    return exit_code::kFailure;
  }
  if (requested) std::printf("%s %s\n", start ? "reached" : "stopped", file.name.c_str());
  return exit_code::kSuccess;
}

int verify_active(const unit::UnitFile& file) {
  RuntimeFiles files = runtime_files_for(file);
  ActiveState s = quick_state(file.name, files).active;
  if (s == ActiveState::Active || s == ActiveState::Reloading) return exit_code::kSuccess;
  std::fprintf(stderr, "unitrun: %s is not active (a unit has Requisite= on it)\n", file.name.c_str());
  return exit_code::kNotRunning;
}

manager::ActiveState state_now(const LoadedGraph& loaded, const std::string& name) {
  unit::UnitFile file = file_of(loaded, name);
  RuntimeFiles files = runtime_files_for(file);
  return manager_state(quick_state(file.name, files).active);
}

// Whether a unit of the graph has Requisite= on `name`.
bool requisite_of(const manager::DependencyGraph& graph, const std::string& name) {
  auto id = graph.find(name);
  return id && !graph.unit(*id)[manager::Dependency::RequisiteOf].empty();
}

UnitJob unit_job(const LoadedGraph& loaded, const manager::Job& job) {
  unit::UnitFile file = file_of(loaded, job.unit);
  bool target = is_target_name(file.name);
  bool requested = job.requested;
  std::function<int()> run;
  switch (job.type) {
    case manager::JobType::Start:
      run = target ? std::function<int()>([file, requested] { return target_job(file, true, requested); })
                   : std::function<int()>([file] { return start_unit(file); });
      break;
    case manager::JobType::Stop:
      run = target ? std::function<int()>([file, requested] { return target_job(file, false, requested); })
                   : std::function<int()>([file] { return stop_unit(file); });
      break;
    case manager::JobType::Reload:
      run = [file] { return reload_unit(file); };
      break;
    case manager::JobType::VerifyActive:
      run = [file] { return verify_active(file); };
      break;
    default:
      run = [name = job.unit, type = job.type] {
        std::fprintf(stderr, "unitrun: %s: job %s cannot run here\n", name.c_str(), manager::to_string(type));
        return exit_code::kFailure;
      };
  }
  return {job.unit, std::move(run), job.ready_after};
}

}  // namespace

std::optional<int> run_with_dependencies(Verb verb, const std::vector<Target>& targets, const unit::UnitPath& path,
                                         bool whole_system) {
  std::vector<unit::UnitFile> roots;
  std::vector<int> codes;
  for (const Target& t : targets)
    if (t.error.empty()) roots.push_back(own_unit(t.file));
  std::optional<std::vector<std::string>> dependents;  // the index, when needs_manager() read it
  if (!whole_system && (roots.empty() || !needs_manager(roots, path, stops(verb), verb == Verb::Reload, &dependents)))
    return std::nullopt;
  for (const Target& t : targets)
    if (!t.error.empty()) {
      std::fprintf(stderr, "%s\n", t.error.c_str());
      codes.push_back(t.code);
    }
  std::vector<std::string> also;
  if (stops(verb) && dependents) {
    also = std::move(*dependents);
  } else if (stops(verb)) {
    std::vector<std::string> names;
    for (const unit::UnitFile& f : roots) names.push_back(f.name);
    also = running_dependents(names);
  }
  auto loaded = load_graph(roots, also, path);
  if (!loaded) {
    std::fprintf(stderr, "unitrun: %s\n", loaded.error().message().c_str());
    return exit_code::kFailure;
  }
  manager::Request request;
  request.type = request_type(verb);
  for (const unit::UnitFile& f : roots) request.units.push_back(f.name);
  auto tx = manager::build_transaction(loaded->graph, loaded->states, request);
  if (!tx) {
    std::fprintf(stderr, "unitrun: %s\n", tx.error().message().c_str());
    return exit_code::kFailure;
  }
  for (const std::string& w : loaded->graph.warnings()) std::fprintf(stderr, "unitrun: warning: %s\n", w.c_str());
  for (const std::string& w : tx->warnings) std::fprintf(stderr, "unitrun: warning: %s\n", w.c_str());
  for (const std::string& n : loaded->notes) std::fprintf(stderr, "unitrun: note: %s\n", n.c_str());
  for (const std::string& n : tx->notes) std::fprintf(stderr, "unitrun: note: %s\n", n.c_str());
  for (const manager::JobFailure& f : tx->failed) {
    std::fprintf(stderr, "unitrun: %s\n", f.message.c_str());
    if (!f.requested && !whole_system) continue;
    auto id = loaded->graph.find(f.unit);
    bool missing = id && loaded->graph.unit(*id).load_state == manager::LoadState::NotFound;
    bool active = manager::is_active_or_reloading(loaded->states.of(f.unit));
    // A reload that does not apply: 3 (no ExecReload=) or 7 (not running), as for one unit.
    int reload_code = active ? exit_code::kUnimplemented : exit_code::kNotRunning;
    codes.push_back(missing ? exit_code::kNotInstalled : verb == Verb::Reload ? reload_code : exit_code::kFailure);
  }
  std::vector<UnitJob> jobs;
  for (const manager::Job& job : tx->jobs) jobs.push_back(unit_job(*loaded, job));
  auto on_end = [&](size_t j, int code, const std::vector<JobRunState>& run_states) {
    std::vector<CancelledJob> cancelled;
    const manager::Job& job = tx->jobs[j];
    manager::JobResult result = manager::JobResult::Failed;
    manager::ActiveState unit_state = manager::ActiveState::Failed;
    if (code == exit_code::kSuccess) {
      // A start that succeeded but left its unit inactive (a oneshot
      // without RemainAfterExit=, a condition that failed) fails the units
      // with Requisite= on it, as systemd's verify-active would.
      if (job.type != manager::JobType::Start || !requisite_of(loaded->graph, job.unit)) return cancelled;
      unit_state = state_now(*loaded, job.unit);
      if (manager::is_active_or_reloading(unit_state)) return cancelled;
      result = manager::JobResult::Done;
    } else if (job.type == manager::JobType::VerifyActive) {
      result = manager::JobResult::Skipped;
      unit_state = manager::ActiveState::Inactive;
    }
    std::vector<manager::JobState> states;
    for (JobRunState s : run_states)
      states.push_back(s == JobRunState::Waiting   ? manager::JobState::Waiting
                       : s == JobRunState::Running ? manager::JobState::Running
                                                   : manager::JobState::Finished);
    manager::JobConsequences c = manager::job_finished(loaded->graph, *tx, states, j, result, unit_state);
    for (manager::FailedJob& f : c.failed) cancelled.push_back({f.job, "unitrun: " + f.message, exit_code::kFailure});
    return cancelled;
  };
  std::vector<int> results = jobs.empty() ? std::vector<int>{} : run_jobs(jobs, kParallelJobs, on_end);
  for (size_t i = 0; i < results.size(); ++i)
    if (tx->jobs[i].requested || whole_system) codes.push_back(results[i]);
  // StopWhenUnneeded= and Upholds= for what the jobs changed (not while
  // `unitrun shutdown` stops everything).
  if (!(whole_system && stops(verb))) {
    std::vector<std::string> ended, started;
    for (size_t i = 0; i < results.size(); ++i) {
      const manager::Job& job = tx->jobs[i];
      if (results[i] != exit_code::kSuccess) continue;
      // A stop of a unit that was not running changes nothing (systemd:
      // no state change, no unit_notify()).
      if (job.type == manager::JobType::Stop && !job.restart &&
          !manager::is_inactive_or_failed(loaded->states.of(job.unit)))
        ended.push_back(job.unit);
      // Only a start that made its unit active counts as it becoming
      // active (the Upholds= check below): one that found it running
      // changes no state (systemd: -EALREADY, no unit_notify(), so no
      // check_uphold_dependencies()). A restart's start half does.
      if (job.type == manager::JobType::Start &&
          (job.restart || manager::is_inactive_or_failed(loaded->states.of(job.unit))))
        started.push_back(job.unit);
    }
    react_to_changes(ended, started, true, path, &loaded->graph);
  }
  return worst_exit_code(codes);
}

namespace {

// A marker file in the runtime directory for as long as it lives
// (runtime_files.h: .shutdown, .booting); made without following a link.
class RuntimeMarker {
 public:
  RuntimeMarker(std::string path, const char* unless_made) : path_(std::move(path)) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      std::fprintf(stderr, "unitrun: warning: %s: %s (%s)\n", path_.c_str(), std::strerror(errno), unless_made);
    else
      ::close(fd);
  }
  ~RuntimeMarker() { (void)::unlink(path_.c_str()); }
  RuntimeMarker(const RuntimeMarker&) = delete;
  RuntimeMarker& operator=(const RuntimeMarker&) = delete;

 private:
  std::string path_;
};

}  // namespace

int boot() {
  // The runtime directory is made by the first start otherwise; the marker
  // needs it now (a failure shows again, and counts, at that start).
  (void)safe_files::ensure_private_directory(runtime_directory());
  RuntimeMarker marker(boot_marker(runtime_directory()), "is-system-running will not say starting");
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<Target> targets =
      resolve_targets({std::string(manager::kDefaultTarget)}, path, GlobScope::Startable, notes);
  return *run_with_dependencies(Verb::Start, targets, path, true);
}

int shutdown() {
  // While it lasts, a unit that ends starts no OnSuccess=/OnFailure= unit,
  // and a start such a unit triggered just before is refused (runtime_files.h);
  // made before the running units are listed, so that no trigger slips in
  // between; gone with the shutdown, whatever its outcome.
  (void)safe_files::ensure_private_directory(runtime_directory());  // as boot(): a failure shows below
  RuntimeMarker marker(shutdown_marker(runtime_directory()),
                       "OnSuccess=/OnFailure= units may start during the shutdown");
  // A start triggered before the marker was made may be under way: waited
  // for, so that its units are in the list below (runtime/shutdown_lock.h).
  auto lock = ShutdownLock::exclusive(runtime_directory());
  if (!lock)
    std::fprintf(stderr, "unitrun: warning: %s (units may start during the shutdown)\n",
                 lock.error().message().c_str());
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<Target> running;
  for (Target& t : resolve_targets({"*"}, path, GlobScope::Running, notes)) {
    if (!t.error.empty()) continue;
    RuntimeFiles files = runtime_files_for(t.file);
    ActiveState s = quick_state(t.file.name, files).active;
    if (s != ActiveState::Inactive && s != ActiveState::Failed) running.push_back(std::move(t));
  }
  if (running.empty()) {
    std::printf("no unit is running\n");
    return exit_code::kSuccess;
  }
  return *run_with_dependencies(Verb::Stop, running, path, true);
}

}  // namespace unitrun::cli
