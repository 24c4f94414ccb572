#include "unit/unit_sources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "base/unique_fd.h"
#include "unit/command_reads.h"

namespace unitrun::unit {

namespace {

// The file's text, and in `stamp` its stamp when it had settled: the fstat
// comes before the read, so that a change during the read shows as a
// newer stamp on disk later, never as an old text under a new stamp.
Result<std::string> read_regular_file(const std::string& path, std::optional<FileStamp>& stamp) {
  stamp.reset();
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return Error::from_errno("cannot open unit file");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("cannot stat unit file");
  if (struct timespec now{}; ::clock_gettime(CLOCK_REALTIME, &now) == 0)
    stamp = settled_stamp(st, static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec);
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
  // The read past the end (to see EOF) grew the string by 4 KiB: give it
  // back, since the sources live as long as the unit does, in the monitor
  // too (whose heap is what it costs).
  content.shrink_to_fit();
  return content;
}

}  // namespace

Result<std::string> read_unit_file(const std::string& path, std::optional<FileStamp>* stamp) {
  std::optional<FileStamp> ignored;
  CommandReads* reads = CommandReads::current();
  if (!reads) return read_regular_file(path, stamp ? *stamp : ignored);
  auto it = reads->unit_files.find(path);
  if (it == reads->unit_files.end()) {
    std::optional<FileStamp> read_stamp;
    Result<std::string> text = read_regular_file(path, read_stamp);
    it = reads->unit_files.emplace(path, UnitFileRead{std::move(text), read_stamp}).first;
  }
  if (stamp) *stamp = it->second.stamp;
  return it->second.text;
}

Result<UnitSources> read_sources(const UnitFile& file) {
  UnitSources s;
  s.name = file.name;
  s.identity = file.identity;
  std::optional<FileStamp> stamp;
  auto text = read_unit_file(file.fragment, &stamp);
  if (!text) return text.error();
  s.files.push_back({file.fragment, std::move(*text), stamp});
  for (const std::string& d : file.dropins) {
    auto dropin = read_unit_file(d, &stamp);
    if (!dropin) {
      s.unreadable.push_back(d + ": " + dropin.error().message());
      continue;
    }
    s.files.push_back({d, std::move(*dropin), stamp});
  }
  return s;
}

}  // namespace unitrun::unit
