#include "unit/unit_loader.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/result.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "unit/host_facts.h"
#include "unit/user_dirs.h"

namespace unitrun::unit {
namespace {

using S = Diagnostic::Severity;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && v[0] == '/' ? std::string(v) : fallback;
}

}  // namespace

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return resolve_path(path, "/");
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return resolve_path(path, "/");
  return resolve_path(path, cwd);
}

ParseContext context_for_current_user(const std::string& absolute, bool specifiers) {
  ParseContext c;
  c.path = absolute;
  UserDirs dirs = user_dirs();
  uid_t uid = dirs.uid;
  gid_t gid = ::getegid();
  // The user and group databases (NSS) only for what needs them: the
  // specifiers, and a user's default directories under its home.
  if (specifiers || !dirs.root) {
    CallerEntry me = caller_entry();
    c.user_name = me.user_name;
    c.home = me.home;
    c.shell = me.shell;
  }
  if (specifiers) {
    const struct group* gr = ::getgrgid(gid);
    c.group_name = gr ? gr->gr_name : std::to_string(gid);
  }
  c.uid = uid;
  c.gid = gid;
  c.system = dirs.root;
  c.runtime_dir = dirs.runtime_dir;
  c.log_dir = dirs.log_dir;
  if (!dirs.root) {
    // systemd 252's user-manager roots (systemd.exec(5), Table 2).
    std::string config = dirs.config_home;
    c.state_dir = config;
    c.cache_dir = env_or("XDG_CACHE_HOME", c.home + "/.cache");
    c.logs_dir = config + "/log";
    c.config_dir = config;
  }
  // %T and %V: $TMPDIR, $TEMP or $TMP when one holds an absolute path.
  for (const char* var : {"TMPDIR", "TEMP", "TMP"}) {
    const char* v = std::getenv(var);
    if (v && v[0] == '/') {
      c.tmp_dir = c.var_tmp_dir = v;
      break;
    }
  }
  c.pid_dir = c.runtime_dir + "/unitrun";
  return c;
}

namespace {

LoadResult parse_sources(LoadResult r, ValidateMode mode) {
  const UnitSources& sources = r.sources;
  // Only a unit that uses specifiers needs the machine's facts read, and
  // the caller's user and group entries.
  std::vector<SourceText> texts;
  bool specifiers = false;
  for (const SourceFile& f : sources.files) {
    texts.push_back({f.path, f.text});
    specifiers = specifiers || f.text.find('%') != std::string::npos;
  }
  ParseContext context = context_for_current_user(sources.files[0].path, specifiers);
  // An instance read from its template, or a unit linked to a file of
  // another name: the unit's own file name, for its name and specifiers.
  std::string fragment_name = base_name(sources.files[0].path);
  bool ini = fragment_name.size() > 4 && fragment_name.compare(fragment_name.size() - 4, 4, ".ini") == 0;
  std::string own_name = ini ? sources.name + ".ini" : sources.name;
  if (!sources.name.empty() && own_name != fragment_name) context.name = own_name;
  if (specifiers) context.host = read_host_facts();
  ParseResult parsed = parse(texts, context);
  r.unit = std::move(parsed.unit);
  if (!sources.identity.empty()) r.unit.identity = sources.identity;
  r.diagnostics = std::move(parsed.diagnostics);
  for (const std::string& u : sources.unreadable) r.diagnostics.push_back({S::Warning, 0, "drop-in skipped: " + u});
  resolve_programs(r.unit);
  Diagnostics more = validate(r.unit, mode);
  attribute_to_files(r.unit, more);
  r.diagnostics.insert(r.diagnostics.end(), more.begin(), more.end());
  // Notes (keys accepted without effect) are for `check`; the other verbs
  // would repeat them on every start.
  if (mode != ValidateMode::Check)
    std::erase_if(r.diagnostics, [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Note; });
  return r;
}

}  // namespace

std::string not_found_message(const UnitFile& file, const UnitPath& path) {
  return "unit '" + file.spelling + "' not found in the unit path (" +
         (path.directories.empty() ? std::string("empty") : path.to_string()) + ")" +
         (path.from_environment ? ", set by UNITRUN_UNIT_PATH" : "");
}

LoadResult load(const UnitFile& file, ValidateMode mode) {
  LoadResult r;
  r.file = file;
  r.display_path = file.by_name && file.found ? file.fragment : file.spelling;
  if (file.by_name && !file.found) {
    r.not_found = true;
    r.diagnostics.push_back({S::Error, 0, not_found_message(file, unit_path_for_current_user())});
    r.display_path = "unitrun";
    return r;
  }
  if (file.masked) {
    r.masked = true;
    r.readable = true;
    r.unit.name = file.name;
    r.unit.path = file.fragment;
    r.unit.identity = file.identity;
    // systemctl's words ("Unit x.service is masked."), said by unitrun:
    // the file is /dev/null or empty, no path worth naming.
    r.diagnostics.push_back({S::Error, 0, "Unit " + file.name + " is masked."});
    r.display_path = "unitrun";
    return r;
  }
  auto sources = read_sources(file);
  if (!sources) {
    r.diagnostics.push_back({S::Error, 0, sources.error().message()});
    return r;
  }
  r.readable = true;
  r.sources = std::move(*sources);
  return parse_sources(std::move(r), mode);
}

LoadResult load(const std::string& spelling, ValidateMode mode) {
  auto file = find_unit(spelling, unit_path_for_current_user());
  if (!file) {
    LoadResult r;
    r.display_path = "unitrun";
    r.diagnostics.push_back({S::Error, 0, file.error().message()});
    return r;
  }
  return load(*file, mode);
}

LoadResult load_sources(const UnitSources& sources, const UnitFile& file, ValidateMode mode) {
  LoadResult r;
  r.file = file;
  r.display_path = sources.files.empty() ? file.spelling : sources.files[0].path;
  if (sources.files.empty()) {
    r.diagnostics.push_back({S::Error, 0, "empty snapshot"});
    return r;
  }
  r.readable = true;
  r.sources = sources;
  return parse_sources(std::move(r), mode);
}

}  // namespace unitrun::unit
