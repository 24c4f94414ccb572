// The identity a service runs as: resolved from User=, Group= and
// SupplementaryGroups= before fork, so the child only has to apply it.
#pragma once

#include <string>

#include "base/result.h"
#include "process/spawn.h"
#include "unit/unit.h"

namespace unitrun::process {

struct Identity {
  // As the user database has them; a home or shell it does not give is
  // empty (as are all three when nobody asked for them: resolve_identity()).
  std::string user_name, home, shell;
  std::optional<Credentials> credentials;  // nullopt: unitrun's own identity, unchanged
};

// Strict: a name that does not exist or an ID that does not parse is an
// error, never a fallback to root (CVE-2017-1000082). Without User=,
// Group= and SupplementaryGroups= nothing is changed, and the user
// database is read only when `own_names` asks for unitrun's own user's
// name, home and shell.
Result<Identity> resolve_identity(const Unit& unit, bool own_names = true);

}  // namespace unitrun::process
