// Shared machinery of the integration tests: temporary directories, unit
// files, running the real unitrun binary with a timeout, and reading /proc.
//
// Every test uses its own TempDir and unique unit names, and puts PIDFile=
// and the service's output into its TempDir, so ctest may run them in
// parallel. Processes a test made are found through a marker: unitrun runs
// with UNITRUN_TEST_MARKER=<unique> in its environment (so its monitor has
// it) and the unit sets the same variable with Environment= (so the service
// has it). A process whose /proc/PID/environ holds the marker is the test's.
//
// The test process makes itself a child subreaper: the daemonized monitors,
// and anything orphaned when a test kills a monitor, are re-parented to it
// instead of to PID 1. It plays init, reaping them, so "no zombie" can be
// asserted even where PID 1 does not reap (as in the sandbox this was
// written in).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace itest {

// ---------------------------------------------------------------- paths

std::string unitrun_binary();
std::string helper(const std::string& name);  // HELPERS_DIR/name
inline constexpr const char* kRuntimeDir = "/run/unitrun";
inline constexpr const char* kDefaultLogDir = "/var/log/unitrun";
inline constexpr const char* kFixedPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A unit name no other test (or run) uses: prefix-PID-N-RANDOM.
std::string unique_name(const std::string& prefix);

// ---------------------------------------------------------------- files

// A fresh directory under /tmp, mode 0755, removed with everything in it.
class TempDir {
 public:
  // Under /tmp by default; a test of PrivateTmp= needs a directory the
  // service still sees, so it names another parent (/var/lib, say).
  explicit TempDir(const std::string& parent = "/tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // A subdirectory anyone may write to (for services that run as nobody).
  std::string world_writable_subdir(const std::string& name) const;

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
std::optional<std::string> read_file(const std::string& path);
bool exists(const std::string& path);       // lstat: a dangling symlink exists
mode_t file_mode(const std::string& path);  // permission bits via lstat; fails the test if missing
void remove_file(const std::string& path);  // missing is fine

// The strict pidfile format: a positive decimal PID and a newline.
std::optional<pid_t> read_pidfile(const std::string& path);

// ---------------------------------------------------------------- running unitrun

struct RunOptions {
  std::vector<std::string> set_env;    // "K=V", added to (or replacing in) the inherited environment
  std::vector<std::string> unset_env;  // names removed from it
  std::optional<mode_t> umask;
  std::optional<rlim_t> nofile;                  // RLIMIT_NOFILE, soft and hard, set before exec
  std::vector<int> block_signals;                // the signal mask unitrun starts with (else empty)
  std::vector<int> ignore_signals;               // dispositions set to SIG_IGN before exec
  std::vector<std::pair<int, int>> inherit_fds;  // {test fd, fd number in unitrun}: fds unitrun inherits
  std::vector<std::string> wrapper;              // argv prefix, e.g. strace
  std::string cwd;                               // the directory unitrun starts in (else the test's)
  bool controlling_tty = false;                  // unitrun leads a session whose controlling tty (a pty) is its stdin
  bool stdout_tty = false;  // stdout is a pty of its own (read back into out; \r\n as the tty writes it)
  bool stderr_tty = false;  // the same for stderr (into err)
  int timeout_ms = 30000;   // a hang fails the test (before ctest's 60 s) instead of blocking it
  int eof_grace_ms = 5000;  // after exit, how long stdout/stderr may stay open
};

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  int term_signal = 0;
  bool timed_out = false;
  bool output_held_open = false;  // exited, but something else kept its stdout/stderr pipe open
  std::string out, err;
  double seconds = 0;            // from spawn to exit
  std::string describe() const;  // for failure messages
};

// A unitrun process started without waiting, for running many at once.
class Running {
 public:
  Running() = default;
  Running(Running&&) noexcept;
  Running& operator=(Running&&) noexcept;
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  ~Running();
  pid_t pid() const { return pid_; }
  // Collects output and exit status; kills unitrun (SIGKILL) on timeout.
  RunResult wait();

 private:
  friend Running spawn(const std::vector<std::string>& argv, const RunOptions& opts);
  pid_t pid_ = -1;
  int pidfd_ = -1, out_ = -1, err_ = -1, pty_ = -1;
  RunOptions opts_;
  std::chrono::steady_clock::time_point started_;
};

// Spawns argv (argv[0] a path) with the options applied, stdin /dev/null,
// stdout and stderr to pipes, every other test fd closed.
Running spawn(const std::vector<std::string>& argv, const RunOptions& opts = {});
RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});
// unitrun ARGS...
RunResult run_unitrun(const std::vector<std::string>& args, const RunOptions& opts = {});

// ---------------------------------------------------------------- units

struct UnitOptions {
  std::string extra;                   // more [Service] lines ("Key=value\n" each)
  std::string unit_section;            // lines for a [Unit] section, if any
  std::optional<std::string> pidfile;  // default DIR/NAME.pid; "" leaves PIDFile= out
  bool log_to_tempdir = true;          // StandardOutput=append:DIR/NAME.log
  bool marker = true;                  // Environment=UNITRUN_TEST_MARKER=<marker>
};

// A unit file in a TempDir, with cleanup: its destructor stops the unit,
// SIGKILLs whatever carries its marker, reaps, and removes its runtime files.
class TestUnit {
 public:
  TestUnit(const TempDir& dir, const std::string& prefix, const std::string& exec_start, UnitOptions opts = {});
  ~TestUnit();
  TestUnit(const TestUnit&) = delete;
  TestUnit& operator=(const TestUnit&) = delete;

  // Writes the unit file again with a new ExecStart= and options.
  void rewrite(const std::string& exec_start, UnitOptions opts = {});
  // Writes the unit file with exactly this text (the marker is not added).
  void write_raw(const std::string& text);

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  const std::string& pidfile() const { return pidfile_; }
  const std::string& marker() const { return marker_; }
  const std::string& log() const { return log_; }  // DIR/NAME.log
  std::string default_log() const { return std::string(kDefaultLogDir) + "/" + name_ + ".log"; }

  // unitrun VERB UNIT, with the marker in unitrun's environment.
  RunResult verb(const std::string& verb, RunOptions opts = {}) const;
  RunResult start(RunOptions opts = {}) const { return verb("start", std::move(opts)); }
  RunResult stop(RunOptions opts = {}) const { return verb("stop", std::move(opts)); }
  RunResult restart(RunOptions opts = {}) const { return verb("restart", std::move(opts)); }
  RunResult status(RunOptions opts = {}) const { return verb("status", std::move(opts)); }
  RunResult status_json(RunOptions opts = {}) const;
  Running spawn_verb(const std::string& verb, RunOptions opts = {}) const;

  // Live processes carrying the marker: the service and its descendants
  // (services()) and the monitor (monitors(): those whose exe is unitrun).
  std::vector<pid_t> processes() const;
  std::vector<pid_t> services() const;
  std::vector<pid_t> monitors() const;
  // True when no process carries the marker; otherwise false, and the next
  // assertion says what is left.
  bool nothing_running() const;
  // Runtime files of this unit in /run/unitrun (lock, state, temporaries).
  std::vector<std::string> runtime_files() const;

 private:
  std::string dir_, name_, path_, pidfile_, marker_, log_;
  bool uses_default_log_ = false;
};

RunOptions with_marker(RunOptions opts, const std::string& marker);

// ---------------------------------------------------------------- /proc

struct ProcStat {
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  pid_t ppid = 0, pgid = 0, sid = 0;
  int tty_nr = 0;
  uint64_t start_time = 0;
};

std::optional<ProcStat> proc_stat(pid_t pid);
std::vector<ProcStat> all_processes();
// A line of /proc/PID/status without its key ("Uid" → "0\t0\t0\t0").
std::optional<std::string> proc_status_field(pid_t pid, const std::string& key);
std::string proc_cmdline(pid_t pid);
std::string proc_exe(pid_t pid);
std::vector<std::string> proc_environ(pid_t pid);
// Open fds of a process: fd → readlink target.
std::vector<std::pair<int, std::string>> proc_fds(pid_t pid);
// Where PID's descriptor FD points (as /proc/PID/fd shows it), or "<closed>".
std::string fd_target(pid_t pid, int fd);
// Live (not zombie) processes whose environment holds UNITRUN_TEST_MARKER=marker.
std::vector<pid_t> find_marked(const std::string& marker);
// Exists and is not a zombie.
bool alive(pid_t pid);
// The same process (by start time) still exists, zombie or not.
bool still_there(pid_t pid, uint64_t start_time);
// Zombies whose parent is `parent`.
std::vector<pid_t> zombies_of(pid_t parent);

// Waits for a process to exit (a pidfd becoming readable). True when it has
// exited (zombie or gone) within the timeout.
bool wait_exit(pid_t pid, int timeout_ms);
// Polls cond every step_ms until it holds or timeout_ms passes (test code
// only: some conditions, like "a file appeared", have no event to wait on).
bool wait_until(const std::function<bool()>& cond, int timeout_ms, int step_ms = 10);

// Orphans landing on a subreaper (a monitor): watches the children of
// `parent` other than `except` (its main process), polling /proc test-side,
// until `count` distinct ones (PID and start time) have been seen or
// timeout_ms passed without a new one. A zombie among them is caught only in
// the instant between its exit and its reaping; each one caught must be
// gone within reap_ms. At the end every orphan seen (they are short-lived)
// must be gone within reap_ms too: reaped, not left a zombie.
struct OrphanCensus {
  size_t orphans = 0;                 // distinct orphans seen
  size_t zombies_caught = 0;          // of them, caught as zombies
  std::vector<std::string> unreaped;  // "PID (comm) state": not reaped in time
};
OrphanCensus count_orphans(pid_t parent, pid_t except, size_t count, int timeout_ms, int reap_ms);

// Reaps zombies among the test process's children that nobody waits for:
// adopted monitors and orphans (the test process is a subreaper).
void reap_adopted();

// "pid (comm) state ppid cmdline" for each, to say what was left behind.
std::string describe_processes(const std::vector<pid_t>& pids);

// SIGKILLs every live process carrying the marker and waits for them to go.
void kill_marked(const std::string& marker);

// A FIFO at `path`, mode 0666 whatever the umask (a service may read it as
// another user): a service's `read x < FIFO` waits there until the test
// writes a line with write_fifo().
void make_fifo(const std::string& path);
// Writes `line` to the FIFO; the open waits for its reader.
void write_fifo(const std::string& path, const std::string& line);

// What units named PREFIX... left in `runtime_dir`: the files named after
// them (PREFIX..., and .PREFIX... such as a state record's spare) and their
// .required-by index entries are removed. Nothing else there.
void remove_runtime_files(const std::string& prefix, const std::string& runtime_dir = kRuntimeDir);
// The end of a fixture whose units are named PREFIX-...: `started` stopped
// (last started first, run with `options`), what carries `marker` killed,
// adopted children reaped, remove_runtime_files(prefix, runtime_dir), and
// the units' empty cgroups removed.
void end_units(const std::vector<std::string>& started, const RunOptions& options, const std::string& marker,
               const std::string& prefix, const std::string& runtime_dir = kRuntimeDir);

// The unit's cgroup directories in every mounted tree (v2 and v1 alike):
// what matches NAME_PREFIX* under each tree's unitrun, found the way an
// administrator would.
std::vector<std::string> unit_cgroup_dirs(const std::string& name_prefix);
// Removes what unit_cgroup_dirs(name_prefix) finds, children first, where
// empty: the cgroups of units whose monitor a test killed (kill_marked)
// would otherwise pile up on the test machine. A cgroup with a process in
// it stays (EBUSY).
void remove_unit_cgroups(const std::string& name_prefix);

// /var/log/unitrun.log is one file for every monitor on the machine. A test
// that rotates it (renames it away, then back) holds this turn exclusively
// for its whole run; a test that looks for its own lines there holds it
// shared, so that no rotation moves them away meanwhile. Other test
// processes run in parallel (ctest -j): an flock(2) on a file in /run,
// waited for.
class MachineLogTurn {
 public:
  enum class Kind { Reading, Rotating };
  explicit MachineLogTurn(Kind kind);
  ~MachineLogTurn();
  MachineLogTurn(const MachineLogTurn&) = delete;
  MachineLogTurn& operator=(const MachineLogTurn&) = delete;

 private:
  int fd_ = -1;
};

// ---------------------------------------------------------------- JSON from argvdump

// Waits up to timeout_ms for argvdump's output file (written atomically, so
// once it exists it is complete), then parses it; fails the test if it never
// appears.
nlohmann::json wait_for_dump(const std::string& path, int timeout_ms = 10000);
// Parses status --json output; fails the test if it is not one JSON object.
nlohmann::json parse_json(const std::string& text);

// ---------------------------------------------------------------- a canary

// A child of the test in a process group of its own that counts every
// catchable signal it receives; SIGKILL or SIGSTOP show as !alive() or a
// stopped state.
class Canary {
 public:
  Canary();
  ~Canary();
  Canary(const Canary&) = delete;
  Canary& operator=(const Canary&) = delete;
  pid_t pid() const { return pid_; }
  int signals_received() const;
  bool alive() const;
  char state() const;  // from /proc: 'S' while it sleeps, 'T' if stopped

 private:
  pid_t pid_ = -1;
  std::atomic<int>* counter_ = nullptr;
};

// A plain child process (e.g. /bin/sleep 1000) owned by the test: killed and
// reaped on destruction.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool alive() const;

 private:
  pid_t pid_ = -1;
};

// Whether strace can trace here (ptrace may be forbidden in a container).
bool strace_works();

}  // namespace itest
