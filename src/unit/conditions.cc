#include "unit/conditions.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <grp.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <linux/netlink.h>

#include "base/fixed_text.h"
#include "base/strings.h"
#include "unit/command_line.h"
#include "unit/values.h"

extern char** environ;

namespace unitrun::unit {
namespace {

// ---- reading the machine ------------------------------------------------------------

// The first `limit` bytes of a small file (proc, sys), or "" when unreadable.
std::string read_small(const std::string& path, size_t limit = 64 * 1024) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string out(limit, '\0');
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::string first_line(const std::string& path) {
  std::string s = read_small(path, 4096);
  return std::string(trim(s.substr(0, s.find('\n'))));
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool dir_has_entries(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return false;
  bool found = false;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

// KEY=VALUE lines with optional quotes: os-release(5), machine-info(5).
std::string env_file_value(const std::string& content, std::string_view key) {
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos || trim(l.substr(0, eq)) != key) continue;
    std::string_view v = trim(l.substr(eq + 1));
    if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'') && v.back() == v[0]) v = v.substr(1, v.size() - 2);
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return {};
}

std::string os_release() {
  std::string s = read_small("/etc/os-release");
  return s.empty() ? read_small("/usr/lib/os-release") : s;
}

// ---- comparisons (systemd's "<", "<=", "=", "!=", ">=", ">") -------------------------

enum class Op { Lt, Le, Eq, Ne, Ge, Gt, None };

// Splits a leading operator off `s`.
Op take_operator(std::string_view& s) {
  struct Entry {
    std::string_view text;
    Op op;
  };
  // Two-character operators first.
  static constexpr Entry kOps[] = {{"<=", Op::Le}, {">=", Op::Ge}, {"!=", Op::Ne}, {"==", Op::Eq},
                                   {"<", Op::Lt},  {">", Op::Gt},  {"=", Op::Eq}};
  for (const Entry& e : kOps) {
    if (s.substr(0, e.text.size()) == e.text) {
      s.remove_prefix(e.text.size());
      s = trim(s);
      return e.op;
    }
  }
  return Op::None;
}

bool compare(int order, Op op) {
  switch (op) {
    case Op::Lt:
      return order < 0;
    case Op::Le:
      return order <= 0;
    case Op::Eq:
    case Op::None:
      return order == 0;
    case Op::Ne:
      return order != 0;
    case Op::Ge:
      return order >= 0;
    case Op::Gt:
      return order > 0;
  }
  return false;
}

// Version order in the manner of systemd's strverscmp_improved(): runs of
// digits compare as numbers, other runs as text, '~' sorts before anything.
int version_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    auto skip = [](std::string_view s, size_t& k) {
      while (k < s.size() && !std::isalnum(static_cast<unsigned char>(s[k])) && s[k] != '~') ++k;
    };
    skip(a, i);
    skip(b, j);
    bool tilde_a = i < a.size() && a[i] == '~', tilde_b = j < b.size() && b[j] == '~';
    if (tilde_a || tilde_b) {
      if (!tilde_b) return -1;
      if (!tilde_a) return 1;
      ++i, ++j;
      continue;
    }
    if (i >= a.size() || j >= b.size()) return i >= a.size() ? (j >= b.size() ? 0 : -1) : 1;
    bool digit_a = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    bool digit_b = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (digit_a != digit_b) return digit_a ? 1 : -1;
    size_t ei = i, ej = j;
    auto same_class = [&](char c) {
      return digit_a ? std::isdigit(static_cast<unsigned char>(c)) != 0
                     : std::isalpha(static_cast<unsigned char>(c)) != 0;
    };
    while (ei < a.size() && same_class(a[ei])) ++ei;
    while (ej < b.size() && same_class(b[ej])) ++ej;
    std::string_view ra = a.substr(i, ei - i), rb = b.substr(j, ej - j);
    if (digit_a) {
      while (ra.size() > 1 && ra[0] == '0') ra.remove_prefix(1);
      while (rb.size() > 1 && rb[0] == '0') rb.remove_prefix(1);
      if (ra.size() != rb.size()) return ra.size() < rb.size() ? -1 : 1;
    }
    if (int c = ra.compare(rb); c != 0) return c < 0 ? -1 : 1;
    i = ei, j = ej;
  }
  return 0;
}

// A byte size with an optional K, M, G, T, P, E suffix (base 1024).
Result<uint64_t> parse_size(std::string_view s) {
  s = trim(s);
  if (!s.empty() && (s.back() == 'B' || s.back() == 'b')) s.remove_suffix(1);
  uint64_t scale = 1;
  static constexpr std::string_view kSuffixes = "KMGTPE";
  if (!s.empty()) {
    size_t k = kSuffixes.find(static_cast<char>(std::toupper(static_cast<unsigned char>(s.back()))));
    if (k != std::string_view::npos) {
      scale = uint64_t(1) << (10 * (k + 1));
      s.remove_suffix(1);
    }
  }
  auto n = values::parse_unsigned(s, UINT64_MAX / scale);
  if (!n) return Error::plain("invalid size '" + std::string(s) + "'");
  return *n * scale;
}

// ---- names ---------------------------------------------------------------------------
// Held in place (base/fixed_text.h), not as string_views: a table of
// pointers is relocated, and so dirty, in every unitrun process.

using Name = FixedText<24>;

constexpr std::array<Name, 34> kArchitectures = {
    "x86",   "x86-64",  "ppc",     "ppc-le",   "ppc64",  "ppc64-le",    "ia64",   "parisc",    "parisc64",
    "s390",  "s390x",   "sparc",   "sparc64",  "mips",   "mips-le",     "mips64", "mips64-le", "alpha",
    "arm",   "arm-be",  "arm64",   "arm64-be", "sh",     "sh64",        "m68k",   "tilegx",    "cris",
    "nios2", "riscv32", "riscv64", "arc",      "arc-be", "loongarch64", "native"};

constexpr std::array<Name, 28> kVirtualizations = {
    "vm",      "container",   "private-users",  "qemu",   "kvm",    "amazon", "zvm",  "vmware", "microsoft", "oracle",
    "powervm", "xen",         "bochs",          "uml",    "bhyve",  "qnx",    "acrn", "apple",  "sre",       "openvz",
    "lxc",     "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt",    "wsl",  "proot"};

constexpr std::array<Name, 8> kSecurity = {"selinux", "apparmor", "tomoyo",          "ima",
                                           "smack",   "audit",    "uefi-secureboot", "tpm2"};

constexpr std::array<Name, 41> kCapabilities = {"cap_chown",
                                                "cap_dac_override",
                                                "cap_dac_read_search",
                                                "cap_fowner",
                                                "cap_fsetid",
                                                "cap_kill",
                                                "cap_setgid",
                                                "cap_setuid",
                                                "cap_setpcap",
                                                "cap_linux_immutable",
                                                "cap_net_bind_service",
                                                "cap_net_broadcast",
                                                "cap_net_admin",
                                                "cap_net_raw",
                                                "cap_ipc_lock",
                                                "cap_ipc_owner",
                                                "cap_sys_module",
                                                "cap_sys_rawio",
                                                "cap_sys_chroot",
                                                "cap_sys_ptrace",
                                                "cap_sys_pacct",
                                                "cap_sys_admin",
                                                "cap_sys_boot",
                                                "cap_sys_nice",
                                                "cap_sys_resource",
                                                "cap_sys_time",
                                                "cap_sys_tty_config",
                                                "cap_mknod",
                                                "cap_lease",
                                                "cap_audit_write",
                                                "cap_audit_control",
                                                "cap_setfcap",
                                                "cap_mac_override",
                                                "cap_mac_admin",
                                                "cap_syslog",
                                                "cap_wake_alarm",
                                                "cap_block_suspend",
                                                "cap_audit_read",
                                                "cap_perfmon",
                                                "cap_bpf",
                                                "cap_checkpoint_restore"};

int capability_number(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < kCapabilities.size(); ++i)
    if (lower == kCapabilities[i].view()) return static_cast<int>(i);
  auto n = values::parse_unsigned(name, 63);
  return n ? static_cast<int>(*n) : -1;
}

template <size_t N>
bool one_of(const std::array<Name, N>& names, std::string_view v) {
  return std::any_of(names.begin(), names.end(), [&](const Name& n) { return n.view() == v; });
}

bool is_path_kind(ConditionKind k) {
  switch (k) {
    case ConditionKind::PathExists:
    case ConditionKind::PathExistsGlob:
    case ConditionKind::PathIsDirectory:
    case ConditionKind::PathIsSymbolicLink:
    case ConditionKind::PathIsMountPoint:
    case ConditionKind::PathIsReadWrite:
    case ConditionKind::PathIsEncrypted:
    case ConditionKind::DirectoryNotEmpty:
    case ConditionKind::FileNotEmpty:
    case ConditionKind::FileIsExecutable:
      return true;
    default:
      return false;
  }
}

// "10%", "10%/1min", "user.slice:10%/10sec".
struct PressureSpec {
  std::string slice;
  double threshold = 0;
  std::string window = "avg300";
};

Result<PressureSpec> parse_pressure(std::string_view v) {
  PressureSpec p;
  auto bad = [&] {
    return Error::plain("invalid pressure threshold '" + std::string(v) +
                        "' (N%, optionally N%/10sec, /1min or /5min, optionally after SLICE:)");
  };
  size_t colon = v.find(':');
  if (colon != std::string_view::npos) {
    p.slice = std::string(v.substr(0, colon));
    if (p.slice.size() < 7 || p.slice.compare(p.slice.size() - 6, 6, ".slice") != 0) return bad();
    v.remove_prefix(colon + 1);
  }
  size_t slash = v.find('/');
  std::string_view window = slash == std::string_view::npos ? "" : v.substr(slash + 1);
  std::string_view number = v.substr(0, slash);
  if (number.empty() || number.back() != '%') return bad();
  number.remove_suffix(1);
  auto pct = values::parse_unsigned(number, 100);
  if (!pct) return bad();
  p.threshold = static_cast<double>(*pct);
  if (window == "10sec")
    p.window = "avg10";
  else if (window == "1min")
    p.window = "avg60";
  else if (window == "5min" || window.empty())
    p.window = "avg300";
  else
    return bad();
  return p;
}

Status check_comparisons(std::string_view value, bool need_key) {
  for (const std::string& word : split_whitespace(value)) {
    std::string_view w = word;
    if (need_key) {
      size_t op = w.find_first_of("<>=!");
      if (op == 0 || op == std::string_view::npos)
        return Error::plain("invalid expression '" + word + "' (KEY=VALUE, KEY!=VALUE, KEY>=VERSION, ...)");
      w.remove_prefix(op);
    }
    Op o = take_operator(w);
    if ((need_key && o == Op::None) || w.empty())
      return Error::plain("invalid expression '" + word + "' (an operator <, <=, =, !=, >=, > and a value)");
  }
  return ok();
}

Status validate(ConditionKind kind, std::string_view v) {
  using K = ConditionKind;
  auto bad = [&](std::string_view what) {
    return Error::plain("invalid value '" + std::string(v) + "' (" + std::string(what) + ")");
  };
  if (is_path_kind(kind)) {
    if (v.empty() || v[0] != '/') return bad("an absolute path");
    return ok();
  }
  switch (kind) {
    case K::NeedsUpdate:
      if (v != "/etc" && v != "/var" && v != "/etc/" && v != "/var/") return bad("/etc or /var");
      return ok();
    case K::FirstBoot:
    case K::ACPower:
      if (!values::parse_bool(v)) return bad("a boolean");
      return ok();
    case K::Architecture:
      if (!one_of(kArchitectures, v)) return bad("an architecture such as x86-64, arm64 or native");
      return ok();
    case K::Virtualization:
      if (!values::parse_bool(v) && !one_of(kVirtualizations, v))
        return bad("a boolean, vm, container, private-users or a technology such as kvm or docker");
      return ok();
    case K::Security:
      if (!one_of(kSecurity, v)) return bad("selinux, apparmor, tomoyo, ima, smack, audit, uefi-secureboot or tpm2");
      return ok();
    case K::Capability:
      if (capability_number(v) < 0) return bad("a capability such as CAP_NET_ADMIN");
      return ok();
    case K::Memory:
    case K::CPUs: {
      std::string_view s = trim(v);
      take_operator(s);
      if (kind == K::Memory ? !parse_size(s) : !values::parse_unsigned(s, UINT32_MAX))
        return bad(kind == K::Memory ? "a size, optionally after <, <=, =, !=, >=, >"
                                     : "a number of CPUs, optionally after <, <=, =, !=, >=, >");
      return ok();
    }
    case K::KernelVersion:
      return check_comparisons(v, false);
    case K::OSRelease:
      return check_comparisons(v, true);
    case K::Environment:
    case K::Credential:
      if (v.empty() || v.find('/') != std::string_view::npos) return bad("a name");
      return ok();
    case K::MemoryPressure:
    case K::CPUPressure:
    case K::IOPressure: {
      auto p = parse_pressure(v);
      return p ? ok() : Status(p.error());
    }
    case K::Firmware:
      if (v == "uefi" || v == "device-tree") return ok();
      if ((v.substr(0, 23) == "device-tree-compatible(" || v.substr(0, 13) == "smbios-field(") && v.back() == ')')
        return ok();
      return bad("uefi, device-tree, device-tree-compatible(VALUE) or smbios-field(FIELD OP VALUE)");
    default:
      if (v.empty()) return bad("not empty");
      return ok();
  }
}

// ---- the checks ------------------------------------------------------------------------

bool is_hidden_or_backup(std::string_view name) {
  if (name.empty() || name[0] == '.' || name.back() == '~') return true;
  static constexpr std::string_view kSuffixes[] = {
      ".rpmnew",    ".rpmsave",  ".rpmorig",     ".dpkg-old",    ".dpkg-new", ".dpkg-tmp",
      ".dpkg-dist", ".dpkg-bak", ".dpkg-backup", ".dpkg-remove", ".ucf-new",  ".ucf-old",
      ".ucf-dist",  ".swp",      ".bak",         ".old",         ".new"};
  for (std::string_view s : kSuffixes)
    if (name.size() >= s.size() && name.substr(name.size() - s.size()) == s) return true;
  return false;
}

// /proc/self/mountinfo's mount points, with their octal escapes decoded.
bool is_mount_point(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return false;
  std::istringstream in(read_small("/proc/self/mountinfo", 4 << 20));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    std::string decoded;
    for (size_t i = 0; i < mount_point.size(); ++i) {
      if (mount_point[i] == '\\' && i + 3 < mount_point.size()) {
        decoded += static_cast<char>((mount_point[i + 1] - '0') * 64 + (mount_point[i + 2] - '0') * 8 +
                                     (mount_point[i + 3] - '0'));
        i += 3;
      } else {
        decoded += mount_point[i];
      }
    }
    if (decoded == resolved) return true;
  }
  return false;
}

// dm-crypt below the file system of `path`: the block device's dm/uuid, or a
// device it is stacked on, starts with "CRYPT-".
bool is_encrypted_device(unsigned major_n, unsigned minor_n, int depth) {
  if (depth > 8) return false;
  std::string sys = "/sys/dev/block/" + std::to_string(major_n) + ":" + std::to_string(minor_n);
  if (first_line(sys + "/dm/uuid").rfind("CRYPT-", 0) == 0) return true;
  DIR* d = ::opendir((sys + "/slaves").c_str());
  if (!d) return false;
  bool found = false;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string dev = first_line(sys + "/slaves/" + e->d_name + "/dev");
    unsigned ma = 0, mi = 0;
    if (std::sscanf(dev.c_str(), "%u:%u", &ma, &mi) == 2 && is_encrypted_device(ma, mi, depth + 1)) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

bool on_ac_power() {
  DIR* d = ::opendir("/sys/class/power_supply");
  if (!d) return true;  // nothing known about power: assume AC, as systemd does
  bool found_online = false, found_offline = false;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string dir = std::string("/sys/class/power_supply/") + e->d_name;
    if (first_line(dir + "/type") == "Battery") continue;
    if (first_line(dir + "/scope") == "Device") continue;  // a mouse's battery says nothing about the machine
    std::string online = first_line(dir + "/online");
    if (online == "1")
      found_online = true;
    else if (online == "0")
      found_offline = true;
  }
  ::closedir(d);
  return found_online || !found_offline;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

bool is_machine_id(std::string_view v) {
  std::string hex;
  for (char c : v)
    if (c != '-') hex += c;
  return hex.size() == 32 &&
         std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool kernel_command_line_has(std::string_view item) {
  std::string cmdline = read_small("/proc/cmdline");
  auto words = command_line::split_words(trim(cmdline));
  if (!words) return false;
  bool with_value = item.find('=') != std::string_view::npos;
  for (const std::string& w : *words) {
    if (with_value
            ? w == item
            : (w == item || (w.size() > item.size() && w.compare(0, item.size(), item) == 0 && w[item.size()] == '=')))
      return true;
  }
  return false;
}

bool kernel_version_matches(std::string_view expressions) {
  struct utsname u;
  if (::uname(&u) != 0) return false;
  for (const std::string& word : split_whitespace(expressions)) {
    std::string_view w = word;
    Op op = take_operator(w);
    if (op == Op::None) {
      if (::fnmatch(std::string(w).c_str(), u.release, 0) != 0) return false;
    } else if (!compare(version_compare(u.release, w), op)) {
      return false;
    }
  }
  return true;
}

bool os_release_matches(std::string_view expressions) {
  std::string content = os_release();
  for (const std::string& word : split_whitespace(expressions)) {
    std::string_view w = word;
    size_t at = w.find_first_of("<>=!");
    std::string key(w.substr(0, at));
    w.remove_prefix(at);
    Op op = take_operator(w);
    std::string actual = env_file_value(content, key);
    bool text = op == Op::Eq || op == Op::Ne;
    int order = text ? (actual == w ? 0 : 1) : version_compare(actual, w);
    if (!compare(order, op)) return false;
  }
  return true;
}

bool user_matches(std::string_view v) {
  uid_t uid = ::getuid(), euid = ::geteuid();
  if (v == "@system") return uid <= 999 || euid <= 999;
  if (auto n = values::parse_unsigned(v, UINT32_MAX - 1)) return *n == uid || *n == euid;
  const struct passwd* pw = ::getpwnam(std::string(v).c_str());
  return pw && (pw->pw_uid == uid || pw->pw_uid == euid);
}

bool group_matches(std::string_view v) {
  gid_t wanted;
  if (auto n = values::parse_unsigned(v, UINT32_MAX - 1)) {
    wanted = static_cast<gid_t>(*n);
  } else {
    const struct group* gr = ::getgrnam(std::string(v).c_str());
    if (!gr) return false;
    wanted = gr->gr_gid;
  }
  if (wanted == ::getgid() || wanted == ::getegid()) return true;
  int n = ::getgroups(0, nullptr);
  if (n <= 0) return false;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  n = ::getgroups(n, groups.data());
  return n > 0 && std::find(groups.begin(), groups.begin() + n, wanted) != groups.begin() + n;
}

bool environment_has(std::string_view v) {
  bool with_value = v.find('=') != std::string_view::npos;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry = *e;
    if (with_value ? entry == v : entry.substr(0, entry.find('=')) == v) return true;
  }
  return false;
}

bool has_capability(std::string_view name) {
  int cap = capability_number(name);
  std::istringstream in(read_small("/proc/self/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapBnd:", 0) != 0) continue;
    uint64_t mask = std::strtoull(line.c_str() + 7, nullptr, 16);
    return cap >= 0 && cap < 64 && ((mask >> cap) & 1) != 0;
  }
  return false;
}

bool security_enabled(std::string_view v) {
  if (v == "selinux") return exists("/sys/fs/selinux/enforce");
  if (v == "apparmor") return first_line("/sys/module/apparmor/parameters/enabled").rfind('Y', 0) == 0;
  if (v == "tomoyo") return exists("/sys/kernel/security/tomoyo/version");
  if (v == "ima") return exists("/sys/kernel/security/ima/");
  if (v == "smack") return exists("/sys/fs/smackfs/");
  if (v == "audit") {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (fd < 0) return errno != EAFNOSUPPORT && errno != EPROTONOSUPPORT && errno != EPERM;
    ::close(fd);
    return true;
  }
  if (v == "uefi-secureboot") {
    std::string var = read_small("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", 16);
    return var.size() == 5 && var[4] == 1;  // 4 bytes of attributes, then the value
  }
  if (v == "tpm2")
    return dir_has_entries("/sys/class/tpmrm") &&
           (exists("/sys/kernel/security/tpm0/binary_bios_measurements") || exists("/sys/firmware/acpi/tables/TPM2"));
  return false;
}

bool cpu_feature(std::string_view name) {
#if defined(__x86_64__) || defined(__i386__)
  // systemd's names are the kernel's /proc/cpuinfo flags except these.
  static constexpr std::pair<std::string_view, std::string_view> kRenamed[] = {
      {"sse3", "pni"}, {"tsc-deadline", "tsc_deadline_timer"}, {"ds-cpl", "ds_cpl"}, {"cnxt-id", "cid"}};
  std::string flag(name);
  for (const auto& [systemd_name, kernel_name] : kRenamed)
    if (name == systemd_name) flag = kernel_name;
  std::istringstream in(read_small("/proc/cpuinfo", 1 << 20));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::vector<std::string> flags = split_whitespace(line.substr(line.find(':') + 1));
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
  }
  return false;
#else
  (void)name;
  return false;  // systemd knows x86 features only
#endif
}

bool cgroup_controllers_available(std::string_view v) {
  struct statfs fs;
  bool unified = ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  std::vector<std::string> names = split_whitespace(v);
  std::vector<std::string> available;
  if (unified) {
    available = split_whitespace(read_small("/sys/fs/cgroup/cgroup.controllers"));
  } else {
    std::istringstream in(read_small("/proc/cgroups"));
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f = split_whitespace(line);
      if (f.size() >= 4 && f[0][0] != '#' && f[3] == "1") available.push_back(f[0]);
    }
  }
  for (const std::string& n : names) {
    if (n == "v2") {
      if (!unified) return false;
    } else if (n == "v1") {
      if (unified) return false;
    } else if (std::find(available.begin(), available.end(), n) == available.end()) {
      return false;
    }
  }
  return true;
}

bool firmware_matches(std::string_view v) {
  if (v == "uefi") return exists("/sys/firmware/efi/");
  if (v == "device-tree") return exists("/sys/firmware/devicetree/") || exists("/proc/device-tree/");
  std::string_view inner = v.substr(v.find('(') + 1);
  inner.remove_suffix(1);
  if (v.rfind("device-tree-compatible(", 0) == 0) {
    std::string compatible = read_small("/proc/device-tree/compatible");
    for (size_t start = 0; start < compatible.size();) {
      size_t end = compatible.find('\0', start);
      if (end == std::string::npos) end = compatible.size();
      if (std::string_view(compatible).substr(start, end - start) == inner) return true;
      start = end + 1;
    }
    return false;
  }
  // smbios-field(FIELD OP VALUE); "$=" and "!$=" are glob comparisons.
  std::string_view s = trim(inner);
  size_t op_at = s.find_first_of("<>=!$");
  if (op_at == std::string_view::npos) return false;
  std::string field(trim(s.substr(0, op_at)));
  if (field.find('/') != std::string::npos) return false;
  std::string actual = first_line("/sys/class/dmi/id/" + field);
  std::string_view rest = s.substr(op_at);
  bool glob = rest.substr(0, 2) == "$=" || rest.substr(0, 3) == "!$=";
  if (glob) {
    bool negated = rest[0] == '!';
    std::string pattern(trim(rest.substr(negated ? 3 : 2)));
    return (::fnmatch(pattern.c_str(), actual.c_str(), 0) == 0) != negated;
  }
  Op op = take_operator(rest);
  if (op == Op::Eq || op == Op::Ne) {
    bool versioned = s.find("==") != std::string_view::npos;
    int order = versioned ? version_compare(actual, rest) : (actual == rest ? 0 : 1);
    return compare(order, op);
  }
  if (s.find("<>") != std::string_view::npos) return version_compare(actual, rest) != 0;
  return compare(version_compare(actual, rest), op);
}

// "foo-bar.slice" → /sys/fs/cgroup/foo.slice/foo-bar.slice
std::string slice_cgroup(const std::string& slice) {
  if (slice == "-.slice") return "/sys/fs/cgroup";
  std::string path = "/sys/fs/cgroup", name = slice.substr(0, slice.size() - 6);
  for (size_t dash = name.find('-'); dash != std::string::npos; dash = name.find('-', dash + 1))
    path += "/" + name.substr(0, dash) + ".slice";
  return path + "/" + slice;
}

bool pressure_below(ConditionKind kind, std::string_view v) {
  auto spec = parse_pressure(v);
  if (!spec) return false;
  const char* resource = kind == ConditionKind::MemoryPressure ? "memory"
                         : kind == ConditionKind::CPUPressure  ? "cpu"
                                                               : "io";
  std::string file = spec->slice.empty() ? std::string("/proc/pressure/") + resource
                                         : slice_cgroup(spec->slice) + "/" + resource + ".pressure";
  std::string content = read_small(file);
  if (content.empty()) return true;  // no PSI here: nothing is under pressure, as systemd says
  // "full" first, "some" when there is no "full" line.
  for (const char* kind_name : {"full", "some"}) {
    std::istringstream in(content);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(kind_name, 0) != 0) continue;
      size_t at = line.find(spec->window + "=");
      if (at == std::string::npos) continue;
      return std::strtod(line.c_str() + at + spec->window.size() + 1, nullptr) <= spec->threshold;
    }
  }
  return true;
}

bool needs_update(const std::string& dir) {
  struct stat usr, updated;
  if (::stat("/usr/", &usr) != 0) return false;
  std::string stamp = dir + (dir.back() == '/' ? "" : "/") + ".updated";
  if (::stat(stamp.c_str(), &updated) != 0) return true;
  if (usr.st_mtim.tv_sec != updated.st_mtim.tv_sec) return usr.st_mtim.tv_sec > updated.st_mtim.tv_sec;
  return usr.st_mtim.tv_nsec > updated.st_mtim.tv_nsec;
}

uint64_t physical_memory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

unsigned usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

bool check_unnegated(const Condition& c) {
  using K = ConditionKind;
  const std::string& v = c.value;
  struct stat st;
  switch (c.kind) {
    case K::PathExists:
      return ::access(v.c_str(), F_OK) == 0;
    case K::PathExistsGlob: {
      glob_t g;
      int r = ::glob(v.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
      bool found = r == 0 && g.gl_pathc > 0;
      ::globfree(&g);
      return found;
    }
    case K::PathIsDirectory:
      return ::stat(v.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    case K::PathIsSymbolicLink:
      return ::lstat(v.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
    case K::PathIsMountPoint:
      return is_mount_point(v);
    case K::PathIsReadWrite: {
      // systemd: anything but a read-only file system, even a path that does
      // not exist.
      struct statvfs fs;
      return ::statvfs(v.c_str(), &fs) != 0 || (fs.f_flag & ST_RDONLY) == 0;
    }
    case K::PathIsEncrypted:
      return ::stat(v.c_str(), &st) == 0 && is_encrypted_device(major(st.st_dev), minor(st.st_dev), 0);
    case K::DirectoryNotEmpty: {
      DIR* d = ::opendir(v.c_str());
      if (!d) return errno != ENOENT && errno != ENOTDIR;
      bool found = false;
      while (struct dirent* e = ::readdir(d))
        if (!is_hidden_or_backup(e->d_name)) {
          found = true;
          break;
        }
      ::closedir(d);
      return found;
    }
    case K::FileNotEmpty:
      return ::stat(v.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    case K::FileIsExecutable:
      return ::stat(v.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
    case K::NeedsUpdate:
      return needs_update(v);
    case K::FirstBoot:
      return exists("/run/systemd/first-boot") == values::parse_bool(v).value_or(true);
    case K::Architecture:
      return v == "native" || v == architecture_name();
    case K::Firmware:
      return firmware_matches(v);
    case K::Virtualization: {
      if (v == "private-users") {
        std::string map = read_small("/proc/self/uid_map");
        return split_whitespace(map) != std::vector<std::string>{"0", "0", "4294967295"};
      }
      std::string detected = detect_virtualization();
      if (auto b = values::parse_bool(v)) return *b == (detected != "none");
      if (v == "container") return is_container(detected);
      if (v == "vm") return detected != "none" && !is_container(detected);
      return detected == v;
    }
    case K::Host: {
      if (is_machine_id(v)) {
        std::string id = first_line("/etc/machine-id"), want;
        for (char ch : v)
          if (ch != '-') want += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return id == want;
      }
      return ::fnmatch(v.c_str(), hostname().c_str(), FNM_CASEFOLD) == 0;
    }
    case K::KernelCommandLine:
      return kernel_command_line_has(v);
    case K::KernelVersion:
      return kernel_version_matches(v);
    case K::Credential: {
      for (const char* var : {"CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY"}) {
        const char* dir = std::getenv(var);
        if (dir && dir[0] == '/' && exists(std::string(dir) + "/" + v)) return true;
      }
      return false;
    }
    case K::Security:
      return security_enabled(v);
    case K::Capability:
      return has_capability(v);
    case K::ACPower:
      return on_ac_power() == values::parse_bool(v).value_or(true);
    case K::Memory:
    case K::CPUs: {
      std::string_view s = trim(v);
      Op op = take_operator(s);
      if (op == Op::None) op = Op::Ge;
      uint64_t want =
          c.kind == K::Memory ? parse_size(s).value_or(0) : values::parse_unsigned(s, UINT32_MAX).value_or(0);
      uint64_t have = c.kind == K::Memory ? physical_memory() : usable_cpus();
      return compare(have < want ? -1 : have > want ? 1 : 0, op);
    }
    case K::CPUFeature:
      return cpu_feature(v);
    case K::Environment:
      return environment_has(v);
    case K::User:
      return user_matches(v);
    case K::Group:
      return group_matches(v);
    case K::ControlGroupController:
      return cgroup_controllers_available(v);
    case K::OSRelease:
      return os_release_matches(v);
    case K::MemoryPressure:
    case K::CPUPressure:
    case K::IOPressure:
      return pressure_below(c.kind, v);
  }
  return false;
}

std::string describe(const Condition& c) {
  return condition_key(c) + "=" + condition_text(c) + " (line " + std::to_string(c.line) + ")";
}

}  // namespace

Status parse_condition(ConditionKind kind, bool is_assert, std::string_view value, int line,
                       std::vector<Condition>& into) {
  if (value.empty()) {
    std::erase_if(into, [&](const Condition& c) { return c.is_assert == is_assert; });
    return ok();
  }
  Condition c;
  c.kind = kind;
  c.is_assert = is_assert;
  c.line = line;
  std::string_view v = value;
  if (!v.empty() && v[0] == '|') c.trigger = true, v.remove_prefix(1);
  if (!v.empty() && v[0] == '!') c.negate = true, v.remove_prefix(1);
  v = trim(v);
  if (auto r = validate(kind, v); !r) return r;
  c.value = std::string(v);
  into.push_back(std::move(c));
  return ok();
}

bool has_assert_form(ConditionKind kind) { return kind != ConditionKind::Firmware; }

std::string condition_key(const Condition& c) {
  return std::string(c.is_assert ? "Assert" : "Condition") + to_string(c.kind);
}

std::string condition_text(const Condition& c) {
  return std::string(c.trigger ? "|" : "") + (c.negate ? "!" : "") + c.value;
}

bool check(const Condition& condition) { return check_unnegated(condition) != condition.negate; }

ConditionVerdict evaluate_conditions(const Unit& unit) {
  ConditionVerdict verdict;
  for (bool asserts : {false, true}) {
    std::vector<Condition> failed_triggers;
    bool any_trigger = false, trigger_passed = false;
    for (const Condition& c : unit.conditions) {
      if (c.is_assert != asserts) continue;
      bool passed = check(c);
      if (c.trigger) {
        any_trigger = true;
        trigger_passed = trigger_passed || passed;
        if (!passed) failed_triggers.push_back(c);
      } else if (!passed) {
        verdict.failed = {c};
        verdict.message = describe(c) + " was not met";
        break;
      }
    }
    if (verdict.failed.empty() && any_trigger && !trigger_passed) {
      verdict.failed = failed_triggers;
      verdict.message = "none of the triggering " + std::string(asserts ? "asserts" : "conditions") + " was met:";
      for (const Condition& c : failed_triggers) verdict.message += " " + describe(c);
    }
    if (!verdict.failed.empty()) {
      verdict.outcome = asserts ? ConditionVerdict::Outcome::AssertFailed : ConditionVerdict::Outcome::ConditionFailed;
      return verdict;
    }
  }
  return verdict;
}

std::string architecture_name() {
  struct utsname u;
  if (::uname(&u) != 0) return "";
  std::string_view m = u.machine;
  struct Entry {
    FixedText<16> machine, name;
  };
  static constexpr Entry kMap[] = {{"x86_64", "x86-64"},
                                   {"i686", "x86"},
                                   {"i586", "x86"},
                                   {"i486", "x86"},
                                   {"i386", "x86"},
                                   {"aarch64", "arm64"},
                                   {"aarch64_be", "arm64-be"},
                                   {"ppc64le", "ppc64-le"},
                                   {"ppc64", "ppc64"},
                                   {"ppcle", "ppc-le"},
                                   {"ppc", "ppc"},
                                   {"s390x", "s390x"},
                                   {"s390", "s390"},
                                   {"riscv64", "riscv64"},
                                   {"riscv32", "riscv32"},
                                   {"loongarch64", "loongarch64"},
                                   {"mips64", "mips64"},
                                   {"mips", "mips"},
                                   {"alpha", "alpha"},
                                   {"ia64", "ia64"},
                                   {"m68k", "m68k"},
                                   {"sparc64", "sparc64"},
                                   {"sparc", "sparc"},
                                   {"parisc64", "parisc64"},
                                   {"parisc", "parisc"}};
  for (const Entry& e : kMap)
    if (m == e.machine.view()) return std::string(e.name.view());
  if (m.substr(0, 3) == "arm") return m.size() > 2 && m.substr(m.size() - 1) == "b" ? "arm-be" : "arm";
  return std::string(m);
}

namespace {

std::string detect_container() {
  if (exists("/proc/vz") && !exists("/proc/bc")) return "openvz";
  std::string osrelease = first_line("/proc/sys/kernel/osrelease");
  if (osrelease.find("Microsoft") != std::string::npos || osrelease.find("WSL") != std::string::npos) return "wsl";
  // proot runs its guest under ptrace.
  std::istringstream status(read_small("/proc/self/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("TracerPid:", 0) != 0) continue;
    std::string tracer(trim(line.substr(10)));
    if (tracer != "0" && first_line("/proc/" + tracer + "/comm") == "proot") return "proot";
  }
  std::string value = first_line("/run/systemd/container");
  if (value.empty()) value = first_line("/run/host/container-manager");
  if (value.empty()) {
    std::string environ_of_init = read_small("/proc/1/environ");
    for (size_t start = 0; start < environ_of_init.size();) {
      size_t end = environ_of_init.find('\0', start);
      if (end == std::string::npos) end = environ_of_init.size();
      std::string_view entry = std::string_view(environ_of_init).substr(start, end - start);
      if (entry.substr(0, 10) == "container=") value = std::string(entry.substr(10));
      start = end + 1;
    }
  }
  if (value.empty()) {
    if (exists("/run/.containerenv")) return "podman";
    if (exists("/.dockerenv")) return "docker";
    return "none";
  }
  if (value == "oci") return "docker";
  for (std::string_view known :
       {"lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt", "wsl", "proot", "pouch"})
    if (value == known) return value;
  return "container-other";
}

std::string detect_vm() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & 0x80000000u)) {
    __cpuid(0x40000000, eax, ebx, ecx, edx);
    char sig[13] = {};
    std::memcpy(sig, &ebx, 4);
    std::memcpy(sig + 4, &ecx, 4);
    std::memcpy(sig + 8, &edx, 4);
    std::string_view s = sig;
    struct Entry {
      FixedText<16> signature, name;
    };
    static constexpr Entry kSignatures[] = {
        {"XenVMMXenVMM", "xen"},    {"KVMKVMKVM", "kvm"},          {"Linux KVM Hv", "kvm"},   {"TCGTCGTCGTCG", "qemu"},
        {"VMwareVMware", "vmware"}, {"Microsoft Hv", "microsoft"}, {"bhyve bhyve ", "bhyve"}, {"QNXQVMBSQG", "qnx"},
        {"ACRNACRNACRN", "acrn"},   {"SRESRESRESRE", "sre"}};
    for (const Entry& e : kSignatures)
      if (s == e.signature.view()) return std::string(e.name.view());
  }
#endif
  if (first_line("/sys/hypervisor/type") == "xen" || exists("/proc/xen")) return "xen";
  struct Entry {
    FixedText<24> vendor, name;
  };
  static constexpr Entry kVendors[] = {{"KVM", "kvm"},
                                       {"OpenStack", "kvm"},
                                       {"KubeVirt", "kvm"},
                                       {"Amazon EC2", "amazon"},
                                       {"QEMU", "qemu"},
                                       {"VMware", "vmware"},
                                       {"VMW", "vmware"},
                                       {"innotek GmbH", "oracle"},
                                       {"VirtualBox", "oracle"},
                                       {"Oracle Corporation", "oracle"},
                                       {"Xen", "xen"},
                                       {"Bochs", "bochs"},
                                       {"Parallels", "parallels"},
                                       {"BHYVE", "bhyve"},
                                       {"Hyper-V", "microsoft"},
                                       {"Apple Virtualization", "apple"}};
  for (const char* file : {"product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version"}) {
    std::string value = first_line(std::string("/sys/class/dmi/id/") + file);
    for (const Entry& e : kVendors)
      if (!value.empty() && value.rfind(e.vendor.view(), 0) == 0) return std::string(e.name.view());
  }
  std::string cpuinfo = read_small("/proc/cpuinfo", 1 << 20);
  if (cpuinfo.find("User Mode Linux") != std::string::npos) return "uml";
  if (read_small("/proc/sysinfo").find("z/VM") != std::string::npos) return "zvm";
  std::string dt = read_small("/proc/device-tree/hypervisor/compatible");
  if (dt.find("linux,kvm") != std::string::npos) return "kvm";
  if (dt.find("xen") != std::string::npos) return "xen";
  if (dt.find("vmware") != std::string::npos) return "vmware";
  if (exists("/proc/device-tree/ibm,partition-name") && exists("/proc/device-tree/hmc-managed?")) return "powervm";
#if defined(__x86_64__) || defined(__i386__)
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & 0x80000000u)) return "vm-other";
#endif
  return "none";
}

}  // namespace

std::string detect_virtualization() {
  std::string container = detect_container();
  return container != "none" ? container : detect_vm();
}

bool is_container(std::string_view v) {
  for (std::string_view c : {"openvz", "lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt", "wsl",
                             "proot", "pouch", "container-other"})
    if (v == c) return true;
  return false;
}

}  // namespace unitrun::unit
