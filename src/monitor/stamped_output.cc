#include "monitor/stamped_output.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "base/sys.h"
#include "runtime/safe_files.h"

namespace unitrun::monitor {

Result<StampedOutput> StampedOutput::open(std::string path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return Error::from_errno("pipe for X-Unitrun-Timestamps=");
  StampedOutput s;
  s.path_ = std::move(path);
  s.read_.reset(fds[0]);
  s.write_.reset(fds[1]);
  // Only the monitor's end is non-blocking: the service's is the ordinary
  // blocking stdout a program expects.
  int flags = ::fcntl(fds[0], F_GETFL);
  if (flags < 0 || ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) < 0)
    return Error::from_errno("make the output pipe non-blocking");
  // Room for bursts: 1 MiB (pipe-max-size's default) for root. A user's
  // pipe buffers count against its pipe-user-pages-soft (64 MiB): two 1 MiB
  // pipes per stamped unit would soon cut every pipe of that user to two
  // pages, so a user's keeps the default 64 KiB (read as eagerly).
  if (::geteuid() == 0) (void)::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  return s;
}

Result<UniqueFd> StampedOutput::service_end() const {
  int fd = ::fcntl(write_.get(), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return Error::from_errno("duplicate the output pipe");
  return UniqueFd(fd);
}

Status StampedOutput::reopen() {
  auto file = safe_files::open_for_writing(path_, true, false, 0640);
  if (!file) return file.error();
  file_ = std::move(*file);
  failing_ = false;
  return ok();
}

std::optional<std::string> StampedOutput::write_out() {
  if (pending_.empty()) return std::nullopt;
  std::optional<std::string> report;
  if (!file_) {
    pending_.clear();
    return report;
  }
  auto written = sys::write_all(file_.get(), pending_);
  pending_.clear();
  if (written) {
    failing_ = false;
  } else if (!failing_) {
    failing_ = true;
    report = "cannot write the service's output to '" + path_ + "': " + written.error().message() +
             " (what it writes is dropped until writing works again)";
  }
  return report;
}

std::optional<std::string> StampedOutput::drain(size_t budget) {
  std::optional<std::string> report;
  // In .bss, touched only by a unit that stamps its output. (thread_local
  // was 256 KiB of static TLS that glibc zeroes at every start of the
  // binary: 264 kB dirty in every monitor, stamped or not.)
  static char buf[256 * 1024];
  while (budget > 0) {
    ssize_t n = ::read(read_.get(), buf, std::min(sizeof buf, budget));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: drained. 0 cannot happen: we hold a write end.
    stamper_.feed(std::string_view(buf, static_cast<size_t>(n)), static_cast<int64_t>(sys::now_realtime_usec()),
                  pending_);
    if (auto r = write_out(); r && !report) report = std::move(r);
    budget -= static_cast<size_t>(n);
    // Less than asked for: the pipe is empty now (what comes next wakes the
    // loop again), and a read to learn so would be a syscall per write of
    // the service's for nothing.
    if (static_cast<size_t>(n) < sizeof buf) break;
  }
  return report;
}

std::optional<std::string> StampedOutput::finish() {
  // What the pipe holds now, and no more: a process still writing (one that
  // outlived its unit's stop) could keep it full for ever.
  int queued = 0;
  if (::ioctl(read_.get(), FIONREAD, &queued) < 0) queued = 0;  // a pipe always answers; nothing to drain otherwise
  std::optional<std::string> report = queued > 0 ? drain(static_cast<size_t>(queued)) : std::nullopt;
  stamper_.flush(pending_);
  if (auto r = write_out(); r && !report) report = std::move(r);
  return report;
}

Status route_through_pipes(const Unit& unit, bool foreground, Outputs& outputs, std::vector<StampedOutput>& stamped) {
  if (!unit.timestamps) return ok();
  bool journald = sys::journald_listening();
  std::string out_path = outputs.out ? file_of(unit, unit.standard_output, foreground, journald) : "";
  // stderr has a file of its own only when open_outputs() gave it an fd of its own.
  std::string err_path = outputs.err ? file_of(unit, unit.standard_error, foreground, journald) : "";
  if (stamped.empty()) {
    for (const std::string& path : {out_path, err_path}) {
      if (path.empty()) {
        stamped.emplace_back();  // a placeholder: this stream is not stamped
        continue;
      }
      auto s = StampedOutput::open(path);
      if (!s) return s.error();
      stamped.push_back(std::move(*s));
    }
  }
  UniqueFd* fds[2] = {&outputs.out, &outputs.err};
  for (size_t i = 0; i < 2; ++i) {
    if (stamped[i].path().empty()) continue;
    auto end = stamped[i].service_end();
    if (!end) return end.error();
    stamped[i].set_file(std::move(*fds[i]));
    *fds[i] = std::move(*end);
  }
  return ok();
}

}  // namespace unitrun::monitor
