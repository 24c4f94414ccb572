// What one command reads once (unit/command_reads.h): the texts of unit
// files and the unit path's link directories are read again once the
// command's scope is gone, and never from a scope that is gone or left.
#include "unit/command_reads.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "cli/dependency_loader.h"
#include "runtime/safe_files.h"
#include "test_support.h"
#include "unit/unit_loader.h"
#include "unit/unit_sources.h"
#include "unit/user_dirs.h"

using namespace unitrun;
using unitrun::test::TempDir;

namespace {

std::string text_of(const std::string& path) { return unit::read_unit_file(path).value_or("(unreadable)"); }

}  // namespace

TEST_CASE("command reads: a unit file is read once in a scope, and as it is now outside one", "[command_reads]") {
  TempDir dir;
  std::string path = dir.write("a.service", "[Service]\nExecStart=/bin/true\n");
  CHECK(unit::CommandReads::current() == nullptr);
  {
    unit::CommandReads reads;
    CHECK(unit::CommandReads::current() == &reads);
    CHECK(text_of(path) == "[Service]\nExecStart=/bin/true\n");
    dir.write("a.service", "[Service]\nExecStart=/bin/false\n");
    CHECK(text_of(path) == "[Service]\nExecStart=/bin/true\n");  // the command's first look
    {
      unit::CommandReads inner;  // the outer one stays in charge
      CHECK(unit::CommandReads::current() == &reads);
      CHECK(text_of(path) == "[Service]\nExecStart=/bin/true\n");
    }
    CHECK(unit::CommandReads::current() == &reads);
    // A missing file is remembered as missing too.
    std::string missing = dir / "b.service";
    CHECK_FALSE(unit::read_unit_file(missing));
    dir.write("b.service", "[Service]\n");
    CHECK_FALSE(unit::read_unit_file(missing));
  }
  CHECK(unit::CommandReads::current() == nullptr);
  CHECK(text_of(path) == "[Service]\nExecStart=/bin/false\n");
  CHECK(text_of(dir / "b.service") == "[Service]\n");
}

TEST_CASE("command reads: a process that leaves the command (a monitor) reads the files again", "[command_reads]") {
  TempDir dir;
  std::string path = dir.write("a.service", "one\n");
  unit::CommandReads reads;
  CHECK(text_of(path) == "one\n");
  dir.write("a.service", "two\n");
  CHECK(text_of(path) == "one\n");
  unit::CommandReads::leave();
  CHECK(unit::CommandReads::current() == nullptr);
  CHECK(text_of(path) == "two\n");
  // What it held is freed later (the monitor's trims), not at the fork.
  CHECK_FALSE(reads.unit_files.empty());
  unit::CommandReads::free_left();
  CHECK(reads.unit_files.empty());
  unit::CommandReads::free_left();  // once only: nothing is left to free
}

TEST_CASE("command reads: a unit's link directories are looked at once in a scope", "[command_reads]") {
  TempDir dir;
  unit::UnitPath path;
  path.directories = {dir.path()};
  {
    unit::CommandReads reads;
    CHECK(cli::linked_units("a.service", path).empty());
    std::filesystem::create_directories(dir / "a.service.wants");
    REQUIRE(::symlink("/dev/null", (dir / "a.service.wants/b.service").c_str()) == 0);
    CHECK(cli::linked_units("a.service", path).empty());  // the command's first look
    CHECK(cli::linked_units("c.service", path).empty());  // another unit: a look of its own
  }
  CHECK(cli::linked_units("a.service", path).wants == std::vector<std::string>{"b.service"});
}

// What the file system shows is never kept for a command: a runtime
// directory another user plants at /tmp/unitrun-UID while a command runs
// (a multi-unit start can take minutes) is refused by the next look.
TEST_CASE("command reads: the fallback runtime directory is looked at again on every call", "[command_reads]") {
  if (::geteuid() != 0) {
    WARN("not root: needs to act as another uid and plant a directory as root");
    return;
  }
  const uid_t uid = 64999;  // no user of the system, nor of another test
  const std::string fallback = unit::fallback_runtime_dir(uid);
  (void)::rmdir(fallback.c_str());
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string saved_xdg = xdg ? xdg : "";
  ::unsetenv("XDG_RUNTIME_DIR");
  struct Restore {
    std::string path, xdg;
    bool had_xdg;
    ~Restore() {
      if (::seteuid(0) != 0) std::abort();  // the tests after this one run as root
      (void)::rmdir(path.c_str());
      if (had_xdg) ::setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
    }
  } restore{fallback, saved_xdg, xdg != nullptr};
  REQUIRE(::seteuid(uid) == 0);
  unit::CommandReads reads;
  unit::UserDirs before = unit::user_dirs();
  CHECK(before.runtime_dir == fallback);
  CHECK(before.runtime_dir_problem.empty());
  // Planted by root, writable by nobody else but not this user's.
  REQUIRE(::seteuid(0) == 0);
  REQUIRE(::mkdir(fallback.c_str(), 0755) == 0);
  REQUIRE(::seteuid(uid) == 0);
  unit::UserDirs after = unit::user_dirs();
  CHECK(after.runtime_dir == fallback);
  CHECK(after.runtime_dir_problem.find(fallback + " is not a directory of uid 64999") != std::string::npos);
}

TEST_CASE("command reads: one command keeps the runtime directory it chose, and checks it on every call",
          "[command_reads]") {
  if (::geteuid() != 0) {
    WARN("not root: needs to act as another uid and make /run/user/UID");
    return;
  }
  const uid_t uid = 64998;  // no user of the system, nor of another test
  const std::string fallback = unit::fallback_runtime_dir(uid);
  const std::string logind = "/run/user/" + std::to_string(uid);
  (void)::rmdir(fallback.c_str());
  (void)::rmdir(logind.c_str());
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string saved_xdg = xdg ? xdg : "";
  ::unsetenv("XDG_RUNTIME_DIR");
  struct Restore {
    std::string fallback, logind, xdg;
    bool had_xdg;
    ~Restore() {
      if (::seteuid(0) != 0) std::abort();  // the tests after this one run as root
      (void)::rmdir(fallback.c_str());
      (void)::rmdir(logind.c_str());
      if (had_xdg) ::setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
    }
  } restore{fallback, logind, saved_xdg, xdg != nullptr};
  REQUIRE(std::filesystem::is_directory("/run/user"));
  auto make_logind_dir = [&] {
    REQUIRE(::seteuid(0) == 0);
    REQUIRE(::mkdir(logind.c_str(), 0700) == 0);
    REQUIRE(::chown(logind.c_str(), uid, uid) == 0);
    REQUIRE(::seteuid(uid) == 0);
  };

  SECTION("logind makes /run/user/UID after the command chose the fallback") {
    REQUIRE(::seteuid(uid) == 0);
    {
      unit::CommandReads reads;
      CHECK(unit::user_dirs().runtime_dir == fallback);
      make_logind_dir();
      unit::UserDirs later = unit::user_dirs();
      CHECK(later.runtime_dir == fallback);
      CHECK(later.runtime_dir_problem.empty());
    }
    // The next command chooses again.
    unit::CommandReads next;
    CHECK(unit::user_dirs().runtime_dir == logind);
  }
  SECTION("logind removes /run/user/UID after the command chose it") {
    make_logind_dir();
    unit::CommandReads reads;
    unit::UserDirs before = unit::user_dirs();
    CHECK(before.runtime_dir == logind);
    CHECK(before.runtime_dir_problem.empty());
    REQUIRE(::seteuid(0) == 0);
    REQUIRE(::rmdir(logind.c_str()) == 0);
    REQUIRE(::seteuid(uid) == 0);
    unit::UserDirs after = unit::user_dirs();
    CHECK(after.runtime_dir == logind);
    CHECK(after.runtime_dir_problem.find(logind + ", this command's runtime directory, is no longer") !=
          std::string::npos);
  }
}

TEST_CASE("command reads: root's user entry is looked up only for a unit whose specifiers name it", "[command_reads]") {
  TempDir dir;
  std::string plain = dir.write("plain.service", "[Service]\nExecStart=/bin/true\n");
  std::string named = dir.write("named.service", "[Service]\nExecStart=/bin/true\nEnvironment=U=%u H=%h S=%s G=%g\n");
  unit::CommandReads reads;
  unit::LoadResult p = unit::load(plain, unit::ValidateMode::Start);
  REQUIRE(p.readable);
  CHECK_FALSE(has_errors(p.diagnostics));
  // Root's directories are fixed: a unit without specifiers costs no look-up
  // in the user database (NSS) at all. Another user's are under its home.
  CHECK(reads.caller_entry.has_value() == (::geteuid() != 0));
  unit::LoadResult n = unit::load(named, unit::ValidateMode::Start);
  REQUIRE(n.readable);
  CHECK_FALSE(has_errors(n.diagnostics));
  CHECK(reads.caller_entry.has_value());
  const struct passwd* pw = ::getpwuid(::geteuid());
  const struct group* gr = ::getgrgid(::getegid());
  REQUIRE(pw);
  REQUIRE(gr);
  std::map<std::string, std::string> env(n.unit.environment.begin(), n.unit.environment.end());
  CHECK(env["U"] == pw->pw_name);
  CHECK(env["H"] == pw->pw_dir);
  CHECK(env["S"] == pw->pw_shell);
  CHECK(env["G"] == gr->gr_name);
}

TEST_CASE("command reads: the runtime directory a command checked is opened once, and is the one it checked",
          "[command_reads]") {
  TempDir dir;
  const std::string runtime = dir / "unitrun";
  auto inode_of = [](const Result<UniqueFd>& fd) {
    struct stat st {};
    REQUIRE(fd);
    REQUIRE(::fstat(fd->get(), &st) == 0);
    return st.st_ino;
  };
  struct stat checked {};
  {
    unit::CommandReads reads;
    REQUIRE(safe_files::ensure_private_directory(runtime));
    REQUIRE(::stat(runtime.c_str(), &checked) == 0);
    // Replaced by another directory of the name meanwhile: the command's
    // files stay in the one it checked.
    REQUIRE(::rename(runtime.c_str(), (dir / "moved").c_str()) == 0);
    REQUIRE(::mkdir(runtime.c_str(), 0755) == 0);
    CHECK(inode_of(safe_files::open_parent_directory(runtime + "/u.service.lock", false)) == checked.st_ino);
    // Another directory is walked as before.
    CHECK(safe_files::open_parent_directory(dir / "moved/x", false));
  }
  // The next command looks again.
  unit::CommandReads next;
  CHECK(inode_of(safe_files::open_parent_directory(runtime + "/u.service.lock", false)) != checked.st_ino);
}
