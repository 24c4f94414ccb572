#include "unit/unit.h"

#include "base/fixed_text.h"

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
    case ServiceType::Dbus:
      return "dbus";
    case ServiceType::Idle:
      return "idle";
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
    case KillMode::None:
      return "none";
  }
  return "?";
}

const char* to_string(NotifyAccess n) {
  switch (n) {
    case NotifyAccess::Default:
      return "";
    case NotifyAccess::None:
      return "none";
    case NotifyAccess::Main:
      return "main";
    case NotifyAccess::Exec:
      return "exec";
    case NotifyAccess::All:
      return "all";
  }
  return "?";
}

const char* to_string(ExitType e) { return e == ExitType::Main ? "main" : "cgroup"; }

const char* to_string(TimeoutFailureMode m) {
  switch (m) {
    case TimeoutFailureMode::Terminate:
      return "terminate";
    case TimeoutFailureMode::Abort:
      return "abort";
    case TimeoutFailureMode::Kill:
      return "kill";
  }
  return "?";
}

const char* to_string(DependencyKind d) {
  static constexpr FixedText<24> kNames[] = {"Requires",
                                             "Requisite",
                                             "Wants",
                                             "BindsTo",
                                             "Upholds",
                                             "Conflicts",
                                             "Before",
                                             "After",
                                             "OnSuccess",
                                             "OnFailure",
                                             "PropagatesReloadTo",
                                             "ReloadPropagatedFrom",
                                             "PropagatesStopTo",
                                             "StopPropagatedFrom",
                                             "PartOf",
                                             "JoinsNamespaceOf"};
  return kNames[static_cast<int>(d)].c_str();
}

const char* to_string(ConditionKind c) {
  static constexpr FixedText<24> kNames[] = {"PathExists",
                                             "PathExistsGlob",
                                             "PathIsDirectory",
                                             "PathIsSymbolicLink",
                                             "PathIsMountPoint",
                                             "PathIsReadWrite",
                                             "PathIsEncrypted",
                                             "DirectoryNotEmpty",
                                             "FileNotEmpty",
                                             "FileIsExecutable",
                                             "NeedsUpdate",
                                             "FirstBoot",
                                             "Architecture",
                                             "Firmware",
                                             "Virtualization",
                                             "Host",
                                             "KernelCommandLine",
                                             "KernelVersion",
                                             "Credential",
                                             "Security",
                                             "Capability",
                                             "ACPower",
                                             "Memory",
                                             "CPUFeature",
                                             "CPUs",
                                             "Environment",
                                             "User",
                                             "Group",
                                             "ControlGroupController",
                                             "OSRelease",
                                             "MemoryPressure",
                                             "CPUPressure",
                                             "IOPressure"};
  return kNames[static_cast<int>(c)].c_str();
}

const char* to_string(DirectoryType t) {
  static constexpr const char* kNames[] = {"Runtime", "State", "Cache", "Logs", "Configuration"};
  return kNames[static_cast<int>(t)];
}

const char* to_string(PreserveMode p) {
  switch (p) {
    case PreserveMode::No:
      return "no";
    case PreserveMode::Yes:
      return "yes";
    case PreserveMode::Restart:
      return "restart";
  }
  return "?";
}

bool CpuSet::empty() const {
  for (bool b : bits)
    if (b) return false;
  return true;
}

NotifyAccess effective_notify_access(const Unit& unit) {
  // systemd forces main for a notify service that says none.
  if (unit.type == ServiceType::Notify && unit.notify_access == NotifyAccess::None) return NotifyAccess::Main;
  if (unit.notify_access != NotifyAccess::Default) return unit.notify_access;
  bool watchdog = unit.watchdog_sec != 0 && unit.watchdog_sec != kInfinity;
  return unit.type == ServiceType::Notify || watchdog ? NotifyAccess::Main : NotifyAccess::None;
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
    case OutputSpec::Kind::Tty:
      return "tty";
    case OutputSpec::Kind::Kmsg:
      return "kmsg";
    case OutputSpec::Kind::JournalConsole:
      return "journal+console";
    case OutputSpec::Kind::KmsgConsole:
      return "kmsg+console";
  }
  return "?";
}

std::string to_string(const InputSpec& i) {
  switch (i.kind) {
    case InputSpec::Kind::Null:
      return "null";
    case InputSpec::Kind::Tty:
      return "tty";
    case InputSpec::Kind::TtyForce:
      return "tty-force";
    case InputSpec::Kind::TtyFail:
      return "tty-fail";
    case InputSpec::Kind::Data:
      return "data";
    case InputSpec::Kind::File:
      return "file:" + i.path;
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
    case K::JournalConsole:
      return journald ? "" : unit.log_file;
    case K::Null:
    case K::Inherit:
    case K::Tty:
    case K::Kmsg:
    case K::KmsgConsole:
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
