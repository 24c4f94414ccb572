// The last lines of a file the service writes to: for `status`, `logs` and
// the quote in a failed start's message. The one tail reader: it opens the
// file with safe_files' rules (never through a symlink) and reads at most a
// bounded amount from its end, whatever the file's size.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace unitrun {

struct Tail {
  std::vector<std::string> lines;  // oldest first, without their newlines
  off_t end = 0;                   // the offset the reading stopped at (the file's size then)
  bool complete_last_line = true;  // the file ended with a newline (else the last line is still being written)
};

// The last `count` lines of the open file `fd`, reading backwards in
// blocks, at most `max_bytes` in all (a line cut by that bound is dropped).
Tail read_tail(int fd, size_t count, size_t max_bytes = 1 << 20);

// The same for a path; an empty Tail when it cannot be opened.
Tail read_tail(const std::string& path, size_t count, size_t max_bytes = 1 << 20);

// The last `count` lines of `path`, each prefixed, joined by newlines; ""
// when there is nothing to show.
std::string output_tail(const std::string& path, size_t count, const std::string& prefix);

}  // namespace unitrun
