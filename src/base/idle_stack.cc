#include "base/idle_stack.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "base/unique_fd.h"

namespace unitrun {
namespace {

constexpr uintptr_t kPage = 4096;

// The start of the mapping that holds `address`, from /proc/self/maps; 0
// when not found. Out of line, and called before the release: its read
// buffer lies below the caller's frame, in the pages being given back.
[[gnu::noinline]] Result<uintptr_t> mapping_start(uintptr_t address) {
  UniqueFd fd(::open("/proc/self/maps", O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open /proc/self/maps");
  char buf[4096];
  size_t have = 0;
  while (true) {
    ssize_t got = ::read(fd.get(), buf + have, sizeof buf - 1 - have);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("read /proc/self/maps");
    have += static_cast<size_t>(got);
    buf[have] = '\0';
    // Every complete line: "start-end perms ...".
    char* line = buf;
    while (char* nl = static_cast<char*>(::memchr(line, '\n', have - static_cast<size_t>(line - buf)))) {
      char* dash = nullptr;
      uintptr_t start = std::strtoull(line, &dash, 16);
      uintptr_t end = *dash == '-' ? std::strtoull(dash + 1, nullptr, 16) : 0;
      // Only the main thread's stack: under ASan a local may live on a
      // heap-mapped fake stack, and another mapping is no stack of ours.
      if (start <= address && address < end) {
        std::string_view rest(line, static_cast<size_t>(nl - line));
        return rest.size() >= 7 && rest.substr(rest.size() - 7) == "[stack]" ? start : uintptr_t{0};
      }
      line = nl + 1;
    }
    if (got == 0) return uintptr_t{0};
    // Keep the partial line for the next read.
    have -= static_cast<size_t>(line - buf);
    ::memmove(buf, line, have);
    if (have == sizeof buf - 1) return uintptr_t{0};  // no line is that long
  }
}

}  // namespace

[[gnu::noinline]] Result<size_t> release_stack_below_caller() {
  // Our frame's address (the frame pointer, never a sanitizer's fake
  // stack) stands for the stack pointer: the caller's frame and
  // everything above it are left alone, and so is one whole page below this
  // frame (the frames of the calls made from here, the red zone).
  auto frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  auto start = mapping_start(frame);
  if (!start) return start.error();
  uintptr_t end = (frame & ~(kPage - 1)) - kPage;
  if (*start == 0 || end <= *start) return size_t{0};
  if (::madvise(reinterpret_cast<void*>(*start), end - *start, MADV_DONTNEED) < 0) return Error::from_errno("madvise");
  return static_cast<size_t>(end - *start);
}

}  // namespace unitrun
