// Where the service's stdout and stderr go: StandardOutput=/StandardError=
// null, file:, append:, truncate:, inherit, and the default log; and that a
// log path is never followed through a symlink or into a hard link.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "supervision_util.h"

using namespace itest;
using itest::sv::start_ok;

namespace {

// A service that writes "out\n" to stdout, then "err\n" to stderr, then
// sleeps with the same fds.
std::string talker(const TempDir& dir) {
  std::string path = dir / "talker.sh";
  write_file(path, "#!/bin/sh\necho out\necho err >&2\nexec /bin/sleep 1000\n", 0755);
  return path;
}

bool file_becomes(const std::string& path, const std::string& content) {
  bool ok = wait_until([&] { return read_file(path) == content; }, 5000);
  if (!ok) UNSCOPED_INFO(path << " holds: [" << read_file(path).value_or("<missing>") << "]");
  return ok;
}

}  // namespace

TEST_CASE("StandardOutput=null sends stdout and stderr to /dev/null", "[output]") {
  TempDir dir;
  TestUnit u(dir, "null", talker(dir), {.extra = "StandardOutput=null\n"});
  pid_t pid = start_ok(u);
  // Once the talker has exec'd sleep, its fds are final.
  REQUIRE(wait_until([&] { return proc_cmdline(pid) == "/bin/sleep 1000"; }, 5000));
  CHECK(fd_target(pid, 1) == "/dev/null");
  CHECK(fd_target(pid, 2) == "/dev/null");
  CHECK_FALSE(exists(u.log()));
}

TEST_CASE("StandardOutput=file: writes from the start without truncating", "[output]") {
  TempDir dir;
  std::string out = dir / "out.txt";
  write_file(out, "0123456789abcdefghij\n", 0640);
  TestUnit u(dir, "file", talker(dir), {.extra = "StandardOutput=file:" + out + "\n"});
  start_ok(u);
  // stderr shares stdout's open file (StandardError= defaults to inherit),
  // so "err" follows "out"; the tail of the old content stays.
  CHECK(file_becomes(out, "out\nerr\n89abcdefghij\n"));
}

TEST_CASE("StandardOutput=append: appends", "[output]") {
  TempDir dir;
  std::string out = dir / "out.txt";
  write_file(out, "before\n", 0640);
  TestUnit u(dir, "append", talker(dir), {.extra = "StandardOutput=append:" + out + "\n"});
  start_ok(u);
  CHECK(file_becomes(out, "before\nout\nerr\n"));
}

TEST_CASE("StandardOutput=truncate: truncates", "[output]") {
  TempDir dir;
  std::string out = dir / "out.txt";
  write_file(out, "a much longer line from before\n", 0640);
  TestUnit u(dir, "truncate", talker(dir), {.extra = "StandardOutput=truncate:" + out + "\n"});
  start_ok(u);
  CHECK(file_becomes(out, "out\nerr\n"));
}

TEST_CASE("StandardOutput=inherit gets /dev/null - StandardError= may differ", "[output]") {
  TempDir dir;
  SECTION("inherit") {
    TestUnit u(dir, "inherit", talker(dir), {.extra = "StandardOutput=inherit\n"});
    pid_t pid = start_ok(u);
    REQUIRE(wait_until([&] { return proc_cmdline(pid) == "/bin/sleep 1000"; }, 5000));
    CHECK(fd_target(pid, 1) == "/dev/null");
    CHECK(fd_target(pid, 2) == "/dev/null");
  }
  SECTION("separate files for stdout and stderr") {
    std::string out = dir / "out.txt", err = dir / "err.txt";
    TestUnit u(dir, "split", talker(dir),
               {.extra = "StandardOutput=append:" + out + "\nStandardError=truncate:" + err + "\n"});
    start_ok(u);
    CHECK(file_becomes(out, "out\n"));
    CHECK(file_becomes(err, "err\n"));
  }
  SECTION("StandardError=null") {
    std::string out = dir / "out.txt";
    TestUnit u(dir, "errnull", talker(dir), {.extra = "StandardOutput=append:" + out + "\nStandardError=null\n"});
    pid_t pid = start_ok(u);
    CHECK(file_becomes(out, "out\n"));
    CHECK(fd_target(pid, 2) == "/dev/null");
  }
}

TEST_CASE("the default log is /var/log/unitrun/NAME.log, mode 0640", "[output]") {
  TempDir dir;
  TestUnit u(dir, "deflog", talker(dir), {.log_to_tempdir = false});
  remove_file(u.default_log());
  pid_t pid = start_ok(u);
  CHECK(file_becomes(u.default_log(), "out\nerr\n"));
  CHECK(file_mode(u.default_log()) == 0640);
  struct stat st;
  REQUIRE(::stat(u.default_log().c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK(fd_target(pid, 1) == u.default_log());
}

TEST_CASE("a log path is never followed through a symlink or into a hard link", "[output][security]") {
  TempDir dir;
  std::string victim = dir / "victim";
  const std::string original = "root-owned content that must not change\n";
  write_file(victim, original, 0600);
  std::string log = dir / "service.log";

  SECTION("symlink") { REQUIRE(::symlink(victim.c_str(), log.c_str()) == 0); }
  SECTION("hard link") { REQUIRE(::link(victim.c_str(), log.c_str()) == 0); }

  TestUnit u(dir, "loglink", talker(dir), {.extra = "StandardOutput=append:" + log + "\n"});
  RunResult r = u.start();
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(log) != std::string::npos);
  CHECK(read_file(victim) == original);
  CHECK(file_mode(victim) == 0600);
  CHECK(u.nothing_running());
  CHECK_FALSE(exists(u.pidfile()));

  // Nothing was left locked: with the link gone, the same unit starts.
  remove_file(log);
  RunResult again = u.start();
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  CHECK(file_becomes(log, "out\nerr\n"));
  CHECK(read_file(victim) == original);
}
