#include "monitor/service_exec.h"

#include <fcntl.h>
#include <linux/vt.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/strings.h"
#include "base/sys.h"
#include "notify/journal_stream.h"
#include "runtime/safe_files.h"
#include "unit/command_line.h"
#include "unit/environment_file.h"
#include "unit/service_directories.h"
#include "unit/unit_validate.h"
#include "unit/values.h"

extern char** environ;

namespace unitrun::monitor {
namespace {

// systemd.exec(5): $USER, $LOGNAME, $HOME and $SHELL are "set for the
// units which have User= set, which includes user systemd instances" (the
// user manager hands its services its own login environment). So a system
// service without User= gets none of them (checked against systemd 252:
// `systemd-run --pipe env` shows no HOME), and no user database is read
// for it. And only when they say something (systemd's get_user_creds()
// with USER_CREDS_CLEAN): no $HOME that is unknown, "/" or not absolute,
// no $SHELL that is unknown, not absolute or one that refuses a login;
// nobody (65534) has neither.
bool sets_login_environment(const Unit& unit) { return !unit.user.empty() || ::geteuid() != 0; }

bool is_nologin_shell(const std::string& shell) {
  for (const char* refusing : {"/bin/nologin", "/sbin/nologin", "/usr/bin/nologin", "/usr/sbin/nologin", "/bin/false",
                               "/usr/bin/false", "/bin/true", "/usr/bin/true"})
    if (shell == refusing) return true;
  return false;
}

bool is_nobody(const process::Identity& id) {
  return id.credentials ? id.credentials->uid == 65534 : id.user_name == "nobody";
}

void set_login_environment(const process::Identity& id, std::map<std::string, std::string>& env) {
  env["USER"] = id.user_name;
  env["LOGNAME"] = id.user_name;
  if (is_nobody(id)) return;
  if (id.home.size() > 1 && id.home[0] == '/') env["HOME"] = id.home;
  if (id.shell.size() > 1 && id.shell[0] == '/' && !is_nologin_shell(id.shell)) env["SHELL"] = id.shell;
}

}  // namespace

Result<ExecContext> prepare_exec_context(const Unit& unit) {
  ExecContext c;
  const bool login_environment = sets_login_environment(unit);
  auto identity = process::resolve_identity(unit, login_environment || unit.working_directory == "~");
  if (!identity) return identity.error();
  c.identity = std::move(*identity);
  auto& env = c.environment;
  // systemd's order (systemd.exec(5), "Environment Variables in Spawned
  // Processes"): what the manager sets, PassEnvironment= from the manager's
  // own environment, Environment=, EnvironmentFile=; UnsetEnvironment= last
  // (make_exec_spec(), once the per-command variables are in too).
  std::string search_path;
  for (const std::string& dir : unit.exec_search_path) search_path += (search_path.empty() ? "" : ":") + dir;
  env["PATH"] = search_path.empty() ? unit::kFixedPath : search_path;
  if (login_environment) set_login_environment(c.identity, env);
  for (const auto& [k, v] : unit::directory_environment(unit)) env[k] = v;
  if (!unit.credentials.empty()) env["CREDENTIALS_DIRECTORY"] = unit.credentials_directory;
  for (const std::string& name : unit.pass_environment)
    if (const char* v = std::getenv(name.c_str())) env[name] = v;
  for (const auto& [k, v] : unit.environment) env[k] = v;
  for (const EnvironmentFile& f : unit.environment_files) {
    // Read as unitrun's user (often root) on the service's behalf: by
    // safe_files' rules (no symlink planted in the last component, no hard
    // link, a regular file only, and an open that never blocks on a FIFO).
    auto fd = safe_files::open_for_reading(f.path);
    if (!fd) {
      if (f.optional && fd.error().sys_errno == ENOENT) continue;
      return Error::plain("EnvironmentFile '" + f.path + "': " + fd.error().message());
    }
    auto content = sys::read_all(fd->get(), 1 << 20);
    if (!content) return Error{content.error().sys_errno, "EnvironmentFile '" + f.path + "'"};
    auto vars = environment_file::parse(*content);
    if (!vars) return Error::plain("EnvironmentFile '" + f.path + "': " + vars.error().message());
    for (auto& [k, v] : *vars) env[k] = v;
  }
  return c;
}

namespace {

// The kernel's I/O priority encoding (include/uapi/linux/ioprio.h, a stable
// ABI). Not included: from linux-libc-dev 6.1.192 on, that header defines an
// inline function with a parameter named `class`, which no C++ compiler takes.
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioClassBestEffort = 2;
constexpr int kIoprioClassIdle = 3;

bool uses_tty(const Unit& unit) {
  using K = OutputSpec::Kind;
  return unit.standard_input.is_tty() || unit.standard_output.kind == K::Tty || unit.standard_error.kind == K::Tty;
}

// The journal stream systemd would give the service, with the unit's
// SyslogIdentifier=, SyslogFacility=, SyslogLevel= and SyslogLevelPrefix=.
UniqueFd journal_stream(const Unit& unit, bool kmsg, bool console) {
  notify::JournalStreamOptions o;
  o.identifier = unit.syslog_identifier.empty() ? unit.name : unit.syslog_identifier;
  o.priority = unit.syslog_facility | unit.syslog_level;
  o.level_prefix = unit.syslog_level_prefix;
  o.forward_to_kmsg = kmsg;
  o.forward_to_console = console;
  return notify::open_journal_stream(o);
}

Result<UniqueFd> open_tty(const Unit& unit, int flags) {
  int fd = ::open(unit.tty_path.c_str(), flags | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("TTYPath '" + unit.tty_path + "'");
  if (!::isatty(fd)) {
    (void)::close(fd);  // not ours to keep
    return Error::plain("TTYPath '" + unit.tty_path + "' is not a terminal");
  }
  return UniqueFd(fd);
}

// Opens one output as the unit asks; -1 (an empty UniqueFd) is /dev/null.
Result<UniqueFd> open_output(const Unit& unit, const OutputSpec& spec, int inherit_fd, bool foreground) {
  using K = OutputSpec::Kind;
  K kind = spec.kind == K::Default && foreground ? K::Inherit : spec.kind;
  switch (kind) {
    case K::Null:
      return UniqueFd();
    case K::Inherit: {
      if (inherit_fd < 0) return UniqueFd();
      int fd = ::fcntl(inherit_fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) return Error::from_errno("duplicate stdout");
      return UniqueFd(fd);
    }
    case K::Journal:
    case K::JournalConsole: {
      // Where journal output goes is decided once, by unit::file_of():
      // journald's stream when it listens, else the unit's log file (a
      // container, a sysvinit machine; without a console copy). `status` and
      // `logs` read the same.
      std::string file = file_of(unit, spec, foreground, sys::journald_listening());
      if (!file.empty()) return safe_files::open_for_writing(file, true, false, 0640);
      // The console copy is journald's to make (ForwardToConsole= for this
      // stream), as under systemd.
      if (UniqueFd journal = journal_stream(unit, false, kind == K::JournalConsole)) return journal;
      return Error::plain("cannot open a stream to journald for StandardOutput=journal");
    }
    case K::Kmsg:
    case K::KmsgConsole: {
      if (UniqueFd journal = journal_stream(unit, true, kind == K::KmsgConsole)) return journal;
      // Without journald, straight into the kernel log.
      int fd = ::open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
      if (fd < 0) return Error::from_errno("open /dev/kmsg");
      return UniqueFd(fd);
    }
    case K::Tty:
      return open_tty(unit, O_WRONLY);
    case K::File:
      return safe_files::open_output(spec.path, false, false, 0640);
    case K::Append:
      return safe_files::open_output(spec.path, true, false, 0640);
    case K::Truncate:
      return safe_files::open_output(spec.path, false, true, 0640);
    case K::Default:
      return safe_files::open_for_writing(unit.log_file, true, false, 0640);
  }
  return UniqueFd();
}

// StandardInputText=/StandardInputData=: a sealed memory file, read-only.
Result<UniqueFd> open_input_data(const std::string& data) {
  UniqueFd memfd(::memfd_create("unitrun-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd) return Error::from_errno("memfd_create for StandardInputData=");
  if (auto w = sys::write_all(memfd.get(), data); !w) return w.error();
  if (::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    return Error::from_errno("seal StandardInputData=");
  std::string self = "/proc/self/fd/" + std::to_string(memfd.get());
  int fd = ::open(self.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("reopen StandardInputData= read-only");
  return UniqueFd(fd);
}

// StandardInput=file:PATH: a file, a FIFO, a device, or an AF_UNIX stream
// socket, which is connected to.
Result<UniqueFd> open_input_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return Error::plain("StandardInput= socket path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
      return Error::from_errno("connect StandardInput= '" + path + "'");
    (void)::shutdown(fd.get(), SHUT_WR);  // input only; a refusal changes nothing
    return fd;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("StandardInput= '" + path + "'");
  return UniqueFd(fd);
}

Result<UniqueFd> open_input(const Unit& unit) {
  using K = InputSpec::Kind;
  switch (unit.standard_input.kind) {
    case K::Null:
      return UniqueFd();
    case K::Tty:
    case K::TtyForce:
    case K::TtyFail:
      return open_tty(unit, O_RDWR);
    case K::Data:
      return open_input_data(unit.standard_input_data);
    case K::File:
      return open_input_file(unit.standard_input.path);
  }
  return UniqueFd();
}

// CPUs or NUMA nodes as a kernel mask (an array of unsigned long).
std::vector<unsigned long> kernel_mask(const CpuSet& set) {
  constexpr size_t kBits = sizeof(unsigned long) * 8;
  std::vector<unsigned long> mask((set.bits.size() + kBits - 1) / kBits, 0);
  for (size_t i = 0; i < set.bits.size(); ++i)
    if (set.bits[i]) mask[i / kBits] |= 1UL << (i % kBits);
  return mask;
}

// A CPU list file of /sys ("0-3,8") into `into`.
void add_cpu_list(const std::string& path, CpuSet& into) {
  auto text = sys::read_file(path, 64 * 1024);
  if (text) (void)values::parse_cpu_set(trim(*text), into);  // a malformed file adds nothing
}

CpuSet numa_nodes(const Unit& unit) {
  if (!unit.numa_mask_all) return unit.numa_mask;
  CpuSet all;
  add_cpu_list("/sys/devices/system/node/possible", all);
  if (all.empty()) all.bits = {true};  // no NUMA information: node 0
  return all;
}

}  // namespace

void reset_tty(const Unit& unit) {
  bool resize = unit.tty_rows || unit.tty_columns;
  if (!unit.tty_reset && !unit.tty_vhangup && !unit.tty_vt_disallocate && !resize) return;
  // Best effort, as in systemd: a terminal that cannot be reset still serves.
  auto reopen = [&] { return UniqueFd(::open(unit.tty_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)); };
  if (unit.tty_vhangup) {
    if (UniqueFd fd = reopen()) (void)::ioctl(fd.get(), TIOCVHANGUP);  // a terminal without users has none to hang up
  }
  if (unit.tty_reset) {
    if (UniqueFd fd = reopen()) {
      (void)::ioctl(fd.get(), TIOCNXCL);  // not exclusive: others may open it
      struct termios t;
      if (::tcgetattr(fd.get(), &t) == 0) {
        t.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | ISTRIP | INLCR | IGNCR | IUCLC);
        t.c_iflag |= ICRNL | IMAXBEL | IUTF8;
        t.c_oflag |= ONLCR | OPOST;
        t.c_cflag |= CREAD;
        t.c_lflag = ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        (void)::tcsetattr(fd.get(), TCSANOW, &t);  // best effort, see above
      }
      (void)::tcflush(fd.get(), TCIOFLUSH);  // old input must not reach the service
    }
  }
  if (resize) {
    if (UniqueFd fd = reopen()) {
      struct winsize w {};
      if (::ioctl(fd.get(), TIOCGWINSZ, &w) == 0) {
        if (unit.tty_rows) w.ws_row = static_cast<unsigned short>(*unit.tty_rows);
        if (unit.tty_columns) w.ws_col = static_cast<unsigned short>(*unit.tty_columns);
        (void)::ioctl(fd.get(), TIOCSWINSZ, &w);  // best effort, see above
      }
    }
  }
  if (unit.tty_vt_disallocate) {
    // /dev/ttyN: free the virtual console (scrollback included); when it is
    // in use, clear its screen and scrollback instead.
    bool freed = false;
    if (unit.tty_path.rfind("/dev/tty", 0) == 0) {
      auto n = values::parse_unsigned(std::string_view(unit.tty_path).substr(8), 63);
      UniqueFd console(::open("/dev/tty0", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
      if (n && *n > 0 && console) freed = ::ioctl(console.get(), VT_DISALLOCATE, static_cast<int>(*n)) == 0;
    }
    if (!freed)
      if (UniqueFd fd = reopen()) (void)sys::write_all(fd.get(), "\033[r\033[H\033[3J");  // best effort, see above
  }
}

Result<Outputs> open_outputs(const Unit& unit, int inherit_fd, bool foreground) {
  Outputs o;
  if (uses_tty(unit)) reset_tty(unit);
  auto in = open_input(unit);
  if (!in) return in.error();
  o.in = std::move(*in);
  auto out = open_output(unit, unit.standard_output, inherit_fd, foreground);
  if (!out) return out.error();
  o.out = std::move(*out);
  const OutputSpec& err = unit.standard_error;
  using K = OutputSpec::Kind;
  // stderr shares stdout's fd when it joins stdout (unit::stderr_joins_stdout,
  // the one rule), and when it names the very same file: one description,
  // so the lines of both keep their order and truncate: happens once. Each
  // journal stream is its own (identifier and level per stream, as in
  // systemd).
  bool own_stream =
      err.kind == K::Journal || err.kind == K::JournalConsole || err.kind == K::Kmsg || err.kind == K::KmsgConsole;
  bool same_file = err.kind == unit.standard_output.kind && err.path == unit.standard_output.path && !own_stream &&
                   err.kind != K::Null;
  if (stderr_joins_stdout(unit) || same_file) return o;
  if (err.kind == K::Null) {
    int fd = ::open("/dev/null", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return Error::from_errno("open /dev/null");
    o.err.reset(fd);
    return o;
  }
  auto e = open_output(unit, err, inherit_fd, foreground);
  if (!e) return e.error();
  o.err = std::move(*e);
  if (!o.err) o.err.reset(::open("/dev/null", O_WRONLY | O_NOCTTY | O_CLOEXEC));
  return o;
}

process::ExecSpec make_exec_spec(const Unit& unit, const Command& command, const ExecContext& context,
                                 const Outputs& outputs, const std::map<std::string, std::string>& extra_env) {
  process::ExecSpec spec;
  std::map<std::string, std::string> env = context.environment;
  for (const auto& [k, v] : extra_env) env[k] = v;
  // UnsetEnvironment=, the last step: NAME removes any value, NAME=VALUE that
  // value only.
  for (const std::string& u : unit.unset_environment) {
    size_t eq = u.find('=');
    auto it = env.find(u.substr(0, eq));
    if (it != env.end() && (eq == std::string::npos || it->second == u.substr(eq + 1))) env.erase(it);
  }
  spec.program = command.program;
  spec.argv = command.expand_environment ? command_line::expand_environment(command.argv, env) : command.argv;
  if (spec.argv.empty()) spec.argv.push_back(command.program);  // "$EMPTY" alone must not leave argv empty
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  // "~": the home of User=, or of unitrun's own user; "/" when it has none.
  spec.working_directory = unit.working_directory != "~"   ? unit.working_directory
                           : context.identity.home.empty() ? std::string("/")
                                                           : context.identity.home;
  spec.working_directory_optional = unit.working_directory_optional;
  spec.umask = unit.umask;
  // '+' and '!' (and PermissionsStartOnly=): the monitor's own identity.
  if (command.switches_user()) spec.credentials = context.identity.credentials;
  spec.stdin_fd = outputs.stdin_fd();
  spec.stdout_fd = outputs.stdout_fd();
  spec.stderr_fd = outputs.stderr_fd();
  spec.limit_nofile = unit.limit_nofile;
  spec.limit_core = unit.limit_core;
  spec.nice = unit.nice;

  // Process properties (systemd.exec(5)).
  spec.limits.assign(unit.limits.begin(), unit.limits.end());
  spec.oom_score_adjust = unit.oom_score_adjust;
  spec.coredump_filter = unit.coredump_filter;
  const CpuScheduling& cs = unit.cpu_scheduling;
  if (cs.policy || cs.priority || cs.reset_on_fork) {
    spec.sched_policy = cs.policy.value_or(SCHED_OTHER);
    spec.sched_priority = cs.priority.value_or(0);
    spec.sched_reset_on_fork = cs.reset_on_fork;
  }
  if (unit.io_scheduling.io_class || unit.io_scheduling.priority) {
    // systemd's default is the kernel's: best-effort, level 4.
    int io_class = unit.io_scheduling.io_class.value_or(kIoprioClassBestEffort);
    int level = unit.io_scheduling.priority.value_or(io_class == kIoprioClassIdle ? 0 : 4);
    spec.ioprio = (io_class << kIoprioClassShift) | level;
  }
  CpuSet nodes = numa_nodes(unit);
  if (unit.cpu_affinity_from_numa) {
    CpuSet cpus;
    for (size_t n = 0; n < nodes.bits.size(); ++n)
      if (nodes.bits[n]) add_cpu_list("/sys/devices/system/node/node" + std::to_string(n) + "/cpulist", cpus);
    spec.cpu_affinity = kernel_mask(cpus);
  } else if (!unit.cpu_affinity.empty()) {
    spec.cpu_affinity = kernel_mask(unit.cpu_affinity);
  }
  if (unit.numa_policy) {
    spec.numa_policy = unit.numa_policy;
    spec.numa_nodes = kernel_mask(nodes);
  }
  spec.timer_slack_nsec = unit.timer_slack_nsec;
  spec.personality = unit.personality;
  spec.ignore_sigpipe = unit.ignore_sigpipe;
  using K = InputSpec::Kind;
  if (unit.standard_input.is_tty())
    spec.controlling_tty = unit.standard_input.kind == K::TtyForce ? process::ExecSpec::ControllingTty::Force
                                                                   : process::ExecSpec::ControllingTty::Acquire;
  return spec;
}

}  // namespace unitrun::monitor
