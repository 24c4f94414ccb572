#include "process/ipc_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "base/strings.h"
#include "base/sys.h"
#include "base/unique_fd.h"

namespace unitrun::process {
namespace {

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

std::string why(int error) { return std::strerror(error); }

// A live process (not a zombie) whose real or effective uid is `uid`.
bool user_has_live_process(uid_t uid) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return true;  // cannot tell: assume in use, remove nothing
  bool found = false;
  while (!found) {
    errno = 0;
    struct dirent* e = ::readdir(proc);
    if (!e) break;
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    auto status = sys::read_file(std::string("/proc/") + e->d_name + "/status", 64 * 1024);
    if (!status) continue;  // gone meanwhile
    std::istringstream in(*status);
    std::string line;
    bool zombie = false, match = false;
    while (std::getline(in, line)) {
      if (line.rfind("State:", 0) == 0) {
        zombie = line.find('Z') != std::string::npos || line.find('X') != std::string::npos;
      } else if (line.rfind("Uid:", 0) == 0) {
        std::istringstream ids(line.substr(4));
        unsigned long real = 0, effective = 0;
        ids >> real >> effective;
        match = real == uid || effective == uid;
        break;  // State: comes before Uid:
      }
    }
    found = match && !zombie;
  }
  (void)::closedir(proc);  // read-only: nothing to lose
  return found;
}

// One /proc/sysvipc table: the ids of the rows whose uid or cuid is `uid`.
std::vector<int> sysv_ids_of(const char* table, const char* id_column, uid_t uid, IpcCleanup& out) {
  std::vector<int> ids;
  auto text = sys::read_file(std::string("/proc/sysvipc/") + table);
  if (!text) {
    if (text.error().sys_errno != ENOENT)  // a kernel without System V IPC
      out.problems.push_back("read /proc/sysvipc/" + std::string(table) + ": " + text.error().message());
    return ids;
  }
  std::istringstream in(*text);
  std::string header;
  std::getline(in, header);
  std::vector<std::string> names = split_whitespace(header);
  int id_at = -1, uid_at = -1, cuid_at = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == id_column) id_at = static_cast<int>(i);
    if (names[i] == "uid") uid_at = static_cast<int>(i);
    if (names[i] == "cuid") cuid_at = static_cast<int>(i);
  }
  if (id_at < 0 || uid_at < 0 || cuid_at < 0) {
    out.problems.push_back("read /proc/sysvipc/" + std::string(table) + ": unexpected columns");
    return ids;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = split_whitespace(line);
    if (f.size() <= static_cast<size_t>(std::max({id_at, uid_at, cuid_at}))) continue;
    auto number = [&](int at) { return std::strtoull(f[static_cast<size_t>(at)].c_str(), nullptr, 10); };
    if (number(uid_at) == uid || number(cuid_at) == uid) ids.push_back(static_cast<int>(number(id_at)));
  }
  return ids;
}

void remove_sysv(uid_t uid, IpcCleanup& out) {
  auto removed = [&](int rc, const char* what, int id) {
    // EINVAL/EIDRM: removed meanwhile (by its owner, or another clean-up).
    if (rc == 0)
      ++out.removed;
    else if (errno != EINVAL && errno != EIDRM)
      out.problems.push_back(std::string("remove System V ") + what + " " + std::to_string(id) + ": " + why(errno));
  };
  for (int id : sysv_ids_of("shm", "shmid", uid, out)) removed(::shmctl(id, IPC_RMID, nullptr), "shared memory", id);
  for (int id : sysv_ids_of("sem", "semid", uid, out)) removed(::semctl(id, 0, IPC_RMID), "semaphore set", id);
  for (int id : sysv_ids_of("msg", "msqid", uid, out)) removed(::msgctl(id, IPC_RMID, nullptr), "message queue", id);
}

// Removes what `uid` owns under the directory `dir` (an fd this function
// takes), depth first; `path` is for messages.
void remove_owned_in(UniqueFd dir, const std::string& path, uid_t uid, int depth, IpcCleanup& out) {
  int copy = ::dup(dir.get());  // fdopendir takes the fd; keep ours for the *at calls
  if (copy < 0) return out.problems.push_back("read " + path + ": " + why(errno));
  DIR* d = ::fdopendir(copy);
  if (!d) {
    int e = errno;
    (void)::close(copy);  // fdopendir failed: still ours
    return out.problems.push_back("read " + path + ": " + why(e));
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  (void)::closedir(d);  // a directory stream, read only
  for (const std::string& name : names) {
    std::string full = path + "/" + name;
    struct stat st;
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT) out.problems.push_back("stat " + full + ": " + why(errno));
      continue;
    }
    int flags = 0;
    if (S_ISDIR(st.st_mode)) {
      if (depth >= 32) {
        out.problems.push_back("remove " + full + ": nested too deep");
        continue;
      }
      UniqueFd sub(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) {
        if (errno != ENOENT) out.problems.push_back("open " + full + ": " + why(errno));
        continue;
      }
      struct stat again;
      // Replaced between the fstatat and the open: leave it alone.
      if (::fstat(sub.get(), &again) < 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino) continue;
      remove_owned_in(std::move(sub), full, uid, depth + 1, out);
      flags = AT_REMOVEDIR;
    }
    if (st.st_uid != uid) continue;
    if (::unlinkat(dir.get(), name.c_str(), flags) == 0)
      ++out.removed;
    else if (errno != ENOENT)
      out.problems.push_back("remove " + full + ": " + why(errno));
  }
}

// /dev/shm or /dev/mqueue, when it is a file system of the given type.
void remove_posix(const char* path, long fs_type, uid_t uid, IpcCleanup& out) {
  UniqueFd dir(::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
      out.problems.push_back(std::string("open ") + path + ": " + why(errno));
    return;
  }
  struct statfs fs;
  if (::fstatfs(dir.get(), &fs) < 0) return out.problems.push_back(std::string("statfs ") + path + ": " + why(errno));
  if (static_cast<long>(fs.f_type) != fs_type) return;  // not mounted here: the files are no IPC objects
  remove_owned_in(std::move(dir), path, uid, 0, out);
}

}  // namespace

IpcCleanup remove_ipc_of(uid_t uid) {
  IpcCleanup out;
  if (uid == 0) return out;
  if (user_has_live_process(uid)) {
    out.skipped_user_active = true;
    return out;
  }
  remove_sysv(uid, out);
  remove_posix("/dev/shm", TMPFS_MAGIC, uid, out);
  remove_posix("/dev/mqueue", MQUEUE_MAGIC, uid, out);
  return out;
}

}  // namespace unitrun::process
