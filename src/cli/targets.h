// The units the words of a command line name: each word a name (looked up
// in the unit path), a path, or a glob (matched against the units unitrun
// knows); each unit once, in the order given, a glob's matches by name.
// A word that names no unit is a target of its own that carries why, and
// the exit code it ends with, so that the verb still acts on the others
// and reports each outcome (systemctl's way).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "unit/unit_lookup.h"
#include "unit/unit_path.h"

namespace unitrun::cli {

struct Target {
  std::string word;     // as typed (for a glob's match: the unit's name)
  unit::UnitFile file;  // resolved; file.found false for a name with no file (it may still run: prepare() looks)
  std::string error;    // non-empty: the word names no unit, and this says why
  int code = 0;         // the exit code for that
};

enum class GlobScope {
  Running,    // units that run or ran (stop, status, restart, ...): systemctl's "loaded units"
  Startable,  // those and every unit file of the path that is no template (start)
};

// A glob that matches nothing is not an error (there is nothing to do):
// `note` gets a line for it.
std::vector<Target> resolve_targets(const std::vector<std::string>& words, const unit::UnitPath& path, GlobScope scope,
                                    std::vector<std::string>& notes);

// A unit of the unit path started by a unitrun from before units had
// names (0.x: its runtime files keyed by its file's path) keeps that key
// while its monitor lives, so that an upgrade strands no running unit:
// `file` with the path as its identity then, unchanged otherwise.
// resolve_targets() applies it to every target.
unit::UnitFile with_running_key(unit::UnitFile file);

// Whether systemctl would call the unit loaded: a file of it is found, or
// it ran (its lock file is there). systemctl's verbs that only act on a
// loaded unit (kill, reset-failed) fail with "Unit NAME not loaded." for
// the others. Looks without creating anything.
bool is_loaded(const unit::UnitFile& file);

// systemctl's way for the verbs that act on loaded units only (kill,
// reset-failed): `act` on each running unit the words name that is loaded,
// its exit code kept. A word that names none says why on stderr (its
// code); a unit not loaded says "Failed to WHAT unit NAME: Unit NAME not
// loaded." (exit 1); the notes of globs that matched nothing come last.
// Returns the worst exit code.
int for_each_loaded_target(const std::vector<std::string>& words, const char* what,
                           const std::function<int(const unit::UnitFile&)>& act);

// Exit codes of several units: the worst (the highest), 0 for none.
int worst_exit_code(const std::vector<int>& codes);

}  // namespace unitrun::cli
