#include "unit/sandbox_spec.h"

#include <sstream>

namespace unitrun::unit {
namespace {

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<BindPath>> parse_bind_paths(const std::string& value, bool read_only) {
  std::vector<BindPath> out;
  const std::string key = read_only ? "BindReadOnlyPaths=" : "BindPaths=";
  for (const std::string& w : words(value)) {
    BindPath b;
    b.read_only = read_only;
    std::string item = w;
    if (!item.empty() && item[0] == '-') {
      b.ignore_missing = true;
      item = item.substr(1);
    }
    std::vector<std::string> parts = split(item, ':');
    if (parts.empty() || parts.size() > 3 || parts[0].empty() || parts[0][0] != '/')
      return Error::plain(key + ": '" + w + "' is not SOURCE[:DEST[:OPTIONS]] with absolute paths");
    b.source = parts[0];
    b.destination = parts.size() > 1 && !parts[1].empty() ? parts[1] : parts[0];
    if (b.destination[0] != '/') return Error::plain(key + ": '" + w + "': the destination is not absolute");
    if (parts.size() == 3) {
      if (parts[2] == "rbind")
        b.recursive = true;
      else if (parts[2] == "norbind")
        b.recursive = false;
      else
        return Error::plain(key + ": '" + w + "': unknown option '" + parts[2] + "' (rbind or norbind)");
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<TemporaryFileSystem>> parse_temporary_file_system(const std::string& value) {
  std::vector<TemporaryFileSystem> out;
  for (const std::string& w : words(value)) {
    TemporaryFileSystem t;
    size_t colon = w.find(':');
    t.path = w.substr(0, colon);
    if (colon != std::string::npos) t.options = w.substr(colon + 1);
    if (t.path.empty() || t.path[0] != '/')
      return Error::plain("TemporaryFileSystem=: '" + w + "' is not an absolute path");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace unitrun::unit
