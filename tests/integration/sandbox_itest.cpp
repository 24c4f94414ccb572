// The sandbox and the cgroup, looked at from inside: real processes started
// through process::spawn with a SandboxSpec (the unit keys are not wired yet),
// each running tests/helpers/sandboxprobe, which reports what it sees. Every
// protection is checked both ways: with the setting the thing is refused,
// without it the same probe succeeds, so a test that cannot fail fails.
// Needs root (namespaces, cgroups), as the other integration tests.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/sys.h"
#include "helper_outside_tmp.h"
#include "process/cgroup.h"
#include "process/sandbox.h"
#include "process/spawn.h"

using namespace unitrun;
using nlohmann::json;
using process::SandboxSpec;

namespace {

std::string probe() { return itest::helper_outside_tmp(HELPERS_DIR, "sandboxprobe"); }

std::string unique(const std::string& prefix) {
  static int n = 0;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

// A directory of the test's, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = "/var/tmp/unitrun-sbx-XXXXXX";  // not /tmp: PrivateTmp= hides that
    REQUIRE(::mkdtemp(pattern.data()));
    path = pattern;
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct Options {
  std::optional<process::Credentials> credentials;
  const process::UnitCgroup* cgroup = nullptr;
  const process::PrivateTmp* private_tmp = nullptr;
  bool wait = true;
  int timeout_ms = 30000;
};

struct Outcome {
  process::SpawnResult spawn;
  std::vector<std::string> plan_warnings;
  int status = -1;  // wait status
  std::string out, err;
  json report;
  bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

std::string read_fd(int fd) {
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Waits for pid (our child) up to timeout_ms; SIGKILLs it after that.
int wait_child(pid_t pid, int timeout_ms) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    struct pollfd p = {pidfd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) == 0) ::kill(pid, SIGKILL);
    ::close(pidfd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

process::ExecSpec exec_spec(const std::vector<std::string>& args, int out, int err) {
  process::ExecSpec e;
  e.program = probe();
  e.argv = {"sandboxprobe"};
  for (const std::string& a : args) e.argv.push_back(a);
  e.env = {"PATH=/usr/bin:/bin"};
  e.stdout_fd = out;
  e.stderr_fd = err;
  return e;
}

// Spawns sandboxprobe ARGS in the sandbox `spec`; with o.wait, waits for it
// and parses its report when it printed one.
Outcome run(const SandboxSpec& spec, const std::vector<std::string>& args, const Options& o = {}) {
  Outcome r;
  process::PlanContext ctx;
  ctx.unit_name = unique("sbx");
  ctx.credentials = o.credentials;
  if (o.private_tmp) {
    ctx.private_tmp_dir = o.private_tmp->tmp();
    ctx.private_var_tmp_dir = o.private_tmp->var_tmp();
  }
  auto plan = process::build_plan(spec, ctx);
  INFO((plan ? "" : plan.error().message()));
  REQUIRE(plan);
  r.plan_warnings = plan->warnings;
  int out = ::memfd_create("probe-out", MFD_CLOEXEC), err = ::memfd_create("probe-err", MFD_CLOEXEC);
  REQUIRE(out >= 0);
  REQUIRE(err >= 0);
  process::ExecSpec e = exec_spec(args, out, err);
  e.credentials = o.credentials;
  e.sandbox = &*plan;
  e.cgroup = o.cgroup;
  r.spawn = process::spawn(e);
  if (r.spawn.ok() && o.wait) {
    r.status = wait_child(r.spawn.pid, o.timeout_ms);
    r.out = read_fd(out);
    r.err = read_fd(err);
    if (!r.out.empty() && r.out[0] == '{') r.report = json::parse(r.out, nullptr, false);
  }
  ::close(out);
  ::close(err);
  return r;
}

// The report of a probe that must have run to its end.
json report(const SandboxSpec& spec, const std::vector<std::string>& extra = {}, const Options& o = {}) {
  std::vector<std::string> args{"report"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome r = run(spec, args, o);
  INFO("spawn: " << r.spawn.failed_step << " " << std::strerror(r.spawn.error) << "; stderr: " << r.err);
  REQUIRE(r.spawn.ok());
  INFO("wait status " << r.status << ", stdout: " << r.out);
  REQUIRE(r.exited_ok());
  REQUIRE(r.report.is_object());
  return r.report;
}

uint64_t hex_caps(const json& report, const char* field) {
  return std::stoull(report["status"][field].get<std::string>(), nullptr, 16);
}

process::Credentials nobody() {
  struct passwd* pw = ::getpwnam("nobody");
  REQUIRE(pw);
  process::Credentials c;
  c.uid = pw->pw_uid;
  c.gid = pw->pw_gid;
  c.groups = {pw->pw_gid};
  return c;
}

std::string own_ns(const char* ns) {
  char buf[256] = {0};
  ssize_t n = ::readlink((std::string("/proc/self/ns/") + ns).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool listed(const json& list, const std::string& name) {
  if (!list.is_array()) return false;
  for (const auto& e : list)
    if (e.get<std::string>() == name) return true;
  return false;
}

// A block device of this machine, for "PrivateDevices= hides the disks".
std::string some_block_device() {
  for (const auto& e : std::filesystem::directory_iterator("/dev")) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISBLK(st.st_mode)) return e.path().string();
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------- file-system view

TEST_CASE("sandbox: PrivateTmp= gives the service its own /tmp and /var/tmp, shared by the unit's processes",
          "[sandbox]") {
  std::string marker = "/tmp/" + unique("unitrun-host-marker");
  std::ofstream(marker) << "host";
  SandboxSpec plain;
  json seen = report(plain);
  CHECK(listed(seen["list"]["/tmp"], marker.substr(5)));  // without it, the host's /tmp

  auto tmp = process::PrivateTmp::create(unique("sbx-ptmp"));
  REQUIRE(tmp);
  SandboxSpec spec;
  spec.private_tmp = true;
  Options o;
  o.private_tmp = &*tmp;
  std::ofstream(tmp->tmp() + "/left-by-ExecStartPre") << "x";
  json r = report(spec, {}, o);
  CHECK_FALSE(listed(r["list"]["/tmp"], marker.substr(5)));
  CHECK(listed(r["list"]["/tmp"], "left-by-ExecStartPre"));  // every process of the unit sees the same /tmp
  CHECK(r["write"]["/tmp"] == 0);
  CHECK(r["write"]["/var/tmp"] == 0);
  std::string outer = tmp->tmp().substr(0, tmp->tmp().rfind('/'));
  REQUIRE(tmp->remove());
  CHECK_FALSE(std::filesystem::exists(outer));
  ::unlink(marker.c_str());
}

TEST_CASE("sandbox: ProtectSystem=strict makes / read-only except the API file systems and ReadWritePaths=",
          "[sandbox]") {
  TempDir carve;
  SandboxSpec plain;
  json before = report(plain, {"--write", carve.path});
  CHECK(before["write"]["/usr"] == 0);
  CHECK(before["write"]["/etc"] == 0);

  SandboxSpec spec;
  spec.protect_system = process::ProtectSystem::Strict;
  spec.read_write_paths = {carve.path};
  json r = report(spec, {"--write", carve.path, "--write", "/dev/shm"});
  CHECK(r["write"]["/usr"] == EROFS);
  CHECK(r["write"]["/etc"] == EROFS);
  CHECK(r["write"]["/var"] == EROFS);
  CHECK(r["write"]["/var/tmp"] == EROFS);
  CHECK(r["write"][carve.path] == 0);  // the carve-out
  CHECK(r["write"]["/dev/shm"] == 0);  // /dev is left to PrivateDevices=
  CHECK(r["devnull_write"] == 0);
}

TEST_CASE("sandbox: ProtectSystem=yes and full: /usr read-only, /etc only with full", "[sandbox]") {
  SandboxSpec yes;
  yes.protect_system = process::ProtectSystem::Yes;
  json r = report(yes);
  CHECK(r["write"]["/usr"] == EROFS);
  CHECK(r["write"]["/etc"] == 0);
  CHECK(r["write"]["/var"] == 0);

  SandboxSpec full;
  full.protect_system = process::ProtectSystem::Full;
  json f = report(full);
  CHECK(f["write"]["/usr"] == EROFS);
  CHECK(f["write"]["/etc"] == EROFS);
  CHECK(f["write"]["/var"] == 0);
}

TEST_CASE("sandbox: ProtectHome= yes, read-only, tmpfs", "[sandbox]") {
  std::string mine = "/home/" + unique("unitrun-probe-home");
  REQUIRE(::mkdir(mine.c_str(), 0755) == 0);
  std::string name = mine.substr(6);
  SandboxSpec plain;
  json before = report(plain);
  CHECK(listed(before["list"]["/home"], name));
  CHECK(before["write"]["/home"] == 0);

  SandboxSpec yes;
  yes.protect_home = process::ProtectHome::Yes;
  json y = report(yes);
  CHECK(y["list"]["/home"].is_array());
  CHECK(y["list"]["/home"].empty());  // an empty 000 directory (root reads it, and finds nothing)
  CHECK(y["write"]["/home"] != 0);

  SandboxSpec ro;
  ro.protect_home = process::ProtectHome::ReadOnly;
  json r = report(ro);
  CHECK(listed(r["list"]["/home"], name));
  CHECK(r["write"]["/home"] == EROFS);

  SandboxSpec tmpfs;
  tmpfs.protect_home = process::ProtectHome::Tmpfs;
  json t = report(tmpfs);
  CHECK(t["list"]["/home"].is_array());
  CHECK(t["list"]["/home"].empty());
  CHECK(t["write"]["/home"] == EROFS);
  ::rmdir(mine.c_str());
}

TEST_CASE("sandbox: InaccessiblePaths= hides a directory, ReadOnlyPaths= makes one read-only", "[sandbox]") {
  TempDir dir;
  std::string secret = dir.path + "/secret", ro = dir.path + "/ro";
  REQUIRE(::mkdir(secret.c_str(), 0755) == 0);
  REQUIRE(::mkdir(ro.c_str(), 0755) == 0);
  std::ofstream(secret + "/key") << "k";
  SandboxSpec plain;
  json before = report(plain, {"--exists", secret + "/key", "--write", ro});
  CHECK(before["exists"][secret + "/key"] == true);
  CHECK(before["write"][ro] == 0);

  SandboxSpec spec;
  spec.inaccessible_paths = {secret, "-/nonexistent/unitrun/path"};
  spec.read_only_paths = {ro};
  json r = report(spec, {"--exists", secret + "/key", "--write", ro});
  CHECK(r["exists"][secret + "/key"] == false);
  CHECK(r["write"][ro] == EROFS);

  SandboxSpec missing;
  missing.inaccessible_paths = {"/nonexistent/unitrun/path"};
  auto plan = process::build_plan(missing, {});
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message() == "InaccessiblePaths=: /nonexistent/unitrun/path: No such file or directory");
}

TEST_CASE("sandbox: NoExecPaths= forbids running programs below it, ExecPaths= carves out", "[sandbox]") {
  TempDir dir;
  std::string blocked = dir.path + "/blocked", allowed = dir.path + "/allowed";
  REQUIRE(::mkdir(blocked.c_str(), 0755) == 0);
  REQUIRE(::mkdir(allowed.c_str(), 0755) == 0);
  for (const std::string& d : {blocked, allowed}) {
    std::filesystem::copy_file("/bin/true", d + "/true");
    ::chmod((d + "/true").c_str(), 0755);
  }
  std::vector<std::string> args{"--exec", blocked + "/true", "--exec", allowed + "/true"};
  json before = report(SandboxSpec{}, args);
  CHECK(before["exec"][blocked + "/true"] == 0);
  CHECK(before["exec"][allowed + "/true"] == 0);
  SandboxSpec spec;
  spec.no_exec_paths = {dir.path};
  spec.exec_paths = {allowed};
  json r = report(spec, args);
  CHECK(r["exec"][blocked + "/true"] == EACCES);
  CHECK(r["exec"][allowed + "/true"] == 0);
}

TEST_CASE("sandbox: PrivateDevices= gives /dev with the pseudo devices only", "[sandbox]") {
  std::string disk = some_block_device();
  REQUIRE_FALSE(disk.empty());
  SandboxSpec plain;
  json before = report(plain, {"--exists", disk});
  CHECK(before["exists"][disk] == true);
  CHECK(hex_caps(before, "CapBnd") & (1ULL << 27));  // CAP_MKNOD

  SandboxSpec spec;
  spec.private_devices = true;
  json r = report(spec, {"--exists", disk, "--exists", "/dev/urandom", "--exists", "/dev/pts/ptmx"});
  CHECK(r["exists"][disk] == false);
  CHECK(r["exists"]["/dev/null"] == true);
  CHECK(r["exists"]["/dev/urandom"] == true);
  CHECK(r["exists"]["/dev/shm"] == true);
  CHECK(r["exists"]["/dev/pts/ptmx"] == true);
  CHECK(r["devnull_write"] == 0);
  CHECK_FALSE(hex_caps(r, "CapBnd") & (1ULL << 27));  // CAP_MKNOD dropped
  CHECK_FALSE(hex_caps(r, "CapBnd") & (1ULL << 17));  // CAP_SYS_RAWIO dropped
}

TEST_CASE("sandbox: TemporaryFileSystem= and BindReadOnlyPaths=", "[sandbox]") {
  TempDir src, dst;
  std::ofstream(src.path + "/file") << "x";
  SandboxSpec spec;
  auto binds = process::parse_bind_paths(src.path + ":" + dst.path + "/mnt", true);
  REQUIRE(binds);
  spec.bind_paths = *binds;
  auto tmpfs = process::parse_temporary_file_system("/mnt:ro");
  REQUIRE(tmpfs);
  spec.temporary_file_system = *tmpfs;
  json r = report(
      spec, {"--exists", dst.path + "/mnt/file", "--write", dst.path + "/mnt", "--write", "/mnt", "--list", "/mnt"});
  CHECK(r["exists"][dst.path + "/mnt/file"] == true);
  CHECK(r["write"][dst.path + "/mnt"] == EROFS);
  CHECK(r["write"]["/mnt"] == EROFS);
  CHECK(r["list"]["/mnt"].empty());
  CHECK_FALSE(std::filesystem::exists(dst.path + "/mnt/file"));  // nothing leaked to the host
}

TEST_CASE("sandbox: ProtectKernelTunables=, ProtectControlGroups=, ProcSubset=, ProtectProc=", "[sandbox]") {
  SandboxSpec plain;
  Options as_nobody;
  as_nobody.credentials = nobody();
  json before = report(plain, {}, as_nobody);
  json root_before =
      report(plain, {"--openw", "/proc/sys/kernel/domainname", "--openw", "/sys/fs/cgroup/pids/cgroup.procs"});
  CHECK(root_before["openw"]["/proc/sys/kernel/domainname"] == 0);
  CHECK(root_before["openw"]["/sys/fs/cgroup/pids/cgroup.procs"] == 0);
  CHECK(root_before["exists"]["/proc/sys"] == true);

  SandboxSpec spec;
  spec.protect_kernel_tunables = true;
  spec.protect_control_groups = true;
  spec.proc_subset = process::ProcSubset::Pid;
  json r = report(
      spec, {"--openw", "/sys/kernel/mm/transparent_hugepage/enabled", "--openw", "/sys/fs/cgroup/pids/cgroup.procs"});
  CHECK(r["openw"]["/sys/kernel/mm/transparent_hugepage/enabled"] == EROFS);
  CHECK(r["openw"]["/sys/fs/cgroup/pids/cgroup.procs"] == EROFS);
  CHECK(r["exists"]["/proc/sys"] == false);  // subset=pid

  SandboxSpec kt;
  kt.protect_kernel_tunables = true;
  json k = report(kt, {"--openw", "/proc/sys/kernel/domainname"});
  CHECK(k["openw"]["/proc/sys/kernel/domainname"] == EROFS);

  // hidepid=invisible: a user sees only its own processes.
  CHECK(before["exists"]["/proc/1"] == true);
  SandboxSpec invisible;
  invisible.protect_proc = process::ProtectProc::Invisible;
  json i = report(invisible, {}, as_nobody);
  CHECK(i["exists"]["/proc/1"] == false);
}

TEST_CASE("sandbox: RootDirectory= with bound system directories", "[sandbox]") {
  TempDir root;
  for (const char* d : {"/usr", "/proc", "/dev", "/tmp", "/helpers"})
    REQUIRE(::mkdir((root.path + d).c_str(), 0755) == 0);
  for (const char* l : {"lib", "lib64", "bin", "sbin"})
    REQUIRE(::symlink((std::string("usr/") + l).c_str(), (root.path + "/" + l).c_str()) == 0);
  SandboxSpec spec;
  spec.root_directory = root.path;
  spec.bind_paths = {{"/usr", "/usr", true, true, false},
                     {HELPERS_DIR, "/helpers", true, false, false},
                     {"/proc", "/proc", false, true, false},
                     {"/dev", "/dev", false, true, false}};
  process::PlanContext ctx;
  ctx.unit_name = unique("sbx-root");
  auto plan = process::build_plan(spec, ctx);
  INFO((plan ? "" : plan.error().message()));
  REQUIRE(plan);
  int out = ::memfd_create("out", MFD_CLOEXEC);
  process::ExecSpec e = exec_spec({"report"}, out, out);
  e.program = "/helpers/sandboxprobe";
  e.sandbox = &*plan;
  auto s = process::spawn(e);
  INFO(s.failed_step << ": " << std::strerror(s.error));
  REQUIRE(s.ok());
  int status = wait_child(s.pid, 20000);
  std::string text = read_fd(out);
  ::close(out);
  INFO(text);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  json r = json::parse(text);
  CHECK(listed(r["list"]["/"], "helpers"));
  CHECK_FALSE(listed(r["list"]["/"], "etc"));  // the host's / is out of sight
  CHECK(r["write"]["/usr"] == EROFS);
}

// ---------------------------------------------------------------- namespaces

TEST_CASE("sandbox: PrivateNetwork= leaves only lo, up", "[sandbox]") {
  SandboxSpec plain;
  json before = report(plain);
  CHECK(before["ns"]["net"] == own_ns("net"));

  SandboxSpec spec;
  spec.private_network = true;
  json r = report(spec);
  CHECK(r["ns"]["net"] != own_ns("net"));
  REQUIRE(r["interfaces"].is_array());
  CHECK(r["interfaces"].size() == 1);
  CHECK(r["interfaces"][0] == "lo");
  CHECK(r["socket"]["AF_INET"] == 0);
}

TEST_CASE("sandbox: ProtectHostname= gives a UTS namespace and refuses sethostname()", "[sandbox]") {
  SandboxSpec plain;
  json before = report(plain);
  CHECK(before["ns"]["uts"] == own_ns("uts"));
  CHECK(before["sethostname"] == 0);  // the same name again: harmless

  SandboxSpec spec;
  spec.protect_hostname = true;
  json r = report(spec);
  CHECK(r["ns"]["uts"] != own_ns("uts"));
  CHECK(r["sethostname"] == EPERM);
  CHECK(r["hostname"] == before["hostname"]);
}

TEST_CASE("sandbox: PrivateIPC= and PrivateUsers=", "[sandbox]") {
  SandboxSpec spec;
  spec.private_ipc = true;
  spec.private_users = true;
  Options o;
  o.credentials = nobody();
  json r = report(spec, {}, o);
  CHECK(r["ns"]["ipc"] != own_ns("ipc"));
  CHECK(r["ns"]["user"] != own_ns("user"));
  std::string map = r["uid_map"];
  CHECK(map.find(" 0 ") != std::string::npos);
  CHECK(map.find(std::to_string(o.credentials->uid)) != std::string::npos);
  CHECK(r["status"]["Uid"].get<std::string>().rfind(std::to_string(o.credentials->uid), 0) == 0);

  SandboxSpec plain;
  json before = report(plain, {}, o);
  CHECK(before["ns"]["user"] == own_ns("user"));
}

// ---------------------------------------------------------------- process restrictions

TEST_CASE("sandbox: NoNewPrivileges= sets no_new_privs", "[sandbox]") {
  SandboxSpec plain;
  CHECK(report(plain)["status"]["NoNewPrivs"] == "0");
  SandboxSpec spec;
  spec.no_new_privileges = true;
  CHECK(report(spec)["status"]["NoNewPrivs"] == "1");
}

TEST_CASE("sandbox: CapabilityBoundingSet= drops a capability from the bounding and effective sets", "[sandbox]") {
  const uint64_t net_raw = 1ULL << 13;
  SandboxSpec plain;
  json before = report(plain);
  CHECK(hex_caps(before, "CapBnd") & net_raw);
  CHECK(hex_caps(before, "CapEff") & net_raw);

  SandboxSpec spec;
  spec.capability_bounding_set = {"~CAP_NET_RAW"};
  json r = report(spec);
  CHECK_FALSE(hex_caps(r, "CapBnd") & net_raw);
  CHECK_FALSE(hex_caps(r, "CapEff") & net_raw);
  CHECK(hex_caps(r, "CapEff") & (1ULL << 12));  // CAP_NET_ADMIN kept
  CHECK(r["socket"]["AF_PACKET"] == EPERM);     // a raw socket needs CAP_NET_RAW
  CHECK(before["socket"]["AF_PACKET"] == 0);
}

TEST_CASE("sandbox: AmbientCapabilities= reach a service running as nobody", "[sandbox]") {
  const uint64_t bind = 1ULL << 10;  // CAP_NET_BIND_SERVICE
  Options o;
  o.credentials = nobody();
  SandboxSpec plain;
  json before = report(plain, {}, o);
  CHECK(hex_caps(before, "CapEff") == 0);

  SandboxSpec spec;
  spec.ambient_capabilities = {"CAP_NET_BIND_SERVICE"};
  json r = report(spec, {}, o);
  CHECK(hex_caps(r, "CapAmb") == bind);
  CHECK(hex_caps(r, "CapEff") == bind);
  CHECK(hex_caps(r, "CapPrm") == bind);
  CHECK(r["status"]["Uid"].get<std::string>().rfind(std::to_string(o.credentials->uid), 0) == 0);
}

TEST_CASE("sandbox: SystemCallFilter= deny list returns SystemCallErrorNumber=, kills without it", "[sandbox]") {
  SandboxSpec plain;
  json before = report(plain);
  CHECK(before["clock_adjtime"] == 0);
  CHECK(before["umount"] == ENOENT);

  SandboxSpec spec;
  spec.system_call_filter = {"~@clock @mount"};
  spec.system_call_error_number = "EUCLEAN";
  json r = report(spec);
  CHECK(r["clock_adjtime"] == EUCLEAN);
  CHECK(r["umount"] == EUCLEAN);
  CHECK(r["status"]["Seccomp"] == "2");

  SandboxSpec kill;
  kill.system_call_filter = {"~@mount"};
  Outcome k = run(kill, {"umount"});
  REQUIRE(k.spawn.ok());
  CHECK(WIFSIGNALED(k.status));
  CHECK(WTERMSIG(k.status) == SIGSYS);
  SandboxSpec none;
  CHECK(run(none, {"umount"}).exited_ok());
}

TEST_CASE("sandbox: SystemCallFilter=@system-service runs a normal program and denies the rest", "[sandbox]") {
  SandboxSpec spec;
  spec.system_call_filter = {"@system-service"};
  spec.system_call_error_number = "EPERM";
  json r = report(spec);  // ran to the end: fork, mmap, sockets, files...
  CHECK(r["socket"]["AF_INET"] == 0);
  CHECK(r["umount"] == EPERM);
  CHECK(r["clock_adjtime"] == EPERM);
  CHECK(r["devnull_write"] == 0);

  // A later "~" line takes calls out of the allow list again.
  spec.system_call_filter.push_back("~@network-io");
  json less = report(spec);
  CHECK(less["socket"]["AF_INET"] == EPERM);
}

TEST_CASE("sandbox: RestrictAddressFamilies=AF_UNIX makes an AF_INET socket fail with EAFNOSUPPORT", "[sandbox]") {
  SandboxSpec plain;
  CHECK(report(plain)["socket"]["AF_INET"] == 0);
  SandboxSpec spec;
  spec.restrict_address_families = {"AF_UNIX"};
  json r = report(spec);
  CHECK(r["socket"]["AF_INET"] == EAFNOSUPPORT);
  CHECK(r["socket"]["AF_INET6"] == EAFNOSUPPORT);
  CHECK(r["socket"]["AF_NETLINK"] == EAFNOSUPPORT);
  CHECK(r["socket"]["AF_UNIX"] == 0);
  SandboxSpec deny;
  deny.restrict_address_families = {"~AF_INET6"};
  json d = report(deny);
  CHECK(d["socket"]["AF_INET6"] == EAFNOSUPPORT);
  CHECK(d["socket"]["AF_INET"] == 0);
}

TEST_CASE(
    "sandbox: MemoryDenyWriteExecute=, RestrictNamespaces=, RestrictRealtime=, RestrictSUIDSGID=, "
    "LockPersonality=",
    "[sandbox]") {
  SandboxSpec plain;
  json before = report(plain);
  CHECK(before["mmap_wx"] == 0);
  CHECK(before["mprotect_x"] == 0);
  CHECK(before["unshare_uts"] == 0);
  CHECK(before["sched_fifo"] == 0);
  CHECK(before["chmod_suid"] == 0);
  CHECK((before["fchmodat2_suid"] == 0 || before["fchmodat2_suid"] == ENOSYS));
  CHECK(before["personality"] == 0);

  SandboxSpec spec;
  spec.memory_deny_write_execute = true;
  spec.restrict_namespaces = {"yes"};
  spec.restrict_realtime = true;
  spec.restrict_suid_sgid = true;
  spec.lock_personality = true;
  json r = report(spec);
  CHECK(r["mmap_wx"] == EPERM);
  CHECK(r["mprotect_x"] == EPERM);
  CHECK(r["unshare_uts"] == EPERM);
  CHECK(r["sched_fifo"] == EPERM);
  CHECK(r["chmod_suid"] == EPERM);
  CHECK(r["fchmodat2_suid"] == EPERM);
  CHECK(r["personality"] == EPERM);

  SandboxSpec some;
  some.restrict_namespaces = {"~uts"};
  CHECK(report(some)["unshare_uts"] == EPERM);
  some.restrict_namespaces = {"uts"};
  CHECK(report(some)["unshare_uts"] == 0);
}

TEST_CASE("sandbox: ProtectClock=, ProtectKernelLogs=, ProtectKernelModules= (seccomp and capabilities)", "[sandbox]") {
  SandboxSpec plain;
  json before = report(plain);
  CHECK(before["clock_adjtime"] == 0);
  CHECK(before["syslog"] == 0);
  SandboxSpec spec;
  spec.protect_clock = true;
  spec.protect_kernel_logs = true;
  spec.protect_kernel_modules = true;
  json r = report(spec, {"--exists", "/usr/lib/modules/.", "--list", "/usr/lib/modules"});
  CHECK(r["clock_adjtime"] == EPERM);
  CHECK(r["syslog"] == EPERM);
  uint64_t bnd = hex_caps(r, "CapBnd");
  CHECK_FALSE(bnd & (1ULL << 25));  // CAP_SYS_TIME
  CHECK_FALSE(bnd & (1ULL << 34));  // CAP_SYSLOG
  CHECK_FALSE(bnd & (1ULL << 16));  // CAP_SYS_MODULE
  if (std::filesystem::exists("/usr/lib/modules")) CHECK(r["list"]["/usr/lib/modules"].empty());
}

TEST_CASE("sandbox: SystemCallArchitectures=native, SystemCallLog= and SecureBits= are loaded and set", "[sandbox]") {
  SandboxSpec plain;
  json before = report(plain);
  CHECK(before["status"]["Seccomp_filters"] == "0");
  CHECK(before["securebits"] == 0);
  SandboxSpec spec;
  spec.system_call_architectures = {"native"};
  spec.system_call_log = {"@obsolete"};
  spec.secure_bits = {"noroot noroot-locked"};
  json r = report(spec);
  // One program for the architectures, one per ABI for the log (3 on x86-64).
  CHECK(std::stoi(r["status"]["Seccomp_filters"].get<std::string>()) >= 2);
  CHECK(r["securebits"] == 3);              // SECBIT_NOROOT | SECBIT_NOROOT_LOCKED
  CHECK(r["status"]["NoNewPrivs"] == "0");  // root keeps CAP_SYS_ADMIN: no_new_privs is not implied
}

TEST_CASE("sandbox: KeyringMode=private gives a session keyring of its own, inherit keeps the monitor's", "[sandbox]") {
  SandboxSpec inherit;
  inherit.keyring_mode = process::KeyringMode::Inherit;
  long own = ::syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
  json i = report(inherit);
  json p = report(SandboxSpec{});
  if (own < 0 || i["session_keyring"].get<long>() < 0) {
    WARN("no keyrings here");
    return;
  }
  CHECK(i["session_keyring"].get<long>() == own);
  CHECK(p["session_keyring"].get<long>() != own);
}

TEST_CASE("sandbox: a step that fails names its key; best effort turns it into a warning", "[sandbox]") {
  TempDir dir;
  std::string gone = dir.path + "/gone";
  REQUIRE(::mkdir(gone.c_str(), 0755) == 0);
  SandboxSpec spec;
  spec.read_only_paths = {gone};
  process::PlanContext ctx;
  auto plan = process::build_plan(spec, ctx);
  REQUIRE(plan);
  REQUIRE(::rmdir(gone.c_str()) == 0);  // gone between plan and start
  int out = ::memfd_create("out", MFD_CLOEXEC);
  process::ExecSpec e = exec_spec({"report"}, out, out);
  e.sandbox = &*plan;
  auto s = process::spawn(e);
  ::close(out);
  REQUIRE_FALSE(s.ok());
  CHECK(s.failed_step == "ReadOnlyPaths= (bind " + gone + " onto itself)");
  CHECK(s.error == ENOENT);
  CHECK(s.exit_status == 226);
  CHECK(s.message(e) == "ReadOnlyPaths= (bind " + gone + " onto itself): No such file or directory");

  plan->best_effort = true;
  int out2 = ::memfd_create("out", MFD_CLOEXEC);
  e.stdout_fd = e.stderr_fd = out2;
  auto b = process::spawn(e);
  REQUIRE(b.ok());
  CHECK(WIFEXITED(wait_child(b.pid, 20000)));
  ::close(out2);
  REQUIRE_FALSE(b.warnings.empty());
  CHECK(b.warnings.front().find("ReadOnlyPaths=") == 0);
}

TEST_CASE("sandbox: what cannot be applied is refused with the key and the reason", "[sandbox]") {
  SandboxSpec image;
  image.root_image = "/var/lib/machines/x.raw";
  auto p = process::build_plan(image, {});
  REQUIRE_FALSE(p);
  CHECK(p.error().message().rfind("RootImage=: not supported", 0) == 0);
  auto problems = process::check_sandbox(image, std::nullopt);
  REQUIRE(problems.size() == 1);

  image.best_effort = true;
  auto b = process::build_plan(image, {});
  REQUIRE(b);
  REQUIRE(b->warnings.size() == 1);
  CHECK(b->warnings[0].find("X-Unitrun-Sandbox=best-effort") != std::string::npos);

  SandboxSpec typo;
  typo.capability_bounding_set = {"CAP_NET_RAWW"};
  auto t = process::build_plan(typo, {});
  REQUIRE_FALSE(t);
  CHECK(t.error().message() == "CapabilityBoundingSet=: unknown capability 'CAP_NET_RAWW'");
}

// ---------------------------------------------------------------- cgroups

namespace {

struct CgroupFixture {
  std::string name = unique("sbx-cg");
  std::optional<process::UnitCgroup> cg;
  CgroupFixture(const process::CgroupLimits& limits = {}) {
    auto support = process::detect_cgroups();
    auto made = process::UnitCgroup::create(support, name, limits);
    INFO(support.describe());
    INFO((made ? "" : made.error().message()));
    REQUIRE(made);
    cg = std::move(*made);
  }
  ~CgroupFixture() {
    if (!cg) return;
    (void)cg->kill_all(10000);
    (void)cg->remove();
  }
};

}  // namespace

TEST_CASE("cgroup: the service is in its unit's cgroup from its first instruction; find_unit_cgroup() finds it",
          "[cgroup]") {
  CgroupFixture f;
  Options o;
  o.cgroup = &*f.cg;
  json r = report(SandboxSpec{}, {}, o);
  std::string cg = r["cgroup"];
  CHECK(cg.find("/unitrun/" + f.name + ".service") != std::string::npos);
  // In every tree, not just one: v2 is joined by clone3(CLONE_INTO_CGROUP),
  // the v1 hierarchies by their "tasks" files (spawn.cc), and a tree missed
  // would leave memory, pids or the freezer without the service.
  for (const std::string& path : f.cg->paths()) {
    std::string tree = path.substr(0, path.find("/unitrun/"));  // "/sys/fs/cgroup/memory"
    std::string ctrl = tree.substr(tree.rfind('/') + 1);
    bool v2 = tree == "/sys/fs/cgroup" || ctrl == "unified";
    std::string line = (v2 ? std::string("0::") : ":" + ctrl) + (v2 ? "" : ":") + "/unitrun/" + f.name + ".service\n";
    INFO("tree " << tree << ", /proc/self/cgroup:\n" << cg);
    CHECK(cg.find(line) != std::string::npos);
  }
  json plain = report(SandboxSpec{});
  CHECK(plain["cgroup"].get<std::string>().find(f.name) == std::string::npos);

  Options bg = o;
  bg.wait = false;
  Outcome sleeper = run(SandboxSpec{}, {"sleep"}, bg);
  REQUIRE(sleeper.spawn.ok());
  auto found = process::find_unit_cgroup(f.name);
  REQUIRE(found);
  CHECK(found->paths() == f.cg->paths());
  auto members = found->members();
  CHECK(std::find(members.begin(), members.end(), sleeper.spawn.pid) != members.end());
  auto killed = found->kill_all(10000);
  REQUIRE(killed);
  CHECK(*killed);
  int status = wait_child(sleeper.spawn.pid, 5000);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(found->members().empty());
}

// systemd's defaults where a v2 tree exists (process/cgroup_plan.h): no v1
// cpuacct and no v1 freezer for a plain unit; and what an older unitrun
// left (those two directories) is still found, killed and removed.
TEST_CASE("cgroup: a plain unit gets no v1 cpuacct or freezer beside v2, and an older run's ones are still handled",
          "[cgroup]") {
  auto support = process::detect_cgroups();
  if (!support.v2_writable || ::access((support.v2_base + "/cgroup.kill").c_str(), F_OK) != 0 ||
      !support.v1.count("freezer") || !support.v1.count("cpuacct") || !support.v1.at("freezer").writable() ||
      !support.v1.at("cpuacct").writable()) {
    WARN("not hybrid with cgroup.kill here (" << support.describe() << "): the case needs both");
    return;
  }
  std::string name = unique("sbx-cg");
  std::string freezer = support.v1.at("freezer").mount_point + "/unitrun/" + name + ".service";
  std::string cpuacct = support.v1.at("cpuacct").mount_point + "/unitrun/" + name + ".service";
  {
    auto made = process::UnitCgroup::create(support, name, {});
    REQUIRE(made);
    for (const std::string& p : made->paths()) {
      INFO(p);
      CHECK(p.find("/freezer/") == std::string::npos);
      CHECK(p.find("cpuacct/") == std::string::npos);
    }
    CHECK(made->paths().size() == 1 + support.v1.count("memory") + support.v1.count("pids"));
    REQUIRE(made->remove());
  }
  // An older unitrun's run, monitor gone: its v2 directory and a freezer
  // and cpuacct directory with a process in each.
  auto made = process::UnitCgroup::create(support, name, {});
  REQUIRE(made);
  // The older unitrun made those trees' unitrun bases too; a machine that
  // never ran one has none (a fresh CI machine).
  for (const char* tree : {"freezer", "cpuacct"}) {
    std::string base = support.v1.at(tree).mount_point + "/unitrun";
    REQUIRE((::mkdir(base.c_str(), 0755) == 0 || errno == EEXIST));
  }
  for (const std::string& d : {freezer, cpuacct}) REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  Options o;
  o.cgroup = &*made;
  o.wait = false;
  Outcome sleeper = run(SandboxSpec{}, {"sleep"}, o);
  REQUIRE(sleeper.spawn.ok());
  for (const std::string& d : {freezer, cpuacct}) {
    int fd = ::open((d + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    std::string pid = std::to_string(sleeper.spawn.pid);
    CHECK(::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size()));
    ::close(fd);
  }
  // status and stop find it whole...
  auto found = process::find_unit_cgroup(name);
  REQUIRE(found);
  auto paths = found->paths();
  CHECK(std::find(paths.begin(), paths.end(), freezer) != paths.end());
  CHECK(std::find(paths.begin(), paths.end(), cpuacct) != paths.end());
  CHECK(found->usage().cpu_usage_nsec.has_value());
  // ... a remove() while it has a member takes nothing away ...
  auto busy = found->remove();
  REQUIRE_FALSE(busy);
  CHECK(busy.error().sys_errno == EBUSY);
  CHECK(::access(freezer.c_str(), F_OK) == 0);
  auto killed = found->kill_all(10000);
  REQUIRE(killed);
  CHECK(*killed);
  CHECK(WIFSIGNALED(wait_child(sleeper.spawn.pid, 5000)));
  // ... and a new start reusing its v2 directory removes the old ones at its end.
  auto again = process::UnitCgroup::create(support, name, {});
  REQUIRE(again);
  CHECK(again->paths().size() == 1 + support.v1.count("memory") + support.v1.count("pids"));
  REQUIRE(again->remove());
  CHECK(::access(freezer.c_str(), F_OK) != 0);
  CHECK(::access(cpuacct.c_str(), F_OK) != 0);
  CHECK_FALSE(process::find_unit_cgroup(name));
  // The old run's v2 directory gone (removed by hand, or an older monitor
  // killed after its first rmdir) but its freezer and cpuacct directories
  // left: a start with a fresh v2 directory adopts them all the same.
  for (const std::string& d : {freezer, cpuacct}) REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  auto fresh = process::UnitCgroup::create(support, name, {});
  REQUIRE(fresh);
  REQUIRE(fresh->remove());
  CHECK(::access(freezer.c_str(), F_OK) != 0);
  CHECK(::access(cpuacct.c_str(), F_OK) != 0);
  CHECK_FALSE(process::find_unit_cgroup(name));
  for (const std::string& d : {freezer, cpuacct}) (void)::rmdir(d.c_str());  // a failed run's
}

// Delegate=yes: the service makes sub-cgroups of its own, which stay after
// its processes end (the kernel removes none). An rmdir of a directory with
// a sub-cgroup is EBUSY like one with a member: remove() tells them apart
// (v2's cgroup.events "populated"; v1: the sub-cgroups' own rmdir), keeps
// everything while a process is anywhere below, and removes the empty
// subtree deepest first after, as systemd 252 trims a delegated subtree.
TEST_CASE(
    "cgroup: remove() takes away the sub-cgroups a delegated service left, and keeps them while one has a process",
    "[cgroup]") {
  auto support = process::detect_cgroups();
  if (!support.v2_writable) {
    WARN("no writable v2 tree here (" << support.describe() << ")");
    return;
  }
  std::string name = unique("sbx-cg");
  auto made = process::UnitCgroup::create(support, name, {}, {});
  REQUIRE(made);
  auto paths = made->paths();
  Options o;
  o.cgroup = &*made;
  o.wait = false;
  Outcome sleeper = run(SandboxSpec{}, {"sleep"}, o);
  REQUIRE(sleeper.spawn.ok());
  // What the service would do: a sub-cgroup two levels deep in every tree
  // (one more beside it), and itself moved into the deepest.
  std::vector<std::string> made_dirs;
  for (const std::string& p : paths) {
    for (const std::string& d : {p + "/payload", p + "/payload/worker", p + "/idle"}) {
      REQUIRE(::mkdir(d.c_str(), 0755) == 0);
      made_dirs.push_back(d);
    }
    int fd = ::open((p + "/payload/worker/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    std::string pid = std::to_string(sleeper.spawn.pid);
    CHECK(::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size()));
    ::close(fd);
  }
  // A process below: nothing is taken away, and the answer is "still has processes".
  auto busy = made->remove();
  REQUIRE_FALSE(busy);
  CHECK(busy.error().sys_errno == EBUSY);
  CHECK(busy.error().message().find("still has processes") != std::string::npos);
  // A new start of the unit is refused: its earlier run lives on, if only below.
  auto again = process::UnitCgroup::create(support, name, {}, {});
  REQUIRE_FALSE(again);
  CHECK(again.error().sys_errno == EBUSY);
  for (const std::string& d : made_dirs) {
    INFO(d);
    CHECK(::access(d.c_str(), F_OK) == 0);
  }
  auto killed = made->kill_all(10000);
  REQUIRE(killed);
  CHECK(*killed);
  CHECK(WIFSIGNALED(wait_child(sleeper.spawn.pid, 5000)));
  // The processes are gone, the sub-cgroups stay: remove() takes all away.
  auto removed = made->remove();
  INFO((removed ? "" : removed.error().message()));
  CHECK(removed);
  for (const std::string& p : paths) {
    INFO(p);
    CHECK(::access(p.c_str(), F_OK) != 0);
  }
  CHECK_FALSE(process::find_unit_cgroup(name));
}

// The shared "unitrun" bases are made by the first start only: a start
// makes the unit's directory and makes the base only when that mkdir says
// it is missing. Here the bases are moved to fresh places inside the real
// trees, so they are missing.
TEST_CASE("cgroup: a start makes the trees' unitrun bases where they are missing", "[cgroup]") {
  auto support = process::detect_cgroups();
  if (!support.usable()) {
    WARN("no cgroup tree here (" << support.describe() << ")");
    return;
  }
  std::string fresh = unique("itest-base");
  std::vector<std::string> made_here;  // removed at the end, deepest first
  if (support.v2_writable) support.v2_base = support.v2_mount + "/" + fresh;
  for (auto& [c, h] : support.v1) {
    if (!h.writable() || h.mount_point.find(fresh) != std::string::npos) continue;
    std::string moved = h.mount_point + "/" + fresh;
    for (auto& [c2, h2] : support.v1)
      if (&h2 != &h && h2.mount_point == h.mount_point) h2.mount_point = moved;
    REQUIRE(::mkdir(moved.c_str(), 0755) == 0);
    made_here.push_back(moved);
    h.mount_point = moved;
  }
  std::string name = unique("sbx-cg");
  auto cg = process::UnitCgroup::create(support, name, {});
  REQUIRE(cg);
  for (const std::string& p : cg->paths()) {
    INFO(p);
    CHECK(p.find("/" + fresh) != std::string::npos);
    CHECK(::access(p.c_str(), F_OK) == 0);
  }
  REQUIRE(cg->remove());
  if (support.v2_writable) CHECK(::rmdir(support.v2_base.c_str()) == 0);
  for (const std::string& m : made_here) {
    (void)::rmdir((m + "/unitrun").c_str());  // made where this unit had a directory
    CHECK(::rmdir(m.c_str()) == 0);
  }
}

// detect_cgroups() tells pure v2 from two stat calls where it can
// (detect_cgroups_without_mountinfo()); in mount namespaces of their own,
// the layouts it must answer like mountinfo or leave to it: a cgroup2 tree
// mounted over /sys/fs/cgroup (listed after the hybrid one it hides, which
// mountinfo's rule passes over too), and a symlink in place of
// /sys/fs/cgroup/unified, which is no mount point.
TEST_CASE("cgroup: detection without mountinfo gives mountinfo's answer, or none", "[cgroup]") {
  if (::geteuid() != 0) {
    WARN("needs root (mount namespaces)");
    return;
  }
  auto in_namespace = [](auto body) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 0;
      if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        code = 100;
      else
        code = body();
      ::_exit(code);
    }
    int status = wait_child(pid, 10000);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  };
  auto same_v2 = [](const process::CgroupSupport& a, const process::CgroupSupport& b) {
    return a.v2_mount == b.v2_mount && a.v2_base == b.v2_base && a.v2_writable == b.v2_writable &&
           a.v2_controllers == b.v2_controllers && a.v2_problem == b.v2_problem && a.v1.empty();
  };
  // 1: cgroup2 over /sys/fs/cgroup.
  int over = in_namespace([&] {
    if (::mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr) != 0) return 101;
    auto fast = process::detect_cgroups_without_mountinfo("0::/\n", true);
    if (!fast) return 1;
    auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
    if (!mountinfo) return 102;
    auto slow = process::parse_cgroup_support(*mountinfo, "0::/\n", "", true);
    if (fast->v2_mount != "/sys/fs/cgroup") return 2;
    return same_v2(*fast, slow) ? 0 : 3;
  });
  if (over == 101) {
    WARN("cannot mount cgroup2 here");
    return;
  }
  CHECK(over == 0);
  // 2: /sys/fs/cgroup a tmpfs whose "unified" is a symlink to the cgroup2 mount.
  int linked = in_namespace([&] {
    if (::mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") != 0) return 101;
    if (::mkdir("/sys/fs/cgroup/real", 0755) != 0) return 102;
    if (::mount("cgroup2", "/sys/fs/cgroup/real", "cgroup2", 0, nullptr) != 0) return 103;
    if (::symlink("real", "/sys/fs/cgroup/unified") != 0) return 104;
    if (process::detect_cgroups_without_mountinfo("0::/\n", true)) return 1;  // would name the symlink
    auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
    if (!mountinfo) return 105;
    // Left to mountinfo, which has cgroup2 mounts to name.
    auto slow = process::parse_cgroup_support(*mountinfo, "0::/\n", "", true);
    return slow.v2_mount.empty() ? 2 : 0;
  });
  CHECK(linked == 0);
  // 3: this machine as it is, told a v2-only /proc/self/cgroup: where the
  // statfs path answers, it is mountinfo's answer.
  if (auto fast = process::detect_cgroups_without_mountinfo("0::/\n", true)) {
    auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
    REQUIRE(mountinfo);
    auto slow = process::parse_cgroup_support(*mountinfo, "0::/\n", "", true);
    INFO("fast: " << fast->describe() << "\nslow: " << slow.describe());
    CHECK(fast->v2_mount == slow.v2_mount);
    CHECK(same_v2(*fast, slow));
  }
}

// Where clone3() is refused (ENOSYS, as container runtimes' seccomp profiles
// answer it), spawn falls back to clone() and cgroup.procs, which it opens
// only then (UnitCgroup::open_process_join_fds()): the service must still
// be in every tree.
TEST_CASE("cgroup: where clone3() is refused the service joins every tree through cgroup.procs", "[cgroup]") {
  CgroupFixture f;
  process::PlanContext ctx;
  ctx.unit_name = unique("sbx");
  auto plan = process::build_plan(SandboxSpec{}, ctx);
  REQUIRE(plan);
  int out = ::memfd_create("probe-out", MFD_CLOEXEC), err = ::memfd_create("probe-err", MFD_CLOEXEC);
  REQUIRE(out >= 0);
  REQUIRE(err >= 0);
  process::ExecSpec e = exec_spec({"report"}, out, err);
  e.sandbox = &*plan;
  e.cgroup = &*f.cg;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) ::_exit(2);
    process::SpawnResult r = process::spawn(e);
    if (!r.ok()) {
      std::string m = r.message(e);
      (void)!::write(err, m.data(), m.size());
      ::_exit(3);
    }
    int status = wait_child(r.pid, 30000);
    ::_exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 4);
  }
  int status = wait_child(child, 60000);
  std::string report_text = read_fd(out);
  INFO("wait status " << status << ", stdout: " << report_text << ", stderr: " << read_fd(err));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  json r = json::parse(report_text, nullptr, false);
  REQUIRE(r.is_object());
  std::string cg = r["cgroup"];
  for (const std::string& path : f.cg->paths()) {
    std::string tree = path.substr(0, path.find("/unitrun/"));
    std::string ctrl = tree.substr(tree.rfind('/') + 1);
    bool v2 = tree == "/sys/fs/cgroup" || ctrl == "unified";
    std::string line = (v2 ? std::string("0::") : ":" + ctrl) + (v2 ? "" : ":") + "/unitrun/" + f.name + ".service\n";
    INFO("tree " << tree << ", /proc/self/cgroup:\n" << cg);
    CHECK(cg.find(line) != std::string::npos);
  }
  ::close(out);
  ::close(err);
}

TEST_CASE("cgroup: kill_all() ends setsid()'d escapees that the process tree no longer links", "[cgroup]") {
  CgroupFixture f;
  // A pipe, not a file: the test reads the escapee's PID when it is written.
  int pipefd[2];
  REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
  process::ExecSpec e = exec_spec({"escape"}, pipefd[1], pipefd[1]);
  e.cgroup = &*f.cg;
  auto s = process::spawn(e);
  ::close(pipefd[1]);
  REQUIRE(s.ok());
  std::string text;
  while (text.find('\n') == std::string::npos) {
    struct pollfd p = {pipefd[0], POLLIN, 0};
    int ready = ::poll(&p, 1, 10000);
    if (ready < 0 && errno == EINTR) continue;
    REQUIRE(ready == 1);  // 0: nothing written within 10 s
    char buf[64];
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    REQUIRE(n > 0);  // 0: every writer closed the pipe without a PID
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  pid_t escapee = std::stoi(text);
  REQUIRE(escapee > 0);
  auto state_of = [](pid_t pid) {
    std::string state;  // empty once it is gone
    std::ifstream(std::string("/proc/") + std::to_string(pid) + "/stat") >> state >> state >> state;
    return state;
  };
  auto members = f.cg->members();
  CHECK(std::find(members.begin(), members.end(), escapee) != members.end());
  // Killing the main process alone leaves the escapee running: that is the escape.
  ::kill(s.pid, SIGKILL);
  wait_child(s.pid, 5000);
  std::string before = state_of(escapee);
  CHECK_FALSE((before.empty() || before == "Z"));
  auto killed = f.cg->kill_all(10000);
  REQUIRE(killed);
  CHECK(*killed);
  CHECK(f.cg->members().empty());
  std::string after = state_of(escapee);
  CHECK((after.empty() || after == "Z"));  // gone, or a zombie its new parent has not reaped
}

TEST_CASE("cgroup: TasksMax= stops a fork bomb with EAGAIN", "[cgroup]") {
  Outcome free_run = run(SandboxSpec{}, {"forkbomb", "40"});
  REQUIRE(free_run.exited_ok());
  CHECK(json::parse(free_run.out)["forked"] == 40);

  process::CgroupLimits limits;
  limits.tasks_max = 10;
  CgroupFixture f(limits);
  Options o;
  o.cgroup = &*f.cg;
  Outcome r = run(SandboxSpec{}, {"forkbomb", "40"}, o);
  REQUIRE(r.exited_ok());
  json j = json::parse(r.out);
  CHECK(j["forked"] == 9);  // the probe itself is the tenth task
  CHECK(j["errno"] == EAGAIN);
  CHECK(f.cg->usage().tasks_max == 10u);
}

TEST_CASE("cgroup: MemoryMax= OOM-kills the service, and the OOM watch fd says so", "[cgroup]") {
  Outcome free_run = run(SandboxSpec{}, {"hog", "64"});
  CHECK(free_run.exited_ok());  // 64 MiB is fine without a limit

  process::CgroupLimits limits;
  limits.memory_max = 32ull << 20;
  CgroupFixture f(limits);
  auto watch = f.cg->open_oom_watch();
  REQUIRE(watch);
  struct pollfd before = {watch->get(), POLLIN, 0};
  CHECK(::poll(&before, 1, 0) == 0);
  CHECK(f.cg->oom_kills().value_or(0) == 0);
  Options o;
  o.cgroup = &*f.cg;
  Outcome r = run(SandboxSpec{}, {"hog", "64"}, o);
  REQUIRE(r.spawn.ok());
  CHECK(WIFSIGNALED(r.status));
  CHECK(WTERMSIG(r.status) == SIGKILL);
  struct pollfd after = {watch->get(), POLLIN, 0};
  CHECK(::poll(&after, 1, 5000) == 1);
  CHECK(f.cg->oom_kills().value_or(0) >= 1);
  auto u = f.cg->usage();
  CHECK(u.memory_max == (32ull << 20));
}

TEST_CASE("cgroup: CPUQuota= holds a busy loop near its quota", "[cgroup]") {
  // The same busy loop with and without CPUQuota=10%, CPU time from the
  // cgroup (cpuacct or cpu.stat) over the wall time. Bounds are generous
  // (this machine's two cores are shared): below twice the quota with it,
  // above that without it.
  auto cpu_share = [](const process::CgroupLimits& limits, double seconds) {
    CgroupFixture f(limits);
    Options o;
    o.cgroup = &*f.cg;
    auto t0 = std::chrono::steady_clock::now();
    Outcome r = run(SandboxSpec{}, {"spin", std::to_string(seconds)}, o);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(r.exited_ok());
    auto used = f.cg->usage().cpu_usage_nsec;
    REQUIRE(used);
    return *used / 1e9 / wall;
  };
  process::CgroupLimits quota;
  quota.cpu_quota_per_sec_usec = 100000;  // 10%
  double limited = cpu_share(quota, 2);
  double free_share = cpu_share({}, 1);
  INFO("with CPUQuota=10%: " << limited << " of a CPU; without: " << free_share);
  CHECK(limited < 0.2);
  CHECK(limited > 0.01);
  CHECK(free_share > 0.2);
}

TEST_CASE("cgroup: DevicePolicy=strict with DeviceAllow= on v1's devices controller", "[cgroup]") {
  process::CgroupLimits limits;
  limits.device_policy = process::DevicePolicy::Strict;
  limits.device_allow = {{"/dev/null", "rw"}};
  auto support = process::detect_cgroups();
  if (support.carrier("devices") != "v1") {
    auto made = process::UnitCgroup::create(support, unique("sbx-cg-dev"), limits);
    REQUIRE_FALSE(made);
    CHECK(made.error().message().rfind("DeviceAllow=: no v1 devices controller", 0) == 0);
    return;
  }
  json free_run = report(SandboxSpec{}, {"--openw", "/dev/zero", "--openw", "/dev/null"});
  CHECK(free_run["openw"]["/dev/zero"] == 0);
  CgroupFixture f(limits);
  Options o;
  o.cgroup = &*f.cg;
  json r = report(SandboxSpec{}, {"--openw", "/dev/zero", "--openw", "/dev/null"}, o);
  CHECK(r["openw"]["/dev/zero"] == EPERM);
  CHECK(r["openw"]["/dev/null"] == 0);
}

TEST_CASE("sandbox: with best effort, a missing path leaves out that entry only", "[sandbox]") {
  SandboxSpec spec;
  spec.protect_system = process::ProtectSystem::Strict;
  spec.read_only_paths = {"/nonexistent/unitrun/ro"};
  spec.best_effort = true;
  auto plan = process::build_plan(spec, {});
  REQUIRE(plan);
  REQUIRE(plan->warnings.size() == 1);
  CHECK(plan->warnings[0].rfind("ReadOnlyPaths=: /nonexistent/unitrun/ro: No such file or directory", 0) == 0);
  json r = report(spec);
  CHECK(r["write"]["/usr"] == EROFS);  // the rest of the view is in force
}

TEST_CASE("cgroup: a limit this machine cannot give is refused with its key, or a warning with best effort",
          "[cgroup]") {
  auto support = process::detect_cgroups();
  process::CgroupLimits limits;
  limits.memory_high = 64ull << 20;
  auto made = process::UnitCgroup::create(support, unique("sbx-cg-high"), limits);
  if (support.carrier("memory") == "v2") {
    REQUIRE(made);
    CHECK(made->usage().memory_high == (64ull << 20));
    (void)made->remove();
    return;
  }
  REQUIRE_FALSE(made);
  CHECK(made.error().message() == "MemoryHigh=: needs cgroup v2's memory controller (v1 has no equivalent)");
  process::CgroupOptions best;
  best.best_effort = true;
  auto b = process::UnitCgroup::create(support, unique("sbx-cg-high"), limits, best);
  REQUIRE(b);
  REQUIRE(b->warnings().size() == 1);
  CHECK(b->warnings()[0].rfind("MemoryHigh=", 0) == 0);
  (void)b->remove();
}
