// What of a unit's protections and limits this machine cannot give, told
// before a start (`check` warns, `security` notes it): the sandbox's own
// probe (process::check_sandbox) and the cgroup controllers
// (process::check_limits). A start of such a unit fails with the same
// reason, unless it says X-Unitrun-Sandbox=best-effort.
#pragma once

#include <string>
#include <vector>

#include "unit/diagnostic.h"
#include "unit/unit.h"

namespace unitrun::cli {

struct Inapplicable {
  std::string key;     // "IOWeight"
  std::string value;   // "50" (as `show` renders it), "" when unknown
  int line = 0;        // where the key was last assigned, 0 when unknown
  std::string reason;  // "the v1 blkio controller here has no weight file (...)"
};

std::vector<Inapplicable> inapplicable(const Unit& unit);

// "IOWeight=50 cannot be applied here: REASON (start will fail; ...)" as a
// warning at the key's line.
Diagnostic inapplicable_warning(const Inapplicable& i, bool best_effort);

}  // namespace unitrun::cli
