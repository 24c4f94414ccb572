// `unitrun list` (list-units), `list-unit-files`, `status` without a unit
// (the overview) and the hidden `__complete-units`: systemctl's tables of
// the units unitrun knows (cli/unit_catalog.h). Fast for a thousand units:
// per unit a lock probe and the small records, never a parse of a unit file
// nor a walk of /proc (but for a unit whose monitor died mid-run).
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/unit_catalog.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "runtime/unit_snapshot.h"
#include "unit/unit_file_state.h"
#include "unit/unit_sources.h"

namespace unitrun::cli {
namespace {

struct Row {
  std::string unit, load, active, sub, description;
};

bool matches_any(const std::string& name, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;
  for (const std::string& p : patterns)
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

// systemctl --state=: a unit whose LOAD, ACTIVE or SUB is one of them.
bool state_matches(const Row& r, const std::vector<std::string>& states) {
  for (const std::string& s : states)
    if (s == r.load || s == r.active || s == r.sub) return true;
  return false;
}

std::string description_of_file(const std::string& path) {
  auto text = unit::read_unit_file(path);
  return text ? unit::summarize(*text).description : "";
}

Row row_of(const KnownUnit& k, const RuntimeDirectory& runtime) {
  Row r;
  r.unit = k.name;
  r.load = k.file && k.file->masked ? "masked" : "loaded";
  if (k.runtime) {
    QuickState q = quick_state(*k.runtime, runtime);
    r.active = to_string(q.active);
    r.sub = q.sub;
    r.description = snapshot_description(*k.runtime, runtime);
  } else {
    r.active = "inactive";
    r.sub = "dead";
  }
  if (r.description.empty() && k.file && !k.file->masked) r.description = description_of_file(k.file->path);
  return r;
}

std::vector<Row> rows(const ListOptions& options, bool all_units) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  RuntimeDirectory runtime(runtime_directory());
  std::vector<Row> out;
  for (const KnownUnit& k : known_units(path, all_units, runtime)) {
    if (!matches_any(k.name, options.patterns)) continue;
    Row r = row_of(k, runtime);
    bool shown = !options.states.empty() ? state_matches(r, options.states) : options.all || r.active != "inactive";
    if (shown) out.push_back(std::move(r));
  }
  return out;
}

void print_json(const std::vector<Row>& rows) {
  nlohmann::json j = nlohmann::json::array();
  for (const Row& r : rows)
    j.push_back(
        {{"unit", r.unit}, {"load", r.load}, {"active", r.active}, {"sub", r.sub}, {"description", r.description}});
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

// systemctl's table: a mark for what failed, the columns padded to their
// widest entry (a unit file's author controls names and descriptions:
// escaped for the terminal).
void print_table(const std::vector<Row>& rows, const ListOptions& options) {
  std::vector<Row> shown;
  for (const Row& r : rows)
    shown.push_back({escape_for_terminal(r.unit), r.load, r.active, r.sub, escape_for_terminal(r.description)});
  size_t w_unit = 4, w_load = 4, w_active = 6, w_sub = 3;
  for (const Row& r : shown) {
    w_unit = std::max(w_unit, r.unit.size());
    w_load = std::max(w_load, r.load.size());
    w_active = std::max(w_active, r.active.size());
    w_sub = std::max(w_sub, r.sub.size());
  }
  auto line = [&](const char* mark, const Row& r) {
    if (!options.plain) std::printf("%s ", mark);
    std::printf("%-*s %-*s %-*s %-*s %s\n", static_cast<int>(w_unit), r.unit.c_str(), static_cast<int>(w_load),
                r.load.c_str(), static_cast<int>(w_active), r.active.c_str(), static_cast<int>(w_sub), r.sub.c_str(),
                r.description.c_str());
  };
  if (!shown.empty() && options.legend) line(" ", {"UNIT", "LOAD", "ACTIVE", "SUB", "DESCRIPTION"});
  for (const Row& r : shown) line(r.active == "failed" || r.load != "loaded" ? "●" : " ", r);
}

}  // namespace

int list_units(const ListOptions& options) {
  // Without --all, only units that run or ran can be active or failed: the
  // unit files need not be read at all.
  std::vector<Row> found = rows(options, options.all);
  if (options.json) {
    print_json(found);
    return exit_code::kSuccess;
  }
  print_table(found, options);
  if (!options.legend) return exit_code::kSuccess;
  if (!found.empty()) std::printf("\n");
  std::printf(
      "LOAD   = Reflects whether the unit definition was properly loaded.\n"
      "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n"
      "SUB    = The low-level unit activation state, values depend on unit type.\n"
      "%zu loaded units listed.%s\n"
      "To show all installed unit files use 'unitrun list-unit-files'.\n",
      found.size(), options.all ? "" : " Pass --all to see loaded but inactive units, too.");
  return exit_code::kSuccess;
}

int list_unit_files(const ListOptions& options) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  unit::LinkIndex links = unit::LinkIndex::read(path);
  struct FileRow {
    std::string name, state;
  };
  std::vector<FileRow> found;
  for (const unit::UnitFileEntry& e : unit::list_unit_files(path)) {
    if (!matches_any(e.name, options.patterns)) continue;
    unit::UnitFileFacts facts{e.name, e.directory, e.masked, e.alias, e.is_template, true, {}};
    if (!e.masked) {
      auto text = unit::read_unit_file(e.path);
      facts.readable = text.ok();
      if (text) facts.install = unit::summarize(*text).install;
    }
    std::string state = unit::to_string(unit::file_state(facts, links, path));
    if (!options.states.empty() &&
        std::find(options.states.begin(), options.states.end(), state) == options.states.end())
      continue;
    found.push_back({e.name, state});
  }
  if (options.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const FileRow& r : found) j.push_back({{"unit_file", r.name}, {"state", r.state}});
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return exit_code::kSuccess;
  }
  size_t width = 9;
  for (const FileRow& r : found) width = std::max(width, escape_for_terminal(r.name).size());
  if (!found.empty() && options.legend) std::printf("%-*s %s\n", static_cast<int>(width), "UNIT FILE", "STATE");
  for (const FileRow& r : found)
    std::printf("%-*s %s\n", static_cast<int>(width), escape_for_terminal(r.name).c_str(), r.state.c_str());
  if (!options.legend) return exit_code::kSuccess;
  std::printf("%s%zu unit files listed.\n", found.empty() ? "" : "\n", found.size());
  return exit_code::kSuccess;
}

int status_overview(bool json) {
  ListOptions everything;
  everything.all = true;
  std::vector<Row> units = rows(everything, false);  // the units that run or ran
  // Failed first, as systemctl status lists the state of the system: what
  // needs attention on top; then by name.
  std::stable_sort(units.begin(), units.end(),
                   [](const Row& a, const Row& b) { return (a.active == "failed") > (b.active == "failed"); });
  size_t failed = 0, active = 0;
  for (const Row& r : units) {
    failed += r.active == "failed";
    active += r.active == "active" || r.active == "reloading" || r.active == "activating" || r.active == "deactivating";
  }
  char host[256] = "localhost";
  (void)::gethostname(host, sizeof host - 1);  // the name is decoration: a failure keeps "localhost"
  const char* state = failed ? "degraded" : "running";
  if (json) {
    nlohmann::json j = {
        {"host", host}, {"state", state}, {"units", units.size()}, {"active", active}, {"failed", failed}};
    nlohmann::json list = nlohmann::json::array();
    for (const Row& r : units)
      list.push_back(
          {{"unit", r.unit}, {"load", r.load}, {"active", r.active}, {"sub", r.sub}, {"description", r.description}});
    j["unit_states"] = list;
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return exit_code::kSuccess;
  }
  std::printf("%s %s\n", failed ? "×" : "●", escape_for_terminal(host).c_str());
  std::printf("    State: %s\n", state);
  std::printf("    Units: %zu loaded, %zu active, %zu failed\n", units.size(), active, failed);
  std::printf("     Path: %s\n", escape_for_terminal(unit::unit_path_for_current_user().to_string()).c_str());
  std::printf("  Runtime: %s\n", escape_for_terminal(runtime_directory()).c_str());
  if (!units.empty()) {
    std::printf("\n");
    print_table(units, everything);
  }
  return exit_code::kSuccess;
}

int complete_units() {
  std::set<std::string> names;
  RuntimeDirectory runtime(runtime_directory());
  for (const KnownUnit& k : known_units(unit::unit_path_for_current_user(), true, runtime)) {
    if (k.file) {
      // As typed: the file name (app.ini; its unit is "app", which would be
      // looked up as app.service first).
      if (!k.file->masked) names.insert(k.file->name);
      continue;
    }
    // An instance or a unit whose file is gone, while it runs: a unit of
    // the unit path (keyed by its name), not one named by a path.
    const RuntimeEntry& r = *k.runtime;
    if (r.key == runtime_key(r.name) && !r.lock.empty() && UnitLock::alive_held(r.lock).value_or(false))
      names.insert(k.name);
  }
  for (const std::string& n : names) std::printf("%s\n", n.c_str());
  return exit_code::kSuccess;
}

}  // namespace unitrun::cli
