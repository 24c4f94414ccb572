// Signalling the processes of a unit. Every target is a process the monitor
// can prove is its own: a descendant in the parent links of /proc (the
// monitor is a subreaper, so escaped double-forks come back to it), pinned
// by a pidfd whose start time is re-checked, so a PID that was reused since
// the scan is never signalled.
#pragma once

#include <sys/types.h>

#include <set>
#include <utility>
#include <vector>

#include "process/proc.h"

namespace unitrun::process {

// Sends sig (and SIGCONT after it, unless sig is SIGKILL or SIGCONT) to one
// process if it still is the process in `target`. Returns true when sent;
// false when it is gone (ESRCH) or cannot be proven to be that process
// (then nothing is sent).
bool signal_verified(const proc::Stat& target, int sig);

// The same for a child of the caller that the caller has not reaped: its
// PID cannot have been reused, so plain kill() is safe and needs no fd.
bool signal_child(pid_t child, int sig);

// The live descendants of the calling process (the monitor).
std::vector<proc::Stat> my_descendants();

// Remembers which processes (pid, start time) got a signal, so that
// processes forked during a stop get theirs too, and nobody gets it twice.
class SignalledSet {
 public:
  bool contains(const proc::Stat& s) const { return set_.count({s.pid, s.start_time}) > 0; }
  void add(const proc::Stat& s) { set_.insert({s.pid, s.start_time}); }
  void clear() { set_.clear(); }

 private:
  std::set<std::pair<pid_t, uint64_t>> set_;
};

}  // namespace unitrun::process
