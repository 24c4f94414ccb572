#include "monitor/supervisor.h"

#include <signal.h>

#include <array>
#include <cstdint>
#include <initializer_list>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "unit/values.h"

namespace unitrun::monitor {
namespace {

using K = Event::Kind;
using S = SubState;

// ExecStopPost='s $EXIT_STATUS for a signal: its name without "SIG", as
// systemd writes it ("TERM", "RTMIN+3"), or the number when it has none.
std::string exit_status_word(int signo) {
  // systemd's signal_to_string() counts every real-time signal from
  // SIGRTMIN, the first included: "RTMIN+0", where signal_name() says
  // "SIGRTMIN".
  if (signo == SIGRTMIN) return "RTMIN+0";
  // glibc's sigabbrev_np() calls 29 "POLL"; systemd's table, "IO".
  if (signo == SIGIO) return "IO";
  std::string name = values::signal_name(signo);
  return name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
}

std::string timer_text(uint64_t deadline) { return deadline == 0 ? "off" : "at " + values::format_timespan(deadline); }

const char* target_text(action::Target t) {
  switch (t) {
    case action::Target::Main:
      return "main";
    case action::Target::Control:
      return "control";
    case action::Target::MainAndControl:
      return "main+control";
    case action::Target::Tree:
      return "tree";
    case action::Target::TreeButMain:
      return "tree-but-main";
  }
  return "?";
}

const char* upstream_text(action::Upstream u) {
  switch (u) {
    case action::Upstream::Ready:
      return "READY=1";
    case action::Upstream::Reloading:
      return "RELOADING=1";
    case action::Upstream::Stopping:
      return "STOPPING=1";
    case action::Upstream::WatchdogTrigger:
      return "WATCHDOG=trigger";
    case action::Upstream::Status:
      return "STATUS=";
    case action::Upstream::StatusRunning:
      return "STATUS=running";
  }
  return "?";
}

// A deadline `span` after `now`; 0 (no timer) for an infinite span.
uint64_t after(uint64_t now, Usec span) {
  if (span == kInfinity || span == 0) return 0;
  return now + span;
}

}  // namespace

const char* to_string(CommandList list) {
  switch (list) {
    case CommandList::Condition:
      return "ExecCondition";
    case CommandList::StartPre:
      return "ExecStartPre";
    case CommandList::Start:
      return "ExecStart";
    case CommandList::StartPost:
      return "ExecStartPost";
    case CommandList::Reload:
      return "ExecReload";
    case CommandList::Stop:
      return "ExecStop";
    case CommandList::StopPost:
      return "ExecStopPost";
  }
  return "?";
}

std::string describe(const Action& a) {
  struct Describer {
    std::string operator()(const action::CheckConditions&) const { return "check conditions"; }
    std::string operator()(const action::PrepareExec&) const { return "prepare"; }
    std::string operator()(const action::RemoveStalePidfile&) const { return "remove stale pidfile"; }
    std::string operator()(const action::SpawnMain&) const { return "spawn main"; }
    std::string operator()(const action::SpawnControl& s) const {
      std::string text = "spawn " + std::string(to_string(s.list)) + "[" + std::to_string(s.index) + "]";
      for (const auto& [k, v] : s.environment) text += " " + k + "=" + v;
      return text;
    }
    std::string operator()(const action::Kill& k) const {
      return std::string("kill ") + target_text(k.target) + " " + values::signal_name(k.signal) +
             (k.only_new ? " (new)" : "");
    }
    std::string operator()(const action::ArmTimer& t) const { return "timer " + timer_text(t.deadline); }
    std::string operator()(const action::ArmWatchdog& t) const { return "watchdog " + timer_text(t.deadline); }
    std::string operator()(const action::WritePidfile&) const { return "write pidfile"; }
    std::string operator()(const action::RemovePidfile&) const { return "remove pidfile"; }
    std::string operator()(const action::WatchPidfile&) const { return "watch pidfile"; }
    std::string operator()(const action::UnwatchPidfile&) const { return "unwatch pidfile"; }
    std::string operator()(const action::RecheckPidfile&) const { return "recheck pidfile"; }
    std::string operator()(const action::GuessMainPid&) const { return "guess main pid"; }
    std::string operator()(const action::WatchBusName&) const { return "watch bus name"; }
    std::string operator()(const action::UnwatchBusName&) const { return "unwatch bus name"; }
    std::string operator()(const action::CleanUpRun& c) const {
      return std::string("clean up the run") + (c.restart ? " (restart)" : "");
    }
    std::string operator()(const action::NoteCondition& n) const { return "condition: " + n.message; }
    std::string operator()(const action::Report& r) const {
      return r.ok ? "report ok" + (r.message.empty() ? "" : " " + r.message)
                  : "report fail " + std::to_string(r.code) + " " + r.message;
    }
    std::string operator()(const action::ReplyReloads& r) const {
      return r.ok ? "reply ok" : "reply fail " + std::to_string(r.code) + " " + r.message;
    }
    std::string operator()(const action::ReplyRestarts& r) const {
      return r.ok ? "reply restart ok" + (r.message.empty() ? "" : " " + r.message)
                  : "reply restart fail " + std::to_string(r.code) + " " + r.message;
    }
    std::string operator()(const action::Notify& n) const {
      return std::string("notify ") + upstream_text(n.what) + n.text;
    }
    std::string operator()(const action::Record& r) const { return std::string(r.error ? "error: " : "") + r.text; }
    std::string operator()(const action::EnteredRunning&) const { return "entered running"; }
    std::string operator()(const action::TrimMemory&) const { return "trim memory"; }
  };
  return std::visit(Describer{}, a);
}

// ---- the table -------------------------------------------------------------------

namespace {

// A set of phases, one bit per SubState.
using PhaseSet = uint32_t;
static_assert(static_cast<unsigned>(SubState::AutoRestart) < 32);
constexpr PhaseSet phases(std::initializer_list<SubState> list) {
  PhaseSet set = 0;
  for (SubState p : list) set |= PhaseSet{1} << static_cast<unsigned>(p);
  return set;
}

}  // namespace

Supervisor::Handler Supervisor::handler_for(SubState phase, Event::Kind kind) const {
  using Sv = Supervisor;
  // Rows are (phases, event, handler); a pair that is not listed is ignored,
  // the first row that lists it applies. A constant table: built at run
  // time (a vector of vectors flattened into 250 rules), it left 6 kB on the
  // heap of every monitor, and more in freed chunks. The table is small; a
  // linear scan per event costs nothing next to the system calls an event
  // brings.
  struct Row {
    PhaseSet phases;
    K event;
    Handler handler;
  };
  constexpr PhaseSet kCommandsInStart = phases({S::Condition, S::StartPre, S::StartPost});
  constexpr PhaseSet kCommandPhases =
      phases({S::Condition, S::StartPre, S::Start, S::StartPost, S::Reload, S::Stop, S::StopPost});
  constexpr PhaseSet kKillPhases =
      phases({S::StopWatchdog, S::StopSigterm, S::StopSigkill, S::FinalSigterm, S::FinalSigkill});
  constexpr PhaseSet kStopPhases =
      phases({S::Stop, S::StopWatchdog, S::StopSigterm, S::StopSigkill, S::StopPost, S::FinalSigterm, S::FinalSigkill});
  constexpr PhaseSet kAllLive = phases({S::Condition, S::StartPre, S::Start, S::StartPost, S::Running, S::Exited,
                                        S::Reload, S::Stop, S::StopWatchdog, S::StopSigterm, S::StopSigkill,
                                        S::StopPost, S::FinalSigterm, S::FinalSigkill, S::AutoRestart});
  static constexpr Row kRows[] = {
      // Starting.
      {phases({S::Dead}), K::Start, &Sv::on_start},
      {phases({S::Condition, S::StartPre, S::Start, S::StartPost, S::Reload}), K::Stop, &Sv::on_stop_while_starting},
      {phases({S::Condition, S::StartPre, S::Start, S::StartPost}), K::Reload, &Sv::on_reload_refused},
      {phases({S::StartPre}), K::ConditionFailed, &Sv::on_condition_failed},
      {phases({S::StartPre}), K::AssertFailed, &Sv::on_condition_failed},
      {phases({S::Start}), K::NoMainProcess, &Sv::on_no_main_process},
      {phases({S::StopWatchdog, S::Stop, S::StopSigterm, S::StopSigkill, S::StopPost, S::FinalSigterm, S::FinalSigkill,
               S::AutoRestart}),
       K::Reload, &Sv::on_reload_refused},
      {phases({S::Condition, S::StartPre, S::Start, S::StartPost}), K::StepDone, &Sv::on_step_done_in_start},
      {phases({S::Condition, S::StartPre, S::Start, S::StartPost}), K::StepFailed, &Sv::on_step_failed_in_start},
      {phases({S::Start}), K::MainExited, &Sv::on_main_exited_while_starting},
      {phases({S::Start}), K::Reaped, &Sv::on_reaped_while_starting},
      {phases({S::Start}), K::Timeout, &Sv::on_start_timeout},
      {phases({S::Start}), K::Ready, &Sv::on_ready_while_starting},
      {phases({S::Start}), K::PidfileAdopted, &Sv::on_pidfile_adopted_while_starting},
      {phases({S::Start}), K::PidfileRefused, &Sv::on_pidfile_refused},
      {phases({S::Start}), K::BusNameAcquired, &Sv::on_bus_name_acquired},
      {phases({S::Start}), K::BusGone, &Sv::on_bus_gone_while_starting},
      {phases({S::StartPost, S::Running, S::Exited, S::Reload}), K::BusGone, &Sv::on_bus_gone},
      {kCommandsInStart, K::Timeout, &Sv::on_command_timeout},
      {phases({S::StartPost, S::Stop, S::StopPost}), K::MainExited, &Sv::on_main_exited_during_command},

      // Commands, in whichever phase runs them.
      {phases({S::Reload, S::Stop, S::StopPost}), K::StepDone, &Sv::on_control_step},
      {phases({S::Reload, S::Stop, S::StopPost}), K::StepFailed, &Sv::on_control_step},
      {kCommandPhases, K::ControlExited, &Sv::on_control_exited},
      {phases({S::Stop, S::StopPost}), K::Timeout, &Sv::on_command_timeout},

      // Running.
      {phases({S::Running}), K::StepDone, &Sv::on_pidfile_step_while_running},
      {phases({S::Running}), K::StepFailed, &Sv::on_pidfile_step_while_running},
      {phases({S::Running, S::Exited}), K::Stop, &Sv::on_stop_while_running},
      {phases({S::Running, S::Exited}), K::Reload, &Sv::on_reload_while_running},
      {phases({S::Running}), K::Reaped, &Sv::on_reaped_while_running},
      {phases({S::Running, S::Exited}), K::Timeout, &Sv::on_runtime_max},
      {kAllLive, K::OomKill, &Sv::on_oom_kill},
      {phases({S::Running}), K::MainExited, &Sv::on_main_exited_while_running},
      {phases({S::Running}), K::BusNameLost, &Sv::on_bus_name_lost},
      {phases({S::Exited}), K::MainExited, &Sv::on_main_exited_while_exited},
      {phases({S::Running}), K::PidfileAdopted, &Sv::on_pidfile_adopted_while_running},
      {phases({S::Running}), K::PidfileGone, &Sv::on_pidfile_gone},
      {phases({S::Running, S::Reload}), K::Reloading, &Sv::on_reloading},
      {phases({S::Running, S::Reload}), K::WatchdogTimeout, &Sv::on_watchdog_timeout},
      {phases({S::Running, S::Reload}), K::WatchdogTrigger, &Sv::on_watchdog_timeout},
      {phases({S::Start, S::StartPost, S::Running, S::Reload}), K::WatchdogPing, &Sv::on_watchdog_ping},
      {kAllLive, K::WatchdogUsec, &Sv::on_watchdog_usec},
      {kAllLive, K::Stopping, &Sv::on_stopping_notice},
      {phases({S::Condition, S::StartPre, S::Start, S::StartPost, S::Stop, S::StopWatchdog, S::StopSigterm,
               S::StopSigkill, S::StopPost}),
       K::ExtendTimeout, &Sv::on_extend_timeout},

      // Reloading.
      {phases({S::Reload}), K::Reload, &Sv::on_reload_while_reloading},
      {phases({S::Reload}), K::Ready, &Sv::on_ready_while_reloading},
      {phases({S::Reload}), K::Timeout, &Sv::on_reload_timeout},
      {phases({S::Reload}), K::MainExited, &Sv::on_main_exited_during_command},

      // Stopping.
      {kStopPhases, K::Stop, &Sv::on_stop_while_stopping},
      {kKillPhases, K::MainExited, &Sv::on_stop_progress},
      {kKillPhases, K::ControlExited, &Sv::on_stop_progress},
      {kKillPhases, K::Reaped, &Sv::on_stop_progress},
      {kKillPhases, K::Timeout, &Sv::on_stop_timeout},

      // Waiting to restart.
      {phases({S::AutoRestart}), K::Stop, &Sv::on_stop_while_restarting},

      // A requested restart (`unitrun restart`): one job of the monitor's.
      {phases({S::Condition, S::StartPre, S::Start, S::StartPost, S::Running, S::Exited, S::Reload, S::AutoRestart}),
       K::Restart, &Sv::on_restart_request},
      {kStopPhases, K::Restart, &Sv::on_restart_while_stopping},
      {phases({S::AutoRestart}), K::Timeout, &Sv::on_restart_timer},

      // unitrun's own bugs, wherever they happen.
      {kAllLive, K::InternalError, &Sv::on_internal_error},
      {phases({S::Dead}), K::InternalError, &Sv::on_internal_error},
  };
  const PhaseSet bit = PhaseSet{1} << static_cast<unsigned>(phase);
  for (const Row& r : kRows)
    if ((r.phases & bit) && r.event == kind) return r.handler;
  return &Supervisor::ignore;
}

Supervisor::Supervisor(const Unit& unit, SupervisorOptions options, const std::vector<uint64_t>& earlier_starts)
    : unit_(unit), options_(options), start_limit_(unit.start_limit_interval, unit.start_limit_burst, earlier_starts) {}

std::vector<Action> Supervisor::handle(const Event& e) {
  out_.clear();
  if (done_) return {};
  // The loop queues a whole epoll batch before it handles any of it: a
  // Timeout read together with, say, the Reaped that ended a stop arrives
  // after the transition that re-armed the timer for the next phase (the
  // restart's RestartSec=). A timer fires at its deadline, so a Timeout
  // handled before the deadline now armed, or with none armed, is stale.
  if (e.kind == K::Timeout && (deadline_ == 0 || e.now < deadline_)) return {};
  (this->*handler_for(phase_, e.kind))(e);
  return std::move(out_);
}

void Supervisor::ignore(const Event&) {}

void Supervisor::record(const std::string& text, bool error) { emit(action::Record{error, text}); }

void Supervisor::report(action::Report r) {
  // Only the `start` that launched us waits, and it reads one outcome.
  if (!options_.caller_waits || reported_) return;
  reported_ = true;
  emit(std::move(r));
}

void Supervisor::arm(uint64_t deadline) {
  deadline_ = deadline;
  emit(action::ArmTimer{deadline});
}

std::optional<CommandList> Supervisor::running_list() const { return has_control_ ? list_ : std::nullopt; }

bool Supervisor::healthy(uint64_t now) const {
  if (phase_ != S::Running && phase_ != S::Reload) return !done_;
  if (!has_main_) return false;
  if (watchdog_usec_ == 0) return true;
  return now - last_ping_ < watchdog_usec_;
}

// ---- starting -------------------------------------------------------------------

void Supervisor::on_start(const Event& e) { begin_start(e.now); }

void Supervisor::on_restart_timer(const Event& e) { begin_start(e.now); }

void Supervisor::begin_start(uint64_t now) {
  service_reloading_ = false;
  // A requested restart is a fresh start, as `stop` then `start` would be:
  // the start limit and the count of automatic restarts begin anew.
  bool requested = restart_job_;
  restart_job_ = false;
  if (requested) {
    start_limit_.reset();
    restarts_ = 0;
  }
  if (!start_limit_.try_start(now)) {
    result_ = ServiceResult::StartLimitHit;
    record("start limit hit: " + std::to_string(unit_.start_limit_burst) + " starts within " +
               values::format_timespan(unit_.start_limit_interval) + "; giving up (Result: start-limit-hit)",
           true);
    exit_status_ = exit_code::kFailure;
    finish_for_good();
    return;
  }
  ++starts_made_;
  if (phase_ == S::AutoRestart && !requested) ++restarts_;
  reached_running_ = false;
  awaiting_pidfile_ = false;
  pidfile_pending_ = false;
  // WATCHDOG_USEC= lasts one run (systemd's service_start() drops the
  // override): each run begins with WatchdogSec=.
  watchdog_usec_ = unit_.watchdog_sec == kInfinity ? 0 : unit_.watchdog_sec;
  termination_.reset();
  main_ended_during_command_ = false;
  watchdog_fired_ = false;
  watchdog_stop_ = false;
  restart_pending_ = false;
  result_ = ServiceResult::Success;
  skipped_ = false;
  exited_ = false;
  main_unknown_ = false;
  runtime_deadline_ = 0;
  next_stop_mode_ = TimeoutFailureMode::Terminate;
  set_phase(S::StartPre);
  emit(action::Notify{action::Upstream::Status, "starting"});
  // Condition*= and Assert*= first, before anything runs (systemd checks
  // them at every start, automatic restarts included).
  if (!unit_.conditions.empty())
    emit(action::CheckConditions{});
  else
    emit(action::PrepareExec{});
}

void Supervisor::on_condition_failed(const Event& e) {
  emit(action::NoteCondition{e.message});
  if (e.kind == K::ConditionFailed) {
    // Not a failure: the unit is simply not started (and no restart).
    record("start condition failed: " + e.message);
    skipped_ = true;
    finish_for_good();
    return;
  }
  record("assertion failed: " + e.message, true);
  pending_failure_ = action::Report{false, exit_code::kFailure, "assertion failed: " + e.message, false};
  exit_status_ = exit_code::kFailure;
  skipped_ = true;
  finish_for_good();
}

void Supervisor::on_step_done_in_start(const Event& e) {
  switch (e.step) {
    case Step::Conditions:
      emit(action::PrepareExec{});
      return;
    case Step::Prepare:
      // ExecCondition= first: it decides whether the start goes on.
      if (!unit_.exec_condition.empty()) {
        set_phase(S::Condition);
        return begin_commands(CommandList::Condition, e);
      }
      return begin_commands(CommandList::StartPre, e);
    case Step::RemoveStalePidfile:
      emit(action::SpawnMain{});
      return;
    case Step::WatchBusName:
      // systemd ends the start on a change of owner only: a name someone
      // else holds already is not the service's doing.
      if (!e.message.empty())
        record("BusName=" + unit_.bus_name + " is owned by " + e.message +
               " already; the start waits until the service takes it over");
      emit(action::SpawnMain{});
      return;
    case Step::SpawnMain:
      has_main_ = true;
      if (unit_.type == ServiceType::Forking || unit_.type == ServiceType::Notify || is_dbus())
        arm(after(e.now, unit_.timeout_start));
      // A forking command is not the daemon: its pidfile names that once
      // it has exited. Everyone else's PID goes into the pidfile before
      // `start` returns: a service must never run untracked.
      if (unit_.type == ServiceType::Forking) return;
      if (up_once_spawned()) {
        // Nothing but the pidfile stands between this spawn and running:
        // the unit is running first, so that the record the loop writes
        // before the pidfile names the main PID (WritePidfile) says all
        // that the reply will say (active (running), Ready:, "started"),
        // and no second write comes before the reply. Who waits hears it
        // once the pidfile is written (on_pidfile_step_while_running).
        pidfile_pending_ = true;
        started(e);
      }
      emit(action::WritePidfile{});
      return;
    case Step::WritePidfile:
      if (unit_.type == ServiceType::Notify) return;  // READY=1 comes next
      if (is_dbus()) return;                          // BusNameAcquired comes next
      return started(e);
    case Step::WatchPidfile:
    case Step::GuessMainPid:
      return;  // PidfileAdopted, PidfileRefused, NoMainProcess or a timeout comes next
    case Step::SpawnControl:
      return on_control_step(e);
  }
}

// Simple, exec and idle services are up once spawned (their exec has
// succeeded, for Type=exec); with ExecStartPost= they are not running
// before it has run, and its spawn writes the record anyway.
bool Supervisor::up_once_spawned() const {
  return (unit_.type == ServiceType::Simple || unit_.type == ServiceType::Exec || unit_.type == ServiceType::Idle) &&
         unit_.exec_start_post.empty();
}

// The pidfile's outcome for a service that is running already
// (up_once_spawned). Written: who waits hears that the unit runs. Not
// written: the start fails as it would have before running (the service
// is stopped, ExecStop= does not run, `start` is told why); a reader of the
// record saw it active for the microseconds between, as systemd shows a
// service that dies right after it started.
void Supervisor::on_pidfile_step_while_running(const Event& e) {
  if (!pidfile_pending_ || e.step != Step::WritePidfile) return;
  pidfile_pending_ = false;
  if (e.kind == K::StepDone) return announce_running(e);
  reached_running_ = false;
  start_failed(exit_code::kFailure, e.message, ServiceResult::Resources, e);
}

void Supervisor::on_step_failed_in_start(const Event& e) {
  if (e.step == Step::SpawnControl) return on_control_step(e);
  ServiceResult why = e.step == Step::SpawnMain ? ServiceResult::ExitCode : ServiceResult::Resources;
  int code = e.not_installed ? exit_code::kNotInstalled : exit_code::kFailure;
  // No bus to watch: the service never ran, and what its log ends with is
  // an older run's.
  start_failed(code, e.message, why, e, e.step != Step::WatchBusName);
}

void Supervisor::spawn_main(const Event& e) {
  set_phase(S::Start);
  if (unit_.type == ServiceType::Oneshot) {
    // Every ExecStart= command runs to completion; success is their status.
    return begin_commands(CommandList::Start, e);
  }
  if (unit_.type == ServiceType::Forking && has_pidfile()) {
    // We hold the alive lock, so a pidfile there now is stale, left by a
    // crash. Its PID may have been reused by a stranger, which must not make
    // the start fail when the daemon is a moment late in writing its own.
    emit(action::RemoveStalePidfile{});
    return;
  }
  if (is_dbus()) {
    // The watch begins before the service exists, so that its taking the
    // name can never come before we listen.
    emit(action::WatchBusName{});
    return;
  }
  emit(action::SpawnMain{});
}

void Supervisor::on_main_exited_while_starting(const Event& e) {
  has_main_ = false;
  const Termination& t = e.termination;
  if (unit_.type == ServiceType::Forking) {
    // The daemonizing command is done. A '-' on ExecStart= makes its exit
    // status irrelevant (postgresql's pg_ctlcluster), as in systemd.
    bool ignore_status = !unit_.exec_start.empty() && unit_.exec_start.front().ignore_failure;
    if (t.exit_code == 0 || ignore_status) {
      if (e.no_children)
        return start_failed(exit_code::kFailure, "the forking command " + describe(t) + " and left no process behind",
                            ServiceResult::Protocol, e);
      awaiting_pidfile_ = true;
      if (!has_pidfile()) {
        // No PIDFile=: the main process is guessed, as systemd guesses it
        // (GuessMainPID=): the one process left of the unit.
        emit(action::GuessMainPid{});
        return;
      }
      emit(action::WatchPidfile{});
      return;
    }
    termination_ = t;
    return start_failed(exit_code::kFailure, "the service " + describe(t) + " while starting", result_of(unit_, t), e);
  }
  if (is_dbus()) return main_exited_before_bus_name(t, e);
  termination_ = t;
  std::string why = unit_.type == ServiceType::Notify ? "the service " + describe(t) + " before it sent READY=1"
                                                      : "the service " + describe(t) + " while starting";
  ServiceResult r = is_clean(unit_, t) ? ServiceResult::Protocol : result_of(unit_, t);
  start_failed(exit_code::kFailure, why, r, e);
}

void Supervisor::on_reaped_while_starting(const Event& e) {
  // A forking start that lost every process before the daemon wrote its
  // pidfile will never see one: fail now, not after TimeoutStartSec=. Only
  // once the forking command has exited: the Reaped of the last
  // ExecStartPre= comes right after the command is asked for, before it
  // runs, when there is no process yet.
  if (unit_.type != ServiceType::Forking || !awaiting_pidfile_ || has_main_ || has_control_ || !e.no_children) return;
  start_failed(exit_code::kFailure, "no process of the unit is left, and PIDFile= named none", ServiceResult::Protocol,
               e);
}

void Supervisor::on_pidfile_adopted_while_starting(const Event& e) {
  has_main_ = true;
  emit(action::UnwatchPidfile{});
  started(e);
}

bool Supervisor::has_run_state() const {
  for (const auto& d : unit_.directories)
    if (!d.paths.empty()) return true;
  return !unit_.credentials.empty() || unit_.standard_input.is_tty() ||
         unit_.standard_output.kind == OutputSpec::Kind::Tty || unit_.standard_error.kind == OutputSpec::Kind::Tty;
}

void Supervisor::skip_start(const std::string& why, const Event& e) {
  emit(action::NoteCondition{why});
  record("start condition failed: " + why);
  skipped_ = true;
  result_ = ServiceResult::ExecCondition;  // systemd's Result=exec-condition, which is no failure
  // What ExecCondition= left is stopped, and ExecStopPost= runs, as after
  // any start that did not happen.
  begin_stop(false, false, e);
}

void Supervisor::on_no_main_process(const Event& e) {
  // GuessMainPID=no (or nothing to guess from): the unit runs without a main
  // process, and its run is over when no process of it is left.
  record("no main process to follow (Type=forking without PIDFile=); the unit runs while any of its processes does");
  main_unknown_ = true;
  emit(action::UnwatchPidfile{});
  started(e);
}

void Supervisor::on_reaped_while_running(const Event& e) {
  // Only a unit without a main process ends this way; one with a main
  // process ends when it exits (MainExited, PidfileGone).
  if (!main_unknown_ || has_main_ || has_control_ || !e.no_children) return;
  termination_ = Termination{0, 0, false, false};  // nothing to say otherwise: its processes are all gone
  service_ended(e);
}

// ---- Type=dbus (systemd's service_bus_name_owner_change()) ----------------------

void Supervisor::on_bus_name_acquired(const Event& e) {
  if (!is_dbus() || !has_main_) return;
  record("BusName=" + unit_.bus_name + " appeared on the system bus (owner " + e.message + ")");
  started(e);
}

void Supervisor::main_exited_before_bus_name(const Termination& t, const Event& e) {
  termination_ = t;
  std::string what = "the service " + describe(t) + " before BusName=" + unit_.bus_name + " appeared on the system bus";
  if (!is_clean(unit_, t)) return start_failed(exit_code::kFailure, what, result_of(unit_, t), e);
  // systemd's service_enter_running() with a clean exit: the service is not
  // "good" without its name, so it is done (Result=success), or active with
  // nothing running under RemainAfterExit=yes.
  arm(0);
  if (unit_.remain_after_exit) {
    record(what + "; active (RemainAfterExit=yes)");
    reached_running_ = true;
    emit(action::Notify{action::Upstream::Ready, ""});
    enter_exited(e);
    if (first_start_) report(action::Report{true, exit_code::kSuccess, "exited", false});
    return;
  }
  record(what + "; stopping", true);
  // The caller wanted a running service and gets none: said as a failure,
  // although the unit ends dead, not failed, as in systemd.
  if (first_start_ && options_.caller_waits && !pending_failure_)
    pending_failure_ = action::Report{false, exit_code::kFailure, what, true};
  begin_stop(!first_start_ && !stop_requested_ && should_restart(unit_, t), true, e);
}

void Supervisor::on_bus_name_lost(const Event& e) {
  if (!is_dbus()) return;
  // systemd: a Type=dbus service without its name is no longer good, even
  // with its main process alive; the stop is a clean one (Result=success),
  // and Restart= decides as after a clean exit.
  std::string what = "BusName=" + unit_.bus_name + " left the system bus" +
                     (e.message.empty() ? std::string() : " (released by " + e.message + ")");
  emit(action::ArmWatchdog{0});
  if (unit_.remain_after_exit) {
    record(what + "; active (RemainAfterExit=yes)");
    arm(0);
    enter_exited(e);
    return;
  }
  record(what + "; stopping", true);
  Termination clean{0, 0, false, false};
  begin_stop(!stop_requested_ && should_restart(unit_, clean), reached_running_, e);
}

void Supervisor::on_bus_gone_while_starting(const Event& e) {
  start_failed(exit_code::kFailure, e.message + " while waiting for BusName=" + unit_.bus_name,
               ServiceResult::Resources, e);
}

void Supervisor::on_bus_gone(const Event& e) {
  // systemd keeps a running service when the bus goes (it cannot see the
  // name any more either); so do we, and say so.
  record(e.message + "; BusName=" + unit_.bus_name + " is no longer watched", true);
}

void Supervisor::on_main_exited_while_exited(const Event& e) {
  // RemainAfterExit=yes after BusName= was lost: the main process may still
  // end; the unit stays active until a stop.
  has_main_ = false;
  termination_ = e.termination;
}

void Supervisor::on_pidfile_refused(const Event& e) {
  start_failed(exit_code::kFailure, e.message, ServiceResult::Protocol, e);
}

void Supervisor::on_ready_while_starting(const Event& e) {
  if (unit_.type != ServiceType::Notify) return;
  record("READY=1");
  started(e);
}

void Supervisor::on_start_timeout(const Event& e) {
  if (has_control_) emit(action::Kill{action::Target::Control, SIGKILL});
  next_stop_mode_ = unit_.timeout_start_failure_mode;
  std::string what = "start timed out after " + values::format_timespan(unit_.timeout_start);
  if (unit_.type == ServiceType::Notify) what += " without READY=1";
  if (is_dbus()) what += " without BusName=" + unit_.bus_name + " appearing on the system bus";
  if (unit_.type == ServiceType::Oneshot) what = "ExecStart timed out";
  start_failed(exit_code::kFailure, what, ServiceResult::Timeout, e);
}

void Supervisor::started(const Event& e) {
  arm(0);
  set_phase(S::StartPost);
  begin_commands(CommandList::StartPost, e);
}

void Supervisor::enter_running(const Event& e) {
  reached_running_ = true;
  if (unit_.type == ServiceType::Oneshot) {
    termination_ = Termination{0, 0, false, false};
    if (unit_.remain_after_exit) {
      // Active with nothing running, until a stop (ExecStop= then runs).
      record("finished successfully; active (RemainAfterExit=yes)");
      emit(action::Notify{action::Upstream::Ready, ""});
      enter_exited(e);
      if (first_start_) report(action::Report{true, exit_code::kSuccess, "exited", false});
      reply_restart(true, exit_code::kSuccess, "exited");
      return;
    }
    // A oneshot has done its work: report, then wind down (ExecStop= runs,
    // as systemd runs it for a oneshot that finished).
    record("finished successfully");
    emit(action::Notify{action::Upstream::Ready, ""});
    reply_restart(true, exit_code::kSuccess, "0");
    begin_stop(false, true, e);
    return;
  }
  set_phase(S::Running);
  emit(action::EnteredRunning{});
  // RuntimeMaxSec=: the run may last this long, plus a share of
  // RuntimeRandomizedExtraSec= (drawn from the clock: the table reads no
  // random source).
  runtime_deadline_ = 0;
  if (unit_.runtime_max != kInfinity) {
    Usec extra = unit_.runtime_randomized_extra ? e.now % (unit_.runtime_randomized_extra + 1) : 0;
    runtime_deadline_ = e.now + unit_.runtime_max + extra;
    arm(runtime_deadline_);
  }
  // WatchdogSec=, or what WATCHDOG_USEC= said since this run began (sent
  // with READY=1, it is handled just before it).
  if (watchdog_usec_ != 0) {
    last_ping_ = e.now;
    emit(action::ArmWatchdog{e.now + watchdog_usec_});
  }
  // The event first, so that the record the reply waits for says it too
  // (one write, not a second one just after the reply); its log line is
  // formatted and written once the loop is about to sleep (MonitorLog).
  // Then who waits hears it, once the pidfile is written when that comes
  // next (up_once_spawned).
  emit(action::Record{false, first_start_ ? "started" : "restarted", true});
  if (!pidfile_pending_) announce_running(e);
}

void Supervisor::announce_running(const Event& e) {
  if (first_start_) report(action::Report{true, exit_code::kSuccess, "", false});
  reply_restart(true, exit_code::kSuccess, "");
  emit(action::Notify{action::Upstream::Ready, ""});
  emit(action::Notify{action::Upstream::StatusRunning, ""});
  // The monitor now mostly sleeps for as long as the service runs: hand back
  // the heap pages that starting needed.
  emit(action::TrimMemory{});
  if (main_ended_during_command_) service_ended(e);  // it ended during ExecStartPost=
}

void Supervisor::enter_exited(const Event& e) {
  exited_ = true;
  set_phase(S::Exited);
  emit(action::EnteredRunning{});
  runtime_deadline_ = 0;
  if (unit_.runtime_max != kInfinity) {
    runtime_deadline_ = e.now + unit_.runtime_max;
    arm(runtime_deadline_);
  }
}

void Supervisor::on_runtime_max(const Event& e) {
  if (runtime_deadline_ == 0) return;
  record("RuntimeMaxSec=" + values::format_timespan(unit_.runtime_max) + " reached; stopping", true);
  fail_with(ServiceResult::Timeout);
  Termination t;
  t.timeout = true;
  termination_ = termination_.value_or(t);
  runtime_deadline_ = 0;
  begin_stop(!stop_requested_ && should_restart(unit_, t), reached_running_, e);
}

void Supervisor::on_oom_kill(const Event& e) {
  // systemd's OOMPolicy=stop (its default): an OOM kill of any process of
  // the unit stops it, Result=oom-kill, and Restart= decides (a SIGKILL is
  // unclean). A main process already seen dying of it was that SIGKILL.
  record("the kernel's OOM killer killed a process of the unit", true);
  if (result_ == ServiceResult::Success || result_ == ServiceResult::Signal) result_ = ServiceResult::OomKill;
  bool stopping = phase_ == S::Stop || phase_ == S::StopWatchdog || phase_ == S::StopSigterm ||
                  phase_ == S::StopSigkill || phase_ == S::StopPost || phase_ == S::FinalSigterm ||
                  phase_ == S::FinalSigkill || phase_ == S::AutoRestart;
  if (stopping) return;
  Termination t;
  t.signal = SIGKILL;
  if (!termination_) termination_ = t;
  if (first_start_ && !reached_running_ && options_.caller_waits && !pending_failure_)
    pending_failure_ =
        action::Report{false, exit_code::kFailure, "a process of the unit was killed by the OOM killer", true};
  begin_stop(!stop_requested_ && !pending_failure_ && should_restart(unit_, t), reached_running_, e);
}

void Supervisor::start_failed(int code, const std::string& message, ServiceResult why, const Event& e,
                              bool quote_output) {
  arm(0);
  record("start failed: " + message, true);
  fail_with(why);
  // A requested restart's requester hears of it once this stop is over, as
  // a `start` does: nothing of the failed run is left then.
  if (restart_reply_pending_ && !restart_failure_) restart_failure_ = action::ReplyRestarts{false, code, message};
  if (first_start_) {
    // Reported once the stop sequence is over, so that when `start` returns
    // nothing of the failed start is left running.
    pending_failure_ = action::Report{false, code, message, quote_output};
    exit_status_ = code;
    begin_stop(false, false, e);
    return;
  }
  // A restart that failed to start counts like a crash: Restart= decides,
  // and the start limit ends a loop.
  Termination as_failure = termination_.value_or(Termination{});
  if (as_failure.exit_code < 0 && as_failure.signal == 0) as_failure.exit_code = 1;
  if (why == ServiceResult::Timeout) as_failure.timeout = true;
  begin_stop(!stop_requested_ && should_restart(unit_, as_failure), false, e);
}

// ---- commands -------------------------------------------------------------------

Usec Supervisor::start_timeout_for_oneshot() const {
  // systemd.service(5): a oneshot's start has no timeout unless one is set.
  bool set = unit_.key_lines.count("Service.TimeoutStartSec") || unit_.key_lines.count("Service.TimeoutSec");
  return set ? unit_.timeout_start : kInfinity;
}

std::vector<std::pair<std::string, std::string>> Supervisor::stop_post_environment() const {
  // systemd.exec(5): what ExecStopPost= (and ExecStop=) learn about the end.
  std::vector<std::pair<std::string, std::string>> env;
  env.emplace_back("SERVICE_RESULT", to_string(result_));
  if (termination_ && termination_->exit_code >= 0) {
    env.emplace_back("EXIT_CODE", "exited");
    env.emplace_back("EXIT_STATUS", std::to_string(termination_->exit_code));
  } else if (termination_ && termination_->signal > 0) {
    env.emplace_back("EXIT_CODE", termination_->core_dumped ? "dumped" : "killed");
    env.emplace_back("EXIT_STATUS", exit_status_word(termination_->signal));
  }
  return env;
}

namespace {
// What a list that is none of the unit's returns: at namespace scope, made
// before main() (an empty vector is constant), not a function's static,
// whose first use took a guard and registered its destructor with libc:
// two copy-on-write faults (the guard's page, libc's list of exit
// handlers) in every monitor, at its first command.
const std::vector<Command> kNoCommands;
}  // namespace

const std::vector<Command>& Supervisor::commands_of(CommandList list) const {
  switch (list) {
    case CommandList::Condition:
      return unit_.exec_condition;
    case CommandList::StartPre:
      return unit_.exec_start_pre;
    case CommandList::Start:
      return unit_.exec_start;
    case CommandList::StartPost:
      return unit_.exec_start_post;
    case CommandList::Reload:
      return unit_.exec_reload;
    case CommandList::Stop:
      return unit_.exec_stop;
    case CommandList::StopPost:
      return unit_.exec_stop_post;
  }
  return kNoCommands;
}

void Supervisor::begin_commands(CommandList list, const Event& e) {
  list_ = list;
  next_command_ = 0;
  command_not_installed_ = false;
  run_next_command(e);
}

void Supervisor::run_next_command(const Event& e) {
  if (next_command_ >= commands_of(*list_).size()) {
    CommandList done = *list_;
    list_.reset();
    // The event at hand, not a new one: what follows (is anything left to
    // kill after ExecStopPost=? after a oneshot's commands?) reads its
    // no_children.
    return commands_finished(done, true, "", exit_code::kSuccess, ServiceResult::Success, e);
  }
  Usec timeout = unit_.timeout_start;
  if (*list_ == CommandList::Start) timeout = start_timeout_for_oneshot();
  if (*list_ == CommandList::Stop || *list_ == CommandList::StopPost) timeout = unit_.timeout_stop;
  std::vector<std::pair<std::string, std::string>> env;
  if (*list_ == CommandList::StopPost || *list_ == CommandList::Stop) env = stop_post_environment();
  command_timed_out_ = false;
  arm(after(e.now, timeout));
  emit(action::SpawnControl{*list_, next_command_, std::move(env)});
}

void Supervisor::on_control_step(const Event& e) {
  if (!list_) return;
  if (e.kind == K::StepDone) {
    has_control_ = true;
    return;  // its exit comes next
  }
  // The command could not even be started.
  const Command& c = commands_of(*list_).at(next_command_);
  std::string what = std::string(to_string(*list_)) + ": " + e.message;
  record(what, true);
  ++next_command_;
  if (c.ignore_failure) return run_next_command(e);
  CommandList failed = *list_;
  list_.reset();
  arm(0);
  commands_finished(failed, false, what, e.not_installed ? exit_code::kNotInstalled : exit_code::kFailure,
                    ServiceResult::ExitCode, e);
}

void Supervisor::on_control_exited(const Event& e) {
  has_control_ = false;
  if (!list_) return;  // a control process of an abandoned list: reaping it was all
  arm(0);
  const Command& c = commands_of(*list_).at(next_command_);
  const Termination& t = e.termination;
  ++next_command_;
  if (*list_ == CommandList::Start) termination_ = t;  // a oneshot's command is its main process
  if (t.exit_code == 0 && !command_timed_out_) return run_next_command(e);
  std::string what = std::string(to_string(*list_)) + " '" + join_words(c.argv) + "' " +
                     (command_timed_out_ ? "timed out" : describe(t));
  record(what);
  if (*list_ == CommandList::Condition && !command_timed_out_ && t.exit_code >= 1 && t.exit_code <= 254) {
    // systemd.service(5): "exit code of 1 through 254 (inclusive) ... the
    // rest of the commands are skipped and the unit is not marked as
    // failed"; 255 or a signal is a failure.
    list_.reset();
    return skip_start(what, e);
  }
  if (c.ignore_failure && !command_timed_out_) return run_next_command(e);
  CommandList failed = *list_;
  list_.reset();
  commands_finished(failed, false, what, exit_code::kFailure,
                    command_timed_out_                              ? ServiceResult::Timeout
                    : result_of(unit_, t) == ServiceResult::Success ? ServiceResult::ExitCode
                                                                    : result_of(unit_, t),
                    e);
}

void Supervisor::on_command_timeout(const Event& e) {
  if (!has_control_ || !list_) return;
  record(std::string(to_string(*list_)) + " timed out; killing it", true);
  command_timed_out_ = true;
  emit(action::Kill{action::Target::Control, SIGKILL});  // its exit fails the list
  (void)e;
}

void Supervisor::commands_finished(CommandList list, bool ok, const std::string& error, int code, ServiceResult why,
                                   const Event& e) {
  switch (list) {
    case CommandList::Condition:
      if (!ok) return start_failed(code, error, why, e);
      set_phase(S::StartPre);
      return begin_commands(CommandList::StartPre, e);
    case CommandList::StartPre:
      if (!ok) return start_failed(code, error, why, e);
      return spawn_main(e);
    case CommandList::Start:  // a oneshot's
      if (!ok) return start_failed(code, error, why, e);
      return started(e);
    case CommandList::StartPost:
      if (!ok) return start_failed(code, error, why, e);
      return enter_running(e);
    case CommandList::Reload:
      return end_reload(ok, error, e);
    case CommandList::Stop:
      // TimeoutStopSec= passed for an ExecStop= command: a timeout, as
      // systemd's "Stopping timed out. Terminating." (and for ExecStopPost=,
      // "State 'stop-post' timed out").
      if (why == ServiceResult::Timeout) fail_with(why);
      return enter_first_kill(e);
    case CommandList::StopPost:
      if (why == ServiceResult::Timeout) fail_with(why);
      return after_stop_post(e);
  }
}

// ---- running --------------------------------------------------------------------

void Supervisor::on_main_exited_during_command(const Event& e) {
  // ExecStartPost= or ExecReload= (or ExecStop=) is still at work: systemd
  // lets it finish, then finds the main process gone.
  has_main_ = false;
  emit(action::ArmWatchdog{0});
  Termination t = e.termination;
  if (watchdog_fired_) t.watchdog = true;
  termination_ = t;
  if (phase_ == S::Stop || phase_ == S::StopPost) return;
  if (phase_ == S::Reload && !has_control_) return service_ended(e);  // RELOADING=1: no command to wait for
  main_ended_during_command_ = true;
}

void Supervisor::on_main_exited_while_running(const Event& e) {
  has_main_ = false;
  Termination t = e.termination;
  if (watchdog_fired_) t.watchdog = true;
  termination_ = t;
  emit(action::ArmWatchdog{0});
  if (unit_.type == ServiceType::Forking && !unit_.pid_file.empty() && !watchdog_fired_) {
    // A daemon may hand over to a new process and exit (nginx's binary
    // upgrade: USR2, then QUIT to the old master): PIDFile= says who the
    // main process is now, as systemd reads it again.
    emit(action::RecheckPidfile{});
    return;
  }
  service_ended(e);
}

void Supervisor::on_pidfile_adopted_while_running(const Event& e) {
  if (has_main_) return;
  has_main_ = true;
  termination_.reset();
  if (watchdog_usec_ != 0) {
    last_ping_ = e.now;
    emit(action::ArmWatchdog{e.now + watchdog_usec_});
  }
}

void Supervisor::on_pidfile_gone(const Event& e) {
  if (has_main_) return;
  service_ended(e);
}

void Supervisor::service_ended(const Event& e) {
  // The main process is gone on its own (or the watchdog's doing): the run
  // is over, and Restart= decides whether another follows.
  Termination t = termination_.value_or(Termination{});
  if (unit_.remain_after_exit && reached_running_ && !watchdog_stop_ && result_of(unit_, t) == ServiceResult::Success &&
      result_ == ServiceResult::Success) {
    // RemainAfterExit=yes: a clean exit leaves the unit active; its stop
    // comes when asked for (systemd's "exited").
    record("the main process exited; active (RemainAfterExit=yes)");
    arm(0);
    enter_exited(e);
    return;
  }
  fail_with(result_of(unit_, t));
  bool restart = !stop_requested_ && should_restart(unit_, t);
  begin_stop(restart, reached_running_ && !watchdog_stop_, e);
}

void Supervisor::on_watchdog_ping(const Event& e) {
  last_ping_ = e.now;
  if (watchdog_usec_ != 0 && (phase_ == S::Running || phase_ == S::Reload))
    emit(action::ArmWatchdog{e.now + watchdog_usec_});
}

void Supervisor::on_watchdog_usec(const Event& e) {
  if (e.usec == 0 || e.usec == kInfinity) return;
  watchdog_usec_ = e.usec;
  if (phase_ == S::Running || phase_ == S::Reload) {
    last_ping_ = e.now;  // the deadline counts from now: so does healthy()
    emit(action::ArmWatchdog{e.now + watchdog_usec_});
  }
}

void Supervisor::on_watchdog_timeout(const Event& e) {
  if (!has_main_) return;
  // sd_notify(3): "WatchdogSec= does not need to be enabled for
  // "WATCHDOG=trigger" to trigger the watchdog action."
  if (e.kind == K::WatchdogTimeout && watchdog_usec_ == 0) return;
  // Stale, as a Timeout can be (handle()): a WATCHDOG=1 handled just before
  // it, from the same epoll batch, re-armed the watchdog.
  if (e.kind == K::WatchdogTimeout && e.now - last_ping_ < watchdog_usec_) return;
  if (e.kind == K::WatchdogTrigger)
    record(
        "watchdog triggered by the service (WATCHDOG=trigger); sending " + values::signal_name(unit_.watchdog_signal),
        true);
  else
    record("watchdog timeout (no WATCHDOG=1 for " + values::format_timespan(watchdog_usec_) + "); sending " +
               values::signal_name(unit_.watchdog_signal),
           true);
  result_ = ServiceResult::Watchdog;
  watchdog_fired_ = true;  // the main process's end is marked as the watchdog's
  // A stop without ExecStop=, by SIGABRT, escalating to FinalKillSignal=
  // after TimeoutStopSec= like any stop: a hung service may not even act on
  // SIGABRT.
  watchdog_stop_ = true;
  Termination t;
  t.watchdog = true;
  begin_stop(!stop_requested_ && should_restart(unit_, t), false, e);
}

void Supervisor::on_extend_timeout(const Event& e) {
  // EXTEND_TIMEOUT_USEC=: the current phase may take `usec` more from now,
  // never less than it had.
  if (deadline_ == 0 || e.usec == kInfinity) return;
  uint64_t extended = e.now + e.usec;
  if (extended > deadline_) arm(extended);
}

void Supervisor::on_stopping_notice(const Event&) { record("service is stopping (STOPPING=1)"); }

// ---- reload ---------------------------------------------------------------------

void Supervisor::on_reload_while_running(const Event& e) {
  if (unit_.exec_reload.empty()) {
    // As systemd: a unit without ExecReload= cannot be reloaded. Sending
    // SIGHUP instead would end every program that has no handler for it.
    emit(action::ReplyReloads{false, exit_code::kUnimplemented,
                              "the unit has no ExecReload=, so it cannot be reloaded (restart it instead)"});
    return;
  }
  reload_pending_ = true;
  set_phase(S::Reload);
  emit(action::Notify{action::Upstream::Reloading, ""});
  record("reloading");
  begin_commands(CommandList::Reload, e);
}

void Supervisor::on_reload_while_reloading(const Event&) { reload_pending_ = true; }

void Supervisor::on_reload_refused(const Event&) {
  emit(action::ReplyReloads{false, exit_code::kNotRunning, "the unit is not running"});
}

void Supervisor::on_reloading(const Event& e) {
  service_reloading_ = true;
  // During ExecReload= the command decides; its end finds the service still
  // reloading (below, end_reload), where systemd 252 would lose the news.
  if (phase_ == S::Reload) return;
  // The service reloads on its own; READY=1 ends it, TimeoutStartSec=
  // bounds it (systemd's timeout for reloads too).
  set_phase(S::Reload);
  emit(action::Notify{action::Upstream::Reloading, ""});
  record("reloading (RELOADING=1)");
  arm(after(e.now, unit_.timeout_start));
}

void Supervisor::on_ready_while_reloading(const Event& e) {
  service_reloading_ = false;
  if (has_control_ || list_) return;  // ExecReload= decides, not READY=1
  end_reload(true, "", e);
}

void Supervisor::on_reload_timeout(const Event& e) {
  if (has_control_) return on_command_timeout(e);
  record("reload timed out without READY=1", true);
  end_reload(false, "no READY=1 within " + values::format_timespan(unit_.timeout_start) + " of RELOADING=1", e);
}

void Supervisor::end_reload(bool ok, const std::string& error, const Event& e) {
  if (ok && service_reloading_ && has_main_ && !main_ended_during_command_) {
    // ExecReload= is done, and the service said RELOADING=1 without READY=1
    // since: the reload requester has its answer, but the service is still
    // at work, and READY=1 (or TimeoutStartSec=) ends the phase.
    if (reload_pending_) {
      emit(action::ReplyReloads{true, exit_code::kSuccess, ""});
      reload_pending_ = false;
    }
    arm(after(e.now, unit_.timeout_start));
    return;
  }
  service_reloading_ = false;
  arm(runtime_deadline_);  // RuntimeMaxSec= goes on counting
  set_phase(exited_ ? S::Exited : S::Running);
  emit(action::Notify{action::Upstream::Ready, ""});
  record(ok ? "reloaded" : "reload failed: " + error, !ok);
  if (reload_pending_) {
    emit(action::ReplyReloads{ok, ok ? exit_code::kSuccess : exit_code::kFailure, error});
    reload_pending_ = false;
  }
  if (!exited_ && (main_ended_during_command_ || !has_main_)) {
    main_ended_during_command_ = false;
    service_ended(e);
  }
}

// ---- stopping -------------------------------------------------------------------

void Supervisor::on_stop_while_running(const Event& e) {
  stop_requested_ = true;
  begin_stop(false, reached_running_, e);
}

void Supervisor::on_stop_while_starting(const Event& e) {
  // Something is at work (a start, a reload): systemd goes straight to
  // killing, without ExecStop=.
  stop_requested_ = true;
  if (first_start_ && options_.caller_waits && !pending_failure_)
    pending_failure_ = action::Report{false, exit_code::kFailure, "start cancelled: a stop was requested", false};
  if (reload_pending_) {
    emit(action::ReplyReloads{false, exit_code::kFailure, "the unit is stopping"});
    reload_pending_ = false;
  }
  begin_stop(false, false, e);
}

void Supervisor::on_stop_while_stopping(const Event&) {
  stop_requested_ = true;
  restart_pending_ = false;  // a restart in progress ends here
}

void Supervisor::on_stop_while_restarting(const Event&) {
  stop_requested_ = true;
  // systemd's service_stop(): "A restart will be scheduled or is in
  // progress." → SERVICE_DEAD. The unit is stopped, not failed; Result=
  // still says how the last run ended.
  finish_for_good(true);
}

// ---- a requested restart -------------------------------------------------------

void Supervisor::on_restart_request(const Event& e) {
  // `unitrun restart` asks; the monitor carries the restart out as one job
  // (stop, then start), so that a caller the stop kills (one inside the
  // service's own tree, say over ssh into an sshd unit) cannot leave the
  // service down, and answers once the new run is up or has failed.
  restart_reply_pending_ = true;
  restart_job_ = true;
  record("restart requested");
  if (phase_ == S::AutoRestart) {
    // Waiting for RestartSec= already: start now (that timer is void).
    arm(0);
    begin_start(e.now);
    return;
  }
  // Something at work (a start, a reload) is killed, without ExecStop=, as
  // a stop would; a running service gets its ExecStop=.
  bool starting = phase_ != S::Running && phase_ != S::Exited;
  begin_stop(true, !starting && reached_running_, e);
}

void Supervisor::on_restart_while_stopping(const Event&) {
  if (restart_pending_ && !stop_requested_) {
    // A restart is under way (Restart=, or another request): join it.
    restart_reply_pending_ = true;
    restart_job_ = true;
    return;
  }
  // A stop for good: the requester starts the unit anew once it is over.
  emit(action::ReplyRestarts{false, exit_code::kNotRunning, "the unit is stopping"});
}

void Supervisor::reply_restart(bool ok, int code, std::string message) {
  restart_failure_.reset();
  if (!restart_reply_pending_) return;
  restart_reply_pending_ = false;
  emit(action::ReplyRestarts{ok, code, std::move(message)});
}

void Supervisor::begin_stop(bool restart_after, bool run_exec_stop, const Event& e) {
  if (reload_pending_) {
    emit(action::ReplyReloads{false, exit_code::kFailure, "the service stopped during the reload"});
    reload_pending_ = false;
  }
  list_.reset();
  restart_pending_ = restart_after;
  main_ended_during_command_ = false;
  // A pidfile step still awaited has no outcome to give now: its step event
  // always comes before anything else (the loop's queue is first in, first
  // out), so this only matters when an action before it failed (an
  // internal error); kept set, it would hold `run`'s start lock to the end.
  pidfile_pending_ = false;
  emit(action::ArmWatchdog{0});
  emit(action::UnwatchPidfile{});
  if (is_dbus()) emit(action::UnwatchBusName{});  // each run watches anew
  if (restart_after) {
    // A restart of our own: systemd's unit stays up.
  } else if (result_ == ServiceResult::Watchdog && !stop_requested_ && options_.upstream) {
    // Under systemd: the service hung and nothing here restarts it. Let
    // systemd see a watchdog failure (Result=watchdog), not only our exit
    // status.
    emit(action::Notify{action::Upstream::WatchdogTrigger, ""});
  } else {
    emit(action::Notify{action::Upstream::Stopping, ""});
  }
  emit(action::Notify{action::Upstream::Status, restart_after ? "restarting" : "stopping"});
  if (run_exec_stop && !unit_.exec_stop.empty()) {
    set_phase(S::Stop);
    return begin_commands(CommandList::Stop, e);
  }
  enter_first_kill(e);
}

void Supervisor::enter_first_kill(const Event& e) {
  // TimeoutStartFailureMode=kill: FinalKillSignal= at once; abort: the
  // watchdog's signal (as a watchdog stop); else KillSignal=.
  TimeoutFailureMode mode = next_stop_mode_;
  next_stop_mode_ = TimeoutFailureMode::Terminate;
  if (mode == TimeoutFailureMode::Kill && unit_.kill_mode != KillMode::None) {
    set_phase(S::StopSigkill);
    if (stop_complete(e)) return after_kill(e);
    emit(action::Kill{unit_.kill_mode == KillMode::ControlGroup ? action::Target::Tree : action::Target::MainAndControl,
                      unit_.final_kill_signal});
    arm(after(e.now, unit_.timeout_stop));
    return;
  }
  enter_signal(watchdog_stop_ || mode == TimeoutFailureMode::Abort ? S::StopWatchdog : S::StopSigterm, e);
}

int Supervisor::first_stop_signal(SubState phase) const {
  if (phase == S::StopWatchdog) return unit_.watchdog_signal;  // WatchdogSignal=, SIGABRT for a core dump of the hang
  // RestartKillSignal= when the stop is a restart's, as systemd.kill(5) says.
  if (restart_pending_ && unit_.restart_kill_signal) return *unit_.restart_kill_signal;
  return unit_.kill_signal;
}

Usec Supervisor::stop_timeout(SubState phase) const {
  // TimeoutAbortSec= bounds the watchdog's signal (systemd.service(5)).
  if (phase == S::StopWatchdog) return unit_.timeout_abort.value_or(unit_.timeout_stop);
  return unit_.timeout_stop;
}

void Supervisor::enter_signal(SubState phase, const Event& e) {
  set_phase(phase);
  mixed_escalated_ = false;
  if (unit_.kill_mode == KillMode::None) {
    // systemd.kill(5): "no process is killed", only ExecStop= ran. What is
    // left runs on, outside any supervision.
    if (!stop_complete(e)) record("KillMode=none: the unit's processes are left running");
    return after_kill(e);
  }
  // A watchdog stop sends WatchdogSignal= (SIGABRT, for a core dump of the
  // hang) where a stop sends KillSignal=, as systemd does.
  int sig = first_stop_signal(phase);
  if (stop_complete(e)) return after_kill(e);
  action::Target target =
      unit_.kill_mode == KillMode::ControlGroup ? action::Target::Tree : action::Target::MainAndControl;
  emit(action::Kill{target, sig});  // mixed: the rest get FinalKillSignal= once main is gone
  // SendSIGHUP=: SIGHUP right after, for shells and the like that only
  // end on a hang-up (systemd.kill(5)).
  if (unit_.send_sighup && sig != SIGHUP && phase == S::StopSigterm) emit(action::Kill{target, SIGHUP});
  arm(after(e.now, stop_timeout(phase)));
}

void Supervisor::enter_final_kill(SubState phase, const Event& e) {
  set_phase(phase);
  int sig = phase == S::FinalSigterm ? unit_.kill_signal : unit_.final_kill_signal;
  if (unit_.kill_mode == KillMode::Process)
    emit(action::Kill{action::Target::MainAndControl, sig});  // the rest is left alone
  else
    emit(action::Kill{action::Target::Tree, sig});
  arm(after(e.now, unit_.timeout_stop));
}

bool Supervisor::stop_complete(const Event& e) const {
  // KillMode=process leaves the rest running, as systemd does.
  if (unit_.kill_mode == KillMode::Process &&
      (phase_ == S::StopSigterm || phase_ == S::StopWatchdog || phase_ == S::StopSigkill))
    return !has_main_ && !has_control_;
  // We are the subreaper of everything the service started: a descendant
  // either is our child or has a living ancestor that is. So "no child,
  // live or zombie" is exact, where a scan of /proc is not.
  return !has_main_ && e.no_children;
}

void Supervisor::on_stop_progress(const Event& e) {
  if (e.kind == K::MainExited) {
    has_main_ = false;
    if (!termination_) {
      Termination t = e.termination;
      if (watchdog_fired_) t.watchdog = true;
      termination_ = t;
    }
  }
  if (e.kind == K::ControlExited) has_control_ = false;
  bool final_phase = phase_ == S::FinalSigterm || phase_ == S::FinalSigkill;
  if (stop_complete(e)) return final_phase ? finish_cycle(e) : after_kill(e);
  // Processes forked since the last round get their signal too.
  if (phase_ == S::StopSigkill || phase_ == S::FinalSigkill) {
    if (unit_.kill_mode != KillMode::Process) emit(action::Kill{action::Target::Tree, unit_.final_kill_signal, true});
  } else if (unit_.kill_mode == KillMode::ControlGroup) {
    emit(action::Kill{action::Target::Tree, first_stop_signal(phase_), true});
  } else if (unit_.kill_mode == KillMode::Mixed && !has_main_ && unit_.send_sigkill) {
    // mixed: the main process got KillSignal=; the rest get SIGKILL once it
    // is gone (the control process too, although it had KillSignal=).
    // systemd.kill(5): "the termination request is repeated with the
    // SIGKILL signal or the signal specified via FinalKillSignal= (unless
    // this is disabled via the SendSIGKILL= option)".
    emit(action::Kill{action::Target::TreeButMain, unit_.final_kill_signal, mixed_escalated_});
    mixed_escalated_ = true;
  }
}

void Supervisor::on_stop_timeout(const Event& e) {
  switch (phase_) {
    case S::StopWatchdog:
    case S::StopSigterm:
      if (!unit_.send_sigkill) {
        record("stop timed out; SendSIGKILL=no, leaving the remaining processes");
        fail_with(ServiceResult::Timeout);  // systemd: "timed out. Skipping SIGKILL.", a timeout all the same
        return after_kill(e);
      }
      if (phase_ == S::StopSigterm && unit_.timeout_stop_failure_mode == TimeoutFailureMode::Abort) {
        // TimeoutStopFailureMode=abort: the watchdog's signal, then
        // FinalKillSignal= after TimeoutAbortSec=.
        record("did not stop within " + values::format_timespan(unit_.timeout_stop) + " of " +
                   values::signal_name(first_stop_signal(phase_)) + "; sending " +
                   values::signal_name(unit_.watchdog_signal) + " (TimeoutStopFailureMode=abort)",
               true);
        fail_with(ServiceResult::Timeout);
        return enter_signal(S::StopWatchdog, e);
      }
      record("did not stop within " + values::format_timespan(stop_timeout(phase_)) + " of " +
                 values::signal_name(first_stop_signal(phase_)) + "; sending " +
                 values::signal_name(unit_.final_kill_signal),
             true);
      fail_with(ServiceResult::Timeout);
      set_phase(S::StopSigkill);
      if (unit_.kill_mode == KillMode::Process)
        emit(action::Kill{action::Target::MainAndControl, unit_.final_kill_signal});
      else
        emit(action::Kill{action::Target::Tree, unit_.final_kill_signal});
      arm(after(e.now, unit_.timeout_stop));
      return;
    case S::StopSigkill:
      record("processes survived " + values::signal_name(unit_.final_kill_signal) + "; giving up on them", true);
      return after_kill(e);
    case S::FinalSigterm:
      if (!unit_.send_sigkill) {
        fail_with(ServiceResult::Timeout);
        return finish_cycle(e);
      }
      fail_with(ServiceResult::Timeout);
      return enter_final_kill(S::FinalSigkill, e);
    case S::FinalSigkill:
      record("processes survived " + values::signal_name(unit_.final_kill_signal) + "; giving up on them", true);
      return finish_cycle(e);
    default:
      return;
  }
}

void Supervisor::after_kill(const Event& e) {
  arm(0);
  set_phase(S::StopPost);
  begin_commands(CommandList::StopPost, e);
}

void Supervisor::after_stop_post(const Event& e) {
  // ExecStopPost= may have left processes: systemd's final-sigterm.
  if (!has_main_ && !e.no_children && unit_.kill_mode != KillMode::Process && !unit_.exec_stop_post.empty())
    return enter_final_kill(S::FinalSigterm, e);
  finish_cycle(e);
}

void Supervisor::finish_cycle(const Event& e) {
  arm(0);
  if (restart_failure_) reply_restart(false, restart_failure_->code, restart_failure_->message);
  // Through a restart the pidfile keeps naming the last main PID until the
  // next one replaces it, atomically: a reader never finds it missing.
  if (restart_pending_ && !stop_requested_) {
    restart_pending_ = false;
    first_start_ = false;
    if (has_run_state()) emit(action::CleanUpRun{true});
    set_phase(S::AutoRestart);
    if (restart_job_) {
      // Asked for: the start follows at once (through the timer all the
      // same, so that a stop request is heard in between).
      emit(action::Notify{action::Upstream::Status, "restarting"});
      arm(e.now + 1);
      return;
    }
    record("restarting in " + values::format_timespan(unit_.restart_sec));
    emit(action::Notify{action::Upstream::Status, "restarting in " + values::format_timespan(unit_.restart_sec)});
    // Always through the timer, even for RestartSec=0: a crash loop then
    // passes through the loop's wait once per round, where a stop request
    // is heard.
    arm(e.now + (unit_.restart_sec == 0 ? 1 : unit_.restart_sec));
    return;
  }
  finish_for_good();
}

void Supervisor::finish_for_good(bool stopped_while_restarting) {
  emit(action::ArmTimer{0});
  deadline_ = 0;
  emit(action::RemovePidfile{});
  if (has_run_state()) emit(action::CleanUpRun{false});
  // A skipped start (a condition, ExecCondition= 1..254) is no failure;
  // Result=exec-condition says why all the same.
  bool failed = result_ != ServiceResult::Success && !stopped_while_restarting && !skipped_;
  if (failed && !pending_failure_ && !stop_requested_ && result_ != ServiceResult::StartLimitHit) {
    // For `run` under systemd: a failure must show in our exit status, so
    // that systemd's Restart= and Result= see it. (A start limit hit has set
    // its own, 1: the last run's end is not what ended the monitor.)
    Termination t = termination_.value_or(Termination{});
    exit_status_ = t.exit_code > 0 ? t.exit_code : t.signal > 0 ? 128 + t.signal : exit_code::kFailure;
  }
  set_phase(failed ? S::Failed : S::Dead);
  record(failed ? std::string("failed (Result: ") + to_string(result_) + ")" : "stopped");
  if (reload_pending_) emit(action::ReplyReloads{false, exit_code::kNotRunning, "the unit stopped"});
  reload_pending_ = false;
  if (restart_failure_)
    reply_restart(false, restart_failure_->code, restart_failure_->message);
  else
    reply_restart(
        false, exit_code::kFailure,
        result_ == ServiceResult::StartLimitHit ? "start limit hit" : "the unit stopped before it started again");
  if (pending_failure_)
    report(*pending_failure_);
  else if (skipped_)
    report(action::Report{true, exit_code::kSuccess, "skipped", false});
  else if (unit_.type == ServiceType::Oneshot && reached_running_ && !failed)
    report(action::Report{true, exit_code::kSuccess, "0", false});
  else
    report(action::Report{false, exit_code::kFailure, "the service stopped while starting", true});
  done_ = true;
}

// ---- unitrun's own failures ----------------------------------------------------

void Supervisor::on_internal_error(const Event& e) {
  if (internal_error_) {
    // It failed again while stopping for the first one: end everything now.
    record("internal error again (" + e.message + "); killing every process of the unit", true);
    emit(action::Kill{action::Target::Tree, SIGKILL});
    fail_with(ServiceResult::Resources);
    if (exit_status_ == 0) exit_status_ = exit_code::kFailure;
    stop_requested_ = true;
    finish_for_good();
    return;
  }
  internal_error_ = true;
  record("internal error: " + e.message + "; stopping the service", true);
  fail_with(ServiceResult::Resources);
  // The stop below is ours, not asked for: under systemd our exit status
  // must show the failure (finish_for_good() computes none after a stop).
  if (exit_status_ == 0) exit_status_ = exit_code::kFailure;
  if (first_start_ && options_.caller_waits && !pending_failure_)
    pending_failure_ = action::Report{false, exit_code::kFailure, "internal error: " + e.message, false};
  bool stopping = phase_ == S::Stop || phase_ == S::StopWatchdog || phase_ == S::StopSigterm ||
                  phase_ == S::StopSigkill || phase_ == S::StopPost || phase_ == S::FinalSigterm ||
                  phase_ == S::FinalSigkill;
  stop_requested_ = true;
  if (phase_ == S::AutoRestart || phase_ == S::Dead) return finish_for_good();
  if (!stopping) begin_stop(false, false, e);
}

}  // namespace unitrun::monitor
