// Reading /proc: the stat parser, and the tree walk the monitor stops with,
// checked against the whole-/proc scan on a real process tree.
#include "process/proc.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

using namespace unitrun;

namespace {

std::string stat_line(const std::string& comm) {
  // Fields 1-22 as the kernel writes them (pid, comm, state, ppid, pgrp,
  // session, tty, tpgid, flags, 4 fault counters, 4 times, priority, nice,
  // threads, itrealvalue, starttime), and the rest.
  return "4242 (" + comm +
         ") S 17 4242 4242 0 -1 4194560 103 0 0 0 0 0 0 0 20 0 1 0 987654321 2330624 213 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
}

std::set<pid_t> pids_of(const std::vector<proc::Stat>& v) {
  std::set<pid_t> out;
  for (const proc::Stat& s : v) out.insert(s.pid);
  return out;
}

}  // namespace

TEST_CASE("parse_stat: the fields unitrun uses, whatever the command name holds", "[proc]") {
  for (std::string comm : {"sleep", "a b", "x) S 1 1 1 (y", "))", ""}) {
    INFO("comm '" << comm << "'");
    auto s = proc::parse_stat(stat_line(comm));
    REQUIRE(s);
    CHECK(s->pid == 4242);
    CHECK(s->comm == comm);
    CHECK(s->state == 'S');
    CHECK(s->ppid == 17);
    CHECK(s->pgid == 4242);
    CHECK(s->sid == 4242);
    CHECK(s->threads == 1);
    CHECK(s->start_time == 987654321u);
  }
}

TEST_CASE("parse_stat: truncated or garbled content is refused, not guessed", "[proc]") {
  std::string good = stat_line("sleep");
  CHECK_FALSE(proc::parse_stat(""));
  CHECK_FALSE(proc::parse_stat("4242 sleep S 1 2 3"));
  CHECK_FALSE(proc::parse_stat(good.substr(0, good.find("987654321"))));  // cut before the start time
  CHECK_FALSE(proc::parse_stat("4242 (sleep) SS 17 4242 4242 0 -1 4194560 103 0 0 0 0 0 0 0 20 0 1 0 9 1 1"));
  CHECK_FALSE(proc::parse_stat("4242 (sleep) S x7 4242 4242 0 -1 4194560 103 0 0 0 0 0 0 0 20 0 1 0 9 1 1"));
  CHECK_FALSE(proc::parse_stat("4242 (sleep) S 17 4242 4242 0 -1 4194560 103 0 0 0 0 0 0 0 20 0 1 0 9e3 1 1"));
}

TEST_CASE("parse_stat reads this process as the kernel describes it", "[proc]") {
  auto s = proc::read_stat(::getpid());
  REQUIRE(s);
  CHECK(s->pid == ::getpid());
  CHECK(s->ppid == ::getppid());
  CHECK(s->sid == ::getsid(0));
  CHECK(s->pgid == ::getpgrp());
  CHECK(s->start_time > 0);
}

TEST_CASE("descendants_of walks the same tree as a whole-/proc scan, zombies left out", "[proc]") {
  // This process forks a child that forks two grandchildren, one of which
  // forks again; one more child exits and stays a zombie.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    for (int i = 0; i < 2; ++i) {
      if (::fork() == 0) {
        if (i == 1 && ::fork() == 0) ::pause();
        ::pause();
      }
    }
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  pid_t zombie = ::fork();
  REQUIRE(zombie >= 0);
  if (zombie == 0) ::_exit(0);
  char c;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  for (int i = 0; i < 2000; ++i) {  // until the short-lived child is a zombie
    auto z = proc::read_stat(zombie);
    if (z && z->state == 'Z') break;
    ::usleep(1000);
  }
  // The great-grandchild forks after the pipe write: wait until the tree
  // has its 4 live processes.
  std::vector<proc::Stat> walked;
  for (int i = 0; i < 2000 && walked.size() < 4; ++i) {
    walked = proc::descendants_of(::getpid());
    if (walked.size() < 4) ::usleep(1000);
  }
  std::vector<proc::Stat> scanned = proc::descendants(proc::all_processes(), ::getpid());
  CHECK(walked.size() == 4);
  CHECK(pids_of(walked) == pids_of(scanned));
  CHECK(pids_of(walked).count(child) == 1);
  CHECK(pids_of(walked).count(zombie) == 0);
  for (const proc::Stat& s : walked) CHECK(s.state != 'Z');

  // Killing the process group of the child would miss nothing here, but the
  // walk must not depend on groups: kill each one found.
  for (const proc::Stat& s : walked) ::kill(s.pid, SIGKILL);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  REQUIRE(::waitpid(zombie, nullptr, 0) == zombie);
  // Grandchildren re-parent to init (or a subreaper), not to us.
  CHECK(proc::descendants_of(::getpid()).empty());
}

TEST_CASE("start_time_between: one tick for both readings, or nothing", "[proc]") {
  // USER_HZ is 100 on every Linux architecture unitrun builds for: 10 ms.
  REQUIRE(::sysconf(_SC_CLK_TCK) == 100);
  CHECK(proc::start_time_between(5'000'100'000, 5'004'000'000) == std::optional<uint64_t>(500));
  // A reading within the margin of a tick's edge may belong to either side.
  CHECK(proc::start_time_between(5'000'000'500, 5'004'000'000) == std::nullopt);
  CHECK(proc::start_time_between(5'000'100'000, 5'009'999'500) == std::nullopt);
  CHECK(proc::start_time_between(5'000'100'000, 5'010'100'000) == std::nullopt);
  CHECK(proc::start_time_between(5'004'000'000, 5'000'100'000) == std::nullopt);  // not in order
}

TEST_CASE("start_time_between agrees with /proc for forked children", "[proc]") {
  // The kernel's own stamp of each child against the clock read around the
  // fork: every answer given is /proc's. How many forks get one depends on
  // how long a fork takes here (under ASan, ~70%; a quiet machine, ~99%),
  // which is the benchmarks' business: the test forks until 100 answers
  // were checked, at most 2,000 times, so that the fast path is proven
  // without its rate being a timing assumption.
  int answered = 0;
  for (int i = 0; i < 2000 && answered < 100; ++i) {
    uint64_t before = proc::boot_clock_ns();
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto known = proc::start_time_between(before, proc::boot_clock_ns());
      uint64_t value = known ? *known + 1 : 0;  // 0: no answer
      ::_exit(::write(fds[1], &value, sizeof value) == sizeof value ? 0 : 1);
    }
    ::close(fds[1]);
    uint64_t value = 0;
    REQUIRE(::read(fds[0], &value, sizeof value) == sizeof value);
    ::close(fds[0]);
    auto real = proc::start_time(child);  // a zombie until reaped: still there
    int status;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(real);
    if (value == 0) continue;
    ++answered;
    CHECK(value - 1 == *real);
  }
  CHECK(answered == 100);
}
