#include "runtime/dir_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace unitrun::dir_walk {
namespace {

constexpr int kMaxDepth = 64;

Result<UniqueFd> open_dir_at(int parent, const std::string& name, const std::string& what) {
  int fd;
  do {
    fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      return Error{errno, "'" + what + "' is a symlink or not a directory; refusing to follow it"};
    return Error::from_errno("open '" + what + "'");
  }
  return UniqueFd(fd);
}

// The names in a directory (a copy of the fd, so `dir` keeps its offset).
Result<std::vector<std::pair<std::string, unsigned char>>> list(int dir, const std::string& what) {
  int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return Error::from_errno("open '" + what + "'");
  DIR* d = ::fdopendir(copy);
  if (!d) {
    int saved = errno;
    (void)::close(copy);  // fdopendir did not take it
    return Error{saved, "read '" + what + "'"};
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  while (struct dirent* e = ::readdir(d))
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
      names.emplace_back(e->d_name, e->d_type);
  ::closedir(d);
  return names;
}

bool is_dir_entry(int dir, const std::string& name, unsigned char type) {
  if (type != DT_UNKNOWN) return type == DT_DIR;
  struct stat st;
  return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

Status chown_below(int dir, uid_t uid, gid_t gid, const std::string& what, int depth) {
  if (depth > kMaxDepth) return Error::plain("'" + what + "' is nested more than 64 levels deep");
  auto names = list(dir, what);
  if (!names) return names.error();
  for (const auto& [name, type] : *names) {
    std::string path = what + "/" + name;
    if (::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
      return Error::from_errno("chown '" + path + "'");
    if (!is_dir_entry(dir, name, type)) continue;
    auto sub = open_dir_at(dir, name, path);
    if (!sub) {
      if (sub.error().sys_errno == ENOENT || sub.error().sys_errno == ELOOP || sub.error().sys_errno == ENOTDIR)
        continue;  // gone, or replaced by something that is not a directory: nothing below to own
      return sub.error();
    }
    if (auto r = chown_below(sub->get(), uid, gid, path, depth + 1); !r) return r;
  }
  return ok();
}

Status remove_below(int dir, const std::string& what, int depth) {
  if (depth > kMaxDepth) return Error::plain("'" + what + "' is nested more than 64 levels deep");
  auto names = list(dir, what);
  if (!names) return names.error();
  for (const auto& [name, type] : *names) {
    std::string path = what + "/" + name;
    if (is_dir_entry(dir, name, type)) {
      auto sub = open_dir_at(dir, name, path);
      if (sub) {
        if (auto r = remove_below(sub->get(), path, depth + 1); !r) return r;
      }
      if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return Error::from_errno("remove '" + path + "'");
    } else if (::unlinkat(dir, name.c_str(), 0) < 0 && errno != ENOENT) {
      return Error::from_errno("remove '" + path + "'");
    }
  }
  return ok();
}

}  // namespace

Result<UniqueFd> open_below(const std::string& root, std::string_view relative, bool create, mode_t mode) {
  UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Error::from_errno("open '" + root + "'");
  std::string path = root;
  while (!relative.empty()) {
    size_t slash = relative.find('/');
    std::string name(relative.substr(0, slash));
    relative = slash == std::string_view::npos ? std::string_view() : relative.substr(slash + 1);
    if (name.empty()) continue;
    path += "/" + name;
    if (create && ::mkdirat(dir.get(), name.c_str(), mode) == 0) {
      // mkdir applied the umask; the mode is set on the fd below.
      auto made = open_dir_at(dir.get(), name, path);
      if (!made) return made.error();
      if (::fchmod(made->get(), mode) < 0) return Error::from_errno("chmod '" + path + "'");
      dir = std::move(*made);
      continue;
    }
    if (create && errno != EEXIST) return Error::from_errno("create '" + path + "'");
    auto next = open_dir_at(dir.get(), name, path);
    if (!next) return next.error();
    dir = std::move(*next);
  }
  return dir;
}

Status chown_tree(int fd, uid_t uid, gid_t gid, const std::string& what) {
  if (::fchown(fd, uid, gid) < 0) return Error::from_errno("chown '" + what + "'");
  return chown_below(fd, uid, gid, what, 0);
}

Status remove_tree(int parent, const std::string& name, const std::string& what) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("stat '" + what + "'");
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent, name.c_str(), 0) < 0 && errno != ENOENT) return Error::from_errno("remove '" + what + "'");
    return ok();
  }
  auto dir = open_dir_at(parent, name, what);
  if (!dir) return dir.error();
  if (auto r = remove_below(dir->get(), what, 0); !r) return r;
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    return Error::from_errno("remove '" + what + "'");
  return ok();
}

}  // namespace unitrun::dir_walk
