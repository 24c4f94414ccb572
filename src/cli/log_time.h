// `logs --since TIME`: the times it accepts, as journalctl(1) reads them
// (systemd.time(7), "PARSING TIMESTAMPS"), the subset unitrun needs:
//   2026-12-06 20:31:07   2026-12-06 20:31   2026-12-06   (local time)
//   2026-12-06T20:31:07[.123456][Z|+01:00|+0100]        (ISO 8601; local without an offset)
//   now  today  yesterday
//   -5min  5min ago  1h 30min ago  +1h                  (relative to now)
// Pure: the caller passes now and the time zone is the process's (TZ).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace unitrun::cli {

// Microseconds since the epoch; an error saying what is accepted otherwise.
Result<int64_t> parse_since(std::string_view text, int64_t now_usec);

}  // namespace unitrun::cli
