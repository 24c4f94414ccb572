#include "unit/values.h"

#include <string.h>

#include <array>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <limits>

#include "base/strings.h"

namespace unitrun::values {
namespace {

struct TimeUnit {
  std::string_view name;
  Usec usec;
};

// Longest names first, so that "min" wins over "m" and "ms" over "m".
constexpr Usec kMinute = 60 * kUsecPerSec, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr std::array<TimeUnit, 28> kTimeUnits{{
    {"seconds", kUsecPerSec},
    {"minutes", kMinute},
    {"months", 2629800 * kUsecPerSec},
    {"second", kUsecPerSec},
    {"minute", kMinute},
    {"month", 2629800 * kUsecPerSec},
    {"hours", kHour},
    {"weeks", 7 * kDay},
    {"years", 31557600 * kUsecPerSec},
    {"usec", 1},
    {"msec", 1000},
    {"hour", kHour},
    {"days", kDay},
    {"week", 7 * kDay},
    {"year", 31557600 * kUsecPerSec},
    {"\xc2\xb5s", 1},
    {"\xce\xbcs", 1},
    {"sec", kUsecPerSec},
    {"min", kMinute},
    {"day", kDay},
    {"us", 1},
    {"ms", 1000},
    {"hr", kHour},
    {"s", kUsecPerSec},
    {"m", kMinute},
    {"h", kHour},
    {"d", kDay},
    {"w", 7 * kDay},
}};
// 'M' (months) and 'y' (years) are single letters too, kept apart because
// case matters: "m" is minutes and "M" is months.
constexpr std::array<TimeUnit, 2> kTimeUnitsTail{{{"M", 2629800 * kUsecPerSec}, {"y", 31557600 * kUsecPerSec}}};

const TimeUnit* match_time_unit(std::string_view rest) {
  for (const TimeUnit& u : kTimeUnits)
    if (rest.substr(0, u.name.size()) == u.name) return &u;
  for (const TimeUnit& u : kTimeUnitsTail)
    if (rest.substr(0, u.name.size()) == u.name) return &u;
  return nullptr;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool checked_add(Usec a, Usec b, Usec& out) { return !__builtin_add_overflow(a, b, &out); }
bool checked_mul(Usec a, Usec b, Usec& out) { return !__builtin_mul_overflow(a, b, &out); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct ExitName {
  std::string_view name;
  int code;
};
constexpr std::array<ExitName, 15> kSysexits{{
    {"USAGE", 64},
    {"DATAERR", 65},
    {"NOINPUT", 66},
    {"NOUSER", 67},
    {"NOHOST", 68},
    {"UNAVAILABLE", 69},
    {"SOFTWARE", 70},
    {"OSERR", 71},
    {"OSFILE", 72},
    {"CANTCREAT", 73},
    {"IOERR", 74},
    {"TEMPFAIL", 75},
    {"PROTOCOL", 76},
    {"NOPERM", 77},
    {"CONFIG", 78},
}};

}  // namespace

Result<Usec> parse_timespan(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "infinity") return kInfinity;
  if (s.empty()) return Error::plain("empty time span");
  Usec total = 0;
  size_t i = 0;
  while (true) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i == s.size()) break;
    if (s[i] == '-') return Error::plain("negative time span '" + std::string(s) + "'");
    Usec whole = 0;
    size_t digits = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (!checked_mul(whole, 10, whole) || !checked_add(whole, Usec(s[i] - '0'), whole))
        return Error::plain("time span out of range '" + std::string(s) + "'");
      ++i, ++digits;
    }
    Usec frac = 0, frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && is_digit(s[i])) {
        if (frac_scale < 1000000000000ULL) {  // beyond that the digits cannot matter
          frac = frac * 10 + Usec(s[i] - '0');
          frac_scale *= 10;
        }
        ++i, ++digits;
      }
    }
    if (digits == 0) return Error::plain("invalid time span '" + std::string(s) + "'");
    // A '.' right after a number is a second decimal point: systemd refuses
    // "12.34.56" (but accepts "12.34 .56" and "12.34s.56").
    if (i < s.size() && s[i] == '.') return Error::plain("invalid time span '" + std::string(s) + "'");
    while (i < s.size() && is_space(s[i])) ++i;
    Usec unit = kUsecPerSec;  // a bare number means seconds
    if (i < s.size() && !is_digit(s[i]) && s[i] != '.') {
      const TimeUnit* u = match_time_unit(s.substr(i));
      if (!u) return Error::plain("unknown time unit in '" + std::string(s) + "'");
      unit = u->usec;
      i += u->name.size();
    }
    Usec part;
    auto frac_part = static_cast<Usec>(static_cast<unsigned __int128>(frac) * unit / frac_scale);
    if (!checked_mul(whole, unit, part) || !checked_add(total, part, total) || !checked_add(total, frac_part, total) ||
        total == kInfinity)
      return Error::plain("time span out of range '" + std::string(s) + "'");
  }
  return total;
}

std::string format_timespan(Usec usec) {
  if (usec == kInfinity) return "infinity";
  if (usec == 0) return "0";
  struct Part {
    const char* suffix;
    Usec size;
  };
  static constexpr Part kParts[] = {{"y", 31557600 * kUsecPerSec},
                                    {"month", 2629800 * kUsecPerSec},
                                    {"w", 7 * kDay},
                                    {"d", kDay},
                                    {"h", kHour},
                                    {"min", kMinute},
                                    {"s", kUsecPerSec},
                                    {"ms", 1000},
                                    {"us", 1}};
  std::string out;
  for (const Part& p : kParts) {
    if (usec < p.size) continue;
    Usec n = usec / p.size;
    usec %= p.size;
    if (!out.empty()) out += ' ';
    out += std::to_string(n) + p.suffix;
  }
  return out;
}

Result<bool> parse_bool(std::string_view text) {
  std::string v = lower(trim(text));
  if (v == "1" || v == "yes" || v == "y" || v == "true" || v == "t" || v == "on") return true;
  if (v == "0" || v == "no" || v == "n" || v == "false" || v == "f" || v == "off") return false;
  return Error::plain("invalid boolean '" + std::string(text) + "' (use yes or no)");
}

Result<mode_t> parse_umask(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty() || s.size() > 4) return Error::plain("invalid umask '" + std::string(text) + "' (octal 0 to 0777)");
  mode_t m = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return Error::plain("invalid umask '" + std::string(text) + "' (octal 0 to 0777)");
    m = static_cast<mode_t>(m * 8 + static_cast<mode_t>(c - '0'));
  }
  if (m > 0777) return Error::plain("umask '" + std::string(text) + "' out of range (octal 0 to 0777)");
  return m;
}

Result<int> parse_signal(std::string_view text) {
  std::string_view s = trim(text);
  auto bad = [&] { return Error::plain("invalid signal '" + std::string(text) + "'"); };
  if (s.empty()) return bad();
  if (is_digit(s[0])) {
    auto n = parse_unsigned(s, static_cast<uint64_t>(SIGRTMAX));
    if (!n || *n == 0) return bad();
    return static_cast<int>(*n);
  }
  if (s.substr(0, 3) == "SIG") s.remove_prefix(3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && s == abbrev) return sig;
  }
  auto offset = [&](std::string_view base, int origin, int direction) -> Result<int> {
    std::string_view rest = s.substr(base.size());
    if (rest.empty()) return origin;
    if (rest[0] != (direction > 0 ? '+' : '-')) return bad();
    auto n = parse_unsigned(rest.substr(1), static_cast<uint64_t>(SIGRTMAX - SIGRTMIN));
    if (!n) return bad();
    return origin + direction * static_cast<int>(*n);
  };
  if (s.substr(0, 5) == "RTMIN") return offset("RTMIN", SIGRTMIN, +1);
  if (s.substr(0, 5) == "RTMAX") return offset("RTMAX", SIGRTMAX, -1);
  return bad();
}

std::string signal_name(int signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX)
    return signo == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  const char* abbrev = sigabbrev_np(signo);
  if (abbrev) return std::string("SIG") + abbrev;
  return std::to_string(signo);
}

Result<uint64_t> parse_unsigned(std::string_view text, uint64_t max) {
  if (text.empty()) return Error::plain("empty number");
  uint64_t v = 0;
  for (char c : text) {
    if (!is_digit(c)) return Error::plain("invalid number '" + std::string(text) + "'");
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, uint64_t(c - '0'), &v))
      return Error::plain("number out of range '" + std::string(text) + "'");
  }
  if (v > max)
    return Error::plain("number out of range '" + std::string(text) + "' (at most " + std::to_string(max) + ")");
  return v;
}

Result<int> parse_nice(std::string_view text) {
  std::string_view s = trim(text);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  auto n = parse_unsigned(s, 20);
  if (!n || (!negative && *n > 19)) return Error::plain("invalid nice level '" + std::string(text) + "' (-20 to 19)");
  return negative ? -static_cast<int>(*n) : static_cast<int>(*n);
}

namespace {
Result<uint64_t> parse_limit_value(std::string_view s, bool bytes) {
  if (s == "infinity") return UINT64_MAX;
  uint64_t scale = 1;
  if (bytes && !s.empty()) {
    static constexpr std::string_view kSuffixes = "KMGTPE";
    size_t k = kSuffixes.find(s.back());
    if (k != std::string_view::npos) {
      scale = uint64_t(1) << (10 * (k + 1));
      s.remove_suffix(1);
    }
  }
  auto n = parse_unsigned(s, UINT64_MAX - 1);
  if (!n) return n.error();
  uint64_t v;
  if (__builtin_mul_overflow(*n, scale, &v) || v == UINT64_MAX) return Error::plain("limit out of range");
  return v;
}
}  // namespace

Result<ResourceLimit> parse_rlimit(std::string_view text, bool bytes) {
  std::string_view s = trim(text);
  auto bad = [&](const std::string& why) {
    return Error::plain("invalid resource limit '" + std::string(text) + "': " + why);
  };
  size_t colon = s.find(':');
  auto soft = parse_limit_value(s.substr(0, colon), bytes);
  if (!soft) return bad(soft.error().message());
  ResourceLimit r{*soft, *soft};
  if (colon != std::string_view::npos) {
    auto hard = parse_limit_value(s.substr(colon + 1), bytes);
    if (!hard) return bad(hard.error().message());
    r.hard = *hard;
    if (r.soft > r.hard) return bad("soft limit above hard limit");
  }
  return r;
}

std::string format_rlimit(const ResourceLimit& limit) {
  auto one = [](uint64_t v) { return v == UINT64_MAX ? std::string("infinity") : std::to_string(v); };
  if (limit.soft == limit.hard) return one(limit.soft);
  return one(limit.soft) + ":" + one(limit.hard);
}

Status parse_exit_status_list(std::string_view text, ExitStatusSet& into) {
  for (const std::string& word : split_whitespace(text)) {
    if (is_digit(word[0])) {
      auto n = parse_unsigned(word, 255);
      if (!n) return Error::plain("invalid exit status '" + word + "' (0 to 255)");
      into.codes.push_back(static_cast<int>(*n));
      continue;
    }
    bool found = false;
    for (const ExitName& e : kSysexits)
      if (word == e.name) into.codes.push_back(e.code), found = true;
    if (found) continue;
    auto sig = parse_signal(word);
    if (!sig) return Error::plain("invalid exit status '" + word + "' (a number, a sysexits name or a signal)");
    into.signals.push_back(*sig);
  }
  return ok();
}

}  // namespace unitrun::values
