#include "process/sandbox_child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace unitrun::process::sandbox_child {
namespace {

// Everything below runs between clone and exec: system calls only.

const char* c_or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

struct Caps {
  __user_cap_header_struct header;
  __user_cap_data_struct data[2];
};

int cap_get(Caps& c) {
  c.header.version = _LINUX_CAPABILITY_VERSION_3;
  c.header.pid = 0;
  return ::syscall(SYS_capget, &c.header, c.data) < 0 ? errno : 0;
}

int cap_set(Caps& c) {
  c.header.version = _LINUX_CAPABILITY_VERSION_3;
  c.header.pid = 0;
  return ::syscall(SYS_capset, &c.header, c.data) < 0 ? errno : 0;
}

bool has(const __user_cap_data_struct* d, __u32 __user_cap_data_struct::*set, unsigned cap) {
  return (d[cap / 32].*set & (1u << (cap % 32))) != 0;
}

// Writes all of `text` in one write() (the id map files take exactly one).
int write_whole(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n;
  do n = ::write(fd, text.data(), text.size());
  while (n < 0 && errno == EINTR);
  int e = n < 0 ? errno : (static_cast<size_t>(n) == text.size() ? 0 : EIO);
  ::close(fd);
  return e;
}

// "/proc/" + pid + suffix into buf, without printf.
void proc_path(char* buf, size_t size, pid_t pid, const char* suffix) {
  char digits[16];
  int n = 0;
  for (unsigned long v = static_cast<unsigned long>(pid); v > 0 || n == 0; v /= 10)
    digits[n++] = static_cast<char>('0' + v % 10);
  size_t at = 0;
  for (const char* p = "/proc/"; *p && at + 1 < size; ++p) buf[at++] = *p;
  while (n > 0 && at + 1 < size) buf[at++] = digits[--n];
  for (const char* p = suffix; *p && at + 1 < size; ++p) buf[at++] = *p;
  buf[at] = '\0';
}

// PrivateUsers=: a user namespace whose maps a helper writes from the
// parent namespace, as systemd does. Only a process that holds CAP_SETUID
// in the parent namespace may map root and the service user; once this
// process has unshared it holds capabilities in the new namespace only, and
// the monitor, which could write them, sleeps until we exec (CLONE_VFORK).
// The helper is forked (a copy of this memory, not shared) before the
// unshare, waits on an eventfd until the namespace exists, writes
// /proc/PARENT/{uid,gid}_map and exits with 0 or the errno.
int user_namespace(const SandboxPlan& plan) {
  int efd = ::eventfd(0, EFD_CLOEXEC);
  if (efd < 0) return errno;
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    int e = errno;
    ::close(efd);
    return e;
  }
  if (pid == 0) {
    uint64_t go = 0;
    while (::read(efd, &go, sizeof go) < 0 && errno == EINTR) {
    }
    if (go != 1) ::_exit(0);
    char path[64];
    pid_t parent = ::getppid();
    proc_path(path, sizeof path, parent, "/uid_map");
    int e = write_whole(path, plan.uid_map);
    if (e == 0) {
      proc_path(path, sizeof path, parent, "/gid_map");
      e = write_whole(path, plan.gid_map);
    }
    ::_exit(e > 255 ? EIO : e);
  }
  int err = ::unshare(CLONE_NEWUSER) < 0 ? errno : 0;
  uint64_t go = err ? 2 : 1;
  while (::write(efd, &go, sizeof go) < 0 && errno == EINTR) {
  }
  int status = 0;
  while (::wait4(static_cast<pid_t>(pid), &status, 0, nullptr) < 0) {
    if (errno != EINTR) {
      if (!err) err = errno;
      break;
    }
  }
  ::close(efd);
  if (err) return err;
  if (!WIFEXITED(status)) return ECHILD;
  return WEXITSTATUS(status);
}

int loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  for (size_t i = 0; i < sizeof ifr; ++i) reinterpret_cast<char*>(&ifr)[i] = 0;
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  int e = 0;
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
    e = errno;
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) < 0) e = errno;
  }
  ::close(s);
  return e;
}

int secure_bits(unsigned long bits) {
  int current = ::prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (current < 0) return errno;
  if (static_cast<unsigned long>(current) == bits) return 0;
  // Setting securebits takes CAP_SETPCAP in the effective set; after a uid
  // change with keep-caps it is still permitted, so raise it (execve
  // recomputes the effective set anyway).
  Caps c;
  if (int e = cap_get(c)) return e;
  if (has(c.data, &__user_cap_data_struct::permitted, CAP_SETPCAP) &&
      !has(c.data, &__user_cap_data_struct::effective, CAP_SETPCAP)) {
    c.data[CAP_SETPCAP / 32].effective |= 1u << (CAP_SETPCAP % 32);
    if (int e = cap_set(c)) return e;
  }
  return ::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0 ? errno : 0;
}

int run_op(const SandboxPlan& plan, const SandboxOp& op) {
  using K = SandboxOp::Kind;
  switch (op.kind) {
    case K::Mount:
      return ::mount(c_or_null(op.source), op.target.c_str(), c_or_null(op.fstype), op.flags, c_or_null(op.data)) < 0
                 ? errno
                 : 0;
    case K::Mkdir:
      if (::mkdir(op.target.c_str(), static_cast<mode_t>(op.value)) < 0 && errno != EEXIST) return errno;
      return 0;
    case K::Mknod:
      // A mount point left by an earlier run (the plan was made before it
      // existed) is fine: the mount that follows checks its type.
      if (::mknod(op.target.c_str(), static_cast<mode_t>(op.value), static_cast<dev_t>(op.value2)) < 0 &&
          errno != EEXIST)
        return errno;
      return 0;
    case K::Symlink:
      return ::symlink(op.source.c_str(), op.target.c_str()) < 0 ? errno : 0;
    case K::MoveRoot:
      if (::chdir(op.target.c_str()) < 0) return errno;
      if (::mount(op.target.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) return errno;
      if (::chroot(".") < 0) return errno;
      return ::chdir("/") < 0 ? errno : 0;
    case K::Chroot:
      if (::chroot(op.target.c_str()) < 0) return errno;
      return ::chdir("/") < 0 ? errno : 0;
    case K::SetUmask:
      ::umask(static_cast<mode_t>(op.value));
      return 0;
    case K::LoopbackUp:
      return loopback_up();
    case K::RlimitRtprio0: {
      struct rlimit r = {0, 0};
      return ::setrlimit(RLIMIT_RTPRIO, &r) < 0 ? errno : 0;
    }
    case K::UserNamespace:
      return user_namespace(plan);
    case K::BoundingDrop:
      for (unsigned long cap = 0; cap <= op.value2 && cap < 64; ++cap) {
        if (op.value & (1ULL << cap)) continue;
        int in = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in < 0) {
          if (errno == EINVAL) break;  // past what this kernel knows
          return errno;
        }
        if (in == 0) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return errno;
      }
      return 0;
    case K::AmbientApply: {
      Caps c;
      if (int e = cap_get(c)) return e;
      c.data[0].inheritable |= static_cast<__u32>(op.value);
      c.data[1].inheritable |= static_cast<__u32>(op.value >> 32);
      if (int e = cap_set(c)) return e;
      if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return errno;
      for (unsigned long cap = 0; cap < 64; ++cap)
        if ((op.value & (1ULL << cap)) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return errno;
      return 0;
    }
    case K::KeepCaps:
      return secure_bits(op.value | SECBIT_KEEP_CAPS);
    case K::AmbientRaise:
      for (unsigned long cap = 0; cap < 64; ++cap)
        if ((op.value & (1ULL << cap)) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return errno;
      return 0;
    case K::Keyring:
      if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0) return errno;
      if (op.value == 2 &&
          ::syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING, 0, 0) < 0)
        return errno;
      return 0;
    case K::SecureBits:
      return secure_bits(op.value);
    case K::NoNewPrivs: {
      if (op.value == 0) {
        // Only needed to load filters without CAP_SYS_ADMIN (systemd's
        // context_has_no_new_privileges()).
        Caps c;
        if (int e = cap_get(c)) return e;
        if (has(c.data, &__user_cap_data_struct::effective, CAP_SYS_ADMIN)) return 0;
      }
      return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
    }
    case K::Seccomp: {
      if (op.value >= plan.filters.size()) return EINVAL;
      const std::vector<BpfInsn>& insns = plan.filters[op.value];
      struct sock_fprog prog;
      prog.len = static_cast<unsigned short>(insns.size());
      prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<BpfInsn*>(insns.data()));
      return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? errno : 0;
    }
  }
  return EINVAL;
}

}  // namespace

bool run_phase(const SandboxPlan& plan, SandboxOp::Phase phase, Report& report) {
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const SandboxOp& op = plan.ops[i];
    if (op.phase != phase) continue;
    int e = run_op(plan, op);
    if (e == 0) continue;
    if (e == ENOENT && op.ignore_missing) continue;
    if (plan.best_effort || op.warn_only) {
      if (report.warning_count < Report::kMaxWarnings) report.warnings[report.warning_count] = {static_cast<int>(i), e};
      ++report.warning_count;
      continue;
    }
    report.failed_op = static_cast<int>(i);
    report.error = e;
    return false;
  }
  return true;
}

}  // namespace unitrun::process::sandbox_child
