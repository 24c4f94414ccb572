// The line layer in front of inih (src/unit/ini_lines.h): BOM, CRLF,
// continuations, the 1 MiB limit, and the lines inih must never see.
#include "unit/ini_lines.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace unitrun;
using namespace unitrun::ini_lines;
using namespace std::string_literals;

namespace {

// The logical lines that carry text, in order (placeholders dropped).
std::vector<LogicalLine> texts(const Lines& l) {
  std::vector<LogicalLine> out;
  for (const LogicalLine& x : l.lines)
    if (!x.text.empty()) out.push_back(x);
  return out;
}

// The single error of `l`, which must be on `line`.
void require_one_error(const Lines& l, int line, const std::string& contains) {
  REQUIRE(l.diagnostics.size() == 1);
  CHECK(l.diagnostics[0].severity == Diagnostic::Severity::Error);
  CHECK(l.diagnostics[0].line == line);
  CHECK_THAT(l.diagnostics[0].message, Catch::Contains(contains));
}

}  // namespace

TEST_CASE("ini_lines: plain file", "[ini_lines]") {
  Lines l = split("[Unit]\nDescription=x\n\n# comment\n; comment\n[Service]\nExecStart=/bin/true\n");
  CHECK(l.diagnostics.empty());
  REQUIRE(l.sections.size() == 2);
  CHECK(l.sections[0].name == "Unit");
  CHECK(l.sections[0].line == 1);
  CHECK(l.sections[1].name == "Service");
  CHECK(l.sections[1].line == 6);
  // One logical line per physical line, so inih's count stays aligned.
  REQUIRE(l.lines.size() == 7);
  for (size_t i = 0; i < l.lines.size(); ++i) CHECK(l.lines[i].first_line == static_cast<int>(i + 1));
  CHECK(l.lines[1].text == "Description=x");
  CHECK(l.lines[6].text == "ExecStart=/bin/true");
  CHECK(split("").lines.empty());
  CHECK(split("").diagnostics.empty());
}

TEST_CASE("ini_lines: UTF-8 BOM is stripped", "[ini_lines]") {
  Lines l = split("\xEF\xBB\xBF[Service]\nA=b\n");
  CHECK(l.diagnostics.empty());
  REQUIRE(l.sections.size() == 1);
  CHECK(l.sections[0].name == "Service");
  CHECK(l.sections[0].line == 1);
  CHECK(l.lines[0].text == "[Service]");
  // Only at byte 0: elsewhere it is text.
  Lines mid = split("[Service]\nA=\xEF\xBB\xBFx\n");
  CHECK(mid.lines[1].text == "A=\xEF\xBB\xBFx");
}

TEST_CASE("ini_lines: CRLF is accepted", "[ini_lines]") {
  Lines l = split("[Service]\r\nA=b\r\nC=d\\\r\n e\r\n");
  CHECK(l.diagnostics.empty());
  REQUIRE(l.sections.size() == 1);
  CHECK(l.sections[0].name == "Service");
  auto t = texts(l);
  REQUIRE(t.size() == 3);
  CHECK(t[1].text == "A=b");
  CHECK(t[2].text == "C=d  e");
  CHECK(t[2].first_line == 3);
}

TEST_CASE("ini_lines: backslash continuation joins with a space", "[ini_lines]") {
  Lines l = split("[Service]\nA=one\\\ntwo\\\nthree\nB=x\n");
  CHECK(l.diagnostics.empty());
  auto t = texts(l);
  REQUIRE(t.size() == 3);
  CHECK(t[1].text == "A=one two three");
  CHECK(t[1].first_line == 2);
  CHECK(t[2].text == "B=x");
  CHECK(t[2].first_line == 5);
  // Every physical line still has a logical line (placeholders for inih).
  CHECK(l.lines.size() == 5);
}

TEST_CASE("ini_lines: comment lines inside a continuation are skipped", "[ini_lines]") {
  Lines l = split("[Service]\nA=one\\\n# a comment\n  ; another\ntwo\nB=x\n");
  CHECK(l.diagnostics.empty());
  auto t = texts(l);
  REQUIRE(t.size() == 3);
  CHECK(t[1].text == "A=one two");
  CHECK(t[1].first_line == 2);
  CHECK(t[2].first_line == 6);
  CHECK(l.lines.size() == 6);

  // A comment that ends in '\' is still only a comment.
  Lines c = split("[Service]\n# comment \\\nA=b\n");
  CHECK(c.diagnostics.empty());
  auto ct = texts(c);
  REQUIRE(ct.size() == 3);
  CHECK(ct[2].text == "A=b");
  CHECK(ct[2].first_line == 3);
}

TEST_CASE("ini_lines: continuation at the end of the file is an error", "[ini_lines]") {
  require_one_error(split("[Service]\nA=one\\"), 2, "end of the file");
  require_one_error(split("[Service]\nA=one\\\n"), 2, "end of the file");
  require_one_error(split("[Service]\nX=y\nA=one\\\ntwo\\\n"), 3, "end of the file");
  // The dangling text never reaches inih.
  Lines l = split("[Service]\nA=one\\\n");
  for (const LogicalLine& x : l.lines) CHECK(x.text.find("A=one") == std::string::npos);
}

TEST_CASE("ini_lines: NUL byte is an error on its line", "[ini_lines]") {
  std::string content = "[Service]\nA=b\nExecStart=/bin/true\0;rm -rf /\nD=e\n"s;
  REQUIRE(content.find('\0') != std::string::npos);
  Lines l = split(content);
  require_one_error(l, 3, "NUL");
  for (const LogicalLine& x : l.lines) CHECK(x.text.find("/bin/true") == std::string::npos);
  auto t = texts(l);
  REQUIRE(t.size() == 3);
  CHECK(t[2].text == "D=e");
  CHECK(t[2].first_line == 4);

  // NUL on a continuation line spoils the whole logical line.
  std::string cont = "[Service]\nA=one\\\ntw\0o\nB=c\n"s;
  Lines lc = split(cont);
  require_one_error(lc, 3, "NUL");
  auto tc = texts(lc);
  REQUIRE(tc.size() == 2);
  CHECK(tc[1].text == "B=c");
}

TEST_CASE("ini_lines: 1 MiB line accepted, 1 MiB + 1 rejected and not truncated", "[ini_lines]") {
  std::string exact = "A=" + std::string(kMaxLineBytes - 2, 'x');
  REQUIRE(exact.size() == 1024 * 1024);
  // split() returns views into its argument: each content outlives its Lines.
  std::string ok_content = "[Service]\n" + exact + "\nB=c\n";
  Lines ok = split(ok_content);
  CHECK(ok.diagnostics.empty());
  REQUIRE(ok.lines.size() == 3);
  CHECK(ok.lines[1].text == exact);

  // The same with CRLF: the CR does not count.
  std::string crlf_content = "[Service]\r\n" + exact + "\r\n";
  Lines ok_crlf = split(crlf_content);
  CHECK(ok_crlf.diagnostics.empty());

  std::string over = exact + "x";
  std::string bad_content = "[Service]\n" + over + "\nB=c\n";
  Lines bad = split(bad_content);
  require_one_error(bad, 2, "too long");
  REQUIRE(bad.lines.size() == 3);
  CHECK(bad.lines[1].text.empty());  // rejected, not cut down to 1 MiB
  CHECK(bad.lines[2].text == "B=c");

  // Continuations cannot be used to get past the limit.
  std::string half(kMaxLineBytes / 2, 'y');
  std::string joined_content = "[Service]\nA=" + half + "\\\n" + half + "\nB=c\n";
  Lines joined = split(joined_content);
  REQUIRE(joined.diagnostics.size() == 1);
  CHECK(joined.diagnostics[0].line == 2);
  for (const LogicalLine& x : joined.lines) CHECK(x.text.size() < kMaxLineBytes);
  CHECK(texts(joined).back().text == "B=c");
}

TEST_CASE("ini_lines: malformed lines are rejected with their line numbers", "[ini_lines]") {
  SECTION("unterminated section header") {
    Lines l = split("[Unit]\nDescription=x\n[Service\nA=b\n");
    require_one_error(l, 3, "unterminated section header");
    REQUIRE(l.sections.size() == 1);
    CHECK(l.lines[2].text.empty());
  }
  SECTION("text after the section header") {
    Lines l = split("\n[Service] extra\n");
    require_one_error(l, 2, "after section header");
    CHECK(l.sections.empty());
  }
  SECTION("an inline comment after a section header is text too") {
    require_one_error(split("[Service] # comment\n"), 1, "after section header");
  }
  SECTION("empty section name") { require_one_error(split("[Service]\n[ ]\n"), 2, "empty section name"); }
  SECTION("line without '='") {
    Lines l = split("[Service]\nA=b\n\njustaword\n");
    require_one_error(l, 4, "expected 'Key=value'");
    CHECK(l.lines[3].text.empty());
  }
  SECTION("'=value' without a key") {
    require_one_error(split("[Service]\n=value\n"), 2, "missing key");
    require_one_error(split("[Service]\n  = value\n"), 2, "missing key");
  }
  SECTION("Key:value") {
    Lines l = split("[Service]\nUser:root\n");
    require_one_error(l, 2, "Key=value");
    CHECK(l.lines[1].text.empty());
    // inih would split at ':' here; systemd only knows '='.
    Lines colon = split("[Service]\n\nUser:x=root\n");
    require_one_error(colon, 3, "invalid key");
    CHECK(colon.lines[2].text.empty());
  }
  SECTION("several problems, each reported") {
    Lines l = split("[Service\n=v\nword\n[Unit]x\nK:v\n");
    REQUIRE(l.diagnostics.size() == 5);
    for (int i = 0; i < 5; ++i) CHECK(l.diagnostics[static_cast<size_t>(i)].line == i + 1);
    for (const LogicalLine& x : l.lines) CHECK(x.text.empty());
  }
}

TEST_CASE("ini_lines: values are passed on untouched", "[ini_lines]") {
  // No inline comments: ';' and '#' after the start of a line are text.
  Lines l = split("[Service]\nExecStart=/bin/sh -c \"a ; b\" # not a comment\n");
  CHECK(l.diagnostics.empty());
  CHECK(l.lines[1].text == "ExecStart=/bin/sh -c \"a ; b\" # not a comment");
  // Indented lines are not continuations.
  Lines ind = split("[Service]\nA=b\n  C=d\n");
  CHECK(ind.diagnostics.empty());
  CHECK(ind.lines[2].text == "  C=d");
}
