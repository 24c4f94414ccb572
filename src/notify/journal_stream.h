// A stream to journald for a service's stdout or stderr (what systemd gives
// StandardOutput=journal, kmsg, journal+console, kmsg+console): journald's
// stream protocol spoken directly, as sd_journal_stream_fd() speaks it, but
// with the flags that function cannot set (copies to the kernel log and to
// the console), which journald honours per stream.
#pragma once

#include <string>

#include "base/unique_fd.h"

namespace unitrun::notify {

struct JournalStreamOptions {
  std::string identifier;           // SYSLOG_IDENTIFIER= of every line
  int priority = 6;                 // LOG_INFO, or'ed with the facility (LOG_DAEMON << 3 by default)
  bool level_prefix = true;         // a line may start with "<N>" for another priority
  bool forward_to_kmsg = false;     // journald copies each line to the kernel log
  bool forward_to_console = false;  // journald copies each line to the console
};

// A close-on-exec fd whose lines journald records as `options` say. Empty
// when no journald takes streams here (no socket): the caller picks another
// destination.
UniqueFd open_journal_stream(const JournalStreamOptions& options);
// At info level, with level prefixes, no copies.
UniqueFd open_journal_stream(const std::string& identifier);

}  // namespace unitrun::notify
