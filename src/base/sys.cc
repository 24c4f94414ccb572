#include "base/sys.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>

namespace unitrun::sys {

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
  while (true) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOCTTY, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return Error::from_errno("open '" + path + "'");
  }
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok();
}

Result<std::string> read_all(int fd, size_t limit) {
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path, size_t limit) {
  auto fd = open(path, O_RDONLY | O_NOCTTY);
  if (!fd) return fd.error();
  auto content = read_all(fd->get(), limit);
  if (!content) return Error{content.error().sys_errno, "read '" + path + "'"};
  return content;
}

Result<UniqueFd> pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return Error::from_errno("pidfd_open " + std::to_string(pid));
  return UniqueFd(fd);
}

Result<bool> pidfd_send_signal(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0) return true;
  if (errno == ESRCH) return false;
  return Error::from_errno("pidfd_send_signal");
}

Result<bool> wait_readable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  while (true) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("poll");
    return n > 0;
  }
}

void drain(int fd) {
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: drained; another error or EOF: nothing more to read either
  }
}

bool reset_signals() {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    (void)::sigaction(sig, &dfl, nullptr);  // EINVAL for the few glibc reserves: fine
  }
  sigset_t empty;
  sigemptyset(&empty);
  return ::sigprocmask(SIG_SETMASK, &empty, nullptr) == 0;
}

bool reset_signals(const sigset_t& altered) {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sigismember(&altered, sig) != 1) continue;
    // A signal the caller says it changed (never one glibc reserves): one
    // left as it is would reach the service.
    if (::sigaction(sig, &dfl, nullptr) != 0) return false;
  }
  sigset_t empty;
  sigemptyset(&empty);
  return ::sigprocmask(SIG_SETMASK, &empty, nullptr) == 0;
}

bool journald_listening() { return ::access("/run/systemd/journal/stdout", F_OK) == 0; }

uint64_t random_u64() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof v)) return v;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::string boot_id() {
  auto id = read_file("/proc/sys/kernel/random/boot_id", 128);
  if (!id) return "";
  std::string s = *id;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool has_effective_capability(int cap) {
  if (cap < 0 || cap >= 64) return false;
  struct __user_cap_header_struct header {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) < 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

static uint64_t clock_usec(clockid_t id) {
  struct timespec ts;
  ::clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

uint64_t now_realtime_usec() { return clock_usec(CLOCK_REALTIME); }
uint64_t now_monotonic_usec() { return clock_usec(CLOCK_MONOTONIC); }

}  // namespace unitrun::sys
