#include "runtime/runtime_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

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

std::string serialize(const MonitorState& s) {
  nlohmann::json events = nlohmann::json::array();
  for (const Event& e : s.events) events.push_back({{"time_usec", e.time_usec}, {"text", e.text}});
  nlohmann::json j = {{"unit_path", s.unit_path},
                      {"boot_id", s.boot_id},
                      {"monitor_pid", s.monitor_pid},
                      {"monitor_start_time", s.monitor_start_time},
                      {"active_state", to_string(s.active_state())},
                      {"sub_state", to_string(s.sub_state)},
                      {"result", to_string(s.result)},
                      {"state_since_usec", s.state_since_usec},
                      {"main_pid", s.main_pid},
                      {"main_start_time", s.main_start_time},
                      {"main_started_usec", s.main_started_usec},
                      {"main_sid", s.main_sid},
                      {"exit_code", s.exit_code},
                      {"exit_signal", s.exit_signal},
                      {"restarts", s.restarts},
                      {"status_text", s.status_text},
                      {"service_errno", s.service_errno},
                      {"ready_usec", s.ready_usec},
                      {"invocation_id", s.invocation_id},
                      {"protections", s.protections},
                      {"condition_text", s.condition_text},
                      {"condition_usec", s.condition_usec},
                      {"foreground", s.foreground},
                      {"start_limit_starts", s.start_limit_starts},
                      {"events", events}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<MonitorState> parse_state(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  MonitorState s;
  try {
    s.unit_path = j.value("unit_path", "");
    s.boot_id = j.value("boot_id", "");
    s.monitor_pid = j.value("monitor_pid", 0);
    s.monitor_start_time = j.value("monitor_start_time", uint64_t{0});
    // A record in words this unitrun does not know is no record.
    auto sub_state = parse_sub_state(j.value("sub_state", ""));
    auto result = parse_service_result(j.value("result", ""));
    if (!sub_state || !result) return std::nullopt;
    s.sub_state = *sub_state;
    s.result = *result;
    s.state_since_usec = j.value("state_since_usec", uint64_t{0});
    s.main_pid = j.value("main_pid", 0);
    s.main_start_time = j.value("main_start_time", uint64_t{0});
    s.main_started_usec = j.value("main_started_usec", uint64_t{0});
    s.main_sid = j.value("main_sid", 0);
    s.exit_code = j.value("exit_code", -1);
    s.exit_signal = j.value("exit_signal", 0);
    s.restarts = j.value("restarts", 0u);
    s.status_text = j.value("status_text", "");
    s.service_errno = j.value("service_errno", 0);
    s.ready_usec = j.value("ready_usec", uint64_t{0});
    s.invocation_id = j.value("invocation_id", "");
    if (j.contains("protections") && j["protections"].is_array())
      for (const auto& p : j["protections"])
        if (p.is_string()) s.protections.push_back(p.get<std::string>());
    s.condition_text = j.value("condition_text", "");
    s.condition_usec = j.value("condition_usec", uint64_t{0});
    s.foreground = j.value("foreground", false);
    s.unit_digest = j.value("unit_digest", "");
    if (j.contains("start_limit_starts") && j["start_limit_starts"].is_array())
      for (const auto& t : j["start_limit_starts"])
        if (t.is_number_unsigned()) s.start_limit_starts.push_back(t.get<uint64_t>());
    if (j.contains("events") && j["events"].is_array())
      for (const auto& e : j["events"]) s.events.push_back({e.value("time_usec", uint64_t{0}), e.value("text", "")});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a damaged state file is treated like a missing one
  }
  return s;
}

Status write_state(const std::string& path, const MonitorState& s) {
  return safe_files::rewrite(path, serialize(s), 0644);
}

std::optional<MonitorState> read_state(const std::string& path) {
  auto dir = safe_files::open_parent_directory(path, false);
  if (!dir) return std::nullopt;
  return read_state_in(dir->get(), path.substr(path.rfind('/') + 1), path);
}

std::optional<MonitorState> read_state_in(int dir_fd, const std::string& name, const std::string& path) {
  // A second look when the first did not parse: the monitor may have been
  // rewriting the very file we had open (safe_files::rewrite).
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto fd = safe_files::open_for_reading_in(dir_fd, name, path);
    if (!fd) return std::nullopt;
    auto text = sys::read_all(fd->get(), 1 << 20);
    if (!text) return std::nullopt;
    if (auto state = parse_state(*text)) return state;
  }
  return std::nullopt;
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
  auto dir = safe_files::open_parent_directory(path, false);
  if (!dir) return std::nullopt;
  return read_state_summary_in(dir->get(), path.substr(path.rfind('/') + 1), path);
}

std::optional<MonitorState> read_state_summary_in(int dir_fd, const std::string& name, const std::string& path) {
  // A second look when the first did not parse, as read_state_in().
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto fd = safe_files::open_for_reading_in(dir_fd, name, path);
    if (!fd) return std::nullopt;
    auto text = sys::read_all(fd->get(), 1 << 20);
    if (!text) return std::nullopt;
    if (auto state = parse_state_summary(*text)) return state;
  }
  return std::nullopt;
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
