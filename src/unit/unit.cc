#include "unit/unit.h"

namespace unitrun {

const char* to_string(ServiceType t) {
  switch (t) {
    case ServiceType::Simple: return "simple";
    case ServiceType::Exec: return "exec";
    case ServiceType::Notify: return "notify";
    case ServiceType::Forking: return "forking";
    case ServiceType::Oneshot: return "oneshot";
  }
  return "?";
}

const char* to_string(RestartPolicy r) {
  switch (r) {
    case RestartPolicy::No: return "no";
    case RestartPolicy::OnSuccess: return "on-success";
    case RestartPolicy::OnFailure: return "on-failure";
    case RestartPolicy::OnAbnormal: return "on-abnormal";
    case RestartPolicy::OnWatchdog: return "on-watchdog";
    case RestartPolicy::OnAbort: return "on-abort";
    case RestartPolicy::Always: return "always";
  }
  return "?";
}

const char* to_string(KillMode k) {
  switch (k) {
    case KillMode::ControlGroup: return "control-group";
    case KillMode::Mixed: return "mixed";
    case KillMode::Process: return "process";
  }
  return "?";
}

std::string to_string(const OutputSpec& o) {
  switch (o.kind) {
    case OutputSpec::Kind::Default: return "";
    case OutputSpec::Kind::Null: return "null";
    case OutputSpec::Kind::Inherit: return "inherit";
    case OutputSpec::Kind::Journal: return "journal";
    case OutputSpec::Kind::File: return "file:" + o.path;
    case OutputSpec::Kind::Append: return "append:" + o.path;
    case OutputSpec::Kind::Truncate: return "truncate:" + o.path;
  }
  return "?";
}

}  // namespace unitrun
