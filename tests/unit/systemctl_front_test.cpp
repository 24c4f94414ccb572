// unitrun as systemctl (cli/systemctl_front.h): systemctl command lines and
// the request each becomes, systemd's properties from a status record
// (cli/systemd_properties.h), and who owns systemd's directories and may
// install itself as systemctl (unit/host_facts.h, cli/install_systemctl.h).
#include "cli/systemctl_front.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "cli/install_systemctl.h"
#include "cli/systemd_properties.h"
#include "unit/host_facts.h"

using namespace unitrun;
using cli::SystemctlRequest;
using cli::translate_systemctl;

namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

SystemctlRequest tr(const std::string& line, bool root = true) { return translate_systemctl(words(line), root); }

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

TEST_CASE("systemctl front: argv[0] named systemctl", "[systemctl]") {
  CHECK(cli::invoked_as_systemctl("systemctl"));
  CHECK(cli::invoked_as_systemctl("/usr/bin/systemctl"));
  CHECK_FALSE(cli::invoked_as_systemctl("/usr/bin/unitrun"));
  CHECK_FALSE(cli::invoked_as_systemctl("systemctl2"));
  CHECK_FALSE(cli::invoked_as_systemctl("/usr/bin/systemctl/x"));
}

TEST_CASE("systemctl front: names without a type get .service, paths and globs do not", "[systemctl]") {
  CHECK(cli::systemctl_unit_name("nginx") == "nginx.service");
  CHECK(cli::systemctl_unit_name("nginx.service") == "nginx.service");
  CHECK(cli::systemctl_unit_name("multi-user.target") == "multi-user.target");
  CHECK(cli::systemctl_unit_name("web@1") == "web@1.service");
  CHECK(cli::systemctl_unit_name("my.app") == "my.app.service");
  CHECK(cli::systemctl_unit_name("web@*") == "web@*");
  CHECK(cli::systemctl_unit_name("./units/app.service") == "./units/app.service");
}

TEST_CASE("systemctl front: command lines and the unitrun verbs they become", "[systemctl]") {
  struct Row {
    std::string line, verb, units;
  };
  const Row rows[] = {
      {"start nginx", "start", "nginx.service"},
      {"--no-block start nginx redis.service", "start", "nginx.service redis.service"},
      {"stop -q nginx", "stop", "nginx.service"},
      {"restart nginx", "restart", "nginx.service"},
      {"try-restart nginx", "try-restart", "nginx.service"},
      {"condrestart nginx", "try-restart", "nginx.service"},
      {"reload nginx", "reload", "nginx.service"},
      {"force-reload nginx", "force-reload", "nginx.service"},
      {"reload-or-try-restart nginx", "force-reload", "nginx.service"},
      {"reload-or-restart nginx", "reload-or-restart", "nginx.service"},
      {"status", "status", ""},
      {"--no-pager status nginx", "status", "nginx.service"},
      {"show nginx", "show", "nginx.service"},
      {"show", "show-manager", ""},
      {"show -p Version", "show-manager", ""},
      {"-P MainPID show nginx", "show", "nginx.service"},
      {"cat nginx", "cat", "nginx.service"},
      {"enable --now nginx", "enable", "nginx.service"},
      {"disable nginx", "disable", "nginx.service"},
      {"reenable nginx", "reenable", "nginx.service"},
      {"mask nginx", "mask", "nginx.service"},
      {"unmask nginx", "unmask", "nginx.service"},
      {"is-active nginx", "is-active", "nginx.service"},
      {"is-enabled nginx", "is-enabled", "nginx.service"},
      {"is-failed nginx", "is-failed", "nginx.service"},
      {"kill nginx", "kill", "nginx.service"},
      {"daemon-reload", "daemon-reload", ""},
      {"--system daemon-reload", "daemon-reload", ""},
      {"reset-failed", "reset-failed", ""},
      {"list-units", "list", ""},
      {"", "list", ""},
      {"list-units 'web*'", "list", "'web*'"},
      {"list-unit-files", "list-unit-files", ""},
      {"--version", "version", ""},
      {"-h", "help", ""},
  };
  for (const Row& r : rows) {
    INFO("systemctl " << r.line);
    SystemctlRequest q = tr(r.line);
    CHECK(q.error == "");
    CHECK(q.verb == r.verb);
    CHECK(joined(q.units) == r.units);
  }
}

TEST_CASE("systemctl front: options", "[systemctl]") {
  SystemctlRequest q = tr("show -p MainPID --property=ActiveState,SubState -pResult --value nginx");
  CHECK(joined(q.properties) == "MainPID ActiveState SubState Result");
  CHECK(q.value_only);
  CHECK(tr("is-active --quiet nginx").quiet);
  CHECK(tr("is-active -q nginx").quiet);
  CHECK(tr("enable --now nginx").now);
  CHECK(tr("-aq list-units").all);
  CHECK(tr("-aq list-units").quiet);
  q = tr("show -P MainPID nginx");
  CHECK(joined(q.properties) == "MainPID");
  CHECK(q.value_only);
  q = tr("show -PActiveState,SubState nginx");
  CHECK(joined(q.properties) == "ActiveState SubState");
  CHECK(q.value_only);
  CHECK_FALSE(tr("show -p MainPID nginx").value_only);
  CHECK(joined(tr("list-units --failed").states) == "failed");
  CHECK(joined(tr("--failed --state=running list-units").states) == "failed running");
  CHECK(tr("list-units --failed=yes").error == "systemctl: option '--failed' doesn't allow an argument");
  q = tr("list-units --all --state=failed,running --state active --no-legend --plain");
  CHECK(q.all);
  CHECK(joined(q.states) == "failed running active");
  CHECK(q.no_legend);
  CHECK(q.plain);
  CHECK(joined(tr("list-units -t service,target").units) == "*.service *.target");
  CHECK(joined(tr("list-unit-files --type=service").units) == "*.service");
  q = tr("kill -s HUP --kill-whom=main nginx");
  CHECK(q.signal == "HUP");
  CHECK(q.kill_whom == "main");
  CHECK(tr("kill --signal=SIGUSR1 nginx").signal == "SIGUSR1");
  CHECK(tr("kill nginx").kill_whom == "all");
  // Accepted silently, as what they change systemctl alone does.
  for (const char* quiet : {"--no-pager", "--no-ask-password", "--system", "-l", "--full", "--no-reload"}) {
    INFO(quiet);
    q = tr(std::string(quiet) + " start nginx");
    CHECK(q.error == "");
    CHECK(q.notes.empty());
  }
  // Accepted, with one line saying what unitrun does instead.
  for (const char* noted : {"--no-block", "-f", "--force", "-n 5", "--lines=5", "-o json"}) {
    INFO(noted);
    q = tr(std::string(noted) + " enable --now nginx");
    CHECK(q.error == "");
    CHECK(q.notes.size() == 1);
  }
  CHECK(tr("--no-block enable nginx").notes.empty());  // no job: nothing --no-block would change
  CHECK(tr("--no-block restart nginx").notes.size() == 1);
  // --user is unitrun's own mode for another user than root.
  CHECK(tr("--user start app", false).error == "");
}

TEST_CASE("systemctl front: what systemctl refuses, and what unitrun cannot honour", "[systemctl]") {
  struct Row {
    std::string line, error;
  };
  const Row rows[] = {
      {"frobnicate nginx", "Unknown command verb 'frobnicate'."},
      {"start", "Too few arguments."},
      {"daemon-reload nginx", "Too many arguments."},
      {"--frob start nginx", "systemctl: unrecognized option '--frob'"},
      {"-Z start nginx", "systemctl: invalid option -- 'Z'"},
      {"show nginx -p", "systemctl: option requires an argument -- 'p'"},
      {"show nginx -P", "systemctl: option requires an argument -- 'P'"},
      {"show nginx --property", "systemctl: option '--property' requires an argument"},
      {"--value=x show nginx", "systemctl: option '--value' doesn't allow an argument"},
  };
  for (const Row& r : rows) {
    INFO("systemctl " << r.line);
    SystemctlRequest q = tr(r.line);
    CHECK(q.verb == "");
    CHECK(q.error == r.error);
    CHECK(q.error_code == 1);
  }
  for (const char* line : {"--user start nginx", "-H host start nginx", "--global enable nginx",
                           "--machine=c start nginx", "kill --kill-whom=control nginx"}) {
    INFO(line);
    SystemctlRequest q = tr(line);
    CHECK(q.verb == "");
    CHECK(q.error.rfind("unitrun: ", 0) == 0);
    CHECK(q.error_code == 1);
  }
}

TEST_CASE("systemctl --runtime: the unit file verbs and preset link until the next boot, others note it",
          "[systemctl]") {
  for (const char* line : {"enable --runtime nginx", "--runtime disable nginx", "reenable --runtime nginx",
                           "mask --runtime nginx", "unmask --runtime nginx", "preset --runtime nginx"}) {
    INFO(line);
    SystemctlRequest q = tr(line);
    CHECK(q.error.empty());
    CHECK(q.runtime);
    CHECK(q.notes.empty());
  }
  CHECK_FALSE(tr("enable nginx").runtime);
  SystemctlRequest start = tr("start --runtime nginx");
  CHECK(start.verb == "start");
  CHECK_FALSE(start.runtime);
  REQUIRE(start.notes.size() == 1);
  CHECK(start.notes[0].find("--runtime: ignored") != std::string::npos);
}

TEST_CASE("systemctl show: a running service's record as systemd's properties", "[systemctl]") {
  cli::StatusRecord r;
  r.name = "web.service";
  r.json = nlohmann::json{{"name", "web.service"},
                          {"description", "The web"},
                          {"unit_path", "/etc/unitrun/web.service"},
                          {"load_state", "loaded"},
                          {"unit_file_state", "enabled"},
                          {"type", "notify"},
                          {"restart", "on-failure"},
                          {"active_state", "active"},
                          {"sub_state", "running"},
                          {"main_pid", 4242},
                          {"exec_main_pid", 4242},
                          {"result", "success"},
                          {"restarts", 2},
                          {"last_exit_code", -1},
                          {"last_exit_signal", 0},
                          {"drop_ins", {"/etc/unitrun/web.service.d/a.conf"}}};
  cli::Properties p = cli::systemd_properties(r);
  std::string all = cli::format_properties(p, {}, false);
  for (const char* line :
       {"Id=web.service\n", "Names=web.service\n", "Description=The web\n", "LoadState=loaded\n",
        "ActiveState=active\n", "SubState=running\n", "MainPID=4242\n", "ExecMainPID=4242\n", "ExecMainCode=0\n",
        "ExecMainStatus=0\n", "NRestarts=2\n", "Result=success\n", "UnitFileState=enabled\n",
        "FragmentPath=/etc/unitrun/web.service\n", "Type=notify\n", "Restart=on-failure\n",
        "DropInPaths=/etc/unitrun/web.service.d/a.conf\n", "NeedDaemonReload=no\n"}) {
    INFO(line);
    CHECK(all.find(line) != std::string::npos);
  }
  CHECK(all.find("StatusText=") == std::string::npos);  // empty: only printed when asked for
  CHECK(cli::format_properties(p, {"MainPID"}, true) == "4242\n");
  CHECK(cli::format_properties(p, {"ActiveState", "SubState"}, false) == "ActiveState=active\nSubState=running\n");
  CHECK(cli::format_properties(p, {"StatusText", "NoSuchProperty"}, false) == "StatusText=\n");
}

TEST_CASE("systemctl show: a stopped service, a failed one, one not found", "[systemctl]") {
  cli::StatusRecord r;
  r.name = "job.service";
  r.json = nlohmann::json{{"name", "job.service"}, {"active_state", "failed"}, {"sub_state", "failed"},
                          {"main_pid", 0},         {"exec_main_pid", 77},      {"result", "exit-code"},
                          {"last_exit_code", 3},   {"last_exit_signal", 0},    {"load_state", "loaded"}};
  cli::Properties p = cli::systemd_properties(r);
  CHECK(cli::format_properties(p, {"MainPID", "ExecMainPID", "ExecMainCode", "ExecMainStatus", "Result"}, true) ==
        "0\n77\n1\n3\nexit-code\n");
  r.json = nlohmann::json{{"name", "job.service"},
                          {"active_state", "failed"},
                          {"sub_state", "failed"},
                          {"last_exit_code", -1},
                          {"last_exit_signal", 9}};
  CHECK(cli::format_properties(cli::systemd_properties(r), {"ExecMainCode", "ExecMainStatus"}, true) == "2\n9\n");

  cli::StatusRecord missing;
  missing.name = "nope.service";
  std::string all = cli::format_properties(cli::systemd_properties(missing), {}, false);
  CHECK(all.find("LoadState=not-found\n") != std::string::npos);
  CHECK(all.find("ActiveState=inactive\n") != std::string::npos);
  CHECK(all.find("SubState=dead\n") != std::string::npos);
  CHECK(all.find("Id=nope.service\n") != std::string::npos);
}

TEST_CASE("systemd's directories are unitrun's where unitrun is systemctl and PID 1 is not systemd", "[systemctl]") {
  unit::InitFacts f;
  f.pid1_comm = "systemd";
  f.systemd_runtime_dir = true;
  f.systemctl_is_unitrun = true;
  CHECK(unit::pid1_is_systemd(f));
  CHECK_FALSE(unit::systemd_directories_are_ours(f));
  f.pid1_comm = "unitrun";
  CHECK_FALSE(unit::pid1_is_systemd(f));  // /run/systemd/system from the image: not systemd's boot
  CHECK(unit::systemd_directories_are_ours(f));
  f.systemctl_is_unitrun = false;
  CHECK_FALSE(unit::systemd_directories_are_ours(f));  // systemctl is someone else's
  f.invoked_as_systemctl = true;
  CHECK(unit::systemd_directories_are_ours(f));
  f.pid1_comm = "";  // unreadable: /run/systemd/system decides
  CHECK(unit::pid1_is_systemd(f));
  f.systemd_runtime_dir = false;
  CHECK_FALSE(unit::pid1_is_systemd(f));
}

TEST_CASE("install-systemctl: refused under systemd, and over a file that is not unitrun without --force",
          "[systemctl]") {
  using cli::ExistingSystemctl;
  using cli::InstallAction;
  for (bool force : {false, true})
    for (ExistingSystemctl e : {ExistingSystemctl::None, ExistingSystemctl::Unitrun, ExistingSystemctl::Other})
      CHECK(cli::decide_install(true, e, force) == InstallAction::RefuseSystemd);
  CHECK(cli::decide_install(false, ExistingSystemctl::None, false) == InstallAction::Install);
  CHECK(cli::decide_install(false, ExistingSystemctl::Unitrun, false) == InstallAction::Already);
  CHECK(cli::decide_install(false, ExistingSystemctl::Other, false) == InstallAction::RefuseForeign);
  CHECK(cli::decide_install(false, ExistingSystemctl::Other, true) == InstallAction::ReplaceWithBackup);
}
