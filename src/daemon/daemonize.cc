#include "daemon/daemonize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/sys.h"
#include "base/unique_fd.h"

namespace unitrun::daemon {
namespace {

// Detaches the monitor from everything the caller had: stdio and cwd.
void detach_stdio() {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;  // then the monitor keeps what it has; nothing better to do
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
  if (null > 2) ::close(null);
  (void)!::chdir("/");
  ::umask(022);
}

}  // namespace

StartOutcome parse_report(const std::string& report) {
  StartOutcome o;
  std::string line = report.substr(0, report.find('\n'));
  if (line.rfind("ok ", 0) == 0) {
    o.code = 0;
    o.pid = static_cast<pid_t>(std::atol(line.c_str() + 3));
    return o;
  }
  if (line.rfind("fail ", 0) == 0) {
    char* end = nullptr;
    long code = std::strtol(line.c_str() + 5, &end, 10);
    o.code = code > 0 && code < 256 ? static_cast<int>(code) : 1;
    // The message may carry the service's last output lines after a newline.
    std::string rest = end && *end == ' ' ? report.substr(static_cast<size_t>(end + 1 - line.c_str())) : "start failed";
    while (!rest.empty() && rest.back() == '\n') rest.pop_back();
    o.message = rest;
    return o;
  }
  o.code = 1;
  o.message = "the monitor exited before reporting the outcome";
  return o;
}

StartOutcome daemonize(const std::function<int(int ready_fd)>& monitor_main) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return {1, 0, std::string("pipe: ") + std::strerror(errno)};
  UniqueFd read_end(fds[0]), write_end(fds[1]);

  pid_t child = ::fork();
  if (child < 0) return {1, 0, std::string("fork: ") + std::strerror(errno)};
  if (child == 0) {
    read_end.reset();
    // Session leader, so the monitor (its child) can never acquire a
    // controlling terminal.
    if (::setsid() < 0) {
      (void)sys::write_all(write_end.get(), std::string("fail 1 setsid: ") + std::strerror(errno) + "\n");
      ::_exit(1);
    }
    pid_t monitor = ::fork();
    if (monitor < 0) {
      (void)sys::write_all(write_end.get(), std::string("fail 1 fork: ") + std::strerror(errno) + "\n");
      ::_exit(1);
    }
    if (monitor > 0) ::_exit(0);
    detach_stdio();
    int fd = write_end.release();
    ::_exit(monitor_main(fd));
  }

  write_end.reset();
  int status;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  auto report = sys::read_all(read_end.get(), 4096);
  if (!report) return {1, 0, "reading the monitor's report: " + report.error().message()};
  return parse_report(*report);
}

}  // namespace unitrun::daemon
