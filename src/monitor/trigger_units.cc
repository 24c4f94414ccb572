#include "monitor/trigger_units.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

extern char** environ;

#include "base/sys.h"
#include "monitor/monitor.h"

namespace unitrun::monitor {

std::vector<std::string> units_to_trigger(const Unit& unit, bool failed, bool ran) {
  std::vector<std::string> out;
  DependencyKind want = failed ? DependencyKind::OnFailure : DependencyKind::OnSuccess;
  if (!failed && !ran) return out;
  for (const Dependency& d : unit.dependencies)
    if (d.kind == want && std::find(out.begin(), out.end(), d.unit) == out.end()) out.push_back(d.unit);
  return out;
}

Status start_detached(const std::vector<std::string>& units, const std::string& why, pid_t monitor_pid,
                      uint64_t monitor_start_time) {
  if (units.empty()) return ok();
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return Error::from_errno("readlink /proc/self/exe");
  exe[n] = '\0';
  // Everything the child needs, allocated before the fork.
  std::vector<std::string> words = {"unitrun", "start"};
  words.insert(words.end(), units.begin(), units.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::string prefix = std::string(kTriggeredByVariable) + "=";
  std::string monitor_prefix = std::string(kTriggerMonitorVariable) + "=";
  std::vector<std::string> env_words = {
      prefix + why, monitor_prefix + std::to_string(monitor_pid) + " " + std::to_string(monitor_start_time)};
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    if (v.substr(0, prefix.size()) != prefix && v.substr(0, monitor_prefix.size()) != monitor_prefix)
      env_words.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& w : env_words) envp.push_back(w.data());
  envp.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return Error::from_errno("fork");
  if (child == 0) {
    if (::setsid() < 0) ::_exit(1);
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0) ::_exit(1);
    if (::close_range(3, ~0U, 0) < 0) ::_exit(1);
    if (!sys::reset_signals()) ::_exit(1);
    ::execve(exe, argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return Error::from_errno("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Error::plain("the detached start could not be forked");
  return ok();
}

}  // namespace unitrun::monitor
