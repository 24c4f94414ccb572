// Small string helpers with no unitrun knowledge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace unitrun {

std::string_view trim(std::string_view s);
std::vector<std::string> split_whitespace(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a small distance, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

// Quote a word in unit-file command syntax (systemd.syntax(7)), so that the
// command tokenizer gives it back unchanged; `%` is doubled because specifiers
// are expanded on reading. Words that need no quoting are returned as they are.
std::string quote_word(std::string_view word);
std::string join_words(const std::vector<std::string>& words);

}  // namespace unitrun
