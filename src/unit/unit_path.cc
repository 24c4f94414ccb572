#include "unit/unit_path.h"

#include <algorithm>
#include <cstdlib>

#include "unit/host_facts.h"
#include "unit/user_dirs.h"

namespace unitrun::unit {
namespace {

void add(std::vector<std::string>& to, std::string directory) {
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  if (directory.empty() || directory[0] != '/') return;
  if (std::find(to.begin(), to.end(), directory) == to.end()) to.push_back(std::move(directory));
}

}  // namespace

std::string UnitPath::to_string() const {
  std::string out;
  for (const std::string& d : directories) out += (out.empty() ? "" : ":") + d;
  return out;
}

bool UnitPath::is_systemd_directory(std::string_view directory) {
  return std::find(std::begin(kSystemdUnitDirectories), std::end(kSystemdUnitDirectories), directory) !=
         std::end(kSystemdUnitDirectories);
}

UnitPath default_unit_path(const UnitPathUser& user) {
  UnitPath p;
  if (!user.root) {
    // The user's own first, as systemd's user manager reads ~/.config first;
    // then the system's, so that `status` finds root's units too.
    if (!user.config_home.empty()) add(p.directories, user.config_home + "/unitrun");
    if (!user.runtime_dir.empty()) add(p.directories, user.runtime_dir + "/unitrun/units");
    p.config_dir = user.config_home.empty() ? "" : user.config_home + "/unitrun";
    p.runtime_dir = user.runtime_dir.empty() ? "" : user.runtime_dir + "/unitrun/units";
  } else {
    p.config_dir = "/etc/unitrun";
    p.runtime_dir = "/run/unitrun/units";
  }
  for (const char* d : {"/etc/unitrun", "/run/unitrun/units", "/usr/local/lib/unitrun", "/usr/lib/unitrun"})
    add(p.directories, d);
  for (std::string_view d : kSystemdUnitDirectories) add(p.directories, std::string(d));
  return p;
}

UnitPath unit_path_from(std::string_view value, const UnitPath& defaults) {
  UnitPath p;
  p.from_environment = true;
  bool append_defaults = !value.empty() && value.back() == ':';
  while (!value.empty()) {
    size_t colon = value.find(':');
    add(p.directories, std::string(value.substr(0, colon)));
    value = colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
  }
  if (append_defaults)
    for (const std::string& d : defaults.directories) add(p.directories, d);
  // `enable` and transient units write where the defaults would, when the
  // path still holds those directories; otherwise into its first one.
  auto has = [&](const std::string& d) {
    return !d.empty() && std::find(p.directories.begin(), p.directories.end(), d) != p.directories.end();
  };
  p.config_dir = has(defaults.config_dir) ? defaults.config_dir : (p.directories.empty() ? "" : p.directories[0]);
  p.runtime_dir = has(defaults.runtime_dir) ? defaults.runtime_dir : "";
  return p;
}

UnitPath unit_path_for_current_user() {
  UserDirs dirs = user_dirs();
  UnitPath defaults = default_unit_path({dirs.root, dirs.config_home, dirs.runtime_dir});
  // As the machine's systemctl, enable writes where systemctl and
  // deb-systemd-helper do (host_facts.h).
  if (dirs.root && is_invoked_as_systemctl() && systemd_directories_are_ours())
    defaults.config_dir = std::string(kSystemdUnitDirectories[0]);
  const char* value = std::getenv("UNITRUN_UNIT_PATH");
  if (!value || !*value) return defaults;
  return unit_path_from(value, defaults);
}

}  // namespace unitrun::unit
