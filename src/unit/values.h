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

// SuccessExitStatus= / RestartPreventExitStatus= / RestartForceExitStatus=:
// numbers 0..255, systemd's exit status names (TEMPFAIL, NOTINSTALLED,
// CHDIR; systemd.exec(5), "PROCESS EXIT CODES") and signal names, separated
// by whitespace; adds to `into`.
Status parse_exit_status_list(std::string_view text, ExitStatusSet& into);
// The name of an exit status for `show` ("TEMPFAIL"), or the number.
std::string exit_status_name(int code);

// A signed base-10 integer within [min, max].
Result<int64_t> parse_integer(std::string_view text, int64_t min, int64_t max);

// A file mode: octal 0 to 07777 (RuntimeDirectoryMode= & co.).
Result<mode_t> parse_mode(std::string_view text);

// CPUAffinity= and NUMAMask=: CPU indices and ranges ("0-3 8,9"); adds to
// `into`. Indices above 8191 are refused.
Status parse_cpu_set(std::string_view text, CpuSet& into);
std::string format_cpu_set(const CpuSet& set);  // "0-3 8 9"

// CPUSchedulingPolicy=: other, batch, idle, fifo, rr → SCHED_*.
Result<int> parse_sched_policy(std::string_view text);
std::string sched_policy_name(int policy);
// IOSchedulingClass=: none, realtime, best-effort, idle (or 0..3) → IOPRIO_CLASS_*.
Result<int> parse_io_class(std::string_view text);
std::string io_class_name(int io_class);
// SyslogFacility= (kern ... local7) → LOG_* (shifted), SyslogLevel= (emerg ... debug) → 0..7.
Result<int> parse_syslog_facility(std::string_view text);
std::string syslog_facility_name(int facility);
Result<int> parse_syslog_level(std::string_view text);
std::string syslog_level_name(int level);
// NUMAPolicy=: default, preferred, bind, interleave, local → MPOL_*.
Result<int> parse_numa_policy(std::string_view text);
std::string numa_policy_name(int policy);
// Personality=: x86, x86-64 (and the other architectures systemd names, which
// this machine cannot run) → PER_LINUX32, PER_LINUX.
Result<unsigned long> parse_personality(std::string_view text);
std::string personality_name(unsigned long personality);
// CoredumpFilter=: mapping type names and hex numbers, ORed.
Result<uint64_t> parse_coredump_filter(std::string_view text);

// Limit*=: the RLIMIT_ of a key ("LimitNPROC" → RLIMIT_NPROC), -1 when none;
// its value in systemd's syntax: bytes (K M G ...), time spans (LimitCPU=
// in seconds, LimitRTTIME= in microseconds), nice levels (LimitNICE=: 0..40
// or -20..19 with a sign), counts.
int rlimit_of(std::string_view key);
std::string_view rlimit_key(int resource);
Result<ResourceLimit> parse_limit(int resource, std::string_view text);

}  // namespace unitrun::values
