// Micro-benchmark of unit::parse() on a generated unit of 1,000 keys: many
// Environment= and ExecStartPre= lines with quotes and escapes, plus every
// scalar key. Goal: well under 1 ms per parse.
//
// With Google Benchmark (found by CMake) the usual flags apply, e.g.
//   unitrun_parse_bench --benchmark_repetitions=30
// and the median/min/max rows are per parse. Without it, a chrono loop:
//   unitrun_parse_bench [--runs N]
// Both print the time per parse in microseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "unit/diagnostic.h"
#include "unit/unit_parser.h"

#ifdef UNITRUN_HAVE_GOOGLE_BENCHMARK
#include <benchmark/benchmark.h>
#endif

namespace {

using namespace unitrun;

constexpr int kKeys = 1000;

// Returns a unit with exactly kKeys assignments that parses without errors.
std::string make_unit() {
  std::vector<std::string> unit_keys = {
      "Description=Generated unit for the parser benchmark (%N on %u)",
      "Documentation=man:unitrun(1) \"https://example.org/a b\"",
      "StartLimitIntervalSec=30s",
      "StartLimitBurst=5",
  };
  std::vector<std::string> service_keys = {
      "Type=simple",
      "ExecStart=/usr/bin/worker --config \"/etc/worker/main conf.ini\" --name %n --tab \\t",
      "ExecStartPost=-/bin/echo started ; /bin/true",
      "ExecReload=/bin/kill -HUP $MAINPID",
      "ExecStop=/bin/kill -TERM ${MAINPID}",
      "ExecStopPost=-/bin/rm -f %t/worker.sock",
      "WorkingDirectory=-/var/lib/worker",
      "UMask=0027",
      "User=nobody",
      "Group=nogroup",
      "SupplementaryGroups=adm users 100",
      "EnvironmentFile=-/etc/default/worker",
      "PIDFile=%t/worker.pid",
      "StandardInput=null",
      "StandardOutput=append:/var/log/worker.log",
      "StandardError=inherit",
      "Restart=on-failure",
      "RestartSec=1min 30s",
      "SuccessExitStatus=0 143 TEMPFAIL SIGUSR1",
      "RestartPreventExitStatus=78 SIGKILL",
      "TimeoutStartSec=90",
      "TimeoutStopSec=5min 20s",
      "KillMode=mixed",
      "KillSignal=SIGTERM",
      "FinalKillSignal=SIGKILL",
      "SendSIGKILL=yes",
      "WatchdogSec=0",
      "LimitNOFILE=1024:4096",
      "LimitCORE=16M:infinity",
      "Nice=5",
  };
  std::vector<std::string> install_keys = {"WantedBy=multi-user.target"};

  std::string out = "# Generated: " + std::to_string(kKeys) + " keys\n[Unit]\n";
  for (const std::string& k : unit_keys) out += k + "\n";
  out += "\n[Service]\n";
  for (const std::string& k : service_keys) out += k + "\n";
  int remaining = kKeys - static_cast<int>(unit_keys.size() + service_keys.size() + install_keys.size());
  for (int i = 0; i < remaining; ++i) {
    if (i % 2 == 0) {
      out += "Environment=VAR_" + std::to_string(i) + "=value" + std::to_string(i) + " \"QUOTED_" + std::to_string(i) +
             "=with spaces and \\\"escapes\\\"\" 'SINGLE_" + std::to_string(i) + "=a\\tb'\n";
    } else {
      out += "ExecStartPre=-/usr/bin/prepare --step " + std::to_string(i) +
             " \"an argument with spaces\" 'single quoted' \\x41\\u00e9 --path=%t/step" + std::to_string(i) +
             " \"$$literal\" ${VAR}\n";
    }
    if (i % 100 == 99) out += "# a comment every hundred lines\n";
    if (i == remaining / 2) out += "Environment=\"LONG=continued \\\n  over three \\\n  lines\"\n", ++i;
  }
  out += "\n[Install]\n";
  for (const std::string& k : install_keys) out += k + "\n";
  return out;
}

unit::ParseContext context() {
  unit::ParseContext c;
  c.path = "/etc/unitrun/bench.ini";
  c.user_name = "root";
  c.home = "/root";
  c.runtime_dir = "/run";
  c.pid_dir = "/run/unitrun";
  c.log_dir = "/var/log/unitrun";
  return c;
}

// Parses once up front and refuses to time a unit that does not parse.
bool check_unit(const std::string& text, const unit::ParseContext& ctx) {
  unit::ParseResult r = unit::parse(text, ctx);
  if (!has_errors(r.diagnostics)) return true;
  for (const Diagnostic& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.format(ctx.path).c_str());
  return false;
}

}  // namespace

#ifdef UNITRUN_HAVE_GOOGLE_BENCHMARK

static void BM_parse_1000_keys(benchmark::State& state) {
  static const std::string text = make_unit();
  static const unit::ParseContext ctx = context();
  for (auto _ : state) {
    unit::ParseResult r = unit::parse(text, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  state.counters["keys"] = kKeys;
}
BENCHMARK(BM_parse_1000_keys)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(20)
    ->ReportAggregatesOnly(true)
    ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
    ->ComputeStatistics("max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });

int main(int argc, char** argv) {
  std::string text = make_unit();
  if (!check_unit(text, context())) return 1;
  std::printf("unit: %d keys, %zu bytes\n", kKeys, text.size());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

#else

int main(int argc, char** argv) {
  int runs = 1000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else
      return std::fprintf(stderr, "usage: %s [--runs N]\n", argv[0]), 2;
  }
  std::string text = make_unit();
  unit::ParseContext ctx = context();
  if (!check_unit(text, ctx)) return 1;
  for (int i = 0; i < 10; ++i) (void)unit::parse(text, ctx);  // warm up
  std::vector<double> us;
  us.reserve(static_cast<size_t>(runs));
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    unit::ParseResult r = unit::parse(text, ctx);
    auto t1 = std::chrono::steady_clock::now();
    if (r.unit.environment.empty()) std::abort();  // keeps the result alive
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  std::printf("unit: %d keys, %zu bytes; %d parses\n", kKeys, text.size(), runs);
  std::printf("per parse: median %.1f us, min %.1f us, max %.1f us\n", us[us.size() / 2], us.front(), us.back());
  return 0;
}

#endif
