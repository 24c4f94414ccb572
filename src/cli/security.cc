// `unitrun security`: the unit's exposure, scored as `systemd-analyze
// security` scores it (process/exposure.h), with a note where unitrun
// differs from systemd.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/exit_codes.h"
#include "cli/applicability.h"
#include "cli/commands.h"
#include "cli/targets.h"
#include "cli/terminal.h"
#include "process/exposure.h"
#include "process/sandbox.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {
namespace {

// systemd's test: $SYSTEMD_UTF8, else the locale's character set (read by
// the terminal module without switching this process's locale, which would
// change how unit files are parsed).
bool utf8_output() {
  if (const char* e = std::getenv("SYSTEMD_UTF8")) return std::strcmp(e, "0") != 0 && std::strcmp(e, "no") != 0;
  return terminal::utf8();
}

// Where unitrun's answer differs from what systemd would run: one line.
std::string differences(const Unit& unit, const std::vector<Inapplicable>& here, bool has_errors) {
  std::string line = "Note: unitrun does not implement DynamicUser= (units setting it are refused)";
  if (!here.empty()) {
    line += "; cannot apply here:";
    for (const Inapplicable& i : here) line += " " + (i.key.empty() ? std::string("?") : i.key + "=");
    line += unit.sandbox.best_effort ? " (X-Unitrun-Sandbox=best-effort: runs without)" : " (start fails)";
  }
  if (has_errors) line += "; this unit has errors (above): unitrun refuses to start it";
  return line + ".";
}

}  // namespace

int security(const std::vector<std::string>& units, bool json, unsigned threshold) {
  bool utf8 = utf8_output();
  int code = exit_code::kSuccess;
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  for (const Target& t : resolve_targets(units, path, GlobScope::Startable, notes)) {
    if (!t.error.empty()) {
      std::fprintf(stderr, "%s\n", t.error.c_str());
      code = std::max(code, t.code);
      continue;
    }
    unit::LoadResult r = unit::load(t.file, unit::ValidateMode::Start);
    for (const Diagnostic& d : r.diagnostics)
      if (d.severity != Diagnostic::Severity::Note) std::fprintf(stderr, "%s\n", d.format(r.display_path).c_str());
    if (r.not_found || !r.readable) {
      code = std::max(code, r.not_found ? exit_code::kNotInstalled : exit_code::kNotConfigured);
      continue;
    }
    bool errors = has_errors(r.diagnostics);
    auto effective = process::effective_sandbox(r.unit.sandbox);
    if (!effective) {
      std::fprintf(stderr, "%s: %s\n", r.display_path.c_str(), effective.error().message().c_str());
      code = std::max(code, exit_code::kNotConfigured);
      continue;
    }
    process::exposure::Assessment a =
        process::exposure::assess(process::exposure::security_info(r.unit, *effective), &process::native_syscall, utf8);
    if (json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const process::exposure::Check& c : a.checks) {
        nlohmann::json row{{"name", c.name}, {"description", c.description}, {"weight", c.weight}};
        row["exposure"] = c.exposure ? nlohmann::json(static_cast<double>(*c.exposure) / 10) : nlohmann::json();
        row["passed"] = c.badness ? nlohmann::json(c.passed()) : nlohmann::json();
        rows.push_back(std::move(row));
      }
      std::printf("%s\n", rows.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::string name = r.unit.name.find('.') == std::string::npos ? r.unit.name + ".service" : r.unit.name;
      std::fputs(
          process::exposure::format(a, name, utf8, {"", differences(r.unit, inapplicable(r.unit), errors)}).c_str(),
          stdout);
    }
    // The worst outcome wins, as for every verb of several units.
    if (errors)
      code = std::max(code, exit_code::kNotConfigured);
    else if (a.exposure > threshold)
      code = std::max(code, exit_code::kFailure);
  }
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
  return code;
}

}  // namespace unitrun::cli
