// The words a service's state is told in, systemd's own (systemd.service(5),
// org.freedesktop.systemd1(5)): ActiveState, SubState and Result. The
// monitor decides them, the state record stores them, `status` and
// `status --json` print them; nobody else makes up state strings.
#pragma once

#include <optional>
#include <string_view>

namespace unitrun {

// Where a service is in its life: systemd's SubState of a service unit.
enum class SubState {
  Dead,          // not running, never started or stopped cleanly
  Condition,     // ExecCondition= commands
  StartPre,      // ExecStartPre= commands
  Start,         // the main process is starting (READY=1, a forking parent, oneshot commands)
  StartPost,     // ExecStartPost= commands
  Running,       // the main process runs
  Exited,        // no process, but active (RemainAfterExit=)
  Reload,        // ExecReload= commands, or RELOADING=1 until READY=1
  Stop,          // ExecStop= commands
  StopWatchdog,  // the watchdog's signal sent, waiting
  StopSigterm,   // KillSignal= sent, waiting up to TimeoutStopSec=
  StopSigkill,   // FinalKillSignal= sent, waiting once more
  StopPost,      // ExecStopPost= commands
  FinalSigterm,  // KillSignal= to what ExecStopPost= left behind
  FinalSigkill,  // and FinalKillSignal=
  Failed,        // stopped, and the last run failed
  AutoRestart,   // waiting RestartSec= before starting again
};

enum class ActiveState { Inactive, Activating, Active, Reloading, Deactivating, Failed };

// Why the last run ended (systemd's Result=); Success unless something failed.
enum class ServiceResult {
  Success,
  Resources,  // unitrun could not set the service up (fds, files, an internal error)
  Protocol,   // the service broke the readiness protocol (exited cleanly before READY=1, no pidfile)
  Timeout,
  ExitCode,
  Signal,
  CoreDump,
  Watchdog,
  StartLimitHit,
  OomKill,
  ExecCondition,  // an ExecCondition= command failed with 255 or a signal
};

ActiveState active_state_of(SubState s);

const char* to_string(SubState s);
const char* to_string(ActiveState s);
const char* to_string(ServiceResult r);

std::optional<SubState> parse_sub_state(std::string_view text);
std::optional<ServiceResult> parse_service_result(std::string_view text);

}  // namespace unitrun
