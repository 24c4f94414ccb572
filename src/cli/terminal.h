// What the terminal gets: colour, glyphs and progress lines. Every decision
// about the caller's terminal is made here, once, when a verb starts
// (terminal::init from main.cpp); the verbs ask, and never call isatty()
// themselves.
//
// - Colour (stdout): --color=always, or --color=auto (the default) with
//   stdout a terminal, NO_COLOR unset or empty (no-color.org: a command-line
//   flag overrides it) and TERM other than "dumb". --color=never and
//   --no-color switch it off.
// - Glyphs: systemctl's ("●", "└─") when the locale's charset is UTF-8
//   (the CODESET of the environment's LC_CTYPE, what setlocale(LC_CTYPE, "")
//   would select), else its ASCII fallbacks ("*", "`-"). The process itself
//   keeps the C locale.
// - Progress (stderr): one updating line while a verb waits, only when
//   stderr is a terminal and TERM is not "dumb".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace unitrun::cli::terminal {

enum class ColorMode { Auto, Always, Never };

// "auto", "always", "never" (systemd's --color= words, and yes/no/true/false
// for always/never); nullopt for anything else.
std::optional<ColorMode> parse_color_mode(std::string_view text);

// The decision, pure: for the tests and for init().
bool use_color(ColorMode mode, bool stdout_is_tty, const char* no_color_env, const char* term_env);
bool charset_is_utf8(const char* codeset);

// Reads the environment and the fds once; the locale is read on the first
// utf8() or glyph(), so that verbs printing no glyph never load it.
void init(ColorMode mode);

bool color();      // stdout gets SGR sequences
bool utf8();       // glyphs may be UTF-8
bool progress();   // stderr shows updating progress lines
size_t columns();  // stderr's terminal width (0: unknown, or not a terminal)

enum class Glyph {
  ActiveDot,
  InactiveDot,
  FailedDot,
  TreeBranch,
  TreeRight,
  TreeVertical,
  TreeSpace,
  ArrowRight,  // "→" / "->": enable's "Created symlink A → B."
  Bullet,      // "•" / "*"
};
const char* glyph(Glyph g);

// systemctl's colours for a unit's ActiveState word ("active", "failed",
// "activating", ...): green active and reloading, red failed, yellow while
// changing, none for inactive.
enum class Tone { Plain, Good, Bad, Changing };
Tone tone_of_active_state(std::string_view active_state);

// text wrapped in the tone's SGR sequence when colour is on; text alone
// otherwise.
std::string paint(Tone tone, std::string_view text);

}  // namespace unitrun::cli::terminal
