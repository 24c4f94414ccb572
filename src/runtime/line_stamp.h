// The time stamps of X-Unitrun-Timestamps=yes: the monitor puts one in front
// of each line the service writes (LineStamper), `logs` reads them back
// (parse_stamp, strip_stamp). One format, both directions, here:
//   2026-12-06T20:31:07.123456+00:00 the line as the service wrote it
// ISO 8601, local time with its UTC offset, microseconds, one space. Pure:
// the caller passes the time (CLOCK_REALTIME, microseconds since the epoch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace unitrun {

inline constexpr size_t kStampSize = 33;  // "2026-12-06T20:31:07.123456+00:00 "
// A line longer than this is cut into pieces of this size, each with a stamp
// of its own: journald's LINE_MAX (48 KiB), and the most a partial line keeps
// in memory.
inline constexpr size_t kMaxStampedLine = 48 * 1024;

// The stamp for `realtime_usec` in this process's time zone, with its space.
std::string format_stamp(int64_t realtime_usec);
// The time a line's stamp says (microseconds since the epoch); nullopt when
// the line does not begin with a well-formed stamp.
std::optional<int64_t> parse_stamp(std::string_view line);
// The line without its stamp; unchanged when it has none.
std::string_view strip_stamp(std::string_view line);

// Splits a byte stream into lines and stamps each. A line gets the time at
// which its first byte was read. A line still without its newline is kept
// (up to max_line bytes; then what is kept is written out as a line of its
// own, as journald does at LINE_MAX) until the rest comes or flush().
class LineStamper {
 public:
  explicit LineStamper(size_t max_line = kMaxStampedLine) : max_line_(max_line) {}

  // Appends to `out` the stamped lines that `data` (read at `now_usec`) completes.
  void feed(std::string_view data, int64_t now_usec, std::string& out);
  // Appends the partial line, if any, stamped and with a newline added
  // (the stream ended, or the run did).
  void flush(std::string& out);
  bool has_partial() const { return !partial_.empty(); }

 private:
  // The stamp for `usec` in stamp_ (kStampSize bytes).
  void format(int64_t usec);
  void append_stamp(int64_t usec, std::string& out);

  size_t max_line_;
  std::string partial_;
  int64_t partial_since_ = 0;
  // The last stamp formatted, and the second it is of: localtime_r once a
  // second, the microseconds once a read (every line a read completes from
  // its own bytes has the read's time), not once a line.
  int64_t cached_second_ = INT64_MIN;
  int64_t cached_usec_ = INT64_MIN;
  char stamp_[kStampSize] = {};
};

}  // namespace unitrun
