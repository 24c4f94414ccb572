// The user database's entry read from /etc/passwd where NSS would read it
// there (process/passwd_files.h).
#include "process/passwd_files.h"

#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>

TEST_CASE("passwd from files: what getpwuid() returns when NSS reads /etc/passwd first, or nothing", "[passwd]") {
  using unitrun::process::passwd_from_texts;
  const std::string passwd =
      "# comment\nroot:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
      "+nis:x:5:5::/nis:/bin/sh\nnohome:x:7:7:::\n";
  const std::string debian = "# /etc/nsswitch.conf\npasswd:         files systemd\ngroup:          files systemd\n";
  auto root = passwd_from_texts(0, debian, passwd);
  REQUIRE(root);
  CHECK(root->name == "root");
  CHECK(root->dir == "/root");
  CHECK(root->shell == "/bin/bash");
  CHECK(root->gid == 0);
  auto d = passwd_from_texts(1, "passwd: files\n", passwd);
  REQUIRE(d);
  CHECK(d->name == "daemon");
  auto nohome = passwd_from_texts(7, debian, passwd);
  REQUIRE(nohome);
  CHECK(nohome->dir.empty());  // the caller's default, as for getpwuid()
  // NSS answers: no such UID in the file, a compat marker, another source
  // first, an action after files, no passwd: line or two of them, a line
  // glibc's parser does not take.
  CHECK_FALSE(passwd_from_texts(42, debian, passwd));
  CHECK_FALSE(passwd_from_texts(5, debian, passwd));
  CHECK_FALSE(passwd_from_texts(0, "passwd: sss files\n", passwd));
  CHECK_FALSE(passwd_from_texts(0, "passwd: files [SUCCESS=continue] ldap\n", passwd));
  CHECK_FALSE(passwd_from_texts(0, "group: files\n", passwd));
  CHECK_FALSE(passwd_from_texts(0, "passwd: files\npasswd: ldap\n", passwd));
  CHECK_FALSE(passwd_from_texts(0, "passwd: files\npasswd sss\n", passwd));  // glibc needs no colon
  CHECK_FALSE(passwd_from_texts(0, "passwd sss files\n", passwd));
  CHECK(passwd_from_texts(0, "passwdx: ldap\npasswd files\n", passwd));  // another database's line
  CHECK_FALSE(passwd_from_texts(0, "#passwd: files\n", passwd));
  CHECK(passwd_from_texts(0, "passwd : files # and a comment\n", passwd));
  // A line without its shell field is read as nss_files reads it: no shell.
  auto noshell = passwd_from_texts(0, debian, "root:x:0:0:root:/root\n");
  REQUIRE(noshell);
  CHECK(noshell->dir == "/root");
  CHECK(noshell->shell.empty());
  CHECK_FALSE(passwd_from_texts(0, debian, "root:x:zero:0:root:/root:/bin/bash\n"));
  // A line longer than the first buffer is read whole.
  auto longer = passwd_from_texts(9, debian, "long:x:9:9:" + std::string(10000, 'g') + ":/home/long:/bin/sh\n");
  REQUIRE(longer);
  CHECK(longer->dir == "/home/long");
  // This machine: what glibc says.
  if (auto self = unitrun::process::passwd_from_files(::geteuid())) {
    const struct passwd* pw = ::getpwuid(::geteuid());
    REQUIRE(pw);
    CHECK(self->name == pw->pw_name);
    CHECK(self->dir == pw->pw_dir);
    CHECK(self->shell == pw->pw_shell);
  }
}
