#include "process/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/sys.h"
#include "base/unique_fd.h"

namespace unitrun::process {
namespace {

enum Step : int {
  kSetsid,
  kStdio,
  kCloseFds,
  kRlimit,
  kNice,
  kSetgroups,
  kSetgid,
  kSetuid,
  kVerifyIds,
  kChdir,
  kSignals,
  kExec,
  kFork
};
const char* const kStepNames[] = {"setsid",        "redirect stdio", "close fds", "setrlimit",          "setpriority",
                                  "setgroups",     "setgid",         "setuid",    "verify credentials", "chdir",
                                  "reset signals", "exec",           "fork"};

struct Failure {
  int step;
  int error;
};

[[noreturn]] void fail(int fd, int step) {
  Failure f{step, errno};
  // Nothing to do if this write fails: the parent then sees a child that
  // exited with 127 without a report, and says so.
  (void)!::write(fd, &f, sizeof f);
  ::_exit(127);
}

// Runs in the child after fork(): async-signal-safe calls only.
// Writes the decimal PID into the digits after "WATCHDOG_PID=", in place:
// no allocation, so it is safe between fork and exec.
void fill_pid(char* slot) {
  char digits[16];
  int n = 0;
  for (unsigned long v = static_cast<unsigned long>(::getpid()); v > 0 || n == 0; v /= 10)
    digits[n++] = static_cast<char>('0' + v % 10);
  char* p = slot + std::strlen("WATCHDOG_PID=");
  while (n > 0) *p++ = digits[--n];
  *p = '\0';
}

[[noreturn]] void exec_child(const ExecSpec& spec, char* const* argv, char* const* envp, char* watchdog_slot,
                             int devnull, int report_fd) {
  if (spec.new_session && ::setsid() < 0) fail(report_fd, kSetsid);
  if (watchdog_slot) fill_pid(watchdog_slot);

  int in = spec.stdin_fd >= 0 ? spec.stdin_fd : devnull;
  int out = spec.stdout_fd >= 0 ? spec.stdout_fd : devnull;
  int err = spec.stderr_fd >= 0 ? spec.stderr_fd : out;
  // dup2 onto 0..2 clears close-on-exec on the copies; the sources are all
  // >= 3 (unitrun's own 0..2 are /dev/null or a terminal it never passes on).
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail(report_fd, kStdio);
  // Only 0, 1, 2 reach the service; the report pipe closes itself on exec.
  if (report_fd > 3 && ::close_range(3, static_cast<unsigned>(report_fd - 1), 0) < 0) fail(report_fd, kCloseFds);
  if (::close_range(static_cast<unsigned>(report_fd + 1), ~0U, 0) < 0) fail(report_fd, kCloseFds);

  auto set_limit = [&](int resource, const std::optional<ResourceLimit>& l) {
    if (!l) return;
    struct rlimit r;
    r.rlim_cur = l->soft == UINT64_MAX ? RLIM_INFINITY : l->soft;
    r.rlim_max = l->hard == UINT64_MAX ? RLIM_INFINITY : l->hard;
    if (::setrlimit(resource, &r) < 0) fail(report_fd, kRlimit);
  };
  set_limit(RLIMIT_NOFILE, spec.limit_nofile);
  set_limit(RLIMIT_CORE, spec.limit_core);
  if (spec.nice && ::setpriority(PRIO_PROCESS, 0, *spec.nice) < 0) fail(report_fd, kNice);
  ::umask(spec.umask);

  if (spec.credentials) {
    const Credentials& c = *spec.credentials;
    // Order matters (CERT POS36-C): groups, then gid, then uid; then verify
    // that nothing of the old identity is left (POS37-C).
    if (::setgroups(c.groups.size(), c.groups.data()) < 0) fail(report_fd, kSetgroups);
    if (::setresgid(c.gid, c.gid, c.gid) < 0) fail(report_fd, kSetgid);
    if (::setresuid(c.uid, c.uid, c.uid) < 0) fail(report_fd, kSetuid);
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (::getresuid(&ru, &eu, &su) < 0 || ::getresgid(&rg, &eg, &sg) < 0) fail(report_fd, kVerifyIds);
    if (ru != c.uid || eu != c.uid || su != c.uid || rg != c.gid || eg != c.gid || sg != c.gid) {
      errno = EPERM;
      fail(report_fd, kVerifyIds);
    }
    if (c.uid != 0 && ::setuid(0) == 0) {
      errno = EPERM;
      fail(report_fd, kVerifyIds);
    }
  }

  // After the privilege drop, so the service user's permissions apply.
  if (::chdir(spec.working_directory.c_str()) < 0) {
    if (!spec.working_directory_optional) fail(report_fd, kChdir);
    if (::chdir("/") < 0) fail(report_fd, kChdir);
  }

  // Default dispositions and an empty mask: the service must not inherit
  // the monitor's blocked SIGTERM/SIGCHLD or an ignored SIGPIPE.
  if (!sys::reset_signals()) fail(report_fd, kSignals);

  ::execve(spec.program.c_str(), argv, envp);
  fail(report_fd, kExec);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string SpawnResult::message(const ExecSpec& spec) const {
  std::string what = failed_step;
  if (failed_step == "exec") what = "exec '" + spec.program + "'";
  if (failed_step == "chdir") what = "WorkingDirectory '" + spec.working_directory + "'";
  if (error == 0) return what + " failed";
  return what + ": " + std::strerror(error);
}

SpawnResult spawn(const ExecSpec& spec) {
  // A bare name was not found in the fixed PATH when the unit was loaded;
  // execve() would take it relative to WorkingDirectory=, i.e. run whatever
  // file of that name is there.
  if (spec.program.find('/') == std::string::npos) return {-1, kStepNames[kExec], ENOENT};
  std::vector<char*> argv = c_strings(spec.argv);
  std::vector<char*> envp = c_strings(spec.env);
  std::string watchdog_slot = "WATCHDOG_PID=0000000000000000";  // room for any PID
  if (spec.set_watchdog_pid) envp.insert(envp.end() - 1, watchdog_slot.data());

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return {-1, "open /dev/null", errno};
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return {-1, "pipe", errno};
  UniqueFd report_read(pipe_fds[0]), report_write(pipe_fds[1]);

  pid_t pid = ::fork();
  if (pid < 0) return {-1, kStepNames[kFork], errno};
  if (pid == 0)
    exec_child(spec, argv.data(), envp.data(), spec.set_watchdog_pid ? watchdog_slot.data() : nullptr, devnull.get(),
               report_write.get());

  report_write.reset();
  Failure f{};
  ssize_t n;
  do n = ::read(report_read.get(), &f, sizeof f);
  while (n < 0 && errno == EINTR);
  if (n == 0) return {pid, "", 0};  // EOF: the pipe closed on a successful exec

  // The child failed before exec; reap it here so no zombie is left.
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof f) || f.step < 0 || f.step > kFork) return {-1, "report from child", EIO};
  return {-1, kStepNames[f.step], f.error};
}

}  // namespace unitrun::process
