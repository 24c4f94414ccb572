#include "unit/unit_parser.h"

#include <ini.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "base/strings.h"
#include "unit/directives.h"
#include "unit/ini_lines.h"
#include "unit/key_parsers.h"
#include "unit/specifiers.h"
#include "unit/values.h"

namespace unitrun::unit {
namespace {

// closest_match() costs O(length of the name × length of a candidate) per
// candidate: one unknown key of 1 MiB took seconds. Its limit of
// max(2, n/3) + 1 edits can never be met by a name of more than 48 bytes
// (the longest key, ManagedOOMMemoryPressureLimit, has 29), so longer names
// get no suggestion, as before, but without computing one. And a file of
// thousands of unknown keys (the fuzzer's "Usre=1" 6,000 times) took
// seconds, so only the first kMaxSuggestions unknown names of a file get a
// suggestion.
constexpr size_t kMaxSuggestedNameBytes = 64;
constexpr int kMaxSuggestions = 32;

std::string suggest(std::string_view name, const std::vector<std::string_view>& candidates, int& budget) {
  if (name.size() > kMaxSuggestedNameBytes || budget <= 0) return {};
  --budget;
  return closest_match(name, candidates);
}

// Every name of the registry once: a suggestion is computed against all of
// them, so that a key unitrun knows in another section, or refuses, is never
// "corrected" into a different one (UnsetEnvironment= into Environment=).
const std::vector<std::string_view>& every_key_name() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const Directive& d : directives())
      if (std::find(out.begin(), out.end(), d.name()) == out.end()) out.push_back(d.name());
    return out;
  }();
  return names;
}

std::string_view section_of_key(std::string_view name) {
  for (const Directive& d : directives())
    if (d.name() == name) return d.section();
  return {};
}

bool is_known_section(std::string_view s) { return s == "Unit" || s == "Service" || s == "Install"; }
bool is_extension(std::string_view s) { return s.substr(0, 2) == "X-"; }

// Keys where a second, different assignment deserves a warning: the last one
// wins, as in systemd, but a unit that says "User=nobody" and later
// "User=root" is more likely a mistake than a wish.
// Keys whose values systemd reads without resolving specifiers: their '%'
// is a percentage ("TasksMax=80%", "CPUQuota=150%"), as shipped units
// write it (config_parse_memory_limit, _tasks_max, _cpu_quota call no
// unit_full_printf()).
bool takes_specifiers(std::string_view section, std::string_view key) {
  static constexpr std::string_view kLiteral[] = {"MemoryMin",
                                                  "MemoryLow",
                                                  "MemoryHigh",
                                                  "MemoryMax",
                                                  "MemorySwapMax",
                                                  "MemoryZSwapMax",
                                                  "MemoryLimit",
                                                  "StartupMemoryLow",
                                                  "StartupMemoryHigh",
                                                  "StartupMemoryMax",
                                                  "StartupMemorySwapMax",
                                                  "StartupMemoryZSwapMax",
                                                  "TasksMax",
                                                  "CPUQuota",
                                                  "ManagedOOMMemoryPressureLimit"};
  if (section != "Service") return true;
  return std::find(std::begin(kLiteral), std::end(kLiteral), key) == std::end(kLiteral);
}

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
  const ParseContext* context = nullptr;
  std::optional<SpecifierExpander> specifiers;
  Diagnostics* diagnostics = nullptr;
  std::map<std::string, std::string> last_security_values;
  int* suggestions_left = nullptr;  // see suggest()
  // Buffers reused from line to line: no allocation per line for them.
  std::string expanded_value, key_id;
  // Per row of the registry, its entry in Unit::key_lines once it has one
  // (map iterators stay valid while other keys are inserted).
  std::vector<std::optional<std::map<std::string, int>::iterator>> key_line_slots =
      std::vector<std::optional<std::map<std::string, int>::iterator>>(directive_count());
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

void report_unknown(ParseState& st, std::string_view section, std::string_view name, int line) {
  using S = Diagnostic::Severity;
  for (std::string_view other : {"Unit", "Service", "Install"}) {
    if (other != section && find_directive(other, name)) {
      report(st, S::Error, line,
             "key '" + std::string(name) + "' belongs in [" + std::string(other) + "], not in [" +
                 std::string(section) + "]");
      return;
    }
  }
  std::string suggestion = suggest(name, every_key_name(), *st.suggestions_left);
  std::string message = "unknown key '" + std::string(name) + "' in [" + std::string(section) + "]";
  if (!suggestion.empty()) {
    message += "; did you mean '" + suggestion + "='";
    std::string_view home = section_of_key(suggestion);
    if (find_directive(section, suggestion) == nullptr && !home.empty()) message += " (in [" + std::string(home) + "])";
    message += "?";
  }
  report(st, S::Error, line, message);
}

// Records where a key was last set; an empty assignment resets the key to
// its default, as if it had never been set: key_lines tells explicit values
// from defaults (Type='s oneshot default, the oneshot start timeout).
void record_line(ParseState& st, const Directive& d, std::string_view raw, int line) {
  auto& slot = st.key_line_slots[directive_ordinal(d)];
  if (raw.empty()) {
    st.unit->key_lines.erase(st.key_id);
    slot.reset();
  } else if (slot) {
    (*slot)->second = line;  // a key assigned again: no map lookup
  } else {
    slot = st.unit->key_lines.insert_or_assign(st.key_id, line).first;
  }
}

// unitrun's own keys, in systemd's extension namespace (systemd ignores
// them): X-Unitrun-Sandbox=best-effort, X-Unitrun-Timestamps=yes. A misspelled one is an error, as
// any unknown key: it would be ignored silently otherwise.
void on_unitrun_key(ParseState& st, std::string_view section, std::string_view name, std::string_view value, int line) {
  using S = Diagnostic::Severity;
  if (section == "Service" && name == "X-Unitrun-Sandbox") {
    if (value == "best-effort" || value == "strict" || value.empty()) {
      st.unit->sandbox.best_effort = value == "best-effort";
      st.unit->key_lines["Service.X-Unitrun-Sandbox"] = line;
      return;
    }
    report(st, S::Error, line,
           "X-Unitrun-Sandbox=: invalid value '" + std::string(value) +
               "' (strict: a protection that cannot be applied fails the start; best-effort: it is a warning)");
    return;
  }
  if (section == "Service" && name == "X-Unitrun-Timestamps") {
    if (value.empty()) {
      st.unit->timestamps = false;
      st.unit->key_lines.erase("Service.X-Unitrun-Timestamps");
      return;
    }
    auto on = values::parse_bool(value);
    if (!on) {
      report(st, S::Error, line, "X-Unitrun-Timestamps=: " + on.error().message());
      return;
    }
    st.unit->timestamps = *on;
    st.unit->key_lines["Service.X-Unitrun-Timestamps"] = line;
    return;
  }
  report(st, S::Error, line,
         "unknown unitrun key '" + std::string(name) + "' in [" + std::string(section) +
             "] (unitrun's keys: X-Unitrun-Sandbox= and X-Unitrun-Timestamps= in [Service])");
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
  if (is_extension(name)) {
    // X- keys are for other tools, as in systemd; X-Unitrun- ones are ours.
    if (name.rfind("X-Unitrun-", 0) == 0) on_unitrun_key(st, section, name, raw, line);
    return 1;
  }

  const Directive* d = find_directive(section, name);
  if (!d) {
    report_unknown(st, section, name, line);
    return 1;
  }
  if (d->status() == DirectiveStatus::Refused) {
    report(st, S::Error, line, std::string(name) + "= is refused: " + std::string(reason_text(d->reason())));
    return 1;
  }

  Result<std::string_view> value =
      takes_specifiers(section, name) ? st.specifiers->expand(raw, st.expanded_value) : Result<std::string_view>(raw);
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
  if (d->parse()) {
    Assignment a{*st.unit, name, *value, line, *st.context, *st.diagnostics};
    Status r = d->parse()(a);
    if (!r) {
      // A refused value names its key itself ("SuccessAction=reboot is
      // refused: ..."); any other error gets the key in front.
      std::string message = r.error().message();
      std::string key_eq = std::string(name) + "=";
      if (message.compare(0, key_eq.size(), key_eq) != 0 || message.compare(0, key_eq.size() + 1, key_eq + ":") == 0)
        message = key_eq + ": " + message;
      report(st, S::Error, line, std::move(message));
      return 1;
    }
  }
  if (d->status() == DirectiveStatus::NoEffect) {
    st.unit->without_effect.push_back({key_id, std::string(*value), line});
    // A MAC label key's parser warns itself, naming the value.
    if (!raw.empty() && d->reason() != Reason::MacLabelIgnorable)
      report(st, S::Note, line,
             std::string(name) + "= is accepted without effect: " + std::string(reason_text(d->reason())));
  }
  record_line(st, *d, raw, line);
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

// Rules that need the whole file, after every line is read.
void finish(Unit& unit, const ParseContext& context, const UnitName& name) {
  // IgnoreSIGPIPE= defaults to yes, as in systemd, for the files of
  // systemd's dialect; unitrun's own .ini units keep the default disposition
  // they always had.
  if (!unit.key_lines.count("Service.IgnoreSIGPIPE")) unit.ignore_sigpipe = name.is_service;
  if (!unit.key_lines.count("Service.Type") && unit.exec_start.empty()) unit.type = ServiceType::Oneshot;
  if (unit.pid_file.empty()) unit.pid_file = context.pid_dir + "/" + unit.name + ".pid";
  // PermissionsStartOnly=yes: every command but ExecStart='s runs as if it
  // had the '+' prefix (systemd.service(5)).
  if (unit.permissions_start_only)
    for (auto* list : {&unit.exec_condition, &unit.exec_start_pre, &unit.exec_start_post, &unit.exec_reload,
                       &unit.exec_stop, &unit.exec_stop_post})
      for (Command& c : *list)
        if (c.privileges == CommandPrivileges::Normal) c.privileges = CommandPrivileges::Full;
  // StandardInput= defaults to data when there is data (systemd.exec(5)).
  if (!unit.standard_input_data.empty() && !unit.key_lines.count("Service.StandardInput"))
    unit.standard_input.kind = InputSpec::Kind::Data;
}

}  // namespace

std::string name_from_path(std::string_view path) { return unit_name_of(path).name; }

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
  for (const Directive& d : directives())
    if (d.status() == DirectiveStatus::Implemented)
      keys.push_back(std::string(d.section()) + "." + std::string(d.name()));
  return keys;
}

ParseResult parse(std::string_view content, const ParseContext& context) {
  return parse(std::vector<SourceText>{{context.path, content}}, context);
}

namespace {

int count_lines(std::string_view text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1; }

}  // namespace

void attribute_to_files(const Unit& unit, Diagnostics& diagnostics) {
  if (unit.sources.size() < 2) return;
  for (Diagnostic& d : diagnostics) {
    if (!d.file.empty() || d.line < unit.sources[1].first_line) continue;
    for (size_t i = unit.sources.size(); i-- > 1;) {
      if (d.line < unit.sources[i].first_line) continue;
      d.file = unit.sources[i].path;
      d.line = d.line - unit.sources[i].first_line + 1;
      break;
    }
  }
}

ParseResult parse(const std::vector<SourceText>& sources, const ParseContext& context) {
  ParseResult result;
  Unit& unit = result.unit;
  UnitName name = unit_name_of(context.name.empty() ? std::string_view(context.path) : std::string_view(context.name));
  unit.path = context.path;
  unit.identity = context.path;
  unit.name = name.name;
  unit.prefix = name.prefix;
  unit.instance = name.instance;
  unit.is_template = name.is_template;
  size_t slash = context.path.rfind('/');
  unit.directory = slash == std::string::npos || slash == 0 ? "/" : context.path.substr(0, slash);
  unit.log_file = context.log_dir + "/" + unit.name + ".log";
  unit.credentials_directory = context.pid_dir + "/credentials/" + unit.name;
  const std::string* roots[kDirectoryTypes] = {&context.runtime_dir, &context.state_dir, &context.cache_dir,
                                               &context.logs_dir, &context.config_dir};
  for (int t = 0; t < kDirectoryTypes; ++t) unit.directories[t].root = *roots[t];
  using S = Diagnostic::Severity;

  if (!is_valid_unit_name(unit.name))
    result.diagnostics.push_back({S::Error, 0,
                                  "invalid unit name '" + unit.name +
                                      "' (1 to 200 of A-Z a-z 0-9 : _ . @ - \\, not starting with '-', and for a "
                                      ".service file at most one '@', after a prefix)"});
  bool has_service = false;
  int suggestions_left = kMaxSuggestions;

  ParseState st;
  st.unit = &unit;
  st.context = &context;
  st.diagnostics = &result.diagnostics;
  st.suggestions_left = &suggestions_left;
  // A template alone is checked as an instance of its own, as systemd does.
  UnitName specifier_name = as_checked(name);
  if (name.is_template)
    result.diagnostics.push_back({S::Note, 0,
                                  "a template: its specifiers are checked as instance '" +
                                      std::string(kTemplateCheckInstance) + "' (" + specifier_name.file_name +
                                      "), as systemd-analyze verify does"});
  st.specifiers.emplace(specifier_name, context, context.path, unit.credentials_directory);
  configure_inih();

  int offset = 0;  // lines of the files before this one
  for (size_t i = 0; i < sources.size(); ++i) {
    const SourceText& source = sources[i];
    unit.sources.push_back({source.path, offset + 1});
    ini_lines::Lines lines = ini_lines::split(source.text);
    for (ini_lines::LogicalLine& l : lines.lines) l.first_line += offset;
    for (ini_lines::SectionHeader& h : lines.sections) h.line += offset;
    for (Diagnostic& d : lines.diagnostics) {
      if (d.line > 0)
        d.line += offset;
      else if (i > 0)
        d.file = source.path;
      result.diagnostics.push_back(std::move(d));
    }
    for (const ini_lines::SectionHeader& s : lines.sections) {
      if (s.name == "Service") has_service = true;
      if (!unit.key_lines.count("[" + s.name + "]")) unit.key_lines["[" + s.name + "]"] = s.line;
      if (is_known_section(s.name) || is_extension(s.name)) continue;
      std::string suggestion = suggest(s.name, {"Unit", "Service", "Install"}, suggestions_left);
      std::string message = "unknown section [" + s.name + "]";
      if (!suggestion.empty()) message += "; did you mean [" + suggestion + "]?";
      result.diagnostics.push_back({S::Error, s.line, message});
    }
    // Each file is read from its own start: no section carries over, and
    // a drop-in that sets User= again overrides the unit file on purpose.
    st.lines = &lines;
    st.next_line = st.current_line = st.pending_offset = 0;
    st.pending_active = false;
    st.last_security_values.clear();
    int rc = ini_parse_stream(read_line, &st, on_key, &st);
    if (rc == -2) result.diagnostics.push_back({S::Error, 0, "out of memory while parsing", i > 0 ? source.path : ""});
    offset += count_lines(source.text);
  }

  if (!has_service) result.diagnostics.push_back({S::Error, 0, "no [Service] section"});
  finish(unit, context, name);
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    // The unit file's problems first, by line (line 0: the file as a whole);
    // then each drop-in's, whose lines count on from the unit file's.
    if (a.file.empty() != b.file.empty()) return a.file.empty();
    return a.line < b.line;
  });
  attribute_to_files(unit, result.diagnostics);
  return result;
}

}  // namespace unitrun::unit
