// `unitrun shutdown` against the starts that a unit's end triggers
// (OnFailure=, OnSuccess=, the Upholds= of a `stop --ended` reaction or of
// a command's). Each checks the shutdown marker (runtime_files.h), then
// starts: a shutdown that began between the two listed what runs before
// the start's monitor existed, stopped it all, and left the new unit
// running. One lock file, DIR/.shutdown.lock, closes that gap: shutdown
// holds it exclusively from before it lists the running units to its end;
// a triggered start holds it shared from before its check of the marker
// until it returns (its monitors run by then and hold their locks, so the
// shutdown's list has them), and is refused, not made to wait, while a
// shutdown holds it.
//
// POSIX record locks (F_SETLK), not flock or OFD locks: these belong to the
// process, so the monitors a start forks do not inherit them (a monitor
// would hold a shutdown off for its whole life). They also go with any
// close of the file by their process: one fd per process, which nested
// holders share (a triggered start's reaction to its own jobs).
#pragma once

#include <optional>
#include <string>

#include "base/result.h"

namespace unitrun {

class ShutdownLock {
 public:
  // Waits until no triggered start holds it, then holds it exclusively.
  static Result<ShutdownLock> exclusive(const std::string& directory);
  // Holds it shared; nullopt when a shutdown holds it now.
  static Result<std::optional<ShutdownLock>> shared(const std::string& directory);

  // In a process forked while this process held it (a monitor): closes the
  // inherited fd, by which the fork holds nothing (the lock stays its
  // parent's), so that the file is not kept open for the fork's life.
  static void forget_in_fork();

  ShutdownLock(ShutdownLock&& other) noexcept : holds_(other.holds_) { other.holds_ = false; }
  ShutdownLock& operator=(ShutdownLock&&) = delete;
  ShutdownLock(const ShutdownLock&) = delete;
  ShutdownLock& operator=(const ShutdownLock&) = delete;
  ~ShutdownLock();

 private:
  ShutdownLock() = default;
  bool holds_ = true;
};

}  // namespace unitrun
