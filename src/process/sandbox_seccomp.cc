#include "process/sandbox_seccomp.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "base/sys.h"
#include "base/unique_fd.h"
#include "process/syscall_groups.h"

namespace unitrun::process::seccomp {

static_assert(sizeof(BpfInsn) == sizeof(struct sock_filter), "BpfInsn must be laid out as struct sock_filter");
static_assert(offsetof(BpfInsn, k) == offsetof(struct sock_filter, k));

namespace {

// The architectures a process of this machine can make system calls in, the
// native one last (as systemd's seccomp_local_archs): a filter that only
// covered the native ABI would be bypassed by a 32-bit or x32 binary.
std::vector<uint32_t> local_architectures() {
#if defined(__x86_64__) && !defined(__ILP32__)
  return {SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_X86_64};
#elif defined(__aarch64__)
  return {SCMP_ARCH_ARM, SCMP_ARCH_AARCH64};
#else
  return {seccomp_arch_native()};
#endif
}

// Frees a libseccomp context on every path.
class Context {
 public:
  Context() = default;
  ~Context() {
    if (ctx_) seccomp_release(ctx_);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // A context for `archs` only, with systemd's attributes: system calls of
  // other architectures pass through this filter (SCMP_FLTATR_ACT_BADARCH
  // allow: SystemCallArchitectures= is a filter of its own), and libseccomp
  // does not set no_new_privs itself (the child decides, as systemd does).
  Status init(uint32_t default_action, const std::vector<uint32_t>& archs, uint32_t bad_arch = SCMP_ACT_ALLOW) {
    ctx_ = seccomp_init(default_action);
    if (!ctx_) return Error{ENOMEM, "seccomp_init"};
    uint32_t native = seccomp_arch_native();
    bool keep_native = false;
    for (uint32_t a : archs) {
      if (a == native || a == SCMP_ARCH_NATIVE) {
        keep_native = true;
        continue;
      }
      int r = seccomp_arch_add(ctx_, a);
      if (r < 0 && r != -EEXIST) return Error{-r, "seccomp_arch_add"};
    }
    if (!keep_native) {
      int r = seccomp_arch_remove(ctx_, native);
      if (r < 0) return Error{-r, "seccomp_arch_remove"};
    }
    int r = seccomp_attr_set(ctx_, SCMP_FLTATR_ACT_BADARCH, bad_arch);
    if (r < 0) return Error{-r, "seccomp_attr_set(ACT_BADARCH)"};
    r = seccomp_attr_set(ctx_, SCMP_FLTATR_CTL_NNP, 0);
    if (r < 0) return Error{-r, "seccomp_attr_set(CTL_NNP)"};
    return ok();
  }

  scmp_filter_ctx get() const { return ctx_; }

  // The program as the kernel takes it. libseccomp 2.5 exports BPF only to
  // an fd: a memfd, read back into memory.
  Result<std::vector<BpfInsn>> export_bpf() const {
    UniqueFd fd(::memfd_create("unitrun-seccomp", MFD_CLOEXEC));
    if (!fd) return Error::from_errno("memfd_create");
    int r = seccomp_export_bpf(ctx_, fd.get());
    if (r < 0) return Error{-r, "seccomp_export_bpf"};
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return Error::from_errno("lseek");
    auto bytes = sys::read_all(fd.get(), 1 << 22);
    if (!bytes) return bytes.error();
    if (bytes->empty() || bytes->size() % sizeof(BpfInsn) != 0) return Error::plain("seccomp_export_bpf: bad size");
    std::vector<BpfInsn> out(bytes->size() / sizeof(BpfInsn));
    std::memcpy(out.data(), bytes->data(), bytes->size());
    if (out.size() > BPF_MAXINSNS) return Error{E2BIG, "seccomp program longer than the kernel's limit"};
    return out;
  }

 private:
  scmp_filter_ctx ctx_ = nullptr;
};

// A rule on one system call by name; a name that no architecture in the
// context knows is skipped, as systemd skips it.
Status add_rule(const Context& c, uint32_t action, const char* name, unsigned count = 0,
                const struct scmp_arg_cmp* args = nullptr) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return ok();
  int r = seccomp_rule_add_array(c.get(), action, nr, count, args);
  // -EDOM: not on one of the architectures; -EEXIST: listed twice;
  // -EACCES: the action is the default one already.
  if (r < 0 && r != -EDOM && r != -EEXIST && r != -EACCES) return Error{-r, std::string("seccomp rule for ") + name};
  return ok();
}

Status add_rule1(const Context& c, uint32_t action, const char* name, struct scmp_arg_cmp a) {
  return add_rule(c, action, name, 1, &a);
}

Status add_rule2(const Context& c, uint32_t action, const char* name, struct scmp_arg_cmp a, struct scmp_arg_cmp b) {
  struct scmp_arg_cmp args[2] = {a, b};
  return add_rule(c, action, name, 2, args);
}

// Adds Program{key, ...} for a finished context.
Status finish(std::vector<Program>& out, const std::string& key, const Context& c) {
  auto insns = c.export_bpf();
  if (!insns) return Error{insns.error().sys_errno, key + " " + insns.error().context};
  out.push_back({key, std::move(*insns)});
  return ok();
}

Status with_key(Status s, const std::string& key) {
  if (s) return s;
  return Error{s.error().sys_errno, key + " " + s.error().context};
}

// A whole group or list of names with one action: SystemCallFilter=~@mount,
// ProtectClock= (@clock), PrivateDevices= (@raw-io), ...
Status deny_group(std::vector<Program>& out, const std::string& key, const char* group, uint32_t action) {
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  auto names = syscall_groups::resolve(group);
  if (!names) return Error::plain(key + " unknown group " + group);
  for (const std::string& n : *names)
    if (auto s = add_rule(c, action, n.c_str()); !s) return with_key(s, key);
  return finish(out, key, c);
}

Status deny_calls(std::vector<Program>& out, const std::string& key, std::initializer_list<const char*> names) {
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  for (const char* n : names)
    if (auto s = add_rule(c, SCMP_ACT_ERRNO(EPERM), n); !s) return with_key(s, key);
  return finish(out, key, c);
}

// RestrictAddressFamilies=: socket()'s first argument. Only architectures
// that have socket() as a system call of its own can be filtered (on x86
// and s390, socket() goes through socketcall(), whose arguments are in
// memory); systemd skips those, and so does this.
Status address_families(std::vector<Program>& out, bool allow_list, const std::set<int>& families) {
  const std::string key = "RestrictAddressFamilies=";
  std::vector<uint32_t> archs;
  for (uint32_t a : local_architectures())
    if (a != SCMP_ARCH_X86) archs.push_back(a);
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, archs); !s) return with_key(s, key);
  const uint32_t deny = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  if (allow_list) {
    int first = 0, last = 0;
    for (int af : families) {
      if (af <= 0 || af >= AF_MAX) continue;
      if (first == 0 || af < first) first = af;
      if (last == 0 || af > last) last = af;
    }
    if (first == 0) {
      if (auto s = add_rule(c, deny, "socket"); !s) return with_key(s, key);
    } else {
      // Below the first, above the last, and each hole in between.
      if (auto s = add_rule1(c, deny, "socket", SCMP_A0(SCMP_CMP_LT, static_cast<scmp_datum_t>(first))); !s)
        return with_key(s, key);
      if (auto s = add_rule1(c, deny, "socket", SCMP_A0(SCMP_CMP_GT, static_cast<scmp_datum_t>(last))); !s)
        return with_key(s, key);
      for (int af = first + 1; af < last; ++af) {
        if (families.count(af)) continue;
        if (auto s = add_rule1(c, deny, "socket", SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(af))); !s)
          return with_key(s, key);
      }
    }
  } else {
    for (int af : families)
      if (auto s = add_rule1(c, deny, "socket", SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(af))); !s)
        return with_key(s, key);
  }
  return finish(out, key, c);
}

// MemoryDenyWriteExecute=: no mapping both writable and executable, no
// mapping made executable later, no executable SysV shared memory.
Status memory_deny_write_execute(std::vector<Program>& out) {
  const std::string key = "MemoryDenyWriteExecute=";
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
  // mmap on 64-bit ABIs, mmap2 on x86 (whose old mmap takes its arguments
  // in memory: blocked outright, as systemd does).
  for (const char* name : {"mmap", "mmap2"})
    if (auto s = add_rule1(c, deny, name, SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx)); !s) return with_key(s, key);
  for (const char* name : {"mprotect", "pkey_mprotect"})
    if (auto s = add_rule1(c, deny, name, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)); !s)
      return with_key(s, key);
  if (auto s = add_rule1(c, deny, "shmat", SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)); !s)
    return with_key(s, key);
  if (auto s = finish(out, key, c); !s) return s;
#if defined(__x86_64__)
  // x86's old mmap(): one more program for that ABI alone.
  Context x86;
  if (auto s = x86.init(SCMP_ACT_ALLOW, {SCMP_ARCH_X86}); !s) return with_key(s, key);
  int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "mmap");
  if (nr != __NR_SCMP_ERROR) {
    int r = seccomp_rule_add_exact(x86.get(), deny, nr, 0);
    if (r < 0) return Error{-r, key + " seccomp rule for x86 mmap"};
    if (auto s = finish(out, key, x86); !s) return s;
  }
#endif
  return ok();
}

// RestrictRealtime=: sched_setscheduler() to anything but SCHED_OTHER,
// SCHED_BATCH and SCHED_IDLE.
Status restrict_realtime(std::vector<Program>& out) {
  const std::string key = "RestrictRealtime=";
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  const int permitted[] = {SCHED_OTHER, SCHED_BATCH, SCHED_IDLE};
  int max_policy = 0;
  for (int p : permitted) max_policy = std::max(max_policy, p);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (int p = 0; p < max_policy; ++p) {
    bool good = false;
    for (int q : permitted) good = good || p == q;
    if (good) continue;
    if (auto s = add_rule1(c, deny, "sched_setscheduler", SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(p))); !s)
      return with_key(s, key);
  }
  if (auto s = add_rule1(c, deny, "sched_setscheduler", SCMP_A1(SCMP_CMP_GT, static_cast<scmp_datum_t>(max_policy)));
      !s)
    return with_key(s, key);
  return finish(out, key, c);
}

// RestrictSUIDSGID=: no file gets a set-user-ID or set-group-ID bit.
Status restrict_suid_sgid(std::vector<Program>& out) {
  const std::string key = "RestrictSUIDSGID=";
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (scmp_datum_t m : {static_cast<scmp_datum_t>(S_ISUID), static_cast<scmp_datum_t>(S_ISGID)}) {
    Status s = ok();
    // The mode is argument 1 of chmod/fchmod/mkdir/mknod/creat, 2 of the *at forms.
    for (const char* name : {"chmod", "fchmod", "mkdir", "mknod", "creat"})
      if (s) s = add_rule1(c, deny, name, SCMP_A1(SCMP_CMP_MASKED_EQ, m, m));
    // fchmodat2 (Linux 6.6) came after systemd 252, which therefore lets it
    // through; libseccomp here knows it, and skipping it would be a hole.
    for (const char* name : {"fchmodat", "fchmodat2", "mkdirat", "mknodat"})
      if (s) s = add_rule1(c, deny, name, SCMP_A2(SCMP_CMP_MASKED_EQ, m, m));
    if (s)
      s = add_rule2(c, deny, "open", SCMP_A1(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT), SCMP_A2(SCMP_CMP_MASKED_EQ, m, m));
    if (s)
      s = add_rule2(c, deny, "openat", SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
                    SCMP_A3(SCMP_CMP_MASKED_EQ, m, m));
    if (!s) return with_key(s, key);
  }
  // openat2() passes its mode in a structure a filter cannot read: ENOSYS,
  // so that libc falls back to openat().
  if (auto s = add_rule(c, SCMP_ACT_ERRNO(ENOSYS), "openat2"); !s) return with_key(s, key);
  return finish(out, key, c);
}

// RestrictNamespaces=: unshare(), clone() and setns() with a namespace
// flag not in `allowed`.
Status restrict_namespaces(std::vector<Program>& out, unsigned long allowed) {
  const std::string key = "RestrictNamespaces=";
  const unsigned long all =
      CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS | 0x80;
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  if ((allowed & all) == all) return ok();  // nothing restricted
  if ((allowed & all) == 0) {
    if (auto s = add_rule(c, deny, "setns"); !s) return with_key(s, key);
  } else {
    // setns(fd, 0) joins whatever namespace fd is: refused unless all are allowed.
    if (auto s = add_rule1(c, deny, "setns", SCMP_A1(SCMP_CMP_EQ, 0)); !s) return with_key(s, key);
  }
  for (unsigned long f : {static_cast<unsigned long>(CLONE_NEWCGROUP), static_cast<unsigned long>(CLONE_NEWIPC),
                          static_cast<unsigned long>(CLONE_NEWNET), static_cast<unsigned long>(CLONE_NEWNS),
                          static_cast<unsigned long>(CLONE_NEWPID), static_cast<unsigned long>(CLONE_NEWUSER),
                          static_cast<unsigned long>(CLONE_NEWUTS), 0x80UL /* CLONE_NEWTIME */}) {
    if ((allowed & f) == f) continue;
    if (auto s = add_rule1(c, deny, "unshare", SCMP_A0(SCMP_CMP_MASKED_EQ, f, f)); !s) return with_key(s, key);
#if defined(__s390__) || defined(__s390x__)
    if (auto s = add_rule1(c, deny, "clone", SCMP_A1(SCMP_CMP_MASKED_EQ, f, f)); !s) return with_key(s, key);
#else
    if (auto s = add_rule1(c, deny, "clone", SCMP_A0(SCMP_CMP_MASKED_EQ, f, f)); !s) return with_key(s, key);
#endif
    if ((allowed & all) != 0)
      if (auto s = add_rule1(c, deny, "setns", SCMP_A1(SCMP_CMP_MASKED_EQ, f, f)); !s) return with_key(s, key);
  }
  // clone3() passes its flags in a structure a filter cannot read: ENOSYS,
  // so that libc falls back to clone(), which is filtered above.
  if (auto s = add_rule(c, SCMP_ACT_ERRNO(ENOSYS), "clone3"); !s) return with_key(s, key);
  return finish(out, key, c);
}

// SystemCallArchitectures=: system calls of any other ABI kill the process.
Status architectures(std::vector<Program>& out, const std::set<uint32_t>& archs) {
  const std::string key = "SystemCallArchitectures=";
  std::vector<uint32_t> keep;
  uint32_t native = seccomp_arch_native();
  for (uint32_t a : archs) keep.push_back(a == SCMP_ARCH_NATIVE ? native : a);
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, keep, SCMP_ACT_KILL_PROCESS); !s) return with_key(s, key);
  return finish(out, key, c);
}

// LockPersonality=: personality() may only keep the personality there is.
Status lock_personality(std::vector<Program>& out, unsigned long personality) {
  const std::string key = "LockPersonality=";
  Context c;
  if (auto s = c.init(SCMP_ACT_ALLOW, local_architectures()); !s) return with_key(s, key);
  if (auto s = add_rule1(c, SCMP_ACT_ERRNO(EPERM), "personality", SCMP_A0(SCMP_CMP_NE, personality)); !s)
    return with_key(s, key);
  return finish(out, key, c);
}

// SystemCallFilter= and SystemCallLog=: a set of calls with one action,
// everything else with the default one.
// SystemCallFilter= and SystemCallLog=: a set of calls with one action,
// everything else with the default one. One program per ABI, as systemd
// loads them: libseccomp's time grows faster than the number of ABIs in one
// context (@system-service: ~8 ms of CPU for three ABIs together, ~4 ms
// for three contexts of one), and a foreign ABI's program costs a syscall
// of this one only its architecture check.
Status syscall_set(std::vector<Program>& out, const std::string& key, const SyscallSet& set, uint32_t default_action,
                   uint32_t action, bool per_call_errno) {
  for (uint32_t arch : local_architectures()) {
    Context c;
    if (auto s = c.init(default_action, {arch}); !s) return with_key(s, key);
    for (const auto& [name, err] : set.calls) {
      uint32_t a = per_call_errno && err >= 0 ? SCMP_ACT_ERRNO(static_cast<uint16_t>(err)) : action;
      // By name, translated to this ABI by libseccomp (x86's socketcall()
      // and ipc() multiplexing included); names it lacks are skipped.
      if (auto s = add_rule(c, a, name.c_str()); !s) return with_key(s, key);
    }
    if (auto s = finish(out, key, c); !s) return s;
  }
  return ok();
}

}  // namespace

std::optional<std::string> unavailable_reason() {
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
    return std::string("the kernel has no seccomp (prctl PR_GET_SECCOMP: ") + std::strerror(errno) + ")";
  // A NULL program is EFAULT where filter mode exists, EINVAL where not.
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, nullptr, 0, 0) < 0 && errno == EFAULT) return std::nullopt;
  return std::string("the kernel has no seccomp filter mode");
}

namespace {

// Everything a compiled program depends on, as one string: the cache key.
std::string cache_key(const Settings& s) {
  std::string k;
  auto add = [&](const std::string& part) { k += part + ";"; };
  if (s.address_families) {
    add(s.address_families->first ? "afallow" : "afdeny");
    for (int af : s.address_families->second) add(std::to_string(af));
  }
  add(std::to_string(s.memory_deny_write_execute) + std::to_string(s.restrict_realtime) +
      std::to_string(s.restrict_suid_sgid) + std::to_string(s.protect_sysctl) +
      std::to_string(s.protect_kernel_modules) + std::to_string(s.protect_kernel_logs) +
      std::to_string(s.protect_clock) + std::to_string(s.private_devices) + std::to_string(s.protect_hostname) +
      std::to_string(s.lock_personality));
  add(s.namespaces_allowed ? std::to_string(*s.namespaces_allowed) : "-");
  for (uint32_t a : s.architectures) add(std::to_string(a));
  add("p" + std::to_string(s.personality));
  for (const SyscallSet* set : {&s.log, &s.filter}) {
    add(set->configured ? (set->allow_list ? "allow" : "deny") : "off");
    for (const auto& [name, err] : set->calls) add(name + ":" + std::to_string(err));
  }
  add("e" + std::to_string(s.error_number));
  return k;
}

Result<std::vector<Program>> compile_uncached(const Settings& s);

}  // namespace

namespace {

// The compiled programs, as a file: a header line, the cache key (which
// must match: no hash collision can hand out another filter), then per
// program its key line, its instruction count and the instructions.
std::string serialize(const std::string& key, const std::vector<Program>& programs) {
  std::string out = "unitrun-seccomp 1\n" + key + "\n" + std::to_string(programs.size()) + "\n";
  for (const Program& p : programs) {
    out += p.key + "\n" + std::to_string(p.insns.size()) + "\n";
    out.append(reinterpret_cast<const char*>(p.insns.data()), p.insns.size() * sizeof(BpfInsn));
  }
  return out;
}

std::optional<std::vector<Program>> deserialize(const std::string& key, const std::string& data) {
  size_t at = 0;
  auto line = [&]() -> std::optional<std::string> {
    size_t nl = data.find('\n', at);
    if (nl == std::string::npos) return std::nullopt;
    std::string l = data.substr(at, nl - at);
    at = nl + 1;
    return l;
  };
  auto number = [&]() -> std::optional<size_t> {
    auto l = line();
    if (!l || l->empty() || l->size() > 6 || l->find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return static_cast<size_t>(std::stoul(*l));
  };
  if (line() != std::optional<std::string>("unitrun-seccomp 1") || line() != std::optional<std::string>(key))
    return std::nullopt;
  auto count = number();
  if (!count || *count > 64) return std::nullopt;
  std::vector<Program> out;
  for (size_t i = 0; i < *count; ++i) {
    Program p;
    auto k = line();
    auto n = number();
    if (!k || !n || *n == 0 || *n > BPF_MAXINSNS || data.size() - at < *n * sizeof(BpfInsn)) return std::nullopt;
    p.key = *k;
    p.insns.resize(*n);
    std::memcpy(p.insns.data(), data.data() + at, *n * sizeof(BpfInsn));
    at += *n * sizeof(BpfInsn);
    out.push_back(std::move(p));
  }
  if (at != data.size()) return std::nullopt;
  return out;
}

// FNV-1a, for a file name only (the key inside decides).
std::string file_name(const std::string& key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx.bpf", static_cast<unsigned long long>(h));
  return buf;
}

// A cached file is believed only in a directory of unitrun's own user that
// nobody else may write, and only when it is a regular file of that user
// that nobody else may write either: a filter read from anywhere else could
// be anything.
bool trusted(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 022) == 0;
}

std::optional<std::vector<Program>> load_cached(const std::string& dir, const std::string& key) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return std::nullopt;
  UniqueFd d(dfd);
  if (!trusted(d.get())) return std::nullopt;
  int fd = ::openat(d.get(), file_name(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  UniqueFd f(fd);
  struct stat st;
  if (!trusted(f.get()) || ::fstat(f.get(), &st) < 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto data = sys::read_all(f.get(), 1 << 22);
  if (!data) return std::nullopt;
  return deserialize(key, *data);
}

// Best effort: a cache that cannot be written only costs the next start
// the compilation again.
void store_cached(const std::string& dir, const std::string& key, const std::vector<Program>& programs) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return;
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return;
  UniqueFd d(dfd);
  if (!trusted(d.get())) return;
  std::string name = file_name(key), tmp = "." + name + "." + std::to_string(::getpid());
  int fd = ::openat(d.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  UniqueFd f(fd);
  if (!sys::write_all(f.get(), serialize(key, programs)) || ::renameat(d.get(), tmp.c_str(), d.get(), name.c_str()) < 0)
    (void)::unlinkat(d.get(), tmp.c_str(), 0);  // a leftover temporary is harmless, but tidy
}

}  // namespace

// libseccomp takes milliseconds for a large set (@system-service is about
// 380 calls on three ABIs, some 5 ms of CPU with libseccomp 2.5),
// and every `unitrun start` is a fresh monitor: the compiled programs are
// kept in memory (restarts, every Exec*= command) and in cache_dir (the
// next starts), keyed by everything they depend on, libseccomp's version
// included. The monitor is single-threaded; the lock costs nothing.
Result<std::vector<Program>> compile(const Settings& s, const std::string& cache_dir) {
  static std::mutex lock;
  static std::map<std::string, std::vector<Program>> cache;
  const struct scmp_version* v = seccomp_version();
  // kRulesVersion changes whenever the rules above change, so that a cached
  // program of an older unitrun is never taken for the current one.
  constexpr int kRulesVersion = 2;
  std::string key = "rules " + std::to_string(kRulesVersion) + ";" + cache_key(s) + "libseccomp " +
                    std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro) +
                    ";arch " + std::to_string(seccomp_arch_native());
  {
    std::lock_guard<std::mutex> g(lock);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  std::optional<std::vector<Program>> programs;
  if (!cache_dir.empty()) programs = load_cached(cache_dir, key);
  if (!programs) {
    auto compiled = compile_uncached(s);
    if (!compiled) return compiled;
    programs = std::move(*compiled);
    if (!cache_dir.empty()) store_cached(cache_dir, key, *programs);
  }
  std::lock_guard<std::mutex> g(lock);
  if (cache.size() > 64) cache.clear();  // a bound, for callers that build endless variants (tests)
  cache.emplace(key, *programs);
  return *programs;
}

namespace {

Result<std::vector<Program>> compile_uncached(const Settings& s) {
  std::vector<Program> out;
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  if (s.address_families)
    if (auto r = address_families(out, s.address_families->first, s.address_families->second); !r) return r.error();
  if (s.memory_deny_write_execute)
    if (auto r = memory_deny_write_execute(out); !r) return r.error();
  if (s.restrict_realtime)
    if (auto r = restrict_realtime(out); !r) return r.error();
  if (s.restrict_suid_sgid)
    if (auto r = restrict_suid_sgid(out); !r) return r.error();
  if (s.namespaces_allowed)
    if (auto r = restrict_namespaces(out, *s.namespaces_allowed); !r) return r.error();
  if (s.protect_sysctl)
    if (auto r = deny_calls(out, "ProtectKernelTunables=", {"_sysctl"}); !r) return r.error();
  if (s.protect_kernel_modules)
    if (auto r = deny_group(out, "ProtectKernelModules=", "@module", eperm); !r) return r.error();
  if (s.protect_kernel_logs)
    if (auto r = deny_calls(out, "ProtectKernelLogs=", {"syslog"}); !r) return r.error();
  if (s.protect_clock)
    if (auto r = deny_group(out, "ProtectClock=", "@clock", eperm); !r) return r.error();
  if (s.private_devices)
    if (auto r = deny_group(out, "PrivateDevices=", "@raw-io", eperm); !r) return r.error();
  if (s.protect_hostname)
    if (auto r = deny_calls(out, "ProtectHostname=", {"sethostname", "setdomainname"}); !r) return r.error();
  if (!s.architectures.empty())
    if (auto r = architectures(out, s.architectures); !r) return r.error();
  if (s.lock_personality)
    if (auto r = lock_personality(out, s.personality); !r) return r.error();
  if (s.log.configured) {
    // Allow list: log only the listed calls; "~" list: log all but those.
    uint32_t def = s.log.allow_list ? SCMP_ACT_ALLOW : SCMP_ACT_LOG;
    uint32_t act = s.log.allow_list ? SCMP_ACT_LOG : SCMP_ACT_ALLOW;
    if (auto r = syscall_set(out, "SystemCallLog=", s.log, def, act, false); !r) return r.error();
  }
  if (s.filter.configured) {
    uint32_t deny = s.error_number < 0 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(static_cast<uint16_t>(s.error_number));
    uint32_t def = s.filter.allow_list ? deny : SCMP_ACT_ALLOW;
    uint32_t act = s.filter.allow_list ? SCMP_ACT_ALLOW : deny;
    if (auto r = syscall_set(out, "SystemCallFilter=", s.filter, def, act, !s.filter.allow_list); !r) return r.error();
  }
  return out;
}

}  // namespace

std::optional<uint32_t> architecture_from_name(const std::string& name) {
  // systemd's names (ConditionArchitecture= spelling), not libseccomp's.
  static const std::pair<const char*, uint32_t> kNames[] = {
      {"native", SCMP_ARCH_NATIVE},
      {"x86", SCMP_ARCH_X86},
      {"x86-64", SCMP_ARCH_X86_64},
      {"x32", SCMP_ARCH_X32},
      {"arm", SCMP_ARCH_ARM},
      {"arm64", SCMP_ARCH_AARCH64},
      {"mips", SCMP_ARCH_MIPS},
      {"mips64", SCMP_ARCH_MIPS64},
      {"mips64-n32", SCMP_ARCH_MIPS64N32},
      {"mips-le", SCMP_ARCH_MIPSEL},
      {"mips64-le", SCMP_ARCH_MIPSEL64},
      {"mips64-le-n32", SCMP_ARCH_MIPSEL64N32},
      {"ppc", SCMP_ARCH_PPC},
      {"ppc64", SCMP_ARCH_PPC64},
      {"ppc64-le", SCMP_ARCH_PPC64LE},
      {"s390", SCMP_ARCH_S390},
      {"s390x", SCMP_ARCH_S390X},
      {"riscv64", SCMP_ARCH_RISCV64},
  };
  for (const auto& [n, a] : kNames)
    if (name == n) return a;
  return std::nullopt;
}

bool known_syscall(const std::string& name) { return seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR; }

// Names of other architectures resolve to libseccomp's negative pseudo numbers.
bool native_syscall(const std::string& name) { return seccomp_syscall_resolve_name(name.c_str()) >= 0; }

}  // namespace unitrun::process::seccomp
