#include "unit/unit.h"

namespace unitrun {

const char* to_string(ServiceType t) {
  switch (t) {
    case ServiceType::Simple:
      return "simple";
    case ServiceType::Exec:
      return "exec";
    case ServiceType::Notify:
      return "notify";
    case ServiceType::Forking:
      return "forking";
    case ServiceType::Oneshot:
      return "oneshot";
  }
  return "?";
}

const char* to_string(RestartPolicy r) {
  switch (r) {
    case RestartPolicy::No:
      return "no";
    case RestartPolicy::OnSuccess:
      return "on-success";
    case RestartPolicy::OnFailure:
      return "on-failure";
    case RestartPolicy::OnAbnormal:
      return "on-abnormal";
    case RestartPolicy::OnWatchdog:
      return "on-watchdog";
    case RestartPolicy::OnAbort:
      return "on-abort";
    case RestartPolicy::Always:
      return "always";
  }
  return "?";
}

const char* to_string(KillMode k) {
  switch (k) {
    case KillMode::ControlGroup:
      return "control-group";
    case KillMode::Mixed:
      return "mixed";
    case KillMode::Process:
      return "process";
  }
  return "?";
}

std::string to_string(const OutputSpec& o) {
  switch (o.kind) {
    case OutputSpec::Kind::Default:
      return "";
    case OutputSpec::Kind::Null:
      return "null";
    case OutputSpec::Kind::Inherit:
      return "inherit";
    case OutputSpec::Kind::Journal:
      return "journal";
    case OutputSpec::Kind::File:
      return "file:" + o.path;
    case OutputSpec::Kind::Append:
      return "append:" + o.path;
    case OutputSpec::Kind::Truncate:
      return "truncate:" + o.path;
  }
  return "?";
}

std::string file_of(const Unit& unit, const OutputSpec& spec, bool foreground, bool journald) {
  using K = OutputSpec::Kind;
  switch (spec.kind) {
    case K::File:
    case K::Append:
    case K::Truncate:
      return spec.path;
    case K::Default:
      return foreground ? "" : unit.log_file;
    case K::Journal:
      return journald ? "" : unit.log_file;
    case K::Null:
    case K::Inherit:
      return "";
  }
  return "";
}

bool stderr_joins_stdout(const Unit& unit) {
  using K = OutputSpec::Kind;
  return unit.standard_error.kind == K::Default || unit.standard_error.kind == K::Inherit;
}

std::string output_file(const Unit& unit, bool foreground, bool journald) {
  std::string out = file_of(unit, unit.standard_output, foreground, journald);
  if (!out.empty() || stderr_joins_stdout(unit)) return out;
  return file_of(unit, unit.standard_error, foreground, journald);
}

std::string error_file(const Unit& unit, bool foreground, bool journald) {
  if (stderr_joins_stdout(unit)) return file_of(unit, unit.standard_output, foreground, journald);
  return file_of(unit, unit.standard_error, foreground, journald);
}

}  // namespace unitrun
