// The Exec*= tokenizer (systemd.syntax(7) "QUOTING", systemd.service(5)
// "COMMAND LINES") and the exec-time $VAR expansion. No shell anywhere.
#include "unit/command_line.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using namespace unitrun;
using namespace unitrun::command_line;
using Words = std::vector<std::string>;

namespace {

Words words(std::string_view text) {
  auto r = split_words(text);
  INFO("split_words(" << text << ") failed: " << (r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

Command one_command(std::string_view text, int line = 7) {
  auto r = parse(text, line);
  INFO("parse(" << text << ") failed: " << (r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  return r->front();
}

}  // namespace

TEST_CASE("command line: plain words", "[command_line]") {
  CHECK(words("a b  c") == Words{"a", "b", "c"});
  CHECK(words("  leading and trailing  ") == Words{"leading", "and", "trailing"});
  CHECK(words("tab\tseparated") == Words{"tab", "separated"});
  CHECK(words("").empty());
  CHECK(words("   ").empty());

  Command c = one_command("/bin/echo hello world", 3);
  CHECK(c.program == "/bin/echo");
  CHECK(c.argv == Words{"/bin/echo", "hello", "world"});
  CHECK_FALSE(c.ignore_failure);
  CHECK(c.expand_environment);
  CHECK(c.line == 3);
}

TEST_CASE("command line: double and single quotes", "[command_line]") {
  CHECK(words(R"("a b" 'c d' e)") == Words{"a b", "c d", "e"});
  CHECK(words(R"("it's" 'say "hi"')") == Words{"it's", R"(say "hi")"});
  CHECK(words(R"("" '')") == Words{"", ""});
  CHECK(words(R"("a ; b")") == Words{"a ; b"});
  // Quotes in the middle of a word group as systemd does.
  CHECK(words(R"(--opt="a b")") == Words{"--opt=a b"});
  CHECK(words(R"(x'y z'w)") == Words{"xy zw"});
  CHECK(words(R"("a""b")") == Words{"ab"});
  Command c = one_command(R"(/bin/prog --opt="a b" 'single quoted' "double quoted")");
  CHECK(c.argv == Words{"/bin/prog", "--opt=a b", "single quoted", "double quoted"});
}

TEST_CASE("command line: every C escape", "[command_line]") {
  CHECK(words(R"(\a\b\f\n\r\t\v)") == Words{"\a\b\f\n\r\t\v"});
  CHECK(words(R"(\\ \" \')") == Words{"\\", "\"", "'"});
  CHECK(words(R"(a\sb)") == Words{"a b"});
  CHECK(words(R"(\x41\x62)") == Words{"Ab"});
  CHECK(words(R"(\xff)") == Words{"\xff"});
  CHECK(words(R"(\101\142)") == Words{"Ab"});
  CHECK(words(R"(\377)") == Words{"\xff"});
  CHECK(words(R"(\u00e9)") == Words{"\xc3\xa9"});
  CHECK(words(R"(\u20AC)") == Words{"\xe2\x82\xac"});
  CHECK(words(R"(\U0001F600)") == Words{"\xf0\x9f\x98\x80"});
  // The same escapes inside both kinds of quotes.
  CHECK(words(R"("\t\x41\101\u00e9 \"q\"")") == Words{"\tAA\xc3\xa9 \"q\""});
  CHECK(words(R"('\n\s\'')") == Words{"\n '"});
  // An escaped blank does not separate words.
  CHECK(words(R"(a\ b)") == Words{"a b"});
}

TEST_CASE("command line: bad escapes, NUL and unterminated quotes are errors", "[command_line]") {
  for (std::string bad : {R"(\q)", R"(\z)", R"(\x4)", R"(\xZZ)", R"(\u12)", R"(\U0000000)", R"(\8)", R"(\12)",
                          R"(\400)", R"(\uD800)", R"(\U00110000)", R"(abc\)", R"("abc\")"}) {
    INFO("input " << bad);
    CHECK_FALSE(split_words(bad).ok());
    CHECK_FALSE(parse("/bin/echo " + bad, 1).ok());
  }
  // An escaped NUL, in any notation, never reaches an argv.
  for (std::string nul : {R"(\x00)", R"(\000)", R"(\u0000)", R"(\U00000000)", R"("\x00")"}) {
    INFO("input " << nul);
    auto r = split_words(nul);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("NUL"));
  }
  CHECK_FALSE(split_words(std::string("a\0b", 3)).ok());
  CHECK_FALSE(split_words(std::string("\"a\0b\"", 5)).ok());
  CHECK_FALSE(parse(std::string("/bin/true\0;rm -rf /", 19), 1).ok());

  for (std::string bad : {R"("abc)", R"('abc)", R"(/bin/echo "a b)", R"(/bin/echo 'a)", R"(x"y)", R"("a'b)"}) {
    INFO("input " << bad);
    auto r = parse(bad, 1);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("unterminated quote"));
  }
}

TEST_CASE("command line: semicolons", "[command_line]") {
  // Inside quotes a ';' is part of the word: no inline comment, no separator.
  Command sh = one_command(R"(/bin/sh -c "a ; b")");
  CHECK(sh.argv == Words{"/bin/sh", "-c", "a ; b"});

  auto two = parse("/bin/echo a ; /bin/echo b", 4);
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].argv == Words{"/bin/echo", "a"});
  CHECK((*two)[1].argv == Words{"/bin/echo", "b"});
  CHECK((*two)[0].line == 4);
  CHECK((*two)[1].line == 4);

  // "\;" and quoted ";" are literal words, not separators.
  Command find = one_command(R"(/usr/bin/find . -exec rm {} \;)");
  CHECK(find.argv == Words{"/usr/bin/find", ".", "-exec", "rm", "{}", ";"});
  CHECK(one_command(R"(/bin/echo ";" ';')").argv == Words{"/bin/echo", ";", ";"});
  // A ';' glued to a word is part of it.
  CHECK(one_command("/bin/echo a; b").argv == Words{"/bin/echo", "a;", "b"});

  // Prefixes apply to each command separately.
  auto mixed = parse("-/bin/false ; @/bin/sleep nap 1", 1);
  REQUIRE(mixed.ok());
  REQUIRE(mixed->size() == 2);
  CHECK((*mixed)[0].ignore_failure);
  CHECK_FALSE((*mixed)[1].ignore_failure);
  CHECK((*mixed)[1].argv == Words{"nap", "1"});

  CHECK_FALSE(parse(";", 1).ok());
  CHECK_FALSE(parse("/bin/a ; ; /bin/b", 1).ok());
  CHECK_FALSE(parse("", 1).ok());
}

TEST_CASE("command line: prefixes", "[command_line]") {
  Command dash = one_command("-/bin/false x");
  CHECK(dash.ignore_failure);
  CHECK(dash.expand_environment);
  CHECK(dash.program == "/bin/false");
  CHECK(dash.argv == Words{"/bin/false", "x"});

  Command at = one_command("@/bin/sleep mysleep 10");
  CHECK(at.program == "/bin/sleep");
  CHECK(at.argv == Words{"mysleep", "10"});
  CHECK_FALSE(at.ignore_failure);

  Command colon = one_command(":/bin/echo $HOME");
  CHECK_FALSE(colon.expand_environment);
  CHECK(colon.argv == Words{"/bin/echo", "$HOME"});

  for (std::string text : {"-@/bin/sleep sl 1", "@-/bin/sleep sl 1"}) {
    INFO(text);
    Command both = one_command(text);
    CHECK(both.ignore_failure);
    CHECK(both.program == "/bin/sleep");
    CHECK(both.argv == Words{"sl", "1"});
  }
  Command all = one_command(":-@/bin/sleep sl 1");
  CHECK(all.ignore_failure);
  CHECK_FALSE(all.expand_environment);
  CHECK(all.argv == Words{"sl", "1"});

  // A quoted program may carry the prefix inside the quotes.
  Command quoted = one_command(R"("-/opt/my app/run" x)");
  CHECK(quoted.ignore_failure);
  CHECK(quoted.program == "/opt/my app/run");

  // '+', '!' and '!!' (systemd.service(5), Table 1), with the others in any
  // order; "!!" is one prefix, not '!' twice.
  struct Privileged {
    std::string text;
    CommandPrivileges privileges;
    bool ignore_failure;
  };
  for (const Privileged& p : {Privileged{"+/bin/true", CommandPrivileges::Full, false},
                              Privileged{"!/bin/true", CommandPrivileges::NoUserSwitch, false},
                              Privileged{"!!/bin/true", CommandPrivileges::AmbientFallback, false},
                              Privileged{"-+/bin/true", CommandPrivileges::Full, true},
                              Privileged{"+-/bin/true", CommandPrivileges::Full, true},
                              Privileged{"@-!!/bin/true t", CommandPrivileges::AmbientFallback, true}}) {
    INFO(p.text);
    Command c = one_command(p.text);
    CHECK(c.privileges == p.privileges);
    CHECK(c.ignore_failure == p.ignore_failure);
    CHECK(c.program == "/bin/true");
  }
  CHECK(one_command("/bin/true").privileges == CommandPrivileges::Normal);
  CHECK(one_command("/bin/true").switches_user());
  CHECK(one_command("!!/bin/true").switches_user());  // every kernel here has ambient capabilities
  CHECK_FALSE(one_command("+/bin/true").switches_user());
  CHECK_FALSE(one_command("!/bin/true").switches_user());
  for (std::string bad : {"+!/bin/true", "!+/bin/true", "!!+/bin/true", "+!!/bin/true", "!!!/bin/true"}) {
    INFO(bad);
    auto r = parse(bad, 1);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("only one of the '+', '!' and '!!' prefixes"));
  }
  {
    auto r = parse("++/bin/true", 1);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("repeated '+' prefix"));
  }
  for (std::string bad : {"--/bin/true", "@@/bin/true x", "::/bin/true", "-@-/bin/true x"}) {
    INFO(bad);
    auto r = parse(bad, 1);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("repeated"));
  }
  for (std::string bad : {"@/bin/sleep", "@/bin/sleep ; /bin/true", "-", "@", "-@"}) {
    INFO(bad);
    CHECK_FALSE(parse(bad, 1).ok());
  }
}

TEST_CASE("command line: shell syntax passes through literally", "[command_line]") {
  Command c = one_command("/bin/echo $X ${Y} $(id) `id` * ?.txt | > /tmp/x && true ~");
  CHECK(c.argv ==
        Words{"/bin/echo", "$X", "${Y}", "$(id)", "`id`", "*", "?.txt", "|", ">", "/tmp/x", "&&", "true", "~"});
  // The tokenizer does not touch '%' either; specifiers are the unit parser's job.
  CHECK(one_command("/bin/echo 100%").argv == Words{"/bin/echo", "100%"});
  // Bare names are kept as written (resolved later against a fixed PATH).
  CHECK(one_command("sleep 1").program == "sleep");
  CHECK(one_command("./x.sh").program == "./x.sh");
}

TEST_CASE("expand_environment: systemd's rules", "[command_line]") {
  const std::map<std::string, std::string> env = {
      {"VAR", "a  b c"}, {"ONE", "single"}, {"EMPTY", ""}, {"SPACES", "   "}, {"HOME", "/root"}};

  // "$VAR" alone: split on whitespace into zero or more words.
  CHECK(expand_environment({"/bin/echo", "$VAR", "end"}, env) == Words{"/bin/echo", "a", "b", "c", "end"});
  CHECK(expand_environment({"$ONE"}, env) == Words{"single"});
  CHECK(expand_environment({"x", "$EMPTY", "y"}, env) == Words{"x", "y"});
  CHECK(expand_environment({"x", "$SPACES", "y"}, env) == Words{"x", "y"});
  CHECK(expand_environment({"x", "$UNSET", "y"}, env) == Words{"x", "y"});

  // "${VAR}": one word, replaced in place, never split.
  CHECK(expand_environment({"${VAR}"}, env) == Words{"a  b c"});
  CHECK(expand_environment({"pre${ONE}post"}, env) == Words{"presinglepost"});
  CHECK(expand_environment({"--home=${HOME}/x"}, env) == Words{"--home=/root/x"});
  CHECK(expand_environment({"${ONE}${ONE}"}, env) == Words{"singlesingle"});
  CHECK(expand_environment({"${UNSET}"}, env) == Words{""});
  CHECK(expand_environment({"a${UNSET}b"}, env) == Words{"ab"});

  // "$VAR" inside a longer word is left alone, as systemd does.
  CHECK(expand_environment({"pre$ONE"}, env) == Words{"pre$ONE"});
  CHECK(expand_environment({"$ONE/x"}, env) == Words{"$ONE/x"});
  CHECK(expand_environment({"--x=$ONE"}, env) == Words{"--x=$ONE"});

  // "$$" is a literal '$'.
  CHECK(expand_environment({"$$"}, env) == Words{"$"});
  CHECK(expand_environment({"$$ONE"}, env) == Words{"$ONE"});
  CHECK(expand_environment({"cost$$5"}, env) == Words{"cost$5"});
  CHECK(expand_environment({"$${ONE}"}, env) == Words{"${ONE}"});

  // Things that are not variable references stay as they are.
  CHECK(expand_environment({"$"}, env) == Words{"$"});
  CHECK(expand_environment({"$1"}, env) == Words{"$1"});
  CHECK(expand_environment({"${"}, env) == Words{"${"});
  CHECK(expand_environment({"${ONE"}, env) == Words{"${ONE"});
  CHECK(expand_environment({"${}"}, env) == Words{"${}"});
  CHECK(expand_environment({"$(id)"}, env) == Words{"$(id)"});
  CHECK(expand_environment({"${1X}"}, env) == Words{"${1X}"});

  // The program word is expanded like the others; nothing else is touched.
  CHECK(expand_environment({}, env).empty());
  CHECK(expand_environment({"/bin/true"}, env) == Words{"/bin/true"});
}

TEST_CASE("command line: appending to a list is all or nothing", "[command_line]") {
  std::vector<Command> list;
  REQUIRE(parse("/bin/echo first", 1, list).ok());
  REQUIRE(list.size() == 1);
  // The second command of this value is broken: none of the value is kept.
  CHECK_FALSE(parse("/bin/echo second ; @/bin/sleep", 2, list).ok());
  CHECK_FALSE(parse("/bin/echo third ; /bin/echo \\q", 3, list).ok());
  REQUIRE(list.size() == 1);
  CHECK(list[0].argv == Words{"/bin/echo", "first"});
  REQUIRE(parse("/bin/a x ; /bin/b y", 4, list).ok());
  REQUIRE(list.size() == 3);
  CHECK(list[2].argv == Words{"/bin/b", "y"});
  CHECK(list[2].line == 4);

  // A reused decoding buffer never leaks one value's words into the next.
  CHECK(words("\"long quoted word number one\" x") == Words{"long quoted word number one", "x"});
  CHECK(words("y") == Words{"y"});
}

TEST_CASE("is_valid_env_name", "[command_line]") {
  for (std::string good : {"A", "_", "a1", "PATH", "_X_9"}) CHECK(is_valid_env_name(good));
  for (std::string bad : {"", "1A", "9", "A-B", "A B", "A=B", "$A", "Ä", "A\xE9"}) CHECK_FALSE(is_valid_env_name(bad));
}
