#include "runtime/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace unitrun::runtime {
namespace {

Result<socklen_t> make_address(const std::string& path, struct sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Error{ENAMETOOLONG, "control socket path '" + path + "' is longer than a socket address allows"};
  std::memcpy(addr.sun_path, path.data(), path.size());
  return static_cast<socklen_t>(sizeof addr);
}

}  // namespace

Result<UniqueFd> listen_control(const std::string& path) {
  struct sockaddr_un addr;
  auto len = make_address(path, addr);
  if (!len) return len.error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("control socket");
  if (::unlink(path.c_str()) < 0 && errno != ENOENT)
    return Error::from_errno("remove old control socket '" + path + "'");
  // bind creates the socket with the umask's mode: make it 0600 from the
  // start, so there is no moment in which others may connect.
  mode_t old = ::umask(0177);
  int bound = ::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), *len);
  int bind_errno = errno;
  ::umask(old);
  if (bound < 0) {
    errno = bind_errno;
    return Error::from_errno("bind control socket '" + path + "'");
  }
  if (::listen(fd.get(), 16) < 0) return Error::from_errno("listen on control socket");
  return fd;
}

void remove_control(const std::string& path) {
  (void)::unlink(path.c_str());  // best effort: the next monitor replaces a leftover
}

Result<UniqueFd> connect_control(const std::string& path, pid_t expected_pid) {
  struct sockaddr_un addr;
  auto len = make_address(path, addr);
  if (!len) return len.error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("control socket");
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), *len) < 0)
    return Error::from_errno("connect to the monitor");
  struct ucred cred;
  socklen_t cred_len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) return Error::from_errno("SO_PEERCRED");
  if (cred.pid != expected_pid)
    return Error::plain("the control socket is not the monitor's (pid " + std::to_string(cred.pid) + ")");
  return fd;
}

}  // namespace unitrun::runtime
