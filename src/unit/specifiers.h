// Specifier expansion (systemd.unit(5), "SPECIFIERS"): %n, %i, %H, ... in a
// value, replaced before the value is parsed. Pure: every value comes from
// the unit's name and the ParseContext.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "unit/unit_name.h"
#include "unit/unit_parser.h"

namespace unitrun::unit {

// An expanded value may hold at most 1 MiB, like a line; and the expansions
// of one file may add at most 8 MiB to it in all. A unit of "%n%n%n..."
// cost `check` hundreds of MiB before there was a limit.
inline constexpr size_t kMaxExpandedValueBytes = 1024 * 1024;
inline constexpr size_t kMaxExpansionGrowthBytes = 8 * 1024 * 1024;

class SpecifierExpander {
 public:
  SpecifierExpander(const UnitName& name, const ParseContext& context, std::string fragment_path,
                    std::string credentials_directory);

  // Returns `value` itself when it has no '%' (most values), else the
  // expansion, built in `out`. Errors: an unknown specifier, a '%' at the
  // end, a fact this machine does not have (%m without /etc/machine-id),
  // and the size limits above.
  Result<std::string_view> expand(std::string_view value, std::string& out);

  // The letters of every specifier, for documentation and tests.
  static std::string_view letters();

 private:
  Result<std::string_view> value_of(char letter);

  const UnitName& name_;
  const ParseContext& context_;
  std::string fragment_path_, fragment_directory_, credentials_directory_;
  std::string scratch_;  // for values computed on demand (%I, %f, %l, ...)
  size_t growth_left_ = kMaxExpansionGrowthBytes;
};

}  // namespace unitrun::unit
