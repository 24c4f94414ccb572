// Unit file text → Unit + diagnostics. Pure: no file access, no user lookup,
// no environment; everything it needs from the outside is in ParseContext.
// inih is used only behind this module.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "unit/diagnostic.h"
#include "unit/unit.h"
#include "unit/unit_name.h"

namespace unitrun::unit {

// Facts about this machine that specifiers name (systemd.unit(5),
// "SPECIFIERS"). Unset: not known here, and a specifier that needs it is an
// error (as in systemd).
struct HostFacts {
  std::optional<std::string> hostname;         // %H; %l is it up to the first '.'
  std::optional<std::string> pretty_hostname;  // %q: PRETTY_HOSTNAME= of /etc/machine-info, else %l
  std::optional<std::string> machine_id;       // %m
  std::optional<std::string> boot_id;          // %b, without dashes
  std::optional<std::string> kernel_release;   // %v
  std::optional<std::string> architecture;     // %a, systemd's name ("x86-64")
  // /etc/os-release (or /usr/lib/os-release): ID= (%o), VERSION_ID= (%w),
  // VARIANT_ID= (%W), BUILD_ID= (%B), IMAGE_ID= (%M), IMAGE_VERSION= (%A);
  // a field that is not set is empty.
  std::string os_id, os_version_id, os_variant_id, os_build_id, os_image_id, os_image_version;
  bool os_release_read = false;  // false: %o and the other os-release specifiers are errors
};

// What the parser needs to know about the world: the values of the
// specifiers and the defaults that depend on who runs unitrun.
struct ParseContext {
  std::string path;  // absolute path of the unit file (its directory, %y, and unless `name` says otherwise its name)
  // The unit's file name when it is not the last component of `path`: an
  // instance read from its template ("web@1.service" from web@.service).
  std::string name;
  // The user running unitrun, as systemd's service manager describes itself
  // (%u %U %g %G %h %s): not User=.
  std::string user_name;            // %u
  std::string home;                 // %h
  std::string shell = "/bin/sh";    // %s
  std::string group_name = "root";  // %g
  uid_t uid = 0;                    // %U
  gid_t gid = 0;                    // %G
  // Roots: systemd's system-manager paths as root, its user-manager paths
  // otherwise (systemd.exec(5), Table 2; systemd.unit(5), "SPECIFIERS").
  bool system = true;
  std::string runtime_dir;               // %t: /run as root, $XDG_RUNTIME_DIR otherwise
  std::string state_dir = "/var/lib";    // %S
  std::string cache_dir = "/var/cache";  // %C
  std::string logs_dir = "/var/log";     // %L
  std::string config_dir = "/etc";       // %E
  std::string tmp_dir = "/tmp";          // %T
  std::string var_tmp_dir = "/var/tmp";  // %V
  std::string pid_dir;                   // default PIDFile= directory: <runtime_dir>/unitrun
  std::string log_dir;                   // default log directory: /var/log/unitrun or $XDG_STATE_HOME/unitrun
  HostFacts host;
};

struct ParseResult {
  Unit unit;
  Diagnostics diagnostics;
};

// One file of a unit: the unit file, or one of its drop-ins.
struct SourceText {
  std::string path;
  std::string_view text;
};

// The unit file alone.
ParseResult parse(std::string_view content, const ParseContext& context);
// The unit file (sources[0], at context.path), then its drop-ins in the
// order they apply, each read as a continuation of the unit with its own
// sections (systemd.unit(5)): a later assignment overrides, an empty one
// resets a list. Line numbers count through the files in order (Unit::sources
// says where each starts); the diagnostics of a drop-in name its file.
ParseResult parse(const std::vector<SourceText>& sources, const ParseContext& context);

// Gives a diagnostic about a line of a drop-in its file and its line there
// (those of the unit file are left alone). Validation's diagnostics need
// it too, since key_lines and Command::line count through every file.
void attribute_to_files(const Unit& unit, Diagnostics& diagnostics);

// The unit's name from its file name ("units/autotest.ini" → "autotest",
// "web@1.service" → "web@1.service"); unit_name.h has the parts.
std::string name_from_path(std::string_view path);

// Every key unitrun knows, as "Section.Key"; for documentation and tests.
// Those it implements; unit/directives.h has every key of the registry.
std::vector<std::string> known_keys();

// Lexical path resolution: absolute stays, relative joins the unit's
// directory; "." and ".." are folded without touching the file system.
std::string resolve_path(std::string_view path, std::string_view directory);

}  // namespace unitrun::unit
