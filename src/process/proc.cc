#include "process/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <map>
#include <string_view>

#include "base/sys.h"

namespace unitrun::proc {

std::optional<Stat> parse_stat(const std::string& content) {
  // "pid (comm) state ppid pgrp session ..."; comm may hold ") ", so the
  // last ')' ends it. The monitor parses this for every process of its tree
  // at each step of a stop: no streams, no allocation per field.
  size_t open = content.find('(');
  size_t close = content.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  Stat s;
  s.pid = static_cast<pid_t>(std::atol(content.c_str()));
  s.comm = content.substr(open + 1, close - open - 1);
  // Fields from 3 (state) on, separated by single spaces; we need 3-6 and 22.
  std::string_view rest(content);
  rest.remove_prefix(close + 1);
  std::string_view fields[20];
  size_t count = 0;
  while (count < 20) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    size_t end = rest.find_first_of(" \n");
    if (end == std::string_view::npos) end = rest.size();
    fields[count++] = rest.substr(0, end);
    rest.remove_prefix(end);
    if (!rest.empty() && rest.front() == '\n') rest = {};
  }
  // fields[0] is field 3 (state); start time is field 22 → fields[19].
  if (count < 20 || fields[0].size() != 1) return std::nullopt;
  auto number = [](std::string_view f) -> std::optional<int64_t> {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc() || ptr != f.data() + f.size()) return std::nullopt;
    return v;
  };
  auto ppid = number(fields[1]), pgid = number(fields[2]), sid = number(fields[3]), threads = number(fields[17]);
  uint64_t start = 0;
  auto [ptr, ec] = std::from_chars(fields[19].data(), fields[19].data() + fields[19].size(), start);
  if (!ppid || !pgid || !sid || !threads || ec != std::errc() || ptr != fields[19].data() + fields[19].size())
    return std::nullopt;
  s.state = fields[0][0];
  s.ppid = static_cast<pid_t>(*ppid);
  s.pgid = static_cast<pid_t>(*pgid);
  s.sid = static_cast<pid_t>(*sid);
  s.threads = static_cast<long>(*threads);
  s.start_time = start;
  return s;
}

std::optional<Stat> read_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto content = sys::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!content) return std::nullopt;
  return parse_stat(*content);
}

std::optional<uint64_t> start_time(pid_t pid) {
  auto s = read_stat(pid);
  if (!s) return std::nullopt;
  return s->start_time;
}

uint64_t boot_clock_ns() {
  struct timespec t;
  ::clock_gettime(CLOCK_BOOTTIME, &t);  // cannot fail for a valid clock and pointer
  return static_cast<uint64_t>(t.tv_sec) * 1000000000u + static_cast<uint64_t>(t.tv_nsec);
}

std::optional<uint64_t> start_time_between(uint64_t before_ns, uint64_t after_ns) {
  // The kernel's nsec_to_clock_t(): ns / (10^9 / USER_HZ). USER_HZ is an
  // ABI constant, 100 on every architecture but alpha and ia64 (what
  // sysconf(_SC_CLK_TCK) says; proc_test checks it): a constant, since
  // sysconf() is two more page faults (its libc page, the loader's data) in
  // a monitor just forked. Both clocks are the same timekeeper (the vDSO's
  // CLOCK_BOOTTIME and ktime_get_boottime_ns(), shifted alike in a time
  // namespace); the margin covers any rounding between them.
#if defined(__alpha__) || defined(__ia64__)
  return std::nullopt;  // USER_HZ is not 100 there (alpha 1024, ia64 HZ): /proc is read
#endif
  constexpr uint64_t kUserHz = 100;
  constexpr uint64_t tick = 1000000000u / kUserHz;
  constexpr uint64_t kMargin = 1000;  // ns
  if (after_ns < before_ns || before_ns < kMargin) return std::nullopt;
  uint64_t first = (before_ns - kMargin) / tick, last = (after_ns + kMargin) / tick;
  if (first != last) return std::nullopt;
  return first;
}

uint64_t start_time_or_read(const std::optional<uint64_t>& known, pid_t pid) {
  return known ? *known : start_time(pid).value_or(0);
}

bool is_same_process(pid_t pid, uint64_t expected_start) {
  auto s = read_stat(pid);
  return s && s->state != 'Z' && s->state != 'X' && s->start_time == expected_start;
}

std::vector<Stat> all_processes() {
  std::vector<Stat> out;
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (auto s = read_stat(static_cast<pid_t>(pid))) out.push_back(std::move(*s));
  }
  ::closedir(dir);
  return out;
}

std::vector<Stat> descendants(const std::vector<Stat>& snapshot, pid_t ancestor) {
  std::multimap<pid_t, const Stat*> children;
  for (const Stat& s : snapshot) children.emplace(s.ppid, &s);
  std::vector<Stat> out;
  std::vector<pid_t> queue{ancestor};
  while (!queue.empty()) {
    pid_t p = queue.back();
    queue.pop_back();
    auto [b, e] = children.equal_range(p);
    for (auto it = b; it != e; ++it) {
      const Stat& child = *it->second;
      if (child.pid == ancestor) continue;
      queue.push_back(child.pid);
      if (child.state != 'Z' && child.state != 'X') out.push_back(child);
    }
  }
  return out;
}

namespace {

// Appends the PIDs listed in one /proc/PID/task/TID/children file; false
// when the file cannot be read (ENOENT: the thread is gone, or the kernel has
// no such files).
bool read_children(const std::string& file, std::vector<pid_t>& out, int& error) {
  auto content = sys::read_file(file, 1 << 20);
  if (!content) {
    error = content.error().sys_errno;
    return false;
  }
  std::string_view rest(*content);
  while (!rest.empty()) {
    pid_t child = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), child);
    if (ec != std::errc()) break;
    out.push_back(child);
    rest.remove_prefix(static_cast<size_t>(ptr - rest.data()));
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  return true;
}

// The children of every thread of `process`, from /proc/PID/task/TID/children;
// nullopt when the kernel has no such file (CONFIG_PROC_CHILDREN=n).
std::optional<std::vector<pid_t>> children_of(const Stat& process) {
  std::vector<pid_t> out;
  std::string task = "/proc/" + std::to_string(process.pid) + "/task";
  int error = 0;
  // Most processes have one thread, whose TID is the PID: no directory to list.
  if (process.threads == 1) {
    if (read_children(task + "/" + std::to_string(process.pid) + "/children", out, error)) return out;
    if (error != ENOENT) return out;  // it ended meanwhile
    if (::access((task + "/" + std::to_string(process.pid)).c_str(), F_OK) == 0)
      return std::nullopt;  // the thread is there, its children file is not
    return out;
  }
  DIR* dir = ::opendir(task.c_str());
  if (!dir) return out;  // gone meanwhile: no children
  bool supported = true;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    if (read_children(task + "/" + e->d_name + "/children", out, error)) continue;
    if (error == ENOENT && ::faccessat(dirfd(dir), e->d_name, F_OK, 0) == 0) supported = false;
    // else the thread ended meanwhile
  }
  ::closedir(dir);
  if (!supported) return std::nullopt;
  return out;
}

}  // namespace

std::vector<Stat> descendants_of(pid_t ancestor) {
  // Walking down from the ancestor costs what its tree is, not what the
  // machine runs. Each child is re-read and must name its parent: a PID in
  // a children list may have exited and been reused since.
  std::vector<Stat> out;
  auto root = read_stat(ancestor);
  if (!root) return out;
  std::vector<Stat> queue{*root};
  while (!queue.empty()) {
    Stat parent = std::move(queue.back());
    queue.pop_back();
    auto children = children_of(parent);
    if (!children) return descendants(all_processes(), ancestor);
    for (pid_t child : *children) {
      auto s = read_stat(child);
      if (!s || s->ppid != parent.pid || s->pid == ancestor) continue;
      if (s->state == 'Z' || s->state == 'X') continue;  // a zombie has no children left
      queue.push_back(*s);
      out.push_back(std::move(*s));
    }
  }
  return out;
}

std::string cmdline(pid_t pid) {
  auto content = sys::read_file("/proc/" + std::to_string(pid) + "/cmdline", 4096);
  if (!content) return "";
  std::string s = *content;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

std::string exe(pid_t pid) {
  char buf[4096];
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

uint64_t memory_bytes(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  auto field = [](const std::string& content, const std::string& key) -> std::optional<uint64_t> {
    size_t at = content.find("\n" + key);
    if (at == std::string::npos) at = content.rfind(key, 0) == 0 ? 0 : std::string::npos;
    if (at == std::string::npos) return std::nullopt;
    return std::strtoull(content.c_str() + content.find(':', at) + 1, nullptr, 10) * 1024;
  };
  if (auto rollup = sys::read_file(base + "/smaps_rollup", 8192))
    if (auto pss = field(*rollup, "Pss:")) return *pss;
  if (auto status = sys::read_file(base + "/status", 8192))
    if (auto rss = field(*status, "VmRSS:")) return *rss;
  return 0;
}

}  // namespace unitrun::proc
