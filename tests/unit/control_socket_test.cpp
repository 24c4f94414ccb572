// The monitor's control socket (runtime/control_socket.h): made 0600, and a
// socket a killed monitor left at the path is replaced.
#include "runtime/control_socket.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "test_support.h"

using namespace unitrun;
using test::TempDir;

TEST_CASE("control socket: listens at a free path, mode 0600, and the monitor's own pid connects", "[control_socket]") {
  TempDir dir;
  std::string path = dir / "u.control";
  auto listening = runtime::listen_control(path);
  REQUIRE(listening);
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(runtime::connect_control(path, ::getpid()));
}

TEST_CASE("control socket: a socket left at the path (a killed monitor's) is replaced", "[control_socket]") {
  TempDir dir;
  std::string path = dir / "u.control";
  {
    auto left = runtime::listen_control(path);
    REQUIRE(left);
  }  // closed, its file stays: bind there says EADDRINUSE
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  auto listening = runtime::listen_control(path);
  INFO((listening ? std::string() : listening.error().message()));
  REQUIRE(listening);
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(runtime::connect_control(path, ::getpid()));
}
