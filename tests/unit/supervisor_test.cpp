// The supervisor's table (src/monitor/supervisor.cc) on a fake clock, row by
// row, against systemd.service(5), systemd.kill(5) and sd_notify(3): the
// Restart= table, start limits, TimeoutStartSec=/TimeoutStopSec= and the
// kill schedule, KillMode=, the watchdog, the notify fields, Type=forking
// and Type=oneshot, the Exec*= hooks, reload, and a stop in every phase.
// The driver (supervisor_driver.h) stands where the monitor's loop stands;
// no process is started and no clock is read.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
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

std::string str(SubState s) { return to_string(s); }

// Takes a unit to Running the way its type gets there: at once (simple,
// exec), READY=1 (notify), the parent's exit and the pidfile (forking);
// control processes (ExecStartPre=, ExecStartPost=) succeed.
void bring_up(Driver& d) {
  d.start();
  for (int round = 0; round < 50 && d.sv().sub_state() != S::Running; ++round) {
    ServiceType type = d.unit().type;
    if (d.control) {
      d.control_exits(exited(0));
    } else if (d.sv().sub_state() == S::Start && type == ServiceType::Notify) {
      d.notify(K::Ready);
    } else if (d.sv().sub_state() == S::Start && type == ServiceType::Forking && d.main) {
      d.others += 1;  // the daemon it forked
      d.main_exits(exited(0));
    } else if (d.sv().sub_state() == S::Start && type == ServiceType::Forking && d.others > 0) {
      d.pidfile_adopted();
    } else {
      FAIL("cannot bring the unit up from " << str(d.sv().sub_state()));
    }
  }
  REQUIRE(d.sv().sub_state() == S::Running);
  d.take();
}

// Ends whatever is in progress as processes that obey their signals would:
// control processes succeed, the main process dies of what it was sent,
// until the monitor is done.
void run_to_end(Driver& d, int sig = SIGTERM) {
  for (int round = 0; round < 50 && !d.sv().done(); ++round) {
    if (d.control)
      d.control_exits(exited(0));
    else if (d.main)
      d.main_exits(killed(sig));
    else if (d.others > 0)
      d.other_exits(d.others);
    else if (d.timer() != 0)
      d.fire_timer();
    else
      FAIL("stuck in " << str(d.sv().sub_state()));
  }
  REQUIRE(d.sv().done());
}

// The environment an ExecStop=/ExecStopPost= command was given, as "K=V ...".
std::string environment_of(const monitor::action::SpawnControl& s) {
  std::string out;
  for (const auto& [k, v] : s.environment) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

Unit with_restart(Unit u, RestartPolicy p) {
  u.restart = p;
  return u;
}

}  // namespace

// ---------------------------------------------------------------- the lives of the four types

TEST_CASE("a simple unit: start runs prepare, spawn, pidfile, and reports ok once it runs", "[supervisor][simple]") {
  // systemd.service(5), Type=simple: "the service manager will consider the
  // unit started immediately after the main service process has been forked
  // off". Running before the pidfile: the record the loop writes before the
  // pidfile says so (see the "one record write" test below).
  Driver d(unit_of(ServiceType::Simple));
  d.start();
  CHECK(d.steps() ==
        Lines{"prepare", "spawn main", "timer off", "entered running", "write pidfile", "report ok", "notify READY=1"});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.sv().active_state() == ActiveState::Active);
  CHECK(d.sv().has_main());
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].ok);
  CHECK(d.reports[0].message.empty());  // the loop adds the main PID

  // ExecStop= is not set: "the process is terminated by sending the signal
  // specified in KillSignal=".
  d.stop();
  CHECK(d.steps() ==
        Lines{"watchdog off", "unwatch pidfile", "notify STOPPING=1", "kill tree SIGTERM", d.timer_in(90 * kSec)});
  CHECK(d.sv().sub_state() == S::StopSigterm);
  CHECK(d.sv().active_state() == ActiveState::Deactivating);
  d.main_exits(killed(SIGTERM));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Dead);
  CHECK(d.sv().result() == ServiceResult::Success);
  CHECK(d.sv().exit_status() == 0);
  CHECK(d.logged("remove pidfile"));
  CHECK(d.reports.size() == 1);  // one report per monitor life
}

TEST_CASE("a simple unit: every action of a start, informative ones included", "[supervisor][simple]") {
  // The Notify and Record actions, for systemd above us and the state record.
  Driver d(unit_of(ServiceType::Simple), SupervisorOptions{true, true});
  d.start();
  CHECK(d.take() == Lines{"notify STATUS=starting", "prepare", "spawn main", "timer off", "entered running", "started",
                          "write pidfile", "report ok", "notify READY=1", "notify STATUS=running", "trim memory"});
}

TEST_CASE("simple, exec, idle: one record write between the spawn and the reply, which waits for the pidfile",
          "[supervisor][simple][pidfile]") {
  // The loop writes the record before the pidfile names the main PID
  // (docs/architecture.md), and before the reply. A service that is up once
  // spawned is running before its pidfile is written, so that this record
  // already says what the reply will say (active (running), Ready:, the
  // "started" event) and the Report finds nothing left to write; the reply
  // and systemd's READY=1 still wait for the pidfile.
  for (ServiceType type : {ServiceType::Simple, ServiceType::Exec, ServiceType::Idle}) {
    CAPTURE(static_cast<int>(type));
    Driver d(unit_of(type), SupervisorOptions{true, true});
    d.start();
    REQUIRE(d.pidfile_writes.size() == 1);
    CHECK(d.pidfile_writes[0].phase == S::Running);
    CHECK(d.pidfile_writes[0].pending);
    CHECK(d.pidfile_writes[0].reports == 0);
    Lines all = d.take();
    auto at = [&](const std::string& line) { return std::find(all.begin(), all.end(), line) - all.begin(); };
    CHECK(at("entered running") < at("write pidfile"));  // Ready:
    CHECK(at("started") < at("write pidfile"));          // the event
    CHECK(at("write pidfile") < at("report ok"));
    CHECK(at("write pidfile") < at("notify READY=1"));
    CHECK_FALSE(d.sv().pidfile_pending());
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.reports.size() == 1);
    CHECK(d.count("started") == 1);
  }
  SECTION("an automatic restart likewise") {
    Driver d(with_restart(unit_of(ServiceType::Exec), RestartPolicy::Always));
    bring_up(d);
    d.main_exits(exited(1));
    d.fire_timer();
    REQUIRE(d.pidfile_writes.size() == 2);
    CHECK(d.pidfile_writes[1].phase == S::Running);
    CHECK(d.mentions("restarted"));
  }
}

TEST_CASE("ExecStartPost=, Type=notify: the record before the pidfile still says activating", "[supervisor][pidfile]") {
  // Their "active" comes later (after ExecStartPost=, after READY=1): the
  // record names the main PID before the pidfile does while still starting.
  Unit post = unit_of(ServiceType::Simple);
  post.exec_start_post = {command("/bin/post-start")};
  Driver d(post);
  d.start();
  CHECK(d.steps() ==
        Lines{"prepare", "spawn main", "write pidfile", "timer off", d.timer_in(90 * kSec), "spawn ExecStartPost[0]"});
  REQUIRE(d.pidfile_writes.size() == 1);
  CHECK(d.pidfile_writes[0].phase == S::Start);
  CHECK_FALSE(d.pidfile_writes[0].pending);
  d.control_exits(exited(0));
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.reports.size() == 1);

  Driver n(unit_of(ServiceType::Notify));
  n.start();
  REQUIRE(n.pidfile_writes.size() == 1);
  CHECK(n.pidfile_writes[0].phase == S::Start);
  CHECK(n.reports.empty());
}

TEST_CASE("Type=notify: the start waits for READY=1, under TimeoutStartSec=", "[supervisor][notify]") {
  // systemd.service(5), Type=notify: "the manager will proceed with starting
  // follow-up units after this notification message has been sent".
  Driver d(unit_of(ServiceType::Notify));
  d.start();
  CHECK(d.steps() == Lines{"prepare", "spawn main", d.timer_in(90 * kSec), "write pidfile"});
  CHECK(d.sv().sub_state() == S::Start);
  CHECK(d.sv().active_state() == ActiveState::Activating);
  CHECK(d.reports.empty());
  d.advance(5 * kSec);
  d.notify(K::Ready);
  CHECK(d.steps() == Lines{"timer off", "entered running", "report ok", "notify READY=1"});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.mentions("READY=1"));
}

TEST_CASE("Type=simple and Type=exec ignore READY=1", "[supervisor][notify]") {
  // sd_notify(3): READY=1 is what Type=notify waits for; the other types are
  // up without it, and a READY=1 changes nothing.
  for (ServiceType type : {ServiceType::Simple, ServiceType::Exec}) {
    INFO(to_string(type));
    Driver d(unit_of(type));
    bring_up(d);
    d.notify(K::Ready);
    CHECK(d.take().empty());
    CHECK(d.sv().sub_state() == S::Running);
  }
}

TEST_CASE("Type=forking: the parent exits 0, the pidfile names the daemon, the unit runs", "[supervisor][forking]") {
  // systemd.service(5), Type=forking: "the service manager will consider the
  // unit started when the parent process exits"; PIDFile= names the main
  // process.
  Driver d(unit_of(ServiceType::Forking));
  d.start();
  CHECK(d.steps() == Lines{"prepare", "remove stale pidfile", "spawn main", d.timer_in(90 * kSec)});
  CHECK(d.sv().sub_state() == S::Start);
  d.others = 1;  // the daemon it forked
  d.main_exits(exited(0));
  CHECK(d.steps() == Lines{"watch pidfile"});
  CHECK(d.sv().sub_state() == S::Start);
  CHECK_FALSE(d.sv().has_main());
  d.pidfile_adopted();
  CHECK(d.steps() == Lines{"unwatch pidfile", "timer off", "entered running", "report ok", "notify READY=1"});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.sv().has_main());
}

TEST_CASE("Type=forking: the start waits for a pidfile written late, under TimeoutStartSec=", "[supervisor][forking]") {
  Driver d(unit_of(ServiceType::Forking));
  d.start();
  d.others = 1;
  d.main_exits(exited(0));
  d.advance(1 * kSec);
  CHECK(d.sv().sub_state() == S::Start);
  CHECK(d.reports.empty());
  d.pidfile_adopted();
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.reports.size() == 1);
}

TEST_CASE("Type=forking: a pidfile already there when the watch begins is adopted at once", "[supervisor][forking]") {
  Driver d(unit_of(ServiceType::Forking));
  d.pidfile_written = true;
  d.start();
  d.others = 1;
  d.main_exits(exited(0));
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.reports.size() == 1);
}

TEST_CASE("Type=oneshot: each ExecStart= command in order, then ExecStop=, then dead, report \"ok 0\"",
          "[supervisor][oneshot]") {
  // systemd.service(5), Type=oneshot: "the service manager will consider the
  // unit up after the main process exits"; ExecStart= "Multiple command
  // lines are allowed ... the commands are executed one after the other,
  // serially"; and "the stop operation is always performed if the service
  // started successfully".
  Unit u = unit_of(ServiceType::Oneshot);
  u.exec_start = {command("/bin/first"), command("/bin/second")};
  u.exec_stop = {command("/bin/stop")};
  Driver d(u);
  d.start();
  // TimeoutStartSec= is not set: "the timeout is disabled by default".
  CHECK(d.steps() == Lines{"prepare", "timer off", "spawn ExecStart[0]"});
  CHECK(d.sv().sub_state() == S::Start);
  CHECK(d.sv().running_list() == CommandList::Start);
  d.control_exits(exited(0));
  CHECK(d.steps() == Lines{"timer off", "timer off", "spawn ExecStart[1]"});
  d.control_exits(exited(0));
  Lines after = d.steps();
  CHECK(after == Lines{"timer off", "timer off", "notify READY=1", "watchdog off", "unwatch pidfile",
                       "notify STOPPING=1", d.timer_in(90 * kSec),
                       "spawn ExecStop[0] SERVICE_RESULT=success EXIT_CODE=exited EXIT_STATUS=0"});
  CHECK(d.sv().sub_state() == S::Stop);
  CHECK(d.reports.empty());  // only once it is all over
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Dead);
  CHECK(d.sv().result() == ServiceResult::Success);
  CHECK(d.sv().exit_status() == 0);
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].ok);
  CHECK(d.reports[0].message == "0");
  // Nothing was left to kill: no signal was sent.
  CHECK(d.count_prefix("kill ") == 0);
}

// ---------------------------------------------------------------- Restart=

namespace {

// The exit causes of systemd.service(5), Table 2.
enum class Cause { Clean, UncleanExit, UncleanSignal, Timeout, Watchdog };

const char* cause_name(Cause c) {
  switch (c) {
    case Cause::Clean:
      return "clean exit code or signal";
    case Cause::UncleanExit:
      return "unclean exit code";
    case Cause::UncleanSignal:
      return "unclean signal";
    case Cause::Timeout:
      return "timeout";
    case Cause::Watchdog:
      return "watchdog";
  }
  return "?";
}

const std::vector<RestartPolicy> kTable2Columns = {
    RestartPolicy::No,         RestartPolicy::Always,  RestartPolicy::OnSuccess, RestartPolicy::OnFailure,
    RestartPolicy::OnAbnormal, RestartPolicy::OnAbort, RestartPolicy::OnWatchdog};

// "Table 2. Exit causes and the effect of the Restart= settings", copied
// cell by cell (X = restarted).
struct Table2Row {
  Cause cause;
  std::vector<bool> restarts;  // in kTable2Columns' order
  ServiceResult result;        // Result= of the run that ended so
};
const std::vector<Table2Row>& table2() {
  static const std::vector<Table2Row> rows = {
      //                        no     always on-success on-failure on-abnormal on-abort on-watchdog
      {Cause::Clean, /*      */ {false, true, true, false, false, false, false}, ServiceResult::Success},
      {Cause::UncleanExit, /**/ {false, true, false, true, false, false, false}, ServiceResult::ExitCode},
      {Cause::UncleanSignal, {false, true, false, true, true, true, false}, ServiceResult::Signal},
      {Cause::Timeout, /*    */ {false, true, false, true, true, false, false}, ServiceResult::Timeout},
      {Cause::Watchdog, /*   */ {false, true, false, true, true, false, true}, ServiceResult::Watchdog},
  };
  return rows;
}

Unit table2_unit(RestartPolicy p) {
  Unit u = unit_of(ServiceType::Notify);
  u.restart = p;
  u.watchdog_sec = 10 * kSec;
  return u;
}

// A second start is needed for a start timeout (a first start that fails is
// reported to the caller, and never restarted): a first run that ends the
// way this policy restarts after.
void lead_into_second_start(Driver& d, RestartPolicy p) {
  bring_up(d);
  switch (p) {
    case RestartPolicy::Always:
    case RestartPolicy::OnSuccess:
      d.main_exits(exited(0));
      break;
    case RestartPolicy::OnFailure:
      d.main_exits(exited(1));
      break;
    case RestartPolicy::OnAbnormal:
    case RestartPolicy::OnAbort:
      d.main_exits(killed(SIGKILL));
      break;
    case RestartPolicy::OnWatchdog:
      d.fire_watchdog();
      d.main_exits(killed(SIGABRT));
      break;
    case RestartPolicy::No:
      FAIL("Restart=no never restarts");
  }
  REQUIRE(d.sv().sub_state() == S::AutoRestart);
  d.fire_timer();
  REQUIRE(d.sv().sub_state() == S::Start);
  REQUIRE(d.sv().restarts() == 1);
}

// Ends the running service by `cause`.
void end_by(Driver& d, Cause cause) {
  switch (cause) {
    case Cause::Clean:
      d.main_exits(exited(0));
      break;
    case Cause::UncleanExit:
      d.main_exits(exited(1));
      break;
    case Cause::UncleanSignal:
      d.main_exits(killed(SIGKILL));
      break;
    case Cause::Watchdog:
      d.fire_watchdog();
      REQUIRE(d.sv().sub_state() == S::StopWatchdog);
      d.main_exits(killed(SIGABRT));
      break;
    case Cause::Timeout:
      // No READY=1 within TimeoutStartSec=: the start fails by timeout, the
      // service is killed.
      d.fire_timer();
      REQUIRE(d.sv().sub_state() == S::StopSigterm);
      d.main_exits(killed(SIGTERM));
      break;
  }
}

}  // namespace

TEST_CASE("Restart=: Table 2 of systemd.service(5), every column against every exit cause", "[supervisor][restart]") {
  // "Configures whether the service shall be restarted when the service
  // process exits, is killed, or a timeout is reached."
  for (const Table2Row& row : table2()) {
    for (size_t col = 0; col < kTable2Columns.size(); ++col) {
      RestartPolicy p = kTable2Columns[col];
      INFO("Restart=" << to_string(p) << ", " << cause_name(row.cause));
      Driver d(table2_unit(p));
      if (row.cause == Cause::Timeout && p == RestartPolicy::No) {
        // No way into a second start; a first start's timeout is not
        // restarted under any policy.
        d.start();
      } else if (row.cause == Cause::Timeout) {
        lead_into_second_start(d, p);
      } else {
        bring_up(d);
      }
      unsigned restarts_before = d.sv().restarts();
      end_by(d, row.cause);
      CHECK(d.sv().result() == row.result);
      if (row.restarts[col]) {
        CHECK(d.sv().sub_state() == S::AutoRestart);
        CHECK_FALSE(d.sv().done());
        // "RestartSec= Configures the time to sleep before restarting a
        // service ... Defaults to 100ms."
        CHECK(d.timer() == d.now + 100 * kMs);
        d.take();
        d.fire_timer();
        CHECK(d.take().at(1) == "prepare");
        CHECK(d.sv().restarts() == restarts_before + 1);
        CHECK(d.sv().result() == ServiceResult::Success);  // a new run
      } else {
        CHECK(d.sv().done());
        CHECK(d.sv().sub_state() == (row.result == ServiceResult::Success ? S::Dead : S::Failed));
        CHECK((d.sv().exit_status() == 0) == (row.result == ServiceResult::Success));
        CHECK(d.sv().restarts() == restarts_before);
      }
    }
  }
}

TEST_CASE("Restart=: RestartPreventExitStatus= and SuccessExitStatus= as exceptions", "[supervisor][restart]") {
  struct Row {
    const char* why;  // the sentence of systemd.service(5)
    RestartPolicy restart;
    ExitStatusSet prevent, success;
    Termination end;
    bool restarts;
    ServiceResult result;
  };
  const char* prevent_text =
      "RestartPreventExitStatus=: \"the service will not be restarted if the exit code or signal is specified\"";
  const char* success_text = "SuccessExitStatus=: \"exit statuses and signals ... considered successful termination\"";
  const std::vector<Row> rows = {
      {prevent_text, RestartPolicy::Always, {{1}, {}}, {}, exited(1), false, ServiceResult::ExitCode},
      {prevent_text, RestartPolicy::Always, {{1}, {}}, {}, exited(2), true, ServiceResult::ExitCode},
      {prevent_text, RestartPolicy::Always, {{0}, {}}, {}, exited(0), false, ServiceResult::Success},
      {prevent_text, RestartPolicy::OnFailure, {{}, {SIGKILL}}, {}, killed(SIGKILL), false, ServiceResult::Signal},
      {prevent_text, RestartPolicy::OnFailure, {{}, {SIGKILL}}, {}, killed(SIGSEGV), true, ServiceResult::Signal},
      {prevent_text, RestartPolicy::OnAbort, {{}, {SIGABRT}}, {}, dumped(SIGABRT), false, ServiceResult::CoreDump},
      {prevent_text, RestartPolicy::OnAbort, {{}, {}}, {}, dumped(SIGABRT), true, ServiceResult::CoreDump},
      {success_text, RestartPolicy::OnFailure, {}, {{42}, {}}, exited(42), false, ServiceResult::Success},
      {success_text, RestartPolicy::OnSuccess, {}, {{42}, {}}, exited(42), true, ServiceResult::Success},
      {success_text, RestartPolicy::OnFailure, {}, {{}, {SIGUSR1}}, killed(SIGUSR1), false, ServiceResult::Success},
      {success_text, RestartPolicy::OnAbnormal, {}, {{}, {SIGUSR1}}, killed(SIGUSR2), true, ServiceResult::Signal},
      {"the four clean signals: \"for types other than Type=oneshot, one of the signals SIGHUP, SIGINT, SIGTERM, "
       "or SIGPIPE\"",
       RestartPolicy::OnFailure,
       {},
       {},
       killed(SIGPIPE),
       false,
       ServiceResult::Success},
  };
  for (const Row& row : rows) {
    INFO(row.why << "; Restart=" << to_string(row.restart) << ", ends " << row.end.exit_code << "/" << row.end.signal);
    Unit u = unit_of(ServiceType::Simple);
    u.restart = row.restart;
    u.restart_prevent_exit_status = row.prevent;
    u.success_exit_status = row.success;
    Driver d(u);
    bring_up(d);
    d.main_exits(row.end);
    CHECK(d.sv().result() == row.result);
    CHECK(d.sv().sub_state() == (row.restarts                           ? S::AutoRestart
                                 : row.result == ServiceResult::Success ? S::Dead
                                                                        : S::Failed));
  }
}

TEST_CASE("Restart=always: a stop is never followed by a restart", "[supervisor][restart]") {
  // "the service will not be restarted if ... the service is stopped with
  // systemctl stop or an equivalent operation"; "When the death of the
  // process is a result of systemd operation (e.g. service stop or
  // restart), the service will not be restarted."
  Driver d(with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always));
  bring_up(d);
  d.stop();
  d.main_exits(killed(SIGKILL));  // even a death that Restart= would act on
  CHECK(d.sv().done());
  CHECK(d.sv().restarts() == 0);
  CHECK(d.count("prepare") == 1);
  CHECK(d.sv().exit_status() == 0);
}

TEST_CASE("Restart=: a restarted run reports nothing to the caller, and ExecStopPost= runs between the runs",
          "[supervisor][restart]") {
  // "ExecStop= and ExecStopPost= are executed during a service restart
  // operation."
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::OnFailure);
  u.exec_stop_post = {command("/bin/cleanup")};
  Driver d(u);
  bring_up(d);
  d.main_exits(exited(3));
  CHECK(d.steps() == Lines{"watchdog off", "watchdog off", "unwatch pidfile", "timer off", d.timer_in(90 * kSec),
                           "spawn ExecStopPost[0] SERVICE_RESULT=exit-code EXIT_CODE=exited EXIT_STATUS=3"});
  CHECK(d.sv().sub_state() == S::StopPost);
  d.control_exits(exited(0));
  CHECK(d.sv().sub_state() == S::AutoRestart);
  CHECK(d.sv().active_state() == ActiveState::Activating);
  d.fire_timer();
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.sv().restarts() == 1);
  CHECK(d.mentions("restarted"));
  CHECK(d.reports.size() == 1);  // the first start's, only
  // Through the restart the pidfile keeps naming the last main PID until
  // the next one replaces it (write pidfile): it is never removed.
  CHECK(d.count("remove pidfile") == 0);
  CHECK(d.count("write pidfile") == 2);
}

TEST_CASE("a requested restart is one job of the monitor's: ExecStop=, the stop, a start at once, then the answer",
          "[supervisor][restart]") {
  // `unitrun restart` only asks; the monitor stops and starts the service
  // itself, so that a requester the stop kills cannot leave it down.
  Unit u = unit_of(ServiceType::Simple);
  u.exec_stop = {command("/bin/stopper")};
  u.restart_sec = 30 * kSec;  // Restart='s delay, not a requested restart's
  u.start_limit_burst = 1;    // the first start used it up
  Driver d(u);
  bring_up(d);
  d.restart();
  CHECK(d.mentions("restart requested"));
  CHECK(d.count_prefix("spawn ExecStop[0]") == 1);
  CHECK(d.sv().active_state() == ActiveState::Deactivating);
  d.control_exits(exited(0));
  CHECK(d.logged("kill tree SIGTERM"));
  CHECK(d.restart_replies.empty());  // nothing to say before the new run is up
  d.main_exits(killed(SIGTERM));
  // The start follows at once (through the timer, so a stop is heard).
  REQUIRE(d.sv().sub_state() == S::AutoRestart);
  CHECK(d.timer() == d.now + 1);
  d.fire_timer();
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.count("prepare") == 2);
  CHECK(d.sv().restarts() == 0);  // a fresh start, not an automatic restart
  REQUIRE(d.restart_replies.size() == 1);
  CHECK(d.restart_replies[0].ok);
  CHECK(d.reports.size() == 1);  // the first start's, only
  CHECK(d.count("remove pidfile") == 0);
}

TEST_CASE(
    "a requested restart: while waiting for RestartSec= it starts at once; during a stop it is refused; a "
    "failed start answers the failure",
    "[supervisor][restart]") {
  SECTION("waiting for RestartSec=") {
    Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always);
    u.restart_sec = 30 * kSec;
    Driver d(u);
    bring_up(d);
    d.main_exits(exited(1));
    REQUIRE(d.sv().sub_state() == S::AutoRestart);
    d.restart();
    CHECK(d.sv().sub_state() == S::Running);
    REQUIRE(d.restart_replies.size() == 1);
    CHECK(d.restart_replies[0].ok);
  }
  SECTION("a stop in progress: the requester starts the unit itself once it is over (LSB 7)") {
    Driver d(unit_of(ServiceType::Simple));
    bring_up(d);
    d.stop();
    d.restart();
    REQUIRE(d.restart_replies.size() == 1);
    CHECK_FALSE(d.restart_replies[0].ok);
    CHECK(d.restart_replies[0].code == 7);
    run_to_end(d);
    CHECK(d.sv().sub_state() == S::Dead);
  }
  SECTION("the new run fails to start") {
    Driver d(unit_of(ServiceType::Simple));
    bring_up(d);
    d.fail(Step::SpawnMain, "exec: No such file or directory", true);
    d.restart();
    d.main_exits(killed(SIGTERM));
    d.fire_timer();
    REQUIRE(d.restart_replies.size() == 1);
    CHECK_FALSE(d.restart_replies[0].ok);
    CHECK(d.restart_replies[0].code == 5);
    run_to_end(d);
    CHECK(d.sv().done());
  }
  SECTION("a stop during the restart ends it, and the requester hears so") {
    Driver d(unit_of(ServiceType::Simple));
    bring_up(d);
    d.restart();
    d.stop();
    run_to_end(d);
    CHECK(d.sv().done());
    REQUIRE(d.restart_replies.size() == 1);
    CHECK_FALSE(d.restart_replies[0].ok);
  }
}

// ---------------------------------------------------------------- start limits and crash loops

namespace {

Unit crash_looper(unsigned burst, Usec interval, Usec restart_sec) {
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always);
  u.start_limit_burst = burst;
  u.start_limit_interval = interval;
  u.restart_sec = restart_sec;
  return u;
}

// The main process dies, the restart timer is waited for (advancing the
// clock by `gap` first, if more than RestartSec=), the next start begins.
void crash_and_restart(Driver& d, Termination how, Usec gap = 0) {
  d.main_exits(how);
  REQUIRE(d.sv().sub_state() == S::AutoRestart);
  d.advance(gap);
  d.fire_timer();
}

// Every "prepare" (a start) was the answer to the first Start event or to a
// Timeout: no start ever happened inside the transition that ended a run.
void check_every_start_came_from_the_loop(const Driver& d) {
  int starts = 0;
  for (size_t i = 0; i < d.log().size(); ++i) {
    if (d.log()[i] != "prepare") continue;
    INFO("start " << starts);
    CHECK((d.causes()[i] == (starts == 0 ? K::Start : K::Timeout)));
    ++starts;
  }
}

}  // namespace

TEST_CASE("start limit: StartLimitBurst= starts within StartLimitIntervalSec= end the loop: start-limit-hit",
          "[supervisor][start_limit]") {
  // systemd.unit(5): "Configure unit start rate limiting. Units which are
  // started more than burst times within an interval time span are not
  // permitted to start any more."
  Driver d(crash_looper(3, 10 * kSec, 100 * kMs));
  bring_up(d);
  crash_and_restart(d, exited(1));
  CHECK(d.sv().sub_state() == S::Running);
  crash_and_restart(d, exited(1));
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.sv().restarts() == 2);
  d.take();
  // The third crash: the fourth start within 10 s is refused.
  crash_and_restart(d, killed(SIGSEGV));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.sv().result() == ServiceResult::StartLimitHit);
  // The last run was killed by a signal; the monitor's exit status is the
  // one the start limit sets (begin_start), 1, not 128+signal.
  CHECK(d.sv().exit_status() == exit_code::kFailure);
  CHECK(d.sv().restarts() == 2);
  CHECK(d.count("prepare") == 3);
  CHECK(d.mentions("start limit hit: 3 starts within 10s"));
  CHECK(d.reports.size() == 1);  // the first start's "ok", and nothing else
}

TEST_CASE("start limit: the defaults (5 within 10 s) end a crash loop after exactly 5 starts, 4 restarts",
          "[supervisor][start_limit]") {
  // systemd.unit(5): DefaultStartLimitIntervalSec=10s,
  // DefaultStartLimitBurst=5; RestartSec= defaults to 100ms.
  Driver d(with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always));
  REQUIRE(d.unit().start_limit_burst == 5);
  REQUIRE(d.unit().start_limit_interval == 10 * kSec);
  bring_up(d);
  for (int i = 0; i < 5; ++i) {
    d.main_exits(exited(1));
    REQUIRE(d.timer() == d.now + 100 * kMs);
    d.fire_timer();
  }
  CHECK(d.count("spawn main") == 5);
  CHECK(d.sv().restarts() == 4);
  CHECK(d.sv().result() == ServiceResult::StartLimitHit);
  CHECK(d.sv().exit_status() == exit_code::kFailure);
}

TEST_CASE("start limit: starts older than StartLimitIntervalSec= no longer count (fake clock)",
          "[supervisor][start_limit]") {
  SECTION("a crash every 6 s never fills a burst of 2 within 10 s") {
    Driver d(crash_looper(2, 10 * kSec, 100 * kMs));
    bring_up(d);
    for (int round = 0; round < 20; ++round) {
      INFO("round " << round);
      d.advance(6 * kSec);
      crash_and_restart(d, exited(1));
      REQUIRE(d.sv().sub_state() == S::Running);
    }
    CHECK(d.sv().restarts() == 20);
  }
  SECTION("the same service crashing every 4 s hits the limit at its third start") {
    Driver d(crash_looper(2, 10 * kSec, 100 * kMs));
    bring_up(d);
    d.advance(4 * kSec);
    crash_and_restart(d, exited(1));
    REQUIRE(d.sv().sub_state() == S::Running);
    d.advance(4 * kSec);
    crash_and_restart(d, exited(1));
    CHECK(d.sv().result() == ServiceResult::StartLimitHit);
    CHECK(d.sv().sub_state() == S::Failed);
  }
}

TEST_CASE("start limit: a burst or an interval of 0 disables it; the loop goes on until a stop",
          "[supervisor][start_limit]") {
  // systemd.unit(5): "Set either to 0 to disable any kind of rate limiting."
  struct Row {
    unsigned burst;
    Usec interval;
  };
  for (Row row : {Row{0, 10 * kSec}, Row{5, 0}}) {
    INFO("StartLimitBurst=" << row.burst << " StartLimitIntervalSec=" << row.interval);
    Driver d(crash_looper(row.burst, row.interval, 0));
    bring_up(d);
    for (int round = 0; round < 500; ++round) {
      crash_and_restart(d, exited(1));
      REQUIRE(d.sv().sub_state() == S::Running);
    }
    CHECK(d.sv().restarts() == 500);
    CHECK_FALSE(d.mentions("start limit"));
    d.main_exits(exited(1));
    REQUIRE(d.sv().sub_state() == S::AutoRestart);
    d.stop();
    CHECK(d.sv().done());
    CHECK(d.sv().exit_status() == 0);
  }
}

TEST_CASE("RestartSec=: each restart waits that long after the end of the last run", "[supervisor][restart]") {
  // "Configures the time to sleep before restarting a service".
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::OnFailure);
  u.restart_sec = 700 * kMs;
  Driver d(u);
  bring_up(d);
  for (int i = 0; i < 3; ++i) {
    d.advance(2 * kSec);
    d.main_exits(exited(1));
    uint64_t died = d.now;
    CHECK(d.timer() == died + 700 * kMs);
    d.advance(699 * kMs);
    CHECK(d.sv().sub_state() == S::AutoRestart);  // nothing happens without the timer
    d.fire_timer();
    CHECK(d.now == died + 700 * kMs);
    CHECK(d.sv().sub_state() == S::Running);
  }
  CHECK(d.mentions("restarting in 700ms"));
}

TEST_CASE("RestartSec=0: every round of a crash loop goes through a timer and a Timeout event",
          "[supervisor][start_limit][restart]") {
  // The loop hears a stop only between events: a restart that began inside
  // the transition that ended the last run would never let it (the old
  // monitor recursed so until its stack overflowed).
  Driver d(crash_looper(0, 0, 0));
  bring_up(d);
  for (int round = 0; round < 50; ++round) {
    INFO("round " << round);
    d.take();
    d.main_exits(exited(1));
    Lines ended = d.take();
    CHECK(d.sv().sub_state() == S::AutoRestart);
    // A timer, 1 µs ahead: RestartSec=0 still waits for the loop.
    CHECK(ended.back() == d.timer_in(1));
    for (const std::string& l : ended) CHECK(l != "prepare");
    d.fire_timer();
    CHECK(d.sv().sub_state() == S::Running);
  }
  check_every_start_came_from_the_loop(d);
}

TEST_CASE("crash 1: Restart=always, RestartSec=0, no start limit, an ExecStart= that cannot be executed",
          "[supervisor][start_limit][regression]") {
  SECTION("at the first start: the failure is the caller's, no restart, no loop") {
    Driver d(crash_looper(5, 0, 0));
    d.fail_always(Step::SpawnMain, "exec /usr/bin/svc: No such file or directory", true);
    d.start();
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
    CHECK(d.sv().result() == ServiceResult::ExitCode);
    CHECK(d.sv().exit_status() == exit_code::kNotInstalled);
    REQUIRE(d.reports.size() == 1);
    CHECK_FALSE(d.reports[0].ok);
    CHECK(d.reports[0].code == exit_code::kNotInstalled);
    CHECK(d.count("prepare") == 1);
  }
  SECTION("after a first run: every restart fails to exec, each through the loop, and a stop ends it") {
    Driver d(crash_looper(5, 0, 0));
    bring_up(d);
    d.fail_always(Step::SpawnMain, "exec /usr/bin/svc: No such file or directory", true);
    d.main_exits(exited(1));
    for (int round = 0; round < 1000; ++round) {
      REQUIRE(d.sv().sub_state() == S::AutoRestart);
      REQUIRE(d.timer() == d.now + 1);
      d.fire_timer();  // the restart: prepare, spawn main fails, a stop of nothing, AutoRestart again
    }
    CHECK(d.count("prepare") == 1001);
    CHECK(d.sv().restarts() == 1000);
    CHECK(d.sv().result() == ServiceResult::ExitCode);
    check_every_start_came_from_the_loop(d);
    // The stop arrives between two rounds.
    d.take();
    d.stop();
    CHECK(d.sv().done());
    CHECK(d.sv().exit_status() == 0);
    CHECK(d.steps() == Lines{"timer off", "remove pidfile"});
    CHECK(d.reports.size() == 1);
  }
  SECTION("after a first run: a stop in the middle of the loop, while a round's stop is still going on") {
    Unit u = crash_looper(5, 0, 0);
    u.exec_stop_post = {command("/bin/cleanup")};
    Driver d(u);
    bring_up(d);
    d.fail_always(Step::SpawnMain);
    d.main_exits(exited(1));
    d.control_exits(exited(0));
    for (int round = 0; round < 10; ++round) {
      d.fire_timer();
      REQUIRE(d.sv().sub_state() == S::StopPost);  // the failed restart's ExecStopPost= runs
      d.control_exits(exited(0));
    }
    d.fire_timer();
    REQUIRE(d.sv().sub_state() == S::StopPost);
    d.stop();
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.sv().exit_status() == 0);
    CHECK(d.count("prepare") == 12);
  }
}

// ---------------------------------------------------------------- timeouts and the kill schedule

TEST_CASE("TimeoutStartSec=: no READY=1 in time fails the start (timeout), KillSignal= then FinalKillSignal=",
          "[supervisor][timeout][notify]") {
  // systemd.service(5), TimeoutStartSec=: "If a daemon service does not
  // signal start-up completion within the configured time, the service will
  // be considered failed and will be shut down again"; TimeoutStartFailure-
  // Mode=terminate (the default): "gracefully terminated by sending the
  // signal specified in KillSignal= ... If the service does not terminate
  // the FinalKillSignal= is sent after TimeoutStopSec=".
  Unit u = unit_of(ServiceType::Notify);
  u.timeout_start = 5 * kSec;
  u.timeout_stop = 7 * kSec;
  u.kill_signal = SIGINT;
  u.final_kill_signal = SIGQUIT;
  Driver d(u);
  d.start();
  CHECK(d.timer() == kT0 + 5 * kSec);
  d.take();
  d.fire_timer();
  CHECK(d.now == kT0 + 5 * kSec);
  CHECK(d.steps() == Lines{"timer off", "watchdog off", "unwatch pidfile", "notify STOPPING=1", "kill tree SIGINT",
                           d.timer_in(7 * kSec)});
  CHECK(d.mentions("start failed: start timed out after 5s without READY=1"));
  CHECK(d.sv().sub_state() == S::StopSigterm);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  CHECK(d.reports.empty());  // not before the stop is over
  d.fire_timer();
  CHECK(d.steps() == Lines{"kill tree SIGQUIT", d.timer_in(7 * kSec)});
  CHECK(d.mentions("did not stop within 7s of SIGINT; sending SIGQUIT"));
  CHECK(d.sv().sub_state() == S::StopSigkill);
  d.main_exits(killed(SIGQUIT));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  CHECK(d.sv().exit_status() == exit_code::kFailure);
  REQUIRE(d.reports.size() == 1);
  CHECK_FALSE(d.reports[0].ok);
  CHECK(d.reports[0].code == exit_code::kFailure);
  CHECK(d.reports[0].message == "start timed out after 5s without READY=1");
  CHECK(d.reports[0].quote_output);
}

TEST_CASE("TimeoutStartSec=infinity: no timer for READY=1", "[supervisor][timeout][notify]") {
  // "Pass "infinity" to disable the timeout logic."
  Unit u = unit_of(ServiceType::Notify);
  u.timeout_start = kInfinity;
  Driver d(u);
  d.start();
  CHECK(d.timer() == 0);
  CHECK_FALSE(d.logged(d.timer_in(kInfinity)));
}

TEST_CASE("TimeoutStopSec=: KillSignal=, FinalKillSignal= after the timeout, giving up after another",
          "[supervisor][timeout][kill]") {
  // TimeoutStopSec=: "configures the time to wait for the service itself to
  // stop. If it doesn't terminate in the specified time, it will be forcibly
  // terminated by SIGKILL".
  Unit u = unit_of(ServiceType::Simple);
  u.timeout_stop = 3 * kSec;
  Driver d(u);
  bring_up(d);
  d.stop();
  CHECK(d.steps() ==
        Lines{"watchdog off", "unwatch pidfile", "notify STOPPING=1", "kill tree SIGTERM", d.timer_in(3 * kSec)});
  d.fire_timer();
  CHECK(d.steps() == Lines{"kill tree SIGKILL", d.timer_in(3 * kSec)});
  CHECK(d.sv().sub_state() == S::StopSigkill);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  // Unkillable (D state): given up on, the stop goes on.
  d.fire_timer();
  CHECK(d.mentions("processes survived SIGKILL; giving up on them"));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  CHECK(d.sv().exit_status() == 0);  // the stop was asked for
}

TEST_CASE("SendSIGKILL=no: the stop timeout skips FinalKillSignal= and is still a timeout",
          "[supervisor][timeout][kill]") {
  // systemd.kill(5): the termination request is repeated with SIGKILL
  // "unless this is disabled via the SendSIGKILL= option"; systemd's
  // service_dispatch_timer: "State 'stop-sigterm' timed out. Skipping
  // SIGKILL." with SERVICE_FAILURE_TIMEOUT.
  Unit u = unit_of(ServiceType::Simple);
  u.send_sigkill = false;
  u.timeout_stop = 2 * kSec;
  u.exec_stop_post = {command("/bin/cleanup")};
  Driver d(u);
  bring_up(d);
  d.stop();
  d.take();
  d.fire_timer();
  Lines after = d.steps();
  CHECK(after == Lines{"timer off", d.timer_in(2 * kSec), "spawn ExecStopPost[0] SERVICE_RESULT=timeout"});
  CHECK(d.mentions("SendSIGKILL=no, leaving the remaining processes"));
  CHECK(d.count("kill tree SIGKILL") == 0);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.count_prefix("kill") == 1);  // the SIGTERM, nothing else
}

TEST_CASE("TimeoutStopSec= bounds each ExecStop= command; one that times out skips the rest and SIGTERM follows",
          "[supervisor][timeout][hooks]") {
  // TimeoutStopSec=: "it configures the time to wait for each ExecStop=
  // command. If any of them times out, subsequent ExecStop= commands are
  // skipped and the service will be terminated by SIGTERM."
  Unit u = unit_of(ServiceType::Simple);
  u.timeout_stop = 4 * kSec;
  u.exec_stop = {command("/bin/stop-one"), command("/bin/stop-two")};
  Driver d(u);
  bring_up(d);
  d.stop();
  CHECK(d.steps() == Lines{"watchdog off", "unwatch pidfile", "notify STOPPING=1", d.timer_in(4 * kSec),
                           "spawn ExecStop[0] SERVICE_RESULT=success"});
  CHECK(d.sv().sub_state() == S::Stop);
  d.fire_timer();
  CHECK(d.steps() == Lines{"kill control SIGKILL"});
  d.control_exits(killed(SIGKILL));
  CHECK(d.steps() == Lines{"timer off", "kill tree SIGTERM", d.timer_in(4 * kSec), "kill tree SIGTERM (new)"});
  CHECK(d.count_prefix("spawn ExecStop[1]") == 0);
  CHECK(d.sv().sub_state() == S::StopSigterm);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  d.main_exits(killed(SIGTERM));
  CHECK(d.sv().done());
}

TEST_CASE("TimeoutStopSec= bounds ExecStopPost= too: killed, and the run's Result= is timeout",
          "[supervisor][timeout][hooks]") {
  // systemd's service_dispatch_timer(): "State 'stop-post' timed out.
  // Terminating." with SERVICE_FAILURE_TIMEOUT.
  Unit u = unit_of(ServiceType::Simple);
  u.timeout_stop = 3 * kSec;
  u.exec_stop_post = {command("/bin/slow-cleanup"), command("/bin/never")};
  Driver d(u);
  bring_up(d);
  d.stop();
  d.main_exits(killed(SIGTERM));
  REQUIRE(d.sv().sub_state() == S::StopPost);
  CHECK(d.timer() == d.now + 3 * kSec);
  d.take();
  d.fire_timer();
  CHECK(d.steps() == Lines{"kill control SIGKILL"});
  d.control_exits(killed(SIGKILL));
  CHECK(d.count_prefix("spawn ExecStopPost[1]") == 0);
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.sv().result() == ServiceResult::Timeout);
}

TEST_CASE("KillMode=: who gets which signal, and when the stop is complete", "[supervisor][kill]") {
  // systemd.kill(5), KillMode=.
  SECTION("control-group: \"all remaining processes in the control group of this unit will be killed\"") {
    Unit u = unit_of(ServiceType::Simple);
    Driver d(u);
    bring_up(d);
    d.others = 2;
    d.stop();
    CHECK(d.logged("kill tree SIGTERM"));
    d.take();
    d.main_exits(killed(SIGTERM));
    // Processes forked meanwhile get their SIGTERM too, at each event (the
    // MainExited and the Reaped of one SIGCHLD); the stop waits for all.
    CHECK(d.steps() == Lines{"kill tree SIGTERM (new)", "kill tree SIGTERM (new)"});
    CHECK(d.sv().sub_state() == S::StopSigterm);
    d.other_exits();
    CHECK(d.steps() == Lines{"kill tree SIGTERM (new)"});
    CHECK(d.sv().sub_state() == S::StopSigterm);
    d.fire_timer();
    CHECK(d.steps() == Lines{"kill tree SIGKILL", d.timer_in(90 * kSec)});
    d.other_exits();
    CHECK(d.sv().done());
  }
  SECTION("process: \"only the main process itself is killed\"; the stop is over once it is gone") {
    Unit u = unit_of(ServiceType::Simple);
    u.kill_mode = KillMode::Process;
    u.exec_stop_post = {command("/bin/cleanup")};
    Driver d(u);
    bring_up(d);
    d.others = 2;
    d.stop();
    CHECK(d.logged("kill main+control SIGTERM"));
    d.take();
    d.fire_timer();
    CHECK(d.steps() == Lines{"kill main+control SIGKILL", d.timer_in(90 * kSec)});
    d.main_exits(killed(SIGKILL));
    CHECK(d.sv().sub_state() == S::StopPost);
    d.control_exits(exited(0));
    // The two others are left alone, even after ExecStopPost=.
    CHECK(d.sv().done());
    CHECK(d.others == 2);
    CHECK(d.count_prefix("kill tree") == 0);
  }
  SECTION("mixed: KillSignal= to the main process, then FinalKillSignal= to the rest once it has exited") {
    // "If processes still remain after: the main process of a unit has
    // exited (applies to KillMode=: mixed) ... the termination request is
    // repeated with the SIGKILL signal or the signal specified via
    // FinalKillSignal=".
    Unit u = unit_of(ServiceType::Simple);
    u.kill_mode = KillMode::Mixed;
    u.final_kill_signal = SIGQUIT;
    Driver d(u);
    bring_up(d);
    d.others = 2;
    d.stop();
    CHECK(d.logged("kill main+control SIGTERM"));
    CHECK(d.count_prefix("kill tree") == 0);
    d.take();
    d.main_exits(killed(SIGTERM));
    CHECK(d.steps() == Lines{"kill tree-but-main SIGQUIT", "kill tree-but-main SIGQUIT (new)"});
    d.other_exits();
    CHECK(d.steps() == Lines{"kill tree-but-main SIGQUIT (new)"});
    d.other_exits();
    CHECK(d.sv().done());
    CHECK(d.sv().result() == ServiceResult::Success);
  }
  SECTION("mixed with SendSIGKILL=no: the rest get nothing more, the timeout leaves them") {
    Unit u = unit_of(ServiceType::Simple);
    u.kill_mode = KillMode::Mixed;
    u.send_sigkill = false;
    Driver d(u);
    bring_up(d);
    d.others = 1;
    d.stop();
    d.main_exits(killed(SIGTERM));
    CHECK(d.count_prefix("kill tree") == 0);
    CHECK(d.sv().sub_state() == S::StopSigterm);
    d.fire_timer();
    CHECK(d.sv().done());
    CHECK(d.others == 1);
  }
}

TEST_CASE("EXTEND_TIMEOUT_USEC=: the phase timer moves only when the extension ends later", "[supervisor][notify]") {
  // sd_notify(3), EXTEND_TIMEOUT_USEC=: "Tells the service manager to
  // extend the startup, runtime or shutdown service timeout corresponding
  // the current state. The value specified is a time in microseconds during
  // which the service must send a new message."
  Unit u = unit_of(ServiceType::Notify);
  u.timeout_start = 10 * kSec;
  u.timeout_stop = 10 * kSec;
  Driver d(u);
  d.start();
  d.take();
  d.advance(2 * kSec);
  d.notify(K::ExtendTimeout, 5 * kSec);  // 2 + 5 = 7 < 10: no change
  CHECK(d.steps().empty());
  CHECK(d.timer() == kT0 + 10 * kSec);
  d.notify(K::ExtendTimeout, 20 * kSec);  // 22 > 10
  CHECK(d.steps() == Lines{d.timer_in(20 * kSec)});
  CHECK(d.timer() == kT0 + 22 * kSec);
  d.advance(15 * kSec);                  // past TimeoutStartSec=, within the extension
  d.notify(K::ExtendTimeout, 1 * kSec);  // ends before the current deadline
  CHECK(d.timer() == kT0 + 22 * kSec);
  d.notify(K::ExtendTimeout, kInfinity);  // ignored, never "forever"
  CHECK(d.timer() == kT0 + 22 * kSec);
  d.notify(K::Ready);
  CHECK(d.sv().sub_state() == S::Running);
  // Running has no timer to extend.
  d.notify(K::ExtendTimeout, 30 * kSec);
  CHECK(d.timer() == 0);
  // The stop does: "shutdown service timeout".
  d.stop();
  CHECK(d.timer() == d.now + 10 * kSec);
  d.notify(K::ExtendTimeout, 60 * kSec);
  CHECK(d.timer() == d.now + 60 * kSec);
  d.fire_timer();
  CHECK(d.sv().sub_state() == S::StopSigkill);
}

TEST_CASE("EXTEND_TIMEOUT_USEC= and no READY=1 after it: the start fails when the extension ends",
          "[supervisor][notify][timeout]") {
  Unit u = unit_of(ServiceType::Notify);
  u.timeout_start = 1 * kSec;
  Driver d(u);
  d.start();
  d.advance(100 * kMs);
  d.notify(K::ExtendTimeout, 2 * kSec);
  d.fire_timer();
  CHECK(d.now == kT0 + 2100 * kMs);  // not kT0 + 1 s
  CHECK(d.sv().result() == ServiceResult::Timeout);
  CHECK(d.sv().sub_state() == S::StopSigterm);
}

// ---------------------------------------------------------------- the watchdog

TEST_CASE("WatchdogSec=: armed at running, re-armed by WATCHDOG=1, its timeout is a stop by SIGABRT without ExecStop=",
          "[supervisor][watchdog]") {
  // systemd.service(5), WatchdogSec=: "The watchdog is activated when the
  // start-up is completed. The service must call sd_notify(3) regularly
  // with "WATCHDOG=1" ... If the time between two such calls is larger than
  // the configured time, then the service is placed in a failed state and
  // it will be terminated with SIGABRT".
  Unit u = unit_of(ServiceType::Notify);
  u.watchdog_sec = 2 * kSec;
  u.exec_stop = {command("/bin/stop")};
  u.exec_stop_post = {command("/bin/post")};
  Driver d(u);
  d.start();
  d.notify(K::WatchdogPing);  // before READY=1: no watchdog yet
  CHECK(d.watchdog() == 0);
  d.advance(1 * kSec);
  d.notify(K::Ready);
  CHECK(d.watchdog() == d.now + 2 * kSec);
  CHECK(d.sv().healthy(d.now));
  d.advance(1500 * kMs);
  d.take();
  d.notify(K::WatchdogPing);
  CHECK(d.steps() == Lines{d.watchdog_in(2 * kSec)});
  d.advance(1999 * kMs);
  CHECK(d.sv().healthy(d.now));
  d.fire_watchdog();
  CHECK(d.mentions("watchdog timeout (no WATCHDOG=1 for 2s); sending SIGABRT"));
  CHECK(d.steps() ==
        Lines{"watchdog off", "unwatch pidfile", "notify STOPPING=1", "kill tree SIGABRT", d.timer_in(90 * kSec)});
  CHECK(d.sv().sub_state() == S::StopWatchdog);
  CHECK(d.sv().result() == ServiceResult::Watchdog);
  d.main_exits(dumped(SIGABRT));
  // ExecStop= is not for a watchdog stop (systemd's service_enter_signal
  // with SERVICE_STOP_WATCHDOG); ExecStopPost= always runs.
  CHECK(d.count_prefix("spawn ExecStop[") == 0);
  CHECK(d.steps() == Lines{"timer off", d.timer_in(90 * kSec),
                           "spawn ExecStopPost[0] SERVICE_RESULT=watchdog EXIT_CODE=dumped EXIT_STATUS=ABRT"});
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.sv().exit_status() == 128 + SIGABRT);
}

TEST_CASE("WatchdogSec=: a service that keeps pinging is never stopped", "[supervisor][watchdog]") {
  Unit u = with_restart(unit_of(ServiceType::Notify), RestartPolicy::Always);
  u.watchdog_sec = 1 * kSec;
  Driver d(u);
  bring_up(d);
  for (int i = 0; i < 1000; ++i) {
    d.advance(999 * kMs);
    REQUIRE(d.now < d.watchdog());
    d.notify(K::WatchdogPing);
  }
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.sv().restarts() == 0);
  CHECK(d.count_prefix("kill") == 0);
}

TEST_CASE("WatchdogSec=: a hung service that ignores SIGABRT gets FinalKillSignal= after TimeoutStopSec=",
          "[supervisor][watchdog][timeout]") {
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::OnWatchdog);
  u.watchdog_sec = 1 * kSec;
  u.timeout_stop = 1 * kSec;
  Driver d(u);
  bring_up(d);
  d.fire_watchdog();
  d.take();
  d.fire_timer();
  CHECK(d.steps() == Lines{"kill tree SIGKILL", d.timer_in(1 * kSec)});
  CHECK(d.mentions("did not stop within 1s of SIGABRT; sending SIGKILL"));
  d.main_exits(killed(SIGKILL));
  // Still the watchdog's doing: Restart=on-watchdog restarts.
  CHECK(d.sv().result() == ServiceResult::Watchdog);
  CHECK(d.sv().sub_state() == S::AutoRestart);
}

TEST_CASE("WATCHDOG=trigger: the watchdog's action at once, with or without WatchdogSec=", "[supervisor][watchdog]") {
  // sd_notify(3), WATCHDOG=trigger: "This will trigger the same behaviour
  // as if WatchdogSec= is enabled and the service did not send "WATCHDOG=1"
  // in time. Note that WatchdogSec= does not need to be enabled for
  // "WATCHDOG=trigger" to trigger the watchdog action."
  for (Usec watchdog : {Usec{0}, 30 * kSec}) {
    INFO("WatchdogSec=" << watchdog);
    Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::OnWatchdog);
    u.watchdog_sec = watchdog;
    Driver d(u);
    bring_up(d);
    d.notify(K::WatchdogTrigger);
    CHECK(d.mentions("watchdog triggered by the service (WATCHDOG=trigger); sending SIGABRT"));
    CHECK(d.logged("kill tree SIGABRT"));
    CHECK(d.sv().sub_state() == S::StopWatchdog);
    CHECK(d.sv().result() == ServiceResult::Watchdog);
    d.main_exits(killed(SIGABRT));
    CHECK(d.sv().sub_state() == S::AutoRestart);
  }
}

TEST_CASE("WATCHDOG_USEC=: the service sets its own watchdog interval", "[supervisor][watchdog][notify]") {
  // sd_notify(3), WATCHDOG_USEC=: "Reset watchdog_usec value during
  // runtime."
  SECTION("while running: the next deadline is the new interval away, and so are those after pings") {
    Unit u = unit_of(ServiceType::Simple);
    u.watchdog_sec = 2 * kSec;
    Driver d(u);
    bring_up(d);
    d.notify(K::WatchdogUsec, 10 * kSec);
    CHECK(d.watchdog() == d.now + 10 * kSec);
    d.advance(8 * kSec);
    d.notify(K::WatchdogPing);
    CHECK(d.watchdog() == d.now + 10 * kSec);
    CHECK(d.sv().healthy(d.now + 9 * kSec));
  }
  SECTION("without WatchdogSec=: it turns the watchdog on") {
    Driver d(unit_of(ServiceType::Simple));
    bring_up(d);
    CHECK(d.watchdog() == 0);
    d.notify(K::WatchdogUsec, 3 * kSec);
    CHECK(d.watchdog() == d.now + 3 * kSec);
    d.fire_watchdog();
    CHECK(d.sv().sub_state() == S::StopWatchdog);
  }
  SECTION("in the datagram that carries READY=1: the new interval applies from the start of running") {
    // The loop queues WATCHDOG_USEC= before READY=1 (monitor.cc, on_notify).
    Unit u = unit_of(ServiceType::Notify);
    u.watchdog_sec = 2 * kSec;
    Driver d(u);
    d.start();
    Event usec;
    usec.kind = K::WatchdogUsec;
    usec.usec = 20 * kSec;
    Event ready;
    ready.kind = K::Ready;
    d.feed({usec, ready});
    REQUIRE(d.sv().sub_state() == S::Running);
    CHECK(d.watchdog() == d.now + 20 * kSec);
  }
  SECTION("it lasts one run: a restart begins with WatchdogSec= again (systemd's service_start resets it)") {
    Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always);
    u.watchdog_sec = 2 * kSec;
    Driver d(u);
    bring_up(d);
    d.notify(K::WatchdogUsec, 20 * kSec);
    d.main_exits(exited(0));
    d.fire_timer();
    REQUIRE(d.sv().sub_state() == S::Running);
    CHECK(d.watchdog() == d.now + 2 * kSec);
  }
  SECTION("it lasts one run: without WatchdogSec=, the next run has no watchdog, pings or not") {
    Driver d(with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always));
    bring_up(d);
    d.notify(K::WatchdogUsec, 3 * kSec);
    REQUIRE(d.watchdog() != 0);
    d.main_exits(exited(0));
    d.fire_timer();
    REQUIRE(d.sv().sub_state() == S::Running);
    d.notify(K::WatchdogPing);
    CHECK(d.watchdog() == 0);
  }
}

TEST_CASE("the watchdog: a stale expiry, and one while nothing is watched, change nothing", "[supervisor][watchdog]") {
  Unit u = unit_of(ServiceType::Simple);
  Driver d(u);
  bring_up(d);
  d.send(K::WatchdogTimeout);  // no WatchdogSec=, nothing armed
  CHECK(d.take().empty());
  CHECK(d.sv().sub_state() == S::Running);
}

TEST_CASE("the watchdog under systemd: when nothing here restarts the service, systemd hears WATCHDOG=trigger",
          "[supervisor][watchdog][upstream]") {
  // Result=watchdog for systemd's own unit, not only our exit status.
  for (RestartPolicy p : {RestartPolicy::No, RestartPolicy::OnWatchdog}) {
    INFO("Restart=" << to_string(p));
    Unit u = with_restart(unit_of(ServiceType::Simple), p);
    u.watchdog_sec = 1 * kSec;
    Driver d(u, SupervisorOptions{false, true});
    bring_up(d);
    d.fire_watchdog();
    CHECK(d.logged("notify WATCHDOG=trigger") == (p == RestartPolicy::No));
    CHECK_FALSE(d.logged("notify STOPPING=1"));
  }
}

// ---------------------------------------------------------------- notify fields

TEST_CASE("RELOADING=1 ... READY=1: a reload the service does on its own", "[supervisor][notify][reload]") {
  // sd_notify(3), RELOADING=1: "Tells the service manager that the service
  // is beginning to reload its configuration ... The service must also send
  // READY=1 once it is done reloading".
  Unit u = unit_of(ServiceType::Notify);
  u.timeout_start = 30 * kSec;
  Driver d(u);
  bring_up(d);
  d.notify(K::Reloading);
  CHECK(d.steps() == Lines{"notify RELOADING=1", d.timer_in(30 * kSec)});
  CHECK(d.sv().sub_state() == S::Reload);
  CHECK(d.sv().active_state() == ActiveState::Reloading);
  d.advance(3 * kSec);
  d.notify(K::Ready);
  CHECK(d.steps() == Lines{"timer off", "notify READY=1"});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.mentions("reloaded"));
  CHECK(d.replies.empty());  // nobody asked
}

TEST_CASE("RELOADING=1 without READY=1: TimeoutStartSec= ends it, a waiting reload request fails, the unit runs on",
          "[supervisor][notify][reload]") {
  Unit u = unit_of(ServiceType::Notify);
  u.timeout_start = 2 * kSec;
  Driver d(u);
  bring_up(d);
  d.notify(K::Reloading);
  d.reload();  // joins the reload in progress
  CHECK(d.count_prefix("spawn ExecReload") == 0);
  d.fire_timer();
  CHECK(d.mentions("reload timed out without READY=1"));
  REQUIRE(d.replies.size() == 1);
  CHECK_FALSE(d.replies[0].ok);
  CHECK(d.replies[0].code == exit_code::kFailure);
  CHECK(d.replies[0].message == "no READY=1 within 2s of RELOADING=1");
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.sv().has_main());
}

TEST_CASE("RELOADING=1 during ExecReload=: the reply follows the command, the phase waits for READY=1",
          "[supervisor][notify][reload]") {
  Unit u = unit_of(ServiceType::Notify);
  u.exec_reload = {command("/bin/kill -HUP $MAINPID")};
  u.timeout_start = 30 * kSec;
  Driver d(u);
  bring_up(d);
  d.reload();
  d.notify(K::Reloading);  // the service heard the SIGHUP
  d.advance(1 * kSec);
  d.control_exits(exited(0));
  REQUIRE(d.replies.size() == 1);
  CHECK(d.replies[0].ok);
  CHECK(d.sv().sub_state() == S::Reload);
  CHECK(d.timer() == d.now + 30 * kSec);
  d.notify(K::Ready);
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.timer() == 0);
  CHECK(d.replies.size() == 1);
}

TEST_CASE("STOPPING=1 is recorded, and changes nothing else", "[supervisor][notify]") {
  // sd_notify(3), STOPPING=1: "Tells the service manager that the service
  // is beginning its shutdown."
  Driver d(with_restart(unit_of(ServiceType::Notify), RestartPolicy::OnFailure));
  bring_up(d);
  d.notify(K::Stopping);
  CHECK(d.take() == Lines{"service is stopping (STOPPING=1)"});
  CHECK(d.sv().sub_state() == S::Running);
  d.main_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Dead);
}

// ---------------------------------------------------------------- Type=forking

TEST_CASE("Type=forking: how the start can fail", "[supervisor][forking]") {
  SECTION("the parent exits non-zero: the start fails, the daemon it left is killed") {
    Driver d(unit_of(ServiceType::Forking));
    d.start();
    d.others = 1;
    d.main_exits(exited(1));
    CHECK(d.sv().sub_state() == S::StopSigterm);
    CHECK(d.logged("kill tree SIGTERM"));
    CHECK(d.sv().result() == ServiceResult::ExitCode);
    d.other_exits();
    CHECK(d.sv().done());
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "the service exited, code=1 while starting");
  }
  SECTION("'-' on ExecStart=: the parent's exit status does not matter") {
    // systemd.service(5): "If the executable path is prefixed with "-", an
    // exit code of the command normally considered a failure ... is
    // recorded, but has no further effect".
    Unit u = unit_of(ServiceType::Forking);
    u.exec_start = {command("/usr/bin/pg_ctlcluster 15 main start", true)};
    Driver d(u);
    d.start();
    d.others = 1;
    d.main_exits(exited(1));
    CHECK(d.logged("watch pidfile"));
    d.pidfile_adopted();
    CHECK(d.sv().sub_state() == S::Running);
  }
  SECTION("the parent exits 0 and left no process: a failure at once (protocol), not at the timeout") {
    Driver d(unit_of(ServiceType::Forking));
    d.start();
    d.main_exits(exited(0));
    CHECK(d.now == kT0);
    CHECK(d.sv().done());
    CHECK(d.sv().result() == ServiceResult::Protocol);
    CHECK_FALSE(d.logged("watch pidfile"));
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "the forking command exited, code=0 and left no process behind");
  }
  SECTION("the daemon dies before its pidfile names it: a failure when the last process is reaped") {
    Driver d(unit_of(ServiceType::Forking));
    d.start();
    d.others = 1;
    d.main_exits(exited(0));
    REQUIRE(d.sv().sub_state() == S::Start);
    d.other_exits();
    CHECK(d.sv().done());
    CHECK(d.sv().result() == ServiceResult::Protocol);
    CHECK(d.now == kT0);
  }
  SECTION("the pidfile names a process that is not the unit's: refused, the start fails") {
    Driver d(unit_of(ServiceType::Forking));
    d.start();
    d.others = 1;
    d.main_exits(exited(0));
    d.pidfile_refused("PIDFile /run/svc.pid: refusing PID 1: not a live process of this unit");
    CHECK(d.sv().result() == ServiceResult::Protocol);
    CHECK(d.logged("kill tree SIGTERM"));
    d.other_exits();
    CHECK(d.sv().done());
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "PIDFile /run/svc.pid: refusing PID 1: not a live process of this unit");
  }
  SECTION("no pidfile within TimeoutStartSec=: timeout") {
    Unit u = unit_of(ServiceType::Forking);
    u.timeout_start = 2 * kSec;
    Driver d(u);
    d.start();
    d.others = 1;
    d.main_exits(exited(0));
    d.fire_timer();
    CHECK(d.sv().result() == ServiceResult::Timeout);
    CHECK(d.logged("kill tree SIGTERM"));
  }
}

TEST_CASE("Type=forking with ExecStartPre=: reaping the pre command is not the loss of the daemon",
          "[supervisor][forking][hooks]") {
  // The loop queues ControlExited and Reaped together; the forking command
  // is spawned (RemoveStalePidfile, SpawnMain) only after that Reaped, when
  // the monitor has no child at all for a moment. That is no reason to fail.
  Unit u = unit_of(ServiceType::Forking);
  u.exec_start_pre = {command("/bin/pre")};
  Driver d(u);
  d.start();
  d.control_exits(exited(0));
  CHECK(d.sv().sub_state() == S::Start);
  CHECK(d.logged("spawn main"));
  CHECK_FALSE(d.mentions("start failed"));
  d.others = 1;
  d.main_exits(exited(0));
  d.pidfile_adopted();
  CHECK(d.sv().sub_state() == S::Running);
}

TEST_CASE("Type=forking: the main process exits while running; PIDFile= is read again", "[supervisor][forking]") {
  SECTION("it names a new main process (a binary upgrade): the unit runs on, no restart, no ExecStop=") {
    Unit u = with_restart(unit_of(ServiceType::Forking), RestartPolicy::Always);
    u.exec_stop = {command("/bin/stop")};
    Driver d(u);
    bring_up(d);
    d.others = 1;  // the new master, forked by the old one
    d.pidfile_names_new_main = true;
    d.main_exits(exited(0));
    CHECK(d.steps() == Lines{"watchdog off", "recheck pidfile"});
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.sv().has_main());
    CHECK(d.sv().restarts() == 0);
    // The new main process is supervised like the first.
    d.pidfile_names_new_main = false;
    d.main_exits(killed(SIGKILL));
    CHECK(d.sv().sub_state() == S::Stop);  // ExecStop=, then Restart=
  }
  SECTION("it names no live process: the service has ended, Restart= decides") {
    Driver d(with_restart(unit_of(ServiceType::Forking), RestartPolicy::OnFailure));
    bring_up(d);
    d.main_exits(killed(SIGKILL));
    CHECK(d.logged("recheck pidfile"));
    CHECK(d.sv().result() == ServiceResult::Signal);
    CHECK(d.sv().sub_state() == S::AutoRestart);
  }
}

// ---------------------------------------------------------------- Type=oneshot

TEST_CASE("Type=oneshot: a failing command fails the start; '-' ignores a failure", "[supervisor][oneshot]") {
  SECTION("the first of two exits 4: the second never runs, the start fails (exit-code)") {
    Unit u = unit_of(ServiceType::Oneshot);
    u.exec_start = {command("/bin/first"), command("/bin/second")};
    u.exec_stop = {command("/bin/stop")};
    u.exec_stop_post = {command("/bin/post")};
    Driver d(u);
    d.start();
    d.control_exits(exited(4));
    CHECK(d.count_prefix("spawn ExecStart[1]") == 0);
    CHECK(d.count_prefix("spawn ExecStop[") == 0);  // the start failed
    CHECK(d.logged("spawn ExecStopPost[0] SERVICE_RESULT=exit-code EXIT_CODE=exited EXIT_STATUS=4"));
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
    CHECK(d.sv().result() == ServiceResult::ExitCode);
    REQUIRE(d.reports.size() == 1);
    CHECK_FALSE(d.reports[0].ok);
    CHECK(d.reports[0].code == exit_code::kFailure);
    CHECK(d.reports[0].message == "ExecStart '/bin/first' exited, code=4");
  }
  SECTION("'-': the failure is noted, the next command runs, the start succeeds") {
    Unit u = unit_of(ServiceType::Oneshot);
    u.exec_start = {command("/bin/first", true), command("/bin/second")};
    Driver d(u);
    d.start();
    d.control_exits(exited(1));
    CHECK(d.logged("spawn ExecStart[1]"));
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.sv().result() == ServiceResult::Success);
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].ok);
  }
  SECTION("a command that cannot be executed: not installed, 5") {
    Driver d(unit_of(ServiceType::Oneshot));
    d.fail(Step::SpawnControl, "exec /usr/bin/svc: No such file or directory", true);
    d.start();
    CHECK(d.sv().done());
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].code == exit_code::kNotInstalled);
    CHECK(d.sv().exit_status() == exit_code::kNotInstalled);
  }
  SECTION("SIGTERM is not a clean end for a oneshot") {
    // systemd.service(5): a clean exit means "for types other than
    // Type=oneshot, one of the signals SIGHUP, SIGINT, SIGTERM, or SIGPIPE".
    Driver d(unit_of(ServiceType::Oneshot));
    d.start();
    d.control_exits(killed(SIGTERM));
    CHECK(d.sv().result() == ServiceResult::Signal);
    CHECK(d.sv().sub_state() == S::Failed);
  }
}

TEST_CASE("Type=oneshot: TimeoutStartSec= applies only when it is set", "[supervisor][oneshot][timeout]") {
  // TimeoutStartSec=: "Defaults to DefaultTimeoutStartSec= ... except when
  // Type=oneshot is used, in which case the timeout is disabled by default".
  for (const char* key : {"Service.TimeoutStartSec", "Service.TimeoutSec"}) {
    INFO(key);
    Unit u = unit_of(ServiceType::Oneshot);
    u.timeout_start = 5 * kSec;
    set_key(u, key);
    Driver d(u);
    d.start();
    CHECK(d.timer() == kT0 + 5 * kSec);
    d.take();
    d.fire_timer();
    CHECK(d.steps().at(0) == "kill control SIGKILL");
    CHECK(d.mentions("start failed: ExecStart timed out"));
    CHECK(d.sv().result() == ServiceResult::Timeout);
    d.control_exits(killed(SIGKILL));
    CHECK(d.sv().done());
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "ExecStart timed out");
  }
  Unit unset = unit_of(ServiceType::Oneshot);
  unset.timeout_start = 5 * kSec;  // the default's value, not set in the file
  Driver d(unset);
  d.start();
  CHECK(d.timer() == 0);
}

// ---------------------------------------------------------------- Exec*= hooks

TEST_CASE("Exec*= commands run in systemd's order over a whole life", "[supervisor][hooks]") {
  // systemd.service(5): ExecStartPre=, ExecStart=, ExecStartPost=, then
  // ExecReload= on request, ExecStop=, ExecStopPost=; '-' lets a failure
  // pass.
  Unit u = unit_of(ServiceType::Simple);
  u.exec_start_pre = {command("/bin/pre1"), command("/bin/false", true), command("/bin/pre2")};
  u.exec_start_post = {command("/bin/post-start")};
  u.exec_reload = {command("/bin/reload")};
  u.exec_stop = {command("/bin/stop"), command("/bin/false", true)};
  u.exec_stop_post = {command("/bin/post")};
  Driver d(u);
  d.start();
  d.control_exits(exited(0));
  d.control_exits(exited(1));  // '-'
  d.control_exits(exited(0));
  REQUIRE(d.sv().sub_state() == S::StartPost);
  d.control_exits(exited(0));
  REQUIRE(d.sv().sub_state() == S::Running);
  d.reload();
  d.control_exits(exited(0));
  d.stop();
  d.control_exits(exited(0));
  d.control_exits(exited(1));  // '-'
  d.main_exits(killed(SIGTERM));
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Dead);
  Lines spawned;
  for (const std::string& l : d.log())
    if (l.rfind("spawn ", 0) == 0) spawned.push_back(l);
  CHECK(spawned == Lines{"spawn ExecStartPre[0]", "spawn ExecStartPre[1]", "spawn ExecStartPre[2]", "spawn main",
                         "spawn ExecStartPost[0]", "spawn ExecReload[0]", "spawn ExecStop[0] SERVICE_RESULT=success",
                         "spawn ExecStop[1] SERVICE_RESULT=success",
                         "spawn ExecStopPost[0] SERVICE_RESULT=success EXIT_CODE=killed EXIT_STATUS=TERM"});
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].ok);
}

TEST_CASE("ExecStartPre=: a failure fails the start before ExecStart=; ExecStop= is skipped, ExecStopPost= runs",
          "[supervisor][hooks]") {
  // systemd.service(5): "ExecStart= commands are only run after all
  // ExecStartPre= commands that were not prefixed with a "-" exit
  // successfully"; "if any of the commands specified in ExecStartPre=,
  // ExecStart=, or ExecStartPost= fail (and are not prefixed with "-" ...)
  // or time out before the service is fully up, execution continues with
  // commands specified in ExecStopPost=, the commands in ExecStop= are
  // skipped."
  Unit u = unit_of(ServiceType::Simple);
  u.exec_start_pre = {command("/bin/pre1"), command("/bin/pre2"), command("/bin/pre3")};
  u.exec_stop = {command("/bin/stop")};
  u.exec_stop_post = {command("/bin/post")};
  Driver d(u);
  d.start();
  CHECK(d.steps() == Lines{"prepare", d.timer_in(90 * kSec), "spawn ExecStartPre[0]"});
  CHECK(d.sv().sub_state() == S::StartPre);
  CHECK(d.sv().running_list() == CommandList::StartPre);
  d.control_exits(exited(0));
  CHECK(d.steps() == Lines{"timer off", d.timer_in(90 * kSec), "spawn ExecStartPre[1]"});
  d.control_exits(exited(7));
  CHECK(d.steps() == Lines{"timer off", "timer off", "watchdog off", "unwatch pidfile", "notify STOPPING=1",
                           "timer off", d.timer_in(90 * kSec), "spawn ExecStopPost[0] SERVICE_RESULT=exit-code"});
  CHECK(d.sv().result() == ServiceResult::ExitCode);
  CHECK(d.reports.empty());
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Failed);
  CHECK(d.count("spawn main") == 0);
  CHECK(d.count_prefix("spawn ExecStartPre[2]") == 0);
  CHECK(d.count_prefix("spawn ExecStop[") == 0);
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].code == exit_code::kFailure);
  CHECK(d.reports[0].message == "ExecStartPre '/bin/pre2' exited, code=7");
  CHECK(d.sv().exit_status() == exit_code::kFailure);
}

TEST_CASE("ExecStartPre=: the ways a command can fail, and '-'", "[supervisor][hooks]") {
  struct Row {
    const char* why;
    bool ignore_failure;                // '-'
    std::function<void(Driver&)> fail;  // how ExecStartPre[0] fails (it is running, or about to be spawned)
    bool spawn_fails;                   // the failure is a StepFailed on SpawnControl
    bool start_goes_on;
    int code;  // the report's LSB code when the start fails
    ServiceResult result;
  };
  const std::vector<Row> rows = {
      {"exits 1", false, [](Driver& d) { d.control_exits(exited(1)); }, false, false, exit_code::kFailure,
       ServiceResult::ExitCode},
      {"killed by SIGSEGV", false, [](Driver& d) { d.control_exits(killed(SIGSEGV)); }, false, false,
       exit_code::kFailure, ServiceResult::Signal},
      {"not installed (LSB 5, \"program is not installed\")", false, nullptr, true, false, exit_code::kNotInstalled,
       ServiceResult::ExitCode},
      {"TimeoutStartSec= passes: \"or time out\"", false,
       [](Driver& d) {
         d.fire_timer();
         CHECK(d.logged("kill control SIGKILL"));
         d.control_exits(killed(SIGKILL));
       },
       false, false, exit_code::kFailure, ServiceResult::Timeout},
      {"'-' and exits 1: \"has no further effect\"", true, [](Driver& d) { d.control_exits(exited(1)); }, false, true,
       0, ServiceResult::Success},
      {"'-' and not installed", true, nullptr, true, true, 0, ServiceResult::Success},
      {"'-' and a timeout: a timeout is never ignored", true,
       [](Driver& d) {
         d.fire_timer();
         d.control_exits(killed(SIGKILL));
       },
       false, false, exit_code::kFailure, ServiceResult::Timeout},
  };
  for (const Row& row : rows) {
    INFO(row.why);
    Unit u = unit_of(ServiceType::Simple);
    u.exec_start_pre = {command("/bin/pre", row.ignore_failure)};
    u.timeout_start = 3 * kSec;
    Driver d(u);
    if (row.spawn_fails) d.fail(Step::SpawnControl, "exec /bin/pre: No such file or directory", true);
    d.start();
    if (row.fail) row.fail(d);
    if (row.start_goes_on) {
      CHECK(d.sv().sub_state() == S::Running);
      CHECK(d.logged("spawn main"));
      continue;
    }
    CHECK(d.sv().done());
    CHECK(d.sv().result() == row.result);
    CHECK(d.count("spawn main") == 0);
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].code == row.code);
    CHECK(d.sv().exit_status() == row.code);
  }
}

TEST_CASE("ExecStartPost=: runs after the main process is up; its failure fails the start and stops the service",
          "[supervisor][hooks]") {
  // "ExecStartPost= commands are only run after the commands specified in
  // ExecStart= have been invoked successfully, as determined by Type=".
  Unit u = unit_of(ServiceType::Notify);
  u.exec_start_post = {command("/bin/post-start")};
  u.exec_stop = {command("/bin/stop")};
  u.exec_stop_post = {command("/bin/post")};
  Driver d(u);
  d.start();
  CHECK(d.count_prefix("spawn ExecStartPost") == 0);  // not before READY=1
  d.notify(K::Ready);
  CHECK(d.steps().back() == "spawn ExecStartPost[0]");
  CHECK(d.sv().sub_state() == S::StartPost);
  CHECK(d.reports.empty());
  d.control_exits(exited(2));
  CHECK(d.logged("kill tree SIGTERM"));
  CHECK(d.count_prefix("spawn ExecStop[") == 0);
  CHECK(d.sv().result() == ServiceResult::ExitCode);
  d.main_exits(killed(SIGTERM));
  CHECK(d.logged("spawn ExecStopPost[0] SERVICE_RESULT=exit-code EXIT_CODE=killed EXIT_STATUS=TERM"));
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].message == "ExecStartPost '/bin/post-start' exited, code=2");
}

TEST_CASE("ExecStartPost=: a program that is not installed fails the start with 5", "[supervisor][hooks]") {
  Unit u = unit_of(ServiceType::Simple);
  u.exec_start_post = {command("/bin/missing")};
  Driver d(u);
  d.fail(Step::SpawnControl, "exec /bin/missing: No such file or directory", true);
  d.start();
  CHECK(d.logged("kill tree SIGTERM"));
  d.main_exits(killed(SIGTERM));
  CHECK(d.sv().done());
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].code == exit_code::kNotInstalled);
  CHECK(d.reports[0].message == "ExecStartPost: exec /bin/missing: No such file or directory");
}

TEST_CASE("ExecStartPost=: the main process exits meanwhile; the command finishes, then the service has ended",
          "[supervisor][hooks]") {
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::OnFailure);
  u.exec_start_post = {command("/bin/post-start")};
  Driver d(u);
  d.start();
  REQUIRE(d.sv().sub_state() == S::StartPost);
  d.main_exits(exited(1));
  CHECK(d.sv().sub_state() == S::StartPost);  // "we keep going until control process is done"
  d.control_exits(exited(0));
  CHECK(d.sv().result() == ServiceResult::ExitCode);
  CHECK(d.sv().sub_state() == S::AutoRestart);
}

TEST_CASE("ExecStop=: runs with the service's result, only after a successful start", "[supervisor][hooks]") {
  // systemd.exec(5), $SERVICE_RESULT: "passed to all ExecStop= and
  // ExecStopPost= processes"; systemd.service(5): "the stop operation is
  // always performed if the service started successfully, even if the
  // processes in the service terminated on their own or were killed."
  SECTION("a stop of a running service") {
    Unit u = unit_of(ServiceType::Simple);
    u.exec_stop = {command("/bin/stop")};
    Driver d(u);
    bring_up(d);
    d.stop();
    CHECK(d.logged("spawn ExecStop[0] SERVICE_RESULT=success"));
    CHECK(d.count_prefix("kill") == 0);  // the command first
    d.control_exits(exited(0));
    CHECK(d.logged("kill tree SIGTERM"));  // then KillMode=, for what is left
    d.main_exits(killed(SIGTERM));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Dead);
  }
  SECTION("the main process ended on its own: ExecStop= runs all the same, and knows how it ended") {
    Unit u = unit_of(ServiceType::Simple);
    u.exec_stop = {command("/bin/stop")};
    Driver d(u);
    bring_up(d);
    d.main_exits(killed(SIGKILL));
    CHECK(d.logged("spawn ExecStop[0] SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=KILL"));
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
  }
}

TEST_CASE("ExecStopPost=: $SERVICE_RESULT, $EXIT_CODE and $EXIT_STATUS for every way the main process can end",
          "[supervisor][hooks]") {
  // systemd.exec(5): "$EXIT_CODE is one of "exited", "killed", "dumped".
  // $EXIT_STATUS contains the numeric exit code formatted as string if
  // $EXIT_CODE is "exited", and the signal name in all other cases"
  // (systemd's signal_to_string(): the name without "SIG", "RTMIN+n", or
  // the number).
  struct Row {
    Termination end;
    std::string environment;
  };
  const std::vector<Row> rows = {
      {exited(0), "SERVICE_RESULT=success EXIT_CODE=exited EXIT_STATUS=0"},
      {exited(3), "SERVICE_RESULT=exit-code EXIT_CODE=exited EXIT_STATUS=3"},
      {exited(255), "SERVICE_RESULT=exit-code EXIT_CODE=exited EXIT_STATUS=255"},
      {killed(SIGTERM), "SERVICE_RESULT=success EXIT_CODE=killed EXIT_STATUS=TERM"},
      {killed(SIGHUP), "SERVICE_RESULT=success EXIT_CODE=killed EXIT_STATUS=HUP"},
      {killed(SIGKILL), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=KILL"},
      {killed(SIGUSR1), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=USR1"},
      {killed(SIGIO), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=IO"},  // glibc says POLL
      {dumped(SIGSEGV), "SERVICE_RESULT=core-dump EXIT_CODE=dumped EXIT_STATUS=SEGV"},
      {dumped(SIGABRT), "SERVICE_RESULT=core-dump EXIT_CODE=dumped EXIT_STATUS=ABRT"},
      // The two signals glibc reserves have no name: numbers.
      {killed(32), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=32"},
      {killed(33), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=33"},
      {killed(SIGRTMIN), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=RTMIN+0"},
      {killed(SIGRTMIN + 3), "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=RTMIN+3"},
      {killed(SIGRTMAX),
       "SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)},
  };
  for (const Row& row : rows) {
    INFO(row.environment);
    Unit u = unit_of(ServiceType::Simple);
    u.exec_stop_post = {command("/bin/post")};
    Driver d(u);
    bring_up(d);
    d.main_exits(row.end);
    REQUIRE(d.spawned_controls.size() == 1);
    CHECK(d.spawned_controls[0].list == CommandList::StopPost);
    CHECK(environment_of(d.spawned_controls[0]) == row.environment);
  }
}

TEST_CASE("crash 2: ExecStopPost= after the main process died of signal 32, which has no name",
          "[supervisor][hooks][regression]") {
  // The old monitor threw std::out_of_range building EXIT_STATUS, and
  // ExecStopPost= never ran.
  Unit u = unit_of(ServiceType::Simple);
  u.exec_stop_post = {command("/bin/post")};
  Driver d(u);
  bring_up(d);
  d.main_exits(killed(32));
  REQUIRE(d.spawned_controls.size() == 1);
  const auto& post = d.spawned_controls[0];
  CHECK(post.list == CommandList::StopPost);
  CHECK(post.index == 0);
  CHECK(post.environment == std::vector<std::pair<std::string, std::string>>{
                                {"SERVICE_RESULT", "signal"}, {"EXIT_CODE", "killed"}, {"EXIT_STATUS", "32"}});
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  CHECK(d.sv().result() == ServiceResult::Signal);
  CHECK(d.sv().exit_status() == 128 + 32);
}

TEST_CASE("ExecStopPost=: runs when the main program could not even be executed; no $EXIT_CODE then",
          "[supervisor][hooks]") {
  // systemd.exec(5): "these environment variables are only set if the
  // service manager succeeded to start and identify the main process".
  Unit u = unit_of(ServiceType::Simple);
  u.exec_stop_post = {command("/bin/post")};
  Driver d(u);
  d.fail(Step::SpawnMain, "exec /usr/bin/svc: Exec format error");
  d.start();
  REQUIRE(d.spawned_controls.size() == 1);
  CHECK(environment_of(d.spawned_controls[0]) == "SERVICE_RESULT=exit-code");
  d.control_exits(exited(0));
  CHECK(d.sv().done());
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].code == exit_code::kFailure);
  CHECK(d.reports[0].message == "exec /usr/bin/svc: Exec format error");
}

TEST_CASE("ExecStopPost=: what it leaves behind gets KillSignal=, then FinalKillSignal= (final-sigterm, final-sigkill)",
          "[supervisor][hooks][kill]") {
  // systemd's service_enter_stop_post → SERVICE_FINAL_SIGTERM →
  // SERVICE_FINAL_SIGKILL (src/core/service.c).
  Unit u = unit_of(ServiceType::Simple);
  u.exec_stop_post = {command("/bin/post")};
  u.timeout_stop = 5 * kSec;
  SECTION("it leaves a process") {
    Driver d(u);
    bring_up(d);
    d.stop();
    d.main_exits(killed(SIGTERM));
    REQUIRE(d.sv().sub_state() == S::StopPost);
    d.others = 1;  // the command's child, still running
    d.take();
    d.control_exits(exited(0));
    CHECK(d.steps() == Lines{"timer off", "kill tree SIGTERM", d.timer_in(5 * kSec), "kill tree SIGTERM (new)"});
    CHECK(d.sv().sub_state() == S::FinalSigterm);
    d.fire_timer();
    CHECK(d.steps() == Lines{"kill tree SIGKILL", d.timer_in(5 * kSec)});
    CHECK(d.sv().sub_state() == S::FinalSigkill);
    CHECK(d.sv().result() == ServiceResult::Timeout);
    d.other_exits();
    CHECK(d.sv().done());
  }
  SECTION("it leaves a process that survives everything: given up on") {
    Driver d(u);
    bring_up(d);
    d.stop();
    d.main_exits(killed(SIGTERM));
    d.others = 1;
    d.control_exits(exited(0));
    d.fire_timer();
    d.fire_timer();
    CHECK(d.mentions("processes survived SIGKILL; giving up on them"));
    CHECK(d.sv().done());
  }
  SECTION("it leaves nothing: no final-sigterm, the stop is over") {
    Driver d(u);
    bring_up(d);
    d.stop();
    d.main_exits(killed(SIGTERM));
    d.take();
    d.control_exits(exited(0));
    CHECK(d.steps() == Lines{"timer off", "timer off", "timer off", "remove pidfile"});
    CHECK(d.sv().done());
    CHECK(d.count_prefix("kill") == 1);
  }
  SECTION("KillMode=process: what is left is left alone") {
    u.kill_mode = KillMode::Process;
    Driver d(u);
    bring_up(d);
    d.stop();
    d.main_exits(killed(SIGTERM));
    d.others = 1;
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.count_prefix("kill tree") == 0);
  }
}

// ---------------------------------------------------------------- reload

TEST_CASE("reload without ExecReload=: refused (3), and nothing else happens", "[supervisor][reload]") {
  // systemd.service(5), ExecReload=: "Use of this setting is optional"; a
  // unit without it cannot be reloaded (systemd's service_can_reload()).
  Driver d(unit_of(ServiceType::Simple));
  bring_up(d);
  d.reload();
  CHECK(d.take() == Lines{"reply fail 3 the unit has no ExecReload=, so it cannot be reloaded (restart it instead)"});
  CHECK(d.sv().sub_state() == S::Running);
  REQUIRE(d.replies.size() == 1);
  CHECK(d.replies[0].code == exit_code::kUnimplemented);
}

TEST_CASE("reload with ExecReload=: the reload phase runs the commands, then replies", "[supervisor][reload]") {
  // ExecReload=: "Commands to execute to trigger a configuration reload in
  // the service"; systemd bounds them with TimeoutStartSec=
  // (service_enter_reload).
  Unit u = unit_of(ServiceType::Simple);
  u.exec_reload = {command("/bin/kill -HUP $MAINPID"), command("/bin/check")};
  u.timeout_start = 20 * kSec;
  Driver d(u, SupervisorOptions{true, true});
  bring_up(d);
  d.reload();
  CHECK(d.steps() == Lines{"notify RELOADING=1", d.timer_in(20 * kSec), "spawn ExecReload[0]"});
  CHECK(d.sv().sub_state() == S::Reload);
  CHECK(d.sv().active_state() == ActiveState::Reloading);
  CHECK(d.sv().running_list() == CommandList::Reload);
  CHECK(d.spawned_controls.back().environment.empty());  // $MAINPID is the loop's
  d.control_exits(exited(0));
  CHECK(d.steps() == Lines{"timer off", d.timer_in(20 * kSec), "spawn ExecReload[1]"});
  CHECK(d.replies.empty());
  d.control_exits(exited(0));
  CHECK(d.steps() == Lines{"timer off", "timer off", "notify READY=1", "reply ok"});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.mentions("reloaded"));
}

TEST_CASE("reload: how ExecReload= can fail; the unit runs on", "[supervisor][reload]") {
  SECTION("a failing command: reply fail 1") {
    Unit u = unit_of(ServiceType::Simple);
    u.exec_reload = {command("/bin/false")};
    Driver d(u);
    bring_up(d);
    d.reload();
    d.control_exits(exited(1));
    REQUIRE(d.replies.size() == 1);
    CHECK_FALSE(d.replies[0].ok);
    CHECK(d.replies[0].code == exit_code::kFailure);
    CHECK(d.replies[0].message == "ExecReload '/bin/false' exited, code=1");
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.sv().result() == ServiceResult::Success);
    CHECK(d.sv().has_main());
  }
  SECTION("'-' on a failing command: the next one runs, the reload succeeds") {
    Unit u = unit_of(ServiceType::Simple);
    u.exec_reload = {command("/bin/false", true), command("/bin/true")};
    Driver d(u);
    bring_up(d);
    d.reload();
    d.control_exits(exited(1));
    d.control_exits(exited(0));
    REQUIRE(d.replies.size() == 1);
    CHECK(d.replies[0].ok);
  }
  SECTION("a command that cannot be executed") {
    Unit u = unit_of(ServiceType::Simple);
    u.exec_reload = {command("/bin/missing")};
    Driver d(u);
    bring_up(d);
    d.fail(Step::SpawnControl, "exec /bin/missing: No such file or directory", true);
    d.reload();
    REQUIRE(d.replies.size() == 1);
    CHECK_FALSE(d.replies[0].ok);
    CHECK(d.sv().sub_state() == S::Running);
  }
  SECTION("TimeoutStartSec= passes: the command is killed, reply fail 1") {
    Unit u = unit_of(ServiceType::Simple);
    u.exec_reload = {command("/bin/slow")};
    u.timeout_start = 3 * kSec;
    Driver d(u);
    bring_up(d);
    d.reload();
    d.fire_timer();
    CHECK(d.logged("kill control SIGKILL"));
    d.control_exits(killed(SIGKILL));
    REQUIRE(d.replies.size() == 1);
    CHECK_FALSE(d.replies[0].ok);
    CHECK(d.replies[0].message == "ExecReload '/bin/slow' timed out");
    CHECK(d.sv().sub_state() == S::Running);
  }
}

TEST_CASE("reload: two requests join one reload, one reply for both", "[supervisor][reload]") {
  Unit u = unit_of(ServiceType::Simple);
  u.exec_reload = {command("/bin/reload")};
  Driver d(u);
  bring_up(d);
  d.reload();
  d.reload();
  CHECK(d.count("spawn ExecReload[0]") == 1);
  d.control_exits(exited(0));
  CHECK(d.replies.size() == 1);  // the loop sends it to every waiting requester
  CHECK(d.count("spawn ExecReload[0]") == 1);
}

TEST_CASE("reload: the main process exits during ExecReload=; the reload finishes, then the service ends",
          "[supervisor][reload]") {
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::OnFailure);
  u.exec_reload = {command("/bin/reload")};
  Driver d(u);
  bring_up(d);
  d.reload();
  d.main_exits(exited(2));
  CHECK(d.sv().sub_state() == S::Reload);
  CHECK(d.replies.empty());
  d.control_exits(exited(0));
  REQUIRE(d.replies.size() == 1);
  CHECK(d.replies[0].ok);
  CHECK(d.sv().result() == ServiceResult::ExitCode);
  CHECK(d.sv().sub_state() == S::AutoRestart);
}

TEST_CASE("reload: refused (7, not running) in every phase but running", "[supervisor][reload]") {
  // LSB: 7 "program is not running"; systemd: "Job type reload is not
  // applicable" outside active states.
  Unit u = with_restart(unit_of(ServiceType::Notify), RestartPolicy::Always);
  u.exec_reload = {command("/bin/reload")};
  u.exec_start_pre = {command("/bin/pre")};
  u.exec_start_post = {command("/bin/post-start")};
  u.exec_stop = {command("/bin/stop")};
  u.exec_stop_post = {command("/bin/post")};
  struct Row {
    SubState phase;
    std::function<void(Driver&)> reach;
  };
  const std::vector<Row> rows = {
      {S::StartPre, [](Driver& d) { d.start(); }},
      {S::Start,
       [](Driver& d) {
         d.start();
         d.control_exits(exited(0));
       }},
      {S::StartPost,
       [](Driver& d) {
         d.start();
         d.control_exits(exited(0));
         d.notify(K::Ready);
       }},
      {S::Stop,
       [](Driver& d) {
         bring_up(d);
         d.stop();
       }},
      {S::StopSigterm,
       [](Driver& d) {
         bring_up(d);
         d.stop();
         d.control_exits(exited(0));
       }},
      {S::StopPost,
       [](Driver& d) {
         bring_up(d);
         d.stop();
         d.control_exits(exited(0));
         d.main_exits(killed(SIGTERM));
       }},
      {S::AutoRestart,
       [](Driver& d) {
         bring_up(d);
         d.main_exits(exited(1));
         d.control_exits(exited(0));  // ExecStop=
         d.control_exits(exited(0));  // ExecStopPost=
       }},
  };
  for (const Row& row : rows) {
    INFO("in " << str(row.phase));
    Driver d(u);
    row.reach(d);
    REQUIRE(d.sv().sub_state() == row.phase);
    d.take();
    d.reload();
    CHECK(d.take() == Lines{"reply fail 7 the unit is not running"});
    CHECK(d.sv().sub_state() == row.phase);
  }
}

// ---------------------------------------------------------------- a stop in every phase

namespace {

// One unit with every hook, so that each phase has something in progress.
Unit full_unit(ServiceType type = ServiceType::Notify) {
  Unit u = with_restart(unit_of(type), RestartPolicy::Always);
  u.exec_start_pre = {command("/bin/pre")};
  u.exec_start_post = {command("/bin/post-start")};
  u.exec_reload = {command("/bin/reload")};
  u.exec_stop = {command("/bin/stop")};
  u.exec_stop_post = {command("/bin/post")};
  u.watchdog_sec = 10 * kSec;
  return u;
}

// What a stop does, by where it arrives (systemd's service_stop()).
enum class OnStop {
  KillNow,        // "If there's already something running we go directly into kill mode": no ExecStop=
  ExecStopFirst,  // running: ExecStop=, then KillMode=
  CancelRestart,  // "Already on it": the stop goes on, the restart it would end in does not happen
  DeadAtOnce,     // "A restart will be scheduled or is in progress": over at once
};

struct PhaseRow {
  const char* name;
  SubState phase;
  ServiceType type;
  bool first_start;  // the caller of the first start still waits
  std::function<void(Driver&)> reach;
  OnStop on_stop;
};

// A crash of a running service with Restart=always, the others left
// alive: the stop that follows will end in a restart.
void crash(Driver& d) {
  bring_up(d);
  d.others = 1;
  d.main_exits(killed(SIGKILL));
}

const std::vector<PhaseRow>& phase_rows() {
  static const std::vector<PhaseRow> rows = {
      {"ExecStartPre= running", S::StartPre, ServiceType::Notify, true, [](Driver& d) { d.start(); }, OnStop::KillNow},
      {"waiting for READY=1", S::Start, ServiceType::Notify, true,
       [](Driver& d) {
         d.start();
         d.control_exits(exited(0));
       },
       OnStop::KillNow},
      {"waiting for the forking daemon's pidfile", S::Start, ServiceType::Forking, true,
       [](Driver& d) {
         d.start();
         d.control_exits(exited(0));
         d.others = 1;
         d.main_exits(exited(0));
       },
       OnStop::KillNow},
      {"a oneshot's ExecStart= running", S::Start, ServiceType::Oneshot, true,
       [](Driver& d) {
         d.start();
         d.control_exits(exited(0));
       },
       OnStop::KillNow},
      {"ExecStartPost= running", S::StartPost, ServiceType::Notify, true,
       [](Driver& d) {
         d.start();
         d.control_exits(exited(0));
         d.notify(K::Ready);
       },
       OnStop::KillNow},
      {"ExecStartPre= of a restart", S::StartPre, ServiceType::Notify, false,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));  // ExecStop=
         d.other_exits();
         d.control_exits(exited(0));  // ExecStopPost=
         d.fire_timer();
       },
       OnStop::KillNow},
      {"running", S::Running, ServiceType::Notify, true, [](Driver& d) { bring_up(d); }, OnStop::ExecStopFirst},
      {"ExecReload= running", S::Reload, ServiceType::Notify, true,
       [](Driver& d) {
         bring_up(d);
         d.reload();
       },
       OnStop::KillNow},
      {"reloading after RELOADING=1", S::Reload, ServiceType::Notify, true,
       [](Driver& d) {
         bring_up(d);
         d.notify(K::Reloading);
       },
       OnStop::KillNow},
      {"ExecStop= after a crash", S::Stop, ServiceType::Notify, true, [](Driver& d) { crash(d); },
       OnStop::CancelRestart},
      {"KillSignal= sent after a crash", S::StopSigterm, ServiceType::Notify, true,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));
       },
       OnStop::CancelRestart},
      {"FinalKillSignal= sent after a crash", S::StopSigkill, ServiceType::Notify, true,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));
         d.fire_timer();
       },
       OnStop::CancelRestart},
      {"the watchdog's SIGABRT sent", S::StopWatchdog, ServiceType::Notify, true,
       [](Driver& d) {
         bring_up(d);
         d.fire_watchdog();
       },
       OnStop::CancelRestart},
      {"ExecStopPost= after a crash", S::StopPost, ServiceType::Notify, true,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));
         d.other_exits();
       },
       OnStop::CancelRestart},
      {"final KillSignal= to what ExecStopPost= left", S::FinalSigterm, ServiceType::Notify, true,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));
         d.other_exits();
         d.others = 1;
         d.control_exits(exited(0));
       },
       OnStop::CancelRestart},
      {"final FinalKillSignal=", S::FinalSigkill, ServiceType::Notify, true,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));
         d.other_exits();
         d.others = 1;
         d.control_exits(exited(0));
         d.fire_timer();
       },
       OnStop::CancelRestart},
      {"waiting RestartSec=", S::AutoRestart, ServiceType::Notify, true,
       [](Driver& d) {
         crash(d);
         d.control_exits(exited(0));
         d.other_exits();
         d.control_exits(exited(0));
       },
       OnStop::DeadAtOnce},
  };
  return rows;
}

}  // namespace

TEST_CASE("a stop that arrives in every phase", "[supervisor][stop]") {
  // systemd.service(5) and systemd's service_stop(): "Don't create restart
  // jobs from manual stops"; "Already on it"; "A restart will be scheduled
  // or is in progress"; "If there's already something running we go
  // directly into kill mode"; from running, ExecStop= first.
  for (const PhaseRow& row : phase_rows()) {
    INFO("a stop while " << row.name << " (" << str(row.phase) << ")");
    Driver d(full_unit(row.type));
    row.reach(d);
    REQUIRE(d.sv().sub_state() == row.phase);
    int prepares = d.count("prepare");
    size_t reports = d.reports.size();
    bool reloading = row.phase == S::Reload && d.sv().running_list() == CommandList::Reload;
    if (reloading) d.reload();  // a reload request waiting
    d.take();
    d.stop();
    Lines now = d.steps();
    switch (row.on_stop) {
      case OnStop::KillNow: {
        CHECK(d.sv().sub_state() == S::StopSigterm);
        bool killed_tree = false;
        for (const std::string& l : now) killed_tree |= l == "kill tree SIGTERM";
        CHECK(killed_tree);
        for (const std::string& l : now) CHECK(l.rfind("spawn ExecStop[", 0) != 0);
        break;
      }
      case OnStop::ExecStopFirst:
        CHECK(d.sv().sub_state() == S::Stop);
        CHECK(now.back() == "spawn ExecStop[0] SERVICE_RESULT=success");
        break;
      case OnStop::CancelRestart:
        CHECK(d.sv().sub_state() == row.phase);  // the stop in progress goes on
        for (const std::string& l : now) CHECK(l.rfind("kill", 0) != 0);
        break;
      case OnStop::DeadAtOnce:
        CHECK(d.sv().done());
        break;
    }
    CHECK(d.sv().stop_requested());
    if (reloading) {
      REQUIRE(d.replies.size() == 1);
      CHECK_FALSE(d.replies[0].ok);
      CHECK(d.replies[0].message == "the unit is stopping");
    }
    run_to_end(d);
    // No restart, whatever Restart=always says.
    CHECK(d.count("prepare") == prepares);
    CHECK(d.sv().sub_state() != S::AutoRestart);
    // A stop asked for ends the monitor with 0.
    CHECK(d.sv().exit_status() == 0);
    if (row.first_start && row.on_stop == OnStop::KillNow && row.phase != S::Reload) {
      // The first start was interrupted: its caller learns so.
      REQUIRE(d.reports.size() == 1);
      CHECK_FALSE(d.reports[0].ok);
      CHECK(d.reports[0].code == exit_code::kFailure);
      CHECK(d.reports[0].message == "start cancelled: a stop was requested");
      CHECK(d.sv().sub_state() == S::Dead);
    } else {
      CHECK(d.reports.size() == reports);
    }
    // Everything was killed or had ended; the pidfile went.
    CHECK(d.logged("remove pidfile"));
  }
}

TEST_CASE("a stop while waiting to restart: inactive (dead), the last run's Result= kept", "[supervisor][stop]") {
  // systemd's service_stop(): "A restart will be scheduled or is in
  // progress." → service_set_state(s, SERVICE_DEAD).
  Driver d(with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always));
  bring_up(d);
  d.main_exits(exited(1));
  REQUIRE(d.sv().sub_state() == S::AutoRestart);
  d.take();
  d.stop();
  CHECK(d.take() == Lines{"timer off", "remove pidfile", "stopped"});
  CHECK(d.sv().done());
  CHECK(d.sv().sub_state() == S::Dead);
  CHECK(d.sv().active_state() == ActiveState::Inactive);
  CHECK(d.sv().result() == ServiceResult::ExitCode);
  CHECK(d.sv().exit_status() == 0);
}

TEST_CASE("a stop during a stop: the restart the first would have ended in does not happen, once only",
          "[supervisor][stop]") {
  Driver d(full_unit());
  crash(d);
  d.stop();
  d.stop();
  run_to_end(d);
  CHECK(d.count("prepare") == 1);
  CHECK(d.sv().sub_state() == S::Failed);  // the run had failed: SIGKILL
  CHECK(d.sv().result() == ServiceResult::Signal);
}

// ---------------------------------------------------------------- unitrun's own failures

TEST_CASE("InternalError: the first stops the service cleanly (resources), a second ends everything at once",
          "[supervisor][internal]") {
  // Result=resources: "A catch-all condition in case a system operation
  // failed" (systemd.exec(5), $SERVICE_RESULT).
  SECTION("while running: no ExecStop=, KillSignal=, ExecStopPost=, failed; the exit status says so") {
    Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always);
    u.exec_stop = {command("/bin/stop")};
    u.exec_stop_post = {command("/bin/post")};
    Driver d(u);
    bring_up(d);
    d.internal_error("std::bad_alloc");
    CHECK(d.mentions("internal error: std::bad_alloc; stopping the service"));
    CHECK(d.logged("kill tree SIGTERM"));
    CHECK(d.count_prefix("spawn ExecStop[") == 0);
    CHECK(d.sv().result() == ServiceResult::Resources);
    d.main_exits(killed(SIGTERM));
    CHECK(d.logged("spawn ExecStopPost[0] SERVICE_RESULT=resources EXIT_CODE=killed EXIT_STATUS=TERM"));
    d.control_exits(exited(0));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
    CHECK(d.count("prepare") == 1);  // Restart=always does not apply
    // Under systemd, the monitor's exit status is what shows the failure.
    CHECK(d.sv().exit_status() == exit_code::kFailure);
  }
  SECTION("a second one during that stop: everything killed, done") {
    Driver d(unit_of(ServiceType::Simple));
    bring_up(d);
    d.others = 3;
    d.internal_error("first");
    d.take();
    d.internal_error("second");
    CHECK(d.steps() == Lines{"kill tree SIGKILL", "timer off", "remove pidfile"});
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
    CHECK(d.sv().result() == ServiceResult::Resources);
    CHECK(d.sv().exit_status() == exit_code::kFailure);
  }
  SECTION("during the first start: the caller is told, once the stop is over") {
    Unit u = unit_of(ServiceType::Notify);
    Driver d(u);
    d.start();
    d.internal_error("epoll_ctl: No space left on device");
    CHECK(d.reports.empty());
    d.main_exits(killed(SIGTERM));
    CHECK(d.sv().done());
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "internal error: epoll_ctl: No space left on device");
  }
  SECTION("while waiting to restart: done at once") {
    Driver d(with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always));
    bring_up(d);
    d.main_exits(exited(1));
    REQUIRE(d.sv().sub_state() == S::AutoRestart);
    d.internal_error("oops");
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
    CHECK(d.sv().result() == ServiceResult::ExitCode);  // the last run's, which failed first
    CHECK(d.sv().exit_status() == exit_code::kFailure);
  }
}

// ---------------------------------------------------------------- the report to the caller

TEST_CASE("the report: exactly one per monitor life, in its place", "[supervisor][report]") {
  SECTION("the first start succeeds: reported as it enters running; restarts and the end add nothing") {
    Driver d(crash_looper(3, 10 * kSec, 100 * kMs));
    d.start();
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].ok);
    crash_and_restart(d, exited(1));
    crash_and_restart(d, exited(1));
    crash_and_restart(d, exited(1));  // start-limit-hit
    CHECK(d.sv().done());
    CHECK(d.count_prefix("report") == 1);
  }
  SECTION("the first start fails: reported after its stop, ExecStopPost= included") {
    Unit u = unit_of(ServiceType::Notify);
    u.exec_stop_post = {command("/bin/post")};
    Driver d(u);
    d.start();
    d.main_exits(exited(3));
    CHECK(d.sv().sub_state() == S::StopPost);
    CHECK(d.logged("spawn ExecStopPost[0] SERVICE_RESULT=exit-code EXIT_CODE=exited EXIT_STATUS=3"));
    CHECK(d.now == kT0);  // at once, not at TimeoutStartSec=
    CHECK(d.reports.empty());
    d.control_exits(exited(0));
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "the service exited, code=3 before it sent READY=1");
    CHECK(d.reports[0].quote_output);
    CHECK(d.sv().result() == ServiceResult::ExitCode);
    // A notify service that exits 0 before READY=1 broke the protocol.
    Driver clean(unit_of(ServiceType::Notify));
    clean.start();
    clean.main_exits(exited(0));
    CHECK(clean.sv().result() == ServiceResult::Protocol);
  }
  SECTION("a oneshot: \"0\" once all is over") {
    Driver d(unit_of(ServiceType::Oneshot));
    d.start();
    d.control_exits(exited(0));
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "0");
    CHECK(d.log().back() == "report ok 0");
  }
  SECTION("nobody waits (`run`): no report at all") {
    Driver d(unit_of(ServiceType::Simple), SupervisorOptions{false, true});
    d.fail(Step::SpawnMain);
    d.start();
    CHECK(d.sv().done());
    CHECK(d.reports.empty());
    CHECK(d.sv().exit_status() == exit_code::kFailure);
  }
  SECTION("the pidfile cannot be written: the service must not run untracked") {
    Driver d(unit_of(ServiceType::Simple));
    d.fail(Step::WritePidfile, "cannot write pidfile: Read-only file system");
    d.start();
    CHECK(d.logged("kill tree SIGTERM"));
    CHECK(d.sv().result() == ServiceResult::Resources);
    d.main_exits(killed(SIGTERM));
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].message == "cannot write pidfile: Read-only file system");
  }
  SECTION("the pidfile of a unit running already (exec) cannot be written: no ok, ExecStop= does not run") {
    // The record said active (running) for the microseconds before the
    // failure, as for a service that dies right after its start; `start`
    // never hears ok, and the record ends failed with the reason.
    Unit u = unit_of(ServiceType::Exec);
    u.exec_stop = {command("/bin/stop-it")};
    Driver d(u, SupervisorOptions{true, true});
    d.fail(Step::WritePidfile, "cannot write pidfile: Read-only file system");
    d.start();
    REQUIRE(d.pidfile_writes.size() == 1);
    CHECK(d.pidfile_writes[0].phase == S::Running);
    CHECK(d.reports.empty());  // not before the stop is over
    CHECK_FALSE(d.logged("notify READY=1"));
    CHECK(d.logged("error: start failed: cannot write pidfile: Read-only file system"));
    CHECK(d.logged("kill tree SIGTERM"));
    CHECK(d.count_prefix("spawn ExecStop") == 0);
    CHECK_FALSE(d.sv().pidfile_pending());
    d.main_exits(killed(SIGTERM));
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Failed);
    CHECK(d.sv().result() == ServiceResult::Resources);
    REQUIRE(d.reports.size() == 1);
    CHECK_FALSE(d.reports[0].ok);
    CHECK(d.reports[0].message == "cannot write pidfile: Read-only file system");
    CHECK(d.count_prefix("report ok") == 0);
  }
  SECTION("the pidfile of an automatic restart cannot be written: Restart= decides, as for a failed start") {
    Driver d(with_restart(unit_of(ServiceType::Exec), RestartPolicy::OnFailure));
    bring_up(d);
    d.main_exits(exited(1));
    REQUIRE(d.sv().sub_state() == S::AutoRestart);
    d.fail(Step::WritePidfile, "cannot write pidfile: No space left on device");
    d.fire_timer();
    CHECK(d.mentions("start failed: cannot write pidfile: No space left on device"));
    CHECK(d.sv().sub_state() == S::StopSigterm);
    d.main_exits(killed(SIGTERM));
    CHECK(d.sv().sub_state() == S::AutoRestart);
    d.fire_timer();
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.sv().restarts() == 2);
  }
}

// ---------------------------------------------------------------- stale timer events

TEST_CASE("a Timeout read in the same batch as the event that ended its phase is stale", "[supervisor][timeout]") {
  // The loop dispatches a whole epoll batch before it handles the queue:
  // the phase timer may have expired just as the last process was reaped,
  // and its Timeout is handled after the transition that re-armed the timer
  // for RestartSec=. A timer fires at its deadline; that Timeout is early.
  Unit u = with_restart(unit_of(ServiceType::Simple), RestartPolicy::Always);
  u.restart_sec = 10 * kSec;
  u.timeout_stop = 5 * kSec;
  Driver d(u);
  bring_up(d);
  d.others = 1;
  d.main_exits(killed(SIGKILL));
  REQUIRE(d.sv().sub_state() == S::StopSigterm);
  d.now = d.timer();  // the stop timeout expires ...
  d.others = 0;       // ... as the last process is reaped: one batch
  Event reaped, timeout;
  reaped.kind = K::Reaped;
  timeout.kind = K::Timeout;
  d.feed({reaped, timeout});
  CHECK(d.sv().sub_state() == S::AutoRestart);
  CHECK(d.count("prepare") == 1);  // not restarted 10 s early
  CHECK(d.timer() == d.now + 10 * kSec);
  d.fire_timer();
  CHECK(d.count("prepare") == 2);
}

TEST_CASE("a watchdog expiry read in the same batch as a WATCHDOG=1 handled first is stale", "[supervisor][watchdog]") {
  Unit u = unit_of(ServiceType::Simple);
  u.watchdog_sec = 2 * kSec;
  Driver d(u);
  bring_up(d);
  d.now = d.watchdog();
  Event ping, expired;
  ping.kind = K::WatchdogPing;
  expired.kind = K::WatchdogTimeout;
  d.feed({ping, expired});
  CHECK(d.sv().sub_state() == S::Running);
  CHECK(d.watchdog() == d.now + 2 * kSec);
  d.fire_watchdog();
  CHECK(d.sv().sub_state() == S::StopWatchdog);
}

// ---------------------------------------------------------------- the monitor's exit status

TEST_CASE("the monitor's exit status: the service's, unless a stop was asked for", "[supervisor][run]") {
  // Under `run`, systemd's Restart= and Result= see only our exit status:
  // a run that failed on its own must not end in 0.
  struct Row {
    const char* why;
    std::function<void(Driver&)> end;
    int status;
    SubState phase;
  };
  const std::vector<Row> rows = {
      {"exits 0", [](Driver& d) { d.main_exits(exited(0)); }, 0, S::Dead},
      {"exits 3", [](Driver& d) { d.main_exits(exited(3)); }, 3, S::Failed},
      {"killed by SIGKILL", [](Driver& d) { d.main_exits(killed(SIGKILL)); }, 128 + SIGKILL, S::Failed},
      {"killed by SIGTERM (clean)", [](Driver& d) { d.main_exits(killed(SIGTERM)); }, 0, S::Dead},
      {"stopped (SIGTERM to us)",
       [](Driver& d) {
         d.stop();
         d.main_exits(killed(SIGTERM));
       },
       0, S::Dead},
      {"stopped, and it died of SIGKILL after the timeout",
       [](Driver& d) {
         d.stop();
         d.fire_timer();
         d.main_exits(killed(SIGKILL));
       },
       0, S::Failed},
  };
  for (const Row& row : rows) {
    INFO(row.why);
    Driver d(unit_of(ServiceType::Simple), SupervisorOptions{false, true});
    bring_up(d);
    row.end(d);
    CHECK(d.sv().done());
    CHECK(d.sv().exit_status() == row.status);
    CHECK(d.sv().sub_state() == row.phase);
    CHECK(d.reports.empty());
  }
}

// ---------------------------------------------------------------- the dialect's behaviours (issue 12)

TEST_CASE("Condition*=: a failed condition skips the start (no failure, nothing runs); a failed assert fails it",
          "[supervisor][conditions]") {
  // systemd.unit(5): "If a condition is not met, the unit is skipped ...
  // Assertion failures ... cause the start job to fail."
  Unit u = unit_of(ServiceType::Simple);
  Condition c;
  c.kind = ConditionKind::PathExists;
  c.value = "/nonexistent";
  u.conditions.push_back(c);
  SECTION("a condition") {
    Driver d(u);
    d.condition_fails = "ConditionPathExists=/nonexistent was not met";
    d.start();
    Lines steps = d.steps();
    CHECK(steps.front() == "check conditions");
    CHECK(std::find(steps.begin(), steps.end(), "spawn main") == steps.end());
    CHECK(d.sv().sub_state() == S::Dead);
    CHECK(d.sv().done());
    CHECK(d.sv().exit_status() == 0);
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].ok);
    CHECK(d.reports[0].message == "skipped");
    CHECK(d.logged("condition: ConditionPathExists=/nonexistent was not met"));
  }
  SECTION("an assert") {
    Driver d(u);
    d.assert_fails = "AssertPathExists=/nonexistent was not met";
    d.start();
    CHECK(d.sv().done());
    CHECK(d.sv().exit_status() == 1);
    REQUIRE(d.reports.size() == 1);
    CHECK_FALSE(d.reports[0].ok);
    CHECK(d.reports[0].message == "assertion failed: AssertPathExists=/nonexistent was not met");
  }
  SECTION("passing conditions: the start goes on") {
    Driver d(u);
    d.start();
    CHECK(d.steps().front() == "check conditions");
    CHECK(d.sv().sub_state() == S::Running);
  }
}

TEST_CASE("ExecCondition=: 0 goes on, 1..254 skips (no failure), 255 fails", "[supervisor][conditions]") {
  // systemd.service(5), ExecCondition=: "exit code of 1 through 254
  // (inclusive) ... the unit is not marked as failed ... 255 or abnormal
  // exit ... failure".
  Unit u = unit_of(ServiceType::Simple);
  u.exec_condition = {command("/usr/bin/check")};
  u.exec_stop_post = {command("/usr/bin/after")};
  SECTION("exit 0") {
    Driver d(u);
    d.start();
    CHECK(d.sv().sub_state() == S::Condition);
    d.control_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Running);
  }
  SECTION("exit 1: skipped, ExecStopPost= still runs, no failure") {
    Driver d(u);
    d.start();
    d.control_exits(exited(1));
    CHECK(d.sv().sub_state() == S::StopPost);
    d.control_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Dead);
    CHECK(d.sv().result() == ServiceResult::ExecCondition);
    CHECK(d.sv().exit_status() == 0);
    REQUIRE(d.reports.size() == 1);
    CHECK(d.reports[0].ok);
    CHECK(d.reports[0].message == "skipped");
  }
  SECTION("exit 255: a failure") {
    Driver d(u);
    d.start();
    d.control_exits(exited(255));
    d.control_exits(exited(0));  // ExecStopPost=
    CHECK(d.sv().sub_state() == S::Failed);
    REQUIRE(d.reports.size() == 1);
    CHECK_FALSE(d.reports[0].ok);
  }
}

TEST_CASE("RemainAfterExit=: a oneshot stays active after its commands, and its stop runs ExecStop=",
          "[supervisor][remain]") {
  Unit u = unit_of(ServiceType::Oneshot);
  u.remain_after_exit = true;
  u.exec_stop = {command("/usr/bin/down")};
  Driver d(u);
  d.start();
  d.control_exits(exited(0));
  CHECK(d.sv().sub_state() == S::Exited);
  CHECK(d.sv().active_state() == ActiveState::Active);
  REQUIRE(d.reports.size() == 1);
  CHECK(d.reports[0].message == "exited");
  CHECK_FALSE(d.sv().done());
  d.stop();
  CHECK(d.sv().sub_state() == S::Stop);
  d.control_exits(exited(0));
  CHECK(d.sv().sub_state() == S::Dead);
  CHECK(d.sv().done());
}

TEST_CASE("RemainAfterExit=: a simple service whose main process exits cleanly stays active; an unclean exit does not",
          "[supervisor][remain]") {
  Unit u = unit_of(ServiceType::Simple);
  u.remain_after_exit = true;
  SECTION("clean") {
    Driver d(u);
    d.start();
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Exited);
  }
  SECTION("unclean") {
    Driver d(u);
    d.start();
    d.main_exits(exited(3));
    CHECK(d.sv().sub_state() == S::Failed);
  }
}

TEST_CASE(
    "Type=forking without PIDFile=: the main process is guessed, ambiguity fails, GuessMainPID=no runs without one",
    "[supervisor][forking]") {
  Unit u = unit_of(ServiceType::Forking);
  u.key_lines.erase("Service.PIDFile");
  SECTION("one process left: it is the main process") {
    Driver d(u);
    d.start();
    CHECK(d.steps() == Lines{"prepare", "spawn main", d.timer_in(90 * kSec)});
    d.others = 1;
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Running);
    CHECK(d.sv().has_main());
  }
  SECTION("two: ambiguous, the start fails") {
    Driver d(u);
    d.start();
    d.others = 2;
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::StopSigterm);
    REQUIRE(d.mentions("cannot tell the main process"));
  }
  SECTION("GuessMainPID=no: running without a main process, over when nothing is left") {
    u.guess_main_pid = false;
    Driver d(u);
    d.start();
    d.others = 2;
    d.main_exits(exited(0));
    CHECK(d.sv().sub_state() == S::Running);
    CHECK_FALSE(d.sv().has_main());
    d.other_exits(1);
    CHECK(d.sv().sub_state() == S::Running);
    d.other_exits(1);
    CHECK(d.sv().done());
    CHECK(d.sv().sub_state() == S::Dead);
  }
}

TEST_CASE("KillMode=none: a stop signals nothing, runs ExecStopPost= and ends", "[supervisor][killmode]") {
  // systemd.kill(5): "If set to none, no process is killed."
  Unit u = unit_of(ServiceType::Simple);
  u.kill_mode = KillMode::None;
  Driver d(u);
  d.start();
  d.take();
  d.stop();
  for (const std::string& l : d.take()) CHECK(l.rfind("kill ", 0) != 0);
  CHECK(d.sv().done());
}

TEST_CASE("RuntimeMaxSec=: the run is stopped once it lasts that long, Result=timeout, and Restart= decides",
          "[supervisor][timeouts]") {
  Unit u = unit_of(ServiceType::Simple);
  u.runtime_max = 5 * kSec;
  u.restart = RestartPolicy::OnFailure;
  Driver d(u);
  d.start();
  CHECK(d.timer() == d.now + 5 * kSec);
  d.fire_timer();
  CHECK(d.sv().sub_state() == S::StopSigterm);
  CHECK(d.sv().result() == ServiceResult::Timeout);
  d.main_exits(killed(15));
  CHECK(d.sv().sub_state() == S::AutoRestart);
}

TEST_CASE("the signals a stop uses: WatchdogSignal=, RestartKillSignal=, SendSIGHUP=, TimeoutStartFailureMode=",
          "[supervisor][kill]") {
  SECTION("SendSIGHUP=yes: SIGHUP right after KillSignal=") {
    Unit u = unit_of(ServiceType::Simple);
    u.send_sighup = true;
    Driver d(u);
    d.start();
    d.take();
    d.stop();
    Lines s = d.steps();
    auto term = std::find(s.begin(), s.end(), "kill tree SIGTERM");
    REQUIRE(term != s.end());
    CHECK(*(term + 1) == "kill tree SIGHUP");
  }
  SECTION("WatchdogSignal=SIGQUIT for a watchdog stop") {
    Unit u = unit_of(ServiceType::Simple);
    u.watchdog_sec = 2 * kSec;
    u.watchdog_signal = SIGQUIT;
    Driver d(u);
    d.start();
    d.fire_watchdog();
    CHECK(d.logged("kill tree SIGQUIT"));
  }
  SECTION("RestartKillSignal= when the stop is a restart's") {
    Unit u = unit_of(ServiceType::Simple);
    u.restart = RestartPolicy::Always;
    u.restart_kill_signal = SIGINT;
    u.runtime_max = 5 * kSec;
    Driver d(u);
    d.start();
    d.fire_timer();  // RuntimeMaxSec=: a stop that Restart=always follows with a start
    CHECK(d.logged("kill tree SIGINT"));
  }
  SECTION("TimeoutStartFailureMode=kill: FinalKillSignal= at once") {
    Unit u = unit_of(ServiceType::Notify);
    u.timeout_start_failure_mode = TimeoutFailureMode::Kill;
    Driver d(u);
    d.start();
    d.fire_timer();
    CHECK(d.sv().sub_state() == S::StopSigkill);
    CHECK(d.logged("kill tree SIGKILL"));
    CHECK_FALSE(d.logged("kill tree SIGTERM"));
  }
  SECTION("TimeoutStartFailureMode=abort: the watchdog's signal, TimeoutAbortSec=") {
    Unit u = unit_of(ServiceType::Notify);
    u.timeout_start_failure_mode = TimeoutFailureMode::Abort;
    u.timeout_abort = 3 * kSec;
    Driver d(u);
    d.start();
    d.fire_timer();
    CHECK(d.sv().sub_state() == S::StopWatchdog);
    CHECK(d.logged("kill tree SIGABRT"));
    CHECK(d.timer() == d.now + 3 * kSec);
  }
}
