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

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/fixed_text.h"
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

// How a part of the registry writes its rows (unit_keys.cc and the rest):
// the section, the key, what unitrun does with it, and the parser.
struct DirectiveSpec {
  std::string_view section;  // "Unit", "Service", "Install"
  std::string_view name;     // "RemainAfterExit"
  DirectiveStatus status;
  Reason reason;
  // Implemented: parses the value into the Unit. No effect: checks the value
  // (nullptr: any value). Refused: nullptr (the value is not looked at).
  KeyParser parse;
};

enum class DirectiveSection : uint8_t { Unit, Service, Install };
// The five parts of the registry, each with its own table of parsers.
enum class DirectivePart : uint8_t { Unit, Service, Exec, Sandbox, Install };

// One row as stored: no pointer in it, so the tables are constant data.
// A row that pointed at its strings and its parser (two string_views and a
// function pointer, 3 relocations) would be written by the loader in every
// unitrun process, each idle monitor included (17 kB of dirty pages); these
// hold their characters in place and name their parser by its index in
// their part's table of distinct parsers (directive_table() below).
class Directive {
 public:
  constexpr Directive() = default;
  constexpr Directive(DirectiveSection section, const char* name, DirectiveStatus status, Reason reason,
                      DirectivePart part, uint16_t parser)
      : name_(name), section_(section), status_(status), reason_(reason), part_(part), parser_(parser) {}

  std::string_view section() const;  // "Unit", "Service", "Install"
  std::string_view name() const { return name_.view(); }
  DirectiveStatus status() const { return status_; }
  Reason reason() const { return reason_; }
  // Implemented: parses the value into the Unit. No effect: checks the value
  // (nullptr: any value). Refused: nullptr (the value is not looked at).
  KeyParser parse() const;
  DirectivePart part() const { return part_; }

 private:
  FixedText<32> name_ = nullptr;
  DirectiveSection section_ = DirectiveSection::Unit;
  DirectiveStatus status_ = DirectiveStatus::Refused;
  Reason reason_ = Reason::None;
  DirectivePart part_ = DirectivePart::Unit;
  uint16_t parser_ = 0;  // 0: none; k: the part's parsers()[k - 1]
};

// A part's rows and its distinct parsers, built at compile time from its
// specs (whose pointers are never stored: the specs are used only here):
//   constexpr DirectiveSpec kSpecs[] = {...};
//   UNITRUN_DIRECTIVE_TABLE auto kParsers = parser_table<UNITRUN_PARSER_SLOTS(kSpecs)>(kSpecs);
//   UNITRUN_DIRECTIVE_TABLE auto kRows = directive_rows(kSpecs, DirectivePart::Unit, kParsers);
//   constexpr auto kByName = rows_by_name(kSpecs);
// kRows and kByName are constant data; kParsers is the only relocated part.
//
// GCC cannot compare function addresses in a constant expression where it
// keeps null pointer checks (-fsanitize=null, which the sanitizer build
// has: "f<1> == 0 is not a constant expression"). There the parsers and
// rows are made at static initialisation, one parser slot per row; the
// tables hold the same rows either way.
#ifdef UNITRUN_SANITIZE_BUILD
#define UNITRUN_DIRECTIVE_TABLE const
#define UNITRUN_PARSER_SLOTS(specs) std::size(specs)
#else
#define UNITRUN_DIRECTIVE_TABLE constexpr
#define UNITRUN_PARSER_SLOTS(specs) distinct_parsers(specs)
#endif
template <size_t N>
constexpr size_t distinct_parsers(const DirectiveSpec (&specs)[N]) {
  size_t n = 0;
  for (size_t k = 0; k < N; ++k) {
    bool seen = specs[k].parse == nullptr;
    for (size_t j = 0; j < k && !seen; ++j) seen = specs[j].parse == specs[k].parse;
    n += !seen;
  }
  return n;
}

constexpr DirectiveSection directive_section(std::string_view section) {
  if (section == "Unit") return DirectiveSection::Unit;
  if (section == "Service") return DirectiveSection::Service;
  if (section == "Install") return DirectiveSection::Install;
  throw "directive_section: not a section of the registry";
}

// (A function, not a class whose constructor fills the array: GCC places
// such an object in .data, writable, where a function's result is .rodata.)
template <size_t N, size_t M>
constexpr std::array<Directive, N> directive_rows(const DirectiveSpec (&specs)[N], DirectivePart part,
                                                  const std::array<KeyParser, M>& parsers) {
  std::array<Directive, N> rows;
  for (size_t k = 0; k < N; ++k) {
    uint16_t index = 0;
    for (size_t j = 0; j < M && specs[k].parse; ++j)
      if (parsers[j] == specs[k].parse) index = static_cast<uint16_t>(j + 1);
    char name[32] = {};
    for (size_t c = 0; c < specs[k].name.size(); ++c) {
      if (c + 1 >= sizeof name) throw "directive_rows: the key does not fit";
      name[c] = specs[k].name[c];
    }
    rows[k] = Directive(directive_section(specs[k].section), name, specs[k].status, specs[k].reason, part, index);
  }
  return rows;
}

// The rows' places in their table, ordered by (name, section): the index
// that find_directive() searches, made at compile time, so that no process
// builds one on its heap (an idle monitor would keep it).
template <size_t N>
constexpr std::array<uint16_t, N> rows_by_name(const DirectiveSpec (&specs)[N]) {
  std::array<uint16_t, N> order{};
  for (size_t k = 0; k < N; ++k) order[k] = static_cast<uint16_t>(k);
  std::sort(order.begin(), order.end(), [&](uint16_t a, uint16_t b) {
    return specs[a].name < specs[b].name || (specs[a].name == specs[b].name && specs[a].section < specs[b].section);
  });
  return order;
}

template <size_t M, size_t N>
constexpr std::array<KeyParser, M> parser_table(const DirectiveSpec (&specs)[N]) {
  std::array<KeyParser, M> parsers{};
  size_t n = 0;
  for (size_t k = 0; k < N; ++k) {
    bool seen = specs[k].parse == nullptr;
    for (size_t j = 0; j < n && !seen; ++j) seen = parsers[j] == specs[k].parse;
    if (!seen) parsers[n++] = specs[k].parse;
  }
  return parsers;
}

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

// Each part of the registry (for directives.cc): its rows, in the order
// written; their places ordered by (name, section); the distinct parsers
// the rows name by index.
struct DirectivePartTable {
  std::span<const Directive> rows;
  std::span<const uint16_t> by_name;
  std::span<const KeyParser> parsers;
};
DirectivePartTable unit_section_directives();
DirectivePartTable service_directives();
DirectivePartTable exec_directives();
DirectivePartTable sandbox_directives();
DirectivePartTable install_directives();

}  // namespace unitrun::unit
