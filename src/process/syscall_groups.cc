#include "process/syscall_groups.h"

#include <algorithm>
#include <set>

namespace unitrun::process::syscall_groups {
namespace {

struct RawGroup {
  const char* name;
  const char* help;
  std::string_view members;  // NUL-separated, with a trailing NUL
};

// The members of one group string are NUL-terminated names; string_view
// keeps the embedded NULs (sizeof - 1 drops only the literal's own).
#define UNITRUN_SYSCALL_GROUP(name, help, members) RawGroup{name, help, std::string_view(members, sizeof(members) - 1)},
const RawGroup kRaw[] = {
#include "process/syscall_groups.inc"
};
#undef UNITRUN_SYSCALL_GROUP

std::vector<Group> build() {
  std::vector<Group> out;
  for (const RawGroup& r : kRaw) {
    Group g{r.name, r.help, {}};
    std::string_view rest = r.members;
    while (!rest.empty()) {
      size_t end = rest.find('\0');
      if (end == std::string_view::npos) end = rest.size();
      if (end > 0) g.members.push_back(rest.substr(0, end));
      rest.remove_prefix(std::min(rest.size(), end + 1));
    }
    out.push_back(std::move(g));
  }
  return out;
}

void collect(std::string_view name, std::set<std::string>& out, std::set<std::string_view>& seen) {
  const Group* g = find(name);
  if (!g || !seen.insert(g->name).second) return;  // a cycle would be systemd's bug; never loop on it
  for (std::string_view m : g->members) {
    if (!m.empty() && m[0] == '@')
      collect(m, out, seen);
    else
      out.emplace(m);
  }
}

}  // namespace

const std::vector<Group>& all() {
  static const std::vector<Group> groups = build();
  return groups;
}

const Group* find(std::string_view name) {
  for (const Group& g : all())
    if (g.name == name) return &g;
  return nullptr;
}

std::optional<std::vector<std::string>> resolve(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name[0] != '@') return std::vector<std::string>{std::string(name)};
  if (!find(name)) return std::nullopt;
  std::set<std::string> out;
  std::set<std::string_view> seen;
  collect(name, out, seen);
  return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace unitrun::process::syscall_groups
