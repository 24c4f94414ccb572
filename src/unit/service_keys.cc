// The [Service] directives of systemd.service(5) and systemd.kill(5): the
// service's type, commands, timeouts, restart rules and how it is stopped.
#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "unit/command_line.h"
#include "unit/directives.h"
#include "unit/key_parsers.h"

namespace unitrun::unit {

namespace {

// An absolute path with no empty, "." or ".." component and no trailing '/':
// resolve_path() would return it unchanged.
bool is_normal_absolute(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  for (size_t start = 1; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Status append_commands(Assignment& a, std::vector<Command>& list) {
  if (a.value.empty()) return list.clear(), ok();  // an empty assignment resets the list
  const size_t before = list.size();
  auto parsed = command_line::parse(a.value, a.line, list);
  if (!parsed) return parsed.error();
  for (size_t k = before; k < list.size(); ++k) {
    Command& c = list[k];
    if (c.program.find('/') != std::string::npos && !is_normal_absolute(c.program)) {
      std::string resolved = resolve_path(c.program, a.unit.directory);
      if (!c.argv.empty() && c.argv[0] == c.program) c.argv[0] = resolved;  // no '@': argv[0] follows
      c.program = std::move(resolved);
    }
    if (c.argv.empty() || c.argv[0].empty()) {
      list.resize(before);  // none of this value's commands
      return Error::plain("empty argv[0]");
    }
  }
  return ok();
}

namespace {

Status parse_type(Assignment& a) {
  static constexpr EnumName<ServiceType> kNames[] = {
      {"simple", ServiceType::Simple},   {"exec", ServiceType::Exec}, {"forking", ServiceType::Forking},
      {"oneshot", ServiceType::Oneshot}, {"dbus", ServiceType::Dbus}, {"notify", ServiceType::Notify},
      {"idle", ServiceType::Idle}};
  return choose(a, a.unit.type, ServiceType::Simple, kNames);
}

Status parse_exit_type(Assignment& a) {
  static constexpr EnumName<ExitType> kNames[] = {{"main", ExitType::Main}, {"cgroup", ExitType::Cgroup}};
  return choose(a, a.unit.exit_type, ExitType::Main, kNames);
}

Status parse_restart(Assignment& a) {
  static constexpr EnumName<RestartPolicy> kNames[] = {{"no", RestartPolicy::No},
                                                       {"on-success", RestartPolicy::OnSuccess},
                                                       {"on-failure", RestartPolicy::OnFailure},
                                                       {"on-abnormal", RestartPolicy::OnAbnormal},
                                                       {"on-watchdog", RestartPolicy::OnWatchdog},
                                                       {"on-abort", RestartPolicy::OnAbort},
                                                       {"always", RestartPolicy::Always}};
  return choose(a, a.unit.restart, RestartPolicy::No, kNames);
}

Status parse_notify_access(Assignment& a) {
  static constexpr EnumName<NotifyAccess> kNames[] = {{"none", NotifyAccess::None},
                                                      {"main", NotifyAccess::Main},
                                                      {"exec", NotifyAccess::Exec},
                                                      {"all", NotifyAccess::All}};
  return choose(a, a.unit.notify_access, NotifyAccess::Default, kNames);
}

template <TimeoutFailureMode Unit::*Field>
Status parse_timeout_failure_mode(Assignment& a) {
  static constexpr EnumName<TimeoutFailureMode> kNames[] = {{"terminate", TimeoutFailureMode::Terminate},
                                                            {"abort", TimeoutFailureMode::Abort},
                                                            {"kill", TimeoutFailureMode::Kill}};
  return choose(a, a.unit.*Field, TimeoutFailureMode::Terminate, kNames);
}

Status parse_kill_mode(Assignment& a) {
  static constexpr EnumName<KillMode> kNames[] = {{"control-group", KillMode::ControlGroup},
                                                  {"process", KillMode::Process},
                                                  {"mixed", KillMode::Mixed},
                                                  {"none", KillMode::None}};
  auto r = choose(a, a.unit.kill_mode, KillMode::ControlGroup, kNames);
  // systemd's own warning, in its words: the mode is honoured, and unsafe.
  if (r && a.unit.kill_mode == KillMode::None)
    a.warn(
        "KillMode=none is unsafe, as it disables unitrun's process lifecycle management for the service: at stop "
        "only ExecStop= runs and no process is signalled. Please use a safer KillMode=, such as 'mixed' or "
        "'control-group'. systemd deprecates KillMode=none and will eventually remove it.");
  return r;
}

Status parse_pid_file(Assignment& a) {
  a.unit.pid_file = a.value.empty() ? std::string() : resolve_path(a.value, a.unit.directory);
  return ok();
}

Status parse_timeout_sec(Assignment& a) {
  Usec v = 90 * kUsecPerSec;
  if (!a.value.empty()) {
    auto r = values::parse_timespan(a.value);
    if (!r) return r.error();
    v = *r;
  }
  a.unit.timeout_start = a.unit.timeout_stop = v;
  return ok();
}

Status parse_timeout_abort(Assignment& a) {
  if (a.value.empty()) return a.unit.timeout_abort.reset(), ok();
  auto r = values::parse_timespan(a.value);
  if (!r) return r.error();
  return a.unit.timeout_abort = *r, ok();
}

Status parse_restart_kill_signal(Assignment& a) {
  if (a.value.empty()) return a.unit.restart_kill_signal.reset(), ok();
  auto r = values::parse_signal(a.value);
  if (!r) return r.error();
  return a.unit.restart_kill_signal = *r, ok();
}

// A D-Bus well-known name (the D-Bus specification, "Bus names"): at most
// 255 bytes, two or more '.'-separated elements of [A-Za-z0-9_-], none
// empty or starting with a digit.
Status parse_bus_name(Assignment& a) {
  std::string_view v = a.value;
  auto bad = [&] { return Error::plain("invalid D-Bus name '" + std::string(v) + "' (such as org.example.Daemon)"); };
  if (v.empty()) return a.unit.bus_name.clear(), ok();
  if (v.size() > 255 || v[0] == ':' || v.find('.') == std::string_view::npos) return bad();
  for (size_t start = 0; start <= v.size();) {
    size_t end = std::min(v.find('.', start), v.size());
    std::string_view element = v.substr(start, end - start);
    if (element.empty() || std::isdigit(static_cast<unsigned char>(element[0]))) return bad();
    for (char c : element)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return bad();
    start = end + 1;
  }
  a.unit.bus_name = std::string(v);
  return ok();
}

Status check_oom_policy(Assignment& a) {
  if (a.value.empty() || a.value == "continue" || a.value == "stop" || a.value == "kill") return ok();
  return invalid_choice(a.value, {"continue", "stop", "kill"});
}

using S = DirectiveStatus;
using R = Reason;

constexpr DirectiveSpec kSpecs[] = {
    {"Service", "PIDFile", S::Implemented, R::None, &parse_pid_file},
    {"Service", "ExecCondition", S::Implemented, R::None, &parse_commands<&Unit::exec_condition>},
    {"Service", "ExecStartPre", S::Implemented, R::None, &parse_commands<&Unit::exec_start_pre>},
    {"Service", "ExecStart", S::Implemented, R::None, &parse_commands<&Unit::exec_start>},
    {"Service", "ExecStartPost", S::Implemented, R::None, &parse_commands<&Unit::exec_start_post>},
    {"Service", "ExecReload", S::Implemented, R::None, &parse_commands<&Unit::exec_reload>},
    {"Service", "ExecStop", S::Implemented, R::None, &parse_commands<&Unit::exec_stop>},
    {"Service", "ExecStopPost", S::Implemented, R::None, &parse_commands<&Unit::exec_stop_post>},
    {"Service", "RestartSec", S::Implemented, R::None, &parse_timespan<&Unit::restart_sec, 100000>},
    {"Service", "TimeoutSec", S::Implemented, R::None, &parse_timeout_sec},
    {"Service", "TimeoutStartSec", S::Implemented, R::None, &parse_timespan<&Unit::timeout_start, 90 * kUsecPerSec>},
    {"Service", "TimeoutStopSec", S::Implemented, R::None, &parse_timespan<&Unit::timeout_stop, 90 * kUsecPerSec>},
    {"Service", "TimeoutAbortSec", S::Implemented, R::None, &parse_timeout_abort},
    {"Service", "TimeoutStartFailureMode", S::Implemented, R::None,
     &parse_timeout_failure_mode<&Unit::timeout_start_failure_mode>},
    {"Service", "TimeoutStopFailureMode", S::Implemented, R::None,
     &parse_timeout_failure_mode<&Unit::timeout_stop_failure_mode>},
    {"Service", "RuntimeMaxSec", S::Implemented, R::None, &parse_timespan<&Unit::runtime_max, kInfinity>},
    {"Service", "RuntimeRandomizedExtraSec", S::Implemented, R::None,
     &parse_timespan<&Unit::runtime_randomized_extra, 0>},
    {"Service", "WatchdogSec", S::Implemented, R::None, &parse_timespan<&Unit::watchdog_sec, 0>},
    // systemd still reads these [Unit] keys in [Service], for compatibility.
    {"Service", "StartLimitInterval", S::Implemented, R::None, &parse_start_limit_interval},
    {"Service", "StartLimitBurst", S::Implemented, R::None, &parse_start_limit_burst},
    {"Service", "StartLimitAction", S::NoEffect, R::NoSystemAction, &check_emergency_action},
    {"Service", "FailureAction", S::NoEffect, R::NoSystemAction, &check_emergency_action},
    {"Service", "RebootArgument", S::NoEffect, R::SystemActionDetail, nullptr},
    {"Service", "Type", S::Implemented, R::None, &parse_type},
    {"Service", "ExitType", S::Implemented, R::None, &parse_exit_type},
    {"Service", "Restart", S::Implemented, R::None, &parse_restart},
    {"Service", "PermissionsStartOnly", S::Implemented, R::None, &parse_boolean<&Unit::permissions_start_only, false>},
    {"Service", "RemainAfterExit", S::Implemented, R::None, &parse_boolean<&Unit::remain_after_exit, false>},
    {"Service", "GuessMainPID", S::Implemented, R::None, &parse_boolean<&Unit::guess_main_pid, true>},
    {"Service", "RestartPreventExitStatus", S::Implemented, R::None,
     &parse_exit_statuses<&Unit::restart_prevent_exit_status>},
    {"Service", "RestartForceExitStatus", S::Implemented, R::None,
     &parse_exit_statuses<&Unit::restart_force_exit_status>},
    {"Service", "SuccessExitStatus", S::Implemented, R::None, &parse_exit_statuses<&Unit::success_exit_status>},
    {"Service", "NonBlocking", S::NoEffect, R::SocketActivationOption, &check_boolean},
    {"Service", "BusName", S::Implemented, R::None, &parse_bus_name},
    {"Service", "FileDescriptorStoreMax", S::NoEffect, R::FileDescriptorStore, &check_unsigned},
    {"Service", "NotifyAccess", S::Implemented, R::None, &parse_notify_access},
    {"Service", "Sockets", S::Refused, R::SocketActivation, nullptr},
    {"Service", "USBFunctionDescriptors", S::Refused, R::SocketActivation, nullptr},
    {"Service", "USBFunctionStrings", S::Refused, R::SocketActivation, nullptr},
    {"Service", "OOMPolicy", S::NoEffect, R::NoOomDetection, &check_oom_policy},
    // systemd.kill(5)
    {"Service", "SendSIGKILL", S::Implemented, R::None, &parse_boolean<&Unit::send_sigkill, true>},
    {"Service", "SendSIGHUP", S::Implemented, R::None, &parse_boolean<&Unit::send_sighup, false>},
    {"Service", "KillMode", S::Implemented, R::None, &parse_kill_mode},
    {"Service", "KillSignal", S::Implemented, R::None, &parse_signal<&Unit::kill_signal, 15>},
    {"Service", "RestartKillSignal", S::Implemented, R::None, &parse_restart_kill_signal},
    {"Service", "FinalKillSignal", S::Implemented, R::None, &parse_signal<&Unit::final_kill_signal, 9>},
    {"Service", "WatchdogSignal", S::Implemented, R::None, &parse_signal<&Unit::watchdog_signal, 6>},
};
UNITRUN_DIRECTIVE_TABLE auto kParsers = parser_table<UNITRUN_PARSER_SLOTS(kSpecs)>(kSpecs);
UNITRUN_DIRECTIVE_TABLE auto kRows = directive_rows(kSpecs, DirectivePart::Service, kParsers);
constexpr auto kByName = rows_by_name(kSpecs);

}  // namespace

DirectivePartTable service_directives() { return {kRows, kByName, kParsers}; }

}  // namespace unitrun::unit
