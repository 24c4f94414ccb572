// A control group per unit: resource limits (MemoryMax=, TasksMax=,
// CPUQuota=, ...) and an exact answer to "which processes are the unit's",
// which survives a SIGKILLed monitor and setsid()'d escapees.
//
// What the machine offers is detected, never assumed (detect_cgroups()):
//   - cgroup v2 (pure): /sys/fs/cgroup is cgroup2; controllers are used
//     where cgroup.controllers lists them and unitrun can enable them below
//     its base directory;
//   - cgroup v1: one hierarchy per controller (or co-mounted ones) under
//     /sys/fs/cgroup/<ctrl>, used where writable;
//   - hybrid (this project's reference machine): v1 hierarchies for the
//     controllers plus a v2 tree (/sys/fs/cgroup/unified) without
//     controllers, which still tracks processes, and has cgroup.kill,
//     cgroup.freeze, cgroup.events and cpu.stat.
// Unit cgroups are named after the unit: BASE/unitrun/NAME.service in each
// tree used (v2: /sys/fs/cgroup/unitrun/NAME.service; v1:
// /sys/fs/cgroup/<ctrl>/unitrun/NAME.service; hybrid adds
// /sys/fs/cgroup/unified/unitrun/NAME.service).
//
// Never a silent downgrade: a limit whose controller is missing makes
// UnitCgroup::create() fail with one line naming the key and the reason,
// unless the caller asked for best effort (then it is a warning).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "unit/resource_control.h"

namespace unitrun::process {

// ---------------------------------------------------------------- detection

struct CgroupV1Hierarchy {
  std::string mount_point;               // "/sys/fs/cgroup/cpu,cpuacct"
  std::vector<std::string> controllers;  // {"cpu", "cpuacct"}
  // Whether unitrun may create cgroups in it (root, and access(W_OK) on
  // the mount point), asked of the kernel when first wanted, not at
  // detection: a start looks at the two or three hierarchies its plan
  // uses, not at the dozen a machine mounts.
  bool writable() const;

  std::string probe_path;  // the mount point as seen from here (under parse_cgroup_support's root)
  bool root_user = false;
  mutable std::optional<bool> writable_;  // writable(), once asked
};

struct CgroupSupport {
  enum class Layout { None, V1, Hybrid, V2 };
  Layout layout = Layout::None;
  // cgroup v2
  std::string v2_mount;                     // "" when there is no cgroup2 mount
  std::string v2_base;                      // where unit cgroups go: "<mount>/unitrun" (or a delegated subtree)
  std::vector<std::string> v2_controllers;  // usable below v2_base (cgroup.controllers of its parent)
  bool v2_writable = false;
  std::string v2_problem;  // why v2 cannot be used or has no controllers here, "" when it can
  // cgroup v1: controller name -> hierarchy (co-mounted controllers share one)
  std::map<std::string, CgroupV1Hierarchy> v1;

  bool usable() const { return v2_writable || !v1.empty(); }
  // Which tree carries a controller: "v2", "v1" or "" (none).
  std::string carrier(const std::string& controller) const;
  // One line for status, check and docs: "hybrid: v2 /sys/fs/cgroup/unified (no controllers), v1 memory pids ..."
  std::string describe() const;
};

// Reads /proc/self/cgroup, then detect_cgroups_without_mountinfo() where it
// answers, else /proc/self/mountinfo (parse_cgroup_support()), and the
// controllers files of the trees found.
CgroupSupport detect_cgroups();

// The same from given texts, with every file read below `root` (a fake tree
// in tests; "" for the real one). `proc_self_cgroup` gives this process's
// v2 cgroup ("/" when at the root: the "0::" line). Of several cgroup2
// mounts, the one at /sys/fs/cgroup, else /sys/fs/cgroup/unified, else the
// first listed is used.
CgroupSupport parse_cgroup_support(const std::string& mountinfo, const std::string& proc_self_cgroup,
                                   const std::string& root, bool is_root_user);

// parse_cgroup_support()'s answer without mountinfo, where it can be told
// exactly from stat calls: /proc/self/cgroup names no v1 hierarchy with a
// controller (so none is mounted anywhere) and a cgroup2 file system is
// mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified. nullopt elsewhere
// (hybrid, v1, a v2 tree mounted somewhere else, a kernel before 5.8).
// Both paths take the mount for the tree's root: neither reads
// mountinfo's root field, so a cgroup2 subtree bind-mounted onto
// /sys/fs/cgroup (as some container managers do) is misread by both alike;
// a fix of that in parse_cgroup_support() must come here too, as statx()
// cannot tell a bind mount's root from the file system's.
std::optional<CgroupSupport> detect_cgroups_without_mountinfo(const std::string& proc_self_cgroup, bool is_root_user);

// "NAME.service" (NAME already ending in ".service" is kept); nullopt for a
// name that cannot be a directory name ("", ".", "..", with '/').
std::optional<std::string> unit_cgroup_name(const std::string& unit_name);

// ---------------------------------------------------------------- limits

using unitrun::CgroupLimits;
using unitrun::DeviceAllow;
using unitrun::DevicePolicy;
using unitrun::IoDeviceWeight;
using unitrun::kCgroupInfinity;

struct CgroupOptions {
  std::optional<uid_t> delegate_uid;  // owner of the cgroup when Delegate=yes
  std::optional<gid_t> delegate_gid;
  bool best_effort = false;  // a limit that cannot be set is a warning, not an error
};

// What status shows: use and limit side by side.
struct CgroupUsage {
  std::optional<uint64_t> memory_current, memory_max, memory_high, memory_peak;
  std::optional<uint64_t> swap_current, swap_max;
  std::optional<uint64_t> tasks_current, tasks_max;
  std::optional<uint64_t> cpu_usage_nsec;
  std::optional<uint64_t> oom_kills;
};

// What UnitCgroup::create() would refuse on this machine, found without
// creating anything: "IOWeight=: reason" each, for `check`. Only what can
// be told in advance (a missing controller, a v2-only limit on v1, a
// kernel without swap accounting or the blkio weight files).
std::vector<std::string> check_limits(const CgroupSupport& support, const CgroupLimits& limits);

// ---------------------------------------------------------------- one unit's cgroup

class UnitCgroup {
 public:
  // Creates the unit's cgroup in every tree it needs (mkdir, or reuses one
  // left empty by a killed monitor), writes the limits and opens the
  // cgroup.procs files the child joins through. Fails when the unit's
  // cgroup exists and still has processes ("already populated").
  static Result<UnitCgroup> create(const CgroupSupport& support, const std::string& unit_name,
                                   const CgroupLimits& limits, const CgroupOptions& options = {});

  // The cgroup of a unit that exists now (its monitor may be dead); nullopt
  // when there is none. No limit is written, nothing is created.
  static std::optional<UnitCgroup> find(const CgroupSupport& support, const std::string& unit_name);

  UnitCgroup() = default;
  UnitCgroup(UnitCgroup&&) noexcept = default;
  UnitCgroup& operator=(UnitCgroup&&) noexcept = default;

  // The directories, one per tree ("/sys/fs/cgroup/unified/unitrun/x.service", ...).
  std::vector<std::string> paths() const;
  // The cgroup.procs files the child writes "0" to where clone3() cannot put
  // it in the cgroup (the fallback below), opened O_WRONLY|O_CLOEXEC by
  // open_process_join_fds(), which spawn calls only on that path: empty
  // before (and for find(): it is not for starting anything). Opening five
  // cgroup files a start does not use cost about 15 us each.
  Status open_process_join_fds() const;
  const std::vector<int>& join_fds() const { return join_fd_numbers_; }
  // The cheap way in, which spawn takes where it can: clone3() with
  // CLONE_INTO_CGROUP into the v2 directory (v2_dir_fd(), -1 without a v2
  // tree), then "0" written to each v1 hierarchy's "tasks" file
  // (thread_join_fds(), indexed as join_fds() and paths(), -1 for the v2
  // node). A write to cgroup.procs takes the kernel's global
  // cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period
  // when no other migration ran lately: 10-40 ms per start on a loaded
  // machine. Neither of these takes it (the child is single-threaded, so
  // its thread is the process).
  int v2_dir_fd() const { return v2_dir_fd_.get(); }
  const std::vector<int>& thread_join_fds() const { return thread_join_fd_numbers_; }
  // Limits create() could not set (best_effort), "MemoryHigh=: ..." each.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // "MemoryMax=512M (v1 memory)", ...: what is in force, for status and show.
  const std::vector<std::string>& in_force() const { return in_force_; }

  // The PIDs in the cgroup now, its sub-cgroups (Delegate=yes) included
  // (cgroup.procs of the tracking tree: v2 when there is one, else the
  // first v1 hierarchy; a directory without sub-cgroups costs one more
  // getdents). Zombies are not members.
  std::vector<pid_t> members() const;
  bool empty() const { return members().empty(); }
  // Whether `pid` is in the cgroup (or one below it) now: one read of
  // /proc/PID/cgroup, whatever the size of the unit or the depth of the
  // process in its tree. False when the process is gone.
  bool has_member(pid_t pid) const;

  CgroupUsage usage() const;

  // An fd that becomes readable (epoll/poll: EPOLLIN) when the memory
  // controller reports an OOM event in this cgroup: v2 an inotify watch on
  // memory.events, v1 an eventfd registered through cgroup.event_control on
  // memory.oom_control (the monitor arms it once the start is answered,
  // from a count taken before the spawn). Read oom_kills() after it fires
  // (and drain the fd: read() it; for inotify, read events; for eventfd, 8
  // bytes). Fails when the cgroup has no memory controller. kills_now, when given, receives
  // oom_kills() as it is once the watch is in place (v1: read from the
  // file the watch registered, not opened a second time).
  Result<UniqueFd> open_oom_watch(std::optional<uint64_t>* kills_now = nullptr) const;
  // Whether the OOM event comes before the kill is counted (the memory
  // controller on v1: its event is the cgroup running out of memory, before
  // the killer has chosen a victim); v2's memory.events changes again at
  // the kill itself.
  bool oom_count_lags_event() const;
  // Whether create() made every directory of this cgroup (none was left by
  // an earlier run): then no process was ever in it, and its OOM counter is
  // 0 without a read.
  bool made_fresh() const { return made_fresh_; }
  // The OOM kills counted in this cgroup so far (memory.events oom_kill on
  // v2, memory.oom_control oom_kill on v1); nullopt without a memory
  // controller or on kernels that do not count them.
  std::optional<uint64_t> oom_kills() const;

  // Kills every member with SIGKILL and waits (up to timeout_ms, no
  // polling: pidfds and cgroup.events) until the cgroup is empty. v2's
  // cgroup.kill where the kernel has it; else freeze (v2 cgroup.freeze or
  // the v1 freezer), SIGKILL each member through a pidfd opened while it is
  // frozen and verified to still be in the cgroup, thaw, and again until
  // nobody is left. Returns false (as a value) on timeout.
  Result<bool> kill_all(int timeout_ms) const;

  // Waits until the cgroup is empty (v2: cgroup.events populated 0 through
  // inotify; v1: each member's pidfd). True when empty in time.
  Result<bool> wait_empty(int timeout_ms) const;

  // Removes the unit's directories (rmdir; an empty cgroup only), and those
  // an earlier run left in trees this one does not use. The tracking
  // directory goes first: while it has a live member, rmdir fails with
  // EBUSY and nothing is removed (the error's sys_errno is EBUSY), so no
  // empty() is needed before. The shared "unitrun" parents stay.
  Status remove() const;

 private:
  struct Node {
    std::string path;   // the unit's directory in this tree
    std::string mount;  // the tree's mount point
    std::string tree;   // "v2" or the v1 hierarchy's first controller
    std::vector<std::string> controllers;
  };
  std::vector<Node> nodes_;
  mutable std::vector<UniqueFd> join_fds_;  // opened on demand: open_process_join_fds()
  mutable std::vector<int> join_fd_numbers_;
  UniqueFd v2_dir_fd_;
  std::vector<UniqueFd> thread_join_fds_;
  std::vector<int> thread_join_fd_numbers_;
  std::vector<std::string> warnings_, in_force_;
  std::vector<std::string> leftovers_;  // an earlier run's directories in trees this run does not use
  bool made_fresh_ = false;             // made_fresh()

  // In the v1 hierarchies this run does not use (of `only`'s controllers,
  // when it is not empty): the unit's directory, where one exists.
  void adopt_leftovers(const CgroupSupport& support, const std::string& name,
                       const std::vector<std::string>& only = {});
  const Node* node_with(const std::string& controller) const;
  const Node* v2_node() const;
  const Node* tracking_node() const;
  Status open_join_fds();
};

// The unit's cgroup found from its name alone, on this machine: for status
// and stop after the monitor was SIGKILLed.
std::optional<UnitCgroup> find_unit_cgroup(const std::string& unit_name);

// ---------------------------------------------------------------- conversions (pure, systemd's)

// CPUWeight= to v1 cpu.shares: weight * 1024 / 100, within [2, 262144].
uint64_t cpu_weight_to_shares(uint64_t weight);
// IOWeight= to v1 blkio.weight: weight * 500 / 100, within [10, 1000].
uint64_t io_weight_to_blkio(uint64_t weight);
// CPUQuota= per period: "QUOTA PERIOD" for v2 cpu.max ("max PERIOD" when unset).
std::string cpu_max_value(const std::optional<uint64_t>& quota_per_sec_usec, uint64_t period_usec);

}  // namespace unitrun::process
