// Thin wrappers over the system calls unitrun uses, with EINTR retried and
// errno captured into Result. Everything opened here is close-on-exec.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun::sys {

// O_NOCTTY always: the monitor leads a session without a terminal, and a
// terminal it opened without that flag would become its controlling one.
Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
Status write_all(int fd, std::string_view data);
// Reads until EOF (or `limit` bytes).
Result<std::string> read_all(int fd, size_t limit = 1 << 20);
Result<std::string> read_file(const std::string& path, size_t limit = 1 << 20);

// pidfds (Linux 5.3+): a handle on one process that can never name another.
Result<UniqueFd> pidfd_open(pid_t pid);
// Returns false when the process is already gone (ESRCH), true when sent.
Result<bool> pidfd_send_signal(int pidfd, int sig);

// Waits until fd is readable or the timeout (ms, -1 = none) passes; true when readable.
Result<bool> wait_readable(int fd, int timeout_ms);
// Reads a non-blocking fd until nothing is left (or EOF), and discards what
// it read: an inotify or event fd whose readiness only says "look again".
// Out of line, so that its buffer is no part of the caller's frame.
void drain(int fd);

// Every signal's disposition back to SIG_DFL and an empty mask: what a
// process inherited (an ignored SIGCHLD or SIGPIPE, a blocked SIGTERM) is
// not what it should run with. Async-signal-safe (for a child between fork
// and exec). False when the mask could not be set.
bool reset_signals();
// The same for a process whose dispositions are known: only the signals in
// `altered` (those that may not be at SIG_DFL) are reset, then the mask is
// emptied. Async-signal-safe. A child about to exec needs no more: execve()
// itself resets every caught signal, and only an ignored one survives it
// (a handler could still run between the unmask and the exec, so a
// process that catches signals lists those too). False when a listed
// signal could not be reset or the mask could not be set.
bool reset_signals(const sigset_t& altered);

// Whether journald takes stdout streams here (its socket exists): where
// StandardOutput=journal goes, else the unit's log file.
bool journald_listening();

// The kernel's boot id, to tell a PID of this boot from one of a previous boot.
std::string boot_id();

// 64 unpredictable bits for names (temporary files, abstract sockets):
// getrandom() without blocking, std::random_device when the kernel's pool is
// not ready yet (early boot). Not std::random_device first: constructing one
// probes the CPU (cpuid, about 40 us under a hypervisor) every time.
uint64_t random_u64();

// Whether capability `cap` (CAP_*) is in this process's effective set
// (capget); false when it cannot be read.
bool has_effective_capability(int cap);

// Realtime clock in microseconds, for display ("since ...").
uint64_t now_realtime_usec();
// Monotonic clock in microseconds, for timeouts and rate limits.
uint64_t now_monotonic_usec();

}  // namespace unitrun::sys
