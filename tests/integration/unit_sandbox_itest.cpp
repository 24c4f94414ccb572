// The sandbox and the limits through the front door: unit files with
// systemd's keys, started by the unitrun binary, looked at from inside the
// service (tests/helpers/sandboxprobe) and through status. The machinery
// itself is tested key by key in sandbox_itest.cpp; these tests prove the
// keys reach it. Every check has its control: the same unit without the
// keys sees the opposite, so a wiring that drops a key fails.
#include <signal.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "helper_outside_tmp.h"
#include "support.h"

using namespace itest;

namespace {

std::string probe() { return helper_outside_tmp(HELPERS_DIR, "sandboxprobe"); }

// The JSON object a oneshot sandboxprobe wrote to the unit's log.
nlohmann::json probe_report(const TestUnit& u) {
  auto log = read_file(u.log());
  REQUIRE(log);
  INFO("log: " << *log);
  size_t at = log->find('{');
  REQUIRE(at != std::string::npos);
  return parse_json(log->substr(at, log->find('\n', at) - at));
}

bool bit_set(const std::string& hex, int bit) { return (std::stoull(hex, nullptr, 16) >> bit) & 1; }

// Waits until the unit's one service has moved itself into payload/worker
// below its own (delegated) cgroup; `services` keeps what was found last.
bool wait_in_own_worker(const TestUnit& u, std::vector<pid_t>& services) {
  return wait_until(
      [&] {
        services = u.services();
        if (services.size() != 1) return false;
        auto own = read_file("/proc/" + std::to_string(services[0]) + "/cgroup");
        return own && own->find("/payload/worker\n") != std::string::npos;
      },
      10000);
}

std::string own_mount_ns() {
  char buf[256] = {0};
  ssize_t n = ::readlink("/proc/self/ns/mnt", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool listed(const nlohmann::json& list, const std::string& name) {
  if (!list.is_array()) return false;
  for (const auto& e : list)
    if (e.get<std::string>() == name) return true;
  return false;
}

nlohmann::json wait_for_result(const TestUnit& u, const std::string& result) {
  nlohmann::json last;
  bool reached = wait_until(
      [&] {
        RunResult r = u.status_json();
        if (r.out.empty()) return false;
        last = parse_json(r.out);
        // Settled: the stop that follows an OOM kill passes through deactivating.
        std::string state = last.value("active_state", "");
        return last.value("result", "") == result && (state == "failed" || state == "inactive");
      },
      30000);
  INFO("last status: " << last.dump(2));
  REQUIRE(reached);
  return last;
}

constexpr int kCapSysTime = 25;

}  // namespace

TEST_CASE("unit sandbox: the keys of a unit file reach the service unitrun starts", "[unit-sandbox]") {
  TempDir dir;
  // PrivateTmp= hides everything below the host's /tmp, as in systemd, so
  // the directory ReadWritePaths= opens lives elsewhere.
  TempDir outside_tmp("/var/lib");
  std::string writable = outside_tmp / "rw";
  REQUIRE(::mkdir(writable.c_str(), 0755) == 0);
  std::string command = probe() + " report --write " + writable;
  std::string keys =
      "Type=oneshot\n"
      "PrivateTmp=yes\n"
      "ProtectSystem=strict\n"
      "ReadWritePaths=" +
      writable +
      "\n"
      "ProtectHome=yes\n"
      "NoNewPrivileges=yes\n"
      "CapabilityBoundingSet=~CAP_SYS_TIME\n"
      "RestrictAddressFamilies=AF_UNIX\n"
      "SystemCallFilter=~@clock\n"
      "SystemCallErrorNumber=EPERM\n";
  // dir is below the host's /tmp: PrivateTmp= hides it from the service.
  std::string host_tmp_entry = dir.path().substr(std::string("/tmp/").size());

  TestUnit sandboxed(dir, "sbx", command, {.extra = keys});
  RunResult start = sandboxed.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  nlohmann::json in = probe_report(sandboxed);
  INFO(in.dump(2));
  CHECK(in["ns"]["mnt"] != own_mount_ns());
  CHECK_FALSE(listed(in["list"]["/tmp"], host_tmp_entry));  // PrivateTmp=
  CHECK(in["write"]["/tmp"] == 0);                          // ... and writable
  CHECK(in["write"]["/usr"] == EROFS);                      // ProtectSystem=strict
  CHECK(in["write"]["/etc"] == EROFS);
  CHECK(in["write"][writable] == 0);  // ReadWritePaths=
  CHECK(in["write"]["/home"] != 0);   // ProtectHome=
  CHECK(in["status"]["NoNewPrivs"] == "1");
  CHECK_FALSE(bit_set(in["status"]["CapBnd"], kCapSysTime));
  CHECK(in["socket"]["AF_INET"] == EAFNOSUPPORT);
  CHECK(in["socket"]["AF_UNIX"] == 0);
  CHECK(in["clock_adjtime"] == EPERM);  // @clock denied with EPERM
  CHECK(in["status"]["Seccomp"] == "2");

  // The control: the same program without the keys.
  TestUnit plain(dir, "plain", command, {.extra = "Type=oneshot\n"});
  RunResult plain_start = plain.start();
  INFO(plain_start.describe());
  REQUIRE(plain_start.exit_code == 0);
  nlohmann::json out = probe_report(plain);
  INFO(out.dump(2));
  CHECK(out["ns"]["mnt"] == own_mount_ns());
  CHECK(listed(out["list"]["/tmp"], host_tmp_entry));
  CHECK(out["write"]["/usr"] == 0);
  CHECK(out["status"]["NoNewPrivs"] == "0");
  CHECK(bit_set(out["status"]["CapBnd"], kCapSysTime));
  CHECK(out["socket"]["AF_INET"] == 0);
  CHECK(out["clock_adjtime"] == 0);
  CHECK(out["status"]["Seccomp"] == "0");
}

TEST_CASE("unit sandbox: status names the protections in force, and memory and tasks beside their limits",
          "[unit-sandbox]") {
  TempDir dir;
  TestUnit u(dir, "sbxstatus", probe() + " sleep",
             {.extra = "NoNewPrivileges=yes\nProtectSystem=strict\nPrivateTmp=yes\nMemoryMax=64M\nTasksMax=20\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);

  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("Protection: ") != std::string::npos);
  CHECK(status.out.find("NoNewPrivileges=yes") != std::string::npos);
  CHECK(status.out.find("ProtectSystem=") != std::string::npos);
  CHECK(status.out.find("PrivateTmp=") != std::string::npos);
  CHECK(status.out.find("(limit: 20)") != std::string::npos);
  CHECK(status.out.find("(max: 64.0M)") != std::string::npos);

  nlohmann::json j = parse_json(u.status_json().out);
  INFO(j.dump(2));
  CHECK(j["memory_max"] == 64u * 1024 * 1024);
  CHECK(j["tasks_max"] == 20);
  CHECK(j["memory_bytes"].get<uint64_t>() > 0);
  REQUIRE(j["protections"].is_array());
  CHECK(listed(j["protections"], "NoNewPrivileges=yes"));

  // A unit without keys shows no such lines.
  TestUnit plain(dir, "sbxplain", probe() + " sleep");
  REQUIRE(plain.start().exit_code == 0);
  RunResult plain_status = plain.status();
  CHECK(plain_status.out.find("Protection: ") == std::string::npos);
  CHECK(plain_status.out.find("(limit: ") == std::string::npos);
}

TEST_CASE("unit sandbox: MemoryMax= OOM-kills the service, which fails with Result=oom-kill", "[unit-sandbox]") {
  TempDir dir;
  // 256 MiB touched against a 32 MiB limit (no swap to hide in).
  TestUnit hog(dir, "hog", probe() + " hog 256", {.extra = "Type=exec\nMemoryMax=32M\nMemorySwapMax=0\n"});
  RunResult start = hog.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  nlohmann::json j = wait_for_result(hog, "oom-kill");
  CHECK(j["active_state"] == "failed");
  RunResult status = hog.status();
  CHECK(status.out.find("oom-kill") != std::string::npos);

  // The control: with room, the same program ends well.
  TestUnit roomy(dir, "roomy", probe() + " hog 256", {.extra = "Type=exec\nMemoryMax=1G\n"});
  REQUIRE(roomy.start().exit_code == 0);
  nlohmann::json ok = wait_for_result(roomy, "success");
  CHECK(ok["active_state"] == "inactive");
}

// The OOM watch is armed by the monitor's loop once the start is answered
// (Monitor::arm_oom_watch()), not before the spawn: an OOM kill of a
// process other than the main one, which no exit of the main process
// reports, is still seen and stops the unit (OOMPolicy=stop).
TEST_CASE("unit sandbox: an OOM kill of a process other than the main one stops the unit, Result=oom-kill",
          "[unit-sandbox]") {
  TempDir dir;
  TestUnit side(dir, "sidehog", "/bin/sh -c \"" + probe() + " hog 256 & exec sleep 60\"",
                {.extra = "Type=exec\nMemoryMax=32M\nMemorySwapMax=0\n"});
  RunResult start = side.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  nlohmann::json j = wait_for_result(side, "oom-kill");
  CHECK(j["active_state"] == "failed");
  CHECK(side.nothing_running());
}

TEST_CASE("unit sandbox: TasksMax= stops a fork bomb with EAGAIN", "[unit-sandbox]") {
  TempDir dir;
  TestUnit bomb(dir, "bomb", probe() + " forkbomb 64", {.extra = "Type=oneshot\nTasksMax=16\n"});
  RunResult start = bomb.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  nlohmann::json capped = probe_report(bomb);
  CHECK(capped["forked"].get<int>() < 16);
  CHECK(capped["errno"] == EAGAIN);

  TestUnit free_bomb(dir, "freebomb", probe() + " forkbomb 64", {.extra = "Type=oneshot\n"});
  REQUIRE(free_bomb.start().exit_code == 0);
  nlohmann::json uncapped = probe_report(free_bomb);
  CHECK(uncapped["forked"] == 64);
  CHECK(uncapped["errno"] == 0);
}

TEST_CASE("unit sandbox: a protection that cannot be applied fails the start naming its key, unless best-effort",
          "[unit-sandbox]") {
  TempDir dir;
  std::string missing = dir / "no-such-directory";
  TestUnit strict(dir, "strictsbx", probe() + " sleep", {.extra = "ReadOnlyPaths=" + missing + "\n"});
  RunResult start = strict.start();
  INFO(start.describe());
  CHECK(start.exit_code != 0);
  CHECK(start.err.find("ReadOnlyPaths=") != std::string::npos);
  CHECK(strict.nothing_running());

  TestUnit lenient(dir, "lenientsbx", probe() + " sleep",
                   {.extra = "ReadOnlyPaths=" + missing + "\nX-Unitrun-Sandbox=best-effort\n"});
  RunResult lenient_start = lenient.start();
  INFO(lenient_start.describe());
  REQUIRE(lenient_start.exit_code == 0);
  RunResult status = lenient.status();
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("best-effort") != std::string::npos);
  CHECK(status.out.find("ReadOnlyPaths=") != std::string::npos);
}

// Delegate=yes: the service makes a sub-cgroup of its own in its v2
// directory and moves itself into it. The kernel keeps the sub-cgroup after
// the service ends, and an rmdir of the unit's directory is then EBUSY as
// if it had a member: the monitor's end must remove the empty subtree, as
// systemd trims a delegated one, or the unit's directories leak every run.
TEST_CASE("unit sandbox: Delegate=yes sub-cgroups the service left are removed after stop", "[unit-sandbox]") {
  if (::access("/sys/fs/cgroup/unified/cgroup.procs", W_OK) != 0 &&
      ::access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) != 0) {
    WARN("no writable cgroup v2 tree here");
    return;
  }
  TempDir dir;
  std::string script = dir.path() + "/delegated.sh";
  write_file(script,
             "#!/bin/sh\n"
             "set -e\n"
             "v2=$(grep -m1 ' - cgroup2 ' /proc/self/mountinfo | cut -d' ' -f5)\n"
             "own=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)\n"
             "mkdir \"$own/payload\" \"$own/payload/worker\" \"$own/idle\"\n"
             "echo $$ > \"$own/payload/worker/cgroup.procs\"\n"
             "exec sleep 1000\n",
             0755);
  TestUnit u(dir, "delegated", script, {.extra = "Type=exec\nDelegate=yes\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  // The service has moved itself below its own directory.
  std::vector<pid_t> services;
  REQUIRE(wait_in_own_worker(u, services));
  CHECK_FALSE(unit_cgroup_dirs(u.name()).empty());  // the pattern finds the unit's directories
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  REQUIRE(wait_exit(monitors[0], 30000));
  std::vector<std::string> left = unit_cgroup_dirs(u.name());
  std::string listing;
  for (const std::string& d : left) listing += d + "\n";
  INFO("left:\n" << listing);
  CHECK(left.empty());
  for (const std::string& d : left) {  // a failed run's, deepest first
    std::vector<std::string> all{d};
    std::error_code ec;
    for (auto e = std::filesystem::recursive_directory_iterator(d, ec); !ec && e != decltype(e){}; e.increment(ec))
      if (e->is_directory(ec)) all.push_back(e->path().string());
    for (auto it = all.rbegin(); it != all.rend(); ++it) (void)::rmdir(it->c_str());
  }
}

// A SIGKILLed monitor leaves a Delegate=yes service that lives only in a
// sub-cgroup of its own: stop must find it there (not only in the top
// directory's cgroup.procs), end it, and so let the next start through.
TEST_CASE("unit sandbox: stop after a SIGKILLed monitor ends a service in its own sub-cgroup and start works again",
          "[unit-sandbox]") {
  if (::access("/sys/fs/cgroup/unified/cgroup.procs", W_OK) != 0 &&
      ::access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) != 0) {
    WARN("no writable cgroup v2 tree here");
    return;
  }
  TempDir dir;
  std::string script = dir.path() + "/delegated.sh";
  write_file(script,
             "#!/bin/sh\n"
             "set -e\n"
             "v2=$(grep -m1 ' - cgroup2 ' /proc/self/mountinfo | cut -d' ' -f5)\n"
             "own=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)\n"
             "mkdir -p \"$own/payload/worker\"\n"
             "echo $$ > \"$own/payload/worker/cgroup.procs\"\n"
             "exec sleep 1000\n",
             0755);
  TestUnit u(dir, "delegkill", script, {.extra = "Type=exec\nDelegate=yes\nTimeoutStopSec=10\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  std::vector<pid_t> services;
  REQUIRE(wait_in_own_worker(u, services));
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  REQUIRE(::kill(monitors[0], SIGKILL) == 0);
  REQUIRE(wait_exit(monitors[0], 5000));
  reap_adopted();
  REQUIRE(alive(services[0]));

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(wait_exit(services[0], 15000));  // the service in payload/worker is gone

  RunResult again = u.start();
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  std::vector<pid_t> second = u.monitors();
  RunResult last = u.stop();
  INFO(last.describe());
  CHECK(last.exit_code == 0);
  for (pid_t m : second) CHECK(wait_exit(m, 30000));
  for (pid_t s : u.services()) (void)::kill(s, SIGKILL);  // a failed run's, so the next test starts clean
}

// A directory bind-mounted over a sub-cgroup is no cgroup: the removal
// of the subtree after stop never goes below it (O_NOFOLLOW alone still
// crosses the mount point).
TEST_CASE("unit sandbox: the removal of sub-cgroups after stop never enters a bind mount over one", "[unit-sandbox]") {
  if (::access("/sys/fs/cgroup/unified/cgroup.procs", W_OK) != 0 &&
      ::access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) != 0) {
    WARN("no writable cgroup v2 tree here");
    return;
  }
  TempDir dir;
  std::string outside = dir.path() + "/outside";
  REQUIRE(::mkdir(outside.c_str(), 0755) == 0);
  REQUIRE(::mkdir((outside + "/victim").c_str(), 0755) == 0);
  std::string script = dir.path() + "/mounter.sh";
  write_file(script,
             "#!/bin/sh\n"
             "set -e\n"
             "v2=$(grep -m1 ' - cgroup2 ' /proc/self/mountinfo | cut -d' ' -f5)\n"
             "own=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)\n"
             "mkdir \"$own/payload\"\n"
             "mount --bind " +
                 outside +
                 " \"$own/payload\"\n"
                 "echo \"$own/payload\" > " +
                 dir.path() +
                 "/mounted\n"
                 "exec sleep 1000\n",
             0755);
  TestUnit u(dir, "bindover", script, {.extra = "Type=exec\nDelegate=yes\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  std::optional<std::string> mounted;
  REQUIRE(wait_until([&] { return (mounted = read_file(dir.path() + "/mounted")).has_value() && !mounted->empty(); },
                     10000));
  std::string point = mounted->substr(0, mounted->find('\n'));
  std::vector<pid_t> monitors = u.monitors();
  RunResult stop = u.stop();
  INFO(stop.describe());
  for (pid_t m : monitors) CHECK(wait_exit(m, 30000));
  CHECK(::access((outside + "/victim").c_str(), F_OK) == 0);  // outside cgroupfs: untouched
  // Clean up: the mount, then the unit's directories.
  CHECK(::umount2(point.c_str(), MNT_DETACH) == 0);
  std::string top = point.substr(0, point.rfind('/'));
  (void)::rmdir(point.c_str());
  (void)::rmdir(top.c_str());
  // The other trees' directories, kept while the v2 one was.
  remove_unit_cgroups(u.name() + ".");
}

// A v1 directory an earlier run left may still have members of its own (a
// live older run): its removal after this run ends keeps all of it, its
// empty sub-cgroups too.
TEST_CASE("unit sandbox: a v1 leftover with members of its own keeps its empty sub-cgroups", "[unit-sandbox]") {
  if (::access("/sys/fs/cgroup/freezer/unitrun", W_OK) != 0 ||
      (::access("/sys/fs/cgroup/unified/cgroup.procs", W_OK) != 0 &&
       ::access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) != 0)) {
    WARN("no v1 freezer hierarchy beside a writable v2 tree here");
    return;
  }
  TempDir dir;
  TestUnit u(dir, "v1left", "/bin/sleep 1000", {.extra = "Type=exec\n"});
  std::string left = "/sys/fs/cgroup/freezer/unitrun/" + u.name() + ".service";
  REQUIRE(::mkdir(left.c_str(), 0755) == 0);
  REQUIRE(::mkdir((left + "/sub").c_str(), 0755) == 0);
  pid_t older = ::fork();
  REQUIRE(older >= 0);
  if (older == 0) {
    ::execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  write_file(left + "/cgroup.procs", std::to_string(older) + "\n");
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 0);
  std::vector<pid_t> monitors = u.monitors();
  RunResult stop = u.stop();
  INFO(stop.describe());
  for (pid_t m : monitors) CHECK(wait_exit(m, 30000));
  CHECK(::access((left + "/sub").c_str(), F_OK) == 0);  // the live older run's, kept
  ::kill(older, SIGKILL);
  int status = 0;
  ::waitpid(older, &status, 0);
  (void)::rmdir((left + "/sub").c_str());
  (void)::rmdir(left.c_str());
}

TEST_CASE("orphans: after the monitor is SIGKILLed, the unit's cgroup finds a setsid()'d grandchild", "[orphans]") {
  TempDir dir;
  TestUnit u(dir, "escapee", probe() + " escape");
  REQUIRE(u.start().exit_code == 0);
  // The grandchild's PID, which the service prints once it runs.
  pid_t escapee = 0;
  REQUIRE(wait_until(
      [&] {
        auto log = read_file(u.log());
        if (!log || log->find('\n') == std::string::npos) return false;
        escapee = std::stoi(*log);
        return true;
      },
      30000));
  auto escapee_stat = proc_stat(escapee);
  REQUIRE(escapee_stat);
  std::optional<pid_t> main_pid = read_pidfile(u.pidfile());
  REQUIRE(main_pid);
  auto main_stat = proc_stat(*main_pid);
  REQUIRE(main_stat);
  // Another session than the service's: nothing but the cgroup links it.
  CHECK(escapee_stat->sid != main_stat->sid);

  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  REQUIRE(::kill(monitors[0], SIGKILL) == 0);
  REQUIRE(wait_exit(monitors[0], 30000));

  // status counts it.
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.out.find(std::to_string(escapee)) != std::string::npos);

  // start ends what the dead monitor left, then starts one copy.
  RunResult again = u.start();
  INFO(again.describe());
  REQUIRE(again.exit_code == 0);
  // Dead, not merely unreaped: PID 1 here reaps orphans late.
  CHECK_FALSE((still_there(escapee, escapee_stat->start_time) && alive(escapee)));

  // stop ends the new copy, grandchild included.
  pid_t second = 0;
  REQUIRE(wait_until(
      [&] {
        auto log = read_file(u.log());
        if (!log) return false;
        size_t nl = log->find('\n');
        if (nl == std::string::npos || log->find('\n', nl + 1) == std::string::npos) return false;
        second = std::stoi(log->substr(nl + 1));
        return true;
      },
      30000));
  auto second_stat = proc_stat(second);
  REQUIRE(second_stat);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK_FALSE((still_there(second, second_stat->start_time) && alive(second)));
  CHECK(u.nothing_running());
}

namespace {

// The System V shared memory segments whose creator is `uid`.
std::vector<int> sysv_shm_of(uid_t uid) {
  std::vector<int> ids;
  auto text = read_file("/proc/sysvipc/shm");
  REQUIRE(text);
  std::istringstream in(*text);
  std::string line;
  std::getline(in, line);  // key shmid perms size cpid lpid nattch uid gid cuid ...
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long long key, shmid, perms, size, cpid, lpid, nattch, owner, gid, cuid;
    if (f >> key >> shmid >> perms >> size >> cpid >> lpid >> nattch >> owner >> gid >> cuid && cuid == uid)
      ids.push_back(static_cast<int>(shmid));
  }
  return ids;
}

}  // namespace

// A uid of its own (numeric, no passwd entry, with Group=): no other process
// on the machine runs as it, so "the user has no process left" holds.
TEST_CASE("unit sandbox: RemoveIPC= removes the IPC objects of the unit's user when it stops, and only then",
          "[unit-sandbox]") {
  TempDir dir;
  uid_t uid = static_cast<uid_t>(61000 + (::getpid() % 2000) * 2);
  bool remove = GENERATE(true, false);
  if (!remove) ++uid;  // the control: the same service, without RemoveIPC=
  INFO("RemoveIPC=" << remove << ", uid " << uid);
  std::string id = std::to_string(uid);
  std::string shm_file = "/dev/shm/unitrun-itest-" + id;
  std::string root_file = shm_file + ".root";  // not the user's: stays
  write_file(root_file, "");
  TestUnit u(dir, "ipc",
             "/bin/sh -c 'ipcmk -M 4096 && : > " + shm_file + " && ln -s /etc/passwd " + shm_file + ".link'",
             {.extra = "Type=oneshot\nRemainAfterExit=yes\nUser=" + id + "\nGroup=" + id + "\n" +
                       (remove ? "RemoveIPC=yes\n" : ""),
              .pidfile = ""});
  RunResult r = u.start();
  INFO(r.describe() << "\nlog: " << read_file(u.log()).value_or(""));
  REQUIRE(r.exit_code == 0);
  REQUIRE(sysv_shm_of(uid).size() == 1);
  REQUIRE(exists(shm_file));
  REQUIRE(exists(shm_file + ".link"));
  RunResult status = u.status();
  INFO(status.describe());
  CHECK((status.out.find("RemoveIPC=yes") != std::string::npos) == remove);

  RunResult stopped = u.stop();
  INFO(stopped.describe());
  REQUIRE(stopped.exit_code == 0);
  if (remove) {
    CHECK(sysv_shm_of(uid).empty());
    CHECK_FALSE(exists(shm_file));
    CHECK_FALSE(exists(shm_file + ".link"));
    CHECK(exists("/etc/passwd"));  // the link was removed, not followed
  } else {
    CHECK(sysv_shm_of(uid).size() == 1);
    CHECK(exists(shm_file));
    CHECK(exists(shm_file + ".link"));
  }
  CHECK(exists(root_file));
  for (int shmid : sysv_shm_of(uid)) (void)::shmctl(shmid, IPC_RMID, nullptr);  // clean up after the control
  remove_file(shm_file);
  remove_file(shm_file + ".link");
  remove_file(root_file);
}
