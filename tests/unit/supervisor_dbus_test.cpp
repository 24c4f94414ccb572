// Type=dbus in the supervisor's table (src/monitor/supervisor.cc), on the
// fake clock: systemd.service(5), Type=dbus and BusName=, and what systemd's
// service_bus_name_owner_change() and service_enter_running() do when the
// name appears, when it is lost while running, and when the main process
// exits first.
#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "supervisor_driver.h"

using namespace unitrun;
using namespace unitrun::test;
using Lines = std::vector<std::string>;
using K = Event::Kind;
using S = SubState;

namespace {

Unit dbus_unit() {
  Unit u = unit_of(ServiceType::Dbus);
  u.bus_name = "org.example.Demo";
  return u;
}

// Started, its name taken: running.
void bring_up(Driver& d) {
  d.start();
  REQUIRE(d.sv().sub_state() == S::Start);
  d.bus_event(K::BusNameAcquired, ":1.7");
  REQUIRE(d.sv().sub_state() == S::Running);
  d.take();
}

}  // namespace

TEST_CASE("Type=dbus: the bus name is watched before the service exists, the start ends when it appears",
          "[supervisor][dbus]") {
  Driver d(dbus_unit());
  d.start();
  // The watch first: the service cannot take the name before we listen.
  CHECK(d.steps() == Lines{"prepare", "watch bus name", "spawn main", d.timer_in(90 * kSec), "write pidfile"});
  CHECK(d.sv().sub_state() == S::Start);
  CHECK(d.sv().active_state() == ActiveState::Activating);
  CHECK(d.reports.empty());
  // READY=1 is not what a dbus service is waited for.
  d.notify(K::Ready);
  CHECK(d.sv().sub_state() == S::Start);
  // Losing a name it never had changes nothing either.
  d.bus_event(K::BusNameLost, "");
  CHECK(d.sv().sub_state() == S::Start);
  d.advance(2 * kSec);
  d.bus_event(K::BusNameAcquired, ":1.7");
  CHECK(d.steps() == Lines{"timer off", "entered running", "report ok", "notify READY=1"});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.mentions("BusName=org.example.Demo appeared on the system bus (owner :1.7)"));
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].ok);
}

TEST_CASE("Type=dbus: ExecStartPost= runs once the name appears", "[supervisor][dbus]") {
  Unit u = dbus_unit();
  u.exec_start_post = {command("/bin/post")};
  Driver d(u);
  d.start();
  CHECK(d.spawned_controls.empty());
  d.bus_event(K::BusNameAcquired, ":1.7");
  CHECK(d.sv().sub_state() == S::StartPost);
  REQUIRE(d.spawned_controls.size() == 1);
  d.control_exits(exited(0));
  CHECK(d.sv().sub_state() == S::Running);
}

TEST_CASE("Type=dbus: a name owned by someone else already is noted, and the start waits for a change",
          "[supervisor][dbus]") {
  // systemd acts on a change of owner only.
  Driver d(dbus_unit());
  d.bus_owner = ":1.3";
  d.start();
  CHECK(d.mentions("BusName=org.example.Demo is owned by :1.3 already"));
  CHECK(d.sv().sub_state() == S::Start);
  d.bus_event(K::BusNameAcquired, ":1.9");
  CHECK(d.sv().sub_state() == S::Running);
}

TEST_CASE("Type=dbus: a name never taken fails the start at TimeoutStartSec=, Result=timeout", "[supervisor][dbus]") {
  Driver d(dbus_unit());
  d.start();
  d.fire_timer();
  CHECK(d.sv().result() == ServiceResult::Timeout);
  CHECK(d.mentions("start timed out after 1min 30s without BusName=org.example.Demo appearing on the system bus"));
  CHECK(d.logged("unwatch bus name"));
  d.main_exits(killed(SIGTERM));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  REQUIRE(d.reports.size() == 1);
  CHECK_FALSE(d.reports[0].ok);
  CHECK(d.reports[0].message.find("without BusName=org.example.Demo") != std::string::npos);
}

TEST_CASE("Type=dbus: no system bus fails the start before anything runs", "[supervisor][dbus]") {
  Driver d(dbus_unit());
  d.fail(Step::WatchBusName, "Type=dbus: no system bus at unix:path=/x (No such file or directory; is dbus running?)");
  d.start();
  CHECK_FALSE(d.logged("spawn main"));
  CHECK(d.sv().done());
  CHECK(d.sv().result() == ServiceResult::Resources);
  CHECK(d.sv().sub_state() == S::Failed);
  REQUIRE(d.reports.size() == 1);
  CHECK_FALSE(d.reports[0].ok);
  CHECK(d.reports[0].code == exit_code::kFailure);
  CHECK(d.reports[0].message.find("no system bus at unix:path=/x") != std::string::npos);
  CHECK_FALSE(d.reports[0].quote_output);  // the service never ran: its log is an older run's
  SECTION("without libsystemd: exit 5, not installed") {
    Driver d5(dbus_unit());
    d5.fail(Step::WatchBusName, "Type=dbus: libsystemd.so.0 with sd-bus cannot be loaded", true);
    d5.start();
    REQUIRE(d5.reports.size() == 1);
    CHECK(d5.reports[0].code == exit_code::kNotInstalled);
  }
}

TEST_CASE("Type=dbus: the main process failing before the name fails the start with its status", "[supervisor][dbus]") {
  Driver d(dbus_unit());
  d.start();
  d.main_exits(exited(3));
  CHECK(d.sv().done());
  CHECK(d.sv().result() == ServiceResult::ExitCode);
  REQUIRE(d.reports.size() == 1);
  CHECK_FALSE(d.reports[0].ok);
  CHECK(d.reports[0].message ==
        "the service exited, code=3 before BusName=org.example.Demo appeared on the system bus");
}

TEST_CASE("Type=dbus: a clean exit before the name ends the unit without failure, as systemd's", "[supervisor][dbus]") {
  // service_enter_running(SERVICE_SUCCESS): not good without the name, so the
  // service stops with Result=success (ExecStop= runs), or stays active
  // under RemainAfterExit=yes.
  SECTION("the caller is told the service never took its name; the unit is dead, not failed") {
    Unit u = dbus_unit();
    u.exec_stop = {command("/bin/stopper")};
    Driver d(u);
    d.start();
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Stop);  // ExecStop=, as service_enter_stop() runs it
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Dead);
    CHECK(d.sv().result() == ServiceResult::Success);
    REQUIRE(d.reports.size() == 1);
    CHECK_FALSE(d.reports[0].ok);
    CHECK(d.reports[0].message ==
          "the service exited, code=0 before BusName=org.example.Demo appeared on the system bus");
  }
  SECTION("RemainAfterExit=yes: active (exited)") {
    Unit u = dbus_unit();
    u.remain_after_exit = true;
    Driver d(u);
    d.start();
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Exited);
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].ok);
  }
}

TEST_CASE("Type=dbus: the name lost while running stops the service cleanly; Restart= decides as after exit 0",
          "[supervisor][dbus]") {
  SECTION("Restart=on-failure: stopped for good, Result=success") {
    Unit u = dbus_unit();
    u.restart = RestartPolicy::OnFailure;
    u.exec_stop = {command("/bin/stopper")};
    Driver d(u);
    bring_up(d);
    d.bus_event(K::BusNameLost, ":1.7");
    CHECK(d.mentions("BusName=org.example.Demo left the system bus (released by :1.7); stopping"));
    CHECK(d.sv().sub_state() == S::Stop);  // ExecStop= runs: the service had started
    d.control_exits(exited(0));
    CHECK(d.sv().sub_state() == S::StopSigterm);
    d.main_exits(killed(SIGTERM));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Dead);
    CHECK(d.sv().result() == ServiceResult::Success);
    CHECK(d.sv().restarts() == 0);
  }
  SECTION("Restart=on-success: restarted, and the new run watches the bus anew") {
    Unit u = dbus_unit();
    u.restart = RestartPolicy::OnSuccess;
    Driver d(u);
    bring_up(d);
    d.bus_event(K::BusNameLost, ":1.7");
    d.main_exits(killed(SIGTERM));
    CHECK(d.sv().sub_state() == S::AutoRestart);
    d.fire_timer();
    CHECK(d.sv().sub_state() == S::Start);
    CHECK(d.count("watch bus name") == 2);
    d.bus_event(K::BusNameAcquired, ":1.8");
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.sv().restarts() == 1);
  }
  SECTION("RemainAfterExit=yes: active (exited), the main process may end later") {
    Unit u = dbus_unit();
    u.remain_after_exit = true;
    Driver d(u);
    bring_up(d);
    d.bus_event(K::BusNameLost, ":1.7");
    CHECK(d.sv().sub_state() == S::Exited);
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Exited);
    CHECK_FALSE(d.sv().has_main());
    d.stop();
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Dead);
  }
  SECTION("a name lost after the main process exited changes nothing more") {
    Driver d(dbus_unit());
    bring_up(d);
    d.main_exits(exited(0));
    CHECK(d.sv().done());
    d.take();
    d.bus_event(K::BusNameLost, ":1.7");
    CHECK(d.take().empty());
  }
}

TEST_CASE("Type=dbus: the bus going away fails a start that waits, and is only noted while running",
          "[supervisor][dbus]") {
  {
    Driver d(dbus_unit());
    d.start();
    d.bus_event(K::BusGone, "connection to the system bus at unix:path=/x lost: Connection reset by peer");
    CHECK(d.sv().result() == ServiceResult::Resources);
    d.main_exits(killed(SIGTERM));
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message.find("lost: Connection reset by peer while waiting for BusName=org.example.Demo") !=
          std::string::npos);
  }
  {
    Driver d(dbus_unit());
    bring_up(d);
    d.bus_event(K::BusGone, "connection to the system bus at unix:path=/x lost: Connection reset by peer");
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.mentions("BusName=org.example.Demo is no longer watched"));
  }
}

TEST_CASE("Types other than dbus ignore bus name events", "[supervisor][dbus]") {
  Unit u = unit_of(ServiceType::Simple);
  u.bus_name = "org.example.Demo";
  Driver d(u);
  d.start();
  CHECK_FALSE(d.logged("watch bus name"));
  d.take();
  d.bus_event(K::BusNameLost, ":1.7");
  d.bus_event(K::BusNameAcquired, ":1.8");
  CHECK(d.take().empty());
  CHECK(d.sv().sub_state() == S::Running);
}
