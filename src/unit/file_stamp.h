// What stat(2) says of one state of a file: its identity (device, inode)
// and size, and when its data (mtime) and its inode (ctime) last changed,
// in nanoseconds. Two equal stamps of a path are the same file unchanged,
// as make and rsync trust them to be, provided the first was taken after
// the file had settled: a stop asks whether a running unit's files changed
// on disk with one fstat each instead of reading and comparing their texts
// (runtime/unit_snapshot.h keeps the stamps beside the texts).
//
// ctime is what makes the stamp hard to fool: every write, rename,
// chmod or utimensat sets it to the clock's time, and nothing sets it
// back, so an edit that keeps the size and restores the mtime (touch -r,
// cp -p, rsync -t) still shows. What could still hide is a second change
// within the same timestamp tick as the one the stamp saw (a coarse clock
// tick, or the file system's granularity: 1 s on some, 2 s on FAT): a file
// whose ctime or mtime is within kSettle of the clock when it is stamped
// gets no stamp, and its text is compared (git's "racily clean" rule). A
// clock set back by more than that can fool it; so it fools make.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

namespace unitrun::unit {

struct FileStamp {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// Larger than any file system's timestamp granularity (FAT's 2 s) plus a
// coarse clock tick.
inline constexpr int64_t kSettleNs = 3'000'000'000;

FileStamp stamp_of(const struct stat& st);
// The stamp of `st` (an fstat taken before the text was read) when the file
// had settled by `now_ns` (the realtime clock, read after that fstat): its
// mtime and ctime at least kSettleNs before. nullopt otherwise: its text
// decides.
std::optional<FileStamp> settled_stamp(const struct stat& st, int64_t now_ns);
// The stamp of `path` now, from an open and fstat (following symlinks, as
// the open that read it did; an open, for NFS's close-to-open
// revalidation); nullopt when either fails.
std::optional<FileStamp> current_stamp(const std::string& path);

}  // namespace unitrun::unit
