// Type=dbus (issue 12): the start ends when BusName= appears on the system
// bus, as systemd's service_bus_name_owner_change() has it. A private
// dbus-daemon with <type>system</type> plays the system bus; unitrun and the
// service find it through DBUS_SYSTEM_BUS_ADDRESS. The service is busnamer
// (tests/helpers), which takes the name after a delay and releases it on
// SIGUSR1.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <string>

#include "supervision_util.h"

using namespace itest;
using namespace itest::sv;

namespace {

constexpr const char* kDbusDaemon = "/usr/bin/dbus-daemon";

// A dbus-daemon of the test's own, listening at DIR/bus; killed and reaped
// when it goes out of scope.
class PrivateSystemBus {
 public:
  explicit PrivateSystemBus(const TempDir& dir) : socket_(dir / "bus"), log_(dir / "dbus-daemon.log") {
    INFO("the Type=dbus tests need dbus-daemon (Debian: dbus-daemon; scripts/deps --test installs it)");
    REQUIRE(::access(kDbusDaemon, X_OK) == 0);
    std::string config = dir / "bus.conf";
    write_file(config,
               "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
               " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
               "<busconfig>\n"
               "  <type>system</type>\n"
               "  <listen>unix:path=" +
                   socket_ +
                   "</listen>\n"
                   "  <auth>EXTERNAL</auth>\n"
                   "  <policy context=\"default\">\n"
                   "    <allow user=\"*\"/>\n"
                   "    <allow own=\"*\"/>\n"
                   "    <allow send_destination=\"*\"/>\n"
                   "    <allow receive_sender=\"*\"/>\n"
                   "  </policy>\n"
                   "</busconfig>\n");
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // The address on stdout once it listens: that line is the sign it is
      // ready. Its complaints (it cannot raise its fd limit here) go to a
      // file beside its socket.
      ::dup2(pipe_fds[1], 1);
      int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log >= 0) ::dup2(log, 2);
      std::string arg = "--config-file=" + config;
      ::execl(kDbusDaemon, "dbus-daemon", arg.c_str(), "--nofork", "--nopidfile", "--print-address", nullptr);
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    std::string line;
    char c;
    while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(pipe_fds[0]);
    INFO("dbus-daemon said: " << line);
    REQUIRE(line.rfind("unix:path=" + socket_, 0) == 0);
  }
  ~PrivateSystemBus() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  PrivateSystemBus(const PrivateSystemBus&) = delete;
  PrivateSystemBus& operator=(const PrivateSystemBus&) = delete;

  std::string address() const { return "unix:path=" + socket_; }
  // For unitrun (the monitor inherits it) and the service (Environment=).
  RunOptions run_options() const { return RunOptions{.set_env = {"DBUS_SYSTEM_BUS_ADDRESS=" + address()}}; }
  std::string environment_line() const { return "Environment=DBUS_SYSTEM_BUS_ADDRESS=" + address() + "\n"; }

 private:
  std::string socket_, log_;
  pid_t pid_ = -1;
};

std::string bus_name_of(const std::string& unit_prefix) {
  // Unique per run; each element of a D-Bus name is [A-Za-z0-9_] and does
  // not begin with a digit (the last one begins with the prefix).
  std::string name = unique_name(unit_prefix);
  std::string out = "org.unitrun.test.";
  for (char ch : name) out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return out;
}

std::string busnamer(const std::string& name, const std::string& delay) {
  return helper("busnamer") + " " + name + " " + delay;
}

std::string dbus_unit(const PrivateSystemBus& bus, const std::string& name, const std::string& more = "") {
  return "Type=dbus\nBusName=" + name + "\n" + bus.environment_line() + more;
}

}  // namespace

TEST_CASE("Type=dbus: start returns once the service takes BusName=, 2 s after it started", "[dbus]") {
  TempDir dir;
  PrivateSystemBus bus(dir);
  std::string name = bus_name_of("dbusready");
  TestUnit u(dir, "dbusready", busnamer(name, "2000"), opts(dbus_unit(bus, name)));
  Running start = u.spawn_verb("start", bus.run_options());
  // While it waits, status says for what.
  bool waiting = wait_until(
      [&] {
        return contains(u.status().out, "activating (start): waiting for BusName=" + name + " on the system bus");
      },
      10000, 50);
  CHECK(waiting);
  RunResult r = start.wait();
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  // The name was asked for before `start` returned (the service's own
  // "acquired" line may come a moment after the bus said so)...
  auto log = read_file(u.log());
  REQUIRE(log);
  CHECK(contains(*log, "requesting " + name));
  CHECK(wait_until([&] { return contains(read_file(u.log()).value_or(""), "acquired " + name); }, 10000));
  // ...and the record's ready time is the helper's delay after the main
  // process started, not earlier.
  auto j = status_json(u);
  uint64_t started = j["main_started_usec"].get<uint64_t>();
  uint64_t ready = j["ready_usec"].get<uint64_t>();
  INFO("started " << started << ", ready " << ready);
  // main_started_usec is read once the spawn returns, which under load can
  // be a little after the helper began its delay: 100 ms of slack (a
  // start that did not wait would be ready within milliseconds).
  CHECK(ready + 100000 >= started + 2000000);
  CHECK(ready < started + 30000000);
  CHECK(j["sub_state"] == "running");
  CHECK(any_event(j, "BusName=" + name + " appeared on the system bus"));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  check_nothing_left(u);
}

TEST_CASE("Type=dbus: a name never taken fails the start at TimeoutStartSec=, Result=timeout", "[dbus]") {
  TempDir dir;
  PrivateSystemBus bus(dir);
  std::string name = bus_name_of("dbusnever");
  TestUnit u(dir, "dbusnever", busnamer(name, "never"), opts(dbus_unit(bus, name, "TimeoutStartSec=1\n")));
  RunResult r = u.start(bus.run_options());
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "start timed out after 1s without BusName=" + name + " appearing on the system bus"));
  CHECK(r.seconds >= 1.0);
  auto j = status_json(u);
  CHECK(j["result"] == "timeout");
  CHECK(j["sub_state"] == "failed");
  check_nothing_left(u);
}

TEST_CASE("Type=dbus: the name lost while running stops the service cleanly (Result=success)", "[dbus]") {
  // systemd: without its name the service is no longer "good"; the stop is
  // clean, so Restart=on-failure does not bring it back and the unit ends
  // dead, not failed.
  TempDir dir;
  PrivateSystemBus bus(dir);
  std::string name = bus_name_of("dbuslost");
  TestUnit u(dir, "dbuslost", busnamer(name, "0"), opts(dbus_unit(bus, name, "Restart=on-failure\n")));
  pid_t pid = start_ok(u, bus.run_options());
  REQUIRE(::kill(pid, SIGUSR1) == 0);
  CHECK(wait_unit_down(u) == 3);
  auto j = status_json(u);
  CHECK(j["sub_state"] == "dead");
  CHECK(j["result"] == "success");
  CHECK(j["restarts"] == 0);
  CHECK(any_event(j, "BusName=" + name + " left the system bus"));
  auto log = read_file(u.log());
  REQUIRE(log);
  CHECK(contains(*log, "released " + name));
  check_nothing_left(u);
}

TEST_CASE("Type=dbus: the name lost with Restart=on-success restarts the service, which takes it again", "[dbus]") {
  TempDir dir;
  PrivateSystemBus bus(dir);
  std::string name = bus_name_of("dbusagain");
  TestUnit u(dir, "dbusagain", busnamer(name, "0"),
             opts(dbus_unit(bus, name, "Restart=on-success\nRestartSec=100ms\n")));
  pid_t first = start_ok(u, bus.run_options());
  REQUIRE(::kill(first, SIGUSR1) == 0);
  bool restarted = wait_until(
      [&] {
        auto j = status_json(u);
        return j["restarts"] == 1 && j["sub_state"] == "running";
      },
      15000, 50);
  CHECK(restarted);
  auto second = read_pidfile(u.pidfile());
  REQUIRE(second);
  CHECK(*second != first);
  CHECK(u.stop().exit_code == 0);
  check_nothing_left(u);
}

TEST_CASE("Type=dbus: no system bus fails the start at once, and says why", "[dbus]") {
  // systemd gives a Type=dbus service Requires=dbus.socket: without a bus it
  // does not start. Neither does it here, without waiting out TimeoutStartSec=.
  TempDir dir;
  std::string address = "unix:path=" + (dir / "no-bus-here");
  std::string name = bus_name_of("dbusnone");
  TestUnit u(dir, "dbusnone", busnamer(name, "0"),
             opts("Type=dbus\nBusName=" + name + "\nEnvironment=DBUS_SYSTEM_BUS_ADDRESS=" + address + "\n"));
  RunResult r = u.start(RunOptions{.set_env = {"DBUS_SYSTEM_BUS_ADDRESS=" + address}});
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "Type=dbus: no system bus at " + address +
                            " (No such file or directory; is dbus running?); BusName=" + name + " cannot be watched"));
  CHECK(r.seconds < 30);                 // TimeoutStartSec= is 90 s
  CHECK_FALSE(contains(r.err, "  | "));  // no output quoted: the service never ran
  auto j = status_json(u);
  CHECK(j["result"] == "resources");
  CHECK_FALSE(contains(read_file(u.log()).value_or(""), "connected"));  // the service never ran
  check_nothing_left(u);
}

TEST_CASE("Type=dbus: a service that fails before taking its name fails the start with its status", "[dbus]") {
  TempDir dir;
  PrivateSystemBus bus(dir);
  std::string name = bus_name_of("dbusfail");
  TestUnit u(dir, "dbusfail", busnamer(name, "exit:3"), opts(dbus_unit(bus, name)));
  RunResult r = u.start(bus.run_options());
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "the service exited, code=3 before BusName=" + name + " appeared on the system bus"));
  CHECK(r.seconds < 30);
  auto j = status_json(u);
  CHECK(j["result"] == "exit-code");
  check_nothing_left(u);
}
