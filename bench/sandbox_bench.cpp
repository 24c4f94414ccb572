// What the sandbox costs a start: process::spawn of /bin/true plain, and the
// same with ProtectSystem=strict, PrivateTmp=yes, PrivateDevices=yes,
// NoNewPrivileges=yes and SystemCallFilter=@system-service. As root.
//
//   build/bench/unitrun_sandbox_bench [--runs N]
//
// Per row, median [min–max] in milliseconds over N runs (alternated, plain
// and sandboxed, so that a load change hits both):
//   build_plan   the monitor's side: mountinfo, stat, libseccomp compiling
//                the filter to BPF (once per start of a unit)
//   spawn        clone to exec'd (spawn() returning): namespaces, mounts,
//                capabilities, the filter
//   spawn+exit   until /bin/true has run and been reaped (the namespace torn
//                down included)
// The goal (issue: sandboxed start <= 2x the plain unitrun start) is judged
// against `unitrun start`, about 5.6 ms here (docs/benchmarks.md): the
// sandboxed start costs build_plan + spawn more than a plain one.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "process/sandbox.h"
#include "process/spawn.h"

namespace {

using namespace unitrun;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Series {
  std::vector<double> v;
  std::string row() {
    std::sort(v.begin(), v.end());
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.3f [%.3f–%.3f]", v[v.size() / 2], v.front(), v.back());
    return buf;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 200;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "unitrun_sandbox_bench: run as root (namespaces)\n");
    return 4;
  }
  auto tmp = process::PrivateTmp::create("sandbox-bench");
  if (!tmp) {
    std::fprintf(stderr, "%s\n", tmp.error().message().c_str());
    return 1;
  }
  process::SandboxSpec spec;
  spec.protect_system = process::ProtectSystem::Strict;
  spec.private_tmp = true;
  spec.private_devices = true;
  spec.no_new_privileges = true;
  spec.system_call_filter = {"@system-service"};
  process::PlanContext ctx;
  ctx.unit_name = "sandbox-bench";
  ctx.private_tmp_dir = tmp->tmp();
  ctx.private_var_tmp_dir = tmp->var_tmp();

  process::ExecSpec exec;
  exec.program = "/bin/true";
  exec.argv = {"true"};
  exec.env = {"PATH=/usr/bin:/bin"};

  Series plan_ms, plain_spawn, plain_total, sandbox_spawn, sandbox_total;
  auto one = [&](const process::SandboxPlan* plan, Series& spawn_ms, Series& total_ms) {
    exec.sandbox = plan;
    auto t0 = Clock::now();
    process::SpawnResult r = process::spawn(exec);
    double spawned = ms_since(t0);
    if (!r.ok()) {
      std::fprintf(stderr, "spawn failed: %s\n", r.message(exec).c_str());
      std::exit(1);
    }
    int status;
    while (::waitpid(r.pid, &status, 0) < 0) {
    }
    total_ms.v.push_back(ms_since(t0));
    spawn_ms.v.push_back(spawned);
  };
  for (int i = 0; i < runs; ++i) {
    one(nullptr, plain_spawn, plain_total);
    auto t0 = Clock::now();
    auto plan = process::build_plan(spec, ctx);
    plan_ms.v.push_back(ms_since(t0));
    if (!plan) {
      std::fprintf(stderr, "%s\n", plan.error().message().c_str());
      return 1;
    }
    one(&*plan, sandbox_spawn, sandbox_total);
  }
  std::printf("process::spawn of /bin/true, ms, median [min–max] over %d runs\n", runs);
  std::printf("| | plain | sandboxed |\n|---|---:|---:|\n");
  std::printf("| build_plan | – | %s |\n", plan_ms.row().c_str());
  std::printf("| spawn (exec'd) | %s | %s |\n", plain_spawn.row().c_str(), sandbox_spawn.row().c_str());
  std::printf("| spawn+exit | %s | %s |\n", plain_total.row().c_str(), sandbox_total.row().c_str());
  return 0;
}
