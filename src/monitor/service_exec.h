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
// built from nothing, in systemd's order: a fixed PATH (ExecSearchPath= when
// set), HOME/USER/LOGNAME/SHELL of the service user, RUNTIME_DIRECTORY= & co.
// and CREDENTIALS_DIRECTORY= when the unit has them, PassEnvironment= (from
// unitrun's own environment), Environment=, then EnvironmentFile= (which
// overrides, as in systemd). UnsetEnvironment= is applied last, by
// make_exec_spec().
Result<ExecContext> prepare_exec_context(const Unit& unit);

// The service's stdin, stdout and stderr, opened by the monitor: files
// without following symlinks, 0640, close-on-exec in unitrun. -1 means
// /dev/null (stdin, stdout) or "same as stdout" (stderr).
struct Outputs {
  UniqueFd in, out, err;
  int stdin_fd() const { return in.get(); }
  int stdout_fd() const { return out.get(); }
  int stderr_fd() const { return err ? err.get() : out.get(); }
};

// inherit_fd: what "inherit" means for this monitor: its own stdout in the
// foreground (-1 when daemonized, i.e. /dev/null). In the foreground (`run`
// under systemd) a unit that says nothing inherits, i.e. goes to the journal;
// daemonized, it appends to the unit's log file. StandardInput=: null, the
// terminal of TTYPath= (which the child makes its controlling terminal),
// StandardInputText=/Data= in a sealed memory file, or file:PATH.
// StandardOutput=journal/kmsg(+console): a journal stream with the unit's
// Syslog*= settings, journald making the copies to the kernel log and the
// console; without journald, journal goes to the unit's log (no console
// copy) and kmsg to /dev/kmsg. A terminal is reset first as TTYReset=,
// TTYVHangup=, TTYRows=/TTYColumns= and TTYVTDisallocate= say.
Result<Outputs> open_outputs(const Unit& unit, int inherit_fd, bool foreground);

// TTYReset=, TTYVHangup=, TTYRows=/TTYColumns=, TTYVTDisallocate= on
// TTYPath=: systemd does it before the service runs (open_outputs() does)
// and again after it has stopped (the monitor's to call). Best effort.
void reset_tty(const Unit& unit);

process::ExecSpec make_exec_spec(const Unit& unit, const Command& command, const ExecContext& context,
                                 const Outputs& outputs, const std::map<std::string, std::string>& extra_env);

}  // namespace unitrun::monitor
