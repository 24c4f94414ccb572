// libsystemd (sd-daemon, sd-journal), loaded on first use with dlopen: a
// daemonized monitor that never talks to systemd or journald does not map
// libsystemd and its dependencies (libgcrypt, liblzma, libzstd, liblz4, ...),
// which would cost it over 120 kB of private memory for as long as it runs.
#pragma once

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

namespace unitrun::notify {

struct LibSystemd {
  decltype(&sd_notify) notify = nullptr;
  decltype(&sd_watchdog_enabled) watchdog_enabled = nullptr;
  decltype(&sd_journal_stream_fd) journal_stream_fd = nullptr;
};

// nullptr when libsystemd.so.0 cannot be loaded (then there is no systemd to
// talk to either).
const LibSystemd* libsystemd();

}  // namespace unitrun::notify
