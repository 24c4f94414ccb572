#include "process/exposure.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "base/fixed_text.h"
#include "process/syscall_groups.h"

namespace unitrun::process::exposure {
namespace {

enum class Kind {
  Bool,           // the flag at `flag` set is good (inverted: set is bad)
  User,           // User=/DynamicUser=
  Supplementary,  // SupplementaryGroups=
  ProtectHome,
  ProtectSystem,
  RootDirectory,
  Capability,  // a bit of `param` left in the bounding set is bad
  Umask,
  KeyringMode,
  ProtectProc,
  ProcSubset,
  NotifyAccess,
  RemoveIpc,
  Namespace,  // `param` still allowed is bad
  Architectures,
  SyscallFilter,  // `group`
  IpAddress,
  DeviceAllow,
  Ambient,
};

using Flag = bool SecurityInfo::*;

// The texts are arrays, not pointers (base/fixed_text.h): the table stays
// out of the pages the loader relocates.
struct Assessor {
  FixedText<64> name;
  FixedText<64> json_field;
  FixedText<72> good;  // empty: the check writes its own description
  FixedText<80> bad;
  FixedText<48> not_applicable;
  uint64_t weight, range;
  Kind kind;
  Flag flag = nullptr;
  uint64_t param = 0;
  FixedText<16> group = nullptr;
  bool inverted = false;                   // Kind::Bool: the flag set is the bad case
  bool default_dependencies_only = false;  // not applicable with DefaultDependencies=no
};

constexpr uint64_t cap(unsigned c) { return uint64_t{1} << c; }

// systemd 252's security_assessor_table, in its order (CAP_BPF as Debian's
// 252 has it). The names, texts, weights and ranges are systemd's.
constexpr Assessor kAssessors[] = {
    {"User=/DynamicUser=", "UserOrDynamicUser", nullptr, "Service runs as root user", nullptr, 2000, 10, Kind::User},
    {"SupplementaryGroups=", "SupplementaryGroups", "Service has no supplementary groups",
     "Service runs with supplementary groups", "Service runs as root, option does not matter", 200, 1,
     Kind::Supplementary},
    {"PrivateDevices=", "PrivateDevices", "Service has no access to hardware devices",
     "Service potentially has access to hardware devices", nullptr, 1000, 1, Kind::Bool,
     &SecurityInfo::private_devices},
    {"PrivateMounts=", "PrivateMounts", "Service cannot install system mounts", "Service may install system mounts",
     nullptr, 1000, 1, Kind::Bool, &SecurityInfo::private_mounts},
    {"PrivateNetwork=", "PrivateNetwork", "Service has no access to the host's network",
     "Service has access to the host's network", nullptr, 2500, 1, Kind::Bool, &SecurityInfo::private_network},
    {"PrivateTmp=", "PrivateTmp", "Service has no access to other software's temporary files",
     "Service has access to other software's temporary files", nullptr, 1000, 1, Kind::Bool, &SecurityInfo::private_tmp,
     0, nullptr, false, true},
    {"PrivateUsers=", "PrivateUsers", "Service does not have access to other users",
     "Service has access to other users", nullptr, 1000, 1, Kind::Bool, &SecurityInfo::private_users},
    {"ProtectControlGroups=", "ProtectControlGroups", "Service cannot modify the control group file system",
     "Service may modify the control group file system", nullptr, 1000, 1, Kind::Bool,
     &SecurityInfo::protect_control_groups},
    {"ProtectKernelModules=", "ProtectKernelModules", "Service cannot load or read kernel modules",
     "Service may load or read kernel modules", nullptr, 1000, 1, Kind::Bool, &SecurityInfo::protect_kernel_modules},
    {"ProtectKernelTunables=", "ProtectKernelTunables", "Service cannot alter kernel tunables (/proc/sys, …)",
     "Service may alter kernel tunables", nullptr, 1000, 1, Kind::Bool, &SecurityInfo::protect_kernel_tunables},
    {"ProtectKernelLogs=", "ProtectKernelLogs", "Service cannot read from or write to the kernel log ring buffer",
     "Service may read from or write to the kernel log ring buffer", nullptr, 1000, 1, Kind::Bool,
     &SecurityInfo::protect_kernel_logs},
    {"ProtectClock=", "ProtectClock", "Service cannot write to the hardware clock or system clock",
     "Service may write to the hardware clock or system clock", nullptr, 1000, 1, Kind::Bool,
     &SecurityInfo::protect_clock},
    {"ProtectHome=", "ProtectHome", nullptr, nullptr, nullptr, 1000, 10, Kind::ProtectHome, nullptr, 0, nullptr, false,
     true},
    {"ProtectHostname=", "ProtectHostname", "Service cannot change system host/domainname",
     "Service may change system host/domainname", nullptr, 50, 1, Kind::Bool, &SecurityInfo::protect_hostname},
    {"ProtectSystem=", "ProtectSystem", nullptr, nullptr, nullptr, 1000, 10, Kind::ProtectSystem, nullptr, 0, nullptr,
     false, true},
    {"RootDirectory=/RootImage=", "RootDirectoryOrRootImage", "Service has its own root directory/image",
     "Service runs within the host's root directory", nullptr, 200, 1, Kind::RootDirectory, nullptr, 0, nullptr, false,
     true},
    {"LockPersonality=", "LockPersonality", "Service cannot change ABI personality",
     "Service may change ABI personality", nullptr, 100, 1, Kind::Bool, &SecurityInfo::lock_personality},
    {"MemoryDenyWriteExecute=", "MemoryDenyWriteExecute", "Service cannot create writable executable memory mappings",
     "Service may create writable executable memory mappings", nullptr, 100, 1, Kind::Bool,
     &SecurityInfo::memory_deny_write_execute},
    {"NoNewPrivileges=", "NoNewPrivileges", "Service processes cannot acquire new privileges",
     "Service processes may acquire new privileges", nullptr, 1000, 1, Kind::Bool, &SecurityInfo::no_new_privileges},
    {"CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet_CAP_SYS_ADMIN",
     "Service has no administrator privileges", "Service has administrator privileges", nullptr, 1500, 1,
     Kind::Capability, nullptr, cap(CAP_SYS_ADMIN)},
    {"CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)", "CapabilityBoundingSet_CAP_SET_UID_GID_PCAP",
     "Service cannot change UID/GID identities/capabilities", "Service may change UID/GID identities/capabilities",
     nullptr, 1500, 1, Kind::Capability, nullptr, cap(CAP_SETUID) | cap(CAP_SETGID) | cap(CAP_SETPCAP)},
    {"CapabilityBoundingSet=~CAP_SYS_PTRACE", "CapabilityBoundingSet_CAP_SYS_PTRACE",
     "Service has no ptrace() debugging abilities", "Service has ptrace() debugging abilities", nullptr, 1500, 1,
     Kind::Capability, nullptr, cap(CAP_SYS_PTRACE)},
    {"CapabilityBoundingSet=~CAP_SYS_TIME", "CapabilityBoundingSet_CAP_SYS_TIME",
     "Service processes cannot change the system clock", "Service processes may change the system clock", nullptr, 1000,
     1, Kind::Capability, nullptr, cap(CAP_SYS_TIME)},
    {"CapabilityBoundingSet=~CAP_NET_ADMIN", "CapabilityBoundingSet_CAP_NET_ADMIN",
     "Service has no network configuration privileges", "Service has network configuration privileges", nullptr, 1000,
     1, Kind::Capability, nullptr, cap(CAP_NET_ADMIN)},
    {"CapabilityBoundingSet=~CAP_SYS_RAWIO", "CapabilityBoundingSet_CAP_SYS_RAWIO", "Service has no raw I/O access",
     "Service has raw I/O access", nullptr, 1000, 1, Kind::Capability, nullptr, cap(CAP_SYS_RAWIO)},
    {"CapabilityBoundingSet=~CAP_SYS_MODULE", "CapabilityBoundingSet_CAP_SYS_MODULE",
     "Service cannot load kernel modules", "Service may load kernel modules", nullptr, 1000, 1, Kind::Capability,
     nullptr, cap(CAP_SYS_MODULE)},
    {"CapabilityBoundingSet=~CAP_AUDIT_*", "CapabilityBoundingSet_CAP_AUDIT", "Service has no audit subsystem access",
     "Service has audit subsystem access", nullptr, 500, 1, Kind::Capability, nullptr,
     cap(CAP_AUDIT_CONTROL) | cap(CAP_AUDIT_READ) | cap(CAP_AUDIT_WRITE)},
    {"CapabilityBoundingSet=~CAP_SYSLOG", "CapabilityBoundingSet_CAP_SYSLOG", "Service has no access to kernel logging",
     "Service has access to kernel logging", nullptr, 500, 1, Kind::Capability, nullptr, cap(CAP_SYSLOG)},
    {"CapabilityBoundingSet=~CAP_SYS_(NICE|RESOURCE)", "CapabilityBoundingSet_CAP_SYS_NICE_RESOURCE",
     "Service has no privileges to change resource use parameters",
     "Service has privileges to change resource use parameters", nullptr, 500, 1, Kind::Capability, nullptr,
     cap(CAP_SYS_NICE) | cap(CAP_SYS_RESOURCE)},
    {"CapabilityBoundingSet=~CAP_MKNOD", "CapabilityBoundingSet_CAP_MKNOD", "Service cannot create device nodes",
     "Service may create device nodes", nullptr, 500, 1, Kind::Capability, nullptr, cap(CAP_MKNOD)},
    {"CapabilityBoundingSet=~CAP_(CHOWN|FSETID|SETFCAP)", "CapabilityBoundingSet_CAP_CHOWN_FSETID_SETFCAP",
     "Service cannot change file ownership/access mode/capabilities",
     "Service may change file ownership/access mode/capabilities unrestricted", nullptr, 1000, 1, Kind::Capability,
     nullptr, cap(CAP_CHOWN) | cap(CAP_FSETID) | cap(CAP_SETFCAP)},
    {"CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "CapabilityBoundingSet_CAP_DAC_FOWNER_IPC_OWNER",
     "Service cannot override UNIX file/IPC permission checks", "Service may override UNIX file/IPC permission checks",
     nullptr, 1000, 1, Kind::Capability, nullptr,
     cap(CAP_DAC_OVERRIDE) | cap(CAP_DAC_READ_SEARCH) | cap(CAP_FOWNER) | cap(CAP_IPC_OWNER)},
    {"CapabilityBoundingSet=~CAP_KILL", "CapabilityBoundingSet_CAP_KILL",
     "Service cannot send UNIX signals to arbitrary processes", "Service may send UNIX signals to arbitrary processes",
     nullptr, 500, 1, Kind::Capability, nullptr, cap(CAP_KILL)},
    // systemd's json_field here really ends in ')'.
    {"CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)",
     "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)", "Service has no elevated networking privileges",
     "Service has elevated networking privileges", nullptr, 500, 1, Kind::Capability, nullptr,
     cap(CAP_NET_BIND_SERVICE) | cap(CAP_NET_BROADCAST) | cap(CAP_NET_RAW)},
    {"CapabilityBoundingSet=~CAP_SYS_BOOT", "CapabilityBoundingSet_CAP_SYS_BOOT", "Service cannot issue reboot()",
     "Service may issue reboot()", nullptr, 100, 1, Kind::Capability, nullptr, cap(CAP_SYS_BOOT)},
    {"CapabilityBoundingSet=~CAP_BPF", "CapabilityBoundingSet_CAP_BPF", "Service may not load BPF programs",
     "Service may load BPF programs", nullptr, 25, 1, Kind::Capability, nullptr, cap(CAP_BPF)},
    {"CapabilityBoundingSet=~CAP_MAC_*", "CapabilityBoundingSet_CAP_MAC", "Service cannot adjust SMACK MAC",
     "Service may adjust SMACK MAC", nullptr, 100, 1, Kind::Capability, nullptr,
     cap(CAP_MAC_ADMIN) | cap(CAP_MAC_OVERRIDE)},
    {"CapabilityBoundingSet=~CAP_LINUX_IMMUTABLE", "CapabilityBoundingSet_CAP_LINUX_IMMUTABLE",
     "Service cannot mark files immutable", "Service may mark files immutable", nullptr, 75, 1, Kind::Capability,
     nullptr, cap(CAP_LINUX_IMMUTABLE)},
    {"CapabilityBoundingSet=~CAP_IPC_LOCK", "CapabilityBoundingSet_CAP_IPC_LOCK", "Service cannot lock memory into RAM",
     "Service may lock memory into RAM", nullptr, 50, 1, Kind::Capability, nullptr, cap(CAP_IPC_LOCK)},
    {"CapabilityBoundingSet=~CAP_SYS_CHROOT", "CapabilityBoundingSet_CAP_SYS_CHROOT", "Service cannot issue chroot()",
     "Service may issue chroot()", nullptr, 50, 1, Kind::Capability, nullptr, cap(CAP_SYS_CHROOT)},
    {"CapabilityBoundingSet=~CAP_BLOCK_SUSPEND", "CapabilityBoundingSet_CAP_BLOCK_SUSPEND",
     "Service cannot establish wake locks", "Service may establish wake locks", nullptr, 25, 1, Kind::Capability,
     nullptr, cap(CAP_BLOCK_SUSPEND)},
    {"CapabilityBoundingSet=~CAP_WAKE_ALARM", "CapabilityBoundingSet_CAP_WAKE_ALARM",
     "Service cannot program timers that wake up the system", "Service may program timers that wake up the system",
     nullptr, 25, 1, Kind::Capability, nullptr, cap(CAP_WAKE_ALARM)},
    {"CapabilityBoundingSet=~CAP_LEASE", "CapabilityBoundingSet_CAP_LEASE", "Service cannot create file leases",
     "Service may create file leases", nullptr, 25, 1, Kind::Capability, nullptr, cap(CAP_LEASE)},
    {"CapabilityBoundingSet=~CAP_SYS_TTY_CONFIG", "CapabilityBoundingSet_CAP_SYS_TTY_CONFIG",
     "Service cannot issue vhangup()", "Service may issue vhangup()", nullptr, 25, 1, Kind::Capability, nullptr,
     cap(CAP_SYS_TTY_CONFIG)},
    {"CapabilityBoundingSet=~CAP_SYS_PACCT", "CapabilityBoundingSet_CAP_SYS_PACCT", "Service cannot use acct()",
     "Service may use acct()", nullptr, 25, 1, Kind::Capability, nullptr, cap(CAP_SYS_PACCT)},
    {"UMask=", "UMask", nullptr, nullptr, nullptr, 100, 10, Kind::Umask},
    {"KeyringMode=", "KeyringMode", "Service doesn't share key material with other services",
     "Service shares key material with other service", nullptr, 1000, 1, Kind::KeyringMode},
    {"ProtectProc=", "ProtectProc", "Service has restricted access to process tree (/proc hidepid=)",
     "Service has full access to process tree (/proc hidepid=)", nullptr, 1000, 3, Kind::ProtectProc},
    {"ProcSubset=", "ProcSubset", "Service has no access to non-process /proc files (/proc subset=)",
     "Service has full access to non-process /proc files (/proc subset=)", nullptr, 10, 1, Kind::ProcSubset},
    {"NotifyAccess=", "NotifyAccess", "Service child processes cannot alter service state",
     "Service child processes may alter service state", nullptr, 1000, 1, Kind::NotifyAccess},
    {"RemoveIPC=", "RemoveIPC", "Service user cannot leave SysV IPC objects around",
     "Service user may leave SysV IPC objects around", "Service runs as root, option does not apply", 100, 1,
     Kind::RemoveIpc},
    {"Delegate=", "Delegate", "Service does not maintain its own delegated control group subtree",
     "Service maintains its own delegated control group subtree", nullptr, 100, 1, Kind::Bool, &SecurityInfo::delegate,
     0, nullptr, true},
    {"RestrictRealtime=", "RestrictRealtime", "Service realtime scheduling access is restricted",
     "Service may acquire realtime scheduling", nullptr, 500, 1, Kind::Bool, &SecurityInfo::restrict_realtime},
    {"RestrictSUIDSGID=", "RestrictSUIDSGID", "SUID/SGID file creation by service is restricted",
     "Service may create SUID/SGID files", nullptr, 1000, 1, Kind::Bool, &SecurityInfo::restrict_suid_sgid},
    {"RestrictNamespaces=~user", "RestrictNamespaces_user", "Service cannot create user namespaces",
     "Service may create user namespaces", nullptr, 1500, 1, Kind::Namespace, nullptr, CLONE_NEWUSER},
    {"RestrictNamespaces=~mnt", "RestrictNamespaces_mnt", "Service cannot create file system namespaces",
     "Service may create file system namespaces", nullptr, 500, 1, Kind::Namespace, nullptr, CLONE_NEWNS},
    {"RestrictNamespaces=~ipc", "RestrictNamespaces_ipc", "Service cannot create IPC namespaces",
     "Service may create IPC namespaces", nullptr, 500, 1, Kind::Namespace, nullptr, CLONE_NEWIPC},
    {"RestrictNamespaces=~pid", "RestrictNamespaces_pid", "Service cannot create process namespaces",
     "Service may create process namespaces", nullptr, 500, 1, Kind::Namespace, nullptr, CLONE_NEWPID},
    {"RestrictNamespaces=~cgroup", "RestrictNamespaces_cgroup", "Service cannot create cgroup namespaces",
     "Service may create cgroup namespaces", nullptr, 500, 1, Kind::Namespace, nullptr, CLONE_NEWCGROUP},
    {"RestrictNamespaces=~net", "RestrictNamespaces_net", "Service cannot create network namespaces",
     "Service may create network namespaces", nullptr, 500, 1, Kind::Namespace, nullptr, CLONE_NEWNET},
    {"RestrictNamespaces=~uts", "RestrictNamespaces_uts", "Service cannot create hostname namespaces",
     "Service may create hostname namespaces", nullptr, 100, 1, Kind::Namespace, nullptr, CLONE_NEWUTS},
    {"RestrictAddressFamilies=~AF_(INET|INET6)", "RestrictAddressFamilies_AF_INET_INET6",
     "Service cannot allocate Internet sockets", "Service may allocate Internet sockets", nullptr, 1500, 1, Kind::Bool,
     &SecurityInfo::restrict_af_inet},
    {"RestrictAddressFamilies=~AF_UNIX", "RestrictAddressFamilies_AF_UNIX", "Service cannot allocate local sockets",
     "Service may allocate local sockets", nullptr, 25, 1, Kind::Bool, &SecurityInfo::restrict_af_unix},
    {"RestrictAddressFamilies=~AF_NETLINK", "RestrictAddressFamilies_AF_NETLINK",
     "Service cannot allocate netlink sockets", "Service may allocate netlink sockets", nullptr, 200, 1, Kind::Bool,
     &SecurityInfo::restrict_af_netlink},
    {"RestrictAddressFamilies=~AF_PACKET", "RestrictAddressFamilies_AF_PACKET",
     "Service cannot allocate packet sockets", "Service may allocate packet sockets", nullptr, 1000, 1, Kind::Bool,
     &SecurityInfo::restrict_af_packet},
    {"RestrictAddressFamilies=~…", "RestrictAddressFamilies_OTHER", "Service cannot allocate exotic sockets",
     "Service may allocate exotic sockets", nullptr, 1250, 1, Kind::Bool, &SecurityInfo::restrict_af_other},
    {"SystemCallArchitectures=", "SystemCallArchitectures", nullptr, nullptr, nullptr, 1000, 10, Kind::Architectures},
    {"SystemCallFilter=~@swap", "SystemCallFilter_swap", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@swap"},
    {"SystemCallFilter=~@obsolete", "SystemCallFilter_obsolete", nullptr, nullptr, nullptr, 250, 10,
     Kind::SyscallFilter, nullptr, 0, "@obsolete"},
    {"SystemCallFilter=~@clock", "SystemCallFilter_clock", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@clock"},
    {"SystemCallFilter=~@cpu-emulation", "SystemCallFilter_cpu_emulation", nullptr, nullptr, nullptr, 250, 10,
     Kind::SyscallFilter, nullptr, 0, "@cpu-emulation"},
    {"SystemCallFilter=~@debug", "SystemCallFilter_debug", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@debug"},
    {"SystemCallFilter=~@mount", "SystemCallFilter_mount", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@mount"},
    {"SystemCallFilter=~@module", "SystemCallFilter_module", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@module"},
    {"SystemCallFilter=~@raw-io", "SystemCallFilter_raw_io", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@raw-io"},
    {"SystemCallFilter=~@reboot", "SystemCallFilter_reboot", nullptr, nullptr, nullptr, 1000, 10, Kind::SyscallFilter,
     nullptr, 0, "@reboot"},
    {"SystemCallFilter=~@privileged", "SystemCallFilter_privileged", nullptr, nullptr, nullptr, 700, 10,
     Kind::SyscallFilter, nullptr, 0, "@privileged"},
    {"SystemCallFilter=~@resources", "SystemCallFilter_resources", nullptr, nullptr, nullptr, 700, 10,
     Kind::SyscallFilter, nullptr, 0, "@resources"},
    {"IPAddressDeny=", "IPAddressDeny", nullptr, nullptr, nullptr, 1000, 10, Kind::IpAddress},
    {"DeviceAllow=", "DeviceAllow", nullptr, nullptr, nullptr, 1000, 10, Kind::DeviceAllow},
    {"AmbientCapabilities=", "AmbientCapabilities", "Service process does not receive ambient capabilities",
     "Service process receives ambient capabilities", nullptr, 500, 1, Kind::Ambient},
};

bool runs_privileged(const SecurityInfo& i) {
  if (i.user == "0" || i.user == "root") return true;
  if (i.dynamic_user) return false;
  return i.user.empty();
}

// A member of the group (nested groups followed, systemd's order) that
// the filter lets through: for an allow list one that is in it, for a deny
// list one that is not. Members this architecture lacks do not count.
std::optional<std::string> offender(const SecurityInfo& info, std::string_view group, const SyscallExists& exists) {
  const syscall_groups::Group* g = syscall_groups::find(group);
  if (!g) return std::nullopt;
  for (std::string_view m : g->members) {
    if (!m.empty() && m[0] == '@') {
      if (auto o = offender(info, m, exists)) return o;
      continue;
    }
    std::string name(m);
    if (!exists(name)) continue;
    if (info.system_call_filter.count(name) == static_cast<size_t>(info.system_call_filter_allow_list)) return name;
  }
  return std::nullopt;
}

struct Verdict {
  std::optional<uint64_t> badness;  // nullopt: not applicable
  std::string description;          // "" : the table's good/bad text
};

Verdict judge(const Assessor& a, const SecurityInfo& i, const SyscallExists& exists) {
  switch (a.kind) {
    case Kind::Bool: {
      bool set = i.*(a.flag);
      return {a.inverted ? set : !set, ""};
    }
    case Kind::User:
      if (i.user == "nobody") return {9, "Service runs under as 'nobody' user, which should not be used for services"};
      if (i.dynamic_user && i.user != "0" && i.user != "root")
        return {0, "Service runs under a transient non-root user identity"};
      if (!i.user.empty() && i.user != "0" && i.user != "root")
        return {0, "Service runs under a static non-root user identity"};
      return {10, ""};
    case Kind::Supplementary:
      if (runs_privileged(i)) return {std::nullopt, ""};
      return {!i.supplementary_groups.empty(), ""};
    case Kind::ProtectHome:
      if (i.protect_home == "yes") return {0, "Service has no access to home directories"};
      if (i.protect_home == "read-only") return {5, "Service has read-only access to home directories"};
      if (i.protect_home == "tmpfs") return {1, "Service has access to fake empty home directories"};
      return {10, "Service has full access to home directories"};
    case Kind::ProtectSystem:
      if (i.protect_system == "yes") return {5, "Service has limited write access to the OS file hierarchy"};
      if (i.protect_system == "full") return {3, "Service has very limited write access to the OS file hierarchy"};
      if (i.protect_system == "strict") return {0, "Service has strict read-only access to the OS file hierarchy"};
      return {10, "Service has full access to the OS file hierarchy"};
    case Kind::RootDirectory: {
      auto empty_or_root = [](const std::string& p) { return p.empty() || p == "/"; };
      return {empty_or_root(i.root_directory) && empty_or_root(i.root_image), ""};
    }
    case Kind::Capability:
      return {(i.capability_bounding_set & a.param) != 0, ""};
    case Kind::Umask:
      if (!(i.umask & 0002)) return {10, "Files created by service are world-writable by default"};
      if (!(i.umask & 0004)) return {5, "Files created by service are world-readable by default"};
      if (!(i.umask & 0020)) return {2, "Files created by service are group-writable by default"};
      if (!(i.umask & 0040)) return {1, "Files created by service are group-readable by default"};
      return {0, "Files created by service are accessible only by service's own user by default"};
    case Kind::KeyringMode:
      return {i.keyring_mode != "private", ""};
    case Kind::ProtectProc:
      if (i.protect_proc == "noaccess") return {1, ""};
      if (i.protect_proc == "invisible" || i.protect_proc == "ptraceable") return {0, ""};
      return {3, ""};
    case Kind::ProcSubset:
      return {i.proc_subset != "pid", ""};
    case Kind::NotifyAccess:
      return {i.notify_access == "all", ""};
    case Kind::RemoveIpc:
      if (runs_privileged(i)) return {std::nullopt, ""};
      return {!i.remove_ipc, ""};
    case Kind::Namespace:
      return {(i.namespaces_allowed & a.param) != 0, ""};
    case Kind::Architectures:
      if (i.system_call_architectures.empty()) return {10, "Service may execute system calls with all ABIs"};
      if (i.system_call_architectures.size() == 1 && i.system_call_architectures.count("native"))
        return {0, "Service may execute system calls only with native ABI"};
      return {8, "Service may execute system calls with multiple ABIs"};
    case Kind::SyscallFilter: {
      if (!i.system_call_filter_configured || (!i.system_call_filter_allow_list && i.system_call_filter.empty()))
        return {10, "Service does not filter system calls"};
      auto bad = offender(i, a.group.c_str(), exists);
      std::string g = a.group.c_str();
      if (i.system_call_filter_allow_list) {
        if (bad)
          return {9, "System call allow list defined for service, and " + g + " is included (e.g. " + *bad +
                         " is allowed)"};
        return {0, "System call allow list defined for service, and " + g + " is not included"};
      }
      if (bad)
        return {10, "System call deny list defined for service, and " + g + " is not included (e.g. " + *bad +
                        " is allowed)"};
      return {0, "System call deny list defined for service, and " + g + " is included"};
    }
    case Kind::IpAddress:
      if (!i.ip_address_deny_all) return {10, "Service does not define an IP address allow list"};
      if (i.ip_address_allow_other) return {5, "Service defines IP address allow list with non-localhost entries"};
      if (i.ip_address_allow_localhost) return {2, "Service defines IP address allow list with only localhost entries"};
      return {0, "Service blocks all IP address ranges"};
    case Kind::DeviceAllow:
      if (i.device_policy == "strict" || i.device_policy == "closed") {
        if (i.device_allow.empty()) return {0, "Service has a minimal device ACL"};
        std::string list;
        for (const std::string& d : i.device_allow) list += (list.empty() ? "" : " ") + d;
        return {5, "Service has a device ACL with some special devices: " + list};
      }
      return {10, "Service has no device ACL"};
    case Kind::Ambient:
      return {i.ambient_capabilities != 0, ""};
  }
  return {std::nullopt, ""};
}

uint64_t div_round_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

struct Level {
  uint64_t from;
  const char* name;
  const char* smiley;
  const char* ascii;
};
const Level kLevels[] = {
    {100, "DANGEROUS", "🤢", ":-["}, {90, "UNSAFE", "😨", ":-{"}, {75, "EXPOSED", "🙁", ":-("},
    {50, "MEDIUM", "😐", ":-|"},        {10, "OK", "🙂", ":-)"},  {1, "SAFE", "😀", ":-}"},
    {0, "PERFECT", "😇", ":-]"},
};

const Level& level(uint64_t exposure) {
  for (const Level& l : kLevels)
    if (exposure >= l.from) return l;
  return kLevels[std::size(kLevels) - 1];
}

// Display width of a UTF-8 string: one column per code point (the texts
// here have no wide characters).
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad(const std::string& s, size_t w) { return s + std::string(w > width(s) ? w - width(s) : 0, ' '); }

}  // namespace

std::string tenths_text(uint64_t tenths) { return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10); }

std::string level_of(uint64_t exposure) { return level(exposure).name; }

Assessment assess(const SecurityInfo& info, const SyscallExists& exists, bool utf8) {
  Assessment out;
  uint64_t badness_sum = 0, weight_sum = 0;
  for (const Assessor& a : kAssessors) {
    Check c;
    c.name = a.name.c_str();
    c.json_field = a.json_field.c_str();
    c.weight = a.weight;
    c.range = a.range;
    Verdict v;
    if (a.default_dependencies_only && !info.default_dependencies)
      v = {std::nullopt, "Service runs in special boot phase, option is not appropriate"};
    else
      v = judge(a, info, exists);
    c.badness = v.badness;
    if (c.badness) {
      badness_sum += div_round_up(*c.badness * a.weight, a.range);
      weight_sum += a.weight;
    }
    if (!v.description.empty())
      c.description = v.description;
    else if (!c.badness)
      c.description = a.not_applicable.c_str();
    else if (*c.badness == a.range)
      c.description = a.bad.c_str();
    else if (*c.badness == 0)
      c.description = a.good.c_str();
    out.checks.push_back(std::move(c));
  }
  for (Check& c : out.checks)
    if (c.badness) c.exposure = div_round_up(div_round_up(*c.badness * c.weight * 100, c.range), weight_sum);
  out.exposure = weight_sum ? div_round_up(badness_sum * 100, weight_sum) : 0;
  const Level& l = level(out.exposure);
  out.level = l.name;
  out.smiley = utf8 ? l.smiley : l.ascii;
  // systemd's table sorts on the description, descending, then the name.
  std::stable_sort(out.checks.begin(), out.checks.end(), [](const Check& x, const Check& y) {
    if (int d = std::strcmp(x.description.c_str(), y.description.c_str()); d != 0) return d > 0;
    return x.name < y.name;
  });
  return out;
}

std::string format(const Assessment& a, const std::string& unit_name, bool utf8,
                   const std::vector<std::string>& notes) {
  size_t name_w = width("NAME"), desc_w = width("DESCRIPTION");
  for (const Check& c : a.checks) {
    name_w = std::max(name_w, width(c.name));
    desc_w = std::max(desc_w, width(c.description));
  }
  auto line = [&](const std::string& mark, const std::string& name, const std::string& desc, const std::string& exp) {
    std::string l = mark + " " + pad(name, name_w) + " " + pad(desc, desc_w) + " " +
                    std::string(exp.size() < 8 ? 8 - exp.size() : 0, ' ') + exp;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  std::string out = line(" ", "NAME", "DESCRIPTION", "EXPOSURE");
  for (const Check& c : a.checks) {
    std::string mark = !c.badness ? " " : c.passed() ? (utf8 ? "✓" : "+") : (utf8 ? "✗" : "-");
    std::string exp = c.badness && *c.badness != 0 && c.exposure ? tenths_text(*c.exposure) : "";
    out += line(mark, c.name, c.description, exp);
  }
  for (const std::string& n : notes) out += n + "\n";
  out += std::string("\n") + (utf8 ? "→" : "->") + " Overall exposure level for " + unit_name + ": " +
         tenths_text(a.exposure) + " " + a.level + " " + a.smiley + "\n";
  return out;
}

}  // namespace unitrun::process::exposure

namespace unitrun::process::exposure {

SecurityInfo security_info(const Unit& unit, const EffectiveSandbox& e) {
  const SandboxSpec& s = unit.sandbox;
  const CgroupLimits& r = unit.resource_control;
  SecurityInfo i;
  i.user = unit.user;
  i.supplementary_groups = unit.supplementary_groups;
  i.default_dependencies = unit.default_dependencies;
  i.notify_access = unit.notify_access == NotifyAccess::All ? "all" : "other";
  i.capability_bounding_set = e.capability_bounding_set.value_or(UINT64_MAX);
  i.ambient_capabilities = e.ambient_capabilities.value_or(0);
  i.no_new_privileges = s.no_new_privileges;
  i.remove_ipc = unit.remove_ipc;
  i.keyring_mode = s.keyring_mode == KeyringMode::Private  ? "private"
                   : s.keyring_mode == KeyringMode::Shared ? "shared"
                                                           : "inherit";
  i.protect_proc = s.protect_proc == ProtectProc::Invisible    ? "invisible"
                   : s.protect_proc == ProtectProc::Ptraceable ? "ptraceable"
                   : s.protect_proc == ProtectProc::NoAccess   ? "noaccess"
                                                               : "default";
  i.proc_subset = s.proc_subset == ProcSubset::Pid ? "pid" : "all";
  i.lock_personality = s.lock_personality;
  i.memory_deny_write_execute = s.memory_deny_write_execute;
  i.protect_hostname = s.protect_hostname;
  i.private_devices = s.private_devices;
  i.private_network = s.private_network;
  i.private_tmp = s.private_tmp;
  i.private_users = s.private_users;
  i.protect_control_groups = s.protect_control_groups;
  i.protect_kernel_modules = s.protect_kernel_modules;
  i.protect_kernel_tunables = s.protect_kernel_tunables;
  i.protect_kernel_logs = s.protect_kernel_logs;
  i.protect_clock = s.protect_clock;
  i.protect_home = s.protect_home == ProtectHome::Yes        ? "yes"
                   : s.protect_home == ProtectHome::ReadOnly ? "read-only"
                   : s.protect_home == ProtectHome::Tmpfs    ? "tmpfs"
                                                             : "no";
  i.protect_system = s.protect_system == ProtectSystem::Yes      ? "yes"
                     : s.protect_system == ProtectSystem::Full   ? "full"
                     : s.protect_system == ProtectSystem::Strict ? "strict"
                                                                 : "no";
  // PrivateMounts=yes leaves MountFlags= at slave (sandbox_keys.cc).
  bool own_propagation = s.mount_flags && *s.mount_flags != MountPropagation::Shared;
  i.private_mounts = own_propagation || i.private_devices || i.private_tmp || i.protect_control_groups ||
                     i.protect_kernel_tunables || i.protect_kernel_modules || i.protect_home != "no" ||
                     i.protect_system != "no" || !s.root_image.empty();
  if (s.private_devices) i.capability_bounding_set &= ~(cap(CAP_MKNOD) | cap(CAP_SYS_RAWIO));
  if (s.protect_kernel_modules) i.capability_bounding_set &= ~cap(CAP_SYS_MODULE);
  if (s.protect_kernel_logs) i.capability_bounding_set &= ~cap(CAP_SYSLOG);
  if (s.protect_clock) i.capability_bounding_set &= ~(cap(CAP_SYS_TIME) | cap(CAP_WAKE_ALARM));
  if (e.address_families) {
    bool allow = e.address_families->first;
    i.restrict_af_inet = i.restrict_af_unix = i.restrict_af_netlink = i.restrict_af_packet = i.restrict_af_other =
        allow;
    for (int af : e.address_families->second) {
      if (af == AF_INET || af == AF_INET6)
        i.restrict_af_inet = !allow;
      else if (af == AF_UNIX)
        i.restrict_af_unix = !allow;
      else if (af == AF_NETLINK)
        i.restrict_af_netlink = !allow;
      else if (af == AF_PACKET)
        i.restrict_af_packet = !allow;
      else
        i.restrict_af_other = !allow;
    }
  }
  if (e.namespaces_allowed) i.namespaces_allowed = *e.namespaces_allowed;
  i.restrict_realtime = s.restrict_realtime;
  i.restrict_suid_sgid = s.restrict_suid_sgid;
  i.root_directory = s.root_directory;
  i.root_image = s.root_image;
  i.umask = unit.umask;
  i.system_call_architectures = e.architectures;
  i.system_call_filter_configured = e.syscall_filter_configured;
  i.system_call_filter_allow_list = e.syscall_allow_list;
  i.system_call_filter = e.syscalls;
  i.delegate = r.delegate;
  // As systemd-analyze security reads a loaded unit: "any" denied (both
  // families' /0), and what the allow list lets through.
  i.ip_address_deny_all = ip_prefixes_cover_all(r.ip_address_deny);
  for (const IpPrefix& p : r.ip_address_allow) {
    if (ip_prefix_is_localhost(p))
      i.ip_address_allow_localhost = true;
    else
      i.ip_address_allow_other = true;
  }
  i.device_policy = r.device_policy == DevicePolicy::Closed   ? "closed"
                    : r.device_policy == DevicePolicy::Strict ? "strict"
                                                              : "auto";
  if (s.private_devices && i.device_policy == "auto") i.device_policy = "closed";
  for (const DeviceAllow& d : r.device_allow) i.device_allow.push_back(d.device + ":" + d.access);
  // systemd adds char-rtc for ProtectClock= only where a device list is in
  // force anyway (unit_patch_contexts()).
  if (s.protect_clock && (i.device_policy != "auto" || !r.device_allow.empty())) i.device_allow.push_back("char-rtc:r");
  return i;
}

}  // namespace unitrun::process::exposure
