#include "runtime/line_stamp.h"

#include <time.h>

#include <cstdio>

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

void LineStamper::append_stamp(int64_t usec, std::string& out) {
  int64_t second = floor_div(usec, kUsec);
  if (second != cached_second_) {
    time_t t = static_cast<time_t>(second);
    struct tm tm {};
    if (!::localtime_r(&t, &tm)) {
      t = 0;  // out of the calendar's range: the epoch rather than garbage
      (void)::gmtime_r(&t, &tm);
    }
    char head[64], offset[64];
    std::snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(offset, sizeof offset, "%c%02ld:%02ld ", sign, (off / 3600) % 100, (off / 60) % 60);
    cached_head_ = head;
    cached_offset_ = offset;
    cached_second_ = second;
  }
  int64_t micro = usec - second * kUsec;
  char digits6[6];
  for (int i = 5; i >= 0; --i) {
    digits6[i] = static_cast<char>('0' + micro % 10);
    micro /= 10;
  }
  out += cached_head_;
  out.append(digits6, 6);
  out += cached_offset_;
}

void LineStamper::feed(std::string_view data, int64_t now_usec, std::string& out) {
  while (!data.empty()) {
    if (partial_.empty()) partial_since_ = now_usec;
    size_t room = max_line_ - partial_.size();
    size_t newline = data.find('\n');
    if (newline != std::string_view::npos && newline <= room) {
      // A whole line: straight from `data` unless it began in an earlier read.
      append_stamp(partial_since_, out);
      out += partial_;
      out.append(data.data(), newline + 1);
      partial_.clear();
      data.remove_prefix(newline + 1);
    } else if (data.size() < room) {
      partial_.append(data);
      return;
    } else {
      // max_line_ bytes without a newline: out as a line of its own.
      partial_.append(data.substr(0, room));
      data.remove_prefix(room);
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
