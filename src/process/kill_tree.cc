#include "process/kill_tree.h"

#include <signal.h>
#include <unistd.h>

#include "base/sys.h"

namespace unitrun::process {

bool signal_child(pid_t child, int sig) {
  if (child <= 1) return false;              // never PID 1, never a process group
  if (::kill(child, sig) < 0) return false;  // ESRCH: it has exited (a zombie is still signalable)
  // A stopped process would never act on SIGTERM (systemd, s6 do the same).
  if (sig != SIGKILL && sig != SIGCONT) (void)::kill(child, SIGCONT);
  return true;
}

bool signal_verified(const proc::Stat& target, int sig) {
  if (target.pid <= 1) return false;  // never PID 1, never a process group
  // Without a pidfd (ESRCH: gone; anything else, e.g. EMFILE: unproven)
  // nothing is sent.
  auto pidfd = sys::pidfd_open(target.pid);
  if (!pidfd) return false;
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
