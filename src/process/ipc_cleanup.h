// RemoveIPC= (systemd.exec(5)): when a unit that ran under a User= other
// than root has stopped, the System V and POSIX IPC objects that user owns
// are removed, so that nothing the service left behind outlives it.
//
// Called by the monitor when the unit is over (every process gone). As in
// systemd, objects are left alone while the user still has a use for them:
// unitrun keeps no count of the units that run as a user, so it removes
// nothing while any live process (not a zombie) of that uid is left, whether
// another unit's or anyone else's.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace unitrun::process {

struct IpcCleanup {
  int removed = 0;                    // objects removed
  bool skipped_user_active = false;   // a live process of the uid was found: nothing removed
  std::vector<std::string> problems;  // "remove /dev/shm/x: Permission denied", one per failure
};

// Removes what `uid` owns (its owner or creator): System V shared memory
// segments, semaphore sets and message queues of this IPC namespace (read
// from /proc/sysvipc), POSIX shared memory (/dev/shm, recursively) and POSIX
// message queues (/dev/mqueue, where an mqueue file system is mounted).
// Directories are opened with O_NOFOLLOW and entries examined with
// AT_SYMLINK_NOFOLLOW: a symlink is removed (when the uid owns it), never
// followed. uid 0 is refused (nothing is removed): root's objects are never
// the unit's alone.
IpcCleanup remove_ipc_of(uid_t uid);

}  // namespace unitrun::process
