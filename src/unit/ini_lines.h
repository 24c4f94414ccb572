// The line layer of the unit-file dialect (systemd.syntax(7)), in front of
// inih: it strips a UTF-8 BOM and CRs, joins lines that end in an unescaped
// '\' (an odd number of backslashes), skips comment lines (also inside a
// continuation), enforces the 1 MiB line limit without ever truncating, and
// rejects what inih would silently accept or split (NUL bytes, "Key:value",
// text after "]", lines without '=').
// Every rejected line is reported with its physical line number and handed
// to inih as an empty line, so inih never sees a half-understood line.
#pragma once

#include <list>
#include <string>
#include <string_view>
#include <vector>

#include "unit/diagnostic.h"

namespace unitrun::ini_lines {

inline constexpr size_t kMaxLineBytes = 1024 * 1024;

struct LogicalLine {
  std::string_view text;  // without the newline; continuations joined with a space
  int first_line = 0;     // physical line where it starts (1-based)
};

struct SectionHeader {
  std::string name;
  int line = 0;
};

struct Lines {
  std::vector<LogicalLine> lines;  // one per inih line; rejected ones are empty
  std::vector<SectionHeader> sections;
  Diagnostics diagnostics;
  // The texts of continued lines, which exist nowhere in the content; a
  // list, whose elements stay where they are (also when Lines is moved).
  std::list<std::string> joined_storage;
};

// The lines view into `content`, which must outlive the result.
Lines split(std::string_view content);

}  // namespace unitrun::ini_lines
