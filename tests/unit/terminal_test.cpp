// The terminal decisions (src/cli/terminal.h) and the progress line's words
// (src/cli/progress.h), pure. The terminals themselves are in
// tests/integration/terminal_itest.cpp.
#include "cli/terminal.h"

#include <catch2/catch.hpp>

#include "cli/progress.h"

using namespace unitrun;
using namespace unitrun::cli;
using terminal::ColorMode;

TEST_CASE("colour: auto on a terminal only, never with a non-empty NO_COLOR or TERM=dumb", "[terminal]") {
  CHECK(terminal::use_color(ColorMode::Auto, true, nullptr, "xterm"));
  CHECK(terminal::use_color(ColorMode::Auto, true, "", "xterm"));  // empty: as if unset
  CHECK(terminal::use_color(ColorMode::Auto, true, nullptr, nullptr));
  CHECK_FALSE(terminal::use_color(ColorMode::Auto, false, nullptr, "xterm"));
  CHECK_FALSE(terminal::use_color(ColorMode::Auto, true, "1", "xterm"));
  CHECK_FALSE(terminal::use_color(ColorMode::Auto, true, "0", "xterm"));  // any value
  CHECK_FALSE(terminal::use_color(ColorMode::Auto, true, nullptr, "dumb"));
  // A command-line choice overrides NO_COLOR (no-color.org).
  CHECK(terminal::use_color(ColorMode::Always, false, "1", "dumb"));
  CHECK_FALSE(terminal::use_color(ColorMode::Never, true, nullptr, "xterm"));
}

TEST_CASE("the colour option takes systemd's words for --color=", "[terminal]") {
  CHECK(terminal::parse_color_mode("auto") == ColorMode::Auto);
  CHECK(terminal::parse_color_mode("always") == ColorMode::Always);
  CHECK(terminal::parse_color_mode("yes") == ColorMode::Always);
  CHECK(terminal::parse_color_mode("never") == ColorMode::Never);
  CHECK(terminal::parse_color_mode("no") == ColorMode::Never);
  CHECK_FALSE(terminal::parse_color_mode(""));
  CHECK_FALSE(terminal::parse_color_mode("Always"));
  CHECK_FALSE(terminal::parse_color_mode("sometimes"));
}

TEST_CASE("UTF-8 glyphs only for a UTF-8 charset", "[terminal]") {
  CHECK(terminal::charset_is_utf8("UTF-8"));
  CHECK(terminal::charset_is_utf8("utf8"));
  CHECK_FALSE(terminal::charset_is_utf8("ANSI_X3.4-1968"));  // the C locale's
  CHECK_FALSE(terminal::charset_is_utf8("ISO-8859-1"));
  CHECK_FALSE(terminal::charset_is_utf8(nullptr));
}

TEST_CASE("state words get systemctl's colours", "[terminal]") {
  using terminal::Tone;
  CHECK(terminal::tone_of_active_state("active") == Tone::Good);
  CHECK(terminal::tone_of_active_state("reloading") == Tone::Good);
  CHECK(terminal::tone_of_active_state("failed") == Tone::Bad);
  CHECK(terminal::tone_of_active_state("activating") == Tone::Changing);
  CHECK(terminal::tone_of_active_state("deactivating") == Tone::Changing);
  CHECK(terminal::tone_of_active_state("inactive") == Tone::Plain);
}

TEST_CASE("the progress line says what the wait is for, how long, and the limit", "[terminal][progress]") {
  Unit u;
  u.name = "web";
  u.type = ServiceType::Notify;
  u.timeout_start = 90 * kUsecPerSec;
  u.timeout_stop = 5 * kUsecPerSec;
  u.restart_sec = 2 * kUsecPerSec;
  CHECK(progress_text(u, SubState::Start, 3'400'000) == "Waiting for READY=1 from web (3s / 1min 30s)");
  CHECK(progress_text(u, SubState::StartPre, 0) == "Running ExecStartPre= of web (0s / 1min 30s)");
  CHECK(progress_text(u, SubState::StopSigterm, 4 * kUsecPerSec) == "Waiting for web to stop (4s / 5s)");
  CHECK(progress_text(u, SubState::StopSigkill, kUsecPerSec) == "Waiting for web to die of SIGKILL (1s / 5s)");
  CHECK(progress_text(u, SubState::AutoRestart, kUsecPerSec) == "web restarts after RestartSec= (1s / 2s)");
  CHECK(progress_text(u, std::nullopt, 2 * kUsecPerSec) == "Waiting for web (2s)");
  u.timeout_start = kInfinity;
  CHECK(progress_text(u, SubState::Start, 61 * kUsecPerSec) == "Waiting for READY=1 from web (1min 1s)");
  u.type = ServiceType::Forking;
  u.timeout_start = 0;  // systemd: 0 disables the timeout
  CHECK(progress_text(u, SubState::Start, kUsecPerSec) == "Waiting for web to fork and write its PIDFile= (1s)");
  // A name from a unit file reaches the terminal escaped.
  u.name = "evil\033[2J";
  CHECK(progress_text(u, SubState::Start, 0).find('\033') == std::string::npos);
}
