// unitrun's entry point: parses the command line and calls one verb.
// This is the only place that catches exceptions and maps them to exit codes.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace {

constexpr const char* kVersion = "unitrun " UNITRUN_VERSION;

int run(int argc, char** argv) {
  using namespace unitrun;
  CLI::App app{"unitrun: run a program as a proper service, described by a systemd-style unit file"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::vector<std::string> check_units;
  auto* check = app.add_subcommand("check", "Validate unit files; report every problem as path:line: message");
  check->add_option("unit", check_units, "Unit files (.ini)")->required();

  std::string show_unit;
  bool show_json = false;
  auto* show = app.add_subcommand("show", "Print the effective unit after defaults and expansion, one Key=value per line");
  show->add_option("unit", show_unit, "Unit file (.ini)")->required();
  show->add_flag("--json", show_json, "Print one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, version, or the error and a hint
    return code == 0 ? exit_code::kSuccess : exit_code::kBadArguments;
  }

  if (*check) return cli::check(check_units);
  if (*show) return cli::show(show_unit, show_json);
  return exit_code::kBadArguments;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unitrun: internal error: %s\n", e.what());
    return unitrun::exit_code::kFailure;
  }
}
