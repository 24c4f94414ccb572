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
#include "cli/dependency_loader.h"
#include "cli/systemd_properties.h"
#include "cli/targets.h"
#include "cli/terminal.h"
#include "cli/unit_catalog.h"
#include "cli/unit_runtime.h"
#include "cli/unit_source.h"
#include "process/cgroup.h"
#include "runtime/output_tail.h"
#include "runtime/safe_files.h"
#include "runtime/target_state.h"
#include "runtime/unit_lock.h"
#include "unit/unit_file_state.h"
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
      using terminal::Glyph;
      out.push_back({it->second, indent + terminal::glyph(last ? Glyph::TreeRight : Glyph::TreeBranch),
                     escape_for_terminal(proc::cmdline(it->second))});
      walk(it->second, indent + terminal::glyph(last ? Glyph::TreeSpace : Glyph::TreeVertical));
    }
  };
  walk(root, "");
  return out;
}

// The Active: line in two parts, as systemctl colours it: the state words
// ("active (running)", "failed (Result: exit-code)") and what follows
// (" since ..."); `tone` is the colour of the first part.
struct ActiveLine {
  std::string state, rest;
  terminal::Tone tone = terminal::Tone::Plain;
  std::string text() const { return state + rest; }
};

std::string since(uint64_t usec) {
  if (!usec) return "";
  return " since " + format_time(usec) + "; " + format_ago(usec);
}

ActiveLine active_line(const Unit& u, const RuntimeView& v) {
  const MonitorState* s = v.state ? &*v.state : nullptr;
  using terminal::Tone;
  switch (v.liveness) {
    case Liveness::Running: {
      // systemctl's words: "active (running)", "activating (start-pre)",
      // "deactivating (stop-sigterm)", ...
      SubState sub = s ? s->sub_state : SubState::Running;
      std::string active = to_string(active_state_of(sub));
      std::string state = active + " (" + to_string(sub) + ")";
      // What the start waits for, where it is not plain to see.
      if (sub == SubState::Start && u.type == ServiceType::Dbus)
        state += ": waiting for BusName=" + u.bus_name + " on the system bus";
      return {state, s ? since(s->main_started_usec) : "", terminal::tone_of_active_state(active)};
    }
    case Liveness::Orphaned:
      return {"active (running, without its monitor: the monitor died; `stop` ends the service)", "", Tone::Good};
    case Liveness::DeadPidfile:
      return {"inactive (dead)", ", but a pidfile is left", Tone::Plain};
    case Liveness::Outside:
      return {"active (running outside unitrun: PIDFile= names pid " + std::to_string(v.outsider->pid) + " (" +
                  escape_for_terminal(v.outsider->comm) + "), which unitrun did not start)",
              "", Tone::Good};
    case Liveness::NotRunning:
      break;
  }
  if (s && s->sub_state == SubState::Failed) {
    std::string text = std::string("failed (Result: ") + to_string(s->result);
    if (s->exit_code >= 0 && s->result == ServiceResult::ExitCode) text += ", status=" + std::to_string(s->exit_code);
    if (s->exit_signal > 0) text += ", signal=" + values::signal_name(s->exit_signal);
    text += ")";
    return {text, since(s->state_since_usec), Tone::Bad};
  }
  return {"inactive (dead)", s ? since(s->state_since_usec) : "", Tone::Plain};
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

// A masked unit: systemctl's "Loaded: masked", and not running.
int status_masked(const unit::LoadResult& r, bool json, nlohmann::json* capture) {
  if (json) {
    nlohmann::json j = {{"name", r.unit.name},        {"unit_path", r.unit.path}, {"load_state", "masked"},
                        {"active_state", "inactive"}, {"sub_state", "dead"},      {"exit_code", 3},
                        {"unit_file_state", "masked"}};
    if (capture) {
      *capture = std::move(j);
      return exit_code::kStatusNotRunning;
    }
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("○ %s\n", escape_for_terminal(r.unit.name).c_str());
    std::printf("     Loaded: masked (%s; masked)\n", escape_for_terminal(r.unit.path).c_str());
    std::printf("     Active: inactive (dead)\n");
  }
  return exit_code::kStatusNotRunning;
}

// "enabled", "static", ... for the Loaded: line (unit/unit_file_state.h).
std::string enablement_of(const unit::LoadResult& r) {
  const unit::UnitFile& f = r.file;
  if (!f.by_name || r.sources.files.empty()) return "";
  unit::UnitPath path = unit::unit_path_for_current_user();
  unit::UnitFileFacts facts;
  facts.file_name = base_name(f.fragment);
  facts.directory = f.directory;
  facts.is_template = !r.unit.instance.empty();
  facts.install = unit::summarize(r.sources.files[0].text).install;
  unit::UnitFileState state = unit::file_state(facts, unit::LinkIndex::read(path), path);
  return unit::to_string(state);
}

int status_one(const unit::UnitFile& file, bool json, nlohmann::json* capture = nullptr) {
  LoadedUnit loaded = load_unit(file, UnitSource::Running);
  const unit::LoadResult& r = loaded.load;
  print_diagnostics(r);
  warn_if_changed(loaded);
  if (r.masked) return status_masked(r, json, capture);
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
  } else if (auto holder = UnitLock::name_holder(files.name_lock);
             holder && *holder != u.path && ::access(files.pidfile.c_str(), F_OK) == 0) {
    // Never started here, and another unit file of this name runs: the
    // pidfile (the name's default) is that one's.
    view.pidfile_holder = std::move(holder);
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
                        {"unit_path", u.path}, {"active", active_line(u, view).text()},
                        {"exit_code", code},   {"pidfile", files.pidfile}};
    j["load_state"] = "loaded";
    j["unit_file_state"] = enablement_of(r);
    j["type"] = to_string(u.type);
    j["restart"] = to_string(u.restart);
    nlohmann::json dropins = nlohmann::json::array();
    for (size_t i = 1; i < u.sources.size(); ++i) dropins.push_back(u.sources[i].path);
    j["drop_ins"] = dropins;
    // Read from what the monitor started with, and the files on disk are
    // no longer that (systemctl's NeedDaemonReload=).
    j["unit_file_changed"] = !loaded.disk_change.empty();
    if (view.pidfile_holder) j["pidfile_holder"] = *view.pidfile_holder;
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
    if (s) j["exec_main_pid"] = s->main_pid;
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
    if (capture) {
      *capture = std::move(j);
      return code;
    }
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return code;
  }

  ActiveLine active = active_line(u, view);
  using terminal::Glyph;
  const char* dot = terminal::glyph(code == 0                                 ? Glyph::ActiveDot
                                    : (s && s->sub_state == SubState::Failed) ? Glyph::FailedDot
                                                                              : Glyph::InactiveDot);
  // Everything below that a service (or a unit file's author) controls goes
  // through escape_for_terminal(): an ESC sequence in STATUS= or argv must
  // not reach the admin's terminal as a command.
  std::printf("%s %s%s%s\n", terminal::paint(active.tone, dot).c_str(), escape_for_terminal(u.name).c_str(),
              u.description.empty() ? "" : " - ", escape_for_terminal(u.description).c_str());
  std::string enablement = enablement_of(r);
  std::printf("     Loaded: loaded (%s%s%s)\n", escape_for_terminal(u.path).c_str(), enablement.empty() ? "" : "; ",
              enablement.c_str());
  if (u.sources.size() > 1) {
    // systemctl's Drop-In: line, each drop-in under its directory.
    std::printf("    Drop-In: ");
    for (size_t i = 1; i < u.sources.size(); ++i)
      std::printf("%s%s\n", i > 1 ? "             " : "", escape_for_terminal(u.sources[i].path).c_str());
  }
  std::printf("     Active: %s%s\n", terminal::paint(active.tone, active.state).c_str(), active.rest.c_str());
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
  if (view.pidfile_holder)
    std::printf("    PIDFile: %s (another unit of this name runs and holds it: %s)\n",
                escape_for_terminal(files.pidfile).c_str(), escape_for_terminal(*view.pidfile_holder).c_str());
  if (s && !s->condition_text.empty() && s->condition_usec) {
    // As systemctl: the last start's failed condition, and when.
    std::printf("  Condition: start condition failed at %s; %s\n", format_time(s->condition_usec).c_str(),
                format_ago(s->condition_usec).c_str());
    std::printf("             %s %s\n", terminal::glyph(Glyph::TreeRight),
                escape_for_terminal(s->condition_text).c_str());
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

// A .target: no process, its record alone (runtime/target_state.h); a
// well-known target without a file is built in.
int status_target(const unit::UnitFile& file, bool json, nlohmann::json* capture = nullptr) {
  RuntimeFiles files = runtime_files_for(file);
  QuickState q = quick_state(file.name, files);
  bool active = q.active == ActiveState::Active;
  std::string description;
  if (file.found && !file.masked) description = unit::load(file, unit::ValidateMode::Start).unit.description;
  uint64_t since_usec = q.record ? q.record->state_since_usec : 0;
  if (json) {
    nlohmann::json j = {{"name", file.name},
                        {"load_state", file.masked  ? "masked"
                                       : file.found ? "loaded"
                                                    : "built-in"},
                        {"active_state", to_string(q.active)},
                        {"sub_state", q.sub},
                        {"description", description}};
    if (since_usec) j["since_usec"] = since_usec;
    if (file.found) j["unit_path"] = file.fragment;
    if (capture) {
      *capture = std::move(j);
      return active ? exit_code::kStatusRunning : exit_code::kStatusNotRunning;
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s %s%s%s\n", terminal::paint(active ? terminal::Tone::Good : terminal::Tone::Plain, "●").c_str(),
                escape_for_terminal(file.name).c_str(), description.empty() ? "" : " - ",
                escape_for_terminal(description).c_str());
    std::printf("     Loaded: %s\n", file.masked  ? "masked"
                                     : file.found ? ("loaded (" + escape_for_terminal(file.fragment) + ")").c_str()
                                                  : "built-in (no unit file: a well-known target)");
    std::printf(
        "     Active: %s%s\n",
        terminal::paint(active ? terminal::Tone::Good : terminal::Tone::Plain, active ? "active" : "inactive (dead)")
            .c_str(),
        since_usec && q.record ? since(since_usec).c_str() : "");
  }
  return active ? exit_code::kStatusRunning : exit_code::kStatusNotRunning;
}

}  // namespace

int status(const std::vector<std::string>& units, bool json) {
  if (units.empty()) return status_overview(json);
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<Target> targets = resolve_targets(units, path, GlobScope::Running, notes);
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
  std::vector<int> codes;
  bool several = targets.size() > 1;
  if (json && several) std::printf("[\n");
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    if (i > 0) std::printf(json ? ",\n" : "\n");
    std::fflush(stdout);
    if (!t.error.empty()) {
      std::fprintf(stderr, "%s\n", t.error.c_str());
      codes.push_back(t.code);
      if (json) std::printf("null\n");
      continue;
    }
    codes.push_back(is_target_name(t.file.name) ? status_target(own_unit(t.file), json) : status_one(t.file, json));
    std::fflush(stdout);
  }
  if (json && several) std::printf("]\n");
  return worst_exit_code(codes);
}

std::vector<StatusRecord> status_records(const std::vector<std::string>& units) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<StatusRecord> out;
  for (const std::string& name : units) {
    std::vector<Target> targets = resolve_targets({name}, path, GlobScope::Running, notes);
    for (const Target& t : targets) {
      StatusRecord rec;
      rec.name = t.file.name.empty() ? name : t.file.name;
      if (!t.error.empty()) {
        rec.code = t.code;
        out.push_back(std::move(rec));
        continue;
      }
      if (!t.file.found && !is_target_name(t.file.name)) {
        rec.code = exit_code::kStatusUnknown;
        out.push_back(std::move(rec));
        continue;
      }
      nlohmann::json j;
      rec.code = is_target_name(t.file.name) ? status_target(own_unit(t.file), true, &j) : status_one(t.file, true, &j);
      if (!j.is_null()) rec.json = std::move(j);
      out.push_back(std::move(rec));
    }
  }
  return out;
}

}  // namespace unitrun::cli
