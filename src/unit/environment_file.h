// EnvironmentFile= contents (systemd.exec(5)): "NAME=value" lines, '#' and ';'
// comment lines, values optionally in '...' or "..." (which may span lines;
// backslash escapes inside "..."), a trailing '\' continues a line.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace unitrun::environment_file {

Result<std::vector<std::pair<std::string, std::string>>> parse(std::string_view content);

}  // namespace unitrun::environment_file
