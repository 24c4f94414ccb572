// Pinning one process of the caller's tree before trusting anything read
// about it (MAINPID=, a forking daemon's pidfile). The order is the proof:
// the pidfd is opened first, then /proc is read (state, start time, parent
// links up to the ancestor), then the pidfd must still name a process that
// has not been reaped. A PID is only reused once its process is reaped, so
// everything read in between described the pinned process, never a
// stranger that took its PID between a check and the open.
#pragma once

#include <sys/types.h>

#include <optional>

#include "base/unique_fd.h"
#include "process/proc.h"

namespace unitrun::process {

struct PinnedProcess {
  UniqueFd pidfd;  // names this process for as long as it is held
  proc::Stat stat;
};

// A pidfd and the stat of `pid` when it is a live (not zombie) descendant
// of `ancestor` (parent links, at most 64 levels), proven as above; nullopt
// otherwise, or when no pidfd can be had (nothing unproven is adopted).
std::optional<PinnedProcess> pin_descendant(pid_t pid, pid_t ancestor);

// The proof alone, for a pidfd opened already (pidfd_open(pid) before
// this call): the stat of the process it pins when that is a live
// descendant of `ancestor`, nullopt when the pinned process has been reaped
// (whatever holds its PID now) or is not one.
std::optional<proc::Stat> prove_descendant(int pidfd, pid_t pid, pid_t ancestor);

// Whether `pid` descends from `ancestor` in /proc's parent links, starting
// from its known parent `ppid` (at most 64 levels). Unpinned: a caller that
// acts on the answer pins first (pin_descendant).
bool descends_from(pid_t ppid, pid_t ancestor);

}  // namespace unitrun::process
