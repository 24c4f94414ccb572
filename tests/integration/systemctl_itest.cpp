// unitrun invoked as systemctl (cli/systemctl_front.h), through a
// `systemctl` symlink to the binary in the test's own directory, with a unit
// path of its own (UNITRUN_UNIT_PATH=ETC:SYSD, SYSD standing for
// /lib/systemd/system): the lifecycle verbs and what show, is-active and
// is-enabled answer against the real processes in /proc; a link that
// deb-systemd-helper makes; and install-systemctl into a temporary path.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support.h"

using namespace itest;

namespace {

class Systemctl {
 public:
  Systemctl() : prefix_(unique_name("sc")), marker_(prefix_ + "-marker") {
    std::filesystem::create_directories(etc());
    std::filesystem::create_directories(sysd());
    std::filesystem::create_symlink(unitrun_binary(), dir_ / "systemctl");
  }
  ~Systemctl() { end_units(started_, options(), marker_, prefix_); }
  std::string etc() const { return dir_ / "etc"; }
  std::string sysd() const { return dir_ / "sysd"; }
  const std::string& marker() const { return marker_; }
  // A sleeping service, NAME.service in `dir`, with a WantedBy= line.
  std::string unit(const std::string& short_name, const std::string& dir) {
    std::string name = prefix_ + "-" + short_name;
    write_file(dir + "/" + name + ".service",
               "[Unit]\nDescription=Sleeps for the systemctl test\n[Service]\nExecStart=/bin/sleep 1000\n"
               "Environment=UNITRUN_TEST_MARKER=" +
                   marker_ + "\n[Install]\nWantedBy=multi-user.target\n");
    started_.push_back(name + ".service");
    return name;
  }
  RunOptions options() const {
    RunOptions o;
    o.set_env = {"UNITRUN_UNIT_PATH=" + etc() + ":" + sysd(), "UNITRUN_TEST_MARKER=" + marker_, "LC_ALL=C"};
    return o;
  }
  RunResult operator()(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{dir_ / "systemctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options());
  }
  pid_t main_pid(const std::string& name) const {
    RunResult r = (*this)({"show", "-p", "MainPID", "--value", name});
    REQUIRE(r.exit_code == 0);
    return static_cast<pid_t>(std::stol(r.out));
  }

 private:
  TempDir dir_;
  std::string prefix_, marker_;
  std::vector<std::string> started_;
};

// The runtime files of `unit` (its full name) that end with `suffix`.
std::vector<std::string> runtime_files_of(const std::string& unit, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(kRuntimeDir, ec)) {
    std::string n = e.path().filename();
    if (n.rfind(unit + ".", 0) == 0 && n.size() > suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(e.path());
  }
  return out;
}

// Whether a state record lists starts for the start rate limit
// ("start_limit_starts": [ NUMBER...).
bool starts_recorded(const std::string& state) {
  size_t at = state.find("\"start_limit_starts\"");
  if (at == std::string::npos) return false;
  at = state.find('[', at);
  if (at == std::string::npos) return false;
  at = state.find_first_not_of(" \n\t", at + 1);
  return at != std::string::npos && state[at] >= '0' && state[at] <= '9';
}

}  // namespace

TEST_CASE("systemctl: start, is-active, show MainPID and ActiveState, restart, kill, stop", "[systemctl]") {
  Systemctl systemctl;
  std::string name = systemctl.unit("web", systemctl.sysd());

  RunResult r = systemctl({"is-active", name});
  CHECK(r.out == "inactive\n");
  CHECK(r.exit_code == 3);
  r = systemctl({"start", name});  // no .service: systemctl adds it
  REQUIRE(r.exit_code == 0);
  r = systemctl({"is-active", "--quiet", name});
  CHECK(r.out == "");
  CHECK(r.exit_code == 0);

  pid_t pid = systemctl.main_pid(name);
  REQUIRE(pid > 0);
  CHECK(alive(pid));
  CHECK(proc_cmdline(pid) == "/bin/sleep 1000");
  // The monitor, forked by a process whose argv[0] is systemctl, is
  // unitrun by its command name as by its title.
  auto service_stat = proc_stat(pid);
  REQUIRE(service_stat);
  auto monitor_stat = proc_stat(service_stat->ppid);
  REQUIRE(monitor_stat);
  CHECK(monitor_stat->comm == "unitrun");
  CHECK(proc_cmdline(service_stat->ppid).rfind("unitrun", 0) == 0);
  std::vector<pid_t> marked = find_marked(systemctl.marker());
  CHECK(std::find(marked.begin(), marked.end(), pid) != marked.end());

  r = systemctl({"show", "-p", "ActiveState,SubState", name + ".service"});
  CHECK(r.out == "ActiveState=active\nSubState=running\n");
  CHECK(r.exit_code == 0);
  r = systemctl({"show", name});
  CHECK(r.out.find("Id=" + name + ".service\n") != std::string::npos);
  CHECK(r.out.find("LoadState=loaded\n") != std::string::npos);
  CHECK(r.out.find("UnitFileState=disabled\n") != std::string::npos);
  CHECK(r.out.find("FragmentPath=" + systemctl.sysd() + "/" + name + ".service\n") != std::string::npos);
  CHECK(r.out.find("Description=Sleeps for the systemctl test\n") != std::string::npos);

  r = systemctl({"restart", name});
  REQUIRE(r.exit_code == 0);
  CHECK(wait_exit(pid, 10000));
  pid_t second = systemctl.main_pid(name);
  CHECK(second > 0);
  CHECK(second != pid);
  CHECK(alive(second));

  // kill --kill-whom=main: the main process alone, with the signal named.
  r = systemctl({"kill", "--kill-whom=main", "-s", "KILL", name});
  CHECK(r.exit_code == 0);
  CHECK(wait_exit(second, 10000));
  CHECK(wait_until([&] { return systemctl({"is-failed", "-q", name}).exit_code == 0; }, 10000));
  r = systemctl({"show", "-p", "Result,ExecMainCode,ExecMainStatus,MainPID", "--value", name});
  CHECK(r.out == "signal\n2\n9\n0\n");
  std::vector<std::string> state = runtime_files_of(name + ".service", ".state");
  REQUIRE(state.size() == 1);
  CHECK(starts_recorded(read_file(state[0]).value_or("")));
  r = systemctl({"reset-failed", name});
  CHECK(r.exit_code == 0);
  // systemd.unit(5): reset-failed also flushes the start rate counter.
  CHECK_FALSE(starts_recorded(read_file(state[0]).value_or("")));
  r = systemctl({"is-active", name});
  CHECK(r.out == "inactive\n");
  CHECK(r.exit_code == 3);

  r = systemctl({"start", name});
  REQUIRE(r.exit_code == 0);
  pid_t third = systemctl.main_pid(name);
  r = systemctl({"stop", name});
  CHECK(r.exit_code == 0);
  CHECK(wait_exit(third, 10000));
  r = systemctl({"show", "-p", "ActiveState", "-p", "SubState", "-p", "MainPID", name});
  CHECK(r.out == "ActiveState=inactive\nSubState=dead\nMainPID=0\n");
  // kill on a unit that does not run: nothing to signal; the main process: an error.
  CHECK(systemctl({"kill", name}).exit_code == 0);
  CHECK(systemctl({"kill", "--kill-whom=main", name}).exit_code == 1);
}

TEST_CASE("systemctl: unknown units, verbs and options as systemctl answers them", "[systemctl]") {
  Systemctl systemctl;
  RunResult r = systemctl({"show", "-p", "LoadState,ActiveState", "no-such-unit-here"});
  CHECK(r.out == "LoadState=not-found\nActiveState=inactive\n");
  CHECK(r.exit_code == 0);
  r = systemctl({"start", "no-such-unit-here"});
  CHECK(r.exit_code == 5);
  r = systemctl({"frobnicate", "x"});
  CHECK(r.err == "Unknown command verb 'frobnicate'.\n");
  CHECK(r.exit_code == 1);
  r = systemctl({"--frob", "start", "x"});
  CHECK(r.err == "systemctl: unrecognized option '--frob'\n");
  CHECK(r.exit_code == 1);
  r = systemctl({"daemon-reload"});
  CHECK(r.exit_code == 0);
  CHECK(r.err == "");
  r = systemctl({"--version"});
  CHECK(r.out.rfind("systemd 252 (unitrun ", 0) == 0);
  CHECK(r.exit_code == 0);
  r = systemctl({"show"});  // the manager's properties
  CHECK(r.out == "Version=252\n");
  CHECK(r.exit_code == 0);
  r = systemctl({"show", "-P", "Version"});
  CHECK(r.out == "252\n");

  // kill and reset-failed act on loaded units only, in systemctl's words;
  // and a look creates no runtime file for a unit that never ran.
  std::string gone = unique_name("sc-gone");
  r = systemctl({"kill", gone});
  CHECK(r.err == "Failed to kill unit " + gone + ".service: Unit " + gone + ".service not loaded.\n");
  CHECK(r.exit_code == 1);
  r = systemctl({"reset-failed", gone});
  CHECK(r.err == "Failed to reset failed state of unit " + gone + ".service: Unit " + gone + ".service not loaded.\n");
  CHECK(r.exit_code == 1);
  CHECK(runtime_files_of(gone + ".service", "").empty());
}

TEST_CASE("systemctl: enable and is-enabled, and a link made by deb-systemd-helper", "[systemctl]") {
  Systemctl systemctl;
  std::string mine = systemctl.unit("mine", systemctl.sysd());
  RunResult r = systemctl({"is-enabled", mine});
  CHECK(r.out == "disabled\n");
  CHECK(r.exit_code == 1);
  r = systemctl({"enable", mine});
  CHECK(r.exit_code == 0);
  CHECK(exists(systemctl.etc() + "/multi-user.target.wants/" + mine + ".service"));
  r = systemctl({"is-enabled", mine});
  CHECK(r.out == "enabled\n");
  CHECK(r.exit_code == 0);
  r = systemctl({"list-unit-files", "--no-legend", mine + ".service"});
  CHECK(r.out.find(mine + ".service") != std::string::npos);
  CHECK(r.out.find("UNIT FILE") == std::string::npos);
  CHECK(r.out.find("listed") == std::string::npos);
  r = systemctl({"disable", mine});
  CHECK(r.exit_code == 0);
  CHECK(systemctl({"is-enabled", "-q", mine}).exit_code == 1);

  // deb-systemd-helper enable: an absolute symlink in the .wants/ directory
  // of systemd's configuration, which unitrun did not make.
  std::string debian = systemctl.unit("debian", systemctl.sysd());
  std::filesystem::create_directories(systemctl.sysd() + "/multi-user.target.wants");
  std::filesystem::create_symlink(systemctl.sysd() + "/" + debian + ".service",
                                  systemctl.sysd() + "/multi-user.target.wants/" + debian + ".service");
  r = systemctl({"is-enabled", debian});
  CHECK(r.out == "enabled\n");
  CHECK(r.exit_code == 0);
  r = systemctl({"show", "-p", "UnitFileState", "--value", debian});
  CHECK(r.out == "enabled\n");
}

TEST_CASE("install-systemctl: a symlink to unitrun, refused over another file unless --force, undone", "[systemctl]") {
  TempDir dir;
  std::string path = dir / "systemctl";
  RunResult r = run_unitrun({"install-systemctl", path});
  bool pid1_systemd = read_file("/proc/1/comm").value_or("") == "systemd\n";
  if (pid1_systemd) {
    // Under systemd the machine's systemctl is systemd's.
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("PID 1 is systemd") != std::string::npos);
    CHECK_FALSE(exists(path));
    return;
  }
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::is_symlink(path));
  CHECK(std::filesystem::equivalent(path, unitrun_binary()));
  r = run({path, "is-active", "no-such-unit-here"});  // answers as systemctl
  CHECK(r.out == "inactive\n");
  CHECK(r.exit_code == 3);
  CHECK(run_unitrun({"install-systemctl", path}).exit_code == 0);  // already
  CHECK(run_unitrun({"uninstall-systemctl", path}).exit_code == 0);
  CHECK_FALSE(exists(path));

  write_file(path, "#!/bin/sh\necho the real one\n", 0755);
  r = run_unitrun({"install-systemctl", path});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--force") != std::string::npos);
  CHECK(read_file(path) == "#!/bin/sh\necho the real one\n");
  r = run_unitrun({"install-systemctl", "--force", path});
  CHECK(r.exit_code == 0);
  CHECK(std::filesystem::equivalent(path, unitrun_binary()));
  CHECK(read_file(path + ".unitrun-orig") == "#!/bin/sh\necho the real one\n");
  CHECK(run_unitrun({"uninstall-systemctl", path}).exit_code == 0);
  CHECK(read_file(path) == "#!/bin/sh\necho the real one\n");
  CHECK_FALSE(exists(path + ".unitrun-orig"));
  CHECK(run_unitrun({"uninstall-systemctl", path}).exit_code == 1);  // not unitrun's
}

TEST_CASE("systemctl preset-all: each installable unit file of the path enabled or disabled as the presets say",
          "[systemctl]") {
  Systemctl systemctl;
  std::string on = systemctl.unit("on", systemctl.sysd());
  std::string off = systemctl.unit("off", systemctl.sysd());
  std::string prefix = on.substr(0, on.size() - 3);  // the test's own prefix, "sc-...-"
  std::string fixed = prefix + "static.service";     // no [Install]: nothing to preset
  write_file(systemctl.sysd() + "/" + fixed, "[Service]\nExecStart=/bin/sleep 1000\n");
  // A preset file of this test's units only, in systemd's runtime preset
  // directory (one of the machine's; removed at the end).
  std::filesystem::create_directories("/run/systemd/system-preset");
  std::string presets = "/run/systemd/system-preset/50-" + prefix + "test.preset";
  write_file(presets, "disable " + off + ".service\nenable " + prefix + "*\n");
  std::filesystem::create_directories(systemctl.etc() + "/multi-user.target.wants");
  std::filesystem::create_symlink(systemctl.sysd() + "/" + off + ".service",
                                  systemctl.etc() + "/multi-user.target.wants/" + off + ".service");

  RunResult r = systemctl({"preset-all"});
  std::filesystem::remove(presets);
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(systemctl({"is-enabled", on}).out == "enabled\n");
  CHECK(systemctl({"is-enabled", off}).out == "disabled\n");
  CHECK(systemctl({"is-enabled", fixed}).out == "static\n");
  CHECK_FALSE(exists(systemctl.etc() + "/multi-user.target.wants/" + off + ".service"));

  // --runtime: the links go to the runtime directory, which this unit path
  // does not have: refused with a message, nothing linked.
  r = systemctl({"disable", on});
  CHECK(r.exit_code == 0);
  r = systemctl({"preset-all", "--runtime"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("holds no runtime directory") != std::string::npos);
  CHECK(systemctl({"is-enabled", on}).out == "disabled\n");
}
