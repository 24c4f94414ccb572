// argvdump [OUT] [ARGS...]: describes the state it was started in as one JSON
// object, written atomically (a temporary file, then rename) to $ARGVDUMP_OUT
// when set, else to argv[1]; then sleeps forever. Fields:
//   pid, ppid, pgid, sid, tty_nr, has_ctty, argv, environ (every "K=V", in
//   order), umask, cwd, status (the SigBlk SigIgn SigCgt Uid Gid Groups CapEff
//   CapPrm lines of /proc/self/status, without the key), fds (each open fd and
//   its target), setuid0_errno / setgid0_errno (what a child got trying to
//   become root again: 0 means it succeeded), props: the process properties
//   of systemd.exec(5) as the kernel reports them (oom_score_adj,
//   coredump_filter, sched_policy, sched_priority, sched_reset_on_fork,
//   affinity, ioprio, timerslack_ns, personality, sigpipe_ignored, limits
//   {NAME: [soft, hard]} with -1 for infinity, stdin: the data on fd 0 when
//   it is a memory file or a regular file).
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          // Bytes, not characters: a non-ASCII byte becomes \u00XX, so the
          // output is valid JSON whatever the input.
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
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

// The value of "Key:\tvalue" in /proc/self/status.
std::string status_field(const std::string& status, const std::string& key) {
  size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "";
  at += key.size() + 2;
  while (at < status.size() && (status[at] == '\t' || status[at] == ' ')) ++at;
  size_t end = status.find('\n', at);
  return status.substr(at, end - at);
}

// Field n (1-based) of /proc/self/stat; comm (field 2) may hold spaces.
long stat_field(const std::string& stat, int n) {
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  int field = 3;
  size_t at = close + 2;
  while (field < n && at < stat.size()) {
    at = stat.find(' ', at);
    if (at == std::string::npos) return -1;
    ++at;
    ++field;
  }
  return std::strtol(stat.c_str() + at, nullptr, 10);
}

std::string properties() {
  std::string j = "{";
  j += "\"oom_score_adj\":" + std::to_string(std::atoi(read_file("/proc/self/oom_score_adj").c_str()));
  j += ",\"coredump_filter\":" +
       std::to_string(std::strtoul(read_file("/proc/self/coredump_filter").c_str(), nullptr, 16));
  int policy = sched_getscheduler(0);
  struct sched_param param {};
  sched_getparam(0, &param);
  j += ",\"sched_policy\":" + std::to_string(policy & ~SCHED_RESET_ON_FORK);
  j += ",\"sched_priority\":" + std::to_string(param.sched_priority);
  j += std::string(",\"sched_reset_on_fork\":") + ((policy & SCHED_RESET_ON_FORK) ? "true" : "false");
  cpu_set_t set;
  CPU_ZERO(&set);
  j += ",\"affinity\":[";
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    bool first = true;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) {
        j += (first ? "" : ",") + std::to_string(cpu);
        first = false;
      }
  }
  j += "]";
  j += ",\"ioprio\":" + std::to_string(syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
  j += ",\"timerslack_ns\":" + std::to_string(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  j += ",\"personality\":" + std::to_string(personality(0xffffffff));
  struct sigaction sa {};
  sigaction(SIGPIPE, nullptr, &sa);
  j += std::string(",\"sigpipe_ignored\":") + (sa.sa_handler == SIG_IGN ? "true" : "false");
  j += ",\"limits\":{";
  struct Named {
    const char* name;
    int resource;
  };
  bool first = true;
  for (const Named& n : {Named{"CPU", RLIMIT_CPU}, Named{"FSIZE", RLIMIT_FSIZE}, Named{"NPROC", RLIMIT_NPROC},
                         Named{"MEMLOCK", RLIMIT_MEMLOCK}, Named{"NICE", RLIMIT_NICE}, Named{"RTTIME", RLIMIT_RTTIME},
                         Named{"NOFILE", RLIMIT_NOFILE}, Named{"CORE", RLIMIT_CORE}}) {
    struct rlimit r;
    getrlimit(n.resource, &r);
    auto value = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("-1") : std::to_string(v); };
    j += (first ? "\"" : ",\"") + std::string(n.name) + "\":[" + value(r.rlim_cur) + "," + value(r.rlim_max) + "]";
    first = false;
  }
  j += "}";
  // What stdin holds, when it is a file (StandardInputText=/Data=, file:).
  struct stat st;
  std::string in;
  if (fstat(0, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[4096];
    ssize_t n;
    while ((n = pread(0, buf, sizeof buf, static_cast<off_t>(in.size()))) > 0) in.append(buf, static_cast<size_t>(n));
  }
  j += ",\"stdin\":" + quote(in);
  return j + "}";
}

// Tries, in a child, to get root's ids back; returns the errno (0: it worked).
int try_in_child(bool uid) {
  int p[2];
  if (pipe(p) < 0) return -1;
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    close(p[0]);
    int e = (uid ? setuid(0) : setgid(0)) == 0 ? 0 : errno;
    (void)!write(p[1], &e, sizeof e);
    _exit(0);
  }
  close(p[1]);
  int e = -1;
  if (read(p[0], &e, sizeof e) != static_cast<ssize_t>(sizeof e)) e = -1;
  close(p[0]);
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const char* out_path = std::getenv("ARGVDUMP_OUT");
  if (!out_path || !*out_path) {
    if (argc < 2) {
      std::fprintf(stderr, "usage: argvdump OUT [ARGS...] (or ARGVDUMP_OUT=OUT argvdump [ARGS...])\n");
      return 2;
    }
    out_path = argv[1];
  }

  // The fd list first, before this program opens anything of its own.
  std::vector<std::pair<int, std::string>> fds;
  if (DIR* dir = opendir("/proc/self/fd")) {
    int own = dirfd(dir);
    while (struct dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      int fd = std::atoi(e->d_name);
      if (fd == own) continue;
      char target[PATH_MAX];
      std::string link = std::string("/proc/self/fd/") + e->d_name;
      ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
      fds.emplace_back(fd, n < 0 ? std::string("?") : std::string(target, static_cast<size_t>(n)));
    }
    closedir(dir);
  }

  std::string status = read_file("/proc/self/status");
  std::string stat = read_file("/proc/self/stat");
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) std::strcpy(cwd, "?");
  bool has_ctty = false;
  int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty >= 0) {
    has_ctty = true;
    close(tty);
  }

  std::string j = "{";
  j += "\"pid\":" + std::to_string(getpid());
  j += ",\"ppid\":" + std::to_string(getppid());
  j += ",\"pgid\":" + std::to_string(getpgid(0));
  j += ",\"sid\":" + std::to_string(getsid(0));
  j += ",\"tty_nr\":" + std::to_string(stat_field(stat, 7));
  j += std::string(",\"has_ctty\":") + (has_ctty ? "true" : "false");
  j += ",\"argv\":[";
  for (int i = 0; i < argc; ++i) j += (i ? "," : "") + quote(argv[i]);
  j += "],\"environ\":[";
  for (char** e = environ; *e; ++e) j += (e == environ ? "" : ",") + quote(*e);
  j += "],\"umask\":" + quote(status_field(status, "Umask"));
  j += ",\"cwd\":" + quote(cwd);
  j += ",\"status\":{";
  bool first = true;
  for (const char* key : {"SigBlk", "SigIgn", "SigCgt", "Uid", "Gid", "Groups", "CapEff", "CapPrm"}) {
    j += (first ? "" : ",") + quote(key) + ":" + quote(status_field(status, key));
    first = false;
  }
  j += "},\"fds\":[";
  for (size_t i = 0; i < fds.size(); ++i)
    j += (i ? "," : "") + std::string("{\"fd\":") + std::to_string(fds[i].first) +
         ",\"target\":" + quote(fds[i].second) + "}";
  j += "]";
  j += ",\"setuid0_errno\":" + std::to_string(try_in_child(true));
  j += ",\"setgid0_errno\":" + std::to_string(try_in_child(false));
  j += ",\"props\":" + properties();
  j += "}\n";

  std::string tmp = std::string(out_path) + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(tmp.c_str());
    return 3;
  }
  size_t done = 0;
  while (done < j.size()) {
    ssize_t n = write(fd, j.data() + done, j.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 4;
    done += static_cast<size_t>(n);
  }
  if (close(fd) < 0 || rename(tmp.c_str(), out_path) < 0) return 5;

  for (;;) pause();
}
