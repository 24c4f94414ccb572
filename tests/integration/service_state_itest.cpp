// The state a service starts in, read by the argvdump helper from inside
// the service and from /proc: its own session and process group, no
// controlling tty, cwd, umask, signal state, fds, argv. And the monitor's
// own detachment from its caller.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "support.h"

using namespace itest;

namespace {

std::vector<std::pair<int, std::string>> dumped_fds(const nlohmann::json& j) {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& f : j.at("fds")) out.emplace_back(f.at("fd").get<int>(), f.at("target").get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

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
  CHECK(ms->sid != ms->pid);  // not a session leader: it can never acquire a terminal
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
