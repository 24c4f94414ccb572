// How a verb reads its unit: from the files on disk, or, for a verb that
// acts on the running unit, from what its monitor was started from
// (runtime/unit_snapshot.h) for as long as the monitor lives. Editing a
// unit file into something invalid, or deleting it, never strands its
// service: stop, status, reload, logs and restart's stop still know it, and
// say that the files changed, as systemctl says "changed on disk".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/unit_lock.h"
#include "runtime/unit_snapshot.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {

enum class UnitSource {
  Disk,     // start, run, check, show, cat: the files as they are
  Running,  // stop, status, reload, logs, restart's stop: the snapshot while the monitor lives
};

struct LoadedUnit {
  unit::LoadResult load;
  bool from_snapshot = false;
  // From the snapshot, and the files on disk are no longer what it holds:
  // "changed" or "deleted"; empty otherwise.
  std::string disk_change;
};

// Loads the unit; prints nothing. `lock`, when given, is the unit's lock
// file opened already: asked whether a monitor lives, instead of opening
// the file once more.
LoadedUnit load_unit(const unit::UnitFile& file, UnitSource source, UnitLock* lock = nullptr);

// Every diagnostic as path:line: message, on stderr.
void print_diagnostics(const unit::LoadResult& load);
// The "changed on disk" warning, on stderr, when there is one.
void warn_if_changed(const LoadedUnit& loaded);
// The same for a unit known by its name, path and disk_change() alone.
void warn_if_changed(const std::string& unit_name, const std::string& unit_path, const std::string& change);
// What LoadedUnit::disk_change says of a unit started from `started_from`.
std::string disk_change(const unit::UnitFile& file, const unit::UnitSources& started_from);
// The same answer from a snapshot's header alone, when its stamps can give
// it: "" when the unit is still made of the files they name, in their
// order, and an fstat of each, opened now, finds it unchanged
// (unit/file_stamp.h: current_stamp()).
// nullopt when they cannot tell (no stamps, a file gone, moved, added or
// touched): the texts decide, as disk_change() does. Never "changed":
// a touched file of the same text is not a change.
std::optional<std::string> disk_change_by_stamps(const unit::UnitFile& file, const std::vector<SourceStamp>& stamps);

}  // namespace unitrun::cli
