// A service that forks about 200 short-lived children per second, forever.
// Each child lives 0-20 ms. A stop must end the parent and every child,
// including the ones forked while the stop is under way.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace {
void sleep_ms(long ms) {
  struct timespec ts {
    ms / 1000, (ms % 1000) * 1000000L
  };
  while (nanosleep(&ts, &ts) < 0) {
  }
}
}  // namespace

int main() {
  unsigned n = 0;
  for (;;) {
    pid_t child = fork();
    if (child == 0) {
      sleep_ms(static_cast<long>(n % 21));
      _exit(0);
    }
    ++n;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    sleep_ms(5);
  }
}
