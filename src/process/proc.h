// Reading processes from /proc: identity (PID + start time), parentage and
// the tree below a process. Used to prove a PID is ours before signalling it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace unitrun::proc {

struct Stat {
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;
  long threads = 0;         // field 20
  uint64_t start_time = 0;  // clock ticks since boot (field 22)
};

// nullopt when the process does not exist (or vanished while being read).
std::optional<Stat> read_stat(pid_t pid);

// A process's identity: its start time, which a reused PID does not share.
std::optional<uint64_t> start_time(pid_t pid);

// The boot-time clock (CLOCK_BOOTTIME, ns), which the kernel stamps a new
// process with (/proc's start time is that stamp in clock ticks).
uint64_t boot_clock_ns();

// The start time of a process forked between two boot_clock_ns() readings
// (`before` in the parent before its fork, `after` in the child), without
// reading /proc: the kernel's stamp lies between them, so when both fall in
// one clock tick (a microsecond's margin either side), so does the stamp.
// nullopt when they straddle a tick (about one fork in a hundred: read
// /proc then).
std::optional<uint64_t> start_time_between(uint64_t before_ns, uint64_t after_ns);

// `known` (start_time_between()'s answer) when there is one, else
// start_time(pid) from /proc; 0 when neither can say.
uint64_t start_time_or_read(const std::optional<uint64_t>& known, pid_t pid);

// True when pid exists, is not a zombie, and started at `start_time`.
bool is_same_process(pid_t pid, uint64_t start_time);

// All processes on the system, one read of /proc.
std::vector<Stat> all_processes();

// Every live (non-zombie) descendant of `ancestor` in the snapshot, by parent
// links; the ancestor itself is not included.
std::vector<Stat> descendants(const std::vector<Stat>& snapshot, pid_t ancestor);

// The same, read by walking down from `ancestor` through
// /proc/PID/task/TID/children (falls back to a whole scan on kernels
// without those files).
std::vector<Stat> descendants_of(pid_t ancestor);

// The command line, NULs turned into spaces; "" for kernel threads/zombies.
std::string cmdline(pid_t pid);

// The executable a process runs (/proc/PID/exe), "" when unreadable.
std::string exe(pid_t pid);

// Resident memory in bytes: Pss from smaps_rollup when readable, else RSS.
uint64_t memory_bytes(pid_t pid);

// Parses the content of /proc/PID/stat; exposed for tests (comm may contain
// spaces and parentheses).
std::optional<Stat> parse_stat(const std::string& content);

}  // namespace unitrun::proc
