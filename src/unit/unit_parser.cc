#include "unit/unit_parser.h"

#include <ini.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/strings.h"
#include "unit/command_line.h"
#include "unit/ini_lines.h"
#include "unit/values.h"

namespace unitrun::unit {
namespace {

// ---- specifiers (systemd.unit(5), "SPECIFIERS") ---------------------------

struct Specifiers {
  std::string file_name, name, prefix, instance, home, user, runtime_dir;
};

// Returns `value` itself when it has no specifier (most values), else the
// expansion, built in `out`.
Result<std::string_view> expand_specifiers(std::string_view value, const Specifiers& s, std::string& out) {
  if (value.find('%') == std::string_view::npos) return value;
  out.clear();
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      size_t next = std::min(value.find('%', i), value.size());  // copy up to the next '%' in one go
      out.append(value.substr(i, next - i));
      i = next - 1;
      continue;
    }
    if (++i == value.size()) return Error::plain("'%' at the end of the value (write '%%' for a literal '%')");
    switch (value[i]) {
      case 'n':
        out += s.file_name;
        break;
      case 'N':
        out += s.name;
        break;
      case 'p':
        out += s.prefix;
        break;
      case 'i':
        out += s.instance;
        break;
      case 'h':
        out += s.home;
        break;
      case 'u':
        out += s.user;
        break;
      case 't':
        out += s.runtime_dir;
        break;
      case '%':
        out += '%';
        break;
      default:
        return Error::plain(std::string("unknown specifier '%") + value[i] + "' (write '%%' for a literal '%')");
    }
  }
  return std::string_view(out);
}

// ---- the key table ---------------------------------------------------------

struct Assignment {
  Unit& unit;
  std::string_view value;  // specifiers already expanded
  int line;
};

using Setter = std::function<Status(Assignment&)>;

struct KeyDef {
  std::string_view section;
  std::string_view key;
  Setter set;
};

template <typename T>
Status assign(Result<T> parsed, T& into) {
  if (!parsed) return parsed.error();
  into = std::move(*parsed);
  return ok();
}

Setter timespan(Usec Unit::*field, Usec default_value) {
  return [field, default_value](Assignment& a) -> Status {
    if (a.value.empty()) return a.unit.*field = default_value, ok();
    return assign(values::parse_timespan(a.value), a.unit.*field);
  };
}

Setter signal_key(int Unit::*field, int default_value) {
  return [field, default_value](Assignment& a) -> Status {
    if (a.value.empty()) return a.unit.*field = default_value, ok();
    return assign(values::parse_signal(a.value), a.unit.*field);
  };
}

bool is_normal_absolute(std::string_view path);  // below, with resolve_path

Setter commands(std::vector<Command> Unit::*field) {
  return [field](Assignment& a) -> Status {
    auto& list = a.unit.*field;
    if (a.value.empty()) return list.clear(), ok();  // an empty assignment resets the list
    const size_t before = list.size();
    auto parsed = command_line::parse(a.value, a.line, list);
    if (!parsed) return parsed.error();
    for (size_t k = before; k < list.size(); ++k) {
      Command& c = list[k];
      if (c.program.find('/') != std::string::npos && !is_normal_absolute(c.program)) {
        std::string resolved = resolve_path(c.program, a.unit.directory);
        if (!c.argv.empty() && c.argv[0] == c.program) c.argv[0] = resolved;  // no '@': argv[0] follows
        c.program = std::move(resolved);
      }
      if (c.argv.empty() || c.argv[0].empty()) {
        list.resize(before);  // none of this value's commands
        return Error::plain("empty argv[0]");
      }
    }
    return ok();
  };
}

Setter word_list(std::vector<std::string> Unit::*field) {
  return [field](Assignment& a) -> Status {
    auto& list = a.unit.*field;
    if (a.value.empty()) return list.clear(), ok();
    auto words = command_line::split_words(a.value);
    if (!words) return words.error();
    list.insert(list.end(), words->begin(), words->end());
    return ok();
  };
}

Setter exit_status_list(ExitStatusSet Unit::*field) {
  return [field](Assignment& a) -> Status {
    if (a.value.empty()) return a.unit.*field = ExitStatusSet{}, ok();
    return values::parse_exit_status_list(a.value, a.unit.*field);
  };
}

template <typename E>
Setter enumeration(E Unit::*field, E default_value, std::vector<std::pair<std::string_view, E>> names,
                   std::string_view unsupported_hint = {}) {
  return [=](Assignment& a) -> Status {
    if (a.value.empty()) return a.unit.*field = default_value, ok();
    for (const auto& [name, v] : names)
      if (a.value == name) return a.unit.*field = v, ok();
    std::string allowed;
    for (const auto& [name, v] : names) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
    std::string message = "invalid value '" + std::string(a.value) + "' (one of: " + allowed + ")";
    if (!unsupported_hint.empty()) message += "; " + std::string(unsupported_hint);
    return Error::plain(message);
  };
}

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

Setter output_key(OutputSpec Unit::*field, bool is_stderr) {
  return [field, is_stderr](Assignment& a) -> Status {
    OutputSpec& o = a.unit.*field;
    std::string_view v = a.value;
    o = OutputSpec{};
    if (v.empty()) return ok();
    if (v == "null") return o.kind = OutputSpec::Kind::Null, ok();
    if (v == "inherit") return o.kind = OutputSpec::Kind::Inherit, ok();
    if (v == "journal") return o.kind = OutputSpec::Kind::Journal, ok();
    struct Prefix {
      std::string_view text;
      OutputSpec::Kind kind;
    };
    for (Prefix p : {Prefix{"file:", OutputSpec::Kind::File}, Prefix{"append:", OutputSpec::Kind::Append},
                     Prefix{"truncate:", OutputSpec::Kind::Truncate}}) {
      if (v.substr(0, p.text.size()) != p.text) continue;
      std::string_view path = v.substr(p.text.size());
      if (path.empty()) return Error::plain("missing path after '" + std::string(p.text) + "'");
      o.kind = p.kind;
      o.path = resolve_path(path, a.unit.directory);
      return ok();
    }
    (void)is_stderr;
    return Error::plain("invalid value '" + std::string(v) +
                        "' (one of: null, inherit, journal, file:PATH, append:PATH, truncate:PATH)");
  };
}

const std::vector<KeyDef>& key_table() {
  using K = KeyDef;
  static const std::vector<KeyDef> table = {
      // [Unit]
      K{"Unit", "Description", [](Assignment& a) { return a.unit.description = std::string(a.value), ok(); }},
      K{"Unit", "Documentation", word_list(&Unit::documentation)},
      K{"Unit", "StartLimitIntervalSec", timespan(&Unit::start_limit_interval, 10 * kUsecPerSec)},
      K{"Unit", "StartLimitBurst",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.start_limit_burst = 5, ok();
          auto n = values::parse_unsigned(a.value, 1000000);
          if (!n) return n.error();
          return a.unit.start_limit_burst = static_cast<unsigned>(*n), ok();
        }},
      // [Service]
      K{"Service", "Type",
        enumeration(&Unit::type, ServiceType::Simple,
                    {{"simple", ServiceType::Simple},
                     {"exec", ServiceType::Exec},
                     {"notify", ServiceType::Notify},
                     {"forking", ServiceType::Forking},
                     {"oneshot", ServiceType::Oneshot}},
                    "dbus and idle are not supported by unitrun")},
      K{"Service", "ExecStart", commands(&Unit::exec_start)},
      K{"Service", "ExecStartPre", commands(&Unit::exec_start_pre)},
      K{"Service", "ExecStartPost", commands(&Unit::exec_start_post)},
      K{"Service", "ExecStop", commands(&Unit::exec_stop)},
      K{"Service", "ExecStopPost", commands(&Unit::exec_stop_post)},
      K{"Service", "ExecReload", commands(&Unit::exec_reload)},
      K{"Service", "WorkingDirectory",
        [](Assignment& a) -> Status {
          std::string_view v = a.value;
          a.unit.working_directory_optional = !v.empty() && v[0] == '-';
          if (a.unit.working_directory_optional) v.remove_prefix(1);
          if (v.empty()) return a.unit.working_directory = "/", ok();
          a.unit.working_directory = v == "~" ? std::string("~") : resolve_path(v, a.unit.directory);
          return ok();
        }},
      K{"Service", "UMask",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.umask = 0022, ok();
          return assign(values::parse_umask(a.value), a.unit.umask);
        }},
      K{"Service", "User",
        [](Assignment& a) -> Status {
          if (!a.value.empty()) {
            auto r = check_user_or_group(a.value, "user");
            if (!r) return r;
          }
          return a.unit.user = std::string(a.value), ok();
        }},
      K{"Service", "Group",
        [](Assignment& a) -> Status {
          if (!a.value.empty()) {
            auto r = check_user_or_group(a.value, "group");
            if (!r) return r;
          }
          return a.unit.group = std::string(a.value), ok();
        }},
      K{"Service", "SupplementaryGroups",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.supplementary_groups.clear(), ok();
          for (const std::string& g : split_whitespace(a.value)) {
            auto r = check_user_or_group(g, "group");
            if (!r) return r;
            a.unit.supplementary_groups.push_back(g);
          }
          return ok();
        }},
      K{"Service", "Environment",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.environment.clear(), ok();
          thread_local std::vector<std::string> words;  // reused from line to line
          auto split = command_line::split_words(a.value, words);
          if (!split) return split.error();
          for (std::string& w : words) {
            size_t eq = w.find('=');
            if (eq == std::string::npos || !command_line::is_valid_env_name(std::string_view(w).substr(0, eq)))
              return Error::plain("invalid environment assignment '" + w + "' (expected NAME=value)");
            std::string name = w.substr(0, eq);
            w.erase(0, eq + 1);  // the value keeps the word's buffer
            a.unit.environment.emplace_back(std::move(name), std::move(w));
          }
          return ok();
        }},
      K{"Service", "EnvironmentFile",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.environment_files.clear(), ok();
          std::string_view v = a.value;
          bool optional = v[0] == '-';
          if (optional) v.remove_prefix(1);
          if (v.empty()) return Error::plain("missing path");
          a.unit.environment_files.push_back({resolve_path(v, a.unit.directory), optional, a.line});
          return ok();
        }},
      K{"Service", "PIDFile",
        [](Assignment& a) -> Status {
          a.unit.pid_file = a.value.empty() ? std::string() : resolve_path(a.value, a.unit.directory);
          return ok();
        }},
      K{"Service", "StandardInput",
        [](Assignment& a) -> Status {
          if (a.value.empty() || a.value == "null") return ok();
          return Error::plain("invalid value '" + std::string(a.value) + "' (unitrun supports only null)");
        }},
      K{"Service", "StandardOutput", output_key(&Unit::standard_output, false)},
      K{"Service", "StandardError", output_key(&Unit::standard_error, true)},
      K{"Service", "Restart",
        enumeration(&Unit::restart, RestartPolicy::No,
                    {{"no", RestartPolicy::No},
                     {"on-success", RestartPolicy::OnSuccess},
                     {"on-failure", RestartPolicy::OnFailure},
                     {"on-abnormal", RestartPolicy::OnAbnormal},
                     {"on-watchdog", RestartPolicy::OnWatchdog},
                     {"on-abort", RestartPolicy::OnAbort},
                     {"always", RestartPolicy::Always}})},
      K{"Service", "RestartSec", timespan(&Unit::restart_sec, 100000)},
      K{"Service", "SuccessExitStatus", exit_status_list(&Unit::success_exit_status)},
      K{"Service", "RestartPreventExitStatus", exit_status_list(&Unit::restart_prevent_exit_status)},
      K{"Service", "TimeoutStartSec", timespan(&Unit::timeout_start, 90 * kUsecPerSec)},
      K{"Service", "TimeoutStopSec", timespan(&Unit::timeout_stop, 90 * kUsecPerSec)},
      K{"Service", "TimeoutSec",
        [](Assignment& a) -> Status {
          Usec v = 90 * kUsecPerSec;
          if (!a.value.empty()) {
            auto r = values::parse_timespan(a.value);
            if (!r) return r.error();
            v = *r;
          }
          a.unit.timeout_start = a.unit.timeout_stop = v;
          return ok();
        }},
      K{"Service", "KillMode",
        enumeration(
            &Unit::kill_mode, KillMode::ControlGroup,
            {{"control-group", KillMode::ControlGroup}, {"mixed", KillMode::Mixed}, {"process", KillMode::Process}},
            "KillMode=none is not supported: unitrun always ends every process it started")},
      K{"Service", "KillSignal", signal_key(&Unit::kill_signal, 15)},
      K{"Service", "FinalKillSignal", signal_key(&Unit::final_kill_signal, 9)},
      K{"Service", "SendSIGKILL",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.send_sigkill = true, ok();
          return assign(values::parse_bool(a.value), a.unit.send_sigkill);
        }},
      K{"Service", "WatchdogSec", timespan(&Unit::watchdog_sec, 0)},
      K{"Service", "LimitNOFILE",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.limit_nofile.reset(), ok();
          auto r = values::parse_rlimit(a.value, false);
          if (!r) return r.error();
          return a.unit.limit_nofile = *r, ok();
        }},
      K{"Service", "LimitCORE",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.limit_core.reset(), ok();
          auto r = values::parse_rlimit(a.value, true);
          if (!r) return r.error();
          return a.unit.limit_core = *r, ok();
        }},
      K{"Service", "Nice",
        [](Assignment& a) -> Status {
          if (a.value.empty()) return a.unit.nice.reset(), ok();
          auto r = values::parse_nice(a.value);
          if (!r) return r.error();
          return a.unit.nice = *r, ok();
        }},
      // [Install]
      K{"Install", "WantedBy", word_list(&Unit::wanted_by)},
  };
  return table;
}

// Hashed once: every line of every unit looks its key up here.
const KeyDef* find_key(std::string_view section, std::string_view key) {
  static const auto index = [] {
    std::unordered_map<std::string_view, std::vector<const KeyDef*>> by_key;
    for (const KeyDef& k : key_table()) by_key[k.key].push_back(&k);
    return by_key;
  }();
  auto it = index.find(key);
  if (it == index.end()) return nullptr;
  for (const KeyDef* k : it->second)
    if (k->section == section) return k;
  return nullptr;
}

// closest_match() costs O(length of the name × length of a candidate) per
// candidate: one unknown key of 1 MiB took seconds. Its limit of
// max(2, n/3) + 1 edits can never be met by a name of more than 36 bytes
// (the longest key, RestartPreventExitStatus, has 24), so longer names get no
// suggestion, as before, but without computing one. And a file of thousands
// of unknown keys (the fuzzer's "Usre=1" 6,000 times) took seconds, so only
// the first kMaxSuggestions unknown names of a file get a suggestion.
constexpr size_t kMaxSuggestedNameBytes = 64;
constexpr int kMaxSuggestions = 32;

std::string suggest(std::string_view name, const std::vector<std::string_view>& candidates, int& budget) {
  if (name.size() > kMaxSuggestedNameBytes || budget <= 0) return {};
  --budget;
  return closest_match(name, candidates);
}

bool is_known_section(std::string_view s) { return s == "Unit" || s == "Service" || s == "Install"; }
bool is_extension(std::string_view s) { return s.substr(0, 2) == "X-"; }

// Keys where a second, different assignment deserves a warning: the last one
// wins, as in systemd, but a unit that says "User=nobody" and later
// "User=root" is more likely a mistake than a wish.
bool is_security_key(std::string_view key) {
  return key == "User" || key == "Group" || key == "UMask" || key == "PIDFile";
}

// ---- the inih glue -----------------------------------------------------------

struct ParseState {
  const ini_lines::Lines* lines = nullptr;
  size_t next_line = 0;       // next logical line to hand to inih
  size_t current_line = 0;    // index of the line inih is working on
  size_t pending_offset = 0;  // how much of the current line (and its '\n') inih has read
  bool pending_active = false;

  Unit* unit = nullptr;
  Specifiers specifiers;
  Diagnostics* diagnostics = nullptr;
  std::map<std::string, std::string> last_security_values;
  int* suggestions_left = nullptr;  // see suggest()
  // Buffers reused from line to line: no allocation per line for them.
  std::string expanded_value, key_id;
  // Per key of key_table(), its entry in Unit::key_lines once it has one
  // (map iterators stay valid while other keys are inserted).
  std::vector<std::optional<std::map<std::string, int>::iterator>> key_line_slots =
      std::vector<std::optional<std::map<std::string, int>::iterator>>(key_table().size());
};

// fgets-like: inih may ask for the line in several chunks.
char* read_line(char* str, int num, void* stream) {
  auto* st = static_cast<ParseState*>(stream);
  if (num <= 1) return nullptr;
  if (!st->pending_active) {
    if (st->next_line >= st->lines->lines.size()) return nullptr;
    st->current_line = st->next_line++;
    st->pending_offset = 0;
    st->pending_active = true;
  }
  // The line is handed over with the newline fgets would include.
  std::string_view text = st->lines->lines[st->current_line].text;
  size_t left = text.size() + 1 - st->pending_offset;
  size_t n = std::min(static_cast<size_t>(num - 1), left);
  size_t from_text = std::min(n, text.size() - std::min(text.size(), st->pending_offset));
  if (from_text > 0) std::memcpy(str, text.data() + st->pending_offset, from_text);
  if (from_text < n) str[from_text] = '\n';
  str[n] = '\0';
  st->pending_offset += n;
  if (n == left) st->pending_active = false;
  return str;
}

void report(ParseState& st, Diagnostic::Severity sev, int line, std::string message) {
  st.diagnostics->push_back(Diagnostic{sev, line, std::move(message)});
}

int on_key(void* user, const char* section_c, const char* name_c, const char* value_c) {
  auto& st = *static_cast<ParseState*>(user);
  std::string_view section = section_c, name = name_c, raw = value_c;
  int line = st.lines->lines[st.current_line].first_line;
  using S = Diagnostic::Severity;

  if (section.empty()) {
    report(st, S::Error, line, "assignment '" + std::string(name) + "=' outside of any section");
    return 1;
  }
  if (!is_known_section(section)) return 1;  // reported once, at the section header
  if (is_extension(name)) return 1;          // X- keys are for other tools, as in systemd

  const KeyDef* def = find_key(section, name);
  if (!def) {
    for (std::string_view other : {"Unit", "Service", "Install"}) {
      if (other != section && find_key(other, name)) {
        report(st, S::Error, line,
               "key '" + std::string(name) + "' belongs in [" + std::string(other) + "], not in [" +
                   std::string(section) + "]");
        return 1;
      }
    }
    std::vector<std::string_view> candidates;
    for (const KeyDef& k : key_table())
      if (k.section == section) candidates.push_back(k.key);
    std::string suggestion = suggest(name, candidates, *st.suggestions_left);
    std::string message = "unknown key '" + std::string(name) + "' in [" + std::string(section) + "]";
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "='?";
    report(st, S::Error, line, message);
    return 1;
  }

  auto value = expand_specifiers(raw, st.specifiers, st.expanded_value);
  if (!value) {
    report(st, S::Error, line, std::string(name) + "=: " + value.error().message());
    return 1;
  }
  std::string& key_id = st.key_id;
  key_id.assign(section).append(".").append(name);
  if (is_security_key(name) && !raw.empty()) {
    auto [it, inserted] = st.last_security_values.emplace(key_id, *value);
    if (!inserted && it->second != *value) {
      report(st, S::Warning, line,
             std::string(name) + "= assigned again ('" + it->second + "' before, '" + std::string(*value) +
                 "' now); the last assignment wins");
      it->second = *value;
    }
  }
  Assignment a{*st.unit, *value, line};
  Status r = def->set(a);
  if (!r) report(st, S::Error, line, std::string(name) + "=: " + r.error().message());
  // An empty assignment resets the key to its default, as if it had never
  // been set: key_lines tells explicit values from defaults (Type='s oneshot
  // default, forking's PIDFile=, the oneshot start timeout).
  else if (auto& slot = st.key_line_slots[static_cast<size_t>(def - key_table().data())]; raw.empty()) {
    st.unit->key_lines.erase(key_id);
    slot.reset();
  } else if (slot) {
    (*slot)->second = line;  // a key assigned again: no map lookup
  } else {
    slot = st.unit->key_lines.insert_or_assign(key_id, line).first;
  }
  return 1;
}

// inih's behaviour is set through process-wide globals in Debian's build
// (ecosystem.md §4.1); these make it read the systemd dialect that
// ini_lines has already prepared.
void configure_inih() {
  static std::once_flag once;
  std::call_once(once, [] {
    ini_allow_inline_comments = false;  // "a ; b" stays one value
    ini_allow_multiline = false;        // indented lines are not continuations
    ini_allow_bom = false;              // ini_lines strips it
    ini_allow_no_value = false;
    ini_stop_on_first_error = false;
    ini_use_stack = false;  // heap buffer, grown as needed
    ini_allow_realloc = true;
    ini_initial_alloc = 4096;
    ini_max_line = static_cast<int>(ini_lines::kMaxLineBytes + 16);  // never split a line
  });
}

}  // namespace

std::string name_from_path(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (file.size() > 4 && file.substr(file.size() - 4) == ".ini") file.remove_suffix(4);
  return std::string(file);
}

bool is_valid_unit_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name[0] == '-' || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(":_.@-").find(c) != std::string_view::npos;
  });
}

namespace {
// An absolute path with no empty, "." or ".." component and no trailing '/':
// resolve_path() would return it unchanged.
bool is_normal_absolute(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  for (size_t start = 1; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}
}  // namespace

std::string resolve_path(std::string_view path, std::string_view directory) {
  if (is_normal_absolute(path)) return std::string(path);
  std::string joined =
      !path.empty() && path[0] == '/' ? std::string(path) : std::string(directory) + "/" + std::string(path);
  std::vector<std::string_view> parts;
  std::string_view rest = joined;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view p : parts) out += "/" + std::string(p);
  return out.empty() ? "/" : out;
}

std::vector<std::string> known_keys() {
  std::vector<std::string> keys;
  for (const KeyDef& k : key_table()) keys.push_back(std::string(k.section) + "." + std::string(k.key));
  return keys;
}

ParseResult parse(std::string_view content, const ParseContext& context) {
  ParseResult result;
  Unit& unit = result.unit;
  unit.path = context.path;
  unit.name = name_from_path(context.path);
  size_t slash = context.path.rfind('/');
  unit.directory = slash == std::string::npos || slash == 0 ? "/" : context.path.substr(0, slash);
  unit.log_file = context.log_dir + "/" + unit.name + ".log";
  using S = Diagnostic::Severity;

  ini_lines::Lines lines = ini_lines::split(content);
  result.diagnostics = std::move(lines.diagnostics);
  if (!is_valid_unit_name(unit.name))
    result.diagnostics.insert(
        result.diagnostics.begin(),
        {S::Error, 0,
         "invalid unit name '" + unit.name + "' (1 to 200 of A-Z a-z 0-9 : _ . @ -, not starting with '-')"});
  bool has_service = false;
  int suggestions_left = kMaxSuggestions;
  for (const ini_lines::SectionHeader& s : lines.sections) {
    if (s.name == "Service") has_service = true;
    if (!unit.key_lines.count("[" + s.name + "]")) unit.key_lines["[" + s.name + "]"] = s.line;
    if (is_known_section(s.name) || is_extension(s.name)) continue;
    std::string suggestion = suggest(s.name, {"Unit", "Service", "Install"}, suggestions_left);
    std::string message = "unknown section [" + s.name + "]";
    if (!suggestion.empty()) message += "; did you mean [" + suggestion + "]?";
    result.diagnostics.push_back({S::Error, s.line, message});
  }

  ParseState st;
  st.lines = &lines;
  st.unit = &unit;
  st.diagnostics = &result.diagnostics;
  st.suggestions_left = &suggestions_left;
  size_t at = unit.name.find('@');
  st.specifiers = Specifiers{name_from_path(context.path) + ".ini",
                             unit.name,
                             at == std::string::npos ? unit.name : unit.name.substr(0, at),
                             at == std::string::npos ? std::string() : unit.name.substr(at + 1),
                             context.home,
                             context.user_name,
                             context.runtime_dir};
  configure_inih();
  int rc = ini_parse_stream(read_line, &st, on_key, &st);
  if (rc == -2) result.diagnostics.push_back({S::Error, 0, "out of memory while parsing"});

  // File-wide rules, after every line is read.
  if (!has_service) result.diagnostics.push_back({S::Error, 0, "no [Service] section"});
  if (!unit.key_lines.count("Service.Type") && unit.exec_start.empty()) unit.type = ServiceType::Oneshot;
  if (unit.pid_file.empty()) unit.pid_file = context.pid_dir + "/" + unit.name + ".pid";
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return result;
}

}  // namespace unitrun::unit
