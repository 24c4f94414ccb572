// A unit's exposure, scored the way `systemd-analyze security` (systemd 252,
// src/analyze/analyze-security.c) scores it: the same 81 checks with their
// names, descriptions, weights and ranges, the same arithmetic (each check's
// badness within its range, weighted; the total 0.0 to 10.0) and the same
// levels (PERFECT, SAFE, OK, MEDIUM, EXPOSED, UNSAFE, DANGEROUS).
//
// Pure: no system call, no file read. SecurityInfo holds the unit's settings
// after their lines were combined (what systemd's SecurityInfo holds); the
// caller fills it (`unitrun security`: sandbox.h's effective_sandbox() and
// the unit). Whether a system call exists on this architecture is a
// question for libseccomp, passed in as a predicate.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "process/sandbox.h"
#include "unit/unit.h"

namespace unitrun::process::exposure {

// The facts the checks look at, with systemd's defaults for a service that
// sets nothing.
struct SecurityInfo {
  std::string user;  // "" or "root" or "0": runs as root
  bool dynamic_user = false;
  std::vector<std::string> supplementary_groups;
  bool default_dependencies = true;    // DefaultDependencies=no: the file-system checks do not apply
  std::string notify_access = "none";  // "all" is the bad one
  uint64_t capability_bounding_set = UINT64_MAX;
  uint64_t ambient_capabilities = 0;
  bool no_new_privileges = false;
  std::string keyring_mode = "private";
  std::string protect_proc = "default";  // default, noaccess, invisible, ptraceable
  std::string proc_subset = "all";
  bool lock_personality = false, memory_deny_write_execute = false, protect_hostname = false;
  bool private_devices = false, private_mounts = false, private_network = false, private_tmp = false,
       private_users = false;
  bool protect_control_groups = false, protect_kernel_modules = false, protect_kernel_tunables = false,
       protect_kernel_logs = false, protect_clock = false;
  std::string protect_home = "no";    // no, yes, read-only, tmpfs
  std::string protect_system = "no";  // no, yes, full, strict
  bool remove_ipc = false;
  // RestrictAddressFamilies=: true where that kind of socket cannot be made.
  bool restrict_af_inet = false, restrict_af_unix = false, restrict_af_netlink = false, restrict_af_packet = false,
       restrict_af_other = false;
  uint64_t namespaces_allowed = UINT64_MAX;  // CLONE_NEW* flags still allowed
  bool restrict_realtime = false, restrict_suid_sgid = false;
  std::string root_directory, root_image;
  unsigned umask = 0022;
  std::set<std::string> system_call_architectures;  // as written ("native", "x86-64")
  bool system_call_filter_configured = false;
  bool system_call_filter_allow_list = false;
  std::set<std::string> system_call_filter;  // names, groups resolved
  bool delegate = false;
  std::string device_policy = "auto";     // auto, closed, strict (after PrivateDevices= made it closed)
  std::vector<std::string> device_allow;  // "char-rtc:r": the list systemd ends up with
  bool ip_address_deny_all = false;       // IPAddressDeny=any (0.0.0.0/0 and ::/0)
  bool ip_address_allow_localhost = false, ip_address_allow_other = false;
};

// The facts of a unit, as systemd derives them from its settings: the
// capabilities PrivateDevices=, ProtectKernelModules=, ProtectKernelLogs=
// and ProtectClock= drop, the closed device policy of PrivateDevices= and
// the char-rtc entry of ProtectClock=, and PrivateMounts= counted as set
// when another setting gives the service a mount namespace of its own (as
// `systemd-analyze security` says for a loaded unit).
SecurityInfo security_info(const Unit& unit, const EffectiveSandbox& effective);

// One row of the table.
struct Check {
  std::string name;        // "PrivateNetwork=", "CapabilityBoundingSet=~CAP_SYS_ADMIN"
  std::string json_field;  // "PrivateNetwork", "CapabilityBoundingSet_CAP_SYS_ADMIN"
  std::string description;
  uint64_t weight = 0, range = 1;
  std::optional<uint64_t> badness;  // nullopt: does not apply to this unit
  // Tenths of a point this row adds to the total (0 when it passed); nullopt
  // when it does not apply.
  std::optional<uint64_t> exposure;
  bool passed() const { return badness && *badness == 0; }
};

struct Assessment {
  std::vector<Check> checks;  // systemd's display order: description descending, then name
  uint64_t exposure = 0;      // tenths: 96 is 9.6
  std::string level;          // "UNSAFE"
  std::string smiley;         // "😨", or ":-{" without UTF-8
};

// Whether a system call exists on the native architecture (systemd skips
// group members that do not).
using SyscallExists = std::function<bool(const std::string& name)>;

Assessment assess(const SecurityInfo& info, const SyscallExists& exists, bool utf8 = true);

// The level's word for an exposure in tenths (systemd's thresholds).
std::string level_of(uint64_t exposure);

// The table and the summary line, as systemd-analyze prints them (✓/✗ and
// "→", or "+"/"-" and "->" without UTF-8); `notes` are printed under the
// table, one line each.
std::string format(const Assessment& a, const std::string& unit_name, bool utf8,
                   const std::vector<std::string>& notes = {});

// "9.6" from 96.
std::string tenths_text(uint64_t tenths);

}  // namespace unitrun::process::exposure
