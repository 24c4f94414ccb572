#include "process/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>
#include <string_view>

#include "base/sys.h"
#include "process/bpf_firewall.h"
#include "process/cgroup_plan.h"
#include "unit/unit_name.h"

namespace unitrun::process {
namespace {

// Where systemd mounts the v2 tree: the whole of /sys/fs/cgroup (unified),
// or beside the v1 hierarchies (hybrid).
constexpr const char* kV2Mount = "/sys/fs/cgroup";
constexpr const char* kHybridV2Mount = "/sys/fs/cgroup/unified";

const char* const kV1Controllers[] = {"cpu",      "cpuacct", "cpuset",     "memory",  "devices", "freezer", "net_cls",
                                      "net_prio", "blkio",   "perf_event", "hugetlb", "pids",    "rdma",    "misc"};

bool is_v1_controller(std::string_view s) {
  for (const char* c : kV1Controllers)
    if (s == c) return true;
  return false;
}

// The non-empty items of `s` between `sep`s.
std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t end = s.find(sep, at);
    if (end == std::string_view::npos) end = s.size();
    if (end > at) out.emplace_back(s.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

std::string unescape_mount_path(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      o += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      o += s[i];
    }
  }
  return o;
}

Result<std::string> read_trimmed(const std::string& path) {
  auto content = sys::read_file(path, 1 << 20);
  if (!content) return content.error();
  std::string s = *content;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A cgroup number: "max" (v2) and v1's PAGE_COUNTER_MAX-ish values are
// infinity.
std::optional<uint64_t> read_number(const std::string& path) {
  auto s = read_trimmed(path);
  if (!s) return std::nullopt;
  if (*s == "max") return kCgroupInfinity;
  if (*s == "-1") return kCgroupInfinity;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc()) return std::nullopt;
  if (v >= (1ULL << 62)) return kCgroupInfinity;  // v1 memory's "unlimited" is 2^63 - page size
  return v;
}

// "key value" lines (memory.events, cpu.stat, memory.oom_control); the
// first value that is not a number ends the search. No istream: the
// monitor reads one on every start (open_oom_watch()), just forked.
std::optional<uint64_t> parse_keyed(std::string_view text, std::string_view key) {
  auto next = [&]() -> std::string_view {
    size_t at = text.find_first_not_of(" \t\n");
    if (at == std::string_view::npos) return {};
    size_t end = std::min(text.find_first_of(" \t\n", at), text.size());
    std::string_view word = text.substr(at, end - at);
    text.remove_prefix(end);
    return word;
  };
  while (true) {
    std::string_view k = next(), value = next();
    uint64_t v = 0;
    if (value.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    if (k == key) return v;
  }
}

std::optional<uint64_t> read_keyed(const std::string& path, const std::string& key) {
  auto s = sys::read_file(path, 1 << 16);
  if (!s) return std::nullopt;
  return parse_keyed(*s, key);
}

Status write_value(const std::string& path, const std::string& value) {
  auto fd = sys::open(path, O_WRONLY | O_NOCTTY);
  if (!fd) return fd.error();
  while (true) {
    ssize_t n = ::write(fd->get(), value.data(), value.size());
    if (n >= 0) return ok();
    if (errno != EINTR) return Error::from_errno("write '" + value + "' to " + path);
  }
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string number_or_max(uint64_t v, const char* max_word) {
  return v == kCgroupInfinity ? max_word : std::to_string(v);
}

std::string bytes_text(uint64_t v) {
  if (v == kCgroupInfinity) return "infinity";
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (u < 4 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  return std::to_string(v) + units[u];
}

// "c 1:3" for a device node; for a path on a file system, its block
// device's whole disk (the io controller weighs disks, not partitions).
std::optional<std::pair<char, std::string>> device_numbers(const std::string& path, bool whole_disk) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return std::nullopt;
  dev_t dev;
  char type;
  if (S_ISCHR(st.st_mode)) {
    type = 'c';
    dev = st.st_rdev;
  } else if (S_ISBLK(st.st_mode)) {
    type = 'b';
    dev = st.st_rdev;
  } else {
    type = 'b';
    dev = st.st_dev;
  }
  unsigned maj = major(dev), min = minor(dev);
  if (whole_disk && type == 'b') {
    std::string sys = "/sys/dev/block/" + std::to_string(maj) + ":" + std::to_string(min);
    if (exists(sys + "/partition")) {
      if (auto parent = read_trimmed(sys + "/../dev")) {
        size_t colon = parent->find(':');
        if (colon != std::string::npos) return std::make_pair(type, *parent);
      }
    }
  }
  return std::make_pair(type, std::to_string(maj) + ":" + std::to_string(min));
}

// "char-pts" / "block-loop": the majors /proc/devices lists under that name.
std::vector<std::string> majors_of(const std::string& kind, const std::string& name) {
  std::vector<std::string> out;
  auto text = sys::read_file("/proc/devices", 1 << 16);
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  bool section = false;
  while (std::getline(in, line)) {
    if (line == "Character devices:") {
      section = kind == "char";
      continue;
    }
    if (line == "Block devices:") {
      section = kind == "block";
      continue;
    }
    if (!section) continue;
    std::istringstream f(line);
    std::string maj, dev;
    if (!(f >> maj >> dev)) continue;
    if (name == "*" || dev == name) out.push_back(maj);
  }
  return out;
}

// The v1 devices.allow lines for one DeviceAllow= item; nullopt when it
// names nothing that exists (an error for the key).
std::optional<std::vector<std::string>> device_rules(const DeviceAllow& d) {
  std::string access;
  for (char c : d.access)
    if (c == 'r' || c == 'w' || c == 'm') access += c;
  if (access.empty()) access = "rwm";
  std::vector<std::string> out;
  if (d.device.rfind("char-", 0) == 0 || d.device.rfind("block-", 0) == 0) {
    bool chr = d.device[0] == 'c';
    std::string name = d.device.substr(chr ? 5 : 6);
    if (name == "*") return std::vector<std::string>{std::string(chr ? "c" : "b") + " *:* " + access};
    for (const std::string& maj : majors_of(chr ? "char" : "block", name))
      out.push_back(std::string(chr ? "c " : "b ") + maj + ":* " + access);
    if (out.empty()) return std::nullopt;
    return out;
  }
  auto dev = device_numbers(d.device, false);
  if (!dev) return std::nullopt;
  struct stat st;
  if (::stat(d.device.c_str(), &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return std::nullopt;
  out.push_back(std::string(1, dev->first) + " " + dev->second + " " + access);
  return out;
}

// Collects what cannot be set: an error at once, or a warning with best effort.
struct Problems {
  bool best_effort;
  std::vector<std::string>& warnings;
  std::optional<Error> error;
  void add(const std::string& key, const std::string& reason) {
    std::string line = key + ": " + reason;
    if (best_effort)
      warnings.push_back(line + " (not applied: X-Unitrun-Sandbox=best-effort)");
    else if (!error)
      error = Error::plain(line);
  }
  void add(const std::string& key, const Error& e) { add(key, e.message()); }
};

// The key an IP filter is reported under: IPAddressDeny= when set (the one
// that restricts), else IPAddressAllow=; nullptr when neither is.
const char* ip_firewall_key(const CgroupLimits& limits) {
  if (!limits.ip_address_deny.empty()) return "IPAddressDeny=";
  if (!limits.ip_address_allow.empty()) return "IPAddressAllow=";
  return nullptr;
}

std::string ip_firewall_needs_v2(const CgroupSupport& support) {
  return "needs a BPF program on the unit's cgroup v2 directory, and there is no cgroup v2 tree unitrun can write "
         "here (" +
         support.describe() + ")";
}

bool wait_fds(std::vector<struct pollfd>& fds, uint64_t deadline_usec) {
  while (true) {
    uint64_t now = sys::now_monotonic_usec();
    if (now >= deadline_usec) return false;
    int ms = static_cast<int>(std::min<uint64_t>((deadline_usec - now + 999) / 1000, 1u << 30));
    int n = ::poll(fds.data(), fds.size(), ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

}  // namespace

// ---------------------------------------------------------------- detection

bool CgroupV1Hierarchy::writable() const {
  if (!writable_) writable_ = root_user && ::access(probe_path.c_str(), W_OK) == 0;
  return *writable_;
}

std::string CgroupSupport::carrier(const std::string& controller) const {
  if (v2_writable && std::find(v2_controllers.begin(), v2_controllers.end(), controller) != v2_controllers.end())
    return "v2";
  auto it = v1.find(controller == "io" ? "blkio" : controller);
  if (it != v1.end() && it->second.writable()) return "v1";
  return "";
}

std::string CgroupSupport::describe() const {
  std::string s;
  switch (layout) {
    case Layout::None:
      return "no cgroup file system is mounted";
    case Layout::V1:
      s = "cgroup v1";
      break;
    case Layout::Hybrid:
      s = "hybrid";
      break;
    case Layout::V2:
      s = "cgroup v2";
      break;
  }
  if (!v2_mount.empty()) {
    s += ": v2 " + v2_mount;
    if (!v2_writable)
      s += " (not usable)";
    else if (v2_controllers.empty())
      s += " (tracking only, no controllers)";
    else {
      s += " (";
      for (size_t i = 0; i < v2_controllers.size(); ++i) s += (i ? " " : "") + v2_controllers[i];
      s += ")";
    }
  }
  std::set<std::string> mounts;
  std::string v1s;
  for (const auto& [c, h] : v1)
    if (h.writable()) v1s += " " + c;
  if (!v1s.empty()) s += (v2_mount.empty() ? ":" : ",") + std::string(" v1") + v1s;
  if (!v2_problem.empty()) s += "; " + v2_problem;
  return s;
}

namespace {

// The whitespace-separated fields of a line, as `istream >> word` reads
// them (a run of blanks is one separator), up to `n` of them; fewer when
// the line has fewer. A loop over the characters, not find_first_of(" \t"):
// libstdc++ answers that with a memchr() call per character of the line,
// which made most of the parse of mountinfo (21 lines here) on every start
// of a v1 or hybrid machine.
size_t fields(std::string_view line, std::string_view* out, size_t n) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  size_t count = 0, at = 0;
  while (count < n) {
    while (at < line.size() && blank(line[at])) ++at;
    if (at == line.size()) break;
    size_t end = at;
    while (end < line.size() && !blank(line[end])) ++end;
    out[count++] = line.substr(at, end - at);
    at = end;
  }
  return count;
}

// Calls f(line) for each '\n'-separated line of `text` (the last one
// without its '\n' too, as getline() reads it).
template <typename F>
void for_each_line(std::string_view text, F f) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    f(text.substr(at, end - at));
    at = end + 1;
  }
}

// This process's v2 cgroup: the "0::" line of /proc/self/cgroup ("/" at
// the root of the tree), "" when there is none.
std::string own_v2_cgroup(std::string_view proc_self_cgroup) {
  std::string own;
  for_each_line(proc_self_cgroup, [&](std::string_view line) {
    if (line.substr(0, 3) == "0::") own = std::string(line.substr(3));
  });
  return own;
}

// The v2 half of the answer and the layout, once the mounts are known
// (s.v2_mount and s.v1): shared by the mountinfo path and the statfs one,
// so that they cannot differ past the mounts.
void complete_support(CgroupSupport& s, std::string_view proc_self_cgroup, const std::string& root, bool is_root_user) {
  if (!s.v2_mount.empty()) {
    std::string own = own_v2_cgroup(proc_self_cgroup);
    if (own.empty()) own = "/";
    std::string mount = root + s.v2_mount;
    if (own == "/" || is_root_user) {
      // Root (or at the top of the tree): a tree of unitrun's own at the top.
      s.v2_base = s.v2_mount + "/unitrun";
      s.v2_writable = is_root_user && ::access(mount.c_str(), W_OK) == 0;
      if (!s.v2_writable) s.v2_problem = "cgroup v2 at " + s.v2_mount + " is not writable by unitrun";
      if (s.v2_writable && own != "/")
        s.v2_problem = "unitrun runs in " + own + "; unit cgroups go to " + s.v2_base + ", beside that tree";
    } else {
      // Not root: only a subtree delegated to this user could be used, and
      // unitrun's own process sits in it (no-internal-processes rule).
      s.v2_base = s.v2_mount + own + "/unitrun";
      s.v2_writable = false;
      s.v2_problem = "not root: cgroups need root here (unitrun's own cgroup " + own + " holds its process)";
    }
    if (auto ctl = read_trimmed(mount + "/cgroup.controllers")) s.v2_controllers = split(*ctl, ' ');
    if (s.v2_writable && s.v2_controllers.empty() && s.v2_problem.empty())
      s.v2_problem = "the cgroup2 tree has no controllers here (they are on v1): it tracks processes only";
  }
  bool v1_any = false;
  for (const auto& [c, h] : s.v1) v1_any = v1_any || !h.controllers.empty();
  if (!s.v2_mount.empty() && v1_any)
    s.layout = CgroupSupport::Layout::Hybrid;
  else if (!s.v2_mount.empty())
    s.layout = CgroupSupport::Layout::V2;
  else if (v1_any)
    s.layout = CgroupSupport::Layout::V1;
}

}  // namespace

CgroupSupport parse_cgroup_support(const std::string& mountinfo, const std::string& proc_self_cgroup,
                                   const std::string& root, bool is_root_user) {
  CgroupSupport s;
  int v2_rank = 3;  // of s.v2_mount: 0 kV2Mount, 1 kHybridV2Mount, 2 elsewhere, 3 none yet
  // string_views, not an istringstream per line: this runs on every start,
  // in a monitor just forked (each new piece of code it runs is page faults).
  for_each_line(mountinfo, [&](std::string_view line) {
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) return;
    std::string_view pre[5], post[3];
    if (fields(line.substr(0, dash), pre, 5) < 5) return;
    if (fields(line.substr(dash + 3), post, 3) < 3) return;
    std::string_view fstype = post[0];
    if (fstype == "cgroup2") {
      // The one at systemd's place (/sys/fs/cgroup, or .../unified beside
      // v1), else the first listed: the statfs path (detect_cgroups())
      // can answer only for the former, and must answer the same.
      std::string mount_point = unescape_mount_path(std::string(pre[4]));
      int rank = mount_point == kV2Mount ? 0 : mount_point == kHybridV2Mount ? 1 : 2;
      if (v2_rank > rank) {
        s.v2_mount = std::move(mount_point);
        v2_rank = rank;
      }
    } else if (fstype == "cgroup") {
      CgroupV1Hierarchy h;
      for (const std::string& o : split(post[2], ','))
        if (is_v1_controller(o)) h.controllers.push_back(o);
      if (h.controllers.empty()) return;  // name=systemd and the like: no controller
      h.mount_point = unescape_mount_path(std::string(pre[4]));
      h.probe_path = root + h.mount_point;
      h.root_user = is_root_user;
      for (const std::string& c : h.controllers)
        if (!s.v1.count(c)) s.v1[c] = h;
    }
  });
  complete_support(s, proc_self_cgroup, root, is_root_user);
  return s;
}

namespace {

// Whether the text of /proc/self/cgroup names a v1 hierarchy with a
// controller ("4:memory:/", "2:cpu,cpuacct:/"; not "1:name=systemd:/" nor
// v2's "0::/"). The kernel lists every v1 hierarchy there, mounted here
// or not: without one, no v1 controller is mounted anywhere.
bool lists_v1_controller(std::string_view proc_self_cgroup) {
  bool found = false;
  for_each_line(proc_self_cgroup, [&](std::string_view line) {
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return;
    std::string_view names = line.substr(c1 + 1, c2 - c1 - 1);
    while (!found && !names.empty()) {
      size_t comma = std::min(names.find(','), names.size());
      found = is_v1_controller(names.substr(0, comma));
      names.remove_prefix(std::min(comma + 1, names.size()));
    }
  });
  return found;
}

// Whether `path` is where a cgroup2 file system is mounted: the root of a
// mount (not a directory inside one, not a symlink) whose file system is
// cgroup2, as mountinfo would list it. False where statx() cannot tell
// (before Linux 5.8).
bool is_cgroup2_mount_point(const char* path) {
  struct statx st {};
  if (::statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &st) != 0) return false;
  if (!(st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(st.stx_attributes & STATX_ATTR_MOUNT_ROOT)) return false;
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

}  // namespace

std::optional<CgroupSupport> detect_cgroups_without_mountinfo(const std::string& proc_self_cgroup, bool is_root_user) {
  // The v1 hierarchies' mount points are only in mountinfo; a v2 tree the
  // kernel never showed ("0::" missing: no cgroup2 was ever mounted) is
  // mountinfo's to say too (it says: none).
  if (lists_v1_controller(proc_self_cgroup)) return std::nullopt;
  bool has_v2_line = false;
  for_each_line(proc_self_cgroup,
                [&](std::string_view line) { has_v2_line = has_v2_line || line.substr(0, 3) == "0::"; });
  if (!has_v2_line) return std::nullopt;
  CgroupSupport s;
  if (is_cgroup2_mount_point(kV2Mount))
    s.v2_mount = kV2Mount;
  else if (is_cgroup2_mount_point(kHybridV2Mount))
    s.v2_mount = kHybridV2Mount;
  else
    return std::nullopt;  // elsewhere, or cannot tell
  complete_support(s, proc_self_cgroup, "", is_root_user);
  return s;
}

CgroupSupport detect_cgroups() {
  auto own = sys::read_file("/proc/self/cgroup", 1 << 16);
  bool is_root_user = ::geteuid() == 0;
  // Pure v2 at /sys/fs/cgroup (most machines now) is told by two stat
  // calls; reading mountinfo costs about 2 us per mount of the machine
  // (45 us with 21 mounts), and hybrid and v1 need it for the hierarchies.
  if (own) {
    if (auto fast = detect_cgroups_without_mountinfo(*own, is_root_user)) return std::move(*fast);
  }
  auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
  return parse_cgroup_support(mountinfo.value_or(""), own.value_or(""), "", is_root_user);
}

std::optional<std::string> unit_cgroup_name(const std::string& unit_name) {
  if (unit_name.empty() || unit_name == "." || unit_name == ".." || unit_name.find('/') != std::string::npos ||
      unit_name.find('\n') != std::string::npos || unit_name.size() > 200)
    return std::nullopt;
  return unit::service_name(unit_name);
}

// ---------------------------------------------------------------- conversions

uint64_t cpu_weight_to_shares(uint64_t weight) { return std::clamp<uint64_t>(weight * 1024 / 100, 2, 262144); }

uint64_t io_weight_to_blkio(uint64_t weight) { return std::clamp<uint64_t>(weight * 500 / 100, 10, 1000); }

std::string cpu_max_value(const std::optional<uint64_t>& quota_per_sec_usec, uint64_t period_usec) {
  if (!quota_per_sec_usec) return "max " + std::to_string(period_usec);
  uint64_t quota = std::max<uint64_t>(*quota_per_sec_usec * period_usec / 1000000, 1000);
  return std::to_string(quota) + " " + std::to_string(period_usec);
}

// ---------------------------------------------------------------- UnitCgroup

const UnitCgroup::Node* UnitCgroup::node_with(const std::string& controller) const {
  for (const Node& n : nodes_)
    if (std::find(n.controllers.begin(), n.controllers.end(), controller) != n.controllers.end()) return &n;
  return nullptr;
}

const UnitCgroup::Node* UnitCgroup::v2_node() const {
  for (const Node& n : nodes_)
    if (n.tree == "v2") return &n;
  return nullptr;
}

const UnitCgroup::Node* UnitCgroup::tracking_node() const {
  if (const Node* n = v2_node()) return n;
  if (const Node* n = node_with("pids")) return n;
  return nodes_.empty() ? nullptr : &nodes_.front();
}

std::vector<std::string> UnitCgroup::paths() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) out.push_back(n.path);
  return out;
}

Status UnitCgroup::open_join_fds() {
  join_fds_.clear();
  join_fd_numbers_.clear();
  thread_join_fds_.clear();
  thread_join_fd_numbers_.clear();
  v2_dir_fd_ = UniqueFd();
  for (const Node& n : nodes_) {
    if (n.tree == "v2") {
      auto dir = sys::open(n.path, O_RDONLY | O_DIRECTORY);
      if (!dir) return dir.error();
      v2_dir_fd_ = std::move(*dir);
      thread_join_fd_numbers_.push_back(-1);
      thread_join_fds_.emplace_back();
    } else {
      auto tasks = sys::open(n.path + "/tasks", O_WRONLY | O_NOCTTY);
      if (!tasks) return tasks.error();
      thread_join_fd_numbers_.push_back(tasks->get());
      thread_join_fds_.push_back(std::move(*tasks));
    }
  }
  return ok();
}

Status UnitCgroup::open_process_join_fds() const {
  if (!join_fds_.empty() || nodes_.empty()) return ok();
  std::vector<UniqueFd> fds;
  std::vector<int> numbers;
  for (const Node& n : nodes_) {
    auto fd = sys::open(n.path + "/cgroup.procs", O_WRONLY | O_NOCTTY);
    if (!fd) return fd.error();
    numbers.push_back(fd->get());
    fds.push_back(std::move(*fd));
  }
  join_fds_ = std::move(fds);
  join_fd_numbers_ = std::move(numbers);
  return ok();
}

Result<UnitCgroup> UnitCgroup::create(const CgroupSupport& support, const std::string& unit_name,
                                      const CgroupLimits& limits, const CgroupOptions& options) {
  auto name = unit_cgroup_name(unit_name);
  if (!name) return Error::plain("cgroup: unusable unit name '" + unit_name + "'");
  UnitCgroup cg;
  Problems problems{options.best_effort, cg.warnings_, std::nullopt};
  if (!support.usable())
    return Error::plain("cgroup: no cgroup tree unitrun can write here (" + support.describe() + ")");

  // ---- the directories
  bool v2_reused = false;  // the v2 directory was left by an earlier run (it may carry its IP filter)
  auto make_dir = [&](const std::string& path) -> Result<bool> {
    if (::mkdir(path.c_str(), 0755) == 0) return true;
    if (errno == EEXIST) return false;
    return Error::from_errno("cgroup: create " + path);
  };
  // A unit's directory in a tree's shared "unitrun" base, which is made
  // only when the unit's mkdir says it is missing (ENOENT): one mkdir a
  // start where the base is there, as it is after the first start.
  auto make_unit_dir = [&](const std::string& base, const std::string& path) -> Result<bool> {
    if (::mkdir(path.c_str(), 0755) == 0) return true;
    if (errno == EEXIST) return false;
    if (errno != ENOENT) return Error::from_errno("cgroup: create " + path);
    if (auto r = make_dir(base); !r) return r.error();
    return make_dir(path);
  };
  // What the v2 tree's unit directories offer, asked of its base (the root
  // cgroup has neither file): cgroup.kill (5.14) implies cgroup.freeze
  // (5.2) and cpu.stat (4.15), and that the base exists, so one access()
  // answers all on a current kernel; else the base is made and asked again.
  CgroupV2Features v2_features;
  if (support.v2_writable) {
    const std::string& b = support.v2_base;
    v2_features.kill_or_freeze = exists(b + "/cgroup.kill");
    if (!v2_features.kill_or_freeze) {
      if (auto r = make_dir(b); !r) return r.error();
      v2_features.kill_or_freeze = exists(b + "/cgroup.kill") || exists(b + "/cgroup.freeze");
    }
    v2_features.cpu_stat = v2_features.kill_or_freeze || exists(b + "/cpu.stat");
  }
  CgroupPlan plan = plan_unit_cgroup(support, limits, v2_features);
  for (const auto& [key, reason] : plan.problems) problems.add(key, reason);
  for (std::string& w : plan.warnings) cg.warnings_.push_back(std::move(w));
  const char* ip_key = ip_firewall_key(limits);
  bool want_ip_firewall = ip_key != nullptr;
  if (ip_key && !support.v2_writable) {
    problems.add(ip_key, ip_firewall_needs_v2(support));
    want_ip_firewall = false;
  }
  if (problems.error) return *problems.error;
  if (plan.v2) {
    // Controllers are handed down level by level: the base's parent (the
    // root of the tree) enables them for the base, the base for the units.
    std::string parent = support.v2_base.substr(0, support.v2_base.rfind('/'));
    std::vector<std::string> enabled;
    // What the base hands down already (every start after the first) needs
    // no write, in the base or in the parent: the base can enable only what
    // its parent enabled for it. One read instead of two open()+write()s of
    // cgroup files per controller (memory and pids for a plain unit).
    std::vector<std::string> handed_down;
    if (!plan.v2_controllers.empty())
      if (auto text = read_trimmed(support.v2_base + "/cgroup.subtree_control")) handed_down = split(*text, ' ');
    for (const auto& [c, key] : plan.v2_controllers) {
      if (std::find(handed_down.begin(), handed_down.end(), c) != handed_down.end()) {
        enabled.push_back(c);
        continue;
      }
      Status s = write_value(parent + "/cgroup.subtree_control", "+" + c);
      if (s) s = write_value(support.v2_base + "/cgroup.subtree_control", "+" + c);
      if (s)
        enabled.push_back(c);
      else if (!key.empty())
        problems.add(key, s.error());
    }
    if (problems.error) return *problems.error;
    Node n{support.v2_base + "/" + *name, support.v2_mount, "v2", enabled};
    auto made = make_dir(n.path);
    if (!made) return made.error();
    v2_reused = !*made;
    cg.nodes_.push_back(std::move(n));
  }
  bool reused = v2_reused;
  for (const std::string& mount : plan.v1_mounts) {
    const CgroupV1Hierarchy* h = nullptr;
    for (const auto& [c, hier] : support.v1)
      if (hier.mount_point == mount) h = &hier;
    std::string base = mount + "/unitrun";
    Node n{base + "/" + *name, mount, h->controllers.front(), h->controllers};
    auto made = make_unit_dir(base, n.path);
    if (!made) return made.error();
    reused = reused || !*made;
    cg.nodes_.push_back(std::move(n));
  }
  // An earlier run left its directories (a dead monitor, KillMode=process,
  // an older unitrun that made more of them): the ones this run does not
  // use are removed with the rest at its end. A fresh v2 directory does not
  // prove there are none (an older monitor killed between its rmdirs, a v2
  // directory removed by hand): the two hierarchies a v2 tree made
  // unnecessary are looked at too, two stat()s where they are skipped.
  cg.made_fresh_ = !reused;
  if (reused)
    cg.adopt_leftovers(support, *name);
  else if (plan.v2)
    cg.adopt_leftovers(support, *name, {"cpuacct", "freezer"});
  if (cg.nodes_.empty()) return Error::plain("cgroup: no tree to create " + *name + " in (" + support.describe() + ")");
  // Only a directory an earlier run left can have members: one mkdir just
  // made has none (no cgroup.procs read on a start's common path). In v2
  // its cgroup.events counts the sub-cgroups too (Delegate=yes: an earlier
  // run's processes may live only below it); one that cannot be read
  // proves nothing, so it refuses the start.
  if (reused) {
    const Node* t = cg.tracking_node();
    auto m = cg.members();
    bool below = false;
    if (m.empty() && t->tree == "v2") {
      auto populated = read_keyed(t->path + "/cgroup.events", "populated");
      if (!populated)
        return Error{EBUSY,
                     "cgroup: " + t->path +
                         "/cgroup.events cannot be read: cannot tell whether an earlier run's processes are left"};
      below = *populated != 0;
    }
    if (!m.empty())
      return Error{EBUSY,
                   "cgroup: " + t->path + " still has " + std::to_string(m.size()) + " process(es) of an earlier run"};
    if (below) return Error{EBUSY, "cgroup: " + t->path + " still has processes of an earlier run in its sub-cgroups"};
  }

  // ---- the IP filter, before any process joins
  if (want_ip_firewall) {
    if (auto s = attach_ip_firewall(cg.v2_node()->path, limits.ip_address_allow, limits.ip_address_deny); !s) {
      problems.add(ip_key, s.error());
    } else {
      auto shown = [](const char* key, const std::vector<IpPrefix>& list) {
        std::string text = key;
        if (ip_prefixes_cover_all(list) && list.size() == 2) return text + "any";
        for (size_t i = 0; i < list.size(); ++i) text += (i ? " " : "") + ip_prefix_text(list[i]);
        return text;
      };
      if (!limits.ip_address_deny.empty())
        cg.in_force_.push_back(shown("IPAddressDeny=", limits.ip_address_deny) + " (v2 BPF filter)");
      if (!limits.ip_address_allow.empty())
        cg.in_force_.push_back(shown("IPAddressAllow=", limits.ip_address_allow) + " (v2 BPF filter)");
    }
  } else if (v2_reused) {
    // An earlier run's filter must not outlive the line that asked for it.
    if (auto s = detach_ip_firewall(cg.v2_node()->path); !s)
      cg.warnings_.push_back("cannot remove an earlier run's IP filter: " + s.error().message());
  }

  // ---- the limits
  // `shown` empty: applied, but summed up by another entry of in_force_.
  auto set = [&](const std::string& key, const std::string& ctrl, const std::string& file, const std::string& value,
                 const std::string& shown) {
    const Node* n = cg.node_with(ctrl);
    if (!n) return;  // reported above
    if (auto s = write_value(n->path + "/" + file, value); !s) {
      problems.add(key, s.error());
      return;
    }
    if (!shown.empty()) cg.in_force_.push_back(key + shown + " (" + (n->tree == "v2" ? "v2 " : "v1 ") + file + ")");
  };
  const Node* mem = cg.node_with("memory");
  bool mem_v2 = mem && mem->tree == "v2";
  if (limits.memory_max)
    set("MemoryMax=", "memory", mem_v2 ? "memory.max" : "memory.limit_in_bytes",
        number_or_max(*limits.memory_max, mem_v2 ? "max" : "-1"), bytes_text(*limits.memory_max));
  if (limits.memory_high) {
    if (mem_v2)
      set("MemoryHigh=", "memory", "memory.high", number_or_max(*limits.memory_high, "max"),
          bytes_text(*limits.memory_high));
    else if (mem)
      problems.add("MemoryHigh=", "needs cgroup v2's memory controller (v1 has no equivalent)");
  }
  if (limits.memory_swap_max && mem) {
    if (mem_v2) {
      if (exists(mem->path + "/memory.swap.max"))
        set("MemorySwapMax=", "memory", "memory.swap.max", number_or_max(*limits.memory_swap_max, "max"),
            bytes_text(*limits.memory_swap_max));
      else
        problems.add("MemorySwapMax=", "this kernel does not account swap (no memory.swap.max)");
    } else if (!exists(mem->path + "/memory.memsw.limit_in_bytes")) {
      problems.add("MemorySwapMax=", "this kernel does not account swap on cgroup v1 (no memory.memsw.*)");
    } else if (!limits.memory_max || *limits.memory_max == kCgroupInfinity) {
      problems.add("MemorySwapMax=",
                   "on cgroup v1 it needs a finite MemoryMax= (memory.memsw.limit_in_bytes limits memory and swap "
                   "together)");
    } else {
      uint64_t both =
          *limits.memory_swap_max == kCgroupInfinity ? kCgroupInfinity : *limits.memory_max + *limits.memory_swap_max;
      set("MemorySwapMax=", "memory", "memory.memsw.limit_in_bytes", number_or_max(both, "-1"),
          bytes_text(*limits.memory_swap_max));
    }
  }
  if (limits.tasks_max)
    set("TasksMax=", "pids", "pids.max", number_or_max(*limits.tasks_max, "max"),
        limits.tasks_max == kCgroupInfinity ? "infinity" : std::to_string(*limits.tasks_max));
  const Node* cpu = cg.node_with("cpu");
  bool cpu_v2 = cpu && cpu->tree == "v2";
  if (limits.cpu_quota_per_sec_usec && cpu) {
    std::string shown = std::to_string(*limits.cpu_quota_per_sec_usec / 10000) + "%";
    if (cpu_v2) {
      set("CPUQuota=", "cpu", "cpu.max", cpu_max_value(limits.cpu_quota_per_sec_usec, limits.cpu_quota_period_usec),
          shown);
    } else {
      uint64_t quota =
          std::max<uint64_t>(*limits.cpu_quota_per_sec_usec * limits.cpu_quota_period_usec / 1000000, 1000);
      set("CPUQuotaPeriodSec=", "cpu", "cpu.cfs_period_us", std::to_string(limits.cpu_quota_period_usec),
          std::to_string(limits.cpu_quota_period_usec) + "us");
      set("CPUQuota=", "cpu", "cpu.cfs_quota_us", std::to_string(quota), shown);
    }
  }
  if (limits.cpu_weight && cpu) {
    if (cpu_v2)
      set("CPUWeight=", "cpu", "cpu.weight", std::to_string(*limits.cpu_weight), std::to_string(*limits.cpu_weight));
    else
      set("CPUWeight=", "cpu", "cpu.shares", std::to_string(cpu_weight_to_shares(*limits.cpu_weight)),
          std::to_string(*limits.cpu_weight));
  }
  bool want_io = limits.io_weight || !limits.io_device_weight.empty();
  const Node* io = want_io ? cg.node_with(support.carrier("io") == "v2" ? "io" : "blkio") : nullptr;
  if (io) {
    bool io_v2 = io->tree == "v2";
    std::string weight_file, device_file;
    if (io_v2) {
      weight_file = device_file = "io.weight";
    } else if (exists(io->path + "/blkio.bfq.weight")) {
      weight_file = "blkio.bfq.weight";
      device_file = "blkio.bfq.weight_device";
    } else if (exists(io->path + "/blkio.weight")) {
      weight_file = "blkio.weight";
      device_file = "blkio.weight_device";
    }
    if (weight_file.empty()) {
      problems.add(limits.io_weight ? "IOWeight=" : "IODeviceWeight=",
                   "the v1 blkio controller here has no weight file (it needs the BFQ I/O scheduler)");
    } else {
      const std::string ctrl = io_v2 ? "io" : "blkio";
      if (limits.io_weight) {
        std::string v = io_v2 ? "default " + std::to_string(*limits.io_weight)
                              : std::to_string(io_weight_to_blkio(*limits.io_weight));
        set("IOWeight=", ctrl, weight_file, v, std::to_string(*limits.io_weight));
      }
      for (const IoDeviceWeight& d : limits.io_device_weight) {
        auto dev = device_numbers(d.device, true);
        if (!dev) {
          problems.add("IODeviceWeight=", d.device + ": " + std::strerror(errno));
          continue;
        }
        std::string w = std::to_string(io_v2 ? d.weight : io_weight_to_blkio(d.weight));
        set("IODeviceWeight=", ctrl, device_file, dev->second + " " + w, d.device + " " + std::to_string(d.weight));
      }
    }
  }
  // The plan takes the devices controller for a device rule only.
  if (cg.node_with("devices")) {
    // systemd's closed policy: the API pseudo devices stay usable.
    std::vector<DeviceAllow> allow;
    bool closed = limits.device_policy == DevicePolicy::Closed ||
                  (limits.device_policy == DevicePolicy::Auto &&
                   (!limits.device_allow.empty() || limits.private_devices || limits.protect_clock));
    if (closed) {
      for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                            "/dev/ptmx", "/dev/net/tun"})
        if (exists(d)) allow.push_back({d, "rwm"});
      allow.push_back({"char-pts", "rw"});
    }
    if (limits.protect_clock) allow.push_back({"char-rtc", "r"});
    for (const DeviceAllow& d : limits.device_allow) allow.push_back(d);
    // One entry for the policy and its implied pseudo devices (status's
    // Protection: line stays readable); the unit's own DeviceAllow= each.
    set("DevicePolicy=", "devices", "devices.deny", "a",
        limits.device_policy == DevicePolicy::Strict ? "strict"
                                                     : (closed ? "closed, the pseudo devices allowed" : "closed"));
    for (const DeviceAllow& d : allow) {
      auto rules = device_rules(d);
      if (!rules) {
        // systemd ignores device names the kernel does not have (char-rtc
        // without an RTC): only the user's own entries are errors.
        bool own = std::find(limits.device_allow.begin(), limits.device_allow.end(), d) != limits.device_allow.end();
        if (own) problems.add("DeviceAllow=", d.device + ": no such device");
        continue;
      }
      bool own = std::find(limits.device_allow.begin(), limits.device_allow.end(), d) != limits.device_allow.end();
      for (const std::string& r : *rules)
        set("DeviceAllow=", "devices", "devices.allow", r, own ? d.device + " " + d.access : "");
    }
  }
  if (!limits.slice.empty())
    cg.warnings_.push_back("Slice=" + limits.slice +
                           ": accepted, not applied (unitrun has no slice tree without systemd; the unit's cgroup is "
                           "directly under unitrun/)");
  if (limits.delegate) {
    if (!options.delegate_uid) {
      cg.in_force_.push_back("Delegate=yes (the service runs as root: nothing to hand over)");
    } else {
      uid_t u = *options.delegate_uid;
      gid_t g = options.delegate_gid.value_or(static_cast<gid_t>(-1));
      for (const Node& n : cg.nodes_)
        for (const char* f : {"", "/cgroup.procs", "/cgroup.subtree_control", "/cgroup.threads", "/tasks"}) {
          std::string p = n.path + f;
          if (!exists(p)) continue;
          if (::chown(p.c_str(), u, g) < 0) problems.add("Delegate=", Error::from_errno("chown " + p));
        }
      cg.in_force_.push_back("Delegate=yes (owned by uid " + std::to_string(u) + ")");
    }
  }
  if (problems.error) {
    (void)cg.remove();  // nothing of a refused start is left
    return *problems.error;
  }
  if (auto s = cg.open_join_fds(); !s) return s.error();
  return cg;
}

std::optional<UnitCgroup> UnitCgroup::find(const CgroupSupport& support, const std::string& unit_name) {
  auto name = unit_cgroup_name(unit_name);
  if (!name) return std::nullopt;
  UnitCgroup cg;
  if (!support.v2_base.empty()) {
    std::string p = support.v2_base + "/" + *name;
    if (exists(p)) cg.nodes_.push_back({p, support.v2_mount, "v2", support.v2_controllers});
  }
  std::set<std::string> seen;
  for (const auto& [c, h] : support.v1) {
    if (!seen.insert(h.mount_point).second) continue;
    std::string p = h.mount_point + "/unitrun/" + *name;
    if (exists(p)) cg.nodes_.push_back({p, h.mount_point, h.controllers.front(), h.controllers});
  }
  if (cg.nodes_.empty()) return std::nullopt;
  return cg;
}

void UnitCgroup::adopt_leftovers(const CgroupSupport& support, const std::string& name,
                                 const std::vector<std::string>& only) {
  std::set<std::string> seen;
  for (const Node& n : nodes_) seen.insert(n.mount);
  for (const auto& [c, h] : support.v1) {
    if (!only.empty() && std::find(only.begin(), only.end(), c) == only.end()) continue;
    if (!seen.insert(h.mount_point).second) continue;
    std::string p = h.mount_point + "/unitrun/" + name;
    if (exists(p)) leftovers_.push_back(p);
  }
}

std::optional<UnitCgroup> find_unit_cgroup(const std::string& unit_name) {
  return UnitCgroup::find(detect_cgroups(), unit_name);
}

namespace {

// The names of the sub-directories of the directory `fd` (which `path`
// names): a cgroup's sub-cgroups. One getdents lists a cgroup without
// any (files only).
Result<std::vector<std::string>> sub_cgroup_names(int fd, const std::string& path) {
  std::vector<std::string> subs;
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return Error::from_errno("cgroup: dup " + path);
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    Error e = Error::from_errno("cgroup: read " + path);
    ::close(copy);
    return e;
  }
  errno = 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      subs.emplace_back(e->d_name);
    errno = 0;
  }
  int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return Error{read_errno, "cgroup: read " + path};
  return subs;
}

// Opens the sub-cgroup `name` of the directory `fd`: a directory, never
// through a symlink (cgroupfs has none), relative to its parent's fd (a
// path is never resolved twice), and on the parent's file system: O_NOFOLLOW
// still crosses a mount point, and a directory bind-mounted over a
// sub-cgroup is no cgroup to list or remove (EXDEV). -1 with errno set on
// failure.
int open_sub_cgroup(int fd, const std::string& name) {
  struct stat parent {};
  if (::fstat(fd, &parent) != 0) return -1;
  int child = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (child < 0) return -1;
  struct stat own {};
  bool stated = ::fstat(child, &own) == 0;
  if (!stated || own.st_dev != parent.st_dev) {
    int e = stated ? EXDEV : errno;
    ::close(child);
    errno = e;
    return -1;
  }
  return child;
}

void append_pids(const std::string& text, std::vector<pid_t>& out) {
  std::istringstream in(text);
  pid_t pid;
  while (in >> pid) out.push_back(pid);
}

// Appends the members of every sub-cgroup below the directory `fd`
// (a Delegate=yes service's own), depth first, at most 64 levels down.
void append_sub_cgroup_members(int fd, const std::string& path, int depth, std::vector<pid_t>& out) {
  if (depth > 64) return;
  auto subs = sub_cgroup_names(fd, path);
  if (!subs) return;
  for (const std::string& sub : *subs) {
    int child = open_sub_cgroup(fd, sub);
    if (child < 0) continue;  // gone meanwhile
    UniqueFd child_fd(child);
    int procs = ::openat(child, "cgroup.procs", O_RDONLY | O_CLOEXEC);
    if (procs >= 0) {
      UniqueFd procs_fd(procs);
      if (auto text = sys::read_all(procs, 1 << 22)) append_pids(*text, out);
    }
    append_sub_cgroup_members(child, path + "/" + sub, depth + 1, out);
  }
}

}  // namespace

std::vector<pid_t> UnitCgroup::members() const {
  std::vector<pid_t> out;
  const Node* n = tracking_node();
  if (!n) return out;
  int fd = ::open(n->path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return out;
  UniqueFd dir(fd);
  int procs = ::openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  if (procs < 0) return out;
  {
    UniqueFd procs_fd(procs);
    auto text = sys::read_all(procs, 1 << 22);
    if (!text) return out;
    append_pids(*text, out);
  }
  // The processes in sub-cgroups (Delegate=yes) are the unit's too.
  append_sub_cgroup_members(fd, n->path, 0, out);
  return out;
}

bool UnitCgroup::has_member(pid_t pid) const {
  const Node* n = tracking_node();
  if (!n || pid <= 0 || n->path.compare(0, n->mount.size(), n->mount) != 0) return false;
  const std::string own = n->path.substr(n->mount.size());  // "/unitrun/NAME.service"
  auto text = sys::read_file("/proc/" + std::to_string(pid) + "/cgroup", 1 << 16);
  if (!text) return false;
  // "ID:CONTROLLERS:PATH" lines; v2's is "0::PATH", a v1 hierarchy's
  // lists its controllers ("4:cpu,cpuacct:PATH").
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    bool this_tree = false;
    if (n->tree == "v2") {
      this_tree = line.compare(0, first, "0") == 0 && controllers.empty();
    } else {
      std::istringstream names(controllers);
      for (std::string c; std::getline(names, c, ',');) this_tree = this_tree || c == n->tree;
    }
    if (!this_tree) continue;
    std::string path = line.substr(second + 1);
    return path == own || path.compare(0, own.size() + 1, own + "/") == 0;
  }
  return false;
}

CgroupUsage UnitCgroup::usage() const {
  CgroupUsage u;
  if (const Node* m = node_with("memory")) {
    if (m->tree == "v2") {
      u.memory_current = read_number(m->path + "/memory.current");
      u.memory_max = read_number(m->path + "/memory.max");
      u.memory_high = read_number(m->path + "/memory.high");
      u.memory_peak = read_number(m->path + "/memory.peak");
      u.swap_current = read_number(m->path + "/memory.swap.current");
      u.swap_max = read_number(m->path + "/memory.swap.max");
      u.oom_kills = read_keyed(m->path + "/memory.events", "oom_kill");
    } else {
      u.memory_current = read_number(m->path + "/memory.usage_in_bytes");
      u.memory_max = read_number(m->path + "/memory.limit_in_bytes");
      u.memory_peak = read_number(m->path + "/memory.max_usage_in_bytes");
      u.oom_kills = read_keyed(m->path + "/memory.oom_control", "oom_kill");
    }
  }
  if (const Node* p = node_with("pids")) {
    u.tasks_current = read_number(p->path + "/pids.current");
    u.tasks_max = read_number(p->path + "/pids.max");
  } else if (tracking_node()) {
    u.tasks_current = members().size();
  }
  if (const Node* v2 = v2_node()) {
    if (auto usec = read_keyed(v2->path + "/cpu.stat", "usage_usec")) u.cpu_usage_nsec = *usec * 1000;
  }
  if (!u.cpu_usage_nsec)
    if (const Node* a = node_with("cpuacct")) u.cpu_usage_nsec = read_number(a->path + "/cpuacct.usage");
  return u;
}

bool UnitCgroup::oom_count_lags_event() const {
  const Node* memory = node_with("memory");
  return memory && memory->tree != "v2";
}

Result<UniqueFd> UnitCgroup::open_oom_watch(std::optional<uint64_t>* kills_now) const {
  const Node* m = node_with("memory");
  if (!m) return Error::plain("cgroup: no memory controller for an OOM watch");
  if (m->tree == "v2") {
    UniqueFd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!fd) return Error::from_errno("inotify_init1");
    std::string events = m->path + "/memory.events";
    if (::inotify_add_watch(fd.get(), events.c_str(), IN_MODIFY) < 0)
      return Error::from_errno("inotify_add_watch " + events);
    if (kills_now) *kills_now = oom_kills();
    return fd;
  }
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return Error::from_errno("eventfd");
  auto control = sys::open(m->path + "/memory.oom_control", O_RDONLY);
  if (!control) return control.error();
  std::string reg = std::to_string(efd.get()) + " " + std::to_string(control->get());
  if (auto s = write_value(m->path + "/cgroup.event_control", reg); !s) return s.error();
  if (kills_now) {
    // The count from the file just registered (not read yet: at offset 0),
    // instead of a second open of it: oom_kills()'s answer.
    auto text = sys::read_all(control->get(), 1 << 16);
    *kills_now = text ? parse_keyed(*text, "oom_kill") : std::nullopt;
  }
  return efd;
}

std::optional<uint64_t> UnitCgroup::oom_kills() const {
  const Node* m = node_with("memory");
  if (!m) return std::nullopt;
  if (m->tree == "v2") return read_keyed(m->path + "/memory.events", "oom_kill");
  return read_keyed(m->path + "/memory.oom_control", "oom_kill");
}

Result<bool> UnitCgroup::wait_empty(int timeout_ms) const {
  uint64_t deadline = sys::now_monotonic_usec() + static_cast<uint64_t>(timeout_ms) * 1000;
  if (const Node* v2 = v2_node()) {
    // cgroup.events says "populated 0" once nobody is left; the kernel
    // signals a change of it as a modification (inotify).
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!in) return Error::from_errno("inotify_init1");
    std::string events = v2->path + "/cgroup.events";
    if (::inotify_add_watch(in.get(), events.c_str(), IN_MODIFY) < 0)
      return Error::from_errno("inotify_add_watch " + events);
    while (true) {
      auto populated = read_keyed(events, "populated");
      if (!populated || *populated == 0) return true;
      std::vector<struct pollfd> fds{{in.get(), POLLIN, 0}};
      if (!wait_fds(fds, deadline)) return false;
      sys::drain(in.get());
    }
  }
  // v1: each member's pidfd becomes readable when it exits.
  while (true) {
    std::vector<pid_t> pids = members();
    if (pids.empty()) return true;
    std::vector<UniqueFd> holders;
    std::vector<struct pollfd> fds;
    for (pid_t p : pids) {
      auto fd = sys::pidfd_open(p);
      if (!fd) continue;  // gone already
      fds.push_back({fd->get(), POLLIN, 0});
      holders.push_back(std::move(*fd));
    }
    if (fds.empty()) continue;
    // Wait for the first to go, then look again.
    if (!wait_fds(fds, deadline)) return false;
  }
}

Result<bool> UnitCgroup::kill_all(int timeout_ms) const {
  uint64_t deadline = sys::now_monotonic_usec() + static_cast<uint64_t>(timeout_ms) * 1000;
  auto remaining_ms = [&] {
    uint64_t now = sys::now_monotonic_usec();
    return now >= deadline ? 0 : static_cast<int>((deadline - now) / 1000);
  };
  const Node* v2 = v2_node();
  if (v2 && exists(v2->path + "/cgroup.kill")) {
    if (auto s = write_value(v2->path + "/cgroup.kill", "1"); !s) return s.error();
    return wait_empty(remaining_ms());
  }
  const Node* track = tracking_node();
  if (!track) return true;
  // The membership a pidfd must still show before it is signalled: the
  // cgroup line of the tracking tree in /proc/PID/cgroup.
  // The path below the hierarchy's mount point, as /proc/PID/cgroup shows it.
  std::string rel = track->path.substr(track->mount.size());
  auto still_member = [&](pid_t pid) {
    auto text = sys::read_file("/proc/" + std::to_string(pid) + "/cgroup", 1 << 16);
    if (!text) return false;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) continue;
      std::string path = line.substr(c2 + 1);  // its own directory or a sub-cgroup of it
      if (path != rel && path.compare(0, rel.size() + 1, rel + "/") != 0) continue;
      std::vector<std::string> ctrls = split(line.substr(c1 + 1, c2 - c1 - 1), ',');
      if (track->tree == "v2" && ctrls.empty()) return true;
      for (const std::string& c : ctrls)
        if (std::find(track->controllers.begin(), track->controllers.end(), c) != track->controllers.end()) return true;
    }
    return false;
  };
  // Freezing stops forks while the members are listed and signalled.
  std::string freeze_file, freeze_on, freeze_off;
  if (v2 && exists(v2->path + "/cgroup.freeze")) {
    freeze_file = v2->path + "/cgroup.freeze";
    freeze_on = "1";
    freeze_off = "0";
  } else if (const Node* f = node_with("freezer"); f && exists(f->path + "/freezer.state")) {
    freeze_file = f->path + "/freezer.state";
    freeze_on = "FROZEN";
    freeze_off = "THAWED";
  }
  while (true) {
    if (!freeze_file.empty()) (void)write_value(freeze_file, freeze_on);  // without it the loop still ends
    std::vector<pid_t> pids = members();
    std::vector<UniqueFd> killed;
    for (pid_t pid : pids) {
      auto fd = sys::pidfd_open(pid);
      if (!fd) continue;
      if (!still_member(pid)) continue;  // the PID was reused since the listing
      auto sent = sys::pidfd_send_signal(fd->get(), SIGKILL);
      if (sent && *sent) killed.push_back(std::move(*fd));
    }
    if (!freeze_file.empty()) {
      if (auto s = write_value(freeze_file, freeze_off); !s) return s.error();
    }
    if (pids.empty()) return true;
    std::vector<struct pollfd> fds;
    for (const UniqueFd& fd : killed) fds.push_back({fd.get(), POLLIN, 0});
    // Wait until every one killed has exited, then look again.
    while (!fds.empty()) {
      if (!wait_fds(fds, deadline)) return false;
      fds.erase(std::remove_if(fds.begin(), fds.end(), [](const struct pollfd& p) { return p.revents != 0; }),
                fds.end());
    }
    if (remaining_ms() == 0) return members().empty();
  }
}

namespace {

// Removes the sub-cgroups below the directory `fd` (which `path` names),
// deepest first: what a Delegate=yes service made and left. Directories
// only, each opened with O_NOFOLLOW relative to its parent's fd (cgroupfs
// has no symlinks; a path is never resolved twice). The first failure
// stops it: EBUSY is a sub-cgroup with a member (v1's only answer).
Status remove_sub_cgroups(int fd, const std::string& path, int depth) {
  if (depth > 64) return Error{ELOOP, "cgroup: " + path + " nests deeper than 64 levels"};
  auto subs = sub_cgroup_names(fd, path);
  if (!subs) return subs.error();
  for (const std::string& sub : *subs) {
    std::string sub_path = path + "/" + sub;
    int child = open_sub_cgroup(fd, sub);
    if (child < 0) {
      if (errno == ENOENT || errno == EXDEV) continue;  // gone, or a mount point: left as it is
      return Error::from_errno("cgroup: open " + sub_path);
    }
    UniqueFd child_fd(child);
    if (auto r = remove_sub_cgroups(child_fd.get(), sub_path, depth + 1); !r) return r;
    if (::unlinkat(fd, sub.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      return Error::from_errno("cgroup: rmdir " + sub_path);
  }
  return ok();
}

// Removes one cgroup directory. Its rmdir's EBUSY means a member or a
// sub-cgroup (Delegate=yes: the service's own, left after it ended); with
// no process anywhere below (v2: cgroup.events says "populated 0"; v1,
// which has no such file: every sub-cgroup's rmdir, deepest first,
// succeeds) the sub-cgroups go and it is removed, as systemd trims a
// delegated subtree. Else all is kept: EBUSY, "still has processes".
Status remove_cgroup_dir(const std::string& path, bool v2) {
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return ok();
  if (errno != EBUSY) return Error::from_errno("rmdir " + path);
  Error busy{EBUSY, "cgroup: " + path + " still has processes"};
  if (v2) {
    auto populated = read_keyed(path + "/cgroup.events", "populated");
    if (!populated) return Error::plain("cgroup: rmdir " + path + " is refused and its cgroup.events unreadable");
    if (*populated != 0) return busy;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? ok() : Status{Error::from_errno("cgroup: open " + path)};
  UniqueFd dir(fd);
  if (!v2) {
    // v1 has no "populated" for the whole tree: a member of the directory
    // itself (a leftover adopted from a live older run) keeps every
    // sub-cgroup of it, empty ones too.
    int procs = ::openat(dir.get(), "cgroup.procs", O_RDONLY | O_CLOEXEC);
    if (procs < 0) return Error::from_errno("cgroup: open " + path + "/cgroup.procs");
    UniqueFd procs_fd(procs);
    auto text = sys::read_all(procs, 1 << 22);
    if (!text) return Error::plain("cgroup: read " + path + "/cgroup.procs: " + text.error().message());
    if (text->find_first_not_of(" \n") != std::string::npos) return busy;
  }
  if (auto r = remove_sub_cgroups(dir.get(), path, 0); !r) {
    if (!v2 && r.error().sys_errno == EBUSY) return busy;
    return Error::plain(r.error().message());  // not "has processes": a failure to report
  }
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return ok();
  if (errno == EBUSY) return busy;  // a process joined meanwhile
  return Error::from_errno("rmdir " + path);
}

}  // namespace

Status UnitCgroup::remove() const {
  // The tracking directory first: the kernel refuses to remove a cgroup
  // with a live member (EBUSY), atomically, so that answer is "not empty"
  // and the rest is left as it is. Only that answer has EBUSY: any other
  // failure (a later tree's directory too) is one to report.
  std::vector<std::pair<std::string, bool>> order;  // path, v2
  if (const Node* t = tracking_node()) order.emplace_back(t->path, t->tree == "v2");
  for (const Node& n : nodes_)
    if (order.empty() || n.path != order.front().first) order.emplace_back(n.path, n.tree == "v2");
  for (const std::string& p : leftovers_) order.emplace_back(p, false);
  Status result = ok();
  for (size_t i = 0; i < order.size(); ++i) {
    Status s = remove_cgroup_dir(order[i].first, order[i].second);
    if (s) continue;
    if (i == 0 && s.error().sys_errno == EBUSY) return s;
    if (result) result = s.error().sys_errno == EBUSY ? Error::plain(s.error().message()) : s.error();
  }
  return result;
}

}  // namespace unitrun::process

namespace unitrun::process {
namespace {

// A file of a v1 controller: at the hierarchy's root or, for files the
// kernel shows only below it (blkio.bfq.weight), in a cgroup below it.
// nullopt: there is no cgroup below the root to look in (cannot tell).
std::optional<bool> v1_file_exists(const CgroupV1Hierarchy& h, const std::string& file) {
  if (exists(h.mount_point + "/" + file)) return true;
  DIR* dir = ::opendir(h.mount_point.c_str());
  if (!dir) return std::nullopt;
  std::optional<std::string> child;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    child = h.mount_point + "/" + e->d_name;
    break;
  }
  ::closedir(dir);
  if (!child) return std::nullopt;
  return exists(*child + "/" + file);
}

// Whether the BFQ I/O scheduler is registered (it brings v1's
// blkio.bfq.weight): a block device lists it among its schedulers. nullopt
// without a block device to ask.
std::optional<bool> bfq_registered() {
  DIR* dir = ::opendir("/sys/block");
  if (!dir) return std::nullopt;
  std::optional<bool> found;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    auto text = sys::read_file(std::string("/sys/block/") + e->d_name + "/queue/scheduler", 4096);
    if (!text) continue;
    found = found.value_or(false) || text->find("bfq") != std::string::npos;
  }
  ::closedir(dir);
  return found;
}

}  // namespace

std::vector<std::string> check_limits(const CgroupSupport& support, const CgroupLimits& limits) {
  std::vector<std::string> problems;
  auto add = [&](const std::string& key, const std::string& reason) { problems.push_back(key + ": " + reason); };
  auto need = [&](const std::string& ctrl, const std::string& key) {
    if (support.carrier(ctrl).empty())
      add(key, "no " + ctrl + " controller unitrun can use here (" + support.describe() + ")");
  };
  const CgroupV1Hierarchy* mem_v1 = support.carrier("memory") == "v1" ? &support.v1.at("memory") : nullptr;
  if (limits.memory_max) need("memory", "MemoryMax=");
  if (limits.memory_high) {
    need("memory", "MemoryHigh=");
    if (mem_v1) add("MemoryHigh=", "needs cgroup v2's memory controller (v1 has no equivalent)");
  }
  if (limits.memory_swap_max) {
    need("memory", "MemorySwapMax=");
    if (mem_v1 && v1_file_exists(*mem_v1, "memory.memsw.limit_in_bytes") == false)
      add("MemorySwapMax=", "this kernel does not account swap on cgroup v1 (no memory.memsw.*)");
    else if (mem_v1 && (!limits.memory_max || *limits.memory_max == kCgroupInfinity))
      add("MemorySwapMax=",
          "on cgroup v1 it needs a finite MemoryMax= (memory.memsw.limit_in_bytes limits memory and swap together)");
  }
  if (limits.tasks_max) need("pids", "TasksMax=");
  if (limits.cpu_quota_per_sec_usec) need("cpu", "CPUQuota=");
  if (limits.cpu_weight) need("cpu", "CPUWeight=");
  if (limits.io_weight || !limits.io_device_weight.empty()) {
    const char* key = limits.io_weight ? "IOWeight=" : "IODeviceWeight=";
    std::string carrier = support.carrier("io");
    if (carrier.empty()) {
      add(key, "no io controller unitrun can use here (" + support.describe() + ")");
    } else if (carrier == "v1") {
      const CgroupV1Hierarchy& h = support.v1.at("blkio");
      auto bfq = v1_file_exists(h, "blkio.bfq.weight");
      auto cfq = v1_file_exists(h, "blkio.weight");
      // No cgroup below the root to look in: the scheduler list tells.
      if (!bfq && cfq != true && bfq_registered() == false) bfq = cfq = false;
      if (bfq == false && cfq == false)
        add(key, "the v1 blkio controller here has no weight file (it needs the BFQ I/O scheduler)");
    }
  }
  if ((!limits.device_allow.empty() || limits.device_policy != DevicePolicy::Auto) &&
      support.carrier("devices") != "v1")
    add(!limits.device_allow.empty() ? "DeviceAllow=" : "DevicePolicy=",
        "no v1 devices controller here, and cgroup v2 device control needs a BPF program unitrun does not install");
  if (const char* key = ip_firewall_key(limits)) {
    if (!support.v2_writable)
      add(key, ip_firewall_needs_v2(support));
    else if (auto s = probe_ip_firewall(); !s)
      add(key, "this kernel does not load the cgroup BPF filter (" + s.error().message() + ")");
  }
  return problems;
}

}  // namespace unitrun::process
