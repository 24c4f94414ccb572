#include "cli/install_systemctl.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/exit_codes.h"
#include "base/result.h"
#include "unit/host_facts.h"

namespace unitrun::cli {
namespace {

std::string self_executable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

// What is at `path` (lstat: a dangling symlink is something).
// Only ENOENT is "nothing there"; another failure to look is an error.
Result<ExistingSystemctl> existing_at(const std::string& path) {
  struct stat l;
  if (::lstat(path.c_str(), &l) != 0) {
    if (errno == ENOENT) return ExistingSystemctl::None;
    return Error::from_errno("lstat " + path);
  }
  struct stat self, target;
  if (::stat("/proc/self/exe", &self) == 0 && ::stat(path.c_str(), &target) == 0 && S_ISLNK(l.st_mode) &&
      self.st_dev == target.st_dev && self.st_ino == target.st_ino)
    return ExistingSystemctl::Unitrun;
  return ExistingSystemctl::Other;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "unitrun: %s: %s\n", what.c_str(), std::strerror(errno));
  return exit_code::kFailure;
}

}  // namespace

InstallAction decide_install(bool pid1_is_systemd, ExistingSystemctl existing, bool force) {
  if (pid1_is_systemd) return InstallAction::RefuseSystemd;
  switch (existing) {
    case ExistingSystemctl::None:
      return InstallAction::Install;
    case ExistingSystemctl::Unitrun:
      return InstallAction::Already;
    case ExistingSystemctl::Other:
      break;
  }
  return force ? InstallAction::ReplaceWithBackup : InstallAction::RefuseForeign;
}

int install_systemctl(const std::string& path, bool force) {
  if (path.empty() || path[0] != '/') {
    std::fprintf(stderr, "unitrun: install-systemctl: '%s' is not an absolute path\n", path.c_str());
    return exit_code::kBadArguments;
  }
  auto existing = existing_at(path);
  if (!existing) {
    std::fprintf(stderr, "unitrun: install-systemctl: %s\n", existing.error().message().c_str());
    return exit_code::kFailure;
  }
  std::string backup;  // made here, removed again when the install fails
  switch (decide_install(unit::pid1_is_systemd(unit::read_init_facts()), *existing, force)) {
    case InstallAction::RefuseSystemd:
      std::fprintf(stderr, "unitrun: install-systemctl: refused: PID 1 is systemd, whose systemctl %s must stay\n",
                   path.c_str());
      return exit_code::kFailure;
    case InstallAction::RefuseForeign:
      std::fprintf(stderr,
                   "unitrun: install-systemctl: refused: %s exists and is not unitrun (--force replaces it, kept as "
                   "%s%s)\n",
                   path.c_str(), path.c_str(), kBackupSuffix);
      return exit_code::kFailure;
    case InstallAction::Already:
      std::printf("%s is unitrun already\n", path.c_str());
      return exit_code::kSuccess;
    case InstallAction::ReplaceWithBackup: {
      // A hard link to what is there (a symlink stays a symlink): PATH
      // never goes missing, and the old file stays reachable.
      std::string kept = path + kBackupSuffix;
      if (::link(path.c_str(), kept.c_str()) != 0) return fail("keep " + path + " as " + kept);
      backup = kept;
      break;
    }
    case InstallAction::Install:
      break;
  }
  // A failure from here leaves PATH as it was: the backup (a second link
  // to it) goes again, or every later --force would fail on it (EEXIST).
  auto failed = [&](const std::string& what) {
    int saved = errno;
    if (!backup.empty() && ::unlink(backup.c_str()) != 0)
      std::fprintf(stderr, "unitrun: remove %s: %s\n", backup.c_str(), std::strerror(errno));
    errno = saved;
    return fail(what);
  };
  std::string self = self_executable();
  if (self.empty()) return failed("readlink /proc/self/exe");
  std::string temp = path + ".unitrun-new." + std::to_string(::getpid());
  if (::symlink(self.c_str(), temp.c_str()) != 0) return failed("symlink " + temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    (void)::unlink(temp.c_str());  // ours, made a moment ago; the rename's error is the one to tell
    errno = saved;
    return failed("rename " + temp + " to " + path);
  }
  if (!backup.empty()) std::printf("Kept %s as %s.\n", path.c_str(), backup.c_str());
  std::printf("Created symlink %s → %s.\n", path.c_str(), self.c_str());
  return exit_code::kSuccess;
}

int uninstall_systemctl(const std::string& path) {
  auto existing = existing_at(path);
  if (!existing) {
    std::fprintf(stderr, "unitrun: uninstall-systemctl: %s\n", existing.error().message().c_str());
    return exit_code::kFailure;
  }
  if (*existing != ExistingSystemctl::Unitrun) {
    std::fprintf(stderr, "unitrun: uninstall-systemctl: %s is not a symlink to this unitrun\n", path.c_str());
    return exit_code::kFailure;
  }
  std::string backup = path + kBackupSuffix;
  struct stat st;
  if (::lstat(backup.c_str(), &st) == 0) {
    if (::rename(backup.c_str(), path.c_str()) != 0) return fail("rename " + backup + " to " + path);
    std::printf("Restored %s from %s.\n", path.c_str(), backup.c_str());
    return exit_code::kSuccess;
  }
  if (::unlink(path.c_str()) != 0) return fail("remove " + path);
  std::printf("Removed %s.\n", path.c_str());
  return exit_code::kSuccess;
}

}  // namespace unitrun::cli
