#include "runtime/safe_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <random>

#include "base/strings.h"
#include "base/sys.h"
#include "unit/command_reads.h"

namespace unitrun::safe_files {
namespace {

std::string dir_name(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool trusted_owner(uid_t uid) { return uid == 0 || uid == ::geteuid(); }

// Opens one directory component below dirfd; follows it only when it is a
// real directory, or a symlink that a trusted user owns.
Result<UniqueFd> open_component(int dirfd, const std::string& name, const std::string& so_far, bool create) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::openat(dirfd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == ENOENT && create && attempt == 0) {
      if (::mkdirat(dirfd, name.c_str(), 0755) < 0 && errno != EEXIST)
        return Error::from_errno("create directory '" + so_far + "'");
      continue;
    }
    if (errno == ELOOP || errno == ENOTDIR) {
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        if (!trusted_owner(st.st_uid))
          return Error{ELOOP, "refusing to follow symlink '" + so_far + "' owned by uid " + std::to_string(st.st_uid)};
        fd = ::openat(dirfd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) return UniqueFd(fd);
      }
    }
    return Error::from_errno("open directory '" + so_far + "'");
  }
  return Error::from_errno("open directory '" + so_far + "'");
}

// Refuses what must never be written through: a symlink, a hard link, or
// anything that is not a regular file.
// `device`: a character device (a terminal, /dev/null, /dev/console) is a
// target too, for the outputs a unit names (StandardOutput=file:).
Status check_target(int dirfd, const std::string& name, const std::string& path, bool device = false) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("stat '" + path + "'");
  }
  if (S_ISLNK(st.st_mode)) return Error{ELOOP, "refusing to write through symlink '" + path + "'"};
  if (!S_ISREG(st.st_mode) && !(device && S_ISCHR(st.st_mode)))
    return Error::plain("refusing to replace '" + path + "': not a regular file");
  if (st.st_nlink > 1) return Error::plain("refusing to write '" + path + "': it has other hard links");
  return ok();
}

// Where a writer writes `path`: its directory, created as needed and reached
// without following a symlink, and the name in it, once check_target() has
// accepted what is there now.
struct WriteTarget {
  DirectoryFd dir;
  std::string name;
};

Result<WriteTarget> open_write_target(const std::string& path, bool device = false) {
  auto dir = parent_directory(path, true);
  if (!dir) return dir.error();
  WriteTarget t{std::move(*dir), base_name(path)};
  auto target_ok = check_target(t.dir.get(), t.name, path, device);
  if (!target_ok) return target_ok.error();
  return t;
}

}  // namespace

namespace {

// The runtime directory this command checked already
// (ensure_private_directory), when `dir` is it: the fd the command holds,
// or -1.
int checked_directory(const std::string& dir) {
  const unit::CommandReads* reads = unit::CommandReads::current();
  return reads && reads->private_directory_fd && reads->private_directory == dir ? reads->private_directory_fd.get()
                                                                                 : -1;
}

Result<UniqueFd> walk_to_directory(const std::string& dir, bool create) {
  // The common case in one system call: a path of real directories only,
  // which is where the walk below would arrive, component by component
  // (five calls for /run/unitrun). Anything else (a symlink on the way,
  // which the walk follows where a trusted user owns it; a directory to
  // create; a kernel or filter without openat2) takes the walk, which also
  // says what is wrong.
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  long direct = ::syscall(SYS_openat2, AT_FDCWD, dir.c_str(), &how, sizeof how);
  if (direct >= 0) return UniqueFd(static_cast<int>(direct));
  UniqueFd fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open '/'");
  std::string so_far;
  size_t i = 1;
  while (i < dir.size()) {
    size_t slash = dir.find('/', i);
    if (slash == std::string::npos) slash = dir.size();
    std::string part = dir.substr(i, slash - i);
    i = slash + 1;
    if (part.empty() || part == ".") continue;
    so_far += "/" + part;
    auto next = open_component(fd.get(), part, so_far, create);
    if (!next) return next.error();
    fd = std::move(*next);
  }
  return fd;
}

}  // namespace

Result<UniqueFd> open_parent_directory(const std::string& path, bool create) {
  std::string dir = dir_name(path);
  if (dir.empty() || dir[0] != '/') return Error::plain("not an absolute path: '" + path + "'");
  // A copy of the fd the command holds: one cheap call instead of a walk of
  // the path.
  if (int checked = checked_directory(dir); checked >= 0) {
    int copy = ::fcntl(checked, F_DUPFD_CLOEXEC, 3);
    if (copy >= 0) return UniqueFd(copy);
  }
  return walk_to_directory(dir, create);
}

Result<DirectoryFd> parent_directory(const std::string& path, bool create) {
  std::string dir = dir_name(path);
  if (dir.empty() || dir[0] != '/') return Error::plain("not an absolute path: '" + path + "'");
  if (int checked = checked_directory(dir); checked >= 0) return DirectoryFd::lent(checked);
  auto opened = walk_to_directory(dir, create);
  if (!opened) return opened.error();
  return DirectoryFd(std::move(*opened));
}

Status write_atomic(const std::string& path, std::string_view content, mode_t mode) {
  auto target = open_write_target(path);
  if (!target) return target.error();
  const DirectoryFd& dir = target->dir;
  const std::string& name = target->name;

  // The temporary name's suffix: splitmix64 over 8 bytes of state, seeded
  // once. (std::mt19937_64's 2.5 kB of state dirtied a page of .bss of its
  // own in every monitor.) O_EXCL below is what makes the name safe.
  static uint64_t seed = sys::random_u64();
  auto next = [] {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  std::string tmp;
  UniqueFd fd;
  // The mode exactly, whatever the umask: created with it, the umask set
  // aside for the create (unitrun runs no second thread; as in
  // runtime/control_socket.cc). An fchmod afterwards would dirty the new
  // inode once more: a journal transaction of its own on ext4.
  mode_t umask_before = ::umask(0);
  for (int attempt = 0; attempt < 16 && !fd; ++attempt) {
    tmp = "." + name + "." + std::to_string(next() % 1000000000);
    fd.reset(::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd && errno != EEXIST) break;
  }
  int create_errno = errno;
  ::umask(umask_before);
  errno = create_errno;
  if (!fd) return Error::from_errno("create temporary file for '" + path + "'");
  auto fail = [&](const std::string& what) {
    Error e = Error::from_errno(what + " '" + path + "'");
    (void)::unlinkat(dir.get(), tmp.c_str(), 0);  // best effort: the original error matters more
    return e;
  };
  if (auto written = sys::write_all(fd.get(), content); !written) {
    errno = written.error().sys_errno;
    return fail("write");
  }
  if (::close(fd.release()) < 0) return fail("close");
  if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) < 0) return fail("rename");
  return ok();
}

Status rewrite(const std::string& path, std::string_view content, mode_t mode) {
  auto target = open_write_target(path);
  if (!target) return target.error();
  const DirectoryFd& dir = target->dir;
  const std::string& name = target->name;
  std::string spare = "." + name + ".spare";
  auto spare_ok = check_target(dir.get(), spare, path + " (spare)");
  if (!spare_ok) return spare_ok;
  UniqueFd fd(::openat(dir.get(), spare.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return Error::from_errno("open spare of '" + path + "'");
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("stat spare of '" + path + "'");
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != ::geteuid())
    return Error::plain("refusing to write spare of '" + path + "': not our own regular file");
  // Each of these dirties the inode (a journal transaction on ext4): only
  // when needed. The mode is right but for the first write (or a umask that
  // cut it); a record rarely shrinks (its events only accumulate).
  if ((st.st_mode & 07777) != mode && ::fchmod(fd.get(), mode) < 0)
    return Error::from_errno("chmod spare of '" + path + "'");
  // Overwritten in place (the fd is fresh, at offset 0) and cut to length:
  // the block it has stays its own.
  if (auto written = sys::write_all(fd.get(), content); !written)
    return Error{written.error().sys_errno, "write spare of '" + path + "'"};
  if (static_cast<uint64_t>(st.st_size) > content.size() &&
      ::ftruncate(fd.get(), static_cast<off_t>(content.size())) < 0)
    return Error::from_errno("truncate spare of '" + path + "'");
  if (::close(fd.release()) < 0) return Error::from_errno("close spare of '" + path + "'");
  if (::renameat2(dir.get(), spare.c_str(), dir.get(), name.c_str(), RENAME_EXCHANGE) == 0) return ok();
  // The first write (nothing to exchange with), or a file system without
  // RENAME_EXCHANGE: a plain rename, which also leaves no spare behind.
  if (errno != ENOENT && errno != EINVAL && errno != ENOSYS) return Error::from_errno("exchange '" + path + "'");
  if (::renameat(dir.get(), spare.c_str(), dir.get(), name.c_str()) < 0)
    return Error::from_errno("rename '" + path + "'");
  return ok();
}

namespace {

Result<UniqueFd> open_writable(const std::string& path, int access, bool append, bool truncate, mode_t mode,
                               bool device) {
  auto target = open_write_target(path, device);
  if (!target) return target.error();
  // Never O_TRUNC: the name may be swapped for a hard link between the check
  // above and the open; the file is cut only once the fd is checked below.
  // O_NOCTTY: the monitor leads a session without a terminal, and would
  // acquire the one it opened here as its controlling terminal.
  int flags = access | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (append) flags |= O_APPEND;
  int fd;
  do fd = ::openat(target->dir.get(), target->name.c_str(), flags, mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ELOOP) return Error{ELOOP, "refusing to open symlink '" + path + "'"};
    return Error::from_errno("open '" + path + "'");
  }
  UniqueFd out(fd);
  // Re-check on the fd itself: the name may have been swapped after the
  // check above.
  struct stat st;
  if (::fstat(fd, &st) < 0) return Error::from_errno("stat '" + path + "'");
  bool regular = S_ISREG(st.st_mode);
  if (!regular && !(device && S_ISCHR(st.st_mode)))
    return Error::plain("refusing to write '" + path + "': not a regular file");
  if (st.st_nlink > 1) return Error::plain("refusing to write '" + path + "': it has other hard links");
  if (truncate && regular && ::ftruncate(fd, 0) < 0) return Error::from_errno("truncate '" + path + "'");
  // O_NONBLOCK only guarded the open; the service gets a normal blocking fd.
  // The status flags are the ones just opened with (F_SETFL changes only
  // O_APPEND, O_NONBLOCK and the like, and ignores the access mode and the
  // creation flags): no F_GETFL to ask for them.
  if (::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return Error::from_errno("fcntl '" + path + "'");
  return out;
}

}  // namespace

Result<UniqueFd> open_for_writing(const std::string& path, bool append, bool truncate, mode_t mode) {
  return open_writable(path, O_WRONLY, append, truncate, mode, false);
}

Result<UniqueFd> open_output(const std::string& path, bool append, bool truncate, mode_t mode) {
  return open_writable(path, O_WRONLY, append, truncate, mode, true);
}

Result<UniqueFd> open_for_reading_and_writing(const std::string& path, mode_t mode) {
  return open_writable(path, O_RDWR, false, false, mode, false);
}

Result<UniqueFd> open_for_reading(const std::string& path) {
  auto dir = parent_directory(path, false);
  if (!dir) return dir.error();
  return open_for_reading_in(dir->get(), base_name(path), path);
}

Result<UniqueFd> open_for_reading_in(int dir_fd, const std::string& name, const std::string& path) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return Error{ELOOP, "refusing to read through symlink '" + path + "'"};
    return Error::from_errno("open '" + path + "'");
  }
  UniqueFd out(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return Error::from_errno("stat '" + path + "'");
  if (!S_ISREG(st.st_mode)) return Error::plain("'" + path + "' is not a regular file");
  // A hard link may have been planted to a file its planter may not read
  // (fs.protected_hardlinks=0, the kernel's default): root must not read
  // through it on anyone's behalf.
  if (st.st_nlink > 1) return Error::plain("refusing to read '" + path + "': it has other hard links");
  return out;
}

Status remove(const std::string& path) {
  auto dir = parent_directory(path, false);
  if (!dir) {
    if (dir.error().sys_errno == ENOENT) return ok();
    return dir.error();
  }
  if (::unlinkat(dir->get(), base_name(path).c_str(), 0) < 0 && errno != ENOENT)
    return Error::from_errno("remove '" + path + "'");
  return ok();
}

Status ensure_private_directory(const std::string& path) {
  auto parent = open_parent_directory(path + "/x", true);
  if (!parent) return parent.error();
  struct stat st;
  if (::fstat(parent->get(), &st) < 0) return Error::from_errno("stat '" + path + "'");
  if (st.st_uid != ::geteuid())
    return Error::plain("refusing to use '" + path + "': owned by uid " + std::to_string(st.st_uid));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return Error::plain("refusing to use '" + path + "': writable by group or others");
  // Kept for the rest of the command (open_parent_directory).
  if (unit::CommandReads* reads = unit::CommandReads::current(); reads && !reads->private_directory_fd) {
    reads->private_directory = dir_name(path + "/x");
    reads->private_directory_fd = std::move(*parent);
  }
  return ok();
}

}  // namespace unitrun::safe_files
