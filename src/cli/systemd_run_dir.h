// /run/systemd/system in a container whose PID 1 is `unitrun init` and whose
// systemctl is unitrun. Debian's maintainer scripts call systemctl only when
// that directory exists (debhelper's postinst snippet `if [ -d
// /run/systemd/system ]`, invoke-rc.d, deb-systemd-helper's daemon-reload;
// it is sd_booted()'s test): without it `apt-get install nginx` enables the
// unit but starts nothing, or starts the SysV script outside unitrun. init
// makes it before the boot, only where unitrun answers as systemctl (PID 1
// not systemd: unit/host_facts.h), never through a symlink. See
// docs/containers.md.
#pragma once

#include <string>

#include "base/result.h"
#include "unit/host_facts.h"

namespace unitrun::cli {

// Pure: make it when unitrun answers as systemctl and it is not there yet.
bool should_make_systemd_run_dir(const unit::InitFacts& facts);

// mkdir RUN/systemd and RUN/systemd/system (0755) relative to an O_PATH
// descriptor of RUN, each opened with O_NOFOLLOW|O_DIRECTORY: an existing
// directory is fine, a symlink or a file at either name is an error.
Status make_systemd_run_dir(const std::string& run = "/run");

}  // namespace unitrun::cli
