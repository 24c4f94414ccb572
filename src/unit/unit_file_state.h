// Whether a unit file is enabled, in systemctl is-enabled's words
// (systemctl(1), "is-enabled"): from where the unit path links it (.wants/,
// .requires/ and .upholds/ symlinks, which `enable` makes and the second
// step's boot reads), whether it is masked or an alias, and what its
// [Install] section offers. Shared by list-unit-files, is-enabled and the
// "Loaded:" line of status.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "unit/unit_path.h"

namespace unitrun::unit {

enum class UnitFileState {
  Enabled,         // linked from a .wants/, .requires/ or .upholds/ directory
  EnabledRuntime,  // ... only of /run
  Alias,           // the name is a symlink to another unit file
  Masked,          // empty or /dev/null
  MaskedRuntime,   // ... in /run
  Static,          // no [Install] section that could enable it
  Indirect,        // only Also=, or a template whose instances (not DefaultInstance=) are enabled
  Disabled,        // an [Install] section, and not enabled
  Transient,       // in the transient directory (/run/unitrun/units)
  Bad,             // cannot be read
};
const char* to_string(UnitFileState state);
// is-enabled's exit 0: enabled, enabled-runtime, static, alias, indirect, transient.
bool counts_as_enabled(UnitFileState state);

// What an [Install] section offers.
struct InstallInfo {
  bool has_targets = false;  // WantedBy=, RequiredBy= or UpheldBy=
  bool has_alias = false;    // Alias=
  bool has_also = false;     // Also=
  std::string default_instance;
};
// What listing unit files needs of one, read from its text without a full
// parse (a light scan of the dialect's lines: no specifier is expanded,
// nothing validated; `check` does that). Pure.
struct UnitFileSummary {
  std::string description;  // [Unit] Description=, as written
  InstallInfo install;
};
UnitFileSummary summarize(std::string_view text);

// The symlinks of the unit path's NAME.wants/, NAME.requires/ and
// NAME.upholds/ directories, and its aliases (a symlink at a directory's top
// level to a unit file of another name, as Alias= makes), read once: which
// unit file names they link.
class LinkIndex {
 public:
  static LinkIndex read(const UnitPath& path);
  // Where `file_name` is linked from: none, only transient directories, or
  // a persistent one.
  enum class Links { None, RuntimeOnly, Persistent };
  Links links_of(std::string_view file_name) const;
  // The instances of a template linked anywhere ("web@1.service", ...).
  std::vector<std::string> instances_of(std::string_view template_name) const;

 private:
  std::map<std::string, Links, std::less<>> links_;
};

// Whether a directory holds only what lives until reboot (/run/...).
bool is_runtime_directory(std::string_view directory);

struct UnitFileFacts {
  std::string file_name;  // "web.service", "app.ini", "web@.service"
  std::string directory;  // of the unit path
  bool masked = false, alias = false, is_template = false, readable = true;
  InstallInfo install;
};
UnitFileState file_state(const UnitFileFacts& facts, const LinkIndex& links, const UnitPath& path);

}  // namespace unitrun::unit
