#include "runtime/target_state.h"

#include "base/sys.h"
#include "runtime/safe_files.h"

namespace unitrun {

bool is_target_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".target";
  return name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix;
}

Status write_target_state(const std::string& name, const RuntimeFiles& files, bool active) {
  auto dir = safe_files::ensure_private_directory(files.directory);
  if (!dir) return dir.error();
  MonitorState s;
  if (auto old = read_state(files.state)) s = std::move(*old);
  s.unit_path = name;
  s.boot_id = sys::boot_id();
  s.monitor_pid = 0;
  s.monitor_start_time = 0;
  s.main_pid = 0;
  s.result = ServiceResult::Success;
  // A target has no process: Exited is "active with nothing running".
  SubState next = active ? SubState::Exited : SubState::Dead;
  if (s.sub_state != next || s.state_since_usec == 0) {
    s.sub_state = next;
    s.state_since_usec = sys::now_realtime_usec();
    s.add_event(active ? "target reached" : "target stopped");
  }
  return write_state(files.state, s);
}

bool target_record_active(const std::optional<MonitorState>& record) {
  return record && record->sub_state == SubState::Exited && record->boot_id == sys::boot_id();
}

}  // namespace unitrun
