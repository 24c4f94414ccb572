// Limit*=: the resource limits a service gets, set the way systemd sets them
// (setrlimit_closest()): when the kernel refuses a value (EPERM: above the
// hard limit without CAP_SYS_RESOURCE, or LimitNOFILE= above fs.nr_open),
// both the soft and the hard limit are clamped to the current hard limit,
// and the service starts with the closest value it may have. The clamp is
// reported, never silent.
//
// Everything is prepared before the clone (prepare_limits()); the child only
// calls apply_limit(), which makes system calls and writes its outcome into
// memory the parent reads when clone() returns (spawn.cc).
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unit/unit.h"

namespace unitrun::process {

struct PreparedLimit {
  int resource = -1;
  struct rlimit wanted {};
};

// What the child did with one limit.
struct LimitOutcome {
  bool clamped = false;     // set to the closest value, not the wanted one
  struct rlimit hard_seen;  // the limits in force when the wanted value was refused
  struct rlimit set;        // what was set after the clamp
};

// Every Limit*= of a spawn, in a fixed array: the child must not allocate.
struct PreparedLimits {
  static constexpr size_t kMax = RLIM_NLIMITS;
  std::array<PreparedLimit, kMax> limits{};
  size_t count = 0;
  bool may_raise_hard = false;  // CAP_SYS_RESOURCE is effective in the parent (for the message only)
};

// NOFILE first, then CORE, then the others in the order given.
PreparedLimits prepare_limits(const std::optional<ResourceLimit>& nofile, const std::optional<ResourceLimit>& core,
                              const std::vector<std::pair<int, ResourceLimit>>& others);

// In the child: setrlimit(), and on EPERM systemd's closest value. Returns 0
// or the errno of the failure (outcome.hard_seen then holds the limits in
// force, when they could be read). System calls only.
int apply_limit(const PreparedLimit& limit, LimitOutcome& outcome);

// For the parent, after the child ran: the warning of a clamp,
// "LimitNOFILE=65535 exceeds the hard limit 20000 and unitrun cannot raise
// it (no CAP_SYS_RESOURCE): set to 20000".
std::string clamp_warning(const PreparedLimit& limit, const LimitOutcome& outcome, bool may_raise_hard);
// The failing step of a limit that could not be set at all:
// "setrlimit LimitNOFILE=65535 (hard limit 20000)".
std::string limit_failure_step(const PreparedLimit& limit, const LimitOutcome& outcome);

// CAP_SYS_RESOURCE is in this process's effective set.
bool may_raise_hard_limits();

}  // namespace unitrun::process
