// Turning a unit's Command into an ExecSpec: the environment built from
// scratch, the identity, the output files. Runs in the monitor, before fork.
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "process/credentials.h"
#include "process/spawn.h"
#include "unit/unit.h"

namespace unitrun::monitor {

// Everything about a unit's exec state that does not change between the
// commands of one start: identity and environment.
struct ExecContext {
  process::Identity identity;
  std::map<std::string, std::string> environment;
};

// Resolves the identity and reads EnvironmentFile=s. The environment is
// built from nothing: a fixed PATH, HOME/USER/LOGNAME/SHELL of the service
// user, Environment=, then EnvironmentFile= (which overrides, as in systemd).
Result<ExecContext> prepare_exec_context(const Unit& unit);

// The service's stdout and stderr, opened by the monitor: files without
// following symlinks, 0640, close-on-exec in unitrun. -1 means /dev/null
// (stdout) or "same as stdout" (stderr).
struct Outputs {
  UniqueFd out, err;
  int stdout_fd() const { return out.get(); }
  int stderr_fd() const { return err ? err.get() : out.get(); }
};

// inherit_fd: what "inherit" means for this monitor: its own stdout in the
// foreground (-1 when daemonized, i.e. /dev/null). In the foreground (`run`
// under systemd) a unit that says nothing inherits, i.e. goes to the journal;
// daemonized, it appends to the unit's log file.
Result<Outputs> open_outputs(const Unit& unit, int inherit_fd, bool foreground);

process::ExecSpec make_exec_spec(const Unit& unit, const Command& command, const ExecContext& context,
                                 const Outputs& outputs, const std::map<std::string, std::string>& extra_env);

}  // namespace unitrun::monitor
