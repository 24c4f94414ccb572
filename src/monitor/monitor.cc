#include "monitor/monitor.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "base/sys.h"
#include "cli/exit_codes.h"
#include "daemon/safe_files.h"
#include "monitor/kill_tree.h"
#include "monitor/monitor_log.h"
#include "monitor/service_exec.h"
#include "process/proc.h"
#include "unit/values.h"

namespace unitrun::monitor {
namespace {

// Where the stop sequence is.
enum class Phase {
  Running,        // the service runs (or has just exited and the stop begins)
  StopCommands,   // ExecStop= commands run one after another
  StopSignal,     // KillSignal sent; waiting up to TimeoutStopSec
  StopFinalKill,  // FinalKillSignal sent; waiting once more
  Done,
};

class Monitor {
 public:
  Monitor(Unit unit, RuntimeFiles files, UnitLock lock, Options options)
      : unit_(std::move(unit)), files_(std::move(files)), lock_(std::move(lock)), options_(options) {}

  int run();

 private:
  Status set_up_events();
  bool start_service();
  void loop();
  void on_signal();
  void on_timer();
  void reap_children();
  void on_main_exit(int status);
  void on_control_exit(int status);

  void begin_stop(const char* why);
  void run_next_stop_command();
  void enter_kill_phase();
  void check_stop_done();
  void signal_remaining(int sig, bool include_main, bool only_new);
  void finish();

  void arm_timer(Usec usec);
  void disarm_timer() { arm_timer(0); }
  void set_state(const std::string& state);
  void save_state();
  void report_ready(bool ok, int code, const std::string& message);
  pid_t spawn_control(const Command& c);

  Unit unit_;
  RuntimeFiles files_;
  UnitLock lock_;
  Options options_;
  MonitorLog log_;

  UniqueFd epoll_, signal_fd_, timer_fd_;
  MonitorState state_;
  std::optional<ExecContext> exec_context_;
  Outputs outputs_;

  Phase phase_ = Phase::Running;
  pid_t main_pid_ = 0;       // 0 once reaped
  uint64_t main_start_time_ = 0;
  pid_t control_pid_ = 0;    // an ExecStop= command, while it runs
  size_t next_stop_command_ = 0;
  bool stop_requested_ = false;
  bool main_failed_ = false;
  SignalledSet signalled_;
  int exit_status_ = exit_code::kSuccess;
};

int Monitor::run() {
  log_.open(unit_, options_.foreground);
  state_.unit_path = unit_.path;
  state_.boot_id = sys::boot_id();
  state_.monitor_pid = ::getpid();
  state_.monitor_start_time = proc::start_time(::getpid()).value_or(0);

  auto events = set_up_events();
  if (!events) {
    report_ready(false, exit_code::kFailure, "monitor setup: " + events.error().message());
    return exit_code::kFailure;
  }
  if (!start_service()) return exit_status_;
  loop();
  return exit_status_;
}

Status Monitor::set_up_events() {
  // Orphaned descendants (double forks, setsid escapes) are re-parented to
  // us, so we can reap them at once and find them at stop time.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return Error::from_errno("PR_SET_CHILD_SUBREAPER");
  // A closed readiness pipe or log reader must never kill the monitor.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) return Error::from_errno("sigprocmask");
  signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return Error::from_errno("signalfd");
  timer_fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_fd_) return Error::from_errno("timerfd_create");
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return Error::from_errno("epoll_create1");
  for (int fd : {signal_fd_.get(), timer_fd_.get()}) {
    struct epoll_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return Error::from_errno("epoll_ctl");
  }
  return ok();
}

bool Monitor::start_service() {
  set_state("starting");
  auto fail = [&](int code, const std::string& message) {
    log_.error(message);
    state_.add_event("start failed: " + message);
    state_.result = code == exit_code::kNotInstalled ? "exec" : "resources";
    set_state("failed");
    report_ready(false, code, message);
    exit_status_ = code;
    return false;
  };

  auto context = prepare_exec_context(unit_);
  if (!context) return fail(exit_code::kFailure, context.error().message());
  exec_context_ = std::move(*context);
  auto outputs = open_outputs(unit_, options_.foreground ? STDOUT_FILENO : -1);
  if (!outputs) return fail(exit_code::kFailure, "cannot open the service's output: " + outputs.error().message());
  outputs_ = std::move(*outputs);

  const Command& command = unit_.exec_start.front();
  process::ExecSpec spec = make_exec_spec(unit_, command, *exec_context_, outputs_, {});
  process::SpawnResult spawned = process::spawn(spec);
  if (!spawned.ok()) {
    bool missing = spawned.failed_step == "exec" && spawned.error == ENOENT;
    return fail(missing ? exit_code::kNotInstalled : exit_code::kFailure, spawned.message(spec));
  }
  main_pid_ = spawned.pid;
  main_start_time_ = proc::start_time(main_pid_).value_or(0);

  // The pidfile names the main PID before `start` returns; if it cannot be
  // written, the service must not run untracked.
  auto written = safe_files::write_atomic(files_.pidfile, std::to_string(main_pid_) + "\n", 0644);
  if (!written) {
    ::kill(main_pid_, SIGKILL);  // our unreaped child: the PID cannot have been reused
    int status;
    while (::waitpid(main_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    main_pid_ = 0;
    return fail(exit_code::kFailure, "cannot write pidfile: " + written.error().message());
  }

  state_.main_pid = main_pid_;
  state_.main_start_time = main_start_time_;
  state_.main_sid = main_pid_;  // the service leads its own session
  state_.main_started_usec = sys::now_realtime_usec();
  state_.exit_code = -1;
  state_.exit_signal = 0;
  state_.result = "success";
  state_.add_event("started " + unit_.name + " (pid " + std::to_string(main_pid_) + ")");
  log_.info("started (pid " + std::to_string(main_pid_) + ")");
  set_state("running");
  report_ready(true, exit_code::kSuccess, std::to_string(main_pid_));
  return true;
}

void Monitor::loop() {
  while (phase_ != Phase::Done) {
    struct epoll_event events[4];
    int n = ::epoll_wait(epoll_.get(), events, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_.error(std::string("epoll_wait: ") + std::strerror(errno));
      exit_status_ = exit_code::kFailure;
      begin_stop("internal error");
      continue;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == signal_fd_.get()) on_signal();
      else if (events[i].data.fd == timer_fd_.get()) on_timer();
    }
  }
}

void Monitor::on_signal() {
  struct signalfd_siginfo info;
  while (true) {
    ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) break;  // EAGAIN: drained
    switch (info.ssi_signo) {
      case SIGCHLD: reap_children(); break;
      case SIGTERM:
      case SIGINT:
      case SIGQUIT:
        if (phase_ == Phase::Running) {
          stop_requested_ = true;
          log_.info(std::string("stop requested (") + values::signal_name(static_cast<int>(info.ssi_signo)) + ")");
          begin_stop("stop requested");
        }
        break;
      case SIGHUP: log_.reopen(); break;
    }
  }
}

void Monitor::reap_children() {
  while (true) {
    int status;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;  // 0: none left that exited; ECHILD: no children
    if (pid == main_pid_) on_main_exit(status);
    else if (pid == control_pid_) on_control_exit(status);
    // Anything else is an orphan re-parented to us; reaping it is all we owe it.
  }
  if (phase_ == Phase::StopSignal || phase_ == Phase::StopFinalKill) check_stop_done();
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited, code=" + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed, signal=" + values::signal_name(WTERMSIG(status));
  return "ended";
}

void Monitor::on_main_exit(int status) {
  main_pid_ = 0;
  state_.main_pid = 0;
  state_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  state_.exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  std::string what = "main process " + describe_exit(status);
  state_.add_event(what);
  log_.info(what);
  // A clean end (systemd.service(5)): code 0, or one of the signals a stop
  // sends, or what SuccessExitStatus= lists.
  bool clean_signal = state_.exit_signal == SIGHUP || state_.exit_signal == SIGINT ||
                      state_.exit_signal == SIGTERM || state_.exit_signal == SIGPIPE ||
                      (stop_requested_ && state_.exit_signal == unit_.kill_signal);
  auto listed = [&](const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  bool success = state_.exit_code == 0 || (state_.exit_code > 0 && listed(unit_.success_exit_status.codes, state_.exit_code)) ||
                 clean_signal || (state_.exit_signal && listed(unit_.success_exit_status.signals, state_.exit_signal));
  if (!success && phase_ < Phase::StopSignal) {
    main_failed_ = true;
    state_.result = state_.exit_signal ? "signal" : "exit-code";
  }
  if (phase_ == Phase::Running) begin_stop("main process exited");
}

void Monitor::on_control_exit(int status) {
  control_pid_ = 0;
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) log_.info("ExecStop command " + describe_exit(status));
  if (phase_ == Phase::StopCommands) run_next_stop_command();
}

void Monitor::begin_stop(const char* why) {
  if (phase_ != Phase::Running) return;
  state_.add_event(std::string("stopping: ") + why);
  set_state("stopping");
  phase_ = Phase::StopCommands;
  next_stop_command_ = 0;
  run_next_stop_command();
}

pid_t Monitor::spawn_control(const Command& c) {
  std::map<std::string, std::string> extra;
  if (main_pid_ > 0) extra["MAINPID"] = std::to_string(main_pid_);
  process::ExecSpec spec = make_exec_spec(unit_, c, *exec_context_, outputs_, extra);
  process::SpawnResult r = process::spawn(spec);
  if (!r.ok()) {
    log_.error("ExecStop: " + r.message(spec));
    return 0;
  }
  return r.pid;
}

void Monitor::run_next_stop_command() {
  while (next_stop_command_ < unit_.exec_stop.size()) {
    const Command& c = unit_.exec_stop[next_stop_command_++];
    control_pid_ = spawn_control(c);
    if (control_pid_ > 0) {
      arm_timer(unit_.timeout_stop);
      return;  // continues in on_control_exit
    }
  }
  enter_kill_phase();
}

void Monitor::enter_kill_phase() {
  phase_ = Phase::StopSignal;
  switch (unit_.kill_mode) {
    case KillMode::ControlGroup: signal_remaining(unit_.kill_signal, true, false); break;
    case KillMode::Mixed:
    case KillMode::Process:
      if (main_pid_ > 0) {
        proc::Stat main{};
        main.pid = main_pid_;
        main.start_time = main_start_time_;
        signal_verified(main, unit_.kill_signal);
      }
      break;
  }
  arm_timer(unit_.timeout_stop);
  check_stop_done();
}

void Monitor::signal_remaining(int sig, bool include_main, bool only_new) {
  for (const proc::Stat& s : my_descendants()) {
    if (!include_main && s.pid == main_pid_) continue;
    if (only_new && signalled_.contains(s)) continue;
    if (signal_verified(s, sig)) signalled_.add(s);
  }
}

void Monitor::check_stop_done() {
  if (unit_.kill_mode == KillMode::Process) {
    if (main_pid_ == 0) finish();  // the rest is left running, as systemd does
    return;
  }
  if (main_pid_ == 0 && unit_.kill_mode == KillMode::Mixed && phase_ == Phase::StopSignal) {
    // mixed: the main process got SIGTERM; the rest get SIGKILL once it is gone.
    signal_remaining(SIGKILL, false, false);
  } else if (phase_ == Phase::StopSignal && unit_.kill_mode == KillMode::ControlGroup) {
    // Children forked since the first round get the signal too.
    signal_remaining(unit_.kill_signal, true, true);
  }
  if (main_pid_ == 0 && my_descendants().empty()) finish();
}

void Monitor::on_timer() {
  uint64_t expirations;
  if (::read(timer_fd_.get(), &expirations, sizeof expirations) < 0) return;  // EAGAIN: spurious
  switch (phase_) {
    case Phase::StopCommands:
      if (control_pid_ > 0) {
        log_.error("ExecStop command timed out; killing it");
        ::kill(control_pid_, SIGKILL);  // our unreaped child
      }
      break;
    case Phase::StopSignal:
      if (!unit_.send_sigkill) {
        state_.add_event("stop timed out; SendSIGKILL=no, leaving the remaining processes");
        finish();
        break;
      }
      state_.add_event("stop timed out; sending " + values::signal_name(unit_.final_kill_signal));
      log_.error("stop timed out after " + values::format_timespan(unit_.timeout_stop) + "; sending " +
                 values::signal_name(unit_.final_kill_signal));
      phase_ = Phase::StopFinalKill;
      state_.result = "timeout";
      signal_remaining(unit_.final_kill_signal, true, false);
      arm_timer(unit_.timeout_stop);
      check_stop_done();
      break;
    case Phase::StopFinalKill:
      state_.add_event("processes survived " + values::signal_name(unit_.final_kill_signal) + "; giving up");
      log_.error("processes survived the final kill; giving up on them");
      finish();
      break;
    default: break;
  }
}

void Monitor::finish() {
  disarm_timer();
  phase_ = Phase::Done;
  auto removed = safe_files::remove(files_.pidfile);
  if (!removed) log_.error("cannot remove pidfile: " + removed.error().message());
  state_.add_event(main_failed_ ? "failed (Result: " + state_.result + ")" : "stopped");
  set_state(main_failed_ ? "failed" : "inactive");
  log_.info(main_failed_ ? "failed (" + state_.result + ")" : "stopped");
}

void Monitor::arm_timer(Usec usec) {
  struct itimerspec spec;
  std::memset(&spec, 0, sizeof spec);
  if (usec != kInfinity && usec != 0) {
    spec.it_value.tv_sec = static_cast<time_t>(usec / kUsecPerSec);
    spec.it_value.tv_nsec = static_cast<long>((usec % kUsecPerSec) * 1000);
  }
  if (::timerfd_settime(timer_fd_.get(), 0, &spec, nullptr) < 0)
    log_.error(std::string("timerfd_settime: ") + std::strerror(errno));
}

void Monitor::set_state(const std::string& state) {
  state_.state = state;
  state_.state_since_usec = sys::now_realtime_usec();
  save_state();
}

void Monitor::save_state() {
  auto w = write_state(files_.state, state_);
  if (!w) log_.error("cannot write state file: " + w.error().message());
}

void Monitor::report_ready(bool ok, int code, const std::string& message) {
  if (options_.ready_fd < 0) return;
  std::string line = ok ? "ok " + message + "\n" : "fail " + std::to_string(code) + " " + message + "\n";
  (void)sys::write_all(options_.ready_fd, line);  // the caller may be gone (Ctrl-C): nothing to do then
  ::close(options_.ready_fd);
  options_.ready_fd = -1;
  // Starts waiting behind the one that launched us may proceed now.
  (void)lock_.unlock_start();
}

}  // namespace

int run(Unit unit, RuntimeFiles files, UnitLock lock, Options options) {
  Monitor m(std::move(unit), std::move(files), std::move(lock), options);
  return m.run();
}

}  // namespace unitrun::monitor
