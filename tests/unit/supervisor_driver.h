// A test driver for the supervisor's table (src/monitor/supervisor.h): a
// fake clock, a fake world (is there a main process, a control process,
// other processes of the unit?) and a script of how the fallible actions
// turn out. It stands where the monitor's loop (monitor.cc) stands:
//
// - every event is handled with `now` and `no_children` filled in from the
//   fake clock and world, as the loop fills them in when it handles it;
// - a fallible action (PrepareExec, RemoveStalePidfile, SpawnMain,
//   WritePidfile, WatchPidfile, WatchBusName, SpawnControl) is answered with StepDone or
//   StepFailed, queued behind the events already waiting, as the loop
//   queues it; RecheckPidfile with PidfileAdopted or PidfileGone;
// - the events of one batch (a SIGCHLD that reaped the main process: its
//   MainExited, then Reaped) are all queued before the first is handled,
//   as the loop dispatches an epoll batch before it handles its queue.
//
// Every action is recorded as describe(action) text. Kill actions change
// nothing in the world: a test says how the processes react.
#pragma once

#include <signal.h>

#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "monitor/supervisor.h"

namespace unitrun::test {

using monitor::Action;
using monitor::CommandList;
using monitor::Event;
using monitor::Step;
using monitor::Supervisor;
using monitor::SupervisorOptions;
using monitor::Termination;

inline constexpr Usec kSec = 1000000;
inline constexpr Usec kMs = 1000;
// The fake monotonic clock starts here, not at 0: a deadline of 0 means "no
// timer", and a bug that mistakes one for the other must not hide.
inline constexpr uint64_t kT0 = 1000 * kSec;

inline Termination exited(int code) {
  Termination t;
  t.exit_code = code;
  return t;
}

inline Termination killed(int sig) {
  Termination t;
  t.signal = sig;
  return t;
}

inline Termination dumped(int sig) {
  Termination t = killed(sig);
  t.core_dumped = true;
  return t;
}

// A command line as the parser would store it (words split on spaces).
inline Command command(const std::string& line, bool ignore_failure = false) {
  Command c;
  size_t start = 0;
  while (start < line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    if (end > start) c.argv.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  c.program = c.argv.empty() ? "" : c.argv.front();
  c.ignore_failure = ignore_failure;
  return c;
}

inline Unit unit_of(ServiceType type) {
  Unit u;
  u.name = "svc";
  u.path = "/etc/unitrun/svc.ini";
  u.type = type;
  u.exec_start = {command("/usr/bin/svc")};
  if (type == ServiceType::Forking) {
    u.pid_file = "/run/svc.pid";
    u.key_lines["Service.PIDFile"] = 1;  // PIDFile= set: the daemon is found through it
  }
  return u;
}

// Marks a key as set in the unit file (the supervisor reads key_lines where
// "set" and "default" differ: a oneshot's TimeoutStartSec=).
inline void set_key(Unit& u, const std::string& key) { u.key_lines[key] = 1; }

class Driver {
 public:
  explicit Driver(Unit unit, SupervisorOptions options = {true, false})
      : unit_(std::move(unit)), supervisor_(unit_, options) {}
  Driver(const Driver&) = delete;  // the supervisor holds a reference to unit_
  Driver& operator=(const Driver&) = delete;

  // ---- the fake world and the script ----
  uint64_t now = kT0;
  bool main = false;     // the main process lives
  bool control = false;  // a control process (Exec*= other than a daemon's ExecStart=) lives
  int others = 0;        // other processes of the unit (children, a forked daemon)

  // The next `times` attempts at `step` fail (after any failures scripted before).
  void fail(Step step, std::string message = "exec: No such file or directory", bool not_installed = false,
            int times = 1) {
    for (int i = 0; i < times; ++i) failures_[step].push_back({std::move(message), not_installed});
  }
  // Every attempt at `step` fails from now on.
  void fail_always(Step step, std::string message = "exec: No such file or directory", bool not_installed = false) {
    always_[step] = {std::move(message), not_installed};
  }
  void succeed_again(Step step) {
    always_.erase(step);
    failures_.erase(step);
  }
  bool pidfile_written = false;  // WatchPidfile's first look finds the daemon's pidfile
  // CheckConditions: what the evaluation says ("" = they pass).
  std::string condition_fails, assert_fails;
  bool pidfile_names_new_main = false;  // RecheckPidfile finds a new main process
  std::string bus_owner;                // WatchBusName finds BusName= owned by this unique name ("" = nobody)

  // ---- events ----
  void start() { send(Event::Kind::Start); }
  void stop() { send(Event::Kind::Stop); }
  void reload() { send(Event::Kind::Reload); }
  void restart() { send(Event::Kind::Restart); }
  void notify(Event::Kind kind, Usec usec = 0) {
    Event e;
    e.kind = kind;
    e.usec = usec;
    feed({e});
  }
  void send(Event::Kind kind) {
    Event e;
    e.kind = kind;
    feed({e});
  }
  void internal_error(const std::string& message) {
    Event e;
    e.kind = Event::Kind::InternalError;
    e.message = message;
    feed({e});
  }

  // The main process ends: reaped by the loop, which queues MainExited and
  // Reaped together.
  void main_exits(Termination t) {
    REQUIRE(main);
    main = false;
    feed({exit_event(Event::Kind::MainExited, t), of_kind(Event::Kind::Reaped)});
  }
  void control_exits(Termination t) {
    REQUIRE(control);
    control = false;
    feed({exit_event(Event::Kind::ControlExited, t), of_kind(Event::Kind::Reaped)});
  }
  // Another process of the unit ends (an orphan the monitor reaps).
  void other_exits(int n = 1) {
    REQUIRE(others >= n);
    others -= n;
    feed({of_kind(Event::Kind::Reaped)});
  }
  // Everything alive ends at once, by `sig` (one SIGCHLD, one batch).
  void all_die(int sig) {
    std::vector<Event> batch;
    if (main) batch.push_back(exit_event(Event::Kind::MainExited, killed(sig)));
    if (control) batch.push_back(exit_event(Event::Kind::ControlExited, killed(sig)));
    main = control = false;
    others = 0;
    batch.push_back(of_kind(Event::Kind::Reaped));
    feed(batch);
  }
  // A forking daemon's pidfile appears and names one of the unit's processes.
  void pidfile_adopted() {
    REQUIRE(others > 0);
    --others;
    main = true;
    send(Event::Kind::PidfileAdopted);
  }
  // Type=dbus: BusName= changes owner on the system bus, or the bus goes.
  void bus_event(Event::Kind kind, const std::string& message) {
    Event e;
    e.kind = kind;
    e.message = message;
    feed({e});
  }
  void pidfile_refused(const std::string& why) {
    Event e;
    e.kind = Event::Kind::PidfileRefused;
    e.message = why;
    feed({e});
  }

  // The clock.
  void advance(Usec span) { now += span; }
  // The phase timer expires: the clock moves to its deadline.
  void fire_timer() {
    REQUIRE(timer_ != 0);
    if (now < timer_) now = timer_;
    send(Event::Kind::Timeout);
  }
  void fire_watchdog() {
    REQUIRE(watchdog_ != 0);
    if (now < watchdog_) now = watchdog_;
    send(Event::Kind::WatchdogTimeout);
  }

  // A batch of events, queued together and handled in order; what the
  // actions raise joins the queue behind them.
  void feed(std::vector<Event> batch) {
    for (Event& e : batch) queue_.push_back(std::move(e));
    int budget = 100000;  // a table that never settles is a failure, not a hang
    while (!queue_.empty()) {
      REQUIRE(--budget > 0);
      Event e = std::move(queue_.front());
      queue_.pop_front();
      handle(std::move(e));
    }
  }

  // ---- observations ----
  Supervisor& sv() { return supervisor_; }
  const Unit& unit() const { return unit_; }
  // Every action so far, and the kind of the event that produced it.
  const std::vector<std::string>& log() const { return log_; }
  const std::vector<Event::Kind>& causes() const { return causes_; }
  // The actions since the last take().
  std::vector<std::string> take() {
    std::vector<std::string> out(log_.begin() + static_cast<std::ptrdiff_t>(taken_), log_.end());
    taken_ = log_.size();
    return out;
  }
  // take(), without the lines that only inform: Record (the log and event
  // list), Notify STATUS= (a status line for systemd), TrimMemory.
  std::vector<std::string> steps() {
    std::vector<std::string> out;
    for (size_t i = taken_; i < log_.size(); ++i)
      if (!informative_[i]) out.push_back(log_[i]);
    taken_ = log_.size();
    return out;
  }
  uint64_t timer() const { return timer_; }        // 0: off
  uint64_t watchdog() const { return watchdog_; }  // 0: off
  // The describe() text of a timer `span` from now (the table's timers are absolute).
  std::string timer_in(Usec span) const { return monitor::describe(monitor::action::ArmTimer{now + span}); }
  std::string watchdog_in(Usec span) const { return monitor::describe(monitor::action::ArmWatchdog{now + span}); }
  int count(const std::string& text) const {
    int n = 0;
    for (const std::string& l : log_) n += l == text;
    return n;
  }
  int count_prefix(const std::string& prefix) const {
    int n = 0;
    for (const std::string& l : log_) n += l.rfind(prefix, 0) == 0;
    return n;
  }
  bool logged(const std::string& text) const { return count(text) > 0; }
  // A log line containing `part` (records are sentences).
  bool mentions(const std::string& part) const {
    for (const std::string& l : log_)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
  std::vector<monitor::action::Report> reports;
  std::vector<monitor::action::ReplyReloads> replies;
  std::vector<monitor::action::ReplyRestarts> restart_replies;
  std::vector<monitor::action::SpawnControl> spawned_controls;
  // What the loop's record says when it writes it just before a pidfile
  // (the loop copies the phase after each handle(), before its actions).
  struct PidfileWrite {
    SubState phase;
    bool pending;    // Supervisor::pidfile_pending()
    size_t reports;  // reports made before it
  };
  std::vector<PidfileWrite> pidfile_writes;

 private:
  struct Failure {
    std::string message;
    bool not_installed = false;
  };

  static Event of_kind(Event::Kind kind) {
    Event e;
    e.kind = kind;
    return e;
  }
  static Event exit_event(Event::Kind kind, Termination t) {
    Event e = of_kind(kind);
    e.termination = t;
    return e;
  }

  bool fails(Step step, Failure& f) {
    if (auto it = failures_.find(step); it != failures_.end() && !it->second.empty()) {
      f = it->second.front();
      it->second.pop_front();
      return true;
    }
    if (auto it = always_.find(step); it != always_.end()) {
      f = it->second;
      return true;
    }
    return false;
  }

  void answer(Step step, bool& alive_flag) {
    Failure f;
    Event e;
    e.step = step;
    if (fails(step, f)) {
      e.kind = Event::Kind::StepFailed;
      e.message = f.message;
      e.not_installed = f.not_installed;
    } else {
      e.kind = Event::Kind::StepDone;
      alive_flag = true;
    }
    queue_.push_back(std::move(e));
  }

  void handle(Event e) {
    e.now = now;
    e.no_children = !main && !control && others == 0;
    Event::Kind cause = e.kind;
    std::vector<Action> actions = supervisor_.handle(e);
    for (const Action& a : actions) {
      log_.push_back(monitor::describe(a));
      causes_.push_back(cause);
      bool informative =
          std::holds_alternative<monitor::action::Record>(a) || std::holds_alternative<monitor::action::TrimMemory>(a);
      if (auto* n = std::get_if<monitor::action::Notify>(&a))
        informative =
            n->what == monitor::action::Upstream::Status || n->what == monitor::action::Upstream::StatusRunning;
      informative_.push_back(informative);
      execute(a);
    }
  }

  void execute(const Action& a) {
    namespace act = monitor::action;
    bool ignored = false;
    if (std::holds_alternative<act::CheckConditions>(a)) {
      if (!condition_fails.empty() || !assert_fails.empty()) {
        Event e = of_kind(condition_fails.empty() ? Event::Kind::AssertFailed : Event::Kind::ConditionFailed);
        e.message = condition_fails.empty() ? assert_fails : condition_fails;
        queue_.push_back(std::move(e));
      } else {
        answer(Step::Conditions, ignored);
      }
    } else if (std::holds_alternative<act::GuessMainPid>(a)) {
      // The loop's guess: the one process left, if there is exactly one.
      if (unit_.guess_main_pid && others == 1) {
        --others;
        main = true;
        queue_.push_back(of_kind(Event::Kind::PidfileAdopted));
      } else if (unit_.guess_main_pid && others > 1) {
        Event e = of_kind(Event::Kind::StepFailed);
        e.step = Step::GuessMainPid;
        e.message = "cannot tell the main process";
        queue_.push_back(std::move(e));
      } else {
        queue_.push_back(of_kind(Event::Kind::NoMainProcess));
      }
    } else if (std::holds_alternative<act::PrepareExec>(a)) {
      answer(Step::Prepare, ignored);
    } else if (std::holds_alternative<act::RemoveStalePidfile>(a)) {
      answer(Step::RemoveStalePidfile, ignored);
    } else if (std::holds_alternative<act::SpawnMain>(a)) {
      answer(Step::SpawnMain, main);
    } else if (std::holds_alternative<act::WatchBusName>(a)) {
      Failure f;
      Event e;
      e.step = Step::WatchBusName;
      if (fails(Step::WatchBusName, f)) {
        e.kind = Event::Kind::StepFailed;
        e.message = f.message;
        e.not_installed = f.not_installed;
      } else {
        e.kind = Event::Kind::StepDone;
        e.message = bus_owner;
      }
      queue_.push_back(std::move(e));
    } else if (std::holds_alternative<act::WritePidfile>(a)) {
      pidfile_writes.push_back({supervisor_.sub_state(), supervisor_.pidfile_pending(), reports.size()});
      answer(Step::WritePidfile, ignored);
    } else if (std::holds_alternative<act::WatchPidfile>(a)) {
      bool watched = false;
      answer(Step::WatchPidfile, watched);
      // The loop's first look, right after StepDone: the daemon may have
      // written it already.
      if (watched && pidfile_written && others > 0) {
        --others;
        main = true;
        queue_.push_back(of_kind(Event::Kind::PidfileAdopted));
      }
    } else if (auto* s = std::get_if<act::SpawnControl>(&a)) {
      spawned_controls.push_back(*s);
      answer(Step::SpawnControl, control);
    } else if (std::holds_alternative<act::RecheckPidfile>(a)) {
      if (pidfile_names_new_main && others > 0) {
        --others;
        main = true;
        queue_.push_back(of_kind(Event::Kind::PidfileAdopted));
      } else {
        queue_.push_back(of_kind(Event::Kind::PidfileGone));
      }
    } else if (auto* t = std::get_if<act::ArmTimer>(&a)) {
      timer_ = t->deadline;
    } else if (auto* w = std::get_if<act::ArmWatchdog>(&a)) {
      watchdog_ = w->deadline;
    } else if (auto* r = std::get_if<act::Report>(&a)) {
      reports.push_back(*r);
    } else if (auto* reply = std::get_if<act::ReplyReloads>(&a)) {
      replies.push_back(*reply);
    } else if (auto* restart = std::get_if<act::ReplyRestarts>(&a)) {
      restart_replies.push_back(*restart);
    }
  }

  Unit unit_;
  Supervisor supervisor_;
  std::deque<Event> queue_;
  std::map<Step, std::deque<Failure>> failures_;
  std::map<Step, Failure> always_;
  uint64_t timer_ = 0, watchdog_ = 0;
  std::vector<std::string> log_;
  std::vector<Event::Kind> causes_;
  std::vector<bool> informative_;
  size_t taken_ = 0;
};

}  // namespace unitrun::test
