// The user database's entry for a UID, read from /etc/passwd directly when
// that is where NSS would find it: nsswitch.conf's one `passwd:` line names
// `files` first, with no action that could pass a found entry on, and the
// file has the UID. It is then what getpwuid() returns, without the cost of
// its first call in a fresh monitor (~60 us: two nscd probes, nsswitch.conf
// parsed into glibc's tables), which a start of a unit without User= pays
// when it needs them (unitrun run by a user other than root, whose
// services get HOME=, USER=, LOGNAME= and SHELL=; WorkingDirectory=~).
// Anything else (another
// source first, an unusual line, no such UID): nullopt, and getpwuid()
// answers. The file's lines are parsed by glibc's own parser for them
// (fgetpwent_r); only nsswitch.conf's passwd: line is read here.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace unitrun::process {

struct PasswdEntry {
  std::string name, dir, shell;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<PasswdEntry> passwd_from_files(uid_t uid);
// The same from the two files' texts (for tests).
std::optional<PasswdEntry> passwd_from_texts(uid_t uid, const std::string& nsswitch, const std::string& passwd);

}  // namespace unitrun::process
