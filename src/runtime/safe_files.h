// Files that unitrun (often root) creates where others may have write access:
// pidfiles, state files, logs, locks. Never through a symlink (a symlink in a
// parent directory is followed only when root or unitrun's own user owns it),
// never into a hard link, with modes independent of the caller's umask.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun::safe_files {

// An O_PATH fd on the directory that holds `path`, created (0755) when
// missing and create is true. Within a command (unit/command_reads.h), the
// directory ensure_private_directory() checked is not walked again: a copy
// of the fd it keeps.
Result<UniqueFd> open_parent_directory(const std::string& path, bool create);

// The same directory for use within one call: the fd the command keeps
// lent, not copied (a start opens its lock, record, name lock and snapshot
// there: a dup and a close each, saved), or one opened as
// open_parent_directory() opens it, closed with this. Never kept beyond
// the call that asked for it: the command's scope owns a lent fd.
class DirectoryFd {
 public:
  explicit DirectoryFd(UniqueFd owned) : owned_(std::move(owned)), fd_(owned_.get()) {}
  static DirectoryFd lent(int fd) { return DirectoryFd(fd); }
  int get() const { return fd_; }

 private:
  explicit DirectoryFd(int lent) : fd_(lent) {}
  UniqueFd owned_;
  int fd_ = -1;
};
Result<DirectoryFd> parent_directory(const std::string& path, bool create);

// Writes content to a temporary file beside `path`, then renames it over
// `path`: a reader sees the old or the new content, never a partial one.
// Refuses to replace a symlink or a file with more than one link.
Status write_atomic(const std::string& path, std::string_view content, mode_t mode);

// The same guarantee for a file that only the calling process ever writes
// (a monitor's state record), without freeing or allocating disk blocks:
// the new content goes into a spare file beside it (".NAME.spare", reused
// from the last call), which is then exchanged with `path`
// (renameat2 RENAME_EXCHANGE). Replacing a file by rename on ext4 forces
// the new file's blocks out and frees the old one's, with a synchronous
// discard under -o discard: 0.3 ms a write where /run is such a disk.
// A reader that held the old file open across two rewrites may see it
// change, so readers check what they read (runtime_files: parse_state).
Status rewrite(const std::string& path, std::string_view content, mode_t mode);

// Opens a regular file for writing (O_APPEND when append; cut to nothing
// when truncate, but only after the fd is known to be no symlink and no hard
// link), creating it with `mode` (0640 for logs). The fd is close-on-exec.
Result<UniqueFd> open_for_writing(const std::string& path, bool append, bool truncate, mode_t mode);
// The same, for reading too (O_RDWR), never cut: a lock file (a read lock,
// F_RDLCK, needs read access), or one whose holder writes what it is, read
// back through the one fd.
Result<UniqueFd> open_for_reading_and_writing(const std::string& path, mode_t mode);

// open_for_writing() for an output a unit names (StandardOutput=file:,
// append:, truncate:): a character device is accepted as well (a terminal,
// /dev/console, /dev/null, as systemd does), and never cut. Opened with
// O_NOCTTY, like every open of the monitor: a terminal named here never
// becomes the monitor's controlling terminal.
Result<UniqueFd> open_output(const std::string& path, bool append, bool truncate, mode_t mode);

// Opens an existing regular file for reading without following a symlink in
// its last component (symlinked parent directories only when a trusted user
// owns them), never blocking (a FIFO is refused, not waited on), and never
// through a hard link. ENOENT is reported as an Error with sys_errno ==
// ENOENT.
Result<UniqueFd> open_for_reading(const std::string& path);
// The same for `name` in a directory already opened (by
// open_parent_directory): for reading many files of one directory without
// walking its path each time. `path` is for messages.
Result<UniqueFd> open_for_reading_in(int dir_fd, const std::string& name, const std::string& path);

// Removes a file; a missing file is fine.
Status remove(const std::string& path);

// Creates (0755) and checks a directory unitrun keeps private state in: it
// must belong to unitrun's user and not be writable by group or others.
// Within a command, the first one checked is kept open for the command's
// later opens in it (lent by parent_directory(), duplicated by
// open_parent_directory()).
Status ensure_private_directory(const std::string& path);

}  // namespace unitrun::safe_files
