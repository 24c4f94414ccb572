// `enable`, `disable`, `reenable`, `mask` and `unmask`: systemctl's unit
// file verbs. What to link is planned by unit/install_plan.h; this file
// only carries the plan out in the config directory (unit_path.h), or with
// --runtime in the runtime directory (/run/unitrun/units), through
// directory fds: every directory below it is opened with O_NOFOLLOW (a
// symlinked .wants/ is refused, never followed), links are made with
// symlinkat() and removed with unlinkat() only once lstat says they are
// symlinks, and an existing link to something else is never replaced.
// Messages are systemctl's, on stderr as systemctl writes them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "cli/commands.h"
#include "cli/targets.h"
#include "cli/terminal.h"
#include "runtime/safe_files.h"
#include "unit/install_plan.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {
namespace {

// A failure of one unit: the message (after "Failed to VERB unit: ") and
// the exit code.
struct Failure {
  std::string message;
  int code = exit_code::kFailure;
};

std::string dir_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// The config directory, opened once per command.
class ConfigDir {
 public:
  ConfigDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  std::string absolute(const std::string& relative) const { return path_ + "/" + relative; }

  // A subdirectory (one level: "multi-user.target.wants"), created 0755
  // when missing and create is true; a symlink there is refused. An empty
  // fd (and no error) when it is missing and create is false.
  Result<UniqueFd> subdirectory(const std::string& name, bool create) const {
    if (name.empty()) {
      UniqueFd self(::openat(fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!self) return Error::from_errno("open '" + path_ + "'");
      return self;
    }
    std::string where = absolute(name);
    if (create && ::mkdirat(fd(), name.c_str(), 0755) < 0 && errno != EEXIST)
      return Error::from_errno("create directory '" + where + "'");
    UniqueFd sub(::openat(fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub) return sub;
    if (errno == ENOENT && !create) return UniqueFd();
    struct stat st;
    if ((errno == ELOOP || errno == ENOTDIR) && ::fstatat(fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      return Error::plain(S_ISLNK(st.st_mode) ? where + " is a symlink; refusing to follow it"
                                              : where + " exists and is not a directory");
    return Error::from_errno("open directory '" + where + "'");
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

// The directory a scope's links go to: the config directory, or the
// runtime one (systemctl --runtime: gone at the next boot).
const std::string& links_directory(const unit::UnitPath& path, LinkScope scope) {
  return scope == LinkScope::Runtime ? path.runtime_dir : path.config_dir;
}

Result<ConfigDir> open_config_dir(const unit::UnitPath& path, LinkScope scope, bool create) {
  const std::string& dir = links_directory(path, scope);
  if (dir.empty())
    return Error::plain("no directory to write to: the unit path (" + path.to_string() + ") holds no " +
                        (scope == LinkScope::Runtime ? "runtime" : "config") + " directory (docs/units.md)");
  auto parent = safe_files::open_parent_directory(dir + "/.", create);
  if (!parent) return parent.error();
  UniqueFd fd(::openat(parent->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open '" + dir + "'");
  return ConfigDir(dir, std::move(fd));
}

// Where the symlink at dir_fd/name points; nullopt with errno set when it
// is no symlink (EINVAL) or missing (ENOENT).
std::optional<std::string> link_target(int dir_fd, const std::string& name) {
  char buf[4096];
  ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  if (static_cast<size_t>(n) == sizeof buf) {
    errno = ENAMETOOLONG;
    return std::nullopt;
  }
  return std::string(buf, static_cast<size_t>(n));
}

bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Makes one planned link; an existing link to the same file is fine
// (enable is idempotent), anything else there is refused.
std::optional<Failure> make_link(const ConfigDir& config, const unit::PlannedLink& link) {
  auto dir = config.subdirectory(link.directory, true);
  if (!dir) return Failure{dir.error().message()};
  std::string where = config.absolute(join(link.directory, link.name));
  if (::symlinkat(link.target.c_str(), dir->get(), link.name.c_str()) == 0) {
    std::fprintf(stderr, "Created symlink %s %s %s.\n", where.c_str(), terminal::glyph(terminal::Glyph::ArrowRight),
                 link.target.c_str());
    return std::nullopt;
  }
  if (errno != EEXIST) return Failure{Error::from_errno("create symlink '" + where + "'").message()};
  auto existing = link_target(dir->get(), link.name);
  if (!existing) return Failure{"File " + where + " already exists."};
  std::string resolved = existing->empty() || (*existing)[0] == '/' ? *existing : dir_of(where) + "/" + *existing;
  if (same_file(resolved, link.target)) return std::nullopt;
  return Failure{"File " + where + " already exists and is a symlink to " + *existing + "."};
}

// What the unit path finds for a word, with the name its links carry
// (a file name: "web.service", "app.ini", "web@1.service").
struct Found {
  unit::UnitFile file;
  std::string link_name;
};

std::string link_name_of(const unit::UnitFile& f) {
  bool ini = f.fragment.size() > 4 && f.fragment.compare(f.fragment.size() - 4, 4, ".ini") == 0;
  bool has_suffix = f.name.find(".service") != std::string::npos || f.name.find(".ini") != std::string::npos;
  return ini && !has_suffix ? f.name + ".ini" : f.name;
}

Result<Found> find(const std::string& word, const unit::UnitPath& path, int& code) {
  code = exit_code::kFailure;
  if (unit::is_glob(word)) return Error::plain("'" + word + "' is a glob; name the units");
  auto file = unit::find_unit(word, path);
  if (!file) return file.error();
  if (!file->found) {
    code = exit_code::kNotInstalled;
    return Error::plain(unit::not_found_message(*file, path));
  }
  if (file->directory.empty())
    return Error::plain(file->fragment + " is not in the unit path (" + path.to_string() +
                        "); put it (or a symlink to it) into " + path.config_dir + " first");
  return Found{*file, link_name_of(*file)};
}

// The unit's own file when it lies in the directory the links are in
// (disable keeps it: it is no link enable made).
std::string own_file_of(const Found& f, const unit::UnitPath& path, LinkScope scope) {
  return f.file.directory == links_directory(path, scope) ? f.link_name : "";
}

Result<unit::InstallSource> install_source(const Found& f) {
  unit::LoadResult load = unit::load(f.file, unit::ValidateMode::Start);
  if (!load.readable) {
    std::string why = load.diagnostics.empty() ? "cannot read " + f.file.fragment : load.diagnostics[0].message;
    return Error::plain(why);
  }
  const Unit& u = load.unit;
  unit::InstallSource s;
  s.name = f.link_name;
  s.file_path = f.file.fragment;
  s.wanted_by = u.wanted_by;
  s.required_by = u.required_by;
  s.alias = u.alias;
  s.also = u.also;
  s.default_instance = u.default_instance;
  return s;
}

void print_no_install_hint() {
  const char* b = terminal::glyph(terminal::Glyph::Bullet);
  std::fprintf(stderr,
               "The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\n"
               "Alias= settings in the [Install] section, and DefaultInstance= for template\n"
               "units). This means they are not meant to be enabled or disabled using unitrun.\n"
               " \n"
               "Possible reasons for having this kind of units are:\n"
               "%s A unit may be statically enabled by being symlinked from another unit's\n"
               "  .wants/ or .requires/ directory.\n"
               "%s A unit's purpose may be to act as a helper for some other unit which has\n"
               "  a requirement dependency on it.\n"
               "%s A unit may be started when needed via activation (socket, path, timer,\n"
               "  D-Bus, udev, scripted systemctl call, ...).\n"
               "%s In case of template units, the unit is meant to be enabled with some\n"
               "  instance name specified.\n",
               b, b, b, b);
}

// Runs `one` for each word and the Also= units it names (each unit once),
// reporting each failure as systemctl does; the worst exit code.
template <typename One>
int for_each_word(const char* verb, const std::vector<std::string>& words, One one) {
  std::vector<std::string> queue(words.begin(), words.end());
  std::set<std::string> seen;
  std::vector<int> codes;
  for (size_t i = 0; i < queue.size(); ++i) {
    if (!seen.insert(queue[i]).second) continue;
    std::vector<std::string> also;
    if (std::optional<Failure> f = one(queue[i], also)) {
      std::fprintf(stderr, "Failed to %s unit: %s\n", verb, f->message.c_str());
      codes.push_back(f->code);
    }
    queue.insert(queue.end(), also.begin(), also.end());
  }
  return worst_exit_code(codes);
}

int enable_units(const std::vector<std::string>& words, LinkScope scope) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  // Opened (and made) once there is something to link: a unit not found
  // is told as such (exit 5), whatever the config directory's state.
  std::optional<Result<ConfigDir>> config;
  bool any_installable = false;
  int code = for_each_word("enable", words, [&](const std::string& word, std::vector<std::string>& also) {
    int find_code = 0;
    auto found = find(word, path, find_code);
    if (!found) return std::optional<Failure>(Failure{found.error().message(), find_code});
    if (found->file.masked) return std::optional<Failure>(Failure{"Unit file " + found->link_name + " is masked."});
    auto source = install_source(*found);
    if (!source) return std::optional<Failure>(Failure{source.error().message()});
    unit::EnablePlan plan = unit::plan_enable(*source);
    any_installable = any_installable || plan.installable;
    if (!plan.links.empty() && !config) config.emplace(open_config_dir(path, scope, true));
    if (config && !*config) return std::optional<Failure>(Failure{(*config).error().message()});
    for (const unit::PlannedLink& link : plan.links)
      if (auto failure = make_link(**config, link)) return failure;
    also = plan.also;
    return std::optional<Failure>();
  });
  if (!any_installable && code == exit_code::kSuccess) print_no_install_hint();
  return code;
}

// Removes the links `plan` names from one directory (dir_fd, `relative`
// to the config directory); appends what it removed to `removed`.
std::optional<Failure> remove_links_in(const ConfigDir& config, int dir_fd, const std::string& relative,
                                       const unit::DisablePlan& plan, std::vector<std::string>& removed) {
  UniqueFd listing(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!listing) return Failure{Error::from_errno("open '" + config.absolute(relative) + "'").message()};
  DIR* d = ::fdopendir(listing.get());
  if (!d) return Failure{Error::from_errno("read '" + config.absolute(relative) + "'").message()};
  (void)listing.release();  // the DIR owns it now
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.' && (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN)) names.emplace_back(e->d_name);
  ::closedir(d);
  for (const std::string& name : names) {
    auto target = link_target(dir_fd, name);
    if (!target) continue;  // no symlink (a unit file, a directory): never removed
    std::string where = config.absolute(join(relative, name));
    if (!unit::removes(plan, relative, name, *target)) continue;
    if (::unlinkat(dir_fd, name.c_str(), 0) < 0) {
      if (errno == ENOENT) continue;
      return Failure{Error::from_errno("remove '" + where + "'").message()};
    }
    std::fprintf(stderr, "Removed \"%s\".\n", where.c_str());
    removed.push_back(where);
  }
  return std::nullopt;
}

// disable's half of one unit: every link of the plan in the config
// directory and its link directories, again while a pass removed something
// (a link to a removed link goes too).
std::optional<Failure> remove_links(const ConfigDir& config, unit::DisablePlan plan) {
  for (int pass = 0; pass < 8; ++pass) {
    std::vector<std::string> removed;
    auto top = config.subdirectory("", false);
    if (!top) return Failure{top.error().message()};
    if (auto f = remove_links_in(config, top->get(), "", plan, removed)) return f;
    std::vector<std::string> link_dirs;
    DIR* d = ::fdopendir(top->release());
    if (!d) return Failure{Error::from_errno("read '" + config.path() + "'").message()};
    while (struct dirent* e = ::readdir(d))
      if (unit::is_link_directory(e->d_name)) link_dirs.emplace_back(e->d_name);
    ::closedir(d);
    for (const std::string& name : link_dirs) {
      auto sub = config.subdirectory(name, false);
      if (!sub) {
        std::fprintf(stderr, "unitrun: %s; left alone\n", sub.error().message().c_str());
        continue;
      }
      if (!*sub) continue;
      size_t before = removed.size();
      if (auto f = remove_links_in(config, sub->get(), name, plan, removed)) return f;
      // An emptied link directory goes, as systemctl removes it; one
      // with anything left in it stays (ENOTEMPTY).
      if (removed.size() > before) (void)::unlinkat(config.fd(), name.c_str(), AT_REMOVEDIR);
    }
    if (removed.empty()) break;
    plan.targets.insert(plan.targets.end(), removed.begin(), removed.end());
  }
  return std::nullopt;
}

int disable_units(const std::vector<std::string>& words, LinkScope scope) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  auto config = open_config_dir(path, scope, false);
  if (!config && config.error().sys_errno != ENOENT) {
    std::fprintf(stderr, "Failed to disable unit: %s\n", config.error().message().c_str());
    return exit_code::kFailure;
  }
  return for_each_word("disable", words, [&](const std::string& word, std::vector<std::string>& also) {
    int find_code = 0;
    auto found = find(word, path, find_code);
    if (!found) return std::optional<Failure>(Failure{found.error().message(), find_code});
    if (found->file.masked) return std::optional<Failure>();  // nothing of it is enabled; unmask removes the mask
    auto source = install_source(*found);
    if (!source) return std::optional<Failure>(Failure{source.error().message()});
    unit::DisablePlan plan = unit::plan_disable(*source, own_file_of(*found, path, scope));
    also = plan.also;
    if (!config) return std::optional<Failure>();  // no config directory: nothing is linked
    return remove_links(*config, plan);
  });
}

// The file name `mask` and `unmask` act on: the unit's, found or not
// (a unit may be masked before it is installed).
Result<std::string> name_to_mask(const std::string& word, const unit::UnitPath& path) {
  if (unit::is_glob(word)) return Error::plain("'" + word + "' is a glob; name the units");
  if (unit::is_path_spelling(word)) return Error::plain("'" + word + "' is a path; mask takes a unit name");
  auto file = unit::find_unit(word, path);
  if (!file) return file.error();
  if (file->found && !file->masked) return link_name_of(*file);
  return unit::candidate_file_names(word).front();
}

int mask_units(const std::vector<std::string>& words, LinkScope scope) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  auto config = open_config_dir(path, scope, true);
  if (!config) {
    std::fprintf(stderr, "Failed to mask unit: %s\n", config.error().message().c_str());
    return exit_code::kFailure;
  }
  return for_each_word("mask", words, [&](const std::string& word, std::vector<std::string>&) {
    auto name = name_to_mask(word, path);
    if (!name) return std::optional<Failure>(Failure{name.error().message()});
    return make_link(*config, unit::plan_mask(*name));
  });
}

int unmask_units(const std::vector<std::string>& words, LinkScope scope) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  auto config = open_config_dir(path, scope, false);
  if (!config && config.error().sys_errno != ENOENT) {
    std::fprintf(stderr, "Failed to unmask unit: %s\n", config.error().message().c_str());
    return exit_code::kFailure;
  }
  return for_each_word("unmask", words, [&](const std::string& word, std::vector<std::string>&) {
    auto name = name_to_mask(word, path);
    if (!name) return std::optional<Failure>(Failure{name.error().message()});
    if (!config) return std::optional<Failure>();
    std::string where = config->absolute(*name);
    auto target = link_target(config->fd(), *name);
    if (!target) {
      if (errno == ENOENT) return std::optional<Failure>();
      struct stat st;
      if (::fstatat(config->fd(), name->c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
          st.st_size == 0)
        return std::optional<Failure>(
            Failure{where + " is an empty file, not a symlink to /dev/null: unitrun removes only symlinks"});
      return std::optional<Failure>();  // the unit's own file: not a mask
    }
    if (*target != unit::kMaskTarget) return std::optional<Failure>();
    if (::unlinkat(config->fd(), name->c_str(), 0) < 0 && errno != ENOENT)
      return std::optional<Failure>(Failure{Error::from_errno("remove '" + where + "'").message()});
    std::fprintf(stderr, "Removed \"%s\".\n", where.c_str());
    return std::optional<Failure>();
  });
}

}  // namespace

int enable(const std::vector<std::string>& units, bool now, LinkScope scope) {
  int code = enable_units(units, scope);
  if (code != exit_code::kSuccess || !now) return code;
  return start(units);
}

int disable(const std::vector<std::string>& units, bool now, LinkScope scope) {
  int code = disable_units(units, scope);
  if (code != exit_code::kSuccess || !now) return code;
  return stop(units);
}

int reenable(const std::vector<std::string>& units, bool now, LinkScope scope) {
  int code = disable_units(units, scope);
  if (code != exit_code::kSuccess) return code;
  return enable(units, now, scope);
}

int mask(const std::vector<std::string>& units, bool now, LinkScope scope) {
  int code = mask_units(units, scope);
  if (code != exit_code::kSuccess || !now) return code;
  return stop(units);
}

int unmask(const std::vector<std::string>& units, LinkScope scope) { return unmask_units(units, scope); }

}  // namespace unitrun::cli
