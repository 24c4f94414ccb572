// Unit names as systemd gives them (.service files, instances, templates,
// symlinks), every specifier of systemd.unit(5), and the size caps on what
// they expand to (with the peak memory of `check` on a unit of "%n%n...").
#include "unit/specifiers.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "test_support.h"
#include "unit/unit_name.h"
#include "unit/unit_parser.h"

using namespace unitrun;
using namespace unitrun::unit;
using unitrun::test::TempDir;

namespace {

ParseContext context(const std::string& path) {
  ParseContext c;
  c.path = path;
  c.user_name = "alice";
  c.home = "/home/alice";
  c.shell = "/bin/zsh";
  c.group_name = "staff";
  c.uid = 1000;
  c.gid = 50;
  c.runtime_dir = "/run/user/1000";
  c.state_dir = "/home/alice/.config";
  c.cache_dir = "/home/alice/.cache";
  c.logs_dir = "/home/alice/.config/log";
  c.config_dir = "/home/alice/.config";
  c.tmp_dir = "/tmp";
  c.var_tmp_dir = "/var/tmp";
  c.pid_dir = "/run/user/1000/unitrun";
  c.log_dir = "/home/alice/.local/state/unitrun";
  c.host.hostname = "web1.example.org";
  c.host.machine_id = "0123456789abcdef0123456789abcdef";
  c.host.boot_id = "fedcba9876543210fedcba9876543210";
  c.host.kernel_release = "6.1.0-17-amd64";
  c.host.architecture = "x86-64";
  c.host.os_release_read = true;
  c.host.os_id = "debian";
  c.host.os_version_id = "12";
  return c;
}

// The Description= a unit file at `path` gets from `value`.
std::string expand(const std::string& path, const std::string& value, const ParseContext* ctx = nullptr) {
  ParseContext c = ctx ? *ctx : context(path);
  c.path = path;
  ParseResult r = parse("[Unit]\nDescription=" + value + "\n[Service]\nExecStart=/bin/true\n", c);
  for (const Diagnostic& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::Error) FAIL(d.format(path));
  return r.unit.description;
}

std::string error_of(const std::string& path, const std::string& content, const ParseContext& c) {
  ParseContext copy = c;
  copy.path = path;
  ParseResult r = parse(content, copy);
  for (const Diagnostic& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::Error) return d.format("u");
  return "";
}

}  // namespace

TEST_CASE("unit names: .service files are named as systemd names them", "[names]") {
  UnitName plain = unit_name_of("/srv/units/webapp.service");
  CHECK(plain.name == "webapp.service");
  CHECK(plain.without_suffix == "webapp");
  CHECK(plain.prefix == "webapp");
  CHECK(plain.instance.empty());
  CHECK_FALSE(plain.is_template);

  UnitName instance = unit_name_of("/srv/units/web-app@8080.service");
  CHECK(instance.name == "web-app@8080.service");
  CHECK(instance.prefix == "web-app");
  CHECK(instance.instance == "8080");
  CHECK_FALSE(instance.is_template);

  UnitName tmpl = unit_name_of("/lib/systemd/system/getty@.service");
  CHECK(tmpl.is_template);
  CHECK(tmpl.instance.empty());
  UnitName checked = as_checked(tmpl);
  CHECK(checked.instance == "i");
  CHECK(checked.file_name == "getty@i.service");

  // unitrun's own files keep their rules.
  UnitName ini = unit_name_of("units/web@8080.ini");
  CHECK(ini.name == "web@8080");
  CHECK(ini.file_name == "web@8080.ini");
  CHECK(ini.prefix == "web");
  CHECK(ini.instance == "8080");
  CHECK_FALSE(ini.is_template);
  CHECK(unit_name_of("x.conf").name == "x.conf");
  CHECK(name_from_path("a/autotest.ini") == "autotest");
  CHECK(name_from_path("a/autotest.service") == "autotest.service");

  // An instance may hold '@' itself and escapes; '@' cannot start a name.
  CHECK(is_valid_unit_name("systemd-fsck@dev-disk-by\\x2duuid-1234.service"));
  CHECK(is_valid_unit_name("heartbeat-failed@frr@.service"));
  CHECK_FALSE(is_valid_unit_name("@x.service"));
  CHECK(is_valid_dependency_name("heartbeat-failed@frr@i.service"));
  CHECK(is_valid_dependency_name("dev-ttyS0.device"));
  CHECK_FALSE(is_valid_dependency_name(".device"));
  CHECK_FALSE(is_valid_dependency_name("x.unknown"));
  CHECK_FALSE(is_valid_dependency_name("a b.service"));
  CHECK_FALSE(is_valid_dependency_name(std::string(252, 'a') + ".service"));
}

TEST_CASE("unit names: the defaults derive from the name", "[names]") {
  ParseResult svc = parse("[Service]\nExecStart=/bin/true\n", context("/etc/units/webapp.service"));
  CHECK(svc.unit.name == "webapp.service");
  CHECK(svc.unit.pid_file == "/run/user/1000/unitrun/webapp.service.pid");
  CHECK(svc.unit.log_file == "/home/alice/.local/state/unitrun/webapp.service.log");
  CHECK(svc.unit.credentials_directory == "/run/user/1000/unitrun/credentials/webapp.service");
  ParseResult ini = parse("[Service]\nExecStart=/bin/true\n", context("/etc/units/webapp.ini"));
  CHECK(ini.unit.pid_file == "/run/user/1000/unitrun/webapp.pid");  // as before
  CHECK(ini.unit.log_file == "/home/alice/.local/state/unitrun/webapp.log");
  // A template checked alone says how it was checked.
  ParseResult tmpl = parse("[Service]\nExecStart=/bin/echo %i\n", context("/etc/units/web@.service"));
  REQUIRE(tmpl.diagnostics.size() == 1);
  CHECK(tmpl.diagnostics[0].severity == Diagnostic::Severity::Note);
  CHECK_THAT(tmpl.diagnostics[0].message, Catch::Contains("instance 'i' (web@i.service)"));
  CHECK(tmpl.unit.is_template);
  CHECK(tmpl.unit.exec_start.at(0).argv.at(1) == "i");
}

TEST_CASE("specifiers: names, instances and their unescaped forms", "[specifiers]") {
  const std::string path = "/srv/units/foo-bar@a-b\\x2dc.service";
  CHECK(expand(path, "%n|%N|%p|%P|%i|%I") ==
        "foo-bar@a-b\\x2dc.service|foo-bar@a-b\\x2dc|foo-bar|foo/bar|a-b\\x2dc|a/b-c");
  CHECK(expand(path, "%j|%J|%f") == "bar|bar|/a/b-c");
  CHECK(expand(path, "%y|%Y") == path + "|/srv/units");
  CHECK(expand("/srv/units/plain.service", "%p|%i|%f|%j") == "plain||/plain|plain");
  CHECK(expand("/srv/units/postgresql@15-main.service", "/etc/postgresql/%I/postgresql.conf") ==
        "/etc/postgresql/15/main/postgresql.conf");
  CHECK(expand("/srv/units/web@8080.ini", "%n|%N|%p|%i") == "web@8080.ini|web@8080|web|8080");
  CHECK(expand("/srv/units/demo.service", "%d") == "/run/user/1000/unitrun/credentials/demo.service");
}

TEST_CASE("specifiers: the user running unitrun, roots, this machine", "[specifiers]") {
  const std::string path = "/srv/units/demo.service";
  CHECK(expand(path, "%u %U %g %G %h %s") == "alice 1000 staff 50 /home/alice /bin/zsh");
  CHECK(expand(path, "%t %S %C %L %E %T %V") ==
        "/run/user/1000 /home/alice/.config /home/alice/.cache /home/alice/.config/log /home/alice/.config /tmp "
        "/var/tmp");
  CHECK(expand(path, "%H %l %q") == "web1.example.org web1 web1");
  CHECK(expand(path, "%m %b") == "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210");
  CHECK(expand(path, "%v %a") == "6.1.0-17-amd64 x86-64");
  CHECK(expand(path, "[%o][%w][%W][%B][%M][%A]") == "[debian][12][][][][]");
  CHECK(expand(path, "100%%") == "100%");
  // Every letter of SpecifierExpander::letters() expands.
  for (char letter : SpecifierExpander::letters()) {
    INFO("%" << letter);
    CHECK_NOTHROW(expand(path, std::string("%") + letter));
  }
}

TEST_CASE("specifiers: what is not known here, or unknown, is an error", "[specifiers]") {
  ParseContext bare = context("/srv/units/demo.service");
  bare.host = HostFacts{};
  std::string unit = "[Service]\nExecStart=/bin/echo %m\n";
  CHECK(error_of("/srv/units/demo.service", unit, bare) ==
        "u:2: ExecStart=: specifier '%m': no machine ID here (/etc/machine-id)");
  CHECK_THAT(error_of("/srv/units/demo.service", "[Service]\nExecStart=/bin/echo %o\n", bare),
             Catch::Contains("no /etc/os-release"));
  CHECK_THAT(error_of("/srv/units/demo.service", "[Service]\nExecStart=/bin/echo %Z\n", bare),
             Catch::Contains("unknown specifier '%Z'"));
  CHECK_THAT(error_of("/srv/units/demo.service", "[Service]\nExecStart=/bin/echo 100%\n", bare),
             Catch::Contains("'%' at the end"));
}

TEST_CASE("specifiers: an expanded value is capped at 1 MiB, a file's expansions at 8 MiB", "[specifiers]") {
  const std::string path = "/srv/units/" + std::string(180, 'n') + ".service";
  ParseContext c = context(path);
  // 188 bytes per %n: 6,000 of them are over 1 MiB.
  std::string big;
  for (int i = 0; i < 6000; ++i) big += "%n";
  CHECK(error_of(path, "[Unit]\nDescription=" + big + "\n[Service]\nExecStart=/bin/true\n", c) ==
        "u:2: Description=: the value is longer than 1 MiB once its specifiers are expanded");
  // 5,000 fit (940,000 bytes); ten such lines pass 8 MiB in all.
  std::string fits;
  for (int i = 0; i < 5000; ++i) fits += "%n";
  std::string content = "[Unit]\n";
  for (int i = 0; i < 10; ++i) content += "Documentation=" + fits + "\n";
  content += "[Service]\nExecStart=/bin/true\n";
  ParseResult r = parse(content, c);
  int refused = 0;
  for (const Diagnostic& d : r.diagnostics)
    if (d.message.find("expand to more than 8 MiB") != std::string::npos) ++refused;
  // Each line grows by 930,000 bytes: nine fit in 8 MiB (8,388,608), the tenth does not.
  CHECK(refused == 1);
  CHECK(r.unit.documentation.size() == 9);
}

// The measurement: a 3 MB unit of "%n%n..." cost `check` 587 MiB
// and `show` 1.26 GiB. Both must stay under 64 MiB (the peak RSS of the
// child, from wait4()).
TEST_CASE("specifiers: check and show of a 3 MB unit of %n stay under 64 MiB", "[specifiers][memory]") {
  TempDir dir;
  std::string name = std::string(190, 'n') + ".service";
  std::string words;
  while (words.size() < 1000 * 1000) words += "%n ";
  std::string content = "[Unit]\n";
  for (int i = 0; i < 3; ++i) content += "Documentation=" + words + "\n";
  content += "[Service]\nExecStart=/bin/true\n";
  std::string path = dir.write(name, content);
  for (const char* verb : {"check", "show"}) {
    INFO("unitrun " << verb);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(UNITRUN_BINARY, UNITRUN_BINARY, verb, path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 6);  // the lines over the caps are errors
    INFO("peak RSS " << usage.ru_maxrss << " KiB");
    CHECK(usage.ru_maxrss < 64 * 1024);
  }
}
