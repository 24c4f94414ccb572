#include "process/pin.h"

#include "base/sys.h"

namespace unitrun::process {

bool descends_from(pid_t ppid, pid_t ancestor) {
  for (int depth = 0; depth < 64 && ppid > 1; ++depth) {
    if (ppid == ancestor) return true;
    auto s = proc::read_stat(ppid);
    if (!s) return false;
    ppid = s->ppid;
  }
  return ppid == ancestor && ancestor > 0;
}

std::optional<proc::Stat> prove_descendant(int pidfd, pid_t pid, pid_t ancestor) {
  if (pid <= 1 || pid == ancestor) return std::nullopt;
  auto st = proc::read_stat(pid);
  if (!st || st->state == 'Z' || !descends_from(st->ppid, ancestor)) return std::nullopt;
  // Signal 0 through the pidfd: it fails (ESRCH) once the pinned process
  // has been reaped, the only moment its PID can have gone to another.
  auto alive = sys::pidfd_send_signal(pidfd, 0);
  if (!alive || !*alive) return std::nullopt;
  return st;
}

std::optional<PinnedProcess> pin_descendant(pid_t pid, pid_t ancestor) {
  if (pid <= 1) return std::nullopt;
  auto pidfd = sys::pidfd_open(pid);
  if (!pidfd) return std::nullopt;
  auto st = prove_descendant(pidfd->get(), pid, ancestor);
  if (!st) return std::nullopt;
  return PinnedProcess{std::move(*pidfd), *st};
}

}  // namespace unitrun::process
