#include "cli/terminal.h"

#include <langinfo.h>
#include <locale.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace unitrun::cli::terminal {
namespace {

struct Decisions {
  bool color = false;
  std::optional<bool> utf8;  // asked on first use: only verbs that print glyphs pay for the locale
  bool progress = false;
  size_t columns = 0;
};
Decisions decisions;

bool dumb(const char* term) { return term && std::strcmp(term, "dumb") == 0; }

}  // namespace

std::optional<ColorMode> parse_color_mode(std::string_view text) {
  if (text == "auto") return ColorMode::Auto;
  if (text == "always" || text == "yes" || text == "true") return ColorMode::Always;
  if (text == "never" || text == "no" || text == "false") return ColorMode::Never;
  return std::nullopt;
}

bool use_color(ColorMode mode, bool stdout_is_tty, const char* no_color_env, const char* term_env) {
  switch (mode) {
    case ColorMode::Always:
      return true;
    case ColorMode::Never:
      return false;
    case ColorMode::Auto:
      break;
  }
  if (no_color_env && *no_color_env) return false;
  return stdout_is_tty && !dumb(term_env);
}

bool charset_is_utf8(const char* codeset) {
  return codeset && (strcasecmp(codeset, "UTF-8") == 0 || strcasecmp(codeset, "utf8") == 0);
}

void init(ColorMode mode) {
  const char* term = std::getenv("TERM");
  decisions.color = use_color(mode, ::isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"), term);
  decisions.progress = ::isatty(STDERR_FILENO) == 1 && !dumb(term);
  struct winsize size {};
  // A terminal that does not say its size: lines are not cut.
  if (decisions.progress && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0) decisions.columns = size.ws_col;
}

bool color() { return decisions.color; }
bool utf8() {
  if (!decisions.utf8) {
    // The charset of the environment's LC_CTYPE (what setlocale(LC_CTYPE, "")
    // would select), asked of a locale object of its own: the process keeps
    // the C locale, so that isspace() & co. read unit files the same way
    // whatever the caller's locale (a Latin-1 locale calls 0xA0 a space).
    // An unknown locale is the C locale: ASCII.
    decisions.utf8 = false;
    if (locale_t loc = ::newlocale(LC_CTYPE_MASK, "", static_cast<locale_t>(0))) {
      decisions.utf8 = charset_is_utf8(::nl_langinfo_l(CODESET, loc));
      ::freelocale(loc);
    }
  }
  return *decisions.utf8;
}
bool progress() { return decisions.progress; }
size_t columns() { return decisions.columns; }

const char* glyph(Glyph g) {
  // systemd's special_glyph() and its ASCII fallbacks.
  bool u = utf8();
  switch (g) {
    case Glyph::ActiveDot:
      return u ? "●" : "*";
    case Glyph::InactiveDot:
      return u ? "○" : "*";
    case Glyph::FailedDot:
      return u ? "×" : "x";
    case Glyph::TreeBranch:
      return u ? "├─" : "|-";
    case Glyph::TreeRight:
      return u ? "└─" : "`-";
    case Glyph::TreeVertical:
      return u ? "│ " : "| ";
    case Glyph::TreeSpace:
      return "  ";
    case Glyph::ArrowRight:
      return u ? "→" : "->";
    case Glyph::Bullet:
      return u ? "•" : "*";
  }
  return "";
}

Tone tone_of_active_state(std::string_view s) {
  if (s == "active" || s == "reloading") return Tone::Good;
  if (s == "failed") return Tone::Bad;
  if (s == "activating" || s == "deactivating") return Tone::Changing;
  return Tone::Plain;
}

std::string paint(Tone tone, std::string_view text) {
  const char* on = "";
  switch (tone) {
    case Tone::Good:
      on = "\033[0;1;32m";  // systemd's ansi_highlight_green()
      break;
    case Tone::Bad:
      on = "\033[0;1;31m";  // ansi_highlight_red()
      break;
    case Tone::Changing:
      on = "\033[0;1;33m";  // ansi_highlight_yellow()
      break;
    case Tone::Plain:
      break;
  }
  if (!decisions.color || !*on) return std::string(text);
  return on + std::string(text) + "\033[0m";
}

}  // namespace unitrun::cli::terminal
