// Every unit unitrun knows, for the verbs that take globs or list units:
// the unit files of the unit path and the units of the runtime directory
// (those that run or ran since boot: a lock, a state record, a snapshot of
// what their monitor was started from), joined by name and identity. And
// each such unit's state, told cheaply enough for a thousand of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_snapshot.h"
#include "unit/unit_lookup.h"

namespace unitrun::cli {

// One unit's files in the runtime directory (paths; empty when absent).
struct RuntimeEntry {
  std::string name, key;
  std::string lock, state, snapshot;
};

// The runtime directory, opened once: its entries are read relative to it
// (a thousand units' files without walking the directory's path for each).
class RuntimeDirectory {
 public:
  explicit RuntimeDirectory(std::string path);
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }  // -1 when it does not exist
  std::vector<RuntimeEntry> entries() const;

 private:
  std::string path_;
  UniqueFd fd_;
};

struct KnownUnit {
  std::string name;                         // the unit's name
  std::optional<unit::UnitFileEntry> file;  // its file in the unit path, if the unit is that file's
  std::optional<RuntimeEntry> runtime;      // its runtime files, if it ever ran
};

// Unit files (not templates) and the runtime entries of `runtime`, sorted
// by name; a runtime
// entry joins the unit file of its name when its key is the name's (a unit
// of the unit path), and is a unit of its own otherwise (a unit named by
// a path). with_files false: the runtime entries only.
std::vector<KnownUnit> known_units(const unit::UnitPath& path, bool with_files, const RuntimeDirectory& runtime);

// The unit a runtime entry is, from its snapshot's header: name, identity
// and (possibly gone) file; without one, a unit of the unit path by its
// name; nullopt for anything else.
std::optional<unit::UnitFile> unit_of(const RuntimeEntry& entry);

// A unit's state as `list` and is-active tell it: the lock says whether a
// monitor lives, the record the rest; a monitor that died leaving its
// service running is active, as status says.
struct QuickState {
  ActiveState active = ActiveState::Inactive;
  std::string sub = "dead";
  std::optional<MonitorState> record;
};
QuickState quick_state(const std::string& name, const RuntimeFiles& files);
// `dir` is the directory the entry is in.
QuickState quick_state(const RuntimeEntry& entry, const RuntimeDirectory& dir);
// The description its snapshot keeps ("" without one).
std::string snapshot_description(const RuntimeEntry& entry, const RuntimeDirectory& dir);

}  // namespace unitrun::cli
