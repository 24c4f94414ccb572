// The seccomp half of the sandbox: systemd's filters (seccomp-util.c's
// logic; one program per setting, per ABI for SystemCallFilter= and
// SystemCallLog=) compiled by libseccomp, in the monitor,
// into BPF the child loads with seccomp(2). Internal to process/: libseccomp's
// header stays in sandbox_seccomp.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "process/sandbox.h"

namespace unitrun::process::seccomp {

// A SystemCallFilter=/SystemCallLog= set after its lines were combined:
// system call names (groups resolved) with their errno (-1: the set's
// action; only deny lists use one).
struct SyscallSet {
  bool configured = false;
  bool allow_list = false;
  std::map<std::string, int> calls;
};

struct Settings {
  std::optional<std::pair<bool, std::set<int>>> address_families;  // {allow list?, families}
  bool memory_deny_write_execute = false;
  bool restrict_realtime = false;
  bool restrict_suid_sgid = false;
  std::optional<unsigned long> namespaces_allowed;  // RestrictNamespaces=: the CLONE_NEW* flags still allowed
  bool protect_sysctl = false;                      // ProtectKernelTunables=
  bool protect_kernel_modules = false;
  bool protect_kernel_logs = false;
  bool protect_clock = false;
  bool private_devices = false;
  bool protect_hostname = false;
  std::set<uint32_t> architectures;  // SystemCallArchitectures= (SCMP_ARCH_*); empty: not set
  bool lock_personality = false;
  unsigned long personality = 0;
  SyscallSet log;
  SyscallSet filter;
  int error_number = -1;  // SystemCallErrorNumber=; -1: kill the process (SIGSYS)
};

struct Program {
  std::string key;  // "SystemCallFilter=", for messages
  std::vector<BpfInsn> insns;
};

// Whether this kernel takes seccomp filters (seccomp mode 2); the reason
// when it does not.
std::optional<std::string> unavailable_reason();

// One program per setting that is on, in systemd's order of application:
// RestrictAddressFamilies=, MemoryDenyWriteExecute=, RestrictRealtime=,
// RestrictSUIDSGID=, RestrictNamespaces=, ProtectKernelTunables=,
// ProtectKernelModules=, ProtectKernelLogs=, ProtectClock=,
// PrivateDevices=, ProtectHostname=, SystemCallArchitectures=,
// LockPersonality=, SystemCallLog=, SystemCallFilter= (last: as close to
// execve as possible). Compiled programs are cached in memory and, when
// cache_dir is not empty, in files there (root's: /run/unitrun/seccomp),
// believed only when owned by unitrun's user and writable by nobody else.
Result<std::vector<Program>> compile(const Settings& settings, const std::string& cache_dir);

// SCMP_ARCH_* for systemd's architecture names ("native", "x86-64", "x86",
// "x32", "arm64", ...); nullopt for an unknown name.
std::optional<uint32_t> architecture_from_name(const std::string& name);

// Whether libseccomp knows the name as a system call of some architecture
// (systemd ignores unknown names, with a note).
bool known_syscall(const std::string& name);

// Whether the name is a system call of the native architecture.
bool native_syscall(const std::string& name);

}  // namespace unitrun::process::seccomp
