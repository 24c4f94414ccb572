#include "unit/command_line.h"

#include <array>
#include <initializer_list>
#include <iterator>

#include "base/strings.h"

namespace unitrun::command_line {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters that end a run of ordinary word characters: blanks, the escape,
// both quotes and NUL. One table load per character instead of six compares:
// the tokenizer is the parser's hottest loop (bench/parse_bench.cpp).
// Inside quotes, a run ends at its closing quote, the escape or NUL.
constexpr std::array<bool, 256> stop_table(std::initializer_list<char> stops) {
  std::array<bool, 256> t{};
  for (char c : stops) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kEndsRun = stop_table({' ', '\t', '\n', '\r', '\\', '"', '\'', '\0'});
constexpr std::array<bool, 256> kEndsDoubleQuoted = stop_table({'"', '\\', '\0'});
constexpr std::array<bool, 256> kEndsSingleQuoted = stop_table({'\'', '\\', '\0'});

// The end of the run of characters from `from` that `stops` does not stop.
size_t run_end(std::string_view text, size_t from, const std::array<bool, 256>& stops) {
  while (from < text.size() && !stops[static_cast<unsigned char>(text[from])]) ++from;
  return from;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the escape that starts after the backslash at text[i]; appends the
// result to `out` and advances i past it. A NUL byte is an error unless
// allow_nul (credentials may hold one).
Status decode_escape(std::string_view text, size_t& i, std::string& out, bool allow_nul = false) {
  if (i >= text.size()) return Error::plain("trailing backslash");
  char c = text[i++];
  switch (c) {
    case 'a':
      out += '\a';
      return ok();
    case 'b':
      out += '\b';
      return ok();
    case 'f':
      out += '\f';
      return ok();
    case 'n':
      out += '\n';
      return ok();
    case 'r':
      out += '\r';
      return ok();
    case 't':
      out += '\t';
      return ok();
    case 'v':
      out += '\v';
      return ok();
    case 's':
      out += ' ';
      return ok();
    case '\\':
    case '"':
    case '\'':
    case ' ':
    case '\t':
    case ';':
      out += c;
      return ok();
    case 'x':
    case 'u':
    case 'U': {
      size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (i + digits > text.size()) return Error::plain(std::string("short \\") + c + " escape");
      uint32_t v = 0;
      for (size_t k = 0; k < digits; ++k) {
        int h = hex_value(text[i + k]);
        if (h < 0) return Error::plain(std::string("invalid \\") + c + " escape");
        v = v * 16 + static_cast<uint32_t>(h);
      }
      i += digits;
      if (v == 0 && !allow_nul) return Error::plain("escaped NUL byte");
      if (c == 'x') {
        out += static_cast<char>(v);
      } else {
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return Error::plain("invalid Unicode escape");
        append_utf8(out, v);
      }
      return ok();
    }
    default:
      if (c >= '0' && c <= '7') {
        if (i + 2 > text.size()) return Error::plain("short octal escape");
        uint32_t v = static_cast<uint32_t>(c - '0');
        for (size_t k = 0; k < 2; ++k) {
          char d = text[i + k];
          if (d < '0' || d > '7') return Error::plain("invalid octal escape");
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        i += 2;
        if (v == 0 && !allow_nul) return Error::plain("escaped NUL byte");
        if (v > 255) return Error::plain("invalid octal escape");
        out += static_cast<char>(v);
        return ok();
      }
      return Error::plain(std::string("unknown escape '\\") + c + "'");
  }
}

// The word being decoded lives in a buffer reused from word to word; a word
// that is kept is copied out of it, which costs one exactly sized
// allocation (none when it fits in a short string), not one per piece and
// growth.
struct Word {
  std::string text;
  bool is_separator = false;  // a lone, unquoted, unescaped ';'
};

// One decoding buffer per thread, kept from value to value; it never holds
// more than a line (at most 1 MiB, the line limit).
Word& scratch_word() {
  thread_local Word word;
  return word;
}

// Extracts the next word starting at i; returns false at the end of text.
Result<bool> next_word(std::string_view text, size_t& i, Word& word) {
  while (i < text.size() && is_blank(text[i])) ++i;
  if (i >= text.size()) return false;
  word.text.clear();
  word.is_separator = false;
  bool literal = false;  // any quote or escape seen: not a separator
  while (i < text.size() && !is_blank(text[i])) {
    char c = text[i];
    if (c == '\0') return Error::plain("NUL byte");
    if (c == '\\') {
      ++i;
      literal = true;
      auto r = decode_escape(text, i, word.text);
      if (!r) return r.error();
    } else if (c == '"' || c == '\'') {
      literal = true;
      size_t open = i++;
      while (true) {
        if (i >= text.size()) return Error::plain("unterminated quote at column " + std::to_string(open + 1));
        char q = text[i];
        if (q == c) {
          ++i;
          break;
        }
        if (q == '\0') return Error::plain("NUL byte");
        if (q == '\\') {
          ++i;
          auto r = decode_escape(text, i, word.text);
          if (!r) return r.error();
        } else {
          // Copy the run up to the closing quote, an escape or a NUL in one go.
          size_t end = run_end(text, i + 1, c == '"' ? kEndsDoubleQuoted : kEndsSingleQuoted);
          word.text.append(text.substr(i, end - i));
          i = end;
        }
      }
    } else {
      // Copy the run of ordinary characters in one go.
      size_t end = run_end(text, i + 1, kEndsRun);
      word.text.append(text.substr(i, end - i));
      i = end;
    }
  }
  word.is_separator = !literal && word.text == ";";
  return true;
}

// ASCII only, whatever the locale: environment names are [A-Za-z_][A-Za-z0-9_]*.
constexpr std::array<bool, 256> kNameChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<size_t>(c)] = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return t;
}();

}  // namespace

Result<std::string> unescape(std::string_view text, bool allow_nul) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    ++i;
    auto r = decode_escape(text, i, out, allow_nul);
    if (!r) return r.error();
    --i;
  }
  return out;
}

bool is_valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!kNameChar[static_cast<unsigned char>(c)]) return false;
  return true;
}

Status split_words(std::string_view text, std::vector<std::string>& words) {
  words.clear();
  size_t i = 0;
  Word& w = scratch_word();
  while (true) {
    auto more = next_word(text, i, w);
    if (!more) return more.error();
    if (!*more) return ok();
    words.push_back(w.text);
  }
}

Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  auto r = split_words(text, words);
  if (!r) return r.error();
  return words;
}

namespace {

// Appends the commands of one Exec*= value to `commands`; on an error, what
// it appended is left for the caller to remove.
Status append_commands(std::string_view text, int line, std::vector<Command>& commands) {
  const size_t before = commands.size();
  size_t i = 0;
  Word& w = scratch_word();
  // The words of the command being read gather here, so that its argv is
  // allocated once, at its final size.
  thread_local std::vector<std::string> argv;
  argv.clear();
  Command current;
  bool expecting_program = true;
  bool expecting_argv0 = false;
  auto finish = [&]() -> Status {
    if (expecting_program) return Error::plain("empty command");
    if (expecting_argv0) return Error::plain("'@' prefix without the argv[0] that follows the program");
    current.argv.assign(std::make_move_iterator(argv.begin()), std::make_move_iterator(argv.end()));
    argv.clear();
    commands.push_back(std::move(current));
    current = Command{};
    expecting_program = true;
    return ok();
  };
  while (true) {
    auto more = next_word(text, i, w);
    if (!more) return more.error();
    if (!*more) break;
    if (w.is_separator) {
      auto r = finish();
      if (!r) return r.error();
      continue;
    }
    if (expecting_program) {
      std::string_view p = w.text;
      bool seen_dash = false, seen_at = false, seen_colon = false;
      CommandPrivileges privileges = CommandPrivileges::Normal;
      // '-', '@', ':' and one of '+', '!', '!!', each at most once, in any
      // order (systemd.service(5), Table 1).
      while (!p.empty() && std::string_view("-@:+!").find(p[0]) != std::string_view::npos) {
        char prefix = p[0];
        if (prefix == '+' || prefix == '!') {
          std::string_view written = p.substr(0, prefix == '!' && p.substr(0, 2) == "!!" ? 2 : 1);
          if (privileges != CommandPrivileges::Normal) {
            if (written == "+" && privileges == CommandPrivileges::Full)
              return Error::plain("repeated '" + std::string(written) + "' prefix");
            return Error::plain("only one of the '+', '!' and '!!' prefixes may be used");
          }
          privileges = written == "+"    ? CommandPrivileges::Full
                       : written == "!!" ? CommandPrivileges::AmbientFallback
                                         : CommandPrivileges::NoUserSwitch;
          p.remove_prefix(written.size());
          continue;
        }
        bool& seen = prefix == '-' ? seen_dash : prefix == '@' ? seen_at : seen_colon;
        if (seen) return Error::plain(std::string("repeated '") + prefix + "' prefix");
        seen = true;
        p.remove_prefix(1);
      }
      current.ignore_failure = seen_dash;
      current.expand_environment = !seen_colon;
      current.privileges = privileges;
      bool argv0_override = seen_at;
      if (p.empty()) return Error::plain("empty executable path");
      current.program = std::string(p);
      current.line = line;
      expecting_program = false;
      expecting_argv0 = argv0_override;
      if (!argv0_override) argv.push_back(current.program);
      continue;
    }
    if (expecting_argv0) expecting_argv0 = false;
    argv.push_back(w.text);
  }
  if (commands.size() == before || !expecting_program) return finish();
  return ok();
}

}  // namespace

Result<std::vector<Command>> parse(std::string_view text, int line) {
  std::vector<Command> commands;
  auto r = parse(text, line, commands);
  if (!r) return r.error();
  return commands;
}

Status parse(std::string_view text, int line, std::vector<Command>& commands) {
  const size_t before = commands.size();
  auto r = append_commands(text, line, commands);
  if (!r) commands.resize(before);  // all of the value or nothing
  return r;
}

std::vector<std::string> expand_environment(const std::vector<std::string>& argv,
                                            const std::map<std::string, std::string>& env) {
  auto lookup = [&](std::string_view name) -> std::string {
    auto it = env.find(std::string(name));
    return it == env.end() ? std::string() : it->second;
  };
  std::vector<std::string> out;
  for (const std::string& word : argv) {
    if (word.size() > 1 && word[0] == '$' && is_valid_env_name(std::string_view(word).substr(1))) {
      for (std::string& part : split_whitespace(lookup(std::string_view(word).substr(1))))
        out.push_back(std::move(part));
      continue;
    }
    std::string expanded;
    for (size_t i = 0; i < word.size(); ++i) {
      if (word[i] == '$' && i + 1 < word.size() && word[i + 1] == '$') {
        expanded += '$';
        ++i;
      } else if (word[i] == '$' && i + 1 < word.size() && word[i + 1] == '{') {
        size_t close = word.find('}', i + 2);
        std::string_view name =
            close == std::string::npos ? std::string_view() : std::string_view(word).substr(i + 2, close - i - 2);
        if (!is_valid_env_name(name)) {
          expanded += word[i];
          continue;
        }
        expanded += lookup(name);
        i = close;
      } else {
        expanded += word[i];
      }
    }
    out.push_back(std::move(expanded));
  }
  return out;
}

}  // namespace unitrun::command_line
