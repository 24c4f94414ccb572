#include "unit/unit_loader.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/result.h"
#include "base/unique_fd.h"
#include "unit/host_facts.h"

namespace unitrun::unit {
namespace {

using S = Diagnostic::Severity;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && v[0] == '/' ? std::string(v) : fallback;
}

// Reads the whole file, refusing anything but a regular file of sane size.
Result<std::string> read_unit_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return Error::from_errno("cannot open unit file");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("cannot stat unit file");
  if (S_ISDIR(st.st_mode)) return Error::plain("unit file is a directory");
  if (!S_ISREG(st.st_mode)) return Error::plain("unit file is not a regular file");
  if (static_cast<size_t>(st.st_size) > kMaxUnitFileBytes)
    return Error::plain("unit file too large (" + std::to_string(st.st_size) + " bytes; the limit is 16 MiB)");
  std::string content;
  content.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (true) {
    if (done == content.size()) {
      // The file may have grown since fstat; read on, within the limit.
      if (content.size() >= kMaxUnitFileBytes) return Error::plain("unit file too large (the limit is 16 MiB)");
      content.resize(std::min(kMaxUnitFileBytes, content.size() + 4096));
    }
    ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("cannot read unit file");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return content;
}

}  // namespace

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return resolve_path(path, "/");
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return resolve_path(path, "/");
  return resolve_path(path, cwd);
}

ParseContext context_for_current_user(const std::string& absolute) {
  ParseContext c;
  c.path = absolute;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  const struct passwd* pw = ::getpwuid(uid);
  c.user_name = pw ? pw->pw_name : std::to_string(uid);
  c.home = pw && pw->pw_dir ? pw->pw_dir : "/";
  c.shell = pw && pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh";
  const struct group* gr = ::getgrgid(gid);
  c.group_name = gr ? gr->gr_name : std::to_string(gid);
  c.uid = uid;
  c.gid = gid;
  c.system = uid == 0;
  if (uid == 0) {
    c.runtime_dir = "/run";
    c.log_dir = "/var/log/unitrun";
  } else {
    // systemd 252's user-manager roots (systemd.exec(5), Table 2).
    std::string config = env_or("XDG_CONFIG_HOME", c.home + "/.config");
    c.runtime_dir = env_or("XDG_RUNTIME_DIR", "/run/user/" + std::to_string(uid));
    c.log_dir = env_or("XDG_STATE_HOME", c.home + "/.local/state") + "/unitrun";
    c.state_dir = config;
    c.cache_dir = env_or("XDG_CACHE_HOME", c.home + "/.cache");
    c.logs_dir = config + "/log";
    c.config_dir = config;
  }
  // %T and %V: $TMPDIR, $TEMP or $TMP when one holds an absolute path.
  for (const char* var : {"TMPDIR", "TEMP", "TMP"}) {
    const char* v = std::getenv(var);
    if (v && v[0] == '/') {
      c.tmp_dir = c.var_tmp_dir = v;
      break;
    }
  }
  c.pid_dir = c.runtime_dir + "/unitrun";
  return c;
}

LoadResult load(const std::string& path, ValidateMode mode) {
  LoadResult r;
  r.display_path = path;
  std::string absolute = absolute_path(path);
  auto content = read_unit_file(absolute);
  if (!content) {
    r.diagnostics.push_back({S::Error, 0, content.error().message()});
    return r;
  }
  r.readable = true;
  ParseContext context = context_for_current_user(absolute);
  // Only a unit that uses specifiers needs the machine's facts read.
  if (content->find('%') != std::string::npos) context.host = read_host_facts();
  ParseResult parsed = parse(*content, context);
  r.unit = std::move(parsed.unit);
  r.diagnostics = std::move(parsed.diagnostics);
  resolve_programs(r.unit);
  Diagnostics more = validate(r.unit, mode);
  r.diagnostics.insert(r.diagnostics.end(), more.begin(), more.end());
  // Notes (keys accepted without effect) are for `check`; the other verbs
  // would repeat them on every start.
  if (mode != ValidateMode::Check)
    std::erase_if(r.diagnostics, [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Note; });
  return r;
}

}  // namespace unitrun::unit
