// The [Service] directives of systemd.exec(5) that are not sandboxing
// (sandbox_keys.cc has those): identity, environment, process properties,
// scheduling, standard input and output, logging, directories, credentials.
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "base/strings.h"
#include "unit/command_line.h"
#include "unit/directives.h"
#include "unit/key_parsers.h"

namespace unitrun::unit {
namespace {

// ---- identity ------------------------------------------------------------------

// A user or group as written: a name or a base-10 number. Anything else
// (0x0, 0day, -1) is refused here, so it can never become uid 0 later
// (CVE-2017-1000082, CVE-2020-13776).
Status check_user_or_group(std::string_view v, const char* what) {
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto n = values::parse_unsigned(v, 4294967294u);
    if (!n || *n == 65535) return Error::plain(std::string("invalid numeric ") + what + " ID '" + std::string(v) + "'");
    return ok();
  }
  bool valid = v.size() <= 32 && (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_');
  for (size_t i = 0; valid && i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    bool last_dollar = i + 1 == v.size() && c == '$';
    valid = std::isalnum(c) || c == '_' || c == '-' || c == '.' || last_dollar;
  }
  if (!valid) return Error::plain(std::string("invalid ") + what + " name '" + std::string(v) + "'");
  return ok();
}

Status parse_user(Assignment& a) {
  if (!a.value.empty())
    if (auto r = check_user_or_group(a.value, "user"); !r) return r;
  return a.unit.user = std::string(a.value), ok();
}

Status parse_group(Assignment& a) {
  if (!a.value.empty())
    if (auto r = check_user_or_group(a.value, "group"); !r) return r;
  return a.unit.group = std::string(a.value), ok();
}

Status parse_supplementary_groups(Assignment& a) {
  if (a.value.empty()) return a.unit.supplementary_groups.clear(), ok();
  std::vector<std::string> groups = split_whitespace(a.value);
  for (const std::string& g : groups)
    if (auto r = check_user_or_group(g, "group"); !r) return r;
  a.unit.supplementary_groups.insert(a.unit.supplementary_groups.end(), groups.begin(), groups.end());
  return ok();
}

Status parse_working_directory(Assignment& a) {
  std::string_view v = a.value;
  a.unit.working_directory_optional = !v.empty() && v[0] == '-';
  if (a.unit.working_directory_optional) v.remove_prefix(1);
  if (v.empty()) return a.unit.working_directory = "/", ok();
  a.unit.working_directory = v == "~" ? std::string("~") : resolve_path(v, a.unit.directory);
  return ok();
}

// ---- process properties ------------------------------------------------------------

Status parse_umask(Assignment& a) {
  if (a.value.empty()) return a.unit.umask = 0022, ok();
  return assign(values::parse_umask(a.value), a.unit.umask);
}

Status parse_nice(Assignment& a) {
  if (a.value.empty()) return a.unit.nice.reset(), ok();
  auto r = values::parse_nice(a.value);
  if (!r) return r.error();
  return a.unit.nice = *r, ok();
}

Status parse_oom_score_adjust(Assignment& a) {
  if (a.value.empty()) return a.unit.oom_score_adjust.reset(), ok();
  auto r = values::parse_integer(a.value, -1000, 1000);
  if (!r) return r.error();
  return a.unit.oom_score_adjust = static_cast<int>(*r), ok();
}

Status parse_coredump_filter(Assignment& a) {
  if (a.value.empty()) return a.unit.coredump_filter.reset(), ok();
  auto r = values::parse_coredump_filter(a.value);
  if (!r) return r.error();
  a.unit.coredump_filter = a.unit.coredump_filter.value_or(0) | *r;  // several assignments are ORed
  return ok();
}

Status parse_timer_slack(Assignment& a) {
  if (a.value.empty()) return a.unit.timer_slack_nsec.reset(), ok();
  std::string_view v = trim(a.value);
  // Unlike other time spans, a bare number is in nanoseconds.
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto n = values::parse_unsigned(v, UINT64_MAX - 1);
    if (!n) return n.error();
    return a.unit.timer_slack_nsec = *n, ok();
  }
  auto t = values::parse_timespan(v);
  if (!t) return t.error();
  if (*t == kInfinity || *t > UINT64_MAX / 1000) return Error::plain("timer slack out of range");
  return a.unit.timer_slack_nsec = *t * 1000, ok();
}

Status parse_personality(Assignment& a) {
  if (a.value.empty()) return a.unit.personality.reset(), ok();
  auto r = values::parse_personality(a.value);
  if (!r) return r.error();
  return a.unit.personality = *r, ok();
}

Status parse_ignore_sigpipe(Assignment& a) { return parse_boolean<&Unit::ignore_sigpipe, true>(a); }

// Limit*=: NOFILE and CORE have fields of their own (they came first), the
// others are in Unit::limits.
Status parse_limit(Assignment& a) {
  int resource = values::rlimit_of(a.key);
  std::optional<ResourceLimit>* own = resource == RLIMIT_NOFILE ? &a.unit.limit_nofile
                                      : resource == RLIMIT_CORE ? &a.unit.limit_core
                                                                : nullptr;
  if (a.value.empty()) {
    if (own) own->reset();
    a.unit.limits.erase(resource);
    return ok();
  }
  auto r = values::parse_limit(resource, a.value);
  if (!r) return r.error();
  if (own)
    *own = *r;
  else
    a.unit.limits[resource] = *r;
  return ok();
}

Status parse_exec_search_path(Assignment& a) {
  if (a.value.empty()) return a.unit.exec_search_path.clear(), ok();
  std::vector<std::string> dirs;
  std::string_view rest = a.value;
  while (true) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    if (auto r = check_absolute_path(dir); !r) return r;
    dirs.emplace_back(dir);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  a.unit.exec_search_path.insert(a.unit.exec_search_path.end(), dirs.begin(), dirs.end());
  return ok();
}

// ---- scheduling -------------------------------------------------------------------

Status parse_cpu_sched_policy(Assignment& a) {
  if (a.value.empty()) return a.unit.cpu_scheduling.policy.reset(), ok();
  auto r = values::parse_sched_policy(a.value);
  if (!r) return r.error();
  return a.unit.cpu_scheduling.policy = *r, ok();
}

Status parse_cpu_sched_priority(Assignment& a) {
  if (a.value.empty()) return a.unit.cpu_scheduling.priority.reset(), ok();
  auto r = values::parse_integer(a.value, 0, 99);
  if (!r) return r.error();
  return a.unit.cpu_scheduling.priority = static_cast<int>(*r), ok();
}

Status parse_cpu_sched_reset_on_fork(Assignment& a) {
  if (a.value.empty()) return a.unit.cpu_scheduling.reset_on_fork = false, ok();
  return assign(values::parse_bool(a.value), a.unit.cpu_scheduling.reset_on_fork);
}

Status parse_cpu_affinity(Assignment& a) {
  if (a.value.empty()) {
    a.unit.cpu_affinity = CpuSet{};
    a.unit.cpu_affinity_from_numa = false;
    return ok();
  }
  if (trim(a.value) == "numa") {
    a.unit.cpu_affinity = CpuSet{};
    a.unit.cpu_affinity_from_numa = true;
    return ok();
  }
  a.unit.cpu_affinity_from_numa = false;
  return values::parse_cpu_set(a.value, a.unit.cpu_affinity);
}

Status parse_numa_policy(Assignment& a) {
  if (a.value.empty()) return a.unit.numa_policy.reset(), ok();
  auto r = values::parse_numa_policy(a.value);
  if (!r) return r.error();
  return a.unit.numa_policy = *r, ok();
}

Status parse_numa_mask(Assignment& a) {
  a.unit.numa_mask_all = trim(a.value) == "all";
  if (a.value.empty() || a.unit.numa_mask_all) return a.unit.numa_mask = CpuSet{}, ok();
  return values::parse_cpu_set(a.value, a.unit.numa_mask);
}

// Both IOScheduling keys reset both when empty, as systemd.exec(5) says.
Status parse_io_class(Assignment& a) {
  if (a.value.empty()) return a.unit.io_scheduling = IoScheduling{}, ok();
  auto r = values::parse_io_class(a.value);
  if (!r) return r.error();
  return a.unit.io_scheduling.io_class = *r, ok();
}

Status parse_io_priority(Assignment& a) {
  if (a.value.empty()) return a.unit.io_scheduling = IoScheduling{}, ok();
  auto r = values::parse_integer(a.value, 0, 7);
  if (!r) return r.error();
  return a.unit.io_scheduling.priority = static_cast<int>(*r), ok();
}

// ---- environment ------------------------------------------------------------------

Status parse_environment(Assignment& a) {
  if (a.value.empty()) return a.unit.environment.clear(), ok();
  thread_local std::vector<std::string> words;  // reused from line to line
  auto split = command_line::split_words(a.value, words);
  if (!split) return split.error();
  for (const std::string& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || !command_line::is_valid_env_name(std::string_view(w).substr(0, eq)))
      return Error::plain("invalid environment assignment '" + w + "' (expected NAME=value)");
  }
  for (std::string& w : words) {
    size_t eq = w.find('=');
    std::string name = w.substr(0, eq);
    w.erase(0, eq + 1);  // the value keeps the word's buffer
    a.unit.environment.emplace_back(std::move(name), std::move(w));
  }
  return ok();
}

Status parse_environment_file(Assignment& a) {
  if (a.value.empty()) return a.unit.environment_files.clear(), ok();
  std::string_view v = a.value;
  bool optional = v[0] == '-';
  if (optional) v.remove_prefix(1);
  if (v.empty()) return Error::plain("missing path");
  a.unit.environment_files.push_back({resolve_path(v, a.unit.directory), optional, a.line});
  return ok();
}

Status parse_pass_environment(Assignment& a) {
  if (a.value.empty()) return a.unit.pass_environment.clear(), ok();
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  for (const std::string& w : *words)
    if (!command_line::is_valid_env_name(w)) return Error::plain("invalid environment variable name '" + w + "'");
  a.unit.pass_environment.insert(a.unit.pass_environment.end(), words->begin(), words->end());
  return ok();
}

Status parse_unset_environment(Assignment& a) {
  if (a.value.empty()) return a.unit.unset_environment.clear(), ok();
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  for (const std::string& w : *words)
    if (!command_line::is_valid_env_name(std::string_view(w).substr(0, w.find('='))))
      return Error::plain("invalid environment variable or assignment '" + w + "' (NAME or NAME=value)");
  a.unit.unset_environment.insert(a.unit.unset_environment.end(), words->begin(), words->end());
  return ok();
}

// ---- standard input and output ---------------------------------------------------

constexpr std::string_view kSocketActivation = "socket activation is not supported";

Status parse_standard_input(Assignment& a) {
  InputSpec& in = a.unit.standard_input;
  std::string_view v = a.value;
  using K = InputSpec::Kind;
  static constexpr EnumName<K> kNames[] = {
      {"null", K::Null}, {"tty", K::Tty}, {"tty-force", K::TtyForce}, {"tty-fail", K::TtyFail}, {"data", K::Data}};
  if (v == "socket" || v == "fd" || v.substr(0, 3) == "fd:") return a.refused(kSocketActivation);
  if (v.substr(0, 5) == "file:") {
    std::string_view path = v.substr(5);
    if (path.empty()) return Error::plain("missing path after 'file:'");
    in = InputSpec{K::File, resolve_path(path, a.unit.directory)};
    return ok();
  }
  in.path.clear();
  return choose(a, in.kind, K::Null, kNames);
}

Status parse_output(Assignment& a, OutputSpec& o) {
  using K = OutputSpec::Kind;
  std::string_view v = a.value;
  if (v == "socket" || v == "fd" || v.substr(0, 3) == "fd:") return a.refused(kSocketActivation);
  // systemd reads the obsolete syslog names as journal, with this warning.
  if (v == "syslog" || v == "syslog+console") {
    a.warn(std::string(a.key) + "=" + std::string(v) + " is obsolete; systemd reads it as journal" +
           (v == "syslog" ? "" : "+console") + ", and so does unitrun");
    o = OutputSpec{v == "syslog" ? K::Journal : K::JournalConsole, {}};
    return ok();
  }
  struct Prefix {
    std::string_view text;
    K kind;
  };
  for (Prefix p : {Prefix{"file:", K::File}, Prefix{"append:", K::Append}, Prefix{"truncate:", K::Truncate}}) {
    if (v.substr(0, p.text.size()) != p.text) continue;
    std::string_view path = v.substr(p.text.size());
    if (path.empty()) return Error::plain("missing path after '" + std::string(p.text) + "'");
    o = OutputSpec{p.kind, resolve_path(path, a.unit.directory)};
    return ok();
  }
  static constexpr EnumName<K> kNames[] = {
      {"inherit", K::Inherit},         {"null", K::Null}, {"tty", K::Tty},
      {"journal", K::Journal},         {"kmsg", K::Kmsg}, {"journal+console", K::JournalConsole},
      {"kmsg+console", K::KmsgConsole}};
  K kind = K::Default;
  auto r = choose(a, kind, K::Default, kNames, "or file:PATH, append:PATH, truncate:PATH");
  if (!r) return r;
  o = OutputSpec{kind, {}};
  return ok();
}

Status parse_standard_output(Assignment& a) { return parse_output(a, a.unit.standard_output); }
Status parse_standard_error(Assignment& a) { return parse_output(a, a.unit.standard_error); }

// StandardInputText=: a line of text with C escapes, and a newline;
// several assignments add up; empty resets (with StandardInputData=).
Status parse_standard_input_text(Assignment& a) {
  if (a.value.empty()) return a.unit.standard_input_data.clear(), ok();
  auto text = command_line::unescape(a.value, false);
  if (!text) return text.error();
  a.unit.standard_input_data += *text;
  a.unit.standard_input_data += '\n';
  return ok();
}

// StandardInputData=: base64, blanks ignored.
Status parse_standard_input_data(Assignment& a) {
  if (a.value.empty()) return a.unit.standard_input_data.clear(), ok();
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string decoded;
  uint32_t bits = 0;
  int nbits = 0, padding = 0;
  for (char c : a.value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = sextet(c);
    if (v < 0 || padding > 0) return Error::plain("invalid base64 data");
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      decoded += static_cast<char>((bits >> nbits) & 0xFF);
    }
  }
  if (padding > 2 || nbits >= 6) return Error::plain("invalid base64 data");
  a.unit.standard_input_data += decoded;
  return ok();
}

Status parse_tty_path(Assignment& a) {
  if (a.value.empty()) return a.unit.tty_path = "/dev/console", ok();
  if (auto r = check_absolute_path(a.value); !r) return r;
  a.unit.tty_path = resolve_path(a.value, "/");
  return ok();
}

template <std::optional<unsigned> Unit::*Field>
Status parse_tty_size(Assignment& a) {
  if (a.value.empty()) return (a.unit.*Field).reset(), ok();
  auto n = values::parse_unsigned(trim(a.value), USHRT_MAX);
  if (!n) return n.error();
  return a.unit.*Field = static_cast<unsigned>(*n), ok();
}

// ---- logging -----------------------------------------------------------------------

Status parse_syslog_facility(Assignment& a) {
  if (a.value.empty()) return a.unit.syslog_facility = 3 << 3, ok();
  return assign(values::parse_syslog_facility(a.value), a.unit.syslog_facility);
}

Status parse_syslog_level(Assignment& a) {
  if (a.value.empty()) return a.unit.syslog_level = 6, ok();
  return assign(values::parse_syslog_level(a.value), a.unit.syslog_level);
}

Status check_log_level(Assignment& a) {
  if (a.value.empty()) return ok();
  auto r = values::parse_syslog_level(a.value);
  return r ? ok() : Status(r.error());
}

Status check_log_extra_fields(Assignment& a) {
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  for (const std::string& w : *words) {
    size_t eq = w.find('=');
    bool valid = eq != std::string::npos && eq > 0 && w[0] != '_' &&
                 std::all_of(w.begin(), w.begin() + static_cast<long>(eq),
                             [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!valid) return Error::plain("invalid journal field '" + w + "' (FIELD=value, FIELD in A-Z 0-9 _)");
  }
  return ok();
}

Status check_utmp_mode(Assignment& a) {
  if (a.value.empty() || a.value == "init" || a.value == "login" || a.value == "user") return ok();
  return invalid_choice(a.value, {"init", "login", "user"});
}

// ---- directories ----------------------------------------------------------------------

// "foo/bar", or "foo:link" (not for ConfigurationDirectory=): relative,
// no "..", no "." component.
Status check_relative(std::string_view path, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return Error::plain(std::string(what) + " '" + std::string(path) + "' " + std::string(why));
  };
  if (path.empty()) return bad("is empty");
  if (path[0] == '/') return bad("must be relative (to the directory's root)");
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part == "..") return bad("has a '..' component");
    if (part == "." || (part.empty() && end != path.size())) return bad("is not a normalized path");
    start = end + 1;
  }
  return ok();
}

template <DirectoryType Type>
Status parse_directories(Assignment& a) {
  ServiceDirectories& d = a.unit.exec_directory(Type);
  if (a.value.empty()) return d.paths.clear(), ok();
  auto words = command_line::split_words(a.value);
  if (!words) return words.error();
  std::vector<ServiceDirectory> paths = d.paths;  // all of the value or nothing
  for (const std::string& w : *words) {
    size_t colon = w.find(':');
    std::string path = w.substr(0, colon);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (auto r = check_relative(path, "directory"); !r) return r;
    std::string link;
    if (colon != std::string::npos) {
      if (Type == DirectoryType::Configuration)
        return Error::plain("ConfigurationDirectory= takes no ':symlink' (only the other directory keys do)");
      link = w.substr(colon + 1);
      if (auto r = check_relative(link, "symlink"); !r) return r;
    }
    // "foo:a foo:b": one directory with two links.
    auto it = std::find_if(paths.begin(), paths.end(), [&](const ServiceDirectory& e) { return e.path == path; });
    ServiceDirectory& entry = it != paths.end() ? *it : paths.emplace_back(ServiceDirectory{path, {}});
    if (!link.empty()) entry.symlinks.push_back(link);
  }
  d.paths = std::move(paths);
  return ok();
}

template <DirectoryType Type>
Status parse_directory_mode(Assignment& a) {
  ServiceDirectories& d = a.unit.exec_directory(Type);
  if (a.value.empty()) return d.mode = 0755, ok();
  return assign(values::parse_mode(a.value), d.mode);
}

Status parse_runtime_directory_preserve(Assignment& a) {
  if (a.value.empty()) return a.unit.runtime_directory_preserve = PreserveMode::No, ok();
  if (a.value == "restart") return a.unit.runtime_directory_preserve = PreserveMode::Restart, ok();
  auto b = values::parse_bool(a.value);
  if (!b) return Error::plain("invalid value '" + std::string(a.value) + "' (yes, no or restart)");
  a.unit.runtime_directory_preserve = *b ? PreserveMode::Yes : PreserveMode::No;
  return ok();
}

// ---- credentials ---------------------------------------------------------------------

// A credential's ID is a file name in the credentials directory.
Status check_credential_id(std::string_view id) {
  if (id.empty() || id.size() > 255 || id == "." || id == ".." || id.find('/') != std::string_view::npos)
    return Error::plain("invalid credential ID '" + std::string(id) + "' (a file name, at most 255 bytes)");
  for (char c : id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Error::plain("invalid credential ID (control character)");
  return ok();
}

Status parse_set_credential(Assignment& a) {
  if (a.value.empty()) {
    std::erase_if(a.unit.credentials, [](const Credential& c) { return c.is_set; });
    return ok();
  }
  size_t colon = a.value.find(':');
  if (colon == std::string_view::npos) return Error::plain("expected ID:VALUE");
  std::string_view id = a.value.substr(0, colon);
  if (auto r = check_credential_id(id); !r) return r;
  auto data = command_line::unescape(a.value.substr(colon + 1), true);
  if (!data) return data.error();
  Credential c;
  c.id = std::string(id);
  c.data = std::move(*data);
  c.is_set = true;
  c.line = a.line;
  a.unit.credentials.push_back(std::move(c));
  return ok();
}

Status parse_load_credential(Assignment& a) {
  if (a.value.empty()) {
    std::erase_if(a.unit.credentials, [](const Credential& c) { return !c.is_set; });
    return ok();
  }
  size_t colon = a.value.find(':');
  std::string_view id = a.value.substr(0, colon);
  if (auto r = check_credential_id(id); !r) return r;
  std::string_view source = colon == std::string_view::npos ? id : a.value.substr(colon + 1);
  if (source.empty()) source = id;
  // An absolute path, or a name searched for in the credential stores.
  if (source[0] == '/') {
    if (auto r = check_absolute_path(source); !r) return r;
  } else if (auto r = check_credential_id(source); !r) {
    return Error::plain("invalid credential source '" + std::string(source) +
                        "' (an absolute path, or a credential name)");
  }
  Credential c;
  c.id = std::string(id);
  c.path = std::string(source);
  c.line = a.line;
  a.unit.credentials.push_back(std::move(c));
  return ok();
}

using S = DirectiveStatus;
using R = Reason;
using DT = DirectoryType;

constexpr DirectiveSpec limit(std::string_view name) {
  return {"Service", name, S::Implemented, R::None, &parse_limit};
}

constexpr DirectiveSpec kSpecs[] = {
    {"Service", "WorkingDirectory", S::Implemented, R::None, &parse_working_directory},
    {"Service", "User", S::Implemented, R::None, &parse_user},
    {"Service", "Group", S::Implemented, R::None, &parse_group},
    {"Service", "SupplementaryGroups", S::Implemented, R::None, &parse_supplementary_groups},
    {"Service", "Nice", S::Implemented, R::None, &parse_nice},
    {"Service", "OOMScoreAdjust", S::Implemented, R::None, &parse_oom_score_adjust},
    {"Service", "CoredumpFilter", S::Implemented, R::None, &parse_coredump_filter},
    {"Service", "IOSchedulingClass", S::Implemented, R::None, &parse_io_class},
    {"Service", "IOSchedulingPriority", S::Implemented, R::None, &parse_io_priority},
    {"Service", "CPUSchedulingPolicy", S::Implemented, R::None, &parse_cpu_sched_policy},
    {"Service", "CPUSchedulingPriority", S::Implemented, R::None, &parse_cpu_sched_priority},
    {"Service", "CPUSchedulingResetOnFork", S::Implemented, R::None, &parse_cpu_sched_reset_on_fork},
    {"Service", "CPUAffinity", S::Implemented, R::None, &parse_cpu_affinity},
    {"Service", "NUMAPolicy", S::Implemented, R::None, &parse_numa_policy},
    {"Service", "NUMAMask", S::Implemented, R::None, &parse_numa_mask},
    {"Service", "UMask", S::Implemented, R::None, &parse_umask},
    {"Service", "Environment", S::Implemented, R::None, &parse_environment},
    {"Service", "EnvironmentFile", S::Implemented, R::None, &parse_environment_file},
    {"Service", "PassEnvironment", S::Implemented, R::None, &parse_pass_environment},
    {"Service", "UnsetEnvironment", S::Implemented, R::None, &parse_unset_environment},
    {"Service", "StandardInput", S::Implemented, R::None, &parse_standard_input},
    {"Service", "StandardOutput", S::Implemented, R::None, &parse_standard_output},
    {"Service", "StandardError", S::Implemented, R::None, &parse_standard_error},
    {"Service", "StandardInputText", S::Implemented, R::None, &parse_standard_input_text},
    {"Service", "StandardInputData", S::Implemented, R::None, &parse_standard_input_data},
    {"Service", "TTYPath", S::Implemented, R::None, &parse_tty_path},
    {"Service", "TTYReset", S::Implemented, R::None, &parse_boolean<&Unit::tty_reset, false>},
    {"Service", "TTYVHangup", S::Implemented, R::None, &parse_boolean<&Unit::tty_vhangup, false>},
    {"Service", "TTYVTDisallocate", S::Implemented, R::None, &parse_boolean<&Unit::tty_vt_disallocate, false>},
    {"Service", "TTYRows", S::Implemented, R::None, &parse_tty_size<&Unit::tty_rows>},
    {"Service", "TTYColumns", S::Implemented, R::None, &parse_tty_size<&Unit::tty_columns>},
    {"Service", "SyslogIdentifier", S::Implemented, R::None, &parse_string<&Unit::syslog_identifier>},
    {"Service", "SyslogFacility", S::Implemented, R::None, &parse_syslog_facility},
    {"Service", "SyslogLevel", S::Implemented, R::None, &parse_syslog_level},
    {"Service", "SyslogLevelPrefix", S::Implemented, R::None, &parse_boolean<&Unit::syslog_level_prefix, true>},
    {"Service", "LogLevelMax", S::NoEffect, R::JournaldSetting, &check_log_level},
    {"Service", "LogRateLimitIntervalSec", S::NoEffect, R::JournaldSetting, &check_timespan},
    {"Service", "LogRateLimitBurst", S::NoEffect, R::JournaldSetting, &check_unsigned},
    {"Service", "LogExtraFields", S::NoEffect, R::JournaldSetting, &check_log_extra_fields},
    {"Service", "TimerSlackNSec", S::Implemented, R::None, &parse_timer_slack},
    limit("LimitCPU"),
    limit("LimitFSIZE"),
    limit("LimitDATA"),
    limit("LimitSTACK"),
    limit("LimitCORE"),
    limit("LimitRSS"),
    limit("LimitNOFILE"),
    limit("LimitAS"),
    limit("LimitNPROC"),
    limit("LimitMEMLOCK"),
    limit("LimitLOCKS"),
    limit("LimitSIGPENDING"),
    limit("LimitMSGQUEUE"),
    limit("LimitNICE"),
    limit("LimitRTPRIO"),
    limit("LimitRTTIME"),
    {"Service", "ExecSearchPath", S::Implemented, R::None, &parse_exec_search_path},
    {"Service", "Personality", S::Implemented, R::None, &parse_personality},
    {"Service", "RuntimeDirectoryPreserve", S::Implemented, R::None, &parse_runtime_directory_preserve},
    {"Service", "RuntimeDirectoryMode", S::Implemented, R::None, &parse_directory_mode<DT::Runtime>},
    {"Service", "RuntimeDirectory", S::Implemented, R::None, &parse_directories<DT::Runtime>},
    {"Service", "StateDirectoryMode", S::Implemented, R::None, &parse_directory_mode<DT::State>},
    {"Service", "StateDirectory", S::Implemented, R::None, &parse_directories<DT::State>},
    {"Service", "CacheDirectoryMode", S::Implemented, R::None, &parse_directory_mode<DT::Cache>},
    {"Service", "CacheDirectory", S::Implemented, R::None, &parse_directories<DT::Cache>},
    {"Service", "LogsDirectoryMode", S::Implemented, R::None, &parse_directory_mode<DT::Logs>},
    {"Service", "LogsDirectory", S::Implemented, R::None, &parse_directories<DT::Logs>},
    {"Service", "ConfigurationDirectoryMode", S::Implemented, R::None, &parse_directory_mode<DT::Configuration>},
    {"Service", "ConfigurationDirectory", S::Implemented, R::None, &parse_directories<DT::Configuration>},
    {"Service", "SetCredential", S::Implemented, R::None, &parse_set_credential},
    {"Service", "SetCredentialEncrypted", S::Refused, R::EncryptedCredential, nullptr},
    {"Service", "LoadCredential", S::Implemented, R::None, &parse_load_credential},
    {"Service", "LoadCredentialEncrypted", S::Refused, R::EncryptedCredential, nullptr},
    {"Service", "TimeoutCleanSec", S::NoEffect, R::NoCleanOperation, &check_timespan},
    {"Service", "PAMName", S::Refused, R::PamSession, nullptr},
    {"Service", "IgnoreSIGPIPE", S::Implemented, R::None, &parse_ignore_sigpipe},
    {"Service", "UtmpIdentifier", S::NoEffect, R::NoUtmp, nullptr},
    {"Service", "UtmpMode", S::NoEffect, R::NoUtmp, &check_utmp_mode},
};
UNITRUN_DIRECTIVE_TABLE auto kParsers = parser_table<UNITRUN_PARSER_SLOTS(kSpecs)>(kSpecs);
UNITRUN_DIRECTIVE_TABLE auto kRows = directive_rows(kSpecs, DirectivePart::Exec, kParsers);
constexpr auto kByName = rows_by_name(kSpecs);

}  // namespace

DirectivePartTable exec_directives() { return {kRows, kByName, kParsers}; }

}  // namespace unitrun::unit
