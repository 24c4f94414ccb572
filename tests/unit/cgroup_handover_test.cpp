// process/cgroup_handover.h: the message the start CLI names the cgroup
// directories it made in, and the monitor's read of it.
#include "process/cgroup_handover.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/unique_fd.h"

using unitrun::UniqueFd;
using unitrun::process::format_handed_over;
using unitrun::process::parse_handed_over;
using unitrun::process::take_handed_over_dirs;

namespace {

const std::vector<std::string> kHybrid = {"/sys/fs/cgroup/unified/unitrun/web.service",
                                          "/sys/fs/cgroup/memory/unitrun/web.service",
                                          "/sys/fs/cgroup/pids/unitrun/web.service"};

}  // namespace

TEST_CASE("cgroup handover: the message names the directories made, in order", "[cgroup-handover]") {
  std::string message = format_handed_over(kHybrid);
  CHECK(message ==
        "/sys/fs/cgroup/unified/unitrun/web.service\n/sys/fs/cgroup/memory/unitrun/web.service\n"
        "/sys/fs/cgroup/pids/unitrun/web.service\n");
  CHECK(parse_handed_over(message, "web") == kHybrid);
  CHECK(parse_handed_over(message, "web.service") == kHybrid);  // the same cgroup name
  CHECK(format_handed_over({}).empty());
  CHECK(parse_handed_over("", "web").empty());  // EOF without a message: none made
}

TEST_CASE("cgroup handover: only whole lines naming one of the unit's directories count", "[cgroup-handover]") {
  // Cut short (a CLI that died mid-write): the last, partial line is no path.
  CHECK(parse_handed_over("/sys/fs/cgroup/unitrun/web.service\n/sys/fs/cgroup/memory/unitrun/web.serv", "web") ==
        std::vector<std::string>{"/sys/fs/cgroup/unitrun/web.service"});
  // Another unit's directory, the shared base, a relative path, dot and
  // dot-dot components, an empty component: never removed on the word of
  // the message.
  for (const char* line : {"/sys/fs/cgroup/unitrun/db.service", "/sys/fs/cgroup/unitrun",
                           "sys/fs/cgroup/unitrun/web.service", "/sys/fs/cgroup/../unitrun/web.service",
                           "/sys/fs/./cgroup/unitrun/web.service", "/sys/fs//cgroup/unitrun/web.service",
                           "/unitrun/web.service/..", "/sys/fs/cgroup/unitrun/xweb.service", ""}) {
    INFO(line);
    CHECK(parse_handed_over(std::string(line) + "\n", "web").empty());
  }
  static const char kWithNul[] = "/sys\0/fs/cgroup/unitrun/web.service\n";
  CHECK(parse_handed_over(std::string(kWithNul, sizeof kWithNul - 1), "web").empty());
  // A name that cannot be a cgroup's gets nothing.
  CHECK(parse_handed_over("/sys/fs/cgroup/unitrun/..\n", "..").empty());
}

TEST_CASE("cgroup handover: the monitor reads the pipe to its end, once, and closes it", "[cgroup-handover]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::string message = format_handed_over(kHybrid);
  REQUIRE(::write(write_end.get(), message.data(), message.size()) == static_cast<ssize_t>(message.size()));
  write_end.reset();
  int number = read_end.get();
  CHECK(take_handed_over_dirs(std::move(read_end), "web") == kHybrid);
  CHECK(::fcntl(number, F_GETFD) == -1);  // closed

  // The CLI closed its end without a word (it made nothing, or died).
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd silent_read(fds[0]);
  ::close(fds[1]);
  CHECK(take_handed_over_dirs(std::move(silent_read), "web").empty());
  // No pipe at all (`unitrun run`).
  CHECK(take_handed_over_dirs(UniqueFd(), "web").empty());
}
