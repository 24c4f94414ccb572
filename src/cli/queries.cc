// `is-active`, `is-failed` and `is-enabled`: one word per unit on stdout
// (none with --quiet) and an exit code for scripts, systemctl's way: 0 when
// at least one of the units is what is asked.
#include <poll.h>
#include <sys/inotify.h>

#include <cerrno>
#include <cstdio>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "base/sys.h"
#include "base/unique_fd.h"
#include "cli/commands.h"
#include "cli/dependency_loader.h"
#include "cli/targets.h"
#include "cli/unit_catalog.h"
#include "runtime/runtime_files.h"
#include "unit/unit_file_state.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {
namespace {

ActiveState active_state_of(const unit::UnitFile& file) {
  unit::UnitFile f = own_unit(file);  // default.target: multi-user.target
  return quick_state(f.name, runtime_files_for(f)).active;
}

// The ActiveState of each unit the words name; a word that names none is
// "inactive", as systemctl says of a unit it cannot find.
std::vector<ActiveState> active_states(const std::vector<std::string>& words, bool quiet) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  std::vector<ActiveState> out;
  for (const Target& t : resolve_targets(words, path, GlobScope::Running, notes)) {
    ActiveState s = t.error.empty() ? active_state_of(t.file) : ActiveState::Inactive;
    if (!quiet) std::printf("%s\n", to_string(s));
    out.push_back(s);
  }
  return out;
}

// Returns once no boot is under way in `directory` (its marker is gone),
// woken by the directory's changes; at once when it cannot watch.
void wait_for_boot(const std::string& directory) {
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch || ::inotify_add_watch(watch.get(), directory.c_str(), IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) return;
  while (boot_in_progress(directory)) {
    struct pollfd p = {watch.get(), POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
    sys::drain(watch.get());
  }
}

}  // namespace

std::optional<std::string> first_failed_unit() {
  unit::UnitPath path = unit::unit_path_for_current_user();
  std::vector<std::string> notes;
  for (const Target& t : resolve_targets({"*"}, path, GlobScope::Running, notes))
    if (t.error.empty() && active_state_of(t.file) == ActiveState::Failed) return t.file.name;
  return std::nullopt;
}

int is_system_running(bool quiet, bool wait) {
  std::string directory = runtime_directory();
  if (wait) wait_for_boot(directory);
  const char* state = "running";
  if (shutdown_in_progress(directory))
    state = "stopping";
  else if (boot_in_progress(directory))
    state = "starting";
  else if (first_failed_unit())
    state = "degraded";
  if (!quiet) std::printf("%s\n", state);
  return std::string_view(state) == "running" ? exit_code::kSuccess : exit_code::kFailure;
}

int is_active(const std::vector<std::string>& units, bool quiet) {
  for (ActiveState s : active_states(units, quiet))
    if (s == ActiveState::Active || s == ActiveState::Reloading) return exit_code::kSuccess;
  return exit_code::kStatusNotRunning;
}

int is_failed(const std::vector<std::string>& units, bool quiet) {
  for (ActiveState s : active_states(units, quiet))
    if (s == ActiveState::Failed) return exit_code::kSuccess;
  return exit_code::kFailure;
}

int is_enabled(const std::vector<std::string>& units, bool quiet) {
  unit::UnitPath path = unit::unit_path_for_current_user();
  unit::LinkIndex links = unit::LinkIndex::read(path);
  std::vector<std::string> notes;
  bool any = false;
  for (const Target& t : resolve_targets(units, path, GlobScope::Startable, notes)) {
    if (!t.error.empty() || !t.file.found) {
      std::fprintf(stderr, "%s\n",
                   !t.error.empty() ? t.error.c_str() : ("unitrun: " + unit::not_found_message(t.file, path)).c_str());
      if (!quiet) std::printf("not-found\n");
      continue;
    }
    const unit::UnitFile& f = t.file;
    std::string file_name = base_name(f.fragment);
    unit::UnitFileFacts facts{file_name, f.directory, f.masked, !f.aliases.empty(), false, true, {}};
    facts.is_template = file_name.find("@.") != std::string::npos;
    if (!f.masked) {
      auto text = unit::read_unit_file(f.fragment);
      facts.readable = text.ok();
      if (text) facts.install = unit::summarize(*text).install;
    }
    unit::UnitFileState state = unit::file_state(facts, links, path);
    // An instance is enabled when it is linked itself.
    if (facts.is_template && links.links_of(f.name) != unit::LinkIndex::Links::None)
      state = links.links_of(f.name) == unit::LinkIndex::Links::Persistent ? unit::UnitFileState::Enabled
                                                                           : unit::UnitFileState::EnabledRuntime;
    if (!quiet) std::printf("%s\n", unit::to_string(state));
    any = any || unit::counts_as_enabled(state);
  }
  return any ? exit_code::kSuccess : exit_code::kFailure;
}

}  // namespace unitrun::cli
