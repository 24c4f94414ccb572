#include "process/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include "base/sys.h"

namespace unitrun::proc {

std::optional<Stat> parse_stat(const std::string& content) {
  // "pid (comm) state ppid pgrp session ..."; comm may hold ") ", so the
  // last ')' ends it.
  size_t open = content.find('(');
  size_t close = content.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  Stat s;
  s.pid = static_cast<pid_t>(std::atol(content.c_str()));
  s.comm = content.substr(open + 1, close - open - 1);
  std::istringstream rest(content.substr(close + 1));
  std::string field;
  std::vector<std::string> fields;
  while (rest >> field) fields.push_back(field);
  // fields[0] is field 3 (state); start time is field 22 → fields[19].
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  s.state = fields[0][0];
  s.ppid = static_cast<pid_t>(std::atol(fields[1].c_str()));
  s.pgid = static_cast<pid_t>(std::atol(fields[2].c_str()));
  s.sid = static_cast<pid_t>(std::atol(fields[3].c_str()));
  s.start_time = std::strtoull(fields[19].c_str(), nullptr, 10);
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

std::string cmdline(pid_t pid) {
  auto content = sys::read_file("/proc/" + std::to_string(pid) + "/cmdline", 4096);
  if (!content) return "";
  std::string s = *content;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
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
