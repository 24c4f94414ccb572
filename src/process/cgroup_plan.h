// Which trees a unit's cgroup goes in, and which controllers it uses there:
// the pure half of UnitCgroup::create() (process/cgroup.h), decided from
// the detected support, the unit's limits and two facts about the v2 tree.
//
// The rule is systemd's defaults (252): memory and tasks are accounted
// (DefaultMemoryAccounting=yes, DefaultTasksAccounting=yes) unless the
// unit says MemoryAccounting=no / TasksAccounting=no; CPU time is counted
// where it is free: every v2 cgroup has cpu.stat's usage_usec, controller
// or not, so a v2 tree makes the v1 cpuacct hierarchy unnecessary, and
// v2's cgroup.kill / cgroup.freeze make the v1 freezer unnecessary for
// kill_all (the v1 freezer is otherwise only `systemctl freeze`'s, which
// unitrun does not have). A limit implies its controller, accounting or
// not. Without a writable v2 tree (pure v1) a unit keeps the freezer
// (kill_all's only way to stop forks) and gets cpuacct only with an explicit
// CPUAccounting=yes (systemd 252: DefaultCPUAccounting=yes only where CPU
// accounting is cheap, the unified tree on kernel >= 4.15).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "unit/resource_control.h"

namespace unitrun::process {

struct CgroupSupport;

// What the unit directories of the v2 tree offer (create() asks the v2 base
// directory, which exists before any unit directory; the root cgroup has
// neither file).
struct CgroupV2Features {
  bool kill_or_freeze = false;  // cgroup.kill or cgroup.freeze (Linux 5.14 / 5.2)
  bool cpu_stat = false;        // cpu.stat with usage_usec (Linux 4.15)
};

struct CgroupPlan {
  bool v2 = false;  // a directory in the v2 tree (always, where it is writable: it tracks the processes)
  // v2 controllers to enable for the unit -> the key that needs it ("" for accounting).
  std::map<std::string, std::string> v2_controllers;
  // v1 hierarchies the unit gets a directory in, by mount point (sorted).
  std::vector<std::string> v1_mounts;
  // Limits whose controller is missing: (key, reason); create() makes them
  // the error, or warnings with best effort.
  std::vector<std::pair<std::string, std::string>> problems;
  std::vector<std::string> warnings;  // said, not refused
};

CgroupPlan plan_unit_cgroup(const CgroupSupport& support, const unitrun::CgroupLimits& limits,
                            const CgroupV2Features& v2);

}  // namespace unitrun::process
