#include "process/credentials.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "process/passwd_files.h"
#include "unit/values.h"

namespace unitrun::process {
namespace {

bool is_numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<gid_t> resolve_group(const std::string& g) {
  if (is_numeric(g)) {
    auto n = values::parse_unsigned(g, 4294967294u);
    if (!n) return Error::plain("invalid group ID '" + g + "'");
    return static_cast<gid_t>(*n);
  }
  errno = 0;
  const struct group* gr = ::getgrnam(g.c_str());
  if (!gr) return Error{errno, "group '" + g + "' does not exist"};
  return gr->gr_gid;
}

}  // namespace

Result<Identity> resolve_identity(const Unit& unit, bool own_names) {
  Identity id;
  const struct passwd* pw = nullptr;
  uid_t uid = ::geteuid();
  if (!unit.user.empty()) {
    errno = 0;
    if (is_numeric(unit.user)) {
      auto n = values::parse_unsigned(unit.user, 4294967294u);
      if (!n) return Error::plain("invalid user ID '" + unit.user + "'");
      uid = static_cast<uid_t>(*n);
      pw = ::getpwuid(uid);
    } else {
      pw = ::getpwnam(unit.user.c_str());
      if (!pw) return Error{errno, "user '" + unit.user + "' does not exist"};
      uid = pw->pw_uid;
    }
  } else {
    // Without User=, Group= and SupplementaryGroups=, only the name, home
    // and shell, and only when asked: from /etc/passwd when NSS would read
    // them there (passwd_files.h).
    if (unit.group.empty() && unit.supplementary_groups.empty()) {
      if (!own_names) return id;
      if (std::optional<PasswdEntry> own = passwd_from_files(uid)) {
        id.user_name = own->name;
        id.home = own->dir;
        id.shell = own->shell;
        return id;
      }
    }
    pw = ::getpwuid(uid);
  }
  id.user_name = pw ? pw->pw_name : std::to_string(uid);
  id.home = pw && pw->pw_dir ? pw->pw_dir : "";
  id.shell = pw && pw->pw_shell ? pw->pw_shell : "";

  bool change = !unit.user.empty() || !unit.group.empty() || !unit.supplementary_groups.empty();
  if (!change) return id;

  Credentials c;
  c.uid = uid;
  if (!unit.user.empty() && !pw && unit.group.empty())
    return Error::plain("user ID " + unit.user + " has no passwd entry, so no primary group: set Group= as well");
  c.gid = pw ? pw->pw_gid : ::getegid();  // no User=: unitrun's own group, unless Group= says otherwise
  if (!unit.group.empty()) {
    auto g = resolve_group(unit.group);
    if (!g) return g.error();
    c.gid = *g;
  }
  if (!unit.user.empty() && pw) {
    // initgroups(), done here with getgrouplist() because the child may only
    // make async-signal-safe calls.
    int n = 32;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    while (::getgrouplist(pw->pw_name, c.gid, groups.data(), &n) < 0) groups.resize(static_cast<size_t>(n));
    groups.resize(static_cast<size_t>(n));
    c.groups = groups;
  } else if (!unit.user.empty()) {
    c.groups = {c.gid};  // a numeric user without a passwd entry: only its group
  } else {
    c.groups = {c.gid};
  }
  for (const std::string& g : unit.supplementary_groups) {
    auto gid = resolve_group(g);
    if (!gid) return gid.error();
    if (std::find(c.groups.begin(), c.groups.end(), *gid) == c.groups.end()) c.groups.push_back(*gid);
  }
  id.credentials = c;
  return id;
}

}  // namespace unitrun::process
