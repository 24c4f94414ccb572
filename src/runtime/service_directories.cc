#include "runtime/service_directories.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "runtime/dir_walk.h"

namespace unitrun::service_directories {
namespace {

std::pair<std::string, std::string> split_last(const std::string& relative) {
  size_t slash = relative.rfind('/');
  if (slash == std::string::npos) return {"", relative};
  return {relative.substr(0, slash), relative.substr(slash + 1)};
}

// LINK (relative to the root) → target: created, or left when it is that
// symlink already.
Status make_symlink(const unit::PlannedDirectory& d, const std::string& link) {
  std::string relative = link.substr(d.root.size() + (d.root == "/" ? 0 : 1));
  auto [parent_path, name] = split_last(relative);
  auto parent = dir_walk::open_below(d.root, parent_path, true, 0755);
  if (!parent) return parent.error();
  if (::symlinkat(d.path.c_str(), parent->get(), name.c_str()) == 0) return ok();
  if (errno != EEXIST) return Error::from_errno("symlink '" + link + "'");
  char target[PATH_MAX];
  ssize_t n = ::readlinkat(parent->get(), name.c_str(), target, sizeof target - 1);
  if (n >= 0 && std::string(target, static_cast<size_t>(n)) == d.path) return ok();
  return Error::plain("'" + link + "' exists and is not a symlink to '" + d.path + "'");
}

}  // namespace

Status create(const Unit& unit, uid_t uid, gid_t gid) {
  for (const unit::PlannedDirectory& d : unit::planned_directories(unit)) {
    auto [parent_path, name] = split_last(d.relative);
    auto parent = dir_walk::open_below(d.root, parent_path, true, 0755);
    if (!parent) return parent.error();
    auto dir = dir_walk::open_below(d.root, d.relative, true, d.mode);
    if (!dir) return dir.error();
    if (::fchmod(dir->get(), d.mode) < 0) return Error::from_errno("chmod '" + d.path + "'");
    if (d.owned_by_service) {
      struct stat st;
      if (::fstat(dir->get(), &st) < 0) return Error::from_errno("stat '" + d.path + "'");
      // Owned already: what is inside is left as it is (systemd's shortcut).
      if (st.st_uid != uid || st.st_gid != gid)
        if (auto r = dir_walk::chown_tree(dir->get(), uid, gid, d.path); !r) return r;
    }
    for (const std::string& link : d.symlinks)
      if (auto r = make_symlink(d, link); !r) return r;
  }
  return ok();
}

Status remove(const Unit& unit, unit::StopReason reason) {
  Status first = ok();
  for (const unit::PlannedDirectory& d : unit::directories_to_remove(unit, reason)) {
    for (const std::string& link : d.symlinks) {
      std::string relative = link.substr(d.root.size() + (d.root == "/" ? 0 : 1));
      auto [parent_path, name] = split_last(relative);
      auto parent = dir_walk::open_below(d.root, parent_path, false, 0);
      if (!parent) continue;  // gone already: nothing to remove
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(parent->get(), name.c_str(), target, sizeof target - 1);
      // Only our own link; whatever else is there now is someone else's.
      if (n >= 0 && std::string(target, static_cast<size_t>(n)) == d.path &&
          ::unlinkat(parent->get(), name.c_str(), 0) < 0 && errno != ENOENT && first)
        first = Error::from_errno("remove '" + link + "'");
    }
    auto [parent_path, name] = split_last(d.relative);
    auto parent = dir_walk::open_below(d.root, parent_path, false, 0);
    if (!parent) {
      if (parent.error().sys_errno != ENOENT && first) first = parent.error();
      continue;
    }
    if (auto r = dir_walk::remove_tree(parent->get(), name, d.path); !r && first) first = r;
  }
  return first;
}

}  // namespace unitrun::service_directories
