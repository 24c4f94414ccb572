// Checks of a parsed unit against the rules between keys and against this
// machine: users and groups exist, programs exist and are executable.
// Does I/O (getpwnam, stat), so it is apart from the pure parser.
#pragma once

#include "unit/diagnostic.h"
#include "unit/unit.h"

namespace unitrun::unit {

enum class ValidateMode {
  Check,  // `unitrun check`: also every Exec* program must exist and be executable
  Start,  // starting: a missing program is reported by the exec itself (LSB 5)
};

Diagnostics validate(const Unit& unit, ValidateMode mode);

// The fixed search path for bare program names; the caller's PATH is never used.
inline constexpr const char* kFixedPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Replaces bare program names by their absolute path in kFixedPath, where found.
void resolve_programs(Unit& unit);

}  // namespace unitrun::unit
