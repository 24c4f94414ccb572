// Parsers for the value types of unit files, as systemd reads them.
// Pure functions: no I/O, no global state. Errors are one-line messages that
// the unit parser prefixes with "path:line: Key=".
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "unit/unit.h"

namespace unitrun::values {

// systemd.time(7): "5s", "1min 30s", "1.5h", "90" (seconds), "infinity".
Result<Usec> parse_timespan(std::string_view text);
// The inverse, in systemd's style ("1min 30s", "100ms", "infinity", "0").
std::string format_timespan(Usec usec);

// 1|yes|y|true|t|on and 0|no|n|false|f|off, case-insensitive.
Result<bool> parse_bool(std::string_view text);

// Octal 0..0777, with or without a leading 0; nothing else.
Result<mode_t> parse_umask(std::string_view text);

// "SIGTERM", "TERM", "15", "RTMIN+3".
Result<int> parse_signal(std::string_view text);
std::string signal_name(int signo);  // "SIGTERM", "SIGRTMIN+3", or the number

// Strict base-10 unsigned integer, no sign, no spaces, no overflow.
Result<uint64_t> parse_unsigned(std::string_view text, uint64_t max);

// Nice level -20..19.
Result<int> parse_nice(std::string_view text);

// LimitNOFILE= / LimitCORE=: "N", "soft:hard", "infinity"; with bytes=true,
// K/M/G/T/P/E suffixes (base 1024) are accepted too.
Result<ResourceLimit> parse_rlimit(std::string_view text, bool bytes);
std::string format_rlimit(const ResourceLimit& limit);

// SuccessExitStatus= / RestartPreventExitStatus=: numbers 0..255, sysexits
// names (TEMPFAIL) and signal names, separated by whitespace; adds to `into`.
Status parse_exit_status_list(std::string_view text, ExitStatusSet& into);

}  // namespace unitrun::values
