// The command-line syntax of Exec*= settings (systemd.syntax(7), "QUOTING",
// and systemd.service(5), "COMMAND LINES"), and the word lists of
// Environment=. No shell is involved anywhere.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "unit/unit.h"

namespace unitrun::command_line {

// Splits a value into words: whitespace separates, "..." and '...' group,
// C escapes (\n \t \xXX \u1234 ...) are decoded inside and outside quotes.
// Unterminated quotes, unknown escapes and NUL bytes are errors.
Result<std::vector<std::string>> split_words(std::string_view text);
// The same into `words` (cleared first), for callers that reuse one vector.
Status split_words(std::string_view text, std::vector<std::string>& words);

// Parses one Exec*= value: optional '-', '@', ':' and one of '+', '!', '!!'
// prefixes on the first word; several commands may be separated by a lone unquoted ';' (write "\;"
// for a literal one). The program is left as written (relative and bare
// names are resolved later, against the unit's directory and a fixed PATH).
Result<std::vector<Command>> parse(std::string_view text, int line);
// The same, appended to `commands`: all of the value's commands, or none and
// an error.
Status parse(std::string_view text, int line, std::vector<Command>& commands);

// $VAR and ${VAR} expansion at exec time, exactly as systemd does it: a word
// that is just "$VAR" becomes the value split on whitespace (zero or more
// words); "${VAR}" inside a word is replaced in place; "$$" is a literal '$';
// unset variables expand to nothing.
std::vector<std::string> expand_environment(const std::vector<std::string>& argv,
                                            const std::map<std::string, std::string>& env);

// The C escapes of `text` decoded, with no quoting and no word splitting
// (StandardInputText=, SetCredential=). allow_nul: "\x00" is a NUL byte
// rather than an error.
Result<std::string> unescape(std::string_view text, bool allow_nul);

// Environment= variable names: [A-Za-z_][A-Za-z0-9_]*.
bool is_valid_env_name(std::string_view name);

}  // namespace unitrun::command_line
