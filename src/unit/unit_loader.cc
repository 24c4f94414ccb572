#include "unit/unit_loader.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/result.h"
#include "base/unique_fd.h"

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
  const struct passwd* pw = ::getpwuid(uid);
  c.user_name = pw ? pw->pw_name : std::to_string(uid);
  c.home = pw && pw->pw_dir ? pw->pw_dir : "/";
  if (uid == 0) {
    c.runtime_dir = "/run";
    c.log_dir = "/var/log/unitrun";
  } else {
    c.runtime_dir = env_or("XDG_RUNTIME_DIR", "/run/user/" + std::to_string(uid));
    c.log_dir = env_or("XDG_STATE_HOME", c.home + "/.local/state") + "/unitrun";
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
  ParseResult parsed = parse(*content, context_for_current_user(absolute));
  r.unit = std::move(parsed.unit);
  r.diagnostics = std::move(parsed.diagnostics);
  resolve_programs(r.unit);
  Diagnostics more = validate(r.unit, mode);
  r.diagnostics.insert(r.diagnostics.end(), more.begin(), more.end());
  return r;
}

}  // namespace unitrun::unit
