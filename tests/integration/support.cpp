#include "support.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace itest {
namespace {

using Clock = std::chrono::steady_clock;

// The test process plays init for everything it starts (see support.h).
const bool kIsSubreaper = [] {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) std::perror("PR_SET_CHILD_SUBREAPER");
  return true;
}();

// Children of the test that their owner waits for; reap_adopted() leaves
// them alone, so a PID is never reaped behind its owner's back (and then
// reused and killed by mistake).
std::set<pid_t>& owned_children() {
  static std::set<pid_t> s;
  return s;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, INT_MAX));
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string realpath_of(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : p;
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);
  return 0;
}

std::vector<std::string> build_env(const RunOptions& opts) {
  std::vector<std::string> env;
  auto name_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  std::set<std::string> drop(opts.unset_env.begin(), opts.unset_env.end());
  drop.insert("UNITRUN_TEST_MARKER");
  for (const std::string& kv : opts.set_env) drop.insert(name_of(kv));
  for (char** e = environ; *e; ++e)
    if (!drop.count(name_of(*e))) env.emplace_back(*e);
  for (const std::string& kv : opts.set_env) env.push_back(kv);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- paths

std::string unitrun_binary() {
  // UNITRUN_TEST_BINARY runs the tests against another build, e.g. to show
  // that a regression test fails on the code before its fix.
  const char* other = std::getenv("UNITRUN_TEST_BINARY");
  return other && *other ? other : UNITRUN_BINARY;
}
std::string helper(const std::string& name) { return std::string(HELPERS_DIR) + "/" + name; }

std::string unique_name(const std::string& prefix) {
  static unsigned counter = 0;
  static std::mt19937 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(rng() % 100000);
}

// ---------------------------------------------------------------- files

TempDir::TempDir(const std::string& parent) {
  std::string tmpl = parent + "/unitrun-itest.XXXXXX";
  if (!::mkdtemp(tmpl.data())) FAIL(errno_text("mkdtemp in " + parent));
  path_ = tmpl;
  if (::chmod(path_.c_str(), 0755) < 0) FAIL(errno_text("chmod " + path_));
}

TempDir::~TempDir() {
  if (!path_.empty()) ::nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string TempDir::world_writable_subdir(const std::string& name) const {
  std::string p = *this / name;
  if (::mkdir(p.c_str(), 0777) < 0 || ::chmod(p.c_str(), 01777) < 0) FAIL(errno_text("mkdir " + p));
  return p;
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) FAIL(errno_text("open " + path));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) FAIL(errno_text("write " + path));
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) < 0) FAIL(errno_text("fchmod " + path));
  ::close(fd);
}

std::optional<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

mode_t file_mode(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) FAIL(errno_text("lstat " + path));
  return st.st_mode & 07777;
}

void remove_file(const std::string& path) { ::unlink(path.c_str()); }

std::optional<pid_t> read_pidfile(const std::string& path) {
  auto content = read_file(path);
  if (!content || content->size() < 2 || content->back() != '\n') return std::nullopt;
  std::string digits = content->substr(0, content->size() - 1);
  if (digits.empty() || digits.size() > 10 || digits[0] == '0') return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  long long v = std::stoll(digits);
  if (v <= 1 || v > INT_MAX) return std::nullopt;
  return static_cast<pid_t>(v);
}

// ---------------------------------------------------------------- running

std::string RunResult::describe() const {
  std::ostringstream s;
  s << "exit=" << exit_code << " signal=" << term_signal << (timed_out ? " TIMED OUT" : "")
    << (output_held_open ? " OUTPUT HELD OPEN" : "") << " after " << seconds << " s\n--- stdout:\n"
    << out << "--- stderr:\n"
    << err << "---";
  return s.str();
}

Running::Running(Running&& o) noexcept { *this = std::move(o); }

Running& Running::operator=(Running&& o) noexcept {
  std::swap(pid_, o.pid_);
  std::swap(pidfd_, o.pidfd_);
  std::swap(out_, o.out_);
  std::swap(err_, o.err_);
  std::swap(pty_, o.pty_);
  std::swap(opts_, o.opts_);
  std::swap(started_, o.started_);
  return *this;
}

Running::~Running() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    owned_children().erase(pid_);
  }
  for (int fd : {pidfd_, out_, err_, pty_})
    if (fd >= 0) ::close(fd);
}

RunResult Running::wait() {
  RunResult r;
  REQUIRE(pid_ > 0);
  Clock::time_point deadline = started_ + std::chrono::milliseconds(opts_.timeout_ms);
  std::optional<Clock::time_point> exited_at;
  std::string* sinks[2] = {&r.out, &r.err};
  int* fds[2] = {&out_, &err_};
  while (!exited_at || out_ >= 0 || err_ >= 0) {
    Clock::time_point until = deadline;
    if (exited_at) until = std::min(deadline, *exited_at + std::chrono::milliseconds(opts_.eof_grace_ms));
    int wait_ms = ms_until(until);
    if (wait_ms == 0) {
      if (exited_at) {
        r.output_held_open = true;
      } else {
        r.timed_out = true;
        ::kill(pid_, SIGKILL);
      }
      break;
    }
    struct pollfd p[3];
    int n = 0;
    int pidfd_slot = -1, pipe_slot[2] = {-1, -1};
    if (!exited_at) {
      pidfd_slot = n;
      p[n++] = {pidfd_, POLLIN, 0};
    }
    for (int i = 0; i < 2; ++i)
      if (*fds[i] >= 0) {
        pipe_slot[i] = n;
        p[n++] = {*fds[i], POLLIN, 0};
      }
    int ready = ::poll(p, static_cast<nfds_t>(n), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    REQUIRE(ready >= 0);
    if (pidfd_slot >= 0 && (p[pidfd_slot].revents & POLLIN)) {
      exited_at = Clock::now();
      r.seconds = std::chrono::duration<double>(*exited_at - started_).count();
    }
    for (int i = 0; i < 2; ++i) {
      if (pipe_slot[i] < 0 || !p[pipe_slot[i]].revents) continue;
      char buf[8192];
      ssize_t got = ::read(*fds[i], buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ::close(*fds[i]);
        *fds[i] = -1;
      } else if (sinks[i]->size() < (16u << 20)) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  owned_children().erase(pid_);
  if (!exited_at) r.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  pid_ = -1;
  for (int* fd : {&pidfd_, &out_, &err_, &pty_})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  if (WIFEXITED(status) && !r.timed_out) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  return r;
}

Running spawn(const std::vector<std::string>& argv_in, const RunOptions& opts) {
  std::vector<std::string> argv = opts.wrapper;
  argv.insert(argv.end(), argv_in.begin(), argv_in.end());
  std::vector<std::string> env = build_env(opts);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : opts.block_signals) sigaddset(&mask, s);

  int out[2], err[2];
  // A stream on a terminal: the pty's master is read as the pipe would be
  // (it reads EIO once every slave fd is closed: the end of output).
  auto pty_pair = [](int fds[2]) {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(slave >= 0);
    struct winsize size {};
    size.ws_col = 200;
    size.ws_row = 50;
    REQUIRE(::ioctl(slave, TIOCSWINSZ, &size) == 0);
    fds[0] = master;
    fds[1] = slave;
  };
  if (opts.stdout_tty)
    pty_pair(out);
  else
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  if (opts.stderr_tty)
    pty_pair(err);
  else
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(devnull >= 0);
  int pty_master = -1;
  std::string pty_slave;
  if (opts.controlling_tty) {
    pty_master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(pty_master >= 0);
    REQUIRE(::grantpt(pty_master) == 0);
    REQUIRE(::unlockpt(pty_master) == 0);
    pty_slave = ::ptsname(pty_master);
  }

  Running r;
  r.opts_ = opts;
  r.started_ = Clock::now();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The test is single-threaded, so plain calls are safe here; still,
    // everything allocated was prepared before fork.
    if (::dup2(devnull, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(126);
    if (opts.controlling_tty) {
      // A session leader that opens a tty without O_NOCTTY acquires it.
      if (::setsid() < 0) ::_exit(124);
      int tty = ::open(pty_slave.c_str(), O_RDWR);
      if (tty < 0 || ::ioctl(tty, TIOCSCTTY, 0) < 0 || ::dup2(tty, 0) < 0) ::_exit(124);
      if (tty > 2) ::close(tty);
    }
    if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) < 0) ::_exit(123);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    // Via copies out of the way, so a target number never clobbers a source.
    std::vector<int> copies;
    for (const auto& [from, to] : opts.inherit_fds) copies.push_back(::fcntl(from, F_DUPFD_CLOEXEC, 1000));
    for (size_t i = 0; i < copies.size(); ++i)
      if (copies[i] < 0 || ::dup2(copies[i], opts.inherit_fds[i].second) < 0) ::_exit(122);
    if (opts.umask) ::umask(*opts.umask);
    if (opts.nofile) {
      struct rlimit rl {
        *opts.nofile, *opts.nofile
      };
      if (::setrlimit(RLIMIT_NOFILE, &rl) < 0) ::_exit(125);
    }
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      bool ignore = std::find(opts.ignore_signals.begin(), opts.ignore_signals.end(), sig) != opts.ignore_signals.end();
      ::signal(sig, ignore ? SIG_IGN : SIG_DFL);
    }
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    const char msg[] = "itest: execve failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  owned_children().insert(pid);
  ::close(out[1]);
  ::close(err[1]);
  ::close(devnull);
  r.pty_ = pty_master;
  r.pid_ = pid;
  r.out_ = out[0];
  r.err_ = err[0];
  r.pidfd_ = pidfd_open(pid);
  REQUIRE(r.pidfd_ >= 0);
  return r;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) { return spawn(argv, opts).wait(); }

RunResult run_unitrun(const std::vector<std::string>& args, const RunOptions& opts) {
  std::vector<std::string> argv{unitrun_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, opts);
}

RunOptions with_marker(RunOptions opts, const std::string& marker) {
  opts.set_env.push_back("UNITRUN_TEST_MARKER=" + marker);
  return opts;
}

// ---------------------------------------------------------------- units

TestUnit::TestUnit(const TempDir& dir, const std::string& prefix, const std::string& exec_start, UnitOptions opts)
    : dir_(dir.path()), name_(unique_name(prefix)) {
  path_ = dir_ + "/" + name_ + ".ini";
  marker_ = name_ + "-marker";
  log_ = dir_ + "/" + name_ + ".log";
  rewrite(exec_start, std::move(opts));
}

void TestUnit::rewrite(const std::string& exec_start, UnitOptions opts) {
  pidfile_ = opts.pidfile ? *opts.pidfile : dir_ + "/" + name_ + ".pid";
  std::string text;
  if (!opts.unit_section.empty()) text += "[Unit]\n" + opts.unit_section + "\n";
  text += "[Service]\nExecStart=" + exec_start + "\n";
  if (!pidfile_.empty()) text += "PIDFile=" + pidfile_ + "\n";
  if (opts.marker) text += "Environment=UNITRUN_TEST_MARKER=" + marker_ + "\n";
  bool sets_output = opts.extra.find("StandardOutput=") != std::string::npos;
  if (opts.log_to_tempdir && !sets_output) text += "StandardOutput=append:" + log_ + "\n";
  uses_default_log_ = uses_default_log_ || (!opts.log_to_tempdir && !sets_output);
  text += opts.extra;
  write_file(path_, text);
}

void TestUnit::write_raw(const std::string& text) {
  uses_default_log_ = true;  // whatever it says, clean up as if
  write_file(path_, text);
}

TestUnit::~TestUnit() {
  RunOptions quick;
  quick.timeout_ms = 20000;  // then kill_marked() ends whatever is left
  (void)run_unitrun({"stop", path_}, with_marker(quick, marker_));
  kill_marked(marker_);
  reap_adopted();
  for (const std::string& f : runtime_files()) remove_file(f);
  remove_unit_cgroups(name_ + ".");
  if (uses_default_log_) remove_file(default_log());
}

RunResult TestUnit::verb(const std::string& v, RunOptions opts) const {
  return run_unitrun({v, path_}, with_marker(std::move(opts), marker_));
}

RunResult TestUnit::status_json(RunOptions opts) const {
  return run_unitrun({"status", "--json", path_}, with_marker(std::move(opts), marker_));
}

Running TestUnit::spawn_verb(const std::string& v, RunOptions opts) const {
  return spawn({unitrun_binary(), v, path_}, with_marker(std::move(opts), marker_));
}

std::vector<pid_t> TestUnit::processes() const { return find_marked(marker_); }

std::vector<pid_t> TestUnit::services() const {
  std::string unitrun = realpath_of(unitrun_binary());
  std::vector<pid_t> out;
  for (pid_t p : find_marked(marker_))
    if (proc_exe(p).rfind(unitrun, 0) != 0) out.push_back(p);
  return out;
}

std::vector<pid_t> TestUnit::monitors() const {
  std::string unitrun = realpath_of(unitrun_binary());
  std::vector<pid_t> out;
  for (pid_t p : find_marked(marker_))
    if (proc_exe(p).rfind(unitrun, 0) == 0) out.push_back(p);
  return out;
}

bool TestUnit::nothing_running() const {
  std::vector<pid_t> left = processes();
  if (left.empty()) return true;
  UNSCOPED_INFO("still running: " << describe_processes(left));
  return false;
}

std::vector<std::string> TestUnit::runtime_files() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(kRuntimeDir);
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(name_ + ".", 0) == 0 || n.rfind("." + name_ + ".", 0) == 0)
      out.push_back(std::string(kRuntimeDir) + "/" + n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------- /proc

std::optional<ProcStat> proc_stat(pid_t pid) {
  auto content = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!content) return std::nullopt;
  size_t open = content->find('('), close = content->rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  ProcStat s;
  s.pid = pid;
  s.comm = content->substr(open + 1, close - open - 1);
  std::istringstream rest(content->substr(close + 1));
  std::vector<std::string> f;
  std::string x;
  while (rest >> x) f.push_back(x);
  if (f.size() < 20) return std::nullopt;
  s.state = f[0][0];
  s.ppid = std::stoi(f[1]);
  s.pgid = std::stoi(f[2]);
  s.sid = std::stoi(f[3]);
  s.tty_nr = std::stoi(f[4]);
  s.start_time = std::stoull(f[19]);
  return s;
}

std::vector<ProcStat> all_processes() {
  std::vector<ProcStat> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end) continue;
    if (auto s = proc_stat(static_cast<pid_t>(pid))) out.push_back(*s);
  }
  ::closedir(d);
  return out;
}

std::optional<std::string> proc_status_field(pid_t pid, const std::string& key) {
  auto content = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!content) return std::nullopt;
  std::string text = "\n" + *content;
  size_t at = text.find("\n" + key + ":");
  if (at == std::string::npos) return std::nullopt;
  at += key.size() + 2;
  while (at < text.size() && (text[at] == '\t' || text[at] == ' ')) ++at;
  return text.substr(at, text.find('\n', at) - at);
}

std::string proc_cmdline(pid_t pid) {
  auto c = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!c) return "";
  std::string s = *c;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

std::string proc_exe(pid_t pid) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> proc_environ(pid_t pid) {
  std::vector<std::string> out;
  auto c = read_file("/proc/" + std::to_string(pid) + "/environ");
  if (!c) return out;
  size_t start = 0;
  while (start < c->size()) {
    size_t end = c->find('\0', start);
    if (end == std::string::npos) end = c->size();
    out.push_back(c->substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::pair<int, std::string>> proc_fds(pid_t pid) {
  std::vector<std::pair<int, std::string>> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char buf[PATH_MAX];
    ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), buf, sizeof buf - 1);
    out.emplace_back(std::atoi(e->d_name), n < 0 ? std::string("?") : std::string(buf, static_cast<size_t>(n)));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string fd_target(pid_t pid, int fd) {
  for (const auto& [n, target] : proc_fds(pid))
    if (n == fd) return target;
  return "<closed>";
}

namespace {

// The environment of a process that is in the middle of an exec. The
// kernel closes close-on-exec fds (which is how unitrun learns that the exec
// succeeded and reports "started") before the ELF loader has set the new
// image's argument and environment area, and until then /proc/PID/environ
// reads empty. A user process with an empty environment is given a moment
// to finish its exec; a kernel thread (no exe) has none to finish.
std::vector<std::string> settled_environ(pid_t pid) {
  std::vector<std::string> env = proc_environ(pid);
  for (int tries = 0; env.empty() && tries < 100 && !proc_exe(pid).empty() && alive(pid); ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    env = proc_environ(pid);
  }
  return env;
}

}  // namespace

std::vector<pid_t> find_marked(const std::string& marker) {
  std::string entry = "UNITRUN_TEST_MARKER=" + marker;
  std::vector<pid_t> out;
  for (const ProcStat& s : all_processes()) {
    if (s.pid == ::getpid() || s.state == 'Z' || s.state == 'X') continue;
    for (const std::string& e : settled_environ(s.pid))
      if (e == entry) {
        out.push_back(s.pid);
        break;
      }
  }
  return out;
}

bool alive(pid_t pid) {
  auto s = proc_stat(pid);
  return s && s->state != 'Z' && s->state != 'X';
}

bool still_there(pid_t pid, uint64_t start_time) {
  auto s = proc_stat(pid);
  return s && s->start_time == start_time;
}

std::vector<pid_t> zombies_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const ProcStat& s : all_processes())
    if (s.ppid == parent && s.state == 'Z') out.push_back(s.pid);
  return out;
}

bool wait_exit(pid_t pid, int timeout_ms) {
  int fd = pidfd_open(pid);
  if (fd < 0) return errno == ESRCH;
  struct pollfd p {
    fd, POLLIN, 0
  };
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int n;
  do n = ::poll(&p, 1, ms_until(deadline));
  while (n < 0 && errno == EINTR);
  ::close(fd);
  return n > 0;
}

bool wait_until(const std::function<bool()>& cond, int timeout_ms, int step_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (cond()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
}

OrphanCensus count_orphans(pid_t parent, pid_t except, size_t count, int timeout_ms, int reap_ms) {
  using Orphan = std::pair<pid_t, uint64_t>;  // PID and start time
  OrphanCensus census;
  std::set<Orphan> seen, reported;
  // Waits (one bound for all of them) until none of `orphans` is left,
  // zombie or not, and notes those that are.
  auto check_reaped = [&](const std::vector<Orphan>& orphans) {
    auto left = [&] {
      std::vector<Orphan> out;
      for (const Orphan& o : orphans)
        if (still_there(o.first, o.second)) out.push_back(o);
      return out;
    };
    wait_until([&] { return left().empty(); }, reap_ms, 2);
    for (const Orphan& o : left()) {
      if (!reported.insert(o).second) continue;
      auto s = proc_stat(o.first);
      census.unreaped.push_back(std::to_string(o.first) + (s ? " (" + s->comm + ") " + s->state : std::string()));
    }
  };
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (seen.size() < count) {
    // The next sample that shows an orphan not seen before.
    std::vector<Orphan> zombies;
    bool fresh = wait_until(
        [&] {
          size_t before = seen.size();
          zombies.clear();
          for (const ProcStat& s : all_processes()) {
            if (s.ppid != parent || s.pid == except) continue;
            seen.insert({s.pid, s.start_time});
            if (s.state == 'Z') zombies.push_back({s.pid, s.start_time});
          }
          return seen.size() > before;
        },
        ms_until(deadline), 5);
    census.zombies_caught += zombies.size();
    check_reaped(zombies);
    if (!fresh) break;
  }
  census.orphans = seen.size();
  check_reaped(std::vector<Orphan>(seen.begin(), seen.end()));
  return census;
}

void reap_adopted() {
  std::string path = "/proc/self/task/" + std::to_string(::getpid()) + "/children";
  auto content = read_file(path);
  if (!content) return;
  std::istringstream in(*content);
  pid_t child;
  while (in >> child) {
    if (owned_children().count(child)) continue;
    int status;
    ::waitpid(child, &status, WNOHANG);
  }
}

std::string describe_processes(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) {
    auto s = proc_stat(p);
    out += "\n  " + std::to_string(p);
    if (s) out += " (" + s->comm + ") " + s->state + " ppid " + std::to_string(s->ppid);
    out += " " + proc_cmdline(p);
  }
  return out;
}

void kill_marked(const std::string& marker) {
  for (int round = 0; round < 20; ++round) {
    std::vector<pid_t> pids = find_marked(marker);
    if (pids.empty()) break;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) wait_exit(p, 2000);
    reap_adopted();
  }
}

void make_fifo(const std::string& path) {
  REQUIRE(::mkfifo(path.c_str(), 0666) == 0);
  REQUIRE(::chmod(path.c_str(), 0666) == 0);
}

void write_fifo(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  REQUIRE(written);
}

void end_units(const std::vector<std::string>& started, const RunOptions& options, const std::string& marker,
               const std::string& prefix, const std::string& runtime_dir) {
  // Last started first: a unit that upholds or wants one started before it
  // would start that one again once it is stopped.
  for (auto n = started.rbegin(); n != started.rend(); ++n) (void)run_unitrun({"stop", *n}, options);
  kill_marked(marker);
  reap_adopted();
  remove_runtime_files(prefix, runtime_dir);
  remove_unit_cgroups(prefix + "-");
}

namespace {

// Depth first: a cgroup with children cannot go (EBUSY).
void remove_cgroup_tree(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_directory(ec) && !e.is_symlink(ec)) remove_cgroup_tree(e.path());
  (void)::rmdir(dir.c_str());
}

}  // namespace

void remove_unit_cgroups(const std::string& name_prefix) {
  for (const std::string& d : unit_cgroup_dirs(name_prefix)) remove_cgroup_tree(d);
}

void remove_runtime_files(const std::string& prefix, const std::string& runtime_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(runtime_dir, ec)) {
    std::string n = e.path().filename();
    if (n.rfind(prefix, 0) == 0 || n.rfind("." + prefix, 0) == 0) std::filesystem::remove(e.path(), ec);
  }
  for (const auto& e : std::filesystem::directory_iterator(runtime_dir + "/.required-by", ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove_all(e.path(), ec);
}

std::vector<std::string> unit_cgroup_dirs(const std::string& name_prefix) {
  std::vector<std::string> out;
  for (const std::string& pattern :
       {"/sys/fs/cgroup/*/unitrun/" + name_prefix + "*", "/sys/fs/cgroup/unitrun/" + name_prefix + "*"}) {
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
  }
  return out;
}

// ---------------------------------------------------------------- the machine's log

MachineLogTurn::MachineLogTurn(Kind kind) {
  fd_ = ::open("/run/unitrun-itest-machine-log.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  REQUIRE(fd_ >= 0);
  int r;
  do r = ::flock(fd_, kind == Kind::Rotating ? LOCK_EX : LOCK_SH);
  while (r < 0 && errno == EINTR);
  REQUIRE(r == 0);
}

MachineLogTurn::~MachineLogTurn() {
  if (fd_ >= 0) ::close(fd_);
}

// ---------------------------------------------------------------- JSON

nlohmann::json wait_for_dump(const std::string& path, int timeout_ms) {
  bool appeared = wait_until([&] { return exists(path); }, timeout_ms);
  INFO("argvdump output " << path);
  REQUIRE(appeared);
  auto text = read_file(path);
  REQUIRE(text);
  return parse_json(*text);
}

nlohmann::json parse_json(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  INFO("JSON text: " << text);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.is_object());
  return j;
}

// ---------------------------------------------------------------- canary

namespace {
std::atomic<int>* g_canary_counter = nullptr;
void count_signal(int) { g_canary_counter->fetch_add(1); }
}  // namespace

Canary::Canary() {
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(page != MAP_FAILED);
  counter_ = new (page) std::atomic<int>(0);
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    g_canary_counter = counter_;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &sa, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    (void)!::write(ready[1], "x", 1);
    for (;;) ::pause();
  }
  ::setpgid(pid, pid);  // either call wins; both mean the same
  owned_children().insert(pid);
  pid_ = pid;
  ::close(ready[1]);
  char c;
  ssize_t n;
  do n = ::read(ready[0], &c, 1);
  while (n < 0 && errno == EINTR);
  ::close(ready[0]);
  REQUIRE(n == 1);
}

Canary::~Canary() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    owned_children().erase(pid_);
  }
  if (counter_) ::munmap(counter_, 4096);
}

int Canary::signals_received() const { return counter_->load(); }

bool Canary::alive() const { return itest::alive(pid_); }

char Canary::state() const {
  auto s = proc_stat(pid_);
  return s ? s->state : '?';
}

// ---------------------------------------------------------------- child process

ChildProcess::ChildProcess(const std::vector<std::string>& argv_in, const std::vector<std::string>& env_in) {
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = env_in;
  if (env.empty())
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
    }
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
  }
  owned_children().insert(pid);
  pid_ = pid;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    owned_children().erase(pid_);
  }
}

bool ChildProcess::alive() const { return itest::alive(pid_); }

bool strace_works() {
  static int works = -1;
  if (works < 0) {
    if (::access("/usr/bin/strace", X_OK) != 0) {
      works = 0;
    } else {
      RunResult r = run({"/usr/bin/strace", "-f", "-qq", "-e", "trace=kill", "-o", "/dev/null", "/bin/true"});
      works = r.exit_code == 0 ? 1 : 0;
    }
  }
  return works == 1;
}

}  // namespace itest
