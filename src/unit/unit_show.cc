#include "unit/unit_show.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "unit/values.h"

namespace unitrun::unit {
namespace {

std::string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  return buf;
}

std::string exit_status_text(const ExitStatusSet& s) {
  std::vector<std::string> words;
  for (int c : s.codes) words.push_back(std::to_string(c));
  for (int sig : s.signals) words.push_back(values::signal_name(sig));
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string output_text(const Unit& u, const OutputSpec& o) {
  if (o.kind == OutputSpec::Kind::Default) return "append:" + u.log_file;
  return to_string(o);
}

nlohmann::json command_json(const Command& c) {
  return {{"program", c.program},
          {"argv", c.argv},
          {"ignore_failure", c.ignore_failure},
          {"expand_environment", c.expand_environment},
          {"line", c.line}};
}

const std::vector<std::pair<const char*, std::vector<Command> Unit::*>>& command_fields() {
  static const std::vector<std::pair<const char*, std::vector<Command> Unit::*>> fields = {
      {"ExecStartPre", &Unit::exec_start_pre},
      {"ExecStart", &Unit::exec_start},
      {"ExecStartPost", &Unit::exec_start_post},
      {"ExecReload", &Unit::exec_reload},
      {"ExecStop", &Unit::exec_stop},
      {"ExecStopPost", &Unit::exec_stop_post}};
  return fields;
}

}  // namespace

std::string format_command(const Command& c) {
  std::string prefix;
  if (c.ignore_failure) prefix += '-';
  if (!c.expand_environment) prefix += ':';
  bool argv0_differs = c.argv.empty() || c.argv[0] != c.program;
  if (argv0_differs) prefix += '@';
  std::vector<std::string> words{c.program};
  if (argv0_differs)
    words.insert(words.end(), c.argv.begin(), c.argv.end());
  else
    words.insert(words.end(), c.argv.begin() + 1, c.argv.end());
  std::string text = join_words(words);
  // The prefix goes before the (possibly quoted) program word.
  if (!prefix.empty() && text[0] == '"') return "\"" + prefix + text.substr(1);
  return prefix + text;
}

std::vector<std::pair<std::string, std::string>> properties(const Unit& u) {
  std::vector<std::pair<std::string, std::string>> p;
  auto add = [&](const std::string& k, std::string v) { p.emplace_back(k, std::move(v)); };
  auto words = [](const std::vector<std::string>& list) { return join_words(list); };
  add("Id", u.name);
  add("FragmentPath", u.path);
  add("Description", u.description);
  add("Documentation", words(u.documentation));
  add("StartLimitIntervalSec", values::format_timespan(u.start_limit_interval));
  add("StartLimitBurst", std::to_string(u.start_limit_burst));
  add("Type", to_string(u.type));
  for (const auto& [key, field] : command_fields())
    for (const Command& c : u.*field) add(key, format_command(c));
  add("WorkingDirectory", (u.working_directory_optional ? "-" : "") + u.working_directory);
  add("UMask", octal(u.umask));
  add("User", u.user);
  add("Group", u.group);
  add("SupplementaryGroups", words(u.supplementary_groups));
  for (const auto& [k, v] : u.environment) add("Environment", quote_word(k + "=" + v));
  for (const EnvironmentFile& f : u.environment_files) add("EnvironmentFile", (f.optional ? "-" : "") + f.path);
  add("PIDFile", u.pid_file);
  add("StandardInput", "null");
  add("StandardOutput", output_text(u, u.standard_output));
  add("StandardError", u.standard_error.kind == OutputSpec::Kind::Default ? output_text(u, u.standard_output)
                                                                          : output_text(u, u.standard_error));
  add("Restart", to_string(u.restart));
  add("RestartSec", values::format_timespan(u.restart_sec));
  add("SuccessExitStatus", exit_status_text(u.success_exit_status));
  add("RestartPreventExitStatus", exit_status_text(u.restart_prevent_exit_status));
  add("TimeoutStartSec", values::format_timespan(u.timeout_start));
  add("TimeoutStopSec", values::format_timespan(u.timeout_stop));
  add("KillMode", to_string(u.kill_mode));
  add("KillSignal", values::signal_name(u.kill_signal));
  add("FinalKillSignal", values::signal_name(u.final_kill_signal));
  add("SendSIGKILL", u.send_sigkill ? "yes" : "no");
  add("WatchdogSec", values::format_timespan(u.watchdog_sec));
  add("LimitNOFILE", u.limit_nofile ? values::format_rlimit(*u.limit_nofile) : "");
  add("LimitCORE", u.limit_core ? values::format_rlimit(*u.limit_core) : "");
  add("Nice", u.nice ? std::to_string(*u.nice) : "");
  add("WantedBy", words(u.wanted_by));
  return p;
}

std::string show_text(const Unit& u) {
  std::string out;
  for (const auto& [k, v] : properties(u)) out += k + "=" + v + "\n";
  return out;
}

nlohmann::json show_json(const Unit& u) {
  nlohmann::json j;
  for (const auto& [k, v] : properties(u)) {
    bool is_list = k.rfind("Exec", 0) == 0 || k == "Environment" || k == "EnvironmentFile";
    if (!is_list) j[k] = v;
  }
  for (const auto& [key, field] : command_fields()) {
    nlohmann::json list = nlohmann::json::array();
    for (const Command& c : u.*field) list.push_back(command_json(c));
    j[key] = list;
  }
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [k, v] : u.environment) env[k] = v;
  j["Environment"] = env;
  nlohmann::json files = nlohmann::json::array();
  for (const EnvironmentFile& f : u.environment_files) files.push_back({{"path", f.path}, {"optional", f.optional}});
  j["EnvironmentFile"] = files;
  j["Documentation"] = u.documentation;
  j["SupplementaryGroups"] = u.supplementary_groups;
  j["WantedBy"] = u.wanted_by;
  return j;
}

}  // namespace unitrun::unit
