#include "base/process_title.h"

#include <sys/prctl.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace unitrun {
namespace {

char* title_area = nullptr;
size_t title_size = 0;  // bytes from argv[0] to the NUL of the last argument, that NUL included

}  // namespace

void init_process_title(int argc, char** argv) {
  if (argc <= 0 || argv == nullptr || argv[0] == nullptr) return;
  // The argument strings are contiguous (the kernel laid them out); stop at
  // the first one that is not, should anyone have replaced an argv[i].
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc && argv[i] == end; ++i) end = argv[i] + std::strlen(argv[i]) + 1;
  title_area = argv[0];
  title_size = static_cast<size_t>(end - argv[0]);
}

size_t process_title_capacity() { return title_size; }

bool set_process_title(std::initializer_list<std::string_view> words) {
  if (words.size() > 0) {
    std::string name(*words.begin());
    if (!name.empty() && name.back() == ':') name.pop_back();
    // Cosmetic, and it cannot fail for a string (the kernel cuts it to 15 bytes).
    (void)::prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
  }
  if (title_area == nullptr || title_size < 2) return false;
  size_t at = 0;
  for (std::string_view w : words) {
    if (at >= title_size - 1) break;
    size_t n = std::min(w.size(), title_size - 1 - at);
    std::memcpy(title_area + at, w.data(), n);
    at += n;
    if (at < title_size) title_area[at++] = '\0';  // the separator, as between arguments
  }
  std::memset(title_area + at, 0, title_size - at);
  return true;
}

}  // namespace unitrun
