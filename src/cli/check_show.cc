// `unitrun check` and `unitrun show`.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/exit_codes.h"
#include "cli/applicability.h"
#include "cli/commands.h"
#include "export/export.h"
#include "unit/unit_loader.h"
#include "unit/unit_show.h"

namespace unitrun::cli {
namespace {

void print_diagnostics(const unit::LoadResult& r) {
  for (const Diagnostic& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.format(r.display_path).c_str());
}

}  // namespace

int check(const std::vector<std::string>& units) {
  bool all_valid = true;
  for (const std::string& path : units) {
    unit::LoadResult r = unit::load(path, unit::ValidateMode::Check);
    print_diagnostics(r);
    if (has_errors(r.diagnostics)) {
      all_valid = false;
      continue;
    }
    // What this machine cannot give: a warning now rather than a failed
    // start later (never an error: the file is fine, the host lacks it).
    for (const Inapplicable& i : inapplicable(r.unit))
      std::fprintf(stderr, "%s\n", inapplicable_warning(i, r.unit.sandbox.best_effort).format(r.display_path).c_str());
  }
  return all_valid ? exit_code::kSuccess : exit_code::kNotConfigured;
}

int show(const std::string& path, bool json) {
  unit::LoadResult r = unit::load(path, unit::ValidateMode::Start);
  print_diagnostics(r);
  if (has_errors(r.diagnostics)) return exit_code::kNotConfigured;
  std::string text = json ? unit::show_json(r.unit).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                          : unit::show_text(r.unit);
  std::fputs(text.c_str(), stdout);
  return exit_code::kSuccess;
}

int export_unit(const std::string& format, const std::string& path) {
  unit::LoadResult r = unit::load(path, unit::ValidateMode::Start);
  print_diagnostics(r);
  if (has_errors(r.diagnostics)) return exit_code::kNotConfigured;
  // The generated file calls this very binary, by its absolute path.
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::perror("unitrun: /proc/self/exe");
    return exit_code::kFailure;
  }
  std::string unitrun_path(self, static_cast<size_t>(n));
  std::string text = format == "systemd" ? exporter::systemd_service(r.unit, unitrun_path)
                                         : exporter::sysv_script(r.unit, unitrun_path);
  std::fputs(text.c_str(), stdout);
  return exit_code::kSuccess;
}

}  // namespace unitrun::cli
