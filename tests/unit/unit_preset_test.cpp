// systemctl preset (unit/unit_preset.h): the preset files' order and rules,
// and deb-systemd-helper's command line through the systemctl front end.
#include "unit/unit_preset.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "cli/systemctl_front.h"
#include "test_support.h"

using namespace unitrun;
using unitrun::test::TempDir;

TEST_CASE("preset: the first matching line decides, enable when none matches", "[preset]") {
  std::vector<unit::PresetFile> files = {
      {"50-site.preset", "# comment\n; comment\nenable nginx.service\ndisable *.service\n"},
      {"90-default.preset", "disable redis*.service\nignore foo.service\n"},
  };
  CHECK(unit::preset_for("nginx.service", files) == unit::Preset::Enable);
  CHECK(unit::preset_for("redis-server.service", files) == unit::Preset::Disable);  // 50-site first
  CHECK(unit::preset_for("web.target", files) == unit::Preset::Enable);             // no line matches
  CHECK(unit::preset_for("foo.service", {{"x.preset", "ignore foo.service\nenable *\n"}}) == unit::Preset::Ignore);
  CHECK(unit::preset_for("nginx.service", {}) == unit::Preset::Enable);
  // An instance list after the glob: the glob is the first word.
  CHECK(unit::preset_for("getty@.service", {{"x.preset", "disable getty@.service tty1 tty2\n"}}) ==
        unit::Preset::Disable);
}

TEST_CASE("preset: files in name order, a name in an earlier directory hides a later one", "[preset]") {
  TempDir root;
  std::string etc = root / "etc", lib = root / "lib";
  std::filesystem::create_directories(etc);
  std::filesystem::create_directories(lib);
  std::ofstream(lib + "/90-default.preset") << "disable *\n";
  std::ofstream(lib + "/10-pkg.preset") << "disable nginx.service\n";
  std::ofstream(etc + "/10-pkg.preset") << "enable nginx.service\n";  // hides lib's 10-pkg.preset
  std::ofstream(etc + "/notes.txt") << "enable *\n";                  // not a .preset file
  auto files = unit::preset_files({etc, lib});
  REQUIRE(files.size() == 2);
  CHECK(files[0].name == "10-pkg.preset");
  CHECK(files[1].name == "90-default.preset");
  CHECK(unit::preset_for("nginx.service", files) == unit::Preset::Enable);
  CHECK(unit::preset_for("redis.service", files) == unit::Preset::Disable);
  CHECK(unit::preset_files({root / "missing"}).empty());
}

TEST_CASE("systemctl front: deb-systemd-helper's preset command line", "[systemctl][preset]") {
  // init-system-helpers 1.65, on a package's first installation.
  cli::SystemctlRequest r =
      cli::translate_systemctl({"--root=/", "--system", "--preset-mode=enable-only", "preset", "nginx.service"}, true);
  REQUIRE(r.error.empty());
  CHECK(r.verb == "preset");
  CHECK(r.units == std::vector<std::string>{"nginx.service"});
  CHECK(r.root_dir == "/");
  CHECK(r.preset_mode == "enable-only");
  r = cli::translate_systemctl({"preset", "nginx"}, true);
  CHECK(r.preset_mode == "full");
  CHECK(r.units == std::vector<std::string>{"nginx.service"});
  r = cli::translate_systemctl({"--preset-mode=sometimes", "preset", "nginx"}, true);
  CHECK(r.error == "Failed to parse preset mode: sometimes.");
  CHECK(cli::translate_systemctl({"preset"}, true).error == "Too few arguments.");
}
