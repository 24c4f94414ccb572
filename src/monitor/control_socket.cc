#include "monitor/control_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace unitrun::monitor {
namespace {

socklen_t make_address(const std::string& name, struct sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), std::min(name.size(), sizeof addr.sun_path - 2));
  return static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + std::min(name.size(), sizeof addr.sun_path - 2));
}

}  // namespace

std::string control_socket_name(const std::string& lock_path) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : lock_path) h = (h ^ c) * 1099511628211ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "unitrun/control/%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Result<UniqueFd> listen_control(const std::string& lock_path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("control socket");
  struct sockaddr_un addr;
  socklen_t len = make_address(control_socket_name(lock_path), addr);
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), len) < 0) return Error::from_errno("bind control socket");
  if (::listen(fd.get(), 16) < 0) return Error::from_errno("listen on control socket");
  return fd;
}

Result<UniqueFd> connect_control(const std::string& lock_path, pid_t expected_pid) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("control socket");
  struct sockaddr_un addr;
  socklen_t len = make_address(control_socket_name(lock_path), addr);
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), len) < 0) return Error::from_errno("connect to the monitor");
  struct ucred cred;
  socklen_t cred_len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) return Error::from_errno("SO_PEERCRED");
  // Anyone may bind an abstract name; only the monitor we know is trusted.
  if (cred.pid != expected_pid) return Error::plain("the control socket is not the monitor's (pid " + std::to_string(cred.pid) + ")");
  return fd;
}

}  // namespace unitrun::monitor
