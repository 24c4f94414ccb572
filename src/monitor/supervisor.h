// The unit's life as a table: (sub-state × event) → actions. Pure: no
// system call, no clock read, no I/O. The monitor's loop (monitor.cc) turns
// fds into Events, feeds them in one at a time, and carries out the Actions
// it gets back; what carrying them out raises (a spawn that failed, a
// pidfile found) comes back as the next Event. No transition ever runs
// inside another, so a start that fails at once goes round the loop like
// any other failure (s6-supervise's loop and systemd's service state table,
// src/core/service.c, are the models).
//
// Every fallible action (PrepareExec, SpawnMain, SpawnControl, the pidfile
// steps) ends the list it is in and answers with StepDone or StepFailed; the
// table continues from there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "monitor/restart_policy.h"
#include "runtime/service_state.h"
#include "unit/unit.h"

namespace unitrun::monitor {

// The command lists of a unit, in the order a start and a stop run them.
enum class CommandList { Condition, StartPre, Start, StartPost, Reload, Stop, StopPost };
const char* to_string(CommandList list);  // the key: "ExecStartPre", ...

// The steps whose outcome comes back as an event.
enum class Step {
  Conditions,
  Prepare,
  RemoveStalePidfile,
  SpawnMain,
  WritePidfile,
  WatchPidfile,
  GuessMainPid,
  WatchBusName,
  SpawnControl
};

struct Event {
  enum class Kind {
    Start,            // the monitor's first act; also the end of RestartSec=
    Stop,             // SIGTERM/SIGINT/SIGQUIT: `unitrun stop`, a shutdown
    Reload,           // a reload request (the loop keeps the requester's reply channel)
    Restart,          // a restart request (`unitrun restart`; the loop keeps the reply channel)
    StepDone,         // `step` succeeded
    StepFailed,       // `step` failed: `message`, `not_installed`
    MainExited,       // `termination`
    ControlExited,    // `termination`
    Reaped,           // the loop reaped children (any); `no_children` is fresh
    Timeout,          // the phase timer
    WatchdogTimeout,  // the service's WatchdogSec= passed without WATCHDOG=1
    Ready,            // READY=1
    Reloading,        // RELOADING=1
    Stopping,         // STOPPING=1
    WatchdogPing,     // WATCHDOG=1
    WatchdogTrigger,  // WATCHDOG=trigger
    WatchdogUsec,     // WATCHDOG_USEC=`usec`
    ExtendTimeout,    // EXTEND_TIMEOUT_USEC=`usec`
    PidfileAdopted,   // PIDFile= names a live process of the unit, now the main process
    PidfileRefused,   // PIDFile= names something else: `message`
    PidfileGone,      // after the main process exited, PIDFile= names no new one
    ConditionFailed,  // a Condition*= was not met (CheckConditions): `message`
    AssertFailed,     // an Assert*= was not met: `message`
    NoMainProcess,    // Type=forking without PIDFile=: no main process to follow (GuessMainPID=no)
    OomKill,          // the kernel's OOM killer killed a process of the unit (its cgroup says so)
    BusNameAcquired,  // Type=dbus: BusName= has a new owner on the system bus (`message`: its unique name)
    BusNameLost,      // Type=dbus: BusName= has no owner any more (`message`: the last one)
    BusGone,          // Type=dbus: the connection to the system bus ended (`message`: how)
    InternalError,    // unitrun's own bug, caught at the loop: `message`
  };
  Kind kind = Kind::Start;
  // Facts as of when the event is handled, filled in by the loop.
  uint64_t now = 0;          // monotonic clock, microseconds
  bool no_children = false;  // the monitor has no child, live or zombie
  // Per kind.
  Step step = Step::Prepare;
  std::string message;
  bool not_installed = false;
  Termination termination;
  Usec usec = 0;
};

// What the loop is asked to do. Each kind is a small struct; `describe()`
// gives one line per action for logs and tests.
namespace action {
struct CheckConditions {};  // Condition*=, then Assert*=: StepDone, ConditionFailed or AssertFailed
struct PrepareExec {
};  // a new run: environment, identity, output fds, directories, credentials; forget the last STATUS=
struct RemoveStalePidfile {};
struct SpawnMain {};
struct SpawnControl {
  CommandList list;
  size_t index;
  std::vector<std::pair<std::string, std::string>> environment;  // besides MAINPID (the loop's)
};
enum class Target { Main, Control, MainAndControl, Tree, TreeButMain };
struct Kill {
  Target target;
  int signal;
  bool only_new = false;  // Tree: only processes that got nothing in this phase yet
};
struct ArmTimer {
  uint64_t deadline;  // monotonic usec; 0 disarms
};
struct ArmWatchdog {
  uint64_t deadline;  // monotonic usec; 0 disarms
};
struct WritePidfile {};
struct RemovePidfile {};
struct WatchPidfile {};  // inotify on PIDFile='s directory, and a first look
struct UnwatchPidfile {};
struct RecheckPidfile {};  // once, after the main process exited: PidfileAdopted or PidfileGone
struct GuessMainPid {};    // Type=forking without PIDFile=: PidfileAdopted, NoMainProcess or StepFailed
// Type=dbus: connect to the system bus and follow BusName='s owner. StepDone
// (`message`: the owner it has already, if any) or StepFailed; then
// BusNameAcquired, BusNameLost and BusGone as they happen.
struct WatchBusName {};
struct UnwatchBusName {};
struct CleanUpRun {  // the run is over: RuntimeDirectory= & co. and credentials go, the tty is reset
  bool restart;      // a restart follows (RuntimeDirectoryPreserve=restart keeps them)
};
struct NoteCondition {  // the state record's "Condition:" line
  std::string message;
};
struct Report {  // to the `start` that waits, once
  bool ok;
  int code;             // LSB exit code when !ok
  std::string message;  // !ok: why; ok: "" (the loop adds the main PID) or "0" (a oneshot)
  bool quote_output;    // add the last lines the service wrote
};
struct ReplyReloads {  // to every reload request waiting
  bool ok;
  int code;
  std::string message;
};
struct ReplyRestarts {  // to every restart request waiting, once the new run is up or has failed
  bool ok;
  int code;
  std::string message;  // !ok: why; ok: "" (the loop adds the main PID), "exited" or "0" (a oneshot)
};
enum class Upstream { Ready, Reloading, Stopping, WatchdogTrigger, Status, StatusRunning };
struct Notify {  // sd_notify toward systemd, under `run`
  Upstream what;
  std::string text;
};
struct Record {  // the state record's event list, and the monitor's log
  bool error;    // logged at error level, else info
  std::string text;
  bool with_main_pid = false;  // the loop adds " (pid N)": only it knows N
};
struct EnteredRunning {};  // the moment the service is up: the state record's Ready:
struct TrimMemory {};
}  // namespace action

using Action =
    std::variant<action::CheckConditions, action::PrepareExec, action::RemoveStalePidfile, action::SpawnMain,
                 action::SpawnControl, action::Kill, action::ArmTimer, action::ArmWatchdog, action::WritePidfile,
                 action::RemovePidfile, action::WatchPidfile, action::UnwatchPidfile, action::RecheckPidfile,
                 action::GuessMainPid, action::WatchBusName, action::UnwatchBusName, action::CleanUpRun,
                 action::NoteCondition, action::Report, action::ReplyReloads, action::ReplyRestarts, action::Notify,
                 action::Record, action::EnteredRunning, action::TrimMemory>;

// "kill tree SIGTERM", "timer at 90s", "spawn ExecStartPre[0]", ...
std::string describe(const Action& a);

struct SupervisorOptions {
  bool caller_waits = false;  // a `start` reads the first outcome (Report)
  bool upstream = false;      // under `run`: systemd is told what happens (Notify)
};

class Supervisor {
 public:
  // `earlier_starts`: starts made by earlier monitors of the unit (monotonic
  // usec, this boot): a start by OnFailure=/OnSuccess= counts against
  // StartLimitBurst= with them.
  Supervisor(const Unit& unit, SupervisorOptions options, const std::vector<uint64_t>& earlier_starts = {});

  // The table: the actions for one event, in order.
  std::vector<Action> handle(const Event& e);

  SubState sub_state() const { return phase_; }
  ActiveState active_state() const { return active_state_of(phase_); }
  ServiceResult result() const { return result_; }
  unsigned restarts() const { return restarts_; }
  // The starts StartLimitBurst= counts (for the state record), and how many
  // of them this monitor made (0: its first start was refused).
  std::vector<uint64_t> start_history() const { return start_limit_.starts(); }
  unsigned starts_made() const { return starts_made_; }
  bool has_main() const { return has_main_; }
  // Running, but its pidfile is not written yet: the start has no outcome.
  bool pidfile_pending() const { return pidfile_pending_; }
  bool stop_requested() const { return stop_requested_; }
  // The monitor's work is over (Dead or Failed after a stop); exit_status()
  // is its exit status then.
  bool done() const { return done_; }
  int exit_status() const { return exit_status_; }
  // For systemd's watchdog on us: the service is up and, if it has a
  // watchdog of its own, keeps pinging it; or it is busy starting,
  // stopping or waiting to restart.
  bool healthy(uint64_t now) const;
  // The command list running now, if any (the state record names it).
  std::optional<CommandList> running_list() const;
  // The timeout of the phase in progress, for messages; kInfinity if none.
  uint64_t deadline() const { return deadline_; }

 private:
  using Handler = void (Supervisor::*)(const Event&);
  Handler handler_for(SubState phase, Event::Kind kind) const;

  // Handlers: one row of the table each.
  void on_start(const Event& e);
  void on_stop_while_starting(const Event& e);
  void on_stop_while_running(const Event& e);
  void on_stop_while_stopping(const Event& e);
  void on_stop_while_restarting(const Event& e);
  void on_reload_while_running(const Event& e);
  void on_reload_while_reloading(const Event& e);
  void on_reload_refused(const Event& e);
  void on_restart_request(const Event& e);
  void on_restart_while_stopping(const Event& e);
  void on_prepared(const Event& e);
  void on_step_done_in_start(const Event& e);
  void on_step_failed_in_start(const Event& e);
  void on_pidfile_step_while_running(const Event& e);
  void on_control_step(const Event& e);
  void on_control_exited(const Event& e);
  void on_command_timeout(const Event& e);
  void on_main_exited_while_starting(const Event& e);
  void on_main_exited_during_command(const Event& e);
  void on_main_exited_while_running(const Event& e);
  void on_pidfile_adopted_while_starting(const Event& e);
  void on_pidfile_refused(const Event& e);
  void on_pidfile_adopted_while_running(const Event& e);
  void on_pidfile_gone(const Event& e);
  void on_condition_failed(const Event& e);
  void on_no_main_process(const Event& e);
  void on_reaped_while_running(const Event& e);
  void on_runtime_max(const Event& e);
  void on_oom_kill(const Event& e);
  void on_reaped_while_starting(const Event& e);
  void on_start_timeout(const Event& e);
  void on_ready_while_starting(const Event& e);
  void on_ready_while_reloading(const Event& e);
  void on_reloading(const Event& e);
  void on_reload_timeout(const Event& e);
  void on_stopping_notice(const Event& e);
  void on_watchdog_ping(const Event& e);
  void on_watchdog_usec(const Event& e);
  void on_watchdog_timeout(const Event& e);
  void on_extend_timeout(const Event& e);
  void on_stop_progress(const Event& e);
  void on_stop_timeout(const Event& e);
  void on_final_timeout(const Event& e);
  void on_restart_timer(const Event& e);
  void on_internal_error(const Event& e);
  void on_bus_name_acquired(const Event& e);
  void on_bus_name_lost(const Event& e);
  void on_bus_gone_while_starting(const Event& e);
  void on_bus_gone(const Event& e);
  void on_main_exited_while_exited(const Event& e);
  void ignore(const Event& e);

  // Transitions shared by several rows.
  void begin_start(uint64_t now);
  void begin_commands(CommandList list, const Event& e);
  void run_next_command(const Event& e);
  void commands_finished(CommandList list, bool ok, const std::string& error, int code, ServiceResult why,
                         const Event& e);
  void spawn_main(const Event& e);
  void started(const Event& e);
  void enter_running(const Event& e);
  void announce_running(const Event& e);  // to who waits (the reply, systemd), once running and the pidfile written
  bool up_once_spawned() const;  // running as soon as spawned: the record says so before the pidfile is written
  void enter_exited(const Event& e);
  // quote_output: the report quotes the last lines the service wrote.
  void start_failed(int code, const std::string& message, ServiceResult why, const Event& e, bool quote_output = true);
  void skip_start(const std::string& why, const Event& e);
  bool has_pidfile() const { return unit_.key_lines.count("Service.PIDFile") > 0; }
  bool is_dbus() const { return unit_.type == ServiceType::Dbus; }
  void main_exited_before_bus_name(const Termination& t, const Event& e);
  // Whether a run leaves something to clean up after it (directories,
  // credentials, a terminal): CleanUpRun only then.
  bool has_run_state() const;
  // The signal a stop begins with, and the phase it waits in.
  int first_stop_signal(SubState phase) const;
  Usec stop_timeout(SubState phase) const;
  void service_ended(const Event& e);
  void begin_stop(bool restart_after, bool run_exec_stop, const Event& e);
  void enter_signal(SubState phase, const Event& e);
  void enter_first_kill(const Event& e);
  void enter_final_kill(SubState phase, const Event& e);
  bool stop_complete(const Event& e) const;
  void after_kill(const Event& e);
  void after_stop_post(const Event& e);
  void finish_cycle(const Event& e);
  void finish_for_good(bool stopped_while_restarting = false);
  void end_reload(bool ok, const std::string& error, const Event& e);
  // The outcome of a requested restart, to whoever waits for it.
  void reply_restart(bool ok, int code, std::string message);  // by value: it may come from restart_failure_
  void arm(uint64_t deadline);
  void set_phase(SubState phase) { phase_ = phase; }
  void fail_with(ServiceResult r) {
    if (result_ == ServiceResult::Success) result_ = r;
  }
  void record(const std::string& text, bool error = false);
  void report(action::Report r);
  const std::vector<Command>& commands_of(CommandList list) const;
  Usec start_timeout_for_oneshot() const;
  std::vector<std::pair<std::string, std::string>> stop_post_environment() const;

  template <typename T>
  void emit(T action) {
    out_.emplace_back(std::move(action));
  }

  const Unit& unit_;
  SupervisorOptions options_;
  StartLimit start_limit_;
  std::vector<Action> out_;

  SubState phase_ = SubState::Dead;
  ServiceResult result_ = ServiceResult::Success;
  unsigned restarts_ = 0;
  unsigned starts_made_ = 0;
  bool first_start_ = true;       // the run the caller waits for
  bool reached_running_ = false;  // this run started successfully: ExecStop= applies
  bool stop_requested_ = false;
  bool restart_pending_ = false;  // the stop in progress ends in AutoRestart
  bool watchdog_stop_ = false;    // the stop in progress is the watchdog's
  bool watchdog_fired_ = false;   // the main process's end is the watchdog's doing
  bool has_main_ = false;
  bool has_control_ = false;
  bool reload_pending_ = false;         // someone waits for a reload's outcome
  bool restart_job_ = false;            // the stop in progress is a requested restart: no RestartSec=, a fresh start
  bool restart_reply_pending_ = false;  // someone waits for a requested restart's outcome
  std::optional<action::ReplyRestarts> restart_failure_;  // its failed start, told once the stop after it is over
  bool service_reloading_ = false;                        // RELOADING=1 heard, READY=1 not yet
  bool internal_error_ = false;
  bool reported_ = false;         // the caller has its outcome
  bool mixed_escalated_ = false;  // KillMode=mixed: the rest had their SIGKILL
  bool done_ = false;
  int exit_status_ = 0;

  // The run's termination: how the main process (or a oneshot's command) ended.
  std::optional<Termination> termination_;
  bool main_ended_during_command_ = false;  // StartPost/Reload: handled once the command is done
  bool skipped_ = false;
  bool exited_ = false;        // RemainAfterExit=: active with nothing running
  bool main_unknown_ = false;  // Type=forking, no PIDFile=, GuessMainPID=no: the unit runs while anything of it does
  uint64_t runtime_deadline_ = 0;  // RuntimeMaxSec=, while running
  TimeoutFailureMode next_stop_mode_ =
      TimeoutFailureMode::Terminate;  // how the stop being begun starts  // a condition (or ExecCondition=) said not to
                                      // start: no failure
  bool awaiting_pidfile_ = false;     // forking: the command exited 0, PIDFile= names nobody yet
  bool pidfile_pending_ = false;      // running (up_once_spawned), its pidfile not yet written: nobody is told yet

  // The command list in progress.
  std::optional<CommandList> list_;
  size_t next_command_ = 0;
  bool command_timed_out_ = false;
  bool command_not_installed_ = false;

  uint64_t deadline_ = 0;  // the phase timer, 0 when off
  Usec watchdog_usec_ = 0;
  uint64_t last_ping_ = 0;

  // The first start's failure, reported once its stop is over.
  std::optional<action::Report> pending_failure_;
};

}  // namespace unitrun::monitor
