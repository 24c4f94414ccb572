#include "process/kill_tree.h"

#include <signal.h>
#include <unistd.h>

#include "base/sys.h"

namespace unitrun::process {

bool signal_verified(const proc::Stat& target, int sig) {
  if (target.pid <= 1) return false;  // never PID 1, never a process group
  auto pidfd = sys::pidfd_open(target.pid);
  if (!pidfd) return false;  // gone already
  // The pidfd now pins one process; make sure it is the one we saw.
  if (!proc::is_same_process(target.pid, target.start_time)) return false;
  auto sent = sys::pidfd_send_signal(pidfd->get(), sig);
  if (!sent || !*sent) return false;
  // A stopped process would never act on SIGTERM (systemd, s6 do the same).
  if (sig != SIGKILL && sig != SIGCONT) (void)sys::pidfd_send_signal(pidfd->get(), SIGCONT);
  return true;
}

std::vector<proc::Stat> my_descendants() { return proc::descendants_of(::getpid()); }

}  // namespace unitrun::process
