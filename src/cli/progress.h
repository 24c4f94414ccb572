// One updating line on stderr while a verb waits for the monitor, as
// systemctl shows "A start job is running for ... (3s / 1min 30s)": what
// the unit is doing (its state record's phase), for how long, and its limit
// (TimeoutStartSec=, TimeoutStopSec=, RestartSec=). Only on a terminal
// (terminal::progress()); elsewhere a WaitProgress draws nothing and asks its
// waits for no timeout at all, so a piped verb wakes only for the event it
// waits for. The monitor is never asked anything: the line is drawn from the
// state record the monitor writes anyway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/service_state.h"
#include "unit/unit.h"

namespace unitrun::cli {

// The line for a unit in `phase` (nullopt: no record yet) for `elapsed_usec`;
// pure, for the tests.
std::string progress_text(const Unit& unit, std::optional<SubState> phase, uint64_t elapsed_usec);

class WaitProgress {
 public:
  // state_path: the unit's state record.
  WaitProgress(const Unit& unit, std::string state_path);
  ~WaitProgress();  // clears the line, if one was drawn
  WaitProgress(const WaitProgress&) = delete;
  WaitProgress& operator=(const WaitProgress&) = delete;

  // The timeout for a wait's poll() between two updates: 1000 ms on a
  // terminal, -1 (none) elsewhere.
  int tick_ms() const;
  // Redraws the line from the state record (a wait's poll() timed out).
  void update();
  // Clears the line now (before the verb prints its outcome).
  void clear();

 private:
  const Unit& unit_;
  std::string state_path_;
  uint64_t began_usec_;
  bool drawn_ = false;
};

}  // namespace unitrun::cli
