#include "monitor/service_exec.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/sys.h"
#include "notify/journal_stream.h"
#include "runtime/safe_files.h"
#include "unit/command_line.h"
#include "unit/environment_file.h"
#include "unit/unit_validate.h"

namespace unitrun::monitor {

Result<ExecContext> prepare_exec_context(const Unit& unit) {
  ExecContext c;
  auto identity = process::resolve_identity(unit);
  if (!identity) return identity.error();
  c.identity = std::move(*identity);
  auto& env = c.environment;
  env["PATH"] = unit::kFixedPath;
  env["HOME"] = c.identity.home;
  env["USER"] = c.identity.user_name;
  env["LOGNAME"] = c.identity.user_name;
  env["SHELL"] = c.identity.shell;
  for (const auto& [k, v] : unit.environment) env[k] = v;
  for (const EnvironmentFile& f : unit.environment_files) {
    // Read as unitrun's user (often root) on the service's behalf: by
    // safe_files' rules (no symlink planted in the last component, no hard
    // link, a regular file only, and an open that never blocks on a FIFO).
    auto fd = safe_files::open_for_reading(f.path);
    if (!fd) {
      if (f.optional && fd.error().sys_errno == ENOENT) continue;
      return Error::plain("EnvironmentFile '" + f.path + "': " + fd.error().message());
    }
    auto content = sys::read_all(fd->get(), 1 << 20);
    if (!content) return Error{content.error().sys_errno, "EnvironmentFile '" + f.path + "'"};
    auto vars = environment_file::parse(*content);
    if (!vars) return Error::plain("EnvironmentFile '" + f.path + "': " + vars.error().message());
    for (auto& [k, v] : *vars) env[k] = v;
  }
  return c;
}

namespace {

// Opens one output as the unit asks; -1 (an empty UniqueFd) is /dev/null.
Result<UniqueFd> open_output(const Unit& unit, const OutputSpec& spec, int inherit_fd, bool foreground) {
  using K = OutputSpec::Kind;
  K kind = spec.kind == K::Default && foreground ? K::Inherit : spec.kind;
  switch (kind) {
    case K::Null:
      return UniqueFd();
    case K::Inherit: {
      if (inherit_fd < 0) return UniqueFd();
      int fd = ::fcntl(inherit_fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) return Error::from_errno("duplicate stdout");
      return UniqueFd(fd);
    }
    case K::Journal: {
      // Where journal output goes is decided once, by unit::file_of():
      // journald's stream when it listens, else the unit's log file (a
      // container, a sysvinit machine). `status` and `logs` read the same.
      std::string file = file_of(unit, spec, foreground, sys::journald_listening());
      if (!file.empty()) return safe_files::open_for_writing(file, true, false, 0640);
      UniqueFd journal = notify::open_journal_stream(unit.name);
      if (!journal) return Error::plain("cannot open a stream to journald for StandardOutput=journal");
      return journal;
    }
    case K::File:
      return safe_files::open_for_writing(spec.path, false, false, 0640);
    case K::Append:
      return safe_files::open_for_writing(spec.path, true, false, 0640);
    case K::Truncate:
      return safe_files::open_for_writing(spec.path, false, true, 0640);
    case K::Default:
      return safe_files::open_for_writing(unit.log_file, true, false, 0640);
  }
  return UniqueFd();
}

}  // namespace

Result<Outputs> open_outputs(const Unit& unit, int inherit_fd, bool foreground) {
  Outputs o;
  auto out = open_output(unit, unit.standard_output, inherit_fd, foreground);
  if (!out) return out.error();
  o.out = std::move(*out);
  const OutputSpec& err = unit.standard_error;
  // stderr shares stdout's fd when it joins stdout (unit::stderr_joins_stdout,
  // the one rule), and when it names the very same file: one description,
  // so the lines of both keep their order and truncate: happens once.
  bool same_file = err.kind == unit.standard_output.kind && err.path == unit.standard_output.path &&
                   err.kind != OutputSpec::Kind::Journal && err.kind != OutputSpec::Kind::Null;
  if (stderr_joins_stdout(unit) || same_file) return o;
  if (err.kind == OutputSpec::Kind::Null) {
    int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Error::from_errno("open /dev/null");
    o.err.reset(fd);
    return o;
  }
  auto e = open_output(unit, err, inherit_fd, foreground);
  if (!e) return e.error();
  o.err = std::move(*e);
  if (!o.err) o.err.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  return o;
}

process::ExecSpec make_exec_spec(const Unit& unit, const Command& command, const ExecContext& context,
                                 const Outputs& outputs, const std::map<std::string, std::string>& extra_env) {
  process::ExecSpec spec;
  std::map<std::string, std::string> env = context.environment;
  for (const auto& [k, v] : extra_env) env[k] = v;
  spec.program = command.program;
  spec.argv = command.expand_environment ? command_line::expand_environment(command.argv, env) : command.argv;
  if (spec.argv.empty()) spec.argv.push_back(command.program);  // "$EMPTY" alone must not leave argv empty
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  spec.working_directory = unit.working_directory == "~" ? context.identity.home : unit.working_directory;
  spec.working_directory_optional = unit.working_directory_optional;
  spec.umask = unit.umask;
  spec.credentials = context.identity.credentials;
  spec.stdout_fd = outputs.stdout_fd();
  spec.stderr_fd = outputs.stderr_fd();
  spec.limit_nofile = unit.limit_nofile;
  spec.limit_core = unit.limit_core;
  spec.nice = unit.nice;
  return spec;
}

}  // namespace unitrun::monitor
