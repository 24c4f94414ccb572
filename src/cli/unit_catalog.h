// Every unit unitrun knows, for the verbs that take globs or list units:
// the unit files of the unit path and the units of the runtime directory
// (those that run or ran since boot: a lock, a state record, a snapshot of
// what their monitor was started from), joined by name and identity. And
// each such unit's state, told cheaply enough for a thousand of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/runtime_files.h"
#include "runtime/unit_snapshot.h"
#include "unit/unit_lookup.h"

namespace unitrun::cli {

// One unit's files in the runtime directory (paths; empty when absent).
struct RuntimeEntry {
  std::string name, key;
  std::string lock, state, snapshot;
};
std::vector<RuntimeEntry> runtime_entries(const std::string& directory);

struct KnownUnit {
  std::string name;                         // the unit's name
  std::optional<unit::UnitFileEntry> file;  // its file in the unit path, if the unit is that file's
  std::optional<RuntimeEntry> runtime;      // its runtime files, if it ever ran
};

// Unit files (not templates) and runtime entries, sorted by name; a runtime
// entry joins the unit file of its name when its key is the name's (a unit
// of the unit path), and is a unit of its own otherwise (a unit named by
// a path). with_files false: the runtime entries only.
std::vector<KnownUnit> known_units(const unit::UnitPath& path, bool with_files);

// The unit a runtime entry is, from its snapshot: name, identity and
// (possibly gone) file; nullopt without a snapshot.
std::optional<unit::UnitFile> unit_of(const RuntimeEntry& entry);

// A unit's state as `list` and is-active tell it: the lock says whether a
// monitor lives, the record the rest; a monitor that died leaving its
// service running is active, as status says.
struct QuickState {
  ActiveState active = ActiveState::Inactive;
  std::string sub = "dead";
  std::optional<MonitorState> record;
};
QuickState quick_state(const RuntimeFiles& files);
QuickState quick_state(const RuntimeEntry& entry);

}  // namespace unitrun::cli
