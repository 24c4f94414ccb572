// unit::planned_directories() and friends: which directories a start
// creates (roots, modes, owners, symlinks), the variables the service gets,
// and what a stop or a restart removes as RuntimeDirectoryPreserve= says.
#include "unit/service_directories.h"

#include <catch2/catch.hpp>
#include <string>

#include "unit/unit_parser.h"

using namespace unitrun;
using namespace unitrun::unit;

namespace {

Unit unit_with(const std::string& lines, bool root = true) {
  ParseContext c;
  c.path = "/srv/units/demo.service";
  c.user_name = root ? "root" : "alice";
  c.home = root ? "/root" : "/home/alice";
  c.pid_dir = "/run/unitrun";
  c.log_dir = "/var/log/unitrun";
  if (root) {
    c.runtime_dir = "/run";
  } else {
    c.runtime_dir = "/run/user/1000";
    c.state_dir = c.config_dir = "/home/alice/.config";
    c.cache_dir = "/home/alice/.cache";
    c.logs_dir = "/home/alice/.config/log";
  }
  ParseResult r = parse("[Service]\nExecStart=/bin/true\n" + lines, c);
  for (const Diagnostic& d : r.diagnostics) INFO(d.format("demo.service"));
  REQUIRE_FALSE(has_errors(r.diagnostics));
  return r.unit;
}

}  // namespace

TEST_CASE("service directories: what a start creates", "[service_directories]") {
  Unit u = unit_with(
      "RuntimeDirectory=foo/bar baz:baz-link\n"
      "RuntimeDirectory=baz:second-link\n"
      "RuntimeDirectoryMode=0700\n"
      "StateDirectory=aaa/bbb ccc\n"
      "CacheDirectory=c\n"
      "LogsDirectory=l\n"
      "ConfigurationDirectory=conf\n"
      "ConfigurationDirectoryMode=0750\n");
  std::vector<PlannedDirectory> p = planned_directories(u);
  REQUIRE(p.size() == 7);
  CHECK(p[0].path == "/run/foo/bar");
  CHECK(p[0].root == "/run");
  CHECK(p[0].relative == "foo/bar");
  CHECK(p[0].mode == 0700);
  CHECK(p[0].owned_by_service);
  CHECK(p[1].path == "/run/baz");
  CHECK(p[1].symlinks == std::vector<std::string>{"/run/baz-link", "/run/second-link"});
  CHECK(p[2].path == "/var/lib/aaa/bbb");
  CHECK(p[2].mode == 0755);
  CHECK(p[3].path == "/var/lib/ccc");
  CHECK(p[4].path == "/var/cache/c");
  CHECK(p[5].path == "/var/log/l");
  CHECK(p[6].path == "/etc/conf");
  CHECK(p[6].mode == 0750);
  CHECK_FALSE(p[6].owned_by_service);

  // systemd.exec(5)'s examples.
  auto env = directory_environment(unit_with("RuntimeDirectory=foo/bar\nStateDirectory=aaa/bbb ccc\n"));
  REQUIRE(env.size() == 2);
  CHECK(env[0] == std::pair<std::string, std::string>{"RUNTIME_DIRECTORY", "/run/foo/bar"});
  CHECK(env[1] == std::pair<std::string, std::string>{"STATE_DIRECTORY", "/var/lib/aaa/bbb:/var/lib/ccc"});
  CHECK(directory_environment(unit_with("")).empty());

  // As another user: the user manager's roots.
  Unit user = unit_with("RuntimeDirectory=r\nStateDirectory=s\nCacheDirectory=c\nLogsDirectory=l\n", false);
  std::vector<PlannedDirectory> q = planned_directories(user);
  REQUIRE(q.size() == 4);
  CHECK(q[0].path == "/run/user/1000/r");
  CHECK(q[1].path == "/home/alice/.config/s");
  CHECK(q[2].path == "/home/alice/.cache/c");
  CHECK(q[3].path == "/home/alice/.config/log/l");
}

TEST_CASE("service directories: what a stop or a restart removes", "[service_directories]") {
  const std::string dirs = "RuntimeDirectory=run1 run2\nStateDirectory=state\n";
  Unit no = unit_with(dirs);
  CHECK(directories_to_remove(no, StopReason::Stop).size() == 2);
  CHECK(directories_to_remove(no, StopReason::Restart).size() == 2);
  Unit restart = unit_with(dirs + "RuntimeDirectoryPreserve=restart\n");
  CHECK(directories_to_remove(restart, StopReason::Stop).size() == 2);
  CHECK(directories_to_remove(restart, StopReason::Restart).empty());
  Unit yes = unit_with(dirs + "RuntimeDirectoryPreserve=yes\n");
  CHECK(directories_to_remove(yes, StopReason::Stop).empty());
  for (const PlannedDirectory& d : directories_to_remove(no, StopReason::Stop)) CHECK(d.type == DirectoryType::Runtime);
}

TEST_CASE("service directories: paths that are not theirs to take", "[service_directories]") {
  ParseContext c;
  c.path = "/srv/units/demo.service";
  c.runtime_dir = "/run";
  for (const char* bad : {"RuntimeDirectory=/abs", "StateDirectory=../up", "CacheDirectory=a/../b", "LogsDirectory=./x",
                          "RuntimeDirectory=a//b", "ConfigurationDirectory=c:link", "RuntimeDirectory=a:/abs-link",
                          "StateDirectoryMode=0888", "RuntimeDirectoryPreserve=maybe"}) {
    INFO(bad);
    ParseResult r = parse(std::string("[Service]\nExecStart=/bin/true\n") + bad + "\n", c);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].line == 3);
    CHECK(r.diagnostics[0].severity == Diagnostic::Severity::Error);
  }
}
