// The private sd_notify socket the monitor offers every service
// (NOTIFY_SOCKET), so the readiness protocol works with or without systemd.
// An abstract AF_UNIX datagram socket with SO_PASSCRED: every message comes
// with the sender's PID, which the monitor checks against the unit's tree.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun::notify {

struct NotifyMessage {
  pid_t pid = 0;
  uid_t uid = 0;
  std::map<std::string, std::string> fields;  // READY → "1", STATUS → "...", ...
};

class NotifyServer {
 public:
  static Result<NotifyServer> open();
  int fd() const { return fd_.get(); }
  // The value for NOTIFY_SOCKET: "@unitrun/notify/<pid>/<random>".
  const std::string& address() const { return address_; }
  enum class Received { Nothing, Ignored, Message };
  // Reads one datagram. Ignored: it was empty, malformed, truncated or came
  // without credentials (never an error: a service can send garbage); the
  // sender's pid and uid are filled in all the same when it had any.
  Received receive(NotifyMessage& out);

 private:
  NotifyServer(UniqueFd fd, std::string address) : fd_(std::move(fd)), address_(std::move(address)) {}
  UniqueFd fd_;
  std::string address_;
};

// Parses "KEY=VALUE\n..." lines; lines without '=' are skipped. For tests.
std::map<std::string, std::string> parse_notify_fields(std::string_view datagram);

}  // namespace unitrun::notify
