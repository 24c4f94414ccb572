// The pure parts of the sandbox and the cgroup: systemd's syscall groups
// against this machine's systemd-analyze, the grammar of the list keys, the
// mount plan (systemd's namespace.c order) on a fake mount table, cgroup
// layout detection on fake /sys/fs/cgroup trees, systemd's conversions.
#include "process/sandbox.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "base/sys.h"
#include "process/cgroup.h"
#include "process/cgroup_plan.h"
#include "process/sandbox_mounts.h"
#include "process/syscall_groups.h"
#include "test_support.h"

using namespace unitrun;
using namespace unitrun::process;

namespace {

// Runs a command and returns its stdout; nullopt when it cannot run.
std::optional<std::string> command_output(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

// `systemd-analyze syscall-filter` parsed the way scripts/gen-syscall-groups does.
std::vector<std::pair<std::string, std::vector<std::string>>> parse_analyze(const std::string& text) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '@') {
      groups.push_back({line, {}});
      continue;
    }
    size_t b = line.find_first_not_of(' ');
    if (b == std::string::npos || groups.empty() || line[b] == '#') continue;
    groups.back().second.push_back(line.substr(b));
  }
  return groups;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A fake file system for the mount planner: existing paths and their types.
mounts::Probe fake_probe(std::map<std::string, mode_t> paths) {
  mounts::Probe p;
  p.canonical = [paths](const std::string& path) -> std::optional<std::string> {
    if (paths.count(path)) return path;
    return std::nullopt;
  };
  p.lstat = [paths](const std::string& path) -> std::optional<struct stat> {
    auto it = paths.find(path);
    if (it == paths.end()) return std::nullopt;
    struct stat st {};
    st.st_mode = it->second;
    return st;
  };
  return p;
}

const char* kMountinfo =
    "21 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "22 21 0:5 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "23 21 0:6 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
    "24 21 0:7 / /dev rw,nosuid,relatime - devtmpfs udev rw\n"
    "25 21 8:2 / /boot rw,nodev,relatime - ext4 /dev/sda2 rw\n"
    "26 21 8:3 / /var/lib/data rw,relatime - ext4 /dev/sda3 rw\n"
    "27 21 0:8 / /mnt/with\\040space ro,relatime - tmpfs x ro\n";

std::map<std::string, mode_t> fake_tree() {
  std::map<std::string, mode_t> t;
  for (const char* d : {"/", "/proc", "/sys", "/dev", "/boot", "/var", "/var/lib", "/var/lib/data", "/var/lib/data/x",
                        "/usr", "/usr/lib", "/etc", "/home", "/home/a", "/mnt", "/mnt/with space", "/tmp", "/var/tmp"})
    t[d] = S_IFDIR | 0755;
  t["/etc/passwd"] = S_IFREG | 0644;
  return t;
}

mounts::Entry entry(const std::string& path, mounts::Mode mode, const std::string& key, bool ignore = false) {
  mounts::Entry e;
  e.path = path;
  e.mode = mode;
  e.key = key;
  e.ignore = ignore;
  return e;
}

// "mount SOURCE TARGET FLAGS" per op, to compare with what the plan should be.
std::vector<std::string> describe(const std::vector<SandboxOp>& ops) {
  std::vector<std::string> out;
  for (const SandboxOp& o : ops) {
    if (o.kind != SandboxOp::Kind::Mount) {
      out.push_back("other " + o.target);
      continue;
    }
    std::string f;
    if (o.flags & MS_REMOUNT) f += "remount,";
    if (o.flags & MS_BIND) f += "bind,";
    if (o.flags & MS_REC) f += "rec,";
    if (o.flags & MS_RDONLY) f += "ro,";
    if (o.flags & MS_NOSUID) f += "nosuid,";
    if (o.flags & MS_NODEV) f += "nodev,";
    if (o.flags & MS_NOEXEC) f += "noexec,";
    if (o.flags & MS_SLAVE) f += "slave,";
    if (o.flags & MS_SHARED) f += "shared,";
    if (o.flags & MS_PRIVATE) f += "private,";
    if (o.flags & MS_MOVE) f += "move,";
    if (!f.empty()) f.pop_back();
    out.push_back((o.source.empty() ? "-" : o.source) + " " + o.target + " " + f);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- syscall groups

TEST_CASE("syscall groups: the table is systemd-analyze's (when systemd is here)", "[sandbox]") {
  auto text = command_output("systemd-analyze syscall-filter --no-pager 2>/dev/null");
  if (!text) {
    WARN("systemd-analyze is not here: the committed table is not compared");
    return;
  }
  auto groups = parse_analyze(*text);
  REQUIRE_FALSE(groups.empty());
  INFO("scripts/gen-syscall-groups regenerates src/process/syscall_groups.inc");
  REQUIRE(groups.size() == syscall_groups::all().size());
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = syscall_groups::all()[i];
    INFO(groups[i].first);
    CHECK(g.name == groups[i].first);
    std::vector<std::string> ours(g.members.begin(), g.members.end());
    CHECK(ours == groups[i].second);
  }
}

TEST_CASE("syscall groups: nested groups are resolved, unknown ones are not groups", "[sandbox]") {
  auto service = syscall_groups::resolve("@system-service");
  REQUIRE(service);
  CHECK(contains(*service, "read"));          // through @basic-io
  CHECK(contains(*service, "execve"));        // through @default
  CHECK(contains(*service, "epoll_wait"));    // through @io-event
  CHECK(contains(*service, "capset"));        // its own
  CHECK_FALSE(contains(*service, "mount"));   // @mount is not in it
  CHECK_FALSE(contains(*service, "reboot"));  // nor @reboot
  CHECK(std::is_sorted(service->begin(), service->end()));
  CHECK(std::adjacent_find(service->begin(), service->end()) == service->end());
  auto privileged = syscall_groups::resolve("@privileged");
  REQUIRE(privileged);
  CHECK(contains(*privileged, "setuid"));  // @privileged lists @chown, @clock, @module, ...
  CHECK(contains(*privileged, "init_module"));
  CHECK_FALSE(syscall_groups::resolve("@no-such-group"));
  CHECK(syscall_groups::resolve("read") == std::vector<std::string>{"read"});
}

// ---------------------------------------------------------------- grammar

TEST_CASE("sandbox lines: systemd's grammar for the list keys", "[sandbox]") {
  CHECK_FALSE(check_sandbox_line("CapabilityBoundingSet", "CAP_NET_RAW cap_sys_admin"));
  CHECK_FALSE(check_sandbox_line("CapabilityBoundingSet", "~CAP_NET_RAW"));
  CHECK_FALSE(check_sandbox_line("CapabilityBoundingSet", ""));
  CHECK(check_sandbox_line("CapabilityBoundingSet", "CAP_NOPE") ==
        std::optional<std::string>("CapabilityBoundingSet=: unknown capability 'CAP_NOPE'"));
  CHECK_FALSE(check_sandbox_line("SecureBits", "keep-caps noroot-locked"));
  CHECK(check_sandbox_line("SecureBits", "keep-cap"));
  CHECK_FALSE(check_sandbox_line("RestrictNamespaces", "yes"));
  CHECK_FALSE(check_sandbox_line("RestrictNamespaces", "~net user"));
  CHECK(check_sandbox_line("RestrictNamespaces", "network"));
  CHECK_FALSE(check_sandbox_line("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"));
  CHECK_FALSE(check_sandbox_line("RestrictAddressFamilies", "none"));
  CHECK(check_sandbox_line("RestrictAddressFamilies", "AF_UNIXX"));
  CHECK_FALSE(check_sandbox_line("SystemCallFilter", "@system-service ~@privileged"));
  CHECK_FALSE(check_sandbox_line("SystemCallFilter", "~@mount:EPERM reboot:13"));
  CHECK(check_sandbox_line("SystemCallFilter", "@no-such-group"));
  CHECK(check_sandbox_line("SystemCallFilter", "mount:ENOTANERRNO"));
  CHECK_FALSE(check_sandbox_line("SystemCallArchitectures", "native x86"));
  CHECK(check_sandbox_line("SystemCallArchitectures", "pdp11"));
  CHECK_FALSE(check_sandbox_line("SystemCallErrorNumber", "EPERM"));
  CHECK_FALSE(check_sandbox_line("SystemCallErrorNumber", "kill"));
  CHECK(check_sandbox_line("SystemCallErrorNumber", "EWHATEVER"));
  CHECK(check_sandbox_line("NoSuchKey", "x"));
}

TEST_CASE("sandbox lines: BindPaths= and TemporaryFileSystem=", "[sandbox]") {
  auto b = parse_bind_paths("/a -/b:/c /d:/e:norbind", false);
  REQUIRE(b);
  REQUIRE(b->size() == 3);
  CHECK((*b)[0] == BindPath{"/a", "/a", false, true, false});
  CHECK((*b)[1] == BindPath{"/b", "/c", false, true, true});
  CHECK((*b)[2] == BindPath{"/d", "/e", false, false, false});
  CHECK((*parse_bind_paths("/x", true))[0].read_only);
  CHECK_FALSE(parse_bind_paths("relative:/x", false));
  CHECK_FALSE(parse_bind_paths("/x:/y:sideways", false));
  auto t = parse_temporary_file_system("/var:ro,size=10M /srv");
  REQUIRE(t);
  REQUIRE(t->size() == 2);
  CHECK((*t)[0] == TemporaryFileSystem{"/var", "ro,size=10M"});
  CHECK((*t)[1] == TemporaryFileSystem{"/srv", ""});
  unsigned long flags;
  std::string data;
  bool ro;
  mounts::tmpfs_options("ro,noexec,size=10M", flags, data, ro);
  CHECK(ro);
  CHECK((flags & MS_NOEXEC));
  CHECK((flags & MS_NODEV));  // systemd's default
  CHECK(data == "mode=0755,size=10M");
  mounts::tmpfs_options("mode=0700,dev", flags, data, ro);
  CHECK_FALSE(flags & MS_NODEV);
  CHECK(data == "mode=0700");
}

// ---------------------------------------------------------------- the mount plan

TEST_CASE("mount plan: mountinfo is parsed with its escapes and per-mount flags", "[sandbox]") {
  auto m = mounts::parse_mountinfo(kMountinfo);
  REQUIRE(m.size() == 7);
  CHECK(m[0].path == "/");
  CHECK(m[0].flags == 0);
  CHECK(m[1].flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC));
  CHECK(m[6].path == "/mnt/with space");
  CHECK(m[6].flags == MS_RDONLY);
}

TEST_CASE("mount plan: ProtectSystem=strict remounts / and its submounts read-only, not the carve-outs", "[sandbox]") {
  mounts::Layout l;
  l.inaccessible_dir = "/run/unitrun/inaccessible";
  l.staging_dir = "/run/unitrun/sandbox-stage";
  using M = mounts::Mode;
  l.entries = {entry("/", M::ReadOnly, "ProtectSystem="),
               entry("/proc", M::ReadWrite, "ProtectSystem="),
               entry("/sys", M::ReadWrite, "ProtectSystem="),
               entry("/dev", M::ReadWrite, "ProtectSystem="),
               entry("/home", M::ReadWrite, "ProtectSystem=", true),
               entry("/root", M::ReadWrite, "ProtectSystem=", true),
               entry("/var/lib/data/x", M::ReadWrite, "ReadWritePaths=")};
  auto ops = mounts::plan(l, mounts::parse_mountinfo(kMountinfo), fake_probe(fake_tree()));
  REQUIRE(ops);
  std::vector<std::string> expected = {
      "- / rec,slave",
      "/home /home bind,rec",                      // not a mount point yet: bound onto itself
      "/var/lib/data/x /var/lib/data/x bind,rec",  // (/root is missing and optional: dropped)
      "- / remount,bind,ro",
      "- /boot remount,bind,ro,nodev",    // a submount of /: read-only too, its nodev kept
      "- /var/lib/data remount,bind,ro",  // above the carve-out: read-only
      "- / rec,shared",                   // MountFlags= default
  };
  // /proc, /sys, /dev, /home and /var/lib/data/x are entries: left alone; "/mnt/with space" is read-only already.
  CHECK(describe(*ops) == expected);
  CHECK((*ops)[3].what == "ProtectSystem= (mount / read-only)");
}

TEST_CASE("mount plan: duplicates keep the stronger mode, inaccessible hides what is below, nop entries go",
          "[sandbox]") {
  mounts::Layout l;
  l.inaccessible_dir = "/run/unitrun/inaccessible";
  l.staging_dir = "/stage";
  l.propagation = MountPropagation::Private;
  using M = mounts::Mode;
  l.entries = {entry("/usr", M::ReadOnly, "ReadOnlyPaths="),      entry("/usr/lib", M::ReadOnly, "ReadOnlyPaths="),
               entry("/home", M::ReadOnly, "ReadOnlyPaths="),     entry("/home", M::Inaccessible, "InaccessiblePaths="),
               entry("/home/a", M::ReadWrite, "ReadWritePaths="), entry("/etc/passwd", M::Inaccessible, "X=")};
  auto ops = mounts::plan(l, mounts::parse_mountinfo(kMountinfo), fake_probe(fake_tree()));
  REQUIRE(ops);
  std::vector<std::string> expected = {
      "- / rec,slave",
      "/run/unitrun/inaccessible/reg /etc/passwd bind",  // a file gets the empty file
      "/run/unitrun/inaccessible/dir /home bind",        // inaccessible beats read-only; /home/a is hidden with it
      "/usr /usr bind,rec",                              // /usr/lib is covered by /usr's recursive remount
      "- /etc/passwd remount,bind,ro,nosuid,nodev,noexec",
      "- /home remount,bind,ro,nosuid,nodev,noexec",
      "- /usr remount,bind,ro",
      "- / rec,private",
  };
  CHECK(describe(*ops) == expected);
}

TEST_CASE("mount plan: NoExecPaths=/ and ExecPaths= under ProtectSystem=strict keep both dimensions", "[sandbox]") {
  // Debian's redis-server.service: ProtectSystem=strict, NoExecPaths=/,
  // ExecPaths=/usr/lib. The exec entries decide exec only: / must end up
  // read-only and noexec, /usr/lib read-only and exec. (A duplicate "/"
  // once swallowed the noexec, and the /usr/lib entry shielded /usr/lib
  // from the read-only pass, leaving it writable.)
  mounts::Layout l;
  using M = mounts::Mode;
  l.entries = {entry("/", M::ReadOnly, "ProtectSystem="), entry("/", M::NoExec, "NoExecPaths="),
               entry("/usr/lib", M::Exec, "ExecPaths=")};
  auto ops = mounts::plan(l, mounts::parse_mountinfo(kMountinfo), fake_probe(fake_tree()));
  REQUIRE(ops);
  std::vector<std::string> expected = {
      "- / rec,slave",
      "/usr/lib /usr/lib bind,rec",
      "- / remount,bind,ro",
      "- /boot remount,bind,ro,nodev",
      "- /dev remount,bind,ro,nosuid",
      "- /proc remount,bind,ro,nosuid,nodev,noexec",
      "- /sys remount,bind,ro,nosuid,nodev,noexec",
      "- /usr/lib remount,bind,ro",  // read-only with the rest: ExecPaths= is about exec only
      "- /var/lib/data remount,bind,ro",
      "- / remount,bind,ro,noexec",  // then noexec, except below /usr/lib
      "- /boot remount,bind,ro,nodev,noexec",
      "- /dev remount,bind,ro,nosuid,noexec",
      "- /mnt/with space remount,bind,ro,noexec",
      "- /var/lib/data remount,bind,ro,noexec",
      "- / rec,shared",
  };
  CHECK(describe(*ops) == expected);
}

TEST_CASE("mount plan: a missing path is the key's error unless it is optional", "[sandbox]") {
  mounts::Layout l;
  l.entries = {entry("/nope", mounts::Mode::ReadOnly, "ReadOnlyPaths=")};
  auto ops = mounts::plan(l, mounts::parse_mountinfo(kMountinfo), fake_probe(fake_tree()));
  REQUIRE_FALSE(ops);
  CHECK(ops.error().message() == "ReadOnlyPaths=: /nope: No such file or directory");
  l.entries[0].ignore = true;
  auto ok = mounts::plan(l, mounts::parse_mountinfo(kMountinfo), fake_probe(fake_tree()));
  REQUIRE(ok);
  CHECK(ok->size() == 2);  // slave and the final propagation only
}

TEST_CASE("mount plan: PrivateTmp and PrivateDevices", "[sandbox]") {
  mounts::Layout l;
  l.staging_dir = "/run/unitrun/sandbox-stage";
  using M = mounts::Mode;
  mounts::Entry tmp = entry("/tmp", M::PrivateTmp, "PrivateTmp=");
  tmp.source = "/tmp/unitrun-private-x-abcdef/tmp";
  mounts::Entry dev = entry("/dev", M::PrivateDev, "PrivateDevices=");
  l.entries = {tmp, dev};
  auto tree = fake_tree();
  tree["/tmp/unitrun-private-x-abcdef/tmp"] = S_IFDIR | 01777;
  tree["/dev/null"] = S_IFCHR | 0666;
  tree["/dev/pts"] = S_IFDIR | 0755;
  tree["/dev/ptmx"] = S_IFCHR | 0666;
  auto ops = mounts::plan(l, mounts::parse_mountinfo(kMountinfo), fake_probe(tree));
  REQUIRE(ops);
  auto d = describe(*ops);
  CHECK(contains(d, "tmpfs /run/unitrun/sandbox-stage nosuid,noexec"));
  CHECK(contains(d, "other /run/unitrun/sandbox-stage/null"));  // mknod, same device numbers
  CHECK(contains(d, "/dev/pts /run/unitrun/sandbox-stage/pts bind"));
  CHECK(contains(d, "/run/unitrun/sandbox-stage /dev move"));
  CHECK(contains(d, "/tmp/unitrun-private-x-abcdef/tmp /tmp bind"));
  CHECK(contains(d, "- /dev remount,bind,ro,nosuid,noexec"));  // /dev itself read-only, not /dev/pts
  CHECK_FALSE(contains(d, "- /dev/pts remount,bind,ro"));
}

// ---------------------------------------------------------------- plans

TEST_CASE("sandbox plan: the steps and their order", "[sandbox]") {
  if (::geteuid() != 0) {
    WARN("not root: plans with namespaces are refused here");
    return;
  }
  SandboxSpec spec;
  spec.protect_system = ProtectSystem::Strict;
  spec.private_network = true;
  spec.system_call_filter = {"@system-service"};
  spec.capability_bounding_set = {"CAP_NET_BIND_SERVICE"};
  auto plan = build_plan(spec, {});
  REQUIRE(plan);
  CHECK((plan->clone_flags & CLONE_NEWNS));
  CHECK((plan->clone_flags & CLONE_NEWNET));
  REQUIRE_FALSE(plan->ops.empty());
  // The filter last, right after no_new_privs (implied: the filter needs it
  // when the service lacks CAP_SYS_ADMIN, which a root service keeps).
  const SandboxOp& last = plan->ops.back();
  CHECK(last.kind == SandboxOp::Kind::Seccomp);
  CHECK(last.what == "SystemCallFilter= (load the seccomp filter)");
  CHECK(last.exit_status == 228);
  auto nnp = std::find_if(plan->ops.begin(), plan->ops.end(),
                          [](const SandboxOp& o) { return o.kind == SandboxOp::Kind::NoNewPrivs; });
  REQUIRE(nnp != plan->ops.end());
  CHECK(nnp->value == 0);
  // One program per ABI (x86-64, x86, x32 on x86-64), each a Seccomp step.
  size_t seccomp_steps = std::count_if(plan->ops.begin(), plan->ops.end(),
                                       [](const SandboxOp& o) { return o.kind == SandboxOp::Kind::Seccomp; });
  CHECK(plan->filters.size() == seccomp_steps);
  CHECK(seccomp_steps >= 1);
  CHECK(contains(plan->in_force, "ProtectSystem= (mount namespace)"));
  CHECK(contains(plan->in_force, "CapabilityBoundingSet=CAP_NET_BIND_SERVICE"));
  CHECK(contains(describe_sandbox(spec), "ProtectSystem=strict"));
  CHECK(contains(describe_sandbox(spec), "SystemCallFilter=@system-service"));
  CHECK(check_sandbox(spec, std::nullopt).empty());
}

// ---------------------------------------------------------------- cgroups

namespace {

void put(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << content;
}

}  // namespace

TEST_CASE("cgroup detection: pure v2 with controllers", "[cgroup]") {
  test::TempDir root;
  put(root.path() + "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
  std::string mi = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
  auto s = parse_cgroup_support(mi, "0::/\n", root.path(), true);
  CHECK(s.layout == CgroupSupport::Layout::V2);
  CHECK(s.v2_mount == "/sys/fs/cgroup");
  CHECK(s.v2_base == "/sys/fs/cgroup/unitrun");
  CHECK(s.v2_writable);
  CHECK(s.carrier("memory") == "v2");
  CHECK(s.carrier("io") == "v2");
  CHECK(s.carrier("devices") == "");
  CHECK(s.describe() == "cgroup v2: v2 /sys/fs/cgroup (cpuset cpu io memory pids)");
  auto user = parse_cgroup_support(mi, "0::/user.slice/user-1000.slice/session-1.scope\n", root.path(), false);
  CHECK_FALSE(user.v2_writable);
  CHECK_FALSE(user.usable());
  CHECK(user.v2_problem.find("not root") == 0);
}

TEST_CASE("cgroup detection: hybrid (v1 controllers, v2 for tracking) and co-mounted v1", "[cgroup]") {
  test::TempDir root;
  put(root.path() + "/sys/fs/cgroup/unified/cgroup.controllers", "");
  for (const char* d : {"memory", "pids", "cpu,cpuacct", "systemd"})
    std::filesystem::create_directories(root.path() + "/sys/fs/cgroup/" + d);
  std::string mi =
      "31 23 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
      "32 23 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "33 23 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
      "34 23 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "35 23 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n";
  auto s = parse_cgroup_support(mi, "0::/\n1:name=systemd:/\n", root.path(), true);
  CHECK(s.layout == CgroupSupport::Layout::Hybrid);
  CHECK(s.v2_base == "/sys/fs/cgroup/unified/unitrun");
  CHECK(s.v2_writable);
  CHECK(s.v2_controllers.empty());
  CHECK(s.carrier("memory") == "v1");
  CHECK(s.carrier("cpuacct") == "v1");
  CHECK(s.v1.at("cpu").mount_point == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(s.v1.at("cpuacct").mount_point == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK_FALSE(s.v1.count("systemd"));
  CHECK(s.carrier("io") == "");
  CHECK(s.describe().find("hybrid: v2 /sys/fs/cgroup/unified (tracking only, no controllers), v1") == 0);

  auto v1 = parse_cgroup_support(mi.substr(mi.find('\n') + 1), "", root.path(), true);
  CHECK(v1.layout == CgroupSupport::Layout::V1);
  CHECK(v1.v2_mount.empty());
  auto nonroot = parse_cgroup_support(mi, "0::/\n", root.path(), false);
  CHECK_FALSE(nonroot.v1.at("memory").writable());

  // The IP filter needs the v2 tree: on v1 alone, check names the key.
  CgroupLimits ip;
  REQUIRE(add_ip_prefixes("any", ip.ip_address_deny));
  auto problems = check_limits(v1, ip);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind("IPAddressDeny=: needs a BPF program on the unit's cgroup v2 directory", 0) == 0);
  CgroupLimits allow_only;
  REQUIRE(add_ip_prefixes("localhost", allow_only.ip_address_allow));
  problems = check_limits(v1, allow_only);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind("IPAddressAllow=: ", 0) == 0);
}

// Of several cgroup2 mounts, systemd's place wins over one listed before
// it: the statfs path of detect_cgroups() can only name that place, and
// both paths must give one answer.
TEST_CASE("cgroup detection: the cgroup2 mount at systemd's place wins over one listed before it", "[cgroup]") {
  test::TempDir root;
  put(root.path() + "/sys/fs/cgroup/cgroup.controllers", "memory pids\n");
  put(root.path() + "/sys/fs/cgroup/unified/cgroup.controllers", "");
  put(root.path() + "/mnt/cg/cgroup.controllers", "");
  std::string elsewhere = "40 23 0:40 / /mnt/cg rw - cgroup2 cgroup2 rw\n";
  std::string unified = "31 23 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  std::string whole = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
  CHECK(parse_cgroup_support(elsewhere, "0::/\n", root.path(), true).v2_mount == "/mnt/cg");
  CHECK(parse_cgroup_support(elsewhere + unified, "0::/\n", root.path(), true).v2_mount == "/sys/fs/cgroup/unified");
  auto s = parse_cgroup_support(elsewhere + unified + whole, "0::/\n", root.path(), true);
  CHECK(s.v2_mount == "/sys/fs/cgroup");
  CHECK(s.v2_base == "/sys/fs/cgroup/unitrun");
  CHECK(s.v2_controllers == std::vector<std::string>{"memory", "pids"});
  CHECK(parse_cgroup_support(whole + unified, "0::/\n", root.path(), true).v2_mount == "/sys/fs/cgroup");
  // Mount points escaped as mountinfo writes them ("\040" a space).
  auto spaced =
      parse_cgroup_support("41 23 0:41 / /mnt/c\\040g rw - cgroup2 cgroup2 rw\n", "0::/\n", root.path(), true);
  CHECK(spaced.v2_mount == "/mnt/c g");
}

// The statfs path answers only where mountinfo could add nothing: no v1
// hierarchy with a controller exists (the kernel lists each in
// /proc/self/cgroup, mounted here or not) and the kernel shows a v2 tree.
TEST_CASE("cgroup detection without mountinfo: refused where a v1 controller or no v2 tree is listed", "[cgroup]") {
  CHECK_FALSE(detect_cgroups_without_mountinfo("4:memory:/\n0::/\n", true));
  CHECK_FALSE(detect_cgroups_without_mountinfo("2:cpu,cpuacct:/x\n0::/x\n", true));
  CHECK_FALSE(detect_cgroups_without_mountinfo("3:name=foo,pids:/\n0::/\n", true));
  CHECK_FALSE(detect_cgroups_without_mountinfo("1:name=systemd:/\n", true));  // no "0::": cgroup2 never mounted
  CHECK_FALSE(detect_cgroups_without_mountinfo("", true));
  // Where it answers, it is mountinfo's answer (here: this machine's).
  for (const char* own : {"0::/\n", "1:name=systemd:/\n0::/\n", "0::/some/where\n"}) {
    auto fast = detect_cgroups_without_mountinfo(own, true);
    if (!fast) continue;  // no cgroup2 at /sys/fs/cgroup or .../unified here
    auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
    REQUIRE(mountinfo);
    auto slow = parse_cgroup_support(*mountinfo, own, "", true);
    INFO(own << "fast: " << fast->describe() << "\nslow: " << slow.describe());
    CHECK(fast->v2_mount == slow.v2_mount);
    CHECK(fast->v2_base == slow.v2_base);
    CHECK(fast->v2_writable == slow.v2_writable);
    CHECK(fast->v2_controllers == slow.v2_controllers);
    CHECK(fast->v2_problem == slow.v2_problem);
    CHECK(fast->v1.empty());
  }
}

// detect_cgroups() on this machine, whichever path it takes, says what the
// mount table says.
TEST_CASE("cgroup detection: detect_cgroups() gives mountinfo's answer", "[cgroup]") {
  auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
  auto own = sys::read_file("/proc/self/cgroup", 1 << 16);
  REQUIRE(mountinfo);
  REQUIRE(own);
  auto slow = parse_cgroup_support(*mountinfo, *own, "", ::geteuid() == 0);
  auto got = detect_cgroups();
  INFO("detect_cgroups: " << got.describe() << "\nmountinfo: " << slow.describe());
  CHECK(got.layout == slow.layout);
  CHECK(got.v2_mount == slow.v2_mount);
  CHECK(got.v2_base == slow.v2_base);
  CHECK(got.v2_writable == slow.v2_writable);
  CHECK(got.v2_controllers == slow.v2_controllers);
  CHECK(got.v2_problem == slow.v2_problem);
  REQUIRE(got.v1.size() == slow.v1.size());
  for (const auto& [c, h] : slow.v1) {
    INFO(c);
    REQUIRE(got.v1.count(c));
    CHECK(got.v1.at(c).mount_point == h.mount_point);
    CHECK(got.v1.at(c).controllers == h.controllers);
  }
  CHECK(got.describe() == slow.describe());
}

namespace {

// The hybrid layout of the reference machine (Debian 12 with a v1
// systemd): v1 cpu,cpuacct co-mounted, freezer, memory, pids, devices, and
// an unified v2 tree without controllers.
const char* const kHybridMountinfo =
    "31 23 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
    "32 23 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "33 23 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    "34 23 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "35 23 0:31 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
    "36 23 0:32 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
    "37 23 0:33 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n";

CgroupSupport fake_support(const test::TempDir& root, const std::string& mountinfo, const std::string& v2_controllers) {
  put(root.path() + "/sys/fs/cgroup/unified/cgroup.controllers", v2_controllers);
  put(root.path() + "/sys/fs/cgroup/cgroup.controllers", v2_controllers);
  for (const char* d : {"memory", "pids", "cpu,cpuacct", "freezer", "devices", "systemd"})
    std::filesystem::create_directories(root.path() + "/sys/fs/cgroup/" + d);
  return parse_cgroup_support(mountinfo, "0::/\n", root.path(), true);
}

const CgroupV2Features kCurrentKernel{true, true};  // cgroup.kill, cpu.stat
const CgroupV2Features kOldKernel{false, false};    // before 4.15: neither

std::vector<std::string> v2_controllers_of(const CgroupPlan& p) {
  std::vector<std::string> out;
  for (const auto& [c, key] : p.v2_controllers) out.push_back(c);
  return out;
}

}  // namespace

TEST_CASE("cgroup plan: a plain unit on hybrid gets v2, v1 memory and pids: no cpuacct, no freezer", "[cgroup]") {
  test::TempDir root;
  CgroupSupport s = fake_support(root, kHybridMountinfo, "");
  REQUIRE(s.layout == CgroupSupport::Layout::Hybrid);
  CgroupPlan p = plan_unit_cgroup(s, CgroupLimits{}, kCurrentKernel);
  CHECK(p.v2);
  CHECK(p.v2_controllers.empty());
  CHECK(p.v1_mounts == std::vector<std::string>{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"});
  CHECK(p.problems.empty());
  // A kernel whose v2 directories can neither be killed nor frozen, nor
  // count CPU time: the v1 freezer (kill_all) again; cpuacct only with
  // CPUAccounting=yes said (not cheap there: systemd's default is no).
  CgroupPlan old = plan_unit_cgroup(s, CgroupLimits{}, kOldKernel);
  CHECK(old.v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/freezer", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"});
  CgroupLimits said;
  said.cpu_accounting = true;
  CHECK(plan_unit_cgroup(s, said, kOldKernel).v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/memory",
                                 "/sys/fs/cgroup/pids"});
}

TEST_CASE("cgroup plan: CPUQuota= on hybrid brings the co-mounted cpu,cpuacct hierarchy", "[cgroup]") {
  test::TempDir root;
  CgroupSupport s = fake_support(root, kHybridMountinfo, "");
  CgroupLimits l;
  l.cpu_quota_per_sec_usec = 500000;
  CgroupPlan p = plan_unit_cgroup(s, l, kCurrentKernel);
  CHECK(p.v2);
  CHECK(p.v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"});
  CHECK(p.problems.empty());
  // CPUAccounting=no does not drop what a limit needs.
  l.cpu_accounting = false;
  CHECK(plan_unit_cgroup(s, l, kCurrentKernel).v1_mounts == p.v1_mounts);
}

TEST_CASE("cgroup plan: MemoryAccounting=no and TasksAccounting=no drop their directories unless a limit needs them",
          "[cgroup]") {
  test::TempDir root;
  CgroupSupport s = fake_support(root, kHybridMountinfo, "");
  CgroupLimits l;
  l.memory_accounting = false;
  CHECK(plan_unit_cgroup(s, l, kCurrentKernel).v1_mounts == std::vector<std::string>{"/sys/fs/cgroup/pids"});
  l.tasks_accounting = false;
  CgroupPlan bare = plan_unit_cgroup(s, l, kCurrentKernel);
  CHECK(bare.v2);  // the v2 directory tracks the processes whatever is accounted
  CHECK(bare.v1_mounts.empty());
  // A limit implies its accounting (systemd).
  l.memory_max = 1 << 20;
  l.tasks_max = 10;
  CHECK(plan_unit_cgroup(s, l, kCurrentKernel).v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"});
}

TEST_CASE("cgroup plan: pure v2 enables memory and pids, with a directory in the one tree", "[cgroup]") {
  test::TempDir root;
  CgroupSupport s = fake_support(root, "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
                                 "cpuset cpu io memory pids");
  REQUIRE(s.layout == CgroupSupport::Layout::V2);
  CgroupPlan p = plan_unit_cgroup(s, CgroupLimits{}, kCurrentKernel);
  CHECK(p.v2);
  CHECK(p.v1_mounts.empty());
  CHECK(v2_controllers_of(p) == std::vector<std::string>{"memory", "pids"});
  CHECK(p.v2_controllers.at("memory").empty());  // accounting: no key to blame
  CgroupLimits l;
  l.memory_accounting = false;
  l.cpu_weight = 200;
  p = plan_unit_cgroup(s, l, kCurrentKernel);
  CHECK(v2_controllers_of(p) == std::vector<std::string>{"cpu", "pids"});
  CHECK(p.v2_controllers.at("cpu") == "CPUWeight=");
}

// systemd 252's DefaultCPUAccounting= is yes only where CPU accounting is
// cheap (the unified tree, kernel >= 4.15): on pure v1 cpuacct is the
// unit's only with CPUAccounting=yes said, and a CPU limit brings cpu alone
// (co-mounted here, so the same directory).
TEST_CASE("cgroup plan: pure v1 keeps the freezer (kill_all), cpuacct only with CPUAccounting=yes", "[cgroup]") {
  test::TempDir root;
  std::string v1_only = std::string(kHybridMountinfo).substr(std::string(kHybridMountinfo).find('\n') + 1);
  CgroupSupport s = fake_support(root, v1_only, "");
  REQUIRE(s.layout == CgroupSupport::Layout::V1);
  CgroupPlan p = plan_unit_cgroup(s, CgroupLimits{}, kCurrentKernel);
  CHECK_FALSE(p.v2);
  CHECK(p.v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/freezer", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"});
  CgroupLimits said;
  said.cpu_accounting = true;
  CHECK(plan_unit_cgroup(s, said, kCurrentKernel).v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/memory",
                                 "/sys/fs/cgroup/pids"});
  // Said where v2 counts it for free: no cpuacct all the same.
  CgroupSupport hybrid = fake_support(root, kHybridMountinfo, "");
  CHECK(plan_unit_cgroup(hybrid, said, kCurrentKernel).v1_mounts ==
        std::vector<std::string>{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"});
  // CPUAccounting=no: no cpuacct; the freezer stays (kill_all's).
  CgroupLimits l;
  l.cpu_accounting = false;
  l.memory_accounting = false;
  l.tasks_accounting = false;
  CHECK(plan_unit_cgroup(s, l, kCurrentKernel).v1_mounts == std::vector<std::string>{"/sys/fs/cgroup/freezer"});
  // A limit whose controller is missing is a problem named by its key.
  CgroupLimits weight;
  weight.io_weight = 50;
  CgroupPlan io = plan_unit_cgroup(s, weight, kCurrentKernel);
  REQUIRE(io.problems.size() == 1);
  CHECK(io.problems[0].first == "IOWeight=");
}

// The v2 controllers are handed down level by level (the tree's root
// enables them for unitrun's base, the base for the units); once the base
// hands one down, as after the first start, a start writes neither file.
// On a fake tree (files in a directory), where a write would show.
TEST_CASE("cgroup: a start writes no cgroup.subtree_control where the base hands the controllers down already",
          "[cgroup]") {
  test::TempDir root;
  std::string mount = root.path() + "/cg";
  std::string base = mount + "/unitrun";
  put(base + "/cgroup.kill", "");
  put(base + "/cgroup.subtree_control", "memory pids\n");
  put(mount + "/cgroup.subtree_control", "untouched");
  auto text = [](const std::string& path) { return sys::read_file(path, 4096).value_or("(unreadable)"); };
  CgroupSupport s;
  s.layout = CgroupSupport::Layout::V2;
  s.v2_mount = mount;
  s.v2_base = base;
  s.v2_writable = true;
  s.v2_controllers = {"memory", "pids"};
  auto cg = UnitCgroup::create(s, "handed", {});
  REQUIRE(cg);
  CHECK(text(mount + "/cgroup.subtree_control") == "untouched");
  CHECK(text(base + "/cgroup.subtree_control") == "memory pids\n");
  // Still in force: usage() reads the memory controller's files.
  put(base + "/handed.service/memory.current", "4096\n");
  CHECK(cg->usage().memory_current == std::optional<uint64_t>(4096));
  // One the base does not hand down yet is enabled as before: the parent
  // first, then the base.
  put(base + "/cgroup.subtree_control", "memory\n");
  put(mount + "/cgroup.subtree_control", "");
  auto other = UnitCgroup::create(s, "other", {});
  REQUIRE(other);
  CHECK(text(mount + "/cgroup.subtree_control") == "+pids");
  CHECK(text(base + "/cgroup.subtree_control").rfind("+pids", 0) == 0);
}

TEST_CASE("cgroup: names and systemd's conversions", "[cgroup]") {
  CHECK(unit_cgroup_name("web") == std::optional<std::string>("web.service"));
  CHECK(unit_cgroup_name("web.service") == std::optional<std::string>("web.service"));
  CHECK_FALSE(unit_cgroup_name(""));
  CHECK_FALSE(unit_cgroup_name(".."));
  CHECK_FALSE(unit_cgroup_name("a/b"));
  CHECK(cpu_weight_to_shares(100) == 1024);
  CHECK(cpu_weight_to_shares(1) == 10);
  CHECK(cpu_weight_to_shares(10000) == 102400);
  CHECK(io_weight_to_blkio(100) == 500);
  CHECK(io_weight_to_blkio(1) == 10);
  CHECK(io_weight_to_blkio(10000) == 1000);
  CHECK(cpu_max_value(500000, 100000) == "50000 100000");
  CHECK(cpu_max_value(std::nullopt, 100000) == "max 100000");
  CHECK(cpu_max_value(1000, 100000) == "1000 100000");  // the kernel's minimum
}
