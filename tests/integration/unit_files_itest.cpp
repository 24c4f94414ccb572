// enable, disable, reenable, mask and unmask (systemctl's unit file verbs):
// the links they make in the config directory, what is-enabled and
// list-unit-files then say, the links they refuse to replace or follow,
// and --now. Each test has a unit path of its own: UNITRUN_UNIT_PATH=
// ETC:LIB, whose first directory, ETC, is where enable writes (unit_path.h);
// the --runtime test puts the machine's runtime directory between them
// (its links go there, named after the test's prefix, removed at the end).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "support.h"

using namespace itest;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// "Created symlink A → B." in UTF-8 or ASCII, as the locale says.
bool created(const std::string& err, const std::string& link, const std::string& target) {
  return contains(err, "Created symlink " + link + " → " + target + ".\n") ||
         contains(err, "Created symlink " + link + " -> " + target + ".\n");
}

std::string link_of(const std::string& path) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::read_symlink(path, ec);
  return ec ? "" : target.string();
}

// The runtime directory of root's default unit path (unit_path.h), where
// --runtime links go.
const std::string kRuntimeUnits = "/run/unitrun/units";

class ConfigUnits {
 public:
  enum class Path { ConfigAndLib, WithRuntimeDirectory };
  explicit ConfigUnits(Path path = Path::ConfigAndLib) : prefix_(unique_name("en")), marker_(prefix_ + "-marker") {
    std::filesystem::create_directories(etc());
    std::filesystem::create_directories(lib());
    unit_path_ = path == Path::WithRuntimeDirectory ? etc() + ":" + kRuntimeUnits + ":" + lib() : etc() + ":" + lib();
  }
  ~ConfigUnits() {
    end_units(started_, options(), marker_, prefix_);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(kRuntimeUnits, ec)) {
      std::string n = e.path().filename();
      if (n.rfind(prefix_, 0) == 0) std::filesystem::remove_all(e.path(), ec);
    }
  }
  std::string etc() const { return dir_ / "etc"; }
  std::string lib() const { return dir_ / "lib"; }
  std::string name(const std::string& short_name) const { return prefix_ + "-" + short_name; }
  // Writes DIR/FILE_NAME: a service that sleeps, with `install` as its
  // [Install] section's lines (none: no section).
  std::string write(const std::string& dir, const std::string& file_name, const std::string& install = "") {
    std::string text = "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=UNITRUN_TEST_MARKER=" + marker_ + "\n";
    if (!install.empty()) text += "[Install]\n" + install;
    write_file(dir + "/" + file_name, text);
    return dir + "/" + file_name;
  }
  void started(const std::string& n) { started_.push_back(n); }
  RunOptions options() const {
    RunOptions o;
    o.set_env = {"UNITRUN_UNIT_PATH=" + unit_path_, "UNITRUN_TEST_MARKER=" + marker_, "LC_ALL=C"};
    return o;
  }
  RunResult unitrun(const std::vector<std::string>& args) const { return run_unitrun(args, options()); }
  std::string is_enabled(const std::string& unit) const { return unitrun({"is-enabled", unit}).out; }
  // The state list-unit-files gives the file.
  std::string listed(const std::string& file_name) const {
    RunResult r = unitrun({"list-unit-files", "--json", file_name});
    for (const auto& row : nlohmann::json::parse(r.out))
      if (row.at("unit_file") == file_name) return row.at("state");
    return "";
  }

 private:
  TempDir dir_;
  std::string prefix_, marker_, unit_path_;
  std::vector<std::string> started_;
};

}  // namespace

TEST_CASE("enable: WantedBy= and RequiredBy= links, idempotent, undone by disable, reenable", "[unit_files]") {
  ConfigUnits u;
  std::string x = u.name("x") + ".service";
  std::string file = u.write(u.lib(), x, "WantedBy=multi-user.target\nRequiredBy=app.target\n");
  std::string wants = u.etc() + "/multi-user.target.wants/" + x, required = u.etc() + "/app.target.requires/" + x;
  CHECK(u.is_enabled(x) == "disabled\n");

  RunResult enable = u.unitrun({"enable", x});
  INFO(enable.describe());
  CHECK(enable.exit_code == 0);
  CHECK(created(enable.err, wants, file));
  CHECK(created(enable.err, required, file));
  CHECK(link_of(wants) == file);
  CHECK(link_of(required) == file);
  CHECK(u.is_enabled(x) == "enabled\n");
  CHECK(u.unitrun({"is-enabled", x}).exit_code == 0);
  CHECK(u.listed(x) == "enabled");

  // Again: nothing to do, nothing said.
  RunResult again = u.unitrun({"enable", x});
  CHECK(again.exit_code == 0);
  CHECK(again.err.empty());

  RunResult reenable = u.unitrun({"reenable", x});
  INFO(reenable.describe());
  CHECK(reenable.exit_code == 0);
  CHECK(contains(reenable.err, "Removed \"" + wants + "\".\n"));
  CHECK(created(reenable.err, wants, file));
  CHECK(link_of(wants) == file);

  RunResult disable = u.unitrun({"disable", x});
  INFO(disable.describe());
  CHECK(disable.exit_code == 0);
  CHECK(contains(disable.err, "Removed \"" + wants + "\".\n"));
  CHECK(contains(disable.err, "Removed \"" + required + "\".\n"));
  CHECK_FALSE(exists(wants));
  CHECK_FALSE(exists(u.etc() + "/multi-user.target.wants"));  // emptied, so removed
  CHECK(exists(file));
  CHECK(u.is_enabled(x) == "disabled\n");
  CHECK(u.unitrun({"is-enabled", x}).exit_code == 1);
  CHECK(u.listed(x) == "disabled");
  CHECK(u.unitrun({"disable", x}).err.empty());  // idempotent too

  // A unit whose file is in the config directory itself is linked the
  // same way, and disable leaves its file alone (even a symlink to it).
  std::string y = u.name("y") + ".service";
  TempDir opt_dir;  // outside the unit path: etc's y.service is a link to the file of the same name there
  std::string opt = u.write(opt_dir.path(), y, "WantedBy=multi-user.target\n");
  REQUIRE(::symlink(opt.c_str(), (u.etc() + "/" + y).c_str()) == 0);
  std::string own = u.write(u.etc(), u.name("z") + ".service", "WantedBy=multi-user.target\n");
  RunResult both = u.unitrun({"enable", y, u.name("z")});
  INFO(both.describe());
  CHECK(both.exit_code == 0);
  CHECK(link_of(u.etc() + "/multi-user.target.wants/" + u.name("z") + ".service") == own);
  CHECK(u.unitrun({"disable", y, u.name("z")}).exit_code == 0);
  CHECK(link_of(u.etc() + "/" + y) == opt);
  CHECK(exists(own));
  CHECK_FALSE(exists(u.etc() + "/multi-user.target.wants"));
}

TEST_CASE("enable: Alias= and Also=, and disable removes what they made", "[unit_files]") {
  ConfigUnits u;
  std::string a = u.name("a") + ".service", alias = u.name("alias") + ".service", h = u.name("h") + ".service";
  std::string file_a = u.write(u.lib(), a, "Alias=" + alias + "\nAlso=" + h + "\n");
  std::string file_h = u.write(u.lib(), h, "WantedBy=multi-user.target\n");
  RunResult enable = u.unitrun({"enable", a});
  INFO(enable.describe());
  CHECK(enable.exit_code == 0);
  CHECK(created(enable.err, u.etc() + "/" + alias, file_a));
  CHECK(created(enable.err, u.etc() + "/multi-user.target.wants/" + h, file_h));
  CHECK(u.is_enabled(a) == "enabled\n");
  CHECK(u.is_enabled(h) == "enabled\n");
  CHECK(u.listed(a) == "enabled");
  CHECK(u.listed(alias) == "alias");

  RunResult disable = u.unitrun({"disable", a});
  INFO(disable.describe());
  CHECK(disable.exit_code == 0);
  CHECK(contains(disable.err, "Removed \"" + u.etc() + "/" + alias + "\".\n"));
  CHECK(contains(disable.err, "Removed \"" + u.etc() + "/multi-user.target.wants/" + h + "\".\n"));
  CHECK(u.is_enabled(a) == "disabled\n");
  CHECK(u.is_enabled(h) == "disabled\n");
}

TEST_CASE("enable: a template's DefaultInstance=, an instance named, and disable of each", "[unit_files]") {
  ConfigUnits u;
  std::string t = u.name("t") + "@.service", one = u.name("t") + "@one.service", two = u.name("t") + "@two.service";
  std::string file = u.write(u.lib(), t, "WantedBy=multi-user.target\nDefaultInstance=one\n");
  std::string wants = u.etc() + "/multi-user.target.wants/";
  RunResult enable = u.unitrun({"enable", t});
  INFO(enable.describe());
  CHECK(enable.exit_code == 0);
  CHECK(created(enable.err, wants + one, file));
  CHECK(u.unitrun({"enable", two}).exit_code == 0);
  CHECK(link_of(wants + two) == file);
  CHECK(u.is_enabled(t) == "enabled\n");
  CHECK(u.is_enabled(two) == "enabled\n");

  // An instance: only its own link.
  CHECK(u.unitrun({"disable", two}).exit_code == 0);
  CHECK_FALSE(exists(wants + two));
  CHECK(link_of(wants + one) == file);
  // The template: every instance's.
  CHECK(u.unitrun({"enable", two}).exit_code == 0);
  RunResult disable = u.unitrun({"disable", t});
  CHECK(disable.exit_code == 0);
  CHECK_FALSE(exists(wants + one));
  CHECK_FALSE(exists(wants + two));
  CHECK(u.is_enabled(t) == "disabled\n");
}

TEST_CASE("enable: no [Install] section, a unit not found, a path outside the unit path", "[unit_files]") {
  ConfigUnits u;
  std::string s = u.name("s") + ".service";
  u.write(u.lib(), s);
  RunResult hint = u.unitrun({"enable", s});
  INFO(hint.describe());
  CHECK(hint.exit_code == 0);  // as systemctl: nothing to do is no failure
  CHECK(contains(hint.err, "The unit files have no installation config (WantedBy=, RequiredBy=, Also=,"));
  CHECK(contains(hint.err, "static"));
  CHECK(std::filesystem::is_empty(u.etc()));
  CHECK(u.is_enabled(s) == "static\n");

  RunResult missing = u.unitrun({"enable", u.name("nosuch")});
  CHECK(missing.exit_code == 5);
  CHECK(contains(missing.err, "Failed to enable unit: unit '" + u.name("nosuch") + "' not found in the unit path (" +
                                  u.etc() + ":" + u.lib() + ")"));
  CHECK(u.unitrun({"disable", u.name("nosuch")}).exit_code == 5);

  TempDir elsewhere;
  std::string outside = u.write(elsewhere.path(), u.name("o") + ".service", "WantedBy=multi-user.target\n");
  RunResult path = u.unitrun({"enable", outside});
  CHECK(path.exit_code == 1);
  CHECK(contains(path.err, "is not in the unit path"));
}

TEST_CASE("enable: never replaces a symlink to another file, never follows a symlinked .wants directory",
          "[unit_files][security]") {
  ConfigUnits u;
  std::string x = u.name("x") + ".service";
  std::string file = u.write(u.lib(), x, "WantedBy=multi-user.target\n");
  std::filesystem::create_directories(u.etc() + "/multi-user.target.wants");
  std::string wants = u.etc() + "/multi-user.target.wants/" + x;
  REQUIRE(::symlink("/opt/other.service", wants.c_str()) == 0);
  RunResult foreign = u.unitrun({"enable", x});
  INFO(foreign.describe());
  CHECK(foreign.exit_code == 1);
  CHECK(contains(foreign.err,
                 "Failed to enable unit: File " + wants + " already exists and is a symlink to /opt/other.service.\n"));
  CHECK(link_of(wants) == "/opt/other.service");
  // A file that is no symlink: the same refusal, and disable leaves it.
  std::filesystem::remove(wants);
  write_file(wants, "not a link\n");
  CHECK(u.unitrun({"enable", x}).err == "Failed to enable unit: File " + wants + " already exists.\n");
  CHECK(u.unitrun({"disable", x}).exit_code == 0);
  CHECK(read_file(wants) == "not a link\n");

  // A .wants directory that is a symlink (to where root must not write):
  // neither enable nor disable goes through it.
  std::string y = u.name("y") + ".service";
  u.write(u.lib(), y, "WantedBy=evil.target\n");
  TempDir victim;
  REQUIRE(::symlink(victim.path().c_str(), (u.etc() + "/evil.target.wants").c_str()) == 0);
  RunResult follow = u.unitrun({"enable", y});
  INFO(follow.describe());
  CHECK(follow.exit_code == 1);
  CHECK(contains(follow.err, "Failed to enable unit: " + u.etc() + "/evil.target.wants is a symlink; refusing"));
  CHECK(std::filesystem::is_empty(victim.path()));
  REQUIRE(::symlink(file.c_str(), (victim / y).c_str()) == 0);
  CHECK(u.unitrun({"disable", y}).exit_code == 0);
  CHECK(link_of(victim / y) == file);
}

TEST_CASE("mask: a masked unit refuses to start, unmask undoes it, a unit file of the config directory cannot be",
          "[unit_files]") {
  ConfigUnits u;
  std::string x = u.name("x") + ".service";
  u.write(u.lib(), x, "WantedBy=multi-user.target\n");
  RunResult mask = u.unitrun({"mask", x});
  INFO(mask.describe());
  CHECK(mask.exit_code == 0);
  CHECK(created(mask.err, u.etc() + "/" + x, "/dev/null"));
  CHECK(link_of(u.etc() + "/" + x) == "/dev/null");
  CHECK(u.is_enabled(x) == "masked\n");
  CHECK(u.unitrun({"is-enabled", x}).exit_code == 1);
  CHECK(u.listed(x) == "masked");
  CHECK(u.unitrun({"mask", x}).exit_code == 0);  // idempotent

  u.started(x);
  RunResult start = u.unitrun({"start", x});
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "unitrun: Unit " + x + " is masked.\n"));
  RunResult enable = u.unitrun({"enable", x});
  CHECK(enable.exit_code == 1);
  CHECK(contains(enable.err, "Failed to enable unit: Unit file " + x + " is masked."));

  RunResult unmask = u.unitrun({"unmask", x});
  INFO(unmask.describe());
  CHECK(unmask.exit_code == 0);
  CHECK(contains(unmask.err, "Removed \"" + u.etc() + "/" + x + "\".\n"));
  CHECK_FALSE(exists(u.etc() + "/" + x));
  CHECK(u.is_enabled(x) == "disabled\n");
  CHECK(u.unitrun({"unmask", x}).exit_code == 0);

  // A name not installed yet can be masked.
  std::string later = u.name("later") + ".service";
  CHECK(u.unitrun({"mask", later}).exit_code == 0);
  CHECK(link_of(u.etc() + "/" + later) == "/dev/null");

  // The unit's own file in the config directory: refused, left as it is;
  // unmask does not remove it either.
  std::string own = u.write(u.etc(), u.name("own") + ".service");
  RunResult refused = u.unitrun({"mask", u.name("own")});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "Failed to mask unit: File " + own + " already exists.\n");
  CHECK(u.unitrun({"unmask", u.name("own")}).exit_code == 0);
  CHECK(exists(own));
}

TEST_CASE("enable --now starts, disable --now and mask --now stop", "[unit_files]") {
  ConfigUnits u;
  std::string x = u.name("x") + ".service";
  u.write(u.lib(), x, "WantedBy=multi-user.target\n");
  u.started(x);
  RunResult enable = u.unitrun({"enable", "--now", x});
  INFO(enable.describe());
  CHECK(enable.exit_code == 0);
  CHECK(u.unitrun({"is-active", x}).out == "active\n");
  CHECK(u.is_enabled(x) == "enabled\n");
  RunResult disable = u.unitrun({"disable", "--now", x});
  INFO(disable.describe());
  CHECK(disable.exit_code == 0);
  CHECK(u.unitrun({"is-active", x}).out == "inactive\n");
  CHECK(u.is_enabled(x) == "disabled\n");

  CHECK(u.unitrun({"start", x}).exit_code == 0);
  RunResult mask = u.unitrun({"mask", "--now", x});
  INFO(mask.describe());
  CHECK(mask.exit_code == 0);
  CHECK(u.unitrun({"is-active", x}).out == "inactive\n");
  CHECK(u.unitrun({"unmask", x}).exit_code == 0);
}

TEST_CASE("enable, disable, mask and unmask --runtime: links in the runtime directory, apart from the config's",
          "[unit_files]") {
  ConfigUnits u(ConfigUnits::Path::WithRuntimeDirectory);
  std::string x = u.name("x") + ".service", target = u.name("app") + ".target";
  std::string file = u.write(u.lib(), x, "WantedBy=" + target + "\n");
  std::string wants = kRuntimeUnits + "/" + target + ".wants/" + x;

  RunResult enable = u.unitrun({"enable", "--runtime", x});
  INFO(enable.describe());
  CHECK(enable.exit_code == 0);
  CHECK(created(enable.err, wants, file));
  CHECK(link_of(wants) == file);
  CHECK_FALSE(exists(u.etc() + "/" + target + ".wants"));
  CHECK(u.is_enabled(x) == "enabled-runtime\n");
  CHECK(u.unitrun({"is-enabled", x}).exit_code == 0);
  CHECK(u.listed(x) == "enabled-runtime");

  // A persistent disable has nothing of it to remove (systemctl 252: one
  // directory per call); --runtime removes the runtime links.
  RunResult persistent = u.unitrun({"disable", x});
  CHECK(persistent.exit_code == 0);
  CHECK(persistent.err.empty());
  CHECK(link_of(wants) == file);
  RunResult disable = u.unitrun({"disable", "--runtime", x});
  INFO(disable.describe());
  CHECK(disable.exit_code == 0);
  CHECK(contains(disable.err, "Removed \"" + wants + "\".\n"));
  CHECK_FALSE(exists(kRuntimeUnits + "/" + target + ".wants"));
  CHECK(u.is_enabled(x) == "disabled\n");

  RunResult mask = u.unitrun({"mask", "--runtime", x});
  INFO(mask.describe());
  CHECK(mask.exit_code == 0);
  CHECK(link_of(kRuntimeUnits + "/" + x) == "/dev/null");
  CHECK(u.is_enabled(x) == "masked-runtime\n");
  u.started(x);
  RunResult start = u.unitrun({"start", x});
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "Unit " + x + " is masked."));
  CHECK(u.unitrun({"unmask", x}).exit_code == 0);  // the config directory has no mask of it
  CHECK(link_of(kRuntimeUnits + "/" + x) == "/dev/null");
  RunResult unmask = u.unitrun({"unmask", "--runtime", x});
  INFO(unmask.describe());
  CHECK(unmask.exit_code == 0);
  CHECK_FALSE(exists(kRuntimeUnits + "/" + x));
  CHECK(u.is_enabled(x) == "disabled\n");
}
