#include "cli/applicability.h"

#include "process/cgroup.h"
#include "process/credentials.h"
#include "process/sandbox.h"
#include "unit/unit_show.h"

namespace unitrun::cli {

std::vector<Inapplicable> inapplicable(const Unit& unit) {
  std::vector<std::string> problems;
  // The identity decides some answers (PrivateUsers=, capabilities as
  // another user); a user that does not exist is check's error already.
  std::optional<process::Credentials> credentials;
  if (auto id = process::resolve_identity(unit, false)) credentials = id->credentials;
  problems = process::check_sandbox(unit.sandbox, credentials);

  CgroupLimits limits = unit.resource_control;
  if (limits.asks_for_control()) {
    limits.private_devices = unit.sandbox.private_devices;
    limits.protect_clock = unit.sandbox.protect_clock;
    process::CgroupSupport support = process::detect_cgroups();
    for (std::string& p : process::check_limits(support, limits)) problems.push_back(std::move(p));
  }

  auto properties = unit::properties(unit);
  std::vector<Inapplicable> out;
  for (const std::string& p : problems) {
    Inapplicable i;
    size_t eq = p.find("=:");
    if (eq == std::string::npos) {
      i.reason = p;
    } else {
      i.key = p.substr(0, eq);
      i.reason = p.substr(eq + 3);
      if (auto it = unit.key_lines.find("Service." + i.key); it != unit.key_lines.end()) i.line = it->second;
      for (const auto& [k, v] : properties)
        if (k == i.key) i.value = v;
    }
    out.push_back(std::move(i));
  }
  return out;
}

Diagnostic inapplicable_warning(const Inapplicable& i, bool best_effort) {
  std::string what = i.key.empty() ? "a setting" : i.key + "=" + i.value;
  std::string consequence = best_effort ? "X-Unitrun-Sandbox=best-effort: the service runs without it"
                                        : "start will fail; X-Unitrun-Sandbox=best-effort runs without it";
  return Diagnostic{Diagnostic::Severity::Warning, i.line,
                    what + " cannot be applied here: " + i.reason + " (" + consequence + ")"};
}

}  // namespace unitrun::cli
