// X-Unitrun-Timestamps=yes: the service's output passes through the monitor,
// which stamps each line (runtime/line_stamp.h); `logs` strips the stamps,
// shows them (--timestamps), filters by them (--since) and interleaves a
// separate StandardError= file by them. Without the key, the service writes
// to its file itself. Services that must wait wait on FIFOs the test opens.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/line_stamp.h"
#include "supervision_util.h"

using namespace itest;
using itest::sv::start_ok;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0, nl;
  while ((nl = text.find('\n', start)) != std::string::npos) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

// Lets a service blocked in `read < FIFO` go on: opens the FIFO for writing
// once the service has opened it for reading, and writes a line.
void release(const std::string& fifo) {
  int fd = -1;
  REQUIRE(wait_until(
      [&] {
        fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        return fd >= 0;
      },
      10000));
  REQUIRE(::write(fd, "go\n", 3) == 3);
  ::close(fd);
}

// The lines of `path` once `count` of them are complete, each with a stamp.
std::vector<std::string> stamped_lines(const std::string& path, size_t count) {
  bool enough = wait_until([&] { return lines_of(read_file(path).value_or("")).size() >= count; }, 10000);
  std::string text = read_file(path).value_or("");
  INFO(path << " holds:\n" << text);
  REQUIRE(enough);
  std::vector<std::string> lines = lines_of(text);
  for (const std::string& line : lines) {
    INFO(line.substr(0, 80));
    CHECK(unitrun::parse_stamp(line).has_value());
  }
  return lines;
}

}  // namespace

TEST_CASE("X-Unitrun-Timestamps=yes stamps every line, cuts a long one, ends a partial one", "[output][timestamps]") {
  TempDir dir;
  std::string out = dir / "out.log", err = dir / "err.log";
  write_file(dir / "talk.sh",
             "#!/bin/sh\n"
             "printf 'one\\ntwo\\n'\n"
             "echo oops >&2\n"
             "head -c 50000 /dev/zero | tr '\\0' x; echo\n"
             "printf 'no newline'\n",
             0755);
  TestUnit u(dir, "stamped", dir / "talk.sh",
             {.extra = "Type=oneshot\nRemainAfterExit=yes\nStandardOutput=append:" + out +
                       "\nStandardError=append:" + err + "\nX-Unitrun-Timestamps=yes\n"});
  RunResult r = u.start();
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  // The oneshot has exited by now: the run's last partial line is out too,
  // with a newline added.
  std::vector<std::string> lines = stamped_lines(out, 5);
  REQUIRE(lines.size() == 5);
  auto text = [&](size_t i) { return std::string(unitrun::strip_stamp(lines[i])); };
  CHECK(text(0) == "one");
  CHECK(text(1) == "two");
  CHECK(text(2) == std::string(unitrun::kMaxStampedLine, 'x'));  // journald's LINE_MAX, then a new line
  CHECK(text(3) == std::string(50000 - unitrun::kMaxStampedLine, 'x'));
  CHECK(text(4) == "no newline");
  CHECK(read_file(out).value_or("").back() == '\n');
  for (size_t i = 1; i < lines.size(); ++i)
    CHECK(*unitrun::parse_stamp(lines[i - 1]) <= *unitrun::parse_stamp(lines[i]));
  // stderr to a file of its own: a pipe and stamps of its own.
  std::vector<std::string> errors = stamped_lines(err, 1);
  REQUIRE(errors.size() == 1);
  CHECK(unitrun::strip_stamp(errors[0]) == "oops");
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("logs strips the stamps, shows them with --timestamps, filters with --since, interleaves stderr",
          "[output][timestamps][logs]") {
  TempDir dir;
  std::string out = dir / "out.log", err = dir / "err.log", f1 = dir / "fifo1", f2 = dir / "fifo2";
  REQUIRE(::mkfifo(f1.c_str(), 0600) == 0);
  REQUIRE(::mkfifo(f2.c_str(), 0600) == 0);
  write_file(dir / "talk.sh",
             "#!/bin/sh\necho first\nread x < " + f1 + "\necho second >&2\nread x < " + f2 +
                 "\necho third\nexec /bin/sleep 1000\n",
             0755);
  TestUnit u(
      dir, "stamplogs", dir / "talk.sh",
      {.extra = "StandardOutput=append:" + out + "\nStandardError=append:" + err + "\nX-Unitrun-Timestamps=yes\n"});
  pid_t pid = start_ok(u);
  stamped_lines(out, 1);
  release(f1);
  std::vector<std::string> second = stamped_lines(err, 1);
  release(f2);
  stamped_lines(out, 2);
  REQUIRE(wait_until([&] { return proc_cmdline(pid) == "/bin/sleep 1000"; }, 5000));
  // The service writes into pipes, not into its files.
  CHECK(fd_target(pid, 1).rfind("pipe:", 0) == 0);
  CHECK(fd_target(pid, 2).rfind("pipe:", 0) == 0);
  CHECK(fd_target(pid, 1) != fd_target(pid, 2));

  RunResult plain = run_unitrun({"logs", u.path()});
  INFO(plain.describe());
  CHECK(plain.exit_code == 0);
  CHECK(plain.out == "first\nsecond\nthird\n");  // by time, without headers, without stamps

  RunResult stamped = run_unitrun({"logs", u.path(), "--timestamps"});
  INFO(stamped.describe());
  CHECK(stamped.exit_code == 0);
  std::vector<std::string> lines = lines_of(stamped.out);
  REQUIRE(lines.size() == 3);
  CHECK(unitrun::strip_stamp(lines[0]) == "first");
  CHECK(unitrun::strip_stamp(lines[1]) == "second");
  CHECK(unitrun::strip_stamp(lines[2]) == "third");
  // Each was written only after the test saw the one before in its file.
  CHECK(*unitrun::parse_stamp(lines[0]) < *unitrun::parse_stamp(lines[1]));
  CHECK(*unitrun::parse_stamp(lines[1]) < *unitrun::parse_stamp(lines[2]));

  // --since the second line's own time (as --timestamps printed it).
  std::string since = second[0].substr(0, unitrun::kStampSize - 1);
  RunResult from = run_unitrun({"logs", u.path(), "--since", since});
  INFO(from.describe());
  CHECK(from.exit_code == 0);
  CHECK(from.out == "second\nthird\n");
  RunResult last = run_unitrun({"logs", u.path(), "--since", since, "-n", "1", "--timestamps"});
  CHECK(last.exit_code == 0);
  CHECK(last.out == lines[2] + "\n");
  RunResult recent = run_unitrun({"logs", u.path(), "--since", "-1h"});
  CHECK(recent.out == "first\nsecond\nthird\n");
  RunResult future = run_unitrun({"logs", u.path(), "--since", "+1h"});
  CHECK(future.exit_code == 0);
  CHECK(future.out.empty());
  RunResult bad = run_unitrun({"logs", u.path(), "--since", "soon"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--since: invalid time 'soon'") != std::string::npos);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("without X-Unitrun-Timestamps= the service writes to its file itself and --since is refused",
          "[output][timestamps][logs]") {
  TempDir dir;
  TestUnit u(dir, "direct", "/bin/sh -c \"echo hello; exec /bin/sleep 1000\"");
  pid_t pid = start_ok(u);
  REQUIRE(wait_until([&] { return proc_cmdline(pid) == "/bin/sleep 1000"; }, 5000));
  CHECK(fd_target(pid, 1) == u.log());
  CHECK(fd_target(pid, 2) == u.log());
  REQUIRE(wait_until([&] { return read_file(u.log()) == "hello\n"; }, 5000));
  RunResult shown = run_unitrun({"logs", u.path(), "--timestamps"});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out == "hello\n");  // nothing to show: the lines as they are
  RunResult since = run_unitrun({"logs", u.path(), "--since", "-5min"});
  INFO(since.describe());
  CHECK(since.exit_code == 2);
  CHECK(since.out.empty());
  CHECK(since.err.find("--since needs timestamps, and the service's output carries none (set "
                       "X-Unitrun-Timestamps=yes in its [Service] section and restart it)") != std::string::npos);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("a service with stamped output is not held up while its monitor is stopped", "[output][timestamps]") {
  TempDir dir;
  std::string done = dir / "done";
  // 512 KiB in 8 KiB lines: more than a default pipe holds, less than the
  // monitor's (1 MiB).
  write_file(dir / "burst.sh",
             "#!/bin/sh\nhead -c 524288 /dev/zero | tr '\\0' y | fold -w 8191; echo\ntouch " + done +
                 "\nexec /bin/sleep 1000\n",
             0755);
  TestUnit u(dir, "burst", dir / "burst.sh", {.extra = "X-Unitrun-Timestamps=yes\n"});
  // The monitor is stopped as soon as `start` returns: whatever the service
  // has left to write must fit in the pipe.
  RunResult r = u.start();
  REQUIRE(r.exit_code == 0);
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  REQUIRE(::kill(monitors[0], SIGSTOP) == 0);
  bool finished = wait_until([&] { return exists(done); }, 20000);
  REQUIRE(::kill(monitors[0], SIGCONT) == 0);
  CHECK(finished);
  // Everything arrives, stamped.
  std::vector<std::string> lines = stamped_lines(u.log(), 65);
  CHECK(lines.size() == 65);  // 64 lines of 8191 'y' and a newline, and the 64 bytes fold leaves
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("stamped output to a full disk is reported once and the service goes on", "[output][timestamps]") {
  MachineLogTurn turn(MachineLogTurn::Kind::Reading);  // its monitor's line is counted there
  TempDir dir;
  std::string small = dir / "small";
  REQUIRE(::mkdir(small.c_str(), 0755) == 0);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k") != 0) {
    WARN("cannot mount a tmpfs here: " << std::strerror(errno));
    return;
  }
  std::string done = dir / "done";
  write_file(dir / "flood.sh", "#!/bin/sh\nseq 1 200000\ntouch " + done + "\nexec /bin/sleep 1000\n", 0755);
  std::string out = small + "/out.log";
  {
    TestUnit u(dir, "full", dir / "flood.sh",
               {.extra = "StandardOutput=append:" + out + "\nX-Unitrun-Timestamps=yes\n"});
    start_ok(u);
    CHECK(wait_until([&] { return exists(done); }, 20000));
    RunResult st = u.status();
    CHECK(st.exit_code == 0);  // running
    CHECK(u.stop().exit_code == 0);
  }
  std::string log = read_file("/var/log/unitrun.log").value_or("");
  size_t count = 0;
  std::string needle = "cannot write the service's output to '" + out + "'";
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++count;
  CHECK(count == 1);
  CHECK(::umount2(small.c_str(), MNT_DETACH) == 0);
}

TEST_CASE("reopen-logs makes a monitor reopen a stamped output file", "[output][timestamps][logs]") {
  TempDir dir;
  std::string out = dir / "out.log", fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  write_file(dir / "talk.sh", "#!/bin/sh\necho before\nread x < " + fifo + "\necho after\nexec /bin/sleep 1000\n",
             0755);
  TestUnit u(dir, "rotate", dir / "talk.sh",
             {.extra = "StandardOutput=append:" + out + "\nX-Unitrun-Timestamps=yes\n"});
  start_ok(u);
  stamped_lines(out, 1);
  REQUIRE(::rename(out.c_str(), (out + ".1").c_str()) == 0);
  RunResult r = run_unitrun({"reopen-logs"});
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  // The reopen happens when the monitor reads its SIGHUP: the new file
  // appears then.
  REQUIRE(wait_until([&] { return exists(out); }, 10000));
  release(fifo);
  std::vector<std::string> lines = stamped_lines(out, 1);
  REQUIRE(lines.size() == 1);
  CHECK(unitrun::strip_stamp(lines[0]) == "after");
  CHECK(lines_of(read_file(out + ".1").value_or("")).size() == 1);
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("logs -f of stamped output prints whole lines as they come, stripped or stamped",
          "[output][timestamps][logs]") {
  TempDir dir;
  // A FIFO per pause: a release() of the same FIFO could be taken by the
  // reader of the pause before, whose read has not closed it yet.
  std::string out = dir / "out.log", err = dir / "err.log";
  std::string fifo1 = dir / "fifo1", fifo2 = dir / "fifo2", fifo3 = dir / "fifo3";
  for (const std::string& f : {fifo1, fifo2, fifo3}) REQUIRE(::mkfifo(f.c_str(), 0600) == 0);
  write_file(dir / "talk.sh",
             "#!/bin/sh\necho old\nread x < " + fifo1 + "\necho new >&2\nread x < " + fifo2 +
                 "\nprintf 'half'\nread x < " + fifo3 + "\necho ' whole'\nexec /bin/sleep 1000\n",
             0755);
  TestUnit u(
      dir, "stampfollow", dir / "talk.sh",
      {.extra = "StandardOutput=append:" + out + "\nStandardError=append:" + err + "\nX-Unitrun-Timestamps=yes\n"});
  start_ok(u);
  stamped_lines(out, 1);
  std::string plain = dir / "plain", stamped = dir / "stamped";
  RunOptions po, so;
  po.wrapper = {"/bin/sh", "-c", "exec \"$@\" > " + plain, "sh"};
  so.wrapper = {"/bin/sh", "-c", "exec \"$@\" > " + stamped, "sh"};
  Running follow_plain = spawn({unitrun_binary(), "logs", u.path(), "-f"}, po);
  Running follow_stamped = spawn({unitrun_binary(), "logs", u.path(), "-f", "--timestamps"}, so);
  REQUIRE(wait_until([&] { return read_file(plain) == "old\n"; }, 10000));
  REQUIRE(wait_until([&] { return lines_of(read_file(stamped).value_or("")).size() == 1; }, 10000));
  release(fifo1);  // "new" to stderr's file
  CHECK(wait_until([&] { return read_file(plain) == "old\nnew\n"; }, 10000));
  // Only now "half" without its newline to stdout's: two pipes read in
  // whatever order epoll reports them have no order between them that a
  // stamp could keep, so the test makes one.
  release(fifo2);
  release(fifo3);
  CHECK(wait_until([&] { return read_file(plain) == "old\nnew\nhalf whole\n"; }, 10000));
  CHECK(wait_until([&] { return lines_of(read_file(stamped).value_or("")).size() == 3; }, 10000));
  for (Running* r : {&follow_plain, &follow_stamped}) {
    REQUIRE(::kill(r->pid(), SIGTERM) == 0);
    r->wait();
  }
  std::vector<std::string> lines = lines_of(read_file(stamped).value_or(""));
  REQUIRE(lines.size() == 3);
  CHECK(unitrun::strip_stamp(lines[1]) == "new");
  CHECK(unitrun::strip_stamp(lines[2]) == "half whole");
  for (const std::string& line : lines) CHECK(unitrun::parse_stamp(line).has_value());
  CHECK(u.stop().exit_code == 0);
}

TEST_CASE("X-Unitrun-Timestamps=yes: a failed start quotes what the service said, without the stamps", "[timestamps]") {
  TempDir dir;
  TestUnit u(dir, "stampfail", "/bin/sh -c \"echo it went wrong >&2; exit 3\"",
             {.extra = "X-Unitrun-Timestamps=yes\nType=oneshot\n"});
  RunResult r = u.start();
  INFO(r.describe());
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("  | it went wrong") != std::string::npos);
  for (const std::string& line : lines_of(r.err))
    if (size_t quote = line.find("  | "); quote != std::string::npos)
      CHECK_FALSE(unitrun::parse_stamp(std::string_view(line).substr(quote + 4)).has_value());
}

TEST_CASE("X-Unitrun-Timestamps=yes with KillMode=process is refused at load, naming the line",
          "[output][timestamps]") {
  TempDir dir;
  std::string unit = dir / (unique_name("stampkill") + ".service");
  write_file(unit, "[Service]\nExecStart=/bin/true\nKillMode=process\nX-Unitrun-Timestamps=yes\n");
  RunResult checked = run_unitrun({"check", unit});
  INFO(checked.describe());
  CHECK(checked.exit_code != 0);
  CHECK(checked.err.find(unit + ":4: ") != std::string::npos);
  CHECK(checked.err.find("KillMode=process") != std::string::npos);
  RunResult started = run_unitrun({"start", unit});
  INFO(started.describe());
  CHECK(started.exit_code != 0);
}
