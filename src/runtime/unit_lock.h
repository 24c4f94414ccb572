// The per-unit lock file. Two open-file-description locks (fcntl F_OFD_*)
// on two bytes of one file:
//   byte 0, "alive": held by the monitor for its whole life. Liveness is
//          "is this lock held", never "does the pidfile exist", so a crash
//          leaves nothing stale.
//   byte 1, "start": held by a `start` from before it checks liveness until
//          the outcome is known, so 20 racing starts yield one service and
//          the 19 others can truthfully say "already running (pid N)".
// The locks belong to the open file description: the monitor inherits them
// across fork, and they vanish when its last fd closes, i.e. when it exits.
// The fd is close-on-exec, so no service or hook ever holds them. The lock
// file itself is never removed (removing it would race with a new locker).
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun {

class UnitLock {
 public:
  static Result<UnitLock> open(const std::string& path);

  // Takes the alive lock without waiting; false when someone holds it.
  Result<bool> try_lock_alive();
  // Waits until the alive lock can be taken: i.e. until the monitor is gone.
  Status lock_alive_wait();
  // Whether another open file description holds the alive lock.
  Result<bool> alive_held_elsewhere();
  Status lock_start_wait();
  // false when a start (or stop) holds it now.
  Result<bool> try_lock_start();
  Status unlock_start();
  Status unlock_alive();

  // The name lock: unit names are unique among running units, as systemd's
  // are (the default pidfile and log derive from the name). A second lock
  // file, keyed by the name alone (RuntimeFiles::name_lock), whose byte 0
  // the monitor holds for its life like the alive lock, and which names the
  // holder's unit file. Takes it for `unit_path`; returns the path of
  // another unit file that holds it, or nullopt when it is ours now. One
  // open and one lock (and a read: content already naming `unit_path` is
  // not written again): a start costs the same however many units this
  // machine has seen.
  Result<std::optional<std::string>> claim_name(const std::string& name_lock, const std::string& unit_path);

  // Without opening the lock for writing (nothing is created): whether a
  // monitor holds the alive lock of this lock file (false when there is no
  // lock file), for the verbs that only look (list, is-active).
  static Result<bool> alive_held(const std::string& lock_path);
  // The same for the start lock: whether a start or stop of the unit is
  // under way in another process (a job, in systemd's words).
  static Result<bool> start_held(const std::string& lock_path);
  // The same on a lock file opened for reading (safe_files), to look more
  // than once without opening it again.
  static Result<bool> alive_held_on(int lock_fd);
  // The unit file that holds a name lock now (what claim_name() wrote),
  // or nullopt when nobody does.
  static std::optional<std::string> name_holder(const std::string& name_lock);

  int fd() const { return fd_.get(); }
  int name_fd() const { return name_fd_.get(); }  // -1 until claim_name() took it
  // Lets go of this process's handle. The locks stay with the open file
  // description for as long as another process (the monitor) holds it.
  // The name lock goes first: whoever closes last lets go of the locks
  // (the start caller, when its monitor ended before it closed), and a
  // start that takes the start lock the moment it is free must find the
  // name free too, not "another unit of that name is running". A monitor
  // that is killed lets go of them in the kernel's order, from its highest
  // fd down: the name lock's fd is kept above the unit lock's
  // (unit_lock.cc).
  void close() {
    name_fd_.reset();
    fd_.reset();
  }

 private:
  explicit UnitLock(UniqueFd fd) : fd_(std::move(fd)) {}
  // Keeps the claimed name lock, on an fd above fd_'s (unit_lock.cc: the
  // order in which the kernel lets go of a killed monitor's locks).
  Result<std::optional<std::string>> hold_name(UniqueFd locked);
  // Declared in this order so that the destructor, like close(), closes
  // name_fd_ before fd_.
  UniqueFd fd_;
  UniqueFd name_fd_;  // the name lock, once claimed
};

}  // namespace unitrun
