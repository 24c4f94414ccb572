// unitrun init (cli/init.cc): a container's PID 1. Real processes; each test
// runs init as nobody with a runtime directory and a unit path of its own
// (shutdown stops every unit of its runtime directory, and other tests run
// beside), as a child subreaper of the test, or as the real PID 1 of a PID
// namespace (unshare). The order of starts and stops is what the services'
// commands write to a file.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "support.h"

using namespace itest;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A unit path and a runtime directory of their own, unitrun as nobody.
class InitDir {
 public:
  InitDir() : prefix_(unique_name("i")), marker_(prefix_ + "-marker") {
    runtime_ = dir_ / "runtime";
    std::string state = dir_ / "state";
    REQUIRE(::mkdir(runtime_.c_str(), 0700) == 0);
    REQUIRE(::mkdir(state.c_str(), 0700) == 0);
    REQUIRE(::chown(runtime_.c_str(), 65534, 65534) == 0);
    REQUIRE(::chown(state.c_str(), 65534, 65534) == 0);
    REQUIRE(::chmod(dir_.path().c_str(), 0777) == 0);  // the services write there
    options_.wrapper = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
    options_.set_env = {"UNITRUN_UNIT_PATH=" + dir_.path(), "UNITRUN_TEST_MARKER=" + marker_,
                        "XDG_RUNTIME_DIR=" + runtime_, "XDG_STATE_HOME=" + state, "HOME=/nonexistent"};
    options_.timeout_ms = 45000;
    order_ = dir_ / "order";
    write_file(order_, "");
    REQUIRE(::chmod(order_.c_str(), 0666) == 0);
  }
  ~InitDir() {
    (void)run_unitrun({"shutdown"}, options_);
    kill_marked(marker_);
    reap_adopted();
    remove_unit_cgroups(prefix_ + "-");
  }
  InitDir(const InitDir&) = delete;
  InitDir& operator=(const InitDir&) = delete;

  std::string operator/(const std::string& f) const { return dir_ / f; }
  const std::string& marker() const { return marker_; }
  const std::string& order() const { return order_; }
  std::string order_text() const { return read_file(order_).value_or(""); }
  RunOptions& options() { return options_; }

  // An enabled service (WantedBy=multi-user.target) that writes start-NAME
  // when it runs and stop-NAME from its ExecStop=; returns its name.
  std::string enabled(const std::string& short_name, const std::string& unit_section = "",
                      const std::string& more = "") {
    std::string n = prefix_ + "-" + short_name + ".service";
    write_file(dir_ / n, "[Unit]\n" + unit_section + "[Service]\nExecStart=/bin/sh -c 'echo start-" + short_name +
                             " >> " + order_ + "; exec sleep 1000'\nExecStop=/bin/sh -c 'echo stop-" + short_name +
                             " >> " + order_ + "'\nEnvironment=UNITRUN_TEST_MARKER=" + marker_ + "\n" + more +
                             "[Install]\nWantedBy=multi-user.target\n");
    RunResult r = run_unitrun({"enable", n}, options_);
    INFO(r.describe());
    REQUIRE(r.exit_code == 0);
    return n;
  }
  // The same as a oneshot that writes start-NAME and remains active: its
  // start returns only once the line is written (a Type=simple service is
  // started before its shell has run).
  std::string enabled_oneshot(const std::string& short_name) {
    std::string n = prefix_ + "-" + short_name + ".service";
    write_file(dir_ / n, "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo start-" +
                             short_name + " >> " + order_ + "'\nExecStop=/bin/sh -c 'echo stop-" + short_name + " >> " +
                             order_ + "'\n[Install]\nWantedBy=multi-user.target\n");
    RunResult r = run_unitrun({"enable", n}, options_);
    INFO(r.describe());
    REQUIRE(r.exit_code == 0);
    return n;
  }
  std::string name(const std::string& short_name) const { return prefix_ + "-" + short_name + ".service"; }

  Running spawn_init(const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv{unitrun_binary(), "init"};
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn(argv, options_);
  }

 private:
  TempDir dir_;
  std::string prefix_, marker_, runtime_, order_;
  RunOptions options_;
};

// The signal mask of a process, from /proc (hex).
uint64_t blocked_signals(pid_t pid) {
  auto blk = proc_status_field(pid, "SigBlk");
  return blk ? std::stoull(*blk, nullptr, 16) : 0;
}
bool blocks(pid_t pid, int sig) { return (blocked_signals(pid) >> (sig - 1)) & 1; }

// init reads SIGTERM from its signalfd once it has blocked it: before that,
// a SIGTERM would kill it (outside a PID namespace) and test nothing.
void wait_until_listening(pid_t init) {
  REQUIRE(wait_until([&] { return blocks(init, SIGTERM); }, 10000));
}

void send(pid_t pid, int sig) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(fd >= 0);
  REQUIRE(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) == 0);
  ::close(fd);
}

}  // namespace

TEST_CASE("init: boots the enabled units, SIGTERM stops them in reverse order, and init exits 0", "[init]") {
  InitDir d;
  std::string a = d.enabled("a");
  std::string b = d.enabled("b", "Requires=" + d.name("a") + "\nAfter=" + d.name("a") + "\n");
  Running init = d.spawn_init();
  wait_until_listening(init.pid());
  REQUIRE(wait_until([&] { return d.order_text() == "start-a\nstart-b\n"; }, 20000));

  // The monitors daemonized: their parent is init, which reaps them.
  std::vector<pid_t> monitors, services;
  REQUIRE(wait_until(
      [&] {
        monitors.clear();
        services.clear();
        for (pid_t p : find_marked(d.marker()))
          if (p != init.pid()) (proc_exe(p).rfind(unitrun_binary(), 0) == 0 ? monitors : services).push_back(p);
        return monitors.size() == 2 && services.size() == 2;
      },
      10000));
  for (pid_t m : monitors) CHECK(proc_stat(m).value_or(ProcStat{}).ppid == init.pid());
  // The services inherit neither init's blocked signals nor its signalfd.
  CHECK(blocks(init.pid(), SIGCHLD));
  for (pid_t s : services) {
    INFO(describe_processes({s}));
    CHECK(blocked_signals(s) == 0);
    for (const auto& [fd, target] : proc_fds(s)) CHECK_FALSE(contains(target, "signalfd"));
  }

  send(init.pid(), SIGTERM);
  RunResult r = init.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "unitrun init: not PID 1"));
  CHECK(d.order_text() == "start-a\nstart-b\nstop-b\nstop-a\n");
  CHECK(find_marked(d.marker()).empty());
  for (const std::string& u : {a, b}) {
    RunResult active = run_unitrun({"is-active", u}, d.options());
    CHECK(active.out == "inactive\n");
  }
}

TEST_CASE("init: a unit that fails at boot makes init's exit code 1", "[init]") {
  InitDir d;
  (void)d.enabled("ok");
  (void)d.enabled("bad", "", "ExecStartPre=/bin/false\n");
  Running init = d.spawn_init();
  wait_until_listening(init.pid());
  // A SIGTERM during the boot waits for it to end.
  send(init.pid(), SIGTERM);
  RunResult r = init.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(contains(d.order_text(), "stop-ok"));
  CHECK(find_marked(d.marker()).empty());
}

TEST_CASE("init -- CMD: the command runs after the boot, and its exit status is init's", "[init]") {
  InitDir d;
  (void)d.enabled_oneshot("a");
  // The command sees the unit started; it exits 7 (3 if the unit had not started).
  RunResult seven =
      run_unitrun({"init", "--", "/bin/sh", "-c", "grep -q start-a " + d.order() + " && exit 7; exit 3"}, d.options());
  INFO(seven.describe());
  CHECK(seven.exit_code == 7);
  CHECK(d.order_text() == "start-a\nstop-a\n");  // and the unit stopped after the command ended

  RunResult killed = run_unitrun({"init", "--", "/bin/sh", "-c", "kill -KILL $$"}, d.options());
  INFO(killed.describe());
  CHECK(killed.exit_code == 128 + SIGKILL);

  std::string missing = d / "no-such-command";
  RunResult not_found = run_unitrun({"init", "--", missing}, d.options());
  INFO(not_found.describe());
  CHECK(not_found.exit_code == 127);
  CHECK(contains(not_found.err, "unitrun init: cannot run '" + missing + "': No such file or directory"));
  CHECK(d.order_text() == "start-a\nstop-a\nstart-a\nstop-a\nstart-a\nstop-a\n");
}

TEST_CASE("init: orphans and the zombies they leave are reaped at once, SIGTERM goes to the command", "[init]") {
  InitDir d;
  std::string orphan_file = d / "orphan";
  // The subshell exits at once: its child P is orphaned to init. P forks a
  // child that exits and execs a program that never waits: a zombie, which
  // init adopts once P dies.
  std::string script = d / "cmd.sh";
  write_file(script,
             "#!/bin/sh\n( sh -c 'echo $$ > " + orphan_file + ".tmp; mv " + orphan_file + ".tmp " + orphan_file +
                 "; sleep 0 & exec sleep 1000' & )\nexec sleep 1000\n",
             0755);
  Running init = d.spawn_init({"--", script});
  REQUIRE(wait_until([&] { return exists(orphan_file); }, 20000));
  pid_t orphan = std::stoi(read_file(orphan_file).value_or("0"));
  REQUIRE(orphan > 0);
  REQUIRE(wait_until([&] { return proc_stat(orphan).value_or(ProcStat{}).ppid == init.pid(); }, 10000));
  std::vector<pid_t> zombies;
  REQUIRE(wait_until([&] { return !(zombies = zombies_of(orphan)).empty(); }, 10000));
  uint64_t orphan_start = proc_stat(orphan)->start_time;
  auto zombie = proc_stat(zombies[0]);
  REQUIRE(zombie);
  send(orphan, SIGKILL);
  // Reaped: gone from /proc, not a zombie of init (generous bound: a hang fails).
  CHECK(wait_until([&] { return !still_there(orphan, orphan_start); }, 10000));
  CHECK(wait_until([&] { return !still_there(zombie->pid, zombie->start_time); }, 10000));
  CHECK(zombies_of(init.pid()).empty());

  // SIGTERM is forwarded to the command, whose end ends init.
  send(init.pid(), SIGTERM);
  RunResult r = init.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 128 + SIGTERM);
}

TEST_CASE("init: as PID 1 of a PID namespace, SIGTERM stops every unit cleanly and init exits (docker stop)",
          "[init]") {
  InitDir d;
  (void)d.enabled("a", "", "ExecStopPost=/bin/sh -c 'echo post-a >> " + d.order() + "'\n");
  (void)d.enabled("b", "Requires=" + d.name("a") + "\nAfter=" + d.name("a") + "\n");
  RunOptions o = d.options();
  o.wrapper.insert(o.wrapper.begin(), {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"});
  Running unshare = spawn({unitrun_binary(), "init"}, o);
  // unshare's child execs setpriv, then unitrun: PID 1 inside.
  pid_t init = 0;
  REQUIRE(wait_until(
      [&] {
        for (const ProcStat& s : all_processes())
          if (s.ppid == unshare.pid() && proc_exe(s.pid).rfind(unitrun_binary(), 0) == 0) init = s.pid;
        return init != 0;
      },
      10000));
  auto nspid = proc_status_field(init, "NSpid");
  REQUIRE(nspid);
  CHECK(nspid->substr(nspid->rfind('\t') + 1) == "1");
  REQUIRE(wait_until([&] { return d.order_text() == "start-a\nstart-b\n"; }, 20000));
  wait_until_listening(init);

  // unshare ignores SIGTERM while it waits: docker's SIGTERM goes to PID 1.
  send(init, SIGTERM);
  RunResult r = unshare.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.err, "not PID 1"));
  CHECK(d.order_text() == "start-a\nstart-b\nstop-b\nstop-a\npost-a\n");
  CHECK(find_marked(d.marker()).empty());
}

TEST_CASE("init: a second SIGTERM or SIGINT during the shutdown changes nothing, the shutdown goes on", "[init]") {
  InitDir d;
  std::string fifo = d / "go";
  make_fifo(fifo);
  // Its ExecStop= holds the shutdown until the test writes to the FIFO.
  (void)d.enabled("slow", "",
                  "ExecStopPost=/bin/sh -c 'echo stopping >> " + d.order() + "; read x < " + fifo + "; echo done-" +
                      "$x >> " + d.order() + "'\n");
  Running init = d.spawn_init();
  wait_until_listening(init.pid());
  REQUIRE(wait_until([&] { return d.order_text() == "start-slow\n"; }, 20000));
  send(init.pid(), SIGTERM);
  REQUIRE(wait_until([&] { return contains(d.order_text(), "stopping"); }, 20000));
  send(init.pid(), SIGTERM);
  send(init.pid(), SIGINT);
  write_fifo(fifo, "ok\n");  // the reader waits already
  RunResult r = init.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "already stopping every unit"));
  CHECK(d.order_text() == "start-slow\nstop-slow\nstopping\ndone-ok\n");
  CHECK(find_marked(d.marker()).empty());
}

TEST_CASE("init: a Ctrl-C, Ctrl-\\ or hangup at the terminal (init's process group) does not cut the shutdown short",
          "[init]") {
  InitDir d;
  std::string fifo = d / "go";
  make_fifo(fifo);
  std::string systemctl = d / "systemctl";  // unitrun under systemctl's name
  REQUIRE(::symlink(unitrun_binary().c_str(), systemctl.c_str()) == 0);
  (void)d.enabled("slow", "",
                  "ExecStopPost=/bin/sh -c 'echo stopping >> " + d.order() + "; read x < " + fifo + "; echo done-" +
                      "$x >> " + d.order() + "'\n");
  d.options().controlling_tty = true;  // a session of its own on a pty: its group is the terminal's foreground
  Running init = d.spawn_init();
  d.options().controlling_tty = false;
  wait_until_listening(init.pid());
  REQUIRE(wait_until([&] { return d.order_text() == "start-slow\n"; }, 20000));
  RunResult running = spawn({systemctl, "is-system-running", "--wait"}, d.options()).wait();
  CHECK(running.out == "running\n");
  CHECK(running.exit_code == 0);
  send(init.pid(), SIGTERM);
  REQUIRE(wait_until([&] { return contains(d.order_text(), "stopping"); }, 20000));
  RunResult stopping = spawn({systemctl, "is-system-running"}, d.options()).wait();
  CHECK(stopping.out == "stopping\n");
  CHECK(stopping.exit_code == 1);
  // What the terminal sends to its foreground group: init and the shutdown
  // child it forked (the services run in sessions of their own).
  for (int sig : {SIGINT, SIGQUIT, SIGHUP, SIGTSTP}) REQUIRE(::kill(-init.pid(), sig) == 0);
  write_fifo(fifo, "ok\n");  // the reader waits already
  RunResult r = init.wait();
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.err, "killed by signal"));
  CHECK(d.order_text() == "start-slow\nstop-slow\nstopping\ndone-ok\n");
  CHECK(find_marked(d.marker()).empty());
}

// (The runtime directory is the test's own: is-system-running reads every
// unit of it.)
TEST_CASE("init: is-system-running says starting while the boot runs, --wait returns once it has ended, degraded",
          "[init]") {
  InitDir d;
  std::string fifo = d / "go";
  make_fifo(fifo);
  std::string systemctl = d / "systemctl";
  REQUIRE(::symlink(unitrun_binary().c_str(), systemctl.c_str()) == 0);
  // Its ExecStartPre= holds the boot until the test writes to the FIFO.
  (void)d.enabled("held", "", "ExecStartPre=/bin/sh -c 'echo pre >> " + d.order() + "; read x < " + fifo + "'\n");
  (void)d.enabled("bad", "", "ExecStartPre=/bin/false\n");
  Running init = d.spawn_init();
  wait_until_listening(init.pid());
  REQUIRE(wait_until([&] { return d.order_text() == "pre\n"; }, 20000));
  RunResult starting = spawn({systemctl, "is-system-running"}, d.options()).wait();
  CHECK(starting.out == "starting\n");
  CHECK(starting.exit_code == 1);
  Running waiting = spawn({systemctl, "is-system-running", "--wait"}, d.options());
  write_fifo(fifo, "ok\n");  // the reader waits already
  RunResult waited = waiting.wait();
  INFO(waited.describe());
  CHECK(waited.out == "degraded\n");  // the boot is over, and one unit failed
  CHECK(waited.exit_code == 1);
  CHECK(d.order_text() == "pre\nstart-held\n");
  send(init.pid(), SIGTERM);
  RunResult r = init.wait();
  CHECK(r.exit_code == 1);  // a unit failed
}

TEST_CASE("init -- CMD: the command has the terminal's foreground, and init takes it back", "[init]") {
  InitDir d;
  (void)d.enabled("a");
  RunOptions o = d.options();
  o.controlling_tty = true;
  // Exit 0 when its process group is the terminal's foreground group (fields 5 and 8 of its stat).
  RunResult r = run_unitrun({"init", "--", "/bin/sh", "-c", "set -- $(cat /proc/$$/stat); [ \"$5\" = \"$8\" ]"}, o);
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.err, "tcsetpgrp"));
  CHECK(d.order_text() == "start-a\nstop-a\n");  // the shutdown ran after it, its output to the terminal
}
