// A service that does not want to stop.
//   trapterm          ignores SIGTERM (SIG_IGN) and sleeps: only SIGKILL ends it.
//   trapterm catch    catches SIGTERM with a handler that exits 0. A handler
//                     runs only while the process runs, so a SIGSTOPped
//                     trapterm ends on SIGTERM only if it also gets SIGCONT.
#include <signal.h>
#include <unistd.h>

#include <cstring>

namespace {
void exit_on_term(int) { _exit(0); }
}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  bool catch_it = argc > 1 && std::strcmp(argv[1], "catch") == 0;
  sa.sa_handler = catch_it ? exit_on_term : SIG_IGN;
  if (sigaction(SIGTERM, &sa, nullptr) < 0) return 2;
  for (;;) pause();
}
