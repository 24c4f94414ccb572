#include "base/strings.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <numeric>

namespace unitrun {

std::string base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += len;
  }
  return true;
}

namespace {

// The distance if it is below `limit`, else some value >= limit: a row whose
// smallest entry reaches the limit can only lead to more.
size_t bounded_edit_distance(std::string_view a, std::string_view b, size_t limit) {
  // Lowered once: the inner loop compares bytes only.
  thread_local std::string la, lb;
  la.assign(a);
  lb.assign(b);
  for (char& c : la) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : lb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  thread_local std::vector<size_t> row;
  row.resize(lb.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= la.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t smallest = row[0];
    for (size_t j = 1; j <= lb.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (la[i - 1] == lb[j - 1] ? 0 : 1)});
      diag = up;
      smallest = std::min(smallest, row[j]);
    }
    if (smallest >= limit) return limit;
  }
  return row[lb.size()];
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) { return bounded_edit_distance(a, b, SIZE_MAX); }

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (std::string_view c : candidates) {
    // The distance is at least the difference in length: most of a long
    // list of candidates is ruled out without computing it.
    size_t gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (gap >= best_distance) continue;
    size_t d = bounded_edit_distance(word, c, best_distance);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string escape_for_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [&](unsigned char c) {
    static const char* digits = "0123456789abcdef";
    out += "\\x";
    out += digits[c >> 4];
    out += digits[c & 15];
  };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      hex(c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      // One UTF-8 sequence, whole and valid, and not a C1 control (U+0080..U+009F).
      size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      bool ok = len > 0 && i + len <= s.size() && is_valid_utf8(s.substr(i, len)) &&
                !(c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0);
      if (!ok) {
        hex(c);
        ++i;
        continue;
      }
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string quote_word(std::string_view word, bool double_percent) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || std::string_view("-_./=:,+@^").find(ch) != std::string_view::npos || c >= 0x80;
  });
  if (plain) return std::string(word);
  std::string out = "\"";
  for (char ch : word) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '%':
        out += double_percent ? "%%" : "%";
        break;  // specifiers are expanded when read back
      default:
        out += ch;
    }
  }
  out += '"';
  return out;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += quote_word(w);
  }
  return out;
}

}  // namespace unitrun
