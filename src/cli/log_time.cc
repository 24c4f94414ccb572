#include "cli/log_time.h"

#include <time.h>

#include <cstring>
#include <string>

#include "base/strings.h"
#include "unit/values.h"

namespace unitrun::cli {
namespace {

constexpr int64_t kUsec = 1000000;

Error bad(std::string_view text) {
  return Error::plain("invalid time '" + std::string(text) +
                      "' (accepted: 'YYYY-MM-DD HH:MM:SS', ISO 8601 as 2026-12-06T20:31:07+00:00, "
                      "now, today, yesterday, or relative: -5min, '1h ago', +30s)");
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view s) { return std::stoi(std::string(s)); }

// Local midnight of the day `now_usec` falls in, `days_back` days earlier.
Result<int64_t> local_midnight(int64_t now_usec, int days_back) {
  time_t t = static_cast<time_t>(now_usec / kUsec);
  struct tm tm {};
  if (!::localtime_r(&t, &tm)) return Error::plain("cannot convert the current time to local time");
  tm.tm_mday -= days_back;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  time_t midnight = ::mktime(&tm);
  if (midnight == static_cast<time_t>(-1)) return Error::plain("cannot compute local midnight");
  return static_cast<int64_t>(midnight) * kUsec;
}

// "YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][Z|±HH:MM|±HHMM]"
Result<int64_t> parse_absolute(std::string_view text) {
  std::string_view s = text;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) ||
      !all_digits(s.substr(8, 2)))
    return bad(text);
  struct tm tm {};
  tm.tm_year = number(s.substr(0, 4)) - 1900;
  tm.tm_mon = number(s.substr(5, 2)) - 1;
  tm.tm_mday = number(s.substr(8, 2));
  s.remove_prefix(10);
  int64_t micro = 0;
  if (!s.empty()) {
    if (s[0] != ' ' && s[0] != 'T') return bad(text);
    s.remove_prefix(1);
    if (s.size() < 5 || s[2] != ':' || !all_digits(s.substr(0, 2)) || !all_digits(s.substr(3, 2))) return bad(text);
    tm.tm_hour = number(s.substr(0, 2));
    tm.tm_min = number(s.substr(3, 2));
    s.remove_prefix(5);
    if (!s.empty() && s[0] == ':') {
      if (s.size() < 3 || !all_digits(s.substr(1, 2))) return bad(text);
      tm.tm_sec = number(s.substr(1, 2));
      s.remove_prefix(3);
      if (!s.empty() && s[0] == '.') {
        s.remove_prefix(1);
        size_t n = 0;
        int64_t scale = 100000;
        while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
          micro += (s[n] - '0') * scale;
          scale /= 10;
          ++n;
        }
        if (n == 0) return bad(text);
        s.remove_prefix(n);
      }
    }
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return bad(text);
  if (s.empty()) {
    // Local time, daylight saving time as it was on that date.
    tm.tm_isdst = -1;
    int mday = tm.tm_mday;
    time_t t = ::mktime(&tm);
    if (t == static_cast<time_t>(-1) || tm.tm_mday != mday) return bad(text);  // 2026-02-31 is not a date
    return static_cast<int64_t>(t) * kUsec + micro;
  }
  int64_t offset = 0;
  if (s == "Z") {
    offset = 0;
  } else if ((s[0] == '+' || s[0] == '-') && (s.size() == 6 || s.size() == 5)) {
    std::string_view hh = s.substr(1, 2), mm = s.size() == 6 ? s.substr(4, 2) : s.substr(3, 2);
    if (!all_digits(hh) || !all_digits(mm) || (s.size() == 6 && s[3] != ':')) return bad(text);
    offset = (number(hh) * 3600 + number(mm) * 60) * (s[0] == '-' ? -1 : 1);
  } else {
    return bad(text);
  }
  int mday = tm.tm_mday;
  time_t t = ::timegm(&tm);
  if (t == static_cast<time_t>(-1) || tm.tm_mday != mday) return bad(text);
  return (static_cast<int64_t>(t) - offset) * kUsec + micro;
}

}  // namespace

Result<int64_t> parse_since(std::string_view text, int64_t now_usec) {
  std::string_view s = trim(text);
  if (s == "now") return now_usec;
  if (s == "today") return local_midnight(now_usec, 0);
  if (s == "yesterday") return local_midnight(now_usec, 1);
  if (s.empty()) return bad(text);
  // Relative: "-5min", "+1h", "5min ago", "1h 30min ago".
  int sign = 0;
  std::string_view span;
  constexpr std::string_view kAgo = " ago";
  if (s[0] == '-' || s[0] == '+') {
    sign = s[0] == '-' ? -1 : 1;
    span = s.substr(1);
  } else if (s.size() > kAgo.size() && s.substr(s.size() - kAgo.size()) == kAgo) {
    sign = -1;
    span = trim(s.substr(0, s.size() - kAgo.size()));
  }
  if (sign != 0) {
    auto usec = values::parse_timespan(span);
    if (!usec || *usec == kInfinity) return bad(text);
    return now_usec + sign * static_cast<int64_t>(*usec);
  }
  return parse_absolute(s);
}

}  // namespace unitrun::cli
