#include "unit/unit_validate.h"

#include <grp.h>
#include <linux/capability.h>
#include <linux/mempolicy.h>
#include <pwd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "base/strings.h"
#include "base/sys.h"
#include "unit/values.h"

namespace unitrun::unit {
namespace {

using S = Diagnostic::Severity;

int line_of(const Unit& u, const std::string& key) {
  auto it = u.key_lines.find(key);
  return it == u.key_lines.end() ? 0 : it->second;
}

bool is_numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Every Exec*= list of a unit, const or not.
template <typename U>
auto all_command_lists(U& u) {
  return std::array{&u.exec_condition, &u.exec_start_pre, &u.exec_start, &u.exec_start_post,
                    &u.exec_stop,      &u.exec_stop_post, &u.exec_reload};
}

std::string search_path_of(const Unit& u) {
  if (u.exec_search_path.empty()) return kFixedPath;
  std::string path;
  for (const std::string& dir : u.exec_search_path) path += (path.empty() ? "" : ":") + dir;
  return path;
}

void check_program(const Unit& u, const Command& c, Diagnostics& out) {
  if (c.program[0] != '/') {
    out.push_back({S::Error, c.line, "program '" + c.program + "' not found in " + search_path_of(u)});
    return;
  }
  struct stat st;
  if (::stat(c.program.c_str(), &st) != 0) {
    out.push_back({S::Error, c.line, "program '" + c.program + "' does not exist"});
  } else if (!S_ISREG(st.st_mode)) {
    out.push_back({S::Error, c.line, "program '" + c.program + "' is not a regular file"});
  } else if (::access(c.program.c_str(), X_OK) != 0) {
    out.push_back({S::Error, c.line, "program '" + c.program + "' is not executable"});
  }
}

// Limit*= above this process's hard limit, which the service inherits: start
// sets the closest value (process/rlimits.h), so a warning, not an error.
void check_limit(const Unit& u, int resource, const ResourceLimit& l, bool may_raise, Diagnostics& out) {
  struct rlimit now;
  if (::getrlimit(resource, &now) < 0 || now.rlim_max == RLIM_INFINITY) return;
  uint64_t hard = now.rlim_max;
  if (std::max(l.soft, l.hard) <= hard) return;
  if (may_raise && resource != RLIMIT_NOFILE) return;
  if (may_raise) {  // NOFILE: fs.nr_open bounds even CAP_SYS_RESOURCE
    auto nr_open = sys::read_file("/proc/sys/fs/nr_open", 64);
    auto max = nr_open ? values::parse_unsigned(trim(*nr_open), UINT64_MAX - 1) : Result<uint64_t>(0);
    if (!max || std::max(l.soft, l.hard) <= *max) return;
    hard = *max;
  }
  ResourceLimit set{std::min(l.soft, hard), std::min(l.hard, hard)};
  std::string key(values::rlimit_key(resource));
  out.push_back(
      {S::Warning, line_of(u, "Service." + key),
       key + "=" + values::format_rlimit(l) + " exceeds the hard limit " + std::to_string(hard) + " and " +
           (may_raise ? "the kernel refuses it (above fs.nr_open)" : "unitrun cannot raise it (no CAP_SYS_RESOURCE)") +
           ": start will set it to " + values::format_rlimit(set)});
}

void check_group(const std::string& g, int line, Diagnostics& out) {
  if (is_numeric(g)) return;  // numeric IDs need no entry in /etc/group
  errno = 0;
  if (::getgrnam(g.c_str()) == nullptr) out.push_back({S::Error, line, "group '" + g + "' does not exist"});
}

}  // namespace

void resolve_programs(Unit& unit) {
  const std::string search_path = search_path_of(unit);
  for (auto* list : all_command_lists(unit)) {
    for (Command& c : *list) {
      if (c.program.find('/') != std::string::npos) continue;
      std::string_view path = search_path;
      while (!path.empty()) {
        size_t colon = path.find(':');
        std::string candidate = std::string(path.substr(0, colon)) + "/" + c.program;
        path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
          if (!c.argv.empty() && c.argv[0] == c.program) c.argv[0] = candidate;
          c.program = candidate;
          break;
        }
      }
    }
  }
}

Diagnostics validate(const Unit& u, ValidateMode mode) {
  Diagnostics out;
  int service_line = line_of(u, "[Service]");
  if (u.type != ServiceType::Oneshot) {
    if (u.exec_start.empty())
      out.push_back({S::Error, service_line, "no ExecStart= (only Type=oneshot may go without one)"});
    else if (u.exec_start.size() > 1)
      out.push_back(
          {S::Error, u.exec_start[1].line, "more than one ExecStart= command (only Type=oneshot may have several)"});
  } else if (u.exec_start.empty() && u.exec_stop.empty()) {
    // systemd accepts a unit whose only action is SuccessAction=; here that
    // action has no effect, so nothing would happen at all.
    bool has_action = std::any_of(u.without_effect.begin(), u.without_effect.end(), [](const KeyAssignment& k) {
      return k.key == "Unit.SuccessAction" && !k.value.empty() && k.value != "none";
    });
    out.push_back({S::Error, service_line,
                   has_action ? "no ExecStart= and no ExecStop= (SuccessAction= alone has no effect here)"
                              : "no ExecStart= and no ExecStop="});
  }
  if (u.type == ServiceType::Oneshot && (u.restart == RestartPolicy::Always || u.restart == RestartPolicy::OnSuccess))
    out.push_back({S::Error, line_of(u, "Service.Restart"),
                   std::string("Restart=") + to_string(u.restart) + " is not allowed for Type=oneshot"});
  // Type=forking without PIDFile=: the main PID is guessed, as systemd does
  // (GuessMainPID=).
  // The monitor holds the stamped output's pipe: processes a stop leaves
  // running would write into a pipe nobody reads once it exits (SIGPIPE).
  if (u.timestamps && (u.kill_mode == KillMode::Process || u.kill_mode == KillMode::None))
    out.push_back({S::Error, line_of(u, "Service.X-Unitrun-Timestamps"),
                   std::string("X-Unitrun-Timestamps=yes cannot be used with KillMode=") +
                       (u.kill_mode == KillMode::Process ? "process" : "none") +
                       ": processes left running after a stop would write into a pipe nobody reads once the "
                       "monitor exits; use KillMode=control-group or mixed"});
  if (u.type == ServiceType::Dbus && u.bus_name.empty())
    out.push_back({S::Error, line_of(u, "Service.Type"),
                   "Type=dbus needs BusName= (the name whose appearance on the system bus ends the start)"});
  if (u.watchdog_sec != 0 && u.watchdog_sec != kInfinity && u.type != ServiceType::Notify)
    out.push_back({S::Warning, line_of(u, "Service.WatchdogSec"),
                   "WatchdogSec= is set but Type= is not notify; the service must still send WATCHDOG=1"});
  if (u.type == ServiceType::Notify && u.notify_access == NotifyAccess::None)
    out.push_back({S::Warning, line_of(u, "Service.NotifyAccess"),
                   "Type=notify with NotifyAccess=none: main is used instead, as systemd does"});
  if (u.standard_input.kind == InputSpec::Kind::Data && u.standard_input_data.empty())
    out.push_back({S::Error, line_of(u, "Service.StandardInput"),
                   "StandardInput=data needs StandardInputText= or StandardInputData="});
  if (!u.standard_input_data.empty() && u.standard_input.kind != InputSpec::Kind::Data)
    out.push_back({S::Warning, line_of(u, "Service.StandardInput"),
                   "StandardInputText=/StandardInputData= are set but StandardInput= is not data; they are not used"});
  if (const CpuScheduling& cs = u.cpu_scheduling; cs.policy) {
    bool realtime = *cs.policy == SCHED_FIFO || *cs.policy == SCHED_RR;
    int priority = cs.priority.value_or(0);
    int line = line_of(u, cs.priority ? "Service.CPUSchedulingPriority" : "Service.CPUSchedulingPolicy");
    if (realtime && priority == 0)
      out.push_back({S::Error, line,
                     "CPUSchedulingPolicy=" + values::sched_policy_name(*cs.policy) +
                         " needs CPUSchedulingPriority= from 1 to 99"});
    else if (!realtime && priority != 0)
      out.push_back({S::Error, line,
                     "CPUSchedulingPriority= must be 0 for CPUSchedulingPolicy=" +
                         values::sched_policy_name(*cs.policy) + " (1 to 99 are for fifo and rr)"});
  }
  if (u.numa_policy && u.numa_mask.empty() && !u.numa_mask_all &&
      (*u.numa_policy == MPOL_BIND || *u.numa_policy == MPOL_INTERLEAVE || *u.numa_policy == MPOL_PREFERRED))
    out.push_back({S::Error, line_of(u, "Service.NUMAPolicy"),
                   "NUMAPolicy=" + values::numa_policy_name(*u.numa_policy) + " needs NUMAMask="});
  if (u.cpu_affinity_from_numa && u.numa_mask.empty() && !u.numa_mask_all)
    out.push_back({S::Error, line_of(u, "Service.CPUAffinity"), "CPUAffinity=numa needs NUMAMask="});

  if (!u.user.empty() && !is_numeric(u.user)) {
    errno = 0;
    if (::getpwnam(u.user.c_str()) == nullptr)
      out.push_back({S::Error, line_of(u, "Service.User"), "user '" + u.user + "' does not exist"});
  } else if (is_numeric(u.user) && u.group.empty()) {
    // No passwd entry, no primary group: the monitor's own (root's) must
    // not stand in for it.
    if (auto uid = values::parse_unsigned(u.user, 4294967294u); uid && ::getpwuid(static_cast<uid_t>(*uid)) == nullptr)
      out.push_back({S::Error, line_of(u, "Service.User"),
                     "user ID " + u.user + " has no passwd entry, so no primary group: set Group= as well"});
  }
  if (!u.group.empty()) check_group(u.group, line_of(u, "Service.Group"), out);
  for (const std::string& g : u.supplementary_groups) check_group(g, line_of(u, "Service.SupplementaryGroups"), out);

  if (mode == ValidateMode::Start && u.is_template)
    out.push_back({S::Error, 0,
                   "'" + u.name + "' is a template: start one of its instances (" + u.prefix +
                       "@INSTANCE.service, e.g. a symlink to this file)"});

  if (mode == ValidateMode::Check) {
    for (auto* list : all_command_lists(u))
      for (const Command& c : *list) check_program(u, c, out);
    for (const Credential& c : u.credentials) {
      if (c.is_set || c.path.empty()) continue;
      if (c.path[0] == '/') {
        if (::access(c.path.c_str(), R_OK) != 0)
          out.push_back({S::Warning, c.line, "LoadCredential '" + c.path + "' is not readable here; start will fail"});
        continue;
      }
      bool found = false;
      for (const char* store : {"/etc/credstore/", "/run/credstore/", "/usr/lib/credstore/"})
        found = found || ::access((store + c.path).c_str(), R_OK) == 0;
      if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && !found)
        found = ::access((std::string(dir) + "/" + c.path).c_str(), R_OK) == 0;
      bool has_default = std::any_of(u.credentials.begin(), u.credentials.end(),
                                     [&](const Credential& o) { return o.is_set && o.id == c.id; });
      if (!found && !has_default)
        out.push_back({S::Warning, c.line,
                       "credential '" + c.path +
                           "' is in no credential store here (/etc/credstore, /run/credstore, /usr/lib/credstore); "
                           "start will fail"});
    }
    struct stat st;
    if (u.working_directory != "~" && !u.working_directory_optional &&
        (::stat(u.working_directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
      out.push_back({S::Warning, line_of(u, "Service.WorkingDirectory"),
                     "WorkingDirectory '" + u.working_directory + "' is not a directory here; start will fail"});
    for (const EnvironmentFile& f : u.environment_files)
      if (!f.optional && ::access(f.path.c_str(), R_OK) != 0)
        out.push_back({S::Warning, f.line, "EnvironmentFile '" + f.path + "' is not readable here; start will fail"});
    bool may_raise = sys::has_effective_capability(CAP_SYS_RESOURCE);
    if (u.limit_nofile) check_limit(u, RLIMIT_NOFILE, *u.limit_nofile, may_raise, out);
    if (u.limit_core) check_limit(u, RLIMIT_CORE, *u.limit_core, may_raise, out);
    for (const auto& [resource, l] : u.limits) check_limit(u, resource, l, may_raise, out);
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return out;
}

}  // namespace unitrun::unit
