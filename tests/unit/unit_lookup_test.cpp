// The unit path, names and drop-ins (unit/unit_path.h, unit/unit_lookup.h):
// the rules of systemd.unit(5) ("UNIT FILE LOAD PATH", templates, aliases,
// masks, "drop-in" directories) on real directories, and a unit read with
// its drop-ins (unit/unit_loader.h).
#include "unit/unit_lookup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"
#include "unit/unit_loader.h"
#include "unit/unit_path.h"

using namespace unitrun;
using unitrun::test::TempDir;
using Words = std::vector<std::string>;

namespace {

constexpr const char* kService = "[Service]\nExecStart=/bin/true\n";

// A unit path of `n` fresh directories d0, d1, ... under one TempDir.
struct PathDirs {
  TempDir root;
  unit::UnitPath path;
  explicit PathDirs(int n) {
    for (int i = 0; i < n; ++i) {
      std::string d = root / ("d" + std::to_string(i));
      std::filesystem::create_directories(d);
      path.directories.push_back(d);
    }
  }
  std::string dir(int i) const { return path.directories[static_cast<size_t>(i)]; }
  // Writes d<i>/<relative>, making its directories.
  std::string write(int i, const std::string& relative, const std::string& text = kService) const {
    std::string p = dir(i) + "/" + relative;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    FILE* f = std::fopen(p.c_str(), "w");
    REQUIRE(f);
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return p;
  }
  void link(int i, const std::string& relative, const std::string& target) const {
    std::string p = dir(i) + "/" + relative;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    REQUIRE(::symlink(target.c_str(), p.c_str()) == 0);
  }
};

unit::UnitFile find(const std::string& spelling, const unit::UnitPath& path) {
  auto f = unit::find_unit(spelling, path);
  INFO(spelling << ": " << (f ? "" : f.error().message()));
  REQUIRE(f);
  return *f;
}

}  // namespace

TEST_CASE("unit path: UNITRUN_UNIT_PATH in SYSTEMD_UNIT_PATH's form", "[unit_path]") {
  unit::UnitPath defaults = unit::default_unit_path({true, "", ""});
  CHECK(defaults.directories == Words{"/etc/unitrun", "/run/unitrun/units", "/usr/local/lib/unitrun",
                                      "/usr/lib/unitrun", "/etc/systemd/system", "/run/systemd/system",
                                      "/usr/local/lib/systemd/system", "/lib/systemd/system",
                                      "/usr/lib/systemd/system"});
  CHECK(defaults.config_dir == "/etc/unitrun");
  CHECK(defaults.runtime_dir == "/run/unitrun/units");
  CHECK(unit::UnitPath::is_systemd_directory("/usr/lib/systemd/system"));
  CHECK_FALSE(unit::UnitPath::is_systemd_directory("/etc/unitrun"));

  // Instead of the defaults; a trailing ':' appends them.
  unit::UnitPath only = unit::unit_path_from("/a:/b/", defaults);
  CHECK(only.directories == Words{"/a", "/b"});
  CHECK(only.from_environment);
  CHECK(only.config_dir == "/a");  // enable would write to the first directory
  unit::UnitPath appended = unit::unit_path_from("/a:", defaults);
  REQUIRE(appended.directories.size() == 1 + defaults.directories.size());
  CHECK(appended.directories.front() == "/a");
  CHECK(appended.directories[1] == "/etc/unitrun");
  CHECK(appended.config_dir == "/etc/unitrun");
  // Relative, empty and repeated entries are dropped.
  CHECK(unit::unit_path_from("rel:/x::/x:/y", defaults).directories == Words{"/x", "/y"});
  CHECK(unit::unit_path_from("/etc/unitrun:", defaults).directories == defaults.directories);
  CHECK(only.to_string() == "/a:/b");

  // Another user: their own directories first, then the system's.
  unit::UnitPath user = unit::default_unit_path({false, "/home/u/.config", "/run/user/1000"});
  REQUIRE(user.directories.size() == defaults.directories.size() + 2);
  CHECK(user.directories[0] == "/home/u/.config/unitrun");
  CHECK(user.directories[1] == "/run/user/1000/unitrun/units");
  CHECK(user.directories[2] == "/etc/unitrun");
  CHECK(user.config_dir == "/home/u/.config/unitrun");
}

TEST_CASE("unit names: which file a name means", "[unit_path]") {
  CHECK(unit::candidate_file_names("nginx") == Words{"nginx.service", "nginx.ini"});
  CHECK(unit::candidate_file_names("nginx.service") == Words{"nginx.service"});
  CHECK(unit::candidate_file_names("app.ini") == Words{"app.ini"});
  CHECK(unit::candidate_file_names("web@1") == Words{"web@1.service", "web@1.ini"});
  CHECK(unit::is_path_spelling("./x.ini"));
  CHECK(unit::is_path_spelling("units/x.ini"));
  CHECK_FALSE(unit::is_path_spelling("x.ini"));
  CHECK(unit::is_glob("web@*"));
  CHECK(unit::is_glob("w?b"));
  CHECK(unit::is_glob("[ab]pp"));
  CHECK_FALSE(unit::is_glob("web@1"));
  CHECK_FALSE(unit::is_glob("dir/*.ini"));  // a path, never a glob
  PathDirs p(1);
  for (const char* bad : {"a b", "-x", "@x.service", "x$y"}) {
    INFO(bad);
    auto r = unit::find_unit(bad, p.path);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("invalid unit name"));
  }
}

TEST_CASE("unit path: the first directory with the name wins; the others are hidden", "[unit_path]") {
  PathDirs p(3);
  p.write(1, "web.service", "[Unit]\nDescription=second\n[Service]\nExecStart=/bin/true\n");
  p.write(2, "web.service");
  p.write(2, "app.service");
  p.write(0, "app.ini");
  unit::UnitFile web = find("web", p.path);
  CHECK(web.found);
  CHECK(web.by_name);
  CHECK(web.name == "web.service");
  CHECK(web.identity == "web.service");
  CHECK(web.fragment == p.dir(1) + "/web.service");
  CHECK(web.directory == p.dir(1));
  CHECK(web.shadowed == Words{p.dir(2) + "/web.service"});
  CHECK(find("web.service", p.path).fragment == web.fragment);
  // Per directory, NAME.service before NAME.ini; an earlier directory's
  // .ini before a later one's .service.
  unit::UnitFile app = find("app", p.path);
  CHECK(app.name == "app");
  CHECK(app.fragment == p.dir(0) + "/app.ini");
  CHECK(find("app.service", p.path).fragment == p.dir(2) + "/app.service");
  // Not found: still a name and an identity (a unit whose file was deleted
  // may run).
  unit::UnitFile none = find("none", p.path);
  CHECK_FALSE(none.found);
  CHECK(none.by_name);
  CHECK(none.name == "none.service");
  CHECK(none.identity == "none.service");
}

TEST_CASE("unit path: an instance is its own file, or else made from its template", "[unit_path]") {
  PathDirs p(2);
  p.write(0, "web@.service");
  p.write(1, "web@2.service");
  unit::UnitFile one = find("web@1", p.path);
  CHECK(one.found);
  CHECK(one.name == "web@1.service");
  CHECK(one.identity == "web@1.service");
  CHECK(one.fragment == p.dir(0) + "/web@.service");
  // systemd looks for the literal name in every directory before the
  // template: web@2.service of the later directory wins over web@.service.
  CHECK(find("web@2.service", p.path).fragment == p.dir(1) + "/web@2.service");
  unit::LoadResult r = unit::load(one, unit::ValidateMode::Start);
  INFO((r.diagnostics.empty() ? std::string() : r.diagnostics[0].message));
  REQUIRE(r.readable);
  CHECK(r.unit.name == "web@1.service");
  CHECK(r.unit.instance == "1");
  CHECK(r.unit.path == p.dir(0) + "/web@.service");
  CHECK(r.unit.identity == "web@1.service");
  // No template: not found.
  CHECK_FALSE(find("api@1", p.path).found);
}

TEST_CASE("unit path: masks and aliases", "[unit_path]") {
  PathDirs p(2);
  p.write(1, "quiet.service");
  p.link(0, "quiet.service", "/dev/null");
  p.write(0, "empty.service", "");
  p.write(1, "real.service");
  p.link(0, "alias.service", p.dir(1) + "/real.service");
  p.write(1, "tmpl@.service");
  p.link(0, "other@x.service", p.dir(1) + "/tmpl@.service");
  unit::UnitFile quiet = find("quiet", p.path);
  CHECK(quiet.found);
  CHECK(quiet.masked);
  CHECK(find("empty", p.path).masked);
  unit::LoadResult masked = unit::load(quiet, unit::ValidateMode::Start);
  CHECK(masked.masked);
  CHECK(has_errors(masked.diagnostics));
  // An alias is the unit it points to, known by both names.
  unit::UnitFile alias = find("alias", p.path);
  CHECK(alias.name == "real.service");
  CHECK(alias.identity == "real.service");
  CHECK(alias.aliases == Words{"alias.service"});
  CHECK(alias.fragment == p.dir(1) + "/real.service");
  // An instance linked to a template of another prefix is that template's
  // instance (systemd.unit(5), the special case of aliases).
  CHECK(find("other@x", p.path).name == "tmpl@x.service");

  std::vector<unit::UnitFileEntry> files = unit::list_unit_files(p.path);
  Words names;
  for (const auto& f : files) names.push_back(f.name);
  CHECK(names ==
        Words{"alias.service", "empty.service", "other@x.service", "quiet.service", "real.service", "tmpl@.service"});
  for (const auto& f : files) {
    INFO(f.name);
    CHECK(f.masked == (f.name == "quiet.service" || f.name == "empty.service"));
    CHECK(f.alias == (f.name == "alias.service" || f.name == "other@x.service"));
    CHECK(f.is_template == (f.name == "tmpl@.service"));
    CHECK(f.directory == (f.name == "real.service" || f.name == "tmpl@.service" ? p.dir(1) : p.dir(0)));
  }
}

TEST_CASE("unit path: a path is the same unit however it is spelled", "[unit_path][identity]") {
  PathDirs p(1);  // the unit path: d0
  TempDir elsewhere;
  std::filesystem::create_directories(elsewhere / "dir/sub");
  std::string real = elsewhere.write("dir/x.ini", kService);
  REQUIRE(::symlink("dir", (elsewhere / "lnk").c_str()) == 0);
  REQUIRE(::symlink("x.ini", (elsewhere / "dir/y.ini").c_str()) == 0);
  unit::UnitFile direct = find(real, p.path);
  CHECK(direct.found);
  CHECK_FALSE(direct.by_name);
  CHECK(direct.identity == real);  // no symlink on the way: the path itself, as before
  CHECK(direct.name == "x");
  for (const std::string& spelling :
       {elsewhere / "lnk/x.ini", elsewhere / "dir/./x.ini", elsewhere / "dir/sub/../x.ini", elsewhere / "lnk/y.ini"}) {
    INFO(spelling);
    unit::UnitFile f = find(spelling, p.path);
    CHECK(f.identity == real);
    CHECK(f.name == "x");  // a link of another name is an alias of x
    CHECK(f.fragment == real);
  }
  // Relative to the working directory.
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof cwd));
  REQUIRE(::chdir((elsewhere / "lnk").c_str()) == 0);
  unit::UnitFile relative = find("./x.ini", p.path);
  REQUIRE(::chdir(cwd) == 0);
  CHECK(relative.identity == real);

  // A path to the file the unit path gives its name is that named unit.
  std::string in_path = p.write(0, "svc.service");
  REQUIRE(::symlink(p.dir(0).c_str(), (elsewhere / "units").c_str()) == 0);
  unit::UnitFile named = find(elsewhere / "units/svc.service", p.path);
  CHECK(named.by_name);
  CHECK(named.identity == "svc.service");
  CHECK(named.directory == p.dir(0));
  // A file of that name elsewhere is another unit, known by its path.
  std::string other = elsewhere.write("svc.service", kService);
  unit::UnitFile other_file = find(other, p.path);
  CHECK_FALSE(other_file.by_name);
  CHECK(other_file.identity == other);
  CHECK(other_file.name == "svc.service");

  // A missing file keeps its spelling (reading it says why), and its
  // identity is where it would be.
  unit::UnitFile missing = find(elsewhere / "lnk/gone.ini", p.path);
  CHECK_FALSE(missing.found);
  CHECK(missing.identity == elsewhere / "dir/gone.ini");
  // An instance beside its template, by path.
  elsewhere.write("dir/job@.service", kService);
  unit::UnitFile inst = find(elsewhere / "lnk/job@7.service", p.path);
  CHECK(inst.found);
  CHECK(inst.name == "job@7.service");
  CHECK(inst.fragment == elsewhere / "dir/job@.service");
  CHECK(inst.identity == elsewhere / "dir/job@7.service");
}

TEST_CASE("drop-ins: the directories in systemd's order", "[unit_path][dropins]") {
  CHECK(unit::dropin_directory_names("web.service") == Words{"web.service.d", "service.d"});
  CHECK(unit::dropin_directory_names("foo-bar-baz.service") ==
        Words{"foo-bar-baz.service.d", "foo-bar-.service.d", "foo-.service.d", "service.d"});
  CHECK(unit::dropin_directory_names("foo-bar@inst.service") == Words{"foo-bar@inst.service.d", "foo-bar@.service.d",
                                                                      "foo-.service.d", "foo-@inst.service.d",
                                                                      "foo-@.service.d", "service.d"});
  CHECK(unit::dropin_directory_names("a.service", {"b.service"}) == Words{"a.service.d", "b.service.d", "service.d"});
  // unitrun's own .ini units: NAME.ini.d, and no top-level directory.
  CHECK(unit::dropin_directory_names("app.ini") == Words{"app.ini.d"});
  CHECK(unit::dropin_directory_names("-x.service") == Words{"-x.service.d", "service.d"});
}

TEST_CASE("drop-ins: sorted by file name, the first directory's file of a name wins, a mask applies nothing",
          "[unit_path][dropins]") {
  std::vector<unit::DropinDirectory> dirs = {
      {"/etc/u/web.service.d", {"20-b.conf", "10-a.conf", "50-masked.conf"}, {"50-masked.conf"}},
      {"/usr/u/web.service.d", {"10-a.conf", "30-c.conf", "50-masked.conf"}, {}},
      {"/etc/u/service.d", {"05-all.conf", "30-c.conf"}, {}},
  };
  CHECK(unit::order_dropins(dirs) == Words{"/etc/u/service.d/05-all.conf", "/etc/u/web.service.d/10-a.conf",
                                           "/etc/u/web.service.d/20-b.conf", "/usr/u/web.service.d/30-c.conf"});
}

TEST_CASE("drop-ins: found across the path and applied in order, an empty assignment resetting a list",
          "[unit_path][dropins]") {
  PathDirs p(2);
  p.write(1, "web-api@.service",
          "[Unit]\nDescription=web %i\n[Service]\nExecStart=/bin/sleep 1\nEnvironment=A=1 B=1\nUser=root\n");
  p.write(1, "web-api@.service.d/10-env.conf", "[Service]\nEnvironment=C=1\n");
  p.write(0, "web-api@.service.d/10-env.conf", "[Service]\nEnvironment=\nEnvironment=D=1\n");  // hides d1's
  p.write(1, "web-api@2.service.d/20-user.conf", "[Service]\nUser=nobody\n");
  p.write(0, "web-.service.d/15-prefix.conf", "[Service]\nEnvironment=E=%i\n");
  p.write(1, "service.d/05-all.conf", "[Service]\nNice=5\n");
  p.write(0, "service.d/20-user.conf", "[Service]\nUser=daemon\n");  // hidden by web-api@2.service.d's
  p.link(0, "web-api@.service.d/30-off.conf", "/dev/null");
  p.write(1, "web-api@.service.d/30-off.conf", "[Service]\nNice=19\n");  // masked by d0's /dev/null
  unit::UnitFile f = find("web-api@2", p.path);
  CHECK(f.dropins == Words{p.dir(1) + "/service.d/05-all.conf", p.dir(0) + "/web-api@.service.d/10-env.conf",
                           p.dir(0) + "/web-.service.d/15-prefix.conf",
                           p.dir(1) + "/web-api@2.service.d/20-user.conf"});
  unit::LoadResult r = unit::load(f, unit::ValidateMode::Start);
  for (const Diagnostic& d : r.diagnostics) INFO(d.format(r.display_path));
  REQUIRE(r.readable);
  REQUIRE_FALSE(has_errors(r.diagnostics));
  CHECK(r.unit.nice == 5);
  CHECK(r.unit.user == "nobody");
  // Environment= of the unit file reset by the first drop-in, then D and E.
  CHECK(r.unit.environment == std::vector<std::pair<std::string, std::string>>{{"D", "1"}, {"E", "2"}});
  REQUIRE(r.unit.sources.size() == 5);
  CHECK(r.unit.sources[0].path == p.dir(1) + "/web-api@.service");
  CHECK(r.unit.sources[1].path == f.dropins[0]);
  CHECK(r.unit.sources[1].first_line == 8);  // the unit file's 6 lines and the empty 7th after the last '\n'
  // A drop-in overriding User= is what drop-ins are for: no warning.
  CHECK(r.diagnostics.empty());
}

TEST_CASE("drop-ins: a problem in a drop-in names the drop-in and its own line", "[unit_path][dropins]") {
  PathDirs p(1);
  p.write(0, "d.service", "[Service]\nExecStart=/bin/true\n");
  std::string conf =
      p.write(0, "d.service.d/override.conf", "[Service]\n\nUsre=nobody\nType=notify\nNotifyAccess=none\n");
  unit::LoadResult r = unit::load(find("d", p.path), unit::ValidateMode::Start);
  REQUIRE(r.diagnostics.size() == 2);
  // The parser's error and validation's warning alike.
  CHECK(r.diagnostics[0].format(r.display_path) == conf + ":3: unknown key 'Usre' in [Service]; did you mean 'User='?");
  CHECK(r.diagnostics[1].format(r.display_path) ==
        conf + ":5: warning: Type=notify with NotifyAccess=none: main is used instead, as systemd does");
  // The unit file's own problems keep its name.
  p.write(0, "e.service", "[Service]\nExecStart=/bin/true\nBogus=1\n");
  p.write(0, "e.service.d/x.conf", "[Service]\nNice=1\n");
  unit::LoadResult e = unit::load(find("e", p.path), unit::ValidateMode::Start);
  REQUIRE(e.diagnostics.size() == 1);
  CHECK(e.diagnostics[0].format(e.display_path) == p.dir(0) + "/e.service:3: unknown key 'Bogus' in [Service]");
}

TEST_CASE("drop-ins: a unit named by a path outside the unit path takes those beside its file",
          "[unit_path][dropins]") {
  PathDirs p(1);
  TempDir dir;
  std::string unit = dir.write("x.ini", "[Service]\nExecStart=/bin/true\nNice=1\n");
  std::filesystem::create_directories(dir / "x.ini.d");
  std::string conf = dir.write("x.ini.d/nice.conf", "[Service]\nNice=7\n");
  unit::UnitFile f = find(unit, p.path);
  CHECK(f.dropins == Words{conf});
  unit::LoadResult r = unit::load(f, unit::ValidateMode::Start);
  CHECK(r.unit.nice == 7);
}
