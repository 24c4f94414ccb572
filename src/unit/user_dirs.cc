#include "unit/user_dirs.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "unit/command_reads.h"

namespace unitrun::unit {
namespace {

std::string absolute_env(const char* name) {
  const char* v = std::getenv(name);
  return v && v[0] == '/' ? std::string(v) : std::string();
}

// A directory this user owns that nobody else may write to: safe to keep
// locks and pidfiles in. lstat: a symlink planted there is not followed.
bool is_own_private_directory(const std::string& path, uid_t uid) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string fallback_runtime_dir(uid_t uid) { return "/tmp/unitrun-" + std::to_string(uid); }

namespace {

CallerEntry read_caller_entry() {
  CallerEntry e;
  uid_t uid = ::geteuid();
  const struct passwd* pw = ::getpwuid(uid);
  e.user_name = pw ? pw->pw_name : std::to_string(uid);
  e.home = pw && pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : "/";
  e.shell = pw && pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh";
  return e;
}

// What the user database and the environment say, no file system looked
// at: what a command may keep (root's directories are fixed, all of them:
// root's entry is not read for them).
UserDirs read_user_entry() {
  UserDirs d;
  d.uid = ::geteuid();
  d.root = d.uid == 0;
  if (d.root) {
    d.runtime_dir = "/run";
    d.log_dir = "/var/log/unitrun";
    return d;
  }
  d.home = caller_entry().home;
  std::string config = absolute_env("XDG_CONFIG_HOME");
  d.config_home = config.empty() ? d.home + "/.config" : config;
  return d;
}

// Another user's runtime and log directories. Which runtime directory is
// chosen by what is there (logind's /run/user/UID, made at login and
// removed at logout, or the fallback under /tmp): one command keeps its
// choice (its scope's CommandReads), so that its locks and state records
// never split between the two, but whether the chosen one is safe is
// looked at on every call, never kept (a command may run for minutes while
// another user plants /tmp/unitrun-UID).
void add_user_directories(UserDirs& d, CommandReads* reads) {
  // $XDG_RUNTIME_DIR when set; else the one systemd-logind made at login;
  // else (cron, su without a session, a user without logins such as
  // nobody) a directory of the user's own under /tmp, as tmux and ssh-agent
  // do, which must be the user's and writable by nobody else: one planted
  // by another user is refused, with what to set instead.
  d.runtime_dir = absolute_env("XDG_RUNTIME_DIR");
  if (d.runtime_dir.empty()) {
    const std::string logind = "/run/user/" + std::to_string(d.uid);
    const std::string fallback = fallback_runtime_dir(d.uid);
    if (reads && reads->runtime_dir_choice) {
      d.runtime_dir = *reads->runtime_dir_choice;
    } else {
      d.runtime_dir = is_own_private_directory(logind, d.uid) ? logind : fallback;
      if (reads) reads->runtime_dir_choice = d.runtime_dir;
    }
    struct stat st;
    if (d.runtime_dir == logind) {
      // Chosen earlier in this command; gone (a logout) or changed since.
      if (!is_own_private_directory(logind, d.uid))
        d.runtime_dir_problem = logind + ", this command's runtime directory, is no longer a directory of uid " +
                                std::to_string(d.uid) +
                                " that only it can write to (a logout removed it?); run the command again";
    } else if (::lstat(d.runtime_dir.c_str(), &st) == 0 && !is_own_private_directory(d.runtime_dir, d.uid)) {
      d.runtime_dir_problem = "XDG_RUNTIME_DIR is not set, " + logind + " does not exist, and " + d.runtime_dir +
                              " is not a directory of uid " + std::to_string(d.uid) +
                              " that only it can write to; set XDG_RUNTIME_DIR to a directory of your own (mode "
                              "0700, on a local file system that lives until reboot)";
    }
  }

  // Logs: $XDG_STATE_HOME, else ~/.local/state; a user whose home does not
  // exist (nobody's is /nonexistent) keeps them beside its runtime files.
  std::string state = absolute_env("XDG_STATE_HOME");
  if (state.empty() && is_directory(d.home)) state = d.home + "/.local/state";
  d.log_dir = state.empty() ? d.runtime_dir + "/unitrun/log" : state + "/unitrun";
}

}  // namespace

UserDirs user_dirs() {
  CommandReads* reads = CommandReads::current();
  UserDirs d =
      reads ? (reads->user_entry ? *reads->user_entry : *(reads->user_entry = read_user_entry())) : read_user_entry();
  if (!d.root) add_user_directories(d, reads);
  return d;
}

CallerEntry caller_entry() {
  CommandReads* reads = CommandReads::current();
  if (!reads) return read_caller_entry();
  if (!reads->caller_entry) reads->caller_entry = read_caller_entry();
  return *reads->caller_entry;
}

}  // namespace unitrun::unit
