#include "unit/ini_lines.h"

#include <cctype>

#include "base/strings.h"

namespace unitrun::ini_lines {
namespace {

struct PhysicalLine {
  std::string_view text;
  int number;
};

std::vector<PhysicalLine> physical_lines(std::string_view content) {
  std::vector<PhysicalLine> out;
  int number = 1;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
    out.push_back({line, number++});
    start = end + 1;
  }
  return out;
}

// systemd joins a line with the next only when it ends in an unescaped
// backslash: an odd number of them. "C:\\" ends in an escaped backslash, a
// literal one for the value, and must not swallow the next line (which might
// be "User=nobody").
bool ends_in_unescaped_backslash(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[line.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

// inih skips every character isspace() calls blank (also \v and \f) before it
// looks at a line, a key or a value; the checks here must see the line as inih
// will, or "\v[Service]=x" would be a key here and a section header there.
std::string_view trim_blanks(std::string_view s) {
  auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool is_comment(std::string_view line) {
  std::string_view t = trim_blanks(line);
  return !t.empty() && (t[0] == '#' || t[0] == ';');
}

Diagnostic error(int line, std::string message) {
  return Diagnostic{Diagnostic::Severity::Error, line, std::move(message)};
}

// Checks one logical line's shape; returns false (and reports) when inih
// must not see it.
bool check_shape(const LogicalLine& l, Lines& out) {
  std::string_view t = trim_blanks(l.text);
  if (t.empty() || t[0] == '#' || t[0] == ';') return true;
  if (t[0] == '[') {
    size_t close = t.find(']');
    if (close == std::string_view::npos) {
      out.diagnostics.push_back(error(l.first_line, "unterminated section header '" + std::string(t) + "'"));
      return false;
    }
    if (close + 1 != t.size()) {
      out.diagnostics.push_back(
          error(l.first_line, "unexpected text after section header '" + std::string(t.substr(0, close + 1)) + "'"));
      return false;
    }
    std::string_view name = trim_blanks(t.substr(1, close - 1));
    if (name.empty()) {
      out.diagnostics.push_back(error(l.first_line, "empty section name"));
      return false;
    }
    // inih keeps the blanks ("[ Service ]" is section " Service "), so the
    // unit parser would ignore every key under it as an unknown section's.
    if (name.size() != close - 1) {
      out.diagnostics.push_back(error(
          l.first_line, "blank inside section header '" + std::string(t) + "' (write [" + std::string(name) + "])"));
      return false;
    }
    out.sections.push_back({std::string(name), l.first_line});
    return true;
  }
  size_t eq = t.find('=');
  if (eq == std::string_view::npos) {
    out.diagnostics.push_back(error(l.first_line, "expected 'Key=value', got '" + std::string(t.substr(0, 80)) + "'"));
    return false;
  }
  std::string_view key = trim_blanks(t.substr(0, eq));
  if (key.empty()) {
    out.diagnostics.push_back(error(l.first_line, "missing key before '='"));
    return false;
  }
  // inih splits at the first '=' or ':'; systemd only knows '='.
  if (key.find(':') != std::string_view::npos) {
    out.diagnostics.push_back(
        error(l.first_line, "invalid key '" + std::string(key) + "' (keys are written Key=value)"));
    return false;
  }
  return true;
}

}  // namespace

Lines split(std::string_view content) {
  Lines out;
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  std::vector<PhysicalLine> physical = physical_lines(content);

  LogicalLine current;
  std::string joined;    // the continued line being built
  bool joining = false;  // `joined` holds the text, not a view into `content`
  bool continuing = false;
  bool current_bad = false;
  auto flush = [&] {
    if (joining) {
      out.joined_storage.push_back(std::move(joined));
      current.text = out.joined_storage.back();
      joined = std::string();
    }
    if (current_bad || !check_shape(current, out)) current.text = {};
    out.lines.push_back(current);
    current = LogicalLine{};
    joining = false;
    current_bad = false;
  };

  for (const PhysicalLine& p : physical) {
    std::string_view text = p.text;
    if (text.find('\0') != std::string_view::npos) {
      out.diagnostics.push_back(error(p.number, "NUL byte in line"));
      text = {};
      current_bad = true;
    }
    if (text.size() > kMaxLineBytes) {
      out.diagnostics.push_back(
          error(p.number, "line too long (" + std::to_string(text.size()) + " bytes; the limit is 1 MiB)"));
      text = {};
      current_bad = true;
    }
    if (continuing) {
      // systemd skips comment lines inside a continuation.
      if (is_comment(text)) {
        out.lines.push_back({"", p.number});  // keep inih's line count aligned
        continue;
      }
    } else {
      current.first_line = p.number;
    }
    bool continues = ends_in_unescaped_backslash(text) && !is_comment(text);
    if (continues) text.remove_suffix(1);
    // The joining space counts only when another line follows: a single
    // line of exactly 1 MiB is within the limit.
    if (joined.size() + text.size() + (continues ? 1 : 0) > kMaxLineBytes && !current_bad) {
      out.diagnostics.push_back(error(current.first_line, "continued line too long (the limit is 1 MiB)"));
      current_bad = true;
    }
    if (current_bad) {
      // nothing of this line is kept
    } else if (!continuing && !continues) {
      current.text = text;  // most lines: a view into the content, no copy
    } else {
      joining = true;
      joined.append(text);
      if (continues) joined += ' ';
    }
    continuing = continues;
    if (!continuing)
      flush();
    else
      out.lines.push_back({"", p.number});  // placeholder: inih counts every line it is given
  }
  if (continuing) {
    out.diagnostics.push_back(error(current.first_line, "line continuation ('\\') at the end of the file"));
    current_bad = true;
    flush();
  }
  return out;
}

}  // namespace unitrun::ini_lines
