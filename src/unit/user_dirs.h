// The directories of the user running unitrun: where its runtime files,
// logs and unit files go. Root has fixed ones (/run, /var/log/unitrun,
// /etc/unitrun); another user has the XDG ones, and fallbacks that are safe
// when the XDG variables are missing (no login session: cron, su, a
// service's own user), or says what to set.
#pragma once

#include <sys/types.h>

#include <string>

namespace unitrun::unit {

// /tmp/unitrun-UID: the runtime directory of a user without
// $XDG_RUNTIME_DIR and without /run/user/UID (which systemd-logind makes at
// login). Used only while it is a directory of that user's that nobody
// else can write to.
std::string fallback_runtime_dir(uid_t uid);

struct UserDirs {
  uid_t uid = 0;
  bool root = true;
  std::string home;         // the user database's (or "/"); empty for root, whose directories are fixed
  std::string runtime_dir;  // %t: /run, $XDG_RUNTIME_DIR, /run/user/UID, or fallback_runtime_dir()
  std::string log_dir;      // /var/log/unitrun, $XDG_STATE_HOME/unitrun, ~/.local/state/unitrun, or under runtime_dir
  std::string config_home;  // $XDG_CONFIG_HOME or ~/.config; empty for root
  // Why the runtime directory cannot be used, and what to set instead
  // ("/tmp/unitrun-1000 belongs to uid 0; set XDG_RUNTIME_DIR to ..."),
  // empty when it can. Checked by the verbs that write there.
  std::string runtime_dir_problem;
};

// Reads the environment, the user database and, for a fallback, the file
// system (nothing is created). Within a CommandReads the user entry is read
// once per command, and so is which runtime directory another user's
// command uses (/run/user/UID or /tmp/unitrun-UID: one command's files stay
// in one); whether that directory is safe (runtime_dir_problem) is looked
// at again on every call, as it may change while a command runs.
UserDirs user_dirs();

// The caller's entry in the user database (getpwuid(geteuid()), through
// NSS): what the specifiers %u, %h and %s say. Read only when asked (a unit
// without specifiers, root's directories and a root caller need none), and
// within a CommandReads once per command.
struct CallerEntry {
  std::string user_name;  // the name, or the UID in decimal when the database has none
  std::string home;       // "/" when the database has none
  std::string shell;      // "/bin/sh" when the database has none
};
CallerEntry caller_entry();

}  // namespace unitrun::unit
