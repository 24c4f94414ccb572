// Condition*= and Assert*= (systemd.unit(5), "Conditions and Asserts"):
// parsing their values, and evaluating them against this machine, the way
// systemd does without needing systemd: stat(), /proc, /sys, uname(),
// capabilities, the environment of unitrun itself (which plays systemd's
// part: ConditionUser= is about the user unitrun runs as, not User=).
//
// Semantics: every condition without '|' must pass, and when there are
// conditions with '|' (triggering), at least one of them must pass. '!'
// inverts a single check. A failed Condition*= skips the start (nothing
// runs, the start succeeds); a failed Assert*= fails it. Conditions are
// checked first; asserts only when the conditions passed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "unit/unit.h"

namespace unitrun::unit {

// Parses one value ("|!/etc/x"): the prefixes, then the value's own syntax
// where systemd checks it when loading (absolute paths, comparison
// expressions, known names). Appends to `into`; an empty value removes every
// condition (is_assert: every assert) before it, as in systemd.
Status parse_condition(ConditionKind kind, bool is_assert, std::string_view value, int line,
                       std::vector<Condition>& into);

// Whether an Assert*= form of the kind exists in systemd 252 (there is no
// AssertFirmware=).
bool has_assert_form(ConditionKind kind);

// The key as written: "ConditionPathExists", "AssertUser".
std::string condition_key(const Condition& c);
// The value as written, prefixes included: "|!/etc/x".
std::string condition_text(const Condition& c);

// One check against this machine, '!' applied: true when it passes.
bool check(const Condition& condition);

struct ConditionVerdict {
  enum class Outcome {
    Pass,             // start
    ConditionFailed,  // skip the start: nothing runs, and it is no failure
    AssertFailed,     // fail the start
  };
  Outcome outcome = Outcome::Pass;
  // The checks that decided it: the failing non-triggering one, or every
  // triggering one when none of them passed.
  std::vector<Condition> failed;
  // "ConditionPathExists=/etc/x (line 4) was not met"; empty when it passed.
  std::string message;
};

// Evaluates the unit's conditions, then (if they passed) its asserts.
ConditionVerdict evaluate_conditions(const Unit& unit);

// What the checks read, named for messages and tests: systemd's architecture
// name of this machine ("x86-64"), and its virtualization ("none", "kvm",
// "docker", ...), found from /proc, /sys and CPUID alone.
std::string architecture_name();
std::string detect_virtualization();
bool is_container(std::string_view virtualization);

}  // namespace unitrun::unit
