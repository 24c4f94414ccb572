// The floor model of issue 10: unitrun's start and stop protocol and the
// guarantees it gives, and nothing else, in plain C. What any implementation
// of those guarantees pays on this machine; bench/run measures it beside
// unitrun and daemonize ("What the guarantees cost: the floor model" in
// docs/benchmarks.md says what it includes and what it leaves out).
//
//   floor start STEM -- /ABS/PROG ARGS...   exits 0 once PROG runs
//   floor stop STEM                         exits 0 once the monitor is gone
//
// start: the CLI takes the unit's start lock (byte 1 of STEM.lock, waiting)
// and its alive lock (byte 0; held by a live monitor: exit 0), forks the
// monitor and waits on a pipe. The monitor (own session, stdio /dev/null, no
// other inherited fd, signals blocked and read from a signalfd, subreaper)
// makes the unit's cgroups, clones the service into them (clone3 with
// CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP, so a failed exec is known before
// the reply), reads the service's start time, writes the record naming the
// service, then the pidfile (each a tmp file + rename), drops the start lock
// and replies "ok PID". The alive lock lives as long as the monitor.
// stop: the CLI takes the start lock, reads the record, opens a pidfd of the
// monitor, checks its start time (a reused PID is not signalled), sends
// SIGTERM through the pidfd and waits for the pidfd to report the exit. The
// monitor SIGTERMs (and SIGCONTs) every member of the unit's cgroup, reaps
// until it has no child and the cgroup is empty (cgroup.kill, else SIGKILL,
// after 10 s), removes the pidfile and the cgroups, writes the record
// "inactive" and exits.
//
// Files: /run/unitrun-floor/STEM.{lock,state,pid}. Cgroups: pure v2
// /sys/fs/cgroup/unitrun-floor/STEM; hybrid /sys/fs/cgroup/unified/
// unitrun-floor/STEM and the v1 memory and pids hierarchies' unitrun-floor/
// STEM. A tree with no cgroup2 mount is refused. x86_64 only (clone3's
// trampoline).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_DIR "/run/unitrun-floor"
#define CG_NAME "unitrun-floor"
#define STOP_TIMEOUT_MS 10000
#define MAX_MEMBERS 512

static const char* stem;                    // the unit's name: its files' and cgroups' names
static int run_dir = -1;                    // RUN_DIR, opened without following symlinks
static int reply_fd = -1;                   // the monitor's end of the CLI's pipe until the reply
static pid_t service;                       // the monitor's service, 0 once reaped
static char cg_v2[256];                     // the unit's directory in the cgroup2 tree
static struct { char dir[256]; } cg_v1[2];  // ... and in the v1 memory and pids hierarchies
static int n_v1;
static int made_cgroups;  // by this monitor: a failed start removes them
static char cg_rel[160];  // "/unitrun-floor/STEM", as /proc/PID/cgroup's "0::" line says it

// Fails the command: to stderr in the CLI; in the monitor, as the reply the
// CLI prints (if it is still waiting), after killing what was started.
static void die(const char* fmt, ...) {
  int saved = errno;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  errno = saved;  // for %m
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (reply_fd >= 0) {
    char line[600];
    int n = snprintf(line, sizeof line, "fail %s\n", msg);
    (void)!write(reply_fd, line, (size_t)n);  // nothing is left to tell if this fails
  } else {
    fprintf(stderr, "floor: %s\n", msg);
  }
  // A failed start leaves nothing: best effort, as this is a failure already.
  if (service > 0 && kill(service, SIGKILL) == 0) (void)waitpid(service, NULL, 0);
  if (made_cgroups) {
    (void)rmdir(cg_v2);
    for (int i = 0; i < n_v1; ++i) (void)rmdir(cg_v1[i].dir);
  }
  exit(1);
}

static void check_close(int fd) {
  if (close(fd) < 0) die("close: %m");
}

// The runtime directory, made on first use; never through a symlink.
static void open_run_dir(int create) {
  struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
  run_dir = (int)syscall(SYS_openat2, AT_FDCWD, RUN_DIR, &how, sizeof how);
  if (run_dir < 0 && errno == ENOENT && create) {
    if (mkdir(RUN_DIR, 0755) < 0 && errno != EEXIST) die("mkdir " RUN_DIR ": %m");
    run_dir = (int)syscall(SYS_openat2, AT_FDCWD, RUN_DIR, &how, sizeof how);
  }
  if (run_dir < 0 && !(errno == ENOENT && !create)) die("open " RUN_DIR ": %m");
}

// STEM + suffix in the runtime directory.
static const char* unit_file(char* buf, size_t size, const char* suffix) {
  if ((size_t)snprintf(buf, size, "%s%s", stem, suffix) >= size) die("name too long");
  return buf;
}

// Replaces a runtime file at once: readers see the old text or the new one.
// The text is written into a spare (the file's previous version), which is
// then exchanged with the file: on ext4 (this machine's /run) a rename
// that replaces a file, or an O_TRUNC, makes the kernel allocate the new
// data's blocks at once (auto_da_alloc), 0.3 ms a write; unitrun's state
// record does the same (runtime/safe_files.cc). Records are RECORD_SIZE
// bytes, space-padded, so that the spare is overwritten in place.
#define RECORD_SIZE 64
static void write_record(const char* suffix, const char* text) {
  char name[256], spare[300], record[RECORD_SIZE];
  unit_file(name, sizeof name, suffix);
  snprintf(spare, sizeof spare, ".%s.spare", name);
  memset(record, ' ', sizeof record);
  memcpy(record, text, strlen(text) < sizeof record ? strlen(text) : sizeof record - 1);
  record[sizeof record - 1] = '\n';
  int fd = openat(run_dir, spare, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) die("open %s: %m", spare);
  if (write(fd, record, sizeof record) != sizeof record) die("write %s: %m", spare);
  check_close(fd);
  if (renameat2(run_dir, spare, run_dir, name, RENAME_EXCHANGE) == 0) return;
  if (errno != ENOENT || renameat(run_dir, spare, run_dir, name) < 0) die("rename %s: %m", name);  // the first
}

// A new file (the pidfile: removed at each stop, so the rename replaces
// nothing), complete when it appears.
static void write_new_file(const char* suffix, const char* text) {
  char name[256], tmp[300];
  unit_file(name, sizeof name, suffix);
  snprintf(tmp, sizeof tmp, ".%s.tmp", name);
  int fd = openat(run_dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) die("open %s: %m", tmp);
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len) die("write %s: %m", tmp);
  check_close(fd);
  if (renameat(run_dir, tmp, run_dir, name) < 0) die("rename %s: %m", name);
}

// A runtime file's text, or -1 when it does not exist.
static ssize_t read_file(const char* suffix, char* buf, size_t size) {
  char name[256];
  int fd = openat(run_dir, unit_file(name, sizeof name, suffix), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return -1;
  if (fd < 0) die("open %s: %m", name);
  ssize_t n = read(fd, buf, size - 1);
  if (n < 0) die("read %s: %m", name);
  buf[n] = '\0';
  check_close(fd);
  return n;
}

// /proc/PID/stat's start time (field 22, clock ticks since boot); 0 when
// the process is gone. The command name (field 2) may hold spaces and ')'.
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return 0;
  if (fd < 0) die("open %s: %m", path);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0 && errno == ESRCH) n = 0;
  if (n < 0) die("read %s: %m", path);
  buf[n] = '\0';
  check_close(fd);
  char* p = strrchr(buf, ')');
  for (int i = 0; i < 20 && p; ++i) p = strchr(p + 1, ' ');  // to the space before field 22
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

// ---------------------------------------------------------------- cgroups

// DIR/FILE into buf.
static const char* path_in(char* buf, size_t size, const char* dir, const char* file) {
  if ((size_t)snprintf(buf, size, "%s/%s", dir, file) >= size) die("path too long: %s/%s", dir, file);
  return buf;
}

// Pure v2 or hybrid, told by the file system types (statfs), as unitrun
// tells them when mountinfo is not needed.
static void cgroup_paths(void) {
  struct statfs fs;
  snprintf(cg_rel, sizeof cg_rel, "/" CG_NAME "/%s", stem);
  if (statfs("/sys/fs/cgroup", &fs) < 0) die("statfs /sys/fs/cgroup: %m");
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    snprintf(cg_v2, sizeof cg_v2, "/sys/fs/cgroup%s", cg_rel);
    return;
  }
  if (statfs("/sys/fs/cgroup/unified", &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
    die("no cgroup2 tree at /sys/fs/cgroup or /sys/fs/cgroup/unified");
  snprintf(cg_v2, sizeof cg_v2, "/sys/fs/cgroup/unified%s", cg_rel);
  static const char* const controllers[] = {"memory", "pids"};
  for (int i = 0; i < 2; ++i) {
    char mount[64];
    snprintf(mount, sizeof mount, "/sys/fs/cgroup/%s", controllers[i]);
    if (statfs(mount, &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC)
      snprintf(cg_v1[n_v1++].dir, sizeof cg_v1[0].dir, "%s%s", mount, cg_rel);
  }
}

// The PIDs in the unit's cgroup now (the v2 tree tracks them in both
// layouts), into `out`, which holds MAX_MEMBERS: the stop reads again
// until none is left.
static int members(pid_t out[MAX_MEMBERS]) {
  char path[300], buf[4096];
  int fd = open(path_in(path, sizeof path, cg_v2, "cgroup.procs"), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open %s: %m", path);
  size_t len = 0;
  ssize_t r;
  while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
    if (r < 0) die("read %s: %m", path);
    len += (size_t)r;
  }
  check_close(fd);
  buf[len] = '\0';
  if (len == sizeof buf - 1) {  // full: the last line may be cut, and is read next time
    char* last = strrchr(buf, '\n');
    *(last ? last : buf) = '\0';
  }
  int n = 0;
  for (char *p = buf, *end; n < MAX_MEMBERS; p = end) {
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    out[n++] = (pid_t)pid;
  }
  return n;
}

// Makes one of the unit's cgroup directories (and the shared parent, once).
// One left by a SIGKILLed monitor is reused if empty (checked by the caller).
static void make_cgroup(const char* path) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) die("mkdir %s: %m", path);
  char parent[256];
  snprintf(parent, sizeof parent, "%s", path);
  *strrchr(parent, '/') = '\0';
  if (mkdir(parent, 0755) < 0 && errno != EEXIST) die("mkdir %s: %m", parent);
  if (mkdir(path, 0755) < 0 && errno != EEXIST) die("mkdir %s: %m", path);
}

static void remove_cgroups(void) {
  if (rmdir(cg_v2) < 0 && errno != ENOENT) die("rmdir %s: %m", cg_v2);
  for (int i = 0; i < n_v1; ++i)
    if (rmdir(cg_v1[i].dir) < 0 && errno != ENOENT) die("rmdir %s: %m", cg_v1[i].dir);
}

// Whether PID is in the unit's cgroup (or one below it) now.
static int in_unit_cgroup(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;  // gone
  ssize_t n = read(fd, buf, sizeof buf - 1);
  check_close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char* line = strstr(buf, "0::");
  if (line && (line == buf || line[-1] == '\n')) {
    size_t len = strlen(cg_rel);
    line += 3;
    return strncmp(line, cg_rel, len) == 0 && (line[len] == '\n' || line[len] == '/');
  }
  return 0;
}

// ---------------------------------------------------------------- the service

// clone3()'s argument (linux/sched.h's struct clone_args, which clashes with
// glibc's sched.h).
struct clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// clone3() with CLONE_VM: the child starts on the stack in `args` and
// cannot return into C; it runs fn(arg) and exits with its result, as
// glibc's clone() does (glibc 2.36 does not export a clone3 wrapper).
// Returns the child's PID, or -errno. The same trampoline as clone3_run()
// in src/process/spawn.cc, written again on purpose: the floor links
// nothing of unitrun's, so that it measures the protocol, not the code.
static long clone3_run(struct clone3_args* args, int (*fn)(void*), void* arg) {
  long ret;
  register long fn_reg asm("r12") = (long)fn;
  register long arg_reg asm("r13") = (long)arg;
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit_nr], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "a"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(fn_reg), "r"(arg_reg), [exit_nr] "i"(SYS_exit)
      : "rcx", "r11", "memory");
  return ret;
}

struct child {
  char* const* argv;
  int tasks[2];      // the v1 hierarchies' "tasks" files
  const char* step;  // what failed, read by the monitor once clone3 returns
  int error;
};

static int child_fail(struct child* c, const char* step) {
  c->step = step;
  c->error = errno;
  return 127;
}

// The service's side, on the monitor's memory until exec (CLONE_VFORK: the
// monitor waits). Already in the v2 cgroup (CLONE_INTO_CGROUP); the v1
// hierarchies through "tasks" (this thread is the whole process). Signal
// dispositions are the defaults already (the monitor reset them).
static int child_main(void* arg) {
  struct child* c = arg;
  static char* const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  sigset_t none;
  sigemptyset(&none);
  for (int i = 0; i < n_v1; ++i)
    if (write(c->tasks[i], "0", 1) != 1) return child_fail(c, "join a v1 cgroup");
  if (setsid() < 0) return child_fail(c, "setsid");
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) return child_fail(c, "sigprocmask");
  if (close_range(3, ~0U, 0) < 0) return child_fail(c, "close_range");
  execve(c->argv[0], c->argv, envp);
  return child_fail(c, "exec");
}

static void spawn(char* const* argv) {
  static char stack[16384] __attribute__((aligned(16)));
  struct child c = {.argv = argv};
  int v2 = open(cg_v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (v2 < 0) die("open %s: %m", cg_v2);
  for (int i = 0; i < n_v1; ++i) {
    char path[300];
    if ((c.tasks[i] = open(path_in(path, sizeof path, cg_v1[i].dir, "tasks"), O_WRONLY | O_CLOEXEC)) < 0)
      die("open %s: %m", path);
  }
  struct clone3_args ca = {.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP,
                           .exit_signal = SIGCHLD,
                           .stack = (uint64_t)(uintptr_t)stack,
                           .stack_size = sizeof stack,
                           .cgroup = (uint64_t)v2};
  long pid = clone3_run(&ca, child_main, &c);
  if (pid < 0) errno = (int)-pid, die("clone3: %m");
  service = (pid_t)pid;
  if (c.step) errno = c.error, die("%s %s: %m", c.step, argv[0]);
  check_close(v2);
  for (int i = 0; i < n_v1; ++i) check_close(c.tasks[i]);
}

// ---------------------------------------------------------------- the monitor

// Reaps every child that has exited; whether any child is left.
static int reap(void) {
  for (;;) {
    pid_t p = waitpid(-1, NULL, WNOHANG);
    if (p > 0) {
      if (p == service) service = 0;
      continue;
    }
    if (p == 0) return 1;
    if (errno == ECHILD) return 0;
    die("waitpid: %m");
  }
}

// SIGTERM + SIGCONT to every member of the cgroup not signalled yet: the
// service with kill() (an unreaped child: its PID cannot be reused), others
// through a pidfd opened while they are still members. Returns the members.
static int signal_members(pid_t* done, int* n_done, int sig) {
  pid_t m[MAX_MEMBERS];
  int n = members(m);
  for (int i = 0; i < n; ++i) {
    int seen = 0;
    for (int j = 0; j < *n_done && !seen; ++j) seen = done[j] == m[i];
    if (seen && sig == SIGTERM) continue;
    if (m[i] == service) {
      if (kill(service, sig) < 0 || kill(service, SIGCONT) < 0) die("kill %d: %m", (int)service);
    } else {
      int fd = pidfd_open(m[i], 0);
      if (fd < 0 && errno == ESRCH) continue;
      if (fd < 0) die("pidfd_open %d: %m", (int)m[i]);
      if (in_unit_cgroup(m[i]) &&
          (pidfd_send_signal(fd, sig, NULL, 0) < 0 || pidfd_send_signal(fd, SIGCONT, NULL, 0) < 0) && errno != ESRCH)
        die("pidfd_send_signal %d: %m", (int)m[i]);
      check_close(fd);
    }
    if (!seen && *n_done < MAX_MEMBERS) done[(*n_done)++] = m[i];
  }
  return n;
}

static long long now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) die("clock_gettime: %m");
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// The whole tree ends: SIGTERM to every member, again at each SIGCHLD for
// members that appeared since, until the monitor has no child left (it is
// the subreaper of all of them) and the cgroup is empty; after
// STOP_TIMEOUT_MS, cgroup.kill (SIGKILL to all), else SIGKILL each.
static void stop_unit(int sfd) {
  static pid_t done[MAX_MEMBERS];
  int n_done = 0;
  if (service > 0) {  // first, before the cgroup is read: it starts ending at once
    if (kill(service, SIGTERM) < 0 || kill(service, SIGCONT) < 0) die("kill %d: %m", (int)service);
    done[n_done++] = service;
  }
  signal_members(done, &n_done, SIGTERM);
  long long deadline = now_ms() + STOP_TIMEOUT_MS;
  for (;;) {
    if (!reap() && signal_members(done, &n_done, SIGTERM) == 0) return;
    struct pollfd pfd = {.fd = sfd, .events = POLLIN};
    long long left = deadline - now_ms();
    int r = poll(&pfd, 1, left > 0 ? (int)left : 0);
    if (r < 0 && errno != EINTR) die("poll: %m");
    if (r > 0) {
      struct signalfd_siginfo si[8];
      if (read(sfd, si, sizeof si) < 0) die("read signalfd: %m");
    } else if (r == 0) {
      char path[300];
      int fd = open(path_in(path, sizeof path, cg_v2, "cgroup.kill"), O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        if (write(fd, "1", 1) != 1) die("write %s: %m", path);
        check_close(fd);
      } else {
        signal_members(done, &n_done, SIGKILL);
      }
      deadline = now_ms() + STOP_TIMEOUT_MS;
    }
  }
}

// Closes every fd but 0-2 and keep[0..2] (whatever the CLI inherited).
static void close_others(int keep[3]) {
  for (int i = 1; i < 3; ++i)  // sort the three
    for (int j = i; j > 0 && keep[j] < keep[j - 1]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned next = 3;
  for (int i = 0; i < 3; ++i) {
    if ((unsigned)keep[i] > next && close_range(next, (unsigned)keep[i] - 1, 0) < 0) die("close_range: %m");
    next = (unsigned)keep[i] + 1;
  }
  if (close_range(next, ~0U, 0) < 0) die("close_range: %m");
}

static void monitor(int lock_fd, char* const* argv) {
  if (setsid() < 0) die("setsid: %m");
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) die("open /dev/null: %m");
  if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) die("dup2: %m");
  check_close(null);
  int keep[3] = {lock_fd, reply_fd, run_dir};
  close_others(keep);
  if (chdir("/") < 0) die("chdir /: %m");
  umask(022);
  // Default dispositions (an ignored signal would stay ignored across the
  // service's exec); glibc keeps 32 and 33 for itself.
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP && (sig < 32 || sig >= SIGRTMIN) && sigaction(sig, &dfl, NULL) < 0)
      die("sigaction %d: %m", sig);
  sigset_t mask;
  sigemptyset(&mask);
  int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) sigaddset(&mask, sigs[i]);
  if (sigprocmask(SIG_SETMASK, &mask, NULL) < 0) die("sigprocmask: %m");
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) die("signalfd: %m");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER: %m");
  unsigned long long my_start = start_time(getpid());

  cgroup_paths();
  make_cgroup(cg_v2);
  made_cgroups = 1;
  pid_t m[MAX_MEMBERS];
  if (members(m) > 0) die("the cgroup %s still has processes", cg_v2);
  for (int i = 0; i < n_v1; ++i) make_cgroup(cg_v1[i].dir);

  spawn(argv);
  unsigned long long svc_start = start_time(service);
  if (svc_start == 0) die("the service %d is gone", (int)service);
  char text[128];
  snprintf(text, sizeof text, "active %d %llu %d %llu", (int)getpid(), my_start, (int)service, svc_start);
  write_record(".state", text);  // the record names the service before the pidfile does
  snprintf(text, sizeof text, "%d\n", (int)service);
  write_new_file(".pid", text);
  struct flock start_lock = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1};
  if (fcntl(lock_fd, F_OFD_SETLK, &start_lock) < 0) die("unlock: %m");
  int n = snprintf(text, sizeof text, "ok %d\n", (int)service);
  if (write(reply_fd, text, (size_t)n) != n) die("reply: %m");
  check_close(reply_fd);
  reply_fd = -1;

  for (int stopping = 0; !stopping;) {
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof si) != sizeof si) die("read signalfd: %m");
    if (si.ssi_signo == SIGCHLD) {
      reap();
      stopping = service == 0;  // the service ended on its own: the rest of its tree goes too
    } else {
      stopping = si.ssi_signo != SIGHUP;
    }
  }
  stop_unit(sfd);
  char name[256];
  if (unlinkat(run_dir, unit_file(name, sizeof name, ".pid"), 0) < 0 && errno != ENOENT) die("unlink pidfile: %m");
  remove_cgroups();
  write_record(".state", "inactive");
  exit(0);
}

// ---------------------------------------------------------------- the commands

static int lock_byte(int fd, int cmd, short byte) {
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
  return fcntl(fd, cmd, &l);
}

static int cmd_start(char* const* argv) {
  if (argv[0][0] != '/') die("the program must be an absolute path");
  open_run_dir(1);
  char name[256];
  int lock_fd =
      openat(run_dir, unit_file(name, sizeof name, ".lock"), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock_fd < 0) die("open %s: %m", name);
  if (lock_byte(lock_fd, F_OFD_SETLKW, 1) < 0) die("start lock: %m");
  if (lock_byte(lock_fd, F_OFD_SETLK, 0) < 0) {
    if (errno != EAGAIN && errno != EACCES) die("alive lock: %m");
    return 0;  // a monitor lives: the unit runs
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) die("pipe: %m");
  pid_t pid = fork();
  if (pid < 0) die("fork: %m");
  if (pid == 0) {
    check_close(pipe_fds[0]);
    reply_fd = pipe_fds[1];
    monitor(lock_fd, argv);
  }
  // The locks live on in the monitor's copy of the open file description.
  check_close(pipe_fds[1]);
  check_close(lock_fd);
  char reply[600];
  size_t len = 0;
  ssize_t r;
  while (len < sizeof reply - 1 && !memchr(reply, '\n', len) &&
         (r = read(pipe_fds[0], reply + len, sizeof reply - 1 - len)) != 0) {
    if (r < 0 && errno != EINTR) die("read reply: %m");
    if (r > 0) len += (size_t)r;
  }
  reply[len] = '\0';
  if (strncmp(reply, "ok ", 3) == 0) return 0;
  if (waitpid(pid, NULL, 0) < 0) die("waitpid: %m");  // nothing of a failed start is left, not even a zombie
  fprintf(stderr, "floor: start %s: %s", stem, len ? reply : "the monitor died\n");
  return 1;
}

static int cmd_stop(void) {
  open_run_dir(0);
  if (run_dir < 0) return 0;  // never started
  char name[256];
  int lock_fd = openat(run_dir, unit_file(name, sizeof name, ".lock"), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (lock_fd < 0 && errno == ENOENT) return 0;
  if (lock_fd < 0) die("open %s: %m", name);
  if (lock_byte(lock_fd, F_OFD_SETLKW, 1) < 0) die("start lock: %m");  // no start is half done
  char text[RECORD_SIZE + 1];
  int mon, svc;
  unsigned long long mon_start, svc_start;
  if (read_file(".state", text, sizeof text) < 0 ||
      sscanf(text, "active %d %llu %d %llu", &mon, &mon_start, &svc, &svc_start) != 4)
    return 0;  // inactive
  int pidfd = pidfd_open(mon, 0);
  if (pidfd < 0 && errno == ESRCH) return 0;  // the monitor is gone (and with it the lock)
  if (pidfd < 0) die("pidfd_open %d: %m", mon);
  if (start_time(mon) != mon_start) return 0;  // the PID is someone else's now
  if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH) die("pidfd_send_signal: %m");
  struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
  while (poll(&pfd, 1, -1) < 0)
    if (errno != EINTR) die("poll: %m");
  check_close(pidfd);
  if (read_file(".state", text, sizeof text) < 0 || strncmp(text, "inactive ", 9) != 0)
    die("%s did not stop cleanly", stem);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3 || (strcmp(argv[1], "start") == 0 && (argc < 5 || strcmp(argv[3], "--") != 0)) ||
      (strcmp(argv[1], "start") != 0 && strcmp(argv[1], "stop") != 0)) {
    fprintf(stderr, "usage: floor start STEM -- /PROG [ARGS...]\n       floor stop STEM\n");
    return 2;
  }
  stem = argv[2];
  if (!*stem || strchr(stem, '/') || strcmp(stem, ".") == 0 || strcmp(stem, "..") == 0 || strlen(stem) > 128)
    die("bad unit name: %s", stem);
  return strcmp(argv[1], "start") == 0 ? cmd_start(argv + 4) : cmd_stop();
}
