#include "runtime/credentials_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "base/sys.h"
#include "runtime/dir_walk.h"

namespace unitrun::credentials_dir {
namespace {

constexpr size_t kMaxCredentialBytes = 1024 * 1024;  // systemd's CREDENTIAL_SIZE_MAX

std::pair<std::string, std::string> split_last(const std::string& path) {
  size_t slash = path.rfind('/');
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

Result<std::string> read_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error::plain("socket path too long: '" + path + "'");
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
    return Error::from_errno("connect '" + path + "'");
  (void)::shutdown(fd.get(), SHUT_WR);  // nothing to send; a refusal changes nothing
  return sys::read_all(fd.get(), kMaxCredentialBytes);
}

// The credentials of one LoadCredential=: ID → data.
Result<std::map<std::string, std::string>> load(const Credential& c) {
  std::map<std::string, std::string> out;
  std::string path = c.path;
  if (path[0] != '/') {
    std::vector<std::string> stores;
    if (const char* own = std::getenv("CREDENTIALS_DIRECTORY"); own && own[0] == '/') stores.emplace_back(own);
    for (const char* s : {"/etc/credstore", "/run/credstore", "/usr/lib/credstore"}) stores.emplace_back(s);
    std::string found;
    for (const std::string& s : stores)
      if (::access((s + "/" + path).c_str(), R_OK) == 0) {
        found = s + "/" + path;
        break;
      }
    if (found.empty()) return Error{ENOENT, "credential '" + path + "' is in no credential store"};
    path = found;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return Error::from_errno("LoadCredential '" + path + "'");
  if (S_ISSOCK(st.st_mode)) {
    auto data = read_socket(path);
    if (!data) return data.error();
    out[c.id] = std::move(*data);
  } else if (S_ISDIR(st.st_mode)) {
    // Every regular file below, as ID_NAME; symlinks are not followed.
    std::vector<std::pair<std::string, std::string>> todo = {{path, ""}};
    while (!todo.empty()) {
      auto [dir, prefix] = todo.back();
      todo.pop_back();
      DIR* d = ::opendir(dir.c_str());
      if (!d) return Error::from_errno("LoadCredential '" + dir + "'");
      while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        std::string full = dir + "/" + name;
        struct stat est;
        if (::lstat(full.c_str(), &est) < 0) continue;
        if (S_ISDIR(est.st_mode)) {
          todo.emplace_back(full, prefix + name + "_");
        } else if (S_ISREG(est.st_mode)) {
          auto data = sys::read_file(full, kMaxCredentialBytes);
          if (!data) {
            ::closedir(d);
            return Error{data.error().sys_errno, "LoadCredential '" + full + "'"};
          }
          out[c.id + "_" + prefix + name] = std::move(*data);
        }
      }
      ::closedir(d);
    }
  } else {
    if (static_cast<size_t>(st.st_size) > kMaxCredentialBytes)
      return Error::plain("LoadCredential '" + path + "': larger than 1 MiB");
    auto data = sys::read_file(path, kMaxCredentialBytes);
    if (!data) return Error{data.error().sys_errno, "LoadCredential '" + path + "'"};
    out[c.id] = std::move(*data);
  }
  return out;
}

}  // namespace

Status write(const Unit& unit, uid_t uid, gid_t gid) {
  if (unit.credentials.empty()) return ok();
  // The data first: nothing is written when one credential cannot be had.
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> fallback;  // SetCredential= by ID
  for (const Credential& c : unit.credentials)
    if (c.is_set) fallback[c.id] = c.data;
  for (const Credential& c : unit.credentials) {
    if (c.is_set) {
      files[c.id] = c.data;
      continue;
    }
    auto loaded = load(c);
    if (!loaded) {
      auto f = fallback.find(c.id);
      if (f == fallback.end()) return loaded.error();
      files[c.id] = f->second;
      continue;
    }
    for (auto& [id, data] : *loaded) files[id] = std::move(data);
  }

  auto [parent_path, name] = split_last(unit.credentials_directory);
  auto parent = dir_walk::open_below(parent_path, "", true, 0755);
  if (!parent) {
    // The parent (<runtime dir>/unitrun/credentials) is unitrun's own.
    auto [grand, base] = split_last(parent_path);
    parent = dir_walk::open_below(grand, base, true, 0755);
    if (!parent) return parent.error();
  }
  if (auto r = dir_walk::remove_tree(parent->get(), name, unit.credentials_directory); !r) return r;
  if (::mkdirat(parent->get(), name.c_str(), 0700) < 0)
    return Error::from_errno("create '" + unit.credentials_directory + "'");
  int dir_fd = ::openat(parent->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) return Error::from_errno("open '" + unit.credentials_directory + "'");
  UniqueFd dir(dir_fd);
  if (::fchmod(dir.get(), 0700) < 0) return Error::from_errno("chmod '" + unit.credentials_directory + "'");
  for (const auto& [id, data] : files) {
    std::string what = unit.credentials_directory + "/" + id;
    UniqueFd f(::openat(dir.get(), id.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
    if (!f) return Error::from_errno("create '" + what + "'");
    if (auto w = sys::write_all(f.get(), data); !w) return Error{w.error().sys_errno, "write '" + what + "'"};
    if (::fchmod(f.get(), 0400) < 0 || ::fchown(f.get(), uid, gid) < 0) return Error::from_errno("own '" + what + "'");
  }
  // Handed over last: until now only root could have touched it.
  if (::fchown(dir.get(), uid, gid) < 0) return Error::from_errno("chown '" + unit.credentials_directory + "'");
  return ok();
}

Status remove(const Unit& unit) {
  auto [parent_path, name] = split_last(unit.credentials_directory);
  UniqueFd parent(::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return errno == ENOENT ? ok() : Status(Error::from_errno("open '" + parent_path + "'"));
  return dir_walk::remove_tree(parent.get(), name, unit.credentials_directory);
}

}  // namespace unitrun::credentials_dir
