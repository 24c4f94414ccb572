// The [Unit] section's directives: description, start rate limit, system
// actions, dependencies (parsed for when units are managed together) and
// conditions.
#include <algorithm>
#include <iterator>

#include "base/strings.h"
#include "unit/command_line.h"
#include "unit/conditions.h"
#include "unit/directives.h"
#include "unit/key_parsers.h"
#include "unit/unit_name.h"

namespace unitrun::unit {

void Assignment::warn(std::string message) const {
  diagnostics.push_back({Diagnostic::Severity::Warning, line, std::move(message)});
}

Error Assignment::refused(std::string_view why) const {
  // The message names the key itself, so unit_parser.cc does not prefix it.
  return Error::plain(std::string(key) + "=" + std::string(value) + " is refused: " + std::string(why));
}

Error invalid_choice(std::string_view value, const std::vector<std::string_view>& names, std::string_view hint) {
  std::string allowed;
  for (std::string_view n : names) allowed += (allowed.empty() ? "" : ", ") + std::string(n);
  std::string message = "invalid value '" + std::string(value) + "' (one of: " + allowed + ")";
  if (!hint.empty()) message += "; " + std::string(hint);
  return Error::plain(message);
}

Status append_words(Assignment& a, std::vector<std::string>& list) {
  if (a.value.empty()) return list.clear(), ok();
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  list.insert(list.end(), std::make_move_iterator(words->begin()), std::make_move_iterator(words->end()));
  return ok();
}

Status check_boolean(Assignment& a) {
  if (a.value.empty()) return ok();
  auto b = values::parse_bool(a.value);
  return b ? ok() : Status(b.error());
}

Status check_timespan(Assignment& a) {
  if (a.value.empty()) return ok();
  auto t = values::parse_timespan(a.value);
  return t ? ok() : Status(t.error());
}

Status check_unsigned(Assignment& a) {
  if (a.value.empty()) return ok();
  auto n = values::parse_unsigned(trim(a.value), UINT64_MAX);
  return n ? ok() : Status(n.error());
}

Status check_absolute_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return Error::plain("path '" + std::string(path) + "' is not absolute");
  for (size_t start = 1; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..")
      return Error::plain("path '" + std::string(path) + "' has a '..' component");
    start = end + 1;
  }
  return ok();
}

Status parse_start_limit_burst(Assignment& a) {
  if (a.value.empty()) return a.unit.start_limit_burst = 5, ok();
  auto n = values::parse_unsigned(a.value, 1000000);
  if (!n) return n.error();
  return a.unit.start_limit_burst = static_cast<unsigned>(*n), ok();
}

Status parse_start_limit_interval(Assignment& a) {
  if (a.value.empty()) return a.unit.start_limit_interval = 10 * kUsecPerSec, ok();
  return assign(values::parse_timespan(a.value), a.unit.start_limit_interval);
}

// SuccessAction= & co.: accepted without effect (unitrun never reboots,
// powers off or halts the machine); the value must still be one of
// systemd's.
Status check_emergency_action(Assignment& a) {
  static constexpr std::string_view kActions[] = {
      "none",       "reboot",         "reboot-force",       "reboot-immediate",
      "poweroff",   "poweroff-force", "poweroff-immediate", "exit",
      "exit-force", "halt",           "halt-force",         "halt-immediate",
      "kexec",      "kexec-force",    "kexec-immediate"};
  if (a.value.empty() || std::find(std::begin(kActions), std::end(kActions), a.value) != std::end(kActions))
    return ok();
  return invalid_choice(a.value, {std::begin(kActions), std::end(kActions)});
}

namespace {

Status parse_description(Assignment& a) {
  a.unit.description = std::string(a.value);
  return ok();
}

// Requires=, After=, ...: unit names separated by blanks.
template <DependencyKind Kind>
Status parse_dependency(Assignment& a) {
  auto& deps = a.unit.dependencies;
  if (a.value.empty()) {
    std::erase_if(deps, [](const Dependency& d) { return d.kind == Kind; });
    return ok();
  }
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  for (const std::string& w : *words)
    if (!is_valid_dependency_name(w))
      return Error::plain("invalid unit name '" + w + "' (NAME.service, NAME.target, ...)");
  for (std::string& w : *words) deps.push_back({Kind, std::move(w), a.line});
  return ok();
}

// RequiresOverridable= and RequisiteOverridable= are gone from systemd,
// which reads them as Requires= and Requisite= with a warning.
template <DependencyKind Kind>
Status parse_obsolete_dependency(Assignment& a) {
  a.warn(std::string(a.key) + "= is obsolete; systemd reads it as " + to_string(Kind) + "=, and so does unitrun");
  return parse_dependency<Kind>(a);
}

Status parse_requires_mounts_for(Assignment& a) {
  if (a.value.empty()) return a.unit.requires_mounts_for.clear(), ok();
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  for (const std::string& w : *words)
    if (auto r = check_absolute_path(w); !r) return r;
  a.unit.requires_mounts_for.insert(a.unit.requires_mounts_for.end(), words->begin(), words->end());
  return ok();
}

template <std::string Unit::*Field, const char* Default>
Status parse_job_mode(Assignment& a) {
  static constexpr std::string_view kModes[] = {
      "fail", "replace", "replace-irreversibly", "isolate", "flush", "ignore-dependencies", "ignore-requirements"};
  if (a.value.empty()) return a.unit.*Field = Default, ok();
  if (std::find(std::begin(kModes), std::end(kModes), a.value) == std::end(kModes))
    return invalid_choice(a.value, {std::begin(kModes), std::end(kModes)});
  a.unit.*Field = std::string(a.value);
  return ok();
}
constexpr char kFail[] = "fail";
constexpr char kReplace[] = "replace";

Status check_collect_mode(Assignment& a) {
  if (a.value.empty() || a.value == "inactive" || a.value == "inactive-or-failed") return ok();
  return invalid_choice(a.value, {"inactive", "inactive-or-failed"});
}

Status check_exit_status(Assignment& a) {
  if (a.value.empty()) return ok();
  auto n = values::parse_integer(a.value, 0, 255);
  return n ? ok() : Status(n.error());
}

Status check_absolute(Assignment& a) { return a.value.empty() ? ok() : check_absolute_path(a.value); }

template <ConditionKind Kind, bool Assert>
Status parse_condition_key(Assignment& a) {
  return parse_condition(Kind, Assert, a.value, a.line, a.unit.conditions);
}

using S = DirectiveStatus;
using R = Reason;
using CK = ConditionKind;
using DK = DependencyKind;

template <CK Kind>
constexpr DirectiveSpec condition(std::string_view name) {
  return {"Unit", name, S::Implemented, R::None, &parse_condition_key<Kind, false>};
}
template <CK Kind>
constexpr DirectiveSpec assertion(std::string_view name) {
  return {"Unit", name, S::Implemented, R::None, &parse_condition_key<Kind, true>};
}
template <DK Kind>
constexpr DirectiveSpec dependency(std::string_view name) {
  return {"Unit", name, acted_on(Kind) ? S::Implemented : S::NoEffect, acted_on(Kind) ? R::None : R::ManagedTogether,
          &parse_dependency<Kind>};
}

constexpr DirectiveSpec kSpecs[] = {
    {"Unit", "Description", S::Implemented, R::None, &parse_description},
    {"Unit", "Documentation", S::Implemented, R::None, &parse_words<&Unit::documentation>},
    {"Unit", "SourcePath", S::NoEffect, R::GeneratorRecord, &check_absolute},
    dependency<DK::Requires>("Requires"),
    dependency<DK::Requisite>("Requisite"),
    dependency<DK::Wants>("Wants"),
    dependency<DK::BindsTo>("BindsTo"),
    dependency<DK::BindsTo>("BindTo"),
    dependency<DK::Upholds>("Upholds"),
    dependency<DK::Conflicts>("Conflicts"),
    dependency<DK::Before>("Before"),
    dependency<DK::After>("After"),
    dependency<DK::OnSuccess>("OnSuccess"),
    dependency<DK::OnFailure>("OnFailure"),
    dependency<DK::PropagatesReloadTo>("PropagatesReloadTo"),
    dependency<DK::PropagatesReloadTo>("PropagateReloadTo"),
    dependency<DK::ReloadPropagatedFrom>("ReloadPropagatedFrom"),
    dependency<DK::ReloadPropagatedFrom>("PropagateReloadFrom"),
    dependency<DK::PropagatesStopTo>("PropagatesStopTo"),
    dependency<DK::StopPropagatedFrom>("StopPropagatedFrom"),
    dependency<DK::PartOf>("PartOf"),
    dependency<DK::JoinsNamespaceOf>("JoinsNamespaceOf"),
    {"Unit", "RequiresOverridable", S::Implemented, R::None, &parse_obsolete_dependency<DK::Requires>},
    {"Unit", "RequisiteOverridable", S::Implemented, R::None, &parse_obsolete_dependency<DK::Requisite>},
    {"Unit", "RequiresMountsFor", S::NoEffect, R::ManagedTogether, &parse_requires_mounts_for},
    {"Unit", "StopWhenUnneeded", S::Implemented, R::None, &parse_boolean<&Unit::stop_when_unneeded, false>},
    {"Unit", "RefuseManualStart", S::Implemented, R::None, &parse_boolean<&Unit::refuse_manual_start, false>},
    {"Unit", "RefuseManualStop", S::Implemented, R::None, &parse_boolean<&Unit::refuse_manual_stop, false>},
    {"Unit", "AllowIsolate", S::NoEffect, R::NoIsolate, &check_boolean},
    {"Unit", "DefaultDependencies", S::Implemented, R::None, &parse_boolean<&Unit::default_dependencies, true>},
    {"Unit", "OnSuccessJobMode", S::NoEffect, R::ManagedTogether, &parse_job_mode<&Unit::on_success_job_mode, kFail>},
    {"Unit", "OnFailureJobMode", S::NoEffect, R::ManagedTogether,
     &parse_job_mode<&Unit::on_failure_job_mode, kReplace>},
    {"Unit", "OnFailureIsolate", S::NoEffect, R::NoIsolate, &check_boolean},
    {"Unit", "IgnoreOnIsolate", S::NoEffect, R::NoIsolate, &check_boolean},
    {"Unit", "JobTimeoutSec", S::NoEffect, R::NoJobQueue, &check_timespan},
    {"Unit", "JobRunningTimeoutSec", S::NoEffect, R::NoJobQueue, &check_timespan},
    {"Unit", "JobTimeoutAction", S::NoEffect, R::NoJobQueue, &check_emergency_action},
    {"Unit", "JobTimeoutRebootArgument", S::NoEffect, R::NoJobQueue, nullptr},
    {"Unit", "StartLimitIntervalSec", S::Implemented, R::None, &parse_start_limit_interval},
    {"Unit", "StartLimitInterval", S::Implemented, R::None, &parse_start_limit_interval},
    {"Unit", "StartLimitBurst", S::Implemented, R::None, &parse_start_limit_burst},
    {"Unit", "StartLimitAction", S::NoEffect, R::NoSystemAction, &check_emergency_action},
    {"Unit", "FailureAction", S::NoEffect, R::NoSystemAction, &check_emergency_action},
    {"Unit", "SuccessAction", S::NoEffect, R::NoSystemAction, &check_emergency_action},
    {"Unit", "FailureActionExitStatus", S::NoEffect, R::SystemActionDetail, &check_exit_status},
    {"Unit", "SuccessActionExitStatus", S::NoEffect, R::SystemActionDetail, &check_exit_status},
    {"Unit", "RebootArgument", S::NoEffect, R::SystemActionDetail, nullptr},
    condition<CK::PathExists>("ConditionPathExists"),
    condition<CK::PathExistsGlob>("ConditionPathExistsGlob"),
    condition<CK::PathIsDirectory>("ConditionPathIsDirectory"),
    condition<CK::PathIsSymbolicLink>("ConditionPathIsSymbolicLink"),
    condition<CK::PathIsMountPoint>("ConditionPathIsMountPoint"),
    condition<CK::PathIsReadWrite>("ConditionPathIsReadWrite"),
    condition<CK::PathIsEncrypted>("ConditionPathIsEncrypted"),
    condition<CK::DirectoryNotEmpty>("ConditionDirectoryNotEmpty"),
    condition<CK::FileNotEmpty>("ConditionFileNotEmpty"),
    condition<CK::FileIsExecutable>("ConditionFileIsExecutable"),
    condition<CK::NeedsUpdate>("ConditionNeedsUpdate"),
    condition<CK::FirstBoot>("ConditionFirstBoot"),
    condition<CK::Architecture>("ConditionArchitecture"),
    condition<CK::Firmware>("ConditionFirmware"),
    condition<CK::Virtualization>("ConditionVirtualization"),
    condition<CK::Host>("ConditionHost"),
    condition<CK::KernelCommandLine>("ConditionKernelCommandLine"),
    condition<CK::KernelVersion>("ConditionKernelVersion"),
    condition<CK::Credential>("ConditionCredential"),
    condition<CK::Security>("ConditionSecurity"),
    condition<CK::Capability>("ConditionCapability"),
    condition<CK::ACPower>("ConditionACPower"),
    condition<CK::Memory>("ConditionMemory"),
    condition<CK::CPUFeature>("ConditionCPUFeature"),
    condition<CK::CPUs>("ConditionCPUs"),
    condition<CK::Environment>("ConditionEnvironment"),
    condition<CK::User>("ConditionUser"),
    condition<CK::Group>("ConditionGroup"),
    condition<CK::ControlGroupController>("ConditionControlGroupController"),
    condition<CK::OSRelease>("ConditionOSRelease"),
    condition<CK::MemoryPressure>("ConditionMemoryPressure"),
    condition<CK::CPUPressure>("ConditionCPUPressure"),
    condition<CK::IOPressure>("ConditionIOPressure"),
    assertion<CK::PathExists>("AssertPathExists"),
    assertion<CK::PathExistsGlob>("AssertPathExistsGlob"),
    assertion<CK::PathIsDirectory>("AssertPathIsDirectory"),
    assertion<CK::PathIsSymbolicLink>("AssertPathIsSymbolicLink"),
    assertion<CK::PathIsMountPoint>("AssertPathIsMountPoint"),
    assertion<CK::PathIsReadWrite>("AssertPathIsReadWrite"),
    assertion<CK::PathIsEncrypted>("AssertPathIsEncrypted"),
    assertion<CK::DirectoryNotEmpty>("AssertDirectoryNotEmpty"),
    assertion<CK::FileNotEmpty>("AssertFileNotEmpty"),
    assertion<CK::FileIsExecutable>("AssertFileIsExecutable"),
    assertion<CK::NeedsUpdate>("AssertNeedsUpdate"),
    assertion<CK::FirstBoot>("AssertFirstBoot"),
    assertion<CK::Architecture>("AssertArchitecture"),
    assertion<CK::Virtualization>("AssertVirtualization"),
    assertion<CK::Host>("AssertHost"),
    assertion<CK::KernelCommandLine>("AssertKernelCommandLine"),
    assertion<CK::KernelVersion>("AssertKernelVersion"),
    assertion<CK::Credential>("AssertCredential"),
    assertion<CK::Security>("AssertSecurity"),
    assertion<CK::Capability>("AssertCapability"),
    assertion<CK::ACPower>("AssertACPower"),
    assertion<CK::Memory>("AssertMemory"),
    assertion<CK::CPUFeature>("AssertCPUFeature"),
    assertion<CK::CPUs>("AssertCPUs"),
    assertion<CK::Environment>("AssertEnvironment"),
    assertion<CK::User>("AssertUser"),
    assertion<CK::Group>("AssertGroup"),
    assertion<CK::ControlGroupController>("AssertControlGroupController"),
    assertion<CK::OSRelease>("AssertOSRelease"),
    assertion<CK::MemoryPressure>("AssertMemoryPressure"),
    assertion<CK::CPUPressure>("AssertCPUPressure"),
    assertion<CK::IOPressure>("AssertIOPressure"),
    {"Unit", "CollectMode", S::NoEffect, R::NoGarbageCollection, &check_collect_mode},
};
UNITRUN_DIRECTIVE_TABLE auto kParsers = parser_table<UNITRUN_PARSER_SLOTS(kSpecs)>(kSpecs);
UNITRUN_DIRECTIVE_TABLE auto kRows = directive_rows(kSpecs, DirectivePart::Unit, kParsers);
constexpr auto kByName = rows_by_name(kSpecs);

}  // namespace

DirectivePartTable unit_section_directives() { return {kRows, kByName, kParsers}; }

}  // namespace unitrun::unit
