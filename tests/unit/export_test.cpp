// The writers of src/export: what systemd and sysvinit read from them.
#include "export/export.h"

#include <catch2/catch.hpp>
#include <string>

using namespace unitrun;

namespace {

Unit unit_at(const std::string& path) {
  Unit u;
  u.name = "web";
  u.path = path;
  u.directory = path.substr(0, path.rfind('/'));
  Command c;
  c.argv = {"/bin/sleep", "1000"};
  c.program = "/bin/sleep";
  u.exec_start.push_back(c);
  return u;
}

std::string line_of(const std::string& text, const std::string& key) {
  size_t at = text.find("\n" + key + "=");
  if (at == std::string::npos) return "";
  size_t end = text.find('\n', at + 1);
  return text.substr(at + 1, end - at - 1);
}

}  // namespace

TEST_CASE("export systemd: a '%' in a path is doubled once, for systemd's specifiers", "[export]") {
  std::string text = exporter::systemd_service(unit_at("/srv/100%/web.ini"), "/opt/un%it/unitrun");
  // systemd turns "%%" into "%": the paths come back as they were.
  CHECK(line_of(text, "ExecStart") == "ExecStart=\"/opt/un%%it/unitrun\" run \"/srv/100%%/web.ini\"");
}

TEST_CASE("export systemd: ExecReload= only for a unit that can reload", "[export]") {
  Unit u = unit_at("/srv/web.ini");
  CHECK(line_of(exporter::systemd_service(u, "/usr/bin/unitrun"), "ExecReload").empty());
  Command reload;
  reload.argv = {"/bin/kill", "-HUP", "$MAINPID"};
  reload.program = "/bin/kill";
  u.exec_reload.push_back(reload);
  CHECK(line_of(exporter::systemd_service(u, "/usr/bin/unitrun"), "ExecReload") ==
        "ExecReload=/bin/kill -HUP $MAINPID");
}
