// One function per verb; each returns its LSB exit code. Messages for the
// user go to stdout (results) and stderr (problems), never through a logger
// that could be misconfigured at that point.
//
// A UNIT is a name looked up in the unit path ("nginx", "web@1.service",
// "app.ini"), a path ("units/app.ini"), or for the verbs that take several
// a glob ('web@*'). The verbs that take several act on each and exit with
// the worst code (cli/targets.h, cli/job_runner.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace unitrun::cli {

int check(const std::vector<std::string>& units);
int show(const std::string& unit, bool json);
int cat(const std::vector<std::string>& units);
int start(const std::vector<std::string>& units);
// What a start or stop run by a monitor as it ends (OnFailure=, BindsTo=)
// does first: wait for that monitor's exit (monitor.h,
// kTriggerMonitorVariable); nothing without the variable.
void wait_for_triggering_monitor();
int stop(const std::vector<std::string>& units);
int restart(const std::vector<std::string>& units);
// No unit: the overview of every unit (status_overview).
int status(const std::vector<std::string>& units, bool json);
int status_overview(bool json);
int reload(const std::vector<std::string>& units);
int force_reload(const std::vector<std::string>& units);
int try_restart(const std::vector<std::string>& units);
int run(const std::string& unit);
// Start default.target (every enabled unit, in dependency order), and stop
// every running unit in reverse order (cli/dependency_jobs.h).
int boot();
int shutdown();
// A container's PID 1 (cli/init.cc, cli/init_sequence.h): boot, reap every
// orphan, shut down on SIGTERM/SIGINT/SIGQUIT/SIGPWR; with `command`, run
// it after the boot and shut down when it ends, exiting with its status.
int init(const std::vector<std::string>& command);
struct LogsOptions {
  size_t lines = 10;
  bool lines_given = false;  // -n was given (with --since, the default is every line)
  bool follow = false;
  bool timestamps = false;  // show the stamps of X-Unitrun-Timestamps=yes (stripped otherwise)
  std::string since;        // empty: from the tail
};
int logs(const std::string& unit, const LogsOptions& options);
// Every daemonized monitor of the caller's runtime directory reopens its
// log (logrotate's postrotate); no other process is signalled.
int reopen_logs();
int export_unit(const std::string& format, const std::string& unit);
// Exposure as `systemd-analyze security` scores it; threshold in tenths
// (0..100): exit 1 when a unit's exposure is above it.
int security(const std::vector<std::string>& units, bool json, unsigned threshold);

struct ListOptions {
  std::vector<std::string> patterns;  // globs on the unit's name; none: every unit
  bool all = false;                   // also the units that are inactive (list: every unit file)
  std::vector<std::string> states;    // --state=: LOAD, ACTIVE or SUB (list), STATE (list-unit-files)
  bool json = false;
  bool legend = true;  // the header and the footer (systemctl --no-legend: false)
  bool plain = false;  // systemctl --plain: no mark column
};
int list_units(const ListOptions& options);
int list_unit_files(const ListOptions& options);

int is_active(const std::vector<std::string>& units, bool quiet);
int is_failed(const std::vector<std::string>& units, bool quiet);
// systemctl is-system-running: "starting" while `unitrun boot` (or init's
// boot) runs, "stopping" during `unitrun shutdown`, "degraded" while a unit
// is failed, else "running"; exit 0 for running only. `wait`: first block
// (inotify, no polling) until a boot under way has ended.
int is_system_running(bool quiet, bool wait);
// The name of a unit of the caller's runtime directory that is failed, the
// first one found; nullopt when none is (is-system-running's "degraded",
// init's shutdown).
std::optional<std::string> first_failed_unit();
int is_enabled(const std::vector<std::string>& units, bool quiet);

// systemctl's unit file verbs (cli/unit_files.cc, unit/install_plan.h):
// symlinks in the unit path's config directory from the units' [Install]
// sections, or (LinkScope::Runtime, systemctl's --runtime) in its runtime
// directory, where they last until the next boot. `now` starts (enable,
// reenable) or stops (disable, mask) the units afterwards. Exit 0, 1 for a
// failure, 5 for a unit not found.
enum class LinkScope { Persistent, Runtime };
int enable(const std::vector<std::string>& units, bool now, LinkScope scope = LinkScope::Persistent);
int disable(const std::vector<std::string>& units, bool now, LinkScope scope = LinkScope::Persistent);
int reenable(const std::vector<std::string>& units, bool now, LinkScope scope = LinkScope::Persistent);
int mask(const std::vector<std::string>& units, bool now, LinkScope scope = LinkScope::Persistent);
int unmask(const std::vector<std::string>& units, LinkScope scope = LinkScope::Persistent);

// systemctl kill: `signal` (a name or number, unit/values.h) to the main
// process (main_only) or to every process of each running unit, each proven
// a descendant of the unit's live monitor and pinned by a pidfd before it is
// signalled. Exit 0, 1 when a unit does not run (main_only: has no main
// process) or the signal is bad, 5 for a unit not found.
int kill_units(const std::vector<std::string>& units, const std::string& signal, bool main_only);
// systemctl reset-failed: a failed unit's record (no monitor alive) says
// inactive (dead) again; no unit: every failed unit. Exit 0.
int reset_failed(const std::vector<std::string>& units);

// The names shell completion offers (contrib/completion), one per line.
int complete_units();

}  // namespace unitrun::cli
