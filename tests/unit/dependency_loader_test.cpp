// The manager's graph read from a real unit path (cli/dependency_loader.h):
// dependency names followed lazily from the requested units, the .wants/,
// .requires/ and .upholds/ symlinks as Wants=, Requires= and Upholds=,
// not-found and masked units, and the cheap test of whether a request
// needs the manager at all.
#include "cli/dependency_loader.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "test_support.h"

using namespace unitrun;
using Dep = manager::Dependency;
using unitrun::test::TempDir;

namespace {

struct Path {
  TempDir dir;
  unit::UnitPath path;
  Path() { path.directories = {dir.path()}; }
  void unit(const std::string& name, const std::string& unit_section = "") const {
    dir.write(name, "[Unit]\n" + unit_section + "[Service]\nExecStart=/bin/true\n");
  }
  void link(const std::string& directory, const std::string& name) const {
    std::filesystem::create_directories(dir / directory);
    std::filesystem::create_symlink("../" + name, dir / (directory + "/" + name));
  }
  unit::UnitFile file(const std::string& name) const { return *unit::find_unit(name, path); }
};

bool has(const cli::LoadedGraph& g, const std::string& from, Dep kind, const std::string& to) {
  auto a = g.graph.find(from), b = g.graph.find(to);
  return a && b && g.graph.has(*a, kind, *b);
}

}  // namespace

TEST_CASE("loader: dependency names are followed from the requested units only", "[dependency_loader]") {
  Path p;
  p.unit("web.service", "Requires=db.service\nAfter=db.service\nWants=cache.service\n");
  p.unit("db.service", "Requires=disk.service\n");
  p.unit("disk.service");
  p.unit("cache.service");
  p.unit("unrelated.service", "Requires=web.service\n");
  auto loaded = cli::load_graph({p.file("web")}, {}, p.path);
  REQUIRE(loaded);
  CHECK(has(*loaded, "web.service", Dep::Requires, "db.service"));
  CHECK(has(*loaded, "db.service", Dep::RequiredBy, "web.service"));
  CHECK(has(*loaded, "db.service", Dep::Requires, "disk.service"));
  CHECK(has(*loaded, "web.service", Dep::Wants, "cache.service"));
  CHECK(loaded->graph.unit(*loaded->graph.find("disk.service")).loaded());
  // Nothing reached it: never read.
  CHECK(!loaded->graph.find("unrelated.service"));
  // Asked for (a running unit a stop must know): read, with its edges.
  auto with = cli::load_graph({p.file("web")}, {"unrelated.service"}, p.path);
  REQUIRE(with);
  CHECK(has(*with, "web.service", Dep::RequiredBy, "unrelated.service"));
}

TEST_CASE("loader: .wants/, .requires/ and .upholds/ symlinks are dependencies", "[dependency_loader]") {
  Path p;
  p.unit("a.service");
  p.unit("b.service");
  p.unit("c.service");
  p.dir.write("group.target", "[Unit]\nDescription=group\n");
  p.link("group.target.wants", "a.service");
  p.link("group.target.requires", "b.service");
  p.link("group.target.upholds", "c.service");
  p.link("multi-user.target.wants", "a.service");
  auto loaded = cli::load_graph({p.file("group.target")}, {}, p.path);
  REQUIRE(loaded);
  CHECK(has(*loaded, "group.target", Dep::Wants, "a.service"));
  CHECK(has(*loaded, "group.target", Dep::Requires, "b.service"));
  CHECK(has(*loaded, "group.target", Dep::Upholds, "c.service"));
  // A target is ordered after what it pulls in (default dependencies).
  CHECK(has(*loaded, "group.target", Dep::After, "a.service"));
  // The built-in multi-user.target plus its .wants/ directory; default.target is it.
  CHECK(has(*loaded, "multi-user.target", Dep::Wants, "a.service"));
  CHECK(loaded->graph.find("default.target") == loaded->graph.find("multi-user.target"));
}

TEST_CASE("loader: a missing unit is not-found, one linked to /dev/null masked", "[dependency_loader]") {
  Path p;
  p.unit("web.service", "Requires=gone.service\nWants=hidden.service\n");
  std::filesystem::create_symlink("/dev/null", p.dir / "hidden.service");
  auto loaded = cli::load_graph({p.file("web")}, {}, p.path);
  REQUIRE(loaded);
  CHECK(loaded->graph.unit(*loaded->graph.find("gone.service")).load_state == manager::LoadState::NotFound);
  CHECK(loaded->graph.unit(*loaded->graph.find("hidden.service")).load_state == manager::LoadState::Masked);
  CHECK(loaded->states.of("web.service") == manager::ActiveState::Inactive);
}

TEST_CASE("loader: whether a request needs the manager", "[dependency_loader]") {
  CHECK(cli::sets_dependency_keys("[Unit]\n  After = db.service\n"));
  CHECK(cli::sets_dependency_keys("[Unit]\nRequires=db.service"));
  CHECK(!cli::sets_dependency_keys("[Unit]\nDescription=Requires=nothing\n[Service]\nExecStart=/bin/true\n"));
  CHECK(!cli::sets_dependency_keys("[Unit]\n# Requires=db.service\n"));
  CHECK(!cli::sets_dependency_keys("[Unit]\nAfter=x.service\n", true));
  CHECK(cli::sets_dependency_keys("[Unit]\nPropagatesReloadTo=x.service\n", true));
  Path p;
  p.unit("plain.service");
  p.unit("ordered.service", "After=plain.service\n");
  p.unit("linked.service");
  p.link("linked.service.wants", "plain.service");
  CHECK(!cli::needs_manager({p.file("plain")}, p.path, false));
  CHECK(cli::needs_manager({p.file("ordered")}, p.path, false));
  CHECK(cli::needs_manager({p.file("linked")}, p.path, false));
  CHECK(cli::needs_manager({p.file("multi-user.target")}, p.path, false));
}
