#include "runtime/runtime_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/strings.h"
#include "base/sys.h"
#include "runtime/safe_files.h"
#include "unit/unit_lookup.h"
#include "unit/unit_name.h"
#include "unit/unit_show.h"
#include "unit/user_dirs.h"

namespace unitrun {
namespace {

std::string fnv1a(const std::string& text) {
  // FNV-1a: stable across builds, unlike std::hash.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string path_key(const std::string& path) { return fnv1a(path); }

RuntimeFiles files_in(const std::string& name, const std::string& identity, const std::string& directory) {
  RuntimeFiles f;
  f.directory = directory;
  std::string key = path_key(identity);
  std::string stem = f.directory + "/" + name + "." + key.substr(0, 12);
  f.lock = stem + ".lock";
  f.state = stem + ".state";
  f.snapshot = stem + ".unit";
  f.control = f.directory + "/." + key + ".control";
  f.name_lock = f.directory + "/" + unit::service_name(name) + ".name";  // ./web.ini and web.service are one name
  return f;
}

const std::string& identity_of(const Unit& unit) { return unit.identity.empty() ? unit.path : unit.identity; }

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string runtime_key(const std::string& identity) { return path_key(identity).substr(0, 12); }

std::string runtime_directory() { return unit::user_dirs().runtime_dir + "/unitrun"; }

std::string shutdown_marker(const std::string& directory) { return directory + "/.shutdown"; }

std::string shutdown_lock(const std::string& directory) { return directory + "/.shutdown.lock"; }

namespace {
bool marker_present(const std::string& path) {
  struct stat st;
  return ::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}
}  // namespace

bool shutdown_in_progress(const std::string& directory) { return marker_present(shutdown_marker(directory)); }

std::string boot_marker(const std::string& directory) { return directory + "/.booting"; }

bool boot_in_progress(const std::string& directory) { return marker_present(boot_marker(directory)); }

RuntimeFiles runtime_files_for(const Unit& unit) {
  RuntimeFiles f = files_in(unit.name, identity_of(unit), runtime_directory());
  f.pidfile = unit.pid_file;
  return f;
}

RuntimeFiles runtime_files_for(const std::string& name, const std::string& identity) {
  return files_in(name, identity, runtime_directory());
}

RuntimeFiles runtime_files_for(const unit::UnitFile& file) {
  return runtime_files_for(file.name, file.identity.empty() ? file.name : file.identity);
}

RuntimeFiles system_runtime_files_for(const Unit& unit) {
  RuntimeFiles f = files_in(unit.name, identity_of(unit), "/run/unitrun");
  f.pidfile = unit.pid_file;
  return f;
}

std::optional<RuntimeFileName> parse_runtime_file_name(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view kind = file_name.substr(dot + 1);
  if (kind != "lock" && kind != "state" && kind != "unit") return std::nullopt;
  std::string_view rest = file_name.substr(0, dot);
  size_t key_dot = rest.rfind('.');
  if (key_dot == std::string_view::npos || key_dot == 0) return std::nullopt;
  std::string_view key = rest.substr(key_dot + 1);
  if (key.size() != 12 || !is_hex(key) || file_name[0] == '.') return std::nullopt;
  return RuntimeFileName{std::string(rest.substr(0, key_dot)), std::string(key), std::string(kind)};
}

std::string unit_digest(const Unit& unit) { return fnv1a(unit::show_text(unit)); }

void MonitorState::add_event(std::string text) {
  events.push_back({sys::now_realtime_usec(), std::move(text)});
  if (events.size() > kMaxEvents) events.erase(events.begin());
}

bool output_inherited(const std::optional<MonitorState>& state) {
  return state && state->foreground && !state->finished();
}

namespace {

using Json = nlohmann::json;

// The value under `key` in the object `j`, made (null) when it has none
// yet: the kept document finds each of its fields (a lookup that builds
// no key string), a new one gets them inserted.
Json& slot(Json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() ? *it : j[std::string(key)];
}

// A string value assigned into the one already there, whose buffer it
// reuses, instead of a new string value made and swapped in.
void put(Json& v, std::string_view text) {
  if (v.is_string())
    v.get_ref<std::string&>().assign(text.data(), text.size());
  else
    v = std::string(text);
}

// The same for an array of strings or numbers, element by element.
template <typename T>
void put_list(Json& v, const std::vector<T>& items) {
  if (!v.is_array()) v = Json::array();
  auto& a = v.get_ref<Json::array_t&>();
  a.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if constexpr (std::is_same_v<T, std::string>)
      put(a[i], items[i]);
    else
      a[i] = items[i];
  }
}

bool same_event(const Json& v, const Event& e) {
  if (!v.is_object()) return false;
  auto time = v.find("time_usec"), text = v.find("text");
  return time != v.end() && text != v.end() && time->is_number_unsigned() && text->is_string() &&
         time->get<uint64_t>() == e.time_usec && text->get_ref<const std::string&>() == e.text;
}

// MonitorState::add_event() drops the oldest event past kMaxEvents: the
// array drops as many from its front (up to the first entry that is the
// state's oldest event) rather than rewriting each entry in the next one's
// place. Every entry is assigned after, so the array equals the events
// whatever came before.
void put_events(Json& v, const std::vector<Event>& events) {
  if (!v.is_array()) v = Json::array();
  auto& a = v.get_ref<Json::array_t&>();
  if (!events.empty()) {
    size_t oldest = 0;
    while (oldest < a.size() && !same_event(a[oldest], events.front())) ++oldest;
    if (oldest < a.size()) a.erase(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(oldest));
  }
  a.resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (same_event(a[i], events[i])) continue;
    if (!a[i].is_object()) a[i] = Json::object();
    slot(a[i], "time_usec") = events[i].time_usec;
    put(slot(a[i], "text"), events[i].text);
  }
}

// Which field goes under which key: serialize() fills an empty document,
// StateWriter its kept one. (The object keeps its keys sorted: the order
// here is not the record's.) Every key is assigned on every call: a field
// written only sometimes must be erased (j.erase(key)) when it is not,
// or the kept document would keep its old value where serialize() has none.
void fill(Json& j, const MonitorState& s) {
  if (!j.is_object()) j = Json::object();
  put(slot(j, "unit_path"), s.unit_path);
  put(slot(j, "boot_id"), s.boot_id);
  slot(j, "monitor_pid") = s.monitor_pid;
  slot(j, "monitor_start_time") = s.monitor_start_time;
  put(slot(j, "active_state"), to_string(s.active_state()));
  put(slot(j, "sub_state"), to_string(s.sub_state));
  put(slot(j, "result"), to_string(s.result));
  slot(j, "state_since_usec") = s.state_since_usec;
  slot(j, "main_pid") = s.main_pid;
  slot(j, "main_start_time") = s.main_start_time;
  slot(j, "main_started_usec") = s.main_started_usec;
  slot(j, "main_sid") = s.main_sid;
  slot(j, "exit_code") = s.exit_code;
  slot(j, "exit_signal") = s.exit_signal;
  slot(j, "restarts") = s.restarts;
  put(slot(j, "status_text"), s.status_text);
  slot(j, "service_errno") = s.service_errno;
  slot(j, "ready_usec") = s.ready_usec;
  put(slot(j, "invocation_id"), s.invocation_id);
  put_list(slot(j, "protections"), s.protections);
  put(slot(j, "condition_text"), s.condition_text);
  slot(j, "condition_usec") = s.condition_usec;
  slot(j, "foreground") = s.foreground;
  put_list(slot(j, "start_limit_starts"), s.start_limit_starts);
  put_events(slot(j, "events"), s.events);
}

std::string dump(const Json& j) {
  std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  text += '\n';
  return text;
}

}  // namespace

std::string serialize(const MonitorState& s) {
  Json j = Json::object();
  fill(j, s);
  return dump(j);
}

struct StateWriter::Document {
  Json json = Json::object();
};

StateWriter::StateWriter() = default;
StateWriter::~StateWriter() = default;

std::string StateWriter::text(const MonitorState& s) {
  if (!document_) document_ = std::make_unique<Document>();
  fill(document_->json, s);
  return dump(document_->json);
}

Status StateWriter::write(const std::string& path, const MonitorState& s) {
  return safe_files::rewrite(path, text(s), 0644);
}

namespace {

// The whole record, as the SAX parser hands it over: no document is built
// (a std::map of ~25 values, 20 event objects, then a lookup per field and
// the teardown: about half of what reading the record cost a `start`,
// 45 → 23 us from the CLI's exec, uprobes). Exactly what the document's
// j.value() reads gave: a wanted field of the wrong type (null included)
// makes no record; integers and booleans convert to the numeric fields and
// fractions are cast, as get<>() converts them; `foreground` is a boolean
// only; `protections` and `start_limit_starts` keep their strings and
// unsigned integers and skip the rest, and are ignored when no array;
// `events` must hold objects (value() on anything else threw), whose
// `time_usec` and `text` are converted the same way (a boolean is no
// 64-bit number there, as for get<uint64_t>()). A key given twice (unitrun
// never writes one twice) differs from the document, which kept the last:
// here each value is read as it comes, so a first one of the wrong type
// refuses the record even when the last one would do.
class StateReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit StateReader(MonitorState& s) : s_(s) {}
  bool ok() const { return object_ && sub_state_ && result_; }
  SubState sub_state() const { return *sub_state_; }
  ServiceResult result() const { return *result_; }

  bool null() override { return scalar(Kind::Null, 0, 0, 0.0, nullptr); }
  bool boolean(bool v) override { return scalar(Kind::Bool, 0, v ? 1 : 0, 0.0, nullptr); }
  bool number_integer(number_integer_t v) override { return scalar(Kind::Integer, v, 0, 0.0, nullptr); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(Kind::Unsigned, 0, v, 0.0, nullptr); }
  bool number_float(number_float_t v, const string_t&) override { return scalar(Kind::Float, 0, 0, v, nullptr); }
  bool string(string_t& v) override { return scalar(Kind::String, 0, 0, 0.0, &v); }
  bool binary(binary_t&) override { return scalar(Kind::Other, 0, 0, 0.0, nullptr); }
  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      key_ = key_of(k);
      // A key given again replaces what it held, as in the document.
      if (key_ == Key::Protections) s_.protections.clear();
      if (key_ == Key::StartLimitStarts) s_.start_limit_starts.clear();
      if (key_ == Key::Events) s_.events.clear();
    } else if (depth_ == 3 && in_events_) {
      event_key_ = k == "time_usec" ? EventKey::Time : k == "text" ? EventKey::Text : EventKey::None;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum class Kind { Null, Bool, Integer, Unsigned, Float, String, Other };
  enum class Key {
    None,
    UnitPath,
    BootId,
    MonitorPid,
    MonitorStartTime,
    SubState,
    Result,
    StateSince,
    MainPid,
    MainStartTime,
    MainStarted,
    MainSid,
    ExitCode,
    ExitSignal,
    Restarts,
    StatusText,
    ServiceErrno,
    ReadyUsec,
    InvocationId,
    ConditionText,
    ConditionUsec,
    Foreground,
    UnitDigest,
    Protections,
    StartLimitStarts,
    Events,
  };
  enum class EventKey { None, Time, Text };

  static Key key_of(const std::string& k) {
    static constexpr std::pair<std::string_view, Key> kKeys[] = {
        {"unit_path", Key::UnitPath},
        {"boot_id", Key::BootId},
        {"monitor_pid", Key::MonitorPid},
        {"monitor_start_time", Key::MonitorStartTime},
        {"sub_state", Key::SubState},
        {"result", Key::Result},
        {"state_since_usec", Key::StateSince},
        {"main_pid", Key::MainPid},
        {"main_start_time", Key::MainStartTime},
        {"main_started_usec", Key::MainStarted},
        {"main_sid", Key::MainSid},
        {"exit_code", Key::ExitCode},
        {"exit_signal", Key::ExitSignal},
        {"restarts", Key::Restarts},
        {"status_text", Key::StatusText},
        {"service_errno", Key::ServiceErrno},
        {"ready_usec", Key::ReadyUsec},
        {"invocation_id", Key::InvocationId},
        {"condition_text", Key::ConditionText},
        {"condition_usec", Key::ConditionUsec},
        {"foreground", Key::Foreground},
        {"unit_digest", Key::UnitDigest},
        {"protections", Key::Protections},
        {"start_limit_starts", Key::StartLimitStarts},
        {"events", Key::Events},
    };
    for (const auto& [name, key] : kKeys)
      if (k == name) return key;
    return Key::None;
  }

  static bool is_list(Key k) { return k == Key::Protections || k == Key::StartLimitStarts || k == Key::Events; }

  // A number as get<T>() gives it: from an integer, an unsigned integer or
  // a fraction, and from a boolean unless T is the library's own 64-bit
  // integer type (its get_arithmetic_value() takes no boolean); false for
  // anything else. Only the value's own member is read.
  template <typename T>
  static bool number(Kind kind, int64_t i, uint64_t u, double f, T& out) {
    if constexpr (std::is_same_v<T, uint64_t> || std::is_same_v<T, int64_t>)
      if (kind == Kind::Bool) return false;
    switch (kind) {
      case Kind::Integer:
        out = static_cast<T>(i);
        return true;
      case Kind::Unsigned:
      case Kind::Bool:
        out = static_cast<T>(u);
        return true;
      case Kind::Float:
        out = static_cast<T>(f);
        return true;
      default:
        return false;
    }
  }

  bool scalar(Kind kind, int64_t i, uint64_t u, double f, std::string* text) {
    if (depth_ == 0) return true;  // no object: ok() says no
    if (depth_ == 2 && list_ == Key::Protections) {
      if (text) s_.protections.push_back(std::move(*text));
      return true;
    }
    if (depth_ == 2 && list_ == Key::StartLimitStarts) {
      if (kind == Kind::Unsigned) s_.start_limit_starts.push_back(u);
      return true;
    }
    if (depth_ == 2 && list_ == Key::Events) return false;  // an event that is no object
    if (depth_ == 3 && in_events_) {
      if (event_key_ == EventKey::Time) return number(kind, i, u, f, s_.events.back().time_usec);
      if (event_key_ == EventKey::Text) {
        if (!text) return false;
        s_.events.back().text = std::move(*text);
      }
      return true;
    }
    if (depth_ != 1) return true;
    auto string_field = [&](std::string& out) {
      if (!text) return false;
      out = std::move(*text);
      return true;
    };
    switch (key_) {
      case Key::None:
      case Key::Protections:
      case Key::StartLimitStarts:
      case Key::Events:
        return true;  // not an array: no entries
      case Key::UnitPath:
        return string_field(s_.unit_path);
      case Key::BootId:
        return string_field(s_.boot_id);
      case Key::StatusText:
        return string_field(s_.status_text);
      case Key::InvocationId:
        return string_field(s_.invocation_id);
      case Key::ConditionText:
        return string_field(s_.condition_text);
      case Key::UnitDigest:
        return string_field(s_.unit_digest);
      case Key::SubState:
        if (!text) return false;
        sub_state_ = parse_sub_state(*text);
        return true;
      case Key::Result:
        if (!text) return false;
        result_ = parse_service_result(*text);
        return true;
      case Key::Foreground:
        if (kind != Kind::Bool) return false;
        s_.foreground = u != 0;
        return true;
      case Key::MonitorPid:
        return number(kind, i, u, f, s_.monitor_pid);
      case Key::MonitorStartTime:
        return number(kind, i, u, f, s_.monitor_start_time);
      case Key::StateSince:
        return number(kind, i, u, f, s_.state_since_usec);
      case Key::MainPid:
        return number(kind, i, u, f, s_.main_pid);
      case Key::MainStartTime:
        return number(kind, i, u, f, s_.main_start_time);
      case Key::MainStarted:
        return number(kind, i, u, f, s_.main_started_usec);
      case Key::MainSid:
        return number(kind, i, u, f, s_.main_sid);
      case Key::ExitCode:
        return number(kind, i, u, f, s_.exit_code);
      case Key::ExitSignal:
        return number(kind, i, u, f, s_.exit_signal);
      case Key::Restarts:
        return number(kind, i, u, f, s_.restarts);
      case Key::ServiceErrno:
        return number(kind, i, u, f, s_.service_errno);
      case Key::ReadyUsec:
        return number(kind, i, u, f, s_.ready_usec);
      case Key::ConditionUsec:
        return number(kind, i, u, f, s_.condition_usec);
    }
    return true;
  }

  bool open(bool object) {
    if (depth_ == 0) {
      if (!object) return false;  // a record is an object
      object_ = true;
    } else if (depth_ == 1) {
      // A container where a wanted field has a plain value: the wrong type.
      if (key_ != Key::None && !is_list(key_)) return false;
      if (!object && is_list(key_)) list_ = key_;
    } else if (depth_ == 2 && list_ == Key::Events) {
      if (!object) return false;  // an event that is no object
      s_.events.push_back({});
      in_events_ = true;
      event_key_ = EventKey::None;
    } else if (depth_ == 3 && in_events_ && event_key_ != EventKey::None) {
      return false;  // time_usec or text of the wrong type
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 1) list_ = Key::None;
    if (depth_ == 2) in_events_ = false;
    return true;
  }

  MonitorState& s_;
  int depth_ = 0;
  bool object_ = false;
  Key key_ = Key::None;
  Key list_ = Key::None;    // the array being read at depth 2
  bool in_events_ = false;  // inside one event object (depth 3)
  EventKey event_key_ = EventKey::None;
  std::optional<SubState> sub_state_;
  std::optional<ServiceResult> result_;
};

}  // namespace

std::optional<MonitorState> parse_state(const std::string& text) {
  MonitorState s;
  StateReader reader(s);
  // A record in words this unitrun does not know is no record; nor is a
  // damaged one (treated like a missing one).
  if (!nlohmann::json::sax_parse(text, &reader) || !reader.ok()) return std::nullopt;
  s.sub_state = reader.sub_state();
  s.result = reader.result();
  return s;
}

Status write_state(const std::string& path, const MonitorState& s) {
  return safe_files::rewrite(path, serialize(s), 0644);
}

std::optional<MonitorState> read_state(const std::string& path) {
  auto dir = safe_files::parent_directory(path, false);
  if (!dir) return std::nullopt;
  return read_state_in(dir->get(), base_name(path), path);
}

namespace {

// The record `name` in `dir_fd`, read and handed to `parse`; a text that
// `settled` says is answered already gives nullopt at once. A second look
// when the first did not parse: the monitor may have been rewriting the
// very file we had open (safe_files::rewrite).
template <typename Parse, typename Settled>
std::optional<MonitorState> read_record_in(int dir_fd, const std::string& name, const std::string& path, Parse parse,
                                           Settled settled) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto fd = safe_files::open_for_reading_in(dir_fd, name, path);
    if (!fd) return std::nullopt;
    auto text = sys::read_all(fd->get(), 1 << 20);
    if (!text || settled(*text)) return std::nullopt;
    if (auto state = parse(*text)) return state;
  }
  return std::nullopt;
}

bool never_settled(const std::string&) { return false; }

}  // namespace

std::optional<MonitorState> read_state_in(int dir_fd, const std::string& name, const std::string& path) {
  return read_record_in(dir_fd, name, path, parse_state, never_settled);
}

namespace {

// The top-level keys parse_state_summary() wants, as the SAX parser hands
// them over; any value of another type fails the parse, as a wrong type
// fails parse_state()'s j.value().
class SummaryReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit SummaryReader(MonitorState& s) : s_(s) {}
  bool ok() const { return sub_state_ && result_; }

  bool null() override { return plain(); }
  // Integers, and booleans, convert, as j.value() converts them (a
  // fraction is refused: no record has one).
  bool boolean(bool v) override { return number(v ? 1 : 0); }
  bool number_integer(number_integer_t v) override { return number(v); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<int64_t>(v)); }
  bool number_float(number_float_t, const string_t&) override { return plain(); }
  bool string(string_t& v) override {
    if (depth_ != 1) return true;
    switch (key_) {
      case Key::SubState:
        if (!(sub_state_ = parse_sub_state(v))) return false;
        s_.sub_state = *sub_state_;
        return true;
      case Key::Result:
        if (!(result_ = parse_service_result(v))) return false;
        s_.result = *result_;
        return true;
      case Key::None:
        return true;
      default:
        return false;
    }
  }
  bool binary(binary_t&) override { return plain(); }
  bool start_object(std::size_t) override { return nest(); }
  bool end_object() override { return --depth_, true; }
  bool start_array(std::size_t) override { return nest(); }
  bool end_array() override { return --depth_, true; }
  bool key(string_t& k) override {
    if (depth_ != 1) return true;
    key_ = k == "monitor_pid"          ? Key::MonitorPid
           : k == "monitor_start_time" ? Key::MonitorStartTime
           : k == "sub_state"          ? Key::SubState
           : k == "result"             ? Key::Result
                                       : Key::None;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum class Key { None, MonitorPid, MonitorStartTime, SubState, Result };

  // A value of the wrong type for a wanted key.
  bool plain() { return depth_ != 1 || key_ == Key::None; }
  bool nest() {
    if (depth_ == 0 && ++depth_) return true;  // the record itself
    if (!plain()) return false;
    ++depth_;
    return true;
  }
  bool number(int64_t v) {
    if (depth_ != 1) return true;
    switch (key_) {
      case Key::MonitorPid:
        s_.monitor_pid = static_cast<pid_t>(v);
        return true;
      case Key::MonitorStartTime:
        s_.monitor_start_time = static_cast<uint64_t>(v);
        return true;
      case Key::None:
        return true;
      default:
        return false;
    }
  }

  MonitorState& s_;
  int depth_ = 0;
  Key key_ = Key::None;
  std::optional<SubState> sub_state_;
  std::optional<ServiceResult> result_;
};

}  // namespace

std::optional<MonitorState> parse_state_summary(const std::string& text) {
  MonitorState s;
  SummaryReader reader(s);
  if (!nlohmann::json::sax_parse(text, &reader) || !reader.ok()) return std::nullopt;
  return s;
}

std::optional<MonitorState> read_state_summary(const std::string& path) {
  auto dir = safe_files::parent_directory(path, false);
  if (!dir) return std::nullopt;
  return read_state_summary_in(dir->get(), base_name(path), path);
}

std::optional<MonitorState> read_state_summary_in(int dir_fd, const std::string& name, const std::string& path) {
  return read_record_in(dir_fd, name, path, parse_state_summary, never_settled);
}

namespace {

// The record's first key and its value, and no further: the SAX parse is
// ended (false) once they are read, or at anything else first.
class FirstKeyReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool finished() const { return finished_; }

  bool null() override { return false; }
  bool boolean(bool) override { return false; }
  bool number_integer(number_integer_t) override { return false; }
  bool number_unsigned(number_unsigned_t) override { return false; }
  bool number_float(number_float_t, const string_t&) override { return false; }
  bool string(string_t& v) override {
    finished_ = active_state_ && (v == to_string(ActiveState::Inactive) || v == to_string(ActiveState::Failed));
    return false;
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return !object_ && (object_ = true); }
  bool end_object() override { return false; }
  bool start_array(std::size_t) override { return false; }
  bool end_array() override { return false; }
  bool key(string_t& k) override { return (active_state_ = k == "active_state"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool object_ = false;
  bool active_state_ = false;
  bool finished_ = false;
};

}  // namespace

bool state_text_says_finished(const std::string& text) {
  FirstKeyReader reader;
  (void)nlohmann::json::sax_parse(text, &reader);  // ended by the reader: false, always
  return reader.finished();
}

std::optional<MonitorState> read_state_unless_finished(const std::string& path) {
  auto dir = safe_files::parent_directory(path, false);
  if (!dir) return std::nullopt;
  return read_record_in(dir->get(), base_name(path), path, parse_state, state_text_says_finished);
}

std::optional<pid_t> parse_pidfile(const std::string& content) {
  std::string_view s = content;
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (s.empty() || s.size() > 10 || s[0] == '0') return std::nullopt;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v <= 1 || v > 4194304) return std::nullopt;  // PID 1 is never a service; pid_max is at most 2^22
  return static_cast<pid_t>(v);
}

}  // namespace unitrun
