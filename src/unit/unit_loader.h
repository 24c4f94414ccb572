// Reading a unit file from disk: refuses what is not a regular file or is too
// large (a FIFO or /dev/zero never hangs it), builds the parse context for the
// user running unitrun, parses, resolves programs and validates.
#pragma once

#include <string>

#include "unit/diagnostic.h"
#include "unit/unit.h"
#include "unit/unit_parser.h"
#include "unit/unit_validate.h"

namespace unitrun::unit {

inline constexpr size_t kMaxUnitFileBytes = 16 * 1024 * 1024;

struct LoadResult {
  Unit unit;
  Diagnostics diagnostics;
  bool readable = false;     // false: the file could not be read at all (LSB status 4)
  std::string display_path;  // the path as the user gave it, for messages
};

LoadResult load(const std::string& path, ValidateMode mode);

// The specifier values and default directories for the user running unitrun:
// /run and /var/log/unitrun as root, $XDG_RUNTIME_DIR and $XDG_STATE_HOME
// otherwise.
ParseContext context_for_current_user(const std::string& absolute_path);

// Absolute, lexically normalised form of a path given on the command line.
std::string absolute_path(const std::string& path);

}  // namespace unitrun::unit
