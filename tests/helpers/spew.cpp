// Floods its stdout: numbered lines until BYTES have been offered, whatever
// the writes return (ENOSPC included), then reports and sleeps.
//   spew BYTES REPORT_FILE [TICK_MS]
// REPORT_FILE gets "offered=N written=N errors=N first_errno=E" when done
// (written atomically, so once it exists it is complete). With TICK_MS it
// then writes "tick N" every TICK_MS ms instead of only sleeping.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  long long want = std::atoll(argv[1]);
  std::string report = argv[2];
  signal(SIGPIPE, SIG_IGN);
  long long offered = 0, written = 0, errors = 0;
  int first_errno = 0;
  char line[128];
  for (long long n = 0; offered < want; ++n) {
    int len = std::snprintf(line, sizeof line, "%012lld spew line of filler text to make it longer ........\n", n);
    offered += len;
    ssize_t w = write(1, line, static_cast<size_t>(len));
    if (w < 0) {
      if (!first_errno) first_errno = errno;
      ++errors;
    } else {
      written += w;
    }
  }
  std::string text = "offered=" + std::to_string(offered) + " written=" + std::to_string(written) +
                     " errors=" + std::to_string(errors) + " first_errno=" + std::to_string(first_errno) + "\n";
  std::string tmp = report + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, text.data(), text.size());
    close(fd);
    rename(tmp.c_str(), report.c_str());
  }
  long tick_ms = argc > 3 ? std::atol(argv[3]) : 0;
  for (long n = 0;; ++n) {
    if (tick_ms <= 0) {
      pause();
      continue;
    }
    std::string tick = "tick " + std::to_string(n) + "\n";
    (void)!write(1, tick.data(), tick.size());
    struct timespec ts = {tick_ms / 1000, (tick_ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0) {
    }
  }
}
