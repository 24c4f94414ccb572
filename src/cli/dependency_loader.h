// The manager's view of a request (src/manager/): the units it names and
// every unit their dependency keys reach, read lazily through the unit path
// (only the units reached are looked up, never the whole path), the
// NAME.wants/, NAME.requires/ and NAME.upholds/ symlinks of the path's
// directories as Wants=, Requires= and Upholds= entries, and each unit's
// current state told cheaply (unit_catalog.h's quick state). Also the cheap
// test of whether a request needs the manager at all: a unit with no
// dependency key, no such directory and no running unit that names it runs
// exactly as a single unit always did.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "manager/active_state.h"
#include "manager/dependency_graph.h"
#include "runtime/runtime_files.h"
#include "unit/unit.h"
#include "unit/unit_lookup.h"
#include "unit/unit_path.h"

namespace unitrun::cli {

struct LoadedGraph {
  manager::DependencyGraph graph;
  manager::UnitStates states;
  // Each unit the graph has a file for (or a name that was looked up and
  // not found), by its name in the graph.
  std::unordered_map<std::string, unit::UnitFile> files;
  // What was left out, one line each: a dependency on a .socket, .mount,
  // .device, ... unit, which unitrun does not run.
  std::vector<std::string> notes;
};

// `roots` are the units the request names (resolved); `also` more names to
// load (the running units a stop must know about). Fails only when the
// graph cannot be built (DependencyGraph::build's errors).
Result<LoadedGraph> load_graph(const std::vector<unit::UnitFile>& roots, const std::vector<std::string>& also,
                               const unit::UnitPath& path);

// The names a unit's file links through the path's NAME.wants/,
// NAME.requires/ and NAME.upholds/ directories, as dependencies; within a
// unit::CommandReads, looked at once per command.
struct LinkedUnits {
  std::vector<std::string> wants, required, upheld;
  bool empty() const { return wants.empty() && required.empty() && upheld.empty(); }
};
LinkedUnits linked_units(const std::string& name, const unit::UnitPath& path);

// Whether the text of a unit file (and its drop-ins) sets one of
// systemd's dependency keys: a light scan of its lines, no parse. Pure.
// `reload_only`: only the keys a reload follows (PropagatesReloadTo=,
// ReloadPropagatedFrom=).
bool sets_dependency_keys(std::string_view text, bool reload_only = false);

// What a stop must know of the running units without reading each: a
// start of a unit with Requires=, BindsTo=, PartOf=, Requisite=, Upholds=
// or StopPropagatedFrom= adds an empty file named after its runtime files (`UNIT.HASH`)
// to `.required-by/NAME/` in the runtime directory for each NAME it lists
// (and each NAME its UNIT.upholds/ links name: who upholds a unit that
// ends is found there, unit_reactions.h),
// NAME resolved in the unit path (an alias: the unit's own name), nothing
// for any other unit. A stop of NAME opens that one directory: its cost
// does not grow with the units the machine runs or has seen.
// running_dependents() removes the entries of units it finds not running.
void record_requirements(const Unit& unit, const RuntimeFiles& files);
// The running (or changing) units whose record names one of `names`, and
// those naming them in turn.
std::vector<std::string> running_dependents(std::vector<std::string> names);
// Only those whose record names `name` itself (not their dependents).
std::vector<std::string> running_required_by(const std::string& name);

// Whether a request on these units needs the manager: a .target, a unit
// whose files set a dependency key or whose name has a .wants/, .requires/
// or .upholds/ directory; for a stop (`running_names` true) also a running
// unit whose files name one of them.
// A reload (`reload_only`) needs it only for a unit that propagates reloads:
// anything else reloads exactly as one unit does (exit 3 without
// ExecReload=).
// `dependents`, when given, receives running_dependents() of the units if
// that was looked up (a stop that needs the manager for them reads the
// index once).
bool needs_manager(const std::vector<unit::UnitFile>& units, const unit::UnitPath& path, bool running_names,
                   bool reload_only = false, std::optional<std::vector<std::string>>* dependents = nullptr);

// The unit itself, except a well-known target's file in systemd's own
// directories (it describes systemd's boot): the built-in target instead;
// default.target without a file of its own is multi-user.target.
unit::UnitFile own_unit(unit::UnitFile file);

// A state as the status record says it, in the manager's words.
manager::ActiveState manager_state(ActiveState s);

// The running (or activating) units of the caller's runtime directory,
// by name: what a stop must consider and what `shutdown` stops.
std::vector<std::string> running_unit_names();

}  // namespace unitrun::cli
