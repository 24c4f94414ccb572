#include "process/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "base/sys.h"
#include "base/unique_fd.h"
#include "process/cgroup.h"
#include "process/proc.h"
#include "process/rlimits.h"
#include "process/sandbox.h"
#include "process/sandbox_child.h"

namespace unitrun::process {
namespace {

enum Step : int {
  kSetsid,
  kStdio,
  kCloseFds,
  kRlimit,
  kNice,
  kSetgroups,
  kSetgid,
  kSetuid,
  kVerifyIds,
  kChdir,
  kSignals,
  kExec,
  kFork,
  kCgroup,   // Failure::index: which of the cgroup's join fds
  kSandbox,  // Failure::report: which step of the plan
};
const char* const kStepNames[] = {
    "setsid", "redirect stdio",     "close fds", "setrlimit",     "setpriority", "setgroups", "setgid",
    "setuid", "verify credentials", "chdir",     "reset signals", "exec",        "fork",      "cgroup",
    "sandbox"};

// ---- process properties of systemd.exec(5) ----------------------------------
// Steps of their own, numbered apart from the ones above so that either list
// can grow without renumbering the other.
enum PropertyStep : int {
  kOomScoreAdjust = 100,
  kCoredumpFilter,
  kScheduler,
  kCpuAffinity,
  kNumaPolicy,
  kIoPriority,
  kTimerSlack,
  kPersonality,
  kControllingTty,
  kIgnoreSigpipe,
  kLastPropertyStep
};
const char* const kPropertyStepNames[] = {"write /proc/self/oom_score_adj",
                                          "write /proc/self/coredump_filter",
                                          "sched_setscheduler",
                                          "sched_setaffinity",
                                          "set_mempolicy",
                                          "ioprio_set",
                                          "set timer slack",
                                          "personality",
                                          "acquire the controlling terminal",
                                          "ignore SIGPIPE"};

// What the child writes to /proc files, formatted before the clone.
struct PreparedProperties {
  char oom_score_adjust[16] = {};
  char coredump_filter[24] = {};
};

PreparedProperties prepare_properties(const ExecSpec& spec) {
  PreparedProperties p;
  if (spec.oom_score_adjust)
    std::snprintf(p.oom_score_adjust, sizeof p.oom_score_adjust, "%d\n", *spec.oom_score_adjust);
  if (spec.coredump_filter)
    std::snprintf(p.coredump_filter, sizeof p.coredump_filter, "0x%llx\n",
                  static_cast<unsigned long long>(*spec.coredump_filter));
  return p;
}

// The child shares the parent's memory until it execs (see spawn()): a
// failure is written here, and the parent reads it when clone() returns.
struct Failure {
  int step = -1;
  int error = 0;
  int index = 0;  // kCgroup: which join fd; kRlimit: which prepared limit
  std::array<LimitOutcome, PreparedLimits::kMax> limits{};
  sandbox_child::Report report;
};

[[noreturn]] void fail(Failure& f, int step) {
  f.error = errno;
  f.step = step;
  ::_exit(127);
}

// Writes `text` to a /proc file of the child's own; system calls only.
bool write_proc(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t n = std::strlen(text);
  ssize_t w = ::write(fd, text, n);
  int saved = errno;
  (void)::close(fd);  // written or not, the fd is of no further use
  errno = saved;
  return w == static_cast<ssize_t>(n);
}

// Runs in the child, after the rlimits and before the credentials change:
// raising a priority, lowering oom_score_adj and taking a terminal need the
// monitor's privileges. System calls only.
void apply_process_properties(const ExecSpec& spec, const PreparedProperties& p, Failure& failure) {
  if (spec.oom_score_adjust && !write_proc("/proc/self/oom_score_adj", p.oom_score_adjust))
    fail(failure, kOomScoreAdjust);
  if (spec.coredump_filter && !write_proc("/proc/self/coredump_filter", p.coredump_filter))
    fail(failure, kCoredumpFilter);
  if (spec.sched_policy) {
    struct sched_param param {};
    param.sched_priority = spec.sched_priority;
    int policy = *spec.sched_policy | (spec.sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0);
    if (::syscall(SYS_sched_setscheduler, 0, policy, &param) < 0) fail(failure, kScheduler);
  }
  if (!spec.cpu_affinity.empty() &&
      ::syscall(SYS_sched_setaffinity, 0, spec.cpu_affinity.size() * sizeof(unsigned long), spec.cpu_affinity.data()) <
          0)
    fail(failure, kCpuAffinity);
  if (spec.numa_policy &&
      ::syscall(SYS_set_mempolicy, *spec.numa_policy, spec.numa_nodes.empty() ? nullptr : spec.numa_nodes.data(),
                spec.numa_nodes.size() * sizeof(unsigned long) * 8) < 0)
    fail(failure, kNumaPolicy);
  if (spec.ioprio && ::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, *spec.ioprio) < 0)
    fail(failure, kIoPriority);
  if (spec.timer_slack_nsec && ::syscall(SYS_prctl, PR_SET_TIMERSLACK, *spec.timer_slack_nsec, 0, 0, 0) < 0)
    fail(failure, kTimerSlack);
  if (spec.personality && ::syscall(SYS_personality, *spec.personality) < 0) fail(failure, kPersonality);
  // stdin (fd 0) is the terminal; the child leads a new session with none.
  if (spec.controlling_tty != ExecSpec::ControllingTty::None &&
      ::ioctl(0, TIOCSCTTY, spec.controlling_tty == ExecSpec::ControllingTty::Force ? 1 : 0) < 0)
    fail(failure, kControllingTty);
}

// After every disposition was reset to its default: IgnoreSIGPIPE=.
void apply_signal_properties(const ExecSpec& spec, Failure& failure) {
  if (!spec.ignore_sigpipe) return;
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  if (::sigaction(SIGPIPE, &sa, nullptr) < 0) fail(failure, kIgnoreSigpipe);
}

// ---- end of the process properties ---------------------------------------------

// Runs in the child: system calls only, straight to the kernel where glibc
// would do more (its setuid family signals every thread of the process it
// thinks it is, which would be the parent's).
// Writes the decimal PID into the digits after "WATCHDOG_PID=", in place:
// no allocation, so it is safe between fork and exec.
void fill_pid(char* slot) {
  char digits[16];
  int n = 0;
  for (unsigned long v = static_cast<unsigned long>(::getpid()); v > 0 || n == 0; v /= 10)
    digits[n++] = static_cast<char>('0' + v % 10);
  char* p = slot + std::strlen("WATCHDOG_PID=");
  while (n > 0) *p++ = digits[--n];
  *p = '\0';
}

// Runs one phase of the sandbox plan; a failing step fails the child with
// the step's own description (the report holds which one).
void sandbox_phase(const ExecSpec& spec, SandboxOp::Phase phase, Failure& failure) {
  if (!spec.sandbox) return;
  if (!sandbox_child::run_phase(*spec.sandbox, phase, failure.report)) {
    errno = failure.report.error;
    fail(failure, kSandbox);
  }
}

// The order follows systemd's exec_child(): the cgroup first (everything the
// child becomes is the unit's), the namespaces (made by clone), the file-
// system view, groups, the user namespace, the capability bounding and
// ambient sets, the uid change, the working directory, and last the
// securebits, no_new_privs and the seccomp filters, as close to execve as
// possible (a filter must not deny a call a later step makes).
[[noreturn]] void exec_child(const ExecSpec& spec, char* const* argv, char* const* envp, char* watchdog_slot,
                             int devnull, const PreparedProperties& properties, const PreparedLimits& limits,
                             bool thread_join, Failure& failure) {
  using Phase = SandboxOp::Phase;
  if (spec.cgroup) {
    // thread_join: clone3() put us in the v2 cgroup already (or there is no
    // v2 tree), and the v1 hierarchies are joined through "tasks", which
    // moves this, the only thread, without the kernel's global lock.
    const std::vector<int>& fds = thread_join ? spec.cgroup->thread_join_fds() : spec.cgroup->join_fds();
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i] < 0) continue;
      ssize_t n;
      do n = ::write(fds[i], "0", 1);
      while (n < 0 && errno == EINTR);
      if (n < 0) {
        failure.index = static_cast<int>(i);
        fail(failure, kCgroup);
      }
    }
  }
  sandbox_phase(spec, Phase::AfterClone, failure);
  if (spec.new_session && ::setsid() < 0) fail(failure, kSetsid);
  if (watchdog_slot) fill_pid(watchdog_slot);

  int in = spec.stdin_fd >= 0 ? spec.stdin_fd : devnull;
  int out = spec.stdout_fd >= 0 ? spec.stdout_fd : devnull;
  int err = spec.stderr_fd >= 0 ? spec.stderr_fd : out;
  // dup2 onto 0..2 clears close-on-exec on the copies; the sources are all
  // >= 3 (unitrun's own 0..2 are /dev/null or a terminal it never passes on).
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail(failure, kStdio);
  // Only 0, 1, 2 reach the service (the fd table is the child's own copy).
  if (::close_range(3, ~0U, 0) < 0) fail(failure, kCloseFds);

  // Limit*=, each at the closest value the kernel allows (rlimits.h).
  for (size_t i = 0; i < limits.count; ++i) {
    if (int e = apply_limit(limits.limits[i], failure.limits[i]); e != 0) {
      errno = e;
      failure.index = static_cast<int>(i);
      fail(failure, kRlimit);
    }
  }
  if (spec.nice && ::setpriority(PRIO_PROCESS, 0, *spec.nice) < 0) fail(failure, kNice);
  apply_process_properties(spec, properties, failure);

  // The view is built with umask 0, so that device nodes and directories
  // get the modes the plan says (systemd does the same).
  if (spec.sandbox) {
    ::umask(0);
    sandbox_phase(spec, Phase::Mounts, failure);
  }
  ::umask(spec.umask);

  if (spec.credentials) {
    const Credentials& c = *spec.credentials;
    // Order matters (CERT POS36-C): groups, then gid, then uid; then verify
    // that nothing of the old identity is left (POS37-C).
    if (::syscall(SYS_setgroups, c.groups.size(), c.groups.data()) < 0) fail(failure, kSetgroups);
    if (::syscall(SYS_setresgid, c.gid, c.gid, c.gid) < 0) fail(failure, kSetgid);
  }
  // PrivateUsers=: after the groups (which must be set in the parent
  // namespace), before the capabilities (a new user namespace resets them).
  sandbox_phase(spec, Phase::UserNamespace, failure);
  sandbox_phase(spec, Phase::BeforeSetuid, failure);
  if (spec.credentials) {
    const Credentials& c = *spec.credentials;
    if (::syscall(SYS_setresuid, c.uid, c.uid, c.uid) < 0) fail(failure, kSetuid);
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (::getresuid(&ru, &eu, &su) < 0 || ::getresgid(&rg, &eg, &sg) < 0) fail(failure, kVerifyIds);
    if (ru != c.uid || eu != c.uid || su != c.uid || rg != c.gid || eg != c.gid || sg != c.gid) {
      errno = EPERM;
      fail(failure, kVerifyIds);
    }
    if (c.uid != 0 && ::syscall(SYS_setuid, 0) == 0) {
      errno = EPERM;
      fail(failure, kVerifyIds);
    }
  }
  sandbox_phase(spec, Phase::AfterSetuid, failure);

  // After the privilege drop, so the service user's permissions apply.
  if (::chdir(spec.working_directory.c_str()) < 0) {
    if (!spec.working_directory_optional) fail(failure, kChdir);
    if (::chdir("/") < 0) fail(failure, kChdir);
  }

  // Default dispositions and an empty mask: the service must not inherit
  // the monitor's blocked SIGTERM/SIGCHLD or an ignored SIGPIPE. Where the
  // spawner knows which dispositions it changed, those alone are reset
  // (ExecSpec::altered_signals).
  if (!(spec.altered_signals ? sys::reset_signals(*spec.altered_signals) : sys::reset_signals()))
    fail(failure, kSignals);
  apply_signal_properties(spec, failure);

  sandbox_phase(spec, Phase::Late, failure);
  ::execve(spec.program.c_str(), argv, envp);
  fail(failure, kExec);
}

struct ChildArgs {
  const ExecSpec* spec;
  char* const* argv;
  char* const* envp;
  char* watchdog_slot;
  int devnull;
  PreparedProperties properties;
  PreparedLimits limits;
  bool thread_join;  // see exec_child()
  Failure failure;
  uint64_t started_ns = 0;  // the child's first reading of the boot clock (proc::start_time_between())
};

int child_main(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  // The vDSO's clock, no system call: with the parent's reading before the
  // clone, the child's start time without a /proc read after it.
  a->started_ns = proc::boot_clock_ns();
  exec_child(*a->spec, a->argv, a->envp, a->watchdog_slot, a->devnull, a->properties, a->limits, a->thread_join,
             a->failure);
}

// clone3()'s argument (linux/sched.h, which clashes with glibc's sched.h).
struct Clone3Args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;

// clone3() with CLONE_VM: the child starts on the stack given in `args`, so
// it cannot return into C++; it calls fn(arg) and exits with its result, as
// glibc's clone() does (glibc 2.36 does not export its clone3 wrapper).
// Returns the child's PID, or -errno. Only where this is written for.
#if defined(__x86_64__)
constexpr bool kHaveClone3 = true;
long clone3_run(Clone3Args* args, int (*fn)(void*), void* arg) {
  long ret;
  register long fn_reg asm("r12") = reinterpret_cast<long>(fn);
  register long arg_reg asm("r13") = reinterpret_cast<long>(arg);
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      // The child: rsp is the top of its stack (16-byte aligned).
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit_nr], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "a"(static_cast<long>(SYS_clone3)), "D"(args), "S"(sizeof(Clone3Args)), "r"(fn_reg),
        "r"(arg_reg), [exit_nr] "i"(SYS_exit)
      : "rcx", "r11", "memory");
  return ret;
}
#else
constexpr bool kHaveClone3 = false;
long clone3_run(Clone3Args*, int (*)(void*), void*) { return -ENOSYS; }
#endif

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string SpawnResult::message(const ExecSpec& spec) const {
  std::string what = failed_step;
  if (failed_step == "exec") what = "exec '" + spec.program + "'";
  if (failed_step == "chdir") what = "WorkingDirectory '" + spec.working_directory + "'";
  if (error == 0) return what + " failed";
  return what + ": " + std::strerror(error);
}

SpawnResult spawn(const ExecSpec& spec) {
  // A bare name was not found in the fixed PATH when the unit was loaded;
  // execve() would take it relative to WorkingDirectory=, i.e. run whatever
  // file of that name is there.
  if (spec.program.find('/') == std::string::npos) {
    SpawnResult r;
    r.failed_step = kStepNames[kExec];
    r.error = ENOENT;
    return r;
  }
  std::vector<char*> argv = c_strings(spec.argv);
  std::vector<char*> envp = c_strings(spec.env);
  std::string watchdog_slot = "WATCHDOG_PID=0000000000000000";  // room for any PID
  if (spec.set_watchdog_pid) envp.insert(envp.end() - 1, watchdog_slot.data());

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!devnull) {
    SpawnResult r;
    r.failed_step = "open /dev/null";
    r.error = errno;
    return r;
  }

  // posix_spawn's way, which it cannot take for us (setgroups, rlimits,
  // verification): the child borrows our memory on a stack of its own, and
  // we sleep until it has exec'd or exited (CLONE_VFORK). No page table is
  // copied and no page faulted in twice, and the outcome is known when
  // clone() returns: a failure is in args.failure, written by the child.
  constexpr size_t kStack = 256 * 1024;
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    SpawnResult r;
    r.failed_step = kStepNames[kFork];
    r.error = errno;
    return r;
  }
  ChildArgs args{&spec,
                 argv.data(),
                 envp.data(),
                 spec.set_watchdog_pid ? watchdog_slot.data() : nullptr,
                 devnull.get(),
                 prepare_properties(spec),
                 prepare_limits(spec.limit_nofile, spec.limit_core, spec.limits),
                 false,
                 Failure{},
                 0};
  // The sandbox's namespaces (mount, network, UTS, IPC) are clone flags:
  // each works with CLONE_VM|CLONE_VFORK (CLONE_FS, which CLONE_NEWNS
  // forbids, is not used). A user namespace is not among them: its maps must
  // be written from this namespace while we sleep, which a helper the child
  // forks does (sandbox_child.cc).
  int ns_flags = spec.sandbox ? spec.sandbox->clone_flags : 0;
  // Into the unit's cgroup without a write to cgroup.procs where the kernel
  // can (UnitCgroup::v2_dir_fd()); any refusal of clone3() (an older
  // kernel, a filter) falls back to clone() and the cgroup.procs writes,
  // which also report a cgroup that cannot be joined by its path.
  pid_t pid = -1;
  int clone_errno = 0;
  bool cloned = false;
  const uint64_t before_clone = proc::boot_clock_ns();
  if (spec.cgroup && spec.cgroup->v2_dir_fd() < 0) {
    args.thread_join = true;  // v1 alone: "tasks" is enough
  } else if (spec.cgroup && kHaveClone3) {
    Clone3Args ca{};
    ca.flags = CLONE_VM | CLONE_VFORK | static_cast<uint64_t>(static_cast<unsigned>(ns_flags)) | kCloneIntoCgroup;
    ca.exit_signal = SIGCHLD;
    ca.stack = reinterpret_cast<uint64_t>(stack);
    ca.stack_size = kStack;
    ca.cgroup = static_cast<uint64_t>(spec.cgroup->v2_dir_fd());
    args.thread_join = true;
    long r = clone3_run(&ca, child_main, &args);
    if (r >= 0) {
      pid = static_cast<pid_t>(r);
      cloned = true;
    } else if (r == -ENOSYS || r == -EPERM || r == -E2BIG || r == -EINVAL || r == -EOPNOTSUPP) {
      args.thread_join = false;  // clone3 or CLONE_INTO_CGROUP unavailable here: the old way
    } else {
      // A refusal of the process itself (EAGAIN: the unit's pids.max, which
      // CLONE_INTO_CGROUP charges, or RLIMIT_NPROC; ENOMEM): clone() in the
      // monitor's cgroup and a move would get past TasksMax=.
      pid = -1;
      clone_errno = static_cast<int>(-r);
      cloned = true;
    }
  }
  if (!cloned && spec.cgroup && !args.thread_join) {
    // The old way in: cgroup.procs, opened only now (UnitCgroup::join_fds()).
    if (Status opened = spec.cgroup->open_process_join_fds(); !opened) {
      (void)::munmap(stack, kStack);
      SpawnResult r;
      r.failed_step = "cgroup (open cgroup.procs)";
      r.error = opened.error().sys_errno;
      r.exit_status = 219;  // CGROUP
      return r;
    }
  }
  if (!cloned) {
    pid = ::clone(child_main, static_cast<char*>(stack) + kStack, CLONE_VM | CLONE_VFORK | SIGCHLD | ns_flags, &args);
    clone_errno = errno;
  }
#if defined(__SANITIZE_ADDRESS__)
  // The child's frames left their redzones poisoned in AddressSanitizer's
  // shadow of this stack: a later mapping at the same address must not
  // inherit them.
  __asan_unpoison_memory_region(stack, kStack);
#endif
  (void)::munmap(stack, kStack);  // the child has exec'd or exited: nobody runs on it any more
  SpawnResult result;
  if (pid < 0) {
    result.failed_step = kStepNames[kFork];
    if (ns_flags) {
      result.failed_step = "sandbox namespaces (clone)";
      result.exit_status = 226;  // NAMESPACE
    }
    result.error = clone_errno;
    return result;
  }
  if (spec.sandbox) {
    const sandbox_child::Report& r = args.failure.report;
    int shown = std::min(r.warning_count, sandbox_child::Report::kMaxWarnings);
    for (int i = 0; i < shown; ++i) {
      const auto& w = r.warnings[i];
      if (w.op >= 0 && static_cast<size_t>(w.op) < spec.sandbox->ops.size())
        result.warnings.push_back(spec.sandbox->ops[static_cast<size_t>(w.op)].what + ": " + std::strerror(w.error));
    }
    if (r.warning_count > shown)
      result.warnings.push_back("... and " + std::to_string(r.warning_count - shown) + " more sandbox warnings");
  }
  const PreparedLimits& limits = args.limits;
  for (size_t i = 0; i < limits.count; ++i)
    if (args.failure.limits[i].clamped)
      result.warnings.push_back(clamp_warning(limits.limits[i], args.failure.limits[i], limits.may_raise_hard));
  if (args.failure.step < 0) {
    result.pid = pid;
    if (args.started_ns != 0) result.start_time = proc::start_time_between(before_clone, args.started_ns);
    return result;
  }

  // The child failed before exec; reap it here so no zombie is left.
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int step = args.failure.step;
  result.error = args.failure.error;
  if (step == kSandbox && spec.sandbox && args.failure.report.failed_op >= 0 &&
      static_cast<size_t>(args.failure.report.failed_op) < spec.sandbox->ops.size()) {
    const SandboxOp& op = spec.sandbox->ops[static_cast<size_t>(args.failure.report.failed_op)];
    result.failed_step = op.what;
    result.exit_status = op.exit_status;
  } else if (step == kCgroup && spec.cgroup) {
    std::vector<std::string> paths = spec.cgroup->paths();
    size_t i = static_cast<size_t>(args.failure.index);
    result.failed_step = "cgroup (join " + (i < paths.size() ? paths[i] : std::string("?")) + ")";
    result.exit_status = 219;  // CGROUP
  } else if (step == kRlimit && static_cast<size_t>(args.failure.index) < limits.count) {
    size_t i = static_cast<size_t>(args.failure.index);
    result.failed_step = limit_failure_step(limits.limits[i], args.failure.limits[i]);
    result.exit_status = 205;  // LIMITS
  } else if (step >= kOomScoreAdjust && step < kLastPropertyStep) {
    result.failed_step = kPropertyStepNames[step - kOomScoreAdjust];
  } else if (step < 0 || step > kSandbox) {
    result.failed_step = "report from child";
    result.error = EIO;
  } else {
    result.failed_step = kStepNames[step];
  }
  return result;
}

}  // namespace unitrun::process
