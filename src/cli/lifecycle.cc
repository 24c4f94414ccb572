// `unitrun start`, `stop` and `restart`.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/unit_runtime.h"
#include "monitor/monitor.h"
#include "process/proc.h"
#include "runtime/control_socket.h"
#include "runtime/daemonize.h"
#include "runtime/reply.h"
#include "runtime/safe_files.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {
namespace {

void print_diagnostics(const unit::LoadResult& r) {
  for (const Diagnostic& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.format(r.display_path).c_str());
}

int privilege_or_failure(const Error& e) {
  return e.sys_errno == EACCES || e.sys_errno == EPERM ? exit_code::kNoPrivilege : exit_code::kFailure;
}

// The unit, loaded and valid, with its runtime directory ready and its lock
// file open; or the exit code that ends the verb.
struct Prepared {
  unit::LoadResult load;
  RuntimeFiles files;
  std::optional<UnitLock> lock;
  int failure = -1;
};

Prepared prepare(const std::string& path, bool create_runtime_dir) {
  Prepared p;
  p.load = unit::load(path, unit::ValidateMode::Start);
  print_diagnostics(p.load);
  if (!p.load.readable) {
    p.failure = exit_code::kNotConfigured;
    return p;
  }
  if (has_errors(p.load.diagnostics)) {
    p.failure = exit_code::kNotConfigured;
    return p;
  }
  p.files = runtime_files_for(p.load.unit);
  if (create_runtime_dir) {
    auto dir = safe_files::ensure_private_directory(p.files.directory);
    if (!dir) {
      std::fprintf(stderr, "unitrun: %s\n", dir.error().message().c_str());
      p.failure = privilege_or_failure(dir.error());
      return p;
    }
  } else if (::access(p.files.lock.c_str(), F_OK) != 0) {
    return p;  // no lock file: never started by this user; nothing to open
  }
  auto lock = UnitLock::open(p.files.lock);
  if (!lock) {
    std::fprintf(stderr, "unitrun: lock: %s\n", lock.error().message().c_str());
    p.failure = privilege_or_failure(lock.error());
    return p;
  }
  p.lock.emplace(std::move(*lock));
  return p;
}

// Waits until the process (pid, start_time) has exited. Once the PID names
// another process, or none, it is gone already.
void wait_for_exit(pid_t pid, uint64_t start_time, int timeout_ms) {
  if (pid <= 1) return;
  auto pidfd = sys::pidfd_open(pid);
  if (!pidfd || !proc::is_same_process(pid, start_time)) return;
  (void)sys::wait_readable(pidfd->get(), timeout_ms);
}

// Takes the unit's name for the monitor about to run (the lock stays with
// it); -1, or the exit code when another unit file of that name runs.
int claim_name(Prepared& p) {
  const Unit& unit = p.load.unit;
  auto other = p.lock->claim_name(p.files.name_lock, unit.path);
  if (!other) {
    std::fprintf(stderr, "unitrun: %s: name lock: %s\n", unit.name.c_str(), other.error().message().c_str());
    return privilege_or_failure(other.error());
  }
  if (!*other) return -1;
  std::fprintf(stderr,
               "unitrun: %s: another unit of that name is running (%s); unit names must be unique: the "
               "default pidfile and log are named after them\n",
               unit.name.c_str(), (*other)->c_str());
  return exit_code::kFailure;
}

bool deactivating(const RuntimeView& v) {
  return v.liveness == Liveness::Running && v.state && v.state->active_state() == ActiveState::Deactivating;
}

// A stop in progress (the service ended on its own, or a SIGTERM reached
// the monitor) is waited out, as systemd queues a start behind a stop job:
// until the record says something else, or the monitor is gone. Woken by
// the record's rewrites (inotify on the runtime directory) and by the
// monitor's exit (its pidfd); no polling.
RuntimeView wait_out_stop(Prepared& p, RuntimeView view) {
  const MonitorState& s = *view.state;
  auto pidfd = sys::pidfd_open(s.monitor_pid);
  if (!pidfd || !proc::is_same_process(s.monitor_pid, s.monitor_start_time))
    return inspect(p.load.unit, p.files, *p.lock);
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch || ::inotify_add_watch(watch.get(), p.files.directory.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
    return view;  // cannot wait: answer as before ("already running")
  std::printf("%s is stopping; waiting for the stop before starting it\n", p.load.unit.name.c_str());
  std::fflush(stdout);
  WaitProgress progress(p.load.unit, p.files.state);
  while (deactivating(view)) {
    struct pollfd fds[2] = {{watch.get(), POLLIN, 0}, {pidfd->get(), POLLIN, 0}};
    int n = ::poll(fds, 2, progress.tick_ms());
    if (n < 0 && errno != EINTR) break;
    if (n == 0) {
      progress.update();
      continue;
    }
    char buf[4096];
    while (::read(watch.get(), buf, sizeof buf) > 0) {
    }
    if (fds[1].revents & POLLIN) (void)sys::wait_readable(pidfd->get(), -1);  // exited: its lock is free now
    view = inspect(p.load.unit, p.files, *p.lock);
  }
  return view;
}

int start_locked(Prepared& p) {
  const Unit& unit = p.load.unit;
  UnitLock& lock = *p.lock;
  RuntimeView view = inspect(unit, p.files, lock);
  if (deactivating(view)) view = wait_out_stop(p, std::move(view));
  if (view.liveness == Liveness::Running) {
    pid_t pid = view.state ? view.state->main_pid : 0;
    std::printf("%s already running (pid %d)\n", unit.name.c_str(), static_cast<int>(pid));
    return exit_code::kSuccess;
  }
  if (view.liveness == Liveness::Orphaned) {
    std::fprintf(stderr, "unitrun: %s: ending %zu process(es) left by a monitor that died\n", unit.name.c_str(),
                 view.orphans.size());
    end_orphans(unit, view.orphans, view.state ? &*view.state : nullptr);
  }
  // Another unit file of the same name first: its pidfile is the same file.
  if (int refused = claim_name(p); refused >= 0) return refused;
  if (view.liveness == Liveness::Outside) {
    // The service runs already, started by other means (its own init
    // script during an upgrade): a second copy would fight it for its
    // ports, and removing its pidfile would orphan it.
    std::fprintf(stderr,
                 "unitrun: %s: PIDFile= %s names pid %d (%s), which runs the unit's program outside unitrun; stop "
                 "it first (or remove the pidfile if it is not the service)\n",
                 unit.name.c_str(), p.files.pidfile.c_str(), static_cast<int>(view.outsider->pid),
                 view.outsider->comm.c_str());
    return exit_code::kFailure;
  }
  auto alive = lock.try_lock_alive();
  if (!alive || !*alive) {
    std::fprintf(stderr, "unitrun: %s: lock is held by another monitor\n", unit.name.c_str());
    return exit_code::kFailure;
  }
  // Once forked, the locks are the monitor's: the caller closes its handle,
  // so that "the lock is held" means "the monitor lives", never "a start
  // that already knows its outcome has not exited yet".
  WaitProgress progress(unit, p.files.state);
  daemon::StartOutcome outcome = daemon::daemonize(
      [&](int ready_fd) {
        monitor::Options options;
        options.ready_fd = ready_fd;
        return monitor::run(unit, p.files, std::move(lock), options);
      },
      [&] { lock.close(); }, {progress.tick_ms(), [&] { progress.update(); }});
  progress.clear();
  if (outcome.code != 0) {
    // The monitor reports a failure as its last act; when start returns,
    // it must be gone too.
    wait_for_exit(outcome.monitor_pid, outcome.monitor_start_time, -1);
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), outcome.message.c_str());
    return outcome.code;
  }
  if (outcome.detail == "exited") {
    // RemainAfterExit=yes: the monitor stays, keeping the unit active.
    std::printf("started %s (its commands ran to completion; active by RemainAfterExit=yes)\n", unit.name.c_str());
  } else if (outcome.pid == 0) {
    // A oneshot has run to completion, or a condition said not to start; the
    // monitor reports as its last act: when `start` returns, it is gone too,
    // and status says so.
    wait_for_exit(outcome.monitor_pid, outcome.monitor_start_time, -1);
    if (outcome.detail == "skipped") {
      RuntimeView after = inspect(unit, p.files, *p.lock);
      std::string why = after.state ? after.state->condition_text : "";
      std::printf("%s was not started: start condition failed%s%s\n", unit.name.c_str(), why.empty() ? "" : ": ",
                  why.c_str());
    } else {
      std::printf("finished %s\n", unit.name.c_str());
    }
  } else {
    std::printf("started %s (pid %d)\n", unit.name.c_str(), static_cast<int>(outcome.pid));
  }
  return exit_code::kSuccess;
}

int stop_locked(Prepared& p, bool quiet) {
  const Unit& unit = p.load.unit;
  if (!p.lock) {
    if (!quiet) std::printf("%s is not running\n", unit.name.c_str());
    return exit_code::kSuccess;
  }
  UnitLock& lock = *p.lock;
  RuntimeView view = inspect(unit, p.files, lock);
  // No monitor holds the alive lock, and we hold the start lock, so none can
  // appear: a control socket there was left by a monitor that was killed.
  if (view.liveness != Liveness::Running) runtime::remove_control(p.files.control);
  switch (view.liveness) {
    case Liveness::NotRunning:
      if (!quiet) std::printf("%s is not running\n", unit.name.c_str());
      return exit_code::kSuccess;
    case Liveness::DeadPidfile:
      if (!quiet)
        std::printf("%s is not running (stale pidfile %s left alone)\n", unit.name.c_str(), p.files.pidfile.c_str());
      return exit_code::kSuccess;
    case Liveness::Outside:
      // Not ours to stop: nothing proves unitrun started it.
      std::fprintf(stderr,
                   "unitrun: %s: not running under unitrun; PIDFile= %s names pid %d (%s), which runs outside "
                   "unitrun: left alone\n",
                   unit.name.c_str(), p.files.pidfile.c_str(), static_cast<int>(view.outsider->pid),
                   view.outsider->comm.c_str());
      return exit_code::kSuccess;
    case Liveness::Orphaned:
      end_orphans(unit, view.orphans, view.state ? &*view.state : nullptr);
      (void)safe_files::remove(p.files.pidfile);
      if (view.state) record_orphans_stopped(p.files, *view.state);
      if (!quiet) std::printf("stopped %s (its monitor had died)\n", unit.name.c_str());
      return exit_code::kSuccess;
    case Liveness::Running:
      break;
  }
  // The lock proves a monitor lives; the state record names it, and its
  // start time proves the PID is still that monitor. A monitor it names that
  // has exited since (another stop's signal reached it) only has its lock
  // to let go of: nothing to signal, and, as we hold the start lock, no new
  // monitor can appear; we wait below.
  const MonitorState* s = view.state ? &*view.state : nullptr;
  if (!s || s->monitor_pid <= 1) {
    std::fprintf(stderr,
                 "unitrun: %s: the lock is held but the monitor cannot be identified; not signalling anything\n",
                 unit.name.c_str());
    return exit_code::kFailure;
  }
  auto pidfd = sys::pidfd_open(s->monitor_pid);
  bool is_monitor = pidfd && proc::is_same_process(s->monitor_pid, s->monitor_start_time);
  if (is_monitor) {
    auto sent = sys::pidfd_send_signal(pidfd->get(), SIGTERM);
    if (!sent) {
      std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), sent.error().message().c_str());
      return privilege_or_failure(sent.error());
    }
  }
  // The monitor releases the alive lock when it exits, which is after every
  // process of the unit is gone: waiting for the lock is waiting for that.
  // On a terminal, the wait is first one on the monitor's exit, with a
  // progress line updated between its timeouts.
  if (is_monitor) {
    WaitProgress progress(unit, p.files.state);
    if (progress.tick_ms() >= 0)
      while (sys::wait_readable(pidfd->get(), progress.tick_ms()).value_or(true) == false) progress.update();
  }
  auto waited = lock.lock_alive_wait();
  if (!waited) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), waited.error().message().c_str());
    return exit_code::kFailure;
  }
  // The lock goes with the monitor's last fd, a moment before the monitor
  // itself: wait for its exit too, so that when stop returns no process of
  // the unit is left, the monitor included. It is exiting: no timeout.
  if (is_monitor) (void)sys::wait_readable(pidfd->get(), -1);
  // A monitor that died without finishing its stop (SIGKILLed just before
  // or during it) left the service behind: its record says so, and the
  // survivors are ended here, as for any orphan.
  RuntimeView after = inspect(unit, p.files, lock);
  if (after.liveness == Liveness::Orphaned) {
    end_orphans(unit, after.orphans, after.state ? &*after.state : nullptr);
    (void)safe_files::remove(p.files.pidfile);
    if (after.state) record_orphans_stopped(p.files, *after.state);
  }
  if (after.liveness != Liveness::Running) runtime::remove_control(p.files.control);
  (void)lock.unlock_alive();
  // A stop that needed FinalKillSignal= is still a stop (exit 0), but not a
  // clean one: say so, as the record does (Result=timeout).
  if (after.state && after.state->result == ServiceResult::Timeout)
    for (const Event& e : after.state->events)
      if (e.text.rfind("did not stop within", 0) == 0)
        std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), e.text.c_str());
  if (!quiet) std::printf("stopped %s\n", unit.name.c_str());
  return exit_code::kSuccess;
}

// Asks the running monitor to reload; exit 7 when there is none.
int reload_running(Prepared& p) {
  const Unit& unit = p.load.unit;
  if (!p.lock) {
    std::fprintf(stderr, "unitrun: %s is not running\n", unit.name.c_str());
    return exit_code::kNotRunning;
  }
  RuntimeView view = inspect(unit, p.files, *p.lock);
  if (view.liveness != Liveness::Running || !view.state) {
    std::fprintf(stderr, "unitrun: %s is not running\n", unit.name.c_str());
    return exit_code::kNotRunning;
  }
  const MonitorState& s = *view.state;
  if (!proc::is_same_process(s.monitor_pid, s.monitor_start_time)) {
    std::fprintf(stderr, "unitrun: %s: the monitor cannot be identified\n", unit.name.c_str());
    return exit_code::kFailure;
  }
  auto conn = runtime::connect_control(p.files.control, s.monitor_pid);
  if (!conn) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), conn.error().message().c_str());
    return privilege_or_failure(conn.error());
  }
  auto sent = sys::write_all(conn->get(), "reload");
  if (!sent) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), sent.error().message().c_str());
    return exit_code::kFailure;
  }
  auto reply = sys::read_all(conn->get(), 4096);
  if (!reply || reply->empty()) {
    std::fprintf(stderr, "unitrun: %s: the monitor did not answer\n", unit.name.c_str());
    return exit_code::kFailure;
  }
  Reply answer = parse_reply(*reply);
  if (!answer.ok) {
    std::fprintf(stderr, "unitrun: %s: reload failed: %s\n", unit.name.c_str(), answer.detail.c_str());
    return answer.code;
  }
  std::printf("reloaded %s\n", unit.name.c_str());
  return exit_code::kSuccess;
}

bool is_running(Prepared& p) { return p.lock && inspect(p.load.unit, p.files, *p.lock).liveness == Liveness::Running; }

// A caller other than root may not act on root's instance of the unit: LSB
// 4, "insufficient privilege", rather than "not running". -1 when the
// caller's own instance runs, or root's does not.
int refuse_root_instance(Prepared& p, const char* what) {
  if (::geteuid() == 0 || is_running(p)) return -1;
  auto root = run_by_root(p.load.unit);
  if (!root) return -1;
  std::fprintf(stderr, "unitrun: %s is run by root (monitor pid %d); only root may %s it\n", p.load.unit.name.c_str(),
               static_cast<int>(root->monitor_pid), what);
  return exit_code::kNoPrivilege;
}

}  // namespace

int reload(const std::string& path) {
  Prepared p = prepare(path, false);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "reload"); refused >= 0) return refused;
  return reload_running(p);
}

int force_reload(const std::string& path) {
  // systemctl's reload-or-try-restart: reload a running unit, or restart it
  // when it cannot reload (LSB's force-reload); a stopped one stays stopped,
  // and that is success.
  Prepared p = prepare(path, false);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "reload"); refused >= 0) return refused;
  if (!is_running(p)) {
    std::printf("%s is not running\n", p.load.unit.name.c_str());
    return exit_code::kSuccess;
  }
  if (p.load.unit.exec_reload.empty()) return try_restart(path);
  return reload_running(p);
}

int try_restart(const std::string& path) {
  Prepared p = prepare(path, false);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "restart"); refused >= 0) return refused;
  if (!p.lock) {
    std::printf("%s is not running\n", p.load.unit.name.c_str());
    return exit_code::kSuccess;
  }
  auto locked = p.lock->lock_start_wait();
  if (!locked) return exit_code::kFailure;
  if (!is_running(p)) {
    std::printf("%s is not running\n", p.load.unit.name.c_str());
    return exit_code::kSuccess;
  }
  int rc = stop_locked(p, true);
  if (rc != exit_code::kSuccess) return rc;
  return start_locked(p);
}

int run(const std::string& path) {
  Prepared p = prepare(path, true);
  if (p.failure >= 0) return p.failure;
  auto locked = p.lock->lock_start_wait();
  if (!locked) return exit_code::kFailure;
  RuntimeView view = inspect(p.load.unit, p.files, *p.lock);
  if (view.liveness == Liveness::Running) {
    std::fprintf(stderr, "unitrun: %s is already running (pid %d) under another monitor\n", p.load.unit.name.c_str(),
                 view.state ? view.state->main_pid : 0);
    return exit_code::kFailure;
  }
  if (view.liveness == Liveness::Orphaned) end_orphans(p.load.unit, view.orphans, view.state ? &*view.state : nullptr);
  if (view.liveness == Liveness::Outside) {
    std::fprintf(stderr, "unitrun: %s: PIDFile= %s names pid %d (%s), which runs the unit's program outside unitrun\n",
                 p.load.unit.name.c_str(), p.files.pidfile.c_str(), static_cast<int>(view.outsider->pid),
                 view.outsider->comm.c_str());
    return exit_code::kFailure;
  }
  if (int refused = claim_name(p); refused >= 0) return refused;
  auto alive = p.lock->try_lock_alive();
  if (!alive || !*alive) return exit_code::kFailure;
  monitor::Options options;
  options.foreground = true;
  return monitor::run(p.load.unit, p.files, std::move(*p.lock), options);
}

// systemd runs us as the main process (ExecStart=unitrun start ...): then
// `start` must behave like `run` (stay in the foreground, speak sd_notify).
// SYSTEMD_EXEC_PID is inherited by children, hence the PID comparison.
bool started_by_systemd() {
  const char* exec_pid = std::getenv("SYSTEMD_EXEC_PID");
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return exec_pid && socket && std::to_string(::getpid()) == exec_pid;
}

int start(const std::string& path) {
  if (started_by_systemd()) return run(path);
  Prepared p = prepare(path, true);
  if (p.failure >= 0) return p.failure;
  // Serialise with other starts and stops of this unit; the monitor lets go
  // of this byte once it has reported.
  auto locked = p.lock->lock_start_wait();
  if (!locked) {
    std::fprintf(stderr, "unitrun: lock: %s\n", locked.error().message().c_str());
    return exit_code::kFailure;
  }
  return start_locked(p);
}

// A start in progress holds the start lock until its outcome is known,
// which may be TimeoutStartSec= away. A stop does not wait for that, as
// systemctl stop cancels a start job: once its monitor is known (the state
// record names it and its start time matches), it gets SIGTERM and ends the
// start; the start then reports failure, and this stop finds the unit gone.
void cancel_pending_start(Prepared& p) {
  auto free = p.lock->try_lock_start();
  if (!free || *free) return;  // no start in progress: we hold the lock now
  RuntimeView view = inspect(p.load.unit, p.files, *p.lock);
  const MonitorState* s = view.state ? &*view.state : nullptr;
  // Only a start: the start lock may as well be another stop's, or a
  // start's that is about to answer "already running".
  if (view.liveness != Liveness::Running || !s || s->monitor_pid <= 1 || s->active_state() != ActiveState::Activating)
    return;
  auto pidfd = sys::pidfd_open(s->monitor_pid);
  if (!pidfd || !proc::is_same_process(s->monitor_pid, s->monitor_start_time)) return;  // not yet, or not it
  if (sys::pidfd_send_signal(pidfd->get(), SIGTERM).value_or(false))
    std::printf("cancelling the start of %s\n", p.load.unit.name.c_str());
}

int stop(const std::string& path) {
  Prepared p = prepare(path, false);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "stop"); refused >= 0) return refused;
  if (p.lock) {
    cancel_pending_start(p);
    auto locked = p.lock->lock_start_wait();
    if (!locked) return exit_code::kFailure;
  }
  return stop_locked(p, false);
}

int restart(const std::string& path) {
  Prepared p = prepare(path, true);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "restart"); refused >= 0) return refused;
  auto locked = p.lock->lock_start_wait();
  if (!locked) return exit_code::kFailure;
  int rc = stop_locked(p, true);
  if (rc != exit_code::kSuccess) return rc;
  return start_locked(p);
}

}  // namespace unitrun::cli
