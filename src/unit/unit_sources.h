// The texts a unit is made of: its unit file, then its drop-ins in the
// order they apply, each with its path. What `cat` prints, what a running
// unit's snapshot keeps (so that stop, status and logs still know the unit
// its monitor started from after the files changed or went), and what the
// parser reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "unit/file_stamp.h"
#include "unit/unit_lookup.h"

namespace unitrun::unit {

inline constexpr size_t kMaxUnitFileBytes = 16 * 1024 * 1024;

struct SourceFile {
  std::string path;
  std::string text;
  // The file as stat(2) saw it just before `text` was read, when it had
  // settled (unit/file_stamp.h): a later stat equal to it says the text is
  // still what is on disk. Not part of what the file says: equality is the
  // path and the text.
  std::optional<FileStamp> stamp = std::nullopt;
  bool operator==(const SourceFile& o) const { return path == o.path && text == o.text; }
};

struct UnitSources {
  std::string name;               // the unit's name
  std::string identity;           // UnitFile::identity
  std::vector<SourceFile> files;  // files[0]: the unit file (the template, for an instance)
  // Drop-ins that could not be read, with why: skipped (as systemd skips
  // them), and said.
  std::vector<std::string> unreadable;

  bool operator==(const UnitSources& o) const { return name == o.name && identity == o.identity && files == o.files; }
};

// Reads a regular file of at most kMaxUnitFileBytes, never blocking on a
// FIFO: "cannot open unit file: No such file or directory", "unit file is
// a directory", ...; within a CommandReads, each path once per command.
// `stamp`, when given, is set to the file's stamp when it had settled
// (nullopt otherwise).
Result<std::string> read_unit_file(const std::string& path, std::optional<FileStamp>* stamp = nullptr);

// Reads the unit file and drop-ins `file` names. Fails only when the unit
// file itself cannot be read.
Result<UnitSources> read_sources(const UnitFile& file);

}  // namespace unitrun::unit
