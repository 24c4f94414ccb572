// A problem found in a unit file, reported as "path:line: message".
#pragma once

#include <string>
#include <vector>

namespace unitrun {

struct Diagnostic {
  // Note: a key accepted without effect, and why; it fails nothing.
  enum class Severity { Warning, Error, Note };
  Severity severity = Severity::Error;
  int line = 0;  // 1-based; 0 when the problem concerns no line (the file itself)
  std::string message;
  // The file it concerns when that is not the unit file itself (a drop-in);
  // empty otherwise.
  std::string file = {};

  // "units/x.ini:3: Unknown key 'Usre' in [Service]; did you mean 'User'?"
  // (`file` instead of `path` when set). Warnings carry a "warning: " after
  // the position, notes a "note: ".
  std::string format(const std::string& path) const;
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);

}  // namespace unitrun
