#include "unit/diagnostic.h"

#include <algorithm>

namespace unitrun {

std::string Diagnostic::format(const std::string& path) const {
  std::string out = file.empty() ? path : file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (severity == Severity::Warning) out += "warning: ";
  if (severity == Severity::Note) out += "note: ";
  out += message;
  return out;
}

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Error; });
}

}  // namespace unitrun
