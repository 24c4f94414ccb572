#include "unit/unit_lookup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "base/strings.h"
#include "unit/unit_name.h"
#include "unit/unit_parser.h"

namespace unitrun::unit {
namespace {

constexpr std::string_view kServiceSuffix = ".service";
constexpr std::string_view kTargetSuffix = ".target";  // a group of units, no process (the manager's)
constexpr std::string_view kIniSuffix = ".ini";
constexpr std::string_view kDropinSuffix = ".d";
constexpr std::string_view kConfSuffix = ".conf";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view suffix_of(std::string_view file_name) {
  if (ends_with(file_name, kServiceSuffix)) return kServiceSuffix;
  if (ends_with(file_name, kTargetSuffix)) return kTargetSuffix;
  if (ends_with(file_name, kIniSuffix)) return kIniSuffix;
  return {};
}

std::string dir_name(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

std::string join(const std::string& directory, std::string_view name) {
  return directory == "/" ? "/" + std::string(name) : directory + "/" + std::string(name);
}

std::optional<std::string> real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

std::string absolute(std::string_view spelling) {
  if (!spelling.empty() && spelling[0] == '/') return resolve_path(spelling, "/");
  char cwd[PATH_MAX];
  return resolve_path(spelling, ::getcwd(cwd, sizeof cwd) ? cwd : "/");
}

// The unit's name from a unit file's name: itself for .service, without
// ".ini" for unitrun's own files.
std::string name_of_file(std::string_view file_name) {
  if (ends_with(file_name, kIniSuffix)) return std::string(file_name.substr(0, file_name.size() - kIniSuffix.size()));
  return std::string(file_name);
}

// The file name of a unit's name, given the kind of file it came from.
std::string file_of_name(const std::string& name, std::string_view suffix) {
  return suffix == kIniSuffix ? name + std::string(kIniSuffix) : name;
}

// "web@.service" for "web@8080.service"; "" when the name is no instance.
std::string template_of(std::string_view file_name) {
  if (suffix_of(file_name) != kServiceSuffix) return "";  // .ini files have no templates
  UnitName n = unit_name_of(file_name);
  if (n.instance.empty()) return "";
  return n.prefix + "@" + std::string(kServiceSuffix);
}

bool is_mask(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  if (S_ISCHR(st.st_mode)) return real_path(path).value_or("") == "/dev/null";
  return S_ISREG(st.st_mode) && st.st_size == 0;
}

struct Hit {
  std::string path;       // as found in its directory
  std::string directory;  // that directory
};

// The first file named `file_name` in the path, and the later ones it hides.
std::optional<Hit> first_in_path(const UnitPath& path, const std::string& file_name,
                                 std::vector<std::string>* shadowed) {
  std::optional<Hit> hit;
  for (const std::string& d : path.directories) {
    std::string candidate = join(d, file_name);
    struct stat st;
    if (::lstat(candidate.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) continue;
    if (!hit) {
      hit = Hit{candidate, d};
      if (!shadowed) return hit;
    } else if (real_path(candidate) != real_path(hit->path)) {
      shadowed->push_back(candidate);
    }
  }
  return hit;
}

// The unit's name when the file `spelled` resolves to `real`: a symlink to
// a unit file of another name of the same kind is an alias, named after
// its target; an instance linked to its template keeps the instance (of
// the target template, when that has another prefix).
std::string name_through_links(const std::string& spelled_file, const std::string& real) {
  std::string target = base_name(real);
  std::string_view suffix = suffix_of(spelled_file);
  if (target == spelled_file || suffix.empty() || suffix_of(target) != suffix || !is_valid_unit_name(target))
    return name_of_file(spelled_file);
  UnitName spelled = unit_name_of(spelled_file), to = unit_name_of(target);
  if (suffix == kServiceSuffix && !spelled.instance.empty() && to.is_template)
    return to.prefix + "@" + spelled.instance + std::string(kServiceSuffix);
  return name_of_file(target);
}

// What a file found for `file_name` makes of the unit: its name, resolved
// fragment, mask and aliases.
void resolve_found(UnitFile& u, const std::string& found, const std::string& file_name) {
  u.found = true;
  u.masked = is_mask(found);
  auto real = real_path(found);
  u.fragment = real.value_or(found);  // dangling: reading it says so
  u.name = real && !u.masked ? name_through_links(file_name, *real) : name_of_file(file_name);
  if (u.name != name_of_file(file_name)) u.aliases.push_back(name_of_file(file_name));
}

// systemd's unit_file_find_dirs() for one directory: the name's own, its
// template's, then each '-' prefix's (with the instance kept), most
// specific first. `name` is a file name ("web@1.service", "app.ini").
void add_dropin_dirs(const std::string& unit_dir, std::string name, std::string_view suffix,
                     std::vector<std::string>& out) {
  std::string dir = join(unit_dir, name + std::string(kDropinSuffix));
  if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  std::string stem = name.substr(0, name.size() - suffix.size());
  size_t at = stem.find('@');
  std::string instance = at == std::string::npos ? "" : stem.substr(at + 1);
  bool is_instance = at != std::string::npos && !instance.empty();
  if (is_instance) add_dropin_dirs(unit_dir, stem.substr(0, at + 1) + std::string(suffix), suffix, out);
  std::string prefix = at == std::string::npos ? stem : stem.substr(0, at);
  bool chopped = false;
  while (true) {
    size_t dash = prefix.rfind('-');
    if (dash == std::string::npos || dash == 0) return;
    if (dash + 1 < prefix.size() || chopped) {
      prefix.resize(dash + 1);
      break;
    }
    prefix.resize(dash);  // a trailing '-': chop it off and look once more
    chopped = true;
  }
  std::string built = prefix + (is_instance ? "@" + instance : "") + std::string(suffix);
  if (!is_valid_unit_name(built)) return;
  add_dropin_dirs(unit_dir, built, suffix, out);
}

// The drop-in directories of a unit in systemd's order of precedence: for
// its name, then for each alias, in each directory of the path; then the
// top-level "service.d/" of each (not for .ini units: unitrun's own format
// never had one, and keeps what it had).
std::vector<std::string> dropin_directories(const std::vector<std::string>& unit_dirs, const std::string& file_name,
                                            const std::vector<std::string>& aliases) {
  std::vector<std::string> out;
  std::string_view suffix = suffix_of(file_name);
  if (suffix.empty()) return out;
  std::vector<std::string> names{file_name};
  for (const std::string& a : aliases)
    if (std::find(names.begin(), names.end(), a) == names.end()) names.push_back(a);
  for (const std::string& n : names)
    for (const std::string& d : unit_dirs) add_dropin_dirs(d, n, suffix, out);
  if (suffix == kServiceSuffix)
    for (const std::string& d : unit_dirs) out.push_back(join(d, "service.d"));
  return out;
}

std::vector<DropinDirectory> read_dropin_directories(const std::vector<std::string>& paths) {
  std::vector<DropinDirectory> out;
  std::set<std::pair<dev_t, ino_t>> seen;  // one directory reached twice (a symlinked /lib) counts once
  for (const std::string& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    DIR* d = ::opendir(p.c_str());
    if (!d) continue;
    DropinDirectory dir{real_path(p).value_or(p), {}, {}};
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name[0] == '.' || !ends_with(name, kConfSuffix)) continue;
      std::string full = join(p, name);
      struct stat fst;
      if (::stat(full.c_str(), &fst) != 0) {
        // A dangling symlink still takes the name, as a mask would.
        dir.entries.push_back(name);
        dir.masks.push_back(name);
        continue;
      }
      if (S_ISDIR(fst.st_mode)) continue;
      dir.entries.push_back(name);
      if (is_mask(full)) dir.masks.push_back(name);
    }
    ::closedir(d);
    out.push_back(std::move(dir));
  }
  return out;
}

std::vector<std::string> find_dropins(const std::vector<std::string>& unit_dirs, const std::string& file_name,
                                      const std::vector<std::string>& aliases) {
  std::vector<std::string> files =
      order_dropins(read_dropin_directories(dropin_directories(unit_dirs, file_name, aliases)));
  for (std::string& f : files) f = real_path(f).value_or(f);
  return files;
}

// A name typed on the command line: the first file of one of its file
// names in the path, or its template's.
UnitFile find_by_name(std::string_view spelling, const UnitPath& path) {
  UnitFile u;
  u.spelling = std::string(spelling);
  std::vector<std::string> candidates = candidate_file_names(spelling);
  u.name = name_of_file(candidates.front());
  u.identity = u.name;
  u.by_name = true;
  std::string file_name = candidates.front();
  std::optional<Hit> hit;
  // systemd looks for the literal name first, in every directory, and
  // only then for the template. Per directory, NAME.service before NAME.ini.
  for (const std::string& d : path.directories) {
    for (const std::string& c : candidates) {
      std::string p = join(d, c);
      struct stat st;
      if (::lstat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        hit = Hit{p, d};
        file_name = c;
        break;
      }
    }
    if (hit) break;
  }
  if (hit) {
    (void)first_in_path(path, file_name, &u.shadowed);
    resolve_found(u, hit->path, file_name);
  } else {
    for (const std::string& c : candidates) {
      std::string tmpl = template_of(c);
      if (tmpl.empty()) continue;
      hit = first_in_path(path, tmpl, &u.shadowed);
      if (!hit) continue;
      file_name = c;
      u.found = true;
      u.masked = is_mask(hit->path);
      u.fragment = real_path(hit->path).value_or(hit->path);
      // A template linked to another template: the instance of that one.
      u.name = u.masked ? name_of_file(c) : name_through_links(c, u.fragment);
      if (u.name != name_of_file(c)) u.aliases.push_back(name_of_file(c));
      break;
    }
  }
  if (!u.found) return u;
  u.identity = u.name;
  u.directory = hit->directory;
  if (!u.masked) u.dropins = find_dropins(path.directories, file_of_name(u.name, suffix_of(file_name)), u.aliases);
  return u;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// A path typed on the command line.
UnitFile find_by_path(std::string_view spelling, const UnitPath& path) {
  UnitFile u;
  u.spelling = std::string(spelling);
  std::string abs = absolute(spelling);
  std::string file_name = base_name(abs);
  struct stat st;
  if (::lstat(abs.c_str(), &st) == 0) {
    resolve_found(u, abs, file_name);
    if (u.masked) u.masked = false;  // a path names a file: an empty one is invalid, not masked
  } else if (std::string tmpl = template_of(file_name);
             !tmpl.empty() && ::lstat(join(dir_name(abs), tmpl).c_str(), &st) == 0) {
    // An instance without a file of its own, beside its template.
    u.found = true;
    u.fragment = real_path(join(dir_name(abs), tmpl)).value_or(join(dir_name(abs), tmpl));
    u.name = name_through_links(file_name, u.fragment);
  } else {
    u.fragment = abs;  // not there: reading it says why, as it always did
    u.name = name_of_file(file_name);
    u.identity = join(real_path(dir_name(abs)).value_or(dir_name(abs)), file_name);
    return u;
  }
  std::string_view suffix = suffix_of(file_name);
  // The file the unit path gives this name: then the path is only another
  // spelling of that unit, which is known by its name.
  if (!suffix.empty()) {
    UnitFile named = find_by_name(file_of_name(u.name, suffix), path);
    if (named.found && named.name == u.name && same_file(named.fragment, u.fragment)) {
      named.spelling = u.spelling;
      for (const std::string& a : u.aliases)
        if (std::find(named.aliases.begin(), named.aliases.end(), a) == named.aliases.end()) named.aliases.push_back(a);
      return named;
    }
  }
  // Elsewhere: the unit is its resolved file, or for an instance made from
  // a template, the instance's name beside the resolved template; drop-ins
  // come from the file's own directory.
  std::string unit_file_name = suffix.empty() ? base_name(u.fragment) : file_of_name(u.name, suffix);
  u.identity = join(dir_name(u.fragment), unit_file_name);
  if (!suffix.empty() && !u.masked) u.dropins = find_dropins({dir_name(u.fragment)}, unit_file_name, u.aliases);
  return u;
}

}  // namespace

bool is_path_spelling(std::string_view spelling) { return spelling.find('/') != std::string_view::npos; }

bool is_glob(std::string_view spelling) {
  return !is_path_spelling(spelling) && spelling.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> candidate_file_names(std::string_view name) {
  if (!suffix_of(name).empty()) return {std::string(name)};
  return {std::string(name) + std::string(kServiceSuffix), std::string(name) + std::string(kIniSuffix)};
}

Result<UnitFile> find_unit(std::string_view spelling, const UnitPath& path) {
  if (spelling.empty()) return Error::plain("empty unit name");
  if (is_path_spelling(spelling)) return find_by_path(spelling, path);
  for (const std::string& c : candidate_file_names(spelling))
    if (!is_valid_unit_name(c) || c.front() == '@')
      return Error::plain("invalid unit name '" + std::string(spelling) +
                          "' (1 to 200 of A-Z a-z 0-9 : _ . @ - \\, not starting with '-' or '@'; a path needs a '/')");
  return find_by_name(spelling, path);
}

std::vector<std::string> dropin_directory_names(std::string_view name, const std::vector<std::string>& aliases) {
  std::vector<std::string> out;
  for (std::string& d : dropin_directories({"/"}, std::string(name), aliases)) out.push_back(d.substr(1));
  return out;
}

std::vector<std::string> order_dropins(const std::vector<DropinDirectory>& directories) {
  std::map<std::string, std::string> chosen;  // file name → its path ("" for a mask)
  for (const DropinDirectory& d : directories)
    for (const std::string& e : d.entries) {
      if (chosen.count(e)) continue;
      bool mask = std::find(d.masks.begin(), d.masks.end(), e) != d.masks.end();
      chosen[e] = mask ? "" : join(d.path, e);
    }
  std::vector<std::string> out;
  for (const auto& [name, path] : chosen)
    if (!path.empty()) out.push_back(path);
  return out;
}

std::vector<UnitFileEntry> list_unit_files(const UnitPath& path) {
  std::map<std::string, UnitFileEntry> by_name;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const std::string& d : path.directories) {
    struct stat dst;
    if (::stat(d.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) continue;
    if (!seen.insert({dst.st_dev, dst.st_ino}).second) continue;  // /lib/systemd/system is /usr/lib/systemd/system
    DIR* dir = ::opendir(d.c_str());
    if (!dir) continue;
    int dfd = ::dirfd(dir);
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name[0] == '.' || suffix_of(name).empty() || by_name.count(name)) continue;
      if (!is_valid_unit_name(name)) continue;
      UnitFileEntry entry{name, join(d, name), d, false, false, unit_name_of(name).is_template};
      unsigned char type = e->d_type;
      struct stat st;
      if (type == DT_UNKNOWN || type == DT_LNK || type == DT_REG) {
        if (::fstatat(dfd, e->d_name, &st, 0) != 0) {
          if (type != DT_LNK) continue;
          entry.masked = false;  // dangling: listed, and loading it says why
        } else if (S_ISDIR(st.st_mode)) {
          continue;
        } else {
          entry.masked = S_ISCHR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0);
        }
        if (type == DT_LNK || type == DT_UNKNOWN) {
          if (auto real = real_path(entry.path); real && !entry.masked)
            entry.alias = name_through_links(name, *real) != name_of_file(name);
        }
      } else if (type != DT_CHR) {
        continue;
      } else {
        entry.masked = true;
      }
      by_name.emplace(name, std::move(entry));
    }
    ::closedir(dir);
  }
  std::vector<UnitFileEntry> out;
  out.reserve(by_name.size());
  for (auto& [name, entry] : by_name) out.push_back(std::move(entry));
  return out;
}

}  // namespace unitrun::unit
