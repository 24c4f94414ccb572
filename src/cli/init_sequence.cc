#include "cli/init_sequence.h"

#include <algorithm>
#include <csignal>

namespace unitrun::cli {
namespace {

// systemd's own requests to a PID 1 that is systemd: SIGRTMIN+3 halt, +4
// poweroff, +5 reboot, +6 kexec (systemd(1), "Signals"). podman (for a
// command of /sbin/init) and LXC stop a container with SIGRTMIN+3; in a
// container each of them means: stop every unit and exit.
bool is_systemd_stop_request(int signo) { return signo >= SIGRTMIN + 3 && signo <= SIGRTMIN + 6; }

bool is_stop_signal(int signo) {
  return signo == SIGTERM || signo == SIGINT || signo == SIGQUIT || signo == SIGPWR || is_systemd_stop_request(signo);
}

bool is_forwarded(int signo) {
  return signo == SIGTERM || signo == SIGINT || signo == SIGQUIT || signo == SIGHUP || signo == SIGUSR1 ||
         signo == SIGUSR2 || signo == SIGWINCH;
}

}  // namespace

std::vector<InitAction> InitSequence::start_shutdown() {
  phase_ = Phase::ShuttingDown;
  return {{InitAction::Kind::StartShutdown}};
}

std::vector<InitAction> InitSequence::boot_ended(int code) {
  if (phase_ != Phase::Booting) return {};
  boot_code_ = code;
  if (stop_requested_) return start_shutdown();
  phase_ = Phase::Running;
  if (!has_command_) return {};
  command_running_ = true;
  return {{InitAction::Kind::StartCommand}};
}

std::vector<InitAction> InitSequence::command_ended(int code) {
  if (!command_running_) return {};
  command_running_ = false;
  command_code_ = code;
  if (phase_ == Phase::Running) return start_shutdown();
  return {};
}

std::vector<InitAction> InitSequence::shutdown_ended(int code) {
  if (phase_ != Phase::ShuttingDown) return {};
  phase_ = Phase::Done;
  return {{InitAction::Kind::Exit, command_code_ ? *command_code_ : std::max(boot_code_, code)}};
}

std::vector<InitAction> InitSequence::signal(int signo) {
  switch (phase_) {
    case Phase::Booting:
      if (!is_stop_signal(signo) || stop_requested_) return {};
      stop_requested_ = true;
      return {{InitAction::Kind::StopAfterBoot, signo}};
    case Phase::Running:
      if (command_running_) {
        if (signo == SIGPWR || is_systemd_stop_request(signo)) return {{InitAction::Kind::SignalCommand, SIGTERM}};
        if (is_forwarded(signo)) return {{InitAction::Kind::SignalCommand, signo}};
        return {};
      }
      return is_stop_signal(signo) ? start_shutdown() : std::vector<InitAction>{};
    case Phase::ShuttingDown:
      return is_stop_signal(signo) ? std::vector<InitAction>{{InitAction::Kind::AlreadyStopping, signo}}
                                   : std::vector<InitAction>{};
    case Phase::Done:
      return {};
  }
  return {};
}

const std::vector<int>& init_signals() {
  // SIGPIPE, SIGTTIN, SIGTTOU and SIGTSTP are read and dropped: init neither
  // dies of a closed stderr nor stops for the terminal.
  static const std::vector<int> kSignals = {SIGCHLD, SIGTERM, SIGINT,       SIGQUIT,      SIGPWR,       SIGHUP,
                                            SIGUSR1, SIGUSR2, SIGWINCH,     SIGPIPE,      SIGTTIN,      SIGTTOU,
                                            SIGTSTP, SIGALRM, SIGRTMIN + 3, SIGRTMIN + 4, SIGRTMIN + 5, SIGRTMIN + 6};
  return kSignals;
}

bool init_handles_signal(int signo) {
  const std::vector<int>& s = init_signals();
  return std::find(s.begin(), s.end(), signo) != s.end();
}

}  // namespace unitrun::cli
