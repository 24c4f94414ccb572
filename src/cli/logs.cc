// `unitrun logs`: the tail of the service's output file, and -f to follow
// it through appends, truncation (copytruncate) and rotation (a new file at
// the same path), driven by inotify, not by sleeping.
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/exit_codes.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "cli/targets.h"
#include "cli/unit_source.h"
#include "runtime/output_tail.h"
#include "runtime/runtime_files.h"
#include "runtime/safe_files.h"
#include "unit/unit_loader.h"

namespace unitrun::cli {
namespace {

// Prints the last `lines` lines; returns the offset where printing stopped.
off_t print_tail(int fd, size_t lines) {
  Tail tail = read_tail(fd, lines);
  for (size_t i = 0; i < tail.lines.size(); ++i) {
    bool last = i + 1 == tail.lines.size();
    // A last line still being written gets its newline from the service.
    std::printf(last && !tail.complete_last_line ? "%s" : "%s\n", tail.lines[i].c_str());
  }
  std::fflush(stdout);
  return tail.end;
}

constexpr uint32_t kFileEvents = IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB;

// fd is empty when the file does not exist yet: then it is followed from
// the moment it appears.
int follow(const std::string& path, UniqueFd fd, off_t offset) {
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "unitrun: cannot follow '%s': %s: %s\n", path.c_str(), what, std::strerror(errno));
    return exit_code::kFailure;
  };
  UniqueFd in(::inotify_init1(IN_CLOEXEC));
  if (!in) return fail("inotify");
  std::string dir = path.substr(0, path.rfind('/'));
  int dir_watch = ::inotify_add_watch(in.get(), dir.empty() ? "/" : dir.c_str(), IN_CREATE | IN_MOVED_TO);
  if (dir_watch < 0) return fail("watch its directory");
  int file_watch = fd ? ::inotify_add_watch(in.get(), path.c_str(), kFileEvents) : -1;
  if (fd && file_watch < 0) return fail("watch the file");
  char events[4096];
  while (true) {
    struct stat st;
    if (fd && ::fstat(fd.get(), &st) == 0) {
      if (st.st_size < offset) offset = 0;  // truncated (copytruncate): start over
      while (offset < st.st_size) {
        char buf[65536];
        ssize_t n = ::pread(fd.get(), buf, sizeof buf, offset);
        if (n <= 0) break;
        if (std::fwrite(buf, 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n)) return exit_code::kSuccess;
        offset += n;
      }
      if (std::fflush(stdout) != 0) return exit_code::kSuccess;  // the reader went away
    }
    ssize_t n = ::read(in.get(), events, sizeof events);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("read inotify events");
    for (ssize_t i = 0; i < n;) {
      auto* e = reinterpret_cast<struct inotify_event*>(events + i);
      bool replaced = (e->wd == file_watch && (e->mask & (IN_MOVE_SELF | IN_DELETE_SELF))) ||
                      (e->wd == dir_watch && e->len > 0 && path.substr(path.rfind('/') + 1) == e->name);
      if (replaced) {
        // Rotated: follow the new file at the same path from its start.
        auto reopened = safe_files::open_for_reading(path);
        if (reopened) {
          fd = std::move(*reopened);
          offset = 0;
          if (file_watch >= 0) ::inotify_rm_watch(in.get(), file_watch);
          file_watch = ::inotify_add_watch(in.get(), path.c_str(), kFileEvents);
        }
      }
      i += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
    }
  }
}

}  // namespace

int logs(const std::string& spelling, size_t lines, bool follow_output) {
  auto file = unit::find_unit(spelling, unit::unit_path_for_current_user());
  if (!file) {
    std::fprintf(stderr, "unitrun: %s\n", file.error().message().c_str());
    return exit_code::kBadArguments;
  }
  // A running unit's output goes where its monitor was told when it
  // started, whatever its file says now.
  LoadedUnit loaded = load_unit(with_running_key(std::move(*file)), UnitSource::Running);
  const unit::LoadResult& r = loaded.load;
  print_diagnostics(r);
  if (r.not_found) return exit_code::kNotInstalled;
  if (!r.readable || has_errors(r.diagnostics)) return exit_code::kNotConfigured;
  // A unit running under `run` inherits its output by default: no file.
  bool foreground = output_inherited(read_state(runtime_files_for(r.unit).state));
  std::string path = output_file(r.unit, foreground, sys::journald_listening());
  if (path.empty()) {
    std::fprintf(stderr, "unitrun: %s: the service's output does not go to a file (StandardOutput=%s)\n",
                 r.unit.name.c_str(), to_string(r.unit.standard_output).c_str());
    return exit_code::kFailure;
  }
  ::signal(SIGPIPE, SIG_IGN);  // `logs -f | head` ends through EPIPE, quietly
  auto fd = safe_files::open_for_reading(path);
  if (!fd && !(follow_output && fd.error().sys_errno == ENOENT)) {
    std::fprintf(stderr, "unitrun: %s\n", fd.error().message().c_str());
    return exit_code::kFailure;
  }
  off_t offset = fd ? print_tail(fd->get(), lines) : 0;
  if (!follow_output) return exit_code::kSuccess;
  return follow(path, fd ? std::move(*fd) : UniqueFd(), offset);
}

}  // namespace unitrun::cli
