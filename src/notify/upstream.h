// unitrun's own sd_notify toward systemd, when it runs as a unit's main
// process (`unitrun run`): READY, STATUS, STOPPING, RELOADING, WATCHDOG.
// Through libsystemd; a no-op when disabled or when NOTIFY_SOCKET is unset.
// unitrun stays the main PID: it never sends MAINPID=.
#pragma once

#include <cstdint>
#include <string>

namespace unitrun::notify {

class Upstream {
 public:
  // enabled: only in the foreground; a daemonized monitor is not systemd's.
  explicit Upstream(bool enabled);
  void ready();
  void reloading();
  void stopping();
  void status(const std::string& text);
  void watchdog_ping();
  // WATCHDOG=trigger: systemd acts as if its watchdog had expired.
  void watchdog_trigger();
  // The watchdog interval systemd asked for (WATCHDOG_USEC for our PID); 0 when none.
  uint64_t watchdog_usec() const { return watchdog_usec_; }
  bool enabled() const { return enabled_; }

 private:
  void send(const std::string& state);
  bool enabled_;
  uint64_t watchdog_usec_ = 0;
};

}  // namespace unitrun::notify
