// RuntimeDirectory= & co. and SetCredential=/LoadCredential= on the real
// file system, as root: runtime/service_directories and
// runtime/credentials_dir, called on units parsed with their roots in a
// temporary directory. Owners, modes, symlinks (made, and never followed
// when a service user planted one), removal as RuntimeDirectoryPreserve=
// says.
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>

#include "runtime/credentials_dir.h"
#include "runtime/service_directories.h"
#include "support.h"
#include "unit/unit_parser.h"

using namespace itest;
using namespace unitrun;

namespace {

struct Owner {
  uid_t uid;
  gid_t gid;
};

Owner nobody() {
  const struct passwd* pw = ::getpwnam("nobody");
  REQUIRE(pw != nullptr);
  return {pw->pw_uid, pw->pw_gid};
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  INFO(path);
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

// A unit whose directory roots are below `dir`.
Unit parse_unit(const TempDir& dir, const std::string& service_lines) {
  unit::ParseContext c;
  c.path = dir / "demo.service";
  c.user_name = "root";
  c.home = "/root";
  c.runtime_dir = dir / "run";
  c.state_dir = dir / "lib";
  c.cache_dir = dir / "cache";
  c.logs_dir = dir / "log";
  c.config_dir = dir / "etc";
  c.pid_dir = dir / "run/unitrun";
  c.log_dir = dir / "log/unitrun";
  for (const char* root : {"run", "lib", "cache", "log", "etc"}) REQUIRE(::mkdir((dir / root).c_str(), 0755) == 0);
  unit::ParseResult r = unit::parse("[Service]\nExecStart=/bin/true\n" + service_lines, c);
  for (const Diagnostic& d : r.diagnostics) INFO(d.format("demo.service"));
  REQUIRE_FALSE(has_errors(r.diagnostics));
  return r.unit;
}

}  // namespace

TEST_CASE("service directories: created with their owner and mode, linked, removed", "[service_files]") {
  TempDir dir;
  Owner n = nobody();
  Unit u = parse_unit(dir,
                      "RuntimeDirectory=app/sub other:other-link\n"
                      "RuntimeDirectoryMode=0750\n"
                      "StateDirectory=app\n"
                      "ConfigurationDirectory=app\n"
                      "ConfigurationDirectoryMode=0700\n");
  REQUIRE(service_directories::create(u, n.uid, n.gid));

  struct stat parent = lstat_of(dir / "run/app");
  CHECK(parent.st_uid == 0);  // a parent stays root's
  CHECK((parent.st_mode & 07777) == 0755);
  for (const char* inner : {"run/app/sub", "run/other"}) {
    struct stat st = lstat_of(dir / inner);
    INFO(inner);
    CHECK(S_ISDIR(st.st_mode));
    CHECK(st.st_uid == n.uid);
    CHECK(st.st_gid == n.gid);
    CHECK((st.st_mode & 07777) == 0750);
  }
  struct stat link = lstat_of(dir / "run/other-link");
  CHECK(S_ISLNK(link.st_mode));
  char target[4096];
  ssize_t len = ::readlink((dir / "run/other-link").c_str(), target, sizeof target);
  CHECK(std::string(target, static_cast<size_t>(len)) == dir / "run/other");
  CHECK(lstat_of(dir / "lib/app").st_uid == n.uid);
  struct stat config = lstat_of(dir / "etc/app");
  CHECK(config.st_uid == 0);  // ConfigurationDirectory= is not the service's to write
  CHECK((config.st_mode & 07777) == 0700);

  // A second start finds them and the link: nothing to do, nothing fails.
  REQUIRE(service_directories::create(u, n.uid, n.gid));

  REQUIRE(service_directories::remove(u, unit::StopReason::Stop));
  CHECK_FALSE(exists(dir / "run/app/sub"));
  CHECK(exists(dir / "run/app"));  // only the innermost ones go
  CHECK_FALSE(exists(dir / "run/other"));
  CHECK_FALSE(exists(dir / "run/other-link"));
  CHECK(exists(dir / "lib/app"));  // state, cache, logs, configuration stay
  CHECK(exists(dir / "etc/app"));
  // Removing again: nothing is there, which is fine.
  CHECK(service_directories::remove(u, unit::StopReason::Stop));
}

TEST_CASE("service directories: RuntimeDirectoryPreserve=", "[service_files]") {
  TempDir dir;
  Owner n = nobody();
  SECTION("restart keeps them across a restart only") {
    Unit u = parse_unit(dir, "RuntimeDirectory=keep\nRuntimeDirectoryPreserve=restart\n");
    REQUIRE(service_directories::create(u, n.uid, n.gid));
    write_file(dir / "run/keep/state", "x");
    REQUIRE(service_directories::remove(u, unit::StopReason::Restart));
    CHECK(exists(dir / "run/keep/state"));
    REQUIRE(service_directories::remove(u, unit::StopReason::Stop));
    CHECK_FALSE(exists(dir / "run/keep"));
  }
  SECTION("yes keeps them") {
    Unit u = parse_unit(dir, "RuntimeDirectory=keep\nRuntimeDirectoryPreserve=yes\n");
    REQUIRE(service_directories::create(u, n.uid, n.gid));
    REQUIRE(service_directories::remove(u, unit::StopReason::Stop));
    CHECK(exists(dir / "run/keep"));
  }
  SECTION("no (the default) removes them before a restart too") {
    Unit u = parse_unit(dir, "RuntimeDirectory=keep\n");
    REQUIRE(service_directories::create(u, n.uid, n.gid));
    REQUIRE(service_directories::remove(u, unit::StopReason::Restart));
    CHECK_FALSE(exists(dir / "run/keep"));
  }
}

TEST_CASE("service directories: a symlink planted by the service user is never followed", "[service_files]") {
  TempDir dir;
  Owner n = nobody();
  std::string victim = dir / "victim";
  write_file(victim, "root's\n", 0600);
  SECTION("inside a directory that changes owner: the link is re-owned, not its target") {
    Unit u = parse_unit(dir, "StateDirectory=app\n");
    REQUIRE(::mkdir((dir / "lib/app").c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir / "lib/app/deep").c_str(), 0755) == 0);
    REQUIRE(::symlink(victim.c_str(), (dir / "lib/app/deep/evil").c_str()) == 0);
    REQUIRE(::symlink(dir.path().c_str(), (dir / "lib/app/up").c_str()) == 0);
    REQUIRE(service_directories::create(u, n.uid, n.gid));
    CHECK(lstat_of(dir / "lib/app/deep").st_uid == n.uid);
    CHECK(lstat_of(dir / "lib/app/deep/evil").st_uid == n.uid);
    CHECK(lstat_of(victim).st_uid == 0);
    CHECK(lstat_of(dir.path()).st_uid == 0);  // not through "up" either
  }
  SECTION("in place of the directory: refused") {
    Unit u = parse_unit(dir, "RuntimeDirectory=app\n");
    REQUIRE(::symlink(victim.c_str(), (dir / "run/app").c_str()) == 0);
    Status r = service_directories::create(u, n.uid, n.gid);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("symlink"));
    CHECK(lstat_of(victim).st_uid == 0);
    CHECK((lstat_of(victim).st_mode & 07777) == 0600);
    // Removal leaves a link that is not ours alone, and never follows it.
    CHECK(service_directories::remove(u, unit::StopReason::Stop));
    CHECK(read_file(victim) == "root's\n");
  }
  SECTION("in place of a parent: refused") {
    Unit u = parse_unit(dir, "RuntimeDirectory=app/inner\n");
    REQUIRE(::mkdir((dir / "elsewhere").c_str(), 0755) == 0);
    REQUIRE(::symlink((dir / "elsewhere").c_str(), (dir / "run/app").c_str()) == 0);
    REQUIRE_FALSE(service_directories::create(u, n.uid, n.gid));
    CHECK_FALSE(exists(dir / "elsewhere/inner"));
  }
  SECTION("a stale link of the same name is not ours to replace") {
    Unit u = parse_unit(dir, "RuntimeDirectory=app:link\n");
    write_file(dir / "run/link", "a file\n");
    Status r = service_directories::create(u, n.uid, n.gid);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("is not a symlink to"));
  }
}

TEST_CASE("credentials: SetCredential= and LoadCredential= in a private directory", "[service_files]") {
  TempDir dir;
  Owner n = nobody();
  std::string secret = dir / "secret.pem";
  write_file(secret, "private key\n", 0600);  // root's only: unitrun reads it as root
  REQUIRE(::mkdir((dir / "bundle").c_str(), 0700) == 0);
  REQUIRE(::mkdir((dir / "bundle/sub").c_str(), 0700) == 0);
  write_file(dir / "bundle/a", "A");
  write_file(dir / "bundle/sub/b", "B");
  REQUIRE(::symlink(secret.c_str(), (dir / "bundle/link").c_str()) == 0);  // not followed
  Unit u = parse_unit(dir,
                      "SetCredential=token:s3cr\\x00t\n"
                      "LoadCredential=cert:" +
                          secret +
                          "\n"
                          "LoadCredential=bundle:" +
                          dir / "bundle" +
                          "\n"
                          "LoadCredential=fallback:" +
                          dir / "missing" +
                          "\n"
                          "SetCredential=fallback:default\n");
  REQUIRE(::mkdir((dir / "run/unitrun").c_str(), 0755) == 0);
  REQUIRE(credentials_dir::write(u, n.uid, n.gid));
  const std::string& cd = u.credentials_directory;
  CHECK(cd == dir / "run/unitrun/credentials/demo.service");
  struct stat d = lstat_of(cd);
  CHECK(S_ISDIR(d.st_mode));
  CHECK((d.st_mode & 07777) == 0700);
  CHECK(d.st_uid == n.uid);
  struct File {
    std::string name, content;
  };
  for (const File& f : {File{"token", std::string("s3cr\0t", 6)}, File{"cert", "private key\n"}, File{"bundle_a", "A"},
                        File{"bundle_sub_b", "B"}, File{"fallback", "default"}}) {
    INFO(f.name);
    struct stat st = lstat_of(cd + "/" + f.name);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0400);
    CHECK(st.st_uid == n.uid);
    CHECK(read_file(cd + "/" + f.name) == f.content);
  }
  CHECK_FALSE(exists(cd + "/bundle_link"));

  // A new start begins afresh: what is not a credential any more is gone.
  write_file(cd + "/left-over", "x");
  REQUIRE(credentials_dir::write(u, n.uid, n.gid));
  CHECK_FALSE(exists(cd + "/left-over"));

  REQUIRE(credentials_dir::remove(u));
  CHECK_FALSE(exists(cd));
  CHECK(credentials_dir::remove(u));  // gone already: fine
}

TEST_CASE("credentials: from a socket, and a missing one fails the start", "[service_files]") {
  TempDir dir;
  Owner n = nobody();
  std::string path = dir / "cred.sock";
  int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(server >= 0);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(server, 1) == 0);
  std::thread serve([server] {
    int c = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) {
      (void)!::write(c, "from a socket", 13);
      ::close(c);
    }
  });
  Unit u = parse_unit(dir, "LoadCredential=sock:" + path + "\n");
  REQUIRE(::mkdir((dir / "run/unitrun").c_str(), 0755) == 0);
  Status r = credentials_dir::write(u, n.uid, n.gid);
  serve.join();
  ::close(server);
  REQUIRE(r);
  CHECK(read_file(u.credentials_directory + "/sock") == "from a socket");

  TempDir other;
  Unit bad = parse_unit(other, "LoadCredential=nope:" + other / "nope" + "\n");
  REQUIRE(::mkdir((other / "run/unitrun").c_str(), 0755) == 0);
  Status failed = credentials_dir::write(bad, n.uid, n.gid);
  REQUIRE_FALSE(failed);
  CHECK_THAT(failed.error().message(), Catch::Contains(other / "nope"));
  CHECK_FALSE(exists(bad.credentials_directory));  // nothing is written when one is missing
}
