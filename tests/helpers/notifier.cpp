// An sd_notify(3) speaker with a script. Each argument is one step, run in
// order; after the last step it sleeps until a signal ends it.
//
//   env:FILE          writes its own PID, NOTIFY_SOCKET, WATCHDOG_USEC and
//                     WATCHDOG_PID to FILE ("KEY=VALUE" lines, atomically)
//   send:TEXT         one datagram; the two characters \n become a newline
//   empty             an empty datagram
//   garbage           junk: binary bytes, a line without '=', "=x", an 8 KiB
//                     datagram (longer than the monitor reads), "READY=0"
//   flood:N           N junk datagrams
//   sleep:MS          waits MS ms (signals are still handled)
//   ping:K:MS         K WATCHDOG=1 pings, MS ms apart (K=0: forever)
//   stdout:TEXT       a line to stdout; stderr:TEXT a line to stderr
//   exit:CODE         exits with CODE
//   kill:SIG          dies of signal SIG (a number; no core dump)
//   fork-mainpid      forks a child that sleeps, sends MAINPID=<child>
//   child-send:TEXT   a forked child sends TEXT, lingers 500 ms and exits;
//                     waited for
//   mainpid:PID       sends MAINPID=PID
//   wait-file:PATH    waits until PATH exists
//   usr1:TEXT         waits for a SIGUSR1 (other signals are handled
//                     meanwhile), then sends TEXT: a test's way to have a
//                     process of the unit's tree speak at a moment it picks
//   hup-log:FILE      from now on SIGHUP appends "HUP\n" to FILE
//   reload-ms:MS      from now on SIGHUP sends RELOADING=1, waits MS ms, sends READY=1
//   reload-usr1       from now on SIGHUP sends RELOADING=1, waits for a
//                     SIGUSR1, sends READY=1: the reload lasts until the
//                     test has seen it
//   on-term:stopping  from now on SIGTERM sends STATUS=shutting down and
//                     STOPPING=1, then exits 0 at once
//   on-term:stopping:MS  the same, but exits MS ms after sending
//
// Signals are blocked and taken with sigtimedwait, so "handlers" run between
// steps, never inside a send. SIGUSR1 is blocked from the start and taken
// only by a usr1: step: one sent earlier waits, pending, for that step.
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string hup_log;
long reload_ms = -1;
bool reload_until_usr1 = false;
bool term_stopping = false;
long term_linger_ms = 0;
int sock = -1;

long long now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool send_raw(const std::string& data) {
  const char* addr_env = std::getenv("NOTIFY_SOCKET");
  if (!addr_env || !*addr_env) return false;
  std::string addr = addr_env;
  struct sockaddr_un sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (addr.size() >= sizeof sa.sun_path) return false;
  std::memcpy(sa.sun_path, addr.data(), addr.size());
  if (addr[0] == '@') sa.sun_path[0] = '\0';
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + addr.size());
  if (sock < 0) sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return false;
  ssize_t n = sendto(sock, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&sa), len);
  return n == static_cast<ssize_t>(data.size());
}

void send_text(std::string text) {
  for (size_t at; (at = text.find("\\n")) != std::string::npos;) text.replace(at, 2, "\n");
  if (!send_raw(text)) std::fprintf(stderr, "notifier: send '%s' failed: %s\n", text.c_str(), std::strerror(errno));
}

void write_line(int fd, const std::string& s) {
  std::string line = s + "\n";
  (void)!write(fd, line.data(), line.size());
}

void append_file(const std::string& path, const std::string& s) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_line(fd, s);
  close(fd);
}

void write_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!write(fd, content.data(), content.size());
  close(fd);
  rename(tmp.c_str(), path.c_str());
}

void sleep_ms(long ms);
void wait_for_signal(int wanted);

void handle(int sig) {
  if (sig == SIGHUP) {
    if (!hup_log.empty()) append_file(hup_log, "HUP");
    if (reload_ms >= 0 || reload_until_usr1) {
      send_text("RELOADING=1");
      if (reload_until_usr1)
        wait_for_signal(SIGUSR1);
      else
        sleep_ms(reload_ms);
      send_text("READY=1");
    }
  } else if (sig == SIGTERM || sig == SIGINT) {
    if (term_stopping) {
      send_text("STATUS=shutting down\\nSTOPPING=1");
      if (term_linger_ms > 0) {
        struct timespec ts = {term_linger_ms / 1000, (term_linger_ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) < 0) {
        }
      }
    }
    _exit(0);
  }
}

// Sleeps, running the "handlers" of signals that arrive meanwhile.
void sleep_ms(long ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  long long deadline = now_ms() + ms;
  while (true) {
    long long left = deadline - now_ms();
    if (ms >= 0 && left <= 0) return;
    struct timespec ts;
    if (ms < 0)
      ts = {3600, 0};
    else
      ts = {static_cast<time_t>(left / 1000), static_cast<long>((left % 1000) * 1000000)};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) handle(sig);
  }
}

// Waits for `wanted`, running the "handlers" of the others meanwhile.
void wait_for_signal(int wanted) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, wanted);
  while (true) {
    int sig = sigwaitinfo(&set, nullptr);
    if (sig == wanted) return;
    if (sig > 0) handle(sig);
  }
}

void junk() {
  send_raw(std::string("\x01\x02\xff\xfe\x00\x00garbage\x7f", 13));
  send_raw("no equals sign here");
  send_raw("=x\n=\n");
  send_raw(std::string(8192, 'R'));
  send_raw("READY=" + std::string(8192, '1'));
  send_raw("READY=0");
  send_raw("MAINPID=garbage\nMAINPID=-5\nWATCHDOG_USEC=xyz\nEXTEND_TIMEOUT_USEC=-1\nERRNO=abc");
}

std::string after(const std::string& arg, const std::string& prefix) { return arg.substr(prefix.size()); }
bool starts(const std::string& arg, const std::string& prefix) { return arg.rfind(prefix, 0) == 0; }

}  // namespace

int main(int argc, char** argv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  // Until a step asks for SIGHUP handling, SIGHUP keeps its default action
  // (it ends the process), as in a program that knows nothing of reloads.
  sigprocmask(SIG_BLOCK, &set, nullptr);
  bool hup_handled = false;
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  sigprocmask(SIG_UNBLOCK, &hup, nullptr);

  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (starts(a, "env:")) {
      auto get = [](const char* k) {
        const char* v = std::getenv(k);
        return std::string(v ? v : "");
      };
      write_atomic(after(a, "env:"), "PID=" + std::to_string(getpid()) + "\nNOTIFY_SOCKET=" + get("NOTIFY_SOCKET") +
                                         "\nWATCHDOG_USEC=" + get("WATCHDOG_USEC") +
                                         "\nWATCHDOG_PID=" + get("WATCHDOG_PID") + "\n");
    } else if (starts(a, "send:")) {
      send_text(after(a, "send:"));
    } else if (a == "empty") {
      send_raw("");
    } else if (a == "garbage") {
      junk();
    } else if (starts(a, "flood:")) {
      long n = std::atol(after(a, "flood:").c_str());
      for (long k = 0; k < n; ++k) {
        if (k % 3 == 0)
          send_raw("");
        else if (k % 3 == 1)
          send_raw("junk junk");
        else
          send_raw(std::string("\xff\x00=", 3));
      }
    } else if (starts(a, "sleep:")) {
      sleep_ms(std::atol(after(a, "sleep:").c_str()));
    } else if (starts(a, "ping:")) {
      std::string rest = after(a, "ping:");
      long k = std::atol(rest.c_str());
      long ms = std::atol(rest.substr(rest.find(':') + 1).c_str());
      for (long n = 0; k == 0 || n < k; ++n) {
        send_text("WATCHDOG=1");
        sleep_ms(ms);
      }
    } else if (starts(a, "stdout:")) {
      write_line(1, after(a, "stdout:"));
    } else if (starts(a, "stderr:")) {
      write_line(2, after(a, "stderr:"));
    } else if (starts(a, "exit:")) {
      _exit(std::atoi(after(a, "exit:").c_str()));
    } else if (starts(a, "kill:")) {
      int sig = std::atoi(after(a, "kill:").c_str());
      struct rlimit no_core = {0, 0};
      setrlimit(RLIMIT_CORE, &no_core);
      signal(sig, SIG_DFL);
      sigset_t all;
      sigfillset(&all);
      sigprocmask(SIG_UNBLOCK, &all, nullptr);
      raise(sig);
      _exit(99);
    } else if (a == "fork-mainpid") {
      pid_t child = fork();
      if (child == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);  // a plain process: SIGTERM ends it
        for (;;) pause();
      }
      send_text("MAINPID=" + std::to_string(child));
    } else if (starts(a, "child-send:")) {
      pid_t child = fork();
      if (child == 0) {
        send_text(after(a, "child-send:"));
        struct timespec ts = {0, 500000000};  // still there while the monitor reads it
        while (nanosleep(&ts, &ts) < 0) {
        }
        _exit(0);
      }
      int status;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
    } else if (starts(a, "mainpid:")) {
      send_text("MAINPID=" + after(a, "mainpid:"));
    } else if (starts(a, "wait-file:")) {
      std::string path = after(a, "wait-file:");
      struct stat st;
      while (stat(path.c_str(), &st) != 0) sleep_ms(10);
    } else if (starts(a, "usr1:")) {
      wait_for_signal(SIGUSR1);
      send_text(after(a, "usr1:"));
    } else if (starts(a, "hup-log:")) {
      hup_log = after(a, "hup-log:");
      hup_handled = true;
    } else if (a == "reload-usr1") {
      reload_until_usr1 = true;
      hup_handled = true;
    } else if (starts(a, "reload-ms:")) {
      reload_ms = std::atol(after(a, "reload-ms:").c_str());
      hup_handled = true;
    } else if (a == "on-term:stopping") {
      term_stopping = true;
    } else if (starts(a, "on-term:stopping:")) {
      term_stopping = true;
      term_linger_ms = std::atol(after(a, "on-term:stopping:").c_str());
    } else {
      std::fprintf(stderr, "notifier: unknown step '%s'\n", a.c_str());
      return 2;
    }
    if (hup_handled) sigprocmask(SIG_BLOCK, &hup, nullptr);
  }
  sleep_ms(-1);
}
