// unitrun's entry point: parses the command line and calls one verb.
// This is the only place that catches exceptions and maps them to exit codes.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "base/exit_codes.h"
#include "base/process_title.h"
#include "cli/bound_units.h"
#include "cli/commands.h"
#include "cli/install_systemctl.h"
#include "cli/systemctl_front.h"
#include "cli/terminal.h"
#include "process/sandbox.h"
#include "unit/directives.h"

#ifdef UNITRUN_DEFER_STREAMS
// libstdc++'s constructor of std::ios_base::Init; the build links with
// --wrap on it, so that calls reach __wrap_ below (end of file) first.
extern "C" void __real__ZNSt8ios_base4InitC1Ev(std::ios_base::Init* init);
#endif

namespace {

// The standard streams are set up here, on the one path that prints
// through them (CLI11's help, version and errors), and not before main().
// <iostream>, which CLI11 includes, gives this file a static
// std::ios_base::Init, whose constructor builds the C locale and the eight
// standard streams: 44 k instructions and 5 page faults, 25-35 us of every
// command's start-up, which start, stop, restart and status of plain units
// and the monitor never use (docs/benchmarks.md, "Standard streams on
// demand"). __wrap_ below skips that one object; this constructs it, with
// the library's own constructor, as if it had run before main().
void set_up_streams() {
#ifdef UNITRUN_DEFER_STREAMS
  __real__ZNSt8ios_base4InitC1Ev(&std::__ioinit);
#endif
}

constexpr const char* kVersion = "unitrun " UNITRUN_VERSION;
constexpr const char* kUsage =
    "usage: unitrun start|stop|restart|try-restart|reload|force-reload|status UNIT...\n"
    "       unitrun run|logs|show UNIT\n"
    "       unitrun check|cat|is-active|is-failed|is-enabled UNIT...\n"
    "       unitrun list|list-unit-files [PATTERN...], unitrun status\n"
    "       unitrun enable|disable|reenable|mask [--now] UNIT..., unitrun unmask UNIT...\n"
    "       unitrun security [--json] [--threshold=N] UNIT...\n"
    "       unitrun export systemd|sysv UNIT\n"
    "       unitrun reopen-logs, unitrun boot, unitrun shutdown, unitrun init [-- COMMAND [ARG...]]\n"
    "       unitrun kill [-s SIGNAL] [--kill-whom=main|all] UNIT...\n"
    "       unitrun install-systemctl [--force] [PATH], unitrun uninstall-systemctl [PATH]\n"
    "       unitrun COMMAND --help, unitrun --help, unitrun --version\n"
    "options: --color=auto|always|never, --no-color (before or after the command)\n";

int run(int argc, char** argv) {
  using namespace unitrun;
  set_up_streams();
  // Held through a pointer to be destroyed before the verb runs: start
  // forks the monitor from this process, and what is alive then stays in
  // the monitor's heap for as long as the service runs (the App of every
  // verb and option is 28 kB).
  auto app_owner =
      std::make_unique<CLI::App>("unitrun: run a program as a proper service, described by a systemd-style unit file");
  CLI::App& app = *app_owner;
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);
  // Building options costs more than some verbs' whole work: only the verb
  // on the command line gets its own (its --help included); see add_verb
  // below for the verbs themselves. A help flag, too, is built for the invoked verb alone: the parent gets
  // its own only after the verbs, which would each copy it.
  // The verb is the first word that is not a global option (nor the value
  // of a separate `--color WHEN`).
  int verb_index = 1;
  while (verb_index < argc && argv[verb_index][0] == '-')
    verb_index += std::string_view(argv[verb_index]) == "--color" ? 2 : 1;
  const std::string verb = verb_index < argc ? argv[verb_index] : "";
  constexpr const char* kHelpFlag = "-h,--help";
  constexpr const char* kHelpText = "Print this help message and exit";
  app.set_help_flag();
  auto invoked = [&](CLI::App* sub) {
    if (!sub->check_name(verb)) return false;
    sub->set_help_flag(kHelpFlag, kHelpText);
    sub->fallthrough(true);  // the global options after the verb too, as systemctl takes them
    return true;
  };
  // Only the verb on the command line is an App of its own, too: the 33 of
  // them cost about 45 us per command to build and destroy (main() to the
  // verb: 98 us before, 54 us after). The others are one placeholder that
  // nothing parses into. Every verb, with its name and line of description,
  // is built only where all are needed: no verb on the command line
  // (`unitrun --help`, which the man page and completions are checked
  // against; --version; the usage error). A word that names no verb builds
  // none, and is told so below.
  auto placeholder = std::make_unique<CLI::App>();
  const bool every_verb = verb.empty();
  auto add_verb = [&](const std::string& name, const std::string& description,
                      const std::string& alias = "") -> CLI::App* {
    if (!every_verb && verb != name && (alias.empty() || verb != alias)) return placeholder.get();
    CLI::App* sub = app.add_subcommand(name, description);
    if (!alias.empty()) sub->alias(alias);
    return sub;
  };
  // Global options: where the terminal gets colour (src/cli/terminal.h).
  std::string color_when = "auto";
  bool no_color = false;
  app.add_option("--color", color_when, "Colour the state words: auto (on a terminal, unless NO_COLOR), always, never")
      ->check([](const std::string& v) {
        return cli::terminal::parse_color_mode(v) ? std::string() : "must be auto, always or never";
      });
  app.add_flag("--no-color", no_color, "Same as --color=never");

  // A UNIT is a name looked up in the unit path, a path (with a '/'), or,
  // where several are taken, a glob.
  constexpr const char* kUnitHelp = "Unit names (looked up in the unit path), unit files (a path), or globs";
  constexpr const char* kOneUnitHelp = "A unit name (looked up in the unit path) or a unit file (a path)";
  std::vector<std::string> units;
  std::string one_unit;

  auto* check = add_verb("check", "Validate unit files; report every problem as path:line: message");
  if (invoked(check)) check->add_option("unit", units, kUnitHelp)->required();

  bool json = false;
  bool security_json = false;
  unsigned security_threshold = 100;
  auto* security =
      add_verb("security", "Score the unit's exposure as systemd-analyze security does (0.0 safe to 10.0 exposed)");
  if (invoked(security)) {
    security->add_option("unit", units, kUnitHelp)->required();
    security->add_flag("--json", security_json, "Print each check as JSON");
    security
        ->add_option("--threshold", security_threshold,
                     "Exit 1 when the exposure is above N tenths (0-100, as systemd-analyze; default 100)")
        ->check(CLI::Range(0u, 100u));
  }

  auto* show = add_verb("show", "Print the effective unit after defaults and expansion, one Key=value per line");
  if (invoked(show)) {
    show->add_option("unit", one_unit, kOneUnitHelp)->required();
    show->add_flag("--json", json, "Print one JSON object");
  }
  auto* cat = add_verb("cat", "Print the unit file and its drop-ins, each under its path");
  if (invoked(cat)) cat->add_option("unit", units, kUnitHelp)->required();

  auto* start = add_verb("start", "Start units as daemons; return once they run (or say why not)");
  if (invoked(start)) start->add_option("unit", units, kUnitHelp)->required();
  auto* stop = add_verb("stop", "Stop units and every process they made");
  bool unit_ended = false;  // run by a monitor as its unit ends (cli/bound_units.h)
  if (invoked(stop)) {
    stop->add_option("unit", units, kUnitHelp)->required();
    stop->add_flag("--ended", unit_ended)->group("");
  }
  auto* restart = add_verb("restart", "Stop units if they run, then start them");
  if (invoked(restart)) restart->add_option("unit", units, kUnitHelp)->required();
  auto* status = add_verb(
      "status", "Show units' state (none: every unit); exit 0 running, 1 dead with pidfile, 3 stopped, 4 unknown");
  if (invoked(status)) {
    status->add_option("unit", units, kUnitHelp);
    status->add_flag("--json", json, "Print JSON");
  }

  auto* reload = add_verb("reload", "Run ExecReload=; exit 3 when a unit has none, 7 when not running");
  if (invoked(reload)) reload->add_option("unit", units, kUnitHelp)->required();
  auto* force_reload = add_verb("force-reload", "Reload units that run, or restart those that cannot reload (LSB)");
  if (invoked(force_reload)) force_reload->add_option("unit", units, kUnitHelp)->required();
  auto* try_restart = add_verb("try-restart", "Restart units that run (LSB)", "condrestart");
  if (invoked(try_restart)) try_restart->add_option("unit", units, kUnitHelp)->required();
  auto* run_cmd = add_verb("run", "Run the unit in the foreground (under systemd: Type=notify main process)");
  if (invoked(run_cmd)) run_cmd->add_option("unit", one_unit, kOneUnitHelp)->required();
  cli::LogsOptions log_options;
  auto* logs = add_verb("logs", "Print the last lines of the service's output");
  if (invoked(logs)) {
    logs->add_option("unit", one_unit, kOneUnitHelp)->required();
    logs->add_option("-n,--lines", log_options.lines, "How many lines (default 10; all of them with --since)");
    logs->add_flag("-f,--follow", log_options.follow, "Keep printing what the service writes");
    logs->add_flag("--timestamps", log_options.timestamps,
                   "Show when unitrun received each line (units with X-Unitrun-Timestamps=yes)");
    logs->add_option("--since", log_options.since,
                     "Only lines received since TIME: 'YYYY-MM-DD HH:MM:SS', ISO 8601, -5min, '1h ago' "
                     "(units with X-Unitrun-Timestamps=yes)");
  }

  auto* reopen_logs =
      add_verb("reopen-logs",
               "Make every running monitor reopen its own log and its services' stamped output files (for logrotate); "
               "signals nothing else");
  (void)invoked(reopen_logs);  // no options: only its help flag
  auto* boot = add_verb("boot", "Start default.target: every enabled unit, in dependency order");
  (void)invoked(boot);
  auto* shutdown = add_verb("shutdown", "Stop every running unit, in reverse dependency order");
  (void)invoked(shutdown);
  std::vector<std::string> init_command;
  auto* init = add_verb(
      "init",
      "Be a container's PID 1: boot, reap orphans, shut down on SIGTERM; with -- COMMAND, run it and exit with it");
  if (invoked(init)) {
    init->add_option("command", init_command, "The container's main job, after -- (its exit status is init's)");
    init->fallthrough(false);  // the command's own options are its own
  }

  std::string export_format;
  auto* export_cmd = add_verb("export", "Print a native systemd .service or an LSB init script for the unit");
  if (invoked(export_cmd)) {
    export_cmd->add_option("format", export_format, "systemd or sysv")
        ->required()
        ->check(CLI::IsMember({"systemd", "sysv"}));
    export_cmd->add_option("unit", one_unit, kOneUnitHelp)->required();
  }

  cli::ListOptions list_options;
  auto* list = add_verb("list", "List units that run or ran, with LOAD, ACTIVE, SUB and DESCRIPTION", "list-units");
  if (invoked(list)) {
    list->add_option("pattern", list_options.patterns, "Globs on unit names");
    list->add_flag("-a,--all", list_options.all, "Also inactive units, and every unit file of the unit path");
    list->add_option("--state", list_options.states, "Only units in these LOAD, ACTIVE or SUB states (failed, ...)")
        ->delimiter(',');
    list->add_flag("--json", list_options.json, "Print JSON");
  }
  auto* list_files = add_verb("list-unit-files", "List the unit files of the unit path and their enablement");
  if (invoked(list_files)) {
    list_files->add_option("pattern", list_options.patterns, "Globs on unit file names");
    list_files->add_option("--state", list_options.states, "Only these states (enabled, disabled, static, ...)")
        ->delimiter(',');
    list_files->add_flag("--json", list_options.json, "Print JSON");
  }

  bool quiet = false;
  auto* is_active = add_verb("is-active", "Print units' active state; exit 0 if any is active");
  auto* is_failed = add_verb("is-failed", "Print units' active state; exit 0 if any has failed");
  auto* is_enabled = add_verb("is-enabled", "Print units' enablement; exit 0 if any is enabled");
  for (auto* query : {is_active, is_failed, is_enabled}) {
    if (!invoked(query)) continue;
    query->add_option("unit", units, kUnitHelp)->required();
    query->add_flag("-q,--quiet", quiet, "Print nothing; only the exit code");
  }

  // The unit file verbs (src/cli/unit_files.cc).
  bool now = false, runtime_links = false;
  auto* enable = add_verb("enable", "Link units into the targets their [Install] section names");
  auto* disable = add_verb("disable", "Remove the links that enable made for units");
  auto* reenable = add_verb("reenable", "disable, then enable units");
  auto* mask = add_verb("mask", "Link units to /dev/null, so that they cannot start");
  auto* unmask = add_verb("unmask", "Remove the /dev/null links of units");
  for (auto* unit_file_verb : {enable, disable, reenable, mask, unmask}) {
    if (!invoked(unit_file_verb)) continue;
    unit_file_verb->add_option("unit", units, "Unit names (looked up in the unit path)")->required();
    if (unit_file_verb != unmask)
      unit_file_verb->add_flag("--now", now, "Then start (enable, reenable) or stop (disable, mask) them");
    unit_file_verb->add_flag("--runtime", runtime_links,
                             "Only until the next boot: the links go to the runtime directory (/run/unitrun/units)");
  }
  // Read once the command line is parsed (in the verbs' lambdas).
  auto link_scope = [&] { return runtime_links ? cli::LinkScope::Runtime : cli::LinkScope::Persistent; };

  // systemctl kill, and unitrun as the machine's systemctl (cli/systemctl_front.h).
  std::string kill_signal = "SIGTERM", kill_whom = "all", systemctl_path = cli::kDefaultSystemctlPath;
  bool force = false;
  auto* kill = add_verb("kill", "Send a signal to the main process or every process of running units");
  if (invoked(kill)) {
    kill->add_option("unit", units, kUnitHelp)->required();
    kill->add_option("-s,--signal", kill_signal, "The signal (default SIGTERM)");
    kill->add_option("--kill-whom", kill_whom, "main or all (default)")->check(CLI::IsMember({"main", "all"}));
  }
  auto* install_systemctl =
      add_verb("install-systemctl", "Make PATH (/usr/bin/systemctl) a symlink to unitrun; not under systemd");
  auto* uninstall_systemctl =
      add_verb("uninstall-systemctl", "Remove what install-systemctl made, and restore what it kept");
  for (auto* sub : {install_systemctl, uninstall_systemctl}) {
    if (!invoked(sub)) continue;
    sub->add_option("path", systemctl_path, "Where (default /usr/bin/systemctl)");
    if (sub == install_systemctl) sub->add_flag("-f,--force", force, "Replace a file that is not unitrun (kept)");
  }

  // For the shell completion (contrib/completion): hidden from --help.
  auto* complete = add_verb("__complete-units", "");
  complete->group("");
  invoked(complete);

  app.set_help_flag(kHelpFlag, kHelpText);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    bool unknown_verb =
        !verb.empty() && app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(verb); }).empty();
    if (unknown_verb) {
      std::fprintf(stderr, "unitrun: unknown command '%s'\n", verb.c_str());
    } else if (int code = app.exit(e); code == 0) {  // prints help, version, or the error
      return exit_code::kSuccess;
    }
    std::fprintf(stderr, "%s", kUsage);
    // Invalid arguments are 2 for every verb, status too (its 4, "unknown",
    // is for a unit whose state cannot be told).
    return exit_code::kBadArguments;
  }

  cli::terminal::init(no_color ? cli::terminal::ColorMode::Never : *cli::terminal::parse_color_mode(color_when));

  if (*logs) log_options.lines_given = logs->count("--lines") > 0;
  // What each verb runs; the one given (CLI11 takes one) runs, with what
  // was parsed into the variables above.
  const std::pair<CLI::App*, std::function<int()>> verbs[] = {
      {check, [&] { return cli::check(units); }},
      {security, [&] { return cli::security(units, security_json, security_threshold); }},
      {show, [&] { return cli::show(one_unit, json); }},
      {cat, [&] { return cli::cat(units); }},
      {start, [&] { return cli::start(units); }},
      {stop, [&] { return unit_ended ? cli::after_unit_ended(units.front()) : cli::stop(units); }},
      {restart, [&] { return cli::restart(units); }},
      {status, [&] { return cli::status(units, json); }},
      {reload, [&] { return cli::reload(units); }},
      {force_reload, [&] { return cli::force_reload(units); }},
      {try_restart, [&] { return cli::try_restart(units); }},
      {run_cmd, [&] { return cli::run(one_unit); }},
      {logs, [&] { return cli::logs(one_unit, log_options); }},
      {reopen_logs, [&] { return cli::reopen_logs(); }},
      {boot, [&] { return cli::boot(); }},
      {shutdown, [&] { return cli::shutdown(); }},
      {init, [&] { return cli::init(init_command); }},
      {export_cmd, [&] { return cli::export_unit(export_format, one_unit); }},
      {list, [&] { return cli::list_units(list_options); }},
      {list_files, [&] { return cli::list_unit_files(list_options); }},
      {is_active, [&] { return cli::is_active(units, quiet); }},
      {is_failed, [&] { return cli::is_failed(units, quiet); }},
      {is_enabled, [&] { return cli::is_enabled(units, quiet); }},
      {enable, [&] { return cli::enable(units, now, link_scope()); }},
      {disable, [&] { return cli::disable(units, now, link_scope()); }},
      {reenable, [&] { return cli::reenable(units, now, link_scope()); }},
      {mask, [&] { return cli::mask(units, now, link_scope()); }},
      {unmask, [&] { return cli::unmask(units, link_scope()); }},
      {kill, [&] { return cli::kill_units(units, kill_signal, kill_whom == "main"); }},
      {install_systemctl, [&] { return cli::install_systemctl(systemctl_path, force); }},
      {uninstall_systemctl, [&] { return cli::uninstall_systemctl(systemctl_path); }},
      {complete, [&] { return cli::complete_units(); }},
  };
  std::function<int()> verb_run;
  for (const auto& [subcommand, runs] : verbs)
    if (*subcommand) verb_run = runs;
  app_owner.reset();  // the subcommand pointers die with it
  placeholder.reset();
  if (verb_run) return verb_run();
  return exit_code::kBadArguments;
}

// `start`, `stop`, `restart` and `status` of units named plainly are what
// init scripts, cron jobs and supervisors run; they skip the command line
// parser, whose App, options and parse are most of main() to the verb
// (~50 us), and its code, about a dozen pages to fault in. Every word after
// the verb is a unit, as CLI11 would take it: anything else (an option,
// `--`, an empty word, the verb's name again, which CLI11 might take for
// the verb) goes through run(), whose parse gives the same call.
std::optional<int> run_plain_unit_verb(int argc, char** argv) {
  using namespace unitrun;
  if (argc < 3) return std::nullopt;
  const std::string_view verb = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view word = argv[i];
    // "++" ends a subcommand's arguments for CLI11: its parse decides.
    if (word.empty() || word.front() == '-' || word == "++" || word == verb) return std::nullopt;
  }
  int (*plain)(const std::vector<std::string>&) = nullptr;
  if (verb == "start")
    plain = cli::start;
  else if (verb == "stop")
    plain = cli::stop;
  else if (verb == "restart")
    plain = cli::restart;
  else if (verb != "status")
    return std::nullopt;
  const std::vector<std::string> units(argv + 2, argv + argc);
  cli::terminal::init(cli::terminal::ColorMode::Auto);  // run()'s default: --color=auto
  return plain ? plain(units) : cli::status(units, false);
}

}  // namespace

// The exit of every command is on its caller's path (`unitrun start`
// returns once this process is gone). exit() would run, besides flushing
// stdio, the static destructors (CLI11's validators, iostreams' Init) and
// ld.so's finalizers: about 50 us, mostly page faults on code nothing else
// touched, for memory the kernel frees anyway. Every fd and lock goes with
// the process all the same, and nothing of unitrun's is left to a static
// destructor. Sanitizer builds exit() as usual: LeakSanitizer checks there.
[[noreturn]] static void exit_now(int code) {
#ifdef UNITRUN_SANITIZE_BUILD
  std::exit(code);
#else
  std::fflush(nullptr);
  ::_exit(code);
#endif
}

static int unitrun_main(int argc, char** argv) {
  // Standard fds the caller closed (`unitrun start u <&- >&-`) get
  // /dev/null, before anything is opened: what unitrun opens first would
  // take their numbers, and a monitor forked then puts /dev/null on 0-2
  // (daemonize), closing the unit's lock and its readiness pipe under it.
  // fcntl(F_GETFD) tells (EBADF: not open; poll()'s POLLNVAL would also
  // flag an open O_PATH fd). Each open() takes the lowest free fd, i.e. the
  // closed one, since the lower ones are open by then.
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF && ::open("/dev/null", O_RDWR | O_NOCTTY) != fd) {
      std::fprintf(stderr, "unitrun: fd %d is closed, and /dev/null cannot be opened in its place\n", fd);
      return unitrun::exit_code::kFailure;
    }
  // Before anything forks: a SIGCHLD the caller left ignored (it survives
  // exec) makes the kernel reap this process's children itself, and a
  // waitpid() for one of them (a job, a monitor) then waits for all of
  // them and loses its exit status.
  if (std::signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
    std::fprintf(stderr, "unitrun: cannot reset SIGCHLD: %s\n", std::strerror(errno));
    return unitrun::exit_code::kFailure;
  }
  unitrun::init_process_title(argc, argv);
  // Unit files are read with the names only the process module knows
  // (capabilities, address families, system calls) checked too.
  unitrun::unit::set_sandbox_line_checker(&unitrun::process::check_sandbox_line);
  try {
    if (argc > 0 && unitrun::cli::invoked_as_systemctl(argv[0]))
      return unitrun::cli::systemctl_main(argc, argv, kVersion);
    // `unitrun init` is a container's PID 1 for as long as it lives: the
    // plain forms skip the command line parser, whose heap would stay
    // dirty in it (--help and the rest go through run()).
    if (argc >= 2 && std::string_view(argv[1]) == "init" && (argc == 2 || std::string_view(argv[2]) == "--"))
      return unitrun::cli::init(std::vector<std::string>(argv + std::min(argc, 3), argv + argc));
    if (auto code = run_plain_unit_verb(argc, argv)) return *code;
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unitrun: internal error: %s\n", e.what());
    return unitrun::exit_code::kFailure;
  }
}

int main(int argc, char** argv) { exit_now(unitrun_main(argc, argv)); }

#ifdef UNITRUN_DEFER_STREAMS
// Every static std::ios_base::Init of the binary comes here before main():
// this file's own waits for set_up_streams(); any other (a file that
// includes <iostream> to print through std::cerr) is constructed at once,
// so the streams are there before main() whenever another file can use
// them. After main() because the file's static constructor is named after
// its first global function (_GLOBAL__sub_I_main, which hot-text.ld places).
extern "C" void __wrap__ZNSt8ios_base4InitC1Ev(std::ios_base::Init* init) {
  if (init != &std::__ioinit) __real__ZNSt8ios_base4InitC1Ev(init);
}
#endif
