// Unit file text → Unit + diagnostics. Pure: no file access, no user lookup,
// no environment; everything it needs from the outside is in ParseContext.
// inih is used only behind this module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "unit/diagnostic.h"
#include "unit/unit.h"

namespace unitrun::unit {

// What the parser needs to know about the world: the values of the
// specifiers and the defaults that depend on who runs unitrun.
struct ParseContext {
  std::string path;         // absolute path of the unit file (its name and directory come from it)
  std::string user_name;    // %u
  std::string home;         // %h
  std::string runtime_dir;  // %t: /run as root, $XDG_RUNTIME_DIR otherwise
  std::string pid_dir;      // default PIDFile= directory: <runtime_dir>/unitrun
  std::string log_dir;      // default log directory: /var/log/unitrun or $XDG_STATE_HOME/unitrun
};

struct ParseResult {
  Unit unit;
  Diagnostics diagnostics;
};

ParseResult parse(std::string_view content, const ParseContext& context);

// The unit's name from its file name ("units/autotest.ini" → "autotest"), and
// whether it is acceptable ([A-Za-z0-9:_.@-], 1..200 bytes, no leading '-').
std::string name_from_path(std::string_view path);
bool is_valid_unit_name(std::string_view name);

// Every key unitrun knows, as "Section.Key"; for documentation and tests.
std::vector<std::string> known_keys();

// Lexical path resolution: absolute stays, relative joins the unit's
// directory; "." and ".." are folded without touching the file system.
std::string resolve_path(std::string_view path, std::string_view directory);

}  // namespace unitrun::unit
