#include "cli/manual_refusal.h"

#include <cstdlib>
#include <string_view>

#include "base/exit_codes.h"
#include "cli/unit_source.h"
#include "monitor/monitor.h"
#include "unit/unit_sources.h"

namespace unitrun::cli {
namespace {

// The cheap test first: most units never mention the keys.
bool mentions_refusal(const unit::UnitFile& file) {
  auto mentions = [](const std::string& path) {
    return unit::read_unit_file(path).value_or("").find("RefuseManualSt") != std::string::npos;
  };
  if (!file.fragment.empty() && mentions(file.fragment)) return true;
  for (const std::string& d : file.dropins)
    if (mentions(d)) return true;
  return false;
}

}  // namespace

bool refuses_manual(Verb verb, const Unit& unit) {
  bool either = unit.refuse_manual_start || unit.refuse_manual_stop;
  switch (verb) {
    case Verb::Start:
      return unit.refuse_manual_start;
    case Verb::Stop:
      return unit.refuse_manual_stop;
    case Verb::Restart:
    case Verb::TryRestart:
      return either;
    case Verb::ForceReload:
      return either && unit.exec_reload.empty();
    case Verb::Reload:
      return false;
  }
  return false;
}

namespace {

const char* verb_word(Verb verb) {
  switch (verb) {
    case Verb::Start:
      return "start";
    case Verb::Stop:
      return "stop";
    case Verb::Restart:
      return "restart";
    case Verb::TryRestart:
      return "try-restart";
    case Verb::Reload:
      return "reload";
    case Verb::ForceReload:
      return "force-reload";
  }
  return "start";
}

}  // namespace

void refuse_manual_jobs(Verb verb, std::vector<Target>& targets) {
  if (verb == Verb::Reload) return;
  if (const char* by = std::getenv(monitor::kTriggeredByVariable); by && *by) return;  // by dependency
  for (Target& t : targets) {
    if (!t.error.empty() || !t.file.found || t.file.masked || !mentions_refusal(t.file)) continue;
    LoadedUnit loaded = load_unit(t.file, verb == Verb::Start ? UnitSource::Disk : UnitSource::Running);
    if (!refuses_manual(verb, loaded.load.unit)) continue;
    // systemctl's words: "Failed to start x.service: Operation refused, ..."
    t.error = "unitrun: failed to " + std::string(verb_word(verb)) + " " + t.file.name + ": Operation refused, unit " +
              t.file.name + " may be requested by dependency only (it is configured to refuse manual start/stop).";
    t.code = exit_code::kFailure;
  }
}

}  // namespace unitrun::cli
