#include "notify/journal_stream.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/sys.h"

namespace unitrun::notify {

namespace {
constexpr const char* kStdoutSocket = "/run/systemd/journal/stdout";
}  // namespace

UniqueFd open_journal_stream(const JournalStreamOptions& options) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return UniqueFd();
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, kStdoutSocket, sizeof addr.sun_path - 1);
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return UniqueFd();
  // Nothing is ever read from journald; a large send buffer keeps a chatty
  // service from blocking on it, as sd_journal_stream_fd() does.
  (void)::shutdown(fd.get(), SHUT_RD);  // only a hint to the peer: harmless if refused
  int sndbuf = 8 * 1024 * 1024;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);  // the default works too
  // The header of journald's stream protocol: identifier, unit (empty: the
  // peer's own), priority, level prefix, and the copies to syslog, kmsg and
  // the console.
  std::string header = options.identifier + "\n\n" + std::to_string(options.priority) + "\n" +
                       (options.level_prefix ? "1" : "0") + "\n0\n" + (options.forward_to_kmsg ? "1" : "0") + "\n" +
                       (options.forward_to_console ? "1" : "0") + "\n";
  if (!sys::write_all(fd.get(), header)) return UniqueFd();
  return fd;
}

UniqueFd open_journal_stream(const std::string& identifier) {
  JournalStreamOptions options;
  options.identifier = identifier;
  options.priority = LOG_INFO;
  return open_journal_stream(options);
}

}  // namespace unitrun::notify
