// Writes "tick N" to stdout every MS ms (default 100), forever.
//   ticker [MS]
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  long ms = argc > 1 ? std::atol(argv[1]) : 100;
  for (long n = 0;; ++n) {
    std::string line = "tick " + std::to_string(n) + "\n";
    (void)!write(1, line.data(), line.size());
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0) {
    }
  }
}
