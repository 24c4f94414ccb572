#include "manager/dependency_graph.h"

#include <unordered_set>

#include "base/fixed_text.h"

namespace unitrun::manager {
namespace {

struct KindInfo {
  Dependency kind;
  FixedText<24> name;  // in place (base/fixed_text.h): no relocation dirties the table
  Dependency inverse;
  bool configurable;
  FixedText<24> verb;  // configurable kinds: "requires" in "a requires b"
};

// systemd's inverse table (unit_add_dependency() in src/core/unit.c).
constexpr std::array<KindInfo, kDependencyKinds> kKinds = {{
    {Dependency::Requires, "Requires", Dependency::RequiredBy, true, "requires"},
    {Dependency::Requisite, "Requisite", Dependency::RequisiteOf, true, "requires (Requisite=)"},
    {Dependency::Wants, "Wants", Dependency::WantedBy, true, "wants"},
    {Dependency::BindsTo, "BindsTo", Dependency::BoundBy, true, "binds to"},
    {Dependency::PartOf, "PartOf", Dependency::ConsistsOf, true, "is part of"},
    {Dependency::Upholds, "Upholds", Dependency::UpheldBy, true, "upholds"},
    {Dependency::Conflicts, "Conflicts", Dependency::ConflictedBy, true, "conflicts with"},
    {Dependency::Before, "Before", Dependency::After, true, "is ordered before"},
    {Dependency::After, "After", Dependency::Before, true, "is ordered after"},
    {Dependency::OnFailure, "OnFailure", Dependency::OnFailureOf, true, "on failure starts"},
    {Dependency::OnSuccess, "OnSuccess", Dependency::OnSuccessOf, true, "on success starts"},
    {Dependency::PropagatesReloadTo, "PropagatesReloadTo", Dependency::ReloadPropagatedFrom, true,
     "propagates reloads to"},
    {Dependency::ReloadPropagatedFrom, "ReloadPropagatedFrom", Dependency::PropagatesReloadTo, true,
     "takes reloads from"},
    {Dependency::PropagatesStopTo, "PropagatesStopTo", Dependency::StopPropagatedFrom, true, "propagates stops to"},
    {Dependency::StopPropagatedFrom, "StopPropagatedFrom", Dependency::PropagatesStopTo, true, "takes stops from"},
    {Dependency::RequiredBy, "RequiredBy", Dependency::Requires, false, ""},
    {Dependency::RequisiteOf, "RequisiteOf", Dependency::Requisite, false, ""},
    {Dependency::WantedBy, "WantedBy", Dependency::Wants, false, ""},
    {Dependency::BoundBy, "BoundBy", Dependency::BindsTo, false, ""},
    {Dependency::ConsistsOf, "ConsistsOf", Dependency::PartOf, false, ""},
    {Dependency::UpheldBy, "UpheldBy", Dependency::Upholds, false, ""},
    {Dependency::ConflictedBy, "ConflictedBy", Dependency::Conflicts, false, ""},
    {Dependency::OnFailureOf, "OnFailureOf", Dependency::OnFailure, false, ""},
    {Dependency::OnSuccessOf, "OnSuccessOf", Dependency::OnSuccess, false, ""},
}};

const KindInfo& info(Dependency kind) { return kKinds[static_cast<size_t>(kind)]; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The kinds whose units a target orders itself after (target.c's
// UNIT_ATOM_ADD_DEFAULT_TARGET_DEPENDENCY_QUEUE). systemd.target(5) names
// Wants= and Requires=; systemd applies the rule to every requirement kind.
constexpr std::array<Dependency, 6> kTargetOrderedKinds = {Dependency::Requires, Dependency::Requisite,
                                                           Dependency::Wants,    Dependency::BindsTo,
                                                           Dependency::PartOf,   Dependency::Upholds};

uint64_t edge_key(UnitId from, Dependency kind, UnitId to) {
  return (static_cast<uint64_t>(from) * kDependencyKinds + static_cast<uint64_t>(kind)) << 32 | to;
}

}  // namespace

const char* to_string(Dependency kind) { return info(kind).name.c_str(); }

std::string describe_edge(const DependencyGraph& graph, UnitId from, Dependency kind, UnitId to) {
  if (!is_configurable(kind)) return describe_edge(graph, to, inverse(kind), from);
  return graph.name(from) + " " + info(kind).verb.c_str() + " " + graph.name(to);
}
Dependency inverse(Dependency kind) { return info(kind).inverse; }
bool is_configurable(Dependency kind) { return info(kind).configurable; }

UnitKind kind_from_name(std::string_view name) {
  if (ends_with(name, ".service")) return UnitKind::Service;
  if (ends_with(name, ".target")) return UnitKind::Target;
  return UnitKind::Other;
}

const char* to_string(LoadState state) {
  switch (state) {
    case LoadState::Loaded:
      return "loaded";
    case LoadState::NotFound:
      return "not-found";
    case LoadState::Masked:
      return "masked";
  }
  return "not-found";
}

UnitSpec& UnitSpec::add(Dependency dependency, std::initializer_list<std::string> units) {
  std::vector<std::string>& list = dependencies[dependency];
  list.insert(list.end(), units.begin(), units.end());
  return *this;
}

Result<DependencyGraph> DependencyGraph::build(const std::vector<UnitSpec>& specs) {
  DependencyGraph g;
  std::vector<const UnitSpec*> spec_of;

  for (const UnitSpec& spec : specs) {
    if (spec.name.empty()) return Error::plain("a unit has an empty name");
    if (g.by_name_.count(spec.name)) return Error::plain("unit " + spec.name + " is given twice");
    for (const auto& [kind, units] : spec.dependencies) {
      if (!is_configurable(kind))
        return Error::plain(spec.name + ": " + to_string(kind) + "= cannot be set; it is derived from " +
                            to_string(inverse(kind)) + "= of the other unit");
    }
    UnitId id = g.intern(spec.name);
    UnitNode& node = g.units_[id];
    node.load_state = spec.load_state;
    node.kind = spec.kind.value_or(kind_from_name(spec.name));
    node.default_dependencies = spec.default_dependencies;
    node.stop_when_unneeded = spec.stop_when_unneeded;
    node.can_reload = spec.can_reload && node.kind != UnitKind::Target;
    if (spec_of.size() <= id) spec_of.resize(id + 1, nullptr);
    spec_of[id] = &spec;
  }

  // default.target is multi-user.target unless a unit of that name is given
  // (systemd.special(7): "usually, this should be aliased (symlinked) to
  // multi-user.target or graphical.target").
  g.add_builtin_targets();

  // A masked or missing unit has no file, so none of its dependencies
  // exist (systemd loads none); a built-in target promoted from not-found
  // keeps what its .wants/ directory gave it.
  for (UnitId id = 0; id < spec_of.size(); ++id) {
    const UnitSpec* spec = spec_of[id];
    if (spec == nullptr || !g.units_[id].loaded()) continue;
    for (const auto& [kind, units] : spec->dependencies) {
      for (const std::string& other : units) {
        UnitId to = g.intern(other);
        if (to == id) {
          // systemd drops these too ("Dependency X=Y is dropped").
          g.warnings_.push_back(g.units_[id].name + ": " + to_string(kind) + "=" + other +
                                " dropped: a unit cannot depend on itself");
          continue;
        }
        g.add_edge(id, kind, to);
      }
    }
  }

  for (UnitId id = 0; id < g.units_.size(); ++id) g.add_service_defaults(id);
  // Targets after services, as systemd's target-dependency queue runs after
  // every unit is loaded; the loop check then sees the services' edges.
  for (UnitId id = 0; id < g.units_.size(); ++id) g.add_target_defaults(id);

  // systemd's unit_can_reload(): a unit that propagates reloads can be
  // reloaded even if it has nothing of its own to reload.
  for (UnitNode& node : g.units_)
    if (!node[Dependency::PropagatesReloadTo].empty()) node.can_reload = true;
  return g;
}

std::optional<UnitId> DependencyGraph::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

bool DependencyGraph::has(UnitId from, Dependency kind, UnitId to) const {
  return edge_keys_.count(edge_key(from, kind, to)) > 0;
}

UnitId DependencyGraph::intern(const std::string& name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  UnitId id = static_cast<UnitId>(units_.size());
  UnitNode node;
  node.name = name;
  node.kind = kind_from_name(name);
  units_.push_back(std::move(node));
  by_name_.emplace(name, id);
  return id;
}

void DependencyGraph::add_edge(UnitId from, Dependency kind, UnitId to) {
  // Through a set rather than the lists, which are long for a target
  // with many units in its .wants/ directory.
  if (edge_keys_.insert(edge_key(from, kind, to)).second) units_[from].edges[static_cast<size_t>(kind)].push_back(to);
  Dependency back = inverse(kind);
  if (edge_keys_.insert(edge_key(to, back, from)).second) units_[to].edges[static_cast<size_t>(back)].push_back(from);
}

void DependencyGraph::add_builtin_targets() {
  struct Builtin {
    std::string_view name;
    std::string_view requires_and_after;  // empty: none
    bool default_dependencies;
  };
  // systemd.special(7) and the files systemd ships: basic.target requires
  // sysinit.target, multi-user.target requires basic.target, both ordered
  // after it; shutdown.target has DefaultDependencies=no. What else those
  // files pull in (local-fs.target, sockets.target, ...) belongs to PID 1.
  static constexpr std::array<Builtin, 4> kBuiltins = {{
      {kSysinitTarget, "", true},
      {kBasicTarget, kSysinitTarget, true},
      {kMultiUserTarget, kBasicTarget, true},
      {kShutdownTarget, "", false},
  }};
  for (const Builtin& b : kBuiltins) {
    UnitId id = intern(std::string(b.name));
    UnitNode& node = units_[id];
    if (node.load_state == LoadState::Loaded && !node.builtin) {
      // A unit file of that name replaces the built-in definition.
      continue;
    }
    if (node.load_state == LoadState::Masked) continue;
    node.load_state = LoadState::Loaded;
    node.builtin = true;
    node.kind = UnitKind::Target;
    node.default_dependencies = b.default_dependencies;
    node.can_reload = false;
  }
  for (const Builtin& b : kBuiltins) {
    UnitId id = by_name_.at(std::string(b.name));
    if (!units_[id].builtin || b.requires_and_after.empty()) continue;
    UnitId other = intern(std::string(b.requires_and_after));
    add_edge(id, Dependency::Requires, other);
    add_edge(id, Dependency::After, other);
  }
  if (!by_name_.count(std::string(kDefaultTarget)))
    by_name_.emplace(std::string(kDefaultTarget), by_name_.at(std::string(kMultiUserTarget)));
}

void DependencyGraph::add_service_defaults(UnitId id) {
  const UnitNode& node = units_[id];
  if (node.kind != UnitKind::Service || !node.loaded() || !node.default_dependencies) return;
  // systemd.service(5), "Default Dependencies": "Service units will have
  // dependencies of type Requires= and After= on sysinit.target, a
  // dependency of type After= on basic.target as well as dependencies of
  // type Conflicts= and Before= on shutdown.target."
  UnitId sysinit = by_name_.at(std::string(kSysinitTarget));
  UnitId basic = by_name_.at(std::string(kBasicTarget));
  UnitId shutdown = by_name_.at(std::string(kShutdownTarget));
  add_edge(id, Dependency::Requires, sysinit);
  add_edge(id, Dependency::After, sysinit);
  add_edge(id, Dependency::After, basic);
  add_edge(id, Dependency::Conflicts, shutdown);
  add_edge(id, Dependency::Before, shutdown);
}

void DependencyGraph::add_target_defaults(UnitId id) {
  if (units_[id].kind != UnitKind::Target || !units_[id].loaded() || !units_[id].default_dependencies) return;
  // systemd.target(5), "Default Dependencies": "Target units will
  // automatically complement all configured dependencies of type Wants= or
  // Requires= with dependencies of type After= unless
  // DefaultDependencies=no is set in the specified units." systemd's
  // unit_add_default_target_dependency() adds it only when both units are
  // loaded, and not when the target already has Before= on the unit (that
  // would be a cycle: the explicit Before= wins, as systemd.unit(5) says
  // "it can be selectively overridden via an explicit Before= dependency").
  std::vector<UnitId> others;
  for (Dependency kind : kTargetOrderedKinds)
    for (UnitId other : units_[id][kind]) others.push_back(other);
  for (UnitId other : others) {
    const UnitNode& o = units_[other];
    if (!o.loaded() || !o.default_dependencies) continue;
    if (has(id, Dependency::Before, other)) continue;
    add_edge(id, Dependency::After, other);
  }
  // "Target units automatically gain Conflicts= and Before= dependencies
  // against shutdown.target." (shutdown.target itself excepted, as in
  // systemd's target.c.)
  UnitId shutdown = by_name_.at(std::string(kShutdownTarget));
  if (id == shutdown) return;
  add_edge(id, Dependency::Conflicts, shutdown);
  add_edge(id, Dependency::Before, shutdown);
}

}  // namespace unitrun::manager
