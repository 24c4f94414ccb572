#include "unit/values.h"

#include <linux/mempolicy.h>
#include <sched.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <syslog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <limits>

#include "base/fixed_text.h"
#include "base/strings.h"

namespace unitrun::values {
namespace {

// The tables below hold their names in place (base/fixed_text.h): a table
// of string_views is relocated, so dirty, in every unitrun process.
struct TimeUnit {
  FixedText<16> text;
  Usec usec;
  std::string_view name() const { return text.view(); }
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
    if (rest.substr(0, u.name().size()) == u.name()) return &u;
  for (const TimeUnit& u : kTimeUnitsTail)
    if (rest.substr(0, u.name().size()) == u.name()) return &u;
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
  FixedText<24> name;  // in place, not pointed at: no relocation (base/fixed_text.h)
  int code;
};
// systemd's names (systemd.exec(5), "PROCESS EXIT CODES", without EXIT_ and
// EX_): the LSB codes, systemd's own 200 to 245, and BSD's sysexits.
constexpr ExitName kExitNames[] = {
    {"SUCCESS", 0},
    {"FAILURE", 1},
    {"INVALIDARGUMENT", 2},
    {"NOTIMPLEMENTED", 3},
    {"NOPERMISSION", 4},
    {"NOTINSTALLED", 5},
    {"NOTCONFIGURED", 6},
    {"NOTRUNNING", 7},
    {"CHDIR", 200},
    {"NICE", 201},
    {"FDS", 202},
    {"EXEC", 203},
    {"MEMORY", 204},
    {"LIMITS", 205},
    {"OOM_ADJUST", 206},
    {"SIGNAL_MASK", 207},
    {"STDIN", 208},
    {"STDOUT", 209},
    {"CHROOT", 210},
    {"IOPRIO", 211},
    {"TIMERSLACK", 212},
    {"SECUREBITS", 213},
    {"SETSCHEDULER", 214},
    {"CPUAFFINITY", 215},
    {"GROUP", 216},
    {"USER", 217},
    {"CAPABILITIES", 218},
    {"CGROUP", 219},
    {"SETSID", 220},
    {"CONFIRM", 221},
    {"STDERR", 222},
    {"PAM", 224},
    {"NETWORK", 225},
    {"NAMESPACE", 226},
    {"NO_NEW_PRIVILEGES", 227},
    {"SECCOMP", 228},
    {"SELINUX_CONTEXT", 229},
    {"PERSONALITY", 230},
    {"APPARMOR_PROFILE", 231},
    {"ADDRESS_FAMILIES", 232},
    {"RUNTIME_DIRECTORY", 233},
    {"CHOWN", 235},
    {"SMACK_PROCESS_LABEL", 236},
    {"KEYRING", 237},
    {"STATE_DIRECTORY", 238},
    {"CACHE_DIRECTORY", 239},
    {"LOGS_DIRECTORY", 240},
    {"CONFIGURATION_DIRECTORY", 241},
    {"NUMA_POLICY", 242},
    {"CREDENTIALS", 243},
    {"BPF", 245},
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
};

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
      i += u->name().size();
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
  ExitStatusSet added;
  for (const std::string& word : split_whitespace(text)) {
    if (is_digit(word[0])) {
      auto n = parse_unsigned(word, 255);
      if (!n) return Error::plain("invalid exit status '" + word + "' (0 to 255)");
      added.codes.push_back(static_cast<int>(*n));
      continue;
    }
    bool found = false;
    for (const ExitName& e : kExitNames)
      if (word == e.name.view()) added.codes.push_back(e.code), found = true;
    if (found) continue;
    auto sig = parse_signal(word);
    if (!sig)
      return Error::plain("invalid exit status '" + word +
                          "' (a number, an exit status name such as TEMPFAIL, or a signal)");
    added.signals.push_back(*sig);
  }
  // All of the value or nothing.
  into.codes.insert(into.codes.end(), added.codes.begin(), added.codes.end());
  into.signals.insert(into.signals.end(), added.signals.begin(), added.signals.end());
  return ok();
}

std::string exit_status_name(int code) {
  for (const ExitName& e : kExitNames)
    if (e.code == code) return std::string(e.name.view());
  return std::to_string(code);
}

Result<int64_t> parse_integer(std::string_view text, int64_t min, int64_t max) {
  std::string_view s = trim(text);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  auto range = [&] {
    return Error::plain("invalid number '" + std::string(text) + "' (" + std::to_string(min) + " to " +
                        std::to_string(max) + ")");
  };
  auto n = parse_unsigned(s, static_cast<uint64_t>(INT64_MAX));
  if (!n) return range();
  int64_t v = negative ? -static_cast<int64_t>(*n) : static_cast<int64_t>(*n);
  if (v < min || v > max) return range();
  return v;
}

Result<mode_t> parse_mode(std::string_view text) {
  std::string_view s = trim(text);
  auto bad = [&] { return Error::plain("invalid mode '" + std::string(text) + "' (octal 0 to 07777)"); };
  if (s.empty() || s.size() > 5) return bad();
  mode_t m = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return bad();
    m = static_cast<mode_t>(m * 8 + static_cast<mode_t>(c - '0'));
  }
  if (m > 07777) return bad();
  return m;
}

namespace {
constexpr size_t kMaxCpus = 8192;  // systemd's limit on a CPU index

void set_bit(CpuSet& set, size_t i) {
  if (set.bits.size() <= i) set.bits.resize(i + 1, false);
  set.bits[i] = true;
}
}  // namespace

Status parse_cpu_set(std::string_view text, CpuSet& into) {
  CpuSet added = into;
  std::string words(text);
  for (char& c : words)
    if (c == ',') c = ' ';
  for (const std::string& word : split_whitespace(words)) {
    auto bad = [&] {
      return Error::plain("invalid CPU list item '" + word + "' (an index or a range such as 0-3, below 8192)");
    };
    size_t dash = word.find('-');
    auto first = parse_unsigned(word.substr(0, dash), kMaxCpus - 1);
    if (!first) return bad();
    uint64_t last = *first;
    if (dash != std::string::npos) {
      auto l = parse_unsigned(word.substr(dash + 1), kMaxCpus - 1);
      if (!l || *l < *first) return bad();
      last = *l;
    }
    for (uint64_t i = *first; i <= last; ++i) set_bit(added, i);
  }
  into = std::move(added);
  return ok();
}

std::string format_cpu_set(const CpuSet& set) {
  std::string out;
  for (size_t i = 0; i < set.bits.size(); ++i) {
    if (!set.bits[i]) continue;
    size_t j = i;
    while (j + 1 < set.bits.size() && set.bits[j + 1]) ++j;
    if (!out.empty()) out += ' ';
    out += std::to_string(i);
    if (j > i) out += "-" + std::to_string(j);
    i = j;
  }
  return out;
}

namespace {
struct Named {
  FixedText<16> text;
  int value;
  std::string_view name() const { return text.view(); }
};

template <size_t N>
Result<int> lookup(const std::array<Named, N>& table, std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  for (const Named& n : table)
    if (s == n.name()) return n.value;
  std::string allowed;
  for (const Named& n : table) allowed += (allowed.empty() ? "" : ", ") + std::string(n.name());
  return Error::plain("invalid " + std::string(what) + " '" + std::string(text) + "' (one of: " + allowed + ")");
}

template <size_t N>
std::string name_in(const std::array<Named, N>& table, int value) {
  for (const Named& n : table)
    if (n.value == value) return std::string(n.name());
  return std::to_string(value);
}

constexpr std::array<Named, 5> kSchedPolicies{
    {{"other", SCHED_OTHER}, {"batch", SCHED_BATCH}, {"idle", SCHED_IDLE}, {"fifo", SCHED_FIFO}, {"rr", SCHED_RR}}};
// IOPRIO_CLASS_NONE 0, RT 1, BE 2, IDLE 3 (linux/ioprio.h).
constexpr std::array<Named, 4> kIoClasses{{{"none", 0}, {"realtime", 1}, {"best-effort", 2}, {"idle", 3}}};
constexpr std::array<Named, 20> kFacilities{
    {{"kern", LOG_KERN},     {"user", LOG_USER},     {"mail", LOG_MAIL},         {"daemon", LOG_DAEMON},
     {"auth", LOG_AUTH},     {"syslog", LOG_SYSLOG}, {"lpr", LOG_LPR},           {"news", LOG_NEWS},
     {"uucp", LOG_UUCP},     {"cron", LOG_CRON},     {"authpriv", LOG_AUTHPRIV}, {"ftp", LOG_FTP},
     {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
     {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},     {"local7", LOG_LOCAL7}}};
constexpr std::array<Named, 8> kLevels{{{"emerg", LOG_EMERG},
                                        {"alert", LOG_ALERT},
                                        {"crit", LOG_CRIT},
                                        {"err", LOG_ERR},
                                        {"warning", LOG_WARNING},
                                        {"notice", LOG_NOTICE},
                                        {"info", LOG_INFO},
                                        {"debug", LOG_DEBUG}}};
constexpr std::array<Named, 5> kNumaPolicies{{{"default", MPOL_DEFAULT},
                                              {"preferred", MPOL_PREFERRED},
                                              {"bind", MPOL_BIND},
                                              {"interleave", MPOL_INTERLEAVE},
                                              {"local", MPOL_LOCAL}}};
}  // namespace

Result<int> parse_sched_policy(std::string_view text) { return lookup(kSchedPolicies, text, "scheduling policy"); }
std::string sched_policy_name(int policy) { return name_in(kSchedPolicies, policy); }

Result<int> parse_io_class(std::string_view text) {
  std::string_view s = trim(text);
  if (s.size() == 1 && s[0] >= '0' && s[0] <= '3') return s[0] - '0';
  return lookup(kIoClasses, text, "I/O scheduling class");
}
std::string io_class_name(int io_class) { return name_in(kIoClasses, io_class); }

Result<int> parse_syslog_facility(std::string_view text) { return lookup(kFacilities, text, "syslog facility"); }
std::string syslog_facility_name(int facility) { return name_in(kFacilities, facility); }

Result<int> parse_syslog_level(std::string_view text) { return lookup(kLevels, text, "syslog level"); }
std::string syslog_level_name(int level) { return name_in(kLevels, level); }

Result<int> parse_numa_policy(std::string_view text) { return lookup(kNumaPolicies, text, "NUMA policy"); }
std::string numa_policy_name(int policy) { return name_in(kNumaPolicies, policy); }

Result<unsigned long> parse_personality(std::string_view text) {
  std::string_view s = trim(text);
#if defined(__x86_64__)
  if (s == "x86-64") return static_cast<unsigned long>(PER_LINUX);
  if (s == "x86") return static_cast<unsigned long>(PER_LINUX32);
#elif defined(__i386__)
  if (s == "x86") return static_cast<unsigned long>(PER_LINUX);
#elif defined(__aarch64__)
  if (s == "arm64") return static_cast<unsigned long>(PER_LINUX);
  if (s == "arm") return static_cast<unsigned long>(PER_LINUX32);
#endif
  for (std::string_view known :
       {"x86", "x86-64", "ppc", "ppc-le", "ppc64", "ppc64-le", "s390", "s390x", "arm", "arm64"})
    if (s == known)
      return Error::plain("personality '" + std::string(s) + "' is not one this machine's kernel can run");
  return Error::plain("invalid personality '" + std::string(text) + "' (an architecture such as x86 or x86-64)");
}

std::string personality_name(unsigned long personality) {
#if defined(__x86_64__)
  return personality == PER_LINUX32 ? "x86" : "x86-64";
#elif defined(__aarch64__)
  return personality == PER_LINUX32 ? "arm" : "arm64";
#else
  (void)personality;
  return "x86";
#endif
}

Result<uint64_t> parse_coredump_filter(std::string_view text) {
  static constexpr std::array<std::string_view, 9> kTypes = {
      "private-anonymous", "shared-anonymous", "private-file-backed", "shared-file-backed", "elf-headers",
      "private-huge",      "shared-huge",      "private-dax",         "shared-dax"};
  uint64_t mask = 0;
  for (const std::string& word : split_whitespace(text)) {
    if (word == "all") {
      mask |= (uint64_t(1) << kTypes.size()) - 1;
      continue;
    }
    if (word == "default") {
      mask |= 0x33;  // private-anonymous shared-anonymous elf-headers private-huge
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < kTypes.size(); ++i)
      if (word == kTypes[i]) mask |= uint64_t(1) << i, found = true;
    if (found) continue;
    uint64_t v = 0;
    std::string_view digits = word;
    if (digits.substr(0, 2) == "0x" || digits.substr(0, 2) == "0X") digits.remove_prefix(2);  // strtoull's base 16
    bool hex = !digits.empty() && digits.size() <= 16;
    for (char c : digits) {
      int h = is_digit(c)              ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (h < 0) hex = false;
      v = v * 16 + static_cast<uint64_t>(h < 0 ? 0 : h);
    }
    if (!hex)
      return Error::plain("invalid coredump filter '" + word +
                          "' (a mapping type such as private-anonymous, all, default, or a hexadecimal mask)");
    mask |= v;
  }
  return mask;
}

namespace {
struct LimitKey {
  FixedText<16> text;
  int resource;
  std::string_view key() const { return text.view(); }
};
constexpr std::array<LimitKey, 16> kLimitKeys{{{"LimitCPU", RLIMIT_CPU},
                                               {"LimitFSIZE", RLIMIT_FSIZE},
                                               {"LimitDATA", RLIMIT_DATA},
                                               {"LimitSTACK", RLIMIT_STACK},
                                               {"LimitCORE", RLIMIT_CORE},
                                               {"LimitRSS", RLIMIT_RSS},
                                               {"LimitNOFILE", RLIMIT_NOFILE},
                                               {"LimitAS", RLIMIT_AS},
                                               {"LimitNPROC", RLIMIT_NPROC},
                                               {"LimitMEMLOCK", RLIMIT_MEMLOCK},
                                               {"LimitLOCKS", RLIMIT_LOCKS},
                                               {"LimitSIGPENDING", RLIMIT_SIGPENDING},
                                               {"LimitMSGQUEUE", RLIMIT_MSGQUEUE},
                                               {"LimitNICE", RLIMIT_NICE},
                                               {"LimitRTPRIO", RLIMIT_RTPRIO},
                                               {"LimitRTTIME", RLIMIT_RTTIME}}};

// One side of a Limit*= value.
Result<uint64_t> parse_limit_side(int resource, std::string_view s) {
  s = trim(s);
  if (s == "infinity") return UINT64_MAX;
  switch (resource) {
    case RLIMIT_CPU: {  // seconds, rounded up
      auto t = parse_timespan(s);
      if (!t) return t.error();
      return (*t + kUsecPerSec - 1) / kUsecPerSec;
    }
    case RLIMIT_RTTIME: {  // microseconds; a bare number is microseconds
      if (!s.empty() && std::all_of(s.begin(), s.end(), is_digit)) return parse_unsigned(s, UINT64_MAX - 1);
      return parse_timespan(s);
    }
    case RLIMIT_NICE: {  // 0..40, or a nice level with its sign (-20..19 → 40..1)
      if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        auto n = parse_nice(s);
        if (!n) return n.error();
        return static_cast<uint64_t>(20 - *n);
      }
      auto n = parse_unsigned(s, 40);
      if (!n) return Error::plain("invalid nice limit '" + std::string(s) + "' (0 to 40, or -20 to 19 with a sign)");
      return *n;
    }
    case RLIMIT_FSIZE:
    case RLIMIT_DATA:
    case RLIMIT_STACK:
    case RLIMIT_CORE:
    case RLIMIT_RSS:
    case RLIMIT_AS:
    case RLIMIT_MEMLOCK:
    case RLIMIT_MSGQUEUE:
      return parse_limit_value(s, true);
    default:
      return parse_limit_value(s, false);
  }
}
}  // namespace

int rlimit_of(std::string_view key) {
  for (const LimitKey& k : kLimitKeys)
    if (k.key() == key) return k.resource;
  return -1;
}

std::string_view rlimit_key(int resource) {
  for (const LimitKey& k : kLimitKeys)
    if (k.resource == resource) return k.key();
  return "";
}

Result<ResourceLimit> parse_limit(int resource, std::string_view text) {
  std::string_view s = trim(text);
  auto bad = [&](const std::string& why) {
    return Error::plain("invalid resource limit '" + std::string(text) + "': " + why);
  };
  size_t colon = s.find(':');
  auto soft = parse_limit_side(resource, s.substr(0, colon));
  if (!soft) return bad(soft.error().message());
  ResourceLimit r{*soft, *soft};
  if (colon != std::string_view::npos) {
    auto hard = parse_limit_side(resource, s.substr(colon + 1));
    if (!hard) return bad(hard.error().message());
    r.hard = *hard;
    if (r.soft > r.hard) return bad("soft limit above hard limit");
  }
  return r;
}

}  // namespace unitrun::values
