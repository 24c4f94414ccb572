// systemctl reset-failed: a failed unit whose monitor has ended is inactive
// (dead) again, as systemd forgets a unit's failure. The record is changed
// only under the unit's start and alive locks, so no start or monitor
// writes it meanwhile.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "cli/targets.h"
#include "cli/unit_catalog.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"

namespace unitrun::cli {
namespace {

void reset_one(const std::string& lock_path, const std::string& state_path) {
  if (lock_path.empty() || state_path.empty()) return;
  // UnitLock::open creates the lock file: a unit that never ran gets none.
  struct stat st;
  if (::lstat(lock_path.c_str(), &st) != 0 && errno == ENOENT) return;  // never ran: nothing failed
  auto lock = UnitLock::open(lock_path);
  if (!lock) return;
  auto start = lock->try_lock_start();
  if (!start || !*start) return;  // a start or stop is under way: it writes the record
  auto alive = lock->try_lock_alive();
  if (alive && *alive) {
    auto s = read_state(state_path);
    // systemd.unit(5): reset-failed also flushes the start rate counter
    // (StartLimitBurst=), of any unit, failed or not.
    if (s && (s->sub_state == SubState::Failed || !s->start_limit_starts.empty())) {
      if (s->sub_state == SubState::Failed) {
        s->sub_state = SubState::Dead;
        s->result = ServiceResult::Success;
        s->state_since_usec = sys::now_realtime_usec();
        s->add_event("failed state reset");
      }
      s->start_limit_starts.clear();
      if (Status w = write_state(state_path, *s); !w)
        std::fprintf(stderr, "unitrun: %s\n", w.error().message().c_str());
    }
    (void)lock->unlock_alive();  // closing the lock releases it anyway
  }
  (void)lock->unlock_start();
}

}  // namespace

int reset_failed(const std::vector<std::string>& units) {
  if (units.empty()) {
    RuntimeDirectory dir(runtime_directory());
    for (const RuntimeEntry& e : dir.entries()) reset_one(e.lock, e.state);
    return exit_code::kSuccess;
  }
  return for_each_loaded_target(units, "reset failed state of", [](const unit::UnitFile& file) {
    RuntimeFiles f = runtime_files_for(file);
    reset_one(f.lock, f.state);
    return exit_code::kSuccess;
  });
}

}  // namespace unitrun::cli
