#include "unit/service_directories.h"

namespace unitrun::unit {
namespace {

constexpr DirectoryType kTypes[] = {DirectoryType::Runtime, DirectoryType::State, DirectoryType::Cache,
                                    DirectoryType::Logs, DirectoryType::Configuration};

std::string join(const std::string& root, const std::string& relative) {
  return root == "/" ? "/" + relative : root + "/" + relative;
}

std::string variable_of(DirectoryType t) {
  switch (t) {
    case DirectoryType::Runtime:
      return "RUNTIME_DIRECTORY";
    case DirectoryType::State:
      return "STATE_DIRECTORY";
    case DirectoryType::Cache:
      return "CACHE_DIRECTORY";
    case DirectoryType::Logs:
      return "LOGS_DIRECTORY";
    case DirectoryType::Configuration:
      return "CONFIGURATION_DIRECTORY";
  }
  return "";
}

}  // namespace

std::vector<PlannedDirectory> planned_directories(const Unit& unit) {
  std::vector<PlannedDirectory> out;
  for (DirectoryType t : kTypes) {
    const ServiceDirectories& d = unit.exec_directory(t);
    for (const ServiceDirectory& entry : d.paths) {
      PlannedDirectory p;
      p.type = t;
      p.root = d.root;
      p.relative = entry.path;
      p.path = join(d.root, entry.path);
      p.mode = d.mode;
      p.owned_by_service = t != DirectoryType::Configuration;
      for (const std::string& link : entry.symlinks) p.symlinks.push_back(join(d.root, link));
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> directory_environment(const Unit& unit) {
  std::vector<std::pair<std::string, std::string>> out;
  for (DirectoryType t : kTypes) {
    const ServiceDirectories& d = unit.exec_directory(t);
    if (d.paths.empty()) continue;
    std::string value;
    for (const ServiceDirectory& entry : d.paths) value += (value.empty() ? "" : ":") + join(d.root, entry.path);
    out.emplace_back(variable_of(t), value);
  }
  return out;
}

std::vector<PlannedDirectory> directories_to_remove(const Unit& unit, StopReason reason) {
  PreserveMode preserve = unit.runtime_directory_preserve;
  if (preserve == PreserveMode::Yes || (preserve == PreserveMode::Restart && reason == StopReason::Restart)) return {};
  std::vector<PlannedDirectory> out;
  for (PlannedDirectory& p : planned_directories(unit))
    if (p.type == DirectoryType::Runtime) out.push_back(std::move(p));
  return out;
}

}  // namespace unitrun::unit
