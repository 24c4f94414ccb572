#include "runtime/daemonize.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "base/unique_fd.h"
#include "runtime/reply.h"

namespace unitrun::daemon {
namespace {

// Detaches the monitor from everything the caller had: stdio and cwd.
// false (errno set) when it could not: a monitor that kept the caller's
// stdout would keep `unitrun start x | cat` waiting, so it must not run.
bool detach_stdio() {
  int null = ::open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (null < 0) return false;
  for (int fd = 0; fd <= 2; ++fd)
    if (::dup2(null, fd) < 0) return false;
  if (null > 2) ::close(null);
  (void)!::chdir("/");  // "/" exists; and a failure would only keep a directory busy
  ::umask(022);
  return true;
}

// The fallback where close_range() is missing (before Linux 5.9): every fd
// of /proc/self/fd but 0-2 and the kept ones. getdents64 into a buffer on
// the stack, not opendir(): its 32 kB buffer, allocated and freed in the
// forked child, cost ~20 us. Past 64 of them, scanned again once these are
// closed.
void close_listed_fds(const int* keep, size_t kept_count) {
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;  // no /proc either: nothing better to do than keep them
  int others[64];
  size_t count = 0;
  bool more = false;
  alignas(struct dirent64) char buf[1024];
  while (true) {
    ssize_t got = ::getdents64(dir, buf, sizeof buf);
    if (got <= 0) break;
    for (ssize_t at = 0; at < got;) {
      const auto* e = reinterpret_cast<const struct dirent64*>(buf + at);
      at += e->d_reclen;
      char* end = nullptr;
      long fd = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || e->d_name[0] == '\0' || fd <= 2 || fd == dir) continue;
      if (std::find(keep, keep + kept_count, static_cast<int>(fd)) != keep + kept_count) continue;
      if (count == sizeof others / sizeof others[0]) {
        more = true;
        continue;
      }
      others[count++] = static_cast<int>(fd);
    }
  }
  ::close(dir);
  for (size_t i = 0; i < count; ++i) ::close(others[i]);
  if (more) close_listed_fds(keep, kept_count);
}

// daemon(7), SysV step 1: close every fd but 0-2 and the monitor's own
// (`keep`: the readiness pipe and the unit's locks). What the caller
// inherited must go: held by the monitor, the write end of a pipe the
// caller passed (`unitrun start u 3>&1 | cat`) would keep its reader
// waiting for EOF as long as the unit runs. And so must the other fds of
// the command that forks it, which never exec: a job's (cli/job_runner:
// the memfds of its siblings' output, their pidfds), `unitrun init`'s.
// close_range() over the gaps between the kept fds: no /proc scan (its
// open, getdents and an fcntl per fd cost ~30 us in a process just forked,
// against ~5).
void close_other_fds(int* keep, size_t count) {
  std::sort(keep, keep + count);
  int from = 3;  // the lowest fd that may still have to go
  for (size_t i = 0; i < count; ++i) {
    if (keep[i] < from) continue;  // a standard fd, or named twice
    if (keep[i] > from && ::close_range(static_cast<unsigned>(from), static_cast<unsigned>(keep[i] - 1), 0) < 0) {
      close_listed_fds(keep, count);  // ENOSYS: before Linux 5.9
      return;
    }
    from = keep[i] + 1;
  }
  if (::close_range(static_cast<unsigned>(from), ~0U, 0) < 0) close_listed_fds(keep, count);
}

StartOutcome start_failure(std::string message) {
  StartOutcome o;
  o.code = exit_code::kFailure;
  o.message = std::move(message);
  return o;
}

}  // namespace

std::string identity_text(pid_t monitor_pid, uint64_t monitor_start_time) {
  return std::to_string(monitor_pid) + " " + std::to_string(monitor_start_time);
}

std::optional<MonitorIdentity> parse_identity_text(std::string_view text) {
  const char* end = text.data() + text.size();
  MonitorIdentity id;
  unsigned long long start_time = 0;
  auto [after_pid, pid_error] = std::from_chars(text.data(), end, id.pid);
  if (pid_error != std::errc() || after_pid == end || *after_pid != ' ' || id.pid <= 1) return std::nullopt;
  if (std::from_chars(after_pid + 1, end, start_time).ec != std::errc()) return std::nullopt;
  id.start_time = start_time;
  return id;
}

std::string identity_line(pid_t monitor_pid, uint64_t monitor_start_time) {
  return "monitor " + identity_text(monitor_pid, monitor_start_time) + "\n";
}

// The caller runs this after its fork, on memory it shares with the monitor
// until one of them writes a page: read in place (views, from_chars), no
// copy of the report and no sscanf, whose frame reached one more page of
// the shared stack and which writes the thread's TLS, two copy-on-write
// faults for nothing.
StartOutcome parse_report(const std::string& whole) {
  StartOutcome o;
  std::string_view report = whole;
  constexpr std::string_view kIdentity = "monitor ";
  if (report.substr(0, kIdentity.size()) == kIdentity) {
    size_t eol = report.find('\n');
    // "monitor PID START", as identity_line() writes it.
    if (auto id = parse_identity_text(
            report.substr(kIdentity.size(), eol == std::string_view::npos ? eol : eol - kIdentity.size()))) {
      o.monitor_pid = id->pid;
      o.monitor_start_time = id->start_time;
    }
    report = eol == std::string_view::npos ? std::string_view() : report.substr(eol + 1);
  }
  if (report.empty()) {
    o.code = exit_code::kFailure;
    o.message = "the monitor exited before reporting the outcome";
    return o;
  }
  Reply reply = parse_reply(report);
  o.code = reply.code;
  if (reply.ok) {
    o.pid = static_cast<pid_t>(std::atol(reply.detail.c_str()));
    if (o.pid == 0) o.detail = reply.detail;
  } else
    o.message = reply.detail;
  return o;
}

bool is_whole_running_report(std::string_view report) {
  if (report.rfind("monitor ", 0) != 0) return false;
  size_t eol = report.find('\n');
  if (eol == std::string_view::npos) return false;
  std::string_view reply = report.substr(eol + 1);
  // "ok " and a PID (no sign, no leading zero: "ok 0" is a oneshot's),
  // then the newline, and nothing after it.
  if (reply.size() < 5 || reply.substr(0, 3) != "ok " || reply.back() != '\n') return false;
  std::string_view pid = reply.substr(3, reply.size() - 4);
  if (pid.empty() || pid[0] < '1' || pid[0] > '9') return false;
  // Digits only, and a number a pid_t holds (parse_report reads it so).
  pid_t value = 0;
  auto [end, error] = std::from_chars(pid.data(), pid.data() + pid.size(), value);
  return error == std::errc() && end == pid.data() + pid.size();
}

// The caller's wait for the monitor's report. Out of line, so that its read
// buffer is not part of daemonize()'s frame: the monitor runs below that
// frame on the stack it inherits, and every page it reaches stays dirty for
// as long as it lives.
namespace {

enum class ReportEnd { Unread, Eof, Whole };

[[gnu::noinline]] StartOutcome read_report(int read_fd, const WaitTicks& ticks, ReportEnd& how) {
  // The report ends at EOF: the monitor closes the pipe once it has
  // reported (or exits); or at a whole "ok PID" (is_whole_running_report).
  how = ReportEnd::Unread;
  std::string report;
  while (true) {
    struct pollfd p = {read_fd, POLLIN, 0};
    int n = ::poll(&p, 1, ticks.tick ? ticks.interval_ms : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return start_failure(std::string("waiting for the monitor's report: poll: ") + std::strerror(errno));
    if (n == 0) {
      ticks.tick();
      continue;
    }
    char buf[4096];
    ssize_t got = ::read(read_fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return start_failure(std::string("reading the monitor's report: ") + std::strerror(errno));
    if (got == 0) {
      how = ReportEnd::Eof;
      break;
    }
    if (report.size() < 4096) report.append(buf, static_cast<size_t>(got));
    if (is_whole_running_report(report)) {
      how = ReportEnd::Whole;
      break;
    }
  }
  return parse_report(report);
}

// A failure that escaped the monitor, told through `fd` only while it is
// still the readiness pipe: once the monitor has reported, it closed the
// pipe, and the number may name one of its files now.
void report_late_failure(int fd, const struct stat& pipe_identity, const std::string& message) {
  struct stat now;
  if (::fstat(fd, &now) < 0 || now.st_dev != pipe_identity.st_dev || now.st_ino != pipe_identity.st_ino) return;
  (void)sys::write_all(fd, format_reply_fail(exit_code::kFailure, message));
}

}  // namespace

StartOutcome daemonize(std::initializer_list<int> keep, const std::function<void()>& let_go,
                       const std::function<int(int ready_fd)>& monitor_main, const std::function<void()>& after_fork,
                       const WaitTicks& ticks) {
  // The fds the monitor keeps, copied in the child to an array on its
  // stack (sorted there): the readiness pipe's write end and `keep`.
  constexpr size_t kMaxKept = 8;
  if (keep.size() >= kMaxKept) return start_failure("internal error: the monitor is handed too many fds");
  // 0-2 become /dev/null in the monitor (detach_stdio()): a lock there would
  // be dropped without a word (main() puts /dev/null on any of them the
  // caller closed, so that no lock lands there). -1, no fd, keeps nothing.
  if (std::any_of(keep.begin(), keep.end(), [](int fd) { return fd >= 0 && fd <= STDERR_FILENO; }))
    return start_failure("internal error: the monitor is handed a standard stream to keep");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return start_failure(std::string("pipe: ") + std::strerror(errno));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // Which pipe it is (pipefs gives each pipe an inode of its own): a failure
  // that escapes the monitor after its report finds the number closed, or
  // naming another file by then (the record, a socket), and must not write
  // there.
  struct stat pipe_identity;
  if (::fstat(fds[1], &pipe_identity) < 0) return start_failure(std::string("fstat: ") + std::strerror(errno));

  pid_t child = ::fork();
  if (child < 0) return start_failure(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    read_end.reset();
    // The monitor leads a session of its own, as systemd runs every
    // service: no terminal's signals reach it, and it has no controlling
    // terminal. As a session leader it would acquire one by opening a
    // terminal without O_NOCTTY: every open of the monitor that could name
    // a terminal has that flag (daemonize.h), and only the service's own
    // child, in a session of its own, takes a terminal (TIOCSCTTY).
    if (::setsid() < 0) {
      (void)sys::write_all(write_end.get(),
                           format_reply_fail(exit_code::kFailure, std::string("setsid: ") + std::strerror(errno)));
      ::_exit(1);
    }
    if (!detach_stdio()) {
      (void)sys::write_all(
          write_end.get(),
          format_reply_fail(exit_code::kFailure,
                            std::string("detach from the caller's stdio (/dev/null): ") + std::strerror(errno)));
      ::_exit(1);
    }
    int status = exit_code::kFailure;
    int fd = write_end.release();  // the child's to the end: it _exits below
    // Everything from here on runs under one try: the child holds the
    // caller's objects, whose fds close_other_fds() takes away, and nothing
    // may unwind into the caller's frames, where their destructors would
    // close or unlock numbers that name other files by then.
    try {
      let_go();
      int kept[kMaxKept];
      size_t count = 0;
      for (int k : keep) kept[count++] = k;
      kept[count++] = fd;
      close_other_fds(kept, count);
      status = monitor_main(fd);
    } catch (const std::exception& e) {
      // What escaped the monitor (its loop catches its own): before its
      // report, the caller hears of it; after it, the pipe is closed and
      // nothing is written. Nothing unwinds further.
      report_late_failure(fd, pipe_identity, std::string("internal error: ") + e.what());
    } catch (...) {
      report_late_failure(fd, pipe_identity, "internal error: an unknown exception");
    }
    ::_exit(status);
  }

  write_end.reset();
  after_fork();
  ReportEnd how = ReportEnd::Unread;
  StartOutcome outcome = read_report(read_end.get(), ticks, how);
  // The monitor is this process's child: its PID is the one fork returned,
  // whatever the report said, or when it exited without a word. Not when
  // the report could not be read: that monitor may run on, and nobody
  // should wait for it. It is still provably ours (unreaped, its PID cannot
  // name another process): one that has ended already is reaped now, not
  // left a zombie for as long as this process lives. (A whole "ok PID": the
  // monitor lives on, and nobody waits for it.)
  outcome.monitor_pid = how == ReportEnd::Unread ? 0 : child;
  if (how == ReportEnd::Unread) {
    int status;
    while (::waitpid(child, &status, WNOHANG) < 0 && errno == EINTR) {
    }
  }
  return outcome;
}

void reap_monitor(const StartOutcome& outcome) {
  if (outcome.monitor_pid <= 1) return;
  int status;
  // ECHILD: reaped already (a waitpid(-1) of this process), or this is not
  // the process that forked it; either way it is gone or not ours to wait for.
  while (::waitpid(outcome.monitor_pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace unitrun::daemon
