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
  // The user's entry in the user database (%u %h %s). Root's directories
  // need none of it: for root they are read only when asked for
  // (user_dirs(true)), and empty otherwise.
  std::string user_name, home, shell;
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
// `with_user_entry`: root's user_name, home and shell too, which cost a
// look-up in the user database (NSS: nsswitch.conf, nscd's socket,
// /etc/passwd) that root's fixed directories do not need; a user other
// than root always has them (its directories are under its home).
UserDirs user_dirs(bool with_user_entry = true);

}  // namespace unitrun::unit
