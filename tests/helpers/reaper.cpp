// A careless parent. Every 20 ms it
//   - forks a child that exits at once and is not waited for (a zombie of
//     this process, until it reaps a batch of them), and
//   - forks a child that forks a grandchild and exits: the grandchild is
//     orphaned, re-parented to the nearest subreaper (the unitrun monitor),
//     lives 0-50 ms and exits. Only that subreaper can reap it.
// Zombies of its own are reaped in batches of 50 so the PID space stays sane.
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
  unsigned unwaited = 0;
  for (;;) {
    pid_t quick = fork();
    if (quick == 0) _exit(0);
    pid_t middle = fork();
    if (middle == 0) {
      pid_t orphan = fork();
      if (orphan == 0) {
        sleep_ms(static_cast<long>(n % 51));
        _exit(0);
      }
      _exit(0);
    }
    unwaited += 2;
    if (unwaited >= 100) {
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      unwaited = 0;
    }
    ++n;
    sleep_ms(20);
  }
}
