#include "notify/upstream.h"

#include <time.h>

#include "notify/libsystemd.h"

namespace unitrun::notify {

Upstream::Upstream(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  const LibSystemd* sd = libsystemd();
  if (!sd) {
    enabled_ = false;  // no libsystemd: no systemd to notify
    return;
  }
  uint64_t usec = 0;
  // unset=1: these variables are for us; the service gets its own, from us.
  if (sd->watchdog_enabled(1, &usec) > 0) watchdog_usec_ = usec;
}

void Upstream::send(const std::string& state) {
  if (!enabled_) return;
  // sd_notify(3) says to ignore the result: nobody listening is not an error.
  (void)libsystemd()->notify(0, state.c_str());
}

void Upstream::ready() { send("READY=1"); }

void Upstream::reloading() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Upstream::stopping() { send("STOPPING=1"); }

void Upstream::status(const std::string& text) {
  std::string clean;
  for (char c : text) clean += (c == '\n' || c == '\r') ? ' ' : c;
  if (clean.size() > 1024) clean.resize(1024);
  send("STATUS=" + clean);
}

void Upstream::watchdog_ping() { send("WATCHDOG=1"); }

void Upstream::watchdog_trigger() { send("WATCHDOG=trigger"); }

}  // namespace unitrun::notify
