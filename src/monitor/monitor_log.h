// The monitor's own log: spdlog with a sink that writes to a file unitrun
// opened itself (no symlink, 0640, close-on-exec), so the fd never leaks
// into a service; SIGHUP reopens it for logrotate. In the foreground it is
// stderr. A log that cannot be written never stops the monitor. Lines are
// kept until flush(), with the time they were logged at, and formatted and
// written then: one write per turn of the monitor's loop, and nothing of
// the formatting (the time zone read on the first line) before the monitor
// replies to whoever waits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "unit/unit.h"

namespace spdlog {
class logger;
}

namespace unitrun::monitor {

class MonitorLog {
 public:
  MonitorLog();
  ~MonitorLog();
  void open(const Unit& unit, bool foreground);
  void reopen();
  void info(const std::string& message);
  void error(const std::string& message);
  // Writes what was logged since the last flush (the monitor calls it
  // before it sleeps and before it exits).
  void flush();
  const std::string& path() const { return path_; }

 private:
  void make_logger();
  std::string name_;
  std::string path_;
  bool foreground_ = false;
  bool opened_ = false;  // open() ran: lines are kept from then on
  bool journal_ = false;
  std::shared_ptr<spdlog::logger> logger_;
  struct Line;
  std::vector<Line> pending_;
};

// The file the monitors of a user write their own messages to:
// /var/log/unitrun.log as root, $XDG_STATE_HOME/unitrun.log otherwise.
std::string monitor_log_path(const Unit& unit);

}  // namespace unitrun::monitor
