// `unitrun check`, `show`, `cat` and `export`: what a unit file says.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/exit_codes.h"
#include "cli/applicability.h"
#include "cli/commands.h"
#include "cli/targets.h"
#include "cli/unit_source.h"
#include "export/export.h"
#include "unit/unit_loader.h"
#include "unit/unit_show.h"

namespace unitrun::cli {
namespace {

// What `cat` prints of a unit's file and drop-ins, systemctl cat's way:
// each file under a "# PATH" line, a blank line between files.
void print_sources(const unit::UnitFile& file, const unit::UnitSources& sources) {
  for (size_t i = 0; i < sources.files.size(); ++i) {
    const unit::SourceFile& f = sources.files[i];
    std::printf("%s# %s\n", i > 0 ? "\n" : "", f.path.c_str());
    // The name's file in the first directory wins; say which it hides.
    if (i == 0)
      for (const std::string& hidden : file.shadowed) std::printf("# (hides %s)\n", hidden.c_str());
    std::fwrite(f.text.data(), 1, f.text.size(), stdout);
    if (!f.text.empty() && f.text.back() != '\n') std::printf("\n");
  }
  for (const std::string& u : sources.unreadable) std::fprintf(stderr, "unitrun: drop-in skipped: %s\n", u.c_str());
}

// One word of check, show, export or cat that must name exactly one unit
// (no glob): nullopt and the exit code when it names none.
std::optional<unit::UnitFile> one_unit(const std::string& word, const unit::UnitPath& path, int& code) {
  auto file = unit::find_unit(word, path);
  if (!file) {
    std::fprintf(stderr, "unitrun: %s\n", file.error().message().c_str());
    code = exit_code::kBadArguments;
    return std::nullopt;
  }
  return *file;
}

}  // namespace

int check(const std::vector<std::string>& units) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<int> codes;
  for (const Target& t : resolve_targets(units, path, GlobScope::Startable, notes)) {
    if (!t.error.empty()) {
      std::fprintf(stderr, "%s\n", t.error.c_str());
      codes.push_back(t.code);
      continue;
    }
    unit::LoadResult r = unit::load(t.file, unit::ValidateMode::Check);
    print_diagnostics(r);
    if (r.not_found || has_errors(r.diagnostics)) {
      codes.push_back(r.not_found ? exit_code::kNotInstalled : exit_code::kNotConfigured);
      continue;
    }
    codes.push_back(exit_code::kSuccess);
    // What this machine cannot give: a warning now rather than a failed
    // start later (never an error: the file is fine, the host lacks it).
    for (const Inapplicable& i : inapplicable(r.unit))
      std::fprintf(stderr, "%s\n", inapplicable_warning(i, r.unit.sandbox.best_effort).format(r.display_path).c_str());
  }
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
  return worst_exit_code(codes);
}

int cat(const std::vector<std::string>& units) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<int> codes;
  bool first = true;
  for (const Target& t : resolve_targets(units, path, GlobScope::Startable, notes)) {
    if (!t.error.empty()) {
      std::fprintf(stderr, "%s\n", t.error.c_str());
      codes.push_back(t.code);
      continue;
    }
    if (!t.file.found) {
      std::fprintf(stderr, "unitrun: %s\n",
                   t.file.by_name ? unit::not_found_message(t.file, path).c_str()
                                  : ("no such unit file: " + t.file.fragment).c_str());
      codes.push_back(t.file.by_name ? exit_code::kNotInstalled : exit_code::kFailure);
      continue;
    }
    if (!first) std::printf("\n");
    first = false;
    if (t.file.masked) {
      std::printf("# %s\n# Unit %s is masked.\n", t.file.fragment.c_str(), t.file.name.c_str());
      codes.push_back(exit_code::kSuccess);
      continue;
    }
    auto sources = unit::read_sources(t.file);
    if (!sources) {
      std::fprintf(stderr, "unitrun: %s: %s\n", t.file.fragment.c_str(), sources.error().message().c_str());
      codes.push_back(exit_code::kFailure);
      continue;
    }
    print_sources(t.file, *sources);
    // As systemctl cat warns when the manager's idea of the unit is older:
    // what runs was started from other texts.
    LoadedUnit running = load_unit(t.file, UnitSource::Running);
    warn_if_changed(running);
    codes.push_back(exit_code::kSuccess);
  }
  std::fflush(stdout);
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
  return worst_exit_code(codes);
}

int show(const std::string& word, bool json) {
  int code = 0;
  auto file = one_unit(word, unit::unit_path_for_current_user(), code);
  if (!file) return code;
  unit::LoadResult r = unit::load(*file, unit::ValidateMode::Start);
  print_diagnostics(r);
  if (r.not_found) return exit_code::kNotInstalled;
  if (has_errors(r.diagnostics)) return exit_code::kNotConfigured;
  std::string text = json ? unit::show_json(r.unit).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                          : unit::show_text(r.unit);
  std::fputs(text.c_str(), stdout);
  return exit_code::kSuccess;
}

int export_unit(const std::string& format, const std::string& word) {
  int code = 0;
  auto file = one_unit(word, unit::unit_path_for_current_user(), code);
  if (!file) return code;
  unit::LoadResult r = unit::load(*file, unit::ValidateMode::Start);
  print_diagnostics(r);
  if (r.not_found) return exit_code::kNotInstalled;
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
