// RuntimeDirectory= & co. on the file system: created (and handed to the
// service user) before the service's first command, the runtime ones
// removed after its last (unit/service_directories.h decides which, with
// which mode and owner). Never through a symlink (dir_walk.h): the service
// user owns the innermost directories and could have planted one.
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "unit/service_directories.h"
#include "unit/unit.h"

namespace unitrun::service_directories {

// Creates every directory of the unit: the parents below their root
// root-owned 0755 when missing; the innermost ones with the unit's mode and,
// but for ConfigurationDirectory=, owned by uid:gid (the service user's),
// what is inside them too when they had another owner (as systemd does);
// then the symlinks of "PATH:LINK" (an existing link to the same place is
// fine, anything else at LINK is an error). Stops at the first error, which
// names the path (the start fails with it).
Status create(const Unit& unit, uid_t uid, gid_t gid);

// Removes the runtime directories with everything in them, and their
// symlinks, when RuntimeDirectoryPreserve= says so for `reason`. A missing
// directory is fine; every directory is tried, the first error returned.
Status remove(const Unit& unit, unit::StopReason reason);

}  // namespace unitrun::service_directories
