// Small string helpers with no unitrun knowledge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace unitrun {

std::string_view trim(std::string_view s);
// The last component of a slash-separated path: what follows its last '/',
// or the whole text when it has none ("/run/x.state" -> "x.state").
std::string base_name(std::string_view path);
std::vector<std::string> split_whitespace(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Text a service controls, made safe to print on an admin's terminal:
// control characters (C0, DEL, C1) and bytes of invalid UTF-8 become \xNN, a
// backslash becomes \\; everything else (printable UTF-8) is kept.
std::string escape_for_terminal(std::string_view s);

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a small distance, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

// Quote a word in unit-file command syntax (systemd.syntax(7)), so that the
// command tokenizer gives it back unchanged; `%` is doubled because specifiers
// are expanded on reading (unless double_percent is false: a writer that
// escapes `%` itself, for the whole line). Words that need no quoting are
// returned as they are.
std::string quote_word(std::string_view word, bool double_percent = true);
std::string join_words(const std::vector<std::string>& words);

}  // namespace unitrun
