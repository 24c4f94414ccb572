#include "runtime/shutdown_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/runtime_files.h"
#include "runtime/safe_files.h"

namespace unitrun {
namespace {

// This process's fd on the lock file and how many ShutdownLocks share it.
// A child forked while it is held inherits the count but not the lock (the
// parent's, which outlives the child's work: it waits for it).
struct Held {
  int fd = -1;
  int holders = 0;
};
Held& held() {
  static Held h;
  return h;
}

// Takes the lock (whole file) on a fresh fd; false when another process
// holds a conflicting one and wait is false.
Result<bool> take(const std::string& directory, short type, bool wait) {
  std::string path = shutdown_lock(directory);
  auto fd = safe_files::open_for_reading_and_writing(path, 0600);
  if (!fd) return fd.error();
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file
  while (::fcntl(fd->get(), wait ? F_SETLKW : F_SETLK, &fl) < 0) {
    if (errno == EINTR) continue;
    if (!wait && (errno == EAGAIN || errno == EACCES)) return false;
    return Error::from_errno("lock '" + path + "'");
  }
  held() = Held{fd->release(), 1};
  return true;
}

}  // namespace

Result<ShutdownLock> ShutdownLock::exclusive(const std::string& directory) {
  if (held().holders > 0) return Error::plain("shutdown lock: this process holds it already");
  auto taken = take(directory, F_WRLCK, true);
  if (!taken) return taken.error();
  return ShutdownLock();
}

Result<std::optional<ShutdownLock>> ShutdownLock::shared(const std::string& directory) {
  if (held().holders > 0) {
    ++held().holders;
    return std::optional<ShutdownLock>(ShutdownLock());
  }
  auto taken = take(directory, F_RDLCK, false);
  if (!taken) return taken.error();
  if (!*taken) return std::optional<ShutdownLock>();
  return std::optional<ShutdownLock>(ShutdownLock());
}

void ShutdownLock::forget_in_fork() {
  if (held().fd >= 0) (void)::close(held().fd);  // only this process's fd: nothing to report
  held() = Held{};
}

ShutdownLock::~ShutdownLock() {
  if (!holds_ || held().holders == 0 || --held().holders > 0) return;
  // The close lets go of the lock; close() errors do not keep it held.
  (void)::close(held().fd);
  held().fd = -1;
}

}  // namespace unitrun
