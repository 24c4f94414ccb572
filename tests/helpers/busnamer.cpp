// A Type=dbus service for the tests: connects to the system bus
// ($DBUS_SYSTEM_BUS_ADDRESS), waits DELAY_MS, takes NAME, and runs until
// SIGTERM (exit 0). SIGUSR1 releases the name and it runs on without it.
// DELAY_MS "never": it never takes the name. "exit:CODE" as DELAY_MS: it
// exits with CODE at once, without the name. Each step is written to stdout
// (the unit's log): "connected", "requesting NAME", "acquired NAME",
// "released NAME".
//
//   busnamer NAME DELAY_MS
//
// Links libsystemd directly: a test helper, not unitrun.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void die(const char* what, int r) {
  std::fprintf(stderr, "busnamer: %s: %s\n", what, std::strerror(r < 0 ? -r : r));
  std::exit(1);
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: busnamer NAME DELAY_MS|never|exit:CODE\n");
    return 2;
  }
  std::string name = argv[1];
  std::string delay = argv[2];
  if (delay.rfind("exit:", 0) == 0) return std::atoi(delay.c_str() + 5);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) die("sigprocmask", errno);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) die("signalfd", errno);

  sd_bus* bus = nullptr;
  int r = sd_bus_open_system(&bus);
  if (r < 0) die("sd_bus_open_system", r);
  // The Hello round trip, so that "connected" means it.
  const char* unique = nullptr;
  r = sd_bus_get_unique_name(bus, &unique);
  if (r < 0) die("sd_bus_get_unique_name", r);
  say(std::string("connected ") + unique);

  if (delay != "never") {
    long ms = std::strtol(delay.c_str(), nullptr, 10);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
    // Said before: the name may be seen on the bus before our own call returns.
    say("requesting " + name);
    r = sd_bus_request_name(bus, name.c_str(), 0);
    if (r < 0) die("sd_bus_request_name", r);
    say("acquired " + name);
  }

  for (;;) {
    r = sd_bus_process(bus, nullptr);
    if (r < 0) die("sd_bus_process", r);
    if (r > 0) continue;
    struct pollfd fds[2] = {{sd_bus_get_fd(bus), static_cast<short>(sd_bus_get_events(bus)), 0}, {sfd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll", errno);
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(sfd, &info, sizeof info) != sizeof info) die("read signalfd", errno);
      if (info.ssi_signo == SIGTERM) break;
      r = sd_bus_release_name(bus, name.c_str());
      if (r < 0) die("sd_bus_release_name", r);
      say("released " + name);
    }
  }
  sd_bus_flush_close_unref(bus);
  return 0;
}
