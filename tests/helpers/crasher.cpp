// A service that ends on its own, for the restart logic.
//   crasher [--counter FILE] [--after MS] [--exit CODE | --signal SIG]
// Appends "spawn PID MONOTONIC_MS" to FILE (O_APPEND: one line per start),
// waits MS ms (default 0), then exits with CODE (default 1) or dies of
// signal SIG (a number; without a core dump).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  std::string counter;
  long after = 0;
  int code = 1, sig = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--counter")
      counter = argv[i + 1];
    else if (k == "--after")
      after = std::atol(argv[i + 1]);
    else if (k == "--exit")
      code = std::atoi(argv[i + 1]);
    else if (k == "--signal")
      sig = std::atoi(argv[i + 1]);
    else
      return 2;
  }
  if (!counter.empty()) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ms = static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
    std::string line = "spawn " + std::to_string(getpid()) + " " + std::to_string(ms) + "\n";
    int fd = open(counter.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return 3;
    (void)!write(fd, line.data(), line.size());
    close(fd);
  }
  struct timespec ts = {after / 1000, (after % 1000) * 1000000};
  while (nanosleep(&ts, &ts) < 0) {
  }
  if (sig > 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, nullptr);
    raise(sig);
  }
  return code;
}
