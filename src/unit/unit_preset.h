// systemd.preset(5): which units `systemctl preset` enables. Debian's
// deb-systemd-helper runs `systemctl --root=/ --system
// --preset-mode=enable-only preset UNIT` when a package is first installed
// and a systemctl exists (init-system-helpers 1.65); where unitrun is that
// systemctl, this is how a postinst enables its unit.
//
// Preset files: *.preset in /etc/systemd/system-preset,
// /run/systemd/system-preset, /usr/local/lib/systemd/system-preset,
// /usr/lib/systemd/system-preset and /lib/systemd/system-preset, read in
// the order of their file names (a name in an earlier directory hides the
// same name in a later one); lines "enable GLOB" and "disable GLOB" (and
// "ignore GLOB"), '#' and ';' comments; the first line whose glob matches
// the unit name decides. No matching line: enable (systemd's default).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace unitrun::unit {

enum class Preset { Enable, Disable, Ignore };

// One preset file: its name (for the order) and its text.
struct PresetFile {
  std::string name;
  std::string text;
};

// Pure: the decision for UNIT (a full name, nginx.service) from FILES in
// the order given (already sorted and deduplicated by preset_files()).
Preset preset_for(const std::string& unit, const std::vector<PresetFile>& files);

// Reads the preset files of the system directories (or of DIRS, for tests),
// in systemd's order. Unreadable files and missing directories are skipped.
std::vector<PresetFile> preset_files(const std::vector<std::string>& dirs = {});

}  // namespace unitrun::unit
