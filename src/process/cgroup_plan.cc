#include "process/cgroup_plan.h"

#include <algorithm>

#include "process/cgroup.h"

namespace unitrun::process {

CgroupPlan plan_unit_cgroup(const CgroupSupport& support, const CgroupLimits& limits, const CgroupV2Features& v2) {
  CgroupPlan plan;
  plan.v2 = support.v2_writable;
  bool want_memory = limits.memory_max || limits.memory_high || limits.memory_swap_max;
  bool want_pids = limits.tasks_max.has_value();
  bool want_cpu = limits.cpu_quota_per_sec_usec || limits.cpu_weight;
  bool want_io = limits.io_weight || !limits.io_device_weight.empty();
  bool want_devices = limits.device_policy != DevicePolicy::Auto || !limits.device_allow.empty() ||
                      limits.private_devices || limits.protect_clock;

  // Which tree carries each controller: v2 where it has it, else v1. A
  // controller a limit needs is required (its key is the problem); an
  // accounting one is taken where it is.
  auto use = [&](const std::string& ctrl, const std::string& key) {
    std::string c = support.carrier(ctrl);
    if (c == "v2") {
      auto it = plan.v2_controllers.find(ctrl);
      if (it == plan.v2_controllers.end() || it->second.empty()) plan.v2_controllers[ctrl] = key;
    } else if (c == "v1") {
      const std::string& mount = support.v1.at(ctrl == "io" ? "blkio" : ctrl).mount_point;
      if (std::find(plan.v1_mounts.begin(), plan.v1_mounts.end(), mount) == plan.v1_mounts.end())
        plan.v1_mounts.push_back(mount);
    } else if (!key.empty()) {
      plan.problems.emplace_back(key, "no " + ctrl + " controller unitrun can use here (" + support.describe() + ")");
    }
  };
  if (want_memory)
    use("memory", limits.memory_max ? "MemoryMax=" : limits.memory_high ? "MemoryHigh=" : "MemorySwapMax=");
  if (want_pids) use("pids", "TasksMax=");
  if (want_cpu) use("cpu", limits.cpu_quota_per_sec_usec ? "CPUQuota=" : "CPUWeight=");
  if (want_io) use("io", limits.io_weight ? "IOWeight=" : "IODeviceWeight=");
  if (want_devices) {
    if (support.carrier("devices") == "v1") {
      use("devices", "DeviceAllow=");
    } else {
      const char* key = !limits.device_allow.empty()                 ? "DeviceAllow="
                        : limits.device_policy != DevicePolicy::Auto ? "DevicePolicy="
                        : limits.private_devices                     ? "PrivateDevices="
                                                                     : "ProtectClock=";
      if (limits.device_allow.empty() && limits.device_policy == DevicePolicy::Auto) {
        // PrivateDevices=/ProtectClock= alone: the private /dev or the
        // capability drop does the work; the device list is systemd's second
        // layer, in force only where a devices controller is. Said, not hidden.
        plan.warnings.push_back(std::string(key) +
                                " device access list not applied: no v1 devices controller, and cgroup v2 needs a BPF "
                                "program unitrun does not install (the mount/capability part is in force)");
      } else {
        plan.problems.emplace_back(key,
                                   "no v1 devices controller here, and cgroup v2 device control needs a BPF program "
                                   "unitrun does not install");
      }
    }
  }
  // Accounting: systemd's defaults, and what kill_all needs.
  if (limits.memory_accounting) use("memory", "");
  if (limits.tasks_accounting) use("pids", "");
  // CPU time: free in a v2 cgroup's cpu.stat; v1's cpuacct only when
  // CPUAccounting=yes is said (systemd's DefaultCPUAccounting= is yes only
  // where accounting is cheap; a CPU limit brings cpu, not cpuacct).
  if (limits.cpu_accounting.value_or(false) && !(plan.v2 && v2.cpu_stat)) use("cpuacct", "");
  if (!(plan.v2 && v2.kill_or_freeze)) use("freezer", "");
  std::sort(plan.v1_mounts.begin(), plan.v1_mounts.end());
  return plan;
}

}  // namespace unitrun::process
