#include "monitor/restart_policy.h"

#include <signal.h>

#include <algorithm>

#include "unit/values.h"

namespace unitrun::monitor {
namespace {

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

bool is_clean(const Unit& unit, const Termination& t) {
  if (t.watchdog || t.timeout) return false;
  if (t.exit_code >= 0) return t.exit_code == 0 || contains(unit.success_exit_status.codes, t.exit_code);
  if (t.signal > 0) {
    if (contains(unit.success_exit_status.signals, t.signal)) return true;
    if (unit.type == ServiceType::Oneshot) return false;
    return t.signal == SIGHUP || t.signal == SIGINT || t.signal == SIGTERM || t.signal == SIGPIPE;
  }
  return true;  // ended in a way we could not observe (not our child): assume clean
}

ServiceResult result_of(const Unit& unit, const Termination& t) {
  if (t.watchdog) return ServiceResult::Watchdog;
  if (t.timeout) return ServiceResult::Timeout;
  if (t.oom_killed) return ServiceResult::OomKill;
  if (is_clean(unit, t)) return ServiceResult::Success;
  if (t.signal > 0) return t.core_dumped ? ServiceResult::CoreDump : ServiceResult::Signal;
  return ServiceResult::ExitCode;
}

bool should_restart(const Unit& unit, const Termination& t) {
  // systemd's order: RestartPreventExitStatus= wins, then
  // RestartForceExitStatus= (whatever Restart= says), then Restart=.
  auto listed = [&](const ExitStatusSet& set) {
    return (t.exit_code >= 0 && contains(set.codes, t.exit_code)) || (t.signal > 0 && contains(set.signals, t.signal));
  };
  if (listed(unit.restart_prevent_exit_status)) return false;
  if (listed(unit.restart_force_exit_status)) return true;
  bool clean = is_clean(unit, t);
  bool unclean_signal = t.signal > 0 && !clean;
  switch (unit.restart) {
    case RestartPolicy::No:
      return false;
    case RestartPolicy::Always:
      return true;
    case RestartPolicy::OnSuccess:
      return clean;
    case RestartPolicy::OnFailure:
      return !clean;
    case RestartPolicy::OnAbnormal:
      return unclean_signal || t.watchdog || t.timeout;
    case RestartPolicy::OnWatchdog:
      return t.watchdog;
    case RestartPolicy::OnAbort:
      return unclean_signal && !t.watchdog && !t.timeout;  // Table 2: not after a timeout
  }
  return false;
}

StartLimit::StartLimit(Usec interval, unsigned burst, const std::vector<uint64_t>& earlier)
    : interval_(interval), burst_(burst) {
  size_t keep = std::min<size_t>(earlier.size(), burst);
  starts_.assign(earlier.end() - static_cast<std::ptrdiff_t>(keep), earlier.end());
}

bool StartLimit::try_start(uint64_t now) {
  if (burst_ == 0 || interval_ == 0) return true;
  while (!starts_.empty() && (interval_ == kInfinity ? false : now - starts_.front() >= interval_)) starts_.pop_front();
  if (starts_.size() >= burst_) return false;
  starts_.push_back(now);
  return true;
}

std::string describe(const Termination& t) {
  if (t.exit_code >= 0) return "exited, code=" + std::to_string(t.exit_code);
  if (t.oom_killed) return "killed by the OOM killer, signal=SIGKILL";
  if (t.signal > 0)
    return std::string(t.core_dumped ? "dumped core, signal=" : "killed, signal=") + values::signal_name(t.signal);
  return "exited (status unknown)";
}

}  // namespace unitrun::monitor
