// How a unit's processes are stopped (systemd.kill(5)): who gets which
// signal, and when the stop is complete. The one reading of KillMode=,
// KillSignal=, FinalKillSignal=, SendSIGKILL= and TimeoutStopSec=, used by
// the monitor's supervisor and by the clean-up of a unit whose monitor died,
// so that both stop alike. Pure.
#pragma once

#include "unit/unit.h"

namespace unitrun::process {

struct StopPlan {
  enum class Targets {
    Everyone,        // KillMode=control-group: every process of the unit
    MainAndControl,  // mixed and process: the main (and a control) process
  };
  Targets first_targets = Targets::Everyone;
  int first_signal = 15;                  // KillSignal=, or SIGABRT for a watchdog stop
  bool kill_rest_when_main_gone = false;  // mixed: SIGKILL to the rest once the main process is gone
  bool rest_left_alone = false;           // process: the stop is complete when the main process is gone
  bool final_kill = true;                 // SendSIGKILL=
  Targets final_targets = Targets::Everyone;
  int final_signal = 9;             // FinalKillSignal=
  Usec timeout = 90 * kUsecPerSec;  // TimeoutStopSec=, before the final signal and again after it
};

// watchdog: the stop is the watchdog's (WatchdogSignal=SIGABRT first).
StopPlan stop_plan_for(const Unit& unit, bool watchdog = false);

}  // namespace unitrun::process
