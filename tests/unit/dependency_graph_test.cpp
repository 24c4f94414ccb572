// The dependency graph against systemd.unit(5), systemd.service(5),
// systemd.target(5) and systemd.special(7): the reverse edges systemd
// derives, the default dependencies of services and targets, the
// well-known targets that exist without a file, and what the graph refuses.
#include "manager/dependency_graph.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace unitrun;
using namespace unitrun::manager;

namespace {

constexpr Dependency kRequires = Dependency::Requires;
constexpr Dependency kRequisite = Dependency::Requisite;
constexpr Dependency kWants = Dependency::Wants;
constexpr Dependency kBindsTo = Dependency::BindsTo;
constexpr Dependency kPartOf = Dependency::PartOf;
constexpr Dependency kUpholds = Dependency::Upholds;
constexpr Dependency kConflicts = Dependency::Conflicts;
constexpr Dependency kBefore = Dependency::Before;
constexpr Dependency kOnFailure = Dependency::OnFailure;
constexpr Dependency kOnSuccess = Dependency::OnSuccess;
constexpr Dependency kReloadPropagatedFrom = Dependency::ReloadPropagatedFrom;

UnitSpec plain(std::string name) {
  UnitSpec spec;
  spec.name = std::move(name);
  spec.default_dependencies = false;
  return spec;
}

UnitSpec with_defaults(std::string name) {
  UnitSpec spec;
  spec.name = std::move(name);
  return spec;
}

UnitSpec with_state(UnitSpec spec, LoadState state) {
  spec.load_state = state;
  return spec;
}

std::vector<std::string> names(const DependencyGraph& g, const std::string& unit, Dependency kind) {
  std::vector<std::string> out;
  for (UnitId id : g.unit(*g.find(unit))[kind]) out.push_back(g.name(id));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("graph: every configured edge has its reverse", "[graph]") {
  Result<DependencyGraph> g = DependencyGraph::build({plain("a.service")
                                                          .add(kRequires, {"b.service"})
                                                          .add(kRequisite, {"c.service"})
                                                          .add(kWants, {"d.service"})
                                                          .add(kBindsTo, {"e.service"})
                                                          .add(kPartOf, {"f.service"})
                                                          .add(kUpholds, {"g.service"})
                                                          .add(kConflicts, {"h.service"})
                                                          .add(kOnFailure, {"i.service"})
                                                          .add(kOnSuccess, {"j.service"})
                                                          .add(kBefore, {"k.service"})
                                                          .add(kReloadPropagatedFrom, {"l.service"})});
  REQUIRE(g.ok());
  using V = std::vector<std::string>;
  CHECK(names(*g, "b.service", Dependency::RequiredBy) == V{"a.service"});
  CHECK(names(*g, "c.service", Dependency::RequisiteOf) == V{"a.service"});
  CHECK(names(*g, "d.service", Dependency::WantedBy) == V{"a.service"});
  CHECK(names(*g, "e.service", Dependency::BoundBy) == V{"a.service"});
  CHECK(names(*g, "f.service", Dependency::ConsistsOf) == V{"a.service"});
  CHECK(names(*g, "g.service", Dependency::UpheldBy) == V{"a.service"});
  CHECK(names(*g, "h.service", Dependency::ConflictedBy) == V{"a.service"});
  CHECK(names(*g, "i.service", Dependency::OnFailureOf) == V{"a.service"});
  CHECK(names(*g, "j.service", Dependency::OnSuccessOf) == V{"a.service"});
  CHECK(names(*g, "k.service", Dependency::After) == V{"a.service"});
  CHECK(names(*g, "l.service", Dependency::PropagatesReloadTo) == V{"a.service"});
  // Units named but not given do not exist.
  CHECK(g->unit(*g->find("b.service")).load_state == LoadState::NotFound);
}

TEST_CASE("graph: default dependencies of services and targets", "[graph]") {
  Result<DependencyGraph> g = DependencyGraph::build(
      {with_defaults("web.service"), plain("early.service"), with_defaults("app.target").add(kWants, {"web.service"})});
  REQUIRE(g.ok());
  using V = std::vector<std::string>;
  // systemd.service(5), Default Dependencies.
  CHECK(names(*g, "web.service", Dependency::Requires) == V{"sysinit.target"});
  CHECK(names(*g, "web.service", Dependency::After) == V{"basic.target", "sysinit.target"});
  CHECK(names(*g, "web.service", Dependency::Conflicts) == V{"shutdown.target"});
  CHECK(names(*g, "web.service", Dependency::Before) == V{"app.target", "shutdown.target"});
  // DefaultDependencies=no: none of it.
  CHECK(names(*g, "early.service", Dependency::Requires).empty());
  CHECK(names(*g, "early.service", Dependency::After).empty());
  // systemd.target(5), Default Dependencies.
  CHECK(names(*g, "app.target", Dependency::After) == V{"web.service"});
  CHECK(names(*g, "app.target", Dependency::Conflicts) == V{"shutdown.target"});
  CHECK(names(*g, "app.target", Dependency::Before) == V{"shutdown.target"});
  // The well-known targets exist without a file (systemd.special(7)).
  for (const char* target : {"sysinit.target", "basic.target", "multi-user.target", "shutdown.target"}) {
    INFO(target);
    REQUIRE(g->find(target));
    CHECK(g->unit(*g->find(target)).loaded());
    CHECK(g->unit(*g->find(target)).kind == UnitKind::Target);
  }
  CHECK(names(*g, "multi-user.target", Dependency::Requires) == V{"basic.target"});
  CHECK(names(*g, "basic.target", Dependency::Requires) == V{"sysinit.target"});
  // shutdown.target has DefaultDependencies=no: it conflicts with nothing.
  CHECK(names(*g, "shutdown.target", Dependency::Conflicts).empty());
  CHECK(*g->find("default.target") == *g->find("multi-user.target"));
}

TEST_CASE("graph: a unit file for a well-known target replaces the built-in one", "[graph]") {
  Result<DependencyGraph> g = DependencyGraph::build({plain("multi-user.target"), plain("default.target")});
  REQUIRE(g.ok());
  CHECK(names(*g, "multi-user.target", Dependency::Requires).empty());
  CHECK(*g->find("default.target") != *g->find("multi-user.target"));
}

TEST_CASE("graph: a masked or missing unit has no dependencies", "[graph]") {
  Result<DependencyGraph> g =
      DependencyGraph::build({with_state(plain("m.service"), LoadState::Masked).add(kRequires, {"x.service"}),
                              with_state(plain("n.service"), LoadState::NotFound).add(kWants, {"y.service"})});
  REQUIRE(g.ok());
  CHECK(names(*g, "m.service", Dependency::Requires).empty());
  CHECK(names(*g, "n.service", Dependency::Wants).empty());
  CHECK_FALSE(g->find("x.service"));
}

TEST_CASE("graph: bad input is refused, self-dependencies dropped", "[graph]") {
  Result<DependencyGraph> twice = DependencyGraph::build({plain("a.service"), plain("a.service")});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().message() == "unit a.service is given twice");

  UnitSpec derived = plain("a.service");
  derived.dependencies[Dependency::RequiredBy] = {"b.service"};
  Result<DependencyGraph> bad = DependencyGraph::build({derived});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("RequiredBy= cannot be set") != std::string::npos);

  Result<DependencyGraph> self = DependencyGraph::build({plain("a.service").add(kRequires, {"a.service"})});
  REQUIRE(self.ok());
  CHECK(names(*self, "a.service", Dependency::Requires).empty());
  REQUIRE(self->warnings().size() == 1);
  CHECK(self->warnings()[0] == "a.service: Requires=a.service dropped: a unit cannot depend on itself");
}
