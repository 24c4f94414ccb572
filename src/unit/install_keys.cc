// The [Install] directives: what `unitrun enable` links (unit/install_plan.h),
// as `systemctl enable` does; WantedBy= is also what `unitrun export
// systemd` writes.
#include "unit/command_line.h"
#include "unit/directives.h"
#include "unit/key_parsers.h"
#include "unit/unit_name.h"

namespace unitrun::unit {
namespace {

bool is_service_name(const std::string& name) {
  return name.size() > 8 && name.compare(name.size() - 8, 8, ".service") == 0;
}

// Unit names, as the dependency keys take them; Alias= names this unit, so
// its names have the unit's own type.
template <std::vector<std::string> Unit::*Field, bool Alias = false>
Status parse_unit_names(Assignment& a) {
  std::vector<std::string>& list = a.unit.*Field;
  if (a.value.empty()) return list.clear(), ok();
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  for (const std::string& w : *words) {
    if (!is_valid_dependency_name(w))
      return Error::plain("invalid unit name '" + w + "' (NAME.service, NAME.target, ...)");
    if (Alias && !is_service_name(w))
      return Error::plain("alias '" + w + "' is not a .service name (an alias has the unit's own type)");
  }
  list.insert(list.end(), words->begin(), words->end());
  return ok();
}

// DefaultInstance=: an instance name (the part between '@' and the suffix).
Status parse_default_instance(Assignment& a) {
  if (!a.value.empty() && !is_valid_dependency_name("x@" + std::string(a.value) + ".service"))
    return Error::plain("invalid instance name '" + std::string(a.value) + "'");
  a.unit.default_instance = std::string(a.value);
  return ok();
}

using S = DirectiveStatus;
using R = Reason;

constexpr DirectiveSpec kSpecs[] = {
    {"Install", "Alias", S::Implemented, R::None, &parse_unit_names<&Unit::alias, true>},
    {"Install", "WantedBy", S::Implemented, R::None, &parse_unit_names<&Unit::wanted_by>},
    {"Install", "RequiredBy", S::Implemented, R::None, &parse_unit_names<&Unit::required_by>},
    {"Install", "Also", S::Implemented, R::None, &parse_unit_names<&Unit::also>},
    {"Install", "DefaultInstance", S::Implemented, R::None, &parse_default_instance},
};
UNITRUN_DIRECTIVE_TABLE auto kParsers = parser_table<UNITRUN_PARSER_SLOTS(kSpecs)>(kSpecs);
UNITRUN_DIRECTIVE_TABLE auto kRows = directive_rows(kSpecs, DirectivePart::Install, kParsers);
constexpr auto kByName = rows_by_name(kSpecs);

}  // namespace

DirectivePartTable install_directives() { return {kRows, kByName, kParsers}; }

}  // namespace unitrun::unit
