#include "process/sandbox_mounts.h"

#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

namespace unitrun::process::mounts {
namespace {

constexpr unsigned long kFlagMask = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

using Op = SandboxOp;
using Phase = SandboxOp::Phase;
using Kind = SandboxOp::Kind;

// "/a/b" is below "/a" and "/"; "/ab" is not below "/a".
bool below_or_at(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return true;
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool strictly_below(const std::string& path, const std::string& prefix) {
  return path != prefix && below_or_at(path, prefix);
}

// Component-wise order, so that a parent sorts before its children and
// "/a/b" before "/a-b" (systemd's path_compare).
int path_compare(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (true) {
    while (i < a.size() && a[i] == '/') ++i;
    while (j < b.size() && b[j] == '/') ++j;
    if (i >= a.size() && j >= b.size()) return 0;
    if (i >= a.size()) return -1;
    if (j >= b.size()) return 1;
    size_t ie = a.find('/', i), je = b.find('/', j);
    if (ie == std::string::npos) ie = a.size();
    if (je == std::string::npos) je = b.size();
    int c = a.compare(i, ie - i, b, j, je - j);
    if (c != 0) return c < 0 ? -1 : 1;
    i = ie;
    j = je;
  }
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return path.substr(0, slash);
}

std::string join(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  if (path == "/") return root;
  return root + path;
}

bool is_exec_mode(Mode m) { return m == Mode::Exec || m == Mode::NoExec; }

bool read_only_mode(const Entry& e) { return e.read_only || e.mode == Mode::ReadOnly || e.mode == Mode::Inaccessible; }

// The mounts of the namespace being built, as the child's remounts will
// find them: the host's table, then each entry's mount on top. A mount that
// an entry covers (a tmpfs, a bind from elsewhere) is gone from view.
class Table {
 public:
  explicit Table(const std::vector<HostMount>& host) {
    for (const HostMount& m : host) mounts_[m.path] = m.flags;  // a later mount at a path hides an earlier
  }
  bool is_mount_point(const std::string& path) const { return mounts_.count(path) > 0; }
  // The flags of the mount `path` lies on.
  unsigned long flags_at(const std::string& path) const {
    std::string best;
    unsigned long flags = 0;
    for (const auto& [p, f] : mounts_)
      if (below_or_at(path, p) && p.size() >= best.size()) {
        best = p;
        flags = f;
      }
    return flags;
  }
  void cover(const std::string& path, unsigned long flags) {
    for (auto it = mounts_.begin(); it != mounts_.end();)
      it = strictly_below(it->first, path) ? mounts_.erase(it) : std::next(it);
    mounts_[path] = flags;
  }
  void add(const std::string& path, unsigned long flags) { mounts_[path] = flags; }
  std::vector<std::string> below(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& [p, f] : mounts_)
      if (strictly_below(p, path)) out.push_back(p);
    return out;
  }
  unsigned long& flags(const std::string& path) { return mounts_[path]; }

 private:
  std::map<std::string, unsigned long> mounts_;
};

Op mount_op(std::string what, std::string source, std::string target, std::string fstype, unsigned long flags,
            std::string data = "") {
  Op op{};
  op.phase = Phase::Mounts;
  op.kind = Kind::Mount;
  op.what = std::move(what);
  op.source = std::move(source);
  op.target = std::move(target);
  op.fstype = std::move(fstype);
  op.flags = flags;
  op.data = std::move(data);
  op.exit_status = 226;  // NAMESPACE
  return op;
}

Op simple_op(Kind kind, std::string what, std::string target, uint64_t value = 0, uint64_t value2 = 0) {
  Op op{};
  op.phase = Phase::Mounts;
  op.kind = kind;
  op.what = std::move(what);
  op.target = std::move(target);
  op.value = value;
  op.value2 = value2;
  op.exit_status = 226;
  return op;
}

std::string flag_words(unsigned long f) {
  std::string s;
  auto add = [&](const char* w) { s += s.empty() ? w : std::string(",") + w; };
  if (f & MS_RDONLY) add("read-only");
  if (f & MS_NOSUID) add("nosuid");
  if (f & MS_NODEV) add("nodev");
  if (f & MS_NOEXEC) add("noexec");
  return s.empty() ? "exec" : s;
}

// The inaccessible node for a file type: an empty 000 node of that type,
// bound over the path (a mount must keep the type: directory on
// directory, file on file).
std::string inaccessible_node(const std::string& dir, mode_t type) {
  switch (type & S_IFMT) {
    case S_IFDIR:
      return dir + "/dir";
    case S_IFCHR:
      return dir + "/chr";
    case S_IFBLK:
      return dir + "/blk";
    case S_IFIFO:
      return dir + "/fifo";
    case S_IFSOCK:
      return dir + "/sock";
    default:
      return dir + "/reg";
  }
}

// Mkdir ops for every missing directory down to `path` (mkdir -p inside
// the namespace: under a fresh tmpfs nothing exists yet).
void mkdir_p(std::vector<Op>& ops, const std::string& key, const std::string& path, const Probe& probe,
             const std::set<std::string>& fresh_parents) {
  std::vector<std::string> missing;
  for (std::string p = path; p != "/"; p = parent_of(p)) {
    bool under_fresh = false;
    for (const std::string& f : fresh_parents) under_fresh = under_fresh || strictly_below(p, f);
    if (!under_fresh && probe.lstat(p)) break;
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    ops.push_back(simple_op(Kind::Mkdir, key + " (create " + *it + ")", *it, 0755));
}

struct DevNode {
  std::string name;
  mode_t mode;
  dev_t rdev;
};

// PrivateDevices=: a tmpfs with the API pseudo devices, built on the staging
// directory and moved onto /dev (systemd's mount_private_dev()).
void private_dev(std::vector<Op>& ops, const std::string& dev, const std::string& stage, const Probe& probe,
                 Table& table) {
  const std::string key = "PrivateDevices=";
  ops.push_back(mount_op(key + " (mount a tmpfs for /dev)", "tmpfs", stage, "tmpfs",
                         MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=0755,size=4m,nr_inodes=64k"));
  auto mode_of = [&](const std::string& p) -> std::optional<struct stat> { return probe.lstat(p); };
  // /dev/pts and /dev/shm come from the host, bound.
  if (auto st = mode_of("/dev/pts"); st && S_ISDIR(st->st_mode)) {
    ops.push_back(simple_op(Kind::Mkdir, key + " (create /dev/pts)", stage + "/pts", 0755));
    ops.push_back(mount_op(key + " (bind /dev/pts)", "/dev/pts", stage + "/pts", "", MS_BIND));
  }
  auto ptmx = mode_of("/dev/ptmx");
  if (ptmx && S_ISLNK(ptmx->st_mode)) {
    Op op = simple_op(Kind::Symlink, key + " (link /dev/ptmx)", stage + "/ptmx");
    op.source = "pts/ptmx";
    ops.push_back(op);
  } else if (ptmx && S_ISCHR(ptmx->st_mode)) {
    // /dev/pts/ptmx is mode 000 on a host whose /dev/ptmx is a device node.
    ops.push_back(simple_op(Kind::Mknod, key + " (create /dev/ptmx)", stage + "/ptmx", ptmx->st_mode, ptmx->st_rdev));
  }
  if (auto st = mode_of("/dev/shm"); st && S_ISDIR(st->st_mode)) {
    ops.push_back(simple_op(Kind::Mkdir, key + " (create /dev/shm)", stage + "/shm", 01777));
    ops.push_back(mount_op(key + " (bind /dev/shm)", "/dev/shm", stage + "/shm", "", MS_BIND));
  }
  for (const char* optional_mount : {"mqueue", "hugepages"}) {
    std::string host = std::string("/dev/") + optional_mount;
    if (!table.is_mount_point(host)) continue;
    ops.push_back(simple_op(Kind::Mkdir, key + " (create " + host + ")", stage + "/" + optional_mount, 0755));
    ops.push_back(mount_op(key + " (bind " + host + ")", host, stage + "/" + optional_mount, "", MS_BIND));
  }
  bool made_net = false;
  for (const char* name : {"null", "zero", "full", "random", "urandom", "tty", "net/tun"}) {
    std::string host = std::string("/dev/") + name;
    auto st = mode_of(host);
    if (!st || !S_ISCHR(st->st_mode)) continue;  // systemd skips what the host lacks
    if (std::strchr(name, '/') && !made_net) {
      ops.push_back(simple_op(Kind::Mkdir, key + " (create /dev/net)", stage + "/net", 0755));
      made_net = true;
    }
    ops.push_back(simple_op(Kind::Mknod, key + " (create " + host + ")", stage + "/" + name, st->st_mode, st->st_rdev));
  }
  std::vector<std::pair<std::string, std::string>> links = {{"/proc/self/fd", "fd"},
                                                            {"/proc/self/fd/0", "stdin"},
                                                            {"/proc/self/fd/1", "stdout"},
                                                            {"/proc/self/fd/2", "stderr"}};
  if (probe.lstat("/proc/kcore")) links.push_back({"/proc/kcore", "core"});
  if (probe.lstat("/run/systemd/journal/dev-log")) links.push_back({"/run/systemd/journal/dev-log", "log"});
  for (const auto& [target, name] : links) {
    Op op = simple_op(Kind::Symlink, key + " (link /dev/" + name + ")", stage + "/" + name);
    op.source = target;
    ops.push_back(op);
  }
  ops.push_back(mount_op(key + " (move the new /dev in place)", stage, dev, "", MS_MOVE));
  table.cover(dev, MS_NOSUID | MS_NOEXEC);
  for (const char* sub : {"/pts", "/shm"})
    if (auto st = mode_of(std::string("/dev") + sub); st && S_ISDIR(st->st_mode))
      table.add(dev + sub, table.flags_at(std::string("/dev") + sub));
}

}  // namespace

std::vector<HostMount> parse_mountinfo(const std::string& text) {
  std::vector<HostMount> out;
  std::istringstream in(text);
  std::string line;
  auto unescape = [](const std::string& s) {
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
          std::isdigit(static_cast<unsigned char>(s[i + 2])) && std::isdigit(static_cast<unsigned char>(s[i + 3]))) {
        o += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
        i += 3;
      } else {
        o += s[i];
      }
    }
    return o;
  };
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mount_point, options;
    if (!(f >> id >> parent >> devno >> root >> mount_point >> options)) continue;
    HostMount m;
    m.path = unescape(mount_point);
    std::istringstream opts(options);
    std::string o;
    while (std::getline(opts, o, ',')) {
      if (o == "ro") m.flags |= MS_RDONLY;
      if (o == "nosuid") m.flags |= MS_NOSUID;
      if (o == "nodev") m.flags |= MS_NODEV;
      if (o == "noexec") m.flags |= MS_NOEXEC;
    }
    out.push_back(std::move(m));
  }
  return out;
}

Probe real_probe() {
  Probe p;
  p.canonical = [](const std::string& path) -> std::optional<std::string> {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) return std::nullopt;
    return std::string(buf);
  };
  p.lstat = [](const std::string& path) -> std::optional<struct stat> {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) return std::nullopt;
    return st;
  };
  return p;
}

void tmpfs_options(const std::string& options, unsigned long& flags, std::string& data, bool& read_only) {
  flags = MS_NODEV | MS_STRICTATIME;
  data.clear();
  read_only = false;
  bool has_mode = false;
  std::istringstream in(options);
  std::string o;
  static const std::pair<const char*, unsigned long> kSet[] = {
      {"nosuid", MS_NOSUID},           {"nodev", MS_NODEV},           {"noexec", MS_NOEXEC},
      {"noatime", MS_NOATIME},         {"nodiratime", MS_NODIRATIME}, {"relatime", MS_RELATIME},
      {"strictatime", MS_STRICTATIME}, {"sync", MS_SYNCHRONOUS},
  };
  while (std::getline(in, o, ',')) {
    if (o.empty()) continue;
    if (o == "ro") {
      read_only = true;
      continue;
    }
    if (o == "rw") continue;
    if (o == "suid") {
      flags &= ~static_cast<unsigned long>(MS_NOSUID);
      continue;
    }
    if (o == "dev") {
      flags &= ~static_cast<unsigned long>(MS_NODEV);
      continue;
    }
    if (o == "exec") {
      flags &= ~static_cast<unsigned long>(MS_NOEXEC);
      continue;
    }
    bool matched = false;
    for (const auto& [word, bit] : kSet)
      if (o == word) {
        if (bit & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
          flags &= ~static_cast<unsigned long>(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
        flags |= bit;
        matched = true;
      }
    if (matched) continue;
    if (o.rfind("mode=", 0) == 0) has_mode = true;
    data += data.empty() ? o : "," + o;
  }
  if (!has_mode) data = data.empty() ? "mode=0755" : "mode=0755," + data;
}

Result<std::vector<SandboxOp>> plan(const Layout& layout, const std::vector<HostMount>& host, const Probe& probe) {
  const std::string& root = layout.root;
  // ---- 1. paths as the namespace sees them, resolved like systemd's chase
  std::vector<Entry> entries;
  std::set<std::string> fresh;  // entries that bring an empty file system: what is below them is created
  for (Entry e : layout.entries) {
    if (e.path.empty() || e.path[0] != '/') return Error::plain(e.key + ": '" + e.path + "' is not an absolute path");
    std::string full = join(root, e.path);
    bool creates_target = e.mode == Mode::Tmpfs || e.mode == Mode::BindMount || e.mode == Mode::BindMountRecursive ||
                          e.mode == Mode::PrivateTmp;
    auto canonical = probe.canonical(full);
    if (canonical) {
      if (!root.empty() && root != "/" && !below_or_at(*canonical, root))
        return Error::plain(e.key + ": " + e.path + " leads out of RootDirectory=");
      e.path = *canonical;
    } else if (creates_target && (!e.ignore || e.mode == Mode::BindMount || e.mode == Mode::BindMountRecursive)) {
      e.path = full;  // the mount point is made inside the namespace ("-" on a bind is about its source)
    } else if (e.ignore) {
      continue;
    } else {
      return Error{ENOENT, e.key + ": " + e.path};
    }
    if (e.mode == Mode::BindMount || e.mode == Mode::BindMountRecursive) {
      auto src = probe.canonical(e.source);
      if (!src) {
        if (e.ignore) continue;
        return Error{ENOENT, e.key + ": " + e.source};
      }
      e.source = *src;
    }
    entries.push_back(std::move(e));
  }
  // ---- 2. sort, drop duplicates (the stronger mode wins, read-only is kept),
  // what an inaccessible path hides, and what a parent of the same mode covers
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    int c = path_compare(a.path, b.path);
    if (c != 0) return c < 0;
    return static_cast<int>(a.mode) < static_cast<int>(b.mode);
  });
  // ExecPaths=/NoExecPaths= decide exec only, everything else what is
  // mounted and whether it is writable: a path may carry one of each (as in
  // systemd, whose noexec pass is separate), so "/" of ProtectSystem=strict
  // and "/" of NoExecPaths=/ both stay.
  std::vector<Entry> kept;
  for (Entry& e : entries) {
    auto same = std::find_if(kept.rbegin(), kept.rend(), [&](const Entry& k) {
      return k.path == e.path && is_exec_mode(k.mode) == is_exec_mode(e.mode);
    });
    if (same != kept.rend()) {
      same->read_only = same->read_only || read_only_mode(e);
      continue;
    }
    kept.push_back(std::move(e));
  }
  entries.clear();
  std::string hidden;
  for (Entry& e : kept) {
    if (!hidden.empty() && strictly_below(e.path, hidden)) continue;
    if (e.mode == Mode::Inaccessible) hidden = e.path;
    entries.push_back(std::move(e));
  }
  kept.clear();
  for (Entry& e : entries) {
    if (e.mode == Mode::ReadOnly || e.mode == Mode::ReadWrite || e.mode == Mode::ReadWriteImplicit) {
      const Entry* parent = nullptr;
      for (auto it = kept.rbegin(); it != kept.rend(); ++it)
        if (strictly_below(e.path, it->path)) {
          parent = &*it;
          break;
        }
      if (parent && parent->mode == e.mode && parent->read_only == e.read_only) continue;
    }
    kept.push_back(std::move(e));
  }
  entries = std::move(kept);
  for (const Entry& e : entries)
    if (e.mode == Mode::Tmpfs || e.mode == Mode::PrivateDev) fresh.insert(e.path);
  auto under_fresh = [&](const std::string& p) {
    for (const std::string& f : fresh)
      if (strictly_below(p, f)) return true;
    return false;
  };

  // ---- 3. the mounts, parents first
  std::vector<Op> ops;
  Table table(host);
  ops.push_back(mount_op("mount namespace (keep mounts from propagating to the host)", "", "/", "", MS_SLAVE | MS_REC));
  if (!root.empty() && root != "/" && !table.is_mount_point(root)) {
    ops.push_back(mount_op("RootDirectory= (bind " + root + " onto itself)", root, root, "", MS_BIND | MS_REC));
    table.add(root, table.flags_at(root));
  }
  for (const Entry& e : entries) {
    const std::string& p = e.path;
    switch (e.mode) {
      case Mode::Inaccessible: {
        auto st = probe.lstat(p);
        std::string node = inaccessible_node(layout.inaccessible_dir, st ? st->st_mode : S_IFREG);
        Op op = mount_op(e.key + " (hide " + p + ")", node, p, "", MS_BIND);
        op.ignore_missing = e.ignore;
        ops.push_back(op);
        table.cover(p, table.flags_at(node));
        break;
      }
      case Mode::ReadOnly:
      case Mode::ReadWrite:
      case Mode::ReadWriteImplicit:
      case Mode::Exec:
      case Mode::NoExec:
        if (!table.is_mount_point(p)) {
          Op op = mount_op(e.key + " (bind " + p + " onto itself)", p, p, "", MS_BIND | MS_REC);
          op.ignore_missing = e.ignore;
          ops.push_back(op);
          table.add(p, table.flags_at(p));
        }
        break;
      case Mode::BindMount:
      case Mode::BindMountRecursive: {
        auto st = probe.lstat(e.source);
        bool dir = st && S_ISDIR(st->st_mode);
        if (!probe.lstat(p) || under_fresh(p)) {
          if (dir) {
            mkdir_p(ops, e.key, p, probe, fresh);
          } else {
            mkdir_p(ops, e.key, parent_of(p), probe, fresh);
            ops.push_back(simple_op(Kind::Mknod, e.key + " (create " + p + ")", p, S_IFREG | 0644));
            ops.back().ignore_missing = false;
          }
        }
        bool rec = e.mode == Mode::BindMountRecursive;
        Op op =
            mount_op(e.key + " (bind " + e.source + " on " + p + ")", e.source, p, "", MS_BIND | (rec ? MS_REC : 0));
        ops.push_back(op);
        std::vector<std::pair<std::string, unsigned long>> carried;
        if (rec)
          for (const std::string& sub : table.below(e.source))
            carried.push_back({p + sub.substr(e.source == "/" ? 0 : e.source.size()), table.flags(sub)});
        table.cover(p, table.flags_at(e.source));
        for (const auto& [path, flags] : carried) table.add(path, flags);
        break;
      }
      case Mode::PrivateTmp:
        ops.push_back(mount_op(e.key + " (bind " + e.source + " on " + p + ")", e.source, p, "", MS_BIND));
        table.cover(p, table.flags_at(e.source));
        break;
      case Mode::Tmpfs: {
        mkdir_p(ops, e.key, p, probe, fresh);
        ops.push_back(mount_op(e.key + " (mount a tmpfs on " + p + ")", "tmpfs", p, "tmpfs", e.mount_flags, e.options));
        table.cover(p, e.mount_flags & kFlagMask);
        break;
      }
      case Mode::PrivateDev:
        private_dev(ops, p, layout.staging_dir, probe, table);
        break;
      case Mode::Procfs:
        ops.push_back(mount_op(e.key + " (mount a procfs with " + e.options + " on " + p + ")", "proc", p, "proc",
                               MS_NOSUID | MS_NOEXEC | MS_NODEV, e.options));
        table.cover(p, MS_NOSUID | MS_NOEXEC | MS_NODEV);
        break;
    }
  }

  // ---- 4. read-only, then noexec: recursively, except below other entries
  auto remount = [&](const Entry& e, unsigned long set, unsigned long clear, bool recursive,
                     const std::vector<std::string>& deny) {
    std::vector<std::string> targets{e.path};
    if (recursive)
      for (const std::string& sub : table.below(e.path)) {
        bool denied = false;
        for (const std::string& d : deny)
          if (strictly_below(d, e.path) && below_or_at(sub, d)) denied = true;
        if (!denied) targets.push_back(sub);
      }
    for (const std::string& t : targets) {
      unsigned long& flags = table.flags(t);
      unsigned long want = (flags | set) & ~clear;
      if (want == flags) continue;  // already so: no system call
      flags = want;
      std::string verb = set ? flag_words(set) : "exec";
      Op op = mount_op(e.key + " (mount " + t + " " + verb + ")", "", t, "", MS_BIND | MS_REMOUNT | want);
      op.ignore_missing = e.ignore || t != e.path;
      ops.push_back(op);
    }
  };
  // The read-only pass leaves alone what another entry decides below it;
  // an exec entry decides nothing about writing, so what it names follows
  // its parent (ExecPaths=/usr/lib under ProtectSystem=strict stays
  // read-only).
  std::vector<std::string> all_paths;
  for (const Entry& e : entries)
    if (!is_exec_mode(e.mode)) all_paths.push_back(e.path);
  for (const Entry& e : entries) {
    unsigned long set = 0;
    if (read_only_mode(e) || e.mode == Mode::PrivateDev) set |= MS_RDONLY;
    if (e.mode == Mode::Inaccessible) set |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (!set) continue;
    bool recursive = read_only_mode(e) && e.mode != Mode::Tmpfs;
    remount(e, set, 0, recursive, all_paths);
  }
  std::vector<std::string> exec_paths;
  for (const Entry& e : entries)
    if (e.mode == Mode::Exec || e.mode == Mode::NoExec) exec_paths.push_back(e.path);
  for (const Entry& e : entries) {
    if (e.mode == Mode::NoExec) remount(e, MS_NOEXEC, 0, true, exec_paths);
    if (e.mode == Mode::Exec) remount(e, 0, MS_NOEXEC, true, exec_paths);
  }

  // ---- 5. the root, and propagation from now on
  if (!root.empty() && root != "/") {
    Op op = simple_op(Kind::MoveRoot, "RootDirectory= (make " + root + " the root)", root);
    op.exit_status = 210;  // CHROOT
    ops.push_back(op);
  }
  unsigned long propagation = layout.propagation == MountPropagation::Slave     ? MS_SLAVE
                              : layout.propagation == MountPropagation::Private ? MS_PRIVATE
                                                                                : MS_SHARED;
  ops.push_back(mount_op("MountFlags= (propagation of / and below)", "", "/", "", propagation | MS_REC));
  return ops;
}

}  // namespace unitrun::process::mounts
