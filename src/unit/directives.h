// The registry: every directive systemd 252 knows in [Unit], [Service] and
// [Install] (`systemd --dump-configuration-items`; the exec, kill and
// resource-control keys are [Service] keys there), each with what unitrun
// does with it:
//
//   implemented   parsed into the Unit and honoured;
//   no effect     accepted (its value still checked where systemd checks it),
//                 with the reason: `check` says it in a note, `show` lists it;
//   refused       an error, with the reason: unitrun will not run a unit
//                 whose settings it cannot honour when that would weaken it
//                 (sandboxing, resource limits) or change what it does.
//
// The rows live beside the functions that parse them (unit_keys.cc,
// service_keys.cc, exec_keys.cc, install_keys.cc) and, for sandboxing and
// resource control, in sandbox_keys.cc; docs/unit-format.md and
// docs/unitrun.unit.5 are generated from, or tested against, this registry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace unitrun::unit {

struct Assignment;  // key_parsers.h
using KeyParser = Status (*)(Assignment&);

enum class DirectiveStatus : uint8_t { Implemented, NoEffect, Refused };

// Why a directive has no effect here, or is refused: one sentence per
// group (reason_text()).
enum class Reason : uint8_t {
  None,  // implemented
  // Accepted without effect.
  ManagedTogether,
  NoJobQueue,
  NoIsolate,
  NoGarbageCollection,
  GeneratorRecord,
  NoSystemAction,
  SystemActionDetail,
  Accounting,
  SocketActivationOption,
  FileDescriptorStore,
  JournaldSetting,
  NoUtmp,
  NoCleanOperation,
  NoOomDetection,
  NoStartupPhase,
  NoControllerTree,
  NoOomd,
  MacLabelIgnorable,
  // Refused.
  Sandboxing,
  ResourceControl,
  ImageMount,
  DynamicUser,
  BpfFilter,
  NamespacePath,
  MacLabel,
  SocketActivation,
  PamSession,
  EncryptedCredential,
};

struct Directive {
  std::string_view section;  // "Unit", "Service", "Install"
  std::string_view name;     // "RemainAfterExit"
  DirectiveStatus status;
  Reason reason;
  // Implemented: parses the value into the Unit. No effect: checks the value
  // (nullptr: any value). Refused: nullptr (the value is not looked at).
  KeyParser parse;
};

// Every row, [Unit] first, then [Service], then [Install].
std::span<const Directive> directives();
// The row of that key in its section's table (static storage; directives()
// holds copies of these rows), nullptr when unknown.
const Directive* find_directive(std::string_view section, std::string_view name);
// How many rows there are, and a row's place among them (0 .. count-1, the
// same for the same row in every call): to index per-row data by. Neither
// builds directives()'s copy of the rows.
size_t directive_count();
size_t directive_ordinal(const Directive& row);

std::string_view reason_text(Reason reason);

// Checks one line of a list-valued sandbox key (CapabilityBoundingSet=,
// SystemCallFilter=, RestrictAddressFamilies=, ...) against the names only
// the process module knows (libcap's, libseccomp's); nullopt when fine.
// Registered once by the program (cli/main.cpp: process::check_sandbox_line),
// so that unit files are checked when they are read without this module
// depending on that one. Unset (in the unit tests), lines are taken as
// written and checked at start.
using SandboxLineChecker = std::optional<std::string> (*)(const std::string& key, const std::string& value);
void set_sandbox_line_checker(SandboxLineChecker checker);
const char* to_string(DirectiveStatus status);

// The rows of each part of the registry (for directives.cc).
std::span<const Directive> unit_section_directives();
std::span<const Directive> service_directives();
std::span<const Directive> exec_directives();
std::span<const Directive> install_directives();
std::span<const Directive> sandbox_directives();

}  // namespace unitrun::unit
