// Limit*= set the way systemd's setrlimit_closest() sets them
// (process/rlimits.h): in a forked child, against this machine's kernel.
#include "process/rlimits.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

using namespace unitrun;
using namespace unitrun::process;

namespace {

// fs.nr_open + 1: no process may have it, root with CAP_SYS_RESOURCE included.
rlim_t above_nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  unsigned long long n = 0;
  in >> n;
  REQUIRE(n > 0);
  return static_cast<rlim_t>(n + 1);
}

// Runs apply_limit() in a child; its exit status is 0 when the child's
// RLIMIT_NOFILE is then `expect`.
int apply_in_child(const PreparedLimit& l, const struct rlimit& expect, bool expect_clamped) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    LimitOutcome outcome;
    if (apply_limit(l, outcome) != 0) ::_exit(2);
    struct rlimit now;
    if (::getrlimit(RLIMIT_NOFILE, &now) != 0) ::_exit(3);
    if (now.rlim_cur != expect.rlim_cur || now.rlim_max != expect.rlim_max) ::_exit(4);
    if (outcome.clamped != expect_clamped) ::_exit(5);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("rlimits: a refused limit is clamped to the hard limit, a permitted one set exactly", "[rlimits]") {
  struct rlimit own;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &own) == 0);
  REQUIRE(own.rlim_max != RLIM_INFINITY);
  rlim_t big = above_nr_open();

  PreparedLimits p = prepare_limits(ResourceLimit{big, big}, ResourceLimit{0, 0}, {{RLIMIT_NPROC, {10, 20}}});
  REQUIRE(p.count == 3);
  CHECK(p.limits[0].resource == RLIMIT_NOFILE);
  CHECK(p.limits[1].resource == RLIMIT_CORE);
  CHECK(p.limits[2].resource == RLIMIT_NPROC);

  SECTION("both sides above: both clamped") {
    CHECK(apply_in_child(p.limits[0], {own.rlim_max, own.rlim_max}, true) == 0);
  }
  SECTION("soft:hard keeps the soft value") {
    PreparedLimit l{RLIMIT_NOFILE, {64, big}};
    CHECK(apply_in_child(l, {64, own.rlim_max}, true) == 0);
  }
  SECTION("within the hard limit: exactly, no clamp") {
    PreparedLimit l{RLIMIT_NOFILE, {64, own.rlim_max - 1}};
    CHECK(apply_in_child(l, {64, own.rlim_max - 1}, false) == 0);
  }
}

TEST_CASE("rlimits: the messages name the key, the value and the hard limit", "[rlimits]") {
  PreparedLimit l{RLIMIT_NOFILE, {65535, 65535}};
  LimitOutcome o;
  o.clamped = true;
  o.hard_seen = {20000, 20000};
  o.set = {20000, 20000};
  CHECK(clamp_warning(l, o, false) ==
        "LimitNOFILE=65535 exceeds the hard limit 20000 and unitrun cannot raise it (no CAP_SYS_RESOURCE): set to "
        "20000");
  CHECK(clamp_warning(l, o, true) ==
        "LimitNOFILE=65535 exceeds the hard limit 20000 and the kernel refuses it (above fs.nr_open): set to 20000");
  PreparedLimit split{RLIMIT_NOFILE, {1024, 524288}};
  o.set = {1024, 20000};
  CHECK(clamp_warning(split, o, false) ==
        "LimitNOFILE=1024:524288 exceeds the hard limit 20000 and unitrun cannot raise it (no CAP_SYS_RESOURCE): set "
        "to 1024:20000");
  CHECK(limit_failure_step(l, o) == "setrlimit LimitNOFILE=65535 (hard limit 20000)");
}
