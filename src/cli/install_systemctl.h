// `unitrun install-systemctl [--force] [PATH]`: makes PATH (default
// /usr/bin/systemctl) a symlink to this unitrun binary, so that maintainer
// scripts and tools that call systemctl reach unitrun (systemctl_front.h).
// Refused where PID 1 is systemd (unit/host_facts.h): that machine's
// systemctl is systemd's. The decision is pure; install_systemctl() reads
// the facts and acts: a symlink made under a temporary name and renamed
// over PATH (atomic), a file that is not unitrun kept as PATH.unitrun-orig.
#pragma once

#include <string>

namespace unitrun::cli {

enum class ExistingSystemctl {
  None,     // nothing at PATH
  Unitrun,  // PATH resolves to this binary already
  Other,    // anything else: systemd's systemctl, a script, another symlink
};

enum class InstallAction {
  Install,            // make the symlink
  Already,            // nothing to do
  RefuseSystemd,      // PID 1 is systemd
  RefuseForeign,      // PATH holds something else, and no --force
  ReplaceWithBackup,  // --force: keep the old file as PATH.unitrun-orig, then install
};

InstallAction decide_install(bool pid1_is_systemd, ExistingSystemctl existing, bool force);

inline constexpr const char* kDefaultSystemctlPath = "/usr/bin/systemctl";
inline constexpr const char* kBackupSuffix = ".unitrun-orig";

// Exit 0 on success or when already installed, 1 when refused or failed.
int install_systemctl(const std::string& path, bool force);
// Removes PATH when it is a symlink to this binary, and puts the backup
// back if there is one. Exit 0, 1 when PATH is not unitrun's.
int uninstall_systemctl(const std::string& path);

}  // namespace unitrun::cli
