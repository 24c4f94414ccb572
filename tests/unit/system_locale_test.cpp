// monitor/system_locale.h: the locale variables a manager hands its services.
#include "monitor/system_locale.h"

#include <unistd.h>

#include <catch2/catch.hpp>

using unitrun::monitor::locale_variables;
using unitrun::monitor::LocaleVariables;

// Each case is what systemd 252 gave `systemd-run --pipe env` in a Debian 12
// root with that text as /etc/default/locale (checked 2026-12-08).
TEST_CASE("locale_variables takes LANG, LANGUAGE and LC_* with a value", "[locale]") {
  LocaleVariables got = locale_variables(
      "# comment\nLANG=\"en_US.UTF-8\"\nLC_CTYPE=en_US.UTF-8\nLANGUAGE=en_US:en\nLC_ALL=\nFOO=bar\nLC_MESSAGES=C\n");
  LocaleVariables want = {
      {"LANG", "en_US.UTF-8"}, {"LC_CTYPE", "en_US.UTF-8"}, {"LANGUAGE", "en_US:en"}, {"LC_MESSAGES", "C"}};
  CHECK(got == want);  // LC_CTYPE equal to LANG is kept: systemd 252 does not simplify
}

TEST_CASE("locale_variables leaves out LC_ALL and other names", "[locale]") {
  CHECK(locale_variables("LC_ALL=de_DE.UTF-8\nPATH=/x\nLANG_X=y\n").empty());
  CHECK(locale_variables("").empty());
  CHECK(locale_variables("# only a comment\n").empty());
}

TEST_CASE("locale_variables: a name set twice keeps its last value", "[locale]") {
  LocaleVariables want = {{"LANG", "fr_FR.UTF-8"}, {"LC_TIME", "de_DE.UTF-8"}};
  CHECK(locale_variables("LANG=C\nLC_TIME=de_DE.UTF-8\nLANG=fr_FR.UTF-8\n") == want);
  // ...and an empty last value unsets it.
  CHECK(locale_variables("LANG=de_DE.UTF-8\nLANG=\n").empty());
}

TEST_CASE("locale_variables: a text that does not parse sets nothing", "[locale]") {
  CHECK(locale_variables("LANG=\"unterminated\n").empty());
}

TEST_CASE("manager_locale always gives a system manager's services a LANG", "[locale]") {
  if (::geteuid() != 0) return;  // a user manager's come from its environment
  LocaleVariables got = unitrun::monitor::manager_locale();
  REQUIRE(!got.empty());
  bool has_lang_or_category = false;
  for (const auto& [name, value] : got) {
    CHECK(!value.empty());
    has_lang_or_category = has_lang_or_category || name == "LANG" || name.rfind("LC_", 0) == 0;
  }
  CHECK(has_lang_or_category);
}
