// Micro-benchmark of the manager's pure core on 1,000 units: building the
// dependency graph, then the transaction that starts multi-user.target
// with all of them (500 services in a Requires=/After= chain, 500 that each
// require the chain's end, all wanted by the target, every service with its
// default dependencies), and the one that stops the chain's first unit with
// everything running (which stops all 1,000). A chrono loop:
//   unitrun_transaction_bench [--runs N]
// prints the median, min and max of each step in microseconds. Goal: a
// small part of the 100 ms the issue gives `list` of 1,000 units.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "manager/dependency_graph.h"
#include "manager/transaction.h"

namespace {

using namespace unitrun;
using namespace unitrun::manager;

constexpr int kUnits = 1000;

std::vector<UnitSpec> make_units() {
  std::vector<UnitSpec> units;
  UnitSpec target;
  target.name = "multi-user.target";
  target.load_state = LoadState::NotFound;  // only its .wants/ directory
  for (int i = 0; i < kUnits; ++i) {
    UnitSpec u;
    u.name = "s" + std::to_string(i) + ".service";
    std::string previous =
        i < kUnits / 2 ? "s" + std::to_string(i - 1) + ".service" : "s" + std::to_string(kUnits / 2 - 1) + ".service";
    if (i > 0) u.add(Dependency::Requires, {previous}).add(Dependency::After, {previous});
    target.dependencies[Dependency::Wants].push_back(u.name);
    units.push_back(std::move(u));
  }
  units.push_back(std::move(target));
  return units;
}

struct Timings {
  std::vector<double> graph, start, stop;
};

void print(const char* what, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  std::printf("%-44s median %8.1f us, min %8.1f us, max %8.1f us\n", what, us[us.size() / 2], us.front(), us.back());
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 200;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else
      return std::fprintf(stderr, "usage: %s [--runs N]\n", argv[0]), 2;
  }
  std::vector<UnitSpec> units = make_units();
  UnitStates running;
  for (const UnitSpec& u : units) running.set(u.name, ActiveState::Active);
  running.set("sysinit.target", ActiveState::Active);
  running.set("basic.target", ActiveState::Active);
  Request start{RequestType::Start, {"multi-user.target"}, JobMode::Replace};
  Request stop{RequestType::Stop, {"s0.service"}, JobMode::Replace};

  Timings t;
  size_t start_jobs = 0, stop_jobs = 0;
  for (int i = 0; i < runs + 5; ++i) {  // the first five warm up
    auto t0 = std::chrono::steady_clock::now();
    Result<DependencyGraph> graph = DependencyGraph::build(units);
    auto t1 = std::chrono::steady_clock::now();
    if (!graph.ok()) return std::fprintf(stderr, "graph: %s\n", graph.error().message().c_str()), 1;
    Result<Transaction> started = build_transaction(*graph, {}, start);
    auto t2 = std::chrono::steady_clock::now();
    Result<Transaction> stopped = build_transaction(*graph, running, stop);
    auto t3 = std::chrono::steady_clock::now();
    if (!started.ok() || !stopped.ok()) return std::fprintf(stderr, "transaction failed\n"), 1;
    start_jobs = started->jobs.size();
    stop_jobs = stopped->jobs.size();
    if (i < 5) continue;
    t.graph.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    t.start.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    t.stop.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
  }
  std::printf("%d units, %d runs; start: %zu jobs, stop: %zu jobs\n", kUnits, runs, start_jobs, stop_jobs);
  print("graph (1,000 specs, default dependencies)", t.graph);
  print("transaction: start multi-user.target", t.start);
  print("transaction: stop s0.service (stops 1,000)", t.stop);
  return 0;
}
