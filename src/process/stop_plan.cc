#include "process/stop_plan.h"

#include <signal.h>

namespace unitrun::process {

StopPlan stop_plan_for(const Unit& unit, bool watchdog) {
  StopPlan p;
  bool tree = unit.kill_mode == KillMode::ControlGroup;
  p.first_targets = tree ? StopPlan::Targets::Everyone : StopPlan::Targets::MainAndControl;
  // systemd's WatchdogSignal= defaults to SIGABRT, for a core dump of the hang.
  p.first_signal = watchdog ? SIGABRT : unit.kill_signal;
  p.kill_rest_when_main_gone = unit.kill_mode == KillMode::Mixed;
  p.rest_left_alone = unit.kill_mode == KillMode::Process;
  p.final_kill = unit.send_sigkill;
  p.final_targets =
      unit.kill_mode == KillMode::Process ? StopPlan::Targets::MainAndControl : StopPlan::Targets::Everyone;
  p.final_signal = unit.final_kill_signal;
  p.timeout = unit.timeout_stop;
  return p;
}

}  // namespace unitrun::process
