// Where a unit's runtime files live, and the monitor's state record that
// `status` reads. The lock and state files are keyed by the unit's name and
// a hash of its identity (Unit::identity: its name for a unit of the unit
// path, its resolved file otherwise), so two unit files never share them
// and two spellings of one unit always do.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/service_state.h"
#include "unit/unit.h"

namespace unitrun {

namespace unit {
struct UnitFile;
}

struct RuntimeFiles {
  std::string directory;  // /run/unitrun, or $XDG_RUNTIME_DIR/unitrun
  std::string lock;
  std::string state;
  std::string control;    // the monitor's control socket (short: sun_path holds 108 bytes)
  std::string pidfile;    // the unit's PIDFile=
  std::string name_lock;  // keyed by the unit's name alone: UnitLock::claim_name
  std::string snapshot;   // what the running monitor was started from (runtime/unit_snapshot.h)
};

RuntimeFiles runtime_files_for(const Unit& unit);
// The same before the unit is read (no pidfile yet): from its name and
// identity (unit::UnitFile), in the current user's runtime directory.
RuntimeFiles runtime_files_for(const std::string& name, const std::string& identity);
// The same for a unit file found (unit/unit_lookup.h): keyed by its
// identity, or by its name when it has none.
RuntimeFiles runtime_files_for(const unit::UnitFile& file);
// The key a unit's identity gives its runtime files' names (12 hex digits).
std::string runtime_key(const std::string& identity);
// The runtime directory of the current user: /run/unitrun, or
// $XDG_RUNTIME_DIR/unitrun (unit/user_dirs.h).
std::string runtime_directory();
// Present while `unitrun shutdown` stops every unit of `directory`: a
// monitor that ends then starts no OnSuccess=/OnFailure= unit (systemd's
// would conflict with shutdown.target).
std::string shutdown_marker(const std::string& directory);
// Held by `unitrun shutdown` exclusively and by triggered starts shared
// (runtime/shutdown_lock.h).
std::string shutdown_lock(const std::string& directory);
// The index of requirements in `directory` (cli/dependency_loader.h):
// `.required-by/NAME/` lists the running units whose start named NAME in
// Requires=, BindsTo=, PartOf=, Requisite=, Upholds= or StopPropagatedFrom=.
// (Upholds= also by a link in the unit's UNIT.upholds/ directories.)
inline constexpr const char* kRequiredByIndex = ".required-by";
bool shutdown_in_progress(const std::string& directory);
// Present while `unitrun boot` (and so `unitrun init`'s boot) starts
// default.target: `systemctl is-system-running` says "starting" then.
std::string boot_marker(const std::string& directory);
bool boot_in_progress(const std::string& directory);

// A runtime file's name split back into the unit's name and its kind
// ("web.service.0123456789ab.state" → {"web.service", "state"}); nullopt
// for anything else in the directory.
struct RuntimeFileName {
  std::string name, key, kind;  // kind: "lock", "state" or "unit"
};
std::optional<RuntimeFileName> parse_runtime_file_name(std::string_view file_name);
// The same unit's runtime files when root runs it (/run/unitrun), as a
// caller of another user sees them.
RuntimeFiles system_runtime_files_for(const Unit& unit);

// A digest of the effective unit (unit::show_text), as monitors of an older
// unitrun recorded it (MonitorState::unit_digest): `restart` compares it
// when such a monitor left no snapshot (runs_unit, unit_snapshot.h).
std::string unit_digest(const Unit& unit);

struct Event {
  uint64_t time_usec = 0;  // realtime
  std::string text;
};

// What the monitor knows, written atomically on every change.
struct MonitorState {
  std::string unit_path;
  std::string boot_id;
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;      // /proc start time, proves the PID is still the monitor
  SubState sub_state = SubState::Dead;  // the ActiveState follows from it (active_state_of)
  ServiceResult result = ServiceResult::Success;
  uint64_t state_since_usec = 0;  // realtime of the last change of sub_state
  pid_t main_pid = 0;
  uint64_t main_start_time = 0;
  uint64_t main_started_usec = 0;  // realtime of the main process's start
  pid_t main_sid = 0;              // its session: where an orphaned service is found
  int exit_code = -1;              // last exit of the main process (-1: none)
  int exit_signal = 0;
  unsigned restarts = 0;
  std::string status_text;               // the service's last STATUS=
  int service_errno = 0;                 // the service's last ERRNO=
  uint64_t ready_usec = 0;               // realtime of the last READY (or exec, for simple services)
  std::string invocation_id;             // INVOCATION_ID= of the run (32 hex digits), which its processes inherit
  std::vector<std::string> protections;  // the sandbox and the limits in force ("ProtectSystem=strict", ...)
  std::string condition_text;            // the last start's failed condition (Condition*=, ExecCondition=), if any
  uint64_t condition_usec = 0;           // realtime of that check
  bool foreground = false;               // `unitrun run`: output defaults to inherit, not the log file
  std::string unit_digest;               // unit_digest() of its unit: read from older monitors' records only
  std::vector<Event> events;             // newest last, at most kMaxEvents
  // The starts StartLimitBurst= counts (monotonic usec, oldest first; only
  // meaningful on the boot `boot_id` names): a start by OnFailure= or
  // OnSuccess= counts against them (monitor/restart_policy.h).
  std::vector<uint64_t> start_limit_starts;

  static constexpr size_t kMaxEvents = 20;
  void add_event(std::string text);
  ActiveState active_state() const { return active_state_of(sub_state); }
  // The monitor has ended its work (it recorded dead or failed last): the
  // record is final, and nothing it names runs because of it.
  bool finished() const { return sub_state == SubState::Dead || sub_state == SubState::Failed; }
};

// Whether the unit's output goes where `unitrun run` left it (inherited,
// under systemd: the journal, no file): while a foreground monitor lives.
// A finished run's record says nothing about the next `start`, whose output
// goes to the unit's files. `status` and `logs` both ask this.
bool output_inherited(const std::optional<MonitorState>& state);

std::string serialize(const MonitorState& s);
std::optional<MonitorState> parse_state(const std::string& text);
Status write_state(const std::string& path, const MonitorState& s);

// The record of one monitor, written again and again: the JSON document is
// kept between writes and updated in place (each field assigned under its
// key, the events dropped from the front and appended as add_event() does),
// so a write is a few assignments and one dump() rather than a document of
// ~25 values and up to 20 event objects built and torn down each time
// (most of serialize()'s 17-33 us per write in the monitor, four writes on
// a start's and a stop's paths). text(s) is exactly serialize(s), for any
// sequence of states: the same code says which field goes under which key.
class StateWriter {
 public:
  StateWriter();
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  std::string text(const MonitorState& s);
  Status write(const std::string& path, const MonitorState& s);

 private:
  struct Document;                      // the library's document, kept out of this header
  std::unique_ptr<Document> document_;  // made by the first text()
};
std::optional<MonitorState> read_state(const std::string& path);
// The same for `name` in an open directory (runtime_entries: many at once).
std::optional<MonitorState> read_state_in(int dir_fd, const std::string& name, const std::string& path);

// Only the fields that say which monitor the record is of and where it
// is: monitor_pid, monitor_start_time, sub_state and result (every other
// field left at its default). The text is scanned, never built into a
// document: what a stop reads just before it signals the monitor, and
// after it exited, to learn whether the rest matters. Nullopt as
// read_state() for a record that does not parse, in words this unitrun
// does not know, or with one of these fields of the wrong type.
std::optional<MonitorState> parse_state_summary(const std::string& text);
std::optional<MonitorState> read_state_summary(const std::string& path);
std::optional<MonitorState> read_state_summary_in(int dir_fd, const std::string& name, const std::string& path);

// Whether the record is a finished run's (MonitorState::finished()), told
// by its first key alone, "active_state": "inactive" only for a dead run,
// "failed" only for a failed one. It comes first because nlohmann::json
// keeps an object's keys sorted and no key sorts before it (a key that
// did, or an ordered_json, would only turn this off, and
// tests/unit/state_record_test.cpp fails then). The parse stops after that
// value. False when the text does not begin so (parse_state() then
// decides): never a guess.
bool state_text_says_finished(const std::string& text);
// read_state(), for a caller that needs nothing of a finished run's record
// (a start whose unit has no monitor: such a record names no orphans):
// nullopt for one, as for a missing record, without parsing the rest.
std::optional<MonitorState> read_state_unless_finished(const std::string& path);

// A pidfile's content: exactly a positive decimal PID and a newline (an
// optional trailing newline, nothing else). Anything else is nullopt:
// "-1", "0", "1e3", "123abc", "123\n456" never become a PID to signal.
std::optional<pid_t> parse_pidfile(const std::string& content);

}  // namespace unitrun
