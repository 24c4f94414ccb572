// The identity a service runs as: resolved from User=, Group= and
// SupplementaryGroups= before fork, so the child only has to apply it.
#pragma once

#include <string>

#include "base/result.h"
#include "process/spawn.h"
#include "unit/unit.h"

namespace unitrun::process {

struct Identity {
  std::string user_name, home, shell;
  std::optional<Credentials> credentials;  // nullopt: unitrun's own identity, unchanged
};

// Strict: a name that does not exist or an ID that does not parse is an
// error, never a fallback to root (CVE-2017-1000082).
Result<Identity> resolve_identity(const Unit& unit);

}  // namespace unitrun::process
