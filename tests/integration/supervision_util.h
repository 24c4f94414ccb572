// Small helpers shared by the supervision tests (supervision_itest.cpp,
// notify_itest.cpp, forking_itest.cpp, hooks_itest.cpp), on top of
// support.h. Header-only so that support.h/.cpp stay as they are.
#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace itest::sv {

inline UnitOptions opts(std::string extra, std::string unit_section = "") {
  UnitOptions o;
  o.extra = std::move(extra);
  o.unit_section = std::move(unit_section);
  return o;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  auto text = read_file(path);
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

inline size_t count_lines(const std::string& path) { return lines_of(path).size(); }

// "KEY=VALUE" lines (the notifier's env: file).
inline std::map<std::string, std::string> read_kv(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const std::string& l : lines_of(path)) {
    size_t eq = l.find('=');
    if (eq != std::string::npos) out[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return out;
}

// Waits for a "KEY=VALUE" file written atomically by a helper.
inline std::map<std::string, std::string> wait_kv(const std::string& path, int timeout_ms = 10000) {
  bool appeared = wait_until([&] { return exists(path); }, timeout_ms);
  INFO("waiting for " << path);
  REQUIRE(appeared);
  return read_kv(path);
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// start, which must succeed; returns the PID the pidfile names (alive).
inline pid_t start_ok(const TestUnit& u, RunOptions o = {}) {
  RunResult r = u.start(std::move(o));
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  auto pid = read_pidfile(u.pidfile());
  REQUIRE(pid);
  REQUIRE(alive(*pid));
  return *pid;
}

inline nlohmann::json status_json(const TestUnit& u) {
  RunResult r = u.status_json();
  INFO(r.describe());
  return parse_json(r.out);
}

inline int status_code(const TestUnit& u) { return u.status().exit_code; }

inline pid_t parent_of(pid_t pid) {
  auto s = proc_stat(pid);
  return s ? s->ppid : 0;
}

inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const ProcStat& s : all_processes())
    if (s.ppid == parent && s.state != 'Z') out.push_back(s.pid);
  return out;
}

// The event texts of `status --json`.
inline std::vector<std::string> events_of(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.contains("events"))
    for (const auto& e : j["events"]) out.push_back(e.value("text", ""));
  return out;
}

inline bool any_event(const nlohmann::json& j, const std::string& needle) {
  for (const std::string& e : events_of(j))
    if (contains(e, needle)) return true;
  return false;
}

// A sentinel from inside the unit's tree. `speaker` is a notifier of the
// unit waiting at a usr1:ERRNO=N step (N = errno_value); it is told to send
// that datagram, and the test waits until the monitor has read it: the
// record's events say "service reported errno N (...)". Datagrams on one
// notify socket are read in the order they were sent, so by then the
// monitor has read, and acted on or ignored, every datagram sent to it
// before, from anywhere. ERRNO= rather than STATUS=: a sentinel must not
// overwrite what a check reads (status_text). Returns that status --json.
inline nlohmann::json sentinel(const TestUnit& u, pid_t speaker, int errno_value) {
  REQUIRE(::kill(speaker, SIGUSR1) == 0);
  std::string needle = "service reported errno " + std::to_string(errno_value) + " (";
  nlohmann::json j;
  bool heard = wait_until(
      [&] {
        j = status_json(u);
        return any_event(j, needle);
      },
      20000, 10);
  INFO("the monitor never recorded ERRNO=" << errno_value << " from " << speaker << ": " << j.dump(2));
  REQUIRE(heard);
  return j;
}

// Waits until the unit's monitor is gone (the unit stopped or failed for
// good) and returns status's exit code.
inline int wait_unit_down(const TestUnit& u, int timeout_ms = 15000) {
  bool down = wait_until([&] { return u.monitors().empty(); }, timeout_ms, 20);
  INFO("the monitor of " << u.name() << " did not exit within " << timeout_ms << " ms");
  REQUIRE(down);
  reap_adopted();
  return status_code(u);
}

// What a failed start must leave: no process, no pidfile, status 3.
inline void check_nothing_left(const TestUnit& u) {
  bool gone = wait_until([&] { return u.processes().empty(); }, 5000);
  for (pid_t p : u.processes()) UNSCOPED_INFO("left: " << p << " " << proc_cmdline(p));
  CHECK(gone);
  CHECK_FALSE(exists(u.pidfile()));
  RunResult status = u.status();
  INFO(status.describe());
  CHECK(status.exit_code == 3);
}

// Sends one datagram to an sd_notify address ("@abstract" or a path) from
// the test process, which is outside every unit's tree.
inline bool notify_send(const std::string& address, const std::string& text) {
  struct sockaddr_un sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (address.empty() || address.size() >= sizeof sa.sun_path) return false;
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (address[0] == '@') sa.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address.size());
  ssize_t n = ::sendto(fd, text.data(), text.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&sa), len);
  ::close(fd);
  return n == static_cast<ssize_t>(text.size());
}

// A tmpfs mounted for the life of the object (F7); unmounted lazily.
class TinyTmpfs {
 public:
  TinyTmpfs(const std::string& path, const std::string& size) : path_(path) {
    REQUIRE(::mkdir(path.c_str(), 0755) == 0);
    int rc = ::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + size + ",mode=0755").c_str());
    INFO("mount tmpfs on " << path << ": " << std::strerror(errno));
    REQUIRE(rc == 0);
    mounted_ = true;
  }
  ~TinyTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  TinyTmpfs(const TinyTmpfs&) = delete;
  TinyTmpfs& operator=(const TinyTmpfs&) = delete;

 private:
  std::string path_;
  bool mounted_ = false;
};

}  // namespace itest::sv
