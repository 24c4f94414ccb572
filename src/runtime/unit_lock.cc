#include "runtime/unit_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/sys.h"
#include "runtime/safe_files.h"

namespace unitrun {
namespace {

constexpr off_t kAliveByte = 0;
constexpr off_t kStartByte = 1;

struct flock range(short type, off_t start) {
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = 1;
  return fl;  // l_pid must be 0 for OFD locks
}

Result<bool> set_lock(int fd, int cmd, short type, off_t byte) {
  struct flock fl = range(type, byte);
  while (::fcntl(fd, cmd, &fl) < 0) {
    if (errno == EINTR) continue;
    if (cmd == F_OFD_SETLK && (errno == EAGAIN || errno == EACCES)) return false;
    return Error::from_errno("lock");
  }
  return true;
}

// The name lock's fd is kept above the unit lock's. A monitor killed with
// SIGKILL lets go of its locks in the kernel's order, not close()'s:
// exit_files() -> close_files() (fs/file.c) walks the fd table from fd 0
// upward, and each last fput() queues the file's release (____fput(), which
// drops its OFD locks in locks_remove_file()) with task_work_add(), which
// pushes onto the head of a list that task_work_run() (kernel/task_work.c)
// runs from the head: the releases run newest first, from the highest fd
// down. The name lock must go first (close() says why), so its fd must be
// the higher one. Usually it is already (it is opened later); a lower fd
// freed in between is the exception. The dup shares the open file
// description, and with it the lock.
Result<UniqueFd> above(UniqueFd fd, int floor) {
  if (fd.get() > floor) return fd;
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, floor + 1);
  if (moved < 0) return Error::from_errno("move name lock fd");
  return UniqueFd(moved);
}

}  // namespace

Result<UnitLock> UnitLock::open(const std::string& path) {
  auto fd = safe_files::open_for_writing(path, false, false, 0600);
  if (!fd) return fd.error();
  return UnitLock(std::move(*fd));
}

Result<bool> UnitLock::try_lock_alive() { return set_lock(fd_.get(), F_OFD_SETLK, F_WRLCK, kAliveByte); }

Status UnitLock::lock_alive_wait() {
  auto r = set_lock(fd_.get(), F_OFD_SETLKW, F_WRLCK, kAliveByte);
  if (!r) return r.error();
  return ok();
}

Result<bool> UnitLock::alive_held_elsewhere() {
  struct flock fl = range(F_WRLCK, kAliveByte);
  if (::fcntl(fd_.get(), F_OFD_GETLK, &fl) < 0) return Error::from_errno("query lock");
  return fl.l_type != F_UNLCK;
}

Status UnitLock::lock_start_wait() {
  auto r = set_lock(fd_.get(), F_OFD_SETLKW, F_WRLCK, kStartByte);
  if (!r) return r.error();
  return ok();
}

Result<bool> UnitLock::try_lock_start() { return set_lock(fd_.get(), F_OFD_SETLK, F_WRLCK, kStartByte); }

Status UnitLock::unlock_start() {
  auto r = set_lock(fd_.get(), F_OFD_SETLK, F_UNLCK, kStartByte);
  if (!r) return r.error();
  return ok();
}

namespace {

Result<bool> held_elsewhere(int fd, off_t byte) {
  struct flock fl = range(F_WRLCK, byte);
  if (::fcntl(fd, F_OFD_GETLK, &fl) < 0) return Error::from_errno("query lock");
  return fl.l_type != F_UNLCK;
}

}  // namespace

Result<bool> UnitLock::alive_held(const std::string& lock_path) {
  auto fd = safe_files::open_for_reading(lock_path);
  if (!fd) {
    if (fd.error().sys_errno == ENOENT) return false;
    return fd.error();
  }
  return held_elsewhere(fd->get(), kAliveByte);
}

Result<bool> UnitLock::start_held(const std::string& lock_path) {
  auto fd = safe_files::open_for_reading(lock_path);
  if (!fd) {
    if (fd.error().sys_errno == ENOENT) return false;
    return fd.error();
  }
  return held_elsewhere(fd->get(), kStartByte);
}

Result<bool> UnitLock::alive_held_on(int lock_fd) { return held_elsewhere(lock_fd, kAliveByte); }

std::optional<std::string> UnitLock::name_holder(const std::string& name_lock) {
  auto fd = safe_files::open_for_reading(name_lock);
  if (!fd) return std::nullopt;
  auto held = held_elsewhere(fd->get(), kAliveByte);
  if (!held || !*held) return std::nullopt;
  auto content = sys::read_all(fd->get(), 4096);
  if (!content || content->empty()) return name_lock;  // written a moment from now
  return *content;
}

Result<std::optional<std::string>> UnitLock::claim_name(const std::string& name_lock, const std::string& unit_path) {
  // Read and written through one fd: what is read is the file locked.
  auto fd = safe_files::open_for_reading_and_writing(name_lock, 0644);
  if (!fd) return fd.error();
  auto mine = set_lock(fd->get(), F_OFD_SETLK, F_WRLCK, kAliveByte);
  if (!mine) return mine.error();
  if (!*mine) {
    // Held: the holder wrote its unit file's path after it took the lock.
    std::string other = sys::read_all(fd->get(), 4096).value_or("");
    if (other.empty()) other = name_lock;  // written a moment from now
    return std::optional<std::string>(other);
  }
  // Ours: say which unit file holds the name. The content is only ever
  // written under the lock. Mostly it says so already (the same unit
  // started again): the truncate and write are left out then, as they cost
  // a journal transaction where /run is not a tmpfs.
  struct stat st {};
  if (::fstat(fd->get(), &st) == 0 && static_cast<size_t>(st.st_size) == unit_path.size()) {
    auto content = sys::read_all(fd->get(), unit_path.size() + 1);
    if (content && *content == unit_path) {
      return hold_name(std::move(*fd));
    }
  }
  if (::ftruncate(fd->get(), 0) < 0) return Error::from_errno("truncate name lock");
  if (::lseek(fd->get(), 0, SEEK_SET) < 0) return Error::from_errno("seek name lock");
  auto written = sys::write_all(fd->get(), unit_path);
  if (!written) return written.error();
  return hold_name(std::move(*fd));
}

Result<std::optional<std::string>> UnitLock::hold_name(UniqueFd locked) {
  auto kept = above(std::move(locked), fd_.get());
  if (!kept) return kept.error();
  name_fd_ = std::move(*kept);
  return std::optional<std::string>();
}

Status UnitLock::unlock_alive() {
  auto r = set_lock(fd_.get(), F_OFD_SETLK, F_UNLCK, kAliveByte);
  if (!r) return r.error();
  return ok();
}

}  // namespace unitrun
