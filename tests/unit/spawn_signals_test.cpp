// process/spawn.h: the signal state a spawned program starts with. The
// spawner's ignored signals are reset to SIG_DFL and its mask emptied; where
// it says which dispositions it changed (ExecSpec::altered_signals), only
// those are reset, and execve() resets the caught ones by itself.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <string>

#include "process/spawn.h"

namespace {

// The spawned program's /proc/self/status lines SigBlk, SigIgn and SigCgt, as numbers.
struct SignalState {
  uint64_t blocked = ~0ULL, ignored = ~0ULL, caught = ~0ULL;
};

uint64_t bit(int sig) { return 1ULL << (sig - 1); }

void on_usr2(int) {}

// Runs cat on its own /proc/self/status from a forked copy of the test (so
// that the runner's dispositions and mask stay untouched), the parent
// ignoring SIGUSR1, catching SIGUSR2 and blocking SIGTERM.
SignalState spawned_state(const std::optional<sigset_t>& altered) {
  char path[] = "/tmp/unitrun-spawn-signals-XXXXXX";
  int out = ::mkstemp(path);
  REQUIRE(out >= 0);
  pid_t tester = ::fork();
  REQUIRE(tester >= 0);
  if (tester == 0) {
    ::signal(SIGUSR1, SIG_IGN);
    ::signal(SIGUSR2, on_usr2);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    unitrun::process::ExecSpec spec;
    spec.program = "/bin/cat";  // installs no handler of its own (grep catches SIGSEGV)
    spec.argv = {"cat", "/proc/self/status"};
    spec.stdout_fd = ::fcntl(out, F_DUPFD_CLOEXEC, 3);
    spec.new_session = false;
    spec.altered_signals = altered;
    unitrun::process::SpawnResult r = unitrun::process::spawn(spec);
    if (!r.ok()) ::_exit(2);
    int status = 0;
    if (::waitpid(r.pid, &status, 0) != r.pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ::_exit(3);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(tester, &status, 0) == tester);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  SignalState s;
  FILE* f = std::fopen(path, "r");
  REQUIRE(f);
  char line[128];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long v = 0;
    if (std::sscanf(line, "SigBlk: %llx", &v) == 1) s.blocked = v;
    if (std::sscanf(line, "SigIgn: %llx", &v) == 1) s.ignored = v;
    if (std::sscanf(line, "SigCgt: %llx", &v) == 1) s.caught = v;
  }
  std::fclose(f);
  ::close(out);
  ::unlink(path);
  return s;
}

}  // namespace

TEST_CASE("spawn: a spawner that does not say what it changed has every signal reset", "[spawn]") {
  SignalState s = spawned_state(std::nullopt);
  CHECK(s.blocked == 0);
  CHECK(s.ignored == 0);
  CHECK(s.caught == 0);
}

TEST_CASE("spawn: altered_signals names what is reset; a caught signal is execve()'s to reset", "[spawn]") {
  sigset_t altered;
  sigemptyset(&altered);
  SECTION("SIGUSR1 named: nothing is left") {
    sigaddset(&altered, SIGUSR1);
    SignalState s = spawned_state(altered);
    CHECK(s.blocked == 0);
    CHECK(s.ignored == 0);
    CHECK(s.caught == 0);
  }
  SECTION("nothing named: the ignored SIGUSR1 stays ignored (so the monitor must name all it changed)") {
    SignalState s = spawned_state(altered);
    CHECK(s.blocked == 0);
    CHECK(s.ignored == bit(SIGUSR1));
    CHECK(s.caught == 0);
  }
}
