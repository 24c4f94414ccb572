// safe_files' writers: what a reader finds after each write is exactly the
// last content, with the mode asked for, whatever came before it (a longer
// record, a spare left with another mode) and whatever the umask.
#include "runtime/safe_files.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "test_support.h"

using namespace unitrun;
using unitrun::test::read_file;
using unitrun::test::TempDir;

namespace {
mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("rewrite: a shorter content after a longer one leaves nothing of the longer", "[safe_files]") {
  TempDir dir;
  std::string path = dir / "r.state";
  std::string spare = dir / ".r.state.spare";
  // Three writes: the third reuses the spare that held the first, longest one.
  REQUIRE(safe_files::rewrite(path, std::string(300, 'a'), 0644));
  REQUIRE(safe_files::rewrite(path, std::string(200, 'b'), 0644));
  REQUIRE(safe_files::rewrite(path, "short\n", 0644));
  CHECK(read_file(path) == "short\n");
  // And growing again over a shorter spare.
  REQUIRE(safe_files::rewrite(path, std::string(500, 'c'), 0644));
  CHECK(read_file(path) == std::string(500, 'c'));
  REQUIRE(safe_files::rewrite(path, std::string(400, 'd'), 0644));
  CHECK(read_file(path) == std::string(400, 'd'));
  CHECK(read_file(spare) == std::string(500, 'c'));
}

TEST_CASE("rewrite: the mode asked for, whatever the umask or the spare's mode before", "[safe_files]") {
  TempDir dir;
  std::string path = dir / "m.state";
  std::string spare = dir / ".m.state.spare";
  mode_t old = ::umask(077);
  bool first = static_cast<bool>(safe_files::rewrite(path, "one\n", 0644));
  bool second = static_cast<bool>(safe_files::rewrite(path, "two\n", 0644));
  ::umask(old);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(mode_of(path) == 0644);
  CHECK(mode_of(spare) == 0644);
  // A spare left with another mode gets the one asked for.
  REQUIRE(::chmod(spare.c_str(), 0600) == 0);
  REQUIRE(safe_files::rewrite(path, "three\n", 0644));
  CHECK(mode_of(path) == 0644);
  CHECK(read_file(path) == "three\n");
}

TEST_CASE("write_atomic: the mode asked for whatever the umask, which it leaves as it was", "[safe_files]") {
  TempDir dir;
  std::string path = dir / "x.pid";
  for (mode_t caller : {mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0277}}) {
    INFO("umask " << caller);
    mode_t old = ::umask(caller);
    bool written = static_cast<bool>(safe_files::write_atomic(path, "123\n", 0644));
    mode_t after = ::umask(old);
    REQUIRE(written);
    CHECK(after == caller);
    CHECK(mode_of(path) == 0644);
    CHECK(read_file(path) == "123\n");
  }
}
