// X-Unitrun-Timestamps=yes: a pipe between the service's stdout (or its
// stderr, when that goes to a file of its own) and the file, which the
// monitor reads through its epoll loop and writes out line by line, each
// line stamped with when it was read (runtime/line_stamp.h). Without the key
// none of this exists: the service writes to the file itself.
//
// The monitor owns the pipe for its whole life (both ends: it never sees
// EOF, so its epoll never spins on a closed pipe) and the file for one run
// (set_file at each start, as open_outputs() opened it). The service gets a
// copy of the write end. The pipe is made as large as the kernel allows an
// unprivileged process (1 MiB) and read eagerly, so a service blocks on it
// only while the monitor is itself stopped. A write that fails (a full disk)
// is reported once and what is read is dropped until writing works again:
// the service is never held up by its log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "monitor/service_exec.h"
#include "runtime/line_stamp.h"
#include "unit/unit.h"

namespace unitrun::monitor {

class StampedOutput {
 public:
  StampedOutput() = default;  // a stream that is not stamped: no pipe, no path
  // A new pipe for the file at `path` (what reopen() opens again).
  static Result<StampedOutput> open(std::string path);

  int read_fd() const { return read_.get(); }
  const std::string& path() const { return path_; }
  // A new fd on the write end, for the service's stdout or stderr.
  Result<UniqueFd> service_end() const;
  // The file this run writes to (opened by open_outputs(): file:, append:,
  // truncate: or the unit's log file).
  void set_file(UniqueFd file) { file_ = std::move(file); }
  // reopen-logs: the file at path() again, for appending (logrotate moved it).
  Status reopen();

  // Reads what the pipe holds, at most `budget` bytes, and writes it out
  // stamped. A message the first time writing fails, nullopt otherwise.
  std::optional<std::string> drain(size_t budget = 4 << 20);
  // drain() of what the pipe holds now (FIONREAD: a writer that is left
  // cannot hold it up), then a last line without its newline too (no
  // process of the service is left to finish it, or the run is over).
  std::optional<std::string> finish();

 private:
  std::optional<std::string> write_out();

  std::string path_;
  UniqueFd read_, write_, file_;
  LineStamper stamper_;
  std::string pending_;  // stamped text not written yet (one read's worth)
  bool failing_ = false;
};

// Puts a StampedOutput between the service and each file its output goes to,
// when the unit has X-Unitrun-Timestamps=yes: `outputs` (as open_outputs()
// made them) gets the pipes' write ends, `stamped` their files. `stamped` is
// made at the first run and kept (the same unit, the same streams); stdout
// and stderr to one file are one stream, to two files two.
Status route_through_pipes(const Unit& unit, bool foreground, Outputs& outputs, std::vector<StampedOutput>& stamped);

}  // namespace unitrun::monitor
