#include "notify/journal_stream.h"

#include <fcntl.h>
#include <syslog.h>

#include "notify/libsystemd.h"

namespace unitrun::notify {

UniqueFd open_journal_stream(const std::string& identifier) {
  const LibSystemd* sd = libsystemd();
  int fd = sd ? sd->journal_stream_fd(identifier.c_str(), LOG_INFO, 1) : -1;
  if (fd < 0) return UniqueFd();
  UniqueFd stream(fd);
  // sd_journal_stream_fd() does not set close-on-exec: only the service's
  // copy (dup2'd onto 1 or 2) may outlive an exec.
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return UniqueFd();
  return stream;
}

}  // namespace unitrun::notify
