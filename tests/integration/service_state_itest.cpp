// The state a service starts in, read by the argvdump helper from inside
// the service and from /proc: its own session and process group, no
// controlling tty, cwd, umask, signal state, fds, argv. And the monitor's
// own detachment from its caller.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "support.h"

using namespace itest;

namespace {

std::vector<std::pair<int, std::string>> dumped_fds(const nlohmann::json& j) {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& f : j.at("fds")) out.emplace_back(f.at("fd").get<int>(), f.at("target").get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

// Reads the pty master until `text` arrived (true) or timeout_ms passed.
bool read_until(int master, const std::string& text, std::string& got, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got.find(text) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    struct pollfd p = {master, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char buf[256];
    ssize_t r = ::read(master, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got.append(buf, static_cast<size_t>(r));
  }
  return true;
}

// A pty pair: the test keeps the master; nobody has the slave open yet, and
// it is no session's controlling terminal.
struct Pty {
  int master = -1;
  std::string path;  // the slave, /dev/pts/N
  Pty() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const char* name = ::ptsname(master);
    REQUIRE(name);
    path = name;
  }
  ~Pty() {
    if (master >= 0) ::close(master);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  // The slave as /proc/PID/stat's tty_nr encodes it.
  int tty_nr() const {
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
    return static_cast<int>((min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12));
  }
};

}  // namespace

TEST_CASE("the service starts in a clean state: own session, no tty, cwd /, umask 022, fds 0-2", "[state]") {
  TempDir dir;
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "clean", helper("argvdump") + " one \"two words\" three",
             {.extra = "Environment=ARGVDUMP_OUT=" + dump + "\n"});
  // unitrun itself runs with a controlling tty on stdin, from the temp dir,
  // with an unusual umask: none of it may reach the service.
  RunOptions opts;
  opts.controlling_tty = true;
  opts.cwd = dir.path();
  opts.umask = 0077;
  RunResult start = u.start(opts);
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  REQUIRE_FALSE(start.output_held_open);
  nlohmann::json j = wait_for_dump(dump);
  INFO(j.dump(2));
  pid_t pid = j.at("pid");

  CHECK(read_pidfile(u.pidfile()) == pid);
  CHECK(j.at("sid") == pid);
  CHECK(j.at("pgid") == pid);
  CHECK(j.at("tty_nr") == 0);
  CHECK(j.at("has_ctty") == false);
  CHECK(j.at("cwd") == "/");
  CHECK(j.at("umask") == "0022");
  CHECK(j.at("status").at("SigBlk") == "0000000000000000");
  CHECK(j.at("status").at("SigIgn") == "0000000000000000");
  CHECK(j.at("argv") == nlohmann::json::array({helper("argvdump"), "one", "two words", "three"}));
  std::vector<std::pair<int, std::string>> expected_fds{{0, "/dev/null"}, {1, u.log()}, {2, u.log()}};
  CHECK(dumped_fds(j) == expected_fds);

  // The monitor: the service's parent, detached from the caller's terminal,
  // stdio and cwd.
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  pid_t monitor = monitors[0];
  CHECK(j.at("ppid") == monitor);
  auto ms = proc_stat(monitor);
  REQUIRE(ms);
  CHECK(ms->tty_nr == 0);
  // It leads a session and a process group of its own, as systemd runs every
  // service (one fork, docs/architecture.md), without a terminal.
  CHECK(ms->sid == ms->pid);
  CHECK(ms->pgid == ms->pid);
  auto mfds = proc_fds(monitor);
  for (const auto& [fd, target] : mfds) {
    INFO("monitor fd " << fd << " -> " << target);
    if (fd <= 2) CHECK(target == "/dev/null");
    CHECK(target.find("/dev/pts") == std::string::npos);
    CHECK(target.rfind("pipe:", 0) != 0);
  }
  char cwd[4096];
  ssize_t n = ::readlink(("/proc/" + std::to_string(monitor) + "/cwd").c_str(), cwd, sizeof cwd - 1);
  REQUIRE(n > 0);
  CHECK(std::string(cwd, static_cast<size_t>(n)) == "/");

  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.seconds < 5.0);
  CHECK(u.nothing_running());
}

TEST_CASE("WorkingDirectory= is the service's cwd", "[state]") {
  TempDir dir;
  std::string work = dir / "work dir";
  REQUIRE(::mkdir(work.c_str(), 0755) == 0);
  std::string dump = dir / "dump.json";
  TestUnit u(dir, "wd", helper("argvdump"),
             {.extra = "Environment=ARGVDUMP_OUT=" + dump + "\nWorkingDirectory=" + work + "\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  nlohmann::json j = wait_for_dump(dump);
  CHECK(j.at("cwd") == work);
}

// The monitor leads a session without a terminal: opening one without
// O_NOCTTY would make it the monitor's controlling terminal. The unit's
// stdin and stdout that name a terminal are opened by the monitor; the
// service writes to it, and the monitor still has no controlling terminal.
// (Linux gives a write-only open no controlling terminal: its
// tty_open_proc_set_tty() wants FMODE_READ. So here it is the read open of
// StandardInput= that fails this test without O_NOCTTY; StandardOutput='s
// O_NOCTTY matters where a kernel lacks that check.)
TEST_CASE("StandardInput=file:, StandardOutput=file: naming a terminal: the monitor acquires no controlling tty",
          "[state][tty]") {
  TempDir dir;
  Pty pty;
  int master = pty.master;
  const std::string& pts = pty.path;
  TestUnit u(dir, "ttyout", "/bin/sh -c 'echo hello-from-the-service; exec /bin/sleep 1000'",
             {.extra = "StandardInput=file:" + pts + "\nStandardOutput=file:" + pts + "\n", .log_to_tempdir = false});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  std::string got;
  CHECK(read_until(master, "hello-from-the-service", got, 10000));
  INFO("pty: " << got);
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  auto ms = proc_stat(monitors[0]);
  REQUIRE(ms);
  CHECK(ms->sid == ms->pid);  // a session leader: the case where O_NOCTTY matters
  CHECK(ms->tty_nr == 0);     // /proc/MONITOR/stat field 7
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}

// StandardInput=tty: the service takes TTYPath= as its controlling terminal,
// in its own session (as systemd's services do), while the monitor that
// opened it for the service stays without one.
TEST_CASE("StandardInput=tty: the service's controlling terminal is TTYPath=, the monitor has none", "[state][tty]") {
  TempDir dir;
  Pty pty;
  TestUnit u(dir, "ttyin", "/bin/sh -c 'echo hello-on-my-tty; exec /bin/sleep 1000'",
             {.extra = "StandardInput=tty\nStandardOutput=tty\nTTYPath=" + pty.path + "\n", .log_to_tempdir = false});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  std::string got;
  CHECK(read_until(pty.master, "hello-on-my-tty", got, 10000));
  std::vector<pid_t> monitors = u.monitors(), services = u.services();
  REQUIRE(monitors.size() == 1);
  REQUIRE(services.size() == 1);
  auto ms = proc_stat(monitors[0]);
  auto ss = proc_stat(services[0]);
  REQUIRE(ms);
  REQUIRE(ss);
  CHECK(ms->tty_nr == 0);
  CHECK(ss->sid == ss->pid);
  CHECK(ss->tty_nr == pty.tty_nr());
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(u.nothing_running());
}
