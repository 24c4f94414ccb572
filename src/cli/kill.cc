// systemctl kill (and `unitrun kill`): a signal to a running unit's main
// process or to all of its processes. Only what the unit's live monitor
// proves is the unit's is signalled: the monitor is checked against its
// record (PID and start time), each target is pinned by a pidfd as a live
// descendant of it (process/pin.h), and the main process must also carry
// the start time the monitor recorded for it.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <vector>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "base/unique_fd.h"
#include "cli/commands.h"
#include "cli/targets.h"
#include "cli/unit_runtime.h"
#include "cli/unit_source.h"
#include "process/pin.h"
#include "runtime/unit_lock.h"
#include "unit/values.h"

namespace unitrun::cli {
namespace {

// Sends `sig` through the pin; true when it reached the process.
bool send(const process::PinnedProcess& p, int sig) {
  auto sent = sys::pidfd_send_signal(p.pidfd.get(), sig);
  return sent.ok() && *sent;
}

int kill_one(const unit::UnitFile& file, int sig, bool main_only) {
  LoadedUnit loaded = load_unit(file, UnitSource::Running);
  const unit::LoadResult& r = loaded.load;
  if (!r.readable || has_errors(r.diagnostics)) {
    print_diagnostics(r);
    return exit_code::kNotConfigured;
  }
  const Unit& u = r.unit;
  RuntimeFiles files = runtime_files_for(u);
  RuntimeView view;  // of a unit that never ran when it has no lock file (UnitLock::open would make one)
  struct stat st;
  if (::lstat(files.lock.c_str(), &st) == 0 || errno != ENOENT)
    if (auto lock = UnitLock::open(files.lock)) view = inspect(u, files, *lock);
  if (view.liveness == Liveness::Orphaned) {
    std::fprintf(stderr, "Failed to kill unit %s: its monitor is gone (unitrun stop %s ends what it left).\n",
                 u.name.c_str(), u.name.c_str());
    return exit_code::kFailure;
  }
  const MonitorState* s = view.state ? &*view.state : nullptr;
  // The monitor is pinned before it is recognised, so that the descendants
  // found under its PID below are its own: a monitor that exits meanwhile
  // (its PID free for another) shows as a readable pidfd, checked after
  // the targets are pinned and before any signal.
  std::optional<UniqueFd> monitor;
  if (view.liveness == Liveness::Running && s && !s->finished())
    if (auto fd = sys::pidfd_open(s->monitor_pid)) monitor = std::move(*fd);
  bool running = monitor && proc::is_same_process(s->monitor_pid, s->monitor_start_time);
  auto monitor_lives = [&] {
    auto exited = sys::wait_readable(monitor->get(), 0);
    return exited && !*exited;
  };
  if (!running) {
    // systemd: nothing to signal in an inactive unit is no error, unless
    // the main process was asked for.
    if (!main_only) return exit_code::kSuccess;
    std::fprintf(stderr, "Failed to kill unit %s: No main process to kill\n", u.name.c_str());
    return exit_code::kFailure;
  }
  if (main_only) {
    std::optional<process::PinnedProcess> main;
    if (s->main_pid > 0) main = process::pin_descendant(s->main_pid, s->monitor_pid);
    if (!main || main->stat.start_time != s->main_start_time || !monitor_lives() || !send(*main, sig)) {
      std::fprintf(stderr, "Failed to kill unit %s: No main process to kill\n", u.name.c_str());
      return exit_code::kFailure;
    }
    return exit_code::kSuccess;
  }
  std::vector<process::PinnedProcess> targets;
  for (const proc::Stat& member : proc::descendants_of(s->monitor_pid))
    if (auto pinned = process::pin_descendant(member.pid, s->monitor_pid);
        pinned && pinned->stat.start_time == member.start_time)
      targets.push_back(std::move(*pinned));
  // Gone meanwhile: what was found under its PID is not provably the unit's.
  // Nothing of the unit is left to signal then, as for an inactive unit.
  if (!monitor_lives()) return exit_code::kSuccess;
  for (const process::PinnedProcess& p : targets) (void)send(p, sig);  // one that ended meanwhile needs no signal
  return exit_code::kSuccess;
}

}  // namespace

int kill_units(const std::vector<std::string>& units, const std::string& signal, bool main_only) {
  auto sig = values::parse_signal(signal);  // "SIGHUP", "HUP", "1"
  if (!sig || *sig <= 0) {
    std::fprintf(stderr, "Failed to parse signal string %s.\n", signal.c_str());
    return exit_code::kFailure;
  }
  return for_each_loaded_target(units, "kill",
                                [&](const unit::UnitFile& file) { return kill_one(file, *sig, main_only); });
}

}  // namespace unitrun::cli
