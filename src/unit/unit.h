// The unit model: plain data, the effective values after defaults.
// Produced by unit::parse(), checked by unit::validate(), read by everyone else.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unit/resource_control.h"
#include "unit/sandbox_spec.h"

namespace unitrun {

// Microseconds, as systemd counts time spans; kInfinity means "no limit".
using Usec = uint64_t;
inline constexpr Usec kInfinity = UINT64_MAX;
inline constexpr Usec kUsecPerSec = 1000000;

enum class ServiceType { Simple, Exec, Notify, Forking, Oneshot, Dbus, Idle };
enum class RestartPolicy { No, OnSuccess, OnFailure, OnAbnormal, OnWatchdog, OnAbort, Always };
// None: only ExecStop= runs at stop, no process is signalled (deprecated in
// systemd, accepted with its warning).
enum class KillMode { ControlGroup, Mixed, Process, None };
// Who may send sd_notify messages. Default: none, except main for
// Type=notify and for a unit with WatchdogSec= (effective_notify_access()).
enum class NotifyAccess { Default, None, Main, Exec, All };
// When the service counts as ended: when its main process exits (main), or
// when its last process does (cgroup).
enum class ExitType { Main, Cgroup };
// What a start or stop timeout does: SIGTERM/KillSignal= (terminate),
// SIGABRT/WatchdogSignal= (abort), FinalKillSignal= at once (kill).
enum class TimeoutFailureMode { Terminate, Abort, Kill };

// How an Exec*= command's identity is set up ('+', '!', '!!' prefixes).
enum class CommandPrivileges {
  Normal,        // User=, Group=, SupplementaryGroups= (and sandboxing, once there is some) apply
  Full,          // '+': run with the monitor's own privileges, no User= and no sandboxing
  NoUserSwitch,  // '!': no User=/Group=/SupplementaryGroups= (the sandboxing still applies)
  // '!!': like '!' only on kernels without ambient capabilities; every kernel
  // unitrun runs on has them (Linux >= 4.3), so it is the same as Normal.
  AmbientFallback,
};

struct Command {
  std::vector<std::string> argv;   // argv[0] is the program as written (after '@', the name to show)
  std::string program;             // what is exec'd: an absolute path (resolved), or the bare name when not found
  bool ignore_failure = false;     // '-' prefix
  bool expand_environment = true;  // ':' prefix turns $VAR expansion off
  CommandPrivileges privileges = CommandPrivileges::Normal;
  int line = 0;  // where it was written

  // Whether User=/Group=/SupplementaryGroups= apply to this command.
  bool switches_user() const {
    return privileges == CommandPrivileges::Normal || privileges == CommandPrivileges::AmbientFallback;
  }
  bool operator==(const Command&) const = default;
};

struct OutputSpec {
  // Tty: TTYPath=; Kmsg: the kernel log (through journald when it runs);
  // JournalConsole, KmsgConsole: the same, copied to the console by journald.
  enum class Kind { Default, Null, Inherit, Journal, File, Append, Truncate, Tty, Kmsg, JournalConsole, KmsgConsole };
  Kind kind = Kind::Default;
  std::string path;  // for File, Append, Truncate: absolute

  bool operator==(const OutputSpec&) const = default;
};

struct InputSpec {
  // Tty: TTYPath= as the controlling terminal, failing when another session
  // holds it (systemd waits; see docs/unit-format.md); TtyForce: taken from
  // whoever holds it; TtyFail: fails when another session holds it. Data:
  // StandardInputText=/StandardInputData=. File: a file opened for reading.
  enum class Kind { Null, Tty, TtyForce, TtyFail, Data, File };
  Kind kind = Kind::Null;
  std::string path;  // for File: absolute

  bool is_tty() const { return kind == Kind::Tty || kind == Kind::TtyForce || kind == Kind::TtyFail; }
  bool operator==(const InputSpec&) const = default;
};

struct ResourceLimit {
  uint64_t soft = 0;
  uint64_t hard = 0;  // UINT64_MAX is RLIM_INFINITY
  bool operator==(const ResourceLimit&) const = default;
};

// Exit statuses and signals treated specially by the restart logic.
struct ExitStatusSet {
  std::vector<int> codes;
  std::vector<int> signals;
  bool empty() const { return codes.empty() && signals.empty(); }
  bool operator==(const ExitStatusSet&) const = default;
};

struct EnvironmentFile {
  std::string path;
  bool optional = false;  // '-' prefix: a missing file is not an error
  int line = 0;           // where it was written (the key may be repeated)
  bool operator==(const EnvironmentFile&) const = default;
};

// ---- [Unit]: dependencies, conditions ---------------------------------------

// The dependency keys of systemd.unit(5). unitrun runs one unit at a time:
// they are parsed and validated here, and take effect when units are
// managed together.
enum class DependencyKind {
  Requires,
  Requisite,
  Wants,
  BindsTo,
  Upholds,
  Conflicts,
  Before,
  After,
  OnSuccess,
  OnFailure,
  PropagatesReloadTo,
  ReloadPropagatedFrom,
  PropagatesStopTo,
  StopPropagatedFrom,
  PartOf,
  JoinsNamespaceOf,
};

// Whether a unitrun command acts on this kind (cli/dependency_jobs.h,
// docs/dependencies.md); the others take effect only under a manager that
// watches units between commands, and the registry says so.
constexpr bool acted_on(DependencyKind kind) { return kind != DependencyKind::JoinsNamespaceOf; }

struct Dependency {
  DependencyKind kind = DependencyKind::Wants;
  std::string unit;  // a valid unit name, specifiers expanded
  int line = 0;
  bool operator==(const Dependency&) const = default;
};

// Condition*= and Assert*= (systemd.unit(5), "Conditions and Asserts").
enum class ConditionKind {
  PathExists,
  PathExistsGlob,
  PathIsDirectory,
  PathIsSymbolicLink,
  PathIsMountPoint,
  PathIsReadWrite,
  PathIsEncrypted,
  DirectoryNotEmpty,
  FileNotEmpty,
  FileIsExecutable,
  NeedsUpdate,
  FirstBoot,
  Architecture,
  Firmware,
  Virtualization,
  Host,
  KernelCommandLine,
  KernelVersion,
  Credential,
  Security,
  Capability,
  ACPower,
  Memory,
  CPUFeature,
  CPUs,
  Environment,
  User,
  Group,
  ControlGroupController,
  OSRelease,
  MemoryPressure,
  CPUPressure,
  IOPressure,
};

struct Condition {
  ConditionKind kind = ConditionKind::PathExists;
  bool is_assert = false;  // Assert*=: a failure fails the start; Condition*=: it skips it
  bool trigger = false;    // '|': of the triggering conditions, one passing is enough
  bool negate = false;     // '!': the result is inverted
  std::string value;       // after the prefixes, specifiers expanded
  int line = 0;
  bool operator==(const Condition&) const = default;
};

// ---- [Service]: process properties -------------------------------------------

// A set of CPUs (or NUMA nodes): bit i set means CPU i.
struct CpuSet {
  std::vector<bool> bits;
  bool empty() const;
  bool operator==(const CpuSet&) const = default;
};

struct CpuScheduling {
  std::optional<int> policy;    // SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR
  std::optional<int> priority;  // 0 for the first three, 1..99 for FIFO and RR
  bool reset_on_fork = false;
  bool operator==(const CpuScheduling&) const = default;
};

struct IoScheduling {
  std::optional<int> io_class;  // IOPRIO_CLASS_RT 1, BE 2, IDLE 3 (NONE 0)
  std::optional<int> priority;  // 0..7
  bool operator==(const IoScheduling&) const = default;
};

// RuntimeDirectory= & co. (systemd.exec(5), Table 2).
enum class DirectoryType { Runtime, State, Cache, Logs, Configuration };
inline constexpr int kDirectoryTypes = 5;

struct ServiceDirectory {
  std::string path;                   // relative to the type's root, no ".." component
  std::vector<std::string> symlinks;  // "path:symlink": links (relative to the root) to create to it
  bool operator==(const ServiceDirectory&) const = default;
};

struct ServiceDirectories {
  std::string root;  // /run, /var/lib, ... as root; $XDG_RUNTIME_DIR, ... otherwise
  std::vector<ServiceDirectory> paths;
  mode_t mode = 0755;
  bool operator==(const ServiceDirectories&) const = default;
};

// RuntimeDirectoryPreserve=: when the runtime directories are removed.
enum class PreserveMode { No, Yes, Restart };

// LoadCredential=ID[:PATH] and SetCredential=ID:DATA.
struct Credential {
  std::string id;
  std::string path;     // LoadCredential=: absolute path, or a name looked up in the credential stores
  std::string data;     // SetCredential=: the bytes (escapes decoded)
  bool is_set = false;  // SetCredential= rather than LoadCredential=
  int line = 0;
  bool operator==(const Credential&) const = default;
};

struct KeyAssignment {
  std::string key;  // "Unit.After"
  std::string value;
  int line = 0;
  bool operator==(const KeyAssignment&) const = default;
};

// One file a unit is read from, and the line where it starts in the
// unit's count (its own line 1).
struct SourceSpan {
  std::string path;
  int first_line = 1;
  bool operator==(const SourceSpan&) const = default;
};

struct Unit {
  // Identity (see docs/units.md and docs/unit-format.md, "File and unit name").
  std::string name;  // "web@8080.service"; for a .ini file, the file name without ".ini"
  std::string path;  // absolute path of the unit file: resolved when found by unit_lookup; the template for an instance
  // What makes two spellings of the unit one unit, and keys its runtime
  // files (unit_lookup.h): its name for a unit of the unit path, its
  // resolved file otherwise. The parser sets it to `path`.
  std::string identity;
  // The unit file, then the drop-ins, in the order applied. Line numbers
  // (key_lines, Command::line, ...) count through them in that order: the
  // unit file's own are unchanged, a drop-in's continue after it.
  std::vector<SourceSpan> sources;
  std::string directory;     // the unit file's directory; relative paths resolve against it
  std::string log_file;      // where output goes when StandardOutput=/StandardError= say nothing
  std::string prefix;        // the name before '@' (the name without its suffix when there is none)
  std::string instance;      // the name between '@' and the suffix; empty for a template or a plain unit
  bool is_template = false;  // "name@.service": needs an instance to be started

  // [Unit]
  std::string description;
  std::vector<std::string> documentation;
  Usec start_limit_interval = 10 * kUsecPerSec;
  unsigned start_limit_burst = 5;
  std::vector<Dependency> dependencies;          // in file order
  std::vector<std::string> requires_mounts_for;  // absolute paths
  bool stop_when_unneeded = false;
  // Only by dependency: a start or stop named on a command line is refused
  // (cli/manual_refusal.h).
  bool refuse_manual_start = false, refuse_manual_stop = false;
  bool default_dependencies = true;
  std::string on_success_job_mode = "fail", on_failure_job_mode = "replace";
  std::vector<Condition> conditions;  // Condition*= and Assert*=, in file order

  // [Service]
  ServiceType type = ServiceType::Simple;
  std::vector<Command> exec_condition;
  std::vector<Command> exec_start_pre, exec_start, exec_start_post;
  std::vector<Command> exec_stop, exec_stop_post, exec_reload;
  std::string working_directory = "/";  // "~" means the service user's home
  bool working_directory_optional = false;
  mode_t umask = 0022;
  std::string user, group;  // empty: unitrun's own
  std::vector<std::string> supplementary_groups;
  std::vector<std::pair<std::string, std::string>> environment;  // in order, later wins
  std::vector<EnvironmentFile> environment_files;
  std::string pid_file;  // empty: the default location
  OutputSpec standard_output, standard_error;
  // X-Unitrun-Timestamps=yes: output that goes to a file passes through
  // the monitor, which stamps each line with when it read it.
  bool timestamps = false;
  RestartPolicy restart = RestartPolicy::No;
  Usec restart_sec = 100000;
  ExitStatusSet success_exit_status, restart_prevent_exit_status, restart_force_exit_status;
  Usec timeout_start = 90 * kUsecPerSec;
  Usec timeout_stop = 90 * kUsecPerSec;
  std::optional<Usec> timeout_abort;  // unset: TimeoutStopSec=
  TimeoutFailureMode timeout_start_failure_mode = TimeoutFailureMode::Terminate;
  TimeoutFailureMode timeout_stop_failure_mode = TimeoutFailureMode::Terminate;
  Usec runtime_max = kInfinity;
  Usec runtime_randomized_extra = 0;
  KillMode kill_mode = KillMode::ControlGroup;
  int kill_signal = 15;                    // SIGTERM
  std::optional<int> restart_kill_signal;  // unset: KillSignal=
  int final_kill_signal = 9;               // SIGKILL
  int watchdog_signal = 6;                 // SIGABRT
  bool send_sigkill = true;
  bool send_sighup = false;
  Usec watchdog_sec = 0;
  std::optional<ResourceLimit> limit_nofile, limit_core;
  std::optional<int> nice;
  bool remain_after_exit = false;
  bool guess_main_pid = true;
  std::string bus_name;  // Type=dbus: the name whose appearance on the system bus ends the start
  NotifyAccess notify_access = NotifyAccess::Default;
  ExitType exit_type = ExitType::Main;
  bool permissions_start_only = false;  // deprecated: every command but ExecStart= runs as if with '+'

  // Process properties (systemd.exec(5), "PROCESS PROPERTIES", "SCHEDULING").
  std::map<int, ResourceLimit> limits;  // the Limit*= other than NOFILE and CORE, by RLIMIT_*
  std::optional<int> oom_score_adjust;  // -1000..1000
  std::optional<uint64_t> coredump_filter;
  std::optional<uint64_t> timer_slack_nsec;
  std::optional<unsigned long> personality;  // PER_LINUX, PER_LINUX32
  CpuScheduling cpu_scheduling;
  IoScheduling io_scheduling;
  CpuSet cpu_affinity;
  bool cpu_affinity_from_numa = false;  // CPUAffinity=numa: the CPUs of NUMAMask='s nodes
  std::optional<int> numa_policy;       // MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL
  CpuSet numa_mask;
  bool numa_mask_all = false;  // NUMAMask=all
  bool ignore_sigpipe = true;
  // RemoveIPC=: when the unit has stopped, remove the IPC objects of its
  // User= (not root), process/ipc_cleanup.h.
  bool remove_ipc = false;
  // AppArmorProfile=, SELinuxContext=, SmackProcessLabel= with systemd's '-'
  // prefix ("KEY=-value"): accepted, not applied (unitrun loads no LSM label).
  std::vector<std::string> unapplied_labels;
  std::vector<std::string> exec_search_path;  // ExecSearchPath=: absolute directories, in order

  // Environment.
  std::vector<std::string> pass_environment;   // names taken from unitrun's own environment
  std::vector<std::string> unset_environment;  // NAME (any value) or NAME=VALUE (that value only), applied last

  // Standard input, terminal, logging.
  InputSpec standard_input;
  std::string standard_input_data;  // StandardInputText=/StandardInputData=, decoded
  std::string tty_path = "/dev/console";
  bool tty_reset = false, tty_vhangup = false, tty_vt_disallocate = false;
  std::optional<unsigned> tty_rows, tty_columns;
  std::string syslog_identifier;  // empty: the program's name (journal); the log prefix otherwise
  int syslog_facility = 3 << 3;   // LOG_DAEMON
  int syslog_level = 6;           // LOG_INFO
  bool syslog_level_prefix = true;

  // Directories and credentials.
  ServiceDirectories directories[kDirectoryTypes];  // by DirectoryType
  PreserveMode runtime_directory_preserve = PreserveMode::No;
  std::vector<Credential> credentials;  // in order; a later one of the same ID wins
  std::string credentials_directory;    // where they are written at start (%d): <runtime dir>/unitrun/credentials/NAME

  // The sandbox and the limits (process/sandbox.h and process/cgroup.h
  // apply them).
  SandboxSpec sandbox;
  CgroupLimits resource_control;

  // [Install]
  std::vector<std::string> wanted_by, required_by, also;
  std::vector<std::string> alias;
  std::string default_instance;

  // Every assignment of a key accepted without effect here (dependencies,
  // [Install], keys with no meaning outside systemd), in file order, for
  // `show`: the registry (unit/directives.h) says why each has none.
  std::vector<KeyAssignment> without_effect;

  // Where each key was last assigned ("Service.User" → line), for messages
  // that validation produces after parsing. A key whose last assignment was
  // empty (a reset to the default) has no entry: presence means "set".
  std::map<std::string, int> key_lines;

  const ServiceDirectories& exec_directory(DirectoryType t) const { return directories[static_cast<int>(t)]; }
  ServiceDirectories& exec_directory(DirectoryType t) { return directories[static_cast<int>(t)]; }

  bool operator==(const Unit&) const = default;
};

const char* to_string(ServiceType t);
const char* to_string(RestartPolicy r);
const char* to_string(KillMode k);
const char* to_string(NotifyAccess n);
const char* to_string(ExitType e);
const char* to_string(TimeoutFailureMode m);
const char* to_string(DependencyKind d);
const char* to_string(ConditionKind c);  // "PathExists": the key without Condition/Assert
const char* to_string(DirectoryType t);  // "Runtime": the key without Directory
const char* to_string(PreserveMode p);
std::string to_string(const OutputSpec& o);
std::string to_string(const InputSpec& i);

// NotifyAccess= as it applies: the default is main for Type=notify and for a
// unit with WatchdogSec=, none otherwise.
NotifyAccess effective_notify_access(const Unit& unit);

// The file one of the service's output streams goes to, "" when none: a
// file:, append: or truncate: path, or the unit's log file (the default for
// a daemonized unit, and journal's where no journald listens). foreground:
// under `unitrun run`, where the default is to inherit.
std::string file_of(const Unit& unit, const OutputSpec& spec, bool foreground, bool journald);
// StandardError= that says nothing, or inherit, shares stdout's
// destination (systemd.exec(5)): the one rule for every question about it.
bool stderr_joins_stdout(const Unit& unit);
// The file that holds what the service wrote, for `status` and `logs`:
// stdout's, else stderr's.
std::string output_file(const Unit& unit, bool foreground, bool journald);
// The file that holds what it wrote to stderr (a failed start quotes it):
// stderr's own, else the one stderr shares with stdout.
std::string error_file(const Unit& unit, bool foreground, bool journald);

}  // namespace unitrun
