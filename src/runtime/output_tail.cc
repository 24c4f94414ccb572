#include "runtime/output_tail.h"

#include <unistd.h>

#include <algorithm>

#include "runtime/line_stamp.h"
#include "runtime/safe_files.h"

namespace unitrun {

Tail read_tail(int fd, size_t count, size_t max_bytes) {
  Tail t;
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) {
    t.end = size < 0 ? 0 : size;
    return t;
  }
  t.end = size;
  if (count == 0) return t;
  // Read backwards in blocks until the chunk holds more than `count` line
  // ends, the file's start, or the byte bound.
  std::string chunk;
  off_t from = size;
  bool cut = false;
  while (from > 0 && static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n')) <= count) {
    if (chunk.size() >= max_bytes) {
      cut = true;
      break;
    }
    off_t block = std::min<off_t>(from, static_cast<off_t>(std::min<size_t>(65536, max_bytes - chunk.size())));
    from -= block;
    std::string buf(static_cast<size_t>(block), '\0');
    ssize_t n = ::pread(fd, buf.data(), buf.size(), from);
    if (n != block) return t;  // the file changed under us: show nothing rather than garbage
    chunk.insert(0, buf);
  }
  std::string_view text = chunk;
  t.complete_last_line = !text.empty() && text.back() == '\n';
  if (t.complete_last_line) text.remove_suffix(1);  // the final newline ends the last line
  std::vector<std::string_view> lines;
  size_t end = text.size();
  while (lines.size() < count) {
    size_t nl = end == 0 ? std::string_view::npos : text.rfind('\n', end - 1);
    if (nl == std::string_view::npos) {
      // The first line of the chunk: whole only if the chunk starts the file.
      if ((from == 0 && !cut) && end > 0) lines.push_back(text.substr(0, end));
      if (from == 0 && !cut && end == 0 && !text.empty()) lines.push_back({});
      break;
    }
    lines.push_back(text.substr(nl + 1, end - nl - 1));
    end = nl;
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) t.lines.emplace_back(*it);
  return t;
}

Tail read_tail(const std::string& path, size_t count, size_t max_bytes) {
  if (path.empty()) return {};
  auto fd = safe_files::open_for_reading(path);
  if (!fd) return {};
  return read_tail(fd->get(), count, max_bytes);
}

std::string output_tail(const std::string& path, size_t count, const std::string& prefix) {
  std::string out;
  // A failed start quotes what the service said, not when
  // (X-Unitrun-Timestamps=yes): the stamps are `logs --timestamps`' business.
  for (const std::string& line : read_tail(path, count, 2048).lines)
    out += (out.empty() ? "" : "\n") + prefix + std::string(strip_stamp(line));
  return out;
}

}  // namespace unitrun
