// What a key's parser sees, and the parsers many keys share. Internal to
// the unit module: the registry (directives.h) points at these functions,
// unit_parser.cc calls them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fixed_text.h"
#include "base/result.h"
#include "unit/diagnostic.h"
#include "unit/unit.h"
#include "unit/unit_parser.h"
#include "unit/values.h"

namespace unitrun::unit {

// One assignment: the value with its specifiers expanded. A parser returns
// an error for a bad value (reported as "path:line: Key=: message", and the
// unit keeps what it had); an empty value resets the key to its default.
struct Assignment {
  Unit& unit;
  std::string_view key;    // "RemainAfterExit"
  std::string_view value;  // specifiers expanded
  int line;
  const ParseContext& context;
  Diagnostics& diagnostics;

  // A warning on this line ("path:line: warning: message"); the value is
  // still taken.
  void warn(std::string message) const;
  // A value that is refused although the key is known: "Key=value is
  // refused: why".
  Error refused(std::string_view why) const;
};

using KeyParser = Status (*)(Assignment&);

template <typename T>
Status assign(Result<T> parsed, T& into) {
  if (!parsed) return parsed.error();
  into = std::move(*parsed);
  return ok();
}

template <bool Unit::*Field, bool Default>
Status parse_boolean(Assignment& a) {
  if (a.value.empty()) return a.unit.*Field = Default, ok();
  return assign(values::parse_bool(a.value), a.unit.*Field);
}

template <Usec Unit::*Field, Usec Default>
Status parse_timespan(Assignment& a) {
  if (a.value.empty()) return a.unit.*Field = Default, ok();
  return assign(values::parse_timespan(a.value), a.unit.*Field);
}

template <int Unit::*Field, int Default>
Status parse_signal(Assignment& a) {
  if (a.value.empty()) return a.unit.*Field = Default, ok();
  return assign(values::parse_signal(a.value), a.unit.*Field);
}

template <std::string Unit::*Field>
Status parse_string(Assignment& a) {
  a.unit.*Field = std::string(a.value);
  return ok();
}

template <ExitStatusSet Unit::*Field>
Status parse_exit_statuses(Assignment& a) {
  if (a.value.empty()) return a.unit.*Field = ExitStatusSet{}, ok();
  return values::parse_exit_status_list(a.value, a.unit.*Field);
}

// A list of words (quoting and escapes apply); accumulates, empty resets.
Status append_words(Assignment& a, std::vector<std::string>& list);
template <std::vector<std::string> Unit::*Field>
Status parse_words(Assignment& a) {
  return append_words(a, a.unit.*Field);
}

// An enumeration: the empty value gives `fallback`; anything else must be
// one of `names`. The name is held in place (base/fixed_text.h): a table
// of string_views would be relocated, so dirty, in every unitrun process.
template <typename E>
struct EnumName {
  FixedText<24> text;
  E value;
  std::string_view name() const { return text.view(); }
};
Error invalid_choice(std::string_view value, const std::vector<std::string_view>& names, std::string_view hint = {});
template <typename E, size_t N>
Status choose(Assignment& a, E& into, E fallback, const EnumName<E> (&names)[N], std::string_view hint = {}) {
  if (a.value.empty()) return into = fallback, ok();
  for (const EnumName<E>& n : names)
    if (a.value == n.name()) return into = n.value, ok();
  std::vector<std::string_view> allowed;
  for (const EnumName<E>& n : names) allowed.push_back(n.name());
  return invalid_choice(a.value, allowed, hint);
}

// Exec*= command lines (all Exec keys, ExecCondition= included): relative
// programs resolve against the unit's directory.
Status append_commands(Assignment& a, std::vector<Command>& list);
template <std::vector<Command> Unit::*Field>
Status parse_commands(Assignment& a) {
  return append_commands(a, a.unit.*Field);
}

// Checks of values that are accepted without effect: the value must still be
// one systemd accepts.
Status check_boolean(Assignment& a);
Status check_timespan(Assignment& a);
Status check_unsigned(Assignment& a);
// A path must be absolute (after specifiers), as systemd wants it.
Status check_absolute_path(std::string_view path);

// Shared by [Unit] and [Service] (systemd still takes StartLimitBurst= and
// StartLimitInterval= in [Service], for compatibility).
Status parse_start_limit_burst(Assignment& a);
Status parse_start_limit_interval(Assignment& a);
Status check_emergency_action(Assignment& a);  // SuccessAction=, FailureAction=, StartLimitAction=, JobTimeoutAction=

}  // namespace unitrun::unit
