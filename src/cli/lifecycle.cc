// `unitrun start`, `stop`, `restart`, `try-restart`, `reload`, `force-reload` and `run`: each for one unit,
// and for several through the job runner.
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "cli/dependency_jobs.h"
#include "cli/dependency_loader.h"
#include "cli/job_runner.h"
#include "cli/manual_refusal.h"
#include "cli/progress.h"
#include "cli/targets.h"
#include "cli/terminal.h"
#include "cli/unit_runtime.h"
#include "cli/unit_source.h"
#include "monitor/monitor.h"
#include "process/pin.h"
#include "process/proc.h"
#include "runtime/control_socket.h"
#include "runtime/daemonize.h"
#include "runtime/reply.h"
#include "runtime/runtime_files.h"
#include "runtime/safe_files.h"
#include "runtime/shutdown_lock.h"
#include "runtime/unit_snapshot.h"
#include "unit/command_reads.h"
#include "unit/unit_loader.h"
#include "unit/user_dirs.h"
#include "unit/values.h"

namespace unitrun::cli {
namespace {

int privilege_or_failure(const Error& e) {
  return e.sys_errno == EACCES || e.sys_errno == EPERM ? exit_code::kNoPrivilege : exit_code::kFailure;
}

// The unit, loaded and valid, with its runtime directory ready and its lock
// file open; or the exit code that ends the verb.
struct Prepared {
  LoadedUnit loaded;
  RuntimeFiles files;
  std::optional<UnitLock> lock;
  int failure = -1;

  const Unit& unit() const { return loaded.load.unit; }
};

// A verb on a running unit that creates nothing opens the unit's lock file
// first, when there is one: the load asks it whether a monitor lives (to
// read the snapshot then), and the verb takes its locks on it; one open for
// both. Empty when there is none, or it cannot be opened (prepare() then
// opens it as before, and says why it cannot).
std::optional<UnitLock> lock_to_load_with(const std::string& lock_path) {
  if (::access(lock_path.c_str(), F_OK) != 0) return std::nullopt;
  auto lock = UnitLock::open(lock_path);
  if (!lock) return std::nullopt;
  return std::move(*lock);
}

// `given`: the unit's lock file opened already (keyed by the file's name
// and identity), for a verb on a running unit; prepare() opens it otherwise.
Prepared prepare(const unit::UnitFile& file, bool create_runtime_dir, UnitSource source,
                 std::optional<UnitLock> given = std::nullopt) {
  Prepared p;
  const bool look_first = !create_runtime_dir && source == UnitSource::Running;
  const std::string keyed_lock = look_first ? runtime_files_for(file.name, file.identity).lock : std::string();
  std::optional<UnitLock> opened = !look_first ? std::nullopt
                                   : given     ? std::move(given)
                                               : lock_to_load_with(keyed_lock);
  p.loaded = load_unit(file, source, opened ? &*opened : nullptr);
  const unit::LoadResult& load = p.loaded.load;
  print_diagnostics(load);
  warn_if_changed(p.loaded);
  if (load.not_found) {
    p.failure = exit_code::kNotInstalled;
    return p;
  }
  if (load.masked) {
    p.failure = exit_code::kFailure;
    return p;
  }
  if (!load.readable || has_errors(load.diagnostics)) {
    p.failure = exit_code::kNotConfigured;
    return p;
  }
  p.files = runtime_files_for(p.unit());
  if (create_runtime_dir) {
    unit::UserDirs dirs = unit::user_dirs();
    // The fallback under /tmp is made private (0700, as logind makes
    // /run/user/UID): other users need not see which units run. EEXIST is
    // fine: what is there is checked after the mkdir (user_dirs() keeps
    // the command's choice of directory and checks it again), so one
    // planted in between is refused too.
    if (!dirs.root && dirs.runtime_dir == unit::fallback_runtime_dir(dirs.uid) && dirs.runtime_dir_problem.empty()) {
      (void)::mkdir(dirs.runtime_dir.c_str(), 0700);
      dirs = unit::user_dirs();
    }
    if (!dirs.runtime_dir_problem.empty()) {
      std::fprintf(stderr, "unitrun: %s\n", dirs.runtime_dir_problem.c_str());
      p.failure = exit_code::kNoPrivilege;
      return p;
    }
    auto dir = safe_files::ensure_private_directory(p.files.directory);
    if (!dir) {
      std::fprintf(stderr, "unitrun: %s\n", dir.error().message().c_str());
      if (::geteuid() != 0 && dir.error().sys_errno == EACCES && std::getenv("XDG_RUNTIME_DIR") == nullptr)
        std::fprintf(stderr, "unitrun: set XDG_RUNTIME_DIR to a directory of your own (mode 0700)\n");
      p.failure = privilege_or_failure(dir.error());
      return p;
    }
  } else if (opened && keyed_lock == p.files.lock) {
    p.lock.emplace(std::move(*opened));
    return p;
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

// A caller other than root cannot change its user, and needs not to: a
// User= (Group=, SupplementaryGroups=) that names the caller's own is no
// switch at all, and setgroups() would fail on it. Any other is refused at
// once, saying what would work, instead of failing in the service's setup.
// False (and `refusal` says why) when the caller may not run the unit.
bool runs_as_caller(const Unit& unit, std::string& refusal) {
  if (::geteuid() == 0 || (unit.user.empty() && unit.group.empty() && unit.supplementary_groups.empty())) return true;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  std::vector<gid_t> groups(static_cast<size_t>(std::max(::getgroups(0, nullptr), 0)) + 1);
  int n = ::getgroups(static_cast<int>(groups.size()), groups.data());
  groups.resize(n < 0 ? 0 : static_cast<size_t>(n));
  groups.push_back(gid);
  auto uid_of = [](const std::string& u) -> std::optional<uid_t> {
    if (const struct passwd* pw = ::getpwnam(u.c_str())) return pw->pw_uid;
    if (auto v = values::parse_unsigned(u, 4294967294u)) return static_cast<uid_t>(*v);
    return std::nullopt;
  };
  auto gid_of = [](const std::string& g) -> std::optional<gid_t> {
    if (const struct group* gr = ::getgrnam(g.c_str())) return gr->gr_gid;
    if (auto v = values::parse_unsigned(g, 4294967294u)) return static_cast<gid_t>(*v);
    return std::nullopt;
  };
  const struct passwd* me = ::getpwuid(uid);
  std::string who = "uid " + std::to_string(uid) + (me ? " (" + std::string(me->pw_name) + ")" : "");
  auto refuse = [&](const std::string& key) {
    refusal = key + ": only root can run a service as another user or group (unitrun runs as " + who +
              "); run unitrun as root, or remove " + key.substr(0, key.find('=') + 1) + " from the unit";
    return false;
  };
  if (!unit.user.empty() && uid_of(unit.user) != uid) return refuse("User=" + unit.user);
  if (!unit.group.empty() && gid_of(unit.group) != gid) return refuse("Group=" + unit.group);
  for (const std::string& g : unit.supplementary_groups) {
    auto id = gid_of(g);
    if (!id || std::find(groups.begin(), groups.end(), *id) == groups.end()) return refuse("SupplementaryGroups=" + g);
  }
  return true;
}

// The unit as the monitor runs it, once runs_as_caller() accepted it: for
// a caller other than root, without the User=, Group= and
// SupplementaryGroups= that can only name its own. The same object, for
// the monitor to move from: a Unit is large, and a temporary of ~3 kB in
// the forked monitor's frames is a stack page written for nothing.
Unit&& as_caller(Unit&& unit) {
  if (::geteuid() != 0) {
    unit.user.clear();
    unit.group.clear();
    unit.supplementary_groups.clear();
  }
  return std::move(unit);
}

// What `list` and the state-changed checks read: written before the monitor
// exists, so that whoever sees its lock held finds it.
void write_unit_snapshot(const unit::LoadResult& load, const RuntimeFiles& files) {
  UnitSnapshot snapshot;
  snapshot.sources = load.sources;
  snapshot.description = load.unit.description;
  if (auto written = write_snapshot(files.snapshot, snapshot); !written) {
    std::fprintf(stderr, "unitrun: %s: warning: %s\n", load.unit.name.c_str(), written.error().message().c_str());
    // An earlier start's would pass for this one's (restart's "same unit",
    // the verbs that read the running unit): none is better.
    (void)::unlink(files.snapshot.c_str());
  }
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
int claim_name(const Unit& unit, const RuntimeFiles& files, UnitLock& lock) {
  auto other = lock.claim_name(files.name_lock, unit.path);
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
// monitor's exit (its pidfd); no polling. Out of line: its locals would
// otherwise be part of start_locked()'s frame, below which the monitor runs
// (every stack page the monitor reaches stays dirty while it lives).
[[gnu::noinline]] RuntimeView wait_out_stop(const Unit& unit, const RuntimeFiles& files, UnitLock& lock,
                                            RuntimeView view) {
  if (!view.state) return view;
  const pid_t monitor_pid = view.state->monitor_pid;
  const uint64_t monitor_start_time = view.state->monitor_start_time;
  auto pidfd = sys::pidfd_open(monitor_pid);
  if (!pidfd || !proc::is_same_process(monitor_pid, monitor_start_time)) return inspect(unit, files, lock);
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch || ::inotify_add_watch(watch.get(), files.directory.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
    return view;  // cannot wait: answer as before ("already running")
  std::printf("%s is stopping; waiting for the stop before starting it\n", unit.name.c_str());
  std::fflush(stdout);
  WaitProgress progress(unit, files.state);
  while (deactivating(view)) {
    struct pollfd fds[2] = {{watch.get(), POLLIN, 0}, {pidfd->get(), POLLIN, 0}};
    int n = ::poll(fds, 2, progress.tick_ms());
    if (n < 0 && errno != EINTR) break;
    if (n == 0) {
      progress.update();
      continue;
    }
    sys::drain(watch.get());
    if (fds[1].revents & POLLIN) (void)sys::wait_readable(pidfd->get(), -1);  // exited: its lock is free now
    view = inspect(unit, files, lock);
  }
  return view;
}

// A start by OnFailure=/OnSuccess= (the monitor that triggers it sets
// UNITRUN_TRIGGERED_BY, monitor/trigger_units.h) counts against the starts
// the unit's last record lists, this boot: a chain of triggers meets the
// start limit. A start someone asks for begins anew, as a `restart` does.
monitor::Options trigger_options(const RuntimeView& view) {
  monitor::Options options;
  const char* by = std::getenv(monitor::kTriggeredByVariable);
  if (!by || !*by) return options;
  options.triggered_by = by;
  if (view.state && view.state->boot_id == sys::boot_id()) {
    options.earlier_starts = view.state->start_limit_starts;
    options.was_failed = view.state->sub_state == SubState::Failed;
  }
  return options;
}

}  // namespace

// A start by OnFailure=/OnSuccess= begins once the monitor that triggered
// it has exited: until then that unit's locks are held and its record may
// change (monitor.h, kTriggerMonitorVariable). The variable is dropped, so
// that the monitors this start forks do not carry it.
void wait_for_triggering_monitor() {
  const char* id = std::getenv(monitor::kTriggerMonitorVariable);
  if (!id) return;
  if (auto monitor = daemon::parse_identity_text(id)) wait_for_exit(monitor->pid, monitor->start_time, -1);
  ::unsetenv(monitor::kTriggerMonitorVariable);
}

namespace {

// `load` is the unit as read from disk (its sources become the snapshot);
// the forked monitor moves its unit out of it (its own copy of memory: the
// caller's stays whole).
int start_locked(unit::LoadResult& load, const RuntimeFiles& files, UnitLock& lock) {
  const Unit& unit = load.unit;
  // A finished run's record is needed only by a triggered start, which
  // counts its starts (trigger_options()); else it names no orphans, and
  // is left unparsed.
  const char* by = std::getenv(monitor::kTriggeredByVariable);
  RuntimeView view = inspect(unit, files, lock, true, by && *by);
  if (deactivating(view)) view = wait_out_stop(unit, files, lock, std::move(view));
  if (view.liveness == Liveness::Running) {
    pid_t pid = view.state ? view.state->main_pid : 0;
    std::printf("%s already running (pid %d)\n", unit.name.c_str(), static_cast<int>(pid));
    return exit_code::kSuccess;
  }
  std::string refusal;
  if (!runs_as_caller(unit, refusal)) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), refusal.c_str());
    return exit_code::kNoPrivilege;
  }
  if (view.liveness == Liveness::Orphaned) {
    std::fprintf(stderr, "unitrun: %s: ending %zu process(es) left by a monitor that died\n", unit.name.c_str(),
                 view.orphans.size());
    end_orphans(unit, view.orphans, view.state ? &*view.state : nullptr);
  }
  // Another unit file of the same name first: its pidfile is the same file.
  if (int refused = claim_name(unit, files, lock); refused >= 0) return refused;
  if (view.liveness == Liveness::Outside) {
    // The service runs already, started by other means (its own init
    // script during an upgrade): a second copy would fight it for its
    // ports, and removing its pidfile would orphan it.
    std::fprintf(stderr,
                 "unitrun: %s: PIDFile= %s names pid %d (%s), which runs the unit's program outside unitrun; stop "
                 "it first (or remove the pidfile if it is not the service)\n",
                 unit.name.c_str(), files.pidfile.c_str(), static_cast<int>(view.outsider->pid),
                 view.outsider->comm.c_str());
    return exit_code::kFailure;
  }
  // No monitor runs, and we hold the start lock: nobody reads the snapshot
  // as the running unit's until the alive lock below is taken.
  write_unit_snapshot(load, files);
  record_requirements(unit, files);  // for a stop of what it requires (cli/dependency_loader.h)
  auto alive = lock.try_lock_alive();
  if (!alive || !*alive) {
    std::fprintf(stderr, "unitrun: %s: lock is held by another monitor\n", unit.name.c_str());
    return exit_code::kFailure;
  }
  // Once forked, the locks are the monitor's: the caller closes its handle,
  // so that "the lock is held" means "the monitor lives", never "a start
  // that already knows its outcome has not exited yet".
  WaitProgress progress(unit, files.state);
  // The monitor's start time from the clock around its fork, not /proc
  // (proc::start_time_between()).
  const uint64_t before_fork = proc::boot_clock_ns();
  // Before the fork, as the rest of the monitor's memory: the child's own
  // getenv() would fault in libc's text and the name's page again.
  monitor::Options options = trigger_options(view);
  daemon::StartOutcome outcome = daemon::daemonize(
      {lock.fd(), lock.name_fd()},
      [] {
        unit::CommandReads::leave();     // the monitor outlives the command
        ShutdownLock::forget_in_fork();  // a triggered start's: the monitor holds no part of it
      },
      [&](int ready_fd) {
        options.ready_fd = ready_fd;
        options.start_time = proc::start_time_between(before_fork, proc::boot_clock_ns());
        return monitor::run(as_caller(std::move(load.unit)), files, std::move(lock), std::move(options));
      },
      [&] { lock.close(); }, {progress.tick_ms(), [&] { progress.update(); }});
  progress.clear();
  if (outcome.code != 0) {
    // The monitor reports a failure as its last act; when start returns,
    // it must be gone too (reaped: it is this process's child).
    daemon::reap_monitor(outcome);
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), outcome.message.c_str());
    return outcome.code;
  }
  if (outcome.detail == "exited") {
    // RemainAfterExit=yes: the monitor stays, keeping the unit active.
    std::printf("started %s (its commands ran to completion; active by RemainAfterExit=yes)\n", unit.name.c_str());
  } else if (outcome.pid == 0) {
    // A oneshot has run to completion, or a condition said not to start; the
    // monitor reports as its last act: when `start` returns, it is gone too,
    // and status says so. It is this process's child: reaped, not left a
    // zombie until this process exits.
    daemon::reap_monitor(outcome);
    if (outcome.detail == "skipped") {
      RuntimeView after = inspect(unit, files, lock);
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

// What finish_stop() needs of the unit only in the rare cases (a progress
// line on a terminal, a monitor that died without finishing its stop):
// loaded when first asked for.
using UnitWhenNeeded = std::function<const Unit&()>;

// `runtime_dir`: the directory of `files` opened already, or -1.
int finish_stop(const std::string& name, const RuntimeFiles& files, UnitLock& lock, const UniqueFd* monitor, bool quiet,
                const UnitWhenNeeded& unit, int runtime_dir = -1);

// `lock` is null when the unit has no lock file (never started by this user).
int stop_locked(const Unit& unit, const RuntimeFiles& files, UnitLock* lock_or_null, bool quiet) {
  if (!lock_or_null) {
    if (!quiet) std::printf("%s is not running\n", unit.name.c_str());
    return exit_code::kSuccess;
  }
  UnitLock& lock = *lock_or_null;
  RuntimeView view = inspect(unit, files, lock, false);
  // No monitor holds the alive lock, and we hold the start lock, so none can
  // appear: a control socket there was left by a monitor that was killed.
  if (view.liveness != Liveness::Running) runtime::remove_control(files.control);
  switch (view.liveness) {
    case Liveness::NotRunning:
      if (quiet) return exit_code::kSuccess;
      if (view.pidfile_holder)
        std::printf("%s is not running (PIDFile= %s is that of another unit of this name, %s, which runs)\n",
                    unit.name.c_str(), files.pidfile.c_str(), view.pidfile_holder->c_str());
      else
        std::printf("%s is not running\n", unit.name.c_str());
      return exit_code::kSuccess;
    case Liveness::DeadPidfile:
      if (!quiet)
        std::printf("%s is not running (stale pidfile %s left alone)\n", unit.name.c_str(), files.pidfile.c_str());
      return exit_code::kSuccess;
    case Liveness::Outside:
      // Not ours to stop: nothing proves unitrun started it.
      std::fprintf(stderr,
                   "unitrun: %s: not running under unitrun; PIDFile= %s names pid %d (%s), which runs outside "
                   "unitrun: left alone\n",
                   unit.name.c_str(), files.pidfile.c_str(), static_cast<int>(view.outsider->pid),
                   view.outsider->comm.c_str());
      return exit_code::kSuccess;
    case Liveness::Orphaned:
      end_orphans(unit, view.orphans, view.state ? &*view.state : nullptr);
      (void)safe_files::remove(files.pidfile);
      if (view.state) record_orphans_stopped(files, *view.state);
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
  if (!pidfd && pidfd.error().sys_errno != ESRCH) {
    // ENOSYS or EPERM: a kernel before 5.3, or a seccomp profile that
    // predates the call (some container runtimes'). A PID is signalled only
    // through a pidfd (a plain kill() could reach a reused PID), and the
    // wait below would then last as long as the monitor: said, not hung on.
    std::fprintf(
        stderr,
        "unitrun: %s: cannot open a pidfd for monitor %d: %s; not signalling it (stop needs pidfd_open, Linux 5.3)\n",
        unit.name.c_str(), static_cast<int>(s->monitor_pid), pidfd.error().message().c_str());
    return exit_code::kFailure;  // the call is unavailable, not a privilege missing: root gets EPERM from a filter too
  }
  bool is_monitor = pidfd && proc::is_same_process(s->monitor_pid, s->monitor_start_time);
  if (is_monitor) {
    auto sent = sys::pidfd_send_signal(pidfd->get(), SIGTERM);
    if (!sent) {
      std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), sent.error().message().c_str());
      return privilege_or_failure(sent.error());
    }
  }
  return finish_stop(unit.name, files, lock, is_monitor ? &*pidfd : nullptr, quiet,
                     [&]() -> const Unit& { return unit; });
}

// The second half of a stop: the monitor (`monitor`, its pidfd; null when
// none was signalled) has been asked to stop. Waits for it, and ends what
// a monitor that died without finishing left behind.
int finish_stop(const std::string& name, const RuntimeFiles& files, UnitLock& lock, const UniqueFd* monitor, bool quiet,
                const UnitWhenNeeded& unit, int runtime_dir) {
  // The monitor exits after every process of the unit is gone, and its
  // alive lock goes with its fds: the wait is one on its exit (with a
  // progress line updated between timeouts on a terminal), so that when
  // stop returns no process of the unit is left, the monitor included.
  // One wake-up: waiting for the lock first woke this process once more,
  // a moment before the monitor's exit.
  if (monitor && !terminal::progress()) {
    (void)sys::wait_readable(monitor->get(), -1);
  } else if (monitor) {
    WaitProgress progress(unit(), files.state);
    while (sys::wait_readable(monitor->get(), progress.tick_ms()).value_or(true) == false) progress.update();
  }
  // Free by now when the monitor was the holder; else waited for.
  auto waited = lock.lock_alive_wait();
  if (!waited) {
    std::fprintf(stderr, "unitrun: %s: %s\n", name.c_str(), waited.error().message().c_str());
    return exit_code::kFailure;
  }
  // A monitor that died without finishing its stop (SIGKILLed just before
  // or during it) left the service behind: its record says so, and the
  // survivors are ended here, as for any orphan. We hold the alive lock:
  // the record is final, and only the record decides (inspect()'s pidfile
  // and name lock tell apart kinds of "not running", which end the same
  // way here).
  // Only a record that is not final (orphans) or says Result=timeout (its
  // events, below) is read in full; a clean stop's needs no more than its
  // state.
  const std::string state_name = base_name(files.state);
  std::optional<MonitorState> after =
      runtime_dir >= 0 ? read_state_summary_in(runtime_dir, state_name, files.state) : read_state_summary(files.state);
  if (after && (!after->finished() || after->result == ServiceResult::Timeout))
    after = runtime_dir >= 0 ? read_state_in(runtime_dir, state_name, files.state) : read_state(files.state);
  std::vector<proc::Stat> orphans = after ? find_orphans(name, *after) : std::vector<proc::Stat>{};
  if (!orphans.empty()) {
    end_orphans(unit(), orphans, &*after);
    (void)safe_files::remove(runtime_files_for(unit()).pidfile);
    record_orphans_stopped(files, *after);
  }
  // A monitor removes its control socket at the end of Monitor::run, after
  // its final record; one that died before that record may have left it.
  // One that died or threw after it leaves it too: the next monitor's bind
  // (listen_control() unlinks first) or the next stop (stop_locked(), not
  // running) removes it, and nothing connects without a live monitor proven
  // first. So the look here is for the others only: one unlink fewer on
  // every clean stop's tail.
  if (!after || !after->finished()) runtime::remove_control(files.control);
  (void)lock.unlock_alive();
  // A stop that needed FinalKillSignal= is still a stop (exit 0), but not a
  // clean one: say so, as the record does (Result=timeout).
  if (after && after->result == ServiceResult::Timeout)
    for (const Event& e : after->events)
      if (e.text.rfind("did not stop within", 0) == 0)
        std::fprintf(stderr, "unitrun: %s: %s\n", name.c_str(), e.text.c_str());
  if (!quiet) std::printf("stopped %s\n", name.c_str());
  return exit_code::kSuccess;
}

// Asks the running monitor to reload; exit 7 when there is none.
int reload_running(Prepared& p) {
  const Unit& unit = p.unit();
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

// Asks the running monitor to restart its service and waits for the
// outcome. The monitor carries the restart out as one job (stop, then
// start), so a caller that the stop ends (it runs inside the service's own
// tree: over ssh into an sshd unit) cannot leave the service down. -1 when
// the monitor did not take the request (it is stopping for good, or gone):
// the caller then stops and starts the unit itself.
int restart_through_monitor(Prepared& p, const MonitorState& s) {
  const Unit& unit = p.unit();
  if (!proc::is_same_process(s.monitor_pid, s.monitor_start_time)) return -1;
  auto conn = runtime::connect_control(p.files.control, s.monitor_pid);
  if (!conn) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), conn.error().message().c_str());
    return privilege_or_failure(conn.error());
  }
  auto sent = sys::write_all(conn->get(), "restart");
  if (!sent) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), sent.error().message().c_str());
    return exit_code::kFailure;
  }
  auto reply = sys::read_all(conn->get(), 4096);
  if (!reply || reply->empty()) {
    // It exited without answering: whatever it was doing, it is over.
    if (!proc::is_same_process(s.monitor_pid, s.monitor_start_time)) return -1;
    std::fprintf(stderr, "unitrun: %s: the monitor did not answer\n", unit.name.c_str());
    return exit_code::kFailure;
  }
  Reply answer = parse_reply(*reply);
  if (!answer.ok && answer.code == exit_code::kNotRunning) return -1;
  if (!answer.ok) {
    std::fprintf(stderr, "unitrun: %s: restart failed: %s\n", unit.name.c_str(), answer.detail.c_str());
    return answer.code;
  }
  if (answer.detail == "exited")
    std::printf("started %s (its commands ran to completion; active by RemainAfterExit=yes)\n", unit.name.c_str());
  else if (answer.detail == "0")
    std::printf("finished %s\n", unit.name.c_str());
  else
    std::printf("started %s (pid %s)\n", unit.name.c_str(), answer.detail.c_str());
  return exit_code::kSuccess;
}

// Whether this process runs inside the tree of the monitor `s` names.
bool inside_tree_of(const MonitorState& s) {
  return process::descends_from(::getppid(), s.monitor_pid) &&
         proc::is_same_process(s.monitor_pid, s.monitor_start_time);
}

bool is_running(Prepared& p) { return p.lock && inspect(p.unit(), p.files, *p.lock).liveness == Liveness::Running; }

// A caller other than root may not act on root's instance of the unit: LSB
// 4, "insufficient privilege", rather than "not running". -1 when the
// caller's own instance runs, or root's does not.
int refuse_root_instance(Prepared& p, const char* what) {
  if (::geteuid() == 0 || is_running(p)) return -1;
  auto root = run_by_root(p.unit());
  if (!root) return -1;
  std::fprintf(stderr, "unitrun: %s is run by root (monitor pid %d); only root may %s it\n", p.unit().name.c_str(),
               static_cast<int>(root->monitor_pid), what);
  return exit_code::kNoPrivilege;
}

// A masked unit cannot start; one that does not run needs no stop.
int masked(const Prepared& p, bool stopping) {
  if (stopping) {
    std::printf("%s is not running\n", p.unit().name.c_str());
    return exit_code::kSuccess;
  }
  return exit_code::kFailure;
}

// Restart's second half: the unit as it is on disk now, read before
// anything is stopped, so that a unit file edited into something invalid
// fails the restart with the service still running. Empty (and the exit
// code set) when it cannot start.
std::optional<unit::LoadResult> next_unit(const Prepared& p, const unit::UnitFile& file, int& code) {
  if (!p.loaded.from_snapshot) return p.loaded.load;
  unit::LoadResult next = unit::load(file, unit::ValidateMode::Start);
  print_diagnostics(next);
  code = next.not_found                                   ? exit_code::kNotInstalled
         : next.masked                                    ? exit_code::kFailure
         : !next.readable || has_errors(next.diagnostics) ? exit_code::kNotConfigured
                                                          : -1;
  if (code >= 0) {
    std::fprintf(stderr, "unitrun: %s: not restarted: the unit on disk cannot start; it keeps running\n",
                 p.unit().name.c_str());
    return std::nullopt;
  }
  return next;
}

// Stops the running unit (as it was started), then starts the unit on disk.
// Through the running monitor when it runs this unit file as it is now: it
// carries the restart out as one job, so a caller inside the service's tree
// survives; from inside that tree always through it, with a warning when
// the file changed.
int restart_locked(Prepared& p, const unit::UnitFile& file) {
  int code = -1;
  std::optional<unit::LoadResult> next = next_unit(p, file, code);
  if (!next) return code;
  RuntimeView view = inspect(p.unit(), p.files, *p.lock);
  if (view.liveness == Liveness::Running && view.state && !deactivating(view)) {
    const MonitorState& s = *view.state;
    // Read now, under the start lock: p's may be a monitor's that a
    // concurrent restart replaced since.
    bool same_unit = runs_unit(read_snapshot(p.files.snapshot), s, *next);
    bool inside = !same_unit && inside_tree_of(s);
    if (same_unit || inside) {
      if (inside)
        std::fprintf(stderr,
                     "unitrun: %s: the unit file changed since the unit started; restarting it as it was started, "
                     "since a stop would end this command too (stop and start it from outside the service to "
                     "apply the change)\n",
                     p.unit().name.c_str());
      int rc = restart_through_monitor(p, s);
      if (rc >= 0) return rc;
    }
  }
  int rc = stop_locked(p.unit(), p.files, &*p.lock, true);
  if (rc != exit_code::kSuccess) return rc;
  return start_locked(*next, runtime_files_for(next->unit), *p.lock);
}

// systemd runs us as the main process (ExecStart=unitrun start ...): then
// `start` must behave like `run` (stay in the foreground, speak sd_notify).
// SYSTEMD_EXEC_PID is inherited by children, hence the PID comparison.
bool started_by_systemd() {
  const char* exec_pid = std::getenv("SYSTEMD_EXEC_PID");
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return exec_pid && socket && std::to_string(::getpid()) == exec_pid;
}

// A start in progress holds the start lock until its outcome is known,
// which may be TimeoutStartSec= away. A stop does not wait for that, as
// systemctl stop cancels a start job: once its monitor is known (the state
// record names it and its start time matches), it gets SIGTERM and ends the
// start; the start then reports failure, and this stop finds the unit gone.
// True when the start lock was free: then it is ours already.
bool cancel_pending_start(Prepared& p) {
  auto free = p.lock->try_lock_start();
  if (!free) return false;
  if (*free) return true;  // no start in progress: we hold the lock now
  RuntimeView view = inspect(p.unit(), p.files, *p.lock);
  const MonitorState* s = view.state ? &*view.state : nullptr;
  // Only a start: the start lock may as well be another stop's, or a
  // start's that is about to answer "already running".
  if (view.liveness != Liveness::Running || !s || s->monitor_pid <= 1 || s->active_state() != ActiveState::Activating)
    return false;
  auto pidfd = sys::pidfd_open(s->monitor_pid);
  if (!pidfd || !proc::is_same_process(s->monitor_pid, s->monitor_start_time)) return false;  // not yet, or not it
  if (sys::pidfd_send_signal(pidfd->get(), SIGTERM).value_or(false))
    std::printf("cancelling the start of %s\n", p.unit().name.c_str());
  return false;
}

// The verbs for one unit.

int start_one(const unit::UnitFile& file) {
  Prepared p = prepare(file, true, UnitSource::Disk);
  if (p.failure >= 0) return p.failure;
  // Serialise with other starts and stops of this unit; the monitor lets go
  // of this byte once it has reported.
  auto locked = p.lock->lock_start_wait();
  if (!locked) {
    std::fprintf(stderr, "unitrun: lock: %s\n", locked.error().message().c_str());
    return exit_code::kFailure;
  }
  return start_locked(p.loaded.load, p.files, *p.lock);
}

// A stop of a unit whose monitor runs, as the monitor was started: its lock
// held by the monitor, the start lock free (now ours: no start or stop of
// it is under way), its snapshot that of this unit file, and its record
// naming a live monitor (the start time proves the PID). Only what the
// signal needs is read before it, and the unit is not parsed at all unless
// finish_early_stop() needs it (a progress line on a terminal, a monitor
// that died without finishing). Empty when the lock, the snapshot's header
// or the start lock do not hold; without a monitor signalled (a record
// naming none, another's PID) the stop goes the whole way as before, with
// the start lock taken here.
struct EarlyStop {
  UnitLock lock;
  UniqueFd monitor;
  UniqueFd runtime_dir;  // the directory of the snapshot and the record, for the final record
  std::string snapshot_text;
  // Parsed whole only when needed: when the header's stamps cannot say the
  // files are unchanged (then before the signal, to compare the texts), or
  // when finish_early_stop() needs the unit.
  std::optional<UnitSnapshot> snapshot;
  std::string disk_change;  // the files on disk against the snapshot, said once the signal is sent
};

std::optional<EarlyStop> signal_running_monitor(const unit::UnitFile& file) {
  if (file.identity.empty()) return std::nullopt;
  const RuntimeFiles keyed = runtime_files_for(file.name, file.identity);
  std::optional<UnitLock> lock = lock_to_load_with(keyed.lock);
  if (!lock || !lock->alive_held_elsewhere().value_or(false)) return std::nullopt;
  if (!lock->try_lock_start().value_or(false)) return std::nullopt;  // a start or a stop is under way
  // The snapshot and the record, in the directory opened once (both are
  // the unit's stem with a suffix: runtime_files.cc). The snapshot is read
  // whole, once, under the start lock (no start rewrites it now): its
  // header decides here; its texts are compared with the files on disk
  // just before the signal, and the warning said after it
  // (finish_early_stop()). Not this unit's: the start lock goes with
  // `lock`, and the stop goes the whole way.
  auto dir = safe_files::open_parent_directory(keyed.state, false);
  if (!dir) return std::nullopt;
  std::optional<std::string> text = read_snapshot_text_in(dir->get(), base_name(keyed.snapshot), keyed.snapshot);
  std::optional<UnitSnapshot> header = text ? parse_snapshot_header(*text) : std::nullopt;
  if (!header || header->sources.identity != file.identity || header->sources.name != file.name) return std::nullopt;
  // Taken: whatever follows, prepare() gets this lock, and with it the start lock.
  EarlyStop early{std::move(*lock), UniqueFd(), std::move(*dir), std::move(*text), std::nullopt, std::string()};
  std::optional<MonitorState> s = read_state_summary_in(early.runtime_dir.get(), base_name(keyed.state), keyed.state);
  if (s && s->monitor_pid > 1 && early.lock.alive_held_elsewhere().value_or(false)) {
    // Whether the files changed on disk is asked before the signal, not
    // between it and the wait: after the signal this process only sleeps,
    // so that the monitor, which the wake-up often puts on this CPU, runs
    // at once, and the service it signals finds the other CPU free for its
    // exit (ab.py, both orders, 1,500 rounds: 1-39 us less a stop than
    // after it; docs/benchmarks.md). One stat per file answers it when the
    // header's stamps match; only otherwise are the texts parsed and
    // compared (~30 us of the parse, on the stop's critical path).
    if (std::optional<std::string> change = disk_change_by_stamps(file, header->stamps)) {
      early.disk_change = std::move(*change);
    } else {
      early.snapshot = parse_snapshot(early.snapshot_text);
      if (early.snapshot) early.disk_change = disk_change(file, early.snapshot->sources);
    }
    auto pidfd = sys::pidfd_open(s->monitor_pid);
    if (pidfd && proc::is_same_process(s->monitor_pid, s->monitor_start_time) &&
        sys::pidfd_send_signal(pidfd->get(), SIGTERM).value_or(false))
      early.monitor = std::move(*pidfd);
  }
  return early;
}

// The rest of a stop begun by signal_running_monitor(): as stop_locked()'s,
// with the unit parsed from the snapshot only if the rest needs it. The
// "changed on disk" warning is the one thing said before the wait: the
// snapshot's texts against the files (compared before the signal), no
// parse of the unit.
int finish_early_stop(const unit::UnitFile& file, EarlyStop& early) {
  const RuntimeFiles files = runtime_files_for(file.name, file.identity);
  std::optional<UnitSnapshot>& snapshot = early.snapshot;
  // A change to say was found by comparing the texts: the snapshot is parsed.
  if (snapshot)
    warn_if_changed(file.name, snapshot->sources.files.empty() ? file.spelling : snapshot->sources.files[0].path,
                    early.disk_change);
  std::optional<unit::LoadResult> load;
  auto unit = [&]() -> const Unit& {
    if (!load && !snapshot) snapshot = parse_snapshot(early.snapshot_text);
    if (!load && snapshot) {
      load = unit::load_sources(snapshot->sources, file, unit::ValidateMode::Start);
      if (has_errors(load->diagnostics)) load.reset();
    }
    // The snapshot no longer loads (a unitrun of other rules reads it): the
    // file on disk, whatever it says now.
    if (!load) load = unit::load(file, unit::ValidateMode::Start);
    if (load->unit.name.empty()) load->unit.name = file.name;  // none on disk either: the name still says which
    return load->unit;
  };
  return finish_stop(file.name, files, early.lock, &early.monitor, false, unit, early.runtime_dir.get());
}

int stop_one(const unit::UnitFile& file) {
  std::optional<EarlyStop> early = signal_running_monitor(file);
  if (early && early->monitor) return finish_early_stop(file, *early);
  Prepared p =
      prepare(file, false, UnitSource::Running, early ? std::optional<UnitLock>(std::move(early->lock)) : std::nullopt);
  if (p.loaded.load.masked) return masked(p, true);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "stop"); refused >= 0) return refused;
  // The start lock is ours already when the early look took it on this lock.
  const bool start_locked_early = early && p.files.lock == runtime_files_for(file.name, file.identity).lock;
  if (p.lock && !start_locked_early && !cancel_pending_start(p)) {
    auto locked = p.lock->lock_start_wait();
    if (!locked) return exit_code::kFailure;
  }
  return stop_locked(p.unit(), p.files, p.lock ? &*p.lock : nullptr, false);
}

int restart_one(const unit::UnitFile& file) {
  Prepared p = prepare(file, true, UnitSource::Running);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "restart"); refused >= 0) return refused;
  auto locked = p.lock->lock_start_wait();
  if (!locked) return exit_code::kFailure;
  return restart_locked(p, file);
}

int try_restart_one(const unit::UnitFile& file) {
  Prepared p = prepare(file, false, UnitSource::Running);
  if (p.loaded.load.masked) return masked(p, true);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "restart"); refused >= 0) return refused;
  if (!p.lock) {
    std::printf("%s is not running\n", p.unit().name.c_str());
    return exit_code::kSuccess;
  }
  auto locked = p.lock->lock_start_wait();
  if (!locked) return exit_code::kFailure;
  if (!is_running(p)) {
    std::printf("%s is not running\n", p.unit().name.c_str());
    return exit_code::kSuccess;
  }
  return restart_locked(p, file);
}

int reload_one(const unit::UnitFile& file) {
  Prepared p = prepare(file, false, UnitSource::Running);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "reload"); refused >= 0) return refused;
  return reload_running(p);
}

int force_reload_one(const unit::UnitFile& file) {
  // systemctl's reload-or-try-restart: reload a running unit, or restart it
  // when it cannot reload (LSB's force-reload); a stopped one stays stopped,
  // and that is success.
  Prepared p = prepare(file, false, UnitSource::Running);
  if (p.loaded.load.masked) return masked(p, true);
  if (p.failure >= 0) return p.failure;
  if (int refused = refuse_root_instance(p, "reload"); refused >= 0) return refused;
  if (!is_running(p)) {
    std::printf("%s is not running\n", p.unit().name.c_str());
    return exit_code::kSuccess;
  }
  if (p.unit().exec_reload.empty()) {
    p = Prepared{};  // its lock goes: try-restart takes its own
    return try_restart_one(file);
  }
  return reload_running(p);
}

// One job per unit; a word that named no unit is a job that says so. Units
// with dependencies (or targets) go through the manager instead.
int for_each_unit(const std::vector<std::string>& words, GlobScope scope, int (*verb)(const unit::UnitFile&),
                  Verb manager_verb) {
  // The configuration read once for the command (unit/command_reads.h):
  // the units' files and links are looked at by the dependency check, the
  // manual-start check, the load and the record of requirements.
  unit::CommandReads reads;
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<Target> targets = resolve_targets(words, path, scope, notes);
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
  refuse_manual_jobs(manager_verb, targets);
  if (auto code = run_with_dependencies(manager_verb, targets, path)) return *code;
  std::vector<UnitJob> jobs;
  for (const Target& t : targets) {
    if (!t.error.empty()) {
      jobs.push_back({t.word, [t] {
                        std::fprintf(stderr, "%s\n", t.error.c_str());
                        return t.code;
                      }});
      continue;
    }
    jobs.push_back({t.file.name, [verb, file = t.file] { return verb(file); }});
  }
  if (jobs.empty()) return exit_code::kSuccess;
  return worst_exit_code(run_jobs(jobs));
}

}  // namespace

int start_unit(const unit::UnitFile& file) { return start_one(file); }
int stop_unit(const unit::UnitFile& file) { return stop_one(file); }
int reload_unit(const unit::UnitFile& file) { return reload_one(file); }

int run(const std::string& spelling) {
  auto file = unit::find_unit(spelling, unit::unit_path_for_current_user());
  if (!file) {
    std::fprintf(stderr, "unitrun: %s\n", file.error().message().c_str());
    return exit_code::kBadArguments;
  }
  Prepared p = prepare(*file, true, UnitSource::Disk);
  if (p.failure >= 0) return p.failure;
  const Unit& unit = p.unit();
  auto locked = p.lock->lock_start_wait();
  if (!locked) return exit_code::kFailure;
  RuntimeView view = inspect(unit, p.files, *p.lock);
  if (view.liveness == Liveness::Running) {
    std::fprintf(stderr, "unitrun: %s is already running (pid %d) under another monitor\n", unit.name.c_str(),
                 view.state ? view.state->main_pid : 0);
    return exit_code::kFailure;
  }
  std::string refusal;
  if (!runs_as_caller(unit, refusal)) {
    std::fprintf(stderr, "unitrun: %s: %s\n", unit.name.c_str(), refusal.c_str());
    return exit_code::kNoPrivilege;
  }
  if (view.liveness == Liveness::Orphaned) end_orphans(unit, view.orphans, view.state ? &*view.state : nullptr);
  if (view.liveness == Liveness::Outside) {
    std::fprintf(stderr, "unitrun: %s: PIDFile= %s names pid %d (%s), which runs the unit's program outside unitrun\n",
                 unit.name.c_str(), p.files.pidfile.c_str(), static_cast<int>(view.outsider->pid),
                 view.outsider->comm.c_str());
    return exit_code::kFailure;
  }
  if (int refused = claim_name(unit, p.files, *p.lock); refused >= 0) return refused;
  write_unit_snapshot(p.loaded.load, p.files);
  auto alive = p.lock->try_lock_alive();
  if (!alive || !*alive) return exit_code::kFailure;
  monitor::Options options;
  options.foreground = true;
  return monitor::run(as_caller(std::move(p.loaded.load.unit)), p.files, std::move(*p.lock), options);
}

int start(const std::vector<std::string>& units) {
  wait_for_triggering_monitor();
  // Triggered just before `unitrun shutdown` began: it would start a unit
  // after the shutdown listed what runs (systemd's conflicts with
  // shutdown.target). Held until the start returns, so that a shutdown
  // that begins after the check lists what it started
  // (runtime/shutdown_lock.h).
  std::optional<ShutdownLock> shutdown_lock;
  if (const char* by = std::getenv(monitor::kTriggeredByVariable); by && *by) {
    auto lock = ShutdownLock::shared(runtime_directory());
    if (!lock)
      std::fprintf(stderr, "unitrun: %s: warning: %s\n", by, lock.error().message().c_str());
    else if (*lock)
      shutdown_lock.emplace(std::move(**lock));
    if ((lock && !*lock) || shutdown_in_progress(runtime_directory())) {
      std::fprintf(stderr, "unitrun: %s: not started: unitrun shutdown is stopping every unit\n", by);
      return exit_code::kFailure;
    }
  }
  if (started_by_systemd()) {
    if (units.size() != 1) {
      std::fprintf(stderr, "unitrun: under systemd, start runs one unit in the foreground (it is the service)\n");
      return exit_code::kBadArguments;
    }
    return run(units[0]);
  }
  return for_each_unit(units, GlobScope::Startable, start_one, Verb::Start);
}

int stop(const std::vector<std::string>& units) {
  return for_each_unit(units, GlobScope::Running, stop_one, Verb::Stop);
}
int restart(const std::vector<std::string>& units) {
  return for_each_unit(units, GlobScope::Running, restart_one, Verb::Restart);
}
int try_restart(const std::vector<std::string>& units) {
  return for_each_unit(units, GlobScope::Running, try_restart_one, Verb::TryRestart);
}
int reload(const std::vector<std::string>& units) {
  return for_each_unit(units, GlobScope::Running, reload_one, Verb::Reload);
}
int force_reload(const std::vector<std::string>& units) {
  return for_each_unit(units, GlobScope::Running, force_reload_one, Verb::ForceReload);
}

}  // namespace unitrun::cli
