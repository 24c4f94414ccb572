// RefuseManualStart= and RefuseManualStop= (cli/manual_refusal.h): which
// verbs named on a command line each key refuses, as systemd's
// bus_unit_queue_job() decides.
#include "cli/manual_refusal.h"

#include <catch2/catch.hpp>

using namespace unitrun;
using cli::Verb;

TEST_CASE("RefuseManualStart=/RefuseManualStop=: the verbs each key refuses", "[manual_refusal]") {
  struct Row {
    const char* name;
    bool refuse_start, refuse_stop, can_reload;
    Verb verb;
    bool refused;
  };
  const Row rows[] = {
      {"start, RefuseManualStart=", true, false, false, Verb::Start, true},
      {"start, RefuseManualStop= only", false, true, false, Verb::Start, false},
      {"stop, RefuseManualStop=", false, true, false, Verb::Stop, true},
      {"stop, RefuseManualStart= only", true, false, false, Verb::Stop, false},
      {"restart, either key (JOB_RESTART)", true, false, false, Verb::Restart, true},
      {"restart, either key (stop)", false, true, false, Verb::Restart, true},
      {"try-restart, either key", false, true, false, Verb::TryRestart, true},
      {"force-reload of a unit that cannot reload: a try-restart", true, false, false, Verb::ForceReload, true},
      {"force-reload of a unit that can reload: a try-reload", true, true, true, Verb::ForceReload, false},
      {"reload: never", true, true, true, Verb::Reload, false},
      {"no key: nothing refused", false, false, false, Verb::Restart, false},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    Unit u;
    u.refuse_manual_start = r.refuse_start;
    u.refuse_manual_stop = r.refuse_stop;
    if (r.can_reload) u.exec_reload.emplace_back();
    CHECK(cli::refuses_manual(r.verb, u) == r.refused);
  }
}
