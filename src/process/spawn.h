// Starting a program in a clean exec state. Everything that can allocate or
// look things up (argv, environment, user and groups) is prepared before
// the clone; the child, which shares the caller's memory until it execs,
// only makes system calls, and leaves the first failure (which step, which
// errno) where the caller reads it, so "exec failed" is known for certain
// before spawn() returns.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unit/unit.h"

namespace unitrun::process {

struct SandboxPlan;  // process/sandbox.h
class UnitCgroup;    // process/cgroup.h

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // the complete supplementary list (initgroups + SupplementaryGroups)
};

struct ExecSpec {
  std::string program;  // absolute path; a bare name (not found in the fixed PATH) fails with ENOENT, unexecuted
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value", complete: nothing is inherited
  std::string working_directory = "/";
  bool working_directory_optional = false;
  mode_t umask = 0022;
  std::optional<Credentials> credentials;  // nullopt: keep unitrun's own
  int stdin_fd = -1;                       // -1: /dev/null
  int stdout_fd = -1;                      // -1: /dev/null
  int stderr_fd = -1;                      // -1: same as stdout
  std::optional<ResourceLimit> limit_nofile, limit_core;
  std::optional<int> nice;
  bool new_session = true;        // the service leads its own session and process group
  bool set_watchdog_pid = false;  // add WATCHDOG_PID=<the child's own PID> (known only after fork)
  // The signals whose disposition in the spawning process may differ from
  // SIG_DFL (the monitor's: it reset all it inherited, then ignored SIGPIPE).
  // The child resets only these before exec, where 60 sigaction() calls
  // would say the same; execve() resets the caught ones anyway. Unset: the
  // dispositions are not known, and every signal is reset.
  std::optional<sigset_t> altered_signals;

  // ---- process properties of systemd.exec(5) --------------------------------
  // Applied by the child after the rlimits and before the credentials change
  // (some need privileges the service user lacks): spawn.cc's
  // apply_process_properties(). Unset: left as inherited from the monitor.
  std::vector<std::pair<int, ResourceLimit>> limits;  // RLIMIT_* other than NOFILE and CORE
  std::optional<int> oom_score_adjust;                // -1000..1000
  std::optional<uint64_t> coredump_filter;
  std::optional<int> sched_policy;  // SCHED_*; with sched_priority and reset_on_fork
  int sched_priority = 0;
  bool sched_reset_on_fork = false;
  std::optional<int> ioprio;                // IOPRIO_PRIO_VALUE(class, data)
  std::vector<unsigned long> cpu_affinity;  // a CPU mask; empty: unchanged
  std::optional<int> numa_policy;           // MPOL_*
  std::vector<unsigned long> numa_nodes;    // its node mask
  std::optional<uint64_t> timer_slack_nsec;
  std::optional<unsigned long> personality;
  bool ignore_sigpipe = false;  // SIGPIPE ignored rather than default (IgnoreSIGPIPE=)
  // StandardInput=tty*: stdin_fd is the terminal, which becomes the
  // service's controlling terminal; Force takes it from another session
  // (TIOCSCTTY with force: needs CAP_SYS_ADMIN).
  enum class ControllingTty { None, Acquire, Force };
  ControllingTty controlling_tty = ControllingTty::None;

  // ---- the sandbox and the cgroup (docs/sandbox.md) --------------------------
  // The sandbox (build_plan()), applied between clone and exec; its
  // namespaces come from clone() itself. Not owned: must outlive spawn().
  const SandboxPlan* sandbox = nullptr;
  // The unit's cgroup (UnitCgroup::create()): the child joins it before
  // anything else, so that everything it becomes is counted and tracked.
  // Not owned: must outlive spawn().
  const UnitCgroup* cgroup = nullptr;
};

struct SpawnResult {
  pid_t pid = -1;           // > 0: exec succeeded
  std::string failed_step;  // on failure: "exec", "chdir", "setuid", ..., or a sandbox step:
                            // "ProtectSystem= (mount /usr read-only)", "cgroup (join /sys/fs/...)"
  int error = 0;            // on failure: errno of that step
  int exit_status = 0;      // on a sandbox or cgroup failure: systemd's status for it (226 NAMESPACE, 218
                            // CAPABILITIES, 228 SECCOMP, 219 CGROUP, ...); 0 otherwise
  // Sandbox steps that failed but did not fail the start (best effort, or a
  // step systemd also only logs: KeyringMode=), "KEY (step): error" each.
  // The caller must report them (log and status).
  std::vector<std::string> warnings;
  // The process's start time (/proc/PID/stat's field 22), known from the
  // clock around the clone most of the time (proc::start_time_between());
  // nullopt: read /proc.
  std::optional<uint64_t> start_time;
  bool ok() const { return pid > 0; }
  // One line for the user: "exec '/x': No such file or directory".
  std::string message(const ExecSpec& spec) const;
};

// Starts the program (clone with CLONE_VM and CLONE_VFORK: the way
// posix_spawn does it, with the steps posix_spawn cannot take) and returns
// once it has exec'd or failed. On failure the child has been reaped already.
SpawnResult spawn(const ExecSpec& spec);

}  // namespace unitrun::process
