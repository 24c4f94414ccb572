// process/pin.h: a pidfd opened before the checks vouches only for the
// process it pinned. The PID reuse is made deterministic in a PID namespace
// of our own (ns_last_pid), with its own /proc.
#include "process/pin.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

namespace {

using unitrun::process::prove_descendant;

int pidfd_of(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

pid_t fork_sleeper() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  return pid;
}

// Runs as PID 1 of a fresh namespace; the exit code says what went wrong.
int reuse_a_pid() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return 10;
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) return 11;
  pid_t first = fork_sleeper();
  if (first != 2) return 12;
  int pinned_first = pidfd_of(first);
  if (pinned_first < 0) return 13;
  if (!prove_descendant(pinned_first, first, 1)) return 14;  // it is ours, and alive
  // The first process is reaped, and its PID goes to a new descendant.
  if (::kill(first, SIGKILL) < 0 || ::waitpid(first, nullptr, 0) != first) return 15;
  int last = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (last < 0 || ::write(last, "1", 1) != 1) return 16;
  ::close(last);
  pid_t second = fork_sleeper();
  if (second != first) return 17;
  int rc = 0;
  // The old pidfd must not vouch for the newcomer, though it is a live
  // descendant at the very PID that was checked.
  if (prove_descendant(pinned_first, first, 1)) rc = 1;
  // A pidfd of the newcomer does.
  int pinned_second = pidfd_of(second);
  if (pinned_second < 0 || !prove_descendant(pinned_second, second, 1)) rc = rc ? rc : 2;
  ::kill(second, SIGKILL);
  ::waitpid(second, nullptr, 0);
  return rc;
}

}  // namespace

TEST_CASE("a pidfd taken before its process was reaped never vouches for the process that reuses the PID", "[proc]") {
  pid_t outer = ::fork();
  REQUIRE(outer >= 0);
  if (outer == 0) {
    if (::unshare(CLONE_NEWPID | CLONE_NEWNS) < 0) ::_exit(20);
    pid_t init = ::fork();
    if (init < 0) ::_exit(21);
    if (init == 0) ::_exit(reuse_a_pid());
    int status = 0;
    if (::waitpid(init, &status, 0) != init) ::_exit(22);
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 23);
  }
  int status = 0;
  REQUIRE(::waitpid(outer, &status, 0) == outer);
  REQUIRE(WIFEXITED(status));
  // 1: the stale pidfd vouched for the new process; 2: the fresh one did
  // not; 10 and up: the namespace could not be set up.
  CHECK(WEXITSTATUS(status) == 0);
}
