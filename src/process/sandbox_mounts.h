// The file-system view of the sandbox, planned the way systemd's
// namespace.c sets it up: a list of entries (path, mode) collected from the
// settings, sorted by path, duplicates and redundant entries dropped, then
//   1. the mount namespace made a slave of the host's (nothing leaks out),
//   2. each entry mounted in path order (parents first): binds onto
//      themselves for read-only/read-write paths, empty 000 nodes over
//      inaccessible ones, tmpfs, the private /dev, procfs, bind mounts,
//   3. the read-only flags flipped, recursively through submounts, except
//      below other entries (a ReadWritePaths= inside ProtectSystem=strict
//      keeps its own mount untouched),
//   4. the noexec flags flipped (ExecPaths=/NoExecPaths=) the same way,
//   5. RootDirectory= moved onto /, and MountFlags= propagation applied.
// systemd walks /proc/self/mountinfo in the child for step 3; here the
// monitor reads it before the clone (the child's namespace starts as a copy
// of it) and the plan lists every remount with the flags to keep, so the
// child parses nothing. Internal to process/.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "process/sandbox.h"

namespace unitrun::process::mounts {

// Lower is stronger: of two entries for one path, the first in this order
// wins (systemd's MountMode order).
enum class Mode {
  Inaccessible,
  BindMount,
  BindMountRecursive,
  PrivateTmp,
  PrivateDev,
  Procfs,
  ReadOnly,
  ReadWrite,
  NoExec,
  Exec,
  Tmpfs,
  ReadWriteImplicit,
};

struct Entry {
  std::string path;  // absolute, as the service will see it
  Mode mode;
  std::string key;                // the setting it comes from, "ProtectSystem=", for messages
  bool ignore = false;            // a missing path is no error ("-" prefix, systemd's optional entries)
  bool read_only = false;         // also read-only (BindReadOnlyPaths=, ProtectHome=tmpfs, "ro" tmpfs)
  std::string source;             // BindMount*, PrivateTmp
  std::string options;            // Tmpfs, Procfs mount data
  unsigned long mount_flags = 0;  // Tmpfs: flags from its options
};

// One visible mount of the host's table: its mount point and the per-mount
// flags unitrun may change (MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC).
struct HostMount {
  std::string path;
  unsigned long flags = 0;
};

// /proc/self/mountinfo to mount points (octal escapes decoded), in order.
std::vector<HostMount> parse_mountinfo(const std::string& text);

// How the planner looks at the file system: injectable for tests.
struct Probe {
  // The path with symlinks resolved, nullopt when it does not exist.
  std::function<std::optional<std::string>(const std::string&)> canonical;
  // lstat(2), nullopt when missing.
  std::function<std::optional<struct stat>(const std::string&)> lstat;
};
Probe real_probe();

struct Layout {
  std::vector<Entry> entries;
  std::string root;              // RootDirectory= ("" for none)
  std::string inaccessible_dir;  // holds the empty "dir", "reg", "chr", "blk", "fifo", "sock" nodes
  std::string staging_dir;       // an empty directory to build the private /dev on
  MountPropagation propagation = MountPropagation::Shared;
};

// The steps of phase Mounts, in order. Errors name the entry's key:
// "ReadOnlyPaths=: /nonexistent: No such file or directory".
Result<std::vector<SandboxOp>> plan(const Layout& layout, const std::vector<HostMount>& host, const Probe& probe);

// Parses TemporaryFileSystem= options into mount flags and data
// ("ro,nosuid,size=10M" -> MS_RDONLY|MS_NOSUID, "size=10M"); adds systemd's
// defaults (nodev, strictatime, mode=0755).
void tmpfs_options(const std::string& options, unsigned long& flags, std::string& data, bool& read_only);

}  // namespace unitrun::process::mounts
