// Reading a unit from disk: finds it (a name in the unit path, or a path:
// unit_lookup.h), reads its file and drop-ins (refusing what is not a
// regular file or is too large: a FIFO or /dev/zero never hangs it), builds
// the parse context for the user running unitrun, parses, resolves programs
// and validates. Or the same from texts read before (a running unit's
// snapshot).
#pragma once

#include <string>

#include "unit/diagnostic.h"
#include "unit/unit.h"
#include "unit/unit_lookup.h"
#include "unit/unit_parser.h"
#include "unit/unit_sources.h"
#include "unit/unit_validate.h"

namespace unitrun::unit {

struct LoadResult {
  Unit unit;
  Diagnostics diagnostics;
  bool readable = false;     // false: the file could not be read at all (LSB status 4)
  bool not_found = false;    // a name the unit path has no file for (LSB 5)
  bool masked = false;       // the name's file is empty or /dev/null: it cannot be started
  std::string display_path;  // the path as the user gave it (the unit file, for a name), for messages
  UnitFile file;             // where it was found
  UnitSources sources;       // what was read (readable only)
};

// A unit that unit_lookup found (or did not).
LoadResult load(const UnitFile& file, ValidateMode mode);
// A name or a path, looked up in the current user's unit path.
LoadResult load(const std::string& spelling, ValidateMode mode);
// A unit from texts read before, parsed as if read from their paths now:
// a running unit's snapshot. `file` says where the unit was found then.
LoadResult load_sources(const UnitSources& sources, const UnitFile& file, ValidateMode mode);

// The specifier values and default directories for the user running unitrun:
// /run and /var/log/unitrun as root, $XDG_RUNTIME_DIR and $XDG_STATE_HOME
// otherwise (user_dirs.h). Without `specifiers` (no text of the unit holds
// a '%'), the values only specifiers use that cost a look at the user and
// group databases are left at their defaults.
ParseContext context_for_current_user(const std::string& absolute_path, bool specifiers = true);

// Absolute, lexically normalised form of a path given on the command line.
std::string absolute_path(const std::string& path);

// "unit 'web' not found in the unit path (/etc/unitrun:...)": what a name
// that has no file gets, with the path it was looked up in.
std::string not_found_message(const UnitFile& file, const UnitPath& path);

}  // namespace unitrun::unit
