// What `enable`, `disable`, `mask` and `unmask` change in the config
// directory (unit_path.h's config_dir), as systemctl(1) does it from a unit's
// [Install] section (systemd.unit(5)), planned without touching a file:
// the symlinks to make, the names and paths whose links to remove, and the
// units Also= brings along. The file-system half (cli/unit_files.cc) carries
// a plan out through directory fds and never follows a symlink.
#pragma once

#include <string>
#include <vector>

namespace unitrun::unit {

// One unit as `enable` sees it.
struct InstallSource {
  // The name enabled: "web.service", "web@1.service" (an instance of a
  // template), "web@.service" (the template itself), "app.ini".
  std::string name;
  // What the links point to: the unit file where the unit path has it
  // ("/usr/lib/unitrun/web@.service" for web@1.service too).
  std::string file_path;
  std::vector<std::string> wanted_by, required_by, upheld_by, alias, also;
  std::string default_instance;
};

// A symlink in the config directory: DIRECTORY/NAME -> TARGET, DIRECTORY
// relative to the config directory ("" for the config directory itself,
// "multi-user.target.wants").
struct PlannedLink {
  std::string directory;
  std::string name;
  std::string target;
  bool operator==(const PlannedLink&) const = default;
};

struct EnablePlan {
  std::vector<PlannedLink> links;
  std::vector<std::string> also;  // units to enable too (Also=), as written
  // Whether the section offers anything to enable (systemctl's
  // "carries install info"): false prints the hint of units without
  // installation config. A template without DefaultInstance= enabled by
  // its template name has none: its instance must be named.
  bool installable = false;
};
EnablePlan plan_enable(const InstallSource& source);

// What `disable` removes, systemd's rule (remove_marked_symlinks): every
// symlink below the config directory (its top level and its .wants/,
// .requires/ and .upholds/ directories) that has one of `names` as its
// name, or as the last component of its target, or whose target is one of
// `targets` (the links removed before: an alias of an alias goes too).
// `names` are the unit's name and its Alias= names, so disabling a template
// removes the links of all its instances, and disabling an instance only
// its own. Unlike systemctl, a mask (a link to /dev/null) is left to
// `unmask`, and the unit's own file (`own_file`: its name at the config
// directory's top level, when the unit path finds it there) is never
// removed, even when it is a symlink.
struct DisablePlan {
  std::vector<std::string> names;
  std::vector<std::string> targets;
  std::string own_file;  // "web.service", or empty
  std::vector<std::string> also;
};
DisablePlan plan_disable(const InstallSource& source, const std::string& own_file);
// Whether a symlink found at DIRECTORY/NAME (directory relative to the
// config directory) pointing to TARGET is one the plan removes. Pure.
bool removes(const DisablePlan& plan, const std::string& directory, const std::string& name, const std::string& target);
// The directories of the config directory that hold enablement links:
// NAME.wants, NAME.requires, NAME.upholds.
bool is_link_directory(const std::string& directory);

// `mask NAME`: NAME -> /dev/null at the config directory's top level.
inline constexpr const char* kMaskTarget = "/dev/null";
PlannedLink plan_mask(const std::string& name);

// The name of a template's instance: ("web@.service", "1") -> "web@1.service";
// a name that is no template is returned unchanged.
std::string instance_name(const std::string& template_name, const std::string& instance);

}  // namespace unitrun::unit
