// The child's side of the sandbox: walks a SandboxPlan's steps between
// clone and exec. Async-signal-safe: system calls and reads of the plan
// only, no allocation, no lock, no libc function that keeps state (the
// child shares the monitor's memory until it execs). Internal to process/,
// called by spawn.cc.
#pragma once

#include "process/sandbox.h"

namespace unitrun::process::sandbox_child {

// In memory the parent reads once the child has exec'd or exited.
struct Report {
  int failed_op = -1;  // index into plan.ops
  int error = 0;
  struct Warning {
    int op;
    int error;
  };
  static constexpr int kMaxWarnings = 32;
  Warning warnings[kMaxWarnings];
  int warning_count = 0;  // may exceed kMaxWarnings: the rest were dropped
};

// Runs every step of `phase` in order. A failing step is a warning when
// the plan is best-effort or the step is warn_only; otherwise this returns
// false with report.failed_op and report.error set, and the child must
// fail.
bool run_phase(const SandboxPlan& plan, SandboxOp::Phase phase, Report& report);

}  // namespace unitrun::process::sandbox_child
