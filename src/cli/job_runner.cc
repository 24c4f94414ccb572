#include "cli/job_runner.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "base/unique_fd.h"

namespace unitrun::cli {
namespace {

using State = JobRunState;

struct Slot {
  State state = State::Waiting;
  pid_t pid = -1;
  UniqueFd pidfd;  // readable once the job's process has exited
  int code = exit_code::kFailure;
  UniqueFd out, err;    // what the job wrote (memfds)
  std::string message;  // a cancelled job's
};

UniqueFd memfd(const char* name) { return UniqueFd(::memfd_create(name, MFD_CLOEXEC)); }

void copy_out(int from, FILE* to) {
  if (from < 0) return;
  if (::lseek(from, 0, SEEK_SET) < 0) return;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(from, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && std::fwrite(buf, 1, static_cast<size_t>(n), to) != static_cast<size_t>(n)) break;
  std::fflush(to);
}

// The child: the job's output into the memfds, its code as exit status.
[[noreturn]] void run_child(const UnitJob& job, Slot& slot) {
  if (::dup2(slot.out.get(), STDOUT_FILENO) < 0 || ::dup2(slot.err.get(), STDERR_FILENO) < 0)
    ::_exit(exit_code::kFailure);
  int code = exit_code::kFailure;
  try {
    code = job.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unitrun: %s: internal error: %s\n", job.unit.c_str(), e.what());
  }
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);
}

// The next of this run's own jobs to end: its slot, its wait status
// reaped. Never waitpid(-1): a job run in-process may have started a
// monitor, this process's child that outlives the command's jobs, and
// must be neither reaped here nor waited for (daemon::reap_monitor).
// A slot without a pidfd (pidfd_open failed) is waited for by its PID.
size_t wait_for_one(std::vector<Slot>& slots, int& status) {
  std::vector<struct pollfd> fds;
  std::vector<size_t> owners;
  size_t blocking = slots.size();
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].state != State::Running) continue;
    if (!slots[i].pidfd) {
      blocking = i;
      break;
    }
    fds.push_back({slots[i].pidfd.get(), POLLIN, 0});
    owners.push_back(i);
  }
  size_t which = blocking;
  while (which == slots.size()) {
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      which = owners.front();  // cannot poll: wait for the first in turn
      break;
    }
    for (size_t k = 0; k < fds.size() && which == slots.size(); ++k)
      if (fds[k].revents) which = owners[k];
  }
  while (::waitpid(slots[which].pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    status = -1;  // ECHILD: not ours to wait for any more (reaped by someone else)
    break;
  }
  slots[which].pidfd.reset();
  return which;
}

bool ready(const UnitJob& job, const std::vector<Slot>& slots) {
  for (size_t d : job.ready_after)
    if (d >= slots.size() || slots[d].state != State::Finished) return false;
  return true;
}

}  // namespace

std::vector<int> run_jobs(const std::vector<UnitJob>& jobs, size_t parallel, const JobEnded& on_end) {
  if (jobs.size() == 1 && jobs[0].ready_after.empty()) return {jobs[0].run()};
  if (parallel == 0) parallel = 1;
  std::vector<Slot> slots(jobs.size());
  size_t running = 0, printed = 0;
  std::fflush(stdout);
  std::fflush(stderr);
  auto print_finished = [&] {
    while (printed < slots.size() && slots[printed].state == State::Finished) {
      copy_out(slots[printed].out.get(), stdout);
      copy_out(slots[printed].err.get(), stderr);
      if (!slots[printed].message.empty()) {
        std::fprintf(stderr, "%s\n", slots[printed].message.c_str());
        std::fflush(stderr);
      }
      slots[printed].out.reset();
      slots[printed].err.reset();
      ++printed;
    }
  };
  while (true) {
    for (size_t i = 0; i < jobs.size() && running < parallel; ++i) {
      Slot& slot = slots[i];
      if (slot.state != State::Waiting || !ready(jobs[i], slots)) continue;
      slot.out = memfd("unitrun-job-out");
      slot.err = memfd("unitrun-job-err");
      pid_t pid = slot.out && slot.err ? ::fork() : -1;
      if (pid == 0) run_child(jobs[i], slot);
      if (pid < 0) {
        std::fprintf(stderr, "unitrun: %s: cannot run: %s\n", jobs[i].unit.c_str(), std::strerror(errno));
        slot.state = State::Finished;
        continue;
      }
      slot.pid = pid;
      // Not reaped yet, so the PID is still this child's. Without a
      // pidfd (an old kernel, no fds left) it is waited for by PID.
      if (auto fd = sys::pidfd_open(pid)) slot.pidfd = std::move(*fd);
      slot.state = State::Running;
      ++running;
    }
    print_finished();
    if (running == 0) break;
    int status = 0;
    size_t i = wait_for_one(slots, status);
    Slot& slot = slots[i];
    slot.state = State::Finished;
    slot.code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : exit_code::kFailure;
    --running;
    if (!on_end) continue;
    std::vector<State> states;
    states.reserve(slots.size());
    for (const Slot& s : slots) states.push_back(s.state);
    for (CancelledJob& c : on_end(i, slot.code, states)) {
      if (c.job >= slots.size() || slots[c.job].state != State::Waiting) continue;
      slots[c.job].state = State::Finished;
      slots[c.job].code = c.code;
      slots[c.job].message = std::move(c.message);
    }
  }
  // What never became ready waited for something that cannot finish.
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].state == State::Waiting) {
      std::fprintf(stderr, "unitrun: %s: not run: it waits for a job that never finished\n", jobs[i].unit.c_str());
      slots[i].state = State::Finished;
    }
  print_finished();
  std::vector<int> codes;
  for (const Slot& s : slots) codes.push_back(s.code);
  return codes;
}

}  // namespace unitrun::cli
