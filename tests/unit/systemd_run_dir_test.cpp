// What `unitrun init` makes for maintainer scripts (cli/systemd_run_dir.h):
// /run/systemd/system, only where unitrun is the machine's systemctl and
// PID 1 is not systemd, never through a symlink.
#include "cli/systemd_run_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test_support.h"

using namespace unitrun;
using unitrun::test::TempDir;

namespace {
unit::InitFacts facts(const std::string& pid1, bool dir, bool systemctl_is_unitrun) {
  unit::InitFacts f;
  f.pid1_comm = pid1;
  f.systemd_runtime_dir = dir;
  f.systemctl_is_unitrun = systemctl_is_unitrun;
  return f;
}
}  // namespace

TEST_CASE("init: /run/systemd/system is made where unitrun is systemctl and PID 1 is not systemd", "[init]") {
  CHECK(cli::should_make_systemd_run_dir(facts("unitrun", false, true)));
  // Already there (an image's, a bind mount's, a second init): nothing to do.
  CHECK_FALSE(cli::should_make_systemd_run_dir(facts("unitrun", true, true)));
  // systemctl is not unitrun: maintainer scripts would call someone else.
  CHECK_FALSE(cli::should_make_systemd_run_dir(facts("unitrun", false, false)));
  // PID 1 is systemd: it is systemd's directory.
  CHECK_FALSE(cli::should_make_systemd_run_dir(facts("systemd", false, true)));
}

TEST_CASE("init: /run/systemd/system is made as a directory, never through a symlink", "[init]") {
  TempDir root;
  std::string run = root / "run";
  std::filesystem::create_directory(run);
  REQUIRE(cli::make_systemd_run_dir(run).ok());
  struct stat st {};
  REQUIRE(::lstat((run + "/systemd/system").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0755);
  // A second time: it is there, fine.
  CHECK(cli::make_systemd_run_dir(run).ok());

  // /run/systemd a symlink to elsewhere: refused, nothing made there.
  std::string other = root / "other", elsewhere = root / "elsewhere";
  std::filesystem::create_directory(other);
  std::filesystem::create_directory(elsewhere);
  std::filesystem::create_directory_symlink(elsewhere, other + "/systemd");
  auto r = cli::make_systemd_run_dir(other);
  REQUIRE_FALSE(r.ok());
  CHECK((r.error().sys_errno == ELOOP || r.error().sys_errno == ENOTDIR));
  CHECK_FALSE(std::filesystem::exists(elsewhere + "/system"));
  // A file at /run/systemd/system: refused.
  std::string third = root / "third";
  std::filesystem::create_directories(third + "/systemd");
  std::ofstream(third + "/systemd/system") << "";
  CHECK_FALSE(cli::make_systemd_run_dir(third).ok());
}
