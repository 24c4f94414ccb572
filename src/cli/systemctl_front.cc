#include "cli/systemctl_front.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/exit_codes.h"
#include "cli/commands.h"
#include "cli/systemd_properties.h"
#include "unit/host_facts.h"
#include "unit/unit_file_state.h"
#include "unit/unit_lookup.h"
#include "unit/unit_preset.h"
#include "unit/unit_sources.h"

namespace unitrun::cli {
namespace {

struct VerbSpec {
  std::string_view systemctl;  // the verb as typed
  std::string_view unitrun;    // what runs it
  size_t min_units;
  bool any_units;   // false: no unit at all (daemon-reload)
  bool unit_names;  // the arguments are unit names (.service added), not patterns
};

// systemctl 252's verbs that unitrun answers (systemctl(1), "Commands").
constexpr VerbSpec kVerbs[] = {
    {"start", "start", 1, true, true},
    {"stop", "stop", 1, true, true},
    {"restart", "restart", 1, true, true},
    {"try-restart", "try-restart", 1, true, true},
    {"condrestart", "try-restart", 1, true, true},
    {"reload", "reload", 1, true, true},
    {"force-reload", "force-reload", 1, true, true},
    {"reload-or-try-restart", "force-reload", 1, true, true},
    {"try-reload-or-restart", "force-reload", 1, true, true},
    {"reload-or-restart", "reload-or-restart", 1, true, true},
    {"status", "status", 0, true, true},
    {"show", "show", 0, true, true},  // without a unit: the manager's properties
    {"cat", "cat", 1, true, true},
    {"enable", "enable", 1, true, true},
    {"disable", "disable", 1, true, true},
    {"reenable", "reenable", 1, true, true},
    {"mask", "mask", 1, true, true},
    {"unmask", "unmask", 1, true, true},
    {"is-active", "is-active", 1, true, true},
    {"is-enabled", "is-enabled", 1, true, true},
    {"is-failed", "is-failed", 1, true, true},
    {"kill", "kill", 1, true, true},
    {"list-units", "list", 0, true, false},
    {"list-unit-files", "list-unit-files", 0, true, false},
    {"daemon-reload", "daemon-reload", 0, false, false},
    {"daemon-reexec", "daemon-reload", 0, false, false},
    {"reset-failed", "reset-failed", 0, true, true},
    {"is-system-running", "is-system-running", 0, false, false},
    {"preset", "preset", 1, true, true},
    {"preset-all", "preset-all", 0, false, false},
    {"help", "help", 0, true, false},
};

constexpr std::string_view kUnitSuffixes[] = {".service", ".socket", ".target", ".timer",  ".mount", ".automount",
                                              ".path",    ".slice",  ".scope",  ".device", ".swap"};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void split_commas(std::string_view value, std::vector<std::string>& into) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view part = value.substr(0, comma);
    if (!part.empty()) into.emplace_back(part);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
}

void note_once(SystemctlRequest& r, std::string line) {
  if (std::find(r.notes.begin(), r.notes.end(), line) == r.notes.end()) r.notes.push_back(std::move(line));
}

// `systemctl show` without a unit: the manager's properties that unitrun
// can state truly. Version is the systemd release whose semantics unitrun
// follows (what --version's first line says), not a systemd that runs.
int show_manager(const std::vector<std::string>& properties, bool value_only) {
  const std::pair<std::string_view, std::string_view> known[] = {{"Version", "252"}};
  for (const auto& [name, value] : known) {
    if (!properties.empty() && std::find(properties.begin(), properties.end(), name) == properties.end()) continue;
    if (value_only)
      std::printf("%.*s\n", static_cast<int>(value.size()), value.data());
    else
      std::printf("%.*s=%.*s\n", static_cast<int>(name.size()), name.data(), static_cast<int>(value.size()),
                  value.data());
  }
  return exit_code::kSuccess;
}

SystemctlRequest refuse(SystemctlRequest r, std::string message, int code = exit_code::kFailure) {
  r.verb.clear();
  r.error = std::move(message);
  r.error_code = code;
  return r;
}

}  // namespace

bool invoked_as_systemctl(std::string_view argv0) {
  size_t slash = argv0.rfind('/');
  return (slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1)) == "systemctl";
}

std::string systemctl_unit_name(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name.find_first_of("*?[") != std::string::npos)
    return name;
  for (std::string_view suffix : kUnitSuffixes)
    if (ends_with(name, suffix) && name.size() > suffix.size()) return name;
  return name + ".service";
}

SystemctlRequest translate_systemctl(const std::vector<std::string>& args, bool root) {
  SystemctlRequest r;
  std::vector<std::string> positional;
  std::vector<std::string> types;
  bool force = false, runtime = false, no_block = false, lines = false, output = false;
  // A value option's value: attached ("--state=x", "-px") or the next word.
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      positional.push_back(a);
      continue;
    }
    // The value attached (after '=' or the option letter, from `from` on),
    // or the next word.
    auto take_value = [&](size_t from, std::string& out) {
      if (from != std::string::npos && from <= a.size()) {
        out = a.substr(from);
        return true;
      }
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    if (a[1] == '-') {
      size_t eq = a.find('=');
      std::string name = a.substr(0, eq);
      bool attached = eq != std::string::npos;
      size_t from = attached ? eq + 1 : std::string::npos;
      bool flag_given_value = false;
      auto flag = [&](bool& b) {
        if (attached) return !(flag_given_value = true);
        b = true;
        return true;
      };
      bool ignored = false;
      std::string value;
      bool ok = true;
      if (name == "--property") {
        ok = take_value(from, value);
        split_commas(value, r.properties);
      } else if (name == "--type") {
        ok = take_value(from, value);
        split_commas(value, types);
      } else if (name == "--state") {
        ok = take_value(from, value);
        split_commas(value, r.states);
      } else if (name == "--signal") {
        ok = take_value(from, r.signal);
      } else if (name == "--kill-whom" || name == "--kill-who") {
        ok = take_value(from, r.kill_whom);
      } else if (name == "--lines") {
        ok = take_value(from, value) && (lines = true);
      } else if (name == "--output") {
        ok = take_value(from, value) && (output = true);
      } else if (name == "--root") {
        ok = take_value(from, r.root_dir);
      } else if (name == "--preset-mode") {
        ok = take_value(from, r.preset_mode);
        if (ok && r.preset_mode != "full" && r.preset_mode != "enable-only" && r.preset_mode != "disable-only")
          return refuse(r, "Failed to parse preset mode: " + r.preset_mode + ".");
      } else if (name == "--value") {
        ok = flag(r.value_only);
      } else if (name == "--failed") {
        bool failed = false;
        if ((ok = flag(failed)) && failed) r.states.emplace_back("failed");  // systemctl: --state=failed
      } else if (name == "--all") {
        ok = flag(r.all);
      } else if (name == "--quiet") {
        ok = flag(r.quiet);
      } else if (name == "--now") {
        ok = flag(r.now);
      } else if (name == "--wait") {
        ok = flag(r.wait);
      } else if (name == "--no-legend") {
        ok = flag(r.no_legend);
      } else if (name == "--plain") {
        ok = flag(r.plain);
      } else if (name == "--force") {
        ok = flag(force);
      } else if (name == "--runtime") {
        ok = flag(runtime);
      } else if (name == "--no-block") {
        ok = flag(no_block);
      } else if (name == "--user") {
        ok = flag(r.user);
      } else if (name == "--help") {
        positional.insert(positional.begin(), "help");
      } else if (name == "--version") {
        positional.insert(positional.begin(), "--version");
      } else if (name == "--no-pager" || name == "--no-ask-password" || name == "--system" || name == "--full" ||
                 name == "--no-reload" || name == "--no-warn") {
        // What these change in systemctl, unitrun does not do anyway: it
        // has no pager, asks for no password, has no daemon to reload, and
        // does not ellipsize.
        ok = flag(ignored);
      } else if (name == "--host" || name == "--machine") {
        return refuse(r, "unitrun: " + name + " is not supported: unitrun acts on this machine only");
      } else if (name == "--global") {
        return refuse(r,
                      "unitrun: --global is not supported: there is no user manager; a user's units are enabled "
                      "by that user, in ~/.config/unitrun");
      } else {
        return refuse(r, "systemctl: unrecognized option '" + a + "'");
      }
      if (flag_given_value) return refuse(r, "systemctl: option '" + name + "' doesn't allow an argument");
      if (!ok) return refuse(r, "systemctl: option '" + name + "' requires an argument");
      continue;
    }
    // A cluster of short options: -aq, -pMainPID, -p MainPID.
    for (size_t k = 1; k < a.size(); ++k) {
      char c = a[k];
      std::string value;
      auto value_option = [&](std::vector<std::string>* list, std::string* single) {
        if (!take_value(k + 1 < a.size() ? k + 1 : std::string::npos, value)) return false;
        if (list) split_commas(value, *list);
        if (single) *single = value;
        k = a.size();  // the rest of the word was the value
        return true;
      };
      bool ok = true;
      switch (c) {
        case 'a':
          r.all = true;
          break;
        case 'q':
          r.quiet = true;
          break;
        case 'f':
          force = true;
          break;
        case 'l':
          break;  // --full
        case 'h':
          positional.insert(positional.begin(), "help");
          break;
        case 'p':
          ok = value_option(&r.properties, nullptr);
          break;
        case 'P':  // systemd 246+: --value --property=
          ok = value_option(&r.properties, nullptr);
          r.value_only = true;
          break;
        case 't':
          ok = value_option(&types, nullptr);
          break;
        case 's':
          ok = value_option(nullptr, &r.signal);
          break;
        case 'n':
          ok = value_option(nullptr, nullptr) && (lines = true);
          break;
        case 'o':
          ok = value_option(nullptr, nullptr) && (output = true);
          break;
        case 'H':
        case 'M':
          return refuse(r, std::string("unitrun: -") + c + " is not supported: unitrun acts on this machine only");
        default:
          return refuse(r, std::string("systemctl: invalid option -- '") + c + "'");
      }
      if (!ok) return refuse(r, std::string("systemctl: option requires an argument -- '") + c + "'");
    }
  }

  if (positional.empty()) positional.push_back("list-units");  // systemctl alone lists units
  const std::string typed = positional[0];
  positional.erase(positional.begin());
  if (typed == "--version") {
    r.verb = "version";
    return r;
  }
  const VerbSpec* spec = nullptr;
  for (const VerbSpec& v : kVerbs)
    if (v.systemctl == typed) spec = &v;
  if (!spec) return refuse(r, "Unknown command verb '" + typed + "'.");
  r.verb = spec->unitrun;
  if (r.verb == "help") return r;
  if (!spec->any_units && !positional.empty()) return refuse(r, "Too many arguments.");
  if (positional.size() < spec->min_units) return refuse(r, "Too few arguments.");
  for (const std::string& p : positional) r.units.push_back(spec->unit_names ? systemctl_unit_name(p) : p);
  if (r.verb == "show" && r.units.empty()) r.verb = "show-manager";

  if (r.user && root)
    return refuse(r,
                  "unitrun: --user: there is no user manager; run systemctl as that user, without --user (unitrun "
                  "then uses that user's unit path and runtime directory)");
  bool unit_file_verb =
      r.verb == "enable" || r.verb == "disable" || r.verb == "reenable" || r.verb == "mask" || r.verb == "unmask";
  r.runtime = runtime && (unit_file_verb || r.verb == "preset" || r.verb == "preset-all");
  if (runtime && !r.runtime)
    note_once(r, "unitrun: --runtime: ignored (it applies to enable, disable, reenable, mask, unmask and preset)");
  if (force && unit_file_verb)
    note_once(r, "unitrun: --force: ignored: " + typed + " never replaces a link or file it did not make");
  else if (force)
    note_once(r, "unitrun: --force: ignored");
  bool job_verb = r.verb == "start" || r.verb == "stop" || r.verb == "restart" || r.verb == "try-restart" ||
                  r.verb == "reload" || r.verb == "force-reload" || r.verb == "reload-or-restart" ||
                  (unit_file_verb && r.now);
  if (no_block && job_verb)
    note_once(r, "unitrun: --no-block: unitrun has no job queue; " + typed + " returns once the job is done");
  if (r.wait && r.verb != "is-system-running")
    note_once(r, "unitrun: --wait: ignored: only is-system-running waits (for the boot to end)");
  if (lines) note_once(r, "unitrun: --lines: ignored: status shows the last 10 lines of the log (unitrun logs -n N)");
  if (output) note_once(r, "unitrun: --output: ignored: unitrun prints its log lines as written");

  // --type: unitrun knows services and targets; on the list verbs a type is
  // a glob on the unit names, and other verbs ignore it as systemctl does.
  if (!types.empty() && (r.verb == "list" || r.verb == "list-unit-files")) {
    std::vector<std::string> patterns;
    if (r.units.empty()) {
      for (const std::string& t : types) patterns.push_back("*." + t);
    } else {
      for (const std::string& p : r.units)
        for (const std::string& t : types)
          if (ends_with(p, "." + t) || ends_with(p, "*")) patterns.push_back(ends_with(p, "*") ? p + "." + t : p);
    }
    if (patterns.empty()) patterns.push_back("*.-none-");  // no unit of these types
    r.units = std::move(patterns);
  }
  if (r.verb == "kill" && r.kill_whom != "main" && r.kill_whom != "all")
    return refuse(r, "unitrun: --kill-whom=" + r.kill_whom + " is not supported: main or all");
  return r;
}

namespace {

// systemd.preset(5): enable or disable each unit as the preset files say
// (enable when none names it), as far as --preset-mode allows.
// deb-systemd-helper enables a newly installed package's unit this way.
int apply_presets(const std::vector<std::string>& units, const SystemctlRequest& r, LinkScope scope) {
  std::vector<unit::PresetFile> files = unit::preset_files();
  int worst = exit_code::kSuccess;
  for (const std::string& u : units) {
    unit::Preset p = unit::preset_for(u, files);
    int code = exit_code::kSuccess;
    if (p == unit::Preset::Enable && r.preset_mode != "disable-only") code = enable({u}, r.now, scope);
    if (p == unit::Preset::Disable && r.preset_mode != "enable-only") code = disable({u}, r.now, scope);
    worst = std::max(worst, code);
  }
  return worst;
}

// What preset-all presets: every unit file of the unit path that [Install]
// can link (WantedBy=, RequiredBy=, UpheldBy=, Alias=; a template only with
// DefaultInstance=), neither masked nor an alias, as systemctl preset-all.
std::vector<std::string> installable_unit_files() {
  std::vector<std::string> names;
  for (const unit::UnitFileEntry& e : unit::list_unit_files(unit::unit_path_for_current_user())) {
    if (e.masked || e.alias) continue;
    auto text = unit::read_unit_file(e.path);
    if (!text) continue;
    unit::InstallInfo install = unit::summarize(*text).install;
    if (e.is_template && install.default_instance.empty()) continue;
    if (install.has_targets || install.has_alias) names.push_back(e.name);
  }
  return names;
}

}  // namespace

int run_systemctl(const SystemctlRequest& r) {
  const std::string& v = r.verb;
  if (v == "start") return start(r.units);
  if (v == "stop") return stop(r.units);
  if (v == "restart") return restart(r.units);
  if (v == "try-restart") return try_restart(r.units);
  if (v == "reload") return reload(r.units);
  if (v == "force-reload") return force_reload(r.units);
  if (v == "reload-or-restart") {
    // systemd's: reload where the unit runs and can, restart where it runs
    // and cannot, start where it does not run.
    std::vector<int> codes;
    for (const std::string& u : r.units)
      codes.push_back(is_active({u}, true) == exit_code::kSuccess ? force_reload({u}) : start({u}));
    return *std::max_element(codes.begin(), codes.end());
  }
  if (v == "status") return status(r.units, false);
  if (v == "show") return show_properties(r.units, r.properties, r.value_only);
  if (v == "show-manager") return show_manager(r.properties, r.value_only);
  if (v == "cat") return cat(r.units);
  const LinkScope scope = r.runtime ? LinkScope::Runtime : LinkScope::Persistent;
  if (v == "enable") return enable(r.units, r.now, scope);
  if (v == "disable") return disable(r.units, r.now, scope);
  if (v == "reenable") return reenable(r.units, r.now, scope);
  if (v == "mask") return mask(r.units, r.now, scope);
  if (v == "unmask") return unmask(r.units, scope);
  if (v == "is-active") return is_active(r.units, r.quiet);
  if (v == "is-enabled") return is_enabled(r.units, r.quiet);
  if (v == "is-failed") return is_failed(r.units, r.quiet);
  if (v == "kill") return kill_units(r.units, r.signal, r.kill_whom == "main");
  if (v == "reset-failed") return reset_failed(r.units);
  if (v == "preset") return apply_presets(r.units, r, scope);
  if (v == "preset-all") return apply_presets(installable_unit_files(), r, scope);
  if (v == "daemon-reload") return exit_code::kSuccess;  // unitrun reads unit files on every command
  if (v == "is-system-running") return is_system_running(r.quiet, r.wait);
  if (v == "list" || v == "list-unit-files") {
    ListOptions o;
    o.patterns = r.units;
    o.all = r.all;
    o.states = r.states;
    o.legend = !r.no_legend;
    o.plain = r.plain;
    return v == "list" ? list_units(o) : list_unit_files(o);
  }
  if (v == "help") {
    std::printf(
        "systemctl [OPTIONS...] COMMAND ...\n\n"
        "This systemctl is unitrun (unitrun(1), \"Invoked as systemctl\").\n"
        "Commands: start stop restart try-restart reload reload-or-restart force-reload status show cat\n"
        "  enable disable reenable mask unmask is-active is-enabled is-failed kill list-units\n"
        "  list-unit-files daemon-reload reset-failed is-system-running preset preset-all\n");
    return exit_code::kSuccess;
  }
  return exit_code::kFailure;
}

int systemctl_main(int argc, char** argv, const char* version) {
  std::vector<std::string> args(argv + 1, argv + argc);
  unit::set_invoked_as_systemctl();
  SystemctlRequest r = translate_systemctl(args, ::geteuid() == 0);
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s\n", r.error.c_str());
    return r.error_code;
  }
  if (!r.root_dir.empty()) {
    // deb-systemd-helper passes --root=/ (or $DPKG_ROOT): only this
    // machine's own root is unitrun's to change.
    char resolved[PATH_MAX];
    if (::realpath(r.root_dir.c_str(), resolved) == nullptr || std::string_view(resolved) != "/") {
      std::fprintf(stderr, "unitrun: --root=%s is not supported: unitrun acts on this machine's / only\n",
                   r.root_dir.c_str());
      return exit_code::kFailure;
    }
  }
  for (const std::string& n : r.notes) std::fprintf(stderr, "%s\n", n.c_str());
  if (r.verb == "version") {
    // Scripts read the first word after "systemd" as the feature level:
    // the unit dialect unitrun implements is systemd 252's.
    std::printf("systemd 252 (%s, as systemctl; not systemd)\n", version);
    return exit_code::kSuccess;
  }
  return run_systemctl(r);
}

}  // namespace unitrun::cli
