#include "unit/environment_file.h"

#include "base/strings.h"
#include "unit/command_line.h"

namespace unitrun::environment_file {

Result<std::vector<std::pair<std::string, std::string>>> parse(std::string_view content) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  int line = 1;
  auto error = [&](const std::string& what) { return Error::plain("line " + std::to_string(line) + ": " + what); };
  while (i < content.size()) {
    // Skip blank space and comment lines.
    while (i < content.size() &&
           (content[i] == ' ' || content[i] == '\t' || content[i] == '\r' || content[i] == '\n')) {
      if (content[i] == '\n') ++line;
      ++i;
    }
    if (i >= content.size()) break;
    if (content[i] == '#' || content[i] == ';') {
      while (i < content.size() && content[i] != '\n') ++i;
      continue;
    }
    size_t eq = content.find('=', i);
    size_t nl = content.find('\n', i);
    if (eq == std::string_view::npos || (nl != std::string_view::npos && nl < eq)) return error("expected NAME=value");
    std::string name(trim(content.substr(i, eq - i)));
    // The message never quotes the file: it may be anybody's secret, and the
    // message goes into a world-readable state record.
    if (!command_line::is_valid_env_name(name)) return error("invalid variable name");
    i = eq + 1;
    std::string value;
    while (i < content.size() && (content[i] == ' ' || content[i] == '\t')) ++i;
    while (i < content.size() && content[i] != '\n') {
      char c = content[i];
      if (c == '\'' || c == '"') {
        size_t close = i + 1;
        while (close < content.size() && content[close] != c) {
          if (c == '"' && content[close] == '\\' && close + 1 < content.size()) ++close;
          if (content[close] == '\n') ++line;
          ++close;
        }
        if (close >= content.size()) return error("unterminated quote");
        for (size_t k = i + 1; k < close; ++k) {
          if (c == '"' && content[k] == '\\' && k + 1 < close) {
            char n = content[++k];
            if (n == '\n') continue;  // line continuation inside quotes
            if (n != '"' && n != '\\' && n != '$' && n != '`') value += '\\';
            value += n;
          } else {
            value += content[k];
          }
        }
        i = close + 1;
      } else if (c == '\\' && i + 1 < content.size()) {
        if (content[i + 1] == '\n')
          ++line;
        else
          value += content[i + 1];
        i += 2;
      } else {
        value += c;
        ++i;
      }
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) value.pop_back();
    if (value.find('\0') != std::string::npos) return error("NUL byte");
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace unitrun::environment_file
