#include "cli/unit_source.h"

#include <cstdio>

#include "base/strings.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "runtime/unit_snapshot.h"

namespace unitrun::cli {

std::string disk_change(const unit::UnitFile& file, const unit::UnitSources& started_from) {
  if (!file.found) return "deleted";
  auto now = unit::read_sources(file);
  return !now || now->files != started_from.files ? "changed" : "";
}

std::optional<std::string> disk_change_by_stamps(const unit::UnitFile& file, const std::vector<SourceStamp>& stamps) {
  if (!file.found || stamps.size() != 1 + file.dropins.size()) return std::nullopt;
  for (size_t i = 0; i < stamps.size(); ++i) {
    const std::string& path = i == 0 ? file.fragment : file.dropins[i - 1];
    if (stamps[i].path != path) return std::nullopt;
    std::optional<unit::FileStamp> now = unit::current_stamp(path);
    if (!now || *now != stamps[i].stamp) return std::nullopt;
  }
  return std::string();
}

LoadedUnit load_unit(const unit::UnitFile& file, UnitSource source, UnitLock* lock) {
  LoadedUnit loaded;
  if (source == UnitSource::Running) {
    RuntimeFiles files = runtime_files_for(file);
    // Only while a monitor lives: a snapshot left by one that has exited
    // says nothing about the next start.
    auto alive = lock ? lock->alive_held_elsewhere() : UnitLock::alive_held(files.lock);
    if (alive.value_or(false)) {
      auto snapshot = read_snapshot(files.snapshot);
      if (snapshot && snapshot->sources.identity == file.identity && snapshot->sources.name == file.name) {
        unit::LoadResult from_snapshot = unit::load_sources(snapshot->sources, file, unit::ValidateMode::Start);
        if (!has_errors(from_snapshot.diagnostics)) {
          loaded.load = std::move(from_snapshot);
          loaded.from_snapshot = true;
          loaded.disk_change = disk_change(file, snapshot->sources);
          return loaded;
        }
      }
    }
  }
  loaded.load = unit::load(file, unit::ValidateMode::Start);
  return loaded;
}

void print_diagnostics(const unit::LoadResult& load) {
  for (const Diagnostic& d : load.diagnostics) std::fprintf(stderr, "%s\n", d.format(load.display_path).c_str());
}

void warn_if_changed(const LoadedUnit& loaded) {
  warn_if_changed(loaded.load.unit.name, loaded.load.unit.path, loaded.disk_change);
}

void warn_if_changed(const std::string& unit_name, const std::string& unit_path, const std::string& change) {
  if (change.empty()) return;
  std::string name = escape_for_terminal(unit_name);
  if (change == "deleted")
    std::fprintf(stderr,
                 "unitrun: warning: %s: unit file deleted since start (%s); stop, status and logs use what it was "
                 "started from\n",
                 name.c_str(), escape_for_terminal(unit_path).c_str());
  else
    std::fprintf(stderr,
                 "unitrun: warning: %s: unit file changed on disk since start; `unitrun restart %s` applies it\n",
                 name.c_str(), name.c_str());
}

}  // namespace unitrun::cli
