// A service that forks about 200 short-lived children per second, forever.
// Each child lives 0-20 ms. A stop must end the parent and every child,
// including the ones forked while the stop is under way.
// Once it has forked ten children it sends READY=1 to $NOTIFY_SOCKET (if
// any): a Type=notify unit's start returns only when the churn is under way.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {
void sleep_ms(long ms) {
  struct timespec ts {
    ms / 1000, (ms % 1000) * 1000000L
  };
  while (nanosleep(&ts, &ts) < 0) {
  }
}

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
  // Nobody listening: the churn goes on all the same.
  (void)sendto(fd, msg, sizeof msg - 1, 0, reinterpret_cast<struct sockaddr*>(&sa),
               static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len));
  close(fd);
}
}  // namespace

int main() {
  unsigned n = 0;
  unsigned forked = 0;
  for (;;) {
    pid_t child = fork();
    if (child == 0) {
      sleep_ms(static_cast<long>(n % 21));
      _exit(0);
    }
    ++n;
    // Ten children forked (not ten attempts: a failed fork is not churn).
    if (child > 0 && ++forked == 10) notify_ready();
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    sleep_ms(5);
  }
}
