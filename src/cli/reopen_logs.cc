// `unitrun reopen-logs`: every daemonized monitor of the caller's runtime
// directory reopens its own log (logrotate's postrotate). Only the monitors
// that unitrun's own state records name get the signal, each proven by the
// record's PID and start time, the unit's alive lock and a pidfd; never a
// process found by its name (a `start` waiting for READY=1, a `logs -f`, a
// foreground `run` are all called unitrun too, and SIGHUP would end the
// first two and reload the service of the third).
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "process/proc.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The NAME.HASH.state records of a runtime directory (not the hidden spares).
Result<std::vector<std::string>> state_records(const std::string& directory) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) {
    if (errno == ENOENT) return out;  // no unit ever ran: nothing to tell
    return Error::from_errno("open directory '" + directory + "'");
  }
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name[0] != '.' && ends_with(name, ".state")) out.push_back(directory + "/" + name);
    errno = 0;
  }
  int read_errno = errno;
  (void)::closedir(dir);  // a directory opened for reading: closing it cannot lose anything
  if (read_errno != 0) return Error{read_errno, "read directory '" + directory + "'"};
  return out;
}

enum class Outcome { Signalled, NotAMonitor, Failed };

// One record: its monitor, if it is a live daemonized one, gets SIGHUP.
Outcome reopen_one(const std::string& state_path, std::string& why) {
  auto state = read_state(state_path);
  if (!state || state->foreground || state->finished() || state->monitor_pid <= 1) return Outcome::NotAMonitor;
  if (state->boot_id != sys::boot_id()) return Outcome::NotAMonitor;
  // The alive lock says a monitor of this unit lives; the record's PID and
  // start time say which process it is.
  std::string lock_path = state_path.substr(0, state_path.size() - std::strlen(".state")) + ".lock";
  if (::access(lock_path.c_str(), F_OK) != 0) return Outcome::NotAMonitor;  // never locked: no monitor
  auto lock = UnitLock::open(lock_path);
  if (!lock) return Outcome::NotAMonitor;
  auto held = lock->alive_held_elsewhere();
  if (!held || !*held) return Outcome::NotAMonitor;
  auto pidfd = sys::pidfd_open(state->monitor_pid);
  if (!pidfd) return Outcome::NotAMonitor;  // exited since
  if (!proc::is_same_process(state->monitor_pid, state->monitor_start_time)) return Outcome::NotAMonitor;
  auto sent = sys::pidfd_send_signal(pidfd->get(), SIGHUP);
  if (!sent) {
    why = state_path + ": monitor pid " + std::to_string(state->monitor_pid) + ": " + sent.error().message();
    return Outcome::Failed;
  }
  return *sent ? Outcome::Signalled : Outcome::NotAMonitor;  // false: it exited just now
}

}  // namespace

int reopen_logs() {
  std::string directory = unit::context_for_current_user("/").pid_dir;
  auto records = state_records(directory);
  if (!records) {
    std::fprintf(stderr, "unitrun: %s\n", records.error().message().c_str());
    return exit_code::kFailure;
  }
  int rc = exit_code::kSuccess;
  for (const std::string& record : *records) {
    std::string why;
    if (reopen_one(record, why) == Outcome::Failed) {
      std::fprintf(stderr, "unitrun: %s\n", why.c_str());
      rc = exit_code::kFailure;
    }
  }
  return rc;
}

}  // namespace unitrun::cli
