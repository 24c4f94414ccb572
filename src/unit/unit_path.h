// The unit path: the directories a unit name is looked up in, in order, as
// systemd's "UNIT FILE LOAD PATH" (systemd.unit(5)) with unitrun's own
// directories in front of systemd's. The first directory that has a file of
// the name wins; drop-ins are gathered from all of them (unit_lookup.h).
// Building the list is pure; unit_path_for_current_user() reads the
// environment and the user database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace unitrun::unit {

// Who the path is for: root gets the system directories, another user their
// own directories in front of them.
struct UnitPathUser {
  bool root = true;
  std::string config_home;  // $XDG_CONFIG_HOME, or ~/.config
  std::string runtime_dir;  // $XDG_RUNTIME_DIR (or its fallback); may be empty
};

struct UnitPath {
  std::vector<std::string> directories;  // in order of precedence, absolute, no duplicates
  // Where `enable` writes its symlinks and `edit` its drop-ins (the first
  // of the defaults that is unitrun's own), and where transient units and
  // `enable --runtime` go; both are in `directories` when the defaults are.
  std::string config_dir;
  std::string runtime_dir;
  bool from_environment = false;  // UNITRUN_UNIT_PATH set it

  // The directories joined with ':', as the path is written.
  std::string to_string() const;
  // Whether a directory is systemd's own (read by unitrun; written only as the
  // machine's systemctl, unit/host_facts.h).
  static bool is_systemd_directory(std::string_view directory);
};

// systemd's system directories, read after unitrun's own, in systemd 252's
// order (`systemd-analyze unit-paths`, without the generator and control
// directories, which only systemd itself fills).
inline constexpr std::string_view kSystemdUnitDirectories[] = {"/etc/systemd/system", "/run/systemd/system",
                                                               "/usr/local/lib/systemd/system", "/lib/systemd/system",
                                                               "/usr/lib/systemd/system"};

// The default path: as root /etc/unitrun, /run/unitrun/units (transient),
// /usr/local/lib/unitrun, /usr/lib/unitrun, then systemd's directories; for
// another user ~/.config/unitrun and $XDG_RUNTIME_DIR/unitrun/units first.
UnitPath default_unit_path(const UnitPathUser& user);

// UNITRUN_UNIT_PATH's value, in SYSTEMD_UNIT_PATH's form: directories
// separated by ':', used instead of the defaults; a trailing ':' appends
// the defaults. Empty and relative entries are dropped, and so are repeated
// ones (the first stays).
UnitPath unit_path_from(std::string_view value, const UnitPath& defaults);

// The path for the user running unitrun: the defaults, or what
// UNITRUN_UNIT_PATH says.
UnitPath unit_path_for_current_user();

}  // namespace unitrun::unit
