#include "process/cgroup_handover.h"

#include <unistd.h>

#include "base/sys.h"
#include "process/cgroup.h"

namespace unitrun::process {

void hand_over_unit_cgroup_dirs(UniqueFd to_monitor, const std::string& unit_name, const CgroupLimits& limits) {
  if (!to_monitor) return;
  CgroupSupport support = detect_cgroups();
  if (!support.usable()) return;  // the monitor makes none either
  std::vector<std::string> made = make_unit_cgroup_dirs(support, unit_name, limits);
  // One write, well below PIPE_BUF (a few paths of at most ~300 bytes): the
  // monitor reads all of it or, when this process died before it, nothing.
  // A failed write leaves what it made to the monitor's leftover handling
  // (an empty directory a later create() takes as an earlier run's).
  if (!made.empty()) (void)sys::write_all(to_monitor.get(), format_handed_over(made));
}

std::vector<std::string> take_handed_over_dirs(UniqueFd from_cli, const std::string& unit_name) {
  if (!from_cli) return {};
  auto message = sys::read_all(from_cli.get(), 1 << 16);
  if (!message) return {};
  return parse_handed_over(*message, unit_name);
}

std::string format_handed_over(const std::vector<std::string>& dirs) {
  std::string message;
  for (const std::string& d : dirs) {
    message += d;
    message += '\n';
  }
  return message;
}

namespace {

// Whether `path` is absolute, without empty, "." or ".." components.
bool plain_absolute(std::string_view path) {
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string_view::npos) return false;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

std::vector<std::string> parse_handed_over(std::string_view message, const std::string& unit_name) {
  std::vector<std::string> dirs;
  auto name = unit_cgroup_name(unit_name);
  if (!name) return dirs;
  const std::string tail = "/unitrun/" + *name;
  while (true) {
    size_t eol = message.find('\n');
    if (eol == std::string_view::npos) break;  // no line, or one cut short
    std::string_view line = message.substr(0, eol);
    message.remove_prefix(eol + 1);
    if (line.size() > tail.size() && line.substr(line.size() - tail.size()) == tail && plain_absolute(line))
      dirs.emplace_back(line);
  }
  return dirs;
}

void remove_handed_over(const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs) (void)::rmdir(d.c_str());
}

}  // namespace unitrun::process
