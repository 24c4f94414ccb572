#include "cli/unit_runtime.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "base/sys.h"
#include "process/kill_tree.h"
#include "runtime/safe_files.h"

namespace unitrun::cli {

std::vector<proc::Stat> find_orphans(const MonitorState& state) {
  std::vector<proc::Stat> out;
  // Only a monitor that died without finishing leaves orphans: one that
  // stopped the unit recorded "inactive" or "failed" last.
  if (state.finished()) return out;
  if (state.main_sid <= 1 || state.boot_id != sys::boot_id()) return out;
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
    out.push_back(s);
  }
  return out;
}

RuntimeView inspect(const Unit& unit, const RuntimeFiles& files, UnitLock& lock) {
  (void)unit;
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
    v.state = read_state(files.state);
    if (auto fd = safe_files::open_for_reading(files.pidfile)) {
      if (auto content = sys::read_all(fd->get(), 4096)) v.pidfile_content = *content;
    }
    bool held_before = running;
    running = alive_held();
    if (running == held_before) break;
  }
  if (running) {
    v.liveness = Liveness::Running;
    return v;
  }
  if (v.state) v.orphans = find_orphans(*v.state);
  if (!v.orphans.empty())
    v.liveness = Liveness::Orphaned;
  else if (v.pidfile_content)
    v.liveness = Liveness::DeadPidfile;
  else
    v.liveness = Liveness::NotRunning;
  return v;
}

std::optional<MonitorState> run_by_root(const Unit& unit) {
  if (::geteuid() == 0) return std::nullopt;
  auto state = read_state(system_runtime_files_for(unit).state);
  if (!state || state->unit_path != unit.path || state->monitor_pid <= 1) return std::nullopt;
  if (state->finished()) return std::nullopt;
  if (!proc::is_same_process(state->monitor_pid, state->monitor_start_time)) return std::nullopt;
  return state;
}

std::optional<std::string> running_namesake(const Unit& unit, const RuntimeFiles& files) {
  // Lock files are NAME.<12 hex digits>.lock (runtime_files.cc); "a.b.x.lock"
  // belongs to unit "a.b", not "a".
  std::string ours = files.lock.substr(files.lock.rfind('/') + 1);
  DIR* dir = ::opendir(files.directory.c_str());
  if (!dir) return std::nullopt;
  std::vector<std::string> candidates;
  while (struct dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    size_t key = unit.name.size() + 1;
    if (n == ours || n.size() != key + 12 + 5 || n.compare(0, key, unit.name + ".") != 0 ||
        n.compare(key + 12, 5, ".lock") != 0)
      continue;
    if (n.find_first_not_of("0123456789abcdef", key) != key + 12) continue;
    candidates.push_back(files.directory + "/" + n);
  }
  ::closedir(dir);
  for (const std::string& lock_path : candidates) {
    auto lock = UnitLock::open(lock_path);
    if (!lock) continue;
    auto held = lock->alive_held_elsewhere();
    if (!held || !*held) continue;
    auto state = read_state(lock_path.substr(0, lock_path.size() - 5) + ".state");
    return state && !state->unit_path.empty() ? state->unit_path : lock_path;
  }
  return std::nullopt;
}

size_t end_orphans(const Unit& unit, const std::vector<proc::Stat>& orphans) {
  std::vector<UniqueFd> pidfds;
  size_t signalled = 0;
  for (const proc::Stat& s : orphans) {
    auto fd = sys::pidfd_open(s.pid);
    if (!fd || !proc::is_same_process(s.pid, s.start_time)) continue;
    if (process::signal_verified(s, unit.kill_signal)) ++signalled;
    pidfds.push_back(std::move(*fd));
  }
  // Wait for every pidfd to become readable (the process exited), up to
  // TimeoutStopSec; then the final signal for whoever is left.
  auto wait_all = [&](Usec timeout) {
    uint64_t deadline = timeout == kInfinity ? UINT64_MAX : sys::now_monotonic_usec() + timeout;
    while (true) {
      std::vector<struct pollfd> pfds;
      for (const UniqueFd& fd : pidfds) pfds.push_back({fd.get(), POLLIN, 0});
      uint64_t now = sys::now_monotonic_usec();
      if (now >= deadline) return false;
      int timeout_ms =
          deadline == UINT64_MAX ? -1 : static_cast<int>(std::min<uint64_t>((deadline - now) / 1000 + 1, INT32_MAX));
      int n = ::poll(pfds.data(), pfds.size(), timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      std::vector<UniqueFd> still;
      for (size_t i = 0; i < pfds.size(); ++i)
        if (!(pfds[i].revents & POLLIN)) still.push_back(std::move(pidfds[i]));
      pidfds = std::move(still);
      if (pidfds.empty()) return true;
    }
  };
  if (pidfds.empty() || wait_all(unit.timeout_stop)) return signalled;
  if (unit.send_sigkill)
    for (const proc::Stat& s : orphans) process::signal_verified(s, unit.final_kill_signal);
  wait_all(5 * kUsecPerSec);
  return signalled;
}

}  // namespace unitrun::cli
