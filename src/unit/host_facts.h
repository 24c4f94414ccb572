// The facts about this machine that specifiers name (%H, %m, %b, %v, %a,
// %o, ...), read from the system for unit_loader: uname(), /etc/machine-id,
// the boot id, /etc/os-release, /etc/machine-info.
#pragma once

#include <string>

#include "unit/unit_parser.h"

namespace unitrun::unit {

HostFacts read_host_facts();

// Who owns systemd's unit directories (/etc/systemd/system and the rest of
// kSystemdUnitDirectories) on this machine. On a systemd host they describe
// systemd's boot, and unitrun's built-in targets ignore their .wants/ and
// .requires/ links; where unitrun is the machine's systemctl (a container,
// PID 1 not systemd), deb-systemd-helper and systemctl enable write there
// for unitrun, and the built-in targets honour them, and `enable` through
// systemctl writes its links there too (docs/systemd.md).
struct InitFacts {
  std::string pid1_comm;              // /proc/1/comm without its newline; empty when unreadable
  bool systemd_runtime_dir = false;   // /run/systemd/system is a directory (sd_booted())
  bool systemctl_is_unitrun = false;  // /usr/bin/systemctl or /bin/systemctl is this very binary
  bool invoked_as_systemctl = false;  // this process runs as systemctl (argv[0])
};
// Pure. PID 1 is systemd when its comm says so, or when it cannot be read
// and /run/systemd/system exists. /run/systemd/system alone does not say it
// (a container can have it from an image or a bind mount, under another init).
bool pid1_is_systemd(const InitFacts& facts);
// Pure: PID 1 is not systemd, and unitrun answers as systemctl.
bool systemd_directories_are_ours(const InitFacts& facts);

InitFacts read_init_facts();
// read_init_facts() once per process, then the pure rule.
bool systemd_directories_are_ours();
// Called by the systemctl front end before anything reads the facts.
void set_invoked_as_systemctl();
bool is_invoked_as_systemctl();

}  // namespace unitrun::unit
