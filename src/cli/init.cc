// `unitrun init`: a container's PID 1 (cli/init_sequence.h says what it
// does and when). This file is the effects: the signalfd, the reaping, and
// the children that do the work. The boot and the shutdown run in forked
// children (the code of `unitrun boot` and `unitrun shutdown`), so that the
// PID-1 process stays small and nothing in them can take it down; their exit
// codes come back through waitpid like any child's.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "base/process_title.h"
#include "base/sys.h"
#include "base/unique_fd.h"
#include "cli/commands.h"
#include "cli/init_sequence.h"
#include "cli/systemd_run_dir.h"

namespace unitrun::cli {
namespace {

// Exit status of a reaped child, a shell's way: 128+N for signal N.
int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return exit_code::kFailure;
}

// In the boot's child, not in PID 1 (whose heap stays clean): where unitrun
// is the machine's systemctl, /run/systemd/system, without which Debian's
// maintainer scripts never call systemctl (cli/systemd_run_dir.h).
int boot_verb() {
  if (should_make_systemd_run_dir(unit::read_init_facts())) {
    if (Status made = make_systemd_run_dir(); !made.ok())
      std::fprintf(stderr, "unitrun init: %s\n", made.error().message().c_str());
  }
  return boot();
}

int shutdown_verb() {
  int code = shutdown();
  // A unit left failed once the shutdown is over: one that failed while it
  // ran (shutdown() stops only what runs, and a unit that failed to stop
  // already shows in its exit code).
  if (auto failed = first_failed_unit()) {
    std::fprintf(stderr, "unitrun init: %s failed\n", failed->c_str());
    if (code == exit_code::kSuccess) code = exit_code::kFailure;
  }
  return code;
}

bool ignore_terminal_signals() {
  for (int s : {SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU})
    if (std::signal(s, SIG_IGN) == SIG_ERR) return false;
  return true;
}

// A child that runs `verb` (boot or shutdown) with the signal state a
// process should start with, and exits with its code. -1 when fork fails.
pid_t fork_verb(int signal_fd, const char* title, int (*verb)()) {
  std::fflush(nullptr);  // nothing buffered is written twice
  pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "unitrun init: fork: %s\n", std::strerror(errno));
    return -1;
  }
  if (pid > 0) return pid;
  ::close(signal_fd);
  int code = exit_code::kFailure;
  // The child stays in init's process group, which may hold the terminal:
  // a Ctrl-C, Ctrl-\\, Ctrl-Z or a hangup there must not kill or stop a boot
  // or a shutdown half-way (init reads those signals from its signalfd and
  // decides). Each service gets default dispositions back when it is spawned.
  if (!sys::reset_signals() || !ignore_terminal_signals()) {
    std::fprintf(stderr, "unitrun init: signals: %s\n", std::strerror(errno));
  } else {
    (void)set_process_title({"unitrun", "init", title});  // cosmetic: ps names what the child does
    try {
      code = verb();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "unitrun init: %s: internal error: %s\n", title, e.what());
    }
  }
  std::fflush(nullptr);
  ::_exit(code);
}

// Init cannot go on (its signalfd failed, or an internal error): it still
// stops every unit before it returns, since the exit of PID 1 SIGKILLs them
// all and no ExecStop= would run. `running`: a shutdown already under way.
int emergency_shutdown(int signal_fd, pid_t running) {
  pid_t pid = running > 0 ? running : fork_verb(signal_fd, "shutdown", &shutdown_verb);
  while (pid > 0) {
    int status = 0;
    pid_t reaped = ::waitpid(-1, &status, 0);  // orphans too, on the way
    if (reaped < 0 && errno == EINTR) continue;
    if (reaped < 0 || reaped == pid) break;
  }
  return exit_code::kFailure;
}

// The command in a process group of its own, in the terminal's foreground
// when init was there; exec's failure is told through a close-on-exec pipe
// (and the child exits 127 for a command not found, 126 otherwise, as a
// shell does). -1 when it could not be forked. `foreground`: whether it got
// the terminal (init takes it back when the command ends).
pid_t start_command(const std::vector<std::string>& command, bool& foreground) {
  std::vector<char*> argv;
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  foreground = ::isatty(STDIN_FILENO) == 1 && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "unitrun init: pipe: %s\n", std::strerror(errno));
    return -1;
  }
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "unitrun init: fork: %s\n", std::strerror(errno));
    return -1;
  }
  if (pid == 0) {
    // Async-signal-safe from here. SIGTTOU is still blocked, so taking the
    // terminal from init's group cannot stop the child.
    (void)::setpgid(0, 0);                                        // the parent does it too: whoever is first
    if (foreground) (void)::tcsetpgrp(STDIN_FILENO, ::getpid());  // best effort: the command runs either way
    int err = 0;
    if (sys::reset_signals()) {
      ::execvp(argv[0], argv.data());
      err = errno;
    } else {
      err = errno;
    }
    ssize_t n;
    do n = ::write(write_end.get(), &err, sizeof err);
    while (n < 0 && errno == EINTR);
    ::_exit(err == ENOENT ? 127 : 126);
  }
  (void)::setpgid(pid, pid);  // EACCES once it has exec'd, ESRCH once gone: it did it itself then
  write_end.reset();
  int err = 0;
  ssize_t n;
  do n = ::read(read_end.get(), &err, sizeof err);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof err))
    std::fprintf(stderr, "unitrun init: cannot run '%s': %s\n", command[0].c_str(), std::strerror(err));
  return pid;
}

}  // namespace

int init(const std::vector<std::string>& command) {
  if (::getpid() != 1) {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
      std::fprintf(stderr, "unitrun init: prctl(PR_SET_CHILD_SUBREAPER): %s\n", std::strerror(errno));
      return exit_code::kFailure;
    }
    std::fprintf(stderr,
                 "unitrun init: not PID 1 (PID %d): a child subreaper, reaping the orphans of its descendants only\n",
                 static_cast<int>(::getpid()));
  }
  // Blocked signals are never dropped, not even for PID 1 (which the kernel
  // spares every signal it has no handler for): they wait in the signalfd.
  sigset_t set;
  sigemptyset(&set);
  for (int s : init_signals()) sigaddset(&set, s);
  if (!sys::reset_signals() || ::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    std::fprintf(stderr, "unitrun init: sigprocmask: %s\n", std::strerror(errno));
    return exit_code::kFailure;
  }
  UniqueFd signal_fd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!signal_fd) {
    std::fprintf(stderr, "unitrun init: signalfd: %s\n", std::strerror(errno));
    return exit_code::kFailure;
  }

  InitSequence sequence(!command.empty());
  pid_t boot_pid = fork_verb(signal_fd.get(), "boot", &boot_verb);
  pid_t command_pid = -1, shutdown_pid = -1;
  bool command_has_terminal = false;
  std::deque<InitAction> pending;
  auto queue = [&](std::vector<InitAction> actions) { pending.insert(pending.end(), actions.begin(), actions.end()); };
  if (boot_pid < 0) queue(sequence.boot_ended(exit_code::kFailure));

  // One child's end, whoever it was; orphans are only reaped.
  auto reaped = [&](pid_t pid, int status) {
    int code = status_code(status);
    if (pid == boot_pid) {
      boot_pid = -1;
      if (WIFSIGNALED(status))
        std::fprintf(stderr, "unitrun init: the boot was killed by signal %d\n", WTERMSIG(status));
      queue(sequence.boot_ended(WIFSIGNALED(status) ? exit_code::kFailure : code));
    } else if (pid == command_pid) {
      command_pid = -1;
      // The shutdown writes to the terminal from init's group again (SIGTTOU
      // is blocked here, so taking it back cannot stop init).
      if (command_has_terminal && ::tcsetpgrp(STDIN_FILENO, ::getpgrp()) != 0)
        std::fprintf(stderr, "unitrun init: tcsetpgrp: %s\n", std::strerror(errno));
      queue(sequence.command_ended(code));
    } else if (pid == shutdown_pid) {
      shutdown_pid = -1;
      if (WIFSIGNALED(status))
        std::fprintf(stderr, "unitrun init: the shutdown was killed by signal %d\n", WTERMSIG(status));
      queue(sequence.shutdown_ended(WIFSIGNALED(status) ? exit_code::kFailure : code));
    }
  };
  auto reap_all = [&] {
    while (true) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == EINTR) continue;
      if (pid <= 0) return;  // 0: the rest still run; ECHILD: none left
      reaped(pid, status);
    }
  };

  try {
    while (true) {
      while (!pending.empty()) {
        InitAction a = pending.front();
        pending.pop_front();
        switch (a.kind) {
          case InitAction::Kind::StartCommand:
            command_pid = start_command(command, command_has_terminal);
            if (command_pid < 0) queue(sequence.command_ended(exit_code::kFailure));
            break;
          case InitAction::Kind::StartShutdown:
            shutdown_pid = fork_verb(signal_fd.get(), "shutdown", &shutdown_verb);
            if (shutdown_pid < 0) queue(sequence.shutdown_ended(exit_code::kFailure));
            break;
          case InitAction::Kind::SignalCommand:
            // Not reaped yet (only this loop reaps), so the PID is still the command's.
            if (command_pid > 0 && ::kill(command_pid, a.value) != 0 && errno != ESRCH)
              std::fprintf(stderr, "unitrun init: kill: %s\n", std::strerror(errno));
            break;
          case InitAction::Kind::StopAfterBoot:
            std::fprintf(stderr, "unitrun init: %s: stopping every unit once the boot has ended\n", strsignal(a.value));
            break;
          case InitAction::Kind::AlreadyStopping:
            std::fprintf(stderr, "unitrun init: %s: already stopping every unit\n", strsignal(a.value));
            break;
          case InitAction::Kind::Exit:
            reap_all();  // what is left runs on: as PID 1, the kernel kills it when init exits
            return a.value;
        }
      }
      signalfd_siginfo infos[16];
      ssize_t n = ::read(signal_fd.get(), infos, sizeof infos);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        std::fprintf(stderr, "unitrun init: read signalfd: %s\n", std::strerror(errno));
        return emergency_shutdown(signal_fd.get(), shutdown_pid);
      }
      for (size_t i = 0; i < static_cast<size_t>(n) / sizeof infos[0]; ++i) {
        int signo = static_cast<int>(infos[i].ssi_signo);
        if (signo == SIGCHLD)
          reap_all();
        else
          queue(sequence.signal(signo));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unitrun init: internal error: %s\n", e.what());
    return emergency_shutdown(signal_fd.get(), shutdown_pid);
  }
}

}  // namespace unitrun::cli
