#include "process/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "base/fixed_text.h"
#include "base/sys.h"
#include "process/sandbox_mounts.h"
#include "process/sandbox_seccomp.h"
#include "process/syscall_groups.h"

namespace unitrun::process {
namespace {

using Phase = SandboxOp::Phase;
using Kind = SandboxOp::Kind;

// ---------------------------------------------------------------- names

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// systemd's parse_boolean().
std::optional<bool> parse_bool(const std::string& v) {
  for (const char* t : {"1", "yes", "y", "true", "t", "on"})
    if (v == t) return true;
  for (const char* f : {"0", "no", "n", "false", "f", "off"})
    if (v == f) return false;
  return std::nullopt;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// A "~" in front inverts the line (systemd's grammar for list keys).
std::pair<bool, std::string> split_invert(const std::string& value) {
  std::string v = trim(value);
  if (!v.empty() && v[0] == '~') return {true, trim(v.substr(1))};
  return {false, v};
}

unsigned cap_last_cap() {
  static const unsigned last = [] {
    auto text = sys::read_file("/proc/sys/kernel/cap_last_cap", 64);
    if (text) {
      unsigned long v = std::strtoul(text->c_str(), nullptr, 10);
      if (v > 0 && v < 64) return static_cast<unsigned>(v);
    }
    return static_cast<unsigned>(CAP_LAST_CAP);
  }();
  return last;
}

uint64_t all_caps() { return cap_last_cap() >= 63 ? ~0ULL : (1ULL << (cap_last_cap() + 1)) - 1; }

// "CAP_NET_RAW" (any case) or a number, through libcap.
std::optional<unsigned> capability_from_name(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) < 0 || v < 0 || v > 63) return std::nullopt;
  return static_cast<unsigned>(v);
}

std::string capability_name(unsigned cap) {
  char* n = cap_to_name(static_cast<cap_value_t>(cap));
  if (!n) return std::to_string(cap);
  std::string s = n;
  cap_free(n);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// CapabilityBoundingSet=/AmbientCapabilities= lines, merged as systemd's
// documentation says: plain lines OR together, "~" lines AND together, an
// empty line resets to the empty set. nullopt: never set.
Result<std::optional<uint64_t>> combine_caps(const std::string& key, const std::vector<std::string>& lines) {
  std::optional<uint64_t> set;
  for (const std::string& line : lines) {
    auto [invert, rest] = split_invert(line);
    uint64_t mask = 0;
    for (const std::string& w : words(rest)) {
      auto cap = capability_from_name(w);
      if (!cap) return Error::plain(key + ": unknown capability '" + w + "'");
      if (*cap <= cap_last_cap()) mask |= 1ULL << *cap;
    }
    if (rest.empty()) {
      set = invert ? all_caps() : 0;
      continue;
    }
    uint64_t sum = invert ? (~mask & all_caps()) : mask;
    if (!set)
      set = sum;
    else if (invert)
      *set &= sum;
    else
      *set |= sum;
  }
  return set;
}

std::string caps_text(uint64_t mask) {
  std::string out;
  for (unsigned c = 0; c <= cap_last_cap(); ++c)
    if (mask & (1ULL << c)) out += (out.empty() ? "" : " ") + capability_name(c);
  return out.empty() ? "(none)" : out;
}

const std::pair<const char*, unsigned long> kSecureBits[] = {
    {"keep-caps", SECBIT_KEEP_CAPS},
    {"keep-caps-locked", SECBIT_KEEP_CAPS_LOCKED},
    {"no-setuid-fixup", SECBIT_NO_SETUID_FIXUP},
    {"no-setuid-fixup-locked", SECBIT_NO_SETUID_FIXUP_LOCKED},
    {"noroot", SECBIT_NOROOT},
    {"noroot-locked", SECBIT_NOROOT_LOCKED},
};

// SecureBits=: the last non-empty line wins, an empty one resets (systemd).
Result<unsigned long> combine_secure_bits(const std::vector<std::string>& lines) {
  unsigned long bits = 0;
  for (const std::string& line : lines) {
    unsigned long v = 0;
    for (const std::string& w : words(line)) {
      bool found = false;
      for (const auto& [name, bit] : kSecureBits)
        if (w == name) {
          v |= bit;
          found = true;
        }
      if (!found) return Error::plain("SecureBits=: unknown secure bit '" + w + "'");
    }
    bits = v;
  }
  return bits;
}

const std::pair<const char*, unsigned long> kNamespaces[] = {
    {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},   {"net", CLONE_NEWNET}, {"mnt", CLONE_NEWNS},
    {"pid", CLONE_NEWPID},       {"user", CLONE_NEWUSER}, {"uts", CLONE_NEWUTS}, {"time", 0x80 /* CLONE_NEWTIME */},
};
constexpr unsigned long kAllNamespaces =
    CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS | 0x80;

// RestrictNamespaces=: the set of namespace types still allowed. "yes"
// allows none, "no" all; the first list sets, later lists add (or with "~"
// remove); an empty line resets. nullopt: not restricted.
Result<std::optional<unsigned long>> combine_namespaces(const std::vector<std::string>& lines) {
  std::optional<unsigned long> allowed;
  for (const std::string& line : lines) {
    std::string v = trim(line);
    if (v.empty()) {
      allowed.reset();
      continue;
    }
    if (auto b = parse_bool(v)) {
      allowed = *b ? 0UL : kAllNamespaces;
      continue;
    }
    auto [invert, rest] = split_invert(v);
    unsigned long flags = 0;
    for (const std::string& w : words(rest)) {
      bool found = false;
      for (const auto& [name, flag] : kNamespaces)
        if (w == name) {
          flags |= flag;
          found = true;
        }
      if (!found) return Error::plain("RestrictNamespaces=: unknown namespace type '" + w + "'");
    }
    if (!allowed)
      allowed = invert ? (~flags & kAllNamespaces) : flags;
    else if (invert)
      *allowed &= ~flags;
    else
      *allowed |= flags;
  }
  return allowed;
}

std::string namespaces_text(unsigned long allowed) {
  std::string out;
  for (const auto& [name, flag] : kNamespaces)
    if (allowed & flag) out += (out.empty() ? "" : " ") + std::string(name);
  return out.empty() ? "(none)" : out;
}

#define UNITRUN_AF(x) \
  { #x, x }
// Names held in place, not pointed at (base/fixed_text.h): no relocation.
struct NamedNumber {
  FixedText<16> name;
  int number;
};
constexpr NamedNumber kFamilies[] = {
    UNITRUN_AF(AF_UNIX),      UNITRUN_AF(AF_LOCAL),      UNITRUN_AF(AF_INET),     UNITRUN_AF(AF_AX25),
    UNITRUN_AF(AF_IPX),       UNITRUN_AF(AF_APPLETALK),  UNITRUN_AF(AF_NETROM),   UNITRUN_AF(AF_BRIDGE),
    UNITRUN_AF(AF_ATMPVC),    UNITRUN_AF(AF_X25),        UNITRUN_AF(AF_INET6),    UNITRUN_AF(AF_ROSE),
    UNITRUN_AF(AF_DECnet),    UNITRUN_AF(AF_NETBEUI),    UNITRUN_AF(AF_SECURITY), UNITRUN_AF(AF_KEY),
    UNITRUN_AF(AF_NETLINK),   UNITRUN_AF(AF_ROUTE),      UNITRUN_AF(AF_PACKET),   UNITRUN_AF(AF_ASH),
    UNITRUN_AF(AF_ECONET),    UNITRUN_AF(AF_ATMSVC),     UNITRUN_AF(AF_RDS),      UNITRUN_AF(AF_SNA),
    UNITRUN_AF(AF_IRDA),      UNITRUN_AF(AF_PPPOX),      UNITRUN_AF(AF_WANPIPE),  UNITRUN_AF(AF_LLC),
    UNITRUN_AF(AF_IB),        UNITRUN_AF(AF_MPLS),       UNITRUN_AF(AF_CAN),      UNITRUN_AF(AF_TIPC),
    UNITRUN_AF(AF_BLUETOOTH), UNITRUN_AF(AF_IUCV),       UNITRUN_AF(AF_RXRPC),    UNITRUN_AF(AF_ISDN),
    UNITRUN_AF(AF_PHONET),    UNITRUN_AF(AF_IEEE802154), UNITRUN_AF(AF_CAIF),     UNITRUN_AF(AF_ALG),
    UNITRUN_AF(AF_NFC),       UNITRUN_AF(AF_VSOCK),      UNITRUN_AF(AF_KCM),      UNITRUN_AF(AF_QIPCRTR),
    UNITRUN_AF(AF_SMC),       UNITRUN_AF(AF_XDP),
#ifdef AF_MCTP
    UNITRUN_AF(AF_MCTP),
#endif
};
#undef UNITRUN_AF

std::optional<int> family_from_name(const std::string& name) {
  for (const NamedNumber& f : kFamilies)
    if (name == f.name.view()) return f.number;
  return std::nullopt;
}

std::string family_name(int af) {
  for (const NamedNumber& f : kFamilies)
    if (f.number == af && f.name.view() != "AF_LOCAL" && f.name.view() != "AF_ROUTE") return f.name.c_str();
  return std::to_string(af);
}

// RestrictAddressFamilies=, as systemd's config_parse_address_families:
// the first line decides allow or deny list, later lines of the same kind
// add, of the other kind remove; "none" denies all; "" resets.
Result<std::optional<std::pair<bool, std::set<int>>>> combine_families(const std::vector<std::string>& lines) {
  std::optional<std::pair<bool, std::set<int>>> out;
  for (const std::string& line : lines) {
    std::string v = trim(line);
    if (v.empty()) {
      out.reset();
      continue;
    }
    if (v == "none") {
      out = std::make_pair(true, std::set<int>{});
      continue;
    }
    auto [invert, rest] = split_invert(v);
    if (!out) out = std::make_pair(!invert, std::set<int>{});
    for (const std::string& w : words(rest)) {
      auto af = family_from_name(w);
      if (!af) return Error::plain("RestrictAddressFamilies=: unknown address family '" + w + "'");
      if (!invert == out->first)
        out->second.insert(*af);
      else
        out->second.erase(*af);
    }
  }
  return out;
}

#define UNITRUN_E(x) \
  { #x, x }
constexpr NamedNumber kErrnos[] = {
    UNITRUN_E(EPERM),
    UNITRUN_E(ENOENT),
    UNITRUN_E(ESRCH),
    UNITRUN_E(EINTR),
    UNITRUN_E(EIO),
    UNITRUN_E(ENXIO),
    UNITRUN_E(E2BIG),
    UNITRUN_E(ENOEXEC),
    UNITRUN_E(EBADF),
    UNITRUN_E(ECHILD),
    UNITRUN_E(EAGAIN),
    UNITRUN_E(EWOULDBLOCK),
    UNITRUN_E(ENOMEM),
    UNITRUN_E(EACCES),
    UNITRUN_E(EFAULT),
    UNITRUN_E(ENOTBLK),
    UNITRUN_E(EBUSY),
    UNITRUN_E(EEXIST),
    UNITRUN_E(EXDEV),
    UNITRUN_E(ENODEV),
    UNITRUN_E(ENOTDIR),
    UNITRUN_E(EISDIR),
    UNITRUN_E(EINVAL),
    UNITRUN_E(ENFILE),
    UNITRUN_E(EMFILE),
    UNITRUN_E(ENOTTY),
    UNITRUN_E(ETXTBSY),
    UNITRUN_E(EFBIG),
    UNITRUN_E(ENOSPC),
    UNITRUN_E(ESPIPE),
    UNITRUN_E(EROFS),
    UNITRUN_E(EMLINK),
    UNITRUN_E(EPIPE),
    UNITRUN_E(EDOM),
    UNITRUN_E(ERANGE),
    UNITRUN_E(EDEADLK),
    UNITRUN_E(EDEADLOCK),
    UNITRUN_E(ENAMETOOLONG),
    UNITRUN_E(ENOLCK),
    UNITRUN_E(ENOSYS),
    UNITRUN_E(ENOTEMPTY),
    UNITRUN_E(ELOOP),
    UNITRUN_E(ENOMSG),
    UNITRUN_E(EIDRM),
    UNITRUN_E(ECHRNG),
    UNITRUN_E(EL2NSYNC),
    UNITRUN_E(EL3HLT),
    UNITRUN_E(EL3RST),
    UNITRUN_E(ELNRNG),
    UNITRUN_E(EUNATCH),
    UNITRUN_E(ENOCSI),
    UNITRUN_E(EL2HLT),
    UNITRUN_E(EBADE),
    UNITRUN_E(EBADR),
    UNITRUN_E(EXFULL),
    UNITRUN_E(ENOANO),
    UNITRUN_E(EBADRQC),
    UNITRUN_E(EBADSLT),
    UNITRUN_E(EBFONT),
    UNITRUN_E(ENOSTR),
    UNITRUN_E(ENODATA),
    UNITRUN_E(ETIME),
    UNITRUN_E(ENOSR),
    UNITRUN_E(ENONET),
    UNITRUN_E(ENOPKG),
    UNITRUN_E(EREMOTE),
    UNITRUN_E(ENOLINK),
    UNITRUN_E(EADV),
    UNITRUN_E(ESRMNT),
    UNITRUN_E(ECOMM),
    UNITRUN_E(EPROTO),
    UNITRUN_E(EMULTIHOP),
    UNITRUN_E(EDOTDOT),
    UNITRUN_E(EBADMSG),
    UNITRUN_E(EOVERFLOW),
    UNITRUN_E(ENOTUNIQ),
    UNITRUN_E(EBADFD),
    UNITRUN_E(EREMCHG),
    UNITRUN_E(ELIBACC),
    UNITRUN_E(ELIBBAD),
    UNITRUN_E(ELIBSCN),
    UNITRUN_E(ELIBMAX),
    UNITRUN_E(ELIBEXEC),
    UNITRUN_E(EILSEQ),
    UNITRUN_E(ERESTART),
    UNITRUN_E(ESTRPIPE),
    UNITRUN_E(EUSERS),
    UNITRUN_E(ENOTSOCK),
    UNITRUN_E(EDESTADDRREQ),
    UNITRUN_E(EMSGSIZE),
    UNITRUN_E(EPROTOTYPE),
    UNITRUN_E(ENOPROTOOPT),
    UNITRUN_E(EPROTONOSUPPORT),
    UNITRUN_E(ESOCKTNOSUPPORT),
    UNITRUN_E(EOPNOTSUPP),
    UNITRUN_E(ENOTSUP),
    UNITRUN_E(EPFNOSUPPORT),
    UNITRUN_E(EAFNOSUPPORT),
    UNITRUN_E(EADDRINUSE),
    UNITRUN_E(EADDRNOTAVAIL),
    UNITRUN_E(ENETDOWN),
    UNITRUN_E(ENETUNREACH),
    UNITRUN_E(ENETRESET),
    UNITRUN_E(ECONNABORTED),
    UNITRUN_E(ECONNRESET),
    UNITRUN_E(ENOBUFS),
    UNITRUN_E(EISCONN),
    UNITRUN_E(ENOTCONN),
    UNITRUN_E(ESHUTDOWN),
    UNITRUN_E(ETOOMANYREFS),
    UNITRUN_E(ETIMEDOUT),
    UNITRUN_E(ECONNREFUSED),
    UNITRUN_E(EHOSTDOWN),
    UNITRUN_E(EHOSTUNREACH),
    UNITRUN_E(EALREADY),
    UNITRUN_E(EINPROGRESS),
    UNITRUN_E(ESTALE),
    UNITRUN_E(EUCLEAN),
    UNITRUN_E(ENOTNAM),
    UNITRUN_E(ENAVAIL),
    UNITRUN_E(EISNAM),
    UNITRUN_E(EREMOTEIO),
    UNITRUN_E(EDQUOT),
    UNITRUN_E(ENOMEDIUM),
    UNITRUN_E(EMEDIUMTYPE),
    UNITRUN_E(ECANCELED),
    UNITRUN_E(ENOKEY),
    UNITRUN_E(EKEYEXPIRED),
    UNITRUN_E(EKEYREVOKED),
    UNITRUN_E(EKEYREJECTED),
    UNITRUN_E(EOWNERDEAD),
    UNITRUN_E(ENOTRECOVERABLE),
    UNITRUN_E(ERFKILL),
    UNITRUN_E(EHWPOISON),
};
#undef UNITRUN_E

// An errno by name or number (systemd's errno_from_name / parse_errno);
// seccomp's SECCOMP_RET_DATA holds 16 bits, and systemd takes 0..4095.
std::optional<int> errno_from_text(const std::string& text) {
  for (const NamedNumber& e : kErrnos)
    if (text == e.name.view()) return e.number;
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      text.size() < 6) {
    int v = std::atoi(text.c_str());
    if (v >= 0 && v <= 4095) return v;
  }
  return std::nullopt;
}

// SystemCallFilter=/SystemCallLog= lines, as systemd's
// config_parse_syscall_filter: the first line decides (allow list, with
// @default added for SystemCallFilter=; or "~" deny list); a line of the
// same kind adds, of the other kind removes; "" resets. Items are names,
// @groups, and for SystemCallFilter= "name:ERRNO".
Result<seccomp::SyscallSet> combine_syscalls(const std::string& key, const std::vector<std::string>& lines,
                                             bool add_default) {
  seccomp::SyscallSet set;
  for (const std::string& line : lines) {
    std::string v = trim(line);
    if (v.empty()) {
      set = {};
      continue;
    }
    auto [invert, rest] = split_invert(v);
    if (!set.configured) {
      set.configured = true;
      set.allow_list = !invert;
      if (set.allow_list && add_default) {
        auto defaults = syscall_groups::resolve("@default");
        for (const std::string& n : defaults.value_or(std::vector<std::string>{})) set.calls[n] = -1;
      }
    }
    bool add = invert != set.allow_list;
    for (const std::string& w : words(rest)) {
      std::string name = w;
      int err = -1;
      if (size_t colon = w.find(':'); colon != std::string::npos) {
        name = w.substr(0, colon);
        auto e = errno_from_text(w.substr(colon + 1));
        if (!e) return Error::plain(key + ": '" + w + "': unknown errno after ':'");
        if (key != "SystemCallFilter=") return Error::plain(key + ": '" + w + "': no errno here");
        err = *e;
      }
      auto names = syscall_groups::resolve(name);
      if (!names) return Error::plain(key + ": unknown system call group '" + name + "'");
      for (const std::string& n : *names) {
        if (add)
          set.calls[n] = err;
        else
          set.calls.erase(n);
      }
    }
  }
  return set;
}

Result<std::set<uint32_t>> combine_architectures(const std::vector<std::string>& lines) {
  std::set<uint32_t> out;
  for (const std::string& line : lines) {
    if (trim(line).empty()) {
      out.clear();
      continue;
    }
    for (const std::string& w : words(line)) {
      auto a = seccomp::architecture_from_name(w);
      if (!a) return Error::plain("SystemCallArchitectures=: unknown architecture '" + w + "'");
      out.insert(*a);
    }
  }
  return out;
}

// SystemCallErrorNumber=: -1 is kill (systemd's default and "kill").
Result<int> parse_error_number(const std::string& value) {
  std::string v = trim(value);
  if (v.empty() || v == "kill") return -1;
  auto e = errno_from_text(v);
  if (!e) return Error::plain("SystemCallErrorNumber=: unknown errno '" + v + "'");
  return *e;
}

// A path of ReadOnlyPaths= & co. with its prefixes: "-" ignore if missing,
// "+" relative to RootDirectory= (paths are relative to it anyway here).
struct PrefixedPath {
  std::string path;
  bool ignore = false;
};

PrefixedPath strip_prefixes(const std::string& raw) {
  PrefixedPath p;
  size_t i = 0;
  while (i < raw.size() && (raw[i] == '-' || raw[i] == '+')) {
    if (raw[i] == '-') p.ignore = true;
    ++i;
  }
  p.path = raw.substr(i);
  while (p.path.size() > 1 && p.path.back() == '/') p.path.pop_back();
  return p;
}

// ---------------------------------------------------------------- problems

// What this machine cannot give. Without best effort the first one is the
// error; with it, each is a warning and the setting is left out.
class Problems {
 public:
  explicit Problems(bool best_effort) : best_effort_(best_effort) {}
  // Records the problem; the caller leaves the setting out of the plan
  // (build() then fails with the first one, or warns with best effort).
  void add(const std::string& key, const std::string& reason) { list_.push_back(key + ": " + reason); }
  bool any() const { return !list_.empty(); }
  const std::vector<std::string>& list() const { return list_; }
  bool best_effort() const { return best_effort_; }

 private:
  bool best_effort_;
  std::vector<std::string> list_;
};

struct Environment {
  bool root = false;
  std::optional<std::string> seccomp_missing;
  std::optional<std::string> userns_missing;
  bool procfs_hidepid_names = false;  // Linux 5.8+: hidepid=invisible, subset=pid
  std::map<std::string, bool> ns_present;
};

Environment probe_environment() {
  Environment env;
  env.root = ::geteuid() == 0;
  env.seccomp_missing = seccomp::unavailable_reason();
  auto max_userns = sys::read_file("/proc/sys/user/max_user_namespaces", 64);
  if (!max_userns)
    env.userns_missing = "this kernel has no user namespaces";
  else if (std::strtol(max_userns->c_str(), nullptr, 10) == 0)
    env.userns_missing = "user namespaces are disabled here (/proc/sys/user/max_user_namespaces is 0)";
  struct utsname u;
  if (::uname(&u) == 0) {
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    env.procfs_hidepid_names = major > 5 || (major == 5 && minor >= 8);
  }
  for (const char* ns : {"mnt", "net", "uts", "ipc", "user"})
    env.ns_present[ns] = ::access((std::string("/proc/self/ns/") + ns).c_str(), F_OK) == 0;
  return env;
}

// ---------------------------------------------------------------- the plan

struct Builder {
  const SandboxSpec& spec;
  const PlanContext& context;
  const Environment& env;
  Problems& problems;
  bool dry;  // check_sandbox(): create nothing
  SandboxPlan plan;

  SandboxOp& op(Phase phase, Kind kind, std::string what, int exit_status) {
    SandboxOp o{};
    o.phase = phase;
    o.kind = kind;
    o.what = std::move(what);
    o.exit_status = exit_status;
    plan.ops.push_back(std::move(o));
    return plan.ops.back();
  }
  void force(const std::string& line) { plan.in_force.push_back(line); }

  // The keys that need a mount namespace, "" when none does.
  std::vector<std::string> mount_keys() const {
    std::vector<std::string> k;
    if (spec.private_tmp) k.push_back("PrivateTmp=");
    if (spec.private_devices) k.push_back("PrivateDevices=");
    if (spec.protect_system != ProtectSystem::No) k.push_back("ProtectSystem=");
    if (spec.protect_home != ProtectHome::No) k.push_back("ProtectHome=");
    if (!spec.read_write_paths.empty()) k.push_back("ReadWritePaths=");
    if (!spec.read_only_paths.empty()) k.push_back("ReadOnlyPaths=");
    if (!spec.inaccessible_paths.empty()) k.push_back("InaccessiblePaths=");
    if (!spec.exec_paths.empty()) k.push_back("ExecPaths=");
    if (!spec.no_exec_paths.empty()) k.push_back("NoExecPaths=");
    if (!spec.bind_paths.empty()) k.push_back("BindPaths=");
    if (!spec.temporary_file_system.empty()) k.push_back("TemporaryFileSystem=");
    if (spec.protect_kernel_tunables) k.push_back("ProtectKernelTunables=");
    if (spec.protect_kernel_modules) k.push_back("ProtectKernelModules=");
    if (spec.protect_kernel_logs) k.push_back("ProtectKernelLogs=");
    if (spec.protect_control_groups) k.push_back("ProtectControlGroups=");
    if (spec.protect_proc != ProtectProc::Default) k.push_back("ProtectProc=");
    if (spec.proc_subset != ProcSubset::All) k.push_back("ProcSubset=");
    if (spec.mount_flags) k.push_back("MountFlags=");
    return k;
  }

  bool ensure_dir(const std::string& path, mode_t mode) {
    if (dry) return true;
    std::string p;
    for (const std::string& part : split(path, '/')) {
      if (part.empty()) continue;
      p += "/" + part;
      if (::mkdir(p.c_str(), mode) < 0 && errno != EEXIST) return false;
    }
    return true;
  }

  // Empty 000 nodes of each type, bound over InaccessiblePaths= (systemd's
  // /run/systemd/inaccessible/).
  Status ensure_inaccessible_nodes(const std::string& dir) {
    if (dry) return ok();
    if (!ensure_dir(dir, 0755)) return Error::from_errno("create " + dir);
    auto make = [&](const char* name, mode_t type, dev_t dev) -> Status {
      std::string p = dir + "/" + name;
      struct stat st;
      if (::lstat(p.c_str(), &st) == 0) return ok();
      int r;
      if (type == S_IFDIR)
        r = ::mkdir(p.c_str(), 0);
      else if (type == S_IFREG)
        r = ::mknod(p.c_str(), S_IFREG | 0, 0);
      else
        r = ::mknod(p.c_str(), type | 0, dev);
      if (r < 0 && errno != EEXIST) return Error::from_errno("create " + p);
      if (::chmod(p.c_str(), 0) < 0) return Error::from_errno("chmod " + p);
      return ok();
    };
    for (auto [name, type] : std::initializer_list<std::pair<const char*, mode_t>>{{"dir", S_IFDIR},
                                                                                   {"reg", S_IFREG},
                                                                                   {"fifo", S_IFIFO},
                                                                                   {"sock", S_IFSOCK},
                                                                                   {"chr", S_IFCHR},
                                                                                   {"blk", S_IFBLK}})
      if (auto s = make(name, type, makedev(0, 0)); !s) return s;
    return ok();
  }

  Status mounts() {
    std::vector<std::string> keys = mount_keys();
    if (keys.empty()) return ok();
    if (!env.root || !env.ns_present.at("mnt")) {
      std::string reason =
          !env.root ? "needs root (a mount namespace takes CAP_SYS_ADMIN)" : "this kernel has no mount namespaces";
      for (const std::string& k : keys) problems.add(k, reason);
      return ok();
    }
    using mounts::Entry;
    using mounts::Mode;
    std::vector<Entry> entries;
    auto add = [&](std::string path, Mode mode, const std::string& key, bool ignore, bool read_only = false) {
      Entry e;
      e.path = std::move(path);
      e.mode = mode;
      e.key = key;
      e.ignore = ignore;
      e.read_only = read_only;
      entries.push_back(std::move(e));
    };
    switch (spec.protect_system) {
      case ProtectSystem::No:
        break;
      case ProtectSystem::Strict:
        add("/", Mode::ReadOnly, "ProtectSystem=", false);
        add("/proc", Mode::ReadWrite, "ProtectSystem=", false);
        add("/sys", Mode::ReadWrite, "ProtectSystem=", false);
        add("/dev", Mode::ReadWrite, "ProtectSystem=", false);
        add("/home", Mode::ReadWrite, "ProtectSystem=", true);
        add("/run/user", Mode::ReadWrite, "ProtectSystem=", true);
        add("/root", Mode::ReadWrite, "ProtectSystem=", true);
        break;
      case ProtectSystem::Full:
        add("/etc", Mode::ReadOnly, "ProtectSystem=", false);
        [[fallthrough]];
      case ProtectSystem::Yes:
        add("/usr", Mode::ReadOnly, "ProtectSystem=", false);
        add("/boot", Mode::ReadOnly, "ProtectSystem=", true);
        add("/efi", Mode::ReadOnly, "ProtectSystem=", true);
        break;
    }
    for (const char* p : {"/home", "/run/user", "/root"}) {
      if (spec.protect_home == ProtectHome::Yes) add(p, Mode::Inaccessible, "ProtectHome=", true);
      if (spec.protect_home == ProtectHome::ReadOnly) add(p, Mode::ReadOnly, "ProtectHome=", true);
      if (spec.protect_home == ProtectHome::Tmpfs) {
        add(p, Mode::Tmpfs, "ProtectHome=", true, true);
        entries.back().mount_flags = MS_NODEV | MS_STRICTATIME;
        entries.back().options = "mode=0755";
      }
    }
    auto add_paths = [&](const std::vector<std::string>& paths, Mode mode, const std::string& key) {
      for (const std::string& raw : paths) {
        PrefixedPath pp = strip_prefixes(raw);
        add(pp.path, mode, key, pp.ignore);
      }
    };
    add_paths(spec.read_write_paths, Mode::ReadWrite, "ReadWritePaths=");
    add_paths(spec.read_only_paths, Mode::ReadOnly, "ReadOnlyPaths=");
    add_paths(spec.inaccessible_paths, Mode::Inaccessible, "InaccessiblePaths=");
    add_paths(spec.exec_paths, Mode::Exec, "ExecPaths=");
    add_paths(spec.no_exec_paths, Mode::NoExec, "NoExecPaths=");
    add_paths(spec.exec_directories, Mode::ReadWrite, "RuntimeDirectory=");
    for (const BindPath& b : spec.bind_paths) {
      std::string key = b.read_only ? "BindReadOnlyPaths=" : "BindPaths=";
      add(b.destination.empty() ? b.source : b.destination, b.recursive ? Mode::BindMountRecursive : Mode::BindMount,
          key, b.ignore_missing, b.read_only);
      entries.back().source = b.source;
    }
    for (const TemporaryFileSystem& t : spec.temporary_file_system) {
      bool ro = false;
      add(t.path, Mode::Tmpfs, "TemporaryFileSystem=", false);
      mounts::tmpfs_options(t.options, entries.back().mount_flags, entries.back().options, ro);
      entries.back().read_only = ro;
    }
    if (spec.private_tmp) {
      if (context.private_tmp_dir.empty() || context.private_var_tmp_dir.empty()) {
        if (!dry) return Error::plain("PrivateTmp=: no per-unit directories were prepared (PrivateTmp::create)");
      } else {
        add("/tmp", Mode::PrivateTmp, "PrivateTmp=", false);
        entries.back().source = context.private_tmp_dir;
        add("/var/tmp", Mode::PrivateTmp, "PrivateTmp=", false);
        entries.back().source = context.private_var_tmp_dir;
      }
    }
    if (spec.private_devices) add("/dev", Mode::PrivateDev, "PrivateDevices=", false);
    if (spec.protect_kernel_tunables) {
      for (const char* p : {"/proc/acpi", "/proc/apm", "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
                            "/proc/latency_stats", "/proc/mtrr", "/proc/scsi", "/proc/sys", "/proc/sysrq-trigger",
                            "/proc/timer_stats", "/sys/fs/bpf", "/sys/kernel/debug", "/sys/kernel/tracing"})
        add(p, Mode::ReadOnly, "ProtectKernelTunables=", true);
      for (const char* p : {"/proc/kallsyms", "/proc/kcore"})
        add(p, Mode::Inaccessible, "ProtectKernelTunables=", true);
      add("/sys", Mode::ReadOnly, "ProtectKernelTunables=", false);
      // Left to ProtectControlGroups= (systemd's READWRITE_IMPLICIT).
      add("/sys/fs/cgroup", Mode::ReadWriteImplicit, "ProtectKernelTunables=", false);
      add("/sys/fs/selinux", Mode::ReadWriteImplicit, "ProtectKernelTunables=", true);
    }
    if (spec.protect_kernel_modules)
      for (const char* p : {"/lib/modules", "/usr/lib/modules"})
        add(p, Mode::Inaccessible, "ProtectKernelModules=", true);
    if (spec.protect_kernel_logs)
      for (const char* p : {"/proc/kmsg", "/dev/kmsg"}) add(p, Mode::Inaccessible, "ProtectKernelLogs=", true);
    if (spec.protect_control_groups) add("/sys/fs/cgroup", Mode::ReadOnly, "ProtectControlGroups=", false);
    if (spec.protect_proc != ProtectProc::Default || spec.proc_subset != ProcSubset::All) {
      if (!env.procfs_hidepid_names) {
        problems.add(spec.protect_proc != ProtectProc::Default ? "ProtectProc=" : "ProcSubset=",
                     "needs Linux 5.8 or later (per-mount procfs hidepid=/subset= options)");
      } else {
        std::string opts;
        switch (spec.protect_proc) {
          case ProtectProc::Default:
            opts = "hidepid=off";
            break;
          case ProtectProc::NoAccess:
            opts = "hidepid=noaccess";
            break;
          case ProtectProc::Invisible:
            opts = "hidepid=invisible";
            break;
          case ProtectProc::Ptraceable:
            opts = "hidepid=ptraceable";
            break;
        }
        if (spec.proc_subset == ProcSubset::Pid) opts += ",subset=pid";
        add("/proc", Mode::Procfs, spec.protect_proc != ProtectProc::Default ? "ProtectProc=" : "ProcSubset=", false);
        entries.back().options = opts;
      }
    }

    if (problems.best_effort()) {
      // A missing path fails the whole view; with best effort only that
      // entry is left out (and said so).
      auto probe = mounts::real_probe();
      for (mounts::Entry& e : entries) {
        bool creates = e.mode == Mode::Tmpfs || e.mode == Mode::BindMount || e.mode == Mode::BindMountRecursive ||
                       e.mode == Mode::PrivateTmp;
        std::string full = spec.root_directory.empty() || e.path == "/" ? e.path : spec.root_directory + e.path;
        if (!e.ignore && !creates && !probe.canonical(full)) {
          problems.add(e.key, e.path + ": " + std::strerror(ENOENT));
          e.ignore = true;
        }
        if (!e.ignore && (e.mode == Mode::BindMount || e.mode == Mode::BindMountRecursive) &&
            !probe.canonical(e.source)) {
          problems.add(e.key, e.source + ": " + std::strerror(ENOENT));
          e.ignore = true;
        }
      }
    }
    mounts::Layout layout;
    layout.entries = std::move(entries);
    layout.root = spec.root_directory;
    layout.inaccessible_dir = context.runtime_dir + "/inaccessible";
    layout.staging_dir = context.runtime_dir + "/sandbox-stage";
    layout.propagation = spec.mount_flags.value_or(MountPropagation::Shared);
    if (!ensure_dir(layout.staging_dir, 0755)) return Error::from_errno("create " + layout.staging_dir);
    if (auto s = ensure_inaccessible_nodes(layout.inaccessible_dir); !s) return s;
    auto mountinfo = sys::read_file("/proc/self/mountinfo", 1 << 22);
    if (!mountinfo) return mountinfo.error();
    auto ops = mounts::plan(layout, mounts::parse_mountinfo(*mountinfo), mounts::real_probe());
    if (!ops) {
      // A missing path or a path leading out of the root: the setting's own problem.
      std::string m = ops.error().message();
      size_t colon = m.find(": ");
      problems.add(colon == std::string::npos ? "sandbox" : m.substr(0, colon),
                   colon == std::string::npos ? m : m.substr(colon + 2));
      return ok();
    }
    plan.clone_flags |= CLONE_NEWNS;
    for (SandboxOp& o : *ops) plan.ops.push_back(std::move(o));
    for (const std::string& k : keys) force(k + " (mount namespace)");
    return ok();
  }

  Status run() {
    // ---- grammar: always an error, best effort or not (a typo is no
    // property of this machine)
    auto bset = combine_caps("CapabilityBoundingSet=", spec.capability_bounding_set);
    if (!bset) return bset.error();
    auto ambient = combine_caps("AmbientCapabilities=", spec.ambient_capabilities);
    if (!ambient) return ambient.error();
    auto secure = combine_secure_bits(spec.secure_bits);
    if (!secure) return secure.error();
    auto namespaces = combine_namespaces(spec.restrict_namespaces);
    if (!namespaces) return namespaces.error();
    auto families = combine_families(spec.restrict_address_families);
    if (!families) return families.error();
    auto filter = combine_syscalls("SystemCallFilter=", spec.system_call_filter, true);
    if (!filter) return filter.error();
    auto log = combine_syscalls("SystemCallLog=", spec.system_call_log, false);
    if (!log) return log.error();
    auto archs = combine_architectures(spec.system_call_architectures);
    if (!archs) return archs.error();
    auto error_number = parse_error_number(spec.system_call_error_number);
    if (!error_number) return error_number.error();

    const Credentials* creds = context.credentials ? &*context.credentials : nullptr;
    uid_t uid = creds ? creds->uid : ::geteuid();
    gid_t gid = creds ? creds->gid : ::getegid();
    bool uid_change = creds && creds->uid != ::geteuid();

    if (!spec.root_image.empty())
      problems.add("RootImage=",
                   "not supported by unitrun (it needs loop devices and image dissection); use RootDirectory=");

    // ---- namespaces made by clone(): network, UTS, IPC
    auto ns_flag = [&](bool on, const char* key, const char* ns, int flag) {
      if (!on) return false;
      if (!env.root) {
        problems.add(key, "needs root (a new namespace takes CAP_SYS_ADMIN)");
        return false;
      }
      if (!env.ns_present.at(ns)) {
        problems.add(key, std::string("this kernel has no ") + ns + " namespaces");
        return false;
      }
      plan.clone_flags |= flag;
      return true;
    };
    if (ns_flag(spec.private_network, "PrivateNetwork=", "net", CLONE_NEWNET)) {
      op(Phase::AfterClone, Kind::LoopbackUp, "PrivateNetwork= (bring up lo)", 225);
      force("PrivateNetwork=yes");
    }
    if (ns_flag(spec.protect_hostname, "ProtectHostname=", "uts", CLONE_NEWUTS)) force("ProtectHostname=yes");
    if (ns_flag(spec.private_ipc, "PrivateIPC=", "ipc", CLONE_NEWIPC)) force("PrivateIPC=yes");
    if (spec.restrict_realtime) op(Phase::AfterClone, Kind::RlimitRtprio0, "RestrictRealtime= (RLIMIT_RTPRIO 0)", 205);

    // ---- the file-system view
    if (auto s = mounts(); !s) return s;
    if (!spec.root_directory.empty() && !(plan.clone_flags & CLONE_NEWNS)) {
      if (!env.root) {
        problems.add("RootDirectory=", "needs root (chroot takes CAP_SYS_CHROOT)");
      } else {
        SandboxOp& o = op(Phase::Mounts, Kind::Chroot, "RootDirectory= (chroot " + spec.root_directory + ")", 210);
        o.target = spec.root_directory;
      }
    }
    if (!spec.root_directory.empty()) force("RootDirectory=" + spec.root_directory);

    // ---- PrivateUsers=: after setgroups/setgid, before the capabilities
    if (spec.private_users) {
      if (!env.root)
        problems.add("PrivateUsers=", "needs root here (unitrun maps root and the service user)");
      else if (env.userns_missing)
        problems.add("PrivateUsers=", *env.userns_missing);
      else {
        op(Phase::UserNamespace, Kind::UserNamespace, "PrivateUsers= (user namespace)", 226);
        plan.uid_map = "0 0 1\n" + (uid != 0 ? std::to_string(uid) + " " + std::to_string(uid) + " 1\n" : "");
        plan.gid_map = "0 0 1\n" + (gid != 0 ? std::to_string(gid) + " " + std::to_string(gid) + " 1\n" : "");
        force("PrivateUsers=yes");
      }
    }

    // ---- capabilities (systemd's exec_child order)
    uint64_t implied_drop = 0;
    if (spec.private_devices) implied_drop |= (1ULL << CAP_MKNOD) | (1ULL << CAP_SYS_RAWIO);
    if (spec.protect_kernel_modules) implied_drop |= 1ULL << CAP_SYS_MODULE;
    if (spec.protect_kernel_logs) implied_drop |= 1ULL << CAP_SYSLOG;
    if (spec.protect_clock) implied_drop |= (1ULL << CAP_SYS_TIME) | (1ULL << CAP_WAKE_ALARM);
    uint64_t keep = bset->value_or(all_caps()) & ~implied_drop & all_caps();
    if (keep != all_caps()) {
      if (!env.root) {
        problems.add("CapabilityBoundingSet=", "needs root (dropping from the bounding set takes CAP_SETPCAP)");
      } else {
        SandboxOp& o = op(Phase::BeforeSetuid, Kind::BoundingDrop, "CapabilityBoundingSet= (PR_CAPBSET_DROP)", 218);
        o.value = keep;
        o.value2 = cap_last_cap();
        // The shorter spelling, as a unit would write it: the kept set, or
        // `~` and what was dropped.
        uint64_t dropped = all_caps() & ~keep;
        force(__builtin_popcountll(dropped) < __builtin_popcountll(keep)
                  ? "CapabilityBoundingSet=~" + caps_text(dropped)
                  : "CapabilityBoundingSet=" + caps_text(keep));
      }
    }
    uint64_t amb = ambient->value_or(0);
    if (amb) {
      SandboxOp& a = op(Phase::BeforeSetuid, Kind::AmbientApply, "AmbientCapabilities= (inheritable and ambient)", 218);
      a.value = amb;
      if (uid_change && uid != 0) {
        SandboxOp& k = op(Phase::BeforeSetuid, Kind::KeepCaps, "AmbientCapabilities= (keep-caps across setuid)", 213);
        k.value = *secure;
        SandboxOp& r = op(Phase::AfterSetuid, Kind::AmbientRaise, "AmbientCapabilities= (raise after setuid)", 218);
        r.value = amb;
      }
      force("AmbientCapabilities=" + caps_text(amb));
    }
    if (spec.keyring_mode != KeyringMode::Inherit) {
      // systemd ignores a kernel without keyrings (or one that refuses
      // them, as container runtimes do): a warning here, never a failure.
      SandboxOp& o = op(Phase::AfterSetuid, Kind::Keyring,
                        spec.keyring_mode == KeyringMode::Private ? "KeyringMode= (private session keyring)"
                                                                  : "KeyringMode= (shared session keyring)",
                        237);
      o.value = spec.keyring_mode == KeyringMode::Private ? 1 : 2;
      o.warn_only = true;
    }
    if (*secure != 0 || (amb && uid_change && uid != 0)) {
      SandboxOp& o = op(Phase::Late, Kind::SecureBits, "SecureBits= (PR_SET_SECUREBITS)", 213);
      o.value = *secure;
      if (*secure) force("SecureBits=" + trim(spec.secure_bits.empty() ? "" : spec.secure_bits.back()));
    }

    // ---- seccomp
    seccomp::Settings s;
    s.address_families = *families;
    s.memory_deny_write_execute = spec.memory_deny_write_execute;
    s.restrict_realtime = spec.restrict_realtime;
    s.restrict_suid_sgid = spec.restrict_suid_sgid;
    s.namespaces_allowed = *namespaces;
    s.protect_sysctl = spec.protect_kernel_tunables;
    s.protect_kernel_modules = spec.protect_kernel_modules;
    s.protect_kernel_logs = spec.protect_kernel_logs;
    s.protect_clock = spec.protect_clock;
    s.private_devices = spec.private_devices;
    s.protect_hostname = spec.protect_hostname;
    s.architectures = *archs;
    s.lock_personality = spec.lock_personality;
    if (spec.lock_personality) {
      // systemd's opinionated_personality(): PER_LINUX32 stays, else PER_LINUX.
      int current = ::personality(0xffffffff);
      unsigned long per_linux32 = PER_LINUX32, per_linux = PER_LINUX;
      s.personality = context.personality
                          ? *context.personality
                          : ((current >= 0 && (current & PER_MASK) == PER_LINUX32) ? per_linux32 : per_linux);
    }
    s.log = *log;
    s.filter = *filter;
    s.error_number = *error_number;
    std::vector<std::string> seccomp_keys;
    if (families->has_value()) seccomp_keys.push_back("RestrictAddressFamilies=");
    if (spec.memory_deny_write_execute) seccomp_keys.push_back("MemoryDenyWriteExecute=");
    if (spec.restrict_realtime) seccomp_keys.push_back("RestrictRealtime=");
    if (spec.restrict_suid_sgid) seccomp_keys.push_back("RestrictSUIDSGID=");
    if (namespaces->has_value()) seccomp_keys.push_back("RestrictNamespaces=");
    if (spec.lock_personality) seccomp_keys.push_back("LockPersonality=");
    if (!archs->empty()) seccomp_keys.push_back("SystemCallArchitectures=");
    if (log->configured) seccomp_keys.push_back("SystemCallLog=");
    if (filter->configured) seccomp_keys.push_back("SystemCallFilter=");
    bool implied_seccomp = spec.protect_kernel_tunables || spec.protect_kernel_modules || spec.protect_kernel_logs ||
                           spec.protect_clock || spec.private_devices || spec.protect_hostname;
    if ((!seccomp_keys.empty() || implied_seccomp) && env.seccomp_missing) {
      for (const std::string& k : seccomp_keys) problems.add(k, *env.seccomp_missing);
      for (auto [on, k] : {std::pair{spec.protect_kernel_tunables, "ProtectKernelTunables="},
                           {spec.protect_kernel_modules, "ProtectKernelModules="},
                           {spec.protect_kernel_logs, "ProtectKernelLogs="},
                           {spec.protect_clock, "ProtectClock="},
                           {spec.private_devices, "PrivateDevices="},
                           {spec.protect_hostname, "ProtectHostname="}})
        if (on) problems.add(k, *env.seccomp_missing + " (its system call filter)");
    }
    std::vector<seccomp::Program> programs;
    if (!env.seccomp_missing) {
      auto compiled = seccomp::compile(s, dry ? "" : context.runtime_dir + "/seccomp");
      if (!compiled) return compiled.error();
      programs = std::move(*compiled);
    }

    // ---- the last steps: securebits (above), no_new_privs, the filters
    if (spec.no_new_privileges || !programs.empty()) {
      SandboxOp& o = op(Phase::Late, Kind::NoNewPrivs,
                        spec.no_new_privileges ? "NoNewPrivileges= (PR_SET_NO_NEW_PRIVS)"
                                               : "NoNewPrivileges= (implied by the seccomp filters)",
                        227);
      o.value = spec.no_new_privileges ? 1 : 0;
      force(spec.no_new_privileges ? "NoNewPrivileges=yes"
                                   : "NoNewPrivileges=yes (implied when the service lacks CAP_SYS_ADMIN)");
    }
    for (seccomp::Program& p : programs) {
      int status = p.key == "RestrictAddressFamilies=" ? 232 : 228;  // ADDRESS_FAMILIES, SECCOMP
      SandboxOp& o = op(Phase::Late, Kind::Seccomp, p.key + " (load the seccomp filter)", status);
      o.value = plan.filters.size();
      plan.filters.push_back(std::move(p.insns));
    }
    for (const std::string& k : seccomp_keys)
      if (!env.seccomp_missing) force(k + " (seccomp)");
    if (families->has_value()) {
      std::string list;
      for (int af : (*families)->second) list += " " + family_name(af);
      force(std::string("RestrictAddressFamilies=") + ((*families)->first ? "" : "~") + trim(list));
    }
    if (namespaces->has_value()) force("RestrictNamespaces=" + namespaces_text(**namespaces) + " allowed");
    return ok();
  }
};

Result<SandboxPlan> build(const SandboxSpec& spec, const PlanContext& context, bool dry,
                          std::vector<std::string>* all_problems) {
  Environment env = probe_environment();
  Problems problems(spec.best_effort);
  Builder b{spec, context, env, problems, dry, {}};
  if (auto s = b.run(); !s) {
    if (all_problems) all_problems->push_back(s.error().message());
    return s.error();
  }
  if (all_problems)
    for (const std::string& p : problems.list()) all_problems->push_back(p);
  if (problems.any()) {
    if (!spec.best_effort) return Error::plain(problems.list().front());
    for (const std::string& p : problems.list())
      b.plan.warnings.push_back(p + " (not applied: X-Unitrun-Sandbox=best-effort)");
  }
  b.plan.best_effort = spec.best_effort;
  if (spec.best_effort) b.plan.in_force.push_back("X-Unitrun-Sandbox=best-effort");
  return std::move(b.plan);
}

// ---------------------------------------------------------------- removing trees

// Removes everything below the directory fd, never following a symlink and
// never crossing into another file system.
bool remove_below(int dirfd) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) return false;
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    ::close(dup);
    return false;
  }
  bool ok_all = true;
  struct stat top;
  if (::fstat(dirfd, &top) < 0) ok_all = false;
  while (struct dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT) ok_all = false;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != top.st_dev) {
        ok_all = false;  // a mount point: leave it
        continue;
      }
      int sub = ::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        ok_all = false;
        continue;
      }
      if (!remove_below(sub)) ok_all = false;
      ::close(sub);
      if (::unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) ok_all = false;
    } else if (::unlinkat(dirfd, e->d_name, 0) < 0 && errno != ENOENT) {
      ok_all = false;
    }
  }
  ::closedir(dir);
  return ok_all;
}

bool remove_tree(const std::string& path) {
  if (path.empty()) return true;
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  bool ok_all = remove_below(fd);
  ::close(fd);
  if (::rmdir(path.c_str()) < 0 && errno != ENOENT) ok_all = false;
  return ok_all;
}

std::string private_prefix(const std::string& unit_name) { return "unitrun-private-" + unit_name + "-"; }

}  // namespace

// ---------------------------------------------------------------- public

Result<SandboxPlan> build_plan(const SandboxSpec& spec, const PlanContext& context) {
  return build(spec, context, false, nullptr);
}

std::vector<std::string> check_sandbox(const SandboxSpec& spec, const std::optional<Credentials>& credentials) {
  PlanContext context;
  context.credentials = credentials;
  SandboxSpec copy = spec;
  copy.best_effort = true;  // collect every problem, not the first
  std::vector<std::string> problems;
  (void)build(copy, context, true, &problems);
  return problems;
}

Result<EffectiveSandbox> effective_sandbox(const SandboxSpec& spec) {
  EffectiveSandbox e;
  auto bounding = combine_caps("CapabilityBoundingSet=", spec.capability_bounding_set);
  if (!bounding) return bounding.error();
  e.capability_bounding_set = *bounding;
  auto ambient = combine_caps("AmbientCapabilities=", spec.ambient_capabilities);
  if (!ambient) return ambient.error();
  e.ambient_capabilities = *ambient;
  auto ns = combine_namespaces(spec.restrict_namespaces);
  if (!ns) return ns.error();
  e.namespaces_allowed = *ns;
  auto families = combine_families(spec.restrict_address_families);
  if (!families) return families.error();
  e.address_families = *families;
  auto filter = combine_syscalls("SystemCallFilter=", spec.system_call_filter, true);
  if (!filter) return filter.error();
  e.syscall_filter_configured = filter->configured;
  e.syscall_allow_list = filter->allow_list;
  for (const auto& [name, err] : filter->calls) e.syscalls.insert(name);
  for (const std::string& line : spec.system_call_architectures) {
    if (trim(line).empty()) e.architectures.clear();
    for (const std::string& w : words(line)) e.architectures.insert(w);
  }
  return e;
}

bool native_syscall(const std::string& name) { return seccomp::native_syscall(name); }

std::optional<std::string> check_sandbox_line(const std::string& key, const std::string& value) {
  std::vector<std::string> one{value};
  Status s = ok();
  if (key == "CapabilityBoundingSet" || key == "AmbientCapabilities") {
    auto r = combine_caps(key + "=", one);
    if (!r) s = r.error();
  } else if (key == "SecureBits") {
    auto r = combine_secure_bits(one);
    if (!r) s = r.error();
  } else if (key == "RestrictNamespaces") {
    auto r = combine_namespaces(one);
    if (!r) s = r.error();
  } else if (key == "RestrictAddressFamilies") {
    auto r = combine_families(one);
    if (!r) s = r.error();
  } else if (key == "SystemCallFilter" || key == "SystemCallLog") {
    auto r = combine_syscalls(key + "=", one, key == "SystemCallFilter");
    if (!r) s = r.error();
  } else if (key == "SystemCallArchitectures") {
    auto r = combine_architectures(one);
    if (!r) s = r.error();
  } else if (key == "SystemCallErrorNumber") {
    auto r = parse_error_number(value);
    if (!r) s = r.error();
  } else {
    return "no sandbox key " + key;
  }
  if (s) return std::nullopt;
  return s.error().message();
}

std::vector<std::string> describe_sandbox(const SandboxSpec& s) {
  std::vector<std::string> out;
  auto yes = [&](bool on, const char* key) {
    if (on) out.push_back(std::string(key) + "=yes");
  };
  auto lines = [&](const std::vector<std::string>& v, const char* key) {
    for (const std::string& l : v) out.push_back(std::string(key) + "=" + l);
  };
  yes(s.no_new_privileges, "NoNewPrivileges");
  lines(s.capability_bounding_set, "CapabilityBoundingSet");
  lines(s.ambient_capabilities, "AmbientCapabilities");
  lines(s.secure_bits, "SecureBits");
  if (s.keyring_mode != KeyringMode::Private)
    out.push_back(std::string("KeyringMode=") + (s.keyring_mode == KeyringMode::Inherit ? "inherit" : "shared"));
  yes(s.lock_personality, "LockPersonality");
  yes(s.memory_deny_write_execute, "MemoryDenyWriteExecute");
  yes(s.restrict_realtime, "RestrictRealtime");
  yes(s.restrict_suid_sgid, "RestrictSUIDSGID");
  lines(s.restrict_namespaces, "RestrictNamespaces");
  lines(s.restrict_address_families, "RestrictAddressFamilies");
  lines(s.system_call_filter, "SystemCallFilter");
  lines(s.system_call_architectures, "SystemCallArchitectures");
  if (!s.system_call_error_number.empty()) out.push_back("SystemCallErrorNumber=" + s.system_call_error_number);
  lines(s.system_call_log, "SystemCallLog");
  yes(s.private_tmp, "PrivateTmp");
  yes(s.private_devices, "PrivateDevices");
  yes(s.private_network, "PrivateNetwork");
  yes(s.private_ipc, "PrivateIPC");
  yes(s.private_users, "PrivateUsers");
  static const char* kSystem[] = {"no", "yes", "full", "strict"};
  static const char* kHome[] = {"no", "yes", "read-only", "tmpfs"};
  if (s.protect_system != ProtectSystem::No)
    out.push_back(std::string("ProtectSystem=") + kSystem[static_cast<int>(s.protect_system)]);
  if (s.protect_home != ProtectHome::No)
    out.push_back(std::string("ProtectHome=") + kHome[static_cast<int>(s.protect_home)]);
  auto paths = [&](const std::vector<std::string>& v, const char* key) {
    if (!v.empty()) out.push_back(std::string(key) + "=" + join(v, " "));
  };
  paths(s.read_write_paths, "ReadWritePaths");
  paths(s.read_only_paths, "ReadOnlyPaths");
  paths(s.inaccessible_paths, "InaccessiblePaths");
  paths(s.exec_paths, "ExecPaths");
  paths(s.no_exec_paths, "NoExecPaths");
  for (const BindPath& b : s.bind_paths)
    out.push_back(std::string(b.read_only ? "BindReadOnlyPaths=" : "BindPaths=") + (b.ignore_missing ? "-" : "") +
                  b.source + ":" + b.destination + (b.recursive ? "" : ":norbind"));
  for (const TemporaryFileSystem& t : s.temporary_file_system)
    out.push_back("TemporaryFileSystem=" + t.path + (t.options.empty() ? "" : ":" + t.options));
  yes(s.protect_kernel_tunables, "ProtectKernelTunables");
  yes(s.protect_kernel_modules, "ProtectKernelModules");
  yes(s.protect_kernel_logs, "ProtectKernelLogs");
  yes(s.protect_control_groups, "ProtectControlGroups");
  yes(s.protect_clock, "ProtectClock");
  yes(s.protect_hostname, "ProtectHostname");
  static const char* kProc[] = {"default", "invisible", "ptraceable", "noaccess"};
  if (s.protect_proc != ProtectProc::Default)
    out.push_back(std::string("ProtectProc=") + kProc[static_cast<int>(s.protect_proc)]);
  if (s.proc_subset == ProcSubset::Pid) out.push_back("ProcSubset=pid");
  if (!s.root_directory.empty()) out.push_back("RootDirectory=" + s.root_directory);
  if (!s.root_image.empty()) out.push_back("RootImage=" + s.root_image);
  static const char* kProp[] = {"shared", "slave", "private"};
  if (s.mount_flags) out.push_back(std::string("MountFlags=") + kProp[static_cast<int>(*s.mount_flags)]);
  if (s.best_effort) out.push_back("X-Unitrun-Sandbox=best-effort");
  return out;
}

// ---------------------------------------------------------------- PrivateTmp

Result<PrivateTmp> PrivateTmp::create(const std::string& unit_name) {
  if (unit_name.empty() || unit_name.find('/') != std::string::npos)
    return Error::plain("PrivateTmp=: unusable unit name '" + unit_name + "'");
  PrivateTmp t;
  auto make = [&](const std::string& base, std::string& outer, std::string& inner) -> Status {
    std::string pattern = base + "/" + private_prefix(unit_name) + "XXXXXX";
    if (!::mkdtemp(pattern.data())) return Error::from_errno("PrivateTmp=: create " + pattern);
    outer = pattern;  // mkdtemp makes it 0700
    inner = outer + "/tmp";
    if (::mkdir(inner.c_str(), 01777) < 0) return Error::from_errno("PrivateTmp=: create " + inner);
    if (::chmod(inner.c_str(), 01777) < 0) return Error::from_errno("PrivateTmp=: chmod " + inner);
    return ok();
  };
  if (auto s = make("/tmp", t.outer_tmp_, t.tmp_); !s) return s.error();
  if (auto s = make("/var/tmp", t.outer_var_tmp_, t.var_tmp_); !s) return s.error();
  return t;
}

PrivateTmp::PrivateTmp(PrivateTmp&& o) noexcept
    : outer_tmp_(std::exchange(o.outer_tmp_, {})),
      outer_var_tmp_(std::exchange(o.outer_var_tmp_, {})),
      tmp_(std::exchange(o.tmp_, {})),
      var_tmp_(std::exchange(o.var_tmp_, {})) {}

PrivateTmp& PrivateTmp::operator=(PrivateTmp&& o) noexcept {
  if (this != &o) {
    (void)remove();  // what it held is no longer anybody's
    outer_tmp_ = std::exchange(o.outer_tmp_, {});
    outer_var_tmp_ = std::exchange(o.outer_var_tmp_, {});
    tmp_ = std::exchange(o.tmp_, {});
    var_tmp_ = std::exchange(o.var_tmp_, {});
  }
  return *this;
}

PrivateTmp::~PrivateTmp() { (void)remove(); }  // failures leave files in /tmp, which boot clears

bool PrivateTmp::remove() {
  bool a = remove_tree(outer_tmp_);
  bool b = remove_tree(outer_var_tmp_);
  outer_tmp_.clear();
  outer_var_tmp_.clear();
  tmp_.clear();
  var_tmp_.clear();
  return a && b;
}

void remove_stale_private_tmp(const std::string& unit_name) {
  if (unit_name.empty() || unit_name.find('/') != std::string::npos) return;
  std::string prefix = private_prefix(unit_name);
  for (const char* base : {"/tmp", "/var/tmp"}) {
    DIR* dir = ::opendir(base);
    if (!dir) continue;
    std::vector<std::string> stale;
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      // Exactly PREFIX + 6 mkdtemp characters, a directory owned by root.
      if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
      struct stat st;
      std::string path = std::string(base) + "/" + name;
      if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid()) stale.push_back(path);
    }
    ::closedir(dir);
    for (const std::string& p : stale) (void)remove_tree(p);  // best effort: boot clears /tmp anyway
  }
}

}  // namespace unitrun::process
