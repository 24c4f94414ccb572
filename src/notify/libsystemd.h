// libsystemd (sd-daemon, sd-journal, sd-bus), loaded on first use with
// dlopen: a daemonized monitor that never talks to systemd, journald or the
// system bus does not map libsystemd and its dependencies (libgcrypt,
// liblzma, libzstd, liblz4, ...), which would cost it over 120 kB of private
// memory for as long as it runs.
#pragma once

#include <systemd/sd-bus.h>
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

// The part of sd-bus that watching a bus name needs (bus_name_watch.cc).
struct LibSdBus {
  decltype(&sd_bus_open_system) open_system = nullptr;
  decltype(&sd_bus_set_method_call_timeout) set_method_call_timeout = nullptr;
  decltype(&sd_bus_add_match) add_match = nullptr;
  decltype(&sd_bus_call_method) call_method = nullptr;
  decltype(&sd_bus_message_read) message_read = nullptr;
  decltype(&sd_bus_message_unref) message_unref = nullptr;
  decltype(&sd_bus_error_free) error_free = nullptr;
  decltype(&sd_bus_error_has_name) error_has_name = nullptr;
  decltype(&sd_bus_get_fd) get_fd = nullptr;
  decltype(&sd_bus_get_events) get_events = nullptr;
  decltype(&sd_bus_get_timeout) get_timeout = nullptr;
  decltype(&sd_bus_process) process = nullptr;
  decltype(&sd_bus_flush_close_unref) flush_close_unref = nullptr;
};

// nullptr when libsystemd.so.0 cannot be loaded or lacks one of them.
const LibSdBus* libsystemd_bus();

}  // namespace unitrun::notify
