#include "unit/unit_file_state.h"

#include <dirent.h>
#include <unistd.h>

#include "base/strings.h"
#include "unit/ini_lines.h"
#include "unit/unit_name.h"

namespace unitrun::unit {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

const char* to_string(UnitFileState state) {
  switch (state) {
    case UnitFileState::Enabled:
      return "enabled";
    case UnitFileState::EnabledRuntime:
      return "enabled-runtime";
    case UnitFileState::Alias:
      return "alias";
    case UnitFileState::Masked:
      return "masked";
    case UnitFileState::MaskedRuntime:
      return "masked-runtime";
    case UnitFileState::Static:
      return "static";
    case UnitFileState::Indirect:
      return "indirect";
    case UnitFileState::Disabled:
      return "disabled";
    case UnitFileState::Transient:
      return "transient";
    case UnitFileState::Bad:
      return "bad";
  }
  return "bad";
}

bool counts_as_enabled(UnitFileState state) {
  switch (state) {
    case UnitFileState::Enabled:
    case UnitFileState::EnabledRuntime:
    case UnitFileState::Static:
    case UnitFileState::Alias:
    case UnitFileState::Indirect:
    case UnitFileState::Transient:
      return true;
    default:
      return false;
  }
}

UnitFileSummary summarize(std::string_view text) {
  UnitFileSummary summary;
  InstallInfo& info = summary.install;
  ini_lines::Lines lines = ini_lines::split(text);
  bool in_install = false, in_unit = false;
  for (const ini_lines::LogicalLine& l : lines.lines) {
    std::string_view line = trim(l.text);
    if (line.empty()) continue;
    if (line.front() == '[') {
      in_install = line == "[Install]";
      in_unit = line == "[Unit]";
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (in_unit && key == "Description") summary.description = std::string(value);
    if (!in_install) continue;
    // An empty assignment resets the list: what counts is the last word.
    bool set = !value.empty();
    if (key == "WantedBy" || key == "RequiredBy" || key == "UpheldBy") info.has_targets = set;
    if (key == "Alias") info.has_alias = set;
    if (key == "Also") info.has_also = set;
    if (key == "DefaultInstance") info.default_instance = std::string(value);
  }
  return summary;
}

bool is_runtime_directory(std::string_view directory) {
  return directory == "/run" || directory.substr(0, 5) == "/run/";
}

LinkIndex LinkIndex::read(const UnitPath& path) {
  LinkIndex index;
  for (const std::string& d : path.directories) {
    DIR* dir = ::opendir(d.c_str());
    if (!dir) continue;
    bool runtime = is_runtime_directory(d);
    auto mark = [&](const std::string& name) {
      Links& slot = index.links_[name];
      if (!runtime)
        slot = Links::Persistent;
      else if (slot == Links::None)
        slot = Links::RuntimeOnly;
    };
    std::vector<std::string> link_dirs;
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view n = e->d_name;
      if (ends_with(n, ".wants") || ends_with(n, ".requires") || ends_with(n, ".upholds"))
        link_dirs.push_back(d + "/" + std::string(n));
      // An alias that Alias= made (NAME -> a unit file of another name)
      // enables the file it points to, as systemctl counts it.
      if (e->d_type == DT_LNK && (ends_with(n, ".service") || ends_with(n, ".ini"))) {
        char target[4096];
        ssize_t len = ::readlinkat(::dirfd(dir), e->d_name, target, sizeof target - 1);
        if (len <= 0) continue;
        std::string_view t(target, static_cast<size_t>(len));
        std::string_view base = t.substr(t.rfind('/') + 1);
        if (t != "/dev/null" && base != n && (ends_with(base, ".service") || ends_with(base, ".ini")))
          mark(std::string(base));
      }
    }
    ::closedir(dir);
    for (const std::string& l : link_dirs) {
      DIR* links = ::opendir(l.c_str());
      if (!links) continue;
      while (struct dirent* e = ::readdir(links)) {
        if (e->d_name[0] == '.') continue;
        mark(e->d_name);
      }
      ::closedir(links);
    }
  }
  return index;
}

LinkIndex::Links LinkIndex::links_of(std::string_view file_name) const {
  auto it = links_.find(file_name);
  return it == links_.end() ? Links::None : it->second;
}

std::vector<std::string> LinkIndex::instances_of(std::string_view template_name) const {
  std::vector<std::string> out;
  UnitName t = unit_name_of(template_name);
  if (!t.is_template) return out;
  for (const auto& [name, links] : links_) {
    UnitName n = unit_name_of(name);
    if (n.is_service && !n.instance.empty() && n.prefix == t.prefix) out.push_back(name);
  }
  return out;
}

UnitFileState file_state(const UnitFileFacts& f, const LinkIndex& links, const UnitPath& path) {
  bool runtime = is_runtime_directory(f.directory);
  if (f.masked) return runtime ? UnitFileState::MaskedRuntime : UnitFileState::Masked;
  if (!f.readable) return UnitFileState::Bad;
  if (f.alias) return UnitFileState::Alias;
  switch (links.links_of(f.file_name)) {
    case LinkIndex::Links::Persistent:
      return UnitFileState::Enabled;
    case LinkIndex::Links::RuntimeOnly:
      return UnitFileState::EnabledRuntime;
    case LinkIndex::Links::None:
      break;
  }
  if (f.is_template) {
    std::vector<std::string> instances = links.instances_of(f.file_name);
    if (!instances.empty()) {
      UnitName t = unit_name_of(f.file_name);
      std::string default_instance = t.prefix + "@" + f.install.default_instance + ".service";
      for (const std::string& i : instances)
        if (!f.install.default_instance.empty() && i == default_instance) return UnitFileState::Enabled;
      return UnitFileState::Indirect;
    }
  }
  if (!path.runtime_dir.empty() && f.directory == path.runtime_dir) return UnitFileState::Transient;
  if (f.install.has_targets || f.install.has_alias) return UnitFileState::Disabled;
  if (f.install.has_also) return UnitFileState::Indirect;
  return UnitFileState::Static;
}

}  // namespace unitrun::unit
