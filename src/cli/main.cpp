// unitrun's entry point: parses the command line and calls one verb.
// This is the only place that catches exceptions and maps them to exit codes.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "base/exit_codes.h"
#include "base/process_title.h"
#include "cli/commands.h"
#include "process/sandbox.h"
#include "unit/directives.h"

namespace {

constexpr const char* kVersion = "unitrun " UNITRUN_VERSION;
constexpr const char* kUsage =
    "usage: unitrun start|stop|restart|status|reload|force-reload|try-restart|run|logs|show UNIT\n"
    "       unitrun check UNIT...\n"
    "       unitrun security [--json] [--threshold=N] UNIT...\n"
    "       unitrun export systemd|sysv UNIT\n"
    "       unitrun COMMAND --help, unitrun --help, unitrun --version\n";

int run(int argc, char** argv) {
  using namespace unitrun;
  CLI::App app{"unitrun: run a program as a proper service, described by a systemd-style unit file"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);
  // Building options costs more than some verbs' whole work: only the verb
  // on the command line gets its own (its --help included). The others need
  // only a name and a line of description, for `unitrun --help`.
  // A help flag, too, is built for the invoked verb alone: the parent gets
  // its own only after the verbs, which would each copy it.
  const std::string verb = argc > 1 ? argv[1] : "";
  constexpr const char* kHelpFlag = "-h,--help";
  constexpr const char* kHelpText = "Print this help message and exit";
  app.set_help_flag();
  auto invoked = [&](CLI::App* sub) {
    if (!sub->check_name(verb)) return false;
    sub->set_help_flag(kHelpFlag, kHelpText);
    return true;
  };

  std::vector<std::string> check_units;
  auto* check = app.add_subcommand("check", "Validate unit files; report every problem as path:line: message");
  if (invoked(check)) check->add_option("unit", check_units, "Unit files (.ini)")->required();

  std::vector<std::string> security_units;
  bool security_json = false;
  unsigned security_threshold = 100;
  auto* security = app.add_subcommand(
      "security", "Score the unit's exposure as systemd-analyze security does (0.0 safe to 10.0 exposed)");
  if (invoked(security)) {
    security->add_option("unit", security_units, "Unit files (.ini)")->required();
    security->add_flag("--json", security_json, "Print each check as JSON");
    security
        ->add_option("--threshold", security_threshold,
                     "Exit 1 when the exposure is above N tenths (0-100, as systemd-analyze; default 100)")
        ->check(CLI::Range(0u, 100u));
  }

  std::string show_unit;
  bool show_json = false;
  auto* show =
      app.add_subcommand("show", "Print the effective unit after defaults and expansion, one Key=value per line");
  if (invoked(show)) {
    show->add_option("unit", show_unit, "Unit file (.ini)")->required();
    show->add_flag("--json", show_json, "Print one JSON object");
  }

  std::string unit_path;
  bool status_json = false;
  auto* start = app.add_subcommand("start", "Start the unit as a daemon; return once it runs (or say why it does not)");
  if (invoked(start)) start->add_option("unit", unit_path, "Unit file (.ini)")->required();
  auto* stop = app.add_subcommand("stop", "Stop the unit and every process it made");
  if (invoked(stop)) stop->add_option("unit", unit_path, "Unit file (.ini)")->required();
  auto* restart = app.add_subcommand("restart", "Stop the unit if it runs, then start it");
  if (invoked(restart)) restart->add_option("unit", unit_path, "Unit file (.ini)")->required();
  auto* status =
      app.add_subcommand("status", "Show the unit's state; exit 0 running, 1 dead with pidfile, 3 stopped, 4 unknown");
  if (invoked(status)) {
    status->add_option("unit", unit_path, "Unit file (.ini)")->required();
    status->add_flag("--json", status_json, "Print one JSON object");
  }

  auto* reload = app.add_subcommand("reload", "Run ExecReload=; exit 3 when the unit has none, 7 when not running");
  if (invoked(reload)) reload->add_option("unit", unit_path, "Unit file (.ini)")->required();
  auto* force_reload =
      app.add_subcommand("force-reload", "Reload the unit if it runs, or restart it when it cannot reload (LSB)");
  if (invoked(force_reload)) force_reload->add_option("unit", unit_path, "Unit file (.ini)")->required();
  auto* try_restart = app.add_subcommand("try-restart", "Restart the unit if it runs (LSB)");
  try_restart->alias("condrestart");
  if (invoked(try_restart)) try_restart->add_option("unit", unit_path, "Unit file (.ini)")->required();
  auto* run_cmd = app.add_subcommand("run", "Run the unit in the foreground (under systemd: Type=notify main process)");
  if (invoked(run_cmd)) run_cmd->add_option("unit", unit_path, "Unit file (.ini)")->required();
  size_t log_lines = 10;
  bool log_follow = false;
  auto* logs = app.add_subcommand("logs", "Print the last lines of the service's output");
  if (invoked(logs)) {
    logs->add_option("unit", unit_path, "Unit file (.ini)")->required();
    logs->add_option("-n,--lines", log_lines, "How many lines (default 10)");
    logs->add_flag("-f,--follow", log_follow, "Keep printing what the service writes");
  }

  std::string export_format;
  auto* export_cmd = app.add_subcommand("export", "Print a native systemd .service or an LSB init script for the unit");
  if (invoked(export_cmd)) {
    export_cmd->add_option("format", export_format, "systemd or sysv")
        ->required()
        ->check(CLI::IsMember({"systemd", "sysv"}));
    export_cmd->add_option("unit", unit_path, "Unit file (.ini)")->required();
  }

  app.set_help_flag(kHelpFlag, kHelpText);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    bool unknown_verb = argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty();
    if (unknown_verb) {
      std::fprintf(stderr, "unitrun: unknown command '%s'\n", argv[1]);
    } else if (int code = app.exit(e); code == 0) {  // prints help, version, or the error
      return exit_code::kSuccess;
    }
    std::fprintf(stderr, "%s", kUsage);
    // Invalid arguments are 2 for every verb, status too (its 4, "unknown",
    // is for a unit whose state cannot be told).
    return exit_code::kBadArguments;
  }

  if (*check) return cli::check(check_units);
  if (*show) return cli::show(show_unit, show_json);
  if (*security) return cli::security(security_units, security_json, security_threshold);
  if (*start) return cli::start(unit_path);
  if (*stop) return cli::stop(unit_path);
  if (*restart) return cli::restart(unit_path);
  if (*status) return cli::status(unit_path, status_json);
  if (*reload) return cli::reload(unit_path);
  if (*force_reload) return cli::force_reload(unit_path);
  if (*try_restart) return cli::try_restart(unit_path);
  if (*run_cmd) return cli::run(unit_path);
  if (*logs) return cli::logs(unit_path, log_lines, log_follow);
  if (*export_cmd) return cli::export_unit(export_format, unit_path);
  return exit_code::kBadArguments;
}

}  // namespace

int main(int argc, char** argv) {
  unitrun::init_process_title(argc, argv);
  // Unit files are read with the names only the process module knows
  // (capabilities, address families, system calls) checked too.
  unitrun::unit::set_sandbox_line_checker(&unitrun::process::check_sandbox_line);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unitrun: internal error: %s\n", e.what());
    return unitrun::exit_code::kFailure;
  }
}
