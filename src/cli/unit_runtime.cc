#include "cli/unit_runtime.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <functional>

#include "base/sys.h"
#include "process/cgroup.h"
#include "process/credentials.h"
#include "process/kill_tree.h"
#include "process/stop_plan.h"
#include "runtime/safe_files.h"

namespace unitrun::cli {

std::vector<proc::Stat> find_orphans(const std::string& unit_name, const MonitorState& state) {
  std::vector<proc::Stat> out;
  // Only a monitor that died without finishing leaves orphans: one that
  // stopped the unit recorded "inactive" or "failed" last.
  if (state.finished()) return out;
  if (state.boot_id != sys::boot_id()) return out;
  // The unit's cgroup, where unitrun could make one, holds every process of
  // the unit, setsid()'d escapees and a Delegate=yes service's sub-cgroups
  // included: exact.
  if (auto cgroup = process::find_unit_cgroup(unit_name)) {
    for (pid_t pid : cgroup->members())
      if (auto s = proc::read_stat(pid); s && s->state != 'Z' && s->state != 'X') out.push_back(*s);
    return out;
  }
  // Else the run's INVOCATION_ID, which every process of it inherited (as
  // systemd sets it) unless it cleared its environment...
  if (!state.invocation_id.empty()) {
    std::string tag = "INVOCATION_ID=" + state.invocation_id;
    for (const proc::Stat& s : proc::all_processes()) {
      if (s.state == 'Z' || s.state == 'X' || s.start_time < state.main_start_time) continue;
      auto environ = sys::read_file("/proc/" + std::to_string(s.pid) + "/environ", 1 << 20);
      if (!environ) continue;
      std::string_view env = *environ;
      for (size_t at = 0; at < env.size();) {
        size_t end = env.find('\0', at);
        if (end == std::string_view::npos) end = env.size();
        if (env.substr(at, end - at) == tag) {
          out.push_back(s);
          break;
        }
        at = end + 1;
      }
    }
  }
  // ... and the session the service led, which catches those that did.
  if (state.main_sid <= 1) return out;
  // The service led its own session, whose ID is the main PID. While any
  // member of that session lives, the kernel cannot hand that number to a
  // new process; so if a process with that PID exists, it must be the
  // original main process (same start time), or the number was reused and
  // the session we knew is gone.
  if (auto leader = proc::read_stat(state.main_sid)) {
    if (leader->start_time != state.main_start_time) return out;
  }
  for (const proc::Stat& s : proc::all_processes()) {
    if (s.sid != state.main_sid || s.state == 'Z' || s.state == 'X') continue;
    if (s.start_time < state.main_start_time) continue;
    if (std::any_of(out.begin(), out.end(), [&](const proc::Stat& o) { return o.pid == s.pid; })) continue;
    out.push_back(s);
  }
  return out;
}

RuntimeView inspect(const Unit& unit, const RuntimeFiles& files, UnitLock& lock, bool everything_when_running,
                    bool finished_record) {
  auto alive_held = [&] {
    auto held = lock.alive_held_elsewhere();
    return held && *held;
  };
  // The lock is the truth; the files are read between two looks at it. A
  // monitor removes the pidfile and writes its last state before it lets go
  // of the lock, so files read while the lock stayed free are final (or were
  // left by a monitor that was killed), and files read while it stayed held
  // belong to a live monitor. Reading the pidfile first and the lock after
  // would call a unit that stopped in between "dead, but a pidfile is left".
  // When the lock changed hands meanwhile, look again (a few times at most:
  // starts and stops racing with status).
  RuntimeView v;
  bool running = alive_held();
  for (int attempt = 0; attempt < 4; ++attempt) {
    v = RuntimeView{};
    // The pidfile left unread, and of the record only what names the
    // monitor read, only when nothing else can be what this look returns:
    // the lock was held, and is looked at again (a change reads both on
    // the next look; the last look reads them whatever the lock said).
    const bool all = everything_when_running || !running || attempt == 3;
    // Without a monitor (the lock was free, and is looked at again), a
    // finished run's record matters only to a caller that asked for it.
    v.state = !all                           ? read_state_summary(files.state)
              : !running && !finished_record ? read_state_unless_finished(files.state)
                                             : read_state(files.state);
    if (all) {
      if (auto fd = safe_files::open_for_reading(files.pidfile)) {
        if (auto content = sys::read_all(fd->get(), 4096)) v.pidfile_content = *content;
      }
    }
    bool held_before = running;
    running = alive_held();
    if (running == held_before) break;
  }
  if (running) {
    v.liveness = Liveness::Running;
    return v;
  }
  if (v.state) v.orphans = find_orphans(unit.name, *v.state);
  if (!v.orphans.empty()) {
    v.liveness = Liveness::Orphaned;
  } else if (auto holder = v.pidfile_content ? UnitLock::name_holder(files.name_lock) : std::nullopt;
             holder && *holder != unit.path) {
    // Another unit file of this name runs, and the pidfile is its: not
    // stale, and nothing of this unit.
    v.liveness = Liveness::NotRunning;
    v.pidfile_holder = std::move(holder);
    v.pidfile_content.reset();
  } else if (v.pidfile_content) {
    v.outsider = running_outside(unit, *v.pidfile_content);
    v.liveness = v.outsider ? Liveness::Outside : Liveness::DeadPidfile;
  } else {
    v.liveness = Liveness::NotRunning;
  }
  return v;
}

std::optional<proc::Stat> running_outside(const Unit& unit, const std::string& pidfile_content) {
  auto pid = parse_pidfile(pidfile_content);
  if (!pid || unit.exec_start.empty()) return std::nullopt;
  auto st = proc::read_stat(*pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  std::string running = proc::exe(*pid);
  if (running.empty()) return std::nullopt;
  // The program as the unit names it, resolved as the kernel resolved the
  // running one (symlinks: /usr/bin/python3 → python3.11).
  char resolved[PATH_MAX];
  if (!::realpath(unit.exec_start.front().program.c_str(), resolved)) return std::nullopt;
  if (running != resolved) return std::nullopt;
  // ... as the unit's user (User=, or unitrun's own): the same program run
  // by someone else is somebody else's.
  auto identity = process::resolve_identity(unit, false);
  if (!identity) return std::nullopt;
  uid_t expected = identity->credentials ? identity->credentials->uid : ::geteuid();
  auto status = sys::read_file("/proc/" + std::to_string(*pid) + "/status", 8192);
  if (!status) return std::nullopt;
  size_t at = status->find("\nUid:");
  if (at == std::string::npos) return std::nullopt;
  if (std::strtoul(status->c_str() + at + 5, nullptr, 10) != expected) return std::nullopt;
  return st;
}

std::optional<MonitorState> run_by_root(const Unit& unit) {
  if (::geteuid() == 0) return std::nullopt;
  auto state = read_state(system_runtime_files_for(unit).state);
  // The record's file is keyed by the unit's identity; for a unit of the
  // unit path that is its name, whichever file root's holds it.
  bool same_unit = state && (state->unit_path == unit.path || unit.identity == unit.name);
  if (!same_unit || state->monitor_pid <= 1) return std::nullopt;
  if (state->finished()) return std::nullopt;
  if (!proc::is_same_process(state->monitor_pid, state->monitor_start_time)) return std::nullopt;
  return state;
}

namespace {

// The orphans, each pinned by a pidfd once its start time is checked, so
// that no PID reused meanwhile is ever signalled.
struct Pinned {
  proc::Stat stat;
  UniqueFd pidfd;
  bool gone = false;
  bool is_main = false;
};

// Waits until every pinned process for which `wanted` holds has exited, or
// the deadline passes; false on the deadline. Waits on the pidfds: no
// polling loop.
bool wait_gone(std::vector<Pinned>& pinned, const std::function<bool(const Pinned&)>& wanted, Usec timeout) {
  uint64_t deadline = timeout == kInfinity ? UINT64_MAX : sys::now_monotonic_usec() + timeout;
  while (true) {
    std::vector<struct pollfd> pfds;
    std::vector<Pinned*> watched;
    for (Pinned& p : pinned) {
      if (p.gone || !wanted(p)) continue;
      pfds.push_back({p.pidfd.get(), POLLIN, 0});
      watched.push_back(&p);
    }
    if (pfds.empty()) return true;
    uint64_t now = sys::now_monotonic_usec();
    if (now >= deadline) return false;
    int timeout_ms =
        deadline == UINT64_MAX ? -1 : static_cast<int>(std::min<uint64_t>((deadline - now) / 1000 + 1, INT32_MAX));
    int n = ::poll(pfds.data(), pfds.size(), timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    for (size_t i = 0; i < pfds.size(); ++i)
      if (pfds[i].revents & (POLLIN | POLLHUP)) watched[i]->gone = true;
  }
}

size_t signal_each(std::vector<Pinned>& pinned, const std::function<bool(const Pinned&)>& wanted, int sig) {
  size_t sent = 0;
  for (Pinned& p : pinned)
    if (!p.gone && wanted(p) && process::signal_verified(p.stat, sig)) ++sent;
  return sent;
}

}  // namespace

void record_orphans_stopped(const RuntimeFiles& files, const MonitorState& last) {
  MonitorState s = last;
  s.sub_state = SubState::Dead;
  s.state_since_usec = sys::now_realtime_usec();
  s.main_pid = 0;
  s.add_event("stopped: its monitor had died, and `stop` ended what it left running");
  // The monitor is gone and we hold the unit's start lock: nobody else writes it.
  (void)write_state(files.state, s);
}

namespace {

// The same stop as the monitor's (process/stop_plan.h): KillMode= decides
// who gets KillSignal=, FinalKillSignal= follows after TimeoutStopSec=.
size_t signal_orphans(const Unit& unit, const std::vector<proc::Stat>& orphans, const MonitorState* record) {
  process::StopPlan plan = process::stop_plan_for(unit);
  std::vector<Pinned> pinned;
  for (const proc::Stat& s : orphans) {
    auto fd = sys::pidfd_open(s.pid);
    if (!fd || !proc::is_same_process(s.pid, s.start_time)) continue;
    bool is_main = record && s.pid == record->main_pid && s.start_time == record->main_start_time;
    pinned.push_back({s, std::move(*fd), false, is_main});
  }
  auto everyone = [](const Pinned&) { return true; };
  auto main_only = [](const Pinned& p) { return p.is_main; };
  auto rest = [](const Pinned& p) { return !p.is_main; };
  bool tree = plan.first_targets == process::StopPlan::Targets::Everyone;
  size_t signalled = signal_each(pinned, tree ? everyone : main_only, plan.first_signal);
  bool main_left = std::any_of(pinned.begin(), pinned.end(), main_only);
  if (plan.kill_rest_when_main_gone) {
    // mixed: the rest get SIGKILL once the main process is gone (at once
    // when it is gone already).
    if (!main_left || wait_gone(pinned, main_only, plan.timeout)) signalled += signal_each(pinned, rest, SIGKILL);
  }
  const auto& until = plan.rest_left_alone ? std::function<bool(const Pinned&)>(main_only)
                                           : std::function<bool(const Pinned&)>(everyone);
  if (wait_gone(pinned, until, plan.timeout) || !plan.final_kill) return signalled;
  bool final_tree = plan.final_targets == process::StopPlan::Targets::Everyone;
  signalled += signal_each(pinned, final_tree ? everyone : main_only, plan.final_signal);
  (void)wait_gone(pinned, until, plan.timeout);
  return signalled;
}

}  // namespace

size_t end_orphans(const Unit& unit, const std::vector<proc::Stat>& orphans, const MonitorState* record) {
  size_t signalled = signal_orphans(unit, orphans, record);
  // The dead monitor would have removed the unit's cgroups at its end, as
  // systemd does when a unit goes inactive. remove() takes away nothing
  // that still has a member (what KillMode= left alone keeps them): EBUSY
  // then, and they stay for the next start, which adopts them.
  if (auto cgroup = process::find_unit_cgroup(unit.name)) (void)cgroup->remove();
  return signalled;
}

}  // namespace unitrun::cli
