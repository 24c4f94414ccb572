// RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory=,
// ConfigurationDirectory= (systemd.exec(5), Table 2): which directories a
// unit's start creates, with which mode and owner, which variables tell the
// service where they are, and which a stop removes. Pure: the file-system
// part is runtime/service_directories.h.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "unit/unit.h"

namespace unitrun::unit {

struct PlannedDirectory {
  DirectoryType type = DirectoryType::Runtime;
  std::string root;      // "/run": exists already; never created or changed
  std::string relative;  // "foo/bar": its parents below root are created 0755, root-owned
  std::string path;      // root + "/" + relative
  mode_t mode = 0755;    // of the innermost directory, set on every start
  // The innermost directory belongs to User=/Group= (not for
  // ConfigurationDirectory=, which the service should only read).
  bool owned_by_service = true;
  std::vector<std::string> symlinks;  // absolute paths of links to `path`
};

// Every directory of the unit, in the order of the keys and the words.
std::vector<PlannedDirectory> planned_directories(const Unit& unit);

// RUNTIME_DIRECTORY=/run/a:/run/b, STATE_DIRECTORY=..., for each key set.
std::vector<std::pair<std::string, std::string>> directory_environment(const Unit& unit);

// Why the service's processes are gone: a stop (unitrun stop, a failure
// without restart), or a restart (Restart=, unitrun restart).
enum class StopReason { Stop, Restart };

// What to remove then: the runtime directories (the innermost ones, with
// what is in them) and their symlinks, unless RuntimeDirectoryPreserve= keeps
// them (yes: always; restart: across a restart). The others stay.
std::vector<PlannedDirectory> directories_to_remove(const Unit& unit, StopReason reason);

}  // namespace unitrun::unit
