// Security (reliability.md §3.4): hostile pidfiles, symlinks and hard links,
// privilege drop, fd and signal hygiene, environment, umask.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "supervision_util.h"

using namespace itest;
using itest::sv::start_ok;

namespace {

std::string dump_env(const std::string& path) { return "Environment=ARGVDUMP_OUT=" + path + "\n"; }

std::set<std::string> env_set(const nlohmann::json& dump) {
  std::set<std::string> out;
  for (const auto& e : dump.at("environ")) out.insert(e.get<std::string>());
  return out;
}

std::set<long> numbers(const std::string& field) {
  std::set<long> out;
  std::istringstream in(field);
  long n;
  while (in >> n) out.insert(n);
  return out;
}

std::set<long> initgroups_of(const char* user, gid_t gid) {
  int n = 64;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  while (::getgrouplist(user, gid, groups.data(), &n) < 0) groups.resize(static_cast<size_t>(n));
  return std::set<long>(groups.begin(), groups.begin() + n);
}

struct Victim {
  std::string path, content;
  mode_t mode;
  explicit Victim(const std::string& p) : path(p), content("precious root-owned data\n"), mode(0644) {
    write_file(path, content, mode);
  }
  void check_unchanged() const {
    struct stat st;
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    CHECK(read_file(path) == content);
    CHECK((st.st_mode & 07777) == mode);
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 0);
  }
};

// unitrun under strace, logging signal system calls to `log`. LeakSanitizer
// cannot run under ptrace, so a sanitizer build skips the leak check there
// (every other run of the suite keeps it).
RunOptions traced_by_strace(const std::string& log) {
  RunOptions opts;
  opts.wrapper = {"/usr/bin/strace", "-f", "-qq", "-e", "trace=%signal", "-o", log};
  const char* asan = std::getenv("ASAN_OPTIONS");
  opts.set_env.push_back(std::string("ASAN_OPTIONS=") + (asan && *asan ? std::string(asan) + ":" : "") +
                         "detect_leaks=0");
  return opts;
}

// Signal-sending system calls in an strace log.
std::vector<std::string> signal_calls(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line))
    for (const char* call :
         {"kill(", "tkill(", "tgkill(", "pidfd_send_signal(", "rt_sigqueueinfo(", "rt_tgsigqueueinfo("})
      if (line.find(call) != std::string::npos) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("S1: hostile pidfile contents: stop exits 0, status 1, nothing is signalled", "[security]") {
  TempDir dir;
  // The canary leads its own process group, so "-P" and "P..." variants
  // name it or its group; it counts every signal it gets.
  Canary canary;
  std::string p = std::to_string(canary.pid());
  std::vector<std::string> contents{
      "1",         "0",        "-1",         "-" + p, "4294967297", "1e3",   "",        "123abc", p + "abc",
      p + "\n456", "123\n456", p + "\n" + p, " " + p, "+" + p,      "0" + p, p + " \n", p};
  bool traced = strace_works();
  if (!traced) WARN("strace cannot trace here; relying on the canary alone");

  TestUnit u(dir, "s1", "/bin/sleep 1000");
  SECTION("never started") {}
  SECTION("after a previous run") {
    start_ok(u);
    REQUIRE(u.stop().exit_code == 0);
  }
  for (const std::string& content : contents) {
    INFO("pidfile content: \"" << content << "\"");
    write_file(u.pidfile(), content, 0644);
    for (const char* verb : {"stop", "status"}) {
      std::string log = dir / (std::string(verb) + ".strace");
      RunResult r = u.verb(verb, traced ? traced_by_strace(log) : RunOptions{});
      INFO(verb << ": " << r.describe());
      CHECK(r.exit_code == (std::string(verb) == "stop" ? 0 : 1));
      if (traced) {
        auto calls = signal_calls(read_file(log).value_or(""));
        for (const std::string& c : calls) UNSCOPED_INFO("signal call: " << c);
        CHECK(calls.empty());
      }
    }
    CHECK(canary.signals_received() == 0);
    CHECK(canary.alive());
    CHECK(canary.state() == 'S');
  }
  CHECK(u.nothing_running());

  // The control: the same tracing does see the signal of a real stop, so an
  // empty trace above means something.
  if (traced) {
    remove_file(u.pidfile());
    start_ok(u);
    std::string log = dir / "real-stop.strace";
    RunResult r = u.stop(traced_by_strace(log));
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK_FALSE(signal_calls(read_file(log).value_or("")).empty());
  }
}

TEST_CASE("S3: the pidfile is never written through a symlink or into a hard link", "[security]") {
  TempDir dir;
  Victim victim(dir / "victim");
  std::string pidfile = dir / "s3.pid";
  std::string fixed_pidfile = pidfile;

  SECTION("the pidfile is a symlink to a victim") { REQUIRE(::symlink(victim.path.c_str(), pidfile.c_str()) == 0); }
  SECTION("the pidfile is a hard link to a victim") { REQUIRE(::link(victim.path.c_str(), pidfile.c_str()) == 0); }
  SECTION("a parent directory is a symlink owned by uid 65534") {
    std::string real = dir / "real";
    REQUIRE(::mkdir(real.c_str(), 0755) == 0);
    REQUIRE(::symlink(real.c_str(), (dir / "link").c_str()) == 0);
    REQUIRE(::lchown((dir / "link").c_str(), 65534, 65534) == 0);
    pidfile = dir / "link/s3.pid";
    fixed_pidfile = dir / "real/s3.pid";
  }
  TestUnit u(dir, "s3", "/bin/sleep 1000", {.pidfile = pidfile});
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(start.err.find(pidfile.substr(0, pidfile.rfind('/'))) != std::string::npos);
  victim.check_unchanged();
  CHECK_FALSE(exists(dir / "real/s3.pid"));
  CHECK(u.nothing_running());

  // The lock was released: with a sane pidfile path the unit starts.
  remove_file(dir / "s3.pid");
  u.rewrite("/bin/sleep 1000", {.pidfile = fixed_pidfile});
  pid_t pid = start_ok(u);
  CHECK(u.services() == std::vector<pid_t>{pid});
  victim.check_unchanged();
}

TEST_CASE("S5: User=nobody Group=nogroup: every uid and gid dropped, no root group, no capability", "[security]") {
  TempDir dir;
  std::string out = dir.world_writable_subdir("out");
  std::string dump = out + "/dump.json";
  const struct passwd* pw = ::getpwnam("nobody");
  REQUIRE(pw);
  const struct group* gr = ::getgrnam("nogroup");
  REQUIRE(gr);
  std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(gr->gr_gid);
  gid_t nogroup = gr->gr_gid;

  std::set<long> expected_groups;
  std::string extra = dump_env(dump) + "User=nobody\n";
  SECTION("Group=nogroup") {
    extra += "Group=nogroup\n";
    expected_groups = initgroups_of("nobody", nogroup);
  }
  SECTION("SupplementaryGroups=users daemon") {
    extra += "Group=nogroup\nSupplementaryGroups=users daemon\n";
    expected_groups = initgroups_of("nobody", nogroup);
    for (const char* name : {"users", "daemon"}) {
      const struct group* g = ::getgrnam(name);  // a static buffer: use it at once
      REQUIRE(g);
      expected_groups.insert(g->gr_gid);
    }
  }
  TestUnit u(dir, "s5", helper("argvdump"), {.extra = extra});
  pid_t pid = start_ok(u);
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  CHECK(j.at("pid") == pid);
  const auto& st = j.at("status");
  CHECK(st.at("Uid") == uid + "\t" + uid + "\t" + uid + "\t" + uid);
  CHECK(st.at("Gid") == gid + "\t" + gid + "\t" + gid + "\t" + gid);
  std::set<long> groups = numbers(st.at("Groups"));
  CHECK(groups.count(0) == 0);
  CHECK(groups == expected_groups);
  CHECK(st.at("CapEff") == "0000000000000000");
  CHECK(st.at("CapPrm") == "0000000000000000");
  CHECK(j.at("setuid0_errno") == EPERM);
  CHECK(j.at("setgid0_errno") == EPERM);
  std::set<std::string> env = env_set(j);
  CHECK(env.count("USER=nobody"));
  CHECK(env.count("LOGNAME=nobody"));
  // As systemd 252 gives them (systemd-run -p User=nobody env): nobody's
  // home and shell say nothing, so neither is set.
  for (const std::string& kv : env) {
    CHECK(kv.rfind("HOME=", 0) != 0);
    CHECK(kv.rfind("SHELL=", 0) != 0);
  }
  // /proc agrees with what the service saw.
  CHECK(proc_status_field(pid, "Uid") == st.at("Uid").get<std::string>());

  // unitrun's own files stay root's.
  struct stat ps;
  REQUIRE(::stat(u.pidfile().c_str(), &ps) == 0);
  CHECK(ps.st_uid == 0);
  CHECK((ps.st_mode & 07777) == 0644);
  RunResult stop = u.stop();
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 5.0);
  CHECK(u.nothing_running());
}

TEST_CASE("S5: a numeric User= without a passwd entry runs with its Group=, never root's group", "[security]") {
  TempDir dir;
  std::string out = dir.world_writable_subdir("out");
  std::string dump = out + "/dump.json";
  uid_t id = 54321;
  for (; ::getpwuid(id) || ::getgrgid(id); ++id) {
  }
  std::string n = std::to_string(id);
  // Without Group= the unit is refused: there is no primary group to use.
  TestUnit refused(dir, "s5noent", helper("argvdump"), {.extra = dump_env(dump) + "User=" + n + "\n"});
  RunResult r = refused.start();
  INFO(r.describe());
  CHECK(r.exit_code == 6);
  CHECK(r.err.find("user ID " + n + " has no passwd entry") != std::string::npos);
  CHECK(refused.nothing_running());

  TestUnit u(dir, "s5num", helper("argvdump"), {.extra = dump_env(dump) + "User=" + n + "\nGroup=" + n + "\n"});
  pid_t pid = start_ok(u);
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  CHECK(j.at("pid") == pid);
  const auto& st = j.at("status");
  CHECK(st.at("Uid") == n + "\t" + n + "\t" + n + "\t" + n);
  CHECK(st.at("Gid") == n + "\t" + n + "\t" + n + "\t" + n);
  CHECK(numbers(st.at("Groups")) == std::set<long>{static_cast<long>(id)});
  std::set<std::string> env = env_set(j);
  CHECK(env.count("USER=" + n));
  CHECK(env.count("LOGNAME=" + n));
  for (const std::string& kv : env) {  // no passwd entry: no home or shell to tell
    CHECK(kv.rfind("HOME=", 0) != 0);
    CHECK(kv.rfind("SHELL=", 0) != 0);
  }
}

TEST_CASE("S5root: User=root gets root's USER, LOGNAME, HOME and SHELL; no User= gets none", "[security]") {
  // systemd 252 (systemd-run --pipe env): with -p User=root all four, from
  // root's entry; a system service without User= none of them.
  TempDir dir;
  std::string dump = dir / "dump.json";
  const struct passwd* root = ::getpwuid(0);
  REQUIRE(root);
  std::string home = root->pw_dir, shell = root->pw_shell, name = root->pw_name;
  TestUnit u(dir, "s5root", helper("argvdump"), {.extra = dump_env(dump) + "User=root\n"});
  start_ok(u);
  std::set<std::string> env = env_set(wait_for_dump(dump));
  CHECK(env.count("USER=" + name));
  CHECK(env.count("LOGNAME=" + name));
  CHECK(env.count("HOME=" + home));
  CHECK(env.count("SHELL=" + shell));
  CHECK(u.stop().exit_code == 0);

  remove_file(dump);
  TestUnit none(dir, "s5none", helper("argvdump"), {.extra = dump_env(dump) + "WorkingDirectory=~\n"});
  start_ok(none);
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  for (const std::string& kv : env_set(j))
    for (const char* login : {"USER=", "LOGNAME=", "HOME=", "SHELL="}) CHECK(kv.rfind(login, 0) != 0);
  // "~" is still unitrun's own user's home.
  CHECK(j.at("cwd") == home);
}

TEST_CASE("S5locale: a service gets the system's locale, not its caller's; Environment= overrides it", "[security]") {
  // systemd 252's system manager hands every service the locale of
  // /etc/locale.conf (else Debian's /etc/default/locale), LANG=C.UTF-8
  // when neither sets one, and nothing of its caller's environment.
  if (::geteuid() != 0) return;  // a user manager passes its own: not this case
  TempDir dir;
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "s5locale", helper("argvdump"), {.extra = dump_env(dump)});
  RunOptions caller;
  caller.set_env = {"LANG=xx_CALLER.UTF-8", "LC_TIME=xx_CALLER.UTF-8", "LANGUAGE=xx_CALLER"};
  RunResult r = u.start(caller);
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  std::set<std::string> env = env_set(wait_for_dump(dump));
  bool locale_set = false;
  for (const std::string& kv : env) {
    CHECK(kv.find("xx_CALLER") == std::string::npos);
    locale_set = locale_set || kv.rfind("LANG=", 0) == 0 || kv.rfind("LC_", 0) == 0;
  }
  CHECK(locale_set);
  // A machine without any locale configuration: systemd's built-in default.
  std::optional<std::string> conf = read_file("/etc/locale.conf");
  std::optional<std::string> debian = read_file("/etc/default/locale");
  auto says_locale = [](const std::optional<std::string>& text) {
    return text && (text->find("LANG") != std::string::npos || text->find("LC_") != std::string::npos);
  };
  if (!conf && !says_locale(debian)) CHECK(env.count("LANG=C.UTF-8"));
  CHECK(u.stop().exit_code == 0);

  remove_file(dump);
  TestUnit set(dir, "s5localeset", helper("argvdump"), {.extra = dump_env(dump) + "Environment=LANG=fr_FR.UTF-8\n"});
  start_ok(set);
  std::set<std::string> env2 = env_set(wait_for_dump(dump));
  CHECK(env2.count("LANG=fr_FR.UTF-8"));
}

TEST_CASE("S6: the service gets only fds 0, 1, 2 whatever unitrun inherited", "[security]") {
  TempDir dir;
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  int file = ::open((dir / "secret").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int dirfd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int pipefd[2];
  REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
  REQUIRE(file >= 0);
  REQUIRE(dirfd >= 0);
  // fds 3..100 in unitrun: each kind, then copies to fill the range (more
  // than one read of /proc/self/fd, and more than the 64 the monitor closes
  // per pass).
  std::vector<int> sources{sv[0], file, dirfd, pipefd[1]};
  RunOptions opts;
  for (int target = 3; target <= 100; ++target)
    opts.inherit_fds.emplace_back(sources[static_cast<size_t>(target - 3) % sources.size()], target);

  std::string dump = dir / "dump.json";
  TestUnit u(dir, "s6", helper("argvdump"), {.extra = dump_env(dump)});
  RunResult start = u.start(opts);
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  ::close(pipefd[1]);
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  std::vector<int> fds;
  for (const auto& f : j.at("fds")) fds.push_back(f.at("fd"));
  std::sort(fds.begin(), fds.end());
  CHECK(fds == std::vector<int>{0, 1, 2});

  SECTION("the monitor does not keep them either") {
    // daemon(7): a daemon closes every fd it inherited. A monitor holding the
    // write end of the caller's pipe would keep the reader waiting forever.
    std::vector<pid_t> monitors = u.monitors();
    REQUIRE(monitors.size() == 1);
    auto inode_name = [](int fd, const char* kind) {
      struct stat st;
      REQUIRE(::fstat(fd, &st) == 0);
      return std::string(kind) + ":[" + std::to_string(st.st_ino) + "]";
    };
    std::string socket = inode_name(sv[0], "socket"), pipe = inode_name(pipefd[0], "pipe");
    for (const auto& [fd, target] : proc_fds(monitors[0])) {
      INFO("monitor fd " << fd << " -> " << target);
      CHECK(target != dir / "secret");
      CHECK(target != dir.path());
      CHECK(target != socket);
      CHECK(target != pipe);
    }
    struct pollfd p {
      pipefd[0], POLLIN, 0
    };
    CHECK(::poll(&p, 1, 2000) == 1);  // EOF (POLLHUP): no write end is left anywhere
  }
  for (int fd : {sv[0], sv[1], file, dirfd, pipefd[0]}) ::close(fd);
}

TEST_CASE("S6b: a monitor keeps none of the fds of the command that forked it", "[security]") {
  // `start a b` runs each unit as a job of its own (cli/job_runner), a child
  // of the command that holds the memfds of every job's output and the
  // pidfds of the jobs it runs, all close-on-exec. A monitor never execs:
  // it must close them itself, as it does what the caller inherited.
  TempDir dir;
  TestUnit a(dir, "s6a", "/bin/sleep 1000");
  TestUnit b(dir, "s6b", "/bin/sleep 1000");
  RunResult start = run_unitrun({"start", a.path(), b.path()}, with_marker({}, a.marker()));
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  std::vector<pid_t> monitors = a.monitors();  // both: they carry a's marker
  REQUIRE(monitors.size() == 2);
  for (pid_t m : monitors)
    for (const auto& [fd, target] : proc_fds(m)) {
      INFO("monitor " << m << " fd " << fd << " -> " << target);
      CHECK(target.find("memfd:") == std::string::npos);
      CHECK(target != "anon_inode:[pidfd]");
    }
}

TEST_CASE("S7: blocked and ignored signals of the caller do not reach the service", "[security]") {
  TempDir dir;
  RunOptions opts;
  std::string variant;
  SECTION("TERM, CHLD, HUP blocked; PIPE, INT ignored") {
    variant = "blocked TERM CHLD HUP, ignored PIPE INT";
    opts.block_signals = {SIGTERM, SIGCHLD, SIGHUP};
    opts.ignore_signals = {SIGPIPE, SIGINT};
  }
  SECTION("TERM, HUP, INT, PIPE ignored (nohup-like)") {
    variant = "ignored TERM HUP INT PIPE";
    opts.ignore_signals = {SIGTERM, SIGHUP, SIGINT, SIGPIPE};
  }
  SECTION("CHLD ignored") {
    // With SIGCHLD ignored the kernel reaps children by itself and sends no
    // SIGCHLD: a monitor that kept this disposition would never learn that
    // its service exited.
    variant = "ignored CHLD";
    opts.ignore_signals = {SIGCHLD};
  }
  INFO("caller: " << variant);
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "s7", helper("argvdump"), {.extra = dump_env(dump) + "TimeoutStopSec=60\n"});
  pid_t pid = start_ok(u, opts);
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  CHECK(j.at("status").at("SigBlk") == "0000000000000000");
  CHECK(j.at("status").at("SigIgn") == "0000000000000000");

  RunResult stop = u.stop(opts);
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  // By SIGTERM, at once; not by SIGKILL after TimeoutStopSec=60.
  CHECK(stop.seconds < 10.0);
  CHECK_FALSE(alive(pid));
  CHECK(u.nothing_running());
}

// The monitor resets what it inherited once, and a service it spawns resets
// only what the monitor itself changed since (ExecSpec::altered_signals):
// both halves must hold under `start` and `run` alike, for every signal a
// caller can ignore, not only the usual few.
TEST_CASE("S7: every signal the caller ignores is at SIG_DFL in the service, under start and run", "[security]") {
  TempDir dir;
  std::string verb = GENERATE(as<std::string>{}, "start", "run");
  INFO("verb: " << verb);
  RunOptions opts;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) opts.ignore_signals.push_back(sig);
  opts.block_signals = {SIGTERM, SIGINT, SIGUSR1, SIGRTMIN};
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "s7all", helper("argvdump"), {.extra = dump_env(dump) + "TimeoutStopSec=60\n"});
  Running foreground;
  if (verb == "run") {
    foreground = u.spawn_verb("run", opts);
  } else {
    RunResult start = u.start(opts);
    INFO(start.describe());
    REQUIRE(start.exit_code == 0);
  }
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  CHECK(j.at("status").at("SigBlk") == "0000000000000000");
  CHECK(j.at("status").at("SigIgn") == "0000000000000000");
  // No SigCgt check: execve() resets every caught signal, so SigCgt shows
  // only the helper's own handlers (a sanitizer build's catch SIGSEGV,
  // SIGBUS and SIGFPE), never anything the service was given.
  CHECK(j.at("props").at("sigpipe_ignored") == false);

  if (verb == "run") {
    REQUIRE(::kill(foreground.pid(), SIGTERM) == 0);
    RunResult r = foreground.wait();
    INFO(r.describe());
    CHECK(r.exit_code == 0);
  } else {
    RunResult stop = u.stop(opts);
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
  }
  CHECK(u.nothing_running());
}

TEST_CASE("S8: the service's environment is built from scratch", "[security]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  write_file(dir / "env.conf", "# a comment\nFROMFILE=1\nQUOTED=\"q v\"\n");
  TestUnit u(
      dir, "s8", helper("argvdump"),
      {.extra = dump_env(dump) + "Environment=FOO=bar \"SPACED=a b c\"\nEnvironmentFile=" + (dir / "env.conf") + "\n"});
  RunOptions opts;
  opts.set_env = {"LD_PRELOAD=" + (dir / "evil.so"),
                  "BASH_ENV=" + (dir / "bashenv"),
                  "ENV=" + (dir / "bashenv"),
                  "IFS=x",
                  "PATH=" + (dir / "attacker") + ":/usr/bin:/bin",
                  "NOTIFY_SOCKET=/run/evil.sock",
                  "WATCHDOG_USEC=1000000",
                  "WATCHDOG_PID=1",
                  "LISTEN_FDS=3",
                  "LISTEN_PID=1",
                  "LISTEN_FDNAMES=evil",
                  "HOME=/tmp",
                  "USER=mallory",
                  "LD_LIBRARY_PATH=" + (dir / "attacker"),
                  "EVIL_EXTRA=1"};
  start_ok(u, opts);
  nlohmann::json j = wait_for_dump(dump);
  // No User=: no HOME, USER, LOGNAME or SHELL, as systemd 252 gives a
  // system service (systemd-run --pipe env).
  std::set<std::string> expected{std::string("PATH=") + kFixedPath,
                                 "UNITRUN_TEST_MARKER=" + u.marker(),
                                 "ARGVDUMP_OUT=" + dump,
                                 "FOO=bar",
                                 "SPACED=a b c",
                                 "FROMFILE=1",
                                 "QUOTED=q v"};
  std::set<std::string> env = env_set(j);
  INFO(j.at("environ").dump(2));
  // Nothing of the caller's environment got through...
  for (const std::string& kv : opts.set_env) CHECK(env.count(kv) == 0);
  for (const std::string& kv : env) {
    std::string name = kv.substr(0, kv.find('='));
    for (const char* bad : {"LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "ENV", "IFS", "LISTEN_FDS", "LISTEN_PID",
                            "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID", "EVIL_EXTRA"})
      CHECK(name != bad);
  }
  // NOTIFY_SOCKET: the caller's never; the monitor's only where systemd
  // gives one (NotifyAccess= not none: not this simple service).
  for (const std::string& kv : env) CHECK(kv.rfind("NOTIFY_SOCKET=", 0) != 0);
  // INVOCATION_ID: the run's own (32 hex digits, as systemd's), never the
  // caller's.
  std::string invocation;
  for (const std::string& kv : env)
    if (kv.rfind("INVOCATION_ID=", 0) == 0) invocation = kv.substr(std::strlen("INVOCATION_ID="));
  CHECK(invocation.size() == 32);
  CHECK(invocation.find_first_not_of("0123456789abcdef") == std::string::npos);
  expected.insert("INVOCATION_ID=" + invocation);
  // The system's locale, as systemd's manager hands it (S5locale checks
  // its values): LANG, LANGUAGE or LC_* categories, at least one.
  size_t locale_variables = 0;
  for (const std::string& kv : env)
    if (kv.rfind("LANG=", 0) == 0 || kv.rfind("LANGUAGE=", 0) == 0 || kv.rfind("LC_", 0) == 0) {
      CHECK(kv.rfind("LC_ALL=", 0) != 0);
      expected.insert(kv);
      ++locale_variables;
    }
  if (::geteuid() == 0) CHECK(locale_variables > 0);
  // ...and nothing else was added: exactly the contract's variables.
  CHECK(env == expected);
  CHECK(j.at("environ").size() == expected.size());  // no duplicates either
}

TEST_CASE("S9: the service's umask is UMask= (default 022), whatever unitrun's caller has", "[security]") {
  TempDir dir;
  std::string file = dir / "created.file", subdir = dir / "created.dir";
  mode_t caller_umask = 0;
  std::string extra;
  mode_t want_file = 0644, want_dir = 0755;
  SECTION("default UMask, caller umask 022") { caller_umask = 022; }
  SECTION("default UMask, caller umask 000") { caller_umask = 0; }
  SECTION("default UMask, caller umask 077") { caller_umask = 077; }
  SECTION("UMask=0177") {
    caller_umask = 0;
    extra = "UMask=0177\n";
    want_file = 0600;
    want_dir = 0600;
  }
  TestUnit u(dir, "s9", helper("createfiles") + " " + file + " " + subdir, {.extra = extra});
  RunOptions opts;
  opts.umask = caller_umask;
  start_ok(u, opts);
  REQUIRE(wait_until([&] { return exists(subdir); }, 5000));
  CHECK(file_mode(file) == want_file);
  CHECK(file_mode(subdir) == want_dir);
}

TEST_CASE("S9: the pidfile is 0644 and a new log 0640 whatever the caller's umask", "[security]") {
  TempDir dir;
  mode_t caller_umask = 0;
  SECTION("caller umask 000") { caller_umask = 0; }
  SECTION("caller umask 077") { caller_umask = 077; }
  SECTION("caller umask 027") { caller_umask = 027; }
  RunOptions opts;
  opts.umask = caller_umask;

  TestUnit with_log(dir, "s9log", "/bin/sleep 1000");
  start_ok(with_log, opts);
  CHECK(file_mode(with_log.pidfile()) == 0644);
  CHECK(file_mode(with_log.log()) == 0640);

  TestUnit with_default_log(dir, "s9deflog", "/bin/sleep 1000", {.log_to_tempdir = false});
  remove_file(with_default_log.default_log());
  start_ok(with_default_log, opts);
  CHECK(file_mode(with_default_log.pidfile()) == 0644);
  CHECK(file_mode(with_default_log.default_log()) == 0640);
}

TEST_CASE("the monitor's control socket: a 0600 file of unitrun's user that nobody else can reach or take",
          "[security]") {
  // The name used to be an abstract socket that any local user could bind
  // first, so that no monitor of the unit could start.
  TempDir dir;
  TestUnit u(dir, "ctl", "/bin/sleep 1000", {.extra = "ExecReload=/bin/true\n"});
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the unit's path, as runtime_files.cc keys it
  for (unsigned char c : u.path()) h = (h ^ c) * 1099511628211ULL;
  char key[17];
  std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(h));
  std::string socket_path = std::string(kRuntimeDir) + "/." + key + ".control";

  start_ok(u);
  struct stat st;
  REQUIRE(::lstat(socket_path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_uid == 0);
  // Another user cannot even connect.
  const struct passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(99);
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    int rc = ::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
    ::_exit(rc == 0 ? 0 : errno == EACCES ? 13 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 13);
  CHECK(u.verb("reload").exit_code == 0);

  // A clean stop leaves no socket: the monitor removes its own (the stop
  // looks for one only when the record is not final).
  CHECK(u.stop().exit_code == 0);
  CHECK(::lstat(socket_path.c_str(), &st) != 0);
  start_ok(u);

  // A monitor killed with SIGKILL leaves its socket behind; it neither
  // blocks the next start nor outlives the next stop.
  auto monitor_of = [&] { return nlohmann::json::parse(u.status_json().out)["monitor_pid"].get<int>(); };
  pid_t monitor = monitor_of();
  REQUIRE(monitor > 1);
  REQUIRE(::kill(monitor, SIGKILL) == 0);
  REQUIRE(wait_exit(monitor, 5000));
  CHECK(::lstat(socket_path.c_str(), &st) == 0);
  start_ok(u);
  CHECK(u.verb("reload").exit_code == 0);
  monitor = monitor_of();
  REQUIRE(monitor > 1);
  REQUIRE(::kill(monitor, SIGKILL) == 0);
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
  CHECK(::lstat(socket_path.c_str(), &st) != 0);
}

TEST_CASE("another user sees root's instance of a unit running, and may not stop or reload it (exit 4)", "[security]") {
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);  // the unit file must be readable to nobody
  std::string runtime = dir.world_writable_subdir("nobody-runtime");
  TestUnit u(dir, "rootonly", "/bin/sleep 1000", {.extra = "ExecReload=/bin/true\n"});
  REQUIRE(::chmod(u.path().c_str(), 0644) == 0);
  pid_t pid = start_ok(u);
  RunOptions as_nobody;
  as_nobody.wrapper = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
  as_nobody.set_env = {"XDG_RUNTIME_DIR=" + runtime, "XDG_STATE_HOME=" + runtime};

  RunResult status = u.verb("status", as_nobody);
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("active (running)") != std::string::npos);
  CHECK(status.out.find("run by root") != std::string::npos);
  for (const char* verb : {"stop", "restart", "reload", "try-restart", "force-reload"}) {
    RunResult r = u.verb(verb, as_nobody);
    INFO(verb << ": " << r.describe());
    CHECK(r.exit_code == 4);
    CHECK(r.err.find("only root may") != std::string::npos);
  }
  CHECK(alive(pid));
  CHECK(u.stop().exit_code == 0);
  // Once root's instance is gone, it is simply not running for nobody either.
  RunResult after = u.verb("status", as_nobody);
  INFO(after.describe());
  CHECK(after.exit_code == 3);
  CHECK(u.verb("stop", as_nobody).exit_code == 0);
}

// ---------------------------------------------------------------- files read and written on the service's behalf

TEST_CASE("EnvironmentFile= is read by safe_files' rules: no planted symlink, no hard link, no FIFO, no quoted content",
          "[security][envfile]") {
  TempDir dir;
  // A root-only secret, and a directory the service's user may write to,
  // where the unit's env file lives.
  std::string secret = dir / "secret";
  write_file(secret, "DB_PASSWORD=hunter2\n", 0600);
  std::string shared = dir.world_writable_subdir("conf");
  std::string env = shared + "/app.env";
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "envfile", helper("argvdump"),
             {.extra = "User=nobody\nGroup=nogroup\n" + dump_env(dump) + "EnvironmentFile=" + env + "\n"});
  auto never_leaked = [&](const RunResult& r) {
    CHECK(r.out.find("hunter2") == std::string::npos);
    CHECK(r.err.find("hunter2") == std::string::npos);
    CHECK(r.err.find("DB_PASSWORD") == std::string::npos);
    RunResult status = u.status_json();
    CHECK(status.out.find("hunter2") == std::string::npos);
    CHECK(status.out.find("DB_PASSWORD") == std::string::npos);
  };
  SECTION("a symlink to a root-only file is refused") {
    REQUIRE(::symlink(secret.c_str(), env.c_str()) == 0);
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(start.err.find("symlink") != std::string::npos);
    never_leaked(start);
    CHECK(u.nothing_running());
  }
  SECTION("a hard link to a root-only file is refused") {
    REQUIRE(::link(secret.c_str(), env.c_str()) == 0);
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(start.err.find("hard link") != std::string::npos);
    never_leaked(start);
    CHECK(u.nothing_running());
  }
  SECTION("a FIFO fails the start at once instead of wedging the monitor") {
    REQUIRE(::mkfifo(env.c_str(), 0666) == 0);
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(start.seconds < 10.0);
    CHECK(start.err.find("not a regular file") != std::string::npos);
    CHECK(u.nothing_running());
    RunResult status = u.status();
    CHECK(status.exit_code == 3);
  }
  SECTION("a file that is not KEY=value is not quoted into the world-readable record") {
    write_file(env, "hunter2 is the password\n", 0644);
    RunResult start = u.start();
    INFO(start.describe());
    CHECK(start.exit_code == 1);
    CHECK(start.err.find("line 1") != std::string::npos);
    never_leaked(start);
  }
}

TEST_CASE("an env file turned into a FIFO by the service before its restart does not wedge the monitor",
          "[security][envfile]") {
  // The service may write the directory of its own env file: `rm env; mkfifo
  // env; kill $MAINPID` used to leave the monitor blocked in open() for good.
  TempDir dir;
  std::string shared = dir.world_writable_subdir("conf");
  std::string env = shared + "/app.env";
  write_file(env, "GREETING=hello\n", 0644);
  TestUnit u(dir, "envfifo", "/bin/sleep 1000",
             {.extra = "EnvironmentFile=" + env + "\nRestart=always\nRestartSec=0\n"});
  pid_t pid = start_ok(u);
  REQUIRE(::unlink(env.c_str()) == 0);
  REQUIRE(::mkfifo(env.c_str(), 0666) == 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  // The restart fails on the FIFO (again and again, until the start limit);
  // stop and status keep answering meanwhile.
  REQUIRE(wait_until(
      [&] {
        nlohmann::json j = parse_json(u.status_json().out);
        return j.value("active_state", "") != "active";
      },
      10000, 20));
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 10.0);
  CHECK(u.nothing_running());
}

TEST_CASE("StandardOutput=truncate: never cuts a file reached through a hard link, and status/logs never read one",
          "[security]") {
  TempDir dir;
  std::string precious = dir / "precious";
  write_file(precious, "do not lose me\n", 0600);
  std::string out = dir / "out.log";
  REQUIRE(::link(precious.c_str(), out.c_str()) == 0);
  TestUnit u(dir, "trunc", "/bin/sleep 1000",
             {.extra = "StandardOutput=truncate:" + out + "\n", .log_to_tempdir = false});
  RunResult start = u.start();
  INFO(start.describe());
  CHECK(start.exit_code == 1);
  CHECK(start.err.find("hard link") != std::string::npos);
  CHECK(read_file(precious) == std::string("do not lose me\n"));
  CHECK(u.nothing_running());

  // A log file (append:) that became a hard link to a root-only file: root's
  // status and logs must not print it.
  std::string log = dir / "app.log";
  std::string secret = dir / "secret";
  write_file(secret, "TOP-SECRET-LINE\n", 0600);
  TestUnit v(dir, "readlink", "/bin/sleep 1000",
             {.extra = "StandardOutput=append:" + log + "\n", .log_to_tempdir = false});
  start_ok(v);
  remove_file(log);
  REQUIRE(::link(secret.c_str(), log.c_str()) == 0);
  RunResult status = v.status();
  INFO(status.describe());
  CHECK(status.out.find("TOP-SECRET-LINE") == std::string::npos);
  RunResult logs = v.verb("logs");
  INFO(logs.describe());
  CHECK(logs.out.find("TOP-SECRET-LINE") == std::string::npos);
  CHECK(logs.exit_code == 1);
  CHECK(v.stop().exit_code == 0);
}
