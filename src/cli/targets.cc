#include "cli/targets.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>

#include "base/exit_codes.h"
#include "cli/unit_catalog.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"

namespace unitrun::cli {
namespace {

// A name the unit path has no file for may still be a unit that runs (its
// file was deleted): its runtime files say so, under one of the names the
// word may mean ("web": web.service or the .ini unit web).
unit::UnitFile running_without_file(const unit::UnitFile& file) {
  for (const std::string& c : unit::candidate_file_names(file.spelling)) {
    std::string name = c.size() > 4 && c.compare(c.size() - 4, 4, ".ini") == 0 ? c.substr(0, c.size() - 4) : c;
    RuntimeFiles files = runtime_files_for(name, name);
    if (::access(files.snapshot.c_str(), F_OK) != 0) continue;
    unit::UnitFile f = file;
    f.name = f.identity = name;
    return f;
  }
  return file;
}

bool monitor_lives(const std::string& name, const std::string& identity) {
  return UnitLock::alive_held(runtime_files_for(name, identity).lock).value_or(false);
}

}  // namespace

unit::UnitFile with_running_key(unit::UnitFile file) {
  if (!file.by_name || !file.found || file.fragment.empty() || monitor_lives(file.name, file.identity)) return file;
  if (monitor_lives(file.name, file.fragment)) file.identity = file.fragment;
  return file;
}

std::vector<Target> resolve_targets(const std::vector<std::string>& words, const unit::UnitPath& path, GlobScope scope,
                                    std::vector<std::string>& notes) {
  std::vector<Target> out;
  std::set<std::string> seen;  // identities
  auto add = [&](Target t) {
    if (t.error.empty()) {
      t.file = with_running_key(std::move(t.file));
      if (!seen.insert(t.file.identity).second) return;
    }
    out.push_back(std::move(t));
  };
  std::optional<std::vector<KnownUnit>> known;
  for (const std::string& word : words) {
    if (!unit::is_glob(word)) {
      auto file = unit::find_unit(word, path);
      if (!file) {
        add({word, {}, "unitrun: " + file.error().message(), exit_code::kBadArguments});
        continue;
      }
      if (!file->found && file->by_name) *file = running_without_file(*file);
      add({word, std::move(*file), "", 0});
      continue;
    }
    if (!known) known = known_units(path, scope == GlobScope::Startable, RuntimeDirectory(runtime_directory()));
    size_t before = out.size();
    for (const KnownUnit& k : *known) {
      if (::fnmatch(word.c_str(), k.name.c_str(), 0) != 0) continue;
      if (k.file && k.file->masked && !k.runtime) continue;
      if (k.file) {
        // A unit file of the path: looked up by its name, as if typed.
        auto file = unit::find_unit(k.file->name, path);
        if (file) add({k.name, std::move(*file), "", 0});
      } else if (k.runtime) {
        auto file = unit_of(*k.runtime);
        if (!file) continue;
        // Looked up again (drop-ins, an instance's template, whether its
        // file is still there): by its name in the unit path, or by its
        // path; kept as the snapshot says when that finds another unit.
        // A .service unit's name has its suffix; an .ini unit's has none.
        bool ini = file->name.size() < 8 || file->name.compare(file->name.size() - 8, 8, ".service") != 0;
        std::string spelling = file->by_name ? file->name + (ini ? ".ini" : "") : file->identity;
        // A unit started by its path from a directory the unit path now
        // holds is found by its name there, keyed by that path still.
        if (auto again = unit::find_unit(spelling, path); again && again->found) {
          unit::UnitFile keyed = with_running_key(std::move(*again));
          if (keyed.identity == file->identity) file = std::move(keyed);
        }
        add({k.name, std::move(*file), "", 0});
      }
    }
    if (out.size() == before) notes.push_back("unitrun: no unit matches '" + word + "'");
  }
  return out;
}

bool is_loaded(const unit::UnitFile& file) {
  if (file.found) return true;
  struct stat st;
  // Only a lock file known absent makes it unloaded: another failure to look is no proof.
  return ::lstat(runtime_files_for(file).lock.c_str(), &st) == 0 || errno != ENOENT;
}

int for_each_loaded_target(const std::vector<std::string>& words, const char* what,
                           const std::function<int(const unit::UnitFile&)>& act) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<int> codes;
  for (const Target& t : resolve_targets(words, path, GlobScope::Running, notes)) {
    if (!t.error.empty()) {
      std::fprintf(stderr, "%s\n", t.error.c_str());
      codes.push_back(t.code);
      continue;
    }
    if (!is_loaded(t.file)) {
      std::fprintf(stderr, "Failed to %s unit %s: Unit %s not loaded.\n", what, t.file.name.c_str(),
                   t.file.name.c_str());
      codes.push_back(exit_code::kFailure);
      continue;
    }
    codes.push_back(act(t.file));
  }
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
  return worst_exit_code(codes);
}

int worst_exit_code(const std::vector<int>& codes) {
  int worst = 0;
  for (int c : codes) worst = std::max(worst, c);
  return worst;
}

}  // namespace unitrun::cli
