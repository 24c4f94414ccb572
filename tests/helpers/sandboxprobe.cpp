// sandboxprobe MODE [ARGS]: what a sandboxed service sees, from inside.
//
//   report [--write P] [--openw P] [--exec P] [--list P] [--exists P] [--suid-dir D]
//       One JSON object on stdout: the capability/no_new_privs/seccomp lines
//       of /proc/self/status, the namespaces, /proc/self/cgroup, uid_map,
//       and for each probe the errno it got (0: the call succeeded). Every
//       probe is harmless when allowed: files it creates are removed, the
//       hostname is set to what it is, a realtime policy is set back.
//   forkbomb N    forks up to N sleeping children; {"forked": n, "errno": e}
//   hog MB        allocates and touches MB MiB, then exits 0
//   spin SECONDS  burns CPU for SECONDS of wall time, then exits 0
//   escape        forks a child that setsid()s and sleeps; prints its PID, sleeps
//   umount        calls umount2() on a path that does not exist; exits 0
//   sleep         sleeps until killed
//   connect ADDR PORT [ADDR PORT ...]
//                 a TCP connect() (one SYN retransmission) and a UDP send
//                 to each; {"tcp": [e, ...], "udp": [e, ...]} (0: done)
//   listen ADDR PORTFILE
//                 listens on ADDR and a free port, writes the port to
//                 PORTFILE, sends READY=1 to $NOTIFY_SOCKET, accepts and
//                 closes connections until killed
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string read_file(const char* path) {
  std::string out;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string status_field(const std::string& status, const std::string& key) {
  size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "";
  at += key.size() + 2;
  while (at < status.size() && (status[at] == '\t' || status[at] == ' ')) ++at;
  return status.substr(at, status.find('\n', at) - at);
}

int err_of(long r) { return r < 0 ? errno : 0; }

// Creating a file in dir: 0 when it could (the file is removed again).
int write_probe(const std::string& dir) {
  std::string p = dir + "/.sandboxprobe-" + std::to_string(getpid());
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  close(fd);
  unlink(p.c_str());
  return 0;
}

std::string list_json(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return std::to_string(errno);
  std::string out = "[";
  bool first = true;
  while (dirent* e = readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    out += (first ? "" : ",") + quote(e->d_name);
    first = false;
  }
  closedir(d);
  return out + "]";
}

struct Json {
  std::string body;
  void add(const std::string& key, const std::string& raw) {
    body += (body.empty() ? "" : ",") + quote(key) + ":" + raw;
  }
  void add_int(const std::string& key, long v) { add(key, std::to_string(v)); }
  void add_str(const std::string& key, const std::string& v) { add(key, quote(v)); }
  std::string str() const { return "{" + body + "}"; }
};

int report(int argc, char** argv) {
  std::vector<std::string> writes{"/usr", "/etc", "/tmp", "/var/tmp", "/home", "/var"};
  std::vector<std::string> execs, openws, lists{"/home", "/tmp", "/"},
      exists{"/dev/null", "/dev/shm", "/dev/kmsg", "/proc/1", "/proc/sys", "/dev/vda", "/dev/loop0"};
  std::string suid_dir = "/tmp";
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], v = argv[i + 1];
    if (flag == "--write") writes.push_back(v);
    if (flag == "--openw") openws.push_back(v);
    if (flag == "--exec") execs.push_back(v);
    if (flag == "--list") lists.push_back(v);
    if (flag == "--exists") exists.push_back(v);
    if (flag == "--suid-dir") suid_dir = v;
  }
  Json j;
  std::string status = read_file("/proc/self/status");
  Json st;
  for (const char* k :
       {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters", "Uid", "Gid"})
    st.add_str(k, status_field(status, k));
  j.add("status", st.str());
  Json ns;
  for (const char* n : {"mnt", "net", "uts", "ipc", "user", "pid", "cgroup"}) {
    char buf[256] = {0};
    std::string p = std::string("/proc/self/ns/") + n;
    ssize_t len = readlink(p.c_str(), buf, sizeof buf - 1);
    ns.add_str(n, len > 0 ? std::string(buf, static_cast<size_t>(len)) : "");
  }
  j.add("ns", ns.str());
  j.add_str("cgroup", read_file("/proc/self/cgroup"));
  j.add_str("uid_map", read_file("/proc/self/uid_map"));
  Json w;
  for (const std::string& p : writes) w.add_int(p, write_probe(p));
  j.add("write", w.str());
  Json ow;
  for (const std::string& p : openws) {
    int fd = open(p.c_str(), O_WRONLY | O_CLOEXEC);
    ow.add_int(p, fd < 0 ? errno : 0);
    if (fd >= 0) close(fd);
  }
  j.add("openw", ow.str());
  Json ex_run;
  for (const std::string& p : execs) {
    // 0 when the program ran (and exited 0), else the errno of execve.
    pid_t c = fork();
    if (c == 0) {
      char* args[] = {const_cast<char*>(p.c_str()), nullptr};
      char* env[] = {nullptr};
      execve(p.c_str(), args, env);
      _exit(errno);
    }
    int ws = 0;
    waitpid(c, &ws, 0);
    ex_run.add_int(p, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  }
  j.add("exec", ex_run.str());
  Json ls;
  for (const std::string& p : lists) ls.add(p, list_json(p));
  j.add("list", ls.str());
  Json ex;
  for (const std::string& p : exists) {
    struct stat s;
    ex.add(p, lstat(p.c_str(), &s) == 0 ? "true" : "false");
  }
  j.add("exists", ex.str());
  {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int e = fd < 0 ? errno : (write(fd, "x", 1) == 1 ? 0 : errno);
    if (fd >= 0) close(fd);
    j.add_int("devnull_write", e);
  }
  Json so;
  for (auto [name, af] : {std::pair<const char*, int>{"AF_INET", AF_INET},
                          {"AF_INET6", AF_INET6},
                          {"AF_UNIX", AF_UNIX},
                          {"AF_NETLINK", AF_NETLINK},
                          {"AF_PACKET", AF_PACKET}}) {
    int s = socket(af, (af == AF_PACKET ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    so.add_int(name, s < 0 ? errno : 0);
    if (s >= 0) close(s);
  }
  j.add("socket", so.str());
  {
    void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    j.add_int("mmap_wx", m == MAP_FAILED ? errno : 0);
    if (m != MAP_FAILED) munmap(m, 4096);
    void* r = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    j.add_int("mprotect_x", r == MAP_FAILED ? errno : err_of(mprotect(r, 4096, PROT_READ | PROT_EXEC)));
    if (r != MAP_FAILED) munmap(r, 4096);
  }
  {
    // In a child: a new UTS namespace must not change what the others probe.
    pid_t c = fork();
    if (c == 0) _exit(unshare(CLONE_NEWUTS) < 0 ? errno : 0);
    int s = 0;
    waitpid(c, &s, 0);
    j.add_int("unshare_uts", WIFEXITED(s) ? WEXITSTATUS(s) : -1);
  }
  {
    int old = personality(0xffffffff);
    int r = personality(PER_LINUX32);
    j.add_int("personality", r < 0 ? errno : 0);
    if (r >= 0 && old >= 0) personality(static_cast<unsigned long>(old));
  }
  {
    struct sched_param sp = {1};
    int r = sched_setscheduler(0, SCHED_FIFO, &sp);
    j.add_int("sched_fifo", r < 0 ? errno : 0);
    struct sched_param zero = {0};
    if (r == 0) sched_setscheduler(0, SCHED_OTHER, &zero);
  }
  {
    std::string p = suid_dir + "/.sandboxprobe-suid-" + std::to_string(getpid());
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int e = fd < 0 ? -errno : err_of(chmod(p.c_str(), 04755));
    if (fd >= 0) close(fd);
    unlink(p.c_str());
    j.add_int("chmod_suid", e);
    // fchmodat2() (Linux 6.6, 452 on every ABI): ENOSYS on older kernels.
    fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    e = fd < 0 ? -errno : err_of(syscall(452, AT_FDCWD, p.c_str(), 04755, 0));
    if (fd >= 0) close(fd);
    unlink(p.c_str());
    j.add_int("fchmodat2_suid", e);
  }
  {
    struct timex tx;
    memset(&tx, 0, sizeof tx);  // modes 0: a read
    j.add_int("clock_adjtime", err_of(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx)));
  }
  j.add_int("umount", err_of(umount2("/nonexistent-sandboxprobe", 0)));
  j.add_int("syslog", err_of(klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0)));
  {
    struct utsname u;
    uname(&u);
    j.add_str("hostname", u.nodename);
    j.add_int("sethostname", err_of(sethostname(u.nodename, strlen(u.nodename))));
  }
  {
    std::string names = "[";
    if (struct if_nameindex* ifs = if_nameindex()) {
      for (struct if_nameindex* i = ifs; i->if_index != 0; ++i)
        names += (names.size() > 1 ? "," : "") + quote(i->if_name);
      if_freenameindex(ifs);
    }
    j.add("interfaces", names + "]");
  }
  j.add_int("securebits", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  j.add_int("session_keyring", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  std::printf("%s\n", j.str().c_str());
  return 0;
}

int forkbomb(long n) {
  std::vector<pid_t> kids;
  int e = 0;
  for (long i = 0; i < n; ++i) {
    pid_t p = fork();
    if (p == 0) {
      pause();
      _exit(0);
    }
    if (p < 0) {
      e = errno;
      break;
    }
    kids.push_back(p);
  }
  std::printf("{\"forked\": %zu, \"errno\": %d}\n", kids.size(), e);
  std::fflush(stdout);
  for (pid_t k : kids) kill(k, SIGKILL);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  return 0;
}

int hog(long mb) {
  std::vector<char*> blocks;
  for (long i = 0; i < mb; ++i) {
    char* b = static_cast<char*>(malloc(1 << 20));
    if (!b) return 1;
    memset(b, static_cast<int>(i), 1 << 20);
    blocks.push_back(b);
  }
  return 0;
}

int spin(double seconds) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  volatile unsigned long x = 0;
  do {
    for (int i = 0; i < 100000; ++i) x = x + 1;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
  return 0;
}

int escape() {
  int pipefd[2];
  if (pipe(pipefd) < 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    setsid();
    // A grandchild too, so that nothing links it to the service but the cgroup.
    pid_t g = fork();
    if (g == 0) {
      char buf[32];
      int n = std::snprintf(buf, sizeof buf, "%d\n", getpid());
      if (write(pipefd[1], buf, static_cast<size_t>(n)) != n) _exit(1);
      for (;;) pause();
    }
    _exit(0);
  }
  waitpid(c, nullptr, 0);
  char buf[32] = {0};
  ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
  if (n <= 0) return 1;
  std::printf("%s", buf);
  std::fflush(stdout);
  for (;;) pause();
}

sockaddr_in inet_address(const char* address, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address, &a.sin_addr) != 1) std::exit(2);
  return a;
}

// A TCP connect() that gives up after one SYN retransmission (about 3 s:
// a SYN the filter drops fails connect() only by timing out, as under
// systemd), and a UDP datagram, whose send fails at once when dropped.
int connect_each(int argc, char** argv) {
  std::string tcp, udp;
  for (int i = 2; i + 1 < argc; i += 2) {
    sockaddr_in a = inet_address(argv[i], std::atoi(argv[i + 1]));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int syncnt = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof syncnt) < 0) return 1;
    int e = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
    close(fd);
    tcp += (i > 2 ? ", " : "") + std::to_string(e);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1;
    e = sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == 1 ? 0 : errno;
    close(fd);
    udp += (i > 2 ? ", " : "") + std::to_string(e);
  }
  std::printf("{\"tcp\": [%s], \"udp\": [%s]}\n", tcp.c_str(), udp.c_str());
  return 0;
}

int listen_and_accept(const char* address, const char* port_file) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  sockaddr_in a = inet_address(address, 0);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 16) < 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0)
    return 1;
  FILE* f = std::fopen(port_file, "w");
  if (!f) return 1;
  std::fprintf(f, "%d\n", ntohs(a.sin_port));
  if (std::fclose(f) != 0) return 1;
  const char* notify = std::getenv("NOTIFY_SOCKET");
  if (!notify || !*notify) return 1;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strncpy(un.sun_path, notify, sizeof un.sun_path - 1);
  if (un.sun_path[0] == '@') un.sun_path[0] = '\0';
  int n = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  socklen_t un_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + std::strlen(notify));
  if (n < 0 || sendto(n, "READY=1", 7, 0, reinterpret_cast<sockaddr*>(&un), un_len) < 0) return 1;
  close(n);
  for (;;) {
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) close(c);
  }
}

}  // namespace

// Built with the sanitizers in their build: LeakSanitizer needs to ptrace
// the process at exit, which a sandbox may refuse (and hog leaks on purpose).
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string mode = argv[1];
  if (mode == "report") return report(argc, argv);
  if (mode == "forkbomb" && argc > 2) return forkbomb(std::atol(argv[2]));
  if (mode == "hog" && argc > 2) return hog(std::atol(argv[2]));
  if (mode == "spin" && argc > 2) return spin(std::atof(argv[2]));
  if (mode == "escape") return escape();
  if (mode == "umount") return umount2("/nonexistent-sandboxprobe", 0) < 0 ? 0 : 0;
  if (mode == "connect" && argc >= 4) return connect_each(argc, argv);
  if (mode == "listen" && argc == 4) return listen_and_accept(argv[2], argv[3]);
  if (mode == "sleep")
    for (;;) pause();
  return 2;
}
