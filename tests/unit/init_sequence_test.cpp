// unitrun init's sequence (cli/init_sequence.h) as a table: events in,
// actions out, no process.
#include "cli/init_sequence.h"

#include <catch2/catch.hpp>
#include <csignal>

using namespace unitrun::cli;
using Kind = InitAction::Kind;
using Actions = std::vector<InitAction>;

TEST_CASE("init sequence: without a command, boot, then a stop signal shuts down; the worst code is the exit code",
          "[init]") {
  InitSequence s(false);
  CHECK(s.signal(SIGHUP).empty());  // nothing to forward to
  CHECK(s.boot_ended(1).empty());
  CHECK(s.phase() == InitSequence::Phase::Running);
  CHECK(s.signal(SIGUSR1).empty());
  CHECK(s.signal(SIGTERM) == Actions{{Kind::StartShutdown}});
  CHECK(s.phase() == InitSequence::Phase::ShuttingDown);
  CHECK(s.shutdown_ended(0) == Actions{{Kind::Exit, 1}});  // the boot failed
  CHECK(s.phase() == InitSequence::Phase::Done);

  // SIGRTMIN+3 is how podman and LXC stop a container whose init is systemd.
  for (int sig : {SIGINT, SIGQUIT, SIGPWR, SIGRTMIN + 3, SIGRTMIN + 4, SIGRTMIN + 5, SIGRTMIN + 6}) {
    InitSequence t(false);
    CHECK(t.boot_ended(0).empty());
    CHECK(t.signal(sig) == Actions{{Kind::StartShutdown}});
    CHECK(t.shutdown_ended(7) == Actions{{Kind::Exit, 7}});
  }
}

TEST_CASE("init sequence: a stop signal during the boot shuts down once the boot has ended", "[init]") {
  InitSequence s(true);
  CHECK(s.signal(SIGTERM) == Actions{{Kind::StopAfterBoot, SIGTERM}});
  CHECK(s.signal(SIGINT).empty());                           // said once
  CHECK(s.boot_ended(0) == Actions{{Kind::StartShutdown}});  // the command never starts
  CHECK_FALSE(s.command_running());
  CHECK(s.shutdown_ended(0) == Actions{{Kind::Exit, 0}});
}

TEST_CASE("init sequence: a second stop signal during the shutdown changes nothing", "[init]") {
  InitSequence s(false);
  (void)s.boot_ended(0);
  CHECK(s.signal(SIGTERM) == Actions{{Kind::StartShutdown}});
  CHECK(s.signal(SIGTERM) == Actions{{Kind::AlreadyStopping, SIGTERM}});
  CHECK(s.signal(SIGINT) == Actions{{Kind::AlreadyStopping, SIGINT}});
  CHECK(s.signal(SIGHUP).empty());
  CHECK(s.shutdown_ended(0) == Actions{{Kind::Exit, 0}});
  CHECK(s.signal(SIGTERM).empty());
}

TEST_CASE("init sequence: the command starts after the boot, gets the signals, and its status is the exit code",
          "[init]") {
  InitSequence s(true);
  CHECK(s.boot_ended(1) == Actions{{Kind::StartCommand}});  // whatever the boot's outcome
  CHECK(s.command_running());
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH})
    CHECK(s.signal(sig) == Actions{{Kind::SignalCommand, sig}});
  CHECK(s.signal(SIGPWR) == Actions{{Kind::SignalCommand, SIGTERM}});
  CHECK(s.signal(SIGRTMIN + 3) == Actions{{Kind::SignalCommand, SIGTERM}});
  CHECK(s.signal(SIGPIPE).empty());
  CHECK(s.signal(SIGRTMIN + 7).empty());
  CHECK(s.command_ended(128 + SIGTERM) == Actions{{Kind::StartShutdown}});
  CHECK(s.signal(SIGTERM) == Actions{{Kind::AlreadyStopping, SIGTERM}});  // not forwarded any more
  CHECK(s.shutdown_ended(1) == Actions{{Kind::Exit, 128 + SIGTERM}});
}

TEST_CASE("init sequence: the signals init reads are the ones it handles", "[init]") {
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGPWR, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGPIPE, SIGRTMIN + 3,
                  SIGRTMIN + 4, SIGRTMIN + 5, SIGRTMIN + 6})
    CHECK(init_handles_signal(sig));
  CHECK_FALSE(init_handles_signal(SIGKILL));
  CHECK_FALSE(init_handles_signal(SIGSEGV));  // a crash is not a message
}
