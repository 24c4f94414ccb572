// The resource control a unit asks for (systemd.resource-control(5)), as
// plain data in the unit model: the parser fills it, process/cgroup.h
// applies it to the unit's cgroup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "unit/ip_address_access.h"

namespace unitrun {

enum class DevicePolicy { Auto, Closed, Strict };

struct DeviceAllow {
  std::string device;  // "/dev/sda", "char-pts", "block-loop", "char-*"
  std::string access = "rwm";
  bool operator==(const DeviceAllow&) const = default;
};

struct IoDeviceWeight {
  std::string device;  // a block device node or a path on it
  uint64_t weight = 100;
  bool operator==(const IoDeviceWeight&) const = default;
};

inline constexpr uint64_t kCgroupInfinity = UINT64_MAX;

// systemd's resource-control keys, in their units. nullopt: not set.
struct CgroupLimits {
  std::optional<uint64_t> memory_max, memory_high, memory_swap_max;  // bytes, kCgroupInfinity for "infinity"
  std::optional<uint64_t> tasks_max;                                 // kCgroupInfinity for "infinity"
  std::optional<uint64_t> cpu_quota_per_sec_usec;                    // CPUQuota=50% is 500000
  uint64_t cpu_quota_period_usec = 100000;                           // CPUQuotaPeriodSec=
  std::optional<uint64_t> cpu_weight;                                // 1..10000
  std::optional<uint64_t> io_weight;                                 // 1..10000
  std::vector<IoDeviceWeight> io_device_weight;
  DevicePolicy device_policy = DevicePolicy::Auto;
  std::vector<DeviceAllow> device_allow;
  // PrivateDevices=yes / ProtectClock=yes imply device rules in systemd
  // (closed policy + the pseudo devices / char-rtc read): the caller sets
  // these from the SandboxSpec.
  bool private_devices = false;
  bool protect_clock = false;
  bool delegate = false;  // Delegate=yes: the cgroup is the service user's (chown)
  std::string slice;      // Slice=: accepted, not used (no slice tree without systemd)
  // IPAddressAllow=/IPAddressDeny=: sorted, no duplicates; empty when unset.
  // Enforced by a BPF program on the unit's cgroup v2 directory.
  std::vector<IpPrefix> ip_address_allow, ip_address_deny;
  // MemoryAccounting=, TasksAccounting=, CPUAccounting=: systemd's defaults
  // are yes for memory and tasks; CPU time is counted where it is free (a
  // v2 tree's cpu.stat), and through v1's cpuacct only when CPUAccounting=yes
  // is said (nullopt: unset, systemd's DefaultCPUAccounting=, yes only where
  // it is cheap). =no drops the controller's directory where no limit needs
  // it (a limit implies its accounting). process/cgroup_plan.h applies them.
  bool memory_accounting = true;
  bool tasks_accounting = true;
  std::optional<bool> cpu_accounting;
  bool operator==(const CgroupLimits&) const = default;
  // Whether anything but accounting is asked for (accounting alone needs no
  // cgroup: without one there is simply none to count).
  bool asks_for_control() const {
    CgroupLimits rest = *this;
    rest.memory_accounting = rest.tasks_accounting = true;
    rest.cpu_accounting.reset();
    return !(rest == CgroupLimits{});
  }
};

}  // namespace unitrun
