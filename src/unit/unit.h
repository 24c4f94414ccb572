// The unit model: plain data, the effective values after defaults.
// Produced by unit::parse(), checked by unit::validate(), read by everyone else.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace unitrun {

// Microseconds, as systemd counts time spans; kInfinity means "no limit".
using Usec = uint64_t;
inline constexpr Usec kInfinity = UINT64_MAX;
inline constexpr Usec kUsecPerSec = 1000000;

enum class ServiceType { Simple, Exec, Notify, Forking, Oneshot };
enum class RestartPolicy { No, OnSuccess, OnFailure, OnAbnormal, OnWatchdog, OnAbort, Always };
enum class KillMode { ControlGroup, Mixed, Process };

struct Command {
  std::vector<std::string> argv;   // argv[0] is the program as written (after '@', the name to show)
  std::string program;             // what is exec'd: an absolute path (resolved), or the bare name when not found
  bool ignore_failure = false;     // '-' prefix
  bool expand_environment = true;  // ':' prefix turns $VAR expansion off
  int line = 0;                    // where it was written

  bool operator==(const Command&) const = default;
};

struct OutputSpec {
  enum class Kind { Default, Null, Inherit, Journal, File, Append, Truncate };
  Kind kind = Kind::Default;
  std::string path;  // for File, Append, Truncate: absolute

  bool operator==(const OutputSpec&) const = default;
};

struct ResourceLimit {
  uint64_t soft = 0;
  uint64_t hard = 0;  // UINT64_MAX is RLIM_INFINITY
  bool operator==(const ResourceLimit&) const = default;
};

// Exit statuses and signals treated specially by the restart logic.
struct ExitStatusSet {
  std::vector<int> codes;
  std::vector<int> signals;
  bool empty() const { return codes.empty() && signals.empty(); }
  bool operator==(const ExitStatusSet&) const = default;
};

struct EnvironmentFile {
  std::string path;
  bool optional = false;  // '-' prefix: a missing file is not an error
  int line = 0;           // where it was written (the key may be repeated)
  bool operator==(const EnvironmentFile&) const = default;
};

struct Unit {
  // Identity.
  std::string name;       // file name without ".ini"
  std::string path;       // absolute path of the unit file
  std::string directory;  // the unit file's directory; relative paths resolve against it
  std::string log_file;   // where output goes when StandardOutput=/StandardError= say nothing

  // [Unit]
  std::string description;
  std::vector<std::string> documentation;
  Usec start_limit_interval = 10 * kUsecPerSec;
  unsigned start_limit_burst = 5;

  // [Service]
  ServiceType type = ServiceType::Simple;
  std::vector<Command> exec_start_pre, exec_start, exec_start_post;
  std::vector<Command> exec_stop, exec_stop_post, exec_reload;
  std::string working_directory = "/";  // "~" means the service user's home
  bool working_directory_optional = false;
  mode_t umask = 0022;
  std::string user, group;  // empty: unitrun's own
  std::vector<std::string> supplementary_groups;
  std::vector<std::pair<std::string, std::string>> environment;  // in order, later wins
  std::vector<EnvironmentFile> environment_files;
  std::string pid_file;  // empty: the default location
  OutputSpec standard_output, standard_error;
  RestartPolicy restart = RestartPolicy::No;
  Usec restart_sec = 100000;
  ExitStatusSet success_exit_status, restart_prevent_exit_status;
  Usec timeout_start = 90 * kUsecPerSec;
  Usec timeout_stop = 90 * kUsecPerSec;
  KillMode kill_mode = KillMode::ControlGroup;
  int kill_signal = 15;       // SIGTERM
  int final_kill_signal = 9;  // SIGKILL
  bool send_sigkill = true;
  Usec watchdog_sec = 0;
  std::optional<ResourceLimit> limit_nofile, limit_core;
  std::optional<int> nice;

  // [Install]
  std::vector<std::string> wanted_by;

  // Where each key was last assigned ("Service.User" → line), for messages
  // that validation produces after parsing. A key whose last assignment was
  // empty (a reset to the default) has no entry: presence means "set".
  std::map<std::string, int> key_lines;

  bool operator==(const Unit&) const = default;
};

const char* to_string(ServiceType t);
const char* to_string(RestartPolicy r);
const char* to_string(KillMode k);
std::string to_string(const OutputSpec& o);

// The file one of the service's output streams goes to, "" when none: a
// file:, append: or truncate: path, or the unit's log file (the default for
// a daemonized unit, and journal's where no journald listens). foreground:
// under `unitrun run`, where the default is to inherit.
std::string file_of(const Unit& unit, const OutputSpec& spec, bool foreground, bool journald);
// StandardError= that says nothing, or inherit, shares stdout's
// destination (systemd.exec(5)): the one rule for every question about it.
bool stderr_joins_stdout(const Unit& unit);
// The file that holds what the service wrote, for `status` and `logs`:
// stdout's, else stderr's.
std::string output_file(const Unit& unit, bool foreground, bool journald);
// The file that holds what it wrote to stderr (a failed start quotes it):
// stderr's own, else the one stderr shares with stdout.
std::string error_file(const Unit& unit, bool foreground, bool journald);

}  // namespace unitrun
