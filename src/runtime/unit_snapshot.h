// What a running unit was started from: the texts of its unit file and
// drop-ins (unit/unit_sources.h), kept beside its state record
// (RuntimeFiles::snapshot) from the start on. While its monitor lives, the
// verbs that act on the running unit (stop, status, restart's stop, reload,
// logs) read the unit from here, not from the files on disk, which may have
// been edited into something invalid or deleted since: a unit's service is
// never stranded by its file. Written by the caller that starts the monitor
// (0600: a unit file may hold secrets), before the monitor runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/runtime_files.h"
#include "unit/file_stamp.h"
#include "unit/unit_loader.h"
#include "unit/unit_sources.h"

namespace unitrun {

// This binary's version, as snapshots record it.
const std::string& current_unitrun_version();

// One source file's path and stamp (unit/file_stamp.h), as the header
// keeps them.
struct SourceStamp {
  std::string path;
  unit::FileStamp stamp;
  bool operator==(const SourceStamp&) const = default;
};

struct UnitSnapshot {
  unit::UnitSources sources;
  // In the header: every source file's path and stamp, in the order of
  // sources.files, when each had one as it was read (all had settled);
  // empty otherwise, and in a snapshot from before the field. A stop
  // compares them with one open and fstat per file, and parses the texts only
  // when one differs (cli/unit_source.h: disk_change_by_stamps()).
  std::vector<SourceStamp> stamps;
  std::string description;  // for `list`, without parsing the texts
  std::string fragment;     // the unit file's path (sources.files[0].path), in the header too
  // The unitrun that wrote it ("" for one from before the field): a unit
  // started by another version is not the same unit to restart in place
  // (its monitor would go on with the old binary's code and defaults).
  std::string unitrun_version = current_unitrun_version();
};

Status write_snapshot(const std::string& path, const UnitSnapshot& snapshot);
// nullopt when missing, unreadable or not a snapshot.
std::optional<UnitSnapshot> read_snapshot(const std::string& path);
// Its text, unparsed (`name` in an open directory): for a caller that
// looks at the header first and parses the texts only later, as a stop
// does around its signal (parse_snapshot_header(), parse_snapshot()).
std::optional<std::string> read_snapshot_text_in(int dir_fd, const std::string& name, const std::string& path);
// Only its first line: the name, identity and description, without the
// texts (`list` reads a thousand); `sources.files` stays empty.
std::optional<UnitSnapshot> read_snapshot_header_in(int dir_fd, const std::string& name, const std::string& path);
std::optional<UnitSnapshot> read_snapshot_header(const std::string& path);

// The snapshot's text, two lines of JSON: {name, identity, description, fragment,
// unitrun, stamps: [{path, dev, ino, size, mtime_ns, ctime_ns}, ...]} (stamps
// only when every file has one), then {files: [{path, text}, ...]}. A reader
// ignores the header's keys it does not know, and takes a header without
// stamps as one whose files must be compared by their texts. Exposed for
// tests.
std::string serialize(const UnitSnapshot& snapshot);
std::optional<UnitSnapshot> parse_snapshot(const std::string& text);
// Only the header of a snapshot's text, as read_snapshot_header() reads it.
std::optional<UnitSnapshot> parse_snapshot_header(std::string_view text);

// Whether the running unit is `next` (the unit as read from disk now), for
// `restart`: a record with a unit_digest was written by a monitor of an
// older unitrun (a digest of the whole rendered unit, ~100 us of every
// start: monitors no longer compute it), and that digest decides (its
// snapshot may be older than what it runs); else the snapshot (`snapshot`,
// read once the caller holds the start lock), written by this version of
// unitrun, holds the texts its monitor was started from. Neither: not known
// to be the same. As systemd's NeedDaemonReload, this compares the files:
// host facts behind specifiers (%H after a hostname change) are those the
// unit started with, as systemd keeps them until a daemon-reload.
bool runs_unit(const std::optional<UnitSnapshot>& snapshot, const MonitorState& record, const unit::LoadResult& next);

}  // namespace unitrun
