// The sandboxing and resource-control directives of systemd.exec(5)
// ("SANDBOXING", "CAPABILITIES", "SECURITY", "SYSTEM CALL FILTERING", the
// file-system namespaces of "PATHS") and systemd.resource-control(5),
// parsed into Unit::sandbox (unit/sandbox_spec.h) and
// Unit::resource_control (unit/resource_control.h). process/sandbox.h and
// process/cgroup.h apply them, and refuse at start, with the key and the
// reason, what this machine cannot give.
//
// What unitrun does not implement is refused here, with the reason: a unit
// that asks for a protection or a limit is never run without it.
// IO and IP accounting, start-up-only weights and systemd-oomd's settings
// limit nothing and are accepted without effect; MemoryAccounting=,
// TasksAccounting= and CPUAccounting= decide which accounting controllers
// the unit's cgroup uses.
#include <sys/sysinfo.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "unit/directives.h"
#include "unit/key_parsers.h"

namespace unitrun::unit {
namespace {

using S = DirectiveStatus;
using R = Reason;

SandboxLineChecker line_checker = nullptr;

// The checker's message without a leading "Key=: " (the parser puts the key
// in front of every message itself).
std::optional<std::string> check_line(std::string_view key, std::string_view value) {
  if (!line_checker) return std::nullopt;
  auto problem = line_checker(std::string(key), std::string(value));
  if (!problem) return std::nullopt;
  std::string prefix = std::string(key) + "=: ";
  if (problem->rfind(prefix, 0) == 0) problem->erase(0, prefix.size());
  return problem;
}

// ---- the process restrictions and the namespaces ----------------------------------

template <bool SandboxSpec::*Field>
Status sandbox_bool(Assignment& a) {
  if (a.value.empty()) return a.unit.sandbox.*Field = false, ok();
  return assign(values::parse_bool(a.value), a.unit.sandbox.*Field);
}

// A list key whose lines combine (systemd's load-fragment.c rules, applied
// by process/sandbox.cc): each line is kept as written, an empty one resets.
// The grammar of a line is checked by the checker process/ registers (it
// knows capability, family and system call names); without one, only that
// the line is not blank.
template <std::vector<std::string> SandboxSpec::*Field>
Status sandbox_lines(Assignment& a) {
  auto& lines = a.unit.sandbox.*Field;
  if (a.value.empty()) {
    // An empty line drops what came before. For CapabilityBoundingSet= it
    // is also a value, the empty set (systemd keeps no capability), so it
    // is kept for combine_caps(); for the other keys an empty line alone
    // means the default, as no line does.
    lines.clear();
    if (a.key == "CapabilityBoundingSet") lines.emplace_back();
    return ok();
  }
  if (auto problem = check_line(a.key, a.value)) return Error::plain(*problem);
  lines.emplace_back(a.value);
  return ok();
}

Status system_call_error_number(Assignment& a) {
  if (!a.value.empty())
    if (auto problem = check_line("SystemCallErrorNumber", a.value)) return Error::plain(*problem);
  a.unit.sandbox.system_call_error_number = std::string(a.value);
  return ok();
}

// ReadWritePaths= and friends: absolute paths, each with optional "-"
// (ignore when missing) and "+" (relative to RootDirectory=) prefixes.
template <std::vector<std::string> SandboxSpec::*Field>
Status sandbox_paths(Assignment& a) {
  auto& list = a.unit.sandbox.*Field;
  if (a.value.empty()) return list.clear(), ok();
  std::vector<std::string> words;
  if (Status s = append_words(a, words); !s) return s;
  for (const std::string& w : words) {
    std::string_view p = w;
    while (!p.empty() && (p[0] == '-' || p[0] == '+')) p.remove_prefix(1);
    if (Status s = check_absolute_path(p); !s) return s;
  }
  list.insert(list.end(), words.begin(), words.end());
  return ok();
}

Status bind_paths(Assignment& a, bool read_only) {
  auto& list = a.unit.sandbox.bind_paths;
  if (a.value.empty()) {
    std::erase_if(list, [&](const BindPath& b) { return b.read_only == read_only; });
    return ok();
  }
  auto parsed = parse_bind_paths(std::string(a.value), read_only);
  if (!parsed) return parsed.error();
  list.insert(list.end(), parsed->begin(), parsed->end());
  return ok();
}
Status bind_paths_rw(Assignment& a) { return bind_paths(a, false); }
Status bind_paths_ro(Assignment& a) { return bind_paths(a, true); }

Status temporary_file_system(Assignment& a) {
  auto& list = a.unit.sandbox.temporary_file_system;
  if (a.value.empty()) return list.clear(), ok();
  auto parsed = parse_temporary_file_system(std::string(a.value));
  if (!parsed) return parsed.error();
  list.insert(list.end(), parsed->begin(), parsed->end());
  return ok();
}

Status root_directory(Assignment& a) {
  if (!a.value.empty())
    if (Status s = check_absolute_path(a.value); !s) return s;
  a.unit.sandbox.root_directory = std::string(a.value);
  return ok();
}

Status protect_system(Assignment& a) {
  static constexpr EnumName<ProtectSystem> kNames[] = {{"no", ProtectSystem::No},     {"yes", ProtectSystem::Yes},
                                                       {"full", ProtectSystem::Full}, {"strict", ProtectSystem::Strict},
                                                       {"true", ProtectSystem::Yes},  {"false", ProtectSystem::No},
                                                       {"on", ProtectSystem::Yes},    {"off", ProtectSystem::No},
                                                       {"1", ProtectSystem::Yes},     {"0", ProtectSystem::No}};
  return choose(a, a.unit.sandbox.protect_system, ProtectSystem::No, kNames);
}

Status protect_home(Assignment& a) {
  static constexpr EnumName<ProtectHome> kNames[] = {
      {"no", ProtectHome::No},       {"yes", ProtectHome::Yes},  {"read-only", ProtectHome::ReadOnly},
      {"tmpfs", ProtectHome::Tmpfs}, {"true", ProtectHome::Yes}, {"false", ProtectHome::No},
      {"on", ProtectHome::Yes},      {"off", ProtectHome::No},   {"1", ProtectHome::Yes},
      {"0", ProtectHome::No}};
  return choose(a, a.unit.sandbox.protect_home, ProtectHome::No, kNames);
}

Status protect_proc(Assignment& a) {
  static constexpr EnumName<ProtectProc> kNames[] = {{"default", ProtectProc::Default},
                                                     {"invisible", ProtectProc::Invisible},
                                                     {"ptraceable", ProtectProc::Ptraceable},
                                                     {"noaccess", ProtectProc::NoAccess}};
  return choose(a, a.unit.sandbox.protect_proc, ProtectProc::Default, kNames);
}

Status proc_subset(Assignment& a) {
  static constexpr EnumName<ProcSubset> kNames[] = {{"all", ProcSubset::All}, {"pid", ProcSubset::Pid}};
  return choose(a, a.unit.sandbox.proc_subset, ProcSubset::All, kNames);
}

Status keyring_mode(Assignment& a) {
  static constexpr EnumName<KeyringMode> kNames[] = {
      {"inherit", KeyringMode::Inherit}, {"private", KeyringMode::Private}, {"shared", KeyringMode::Shared}};
  return choose(a, a.unit.sandbox.keyring_mode, KeyringMode::Private, kNames);
}

Status mount_flags(Assignment& a) {
  if (a.value.empty()) return a.unit.sandbox.mount_flags.reset(), ok();
  static constexpr EnumName<MountPropagation> kNames[] = {
      {"shared", MountPropagation::Shared}, {"slave", MountPropagation::Slave}, {"private", MountPropagation::Private}};
  MountPropagation m = MountPropagation::Shared;
  if (Status s = choose(a, m, MountPropagation::Shared, kNames); !s) return s;
  a.unit.sandbox.mount_flags = m;
  return ok();
}

// PrivateMounts=yes: a mount namespace of its own, host mounts propagating
// into it (systemd makes its propagation "slave" unless MountFlags= says
// otherwise).
Status private_mounts(Assignment& a) {
  if (a.value.empty()) return ok();
  auto on = values::parse_bool(a.value);
  if (!on) return on.error();
  if (*on && !a.unit.sandbox.mount_flags) a.unit.sandbox.mount_flags = MountPropagation::Slave;
  return ok();
}

// ---- resource control ---------------------------------------------------------------

// "512M", "2G", "50%" (of physical memory), "infinity"; K/M/G/T/P/E are
// powers of 1024, as in systemd.
Result<uint64_t> parse_bytes(std::string_view v) {
  if (v == "infinity") return kCgroupInfinity;
  if (!v.empty() && v.back() == '%') {
    auto percent = values::parse_unsigned(v.substr(0, v.size() - 1), 100);
    if (!percent) return Error::plain("invalid percentage '" + std::string(v) + "'");
    struct sysinfo si;
    if (::sysinfo(&si) < 0) return Error::from_errno("sysinfo");
    return static_cast<uint64_t>(si.totalram) * si.mem_unit / 100 * *percent;
  }
  auto limit = values::parse_rlimit(v, true);
  if (!limit || limit->soft != limit->hard) return Error::plain("invalid size '" + std::string(v) + "'");
  return limit->soft;
}

template <std::optional<uint64_t> CgroupLimits::*Field>
Status memory_limit(Assignment& a) {
  if (a.value.empty()) return (a.unit.resource_control.*Field).reset(), ok();
  auto bytes = parse_bytes(a.value);
  if (!bytes) return bytes.error();
  a.unit.resource_control.*Field = *bytes;
  return ok();
}

// MemoryAccounting=, TasksAccounting=: a boolean, empty
// for the default (yes; process/cgroup_plan.h says where each is counted).
template <bool CgroupLimits::*Field>
Status accounting(Assignment& a) {
  if (a.value.empty()) return a.unit.resource_control.*Field = true, ok();
  return assign(values::parse_bool(a.value), a.unit.resource_control.*Field);
}

// CPUAccounting=: unset (empty) leaves it to where it is cheap (the v2
// tree's cpu.stat), as systemd's DefaultCPUAccounting= does.
Status cpu_accounting(Assignment& a) {
  auto& into = a.unit.resource_control.cpu_accounting;
  if (a.value.empty()) return into.reset(), ok();
  auto b = values::parse_bool(a.value);
  if (!b) return b.error();
  into = *b;
  return ok();
}

Status tasks_max(Assignment& a) {
  auto& into = a.unit.resource_control.tasks_max;
  if (a.value.empty()) return into.reset(), ok();
  if (a.value == "infinity") return into = kCgroupInfinity, ok();
  if (a.value.back() == '%') {
    // Of the kernel's limit on processes, as systemd reads it.
    auto percent = values::parse_unsigned(a.value.substr(0, a.value.size() - 1), 100);
    if (!percent) return Error::plain("invalid percentage '" + std::string(a.value) + "'");
    uint64_t pid_max = 4194304;
    if (FILE* f = std::fopen("/proc/sys/kernel/pid_max", "re")) {
      unsigned long long v = 0;
      if (std::fscanf(f, "%llu", &v) == 1) pid_max = v;
      std::fclose(f);
    }
    into = pid_max * *percent / 100;
    return ok();
  }
  auto n = values::parse_unsigned(a.value, UINT64_MAX - 1);
  if (!n || *n == 0) return Error::plain("invalid number of tasks '" + std::string(a.value) + "'");
  into = *n;
  return ok();
}

Status cpu_quota(Assignment& a) {
  auto& into = a.unit.resource_control.cpu_quota_per_sec_usec;
  if (a.value.empty()) return into.reset(), ok();
  if (a.value.back() != '%') return Error::plain("a percentage is expected ('50%', or above 100% for several CPUs)");
  auto percent = values::parse_unsigned(a.value.substr(0, a.value.size() - 1), 100000);
  if (!percent || *percent == 0) return Error::plain("invalid percentage '" + std::string(a.value) + "'");
  into = *percent * 10000;  // usec of CPU time per second
  return ok();
}

Status cpu_quota_period(Assignment& a) {
  auto& into = a.unit.resource_control.cpu_quota_period_usec;
  if (a.value.empty()) return into = 100000, ok();
  auto t = values::parse_timespan(a.value);
  if (!t) return t.error();
  // systemd clamps it to 1 ms .. 1 s.
  into = std::clamp<uint64_t>(*t, 1000, 1000000);
  return ok();
}

Result<uint64_t> weight(std::string_view v, uint64_t min, uint64_t max) {
  auto n = values::parse_unsigned(v, max);
  if (!n || *n < min)
    return Error::plain("invalid weight '" + std::string(v) + "' (" + std::to_string(min) + ".." + std::to_string(max) +
                        ")");
  return *n;
}

Status cpu_weight(Assignment& a) {
  auto& into = a.unit.resource_control.cpu_weight;
  if (a.value.empty()) return into.reset(), ok();
  auto w = weight(a.value, 1, 10000);
  if (!w) return w.error();
  into = *w;
  return ok();
}

// CPUShares= (the cgroup v1 spelling): systemd converts it to a weight.
Status cpu_shares(Assignment& a) {
  auto& into = a.unit.resource_control.cpu_weight;
  if (a.value.empty()) return into.reset(), ok();
  auto s = weight(a.value, 2, 262144);
  if (!s) return s.error();
  into = std::clamp<uint64_t>(*s * 100 / 1024, 1, 10000);
  return ok();
}

Status io_weight(Assignment& a) {
  auto& into = a.unit.resource_control.io_weight;
  if (a.value.empty()) return into.reset(), ok();
  auto w = weight(a.value, 1, 10000);
  if (!w) return w.error();
  into = *w;
  return ok();
}

// BlockIOWeight= (10..1000, cgroup v1's blkio): systemd converts it.
Status block_io_weight(Assignment& a) {
  auto& into = a.unit.resource_control.io_weight;
  if (a.value.empty()) return into.reset(), ok();
  auto w = weight(a.value, 10, 1000);
  if (!w) return w.error();
  into = std::clamp<uint64_t>(*w * 10, 1, 10000);
  return ok();
}

Status io_device_weight(Assignment& a) {
  auto& list = a.unit.resource_control.io_device_weight;
  if (a.value.empty()) return list.clear(), ok();
  std::vector<std::string> words;
  if (Status s = append_words(a, words); !s) return s;
  if (words.size() != 2) return Error::plain("expected 'DEVICE WEIGHT'");
  if (Status s = check_absolute_path(words[0]); !s) return s;
  bool old_spelling = a.key == "BlockIODeviceWeight";
  auto w = old_spelling ? weight(words[1], 10, 1000) : weight(words[1], 1, 10000);
  if (!w) return w.error();
  list.push_back({words[0], old_spelling ? *w * 10 : *w});
  return ok();
}

Status device_policy(Assignment& a) {
  static constexpr EnumName<DevicePolicy> kNames[] = {
      {"auto", DevicePolicy::Auto}, {"closed", DevicePolicy::Closed}, {"strict", DevicePolicy::Strict}};
  return choose(a, a.unit.resource_control.device_policy, DevicePolicy::Auto, kNames);
}

Status device_allow(Assignment& a) {
  auto& list = a.unit.resource_control.device_allow;
  if (a.value.empty()) return list.clear(), ok();
  std::vector<std::string> words;
  if (Status s = append_words(a, words); !s) return s;
  if (words.empty() || words.size() > 2) return Error::plain("expected 'DEVICE [rwm]'");
  DeviceAllow d;
  d.device = words[0];
  if (d.device[0] != '/' && d.device.rfind("char-", 0) != 0 && d.device.rfind("block-", 0) != 0)
    return Error::plain("a device node, char-NAME or block-NAME is expected, not '" + d.device + "'");
  if (words.size() == 2) {
    d.access = words[1];
    if (d.access.empty() || d.access.find_first_not_of("rwm") != std::string::npos)
      return Error::plain("access is some of r, w, m, not '" + d.access + "'");
  }
  list.push_back(std::move(d));
  return ok();
}

Status delegate(Assignment& a) {
  // "yes", "no", or a list of controllers (which means yes).
  if (a.value.empty()) return a.unit.resource_control.delegate = false, ok();
  if (auto b = values::parse_bool(a.value)) return a.unit.resource_control.delegate = *b, ok();
  std::vector<std::string> controllers;
  if (Status s = append_words(a, controllers); !s) return s;
  static const std::vector<std::string_view> kKnown = {"cpu",    "cpuacct", "cpuset", "io",           "blkio",
                                                       "memory", "devices", "pids",   "bpf-firewall", "bpf-devices"};
  for (const std::string& c : controllers)
    if (std::find(kKnown.begin(), kKnown.end(), c) == kKnown.end())
      return Error::plain("unknown controller '" + c + "' (yes, no, or controllers: cpu io memory pids ...)");
  a.unit.resource_control.delegate = true;
  return ok();
}

// SELinuxContext=, AppArmorProfile=, SmackProcessLabel=: unitrun applies no
// label. systemd's '-' prefix says "run without it where the module is
// unavailable": accepted, with a warning; without it, refused, because the
// service would lose the confinement it asked for.
Status mac_label(Assignment& a) {
  std::string prefix = std::string(a.key) + "=";
  auto& labels = a.unit.unapplied_labels;
  if (a.value.empty()) {
    std::erase_if(labels, [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
    return ok();
  }
  std::string line = prefix + std::string(a.value);
  if (a.value[0] != '-')
    return Error::plain(line + " is refused: " + std::string(reason_text(R::MacLabel)) +
                        " (with systemd's '-' prefix, " + prefix +
                        "-..., the service runs without it where the label cannot be applied)");
  labels.push_back(line);
  a.warn(line +
         " is not applied: unitrun loads no SELinux, AppArmor or SMACK label (the '-' prefix lets the "
         "service run without it)");
  return ok();
}

Status slice(Assignment& a) {
  if (!a.value.empty() && (a.value.size() < 7 || a.value.substr(a.value.size() - 6) != ".slice"))
    return Error::plain("a slice name ends in .slice, not '" + std::string(a.value) + "'");
  a.unit.resource_control.slice = std::string(a.value);
  // system.slice is where systemd puts a system service anyway: nothing to say.
  if (!a.value.empty() && a.value != "system.slice")
    a.warn("Slice=" + std::string(a.value) +
           " is not applied: there is no slice tree without systemd; the unit's cgroup is unitrun/" + a.unit.name +
           " (the limits of the unit itself apply)");
  return ok();
}

// IPAddressAllow=, IPAddressDeny=: lines of prefixes that add up; an empty
// line resets.
template <std::vector<IpPrefix> CgroupLimits::*Field>
Status ip_address_access(Assignment& a) {
  auto& list = a.unit.resource_control.*Field;
  if (a.value.empty()) return list.clear(), ok();
  return add_ip_prefixes(a.value, list);
}

constexpr DirectiveSpec refused(std::string_view name, Reason reason) {
  return {"Service", name, S::Refused, reason, nullptr};
}
constexpr DirectiveSpec sandbox(std::string_view name, KeyParser parse) {
  return {"Service", name, S::Implemented, R::None, parse};
}

constexpr DirectiveSpec kSpecs[] = {
    // ---- process restrictions
    sandbox("NoNewPrivileges", &sandbox_bool<&SandboxSpec::no_new_privileges>),
    sandbox("SecureBits", &sandbox_lines<&SandboxSpec::secure_bits>),
    sandbox("CapabilityBoundingSet", &sandbox_lines<&SandboxSpec::capability_bounding_set>),
    sandbox("AmbientCapabilities", &sandbox_lines<&SandboxSpec::ambient_capabilities>),
    sandbox("KeyringMode", &keyring_mode),
    sandbox("LockPersonality", &sandbox_bool<&SandboxSpec::lock_personality>),
    sandbox("MemoryDenyWriteExecute", &sandbox_bool<&SandboxSpec::memory_deny_write_execute>),
    sandbox("RestrictNamespaces", &sandbox_lines<&SandboxSpec::restrict_namespaces>),
    sandbox("RestrictRealtime", &sandbox_bool<&SandboxSpec::restrict_realtime>),
    sandbox("RestrictSUIDSGID", &sandbox_bool<&SandboxSpec::restrict_suid_sgid>),
    sandbox("RestrictAddressFamilies", &sandbox_lines<&SandboxSpec::restrict_address_families>),
    sandbox("SystemCallFilter", &sandbox_lines<&SandboxSpec::system_call_filter>),
    sandbox("SystemCallArchitectures", &sandbox_lines<&SandboxSpec::system_call_architectures>),
    sandbox("SystemCallErrorNumber", &system_call_error_number),
    sandbox("SystemCallLog", &sandbox_lines<&SandboxSpec::system_call_log>),
    // ---- the file-system view and the namespaces
    sandbox("PrivateTmp", &sandbox_bool<&SandboxSpec::private_tmp>),
    sandbox("PrivateDevices", &sandbox_bool<&SandboxSpec::private_devices>),
    sandbox("PrivateNetwork", &sandbox_bool<&SandboxSpec::private_network>),
    sandbox("PrivateIPC", &sandbox_bool<&SandboxSpec::private_ipc>),
    sandbox("PrivateUsers", &sandbox_bool<&SandboxSpec::private_users>),
    sandbox("PrivateMounts", &private_mounts),
    sandbox("ProtectSystem", &protect_system),
    sandbox("ProtectHome", &protect_home),
    sandbox("ProtectProc", &protect_proc),
    sandbox("ProcSubset", &proc_subset),
    sandbox("ProtectKernelTunables", &sandbox_bool<&SandboxSpec::protect_kernel_tunables>),
    sandbox("ProtectKernelModules", &sandbox_bool<&SandboxSpec::protect_kernel_modules>),
    sandbox("ProtectKernelLogs", &sandbox_bool<&SandboxSpec::protect_kernel_logs>),
    sandbox("ProtectControlGroups", &sandbox_bool<&SandboxSpec::protect_control_groups>),
    sandbox("ProtectClock", &sandbox_bool<&SandboxSpec::protect_clock>),
    sandbox("ProtectHostname", &sandbox_bool<&SandboxSpec::protect_hostname>),
    sandbox("ReadWritePaths", &sandbox_paths<&SandboxSpec::read_write_paths>),
    sandbox("ReadOnlyPaths", &sandbox_paths<&SandboxSpec::read_only_paths>),
    sandbox("InaccessiblePaths", &sandbox_paths<&SandboxSpec::inaccessible_paths>),
    sandbox("ExecPaths", &sandbox_paths<&SandboxSpec::exec_paths>),
    sandbox("NoExecPaths", &sandbox_paths<&SandboxSpec::no_exec_paths>),
    // The old spellings, which systemd still reads.
    sandbox("ReadWriteDirectories", &sandbox_paths<&SandboxSpec::read_write_paths>),
    sandbox("ReadOnlyDirectories", &sandbox_paths<&SandboxSpec::read_only_paths>),
    sandbox("InaccessibleDirectories", &sandbox_paths<&SandboxSpec::inaccessible_paths>),
    sandbox("BindPaths", &bind_paths_rw),
    sandbox("BindReadOnlyPaths", &bind_paths_ro),
    sandbox("TemporaryFileSystem", &temporary_file_system),
    sandbox("RootDirectory", &root_directory),
    sandbox("MountFlags", &mount_flags),
    refused("RootDirectoryStartOnly", R::Sandboxing),
    refused("RootImage", R::ImageMount),
    refused("RootImageOptions", R::ImageMount),
    refused("RootHash", R::ImageMount),
    refused("RootHashSignature", R::ImageMount),
    refused("RootVerity", R::ImageMount),
    refused("ExtensionDirectories", R::ImageMount),
    refused("ExtensionImages", R::ImageMount),
    refused("MountImages", R::ImageMount),
    refused("MountAPIVFS", R::Sandboxing),
    refused("DynamicUser", R::DynamicUser),
    sandbox("RemoveIPC", &parse_boolean<&Unit::remove_ipc, false>),
    refused("RestrictFileSystems", R::BpfFilter),
    refused("NetworkNamespacePath", R::NamespacePath),
    refused("IPCNamespacePath", R::NamespacePath),
    {"Service", "SELinuxContext", S::NoEffect, R::MacLabelIgnorable, &mac_label},
    {"Service", "AppArmorProfile", S::NoEffect, R::MacLabelIgnorable, &mac_label},
    {"Service", "SmackProcessLabel", S::NoEffect, R::MacLabelIgnorable, &mac_label},
    {"Service", "LogNamespace", S::NoEffect, R::JournaldSetting, nullptr},
    // ---- resource control
    sandbox("Slice", &slice),
    sandbox("MemoryMax", &memory_limit<&CgroupLimits::memory_max>),
    sandbox("MemoryLimit", &memory_limit<&CgroupLimits::memory_max>),  // the cgroup v1 spelling
    sandbox("MemoryHigh", &memory_limit<&CgroupLimits::memory_high>),
    sandbox("MemorySwapMax", &memory_limit<&CgroupLimits::memory_swap_max>),
    sandbox("TasksMax", &tasks_max),
    sandbox("CPUQuota", &cpu_quota),
    sandbox("CPUQuotaPeriodSec", &cpu_quota_period),
    sandbox("CPUWeight", &cpu_weight),
    sandbox("CPUShares", &cpu_shares),
    sandbox("IOWeight", &io_weight),
    sandbox("BlockIOWeight", &block_io_weight),
    sandbox("IODeviceWeight", &io_device_weight),
    sandbox("BlockIODeviceWeight", &io_device_weight),
    sandbox("DevicePolicy", &device_policy),
    sandbox("DeviceAllow", &device_allow),
    sandbox("Delegate", &delegate),
    {"Service", "StartupCPUWeight", S::NoEffect, R::NoStartupPhase, &check_unsigned},
    {"Service", "StartupCPUShares", S::NoEffect, R::NoStartupPhase, &check_unsigned},
    {"Service", "StartupIOWeight", S::NoEffect, R::NoStartupPhase, &check_unsigned},
    {"Service", "StartupBlockIOWeight", S::NoEffect, R::NoStartupPhase, &check_unsigned},
    {"Service", "StartupAllowedCPUs", S::NoEffect, R::NoStartupPhase, nullptr},
    {"Service", "StartupAllowedMemoryNodes", S::NoEffect, R::NoStartupPhase, nullptr},
    {"Service", "DisableControllers", S::NoEffect, R::NoControllerTree, nullptr},
    {"Service", "ManagedOOMSwap", S::NoEffect, R::NoOomd, nullptr},
    {"Service", "ManagedOOMMemoryPressure", S::NoEffect, R::NoOomd, nullptr},
    {"Service", "ManagedOOMMemoryPressureLimit", S::NoEffect, R::NoOomd, nullptr},
    {"Service", "ManagedOOMPreference", S::NoEffect, R::NoOomd, nullptr},
    refused("AllowedCPUs", R::ResourceControl),
    refused("AllowedMemoryNodes", R::ResourceControl),
    refused("MemoryMin", R::ResourceControl),
    refused("DefaultMemoryMin", R::ResourceControl),
    refused("DefaultMemoryLow", R::ResourceControl),
    refused("MemoryLow", R::ResourceControl),
    refused("IOReadBandwidthMax", R::ResourceControl),
    refused("IOWriteBandwidthMax", R::ResourceControl),
    refused("IOReadIOPSMax", R::ResourceControl),
    refused("IOWriteIOPSMax", R::ResourceControl),
    refused("IODeviceLatencyTargetSec", R::ResourceControl),
    refused("BlockIOReadBandwidth", R::ResourceControl),
    refused("BlockIOWriteBandwidth", R::ResourceControl),
    sandbox("CPUAccounting", &cpu_accounting),
    sandbox("MemoryAccounting", &accounting<&CgroupLimits::memory_accounting>),
    {"Service", "IOAccounting", S::NoEffect, R::Accounting, &check_boolean},
    {"Service", "BlockIOAccounting", S::NoEffect, R::Accounting, &check_boolean},
    sandbox("TasksAccounting", &accounting<&CgroupLimits::tasks_accounting>),
    {"Service", "IPAccounting", S::NoEffect, R::Accounting, &check_boolean},
    sandbox("IPAddressAllow", &ip_address_access<&CgroupLimits::ip_address_allow>),
    sandbox("IPAddressDeny", &ip_address_access<&CgroupLimits::ip_address_deny>),
    refused("IPIngressFilterPath", R::BpfFilter),
    refused("IPEgressFilterPath", R::BpfFilter),
    refused("BPFProgram", R::BpfFilter),
    refused("SocketBindAllow", R::BpfFilter),
    refused("SocketBindDeny", R::BpfFilter),
    refused("RestrictNetworkInterfaces", R::BpfFilter),
};
UNITRUN_DIRECTIVE_TABLE auto kParsers = parser_table<UNITRUN_PARSER_SLOTS(kSpecs)>(kSpecs);
UNITRUN_DIRECTIVE_TABLE auto kRows = directive_rows(kSpecs, DirectivePart::Sandbox, kParsers);
constexpr auto kByName = rows_by_name(kSpecs);

}  // namespace

DirectivePartTable sandbox_directives() { return {kRows, kByName, kParsers}; }

void set_sandbox_line_checker(SandboxLineChecker checker) { line_checker = checker; }

}  // namespace unitrun::unit
