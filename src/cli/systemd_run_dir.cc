#include "cli/systemd_run_dir.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace unitrun::cli {

bool should_make_systemd_run_dir(const unit::InitFacts& facts) {
  return unit::systemd_directories_are_ours(facts) && !facts.systemd_runtime_dir;
}

namespace {

// NAME under DIR as a directory: made if missing, then opened without
// following a symlink.
Result<UniqueFd> directory_at(int dir, const std::string& shown, const char* name) {
  if (mkdirat(dir, name, 0755) != 0 && errno != EEXIST) return Error::from_errno("mkdir " + shown);
  UniqueFd fd(openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + shown + " (a directory, not a symlink)");
  return fd;
}

}  // namespace

Status make_systemd_run_dir(const std::string& run) {
  UniqueFd root(open(run.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("open " + run);
  auto systemd = directory_at(root.get(), run + "/systemd", "systemd");
  if (!systemd) return systemd.error();
  auto system = directory_at(systemd->get(), run + "/systemd/system", "system");
  if (!system) return system.error();
  return ok();
}

}  // namespace unitrun::cli
