// `unitrun logs`: the tail of the service's output file (and of its
// StandardError= file, when that is another), and -f to follow them through
// appends, truncation (copytruncate) and rotation (a new file at the same
// path), driven by inotify, not by sleeping.
//
// A unit with X-Unitrun-Timestamps=yes has a stamp in front of every line
// (runtime/line_stamp.h). `logs` strips them, so that its output is the
// same with the key or without (as `journalctl -o cat`); --timestamps shows
// them; --since keeps the lines stamped since then. With stamps, a separate
// StandardError= file is interleaved with stdout's by time, without headers.
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "base/sys.h"
#include "cli/commands.h"
#include "cli/log_time.h"
#include "cli/targets.h"
#include "cli/unit_source.h"
#include "runtime/line_stamp.h"
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

// One file `logs -f` follows.
struct Followed {
  std::string path;
  UniqueFd fd;  // empty while the file does not exist: followed from when it appears
  off_t offset = 0;
  int file_watch = -1, dir_watch = -1;
  std::string partial;  // stamped output: a line not complete yet
  std::string name() const { return base_name(path); }
};

// A line of stamped output: the time it was received (a line without a
// stamp, written before the key was set, takes its predecessor's).
struct StampedLine {
  int64_t time;
  std::string text;  // with its stamp
};

void print_line(std::string_view line, bool timestamps) {
  std::string_view shown = timestamps ? line : strip_stamp(line);
  std::fwrite(shown.data(), 1, shown.size(), stdout);
  std::fputc('\n', stdout);
}

// Every line of `fd` from `offset` on whose time is `since` or later
// (INT64_MIN: all of them), keeping the last `keep` (SIZE_MAX: all);
// `offset` ends where the reading stopped. A last line without its newline
// is left for -f.
void read_stamped(int fd, off_t& offset, int64_t since, size_t keep, std::vector<StampedLine>& into) {
  std::string pending;
  int64_t last_time = INT64_MIN;
  size_t first = into.size();
  char buf[65536];
  while (true) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    offset += n;
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0, newline;
    while ((newline = pending.find('\n', start)) != std::string::npos) {
      std::string_view line(pending.data() + start, newline - start);
      if (auto t = parse_stamp(line)) last_time = *t;
      if (last_time >= since) {
        into.push_back({last_time, std::string(line)});
        if (into.size() - first > keep) into.erase(into.begin() + static_cast<std::ptrdiff_t>(first));
      }
      start = newline + 1;
    }
    pending.erase(0, start);
  }
  offset -= static_cast<off_t>(pending.size());
}

// Follows every file at once. With more than one, what each writes comes
// under a "==> path <==" header whenever the writer changes, as tail -f
// does. `shown` is the file whose lines were printed last (-1: none).
// stamped: the unit's lines carry stamps: complete lines only, stripped
// unless `timestamps`, no headers (the times tell the files apart).
int follow(std::vector<Followed> files, int shown, bool stamped, bool timestamps) {
  auto fail = [](const std::string& path, const char* what) {
    std::fprintf(stderr, "unitrun: cannot follow '%s': %s: %s\n", path.c_str(), what, std::strerror(errno));
    return exit_code::kFailure;
  };
  UniqueFd in(::inotify_init1(IN_CLOEXEC));
  if (!in) return fail(files[0].path, "inotify");
  for (Followed& f : files) {
    std::string dir = f.path.substr(0, f.path.rfind('/'));
    f.dir_watch = ::inotify_add_watch(in.get(), dir.empty() ? "/" : dir.c_str(), IN_CREATE | IN_MOVED_TO);
    if (f.dir_watch < 0) return fail(f.path, "watch its directory");
    f.file_watch = f.fd ? ::inotify_add_watch(in.get(), f.path.c_str(), kFileEvents) : -1;
    if (f.fd && f.file_watch < 0) return fail(f.path, "watch the file");
  }
  char events[4096];
  while (true) {
    for (size_t i = 0; i < files.size(); ++i) {
      Followed& f = files[i];
      struct stat st;
      if (!f.fd || ::fstat(f.fd.get(), &st) != 0) continue;
      if (st.st_size < f.offset) {  // truncated (copytruncate): start over
        f.offset = 0;
        f.partial.clear();
      }
      while (f.offset < st.st_size) {
        char buf[65536];
        ssize_t n = ::pread(f.fd.get(), buf, sizeof buf, f.offset);
        if (n <= 0) break;
        if (stamped) {
          f.partial.append(buf, static_cast<size_t>(n));
          f.offset += n;
          size_t start = 0, newline;
          while ((newline = f.partial.find('\n', start)) != std::string::npos) {
            print_line(std::string_view(f.partial).substr(start, newline - start), timestamps);
            start = newline + 1;
          }
          f.partial.erase(0, start);
          continue;
        }
        if (files.size() > 1 && shown != static_cast<int>(i)) {
          std::printf("%s==> %s <==\n", shown < 0 ? "" : "\n", escape_for_terminal(f.path).c_str());
          shown = static_cast<int>(i);
        }
        if (std::fwrite(buf, 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n)) return exit_code::kSuccess;
        f.offset += n;
      }
      if (std::fflush(stdout) != 0) return exit_code::kSuccess;  // the reader went away
    }
    ssize_t n = ::read(in.get(), events, sizeof events);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(files[0].path, "read inotify events");
    for (ssize_t i = 0; i < n;) {
      auto* e = reinterpret_cast<struct inotify_event*>(events + i);
      for (Followed& f : files) {
        bool replaced = (e->wd == f.file_watch && (e->mask & (IN_MOVE_SELF | IN_DELETE_SELF))) ||
                        (e->wd == f.dir_watch && e->len > 0 && f.name() == e->name);
        if (!replaced) continue;
        // Rotated: follow the new file at the same path from its start.
        auto reopened = safe_files::open_for_reading(f.path);
        if (reopened) {
          f.fd = std::move(*reopened);
          f.offset = 0;
          f.partial.clear();
          if (f.file_watch >= 0) ::inotify_rm_watch(in.get(), f.file_watch);
          f.file_watch = ::inotify_add_watch(in.get(), f.path.c_str(), kFileEvents);
        }
      }
      i += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
    }
  }
}

}  // namespace

int logs(const std::string& spelling, const LogsOptions& options) {
  bool follow_output = options.follow;
  int64_t since = INT64_MIN;
  if (!options.since.empty()) {
    auto t = parse_since(options.since, static_cast<int64_t>(sys::now_realtime_usec()));
    if (!t) {
      std::fprintf(stderr, "unitrun: --since: %s\n", t.error().message().c_str());
      return exit_code::kBadArguments;
    }
    since = *t;
  }
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
  bool stamped = r.unit.timestamps;
  if (!options.since.empty() && !stamped) {
    std::fprintf(stderr,
                 "unitrun: %s: --since needs timestamps, and the service's output carries none "
                 "(set X-Unitrun-Timestamps=yes in its [Service] section and restart it)\n",
                 r.unit.name.c_str());
    return exit_code::kBadArguments;
  }
  // A unit running under `run` inherits its output by default: no file.
  bool foreground = output_inherited(read_state(runtime_files_for(r.unit).state));
  std::string path = output_file(r.unit, foreground, sys::journald_listening());
  if (path.empty()) {
    std::fprintf(stderr, "unitrun: %s: the service's output does not go to a file (StandardOutput=%s)\n",
                 r.unit.name.c_str(), to_string(r.unit.standard_output).c_str());
    return exit_code::kFailure;
  }
  ::signal(SIGPIPE, SIG_IGN);  // `logs -f | head` ends through EPIPE, quietly
  // StandardError= to a file of its own: that file too, after stdout's, each
  // under a "==> path <==" header as tail(1) prints several files. One that
  // does not exist (yet) is left out, or, under -f, followed once it appears.
  std::vector<std::string> paths{path};
  std::string errors = error_file(r.unit, foreground, sys::journald_listening());
  if (!errors.empty() && errors != path) paths.push_back(errors);
  std::vector<Followed> files;
  for (size_t i = 0; i < paths.size(); ++i) {
    Followed f;
    f.path = paths[i];
    auto fd = safe_files::open_for_reading(f.path);
    if (fd) {
      f.fd = std::move(*fd);
    } else if (fd.error().sys_errno != ENOENT || (i == 0 && !follow_output)) {
      std::fprintf(stderr, "unitrun: %s\n", fd.error().message().c_str());
      return exit_code::kFailure;
    }
    files.push_back(std::move(f));
  }
  if (stamped) {
    // Each file's last lines (or those since), merged by time: the last
    // `lines` of the merge are among the last `lines` of each file.
    size_t keep = options.since.empty() || options.lines_given ? options.lines : SIZE_MAX;
    std::vector<StampedLine> merged;
    for (Followed& f : files) {
      if (!f.fd) continue;
      if (options.since.empty()) {
        // From the tail's start, not the file's: a bounded read.
        Tail tail = read_tail(f.fd.get(), keep);
        off_t size = tail.end;
        for (const std::string& line : tail.lines) size -= static_cast<off_t>(line.size() + 1);
        f.offset = std::max<off_t>(0, size + (tail.complete_last_line ? 0 : 1));
      }
      read_stamped(f.fd.get(), f.offset, since, keep, merged);
    }
    std::stable_sort(merged.begin(), merged.end(),
                     [](const StampedLine& a, const StampedLine& b) { return a.time < b.time; });
    size_t from = merged.size() > keep ? merged.size() - keep : 0;
    for (size_t i = from; i < merged.size(); ++i) print_line(merged[i].text, options.timestamps);
    std::fflush(stdout);
    if (!follow_output) return exit_code::kSuccess;
    return follow(std::move(files), -1, true, options.timestamps);
  }
  auto present = std::count_if(files.begin(), files.end(), [](const Followed& f) { return bool(f.fd); });
  // Headers when two files show, or may (-f waits for the missing one).
  bool headers = files.size() > 1 && (present > 1 || follow_output);
  int shown = -1;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!files[i].fd) continue;
    if (headers) std::printf("%s==> %s <==\n", shown < 0 ? "" : "\n", escape_for_terminal(files[i].path).c_str());
    files[i].offset = print_tail(files[i].fd.get(), options.lines);
    shown = static_cast<int>(i);
  }
  if (!follow_output) return exit_code::kSuccess;
  return follow(std::move(files), shown, false, false);
}

}  // namespace unitrun::cli
