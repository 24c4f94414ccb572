// A stream to journald for a service's stdout or stderr (what systemd gives
// StandardOutput=journal), through libsystemd's sd_journal_stream_fd.
#pragma once

#include <string>

#include "base/unique_fd.h"

namespace unitrun::notify {

// A close-on-exec fd whose lines journald records under `identifier` at
// info level (a line may start with "<N>" for another priority). Empty when
// no journald takes streams here (no libsystemd, no socket): the caller
// picks the unit's log file instead.
UniqueFd open_journal_stream(const std::string& identifier);

}  // namespace unitrun::notify
