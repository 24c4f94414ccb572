// Walking and changing directory trees without ever following a symlink:
// every component is opened with O_NOFOLLOW from a directory fd already
// held, so a link planted by a service user (who owns the innermost
// directories) can never redirect root's mkdir, chown or rm. Shared by
// service_directories and credentials_dir.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun::dir_walk {

// Opens `root` (a trusted path, symlinks followed: /var/run is one), then
// each component of `relative` below it without following symlinks,
// creating missing ones with `mode` (umask ignored) when create is true.
// The result is an O_DIRECTORY fd on the last component.
Result<UniqueFd> open_below(const std::string& root, std::string_view relative, bool create, mode_t mode);

// Gives every file and directory below (and including) the directory `fd`
// to uid:gid, symlinks themselves rather than their targets; at most 64
// levels deep.
Status chown_tree(int fd, uid_t uid, gid_t gid, const std::string& what);

// Removes `name` below the directory `parent` with everything in it,
// without following symlinks; a missing name is fine.
Status remove_tree(int parent, const std::string& name, const std::string& what);

}  // namespace unitrun::dir_walk
