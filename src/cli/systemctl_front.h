// unitrun invoked as `systemctl` (a symlink /usr/bin/systemctl -> unitrun,
// made by `unitrun install-systemctl`): systemctl's command line, as
// maintainer scripts, Ansible's systemd module and people type it, turned
// into a request on unitrun's verbs (translate_systemctl, pure), then run
// (run_systemctl). docs/systemd.md, "Invoked as systemctl", lists the
// mapping; what unitrun cannot honour is one line on stderr, or a refusal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unitrun::cli {

// Whether argv[0] names systemctl (its basename is "systemctl").
bool invoked_as_systemctl(std::string_view argv0);

struct SystemctlRequest {
  // The verb as unitrun runs it: a unitrun verb ("start", "list",
  // "is-active", ...), or one the front end answers itself: "show"
  // (systemd's properties), "show-manager" (show without a unit), "daemon-reload", "reset-failed",
  // "reload-or-restart", "help", "version". Empty with `error` set.
  std::string verb;
  std::vector<std::string> units;       // unit names (".service" added where systemctl adds it), paths, globs
  std::vector<std::string> properties;  // show -p/--property (and -P), split at ','
  bool value_only = false;              // show --value (and -P)
  bool all = false;                     // -a/--all
  bool quiet = false;                   // -q/--quiet
  bool now = false;                     // --now (enable, disable, reenable, mask)
  bool runtime = false;                 // --runtime (the unit file verbs and preset: until the next boot)
  bool wait = false;                    // --wait (is-system-running: until the boot has ended)
  bool no_legend = false;               // --no-legend (list-units, list-unit-files)
  bool plain = false;                   // --plain (list-units)
  std::vector<std::string> states;      // --state= (and --failed)
  std::string signal = "SIGTERM";       // kill -s/--signal
  std::string kill_whom = "all";        // kill --kill-whom=main|all
  std::vector<std::string> notes;       // for stderr: options that change nothing here, said once each
  // A command line systemctl would refuse, or one unitrun cannot honour:
  // the message (without a trailing newline) and systemctl's exit code.
  std::string error;
  int error_code = 0;
  bool user = false;                 // --user (allowed only where unitrun runs as that user)
  std::string root_dir;              // --root= (only "/" itself is accepted, by systemctl_main)
  std::string preset_mode = "full";  // --preset-mode=full|enable-only|disable-only (preset)
};

// Pure: `args` without argv[0]; `root` says whether the caller is root
// (--user is unitrun's own mode for other users).
SystemctlRequest translate_systemctl(const std::vector<std::string>& args, bool root);

// systemctl's name mangling: a name without a unit type suffix gets
// ".service"; paths and globs are left as they are.
std::string systemctl_unit_name(const std::string& name);

// Runs the request; returns systemctl's exit code.
int run_systemctl(const SystemctlRequest& request);

// The whole front end for main(): translate, print the notes, run.
int systemctl_main(int argc, char** argv, const char* version);

}  // namespace unitrun::cli
