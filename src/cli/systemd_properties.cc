#include "cli/systemd_properties.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "base/exit_codes.h"

namespace unitrun::cli {
namespace {

// systemd's timestamp form ("Sun 2026-12-06 23:29:20 UTC"); empty when unset.
std::string timestamp(uint64_t realtime_usec) {
  if (realtime_usec == 0) return "";
  time_t t = static_cast<time_t>(realtime_usec / 1000000);
  struct tm tm;
  if (!localtime_r(&t, &tm)) return "";
  char buf[64];
  if (strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0) return "";
  return buf;
}

template <typename T>
T get(const nlohmann::json& j, const char* key, T otherwise) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return otherwise;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return otherwise;
  }
}

}  // namespace

Properties systemd_properties(const StatusRecord& record) {
  Properties p;
  auto add = [&](const char* key, std::string value) { p.emplace_back(key, std::move(value)); };
  if (!record.json) {
    add("Id", record.name);
    add("Names", record.name);
    add("Description", record.name);
    add("LoadState", "not-found");
    add("ActiveState", "inactive");
    add("SubState", "dead");
    add("MainPID", "0");
    add("UnitFileState", "");
    return p;
  }
  const nlohmann::json& j = *record.json;
  std::string name = get<std::string>(j, "name", record.name);
  std::string load = get<std::string>(j, "load_state", "loaded");
  if (load == "built-in") load = "loaded";  // a well-known target without a file
  bool service = name.size() > 8 && name.compare(name.size() - 8, 8, ".service") == 0;
  std::string active = get<std::string>(j, "active_state", "inactive");
  std::string sub = get<std::string>(j, "sub_state", "dead");
  if (sub == "orphaned") sub = "running";  // its monitor died, the service runs: active (running) to systemd
  add("Type", service ? get<std::string>(j, "type", "") : "");
  add("Restart", service ? get<std::string>(j, "restart", "") : "");
  add("NRestarts", service ? std::to_string(get<unsigned>(j, "restarts", 0)) : "");
  add("MainPID", service ? std::to_string(get<long>(j, "main_pid", 0)) : "");
  add("StatusText", get<std::string>(j, "status_text", ""));
  add("StatusErrno", service ? std::to_string(get<int>(j, "service_errno", 0)) : "");
  add("Result", service ? get<std::string>(j, "result", "success") : "");
  add("ExecMainStartTimestamp", timestamp(get<uint64_t>(j, "main_started_usec", 0)));
  // systemd keeps the last main process's PID, code and status after it ended.
  long exec_main_pid = get<long>(j, "exec_main_pid", 0);
  int exit_code = get<int>(j, "last_exit_code", -1), exit_signal = get<int>(j, "last_exit_signal", 0);
  // CLD_EXITED 1, CLD_KILLED 2 (waitid(2)'s si_code, which systemd reports).
  int code = exit_signal != 0 ? 2 : exit_code >= 0 ? 1 : 0;
  add("ExecMainPID", service ? std::to_string(exec_main_pid) : "");
  add("ExecMainCode", service ? std::to_string(code) : "");
  add("ExecMainStatus", service ? std::to_string(exit_signal != 0 ? exit_signal : std::max(exit_code, 0)) : "");
  if (auto m = j.find("memory_bytes"); m != j.end() && active != "inactive" && active != "failed")
    add("MemoryCurrent", std::to_string(get<uint64_t>(j, "memory_bytes", 0)));
  if (j.contains("tasks") && active != "inactive" && active != "failed")
    add("TasksCurrent", std::to_string(get<uint64_t>(j, "tasks", 0)));
  add("Id", name);
  add("Names", name);
  add("Description", get<std::string>(j, "description", ""));
  add("LoadState", load);
  add("ActiveState", active);
  add("SubState", sub);
  add("FragmentPath", get<std::string>(j, "unit_path", ""));
  std::string dropins;
  if (auto d = j.find("drop_ins"); d != j.end() && d->is_array())
    for (const auto& path : *d)
      if (path.is_string()) dropins += (dropins.empty() ? "" : " ") + path.get<std::string>();
  add("DropInPaths", dropins);
  add("UnitFileState", get<std::string>(j, "unit_file_state", ""));
  uint64_t since = get<uint64_t>(j, "since_usec", 0);
  bool up = active == "active" || active == "reloading" || active == "deactivating";
  add("StateChangeTimestamp", timestamp(since));
  add("ActiveEnterTimestamp",
      timestamp(up ? get<uint64_t>(j, "ready_usec", since) : get<uint64_t>(j, "ready_usec", 0)));
  add("InactiveEnterTimestamp", timestamp(active == "inactive" || active == "failed" ? since : 0));
  add("NeedDaemonReload", get<bool>(j, "unit_file_changed", false) ? "yes" : "no");
  // Properties that do not apply to this kind of unit are not printed.
  p.erase(std::remove_if(p.begin(), p.end(),
                         [&](const auto& kv) {
                           return !service &&
                                  (kv.first == "Type" || kv.first == "Restart" || kv.first.rfind("ExecMain", 0) == 0 ||
                                   kv.first == "NRestarts" || kv.first == "MainPID" || kv.first == "StatusErrno" ||
                                   kv.first == "Result" || kv.first == "StatusText");
                         }),
          p.end());
  return p;
}

std::string format_properties(const Properties& all, const std::vector<std::string>& wanted, bool value_only) {
  std::string out;
  auto line = [&](const std::pair<std::string, std::string>& kv) {
    out += value_only ? kv.second : kv.first + "=" + kv.second;
    out += "\n";
  };
  if (wanted.empty()) {
    for (const auto& kv : all)
      if (!kv.second.empty()) line(kv);
    return out;
  }
  for (const std::string& w : wanted)
    for (const auto& kv : all)
      if (kv.first == w) line(kv);
  return out;
}

int show_properties(const std::vector<std::string>& units, const std::vector<std::string>& wanted, bool value_only) {
  bool first = true;
  for (const StatusRecord& r : status_records(units)) {
    if (!first) std::printf("\n");
    first = false;
    std::fputs(format_properties(systemd_properties(r), wanted, value_only).c_str(), stdout);
  }
  return exit_code::kSuccess;
}

}  // namespace unitrun::cli
