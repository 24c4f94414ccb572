// The stamps of X-Unitrun-Timestamps=yes (runtime/line_stamp.h) and the
// times `logs --since` accepts (cli/log_time.h): pure, with a fake clock
// and a time zone set for the test.
#include "runtime/line_stamp.h"

#include <stdlib.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "cli/log_time.h"

using namespace unitrun;

namespace {

constexpr int64_t kSec = 1000000;
// 2026-12-06T20:31:07.123456Z
constexpr int64_t kT = 1796589067LL * kSec + 123456;

// Sets TZ for the scope of a test; the previous value comes back after.
class TimeZone {
 public:
  explicit TimeZone(const char* tz) {
    if (const char* old = ::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~TimeZone() {
    if (old_)
      ::setenv("TZ", old_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("a stamp is ISO 8601 with microseconds and the UTC offset, and parses back", "[line_stamp]") {
  {
    TimeZone utc("UTC0");
    CHECK(format_stamp(kT) == "2026-12-06T20:31:07.123456+00:00 ");
    CHECK(format_stamp(kT).size() == kStampSize);
    CHECK(format_stamp(1796589067LL * kSec) == "2026-12-06T20:31:07.000000+00:00 ");
  }
  {
    TimeZone india("IST-5:30");  // POSIX: UTC+05:30
    CHECK(format_stamp(kT) == "2026-12-07T02:01:07.123456+05:30 ");
    CHECK(parse_stamp(format_stamp(kT) + "hello") == kT);
  }
  {
    TimeZone west("XST8");  // UTC-08:00
    CHECK(format_stamp(kT) == "2026-12-06T12:31:07.123456-08:00 ");
    CHECK(parse_stamp(format_stamp(kT)) == kT);
  }
  // Parsing does not depend on the reader's zone: the offset is in the stamp.
  CHECK(parse_stamp("2026-12-07T02:01:07.123456+05:30 x") == kT);
  CHECK(parse_stamp("2026-12-06T20:31:07.123456+00:00 ") == kT);
}

TEST_CASE("a line without a well-formed stamp is left alone", "[line_stamp]") {
  for (const char* line :
       {"", "hello", "2026-12-06T20:31:07.123456+00:00",  // no space after
        "2026-12-06 20:31:07.123456+00:00 x", "2026-13-06T20:31:07.123456+00:00 x", "2026-12-06T20:31:07.12345+00:00 x",
        "2026-12-06T20:31:07.123456Z x", "2026-12-06T20:31:07.000 unitrun[12]: a line of the monitor's own log"}) {
    INFO(line);
    CHECK_FALSE(parse_stamp(line).has_value());
    CHECK(strip_stamp(line) == line);
  }
  CHECK(strip_stamp("2026-12-06T20:31:07.123456+00:00 hello world") == "hello world");
  CHECK(strip_stamp("2026-12-06T20:31:07.123456+00:00 ") == "");
}

TEST_CASE("the line splitter stamps each complete line with when its first byte came", "[line_stamp]") {
  TimeZone utc("UTC0");
  LineStamper s;
  std::string out;
  s.feed("one\ntwo\nthr", kT, out);
  CHECK(out ==
        "2026-12-06T20:31:07.123456+00:00 one\n"
        "2026-12-06T20:31:07.123456+00:00 two\n");
  CHECK(s.has_partial());
  out.clear();
  s.feed("ee\n", kT + 2 * kSec, out);  // the line began a read earlier: its time is that read's
  CHECK(out == "2026-12-06T20:31:07.123456+00:00 three\n");
  out.clear();
  s.feed("\n\nlast", kT + 3 * kSec, out);
  CHECK(out ==
        "2026-12-06T20:31:10.123456+00:00 \n"
        "2026-12-06T20:31:10.123456+00:00 \n");
  out.clear();
  s.flush(out);  // the stream ended without a newline: one is added
  CHECK(out == "2026-12-06T20:31:10.123456+00:00 last\n");
  CHECK_FALSE(s.has_partial());
  out.clear();
  s.flush(out);
  CHECK(out.empty());
}

TEST_CASE("a line longer than the limit is cut into stamped pieces", "[line_stamp]") {
  TimeZone utc("UTC0");
  LineStamper s(4);
  std::string out;
  s.feed("abcdefghij\n", kT, out);
  CHECK(out ==
        "2026-12-06T20:31:07.123456+00:00 abcd\n"
        "2026-12-06T20:31:07.123456+00:00 efgh\n"
        "2026-12-06T20:31:07.123456+00:00 ij\n");
  out.clear();
  // Exactly the limit with its newline is one line; the limit without a
  // newline is cut even when the rest comes later.
  s.feed("abcd\nwxy", kT, out);
  s.feed("z", kT + kSec, out);
  s.feed("\n", kT + 2 * kSec, out);
  CHECK(out ==
        "2026-12-06T20:31:07.123456+00:00 abcd\n"
        "2026-12-06T20:31:07.123456+00:00 wxyz\n"
        "2026-12-06T20:31:09.123456+00:00 \n");
  // The default limit is journald's LINE_MAX.
  LineStamper big;
  std::string long_out;
  big.feed(std::string(kMaxStampedLine + 10, 'x'), kT, long_out);
  CHECK(long_out.size() == kStampSize + kMaxStampedLine + 1);
  CHECK(big.has_partial());
}

TEST_CASE("however the stream is cut into reads, a line has the time of the read of its first byte", "[line_stamp]") {
  // The splitter takes the lines that begin in a read from the read itself
  // (one stamp for all of them) and the rest through the partial line: the
  // same stream read one byte at a time, each byte with the time of the
  // read it came in, is the reference. Limit 5: lines shorter and longer
  // (not exactly 5 and a newline: one byte at a time, that is cut before
  // its newline comes, as the test above says).
  TimeZone utc("UTC0");
  const std::string stream = "a\n\nabcd\nabcdef\nxy\nabcdefghijklm\n\n\nlonger line here\nend";
  for (size_t size = 1; size <= stream.size(); ++size) {
    CAPTURE(size);
    LineStamper chunked(5), reference(5);
    std::string got, want;
    for (size_t at = 0; at < stream.size(); at += size) {
      int64_t t = kT + static_cast<int64_t>(at) * (kSec + 1);  // another second and microsecond each read
      std::string_view read = std::string_view(stream).substr(at, size);
      chunked.feed(read, t, got);
      for (char c : read) reference.feed(std::string_view(&c, 1), t, want);
    }
    chunked.flush(got);
    reference.flush(want);
    CHECK(got == want);
  }
  // The reference is the same splitter by another path; what it gives,
  // spelled out: a line completed by a later read, one cut at the limit
  // across reads, lines beginning in one read.
  LineStamper s(5);
  std::string out;
  s.feed("ab\nc", kT, out);
  s.feed("d\ne", kT + kSec, out);
  s.feed("fghi", kT + 2 * kSec, out);
  s.feed("j\nk\nl", kT + 3 * kSec, out);
  s.flush(out);
  CHECK(out ==
        "2026-12-06T20:31:07.123456+00:00 ab\n"
        "2026-12-06T20:31:07.123456+00:00 cd\n"
        "2026-12-06T20:31:08.123456+00:00 efghi\n"
        "2026-12-06T20:31:10.123456+00:00 j\n"
        "2026-12-06T20:31:10.123456+00:00 k\n"
        "2026-12-06T20:31:10.123456+00:00 l\n");
}

TEST_CASE("logs --since accepts absolute, ISO 8601 and relative times", "[line_stamp]") {
  TimeZone utc("UTC0");
  using cli::parse_since;
  const int64_t now = kT;
  CHECK(parse_since("2026-12-06 20:31:07", now).value() == kT - 123456);
  CHECK(parse_since("2026-12-06 20:31", now).value() == kT - 123456 - 7 * kSec);
  CHECK(parse_since("2026-12-06", now).value() == 1796515200LL * kSec);
  CHECK(parse_since("2026-12-06T20:31:07.123456+00:00", now).value() == kT);
  CHECK(parse_since("2026-12-06T20:31:07.123456Z", now).value() == kT);
  CHECK(parse_since("2026-12-07T02:01:07.123456+05:30", now).value() == kT);
  CHECK(parse_since("2026-12-06T12:31:07.123456-0800", now).value() == kT);
  CHECK(parse_since("2026-12-06T20:31:07.5", now).value() == kT - 123456 + 500000);
  // A stamp as `logs --timestamps` prints it, pasted back (without its space).
  CHECK(parse_since(format_stamp(kT).substr(0, kStampSize - 1), now).value() == kT);
  CHECK(parse_since("now", now).value() == now);
  CHECK(parse_since("today", now).value() == 1796515200LL * kSec);
  CHECK(parse_since("yesterday", now).value() == 1796515200LL * kSec - 86400 * kSec);
  CHECK(parse_since("-5min", now).value() == now - 300 * kSec);
  CHECK(parse_since("5min ago", now).value() == now - 300 * kSec);
  CHECK(parse_since("1h ago", now).value() == now - 3600 * kSec);
  CHECK(parse_since("1h 30min ago", now).value() == now - 5400 * kSec);
  CHECK(parse_since("+30s", now).value() == now + 30 * kSec);
  {
    TimeZone india("IST-5:30");  // local times are the reader's zone
    CHECK(parse_since("2026-12-07 02:01:07", now).value() == kT - 123456);
  }
}

TEST_CASE("logs --since refuses what is not a time, saying what is accepted", "[line_stamp]") {
  for (const char* bad : {"", "soon", "2026-12-6", "2026-02-31", "2026-12-06 25:00", "2026-12-06 20:31:07 +01",
                          "-5 fortnights", "ago", "2026-12-06T20:31:07.+00:00", "-infinity"}) {
    INFO(bad);
    auto r = cli::parse_since(bad, kT);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("accepted: 'YYYY-MM-DD HH:MM:SS'") != std::string::npos);
  }
}
