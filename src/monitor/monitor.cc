// The monitor's loop and its effects. What to do is the supervisor's
// (supervisor.h, a pure table); this file turns fds into Events, feeds them
// in one at a time, carries out the Actions that come back, and keeps the
// state record. It never decides a transition itself.
#include "monitor/monitor.h"

#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "base/exit_codes.h"
#include "base/idle_stack.h"
#include "base/process_title.h"
#include "base/strings.h"
#include "base/sys.h"
#include "monitor/monitor_log.h"
#include "monitor/restart_policy.h"
#include "monitor/service_exec.h"
#include "monitor/stamped_output.h"
#include "monitor/supervisor.h"
#include "monitor/trigger_units.h"
#include "notify/bus_name_watch.h"
#include "notify/notify_server.h"
#include "notify/upstream.h"
#include "process/cgroup.h"
#include "process/ipc_cleanup.h"
#include "process/kill_tree.h"
#include "process/pin.h"
#include "process/proc.h"
#include "process/sandbox.h"
#include "runtime/control_socket.h"
#include "runtime/credentials_dir.h"
#include "runtime/daemonize.h"
#include "runtime/output_tail.h"
#include "runtime/reply.h"
#include "runtime/safe_files.h"
#include "runtime/service_directories.h"
#include "unit/command_reads.h"
#include "unit/conditions.h"
#include "unit/service_directories.h"
#include "unit/values.h"

namespace unitrun::monitor {
namespace {

Termination termination_of(int wait_status) {
  Termination t;
  if (WIFEXITED(wait_status)) {
    t.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    t.signal = WTERMSIG(wait_status);
    t.core_dumped = WCOREDUMP(wait_status);
  }
  return t;
}

// LSB 5, "program is not installed": the exec found no such file.
bool is_not_installed(const process::SpawnResult& r) { return r.failed_step == "exec" && r.error == ENOENT; }

// 128 random bits in hex, as systemd writes an invocation ID.
std::string new_invocation_id() {
  unsigned char bytes[16] = {};
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    // No entropy yet (an early boot): the clock and the PID still make it
    // unique on this machine, which is all it is used for.
    uint64_t t = sys::now_monotonic_usec() ^ (static_cast<uint64_t>(::getpid()) << 40);
    std::memcpy(bytes, &t, sizeof t);
  }
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

Event make(Event::Kind kind) {
  Event e;
  e.kind = kind;
  return e;
}

class Monitor {
 public:
  // The unit by reference: a Unit is 3 kB, and each copy made on the way
  // in (a by-value parameter is the caller's temporary) stays in the stack
  // pages of the monitor for as long as it lives.
  Monitor(Unit&& unit, RuntimeFiles files, UnitLock lock, Options options)
      : unit_(std::move(unit)),
        files_(std::move(files)),
        lock_(std::move(lock)),
        options_(options),
        upstream_(options.foreground),
        supervisor_(unit_, SupervisorOptions{options.ready_fd >= 0, upstream_.enabled()}, options.earlier_starts) {}

  int run();

 private:
  // Setup and the loop.
  Status set_up();
  Status watch(int fd);
  void unwatch(int fd);
  void loop();
  void handle(Event e);
  void enqueue(Event e) { queue_.push_back(std::move(e)); }
  void sync_state();
  void release_start_lock_when_settled();
  bool no_children() const;

  // Turning fds into events.
  void dispatch(int fd);
  void on_signal();
  void reap_children();
  void on_foreign_main_exit();
  void on_notify();
  void on_control_connection();
  void on_control_request(int fd);
  // Out of line, as every handler with a read buffer: inlined into loop(),
  // the buffer would deepen the frame the monitor idles in (stack pages it
  // reaches stay dirty while it lives).
  [[gnu::noinline]] void on_inotify();
  void on_upstream_watchdog();
  void on_bus();
  void drain_timer(int fd);
  // X-Unitrun-Timestamps=: what the service wrote, stamped into its file;
  // finish: the last line without its newline too (the run is over).
  void drain_stamped(bool finish);

  // Carrying out actions.
  void execute(const Action& a);
  Status set_up_sandbox();
  Result<const process::SandboxPlan*> plan_for(const Command& command);
  Result<process::SandboxPlan> plan_for_identity(const std::optional<process::Credentials>& credentials);
  void attach_sandbox(process::ExecSpec& spec, const Command& command, const process::SandboxPlan* plan);
  void report_spawn_warnings(const process::SpawnResult& r);
  [[gnu::noinline]] void on_oom();
  void arm_oom_watch();
  void check_oom_kills();
  bool killed_by_oom(const Termination&);
  bool new_oom_kill();
  bool note_oom_kills(std::optional<uint64_t> kills);  // a count above the one seen: true, and it is the one seen now
  void tear_down_sandbox();
  void remove_ipc();
  void run(const action::CheckConditions&);
  void run(const action::PrepareExec&);
  void run(const action::GuessMainPid&);
  void run(const action::WatchBusName&);
  void run(const action::UnwatchBusName&);
  void run(const action::CleanUpRun&);
  void run(const action::NoteCondition&);
  void run(const action::RemoveStalePidfile&);
  void run(const action::SpawnMain&);
  void run(const action::SpawnControl&);
  void run(const action::Kill&);
  void run(const action::ArmTimer& a) {
    // A stop disarms it several times over (each phase it passes through
    // ends its own deadline): once disarmed by us, it stays so.
    if (a.deadline == 0 && !timer_armed_) return;
    arm(timer_fd_.get(), a.deadline);
    timer_armed_ = a.deadline != 0;
  }
  void run(const action::ArmWatchdog& a) { arm(watchdog_fd_.get(), a.deadline); }
  void run(const action::WritePidfile&);
  void run(const action::RemovePidfile&);
  void run(const action::WatchPidfile&);
  void run(const action::UnwatchPidfile&);
  void run(const action::RecheckPidfile&);
  void run(const action::Report&);
  void run(const action::ReplyReloads&);
  void run(const action::ReplyRestarts&);
  void run(const action::Notify&);
  void run(const action::Record&);
  void run(const action::EnteredRunning&);
  // The heap's free pages and the stack's below the loop, once the loop is
  // about to sleep (release_stack_below_caller() from there).
  void run(const action::TrimMemory&) { trim_memory_ = true; }

  void step_done(Step s) {
    Event e = make(Event::Kind::StepDone);
    e.step = s;
    enqueue(std::move(e));
  }
  void step_failed(Step s, std::string message, bool not_installed = false) {
    Event e = make(Event::Kind::StepFailed);
    e.step = s;
    e.message = std::move(message);
    e.not_installed = not_installed;
    enqueue(std::move(e));
  }

  // The main process.
  // Makes st (a live process of our tree) the main process; false when it
  // is gone already. The pidfd is opened first, so a PID reused after the
  // caller's check can never be adopted.
  bool adopt_main(pid_t pid);
  void forget_main();
  void signal_main(int sig);
  void signal_tree(int sig, bool include_main);
  void adopt_from_notify(pid_t pid);
  // The pidfile of a forking service: adopts the daemon it names, or says why not.
  enum class PidfileCheck { Adopted, NotYet, Refused };
  PidfileCheck check_pidfile(std::string& why);
  void watch_pidfile_directory();
  bool in_my_tree(pid_t pid) const;
  bool notify_allowed(const notify::NotifyMessage& m) const;
  // A flood of datagrams the unit did not send: read at most so many per
  // second, then leave the socket alone until the second is over.
  bool count_refused_notification();
  void on_notify_resume();

  // The outside world.
  void arm(int timer_fd, uint64_t deadline);
  void save_state() { state_dirty_ = true; }
  void flush_state();
  void trigger_units();
  void stop_bound_units();
  void event(const std::string& text) {
    state_.add_event(text);
    save_state();
  }
  std::map<std::string, std::string> control_environment(const action::SpawnControl& a) const;

  Unit unit_;
  RuntimeFiles files_;
  UnitLock lock_;
  bool start_lock_released_ = false;  // `run`: see release_start_lock_when_settled()
  bool timer_armed_ = false;          // timer_fd_ may be armed (it may have expired since)
  bool trim_memory_ = false;          // the loop gives back the heap's and the stack's free pages before it sleeps next
  bool caller_told_ = false;          // the `start` that waits was just told: the trims wait for it (loop())
  Options options_;
  MonitorLog log_;
  notify::Upstream upstream_;
  Supervisor supervisor_;

  UniqueFd epoll_, signal_fd_, timer_fd_, watchdog_fd_, upstream_watchdog_fd_, inotify_fd_, control_fd_,
      notify_resume_fd_;
  std::optional<notify::NotifyServer> notify_;
  std::unique_ptr<notify::BusNameWatch> bus_watch_;  // Type=dbus, while a run lasts
  std::deque<Event> queue_;
  MonitorState state_;
  StateWriter state_writer_;  // keeps the record's document between writes
  bool state_dirty_ = false;
  std::optional<ExecContext> exec_context_;
  Outputs outputs_;
  std::vector<StampedOutput> stamped_;  // X-Unitrun-Timestamps=yes: [stdout, stderr], made by the first run
  bool write_pidfile_ = true;           // `run` writes one only when PIDFile= asks for it

  pid_t main_pid_ = 0;      // 0 when there is none (not started, or reaped)
  pid_t run_main_pid_ = 0;  // this run's main process, even once it is gone: what `start` is told
  uint64_t main_start_time_ = 0;
  UniqueFd main_pidfd_;  // only when the main process is not our child (MAINPID=, forking)
  pid_t control_pid_ = 0;
  std::optional<CommandList> control_list_;
  std::optional<ResourceLimit> inherited_nofile_;  // the caller's RLIMIT_NOFILE, for the service
  // The dispositions set_up() left other than SIG_DFL, once it has reset
  // the rest: what a child must reset before exec (ExecSpec::altered_signals).
  std::optional<sigset_t> altered_signals_;
  // The sandbox and the cgroup (docs/sandbox.md): made by the first
  // PrepareExec, kept across restarts, undone when the monitor ends.
  std::optional<process::UnitCgroup> cgroup_;
  std::optional<process::PrivateTmp> private_tmp_;
  std::optional<process::SandboxPlan> plan_;          // for commands run as User=
  std::optional<process::SandboxPlan> plan_as_self_;  // for '!' commands (no user switch)
  UniqueFd oom_fd_;
  uint64_t oom_kills_seen_ = 0;
  UniqueFd oom_recheck_fd_;         // check_oom_kills(): made at the first OOM event that shows no kill yet
  unsigned oom_rechecks_ = 0;       // of the counter since the last OOM event
  bool oom_watch_pending_ = false;  // set_up_sandbox() made the cgroup; the loop arms its watch (arm_oom_watch())
  NotifyAccess notify_access_ = effective_notify_access(unit_);
  process::SignalledSet signalled_;

  uint64_t refused_window_start_ = 0;  // monotonic usec: the second that refused datagrams are counted in
  unsigned refused_in_window_ = 0;
  bool notify_paused_ = false;
  uint64_t floods_logged_at_ = 0;
  std::vector<int> reload_replies_;    // reload requests waiting for the outcome
  std::vector<int> restart_replies_;   // restart requests waiting for the outcome
  std::vector<int> control_requests_;  // accepted connections, their request not read yet
  bool loop_failed_ = false;
  UniqueFd own_binary_;           // the unitrun binary, for OnFailure=/OnSuccess= (trigger_units.h)
  unsigned starts_recorded_ = 0;  // supervisor_.starts_made() when state_.start_limit_starts was copied
};

// ---- setup and the loop ----------------------------------------------------------------

int Monitor::run() {
  // `ps` tells the monitor by its unit, not by the command line of the
  // `start` it was forked from; `unitrun run` keeps systemd's ExecStart=.
  // argv's memory is all there is: when `unitrun monitor NAME` does not fit
  // (`unitrun start web`), the shorter `unitrun: NAME`.
  if (!options_.foreground) {
    size_t full = std::strlen("unitrun monitor ") + unit_.name.size() + 1;
    if (full <= process_title_capacity())
      (void)set_process_title({"unitrun", "monitor", unit_.name});
    else
      (void)set_process_title({"unitrun:", unit_.name});  // false: no argv recorded; nothing to rename
  }
  log_.open(unit_, options_.foreground);
  write_pidfile_ = !options_.foreground || unit_.key_lines.count("Service.PIDFile") > 0;
  state_.unit_path = unit_.path;
  state_.foreground = options_.foreground;
  state_.boot_id = sys::boot_id();
  state_.monitor_pid = ::getpid();
  // Known to the fork most of the time: /proc/PID/stat, the first access to
  // this process's /proc directory, cost ~40 us on the way to the service.
  state_.monitor_start_time = proc::start_time_or_read(options_.start_time, ::getpid());
  state_.start_limit_starts = options_.earlier_starts;
  if (has_triggers(unit_) && !options_.foreground) {
    // Now, while the path still names the binary that runs (trigger_units.h).
    if (auto binary = open_own_binary())
      own_binary_ = std::move(*binary);
    else
      log_.error("OnFailure=/OnSuccess= will not work: " + binary.error().message());
  }
  if (!options_.triggered_by.empty()) event("started by " + options_.triggered_by);
  auto ready = set_up();
  if (!ready) {
    log_.error("monitor setup: " + ready.error().message());
    log_.flush();
    run(action::Report{false, exit_code::kFailure, "monitor setup: " + ready.error().message(), false});
    return exit_code::kFailure;
  }
  enqueue(make(Event::Kind::Start));
  loop();
  drain_stamped(true);
  tear_down_sandbox();
  flush_state();
  trigger_units();
  stop_bound_units();
  log_.flush();
  runtime::remove_control(files_.control);
  return loop_failed_ ? exit_code::kFailure : supervisor_.exit_status();
}

// OnFailure=/OnSuccess=: the unit ends here (no Restart= brings it back
// once the loop is over). Not under `run`, whose supervisor is systemd.
void Monitor::trigger_units() {
  if (options_.foreground) return;
  bool failed = state_.sub_state == SubState::Failed;
  bool ran = state_.main_started_usec != 0 || state_.ready_usec != 0;
  std::vector<std::string> units = units_to_trigger(unit_, failed, ran);
  if (units.empty()) return;
  std::string list;
  for (const std::string& u : units) list += (list.empty() ? "" : " ") + u;
  if (failed && supervisor_.starts_made() == 0 && options_.was_failed) {
    // A start by a trigger that the start limit refused: the unit was
    // failed already, and stays so; OnFailure= fired when it became so.
    std::string why = "OnFailure= " + list + " not started: the unit was failed already and its start was refused";
    log_.info(why);
    event(why);
    flush_state();
    return;
  }
  if (shutdown_in_progress(files_.directory)) {
    std::string why = std::string(failed ? "OnFailure=" : "OnSuccess=") + " " + list +
                      " not started: unitrun shutdown is stopping every unit";
    log_.info(why);
    event(why);
    flush_state();
    return;
  }
  log_.info(std::string(failed ? "OnFailure=" : "OnSuccess=") + ": starting " + list);
  // The start waits for this monitor's exit (its locks and its record).
  if (auto started = start_detached(own_binary_.get(), units,
                                    std::string(failed ? "OnFailure=" : "OnSuccess=") + " of " + unit_.name,
                                    state_.monitor_pid, state_.monitor_start_time);
      !started) {
    std::string why = "cannot start " + list + ": " + started.error().message();
    log_.error(why);
    event(why);
    flush_state();  // the start waits for our exit: the record is still ours
  }
}

// The unit ended on its own (no stop was asked: a `unitrun stop` of it, or
// of what it requires, does all this at its own end through its
// transaction): the running units bound to it stop too (BindsTo=, and
// PropagatesStopTo=/StopPropagatedFrom= likewise), a unit
// it needed with StopWhenUnneeded=yes that nothing else needs stops, and
// an active unit that Upholds= it starts it again. One detached `unitrun
// stop --ended NAME` does all three (cli/bound_units.h), after this
// monitor's exit; only when one may apply: the index lists a unit that
// requires or upholds it (one lstat), or its file names a unit it needs.
// Not under `run` (systemd is the manager), nor during `unitrun shutdown`,
// which stops every unit in order anyway, nor when its start was refused
// (the start limit: it did not run, so nothing changed; and an upheld unit
// that keeps failing ends there).
void Monitor::stop_bound_units() {
  if (options_.foreground || supervisor_.stop_requested()) return;
  if (state_.sub_state != SubState::Dead && state_.sub_state != SubState::Failed) return;
  if (supervisor_.starts_made() == 0) return;
  struct stat st;
  std::string index = files_.directory + "/" + kRequiredByIndex + "/" + unit_.name;
  bool indexed = ::lstat(index.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  bool needs_units = std::any_of(unit_.dependencies.begin(), unit_.dependencies.end(), [](const Dependency& d) {
    return d.kind == DependencyKind::Requires || d.kind == DependencyKind::Requisite ||
           d.kind == DependencyKind::Wants || d.kind == DependencyKind::BindsTo || d.kind == DependencyKind::Upholds ||
           d.kind == DependencyKind::PropagatesStopTo;
  });
  if (!indexed && !needs_units) return;
  if (shutdown_in_progress(files_.directory)) return;
  if (!own_binary_) {
    // /proc/self/exe names the binary that runs even once its path is gone.
    if (auto binary = open_own_binary()) own_binary_ = std::move(*binary);
  }
  if (auto stopping = run_detached(own_binary_.get(), {"stop", "--ended", unit_.name}, "the end of " + unit_.name,
                                   state_.monitor_pid, state_.monitor_start_time);
      !stopping) {
    std::string why = "cannot act on its end (BindsTo=, StopWhenUnneeded=, Upholds=): " + stopping.error().message();
    log_.error(why);
    event(why);
    flush_state();  // the stop waits for our exit: the record is still ours
  }
}

Status Monitor::watch(int fd) {
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return Error::from_errno("epoll_ctl");
  return ok();
}

void Monitor::unwatch(int fd) {
  // ENOENT/EBADF: not watched (any more); nothing to undo.
  (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Status Monitor::set_up() {
  // The monitor needs a few dozen fds of its own to stop its service (a
  // pidfd and a /proc file per process it proves is its own); a caller with
  // a tight limit (`prlimit --nofile=14 unitrun start`) must not leave it
  // unable to. The service gets the caller's limit back (make_exec_spec),
  // unless the unit sets LimitNOFILE=; the headroom is unitrun's own, as
  // systemd raises its own.
  struct rlimit nofile;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) < 0) return Error::from_errno("getrlimit RLIMIT_NOFILE");
  inherited_nofile_ = ResourceLimit{nofile.rlim_cur == RLIM_INFINITY ? UINT64_MAX : nofile.rlim_cur,
                                    nofile.rlim_max == RLIM_INFINITY ? UINT64_MAX : nofile.rlim_max};
  struct rlimit raised = nofile;
  constexpr rlim_t kMonitorFds = 1024;
  if (raised.rlim_max != RLIM_INFINITY && raised.rlim_max < kMonitorFds && ::geteuid() == 0)
    raised.rlim_max = kMonitorFds;
  raised.rlim_cur = raised.rlim_max;
  if (raised.rlim_cur != nofile.rlim_cur || raised.rlim_max != nofile.rlim_max) {
    // Without the privilege to raise the hard limit, the soft one up to it
    // is all we get; and that is no reason not to run.
    if (::setrlimit(RLIMIT_NOFILE, &raised) < 0) {
      raised.rlim_max = nofile.rlim_max;
      raised.rlim_cur = nofile.rlim_max;
      (void)::setrlimit(RLIMIT_NOFILE, &raised);
    }
  }
  // Orphaned descendants (double forks, setsid escapes) are re-parented to
  // us, so we reap them at once and find them at stop time.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return Error::from_errno("PR_SET_CHILD_SUBREAPER");
  // daemon(7) steps 2 and 3, for `run` as much as for `start`: what the
  // caller left us is not what we run with. An ignored SIGCHLD in particular
  // makes the kernel reap our children itself, and we would never learn how
  // the service ended.
  if (!sys::reset_signals()) return Error::from_errno("sigprocmask");
  // A closed readiness pipe or reply socket must never kill the monitor.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) return Error::from_errno("signal SIGPIPE");
  // Nothing else of ours changes a disposition (a signalfd reads the rest):
  // the services we spawn reset this one, not every signal (spawn.h). Code
  // loaded into this process runs here too (NSS modules for User=, the
  // libsystemd loader): one that left a signal ignored would pass it on. The
  // NSS modules known to touch a disposition (nss_ldap) touch SIGPIPE.
  sigset_t altered;
  sigemptyset(&altered);
  sigaddset(&altered, SIGPIPE);
  altered_signals_ = altered;
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
  if (upstream_.enabled()) {
    // systemd answers our WATCHDOG=trigger with WatchdogSignal= (SIGABRT):
    // that must not make us dump core while we finish the stop sequence.
    sigaddset(&mask, SIGABRT);
  }
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) return Error::from_errno("sigprocmask");
  sigdelset(&mask, SIGABRT);
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return Error::from_errno("epoll_create1");
  signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return Error::from_errno("signalfd");
  // A timer only where it can be armed: the watchdog where WatchdogSec=
  // sets it or a WATCHDOG_USEC= datagram may (the notify socket exists),
  // systemd's watchdog where it asked for pings, the notify socket's pause
  // where there is a notify socket.
  bool watchdog = notify_access_ != NotifyAccess::None || (unit_.watchdog_sec != 0 && unit_.watchdog_sec != kInfinity);
  bool notify_socket = notify_access_ != NotifyAccess::None;
  for (auto [t, needed] : {std::pair{&timer_fd_, true}, std::pair{&watchdog_fd_, watchdog},
                           std::pair{&upstream_watchdog_fd_, upstream_.watchdog_usec() > 0},
                           std::pair{&notify_resume_fd_, notify_socket}}) {
    if (!needed) continue;
    t->reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!*t) return Error::from_errno("timerfd_create");
  }
  // The notify socket only where its address is given out (PrepareExec:
  // NotifyAccess= other than none, fixed for the monitor's life): nobody
  // else can name it, and a datagram there would be refused anyway.
  if (notify_socket) {
    auto notify = notify::NotifyServer::open();
    if (!notify) return notify.error();
    notify_.emplace(std::move(*notify));
  }
  auto control = runtime::listen_control(files_.control);
  if (!control) return control.error();
  control_fd_ = std::move(*control);
  for (int fd : {signal_fd_.get(), timer_fd_.get(), watchdog_fd_.get(), upstream_watchdog_fd_.get(),
                 notify_ ? notify_->fd() : -1, control_fd_.get(), notify_resume_fd_.get()}) {
    if (fd < 0) continue;
    auto w = watch(fd);
    if (!w) return w;
  }
  if (upstream_.watchdog_usec() > 0)
    arm(upstream_watchdog_fd_.get(), sys::now_monotonic_usec() + upstream_.watchdog_usec() / 2);
  return ok();
}

void Monitor::loop() {
  while (!supervisor_.done()) {
    // Every event raised so far is handled before the loop sleeps again;
    // what handling raises joins the queue. A crash loop still passes the
    // wait below once per round (RestartSec= is always a timer), so a stop
    // request is heard.
    while (!queue_.empty() && !supervisor_.done()) {
      Event e = std::move(queue_.front());
      queue_.pop_front();
      handle(std::move(e));
    }
    if (supervisor_.done()) break;
    flush_state();
    // The log is written before every sleep: who reads it once `start` has
    // returned finds the start's lines (the file is opened at the first
    // write, off the path to the service).
    log_.flush();
    // The memory trims wait a millisecond (or until an event) after a reply
    // to the `start` that waits: that caller has only to print a line and
    // exit, and its wake-up by the pipe puts it on this CPU more often than
    // not (the service, just exec'd, holds the other one), where it would
    // wait for them; nobody waits for them. The OOM watch is armed then
    // too (arm_oom_watch()).
    int timeout_ms = -1;
    if (std::exchange(caller_told_, false) && (trim_memory_ || oom_watch_pending_)) {
      timeout_ms = 1;
    } else {
      if (oom_watch_pending_) {
        arm_oom_watch();
        if (!queue_.empty()) continue;  // a kill that nothing watched: handled before any sleep
      }
      if (trim_memory_) {
        // Starting ran deeper than the loop will while the service runs
        // (forks, the state record, logging): those pages would stay dirty
        // for as long as the monitor lives. Once per start, not per event.
        trim_memory_ = false;
        unit::CommandReads::free_left();  // what the command read before the fork (CommandReads::leave())
        (void)malloc_trim(0);
        if (auto released = release_stack_below_caller(); !released)
          log_.error("giving back the stack below the loop: " + released.error().message());
      }
    }
    struct epoll_event events[8];
    int n = ::epoll_wait(epoll_.get(), events, 8, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_.error(std::string("epoll_wait: ") + std::strerror(errno));
      loop_failed_ = true;
      break;
    }
    for (int i = 0; i < n; ++i) {
      try {
        dispatch(events[i].data.fd);
      } catch (const std::exception& ex) {
        Event e = make(Event::Kind::InternalError);
        e.message = ex.what();
        enqueue(std::move(e));
      }
    }
  }
}

void Monitor::handle(Event e) {
  // No exception crosses the loop: an internal error is logged once, the
  // record says failed with the reason, and the service is stopped cleanly
  // (the supervisor's InternalError row).
  try {
    e.now = sys::now_monotonic_usec();
    e.no_children = no_children();
    std::vector<Action> actions = supervisor_.handle(e);
    sync_state();
    for (const Action& a : actions) execute(a);
    sync_state();
    release_start_lock_when_settled();
  } catch (const std::exception& ex) {
    Event failure = make(Event::Kind::InternalError);
    failure.message = ex.what();
    enqueue(std::move(failure));
  }
}

// A `start` that launched us holds nothing: we hold the start lock for it
// and let go at the Report it reads. `run` has no such caller, so no Report
// comes (supervisor.h): the lock goes once the first start has an outcome,
// i.e. the unit is no longer activating, nor running with its pidfile's
// outcome still to be heard (Supervisor::pidfile_pending). Kept until then,
// it makes a concurrent `start` wait for that outcome; kept longer, it made
// every `stop` of a foreground unit wait for ever behind it.
void Monitor::release_start_lock_when_settled() {
  if (!options_.foreground || start_lock_released_) return;
  if (supervisor_.active_state() == ActiveState::Activating || supervisor_.pidfile_pending()) return;
  start_lock_released_ = true;
  flush_state();  // whoever waits on the lock reads the record next
  if (!supervisor_.done()) (void)lock_.unlock_start();
}

void Monitor::sync_state() {
  if (state_.sub_state != supervisor_.sub_state()) {
    state_.sub_state = supervisor_.sub_state();
    state_.state_since_usec = sys::now_realtime_usec();
    save_state();
  }
  if (state_.result != supervisor_.result() || state_.restarts != supervisor_.restarts()) {
    state_.result = supervisor_.result();
    state_.restarts = supervisor_.restarts();
    save_state();
  }
  if (supervisor_.starts_made() != starts_recorded_) {  // a copy only when a start was counted
    starts_recorded_ = supervisor_.starts_made();
    state_.start_limit_starts = supervisor_.start_history();
    save_state();
  }
}

bool Monitor::no_children() const {
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

void Monitor::dispatch(int fd) {
  if (fd == signal_fd_.get()) {
    on_signal();
  } else if (fd == timer_fd_.get()) {
    drain_timer(fd);
    enqueue(make(Event::Kind::Timeout));
  } else if (fd == watchdog_fd_.get()) {
    drain_timer(fd);
    enqueue(make(Event::Kind::WatchdogTimeout));
  } else if (fd == upstream_watchdog_fd_.get()) {
    on_upstream_watchdog();
  } else if (notify_ && fd == notify_->fd()) {
    on_notify();
  } else if (fd == notify_resume_fd_.get()) {
    on_notify_resume();
  } else if (fd == control_fd_.get()) {
    on_control_connection();
  } else if (inotify_fd_ && fd == inotify_fd_.get()) {
    on_inotify();
  } else if (bus_watch_ && fd == bus_watch_->fd()) {
    on_bus();
  } else if (std::any_of(stamped_.begin(), stamped_.end(),
                         [fd](const StampedOutput& s) { return s.read_fd() == fd; })) {
    drain_stamped(false);
  } else if (oom_fd_ && fd == oom_fd_.get()) {
    on_oom();
  } else if (oom_recheck_fd_ && fd == oom_recheck_fd_.get()) {
    drain_timer(fd);
    check_oom_kills();
  } else if (main_pidfd_ && fd == main_pidfd_.get()) {
    on_foreign_main_exit();
  } else if (std::find(control_requests_.begin(), control_requests_.end(), fd) != control_requests_.end()) {
    on_control_request(fd);
  } else if (auto it = std::find(reload_replies_.begin(), reload_replies_.end(), fd); it != reload_replies_.end()) {
    // A reload requester hung up before its answer: forget it.
    unwatch(fd);
    ::close(fd);
    reload_replies_.erase(it);
  } else if (auto r = std::find(restart_replies_.begin(), restart_replies_.end(), fd); r != restart_replies_.end()) {
    // A restart requester hung up (the stop may have ended it: it ran
    // inside the service's tree): the restart goes on all the same.
    unwatch(fd);
    ::close(fd);
    restart_replies_.erase(r);
  }
}

void Monitor::drain_timer(int fd) {
  uint64_t expirations;
  // EAGAIN: re-armed since it became readable; the event stands anyway, and
  // the supervisor ignores a timeout its phase has no row for.
  if (::read(fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    log_.error(std::string("read timerfd: ") + std::strerror(errno));
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
        if (!supervisor_.stop_requested()) {
          log_.info("stop requested (" + values::signal_name(sig) + ")");
          event("stop requested");
        }
        enqueue(make(Event::Kind::Stop));
        break;
      case SIGHUP:
        // Under systemd SIGHUP is the reload request (ExecReload=kill -HUP);
        // for a daemonized monitor it means "reopen your log" (logrotate).
        if (options_.foreground)
          enqueue(make(Event::Kind::Reload));
        else
          log_.reopen();
        for (StampedOutput& s : stamped_)
          if (!s.path().empty())
            if (auto r = s.reopen(); !r) log_.error("cannot reopen the service's output: " + r.error().message());
        break;
    }
  }
}

void Monitor::reap_children() {
  // A kill in the unwatched millisecond after the reply is told before the
  // exits it caused (a main process that ends with 137 when its child was
  // killed), as the watch would have told it.
  if (oom_watch_pending_) arm_oom_watch();
  // What a process said just before it exited is heard first, while it is
  // still a zombie we can identify as ours (systemd, too, reads pending
  // notifications before it reaps): `sd_notify("STOPPING=1"); exit(0);`.
  if (notify_) on_notify();
  drain_stamped(false);  // and what it wrote, before its end is told
  bool reaped_any = false;
  while (true) {
    int status;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;  // 0: no more exited children; ECHILD: no children at all
    reaped_any = true;
    if (pid == main_pid_) {
      Termination t = termination_of(status);
      t.oom_killed = killed_by_oom(t);
      std::string what = "main process " + std::to_string(pid) + " " + describe(t);
      event(what);
      log_.info(what);
      state_.exit_code = t.exit_code;
      state_.exit_signal = t.signal;
      forget_main();
      Event e = make(Event::Kind::MainExited);
      e.termination = t;
      enqueue(std::move(e));
    } else if (pid == control_pid_) {
      control_pid_ = 0;
      if (control_list_ == CommandList::Start) {  // a oneshot's command is done
        state_.main_pid = 0;
        save_state();
      }
      control_list_.reset();
      Event e = make(Event::Kind::ControlExited);
      e.termination = termination_of(status);
      enqueue(std::move(e));
    }
    // Anything else is an orphan re-parented to us: reaping it is all we owe it.
  }
  // No process of the service is left to finish a line without its
  // newline (every one is our descendant: we are the subreaper): it is
  // written out now, as journald does when a stream closes.
  if (reaped_any && !stamped_.empty() && no_children()) drain_stamped(true);
  if (reaped_any) enqueue(make(Event::Kind::Reaped));
}

void Monitor::on_foreign_main_exit() {
  // A main process that was not our child when we adopted it (MAINPID=, a
  // forking daemon whose middle process still lived) has ended. Its parent
  // may have died meanwhile and left it to us, the subreaper: then we reap
  // it here and its wait status decides, as for any child.
  if (oom_watch_pending_) arm_oom_watch();  // a kill it reveals first, as in reap_children()
  pid_t pid = main_pid_;
  int status = 0;
  pid_t reaped;
  do reaped = ::waitpid(pid, &status, WNOHANG);
  while (reaped < 0 && errno == EINTR);
  // ECHILD: another process's child, which its parent reaps; we cannot see how it ended.
  Termination t = reaped == pid ? termination_of(status) : Termination{};
  t.oom_killed = killed_by_oom(t);
  std::string what = "main process " + std::to_string(pid) + " " + describe(t);
  event(what);
  log_.info(what);
  state_.exit_code = t.exit_code;
  state_.exit_signal = t.signal;
  forget_main();
  Event e = make(Event::Kind::MainExited);
  e.termination = t;
  enqueue(std::move(e));
}

void Monitor::on_upstream_watchdog() {
  drain_timer(upstream_watchdog_fd_.get());
  uint64_t now = sys::now_monotonic_usec();
  if (supervisor_.healthy(now)) upstream_.watchdog_ping();
  arm(upstream_watchdog_fd_.get(), now + upstream_.watchdog_usec() / 2);
}

// ---- the notify protocol ---------------------------------------------------------------

bool Monitor::notify_allowed(const notify::NotifyMessage& m) const {
  // NotifyAccess= (systemd.service(5)), as it applies to this unit: none,
  // the main process, it and the control processes (exec), or every process
  // of the unit (all).
  pid_t sender = m.pid;
  switch (notify_access_) {
    case NotifyAccess::None:
      return false;
    case NotifyAccess::Main:
      return sender == main_pid_;
    case NotifyAccess::Exec:
      return sender == main_pid_ || sender == control_pid_;
    case NotifyAccess::All:
    case NotifyAccess::Default:
      if (sender == main_pid_ || sender == control_pid_) return true;
      // Anyone on the machine can send to the socket: a stranger must cost
      // O(1), however deep its tree. The unit's cgroup answers with one read
      // of /proc/PID/cgroup (and is exact: a process of the unit that
      // switched users is still one of it). Without a cgroup, the parent
      // links are walked only for a sender of root, the monitor's or the
      // service's user; anyone else is refused before /proc is read.
      if (cgroup_) return cgroup_->has_member(sender);
      if (m.uid != 0 && m.uid != ::geteuid() &&
          !(exec_context_ && exec_context_->identity.credentials && exec_context_->identity.credentials->uid == m.uid))
        return false;
      return in_my_tree(sender);
  }
  return false;
}

bool Monitor::count_refused_notification() {
  // A datagram the unit did not send costs little (above), but a stranger
  // can send a great many: past kRefusedPerSecond in one second the socket
  // is not read again until that second is over, so a flood costs a few
  // milliseconds of CPU a second, not a core. The unit's own datagrams wait
  // in the socket's queue meanwhile (as they would behind the flood).
  constexpr unsigned kRefusedPerSecond = 1000;
  uint64_t now = sys::now_monotonic_usec();
  if (now - refused_window_start_ >= kUsecPerSec) {
    refused_window_start_ = now;
    refused_in_window_ = 0;
  }
  if (++refused_in_window_ <= kRefusedPerSecond) return true;
  if (!notify_paused_) {
    notify_paused_ = true;
    unwatch(notify_->fd());
    arm(notify_resume_fd_.get(), refused_window_start_ + kUsecPerSec);
    if (floods_logged_at_ == 0 || now - floods_logged_at_ >= 60 * kUsecPerSec) {
      floods_logged_at_ = now;
      log_.error("the notify socket receives more than " + std::to_string(kRefusedPerSecond) +
                 " datagrams a second from processes outside the unit; reading it once a second meanwhile");
    }
  }
  return false;
}

void Monitor::on_notify_resume() {
  drain_timer(notify_resume_fd_.get());
  if (!notify_paused_) return;
  notify_paused_ = false;
  refused_window_start_ = sys::now_monotonic_usec();
  refused_in_window_ = 0;
  if (auto w = watch(notify_->fd()); !w) log_.error("cannot watch the notify socket: " + w.error().message());
}

bool Monitor::in_my_tree(pid_t pid) const {
  auto s = proc::read_stat(pid);
  return s && process::descends_from(s->ppid, ::getpid());
}

void Monitor::on_notify() {
  for (int budget = 0; budget < 64; ++budget) {  // bounded: a flood cannot starve the loop
    notify::NotifyMessage message;
    auto got = notify_->receive(message);
    if (got == notify::NotifyServer::Received::Nothing) return;
    if (got == notify::NotifyServer::Received::Ignored) {  // empty, garbage, no credentials
      bool own = message.pid > 0 && (message.pid == main_pid_ || message.pid == control_pid_);
      if (!own && !count_refused_notification()) return;
      continue;
    }
    if (!notify_allowed(message)) {
      if (!count_refused_notification()) return;
      continue;
    }
    const auto& f = message.fields;
    auto has = [&](const char* k, const char* v) {
      auto it = f.find(k);
      return it != f.end() && it->second == v;
    };
    auto usec_of = [&](const char* k) -> std::optional<uint64_t> {
      auto it = f.find(k);
      if (it == f.end()) return std::nullopt;
      auto v = values::parse_unsigned(it->second, UINT64_MAX - 1);
      return v ? std::optional<uint64_t>(*v) : std::nullopt;
    };
    if (auto it = f.find("STATUS"); it != f.end()) {
      std::string text = it->second.substr(0, 1024);
      if (!is_valid_utf8(text)) text = "(invalid UTF-8)";
      state_.status_text = text;
      upstream_.status(text);
      save_state();
    }
    if (auto it = f.find("ERRNO"); it != f.end()) {
      if (auto n = values::parse_unsigned(it->second, 4095)) {
        state_.service_errno = static_cast<int>(*n);
        event("service reported errno " + std::to_string(*n) + " (" + std::strerror(static_cast<int>(*n)) + ")");
      }
    }
    if (auto it = f.find("MAINPID"); it != f.end()) {
      auto pid = values::parse_unsigned(it->second, 4194304);
      if (pid && *pid > 1 && static_cast<pid_t>(*pid) != main_pid_) adopt_from_notify(static_cast<pid_t>(*pid));
    }
    if (auto usec = usec_of("EXTEND_TIMEOUT_USEC")) {
      Event e = make(Event::Kind::ExtendTimeout);
      e.usec = *usec;
      enqueue(std::move(e));
    }
    if (auto usec = usec_of("WATCHDOG_USEC")) {
      Event e = make(Event::Kind::WatchdogUsec);
      e.usec = *usec;
      enqueue(std::move(e));
    }
    if (has("WATCHDOG", "1")) enqueue(make(Event::Kind::WatchdogPing));
    if (has("WATCHDOG", "trigger")) enqueue(make(Event::Kind::WatchdogTrigger));
    if (has("STOPPING", "1")) enqueue(make(Event::Kind::Stopping));
    if (has("RELOADING", "1")) enqueue(make(Event::Kind::Reloading));
    if (has("READY", "1")) {
      state_.add_event("READY=1 from pid " + std::to_string(message.pid));
      enqueue(make(Event::Kind::Ready));
    }
  }
}

void Monitor::adopt_from_notify(pid_t pid) {
  // adopt_main() pins the process before it checks it: a PID reused
  // between a check and the open can never be adopted.
  if (!adopt_main(pid)) return;
  event("main PID is now " + std::to_string(pid) + " (MAINPID=)");
  if (write_pidfile_ && unit_.type != ServiceType::Forking) {
    // The record names the new main process before the pidfile does, as at
    // the start (WritePidfile). The service is tracked by the record and its
    // cgroup either way: a pidfile that cannot follow is said, not fatal.
    flush_state();
    auto written = safe_files::write_atomic(files_.pidfile, std::to_string(pid) + "\n", 0644);
    if (!written) {
      std::string why =
          "cannot write the pidfile for main PID " + std::to_string(pid) + ": " + written.error().message();
      log_.error(why);
      event("warning: " + why);
    }
  }
  save_state();
}

// ---- the main process ----------------------------------------------------------------

bool Monitor::adopt_main(pid_t pid) {
  // A main process that is not our child is watched through a pidfd. The
  // pidfd is opened before anything is read about the process, and proves
  // afterwards that what was read was that process (process/pin.h): a PID
  // reused in between is never adopted.
  auto pinned = process::pin_descendant(pid, ::getpid());
  if (!pinned) return false;
  const proc::Stat& st = pinned->stat;
  bool child = st.ppid == ::getpid();
  if (main_pidfd_) {
    unwatch(main_pidfd_.get());
    main_pidfd_.reset();  // the previous main process is not ours to follow any more
  }
  main_pid_ = pid;
  run_main_pid_ = pid;
  main_start_time_ = st.start_time;
  if (!child) {
    main_pidfd_ = std::move(pinned->pidfd);
    if (auto w = watch(main_pidfd_.get()); !w) log_.error("cannot watch the main process: " + w.error().message());
  }
  state_.main_pid = main_pid_;
  state_.main_start_time = main_start_time_;
  state_.main_sid = st.sid;
  save_state();
  flush_state();  // should we be SIGKILLed now, `stop` finds the service through this record
  return true;
}

void Monitor::forget_main() {
  main_pid_ = 0;
  state_.main_pid = 0;
  if (main_pidfd_) {
    unwatch(main_pidfd_.get());
    main_pidfd_.reset();
  }
  save_state();
}

void Monitor::signal_main(int sig) {
  if (main_pid_ <= 0) return;
  proc::Stat main{};
  main.pid = main_pid_;
  main.start_time = main_start_time_;
  if (!main_pidfd_) {
    // Our own child, not reaped yet: its PID cannot name anyone else, so
    // kill() needs no proof, and no fd (which a tight limit may not leave).
    if (process::signal_child(main_pid_, sig)) signalled_.add(main);
    return;
  }
  if (process::signal_verified(main, sig)) signalled_.add(main);
}

void Monitor::signal_tree(int sig, bool include_main) {
  // A process forked while we read its parent's children is missed by one
  // scan and found by the next: scan until a scan finds nobody new (a fork
  // storm gets a bounded number of rounds; the next SIGCHLD brings another).
  for (int round = 0; round < 16; ++round) {
    bool found_new = false;
    for (const proc::Stat& s : process::my_descendants()) {
      if ((!include_main && s.pid == main_pid_) || signalled_.contains(s)) continue;
      found_new = true;
      (void)process::signal_verified(s, sig);  // false: it is gone already
      signalled_.add(s);
    }
    if (!found_new) return;
  }
}

Monitor::PidfileCheck Monitor::check_pidfile(std::string& why) {
  auto fd = safe_files::open_for_reading(files_.pidfile);
  if (!fd) {
    if (fd.error().sys_errno == ENOENT) return PidfileCheck::NotYet;  // inotify tells us when
    why = fd.error().message();
    return PidfileCheck::Refused;
  }
  // Whoever owns the file and whatever its mode, only what it names
  // matters: a live process of this unit's tree, or nothing (systemd's rule
  // after CVE-2018-16888; daemons that drop root before writing it, or write
  // it with umask 0, are common). A PID outside the tree is never adopted.
  auto content = sys::read_all(fd->get(), 64);
  if (!content) {
    why = content.error().message();
    return PidfileCheck::Refused;
  }
  if (content->empty()) return PidfileCheck::NotYet;  // being written; the close will wake us again
  auto pid = parse_pidfile(*content);
  if (!pid) {
    why = "invalid content";
    return PidfileCheck::Refused;
  }
  auto s = proc::read_stat(*pid);
  // A PID that is gone is not a lie but an old or early file: wait for the
  // daemon to write its own (inotify), as systemd does, up to TimeoutStartSec.
  if (!s || s->state == 'Z') return PidfileCheck::NotYet;
  if (!in_my_tree(*pid)) {
    why = "refusing PID " + std::to_string(*pid) + ": not a live process of this unit";
    return PidfileCheck::Refused;
  }
  if (!adopt_main(*pid)) return PidfileCheck::NotYet;  // it ended just now: as if gone above
  return PidfileCheck::Adopted;
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
  sys::drain(inotify_fd_.get());
  watch_pidfile_directory();  // a directory on the way may have appeared
  std::string why;
  switch (check_pidfile(why)) {
    case PidfileCheck::Adopted:
      enqueue(make(Event::Kind::PidfileAdopted));
      break;
    case PidfileCheck::Refused: {
      Event e = make(Event::Kind::PidfileRefused);
      e.message = "PIDFile " + files_.pidfile + ": " + why;
      enqueue(std::move(e));
      break;
    }
    case PidfileCheck::NotYet:
      break;
  }
}

// ---- control requests ----------------------------------------------------------------

void Monitor::on_control_connection() {
  int fd = ::accept4(control_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  UniqueFd conn(fd);
  struct ucred cred;
  socklen_t len = sizeof cred;
  // Only our own user (or root) may ask for a reload or a restart.
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || (cred.uid != 0 && cred.uid != ::geteuid())) return;
  // The request is read when it arrives, from the loop: a client that
  // connects and says nothing must not hold the monitor up.
  if (!watch(fd)) return;
  control_requests_.push_back(conn.release());
}

void Monitor::on_control_request(int fd) {
  unwatch(fd);
  control_requests_.erase(std::find(control_requests_.begin(), control_requests_.end(), fd));
  UniqueFd conn(fd);
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n <= 0) return;
  std::string_view request(buf, static_cast<size_t>(n));
  bool reload = request == "reload", restart = request == "restart";
  if (!reload && !restart) return;
  if (!watch(fd)) return;  // a hang-up before the answer is noticed
  (reload ? reload_replies_ : restart_replies_).push_back(conn.release());
  enqueue(make(reload ? Event::Kind::Reload : Event::Kind::Restart));
}

// ---- actions ---------------------------------------------------------------------------

void Monitor::execute(const Action& a) {
  std::visit([this](const auto& action) { run(action); }, a);
}

void Monitor::run(const action::CheckConditions&) {
  unit::ConditionVerdict verdict = unit::evaluate_conditions(unit_);
  switch (verdict.outcome) {
    case unit::ConditionVerdict::Outcome::Pass:
      return step_done(Step::Conditions);
    case unit::ConditionVerdict::Outcome::ConditionFailed:
    case unit::ConditionVerdict::Outcome::AssertFailed: {
      Event e = make(verdict.outcome == unit::ConditionVerdict::Outcome::ConditionFailed ? Event::Kind::ConditionFailed
                                                                                         : Event::Kind::AssertFailed);
      e.message = verdict.message;
      enqueue(std::move(e));
      return;
    }
  }
}

void Monitor::run(const action::NoteCondition& n) {
  state_.condition_text = n.message;
  state_.condition_usec = sys::now_realtime_usec();
  save_state();
}

void Monitor::run(const action::GuessMainPid&) {
  // systemd's guess (service_search_main_pid): the one process of the unit
  // that no other process of it is the parent of. Every process of the unit
  // descends from the monitor (a subreaper), so: the monitor's one child.
  std::vector<proc::Stat> children;
  for (const proc::Stat& s : process::my_descendants())
    if (s.ppid == ::getpid()) children.push_back(s);
  if (!unit_.guess_main_pid || children.empty()) return enqueue(make(Event::Kind::NoMainProcess));
  if (children.size() > 1) {
    std::string pids;
    for (const proc::Stat& s : children)
      pids += (pids.empty() ? "" : ", ") + std::to_string(s.pid) + " (" + s.comm + ")";
    return step_failed(Step::GuessMainPid, "Type=forking without PIDFile=: cannot tell the main process among " +
                                               std::to_string(children.size()) + " (" + pids +
                                               "); set PIDFile=, or GuessMainPID=no");
  }
  if (!adopt_main(children.front().pid)) return enqueue(make(Event::Kind::NoMainProcess));
  event("main PID guessed: " + std::to_string(main_pid_) + " (" + children.front().comm + ")");
  enqueue(make(Event::Kind::PidfileAdopted));
}

void Monitor::run(const action::CleanUpRun& c) {
  // What the run made for the service goes with it (RuntimeDirectory=
  // unless RuntimeDirectoryPreserve= keeps it, the credentials), and a
  // terminal it had gets its state back. A failure is logged: the run is
  // over either way.
  if (auto r = service_directories::remove(unit_, c.restart ? unit::StopReason::Restart : unit::StopReason::Stop); !r)
    log_.error("cannot remove the unit's directories: " + r.error().message());
  if (auto r = credentials_dir::remove(unit_); !r) log_.error("cannot remove the credentials: " + r.error().message());
  reset_tty(unit_);
  drain_stamped(true);
}

void Monitor::drain_stamped(bool finish) {
  for (StampedOutput& s : stamped_) {
    if (s.path().empty()) continue;
    if (auto report = finish ? s.finish() : s.drain()) log_.error(*report);
  }
}

void Monitor::run(const action::PrepareExec&) {
  // A new run: what the last one said or when it was ready is no more.
  state_.status_text.clear();
  state_.ready_usec = 0;
  signalled_.clear();
  save_state();
  auto context = prepare_exec_context(unit_);
  if (!context) return step_failed(Step::Prepare, context.error().message());
  exec_context_ = std::move(*context);
  // The directories and credentials the service will find, owned by its
  // user (the identity is known now).
  uid_t uid = exec_context_->identity.credentials ? exec_context_->identity.credentials->uid : ::geteuid();
  gid_t gid = exec_context_->identity.credentials ? exec_context_->identity.credentials->gid : ::getegid();
  if (auto made = service_directories::create(unit_, uid, gid); !made)
    return step_failed(Step::Prepare, made.error().message());
  if (auto written = credentials_dir::write(unit_, uid, gid); !written)
    return step_failed(Step::Prepare, written.error().message());
  if (auto sandboxed = set_up_sandbox(); !sandboxed) return step_failed(Step::Prepare, sandboxed.error().message());
  // The notify protocol (STATUS=, WATCHDOG=1, ...) as systemd offers it:
  // to a service whose NotifyAccess= is not none (by default Type=notify
  // and a unit with WatchdogSec=; NotifyAccess=main or all for the others).
  // Only Type=notify waits for READY=1.
  if (notify_access_ != NotifyAccess::None) exec_context_->environment["NOTIFY_SOCKET"] = notify_->address();
  // systemd's INVOCATION_ID: one per run, inherited by every process of it,
  // which is how they are found again if the monitor dies where no cgroup
  // tracks them (cli/unit_runtime.cc).
  state_.invocation_id = new_invocation_id();
  exec_context_->environment["INVOCATION_ID"] = state_.invocation_id;
  if (unit_.watchdog_sec && unit_.watchdog_sec != kInfinity)
    exec_context_->environment["WATCHDOG_USEC"] = std::to_string(unit_.watchdog_sec);
  // Inherit means the journal under systemd, /dev/null when daemonized.
  auto outputs = open_outputs(unit_, options_.foreground ? STDOUT_FILENO : -1, options_.foreground);
  if (!outputs) return step_failed(Step::Prepare, "cannot open the service's output: " + outputs.error().message());
  bool first_pipes = stamped_.empty();
  if (auto piped = route_through_pipes(unit_, options_.foreground, *outputs, stamped_); !piped) {
    if (first_pipes) stamped_.clear();  // made again, whole, by the next start
    return step_failed(Step::Prepare, "cannot set up X-Unitrun-Timestamps=: " + piped.error().message());
  }
  if (first_pipes) {
    for (const StampedOutput& s : stamped_) {
      if (s.path().empty()) continue;
      if (auto w = watch(s.read_fd()); !w)
        return step_failed(Step::Prepare, "watch the output pipe: " + w.error().message());
    }
  }
  outputs_ = std::move(*outputs);
  step_done(Step::Prepare);
}

Status Monitor::set_up_sandbox() {
  uid_t uid = exec_context_->identity.credentials ? exec_context_->identity.credentials->uid : ::geteuid();
  gid_t gid = exec_context_->identity.credentials ? exec_context_->identity.credentials->gid : ::getegid();
  const SandboxSpec& spec = unit_.sandbox;
  // The unit's cgroup: its limits, and the one exact answer to "which
  // processes are the unit's", also once the monitor is gone. Made when
  // this machine lets unitrun make one; a unit that asks for a limit
  // without one is refused (never a silent downgrade).
  if (!cgroup_) {
    CgroupLimits limits = unit_.resource_control;
    limits.private_devices = spec.private_devices;
    limits.protect_clock = spec.protect_clock;
    process::CgroupOptions options;
    options.best_effort = spec.best_effort;
    if (limits.delegate) {
      options.delegate_uid = uid;
      options.delegate_gid = gid;
    }
    bool asks_for_limits = unit_.resource_control.asks_for_control() || spec.private_devices || spec.protect_clock;
    process::CgroupSupport support = process::detect_cgroups();
    if (support.usable()) {
      auto made = process::UnitCgroup::create(support, unit_.name, limits, options);
      if (made) {
        cgroup_ = std::move(*made);
        for (const std::string& w : cgroup_->warnings()) event("warning: " + w);
      } else if (asks_for_limits) {
        return made.error();
      } else {
        log_.error("no cgroup for the unit (its processes are tracked through the monitor): " + made.error().message());
      }
    } else if (unit_.resource_control.asks_for_control()) {
      std::string why = "resource control needs a cgroup, and none can be made here (" + support.describe() + ")";
      if (!spec.best_effort) return Error::plain(why);
      event("warning: " + why);
    }
    if (cgroup_) {
      // The count the OOM watch starts from, taken before any process of
      // the unit runs; the watch itself is armed by the loop once the start
      // is answered (a millisecond after the reply; arm_oom_watch()), off
      // the way to the service and to the reply.
      oom_kills_seen_ = cgroup_->made_fresh() ? 0 : cgroup_->oom_kills().value_or(0);
      oom_watch_pending_ = true;
    }
  }
  state_.protections.clear();
  if (cgroup_) state_.protections = cgroup_->in_force();
  if (unit_.remove_ipc && exec_context_->identity.credentials && exec_context_->identity.credentials->uid != 0)
    state_.protections.push_back("RemoveIPC=yes");
  save_state();
  if (spec == SandboxSpec{}) return ok();
  if (spec.private_tmp && !private_tmp_) {
    process::remove_stale_private_tmp(unit_.name);
    auto made = process::PrivateTmp::create(unit_.name);
    if (!made) return Error::plain("PrivateTmp=: " + made.error().message());
    private_tmp_ = std::move(*made);
  }
  plan_.reset();
  plan_as_self_.reset();
  auto plan = plan_for_identity(exec_context_->identity.credentials);
  if (!plan) return plan.error();
  plan_ = std::move(*plan);
  for (const std::string& w : plan_->warnings) event("warning: " + w);
  state_.protections.insert(state_.protections.begin(), plan_->in_force.begin(), plan_->in_force.end());
  if (spec.best_effort) state_.protections.push_back("X-Unitrun-Sandbox=best-effort");
  return ok();
}

Result<process::SandboxPlan> Monitor::plan_for_identity(const std::optional<process::Credentials>& credentials) {
  SandboxSpec spec = unit_.sandbox;
  // The unit's own directories stay writable inside any view.
  for (const unit::PlannedDirectory& d : unit::planned_directories(unit_)) spec.exec_directories.push_back(d.path);
  process::PlanContext context;
  context.unit_name = unit_.name;
  context.credentials = credentials;
  if (private_tmp_) {
    context.private_tmp_dir = private_tmp_->tmp();
    context.private_var_tmp_dir = private_tmp_->var_tmp();
  }
  context.personality = unit_.personality;
  context.runtime_dir = files_.directory;
  return process::build_plan(spec, context);
}

Result<const process::SandboxPlan*> Monitor::plan_for(const Command& command) {
  if (!plan_) return static_cast<const process::SandboxPlan*>(nullptr);
  switch (command.privileges) {
    case CommandPrivileges::Full:
      return static_cast<const process::SandboxPlan*>(nullptr);  // '+': no sandboxing, as in systemd
    case CommandPrivileges::NoUserSwitch:
      if (!plan_as_self_) {
        auto plan = plan_for_identity(std::nullopt);
        if (!plan) return plan.error();
        plan_as_self_ = std::move(*plan);
      }
      return &*plan_as_self_;
    default:
      return &*plan_;
  }
}

void Monitor::attach_sandbox(process::ExecSpec& spec, const Command& command, const process::SandboxPlan* plan) {
  (void)command;
  spec.sandbox = plan;
  // Every process of the unit joins its cgroup, a '+' command's too (as in
  // systemd: the cgroup is the unit's, not the sandbox's).
  if (cgroup_) spec.cgroup = &*cgroup_;
}

void Monitor::report_spawn_warnings(const process::SpawnResult& r) {
  // In the record (status) and in the monitor's log (the journal under `run`).
  for (const std::string& w : r.warnings) {
    event("warning: " + w);
    log_.info("warning: " + w);
  }
}

// systemd's check at SIGCHLD: a main process SIGKILLed while the cgroup's
// OOM counter moved was the OOM killer's victim. The counter is read here,
// not left to the watch, because the exit can be read before the OOM event.
bool Monitor::killed_by_oom(const Termination& t) { return t.signal == SIGKILL && new_oom_kill(); }

// Whether the cgroup's OOM counter moved since last asked: each kill is
// counted once, whether the exit or the OOM watch sees it first.
bool Monitor::new_oom_kill() { return cgroup_ && note_oom_kills(cgroup_->oom_kills()); }

bool Monitor::note_oom_kills(std::optional<uint64_t> kills) {
  if (!kills || *kills <= oom_kills_seen_) return false;
  oom_kills_seen_ = *kills;
  return true;
}

// The OOM watch (an eventfd registered on v1, an inotify watch on v2: a
// few opens and a write, ~19 us in a monitor just forked) is the loop's to
// arm, not the start's: every kill is counted by the cgroup's counter, which
// the watch only wakes us to read. A kill between the spawn and the watch
// (none was watching) shows as the counter above the count taken before
// the spawn, and is handled as the watch would have. A process of the unit
// that exits before the watch is armed arms it first (reap_children()), so
// that a kill it reveals is told before its exit: a main process the killer
// took, or one whose child it took.
void Monitor::arm_oom_watch() {
  oom_watch_pending_ = false;
  if (!cgroup_) return;
  std::optional<uint64_t> kills_now;
  auto watch_fd = cgroup_->open_oom_watch(&kills_now);
  if (!watch_fd) return;  // no memory controller: nothing to watch, as the exit's check says
  oom_fd_ = std::move(*watch_fd);
  if (auto w = watch(oom_fd_.get()); !w) log_.error("cannot watch for OOM kills: " + w.error().message());
  if (note_oom_kills(kills_now)) enqueue(make(Event::Kind::OomKill));
}

void Monitor::on_oom() {
  sys::drain(oom_fd_.get());
  oom_rechecks_ = 0;
  check_oom_kills();
}

// v1 signals an OOM (cgroup.event_control on memory.oom_control) when the
// cgroup runs out of memory, before the killer has chosen its victim and
// counted the kill: the counter read at once often shows nothing yet, and
// no second event comes. Without a new kill it is read again after 1, 2, 4,
// 8 and 16 ms (a kill follows its event within the charging task's own
// call). Not on v2: its memory.events changes again at the kill itself,
// and also at every `high` or `max` event (up to 100 a second for a service
// held at its limit), which must not each start a series of reads.
void Monitor::check_oom_kills() {
  if (new_oom_kill()) {
    oom_rechecks_ = 0;
    if (oom_recheck_fd_) arm(oom_recheck_fd_.get(), 0);  // a series under way has found it
    enqueue(make(Event::Kind::OomKill));
    return;
  }
  if (!cgroup_ || !cgroup_->oom_count_lags_event()) return;
  constexpr unsigned kOomRechecks = 5;
  if (oom_rechecks_ >= kOomRechecks) return;
  if (!oom_recheck_fd_) {
    oom_recheck_fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!oom_recheck_fd_) {
      log_.error(std::string("timerfd_create (OOM recheck): ") + std::strerror(errno));
      return;
    }
    if (auto w = watch(oom_recheck_fd_.get()); !w) {
      log_.error("cannot watch the OOM recheck timer: " + w.error().message());
      oom_recheck_fd_.reset();
      return;
    }
  }
  arm(oom_recheck_fd_.get(), sys::now_monotonic_usec() + (1000u << oom_rechecks_));
  ++oom_rechecks_;
}

void Monitor::tear_down_sandbox() {
  // The monitor is ending: nothing of the unit may be left in its cgroup
  // (KillMode=process and none leave the rest running: their cgroup stays).
  if (cgroup_ && unit_.kill_mode != KillMode::Process && unit_.kill_mode != KillMode::None) {
    // remove() keeps a cgroup that still has a member (EBUSY, the kernel's
    // own answer: no listing of the members before), and says EBUSY for
    // that alone; sub-cgroups a Delegate=yes service left empty it removes.
    if (auto r = cgroup_->remove(); !r && r.error().sys_errno != EBUSY)
      log_.error("cannot remove the unit's cgroup: " + r.error().message());
  }
  if (private_tmp_ && !private_tmp_->remove()) log_.error("cannot remove the unit's private /tmp entirely");
  remove_ipc();
}

// RemoveIPC=: once the unit is over, what its User= left in IPC objects.
// Under root (or without User=) it has no effect, as in systemd.
void Monitor::remove_ipc() {
  if (!unit_.remove_ipc || !exec_context_ || !exec_context_->identity.credentials) return;
  uid_t uid = exec_context_->identity.credentials->uid;
  if (uid == 0) return;
  process::IpcCleanup r = process::remove_ipc_of(uid);
  std::string what;
  if (r.skipped_user_active)
    what = "RemoveIPC=: user " + std::to_string(uid) +
           " still has processes running (another unit's, or someone else's); its IPC objects are left";
  else if (r.removed > 0)
    what = "RemoveIPC=: removed " + std::to_string(r.removed) + " IPC object(s) of user " + std::to_string(uid);
  if (!what.empty()) {
    event(what);
    log_.info(what);
  }
  for (const std::string& p : r.problems) log_.error("RemoveIPC=: " + p);
}

void Monitor::run(const action::RemoveStalePidfile&) {
  auto removed = safe_files::remove(files_.pidfile);
  if (!removed)
    return step_failed(Step::RemoveStalePidfile, "cannot remove stale pidfile: " + removed.error().message());
  step_done(Step::RemoveStalePidfile);
}

void Monitor::run(const action::SpawnMain&) {
  if (!exec_context_) return step_failed(Step::SpawnMain, "nothing was prepared");
  const Command& command = unit_.exec_start.front();
  process::ExecSpec spec = make_exec_spec(unit_, command, *exec_context_, outputs_, {});
  if (!spec.limit_nofile) spec.limit_nofile = inherited_nofile_;
  spec.altered_signals = altered_signals_;
  spec.set_watchdog_pid = unit_.watchdog_sec != 0 && unit_.watchdog_sec != kInfinity;
  auto plan = plan_for(command);
  if (!plan) return step_failed(Step::SpawnMain, plan.error().message());
  attach_sandbox(spec, command, *plan);
  process::SpawnResult spawned = process::spawn(spec);
  report_spawn_warnings(spawned);
  if (!spawned.ok()) return step_failed(Step::SpawnMain, spawned.message(spec), is_not_installed(spawned));
  main_pid_ = spawned.pid;
  run_main_pid_ = spawned.pid;
  main_start_time_ = proc::start_time_or_read(spawned.start_time, main_pid_);
  state_.main_pid = main_pid_;
  state_.main_start_time = main_start_time_;
  state_.main_sid = main_pid_;  // the service leads its own session
  state_.main_started_usec = sys::now_realtime_usec();
  // Should we be SIGKILLed now, `start` and `stop` find the service through
  // this record (see cli/unit_runtime.h): it is written before anything
  // else names the service or takes time: before the pidfile
  // (WritePidfile), before the loop sleeps, before another process is
  // spawned (SpawnControl), before the reply.
  save_state();
  step_done(Step::SpawnMain);
}

std::map<std::string, std::string> Monitor::control_environment(const action::SpawnControl& a) const {
  std::map<std::string, std::string> env;
  if (main_pid_ > 0) env["MAINPID"] = std::to_string(main_pid_);
  for (const auto& [k, v] : a.environment) env[k] = v;
  return env;
}

void Monitor::run(const action::SpawnControl& a) {
  if (!exec_context_) return step_failed(Step::SpawnControl, "nothing was prepared");
  const std::vector<Command>* list = nullptr;
  switch (a.list) {
    case CommandList::Condition:
      break;
    case CommandList::StartPre:
      list = &unit_.exec_start_pre;
      break;
    case CommandList::Start:
      list = &unit_.exec_start;
      break;
    case CommandList::StartPost:
      list = &unit_.exec_start_post;
      break;
    case CommandList::Reload:
      list = &unit_.exec_reload;
      break;
    case CommandList::Stop:
      list = &unit_.exec_stop;
      break;
    case CommandList::StopPost:
      list = &unit_.exec_stop_post;
      break;
  }
  if (!list || a.index >= list->size()) return step_failed(Step::SpawnControl, "no such command");
  const Command& c = (*list)[a.index];
  flush_state();  // the main process spawned this turn is on record first (SpawnMain)
  process::ExecSpec spec = make_exec_spec(unit_, c, *exec_context_, outputs_, control_environment(a));
  if (!spec.limit_nofile) spec.limit_nofile = inherited_nofile_;
  spec.altered_signals = altered_signals_;
  auto plan = plan_for(c);
  if (!plan) return step_failed(Step::SpawnControl, plan.error().message());
  attach_sandbox(spec, c, *plan);
  process::SpawnResult r = process::spawn(spec);
  report_spawn_warnings(r);
  if (!r.ok()) return step_failed(Step::SpawnControl, r.message(spec), is_not_installed(r));
  control_pid_ = r.pid;
  control_list_ = a.list;
  if (a.list == CommandList::Start) {
    // A oneshot's command is its main process for the record's sake.
    state_.main_pid = r.pid;
    state_.main_sid = r.pid;
    state_.main_start_time = proc::start_time_or_read(r.start_time, r.pid);
    state_.main_started_usec = sys::now_realtime_usec();
    save_state();
    flush_state();  // as for the main process
  }
  step_done(Step::SpawnControl);
}

void Monitor::run(const action::Kill& k) {
  using action::Target;
  if (!k.only_new) signalled_.clear();
  switch (k.target) {
    case Target::Main:
      signal_main(k.signal);
      break;
    case Target::Control:
      if (control_pid_ > 0) (void)process::signal_child(control_pid_, k.signal);
      break;
    case Target::MainAndControl:
      signal_main(k.signal);
      if (control_pid_ > 0) (void)process::signal_child(control_pid_, k.signal);
      break;
    case Target::Tree:
      // The main and control processes first, needing no fd; then everyone
      // the tree walk finds.
      signal_main(k.signal);
      if (control_pid_ > 0) (void)process::signal_child(control_pid_, k.signal);
      signal_tree(k.signal, true);
      break;
    case Target::TreeButMain:
      if (control_pid_ > 0) (void)process::signal_child(control_pid_, k.signal);
      signal_tree(k.signal, false);
      break;
  }
}

void Monitor::run(const action::WritePidfile&) {
  // The pidfile names the main PID before `start` returns; when it cannot be
  // written the service must not run untracked. The record names it first:
  // a monitor SIGKILLed between the two would otherwise leave a live pidfile
  // beside the last run's final record, and the service would look like one
  // run outside unitrun (status, start and stop would leave it alone). For a
  // service that is up once spawned (simple, exec, idle without
  // ExecStartPost=) the table has made it running already: this one write
  // says what the reply will say, and the Report finds nothing left to
  // write.
  if (write_pidfile_) {
    flush_state();
    auto written = safe_files::write_atomic(files_.pidfile, std::to_string(main_pid_) + "\n", 0644);
    if (!written) return step_failed(Step::WritePidfile, "cannot write pidfile: " + written.error().message());
  }
  step_done(Step::WritePidfile);
}

void Monitor::run(const action::RemovePidfile&) {
  if (unit_.type != ServiceType::Forking && !write_pidfile_) return;
  auto removed = safe_files::remove(files_.pidfile);
  if (!removed) log_.error("cannot remove pidfile: " + removed.error().message());
}

void Monitor::run(const action::WatchPidfile&) {
  if (!inotify_fd_) {
    inotify_fd_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    auto watched = inotify_fd_ ? watch(inotify_fd_.get()) : Status(Error::from_errno("inotify_init1"));
    if (!watched) {
      inotify_fd_.reset();
      return step_failed(Step::WatchPidfile, "cannot watch for the pidfile: " + watched.error().message());
    }
  }
  watch_pidfile_directory();
  step_done(Step::WatchPidfile);
  on_inotify();  // the daemon may have written it already
}

void Monitor::run(const action::WatchBusName&) {
  run(action::UnwatchBusName{});
  if (!notify::BusNameWatch::available())
    return step_failed(
        Step::WatchBusName,
        "Type=dbus: libsystemd.so.0 with sd-bus cannot be loaded; BusName=" + unit_.bus_name + " cannot be watched",
        true);
  auto w = notify::BusNameWatch::open(unit_.bus_name);
  if (!w)
    return step_failed(Step::WatchBusName,
                       "Type=dbus: " + w.error().message() + "; BusName=" + unit_.bus_name + " cannot be watched");
  auto watched = watch((*w)->fd());
  if (!watched) return step_failed(Step::WatchBusName, "cannot watch the system bus: " + watched.error().message());
  bus_watch_ = std::move(*w);
  Event e = make(Event::Kind::StepDone);
  e.step = Step::WatchBusName;
  e.message = bus_watch_->initial_owner();
  enqueue(std::move(e));
  on_bus();  // a change may have been read already, during the owner query
}

void Monitor::run(const action::UnwatchBusName&) {
  if (!bus_watch_) return;
  unwatch(bus_watch_->fd());
  bus_watch_.reset();
}

void Monitor::on_bus() {
  using Kind = notify::BusNameWatch::Change::Kind;
  bool gone = false;
  for (const auto& c : bus_watch_->process()) {
    Event e;
    switch (c.kind) {
      case Kind::Acquired:
        e = make(Event::Kind::BusNameAcquired);
        e.message = c.owner;
        break;
      case Kind::Lost:
        e = make(Event::Kind::BusNameLost);
        e.message = c.detail;
        break;
      case Kind::Disconnected:
        e = make(Event::Kind::BusGone);
        e.message = c.detail;
        gone = true;
        break;
    }
    enqueue(std::move(e));
  }
  if (gone) run(action::UnwatchBusName{});
}

void Monitor::run(const action::UnwatchPidfile&) {
  if (!inotify_fd_) return;
  unwatch(inotify_fd_.get());
  inotify_fd_.reset();
}

void Monitor::run(const action::RecheckPidfile&) {
  std::string why;
  if (check_pidfile(why) == PidfileCheck::Adopted) {
    event("main PID is now " + std::to_string(main_pid_) + " (from PIDFile=)");
    enqueue(make(Event::Kind::PidfileAdopted));
  } else {
    enqueue(make(Event::Kind::PidfileGone));
  }
}

void Monitor::run(const action::Report& r) {
  // Starts that wait behind the one that launched us may proceed now, and
  // find the unit running. A monitor that is about to exit keeps the start
  // lock: its exit drops both locks at once, so no waiting start can see the
  // alive lock still held and answer "already running" for a unit that is
  // gone.
  flush_state();
  if (!supervisor_.done()) (void)lock_.unlock_start();
  if (options_.ready_fd < 0) return;
  std::string line;
  if (r.ok) {
    // The main process may have exited already (READY=1, then gone): `start`
    // is told which one came up all the same.
    line = format_reply_ok(r.message.empty() ? std::to_string(run_main_pid_) : r.message);
  } else {
    std::string detail = r.message;
    if (r.quote_output) {
      std::string tail = output_tail(error_file(unit_, options_.foreground, sys::journald_listening()), 5, "  | ");
      if (!tail.empty()) detail += "\n" + tail;
    }
    line = format_reply_fail(r.code, detail);
  }
  // Who we are, with the outcome: the caller reads the whole report
  // anyway, and a line of its own, written at once, woke it for nothing
  // while the service was not even spawned.
  (void)sys::write_all(options_.ready_fd, daemon::identity_line(state_.monitor_pid, state_.monitor_start_time) +
                                              line);  // the caller may be gone (Ctrl-C): nothing to do then
  ::close(options_.ready_fd);
  options_.ready_fd = -1;
  caller_told_ = true;  // loop(): it runs before the memory trims
}

void Monitor::run(const action::ReplyReloads& r) {
  flush_state();  // whoever learns of the outcome finds the record saying so
  std::string reply = r.ok ? format_reply_ok("") : format_reply_fail(r.code, r.message);
  for (int fd : reload_replies_) {
    unwatch(fd);
    (void)sys::write_all(fd, reply);
    ::close(fd);
  }
  reload_replies_.clear();
}

void Monitor::run(const action::ReplyRestarts& r) {
  flush_state();  // whoever learns of the outcome finds the record saying so
  std::string reply = r.ok ? format_reply_ok(r.message.empty() ? std::to_string(run_main_pid_) : r.message)
                           : format_reply_fail(r.code, r.message);
  if (!r.ok) log_.error("restart failed: " + r.message);
  for (int fd : restart_replies_) {
    unwatch(fd);
    (void)sys::write_all(fd, reply);  // the requester may be gone: the stop may have ended it
    ::close(fd);
  }
  restart_replies_.clear();
}

void Monitor::run(const action::Notify& n) {
  switch (n.what) {
    case action::Upstream::Ready:
      upstream_.ready();
      break;
    case action::Upstream::Reloading:
      upstream_.reloading();
      break;
    case action::Upstream::Stopping:
      upstream_.stopping();
      break;
    case action::Upstream::WatchdogTrigger:
      upstream_.watchdog_trigger();
      break;
    case action::Upstream::Status:
      upstream_.status(n.text);
      break;
    case action::Upstream::StatusRunning:
      if (state_.status_text.empty()) upstream_.status("running (pid " + std::to_string(main_pid_) + ")");
      break;
  }
}

void Monitor::run(const action::Record& r) {
  std::string text = r.with_main_pid ? r.text + " (pid " + std::to_string(run_main_pid_) + ")" : r.text;
  if (r.error)
    log_.error(text);
  else
    log_.info(text);
  event(text);
}

void Monitor::run(const action::EnteredRunning&) {
  state_.ready_usec = sys::now_realtime_usec();
  save_state();
}

// ---- the outside world ---------------------------------------------------------------

void Monitor::arm(int fd, uint64_t deadline) {
  if (fd < 0 && deadline == 0) return;  // a timer this unit does not have (set_up()) is never armed: nothing to disarm
  struct itimerspec spec;
  std::memset(&spec, 0, sizeof spec);
  if (deadline != 0) {
    spec.it_value.tv_sec = static_cast<time_t>(deadline / kUsecPerSec);
    spec.it_value.tv_nsec = static_cast<long>((deadline % kUsecPerSec) * 1000);
  }
  if (::timerfd_settime(fd, deadline != 0 ? TFD_TIMER_ABSTIME : 0, &spec, nullptr) < 0)
    log_.error(std::string("timerfd_settime: ") + std::strerror(errno));
}

void Monitor::flush_state() {
  // One write per turn of the loop, not one per event: a stop or a restart
  // changes the record half a dozen times in a few hundred microseconds.
  // Whoever learns something from us (the readiness pipe, a reload reply)
  // gets it after the record says so.
  if (!state_dirty_) return;
  state_dirty_ = false;
  auto w = state_writer_.write(files_.state, state_);
  if (!w) log_.error("cannot write state file: " + w.error().message());
}

}  // namespace

int run(Unit&& unit, RuntimeFiles files, UnitLock lock, Options options) {
  bool daemonized = !options.foreground;
  Monitor m(std::move(unit), std::move(files), std::move(lock), options);
  int status = m.run();
  // A daemonized monitor's process ends with its run (daemonize() would
  // _exit with this status): `stop` waits for that exit, and the
  // destructors between (a dozen fds closed one by one, the unit and the
  // record freed) only delay it. The kernel closes every fd at the exit,
  // and lets go of the locks with them, before `stop` hears of it; what
  // had to be written is (run() flushed the log, made the record final and
  // removed the control socket).
  if (daemonized) ::_exit(status);
  return status;
}

}  // namespace unitrun::monitor
