// systemctl show: a unit's state as systemd's properties (Key=value, one a
// line; org.freedesktop.systemd1(5) names and values), derived from the
// record `unitrun status --json` prints, so that the two never disagree.
// Only properties unitrun knows are printed; a unit it cannot find is
// LoadState=not-found, ActiveState=inactive, as systemd says.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace unitrun::cli {

// One unit's `status --json` record (status.cc), taken instead of printed.
struct StatusRecord {
  std::string name;                    // the unit's name (as typed when not found)
  std::optional<nlohmann::json> json;  // nullopt: no such unit
  int code = 0;                        // status's exit code
};
std::vector<StatusRecord> status_records(const std::vector<std::string>& units);

using Properties = std::vector<std::pair<std::string, std::string>>;

// Pure: the properties of a record, in systemctl show's order.
Properties systemd_properties(const StatusRecord& record);

// Pure: the lines `systemctl show` prints: every property that has a value,
// or those named (in the order named, empty ones too; a name unitrun does
// not know prints nothing), values alone with value_only.
std::string format_properties(const Properties& all, const std::vector<std::string>& wanted, bool value_only);

// systemctl show UNIT...: records separated by an empty line. Exit 0.
int show_properties(const std::vector<std::string>& units, const std::vector<std::string>& wanted, bool value_only);

}  // namespace unitrun::cli
