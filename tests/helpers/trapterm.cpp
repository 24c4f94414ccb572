// A service that does not want to stop.
//   trapterm          ignores SIGTERM (SIG_IGN) and sleeps: only SIGKILL ends it.
//   trapterm catch    catches SIGTERM with a handler that exits 0. A handler
//                     runs only while the process runs, so a SIGSTOPped
//                     trapterm ends on SIGTERM only if it also gets SIGCONT.
// Once its disposition is set it sends READY=1 to $NOTIFY_SOCKET (if any):
// a Type=notify unit's start returns only then, so a test's stop never
// races with the sigaction.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {
void exit_on_term(int) { _exit(0); }

void notify_ready() {
  const char* address = std::getenv("NOTIFY_SOCKET");
  if (!address || !*address) return;
  struct sockaddr_un sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t len = std::strlen(address);
  if (len >= sizeof sa.sun_path) return;
  std::memcpy(sa.sun_path, address, len);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';  // an abstract socket
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const char msg[] = "READY=1";
  // Nobody listening is no reason to stop being a stubborn service.
  (void)sendto(fd, msg, sizeof msg - 1, 0, reinterpret_cast<struct sockaddr*>(&sa),
               static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len));
  close(fd);
}
}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  bool catch_it = argc > 1 && std::strcmp(argv[1], "catch") == 0;
  sa.sa_handler = catch_it ? exit_on_term : SIG_IGN;
  if (sigaction(SIGTERM, &sa, nullptr) < 0) return 2;
  notify_ready();
  for (;;) pause();
}
