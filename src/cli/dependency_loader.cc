#include "cli/dependency_loader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <optional>
#include <unordered_set>

#include "base/strings.h"
#include "base/sys.h"
#include "base/unique_fd.h"
#include "cli/unit_catalog.h"
#include "runtime/runtime_files.h"
#include "runtime/safe_files.h"
#include "runtime/unit_lock.h"
#include "unit/command_reads.h"
#include "unit/host_facts.h"
#include "unit/unit_loader.h"
#include "unit/unit_lookup.h"
#include "unit/unit_name.h"
#include "unit/unit_sources.h"

namespace unitrun::cli {
namespace {

using manager::Dependency;

// The suffix of a unit of a type unitrun does not run (systemd.unit(5)'s
// other types), or empty: .service, .target and unitrun's .ini units run.
std::string_view foreign_type(std::string_view name) {
  for (std::string_view type :
       {".socket", ".device", ".mount", ".automount", ".swap", ".path", ".timer", ".slice", ".scope"})
    if (name.size() > type.size() && name.substr(name.size() - type.size()) == type) return type;
  return {};
}

// A dependency on such a unit is left out of the graph: nothing here could
// start it, and failing every unit that Requires= a socket or a mount would
// refuse most packaged units. Said once, for the keys that pull a unit in;
// an ordering against it has nothing to order.
void skip_foreign(const std::string& from, Dependency kind, const std::string& to, std::vector<std::string>& notes) {
  if (kind == Dependency::Before || kind == Dependency::After) return;
  notes.push_back(from + ": " + to_string(kind) + "=" + to + " ignored: unitrun runs services and targets, not " +
                  std::string(foreign_type(to).substr(1)) + " units");
}

std::optional<Dependency> manager_kind(unitrun::DependencyKind kind) {
  using K = unitrun::DependencyKind;
  switch (kind) {
    case K::Requires:
      return Dependency::Requires;
    case K::Requisite:
      return Dependency::Requisite;
    case K::Wants:
      return Dependency::Wants;
    case K::BindsTo:
      return Dependency::BindsTo;
    case K::Upholds:
      return Dependency::Upholds;
    case K::Conflicts:
      return Dependency::Conflicts;
    case K::Before:
      return Dependency::Before;
    case K::After:
      return Dependency::After;
    case K::OnSuccess:
      return Dependency::OnSuccess;
    case K::OnFailure:
      return Dependency::OnFailure;
    case K::PropagatesReloadTo:
      return Dependency::PropagatesReloadTo;
    case K::ReloadPropagatedFrom:
      return Dependency::ReloadPropagatedFrom;
    case K::PartOf:
      return Dependency::PartOf;
    case K::PropagatesStopTo:
      return Dependency::PropagatesStopTo;
    case K::StopPropagatedFrom:
      return Dependency::StopPropagatedFrom;
    // Not modelled (docs/dependencies.md).
    case K::JoinsNamespaceOf:
      return std::nullopt;
  }
  return std::nullopt;
}

// The names in `parent_fd`/`name` (a .wants/, .requires/ or .upholds/
// directory), opened relative to its unit directory: one path component to
// look up instead of the whole path, three times per unit directory.
void list_links(int parent_fd, const std::string& name, std::vector<std::string>& out) {
  int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return;
  }
  while (struct dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || !unit::is_valid_dependency_name(n)) continue;
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  ::closedir(dir);
}

// The well-known targets are unitrun's own: systemd's files and .wants/
// directories of these names describe systemd's boot (sockets, mounts,
// every unit systemctl enabled), not the units unitrun starts.
bool is_builtin_target(std::string_view n) {
  return n == manager::kSysinitTarget || n == manager::kBasicTarget || n == manager::kMultiUserTarget ||
         n == manager::kShutdownTarget || n == manager::kDefaultTarget;
}

bool is_target(std::string_view name) { return name.size() > 7 && name.substr(name.size() - 7) == ".target"; }

constexpr std::string_view kDependencyKeys[] = {
    "Requires", "Requisite", "Wants", "BindsTo", "PartOf", "Upholds", "Conflicts", "Before", "After", "OnFailure",
    "OnSuccess", "PropagatesReloadTo", "ReloadPropagatedFrom", "PropagatesStopTo", "StopPropagatedFrom",
    // Not a dependency, but it needs the manager's
    // check at the end of a start (unit_reactions.h).
    "StopWhenUnneeded"};

// Read as the load reads them (unit_sources.h), so that a command reads
// each file once (unit/command_reads.h).
std::string unit_texts(const unit::UnitFile& file) {
  std::string text;
  if (!file.fragment.empty()) text += unit::read_unit_file(file.fragment).value_or("");
  for (const std::string& d : file.dropins) text += "\n" + unit::read_unit_file(d).value_or("");
  return text;
}

// The runtime directory's index of requirements: `.required-by/NAME/` holds
// an empty file `UNIT.HASH` (the base of a running unit's runtime files)
// for each unit whose start named NAME in Requires=, BindsTo=, PartOf= or
// Requisite=. A stop of NAME opens one directory (usually absent), however
// many units the machine runs or has seen.

// "UNIT.HASH" of a unit's runtime files, from its state file's path.
std::string runtime_base(const std::string& state_path) {
  std::string base = base_name(state_path);
  return base.substr(0, base.size() - std::string_view(".state").size());
}

// Creates the index entry `index/name/base`; directories without following
// a symlink in place of one. A prune (prune_entry) removes `index/name`
// with its last entry: between our mkdirat and openat, or before the
// entry is made in it, the directory may be gone; then it is made again.
Status mark_required(const std::string& index, const std::string& name, const std::string& base) {
  if (::mkdir(index.c_str(), 0755) < 0 && errno != EEXIST) return Error::from_errno("mkdir " + index);
  UniqueFd dir(::open(index.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return Error::from_errno("open " + index);
  // Each retry follows a removal by another stop's prune, which needs an
  // empty directory: a few are plenty, and the bound keeps this finite.
  for (int attempt = 0;; ++attempt) {
    if (::mkdirat(dir.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
      return Error::from_errno("mkdir " + index + "/" + name);
    UniqueFd sub(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) {
      if (errno == ENOENT && attempt < 8) continue;  // removed by a prune since our mkdirat
      return Error::from_errno("open " + index + "/" + name);
    }
    UniqueFd entry(::openat(sub.get(), base.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!entry) {
      if (errno == ENOENT && attempt < 8) continue;  // the directory was removed after we opened it
      return Error::from_errno("create " + index + "/" + name + "/" + base);
    }
    return ok();
  }
}

// The bases listed under `index/name/`; none when it does not exist.
std::vector<std::string> required_by(const std::string& index, const std::string& name) {
  std::vector<std::string> out;
  std::string path = index + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return out;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return out;
  }
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  ::closedir(d);
  return out;
}

// Removes the entry `index/name/base` of a unit that does not run, when
// no start of it is under way: a start takes its start lock before it
// writes its entries (cli/lifecycle.cc), so holding that lock here, with
// the alive lock free, proves the entry stale, and holding it until the
// entry is gone keeps a start from marking it (finding it there) in
// between. A unit whose lock file is gone (ENOENT: its runtime files were
// removed) has nothing under way either; any other failure to look leaves
// the entry. Removal is by directory fds opened without following a
// symlink (root writes here).
void prune_entry(const std::string& index, const std::string& name, const std::string& base,
                 const RuntimeDirectory& dir) {
  const std::string lock_path = dir.path() + "/" + base + ".lock";
  std::optional<UnitLock> lock;  // held across the removal
  if (auto probe = safe_files::open_for_reading_in(dir.fd(), base + ".lock", lock_path); probe) {
    auto opened = UnitLock::open(lock_path);
    if (!opened) return;
    lock = std::move(*opened);
    auto mine = lock->try_lock_start();
    if (!mine || !*mine) return;  // a start or stop of it is under way
    auto alive = lock->alive_held_elsewhere();
    if (!alive || *alive) return;  // it runs after all (started since we looked)
  } else if (probe.error().sys_errno != ENOENT) {
    return;  // a symlink, no permission...: not provably stale
  }
  UniqueFd index_fd(::open(index.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!index_fd) return;
  UniqueFd sub(::openat(index_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return;
  if (::unlinkat(sub.get(), base.c_str(), 0) < 0 && errno != ENOENT) return;  // not ours to remove
  // The directory goes with its last entry; a start that adds one again
  // makes it again (mark_required retries when this comes in between).
  (void)::unlinkat(index_fd.get(), name.c_str(), AT_REMOVEDIR);  // ENOTEMPTY: another unit requires it still
}

std::vector<std::string> names_of(const std::vector<unit::UnitFile>& units) {
  std::vector<std::string> out;
  for (const unit::UnitFile& f : units) out.push_back(f.name);
  return out;
}

}  // namespace

manager::ActiveState manager_state(ActiveState s) {
  switch (s) {
    case ActiveState::Inactive:
      return manager::ActiveState::Inactive;
    case ActiveState::Activating:
      return manager::ActiveState::Activating;
    case ActiveState::Active:
      return manager::ActiveState::Active;
    case ActiveState::Reloading:
      return manager::ActiveState::Reloading;
    case ActiveState::Deactivating:
      return manager::ActiveState::Deactivating;
    case ActiveState::Failed:
      return manager::ActiveState::Failed;
  }
  return manager::ActiveState::Inactive;
}

void record_requirements(const Unit& unit, const RuntimeFiles& files) {
  const std::string base = runtime_base(files.state);
  const std::string index = files.directory + "/" + kRequiredByIndex;
  std::optional<unit::UnitPath> path;
  auto mark = [&](const std::string& named) {
    if (!unit::is_valid_dependency_name(named)) return;  // a name, never a path
    // Under the name a stop of it is asked by: an alias resolved.
    if (!path) path = unit::unit_path_for_current_user();
    auto found = unit::find_unit(named, *path);
    std::string name = found && found->found && unit::is_valid_dependency_name(found->name) ? found->name : named;
    if (auto marked = mark_required(index, name, base); !marked)
      std::fprintf(stderr, "unitrun: %s: warning: %s\n", unit.name.c_str(), marked.error().message().c_str());
  };
  for (const unitrun::Dependency& d : unit.dependencies)
    if (d.kind == DependencyKind::Requires || d.kind == DependencyKind::BindsTo || d.kind == DependencyKind::PartOf ||
        d.kind == DependencyKind::Requisite || d.kind == DependencyKind::Upholds ||
        d.kind == DependencyKind::StopPropagatedFrom)
      mark(d.unit);
  // Upholds= is most often a NAME.upholds/ link (UpheldBy= in [Install]).
  if (!path) path = unit::unit_path_for_current_user();
  for (const std::string& upheld : linked_units(unit.name, *path).upheld) mark(upheld);
}

namespace {

// The running units `index/name/` lists, by name; the entries of units
// that no longer run are pruned. `taken`: bases already looked at. `dir`
// is opened at the first entry: most units are required by none, and a
// stop of one then opens nothing but the index's directory of its name.
std::vector<std::string> running_in(const std::string& directory, const std::string& name,
                                    std::optional<RuntimeDirectory>& dir, std::unordered_set<std::string>& taken) {
  const std::string index = directory + "/" + kRequiredByIndex;
  std::vector<std::string> out;
  for (const std::string& base : required_by(index, name)) {
    size_t dot = base.rfind('.');
    if (dot == std::string::npos || !taken.insert(base).second) continue;
    if (!dir) dir.emplace(directory);
    RuntimeEntry entry;
    entry.name = base.substr(0, dot);
    entry.lock = dir->path() + "/" + base + ".lock";
    entry.state = dir->path() + "/" + base + ".state";
    ActiveState s = quick_state(entry, *dir).active;
    if (s == ActiveState::Inactive || s == ActiveState::Failed) {  // an entry of an earlier run
      prune_entry(index, name, base, *dir);
      continue;
    }
    out.push_back(entry.name);
  }
  return out;
}

}  // namespace

std::vector<std::string> running_dependents(std::vector<std::string> names) {
  const std::string directory = runtime_directory();
  std::optional<RuntimeDirectory> dir;
  std::unordered_set<std::string> taken;  // bases already looked at
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size(); ++i)
    for (std::string& n : running_in(directory, names[i], dir, taken)) {
      out.push_back(n);
      names.push_back(std::move(n));
    }
  return out;
}

std::vector<std::string> running_required_by(const std::string& name) {
  std::optional<RuntimeDirectory> dir;
  std::unordered_set<std::string> taken;
  return running_in(runtime_directory(), name, dir, taken);
}

unit::UnitFile own_unit(unit::UnitFile file) {
  // The name typed, or the one it resolved to (an alias).
  std::string name = is_builtin_target(file.spelling) ? file.spelling : is_builtin_target(file.name) ? file.name : "";
  if (name.empty()) return file;
  if (file.found && !unit::UnitPath::is_systemd_directory(file.directory)) return file;
  // Built in: default.target is multi-user.target.
  unit::UnitFile builtin;
  builtin.spelling = file.spelling;
  builtin.name = builtin.identity = name == manager::kDefaultTarget ? std::string(manager::kMultiUserTarget) : name;
  builtin.by_name = true;
  return builtin;
}

namespace {

LinkedUnits read_linked_units(const std::string& name, const unit::UnitPath& path) {
  LinkedUnits out;
  // systemd's links are unitrun's to honour only where unitrun is the
  // machine's systemctl (unit/host_facts.h).
  bool own_only = is_builtin_target(name) && !unit::systemd_directories_are_ours();
  for (const std::string& d : path.directories) {
    if (own_only && unit::UnitPath::is_systemd_directory(d)) continue;
    // A unit directory that does not exist (most of the nine, on most
    // machines) costs one failed open, not three.
    UniqueFd dir(::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) continue;
    list_links(dir.get(), name + ".wants", out.wants);
    list_links(dir.get(), name + ".requires", out.required);
    list_links(dir.get(), name + ".upholds", out.upheld);
  }
  return out;
}

}  // namespace

LinkedUnits linked_units(const std::string& name, const unit::UnitPath& path) {
  unit::CommandReads* reads = unit::CommandReads::current();
  if (!reads) return read_linked_units(name, path);
  const std::string key = path.to_string() + '\n' + name;
  auto it = reads->unit_links.find(key);
  if (it == reads->unit_links.end()) {
    LinkedUnits read = read_linked_units(name, path);
    it = reads->unit_links.emplace(key, unit::UnitLinks{read.wants, read.required, read.upheld}).first;
  }
  LinkedUnits out;
  out.wants = it->second.wants;
  out.required = it->second.required;
  out.upheld = it->second.upheld;
  return out;
}

bool sets_dependency_keys(std::string_view text, bool reload_only) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos) continue;
    line.remove_prefix(i);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    if (reload_only) {
      if (key == "PropagatesReloadTo" || key == "ReloadPropagatedFrom") return true;
      continue;
    }
    for (std::string_view k : kDependencyKeys)
      if (key == k) return true;
  }
  return false;
}

bool needs_manager(const std::vector<unit::UnitFile>& units, const unit::UnitPath& path, bool running_names,
                   bool reload_only, std::optional<std::vector<std::string>>* dependents) {
  if (reload_only) {
    for (const unit::UnitFile& f : units)
      if (f.found && !f.masked && sets_dependency_keys(unit_texts(f), true)) return true;
    return false;
  }
  for (const unit::UnitFile& f : units) {
    if (is_target(f.name)) return true;
    if (f.found && !f.masked && sets_dependency_keys(unit_texts(f))) return true;
    if (!linked_units(f.name, path).empty()) return true;
  }
  if (!running_names) return false;
  std::vector<std::string> found = running_dependents(names_of(units));
  bool any = !found.empty();
  if (dependents) *dependents = std::move(found);
  return any;
}

std::vector<std::string> running_unit_names() {
  RuntimeDirectory dir(runtime_directory());
  std::vector<std::string> out;
  for (const RuntimeEntry& e : dir.entries()) {
    ActiveState s = quick_state(e, dir).active;
    if (s != ActiveState::Inactive && s != ActiveState::Failed) out.push_back(e.name);
  }
  return out;
}

Result<LoadedGraph> load_graph(const std::vector<unit::UnitFile>& roots, const std::vector<std::string>& also,
                               const unit::UnitPath& path) {
  LoadedGraph out;
  std::vector<manager::UnitSpec> specs;
  std::unordered_set<std::string> seen;  // names looked up (spellings and resolved names)
  std::deque<unit::UnitFile> queue;
  for (const unit::UnitFile& r : roots) queue.push_back(own_unit(r));
  std::deque<std::string> names(also.begin(), also.end());
  // A file of a well-known target's name replaces the built-in one.
  for (std::string_view t : {manager::kSysinitTarget, manager::kBasicTarget, manager::kMultiUserTarget,
                             manager::kShutdownTarget, manager::kDefaultTarget})
    names.emplace_back(t);
  // The name a dependency resolves to (an alias names its file's unit).
  std::unordered_map<std::string, std::string> resolved;
  auto resolve = [&](const std::string& spelling) -> std::string {
    if (auto it = resolved.find(spelling); it != resolved.end()) return it->second;
    auto found = unit::find_unit(spelling, path);
    if (found) *found = own_unit(std::move(*found));
    std::string name = found ? found->name : spelling;
    resolved[spelling] = name;
    if (found && !seen.count(name)) queue.push_back(*found);
    return name;
  };
  while (!queue.empty() || !names.empty()) {
    if (queue.empty()) {
      std::string n = names.front();
      names.pop_front();
      if (!seen.count(n)) (void)resolve(n);
      continue;
    }
    unit::UnitFile file = std::move(queue.front());
    queue.pop_front();
    if (!seen.insert(file.name).second) continue;
    resolved[file.spelling] = file.name;
    manager::UnitSpec spec;
    spec.name = file.name;
    LinkedUnits links = linked_units(file.name, path);
    if (file.masked) {
      spec.load_state = manager::LoadState::Masked;
    } else if (!file.found) {
      // A well-known target without a file is the built-in one (plus its
      // .wants/ directory, when it has one); anything else is not-found.
      if (is_builtin_target(file.name) && links.empty()) {
        out.files[file.name] = file;
        continue;
      }
      spec.load_state = manager::LoadState::NotFound;
    } else {
      unit::LoadResult load = unit::load(file, unit::ValidateMode::Start);
      spec.default_dependencies = load.unit.default_dependencies;
      spec.stop_when_unneeded = load.unit.stop_when_unneeded;
      spec.can_reload = !is_target(file.name) && !load.unit.exec_reload.empty();
      for (const unitrun::Dependency& d : load.unit.dependencies) {
        auto kind = manager_kind(d.kind);
        if (!kind) continue;
        if (!foreign_type(d.unit).empty()) {
          skip_foreign(file.name, *kind, d.unit, out.notes);
          continue;
        }
        std::string to = resolve(d.unit);
        if (to == file.name) continue;  // an alias of itself: the graph would warn about nothing real
        spec.dependencies[*kind].push_back(to);
      }
    }
    for (auto [kind, linked] :
         {std::pair{Dependency::Wants, &links.wants}, std::pair{Dependency::Requires, &links.required},
          std::pair{Dependency::Upholds, &links.upheld}})
      for (const std::string& l : *linked) {
        if (!foreign_type(l).empty())
          skip_foreign(file.name, kind, l, out.notes);
        else
          spec.dependencies[kind].push_back(resolve(l));
      }
    RuntimeFiles files = runtime_files_for(file);
    out.states.set(file.name, manager_state(quick_state(file.name, files).active));
    out.files[file.name] = file;
    specs.push_back(std::move(spec));
  }
  auto graph = manager::DependencyGraph::build(specs);
  if (!graph) return graph.error();
  out.graph = std::move(*graph);
  // Built-in targets have a state record too, once started.
  for (auto& [name, file] : out.files) {
    if (out.states.all().count(name)) continue;
    RuntimeFiles files = runtime_files_for(name, name);
    out.states.set(name, manager_state(quick_state(name, files).active));
  }
  return out;
}

}  // namespace unitrun::cli
