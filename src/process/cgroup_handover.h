// The unit's cgroup directories, made by the start CLI while the monitor it
// forked sets itself up, and handed over to that monitor.
//
// After the fork the scheduler puts the new monitor on the other CPU, and
// the CLI would only sleep on the readiness pipe until the report comes;
// the monitor spends about 230 us on its own set-up before it needs the
// unit's cgroup. The mkdirs of the unit's directories (one a tree: three on
// a hybrid machine, about 40 us each, the kernel's work) depend on nothing
// of that set-up, so the CLI makes them in that window, on its own CPU:
// make_unit_cgroup_dirs(), the list UnitCgroup::create() itself makes. It
// writes the paths it made to a second pipe, CLI -> monitor, in one write,
// and closes it; the monitor reads it once, just before its first
// UnitCgroup::create(), which takes those directories as made by itself
// (CgroupOptions::made_for_it). EOF without a message is "none made" (a
// CLI that died, or made nothing).
//
// The monitor owns them from the moment it is forked: whatever it does not
// adopt it removes (remove_handed_over()), before it exits and so while it
// holds the unit's locks (a failed create(), a start that ended before its
// cgroup was made: a condition that failed, a failed preparation). The CLI
// never removes one: once the monitor has exited, the next start may have
// taken the directory as its own already.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "unit/resource_control.h"

namespace unitrun::process {

// The CLI's half: where this machine lets unitrun make a cgroup
// (detect_cgroups(): usable(), as the monitor asks), makes the unit's
// directories and writes the message; then closes `to_monitor`, in every
// case, so that the monitor's read ends.
void hand_over_unit_cgroup_dirs(UniqueFd to_monitor, const std::string& unit_name, const CgroupLimits& limits);

// The monitor's half: the paths the CLI made, read to EOF (blocking: the
// CLI closes its end once it has written, or by dying); closes `from_cli`.
// Nothing when the read fails.
std::vector<std::string> take_handed_over_dirs(UniqueFd from_cli, const std::string& unit_name);

// The message: each path and a newline. The parse keeps the whole lines
// that can be one of the unit's directories (an absolute path ending in
// "/unitrun/NAME.service", without "." or ".." components, as
// make_unit_cgroup_dirs() names them): a message cut short names only what
// it names in full, and nothing else is ever removed by its word.
std::string format_handed_over(const std::vector<std::string>& dirs);
std::vector<std::string> parse_handed_over(std::string_view message, const std::string& unit_name);

// Removes those of `dirs` that are still there and empty (rmdir, which
// never follows a symlink and refuses a cgroup with a member or a
// sub-cgroup): directories the monitor did not adopt. Any failure
// (ENOENT, EBUSY, ENOTEMPTY) leaves the directory as it is.
void remove_handed_over(const std::vector<std::string>& dirs);

}  // namespace unitrun::process
