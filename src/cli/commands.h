// One function per verb; each returns its LSB exit code. Messages for the
// user go to stdout (results) and stderr (problems), never through a logger
// that could be misconfigured at that point.
#pragma once

#include <string>
#include <vector>

namespace unitrun::cli {

int check(const std::vector<std::string>& units);
int show(const std::string& unit, bool json);
int start(const std::string& unit);
int stop(const std::string& unit);
int restart(const std::string& unit);
int status(const std::string& unit, bool json);
int reload(const std::string& unit);
int force_reload(const std::string& unit);
int try_restart(const std::string& unit);
int run(const std::string& unit);
int logs(const std::string& unit, size_t lines, bool follow);
int export_unit(const std::string& format, const std::string& unit);
// Exposure as `systemd-analyze security` scores it; threshold in tenths
// (0..100): exit 1 when a unit's exposure is above it.
int security(const std::vector<std::string>& units, bool json, unsigned threshold);

}  // namespace unitrun::cli
