#include "manager/job_type.h"

#include <utility>

namespace unitrun::manager {

const char* to_string(JobType type) {
  switch (type) {
    case JobType::Start:
      return "start";
    case JobType::VerifyActive:
      return "verify-active";
    case JobType::Stop:
      return "stop";
    case JobType::Reload:
      return "reload";
    case JobType::Restart:
      return "restart";
    case JobType::TryRestart:
      return "try-restart";
    case JobType::TryReload:
      return "try-reload";
    case JobType::ReloadOrStart:
      return "reload-or-start";
    case JobType::Nop:
      return "nop";
  }
  return "nop";
}

JobType collapse(JobType type, ActiveState state) {
  switch (type) {
    case JobType::TryRestart:
      // An activating unit is restarted too: it may have started with what
      // the restart is meant to replace.
      return is_active_or_activating(state) ? JobType::Restart : JobType::Nop;
    case JobType::TryReload:
      return is_active_or_reloading(state) ? JobType::Reload : JobType::Nop;
    case JobType::ReloadOrStart:
      return is_active_or_reloading(state) ? JobType::Reload : JobType::Start;
    default:
      return type;
  }
}

std::optional<JobType> merge(JobType a, JobType b) {
  if (a == b) return a;
  // The table is symmetric; order the pair so that a comes later in the enum.
  if (static_cast<int>(a) < static_cast<int>(b)) std::swap(a, b);
  switch (a) {
    case JobType::VerifyActive:  // with start
      return JobType::Start;
    case JobType::Stop:  // stop merges with nothing else
      return std::nullopt;
    case JobType::Reload:
      if (b == JobType::Start) return JobType::ReloadOrStart;
      if (b == JobType::VerifyActive) return JobType::Reload;
      return std::nullopt;
    case JobType::Restart:
      if (b == JobType::Stop) return std::nullopt;
      return JobType::Restart;
    default:
      return std::nullopt;
  }
}

std::optional<JobType> merge_and_collapse(JobType a, JobType b, ActiveState state) {
  std::optional<JobType> merged = merge(a, b);
  if (!merged) return std::nullopt;
  return collapse(*merged, state);
}

bool is_redundant(JobType type, ActiveState state) {
  switch (type) {
    case JobType::Start:
    case JobType::VerifyActive:
      return is_active_or_reloading(state);
    case JobType::Stop:
      return is_inactive_or_failed(state);
    case JobType::Reload:
      return state == ActiveState::Reloading;
    case JobType::Nop:
      return true;
    default:
      return false;
  }
}

}  // namespace unitrun::manager
