// OnFailure=/OnSuccess=: the detached start execs the binary by its fd and
// reports a failure to exec (real fork and exec, nothing mocked).
#include "monitor/trigger_units.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

using namespace unitrun;

namespace {

// A file without an execute bit (exec fails with EACCES, even for root),
// already unlinked: an O_PATH fd to it.
UniqueFd non_executable_file() {
  char path[] = "/tmp/unitrun-trigger-XXXXXX";
  int made = ::mkstemp(path);
  REQUIRE(made >= 0);
  ::close(made);
  UniqueFd fd(::open(path, O_PATH | O_CLOEXEC));
  ::unlink(path);
  REQUIRE(fd);
  return fd;
}

}  // namespace

TEST_CASE("start_detached: an exec that fails is reported with its errno", "[trigger_units]") {
  UniqueFd not_a_program = non_executable_file();
  Status started = monitor::start_detached(not_a_program.get(), {"x.service"}, "OnFailure= of test", ::getpid(), 0);
  REQUIRE_FALSE(static_cast<bool>(started));
  CHECK(started.error().sys_errno == EACCES);
  CHECK(started.error().message().find("exec of the unitrun binary") != std::string::npos);
}

TEST_CASE("start_detached: an exec that works is ok, and nothing is asked without a unit", "[trigger_units]") {
  UniqueFd program(::open("/bin/true", O_PATH | O_CLOEXEC));
  REQUIRE(program);
  Status started = monitor::start_detached(program.get(), {"x.service"}, "OnFailure= of test", ::getpid(), 0);
  INFO((started ? std::string("ok") : started.error().message()));
  CHECK(static_cast<bool>(started));
  CHECK(static_cast<bool>(monitor::start_detached(-1, {}, "", ::getpid(), 0)));
  CHECK_FALSE(static_cast<bool>(monitor::start_detached(-1, {"x.service"}, "", ::getpid(), 0)));
}

TEST_CASE("run_detached: any verb, whose name a failure to exec gives", "[trigger_units]") {
  UniqueFd not_a_program = non_executable_file();
  Status stopped =
      monitor::run_detached(not_a_program.get(), {"stop", "--ended", "x.service"}, "BindsTo= of x", ::getpid(), 0);
  REQUIRE_FALSE(static_cast<bool>(stopped));
  CHECK(stopped.error().message().find("the detached stop: exec of the unitrun binary") != std::string::npos);
  UniqueFd program(::open("/bin/true", O_PATH | O_CLOEXEC));
  REQUIRE(program);
  CHECK(static_cast<bool>(monitor::run_detached(program.get(), {"stop", "x.service"}, "", ::getpid(), 0)));
  CHECK_FALSE(static_cast<bool>(monitor::run_detached(program.get(), {}, "", ::getpid(), 0)));
}

TEST_CASE("trigger_environment: the paths unitrun reads and UNITRUN_*, nothing of the caller's else",
          "[trigger_units]") {
  const char* env[] = {"PATH=/home/x/bin",
                       "SECRET=leak",
                       "NOTIFY_SOCKET=/run/systemd/notify",
                       "JOURNAL_STREAM=8:123",
                       "UNITRUN_UNIT_PATH=/srv/units:",
                       "UNITRUN_TEST_MARKER=m1",
                       "UNITRUN_TRIGGERED_BY=OnFailure= of older.service",
                       "XDG_RUNTIME_DIR=/run/user/1000",
                       "HOME=/home/x",
                       "LANG=C.UTF-8",
                       "NOEQUALS",
                       nullptr};
  std::vector<std::string> out = monitor::trigger_environment(env, "OnFailure= of a.service", 42, 7);
  std::vector<std::string> expected = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                       "UNITRUN_TRIGGERED_BY=OnFailure= of a.service",
                                       "UNITRUN_TRIGGER_MONITOR=42 7",
                                       "UNITRUN_UNIT_PATH=/srv/units:",
                                       "UNITRUN_TEST_MARKER=m1",
                                       "XDG_RUNTIME_DIR=/run/user/1000",
                                       "HOME=/home/x",
                                       "LANG=C.UTF-8"};
  CHECK(out == expected);
}
