// SetCredential= and LoadCredential= on the file system: the unit's
// credentials written, at start, into a private directory of its own
// (Unit::credentials_directory, below unitrun's runtime directory:
// $CREDENTIALS_DIRECTORY), and removed at stop.
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "unit/unit.h"

namespace unitrun::credentials_dir {

// Recreates the directory (0700, owned by uid:gid, the service user's;
// whatever a previous start left is removed first) and writes one file per
// credential ID, 0400, owned by uid:gid: SetCredential='s data, or what
// LoadCredential= reads (as unitrun's own user, so root-only secrets can be
// handed over): an absolute path to a regular file (at most 1 MiB), a
// directory (each regular file in it, recursively, as ID_NAME), or an
// AF_UNIX stream socket (read until EOF); a bare name is looked up in
// $CREDENTIALS_DIRECTORY (unitrun's own), /etc/credstore, /run/credstore
// and /usr/lib/credstore. A later assignment of an ID wins; a
// LoadCredential= that cannot be read falls back to a SetCredential= of the
// same ID, else it fails the start. Nothing to do without credentials.
Status write(const Unit& unit, uid_t uid, gid_t gid);

// Removes the directory and its files; a missing one is fine.
Status remove(const Unit& unit);

}  // namespace unitrun::credentials_dir
