#include "runtime/service_state.h"

#include <array>
#include <utility>

#include "base/fixed_text.h"

namespace unitrun {
namespace {

// Names in place (base/fixed_text.h): no relocation dirties the table.
constexpr std::array<std::pair<SubState, FixedText<16>>, 17> kSubStates = {{
    {SubState::Dead, "dead"},
    {SubState::Condition, "condition"},
    {SubState::StartPre, "start-pre"},
    {SubState::Start, "start"},
    {SubState::StartPost, "start-post"},
    {SubState::Running, "running"},
    {SubState::Exited, "exited"},
    {SubState::Reload, "reload"},
    {SubState::Stop, "stop"},
    {SubState::StopWatchdog, "stop-watchdog"},
    {SubState::StopSigterm, "stop-sigterm"},
    {SubState::StopSigkill, "stop-sigkill"},
    {SubState::StopPost, "stop-post"},
    {SubState::FinalSigterm, "final-sigterm"},
    {SubState::FinalSigkill, "final-sigkill"},
    {SubState::Failed, "failed"},
    {SubState::AutoRestart, "auto-restart"},
}};

constexpr std::array<std::pair<ServiceResult, FixedText<16>>, 11> kResults = {{
    {ServiceResult::Success, "success"},
    {ServiceResult::Resources, "resources"},
    {ServiceResult::Protocol, "protocol"},
    {ServiceResult::Timeout, "timeout"},
    {ServiceResult::ExitCode, "exit-code"},
    {ServiceResult::Signal, "signal"},
    {ServiceResult::CoreDump, "core-dump"},
    {ServiceResult::Watchdog, "watchdog"},
    {ServiceResult::StartLimitHit, "start-limit-hit"},
    {ServiceResult::OomKill, "oom-kill"},
    {ServiceResult::ExecCondition, "exec-condition"},
}};

}  // namespace

ActiveState active_state_of(SubState s) {
  // systemd's service_state_table (src/core/service.c).
  switch (s) {
    case SubState::Dead:
      return ActiveState::Inactive;
    case SubState::Condition:
    case SubState::StartPre:
    case SubState::Start:
    case SubState::StartPost:
    case SubState::AutoRestart:
      return ActiveState::Activating;
    case SubState::Running:
    case SubState::Exited:
      return ActiveState::Active;
    case SubState::Reload:
      return ActiveState::Reloading;
    case SubState::Stop:
    case SubState::StopWatchdog:
    case SubState::StopSigterm:
    case SubState::StopSigkill:
    case SubState::StopPost:
    case SubState::FinalSigterm:
    case SubState::FinalSigkill:
      return ActiveState::Deactivating;
    case SubState::Failed:
      return ActiveState::Failed;
  }
  return ActiveState::Inactive;
}

const char* to_string(SubState s) {
  for (const auto& [value, name] : kSubStates)
    if (value == s) return name.c_str();
  return "dead";
}

const char* to_string(ActiveState s) {
  switch (s) {
    case ActiveState::Inactive:
      return "inactive";
    case ActiveState::Activating:
      return "activating";
    case ActiveState::Active:
      return "active";
    case ActiveState::Reloading:
      return "reloading";
    case ActiveState::Deactivating:
      return "deactivating";
    case ActiveState::Failed:
      return "failed";
  }
  return "inactive";
}

const char* to_string(ServiceResult r) {
  for (const auto& [value, name] : kResults)
    if (value == r) return name.c_str();
  return "success";
}

std::optional<SubState> parse_sub_state(std::string_view text) {
  for (const auto& [value, name] : kSubStates)
    if (text == name.view()) return value;
  return std::nullopt;
}

std::optional<ServiceResult> parse_service_result(std::string_view text) {
  for (const auto& [value, name] : kResults)
    if (text == name.view()) return value;
  return std::nullopt;
}

}  // namespace unitrun
