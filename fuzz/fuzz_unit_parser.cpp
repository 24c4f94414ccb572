// libFuzzer target for the unit-file parser (reliability.md §4).
//
// Feeds arbitrary bytes to unit::parse() with a fixed ParseContext. Errors
// are expected and fine; crashes, sanitizer reports and broken invariants
// are not. When the input parses without errors, it also checks:
//   - umask <= 0777;
//   - every Command has a non-empty argv, a non-empty argv[0] and program;
//   - no string anywhere in the Unit holds a NUL byte;
//   - paths the parser resolved are absolute;
//   - round trip of commands: the Exec*= lines of unit::show_text(), parsed
//     again as a unit, give the same commands (argv, program and prefixes).
//     This holds because format_command() quotes every word with
//     quote_word(), which escapes '"', '\\', newline and tab, doubles '%'
//     (specifiers are expanded on reading) and quotes a lone ';' (so it is no
//     separator), and the program it prints is already resolved: absolute
//     paths resolve to themselves, bare names are left alone by parse().
//
// The same function is linked into unitrun_fuzz_replay (replay_main.cpp),
// built with the normal compiler, which ctest runs over fuzz/corpus and
// fuzz/regressions.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "unit/unit_name.h"
#include "unit/unit_parser.h"
#include "unit/unit_show.h"

namespace {

using namespace unitrun;

constexpr size_t kMaxInput = 64 * 1024;  // same cap as systemd's fuzz-unit-file

// An instance name, so that %i and %p have something to expand to; every
// input is parsed as a unitrun .ini file and as a systemd template (checked
// as instance 'i'), with every fact a specifier may name.
unit::ParseContext make_context(const char* path) {
  unit::ParseContext ctx;
  ctx.path = path;
  ctx.user_name = "fuzzer";
  ctx.home = "/home/fuzzer";
  ctx.runtime_dir = "/run/user/1000";
  ctx.pid_dir = "/run/user/1000/unitrun";
  ctx.log_dir = "/home/fuzzer/.local/state/unitrun";
  ctx.host.hostname = "fuzz.example.org";
  ctx.host.machine_id = "0123456789abcdef0123456789abcdef";
  ctx.host.boot_id = "fedcba9876543210fedcba9876543210";
  ctx.host.kernel_release = "6.1.0";
  ctx.host.architecture = "x86-64";
  ctx.host.os_release_read = true;
  ctx.host.os_id = "debian";
  return ctx;
}

const unit::ParseContext& context() {
  static const unit::ParseContext c = make_context("/srv/units/fuzz@inst.ini");
  return c;
}

const unit::ParseContext& template_context() {
  static const unit::ParseContext c = make_context("/srv/units/fuzz-unit@.service");
  return c;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_unit_parser: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

void check_string(const std::string& s, const char* what) {
  if (s.find('\0') != std::string::npos) fail(std::string("NUL byte in ") + what);
}

void check_absolute(const std::string& s, const char* what) {
  check_string(s, what);
  if (s.empty() || s[0] != '/') fail(std::string(what) + " is not absolute: '" + s + "'");
}

using CommandList = std::vector<Command> Unit::*;

struct CommandKey {
  std::string_view key;
  CommandList field;
};

constexpr CommandKey kCommandKeys[] = {
    {"ExecCondition", &Unit::exec_condition}, {"ExecStartPre", &Unit::exec_start_pre},
    {"ExecStart", &Unit::exec_start},         {"ExecStartPost", &Unit::exec_start_post},
    {"ExecReload", &Unit::exec_reload},       {"ExecStop", &Unit::exec_stop},
    {"ExecStopPost", &Unit::exec_stop_post},
};

void check_command(const Command& c) {
  if (c.argv.empty()) fail("command with an empty argv");
  if (c.argv[0].empty()) fail("command with an empty argv[0]");
  if (c.program.empty()) fail("command with an empty program");
  check_string(c.program, "a program");
  for (const std::string& a : c.argv) check_string(a, "an argument");
}

void check_invariants(const Unit& u) {
  if (u.umask > 0777) fail("umask above 0777");
  for (const std::string* s : {&u.name, &u.description, &u.user, &u.group, &u.working_directory})
    check_string(*s, "a scalar value");
  for (const std::string* s : {&u.path, &u.directory, &u.log_file, &u.pid_file}) check_absolute(*s, "a path");
  if (u.working_directory != "~") check_absolute(u.working_directory, "WorkingDirectory");
  for (const OutputSpec* o : {&u.standard_output, &u.standard_error}) {
    bool has_path = o->kind == OutputSpec::Kind::File || o->kind == OutputSpec::Kind::Append ||
                    o->kind == OutputSpec::Kind::Truncate;
    if (has_path)
      check_absolute(o->path, "an output path");
    else if (!o->path.empty())
      fail("output path without a file kind");
  }
  for (const EnvironmentFile& f : u.environment_files) check_absolute(f.path, "EnvironmentFile");
  for (const auto* list : {&u.documentation, &u.supplementary_groups, &u.wanted_by})
    for (const std::string& s : *list) check_string(s, "a list item");
  for (const auto& [k, v] : u.environment) {
    check_string(k, "an environment name");
    check_string(v, "an environment value");
    if (k.empty() || k.find('=') != std::string::npos) fail("bad environment name '" + k + "'");
  }
  for (const CommandKey& ck : kCommandKeys)
    for (const Command& c : u.*(ck.field)) check_command(c);
  // Directories stay below their roots; credentials are file names; the
  // names of dependencies are unit names.
  for (const ServiceDirectories& d : u.directories)
    for (const ServiceDirectory& e : d.paths) {
      for (const std::string* p : {&e.path}) {
        check_string(*p, "a directory");
        if (p->empty() || (*p)[0] == '/' || *p == ".." || p->rfind("../", 0) == 0 ||
            p->find("/../") != std::string::npos)
          fail("a directory that is not below its root: '" + *p + "'");
      }
    }
  for (const Credential& c : u.credentials)
    if (c.id.empty() || c.id.find('/') != std::string::npos || c.id == "." || c.id == "..")
      fail("a credential ID that is not a file name: '" + c.id + "'");
  for (const Dependency& d : u.dependencies)
    if (!unit::is_valid_dependency_name(d.unit)) fail("an invalid dependency name: '" + d.unit + "'");
  for (const Condition& c : u.conditions) check_string(c.value, "a condition");
}

std::string describe(const Command& c) {
  std::string out = "program='" + c.program + "' argv=[";
  for (size_t i = 0; i < c.argv.size(); ++i) out += (i ? ", '" : "'") + c.argv[i] + "'";
  out += "] ignore_failure=" + std::to_string(c.ignore_failure) +
         " expand_environment=" + std::to_string(c.expand_environment) +
         " privileges=" + std::to_string(static_cast<int>(c.privileges));
  return out;
}

// The Exec*= lines of show_text(), parsed again as a unit of their own, give
// the same commands.
void check_command_round_trip(const Unit& u) {
  std::string text = unit::show_text(u);
  std::string reparse = "[Service]\n";
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = std::string_view(text).substr(start, end - start);
    start = end + 1;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq);
    for (const CommandKey& ck : kCommandKeys) {
      if (ck.key == key) {
        reparse.append(line);
        reparse += '\n';
      }
    }
  }

  unit::ParseResult again = unit::parse(reparse, context());
  if (has_errors(again.diagnostics)) {
    std::string messages;
    for (const Diagnostic& d : again.diagnostics) messages += "\n  " + d.format("reparse");
    fail("show_text's Exec lines do not parse again:\n" + reparse + messages);
  }
  for (const CommandKey& ck : kCommandKeys) {
    const std::vector<Command>& before = u.*(ck.field);
    const std::vector<Command>& after = again.unit.*(ck.field);
    if (before.size() != after.size())
      fail(std::string(ck.key) + ": " + std::to_string(before.size()) + " commands, " + std::to_string(after.size()) +
           " after the round trip");
    for (size_t i = 0; i < before.size(); ++i) {
      const Command& a = before[i];
      const Command& b = after[i];
      if (a.argv != b.argv || a.program != b.program || a.ignore_failure != b.ignore_failure ||
          a.expand_environment != b.expand_environment || a.privileges != b.privileges)
        fail(std::string(ck.key) + " changed in the round trip:\n  before: " + describe(a) +
             "\n  after:  " + describe(b) + "\n  text:   " + unit::format_command(a));
    }
  }
}

void check_one(std::string_view content, const unit::ParseContext& ctx) {
  unit::ParseResult r = unit::parse(content, ctx);

  // Diagnostics are printed as "path:line: message"; every one must format.
  for (const Diagnostic& d : r.diagnostics) {
    if (d.line < 0) fail("negative line number in a diagnostic");
    if (d.message.empty()) fail("empty diagnostic message");
    (void)d.format(ctx.path);
  }
  if (has_errors(r.diagnostics)) return;

  check_invariants(r.unit);
  // Both renderings of `unitrun show` must work on anything that parsed.
  (void)unit::show_json(r.unit).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  check_command_round_trip(r.unit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view content(reinterpret_cast<const char*>(data), size);
  check_one(content, context());
  check_one(content, template_context());
  return 0;
}
