// `unitrun status`: the shape of `systemctl status`, with LSB exit codes.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "cli/unit_runtime.h"
#include "process/cgroup.h"
#include "runtime/output_tail.h"
#include "runtime/safe_files.h"
#include "unit/unit_loader.h"
#include "unit/values.h"

namespace unitrun::cli {
namespace {

std::string format_time(uint64_t realtime_usec) {
  if (realtime_usec == 0) return "";
  time_t t = static_cast<time_t>(realtime_usec / kUsecPerSec);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
  return buf;
}

std::string format_ago(uint64_t realtime_usec) {
  uint64_t now = sys::now_realtime_usec();
  if (realtime_usec == 0 || realtime_usec > now) return "";
  uint64_t d = now - realtime_usec;
  d = d >= kUsecPerSec ? d / kUsecPerSec * kUsecPerSec : d / 1000 * 1000;
  return values::format_timespan(d) + " ago";
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ULL << 30))
    std::snprintf(buf, sizeof buf, "%.1fG", static_cast<double>(b) / (1ULL << 30));
  else if (b >= (1ULL << 20))
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(b) / (1ULL << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1fK", static_cast<double>(b) / 1024);
  return buf;
}

struct TreeLine {
  pid_t pid;
  std::string prefix, command;
};

// The processes under `root` drawn as systemctl draws a cgroup.
std::vector<TreeLine> process_tree(pid_t root, const std::vector<proc::Stat>& members) {
  std::multimap<pid_t, pid_t> children;
  for (const proc::Stat& s : members) children.emplace(s.ppid, s.pid);
  std::vector<TreeLine> out;
  std::function<void(pid_t, const std::string&)> walk = [&](pid_t parent, const std::string& indent) {
    auto [b, e] = children.equal_range(parent);
    for (auto it = b; it != e; ++it) {
      bool last = std::next(it) == e;
      out.push_back({it->second, indent + (last ? "└─" : "├─"), escape_for_terminal(proc::cmdline(it->second))});
      walk(it->second, indent + (last ? "  " : "│ "));
    }
  };
  walk(root, "");
  return out;
}

std::string active_line(const Unit& u, const RuntimeView& v) {
  const MonitorState* s = v.state ? &*v.state : nullptr;
  switch (v.liveness) {
    case Liveness::Running: {
      // systemctl's words: "active (running)", "activating (start-pre)",
      // "deactivating (stop-sigterm)", ...
      SubState sub = s ? s->sub_state : SubState::Running;
      std::string text = std::string(to_string(active_state_of(sub))) + " (" + to_string(sub) + ")";
      // What the start waits for, where it is not plain to see.
      if (sub == SubState::Start && u.type == ServiceType::Dbus)
        text += ": waiting for BusName=" + u.bus_name + " on the system bus";
      if (s && s->main_started_usec)
        text += " since " + format_time(s->main_started_usec) + "; " + format_ago(s->main_started_usec);
      return text;
    }
    case Liveness::Orphaned:
      return "active (running, without its monitor: the monitor died; `stop` ends the service)";
    case Liveness::DeadPidfile:
      return "inactive (dead), but a pidfile is left";
    case Liveness::Outside:
      return "active (running outside unitrun: PIDFile= names pid " + std::to_string(v.outsider->pid) + " (" +
             escape_for_terminal(v.outsider->comm) + "), which unitrun did not start)";
    case Liveness::NotRunning:
      break;
  }
  if (s && s->sub_state == SubState::Failed) {
    std::string text = std::string("failed (Result: ") + to_string(s->result);
    if (s->exit_code >= 0 && s->result == ServiceResult::ExitCode) text += ", status=" + std::to_string(s->exit_code);
    if (s->exit_signal > 0) text += ", signal=" + values::signal_name(s->exit_signal);
    text += ")";
    if (s->state_since_usec)
      text += " since " + format_time(s->state_since_usec) + "; " + format_ago(s->state_since_usec);
    return text;
  }
  std::string text = "inactive (dead)";
  if (s && s->state_since_usec)
    text += " since " + format_time(s->state_since_usec) + "; " + format_ago(s->state_since_usec);
  return text;
}

int exit_for(Liveness l) {
  switch (l) {
    case Liveness::Running:
    case Liveness::Orphaned:
    case Liveness::Outside:  // LSB: the program runs (pidofproc would say so too)
      return exit_code::kStatusRunning;
    case Liveness::DeadPidfile:
      return exit_code::kStatusDeadWithPidfile;
    case Liveness::NotRunning:
      return exit_code::kStatusNotRunning;
  }
  return exit_code::kStatusUnknown;
}

}  // namespace

int status(const std::string& path, bool json) {
  unit::LoadResult r = unit::load(path, unit::ValidateMode::Start);
  for (const Diagnostic& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.format(r.display_path).c_str());
  if (!r.readable || has_errors(r.diagnostics)) return exit_code::kStatusUnknown;
  const Unit& u = r.unit;
  RuntimeFiles files = runtime_files_for(u);

  RuntimeView view;
  if (::access(files.lock.c_str(), F_OK) == 0) {
    auto lock = UnitLock::open(files.lock);
    if (!lock) {
      std::fprintf(stderr, "unitrun: %s\n", lock.error().message().c_str());
      return exit_code::kStatusUnknown;
    }
    view = inspect(u, files, *lock);
  } else if (auto fd = safe_files::open_for_reading(files.pidfile)) {
    view.liveness = Liveness::DeadPidfile;
    if (auto c = sys::read_all(fd->get(), 4096)) {
      view.pidfile_content = *c;
      view.outsider = running_outside(u, *c);
      if (view.outsider) view.liveness = Liveness::Outside;
    }
  }
  // Not the caller's own instance, but root's: status may say that it runs
  // (everything but root's log, which others may not read).
  bool as_root = false;
  if (view.liveness == Liveness::NotRunning || view.liveness == Liveness::DeadPidfile) {
    if (auto root = run_by_root(u)) {
      view = RuntimeView{};
      view.liveness = Liveness::Running;
      view.state = std::move(*root);
      as_root = true;
    }
  }
  const MonitorState* s = view.state ? &*view.state : nullptr;

  pid_t main_pid = 0, monitor_pid = 0;
  std::vector<proc::Stat> members;
  if (view.liveness == Liveness::Running && s) {
    main_pid = s->main_pid;
    monitor_pid = s->monitor_pid;
    members = proc::descendants_of(monitor_pid);
  } else if (view.liveness == Liveness::Orphaned) {
    members = view.orphans;
    // The recorded main PID only while that very process survives; the
    // orphans may be its children, with the main process long gone.
    for (const proc::Stat& o : view.orphans)
      if (s && o.pid == s->main_pid && o.start_time == s->main_start_time) main_pid = o.pid;
  }
  uint64_t memory = 0;
  for (const proc::Stat& m : members) memory += proc::memory_bytes(m.pid);
  // The unit's cgroup, when it has one: its own count of memory and tasks,
  // and the limits beside them, as systemctl shows them.
  std::optional<process::CgroupUsage> usage;
  if (!members.empty())
    if (auto cg = process::find_unit_cgroup(u.name)) usage = cg->usage();
  if (usage && usage->memory_current) memory = *usage->memory_current;
  // Under root, a default log is root's, elsewhere than the caller's default.
  bool own_log = !as_root || u.standard_output.kind != OutputSpec::Kind::Default;
  bool foreground = output_inherited(view.state);
  std::string log_path = own_log ? output_file(u, foreground, sys::journald_listening()) : "";
  std::vector<std::string> log = read_tail(log_path, 10, 65536).lines;
  int code = exit_for(view.liveness);

  if (json) {
    nlohmann::json j = {{"name", u.name},      {"description", u.description},
                        {"unit_path", u.path}, {"active", active_line(u, view)},
                        {"exit_code", code},   {"pidfile", files.pidfile}};
    // systemd's ActiveState and SubState; an orphaned service (its
    // monitor died) is active, and its sub-state says so.
    ActiveState active = view.liveness == Liveness::Running && s ? s->active_state()
                         : view.liveness == Liveness::Orphaned   ? ActiveState::Active
                         : s && s->sub_state == SubState::Failed ? ActiveState::Failed
                                                                 : ActiveState::Inactive;
    j["active_state"] = to_string(active);
    j["sub_state"] = view.liveness == Liveness::Running && s ? to_string(s->sub_state)
                     : view.liveness == Liveness::Orphaned   ? "orphaned"
                     : active == ActiveState::Failed         ? "failed"
                                                             : "dead";
    j["main_pid"] = main_pid;
    j["monitor_pid"] = monitor_pid;
    j["run_by_root"] = as_root;
    j["tasks"] = members.size();
    j["memory_bytes"] = memory;
    if (usage) {
      if (usage->memory_max && *usage->memory_max != UINT64_MAX) j["memory_max"] = *usage->memory_max;
      if (usage->tasks_max && *usage->tasks_max != UINT64_MAX) j["tasks_max"] = *usage->tasks_max;
      if (usage->oom_kills) j["oom_kills"] = *usage->oom_kills;
    }
    if (s) j["protections"] = s->protections;
    if (s) {
      j["result"] = to_string(s->result);
      j["since_usec"] = s->state_since_usec;
      j["main_started_usec"] = s->main_started_usec;
      j["last_exit_code"] = s->exit_code;
      j["last_exit_signal"] = s->exit_signal;
      j["restarts"] = s->restarts;
      j["status_text"] = s->status_text;
      j["service_errno"] = s->service_errno;
      j["ready_usec"] = s->ready_usec;
      j["condition_text"] = s->condition_text;
      j["condition_usec"] = s->condition_usec;
      nlohmann::json events = nlohmann::json::array();
      for (const Event& e : s->events) events.push_back({{"time_usec", e.time_usec}, {"text", e.text}});
      j["events"] = events;
    }
    nlohmann::json procs = nlohmann::json::array();
    for (const proc::Stat& m : members)
      procs.push_back({{"pid", m.pid}, {"ppid", m.ppid}, {"command", proc::cmdline(m.pid)}});
    j["processes"] = procs;
    j["log"] = log;
    if (view.pidfile_content) j["pidfile_content"] = *view.pidfile_content;
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return code;
  }

  const char* dot = code == 0 ? "●" : (s && s->sub_state == SubState::Failed) ? "×" : "○";
  // Everything below that a service (or a unit file's author) controls goes
  // through escape_for_terminal(): an ESC sequence in STATUS= or argv must
  // not reach the admin's terminal as a command.
  std::printf("%s %s%s%s\n", dot, escape_for_terminal(u.name).c_str(), u.description.empty() ? "" : " - ",
              escape_for_terminal(u.description).c_str());
  std::printf("     Loaded: %s\n", escape_for_terminal(u.path).c_str());
  std::printf("     Active: %s\n", active_line(u, view).c_str());
  if (main_pid > 0) {
    auto main_stat = proc::read_stat(main_pid);
    std::printf("   Main PID: %d (%s)\n", main_pid, main_stat ? escape_for_terminal(main_stat->comm).c_str() : "?");
  }
  if (monitor_pid > 0) std::printf("    Monitor: %d (unitrun%s)\n", monitor_pid, as_root ? ", run by root" : "");
  if (s && !s->status_text.empty()) std::printf("     Status: \"%s\"\n", escape_for_terminal(s->status_text).c_str());
  if (s && s->service_errno > 0)
    std::printf("      Error: %d (%s)\n", s->service_errno, std::strerror(s->service_errno));
  // Ready: the moment this run came up; a record that is between runs
  // (restarting, stopping) has none.
  if (view.liveness == Liveness::Running && s && s->ready_usec &&
      (s->sub_state == SubState::Running || s->sub_state == SubState::Reload))
    std::printf("      Ready: %s; %s\n", format_time(s->ready_usec).c_str(), format_ago(s->ready_usec).c_str());
  if (s && s->restarts > 0) std::printf("   Restarts: %u\n", s->restarts);
  if (s && !s->condition_text.empty() && s->condition_usec) {
    // As systemctl: the last start's failed condition, and when.
    std::printf("  Condition: start condition failed at %s; %s\n", format_time(s->condition_usec).c_str(),
                format_ago(s->condition_usec).c_str());
    std::printf("             └─ %s\n", escape_for_terminal(s->condition_text).c_str());
  }
  if (view.liveness == Liveness::DeadPidfile && view.pidfile_content) {
    std::string content = *view.pidfile_content;
    while (!content.empty() && content.back() == '\n') content.pop_back();
    std::printf("    PIDFile: %s (stale: \"%s\")\n", escape_for_terminal(files.pidfile).c_str(),
                escape_for_terminal(content.substr(0, 40)).c_str());
  }
  if (s && !s->protections.empty() && view.liveness == Liveness::Running) {
    std::string line;
    for (const std::string& p : s->protections) line += (line.empty() ? "" : ", ") + p;
    std::printf(" Protection: %s\n", escape_for_terminal(line).c_str());
  }
  if (!members.empty()) {
    auto limit = [](const std::optional<uint64_t>& v, bool bytes) -> std::string {
      if (!v || *v == UINT64_MAX) return "";
      return bytes ? human_bytes(*v) : std::to_string(*v);
    };
    std::string tasks_max = usage ? limit(usage->tasks_max, false) : "";
    std::string memory_max = usage ? limit(usage->memory_max, true) : "";
    std::string memory_high = usage ? limit(usage->memory_high, true) : "";
    std::printf("      Tasks: %zu%s\n", members.size(),
                tasks_max.empty() ? "" : (" (limit: " + tasks_max + ")").c_str());
    std::string mem = human_bytes(memory);
    std::string limits;
    if (!memory_high.empty()) limits += "high: " + memory_high;
    if (!memory_max.empty()) limits += (limits.empty() ? "" : " ") + std::string("max: ") + memory_max;
    std::printf("     Memory: %s%s\n", mem.c_str(), limits.empty() ? "" : (" (" + limits + ")").c_str());
    if (monitor_pid > 0) {
      std::printf("    Process: %d (unitrun monitor)\n", monitor_pid);
      for (const TreeLine& t : process_tree(monitor_pid, members))
        std::printf("             %s%d %s\n", t.prefix.c_str(), t.pid, t.command.c_str());
    } else {
      // Orphans hang under whoever adopted them (PID 1, a subreaper), each
      // with its own subtree.
      std::printf("    Process: (no monitor: its processes were adopted by others)\n");
      std::set<pid_t> ours;
      for (const proc::Stat& m : members) ours.insert(m.pid);
      for (const proc::Stat& m : members) {
        if (ours.count(m.ppid)) continue;  // drawn under its parent
        std::printf("             %d %s\n", m.pid, escape_for_terminal(proc::cmdline(m.pid)).c_str());
        for (const TreeLine& t : process_tree(m.pid, members))
          std::printf("             %s%d %s\n", t.prefix.c_str(), t.pid, t.command.c_str());
      }
    }
  }
  if (s && !s->events.empty()) {
    std::printf("\n");
    size_t first = s->events.size() > 5 ? s->events.size() - 5 : 0;
    for (size_t i = first; i < s->events.size(); ++i)
      std::printf("%s %s: %s\n", format_time(s->events[i].time_usec).c_str(), escape_for_terminal(u.name).c_str(),
                  escape_for_terminal(s->events[i].text).c_str());
  }
  if (!log.empty()) {
    std::printf("\n%s:\n", escape_for_terminal(log_path).c_str());
    for (const std::string& l : log) std::printf("  %s\n", escape_for_terminal(l).c_str());
  }
  return code;
}

}  // namespace unitrun::cli
