// Several units at once: one job per unit, each run in a child process of
// its own exactly as the verb runs for a single unit (its own locks, its
// own monitor to fork and wait for), as many at a time as their order and
// the limit allow. Each job's output is kept and printed whole, in the
// jobs' order, once it and the jobs before it are done: the output reads as
// if they had run one after the other.
//
// The order is the manager's business (src/manager/transaction.h: a job
// waits for the jobs in its ready_after); today's jobs are independent
// units, or the jobs of a transaction (cli/dependency_jobs.h), which
// cancels the waiting jobs a failure leaves without what they need.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace unitrun::cli {

struct UnitJob {
  std::string unit;                      // for messages
  std::function<int()> run;              // the verb for one unit; its exit code
  std::vector<size_t> ready_after = {};  // indexes of the jobs that must have finished first
};

// How many jobs run at once: a start mostly waits (for its monitor to
// report), so more than the CPUs, but not so many that 1,000 units fork
// 1,000 processes at once.
inline constexpr size_t kParallelJobs = 16;

// Where a job is, for a JobEnded callback.
enum class JobRunState { Waiting, Running, Finished };

// A waiting job that must not run any more: it finishes at once with this
// code, and `message` is printed in its place (stderr).
struct CancelledJob {
  size_t job = 0;
  std::string message;
  int code = 1;
};
// Called in this process as each job ends, with its exit code and every
// job's state: the manager's run-time rules (a required unit failed) say
// which waiting jobs it cancels.
using JobEnded = std::function<std::vector<CancelledJob>(size_t job, int code, const std::vector<JobRunState>& states)>;

// Runs the jobs and returns their exit codes, in order. One job with
// nothing to wait for runs in this process (no fork: `start` under systemd,
// `run`, and every single-unit command behave as they always did). A job
// whose ready_after jobs can never finish (a cycle) fails with 1.
std::vector<int> run_jobs(const std::vector<UnitJob>& jobs, size_t parallel = kParallelJobs,
                          const JobEnded& on_end = {});

}  // namespace unitrun::cli
