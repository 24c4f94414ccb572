// The sandbox systemd gives a service, without systemd: process
// restrictions (capabilities, securebits, no_new_privs, seccomp filters),
// a private file-system view (a mount namespace set up the way systemd's
// namespace.c does it) and the other namespaces.
//
// Two steps, on two sides of clone():
//   1. build_plan() runs in the monitor, before the clone. It validates the
//      SandboxSpec against systemd's grammar, reads what it needs (the mount
//      table, stat of every path, capability names through libcap, system
//      call names through libseccomp), compiles every seccomp filter to BPF
//      and lays out each step the child will take as plain data: paths,
//      flags, numbers, instruction arrays. Everything that allocates or
//      looks something up happens here.
//   2. The child (process::spawn with ExecSpec::sandbox) only walks the plan
//      and makes the system calls it names (sandbox_child.cc). A failing
//      step is reported with its description, "ProtectSystem= (mount /usr
//      read-only)", and its errno, through spawn's failure report.
//
// Never a silent downgrade: a setting this machine cannot give (not root, no
// seccomp, no user namespaces, a kernel without procfs's hidepid=invisible)
// makes build_plan() fail with one line naming the key and the reason; a
// step that fails in the child fails the start. `best_effort`
// (X-Unitrun-Sandbox=best-effort) turns both into warnings: the plan's
// `warnings` (plan time) and SpawnResult::warnings (in the child), which the
// caller must report (status shows them).
//
// docs/sandbox.md maps each setting to systemd's and lists the differences.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "process/spawn.h"
#include "unit/sandbox_spec.h"

namespace unitrun::process {

using unitrun::BindPath;
using unitrun::KeyringMode;
using unitrun::MountPropagation;
using unitrun::ProcSubset;
using unitrun::ProtectHome;
using unitrun::ProtectProc;
using unitrun::ProtectSystem;
using unitrun::SandboxSpec;
using unitrun::TemporaryFileSystem;

// What the plan is built for.
struct PlanContext {
  std::string unit_name;                   // for messages and the per-unit PrivateTmp= directories
  std::optional<Credentials> credentials;  // the identity the service runs as (nullopt: unitrun's own)
  // PrivateTmp=yes: the unit's directories (PrivateTmp::create), bound on
  // /tmp and /var/tmp. They outlive one spawn: every process of the unit
  // (ExecStartPre=, ExecStart=, ExecStop=...) sees the same /tmp, as in
  // systemd.
  std::string private_tmp_dir, private_var_tmp_dir;
  // Personality= (ExecSpec::personality), set by spawn before the filters:
  // what LockPersonality= locks. nullopt: systemd's choice from the
  // monitor's own (PER_LINUX, or PER_LINUX32 when that is what runs).
  std::optional<unsigned long> personality;
  // Where unitrun keeps the empty nodes bound over InaccessiblePaths= and
  // the staging point of PrivateDevices=; created by build_plan() if missing.
  std::string runtime_dir = "/run/unitrun";
};

// One BPF instruction, laid out as the kernel's struct sock_filter.
struct BpfInsn {
  uint16_t code;
  uint8_t jt, jf;
  uint32_t k;
};

// One step the child takes. Only plain data: the child reads it with no
// allocation.
struct SandboxOp {
  enum class Phase : uint8_t {
    AfterClone,     // in the new namespaces, before stdio: loopback up, RLIMIT_RTPRIO
    Mounts,         // the file-system view, then RootDirectory=
    UserNamespace,  // PrivateUsers=: after setgroups/setgid, before setuid
    BeforeSetuid,   // bounding set, ambient set (+ inheritable), keep-caps
    AfterSetuid,    // ambient raise, the keyring
    Late,           // securebits, no_new_privs, seccomp filters: right before exec
  };
  enum class Kind : uint8_t {
    Mount,          // mount(source, target, fstype, flags, data); empty strings are NULL
    Mkdir,          // mkdir(target, mode); EEXIST is fine
    Mknod,          // mknod(target, mode, dev)
    Symlink,        // symlink(source, target)
    MoveRoot,       // RootDirectory= with a mount namespace: chdir(target), MS_MOVE onto /, chroot(.)
    Chroot,         // chroot(target), chdir("/")
    SetUmask,       // umask(mode) (0 around node creation, as systemd)
    LoopbackUp,     // PrivateNetwork=: bring "lo" up in the new network namespace
    RlimitRtprio0,  // RestrictRealtime=: RLIMIT_RTPRIO 0
    UserNamespace,  // PrivateUsers=: unshare(CLONE_NEWUSER) + maps written by a helper
    BoundingDrop,   // PR_CAPBSET_DROP for every capability <= value2 not in value
    AmbientApply,   // inheritable |= value, then ambient = value
    KeepCaps,       // securebits = value | SECBIT_KEEP_CAPS (before a uid change with ambient caps)
    AmbientRaise,   // PR_CAP_AMBIENT_RAISE for each bit of value
    Keyring,        // value: 1 private, 2 shared
    SecureBits,     // PR_SET_SECUREBITS value (CAP_SETPCAP raised first if permitted)
    NoNewPrivs,     // value 1: always; value 0: only if CAP_SYS_ADMIN is not effective (seccomp needs it)
    Seccomp,        // load filters[value]
  };
  Phase phase;
  Kind kind;
  std::string what;  // "ProtectSystem= (mount /usr read-only)": the key, then what this step does
  std::string source, target, fstype, data;
  unsigned long flags = 0;
  uint64_t value = 0, value2 = 0;
  bool ignore_missing = false;  // ENOENT is no failure ("-" paths, mounts that may have gone)
  bool warn_only = false;       // a failure is a warning even without best_effort (as systemd: KeyringMode=)
  int exit_status = 0;          // systemd's exit status for this failure (226 NAMESPACE, 218 CAPABILITIES...)
};

struct SandboxPlan {
  int clone_flags = 0;  // CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC
  std::vector<SandboxOp> ops;
  std::vector<std::vector<BpfInsn>> filters;  // compiled seccomp programs, loaded in order
  std::string uid_map, gid_map;               // PrivateUsers=: the maps the helper writes
  bool best_effort = false;
  std::vector<std::string> warnings;  // best_effort: what build_plan() could not apply, one line each
  std::vector<std::string> in_force;  // "ProtectSystem=strict", ...: what status/show report

  bool empty() const { return clone_flags == 0 && ops.empty(); }
};

// Builds the plan. Errors name the key and the reason:
//   "PrivateUsers=: user namespaces are disabled here (/proc/sys/user/max_user_namespaces is 0)"
// With spec.best_effort the same problems land in plan.warnings instead.
Result<SandboxPlan> build_plan(const SandboxSpec& spec, const PlanContext& context);

// What a plan would refuse or warn about on this machine, without
// building one (no directory is created): for `check`. Empty when
// everything can be applied.
std::vector<std::string> check_sandbox(const SandboxSpec& spec, const std::optional<Credentials>& credentials);

// Validates one line of a list-valued key (as it would stand in a unit
// file) with systemd's grammar: nullopt when fine, else the message.
// Keys: CapabilityBoundingSet, AmbientCapabilities, SecureBits,
// RestrictNamespaces, RestrictAddressFamilies, SystemCallFilter,
// SystemCallArchitectures, SystemCallErrorNumber, SystemCallLog.
std::optional<std::string> check_sandbox_line(const std::string& key, const std::string& value);

// The parsers of the path-valued keys live with the unit model.
using unit::parse_bind_paths;
using unit::parse_temporary_file_system;

// The list-valued settings after their lines were combined, as systemd
// holds them (for `unitrun security`, process/exposure.h). nullopt and
// false: not set.
struct EffectiveSandbox {
  std::optional<uint64_t> capability_bounding_set;  // bits of CAP_*; nullopt: every capability
  std::optional<uint64_t> ambient_capabilities;
  std::optional<unsigned long> namespaces_allowed;                 // CLONE_NEW* still allowed; nullopt: all
  std::optional<std::pair<bool, std::set<int>>> address_families;  // {allow list?, AF_*}
  bool syscall_filter_configured = false;
  bool syscall_allow_list = false;
  std::set<std::string> syscalls;       // names, groups resolved (@default added to an allow list)
  std::set<std::string> architectures;  // as written, "native" kept
};
Result<EffectiveSandbox> effective_sandbox(const SandboxSpec& spec);

// Whether libseccomp resolves the name as a system call of the native
// architecture.
bool native_syscall(const std::string& name);

// The settings that are on, "Key=value" each, for status and show.
std::vector<std::string> describe_sandbox(const SandboxSpec& spec);

// A unit's private /tmp and /var/tmp (PrivateTmp=yes), as systemd keeps
// them: /tmp/unitrun-private-NAME-XXXXXX/tmp and
// /var/tmp/unitrun-private-NAME-XXXXXX/tmp (outer directory 0700, inner
// 1777), created once per start of the unit so that all its processes share
// them, removed with everything in them by the destructor (no symlink is
// followed). See docs/sandbox.md for why directories and not a tmpfs.
class PrivateTmp {
 public:
  static Result<PrivateTmp> create(const std::string& unit_name);
  PrivateTmp() = default;
  PrivateTmp(PrivateTmp&&) noexcept;
  PrivateTmp& operator=(PrivateTmp&&) noexcept;
  PrivateTmp(const PrivateTmp&) = delete;
  PrivateTmp& operator=(const PrivateTmp&) = delete;
  ~PrivateTmp();

  const std::string& tmp() const { return tmp_; }          // bound on /tmp
  const std::string& var_tmp() const { return var_tmp_; }  // bound on /var/tmp
  // Removes both trees now; false when something could not be removed.
  bool remove();

 private:
  std::string outer_tmp_, outer_var_tmp_, tmp_, var_tmp_;
};

// Removes the PrivateTmp= directories a killed monitor left for this unit
// name (called before a fresh start, as systemd-tmpfiles would at boot).
void remove_stale_private_tmp(const std::string& unit_name);

}  // namespace unitrun::process
