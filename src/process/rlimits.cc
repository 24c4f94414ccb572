#include "process/rlimits.h"

#include <linux/capability.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "base/sys.h"
#include "unit/values.h"

namespace unitrun::process {
namespace {

rlim_t to_rlim(uint64_t v) { return v == UINT64_MAX ? RLIM_INFINITY : static_cast<rlim_t>(v); }
uint64_t from_rlim(rlim_t v) { return v == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(v); }

std::string wanted_text(const PreparedLimit& l) {
  return std::string(values::rlimit_key(l.resource)) + "=" +
         values::format_rlimit({from_rlim(l.wanted.rlim_cur), from_rlim(l.wanted.rlim_max)});
}

}  // namespace

PreparedLimits prepare_limits(const std::optional<ResourceLimit>& nofile, const std::optional<ResourceLimit>& core,
                              const std::vector<std::pair<int, ResourceLimit>>& others) {
  PreparedLimits p;
  auto add = [&p](int resource, const ResourceLimit& l) {
    if (p.count == PreparedLimits::kMax) return;  // one per resource: cannot happen
    PreparedLimit& slot = p.limits[p.count++];
    slot.resource = resource;
    slot.wanted.rlim_cur = to_rlim(l.soft);
    slot.wanted.rlim_max = to_rlim(l.hard);
  };
  if (nofile) add(RLIMIT_NOFILE, *nofile);
  if (core) add(RLIMIT_CORE, *core);
  for (const auto& [resource, l] : others) add(resource, l);
  if (p.count > 0) p.may_raise_hard = may_raise_hard_limits();
  return p;
}

// systemd's setrlimit_closest(), in system calls only.
int apply_limit(const PreparedLimit& limit, LimitOutcome& outcome) {
  outcome.hard_seen.rlim_cur = outcome.hard_seen.rlim_max = RLIM_INFINITY;
  if (::setrlimit(limit.resource, &limit.wanted) == 0) return 0;
  if (errno != EPERM) return errno;
  struct rlimit highest;
  if (::getrlimit(limit.resource, &highest) < 0) return errno;
  outcome.hard_seen = highest;
  // Unbounded already: the refusal had another cause.
  if (highest.rlim_max == RLIM_INFINITY) return EPERM;
  struct rlimit fixed;
  fixed.rlim_cur = std::min(limit.wanted.rlim_cur, highest.rlim_max);
  fixed.rlim_max = std::min(limit.wanted.rlim_max, highest.rlim_max);
  outcome.clamped = true;
  outcome.set = fixed;
  if (fixed.rlim_cur == highest.rlim_cur && fixed.rlim_max == highest.rlim_max) return 0;
  if (::setrlimit(limit.resource, &fixed) < 0) {
    outcome.clamped = false;
    return errno;
  }
  return 0;
}

std::string clamp_warning(const PreparedLimit& limit, const LimitOutcome& outcome, bool may_raise_hard) {
  std::string why = may_raise_hard ? (limit.resource == RLIMIT_NOFILE ? "the kernel refuses it (above fs.nr_open)"
                                                                      : "the kernel refuses it")
                                   : "unitrun cannot raise it (no CAP_SYS_RESOURCE)";
  return wanted_text(limit) + " exceeds the hard limit " +
         values::format_rlimit({from_rlim(outcome.hard_seen.rlim_max), from_rlim(outcome.hard_seen.rlim_max)}) +
         " and " + why + ": set to " +
         values::format_rlimit({from_rlim(outcome.set.rlim_cur), from_rlim(outcome.set.rlim_max)});
}

std::string limit_failure_step(const PreparedLimit& limit, const LimitOutcome& outcome) {
  std::string step = "setrlimit " + wanted_text(limit);
  if (outcome.hard_seen.rlim_max != RLIM_INFINITY || outcome.hard_seen.rlim_cur != RLIM_INFINITY) {
    step += " (hard limit " +
            values::format_rlimit({from_rlim(outcome.hard_seen.rlim_max), from_rlim(outcome.hard_seen.rlim_max)}) + ")";
  } else {
    struct rlimit now;
    if (::getrlimit(limit.resource, &now) == 0)
      step += " (hard limit " + values::format_rlimit({from_rlim(now.rlim_max), from_rlim(now.rlim_max)}) + ")";
  }
  return step;
}

bool may_raise_hard_limits() { return sys::has_effective_capability(CAP_SYS_RESOURCE); }

}  // namespace unitrun::process
