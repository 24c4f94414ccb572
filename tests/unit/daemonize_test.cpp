// runtime/daemonize.h: how much of the monitor's report the caller reads.
// A whole "ok PID" ends the wait at once (the monitor lives on, holding
// the pipe); every other report is read to the end of the pipe, so that no
// line of a failure is lost.
#include "runtime/daemonize.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "base/sys.h"

using unitrun::daemon::daemonize;
using unitrun::daemon::is_whole_running_report;
using unitrun::daemon::StartOutcome;

namespace {

using Clock = std::chrono::steady_clock;

// daemonize() with a monitor that writes `first`, waits `pause_ms`, writes
// `second` and exits; the time daemonize() took, in ms.
long run(const std::string& first, int pause_ms, const std::string& second, StartOutcome& out) {
  auto t0 = Clock::now();
  out = daemonize(
      {}, [] {},
      [&](int fd) {
        (void)unitrun::sys::write_all(fd, first);
        ::usleep(static_cast<useconds_t>(pause_ms) * 1000);
        if (!second.empty()) (void)unitrun::sys::write_all(fd, second);
        return 0;
      },
      [] {});
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

void end(const StartOutcome& o) {
  REQUIRE(o.monitor_pid > 1);
  ::kill(o.monitor_pid, SIGKILL);
  int status;
  ::waitpid(o.monitor_pid, &status, 0);
}

}  // namespace

TEST_CASE("a whole running report is known before the monitor closes the pipe", "[daemonize]") {
  CHECK(is_whole_running_report("monitor 12 345\nok 678\n"));
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok 678"));  // the line may go on
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok 0\n"));  // a oneshot's: the monitor exits
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok 012\n"));
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok exited\n"));
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok skipped\n"));
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nfail 1 exec failed\n"));  // quoted lines may follow
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok 678\n  | more\n"));
  CHECK_FALSE(is_whole_running_report("monitor 12 345\n"));
  CHECK(is_whole_running_report("monitor 12 345\nok 2147483647\n"));
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok 2147483648\n"));  // more than a pid_t holds
  CHECK_FALSE(is_whole_running_report("monitor 12 345\nok 12a\n"));
  CHECK_FALSE(is_whole_running_report("ok 678\n"));  // no identity: not the monitor's whole report
}

TEST_CASE("start returns at a whole ok report while the monitor lives on", "[daemonize]") {
  StartOutcome o;
  // The monitor holds the pipe for 3 s after reporting: reading to EOF
  // would wait for all of it.
  long ms = run("monitor 99 1\nok 4321\n", 3000, "", o);
  CHECK(ms < 2000);
  CHECK(o.code == 0);
  CHECK(o.pid == 4321);
  end(o);  // the monitor, the PID fork returned
}

TEST_CASE("a failure is read to the end of the pipe, every line of it", "[daemonize]") {
  StartOutcome o;
  long ms = run("monitor 99 1\nfail 1 the service failed\n", 300, "  | its last line\n", o);
  CHECK(ms >= 300);
  CHECK(o.code == 1);
  CHECK(o.message == "the service failed\n  | its last line");
  REQUIRE(o.monitor_pid > 1);
  unitrun::daemon::reap_monitor(o);
}

TEST_CASE("a oneshot's report is read to the end, and its monitor reaped", "[daemonize]") {
  StartOutcome o;
  long ms = run("monitor 99 1\nok 0\n", 300, "", o);
  CHECK(ms >= 300);
  CHECK(o.code == 0);
  CHECK(o.pid == 0);
  CHECK(o.detail == "0");
  REQUIRE(o.monitor_pid > 1);
  unitrun::daemon::reap_monitor(o);
  int status;
  CHECK(::waitpid(o.monitor_pid, &status, WNOHANG) < 0);  // reaped already
}

TEST_CASE("a failure escaping the monitor after its report writes to no file of the monitor's", "[daemonize]") {
  char path[] = "/tmp/unitrun-daemonize-XXXXXX";
  int made = ::mkstemp(path);
  REQUIRE(made >= 0);
  ::close(made);
  StartOutcome o = daemonize(
      {}, [] {},
      [&](int fd) -> int {
        (void)unitrun::sys::write_all(fd, "monitor 99 1\nok 4321\n");
        ::close(fd);  // as the monitor closes the pipe once it has reported
        // The pipe's number, now naming a file of the monitor.
        int file = ::open(path, O_WRONLY | O_CLOEXEC);
        if (file < 0 || (file != fd && ::dup2(file, fd) != fd)) return 3;
        throw std::runtime_error("late");
      },
      [] {});
  REQUIRE(o.code == 0);
  REQUIRE(o.monitor_pid > 1);
  int status = 0;
  REQUIRE(::waitpid(o.monitor_pid, &status, 0) == o.monitor_pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);  // thrown: not the 3 of a file that could not take the pipe's number
  struct stat st;
  REQUIRE(::stat(path, &st) == 0);
  CHECK(st.st_size == 0);  // the late failure went nowhere
  ::unlink(path);
}

TEST_CASE("the monitor is never handed a standard stream to keep", "[daemonize]") {
  bool forked = false;
  StartOutcome o = daemonize(
      {1}, [] {},
      [&](int) {
        forked = true;
        return 0;
      },
      [&] { forked = true; });
  CHECK(o.code != 0);
  CHECK(o.message.find("standard stream") != std::string::npos);
  CHECK_FALSE(forked);
  CHECK(o.monitor_pid == 0);
}
