#include "monitor/monitor.h"

#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "base/sys.h"
#include "monitor/monitor_log.h"
#include "monitor/restart_policy.h"
#include "monitor/service_exec.h"
#include "notify/notify_server.h"
#include "notify/upstream.h"
#include "process/kill_tree.h"
#include "process/proc.h"
#include "runtime/control_socket.h"
#include "runtime/daemonize.h"
#include "runtime/safe_files.h"
#include "unit/values.h"

namespace unitrun::monitor {
namespace {

using notify::NotifyMessage;
using notify::NotifyServer;
using notify::Upstream;
using process::my_descendants;
using process::signal_verified;
using process::SignalledSet;
using runtime::listen_control;
using runtime::remove_control;

// Where the unit is in its life. One timer serves whichever phase needs one.
enum class Phase {
  StartPre,   // ExecStartPre= commands
  Starting,   // main process spawned; waiting for READY=1, or for a forking command and its pidfile
  StartPost,  // ExecStartPost= commands
  Running,
  Reloading,      // ExecReload= commands
  StopCommands,   // ExecStop= commands
  StopSignal,     // KillSignal sent, waiting up to TimeoutStopSec
  StopFinalKill,  // FinalKillSignal sent, waiting once more
  StopPost,       // ExecStopPost= commands
  AutoRestart,    // waiting RestartSec before the next start
  Done,
};

bool is_stopping(Phase p) { return p >= Phase::StopCommands && p <= Phase::StopPost; }

std::string describe(const Termination& t) {
  if (t.exit_code >= 0) return "exited, code=" + std::to_string(t.exit_code);
  if (t.signal > 0) return "killed, signal=" + values::signal_name(t.signal);
  return "exited (status unknown)";
}

Termination termination_of(int wait_status) {
  Termination t;
  if (WIFEXITED(wait_status))
    t.exit_code = WEXITSTATUS(wait_status);
  else if (WIFSIGNALED(wait_status))
    t.signal = WTERMSIG(wait_status);
  return t;
}

// LSB 5, "program is not installed": the exec found no such file.
bool is_not_installed(const process::SpawnResult& r) { return r.failed_step == "exec" && r.error == ENOENT; }

class Monitor {
 public:
  Monitor(Unit unit, RuntimeFiles files, UnitLock lock, Options options)
      : unit_(std::move(unit)),
        files_(std::move(files)),
        lock_(std::move(lock)),
        options_(options),
        upstream_(options.foreground),
        start_limit_(unit_.start_limit_interval, unit_.start_limit_burst) {}

  int run();

 private:
  // Setup and the loop.
  Status set_up();
  Status watch(int fd);
  void loop();
  void dispatch(int fd);
  void on_signal();
  void on_notify();
  void on_control_connection();
  void on_control_request(int fd);
  void on_inotify();
  void watch_pidfile_directory();
  // Makes st (a live process of our tree) the main process; false when it
  // is gone already.
  bool adopt_main(const proc::Stat& st);
  void reap_children();
  void on_foreign_main_exit();

  // Starting.
  void start_cycle();
  void spawn_main();
  void on_started();
  void enter_running();
  void start_failed(int code, const std::string& message, Termination t);
  void try_forking_pidfile();

  // Exits of processes.
  void on_main_exit(const Termination& t);
  void on_control_exit(const Termination& t);

  // Control commands (ExecStartPre= and friends), one after another.
  void run_commands(const std::vector<Command>* list, const char* what, Usec timeout,
                    std::function<void(bool ok, const std::string& error)> done);
  void run_next_command();
  // The exit code for a start that failed in a command list.
  int command_failure_code() const { return command_not_installed_ ? exit_code::kNotInstalled : exit_code::kFailure; }

  // Stopping.
  void begin_stop(bool restart_after);
  void enter_kill_phase();
  void enter_final_kill_phase();
  void check_stop_done();
  void signal_main(int sig);
  // sig to every descendant not signalled in this phase yet (the main
  // process only if include_main).
  void signal_tree(int sig, bool include_main);
  // No main process and no child, live or zombie: nobody of the unit is left.
  bool nobody_left() const;
  void after_kill();
  void finish_cycle();
  void remove_pidfile();
  void finish_for_good();

  // Reload.
  void begin_reload(int reply_fd);
  void end_reload(bool ok, const std::string& error);

  // Timers and watchdogs.
  void on_timer();
  void arm(int timer_fd, Usec from_now);
  void on_service_watchdog();
  void on_upstream_watchdog();
  bool service_healthy() const;

  // State.
  void set_state(const std::string& state);
  void save_state();   // marks the record changed; written before the loop sleeps
  void flush_state();  // writes it now, if changed
  void event(const std::string& text);
  void report_ready(bool ok, int code, const std::string& message);
  bool in_my_tree(pid_t pid) const;
  std::string last_output_lines() const;
  std::map<std::string, std::string> control_environment() const;

  Unit unit_;
  RuntimeFiles files_;
  UnitLock lock_;
  Options options_;
  MonitorLog log_;
  Upstream upstream_;
  StartLimit start_limit_;

  UniqueFd epoll_, signal_fd_, timer_fd_, watchdog_fd_, upstream_watchdog_fd_, inotify_fd_, control_fd_;
  std::optional<NotifyServer> notify_;
  MonitorState state_;
  std::optional<ExecContext> exec_context_;
  Outputs outputs_;

  Phase phase_ = Phase::StartPre;
  bool first_start_ = true;  // the `start` that launched us still waits for the outcome
  bool reached_running_ = false;
  bool stop_requested_ = false;
  bool restart_after_stop_ = false;
  pid_t main_pid_ = 0;  // 0 when there is none (not started, or reaped)
  uint64_t main_start_time_ = 0;
  UniqueFd main_pidfd_;  // only when the main PID is not our child (MAINPID=, forking)
  bool main_is_child_ = true;
  bool forking_waits_for_pidfile_ = false;
  Termination last_;  // how the main process last ended
  bool have_termination_ = false;

  pid_t control_pid_ = 0;
  const std::vector<Command>* commands_ = nullptr;
  size_t next_command_ = 0;
  const char* commands_what_ = "";
  Usec commands_timeout_ = 0;
  std::function<void(bool, const std::string&)> commands_done_;
  bool command_not_installed_ = false;  // the failed command's program does not exist

  std::vector<int> reload_replies_;
  std::vector<int> control_requests_;        // accepted control connections, their request not read yet
  uint64_t service_watchdog_last_ping_ = 0;  // monotonic
  bool watchdog_fired_ = false;
  bool watchdog_stop_ = false;  // the stop in progress is the watchdog's: SIGABRT, no ExecStop=
  std::optional<std::pair<int, std::string>> pending_failure_;  // the first start's failure, reported at the end
  bool start_failed_ = false;                                   // the first start failed: the exit status says how
  bool write_pidfile_ = true;                                   // `run` writes one only when PIDFile= asks for it
  unsigned commands_generation_ = 0;                            // tells a current control process from a stale one
  unsigned control_generation_ = 0;
  const Command* control_command_ = nullptr;
  Usec service_watchdog_usec_ = 0;
  SignalledSet signalled_;
  int exit_status_ = exit_code::kSuccess;
  bool state_dirty_ = false;
};

// ---- setup and loop -----------------------------------------------------------

int Monitor::run() {
  log_.open(unit_, options_.foreground);
  write_pidfile_ = !options_.foreground || unit_.key_lines.count("Service.PIDFile") > 0;
  state_.unit_path = unit_.path;
  state_.foreground = options_.foreground;
  state_.boot_id = sys::boot_id();
  state_.monitor_pid = ::getpid();
  state_.monitor_start_time = proc::start_time(::getpid()).value_or(0);
  if (options_.ready_fd >= 0)  // the caller may be gone (Ctrl-C): nothing to do then
    (void)sys::write_all(options_.ready_fd, daemon::identity_line(state_.monitor_pid, state_.monitor_start_time));
  auto ready = set_up();
  if (!ready) {
    log_.error("monitor setup: " + ready.error().message());
    log_.flush();
    phase_ = Phase::Done;
    report_ready(false, exit_code::kFailure, "monitor setup: " + ready.error().message());
    return exit_code::kFailure;
  }
  start_cycle();
  loop();
  flush_state();
  log_.flush();
  remove_control(files_.control);
  return exit_status_;
}

Status Monitor::watch(int fd) {
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return Error::from_errno("epoll_ctl");
  return ok();
}

Status Monitor::set_up() {
  // Orphaned descendants (double forks, setsid escapes) are re-parented to
  // us, so we reap them at once and find them at stop time.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return Error::from_errno("PR_SET_CHILD_SUBREAPER");
  // daemon(7) steps 2 and 3, for `run` as much as for `start`: what the
  // caller left us is not what we run with. An ignored SIGCHLD in particular
  // makes the kernel reap our children itself, and we would never learn how
  // the service ended.
  if (!sys::reset_signals()) return Error::from_errno("sigprocmask");
  // A closed readiness pipe or reply socket must never kill the monitor.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) return Error::from_errno("sigprocmask");
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return Error::from_errno("epoll_create1");
  signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return Error::from_errno("signalfd");
  for (UniqueFd* t : {&timer_fd_, &watchdog_fd_, &upstream_watchdog_fd_}) {
    t->reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!*t) return Error::from_errno("timerfd_create");
  }
  auto notify = NotifyServer::open();
  if (!notify) return notify.error();
  notify_.emplace(std::move(*notify));
  auto control = listen_control(files_.control);
  if (!control) return control.error();
  control_fd_ = std::move(*control);
  for (int fd : {signal_fd_.get(), timer_fd_.get(), watchdog_fd_.get(), upstream_watchdog_fd_.get(), notify_->fd(),
                 control_fd_.get()}) {
    auto w = watch(fd);
    if (!w) return w;
  }
  if (upstream_.watchdog_usec() > 0) arm(upstream_watchdog_fd_.get(), upstream_.watchdog_usec() / 2);
  return ok();
}

void Monitor::loop() {
  while (phase_ != Phase::Done) {
    flush_state();
    log_.flush();
    struct epoll_event events[8];
    int n = ::epoll_wait(epoll_.get(), events, 8, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_.error(std::string("epoll_wait: ") + std::strerror(errno));
      exit_status_ = exit_code::kFailure;
      break;
    }
    for (int i = 0; i < n && phase_ != Phase::Done; ++i) dispatch(events[i].data.fd);
  }
}

void Monitor::dispatch(int fd) {
  if (fd == signal_fd_.get())
    on_signal();
  else if (fd == timer_fd_.get())
    on_timer();
  else if (fd == watchdog_fd_.get())
    on_service_watchdog();
  else if (fd == upstream_watchdog_fd_.get())
    on_upstream_watchdog();
  else if (notify_ && fd == notify_->fd())
    on_notify();
  else if (fd == control_fd_.get())
    on_control_connection();
  else if (fd == inotify_fd_.get())
    on_inotify();
  else if (fd == main_pidfd_.get() && main_pidfd_)
    on_foreign_main_exit();
  else if (std::find(control_requests_.begin(), control_requests_.end(), fd) != control_requests_.end())
    on_control_request(fd);
  else {
    // A reload reply socket closed early: forget it.
    auto it = std::find(reload_replies_.begin(), reload_replies_.end(), fd);
    if (it != reload_replies_.end()) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      ::close(fd);
      reload_replies_.erase(it);
    }
  }
}

void Monitor::on_signal() {
  struct signalfd_siginfo info;
  while (true) {
    ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) break;  // EAGAIN: drained
    int sig = static_cast<int>(info.ssi_signo);
    switch (sig) {
      case SIGCHLD:
        reap_children();
        break;
      case SIGTERM:
      case SIGINT:
      case SIGQUIT:
        if (!stop_requested_) {
          stop_requested_ = true;
          log_.info("stop requested (" + values::signal_name(sig) + ")");
          event("stop requested");
          if (phase_ == Phase::AutoRestart) {
            finish_for_good();
          } else if (!is_stopping(phase_)) {
            begin_stop(false);
          } else {
            restart_after_stop_ = false;  // a restart in progress ends here
          }
        }
        break;
      case SIGHUP:
        // Under systemd SIGHUP is the reload request (ExecReload=kill -HUP);
        // for a daemonized monitor it means "reopen your log" (logrotate).
        if (options_.foreground)
          begin_reload(-1);
        else
          log_.reopen();
        break;
    }
  }
}

void Monitor::on_foreign_main_exit() {
  // A main process that was not our child when we adopted it (MAINPID=, a
  // forking daemon whose middle process still lived) has ended. Its parent
  // may have died meanwhile and left it to us, the subreaper: then we reap
  // it here and its wait status decides, as for any child.
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, main_pidfd_.get(), nullptr);
  main_pidfd_.reset();
  int status;
  pid_t reaped;
  do reaped = ::waitpid(main_pid_, &status, WNOHANG);
  while (reaped < 0 && errno == EINTR);
  // ECHILD: another process's child, which its parent reaps; we cannot see how it ended.
  on_main_exit(reaped == main_pid_ ? termination_of(status) : Termination{});
}

void Monitor::reap_children() {
  // What a process said just before it exited is heard first, while it is
  // still a zombie we can identify as ours (systemd, too, reads pending
  // notifications before it reaps): `sd_notify("STOPPING=1"); exit(0);`.
  if (notify_) on_notify();
  while (true) {
    int status;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;  // 0: no more exited children; ECHILD: no children at all
    if (pid == main_pid_)
      on_main_exit(termination_of(status));
    else if (pid == control_pid_)
      on_control_exit(termination_of(status));
    // Anything else is an orphan re-parented to us: reaping it is all we owe it.
  }
  if (phase_ == Phase::StopSignal || phase_ == Phase::StopFinalKill) check_stop_done();
}

bool Monitor::in_my_tree(pid_t pid) const {
  // Walk the parent links up from pid; the monitor must be on the way.
  pid_t me = ::getpid();
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    auto s = proc::read_stat(pid);
    if (!s) return false;
    if (s->ppid == me) return true;
    pid = s->ppid;
  }
  return false;
}

// ---- the notify protocol --------------------------------------------------------

void Monitor::on_notify() {
  for (int budget = 0; budget < 64; ++budget) {  // bounded: a flood cannot starve the loop
    NotifyMessage message;
    NotifyServer::Received got = notify_->receive(message);
    if (got == NotifyServer::Received::Nothing) return;
    if (got == NotifyServer::Received::Ignored) continue;  // empty, garbage, no credentials
    const NotifyMessage* m = &message;
    if (!in_my_tree(m->pid)) continue;  // only the unit's own processes are heard
    const auto& f = m->fields;
    auto has = [&](const char* k, const char* v) {
      auto it = f.find(k);
      return it != f.end() && it->second == v;
    };
    if (auto it = f.find("STATUS"); it != f.end()) {
      std::string text = it->second.substr(0, 1024);
      if (!is_valid_utf8(text)) text = "(invalid UTF-8)";
      state_.status_text = text;
      upstream_.status(text);
      save_state();
    }
    if (auto it = f.find("ERRNO"); it != f.end()) {
      auto n = values::parse_unsigned(it->second, 4095);
      if (n) {
        state_.service_errno = static_cast<int>(*n);
        event("service reported errno " + std::to_string(*n) + " (" + std::strerror(static_cast<int>(*n)) + ")");
      }
    }
    if (auto it = f.find("MAINPID"); it != f.end()) {
      auto pid = values::parse_unsigned(it->second, 4194304);
      if (pid && *pid > 1 && static_cast<pid_t>(*pid) != main_pid_ && in_my_tree(static_cast<pid_t>(*pid))) {
        pid_t p = static_cast<pid_t>(*pid);
        auto st = proc::read_stat(p);
        if (st && st->state != 'Z' && adopt_main(*st)) {
          event("main PID is now " + std::to_string(p) + " (MAINPID=)");
          if (write_pidfile_ && unit_.type != ServiceType::Forking)
            (void)safe_files::write_atomic(files_.pidfile, std::to_string(p) + "\n", 0644);
          save_state();
        }
      }
    }
    if (auto it = f.find("EXTEND_TIMEOUT_USEC"); it != f.end()) {
      auto usec = values::parse_unsigned(it->second, UINT64_MAX - 1);
      if (usec && (phase_ == Phase::Starting || is_stopping(phase_))) {
        struct itimerspec cur;
        uint64_t remaining = 0;
        if (::timerfd_gettime(timer_fd_.get(), &cur) == 0)
          remaining = static_cast<uint64_t>(cur.it_value.tv_sec) * kUsecPerSec +
                      static_cast<uint64_t>(cur.it_value.tv_nsec) / 1000;
        if (remaining != 0 && *usec > remaining) arm(timer_fd_.get(), *usec);
      }
    }
    if (has("WATCHDOG", "1"))
      service_watchdog_last_ping_ = sys::now_monotonic_usec(), arm(watchdog_fd_.get(), service_watchdog_usec_);
    if (has("WATCHDOG", "trigger") && service_watchdog_usec_ > 0) on_service_watchdog();
    if (auto it = f.find("WATCHDOG_USEC"); it != f.end()) {
      auto usec = values::parse_unsigned(it->second, UINT64_MAX - 1);
      if (usec && *usec > 0) {
        service_watchdog_usec_ = *usec;
        if (phase_ == Phase::Running) arm(watchdog_fd_.get(), service_watchdog_usec_);
      }
    }
    if (has("STOPPING", "1")) event("service is stopping (STOPPING=1)");
    if (has("RELOADING", "1") && phase_ == Phase::Running) {
      // The service reloads on its own; READY=1 ends it, TimeoutStartSec=
      // bounds it (systemd's timeout for reloads too).
      phase_ = Phase::Reloading;
      set_state("reloading");
      upstream_.reloading();
      arm(timer_fd_.get(), unit_.timeout_start);
    }
    if (has("READY", "1")) {
      if (phase_ == Phase::Starting && unit_.type == ServiceType::Notify) {
        state_.add_event("READY=1 from pid " + std::to_string(m->pid));
        on_started();
      } else if (phase_ == Phase::Reloading && commands_ == nullptr) {
        end_reload(true, "");
      }
    }
  }
}

// ---- starting -----------------------------------------------------------------------

void Monitor::start_cycle() {
  if (!start_limit_.try_start(sys::now_monotonic_usec())) {
    state_.result = "start-limit-hit";
    last_ = Termination{};
    event("start limit hit: " + std::to_string(unit_.start_limit_burst) + " starts within " +
          values::format_timespan(unit_.start_limit_interval) + "; giving up");
    log_.error("start request repeated too quickly; giving up (Result: start-limit-hit)");
    exit_status_ = exit_code::kFailure;
    finish_for_good();
    return;
  }
  if (!first_start_) state_.restarts++;
  reached_running_ = false;
  have_termination_ = false;
  watchdog_fired_ = false;
  watchdog_stop_ = false;
  signalled_.clear();
  state_.result = "success";
  state_.status_text.clear();
  set_state("starting");
  upstream_.status("starting");

  auto context = prepare_exec_context(unit_);
  if (!context) return start_failed(exit_code::kFailure, context.error().message(), {});
  exec_context_ = std::move(*context);
  // Every service may speak the notify protocol (STATUS=, WATCHDOG=1, ...);
  // only Type=notify waits for READY=1.
  exec_context_->environment["NOTIFY_SOCKET"] = notify_->address();
  if (unit_.watchdog_sec && unit_.watchdog_sec != kInfinity)
    exec_context_->environment["WATCHDOG_USEC"] = std::to_string(unit_.watchdog_sec);
  // Inherit means the journal under systemd, /dev/null when daemonized.
  auto outputs = open_outputs(unit_, options_.foreground ? STDOUT_FILENO : -1, options_.foreground);
  if (!outputs)
    return start_failed(exit_code::kFailure, "cannot open the service's output: " + outputs.error().message(), {});
  outputs_ = std::move(*outputs);

  phase_ = Phase::StartPre;
  run_commands(&unit_.exec_start_pre, "ExecStartPre", unit_.timeout_start, [this](bool ok, const std::string& error) {
    if (!ok) return start_failed(command_failure_code(), error, {});
    spawn_main();
  });
}

void Monitor::spawn_main() {
  phase_ = Phase::Starting;
  if (unit_.type == ServiceType::Oneshot) {
    // Every ExecStart= command runs to completion; success is their status.
    Usec timeout = unit_.key_lines.count("Service.TimeoutStartSec") || unit_.key_lines.count("Service.TimeoutSec")
                       ? unit_.timeout_start
                       : kInfinity;
    run_commands(&unit_.exec_start, "ExecStart", timeout, [this](bool ok, const std::string& error) {
      if (!ok) return start_failed(command_failure_code(), error, last_);
      on_started();
    });
    return;
  }
  if (unit_.type == ServiceType::Forking) {
    // We hold the alive lock, so a pidfile there now is stale, left by a
    // crash. Its PID may have been reused by a stranger, which must not make
    // the start fail when the daemon is a moment late in writing its own.
    auto removed = safe_files::remove(files_.pidfile);
    if (!removed)
      return start_failed(exit_code::kFailure, "cannot remove stale pidfile: " + removed.error().message(), {});
  }
  const Command& command = unit_.exec_start.front();
  process::ExecSpec spec = make_exec_spec(unit_, command, *exec_context_, outputs_, {});
  spec.set_watchdog_pid = unit_.watchdog_sec != 0 && unit_.watchdog_sec != kInfinity;
  process::SpawnResult spawned = process::spawn(spec);
  if (!spawned.ok()) {
    return start_failed(is_not_installed(spawned) ? exit_code::kNotInstalled : exit_code::kFailure,
                        spawned.message(spec), {});
  }
  main_pid_ = spawned.pid;
  main_is_child_ = true;
  main_start_time_ = proc::start_time(main_pid_).value_or(0);
  state_.main_pid = main_pid_;
  state_.main_start_time = main_start_time_;
  state_.main_sid = main_pid_;  // the service leads its own session
  state_.main_started_usec = sys::now_realtime_usec();
  // Written at once: should we be SIGKILLed now, `start` and `stop` find
  // the service through this record (see cli/unit_runtime.h).
  save_state();
  flush_state();

  if (unit_.type == ServiceType::Forking) {
    // The command daemonizes itself: wait for it to exit 0, then for its
    // pidfile to name a process of our tree.
    arm(timer_fd_.get(), unit_.timeout_start);
    return;
  }
  // The pidfile names the main PID before `start` returns; when it cannot be
  // written the service must not run untracked.
  if (write_pidfile_) {
    auto written = safe_files::write_atomic(files_.pidfile, std::to_string(main_pid_) + "\n", 0644);
    if (!written) return start_failed(exit_code::kFailure, "cannot write pidfile: " + written.error().message(), {});
  }
  if (unit_.type == ServiceType::Notify) {
    arm(timer_fd_.get(), unit_.timeout_start);
    return;  // on_notify calls on_started at READY=1
  }
  on_started();
}

void Monitor::try_forking_pidfile() {
  auto refuse = [&](const std::string& why) {
    start_failed(exit_code::kFailure, "PIDFile " + files_.pidfile + ": " + why, {});
  };
  auto fd = safe_files::open_for_reading(files_.pidfile);
  if (!fd) {
    if (fd.error().sys_errno == ENOENT) return;  // not written yet: inotify tells us when
    return refuse(fd.error().message());
  }
  struct stat st;
  if (::fstat(fd->get(), &st) < 0) return refuse(std::strerror(errno));
  // A pidfile the service could forge must not steer root's signals
  // (CVE-2018-16888): only root or the service user may own it, and it must
  // not be writable by group or others.
  uid_t service_uid = exec_context_->identity.credentials ? exec_context_->identity.credentials->uid : ::geteuid();
  if ((st.st_uid != 0 && st.st_uid != service_uid) || (st.st_mode & (S_IWGRP | S_IWOTH)))
    return refuse("refusing a pidfile owned by uid " + std::to_string(st.st_uid) + " or writable by others");
  auto content = sys::read_all(fd->get(), 64);
  if (!content) return refuse(content.error().message());
  if (content->empty()) return;  // being written; the close will wake us again
  auto pid = parse_pidfile(*content);
  if (!pid) return refuse("invalid content");
  auto s = proc::read_stat(*pid);
  // A PID that is gone is not a lie but an old or early file: wait for the
  // daemon to write its own (inotify), as systemd does, up to TimeoutStartSec.
  if (!s || s->state == 'Z') return;
  if (!in_my_tree(*pid)) return refuse("refusing PID " + std::to_string(*pid) + ": not a live process of this unit");
  if (!adopt_main(*s)) return;  // it ended just now: as if gone above
  forking_waits_for_pidfile_ = false;
  if (inotify_fd_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, inotify_fd_.get(), nullptr);
    inotify_fd_.reset();
  }
  state_.main_sid = s->sid;
  save_state();
  flush_state();  // as in spawn_main
  on_started();
}

bool Monitor::adopt_main(const proc::Stat& st) {
  // A main process that is not our child is watched through a pidfd; one
  // that is gone before we hold one is not adopted.
  UniqueFd pidfd;
  bool child = st.ppid == ::getpid();
  if (!child) {
    auto fd = sys::pidfd_open(st.pid);
    if (!fd || !proc::is_same_process(st.pid, st.start_time)) return false;
    pidfd = std::move(*fd);
  }
  if (main_pidfd_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, main_pidfd_.get(), nullptr);
    main_pidfd_.reset();  // the previous main process is not ours to follow any more
  }
  main_pid_ = st.pid;
  main_start_time_ = st.start_time;
  main_is_child_ = child;
  if (pidfd) {
    main_pidfd_ = std::move(pidfd);
    if (auto w = watch(main_pidfd_.get()); !w) log_.error("cannot watch the main process: " + w.error().message());
  }
  state_.main_pid = main_pid_;
  state_.main_start_time = main_start_time_;
  return true;
}

void Monitor::watch_pidfile_directory() {
  // The daemon may create the pidfile's directory itself: watch the deepest
  // directory on the way that exists, and go deeper as they appear. Each
  // level is checked again after its parent is watched, so a directory made
  // between the two is not missed.
  const std::string target = files_.pidfile.substr(0, files_.pidfile.rfind('/'));
  std::string dir = target;
  while (::access(dir.c_str(), F_OK) != 0 && dir.find('/') != std::string::npos && dir != "/")
    dir = dir.rfind('/') == 0 ? "/" : dir.substr(0, dir.rfind('/'));
  while (true) {
    if (::inotify_add_watch(inotify_fd_.get(), dir.empty() ? "/" : dir.c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
      log_.error("cannot watch '" + dir + "' for the pidfile: " + std::strerror(errno));
      return;  // TimeoutStartSec= ends the wait
    }
    if (dir == target) return;
    size_t next = target.find('/', dir.size() + 1);
    std::string deeper = next == std::string::npos ? target : target.substr(0, next);
    if (::access(deeper.c_str(), F_OK) != 0) return;  // its creation will wake us
    dir = deeper;
  }
}

void Monitor::on_inotify() {
  char buf[4096];
  while (::read(inotify_fd_.get(), buf, sizeof buf) > 0) {
  }
  if (!forking_waits_for_pidfile_) return;
  watch_pidfile_directory();  // a directory on the way may have appeared
  try_forking_pidfile();
}

void Monitor::on_started() {
  arm(timer_fd_.get(), 0);
  phase_ = Phase::StartPost;
  run_commands(&unit_.exec_start_post, "ExecStartPost", unit_.timeout_start, [this](bool ok, const std::string& error) {
    if (!ok) return start_failed(command_failure_code(), error, {});
    enter_running();
  });
}

void Monitor::enter_running() {
  reached_running_ = true;
  if (unit_.type == ServiceType::Oneshot) {
    // A oneshot has done its work: report, then wind down.
    event("finished successfully");
    upstream_.ready();
    have_termination_ = true;
    last_ = Termination{0, 0, false, false};
    begin_stop(false);
    return;
  }
  phase_ = Phase::Running;
  state_.ready_usec = sys::now_realtime_usec();
  std::string pid = std::to_string(main_pid_);
  event(std::string(first_start_ ? "started" : "restarted") + " (pid " + pid + ")");
  set_state("running");
  if (unit_.watchdog_sec && unit_.watchdog_sec != kInfinity) {
    service_watchdog_usec_ = unit_.watchdog_sec;
    service_watchdog_last_ping_ = sys::now_monotonic_usec();
    arm(watchdog_fd_.get(), service_watchdog_usec_);
  }
  // Who waits hears it first; the log line can wait the microseconds.
  report_ready(true, exit_code::kSuccess, pid);
  upstream_.ready();
  log_.info((first_start_ ? "started (pid " : "restarted (pid ") + pid + ")");
  if (state_.status_text.empty()) upstream_.status("running (pid " + pid + ")");
  // The monitor now mostly sleeps for as long as the service runs: hand back
  // the heap pages that starting needed (parsing, environment, argv).
  (void)malloc_trim(0);
}

void Monitor::start_failed(int code, const std::string& message, Termination t) {
  arm(timer_fd_.get(), 0);
  log_.error("start failed: " + message);
  event("start failed: " + message);
  if (state_.result == "success")
    state_.result = t.timeout ? "timeout" : code == exit_code::kNotInstalled ? "exec" : "exit-code";
  have_termination_ = true;
  last_ = t;
  if (first_start_) {
    start_failed_ = true;
    std::string detail = message;
    std::string tail = last_output_lines();
    if (!tail.empty()) detail += "\n" + tail;
    // Reported once the stop sequence is over, so that when `start` returns
    // nothing of the failed start is left running.
    pending_failure_ = {code, detail};
    exit_status_ = code;
    begin_stop(false);  // nothing may be left running, and ExecStopPost= still runs
    return;
  }
  // A restart that failed to start counts like a crash: Restart= decides,
  // and the start limit ends a loop.
  Termination as_failure = t;
  if (as_failure.exit_code < 0 && as_failure.signal == 0) as_failure.exit_code = 1;
  begin_stop(!stop_requested_ && should_restart(unit_, as_failure));
}

// ---- exits ----------------------------------------------------------------------------

void Monitor::on_main_exit(const Termination& t) {
  pid_t pid = main_pid_;
  main_pid_ = 0;
  state_.main_pid = 0;
  if (main_pidfd_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, main_pidfd_.get(), nullptr);
    main_pidfd_.reset();
  }
  arm(watchdog_fd_.get(), 0);
  Termination term = t;
  if (watchdog_fired_) term.watchdog = true;
  watchdog_fired_ = false;
  state_.exit_code = term.exit_code;
  state_.exit_signal = term.signal;
  std::string what = "main process " + std::to_string(pid) + " " + describe(term);
  event(what);
  log_.info(what);

  if (phase_ == Phase::Starting) {
    if (unit_.type == ServiceType::Forking && term.exit_code == 0) {
      // The daemonizing command is done; its daemon writes the pidfile.
      forking_waits_for_pidfile_ = true;
      if (!inotify_fd_) {
        inotify_fd_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        auto watched = inotify_fd_ ? watch(inotify_fd_.get()) : Error::from_errno("inotify_init1");
        if (!watched)
          return start_failed(exit_code::kFailure, "cannot watch for the pidfile: " + watched.error().message(), term);
      }
      watch_pidfile_directory();
      try_forking_pidfile();
      return;
    }
    std::string why = unit_.type == ServiceType::Notify ? "the service " + describe(term) + " before it sent READY=1"
                                                        : "the service " + describe(term) + " while starting";
    state_.result = is_clean(unit_, term) ? "protocol" : result_of(unit_, term);
    return start_failed(exit_code::kFailure, why, term);
  }
  if (is_stopping(phase_) || phase_ == Phase::AutoRestart) {
    if (!have_termination_) {
      have_termination_ = true;
      last_ = term;
    }
    return;
  }
  // Running, StartPost or Reloading: the service ended on its own.
  have_termination_ = true;
  last_ = term;
  const char* result = result_of(unit_, term);
  if (std::string(result) != "success") state_.result = result;
  begin_stop(!stop_requested_ && should_restart(unit_, term));
}

void Monitor::on_control_exit(const Termination& t) {
  control_pid_ = 0;
  if (commands_what_ == std::string("ExecStart")) state_.main_pid = 0;  // a oneshot's command is done
  // A control process killed by a timeout may end after its sequence was
  // abandoned (the stop began meanwhile); then it only had to be reaped.
  if (control_generation_ != commands_generation_ || !commands_ || !control_command_) return;
  arm(timer_fd_.get(), 0);
  const Command& c = *control_command_;
  bool success = t.exit_code == 0;
  if (!success) {
    std::string what = std::string(commands_what_) + " '" + join_words(c.argv) + "' " + describe(t);
    log_.info(what);
    event(what);
    if (!c.ignore_failure) {
      if (commands_what_ == std::string("ExecStart")) last_ = t;
      auto done = std::move(commands_done_);
      commands_ = nullptr;
      done(false, what);
      return;
    }
  }
  run_next_command();
}

// ---- control commands -------------------------------------------------------------------

std::map<std::string, std::string> Monitor::control_environment() const {
  std::map<std::string, std::string> env;
  if (main_pid_ > 0) env["MAINPID"] = std::to_string(main_pid_);
  if (phase_ == Phase::StopPost) {
    // systemd.exec(5): what ExecStopPost= learns about the end.
    env["SERVICE_RESULT"] = state_.result;
    if (have_termination_ && last_.exit_code >= 0) {
      env["EXIT_CODE"] = "exited";
      env["EXIT_STATUS"] = std::to_string(last_.exit_code);
    } else if (have_termination_ && last_.signal > 0) {
      env["EXIT_CODE"] = "killed";
      env["EXIT_STATUS"] = values::signal_name(last_.signal).substr(3);
    }
  }
  return env;
}

void Monitor::run_commands(const std::vector<Command>* list, const char* what, Usec timeout,
                           std::function<void(bool, const std::string&)> done) {
  ++commands_generation_;
  commands_ = list;
  commands_what_ = what;
  commands_timeout_ = timeout;
  next_command_ = 0;
  command_not_installed_ = false;
  commands_done_ = std::move(done);
  run_next_command();
}

void Monitor::run_next_command() {
  while (commands_ && next_command_ < commands_->size()) {
    const Command& c = (*commands_)[next_command_++];
    if (!exec_context_) break;  // nothing was prepared: nothing can run
    process::ExecSpec spec = make_exec_spec(unit_, c, *exec_context_, outputs_, control_environment());
    process::SpawnResult r = process::spawn(spec);
    if (r.ok()) {
      control_pid_ = r.pid;
      control_generation_ = commands_generation_;
      control_command_ = &c;
      if (commands_what_ == std::string("ExecStart")) {
        // A oneshot's command is its main process for the pidfile's sake.
        state_.main_pid = r.pid;
        state_.main_sid = r.pid;
        state_.main_start_time = proc::start_time(r.pid).value_or(0);
        state_.main_started_usec = sys::now_realtime_usec();
        save_state();
        flush_state();  // as in spawn_main
      }
      arm(timer_fd_.get(), commands_timeout_);
      return;  // continues in on_control_exit
    }
    std::string what = std::string(commands_what_) + ": " + r.message(spec);
    log_.error(what);
    event(what);
    if (!c.ignore_failure) {
      command_not_installed_ = is_not_installed(r);
      auto done = std::move(commands_done_);
      commands_ = nullptr;
      done(false, what);
      return;
    }
  }
  if (!commands_) return;
  auto done = std::move(commands_done_);
  commands_ = nullptr;
  done(true, "");
}

// ---- stopping ----------------------------------------------------------------------------

void Monitor::begin_stop(bool restart_after) {
  if (!reload_replies_.empty()) end_reload(false, "the service stopped during the reload");
  restart_after_stop_ = restart_after;
  arm(watchdog_fd_.get(), 0);
  forking_waits_for_pidfile_ = false;
  if (inotify_fd_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, inotify_fd_.get(), nullptr);
    inotify_fd_.reset();
  }
  if (restart_after) {
    // A restart of our own: systemd's unit stays up.
  } else if (state_.result == "watchdog" && !stop_requested_ && upstream_.enabled()) {
    // Under systemd: the service hung and nothing here restarts it. Let
    // systemd see a watchdog failure (Result=watchdog, its own Restart=
    // on-watchdog), not only our exit status. Its answer, WatchdogSignal=
    // (SIGABRT) to us, must not make us dump core: we finish our stop
    // sequence and exit anyway.
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    (void)::sigprocmask(SIG_BLOCK, &abrt, nullptr);  // cannot fail with a valid set
    upstream_.watchdog_trigger();
  } else {
    upstream_.stopping();
  }
  upstream_.status(restart_after ? "restarting" : "stopping");
  set_state(restart_after ? "stopping (restart)" : "stopping");
  phase_ = Phase::StopCommands;
  // ExecStop= only for a service that had started (systemd.service(5)),
  // and not for one that hung.
  static const std::vector<Command> kNone;
  const std::vector<Command>* stop = reached_running_ && !watchdog_stop_ ? &unit_.exec_stop : &kNone;
  run_commands(stop, "ExecStop", unit_.timeout_stop, [this](bool, const std::string&) { enter_kill_phase(); });
}

void Monitor::enter_kill_phase() {
  phase_ = Phase::StopSignal;
  signalled_.clear();
  // A watchdog stop sends WatchdogSignal (SIGABRT, for a core dump of the
  // hang) where a stop sends KillSignal=, as systemd does.
  int sig = watchdog_stop_ ? SIGABRT : unit_.kill_signal;
  if (nobody_left()) {
    // The service ended on its own and left nobody: nothing to signal.
  } else if (unit_.kill_mode == KillMode::ControlGroup) {
    signal_tree(sig, true);
  } else {
    signal_main(sig);
  }
  arm(timer_fd_.get(), unit_.timeout_stop);
  check_stop_done();
}

void Monitor::enter_final_kill_phase() {
  phase_ = Phase::StopFinalKill;
  signalled_.clear();
  if (unit_.kill_mode == KillMode::Process)
    signal_main(unit_.final_kill_signal);  // the rest is left alone
  else
    signal_tree(unit_.final_kill_signal, true);
  arm(timer_fd_.get(), unit_.timeout_stop);
  check_stop_done();
}

void Monitor::signal_main(int sig) {
  proc::Stat main{};
  main.pid = main_pid_;
  main.start_time = main_start_time_;
  if (main_pid_ > 0 && signal_verified(main, sig)) signalled_.add(main);
}

void Monitor::signal_tree(int sig, bool include_main) {
  // A process forked while we read its parent's children is missed by one
  // scan and found by the next: scan until a scan finds nobody new (a fork
  // storm gets a bounded number of rounds; the next SIGCHLD brings another).
  for (int round = 0; round < 16; ++round) {
    bool found_new = false;
    for (const proc::Stat& s : my_descendants()) {
      if ((!include_main && s.pid == main_pid_) || signalled_.contains(s)) continue;
      found_new = true;
      (void)signal_verified(s, sig);  // false: it is gone already
      signalled_.add(s);
    }
    if (!found_new) return;
  }
}

bool Monitor::nobody_left() const {
  if (main_pid_ != 0) return false;
  // We are the subreaper of everything the service started: a descendant
  // either is our child or has a living ancestor that is. So "no child,
  // live or zombie" is exact, where a scan of /proc is not.
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  int r;
  do r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  return r < 0 && errno == ECHILD;
}

void Monitor::check_stop_done() {
  if (phase_ != Phase::StopSignal && phase_ != Phase::StopFinalKill) return;
  if (unit_.kill_mode == KillMode::Process) {
    if (main_pid_ == 0) after_kill();  // the rest is left running, as systemd does
    return;
  }
  if (nobody_left()) return after_kill();  // the usual end: nobody to scan for
  // Processes forked since the last round get their signal too.
  if (phase_ == Phase::StopFinalKill) {
    signal_tree(unit_.final_kill_signal, true);
  } else if (unit_.kill_mode == KillMode::ControlGroup) {
    signal_tree(watchdog_stop_ ? SIGABRT : unit_.kill_signal, true);
  } else if (main_pid_ == 0) {
    // mixed: the main process got KillSignal; the rest get SIGKILL once it is gone.
    signal_tree(SIGKILL, false);
  }
  if (nobody_left()) after_kill();
}

void Monitor::after_kill() {
  arm(timer_fd_.get(), 0);
  phase_ = Phase::StopPost;
  run_commands(&unit_.exec_stop_post, "ExecStopPost", unit_.timeout_stop, [this](bool, const std::string&) {
    // Commands may have left processes; ExecStopPost= is the last word.
    finish_cycle();
  });
}

void Monitor::remove_pidfile() {
  if (unit_.type != ServiceType::Forking && !write_pidfile_) return;
  auto removed = safe_files::remove(files_.pidfile);
  if (!removed) log_.error("cannot remove pidfile: " + removed.error().message());
}

void Monitor::finish_cycle() {
  // Through a restart the pidfile keeps naming the last main PID until the
  // next one replaces it, atomically: a reader never finds it missing.
  if (restart_after_stop_ && !stop_requested_) {
    phase_ = Phase::AutoRestart;
    set_state("auto-restart");
    event("restarting in " + values::format_timespan(unit_.restart_sec));
    upstream_.status("restarting in " + values::format_timespan(unit_.restart_sec));
    if (unit_.restart_sec == 0) {
      first_start_ = false;
      start_cycle();
    } else {
      arm(timer_fd_.get(), unit_.restart_sec);
    }
    return;
  }
  finish_for_good();
}

void Monitor::finish_for_good() {
  arm(timer_fd_.get(), 0);
  phase_ = Phase::Done;
  remove_pidfile();
  bool failed = state_.result != "success";
  if (failed && !start_failed_ && !stop_requested_) {
    // For `run` under systemd: a failure must show in our exit status, so
    // that Restart= and Result= see it.
    exit_status_ = last_.exit_code > 0 ? last_.exit_code : last_.signal > 0 ? 128 + last_.signal : 1;
  }
  event(failed ? "failed (Result: " + state_.result + ")" : "stopped");
  log_.info(failed ? "failed (Result: " + state_.result + ")" : "stopped");
  set_state(failed ? "failed" : "inactive");
  flush_state();
  for (int fd : reload_replies_) {
    (void)sys::write_all(fd, "fail 7 the unit stopped\n");
    ::close(fd);
  }
  reload_replies_.clear();
  if (pending_failure_)
    report_ready(false, pending_failure_->first, pending_failure_->second);
  else if (unit_.type == ServiceType::Oneshot && reached_running_ && !failed)
    report_ready(true, exit_code::kSuccess, "0");
  else if (stop_requested_)
    report_ready(false, exit_code::kFailure, "start cancelled: a stop was requested");
  else
    report_ready(false, exit_code::kFailure, "the service stopped while starting");
}

// ---- reload -------------------------------------------------------------------------------

void Monitor::on_control_connection() {
  int fd = ::accept4(control_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  UniqueFd conn(fd);
  struct ucred cred;
  socklen_t len = sizeof cred;
  // Only our own user (or root) may ask for a reload.
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || (cred.uid != 0 && cred.uid != ::geteuid())) return;
  // The request is read when it arrives, from the loop: a client that
  // connects and says nothing must not hold the monitor up.
  if (!watch(fd)) return;
  control_requests_.push_back(conn.release());
}

void Monitor::on_control_request(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  control_requests_.erase(std::find(control_requests_.begin(), control_requests_.end(), fd));
  UniqueFd conn(fd);
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n <= 0 || std::string_view(buf, static_cast<size_t>(n)).substr(0, 6) != "reload") return;
  begin_reload(conn.release());
}

void Monitor::begin_reload(int reply_fd) {
  if (reply_fd >= 0) {
    reload_replies_.push_back(reply_fd);
    (void)watch(reply_fd);
  }
  if (phase_ == Phase::Reloading) return;  // joins the reload in progress
  if (phase_ != Phase::Running) return end_reload(false, "the unit is not running");
  phase_ = Phase::Reloading;
  set_state("reloading");
  upstream_.reloading();
  event("reloading");
  if (unit_.exec_reload.empty()) {
    proc::Stat main{};
    main.pid = main_pid_;
    main.start_time = main_start_time_;
    bool sent = main_pid_ > 0 && signal_verified(main, SIGHUP);
    return end_reload(sent, sent ? "" : "the main process is gone");
  }
  run_commands(&unit_.exec_reload, "ExecReload", unit_.timeout_start,
               [this](bool ok, const std::string& error) { end_reload(ok, error); });
}

void Monitor::end_reload(bool ok, const std::string& error) {
  if (phase_ == Phase::Reloading) {
    arm(timer_fd_.get(), 0);
    phase_ = Phase::Running;
    set_state("running");
    upstream_.ready();
    event(ok ? "reloaded" : "reload failed: " + error);
  }
  flush_state();
  std::string reply = ok ? "ok\n" : (phase_ == Phase::Running ? "fail 1 " : "fail 7 ") + error + "\n";
  for (int fd : reload_replies_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    (void)sys::write_all(fd, reply);
    ::close(fd);
  }
  reload_replies_.clear();
}

// ---- timers ---------------------------------------------------------------------------------

void Monitor::arm(int fd, Usec usec) {
  struct itimerspec spec;
  std::memset(&spec, 0, sizeof spec);
  if (usec != kInfinity && usec != 0) {
    spec.it_value.tv_sec = static_cast<time_t>(usec / kUsecPerSec);
    spec.it_value.tv_nsec = static_cast<long>((usec % kUsecPerSec) * 1000);
  }
  if (::timerfd_settime(fd, 0, &spec, nullptr) < 0) log_.error(std::string("timerfd_settime: ") + std::strerror(errno));
}

void Monitor::on_timer() {
  uint64_t expirations;
  if (::read(timer_fd_.get(), &expirations, sizeof expirations) < 0) return;  // EAGAIN: already handled
  switch (phase_) {
    case Phase::Reloading:
      if (control_pid_ == 0) {
        event("reload timed out without READY=1");
        end_reload(false, "no READY=1 within " + values::format_timespan(unit_.timeout_start) + " of RELOADING=1");
        break;
      }
      [[fallthrough]];
    case Phase::StartPre:
    case Phase::StartPost:
    case Phase::StopCommands:
    case Phase::StopPost:
      if (control_pid_ > 0) {
        log_.error(std::string(commands_what_) + " timed out; killing it");
        event(std::string(commands_what_) + " timed out");
        ::kill(control_pid_, SIGKILL);  // our unreaped child: its PID cannot have been reused
      }
      break;
    case Phase::Starting: {
      Termination t;
      t.timeout = true;
      state_.result = "timeout";
      if (control_pid_ > 0) ::kill(control_pid_, SIGKILL);
      start_failed(exit_code::kFailure,
                   "start timed out after " + values::format_timespan(unit_.timeout_start) +
                       (unit_.type == ServiceType::Notify ? " without READY=1" : ""),
                   t);
      break;
    }
    case Phase::StopSignal:
      if (!unit_.send_sigkill) {
        event("stop timed out; SendSIGKILL=no, leaving the remaining processes");
        after_kill();
        break;
      }
      event("stop timed out; sending " + values::signal_name(unit_.final_kill_signal));
      log_.error("stop timed out after " + values::format_timespan(unit_.timeout_stop) + "; sending " +
                 values::signal_name(unit_.final_kill_signal));
      if (!restart_after_stop_ && state_.result == "success" && !stop_requested_) state_.result = "timeout";
      enter_final_kill_phase();
      break;
    case Phase::StopFinalKill:
      event("processes survived " + values::signal_name(unit_.final_kill_signal) + "; giving up on them");
      log_.error("processes survived the final kill; giving up on them");
      after_kill();
      break;
    case Phase::AutoRestart:
      first_start_ = false;
      start_cycle();
      break;
    default:
      break;
  }
}

void Monitor::on_service_watchdog() {
  uint64_t expirations;
  if (::read(watchdog_fd_.get(), &expirations, sizeof expirations) < 0) {
  }  // EAGAIN: nothing pending; the phase decides
  if (phase_ != Phase::Running || main_pid_ <= 0) return;
  log_.error("watchdog timeout (no WATCHDOG=1 for " + values::format_timespan(service_watchdog_usec_) +
             "); killing with SIGABRT");
  event("watchdog timeout; sending SIGABRT");
  state_.result = "watchdog";
  watchdog_fired_ = true;  // on_main_exit marks the termination as a watchdog one
  // A stop without ExecStop=, by SIGABRT, escalating to FinalKillSignal=
  // after TimeoutStopSec= like any stop: a hung service may not even act on
  // SIGABRT.
  watchdog_stop_ = true;
  Termination t;
  t.watchdog = true;
  begin_stop(!stop_requested_ && should_restart(unit_, t));
}

bool Monitor::service_healthy() const {
  // Starting, stopping (a restart's ExecStopPost= may take a while) and
  // waiting to restart: busy, not hung.
  if (phase_ != Phase::Running && phase_ != Phase::Reloading) return phase_ != Phase::Done;
  if (main_pid_ <= 0) return false;
  if (service_watchdog_usec_ == 0) return true;
  // A service with its own watchdog is healthy only while it keeps pinging,
  // so a hung service trips systemd's watchdog too.
  return sys::now_monotonic_usec() - service_watchdog_last_ping_ < service_watchdog_usec_;
}

void Monitor::on_upstream_watchdog() {
  uint64_t expirations;
  if (::read(upstream_watchdog_fd_.get(), &expirations, sizeof expirations) < 0) {
  }  // EAGAIN: nothing pending
  if (service_healthy()) upstream_.watchdog_ping();
  arm(upstream_watchdog_fd_.get(), upstream_.watchdog_usec() / 2);
}

// ---- state ------------------------------------------------------------------------------------

void Monitor::set_state(const std::string& state) {
  state_.state = state;
  state_.state_since_usec = sys::now_realtime_usec();
  save_state();
}

void Monitor::save_state() { state_dirty_ = true; }

void Monitor::flush_state() {
  // One write per turn of the loop, not one per event: a stop or a restart
  // changes the record half a dozen times in a few hundred microseconds.
  // Whoever learns something from us (the readiness pipe, a reload reply)
  // gets it after the record says so.
  if (!state_dirty_) return;
  state_dirty_ = false;
  auto w = write_state(files_.state, state_);
  if (!w) log_.error("cannot write state file: " + w.error().message());
}

void Monitor::event(const std::string& text) {
  state_.add_event(text);
  save_state();
}

std::string Monitor::last_output_lines() const {
  // The tail of the service's output, to say why a start failed.
  std::string path = error_file(unit_, options_.foreground, sys::journald_listening());
  if (path.empty()) return "";
  auto fd = safe_files::open_for_reading(path);
  if (!fd) return "";
  off_t size = ::lseek(fd->get(), 0, SEEK_END);
  off_t from = size > 2048 ? size - 2048 : 0;
  if (size <= 0 || ::lseek(fd->get(), from, SEEK_SET) < 0) return "";
  auto content = sys::read_all(fd->get(), 2048);
  if (!content) return "";
  std::string text = *content;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t cut = text.size();
  for (int lines = 0; lines < 5 && cut != std::string::npos && cut > 0; ++lines) cut = text.rfind('\n', cut - 1);
  std::string tail = cut == std::string::npos ? text : text.substr(cut + 1);
  std::string out;
  size_t start = 0;
  while (start < tail.size()) {
    size_t end = tail.find('\n', start);
    if (end == std::string::npos) end = tail.size();
    out += (out.empty() ? "" : "\n") + std::string("  | ") + tail.substr(start, end - start);
    start = end + 1;
  }
  return out;
}

void Monitor::report_ready(bool ok, int code, const std::string& message) {
  // Starts that wait behind the one that launched us may proceed now, and
  // find the unit running. A monitor that is about to exit keeps the start
  // lock: its exit drops both locks at once, so no waiting start can see the
  // alive lock still held and answer "already running" for a unit that is
  // gone.
  flush_state();
  if (phase_ != Phase::Done) (void)lock_.unlock_start();
  if (options_.ready_fd < 0) return;
  std::string line = ok ? "ok " + message + "\n" : "fail " + std::to_string(code) + " " + message + "\n";
  (void)sys::write_all(options_.ready_fd, line);  // the caller may be gone (Ctrl-C): nothing to do then
  ::close(options_.ready_fd);
  options_.ready_fd = -1;
}

}  // namespace

int run(Unit unit, RuntimeFiles files, UnitLock lock, Options options) {
  Monitor m(std::move(unit), std::move(files), std::move(lock), options);
  return m.run();
}

}  // namespace unitrun::monitor
