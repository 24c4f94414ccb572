#include "unit/file_stamp.h"

#include <fcntl.h>
#include <unistd.h>

namespace unitrun::unit {

namespace {

int64_t ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

}  // namespace

FileStamp stamp_of(const struct stat& st) {
  FileStamp s;
  s.dev = static_cast<uint64_t>(st.st_dev);
  s.ino = static_cast<uint64_t>(st.st_ino);
  s.size = static_cast<int64_t>(st.st_size);
  s.mtime_ns = ns(st.st_mtim);
  s.ctime_ns = ns(st.st_ctim);
  return s;
}

std::optional<FileStamp> settled_stamp(const struct stat& st, int64_t now_ns) {
  FileStamp s = stamp_of(st);
  // The ctime alone would do where the file system keeps one (every change
  // sets it to the clock's time); the mtime too, for one that does not
  // (some FUSE and network file systems report what they like). An mtime
  // in the future (touch -d) is then simply not settled.
  if (s.ctime_ns > now_ns - kSettleNs || s.mtime_ns > now_ns - kSettleNs) return std::nullopt;
  return s;
}

std::optional<FileStamp> current_stamp(const std::string& path) {
  // An open and fstat, not a stat: on NFS an open revalidates the file's
  // attributes with the server (close-to-open), where a stat may answer
  // from the attribute cache for up to a minute, and an edit made on
  // another host would then look unchanged. O_NONBLOCK: a FIFO put in the
  // file's place never blocks the stop.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  bool got = ::fstat(fd, &st) == 0;
  ::close(fd);
  if (!got) return std::nullopt;
  return stamp_of(st);
}

}  // namespace unitrun::unit
