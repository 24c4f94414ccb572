#include "runtime/line_stamp.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace unitrun {
namespace {

constexpr int64_t kUsec = 1000000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil): no time zone involved, unlike timegm()/mktime().
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// `n` digits at `s`, or -1.
int digits(std::string_view s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string format_stamp(int64_t realtime_usec) {
  LineStamper one;
  std::string out;
  one.feed("\n", realtime_usec, out);
  out.pop_back();  // the empty line's newline
  return out;
}

std::optional<int64_t> parse_stamp(std::string_view line) {
  // 2026-12-06T20:31:07.123456+00:00<space>
  // 0123456789012345678901234567890123
  if (line.size() < kStampSize) return std::nullopt;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddddd+dd:dd ";
  for (size_t i = 0; i < kStampSize; ++i) {
    char want = kShape[i], c = line[i];
    if (want == 'd' ? (c < '0' || c > '9') : want == '+' ? (c != '+' && c != '-') : c != want) return std::nullopt;
  }
  int year = digits(line, 0, 4), month = digits(line, 5, 2), day = digits(line, 8, 2);
  int hour = digits(line, 11, 2), minute = digits(line, 14, 2), second = digits(line, 17, 2);
  int micro = digits(line, 20, 6), off_h = digits(line, 27, 2), off_m = digits(line, 30, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || off_m > 59)
    return std::nullopt;
  int64_t offset = (off_h * 3600 + off_m * 60) * (line[26] == '-' ? -1 : 1);
  int64_t seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                    hour * 3600 + minute * 60 + second - offset;
  return seconds * kUsec + micro;
}

std::string_view strip_stamp(std::string_view line) { return parse_stamp(line) ? line.substr(kStampSize) : line; }

void LineStamper::format(int64_t usec) {
  if (usec == cached_usec_) return;
  int64_t second = floor_div(usec, kUsec);
  if (second != cached_second_) {
    time_t t = static_cast<time_t>(second);
    struct tm tm {};
    if (!::localtime_r(&t, &tm)) {
      t = 0;  // out of the calendar's range: the epoch rather than garbage
      (void)::gmtime_r(&t, &tm);
    }
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    // 2026-12-06T20:31:07.123456+00:00<space>, the microseconds below.
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.000000%c%02ld:%02ld ", (tm.tm_year + 1900) % 10000,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, (off / 3600) % 100,
                  (off / 60) % 60);
    std::memcpy(stamp_, text, kStampSize);
    cached_second_ = second;
  }
  int64_t micro = usec - second * kUsec;
  for (int i = 25; i >= 20; --i) {
    stamp_[i] = static_cast<char>('0' + micro % 10);
    micro /= 10;
  }
  cached_usec_ = usec;
}

void LineStamper::append_stamp(int64_t usec, std::string& out) {
  format(usec);
  out.append(stamp_, kStampSize);
}

void LineStamper::feed(std::string_view data, int64_t now_usec, std::string& out) {
  const char* p = data.data();
  const char* const end = p + data.size();
  while (p != end) {
    size_t left = static_cast<size_t>(end - p);
    if (partial_.empty()) {
      // The lines that begin in this read, all with its time: one stamp,
      // then per line a newline search and two appends.
      format(now_usec);
      const char* newline;
      while ((newline = static_cast<const char*>(std::memchr(p, '\n', std::min(left, max_line_ + 1))))) {
        out.append(stamp_, kStampSize);
        out.append(p, static_cast<size_t>(newline + 1 - p));
        p = newline + 1;
        left = static_cast<size_t>(end - p);
      }
      if (p == end) return;
      partial_since_ = now_usec;
    }
    size_t room = max_line_ - partial_.size();
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', std::min(left, room + 1)));
    if (newline) {
      // A line that began in an earlier read: the time of that read.
      append_stamp(partial_since_, out);
      out += partial_;
      out.append(p, static_cast<size_t>(newline + 1 - p));
      partial_.clear();
      p = newline + 1;
    } else if (left < room) {
      partial_.append(p, left);
      return;
    } else {
      // max_line_ bytes without a newline: out as a line of its own.
      partial_.append(p, room);
      p += room;
      flush(out);
    }
  }
}

void LineStamper::flush(std::string& out) {
  if (partial_.empty()) return;
  append_stamp(partial_since_, out);
  out += partial_;
  out += '\n';
  partial_.clear();
}

}  // namespace unitrun
