// The units the manager knows and the dependencies between them, as
// systemd.unit(5) defines them: what each unit file says, the reverse edges
// systemd derives (RequiredBy=, WantedBy=, BoundBy=, ...), the well-known
// targets that exist without a file, and the default dependencies of
// services and targets. Built once from plain descriptions; read-only
// afterwards, so that transactions and run-time rules can share it.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"

namespace unitrun::manager {

// The dependency kinds of systemd.unit(5), [Unit] section. The first group
// can be written in a unit file (or, for Wants= and Requires=, as a
// .wants/ or .requires/ symlink); the second group is derived: each is the
// other end of one of the first and cannot be written.
enum class Dependency : uint8_t {
  Requires,
  Requisite,
  Wants,
  BindsTo,
  PartOf,
  Upholds,
  Conflicts,
  Before,
  After,
  OnFailure,
  OnSuccess,
  PropagatesReloadTo,
  ReloadPropagatedFrom,
  PropagatesStopTo,
  StopPropagatedFrom,
  // Derived.
  RequiredBy,
  RequisiteOf,
  WantedBy,
  BoundBy,
  ConsistsOf,
  UpheldBy,
  ConflictedBy,
  OnFailureOf,
  OnSuccessOf,
};
inline constexpr size_t kDependencyKinds = 24;

using UnitId = uint32_t;
class DependencyGraph;

// The key's name without '=': "Requires", "RequiredBy", ...
const char* to_string(Dependency kind);
// One edge in words, from the side that configured it: "web.service
// requires db.service" for Requires= of web.service and for RequiredBy= of
// db.service alike.
std::string describe_edge(const DependencyGraph& graph, UnitId from, Dependency kind, UnitId to);

// The kind the other unit records: Requires ↔ RequiredBy, Before ↔ After,
// PropagatesReloadTo ↔ ReloadPropagatedFrom, ...
Dependency inverse(Dependency kind);
// Whether a unit file can set it (the first group above).
bool is_configurable(Dependency kind);

enum class UnitKind { Service, Target, Other };
// From the name's suffix: ".service", ".target", anything else.
UnitKind kind_from_name(std::string_view name);

// systemd's LoadState= as far as the manager cares: a unit with no file
// (not-found) and a unit linked to /dev/null (masked) cannot be started.
enum class LoadState { Loaded, NotFound, Masked };
const char* to_string(LoadState state);

// The well-known targets of systemd.special(7) that exist even without a
// file, and the alias default.target has unless a unit of that name is
// given.
inline constexpr std::string_view kSysinitTarget = "sysinit.target";
inline constexpr std::string_view kBasicTarget = "basic.target";
inline constexpr std::string_view kMultiUserTarget = "multi-user.target";
inline constexpr std::string_view kShutdownTarget = "shutdown.target";
inline constexpr std::string_view kDefaultTarget = "default.target";

// One unit as its file (and its .wants/ and .requires/ directories) describe
// it. Whoever reads unit files fills these in; the graph needs nothing else.
struct UnitSpec {
  std::string name;  // "web.service", "multi-user.target"
  LoadState load_state = LoadState::Loaded;
  std::optional<UnitKind> kind;  // from the name when unset
  bool default_dependencies = true;
  bool stop_when_unneeded = false;
  // Whether a reload job applies. unitrun reloads every service (ExecReload=,
  // or SIGHUP to the main process), so services default to yes; a target
  // never can, except that a unit with PropagatesReloadTo= always can.
  bool can_reload = true;
  // Only configurable kinds. A .wants/ symlink is a Wants= entry here, so an
  // enabled unit (WantedBy=multi-user.target) is in multi-user.target's
  // Wants list.
  std::map<Dependency, std::vector<std::string>> dependencies;

  UnitSpec& add(Dependency dependency, std::initializer_list<std::string> units);
};

struct UnitNode {
  std::string name;
  UnitKind kind = UnitKind::Other;
  LoadState load_state = LoadState::NotFound;
  bool builtin = false;  // a well-known target the graph supplied
  bool default_dependencies = true;
  bool stop_when_unneeded = false;
  bool can_reload = false;
  // Every edge, configured, derived, default or built in; each list has no
  // duplicates and never names the unit itself.
  std::array<std::vector<UnitId>, kDependencyKinds> edges;

  bool loaded() const { return load_state == LoadState::Loaded; }
  const std::vector<UnitId>& operator[](Dependency dependency) const { return edges[static_cast<size_t>(dependency)]; }
};

class DependencyGraph {
 public:
  // Fails on a unit given twice, an empty name, or a derived kind in a
  // spec. A name a dependency mentions but no spec gives becomes a
  // not-found unit (a well-known target becomes the built-in one).
  static Result<DependencyGraph> build(const std::vector<UnitSpec>& specs);

  size_t size() const { return units_.size(); }
  const UnitNode& unit(UnitId id) const { return units_[id]; }
  const std::string& name(UnitId id) const { return units_[id].name; }
  // By name or alias (default.target).
  std::optional<UnitId> find(std::string_view name) const;
  bool has(UnitId from, Dependency kind, UnitId to) const;

  // What the graph dropped or assumed, one sentence each ("a.service:
  // Requires=a.service dropped: a unit cannot depend on itself").
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  UnitId intern(const std::string& name);
  void add_edge(UnitId from, Dependency kind, UnitId to);
  void add_builtin_targets();
  void add_service_defaults(UnitId id);
  void add_target_defaults(UnitId id);

  std::vector<UnitNode> units_;
  std::unordered_map<std::string, UnitId> by_name_;  // aliases too
  std::unordered_set<uint64_t> edge_keys_;           // every edge, for has() and deduplication
  std::vector<std::string> warnings_;
};

}  // namespace unitrun::manager
