// The effective unit as text: one Key=value per line, like `systemctl show`,
// or one JSON object. Pure.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "unit/unit.h"

namespace unitrun::unit {

// The effective properties in a stable order, values rendered as text.
std::vector<std::pair<std::string, std::string>> properties(const Unit& unit);

std::string show_text(const Unit& unit);
nlohmann::json show_json(const Unit& unit);

// How a command is written back in unit syntax, prefixes included.
std::string format_command(const Command& c);

}  // namespace unitrun::unit
