// The sandbox a unit asks for (systemd.exec(5): SANDBOXING, CAPABILITIES,
// SECURITY, SYSTEM CALL FILTERING), as plain data in the unit model: the
// parser (unit/sandbox_keys.cc) fills it, process/sandbox.h turns it into
// what the child does. Keys whose lines combine keep each line as written.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace unitrun {

enum class ProtectSystem { No, Yes, Full, Strict };
enum class ProtectHome { No, Yes, ReadOnly, Tmpfs };
enum class ProtectProc { Default, Invisible, Ptraceable, NoAccess };
enum class ProcSubset { All, Pid };
enum class KeyringMode { Inherit, Private, Shared };
enum class MountPropagation { Shared, Slave, Private };

// One BindPaths=/BindReadOnlyPaths= item: "[-]SOURCE[:DEST[:OPTIONS]]".
struct BindPath {
  std::string source, destination;
  bool read_only = false;       // BindReadOnlyPaths=
  bool recursive = true;        // "rbind" (default) or "norbind"
  bool ignore_missing = false;  // "-" before SOURCE
  bool operator==(const BindPath&) const = default;
};

// One TemporaryFileSystem= item: "PATH[:OPTIONS]".
struct TemporaryFileSystem {
  std::string path;
  std::string options;  // mount options, "" for systemd's default (mode=0755)
  bool operator==(const TemporaryFileSystem&) const = default;
};

// Every setting in systemd's meaning, named after its key. Defaults are
// systemd's for a system service. List-valued keys whose lines combine
// (a later "~" line removes, an empty line resets) keep each line's value
// as written, in order; build_plan() combines them the way systemd's
// load-fragment.c does, and check_sandbox_line() validates one line for
// `check`.
struct SandboxSpec {
  // ---- process restrictions
  bool no_new_privileges = false;
  std::vector<std::string> capability_bounding_set;  // "CAP_A CAP_B", "~CAP_C", "" (reset)
  std::vector<std::string> ambient_capabilities;     // same grammar
  std::vector<std::string> secure_bits;              // "keep-caps noroot-locked ...", "" (reset)
  KeyringMode keyring_mode = KeyringMode::Private;
  bool lock_personality = false;
  bool memory_deny_write_execute = false;
  bool restrict_realtime = false;
  bool restrict_suid_sgid = false;
  std::vector<std::string> restrict_namespaces;        // "yes", "no", "net ipc", "~user", ""
  std::vector<std::string> restrict_address_families;  // "AF_UNIX AF_INET", "~AF_PACKET", "none", ""
  std::vector<std::string> system_call_filter;         // "@system-service", "~@mount", "name:EPERM", ""
  std::vector<std::string> system_call_architectures;  // "native", "x86-64 x86", ""
  std::string system_call_error_number;                // "" (kill with SIGSYS), "EPERM", "kill", "13"
  std::vector<std::string> system_call_log;            // same grammar as system_call_filter

  // ---- file-system view and namespaces
  bool private_tmp = false;
  bool private_devices = false;
  bool private_network = false;
  bool private_ipc = false;
  bool private_users = false;
  ProtectSystem protect_system = ProtectSystem::No;
  ProtectHome protect_home = ProtectHome::No;
  // Paths may start with "-" (ignored when missing) and "+" (relative to
  // RootDirectory=), in either order, as in systemd.
  std::vector<std::string> read_write_paths, read_only_paths, inaccessible_paths, exec_paths, no_exec_paths;
  std::vector<BindPath> bind_paths;  // BindPaths= and BindReadOnlyPaths= (read_only set)
  std::vector<TemporaryFileSystem> temporary_file_system;
  bool protect_kernel_tunables = false;
  bool protect_kernel_modules = false;
  bool protect_kernel_logs = false;
  bool protect_control_groups = false;
  bool protect_clock = false;
  bool protect_hostname = false;
  ProtectProc protect_proc = ProtectProc::Default;
  ProcSubset proc_subset = ProcSubset::All;
  std::string root_directory;                   // RootDirectory=, "" for none
  std::string root_image;                       // RootImage=: refused (see docs/sandbox.md)
  std::optional<MountPropagation> mount_flags;  // MountFlags=; nullopt: systemd's default (shared)
  // RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory=,
  // ConfigurationDirectory= as absolute paths, created by the caller: they
  // stay writable inside the view (ProtectSystem=strict included).
  std::vector<std::string> exec_directories;

  // X-Unitrun-Sandbox=best-effort: what cannot be applied is a warning
  // instead of a failed start.
  bool best_effort = false;

  bool operator==(const SandboxSpec&) const = default;
};

namespace unit {

// The path-valued keys' syntax (space-separated words, "-" prefixes,
// ":"-separated parts), as systemd reads them.
Result<std::vector<BindPath>> parse_bind_paths(const std::string& value, bool read_only);
Result<std::vector<TemporaryFileSystem>> parse_temporary_file_system(const std::string& value);

}  // namespace unit
}  // namespace unitrun
