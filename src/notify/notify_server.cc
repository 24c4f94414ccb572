#include "notify/notify_server.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/sys.h"

namespace unitrun::notify {

std::map<std::string, std::string> parse_notify_fields(std::string_view d) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < d.size()) {
    size_t end = d.find('\n', start);
    if (end == std::string_view::npos) end = d.size();
    std::string_view line = d.substr(start, end - start);
    size_t eq = line.find('=');
    if (eq != std::string_view::npos && eq > 0) out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

Result<NotifyServer> NotifyServer::open() {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("notify socket");
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) return Error::from_errno("SO_PASSCRED");
  std::string name =
      "unitrun/notify/" + std::to_string(::getpid()) + "/" + std::to_string(static_cast<uint32_t>(sys::random_u64()));
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  // Abstract namespace: a leading NUL; nothing on disk to clean up.
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), len) < 0)
    return Error::from_errno("bind notify socket");
  return NotifyServer(std::move(fd), "@" + name);
}

NotifyServer::Received NotifyServer::receive(NotifyMessage& m) {
  char buf[4096];
  union {
    struct cmsghdr align;
    char data[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  struct iovec iov = {buf, sizeof buf};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data;
  msg.msg_controllen = sizeof control.data;
  ssize_t n;
  do n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return Received::Nothing;
  // Close any fds a sender passed along (FDSTORE is not offered).
  const struct ucred* cred = nullptr;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
      cred = reinterpret_cast<const struct ucred*>(CMSG_DATA(c));
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int passed;
        std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
        ::close(passed);
      }
    }
  }
  if (cred) {  // who sent it, even when it is refused below
    m.pid = cred->pid;
    m.uid = cred->uid;
  }
  if (n == 0 || !cred || cred->pid <= 0 || (msg.msg_flags & MSG_TRUNC)) return Received::Ignored;
  m.fields = parse_notify_fields(std::string_view(buf, static_cast<size_t>(n)));
  return m.fields.empty() ? Received::Ignored : Received::Message;
}

}  // namespace unitrun::notify
