#include "unit/unit_preset.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "base/sys.h"

namespace unitrun::unit {

namespace {

const std::vector<std::string>& system_preset_dirs() {
  static const std::vector<std::string> dirs = {"/etc/systemd/system-preset", "/run/systemd/system-preset",
                                                "/usr/local/lib/systemd/system-preset",
                                                "/usr/lib/systemd/system-preset", "/lib/systemd/system-preset"};
  return dirs;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Preset preset_for(const std::string& unit, const std::vector<PresetFile>& files) {
  for (const PresetFile& f : files) {
    std::istringstream in(f.text);
    std::string line;
    while (std::getline(in, line)) {
      line = trim(line);
      if (line.empty() || line[0] == '#' || line[0] == ';') continue;
      size_t space = line.find_first_of(" \t");
      if (space == std::string::npos) continue;
      std::string word = line.substr(0, space);
      std::string rest = trim(line.substr(space));
      // "enable foo@.service a b" names instances; the glob is the first word.
      std::string glob = rest.substr(0, rest.find_first_of(" \t"));
      if (::fnmatch(glob.c_str(), unit.c_str(), 0) != 0) continue;
      if (word == "enable") return Preset::Enable;
      if (word == "disable") return Preset::Disable;
      if (word == "ignore") return Preset::Ignore;
    }
  }
  return Preset::Enable;
}

std::vector<PresetFile> preset_files(const std::vector<std::string>& dirs) {
  // File name -> path: the first directory that has the name wins.
  std::map<std::string, std::string> by_name;
  for (const std::string& dir : dirs.empty() ? system_preset_dirs() : dirs) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() <= 7 || name.compare(name.size() - 7, 7, ".preset") != 0) continue;
      by_name.emplace(name, it->path().string());
    }
  }
  std::vector<PresetFile> files;
  for (const auto& [name, path] : by_name) {
    auto text = sys::read_file(path);
    if (text) files.push_back({name, *text});
  }
  return files;
}

}  // namespace unitrun::unit
