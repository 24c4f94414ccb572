#include "monitor/trigger_units.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string_view>

#include "base/sys.h"
#include "base/unique_fd.h"
#include "monitor/monitor.h"
#include "runtime/daemonize.h"
#include "unit/unit_validate.h"

extern char** environ;

namespace unitrun::monitor {
namespace {

// What the detached start's child could not do, through the close-on-exec
// pipe: (step, errno), as runtime/daemonize.cc reports.
enum class Step : int { Setsid = 1, Fork, Stdio, Fds, Signals, Exec };

struct StepFailure {
  Step step;
  int error;
};

const char* step_name(Step s) {
  switch (s) {
    case Step::Setsid:
      return "setsid";
    case Step::Fork:
      return "fork";
    case Step::Stdio:
      return "stdio on /dev/null";
    case Step::Fds:
      return "close_range";
    case Step::Signals:
      return "reset the signal mask";
    case Step::Exec:
      return "exec of the unitrun binary";
  }
  return "?";
}

[[noreturn]] void fail_in_child(int report_fd, Step step) {
  StepFailure f{step, errno};
  (void)!::write(report_fd, &f, sizeof f);  // the monitor reads EOF then, and says the start went wrong
  ::_exit(1);
}

}  // namespace

std::vector<std::string> units_to_trigger(const Unit& unit, bool failed, bool ran) {
  std::vector<std::string> out;
  DependencyKind want = failed ? DependencyKind::OnFailure : DependencyKind::OnSuccess;
  if (!failed && !ran) return out;
  for (const Dependency& d : unit.dependencies)
    if (d.kind == want && std::find(out.begin(), out.end(), d.unit) == out.end()) out.push_back(d.unit);
  return out;
}

bool has_triggers(const Unit& unit) {
  return std::any_of(unit.dependencies.begin(), unit.dependencies.end(), [](const Dependency& d) {
    return d.kind == DependencyKind::OnFailure || d.kind == DependencyKind::OnSuccess;
  });
}

std::vector<std::string> trigger_environment(const char* const* environment, const std::string& why, pid_t monitor_pid,
                                             uint64_t monitor_start_time) {
  // What selects unitrun's own paths (the unit path, the runtime and
  // configuration directories, the credential store, the bus), the locale,
  // and UNITRUN_* (UNITRUN_UNIT_PATH, a test's marker); PATH is systemd's
  // fixed one. Nothing else of whoever started the unit reaches the units a
  // trigger starts: not NOTIFY_SOCKET, JOURNAL_STREAM or LISTEN_FDS, nor what
  // PassEnvironment= of those units would pick up.
  static constexpr const char* kKept[] = {
      "HOME",   "LANG", "LC_ALL", "XDG_RUNTIME_DIR",       "XDG_CONFIG_HOME",        "XDG_CACHE_HOME", "XDG_STATE_HOME",
      "TMPDIR", "TEMP", "TMP",    "CREDENTIALS_DIRECTORY", "DBUS_SYSTEM_BUS_ADDRESS"};
  std::vector<std::string> out = {
      std::string("PATH=") + unit::kFixedPath, std::string(kTriggeredByVariable) + "=" + why,
      std::string(kTriggerMonitorVariable) + "=" + daemon::identity_text(monitor_pid, monitor_start_time)};
  for (const char* const* e = environment; e && *e; ++e) {
    std::string_view v(*e);
    size_t eq = v.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = v.substr(0, eq);
    if (name == kTriggeredByVariable || name == kTriggerMonitorVariable) continue;
    bool keep = name.substr(0, 8) == "UNITRUN_" ||
                std::any_of(std::begin(kKept), std::end(kKept), [&](const char* k) { return name == k; });
    if (keep) out.emplace_back(v);
  }
  return out;
}

Result<UniqueFd> open_own_binary() {
  UniqueFd fd(::open("/proc/self/exe", O_PATH | O_CLOEXEC));
  if (!fd) return Error::from_errno("open /proc/self/exe");
  return fd;
}

Status start_detached(int binary_fd, const std::vector<std::string>& units, const std::string& why, pid_t monitor_pid,
                      uint64_t monitor_start_time) {
  if (units.empty()) return ok();
  std::vector<std::string> args = {"start"};
  args.insert(args.end(), units.begin(), units.end());
  return run_detached(binary_fd, args, why, monitor_pid, monitor_start_time);
}

Status run_detached(int binary_fd, const std::vector<std::string>& args, const std::string& why, pid_t monitor_pid,
                    uint64_t monitor_start_time) {
  if (args.empty()) return Error::plain("run_detached: no verb");
  if (binary_fd < 0) return Error::plain("no handle on the unitrun binary (it could not be opened)");
  // Everything the child needs, allocated before the fork.
  std::vector<std::string> words = {"unitrun"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_words = trigger_environment(environ, why, monitor_pid, monitor_start_time);
  std::vector<char*> envp;
  for (std::string& w : env_words) envp.push_back(w.data());
  envp.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return Error::from_errno("pipe");
  UniqueFd report_read(fds[0]), report_write(fds[1]);
  pid_t child = ::fork();
  if (child < 0) return Error::from_errno("fork");
  if (child == 0) {
    int report = report_write.get();
    if (::setsid() < 0) fail_in_child(report, Step::Setsid);
    pid_t grandchild = ::fork();
    if (grandchild < 0) fail_in_child(report, Step::Fork);
    if (grandchild != 0) ::_exit(0);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0)
      fail_in_child(report, Step::Stdio);
    // No fd but stdio reaches the start: every other one closes at exec. The
    // report pipe and the binary's fd stay open until then. (Every fd of the
    // monitor is close-on-exec already: a kernel without CLOSE_RANGE_CLOEXEC,
    // before 5.11, changes nothing.)
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != EINVAL) fail_in_child(report, Step::Fds);
    if (!sys::reset_signals()) fail_in_child(report, Step::Signals);
    // The binary the monitor was started from, by its fd: after a package
    // upgrade its path names the new file, or "... (deleted)".
    ::fexecve(binary_fd, argv.data(), envp.data());
    fail_in_child(report, Step::Exec);
  }
  report_write.reset();
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return Error::from_errno("waitpid");
  // EOF once the start has exec'd (or its child is gone without a word).
  StepFailure failure{};
  ssize_t got;
  do got = ::read(report_read.get(), &failure, sizeof failure);
  while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure))
    return Error{failure.error, "the detached " + args.front() + ": " + step_name(failure.step)};
  if (got < 0) return Error::from_errno("reading the detached " + args.front() + "'s report");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error::plain("the detached " + args.front() + " could not be forked");
  return ok();
}

}  // namespace unitrun::monitor
