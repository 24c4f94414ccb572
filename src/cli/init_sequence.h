// What `unitrun init` (cli/init.cc) does next, as a pure table: the events
// of a container's PID 1 (the boot ended, the command ended, the shutdown
// ended, a signal arrived) in, the actions out. No system call; init.cc
// turns the signalfd into these events and carries out the actions.
//
// The sequence: boot (default.target) → run → shutdown (every unit) → exit.
// - Without a command, SIGTERM, SIGINT, SIGQUIT, SIGPWR and systemd's
//   SIGRTMIN+3..6 (halt, poweroff, reboot, kexec: podman and LXC) start the
//   shutdown; one that arrives during the boot starts it once the boot has
//   ended (each start is bounded by its TimeoutStartSec=). The exit code is
//   the worst of the boot's and the shutdown's (LSB codes, exit_codes.h).
// - With a command (`unitrun init -- CMD`): it starts once the boot has
//   ended, whatever the boot's outcome. SIGTERM, SIGINT, SIGQUIT, SIGHUP,
//   SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to it (as tini does),
//   SIGPWR and SIGRTMIN+3..6 as SIGTERM; when it ends, the shutdown starts, and init exits with
//   the command's status (128+N when signal N killed it). A stop signal that
//   arrives during the boot means the command never starts: the exit code
//   is then as without a command.
// - A stop signal during the shutdown changes nothing: it goes on (the
//   runtime's SIGKILL is the hard end).
#pragma once

#include <optional>
#include <vector>

namespace unitrun::cli {

struct InitAction {
  enum class Kind {
    StartCommand,     // run the command (its end comes back as command_ended)
    StartShutdown,    // stop every unit (its end comes back as shutdown_ended)
    SignalCommand,    // send `value` to the command
    AlreadyStopping,  // a stop signal during the shutdown: say so, nothing else
    StopAfterBoot,    // a stop signal during the boot: say that it waits for the boot
    Exit,             // exit with `value`
  };
  Kind kind;
  int value = 0;
  bool operator==(const InitAction& o) const { return kind == o.kind && value == o.value; }
};

class InitSequence {
 public:
  enum class Phase { Booting, Running, ShuttingDown, Done };

  explicit InitSequence(bool has_command) : has_command_(has_command) {}

  std::vector<InitAction> boot_ended(int code);
  // `code`: the exit status, or 128+N when signal N killed it.
  std::vector<InitAction> command_ended(int code);
  std::vector<InitAction> shutdown_ended(int code);
  // A signal other than SIGCHLD.
  std::vector<InitAction> signal(int signo);

  Phase phase() const { return phase_; }
  bool command_running() const { return command_running_; }

 private:
  std::vector<InitAction> start_shutdown();

  bool has_command_;
  Phase phase_ = Phase::Booting;
  bool stop_requested_ = false;
  bool command_running_ = false;
  int boot_code_ = 0;
  std::optional<int> command_code_;
};

// Whether init handles the signal (the set it blocks and reads from its
// signalfd, SIGCHLD included).
bool init_handles_signal(int signo);
// The signals init_handles_signal() names, for building its sigset.
const std::vector<int>& init_signals();

}  // namespace unitrun::cli
