// The one exit-code table (LSB init-script actions, refspecs.linuxbase.org
// LSB 3.1 iniscrptact). Mirrored in README.md and docs; each code has a test.
#pragma once

namespace unitrun::exit_code {

// Action verbs (start, stop, restart, reload, check, show, ...).
inline constexpr int kSuccess = 0;        // also: start when running, stop when stopped
inline constexpr int kFailure = 1;        // generic or unspecified error
inline constexpr int kBadArguments = 2;   // invalid or excess arguments
inline constexpr int kUnimplemented = 3;  // unimplemented feature
inline constexpr int kNoPrivilege = 4;    // user had insufficient privilege
inline constexpr int kNotInstalled = 5;   // program is not installed
inline constexpr int kNotConfigured = 6;  // program is not configured: the unit is invalid
inline constexpr int kNotRunning = 7;     // program is not running

// `status`.
inline constexpr int kStatusRunning = 0;
inline constexpr int kStatusDeadWithPidfile = 1;
inline constexpr int kStatusNotRunning = 3;
inline constexpr int kStatusUnknown = 4;

}  // namespace unitrun::exit_code
