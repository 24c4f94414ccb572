#include "unit/unit_show.h"

#include <sys/resource.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "unit/conditions.h"
#include "unit/directives.h"
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

const char* privileges_prefix(CommandPrivileges p) {
  switch (p) {
    case CommandPrivileges::Normal:
      return "";
    case CommandPrivileges::Full:
      return "+";
    case CommandPrivileges::NoUserSwitch:
      return "!";
    case CommandPrivileges::AmbientFallback:
      return "!!";
  }
  return "";
}

nlohmann::json command_json(const Command& c) {
  return {{"program", c.program},
          {"argv", c.argv},
          {"ignore_failure", c.ignore_failure},
          {"expand_environment", c.expand_environment},
          {"privileges", privileges_prefix(c.privileges)},
          {"line", c.line}};
}

const std::vector<std::pair<const char*, std::vector<Command> Unit::*>>& command_fields() {
  static const std::vector<std::pair<const char*, std::vector<Command> Unit::*>> fields = {
      {"ExecCondition", &Unit::exec_condition}, {"ExecStartPre", &Unit::exec_start_pre},
      {"ExecStart", &Unit::exec_start},         {"ExecStartPost", &Unit::exec_start_post},
      {"ExecReload", &Unit::exec_reload},       {"ExecStop", &Unit::exec_stop},
      {"ExecStopPost", &Unit::exec_stop_post}};
  return fields;
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(data[i])) << 16) | (uint32_t(uint8_t(data[i + 1])) << 8) | uint8_t(data[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (i < data.size()) {
    uint32_t v = uint32_t(uint8_t(data[i])) << 16;
    if (i + 1 < data.size()) v |= uint32_t(uint8_t(data[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string directory_words(const ServiceDirectories& d) {
  std::vector<std::string> words;
  for (const ServiceDirectory& e : d.paths) {
    words.push_back(e.path);
    for (const std::string& link : e.symlinks) words.back() += ":" + link;
  }
  return join_words(words);
}

std::string limit_text(int resource, const ResourceLimit& l) {
  (void)resource;
  return values::format_rlimit(l);
}

constexpr DirectoryType kDirectoryTypes[] = {DirectoryType::Runtime, DirectoryType::State, DirectoryType::Cache,
                                             DirectoryType::Logs, DirectoryType::Configuration};

// The keys of without_effect, each once, in the order they were first set.
std::vector<std::string> keys_without_effect(const Unit& u) {
  std::vector<std::string> keys;
  for (const KeyAssignment& k : u.without_effect)
    if (std::find(keys.begin(), keys.end(), k.key) == keys.end()) keys.push_back(k.key);
  return keys;
}

std::string key_name(const std::string& id) { return id.substr(id.find('.') + 1); }

const char* protect_system_name(ProtectSystem v) {
  switch (v) {
    case ProtectSystem::No:
      return "no";
    case ProtectSystem::Yes:
      return "yes";
    case ProtectSystem::Full:
      return "full";
    case ProtectSystem::Strict:
      return "strict";
  }
  return "";
}

const char* protect_home_name(ProtectHome v) {
  switch (v) {
    case ProtectHome::No:
      return "no";
    case ProtectHome::Yes:
      return "yes";
    case ProtectHome::ReadOnly:
      return "read-only";
    case ProtectHome::Tmpfs:
      return "tmpfs";
  }
  return "";
}

const char* protect_proc_name(ProtectProc v) {
  switch (v) {
    case ProtectProc::Default:
      return "default";
    case ProtectProc::Invisible:
      return "invisible";
    case ProtectProc::Ptraceable:
      return "ptraceable";
    case ProtectProc::NoAccess:
      return "noaccess";
  }
  return "";
}

const char* keyring_mode_name(KeyringMode v) {
  switch (v) {
    case KeyringMode::Inherit:
      return "inherit";
    case KeyringMode::Private:
      return "private";
    case KeyringMode::Shared:
      return "shared";
  }
  return "";
}

const char* mount_propagation_name(MountPropagation v) {
  switch (v) {
    case MountPropagation::Shared:
      return "shared";
    case MountPropagation::Slave:
      return "slave";
    case MountPropagation::Private:
      return "private";
  }
  return "";
}

const char* device_policy_name(DevicePolicy v) {
  switch (v) {
    case DevicePolicy::Auto:
      return "auto";
    case DevicePolicy::Closed:
      return "closed";
    case DevicePolicy::Strict:
      return "strict";
  }
  return "";
}

// Bytes or a task count as systemctl show prints them: "infinity" for no
// limit, "" when the key is not set.
std::string limit_value(const std::optional<uint64_t>& v) {
  if (!v) return "";
  return *v == kCgroupInfinity ? "infinity" : std::to_string(*v);
}

// The list-valued sandbox keys whose lines combine: each line as written,
// in order (a later "~" line removes, an empty one resets).
const std::vector<std::pair<const char*, std::vector<std::string> SandboxSpec::*>>& sandbox_line_fields() {
  static const std::vector<std::pair<const char*, std::vector<std::string> SandboxSpec::*>> fields = {
      {"CapabilityBoundingSet", &SandboxSpec::capability_bounding_set},
      {"AmbientCapabilities", &SandboxSpec::ambient_capabilities},
      {"SecureBits", &SandboxSpec::secure_bits},
      {"RestrictNamespaces", &SandboxSpec::restrict_namespaces},
      {"RestrictAddressFamilies", &SandboxSpec::restrict_address_families},
      {"SystemCallFilter", &SandboxSpec::system_call_filter},
      {"SystemCallArchitectures", &SandboxSpec::system_call_architectures},
      {"SystemCallLog", &SandboxSpec::system_call_log}};
  return fields;
}

void add_sandbox_properties(const Unit& u, std::vector<std::pair<std::string, std::string>>& p) {
  auto add = [&](const std::string& k, std::string v) { p.emplace_back(k, std::move(v)); };
  auto yes = [](bool b) { return std::string(b ? "yes" : "no"); };
  const SandboxSpec& s = u.sandbox;
  add("NoNewPrivileges", yes(s.no_new_privileges));
  for (const auto& [key, field] : sandbox_line_fields()) {
    if ((s.*field).empty()) add(key, "");
    for (const std::string& line : s.*field) add(key, line);
  }
  add("KeyringMode", keyring_mode_name(s.keyring_mode));
  add("LockPersonality", yes(s.lock_personality));
  add("MemoryDenyWriteExecute", yes(s.memory_deny_write_execute));
  add("RestrictRealtime", yes(s.restrict_realtime));
  add("RestrictSUIDSGID", yes(s.restrict_suid_sgid));
  add("SystemCallErrorNumber", s.system_call_error_number);
  add("PrivateTmp", yes(s.private_tmp));
  add("PrivateDevices", yes(s.private_devices));
  add("PrivateNetwork", yes(s.private_network));
  add("PrivateIPC", yes(s.private_ipc));
  add("PrivateUsers", yes(s.private_users));
  add("ProtectSystem", protect_system_name(s.protect_system));
  add("ProtectHome", protect_home_name(s.protect_home));
  add("ReadWritePaths", join_words(s.read_write_paths));
  add("ReadOnlyPaths", join_words(s.read_only_paths));
  add("InaccessiblePaths", join_words(s.inaccessible_paths));
  add("ExecPaths", join_words(s.exec_paths));
  add("NoExecPaths", join_words(s.no_exec_paths));
  std::vector<std::string> binds, read_only_binds, tmpfs;
  for (const BindPath& b : s.bind_paths) {
    std::string w = (b.ignore_missing ? "-" : "") + b.source;
    if (b.destination != b.source || !b.recursive) w += ":" + b.destination;
    if (!b.recursive) w += ":norbind";
    (b.read_only ? read_only_binds : binds).push_back(w);
  }
  for (const TemporaryFileSystem& t : s.temporary_file_system)
    tmpfs.push_back(t.options.empty() ? t.path : t.path + ":" + t.options);
  add("BindPaths", join_words(binds));
  add("BindReadOnlyPaths", join_words(read_only_binds));
  add("TemporaryFileSystem", join_words(tmpfs));
  add("ProtectKernelTunables", yes(s.protect_kernel_tunables));
  add("ProtectKernelModules", yes(s.protect_kernel_modules));
  add("ProtectKernelLogs", yes(s.protect_kernel_logs));
  add("ProtectControlGroups", yes(s.protect_control_groups));
  add("ProtectClock", yes(s.protect_clock));
  add("ProtectHostname", yes(s.protect_hostname));
  add("ProtectProc", protect_proc_name(s.protect_proc));
  add("ProcSubset", s.proc_subset == ProcSubset::Pid ? "pid" : "all");
  add("RootDirectory", s.root_directory);
  add("MountFlags", s.mount_flags ? mount_propagation_name(*s.mount_flags) : "");
  add("X-Unitrun-Sandbox", s.best_effort ? "best-effort" : "strict");

  const CgroupLimits& r = u.resource_control;
  add("MemoryHigh", limit_value(r.memory_high));
  add("MemoryMax", limit_value(r.memory_max));
  add("MemorySwapMax", limit_value(r.memory_swap_max));
  add("TasksMax", limit_value(r.tasks_max));
  add("CPUQuotaPerSecUSec", r.cpu_quota_per_sec_usec ? values::format_timespan(*r.cpu_quota_per_sec_usec) : "infinity");
  add("CPUQuotaPeriodUSec", values::format_timespan(r.cpu_quota_period_usec));
  add("CPUWeight", limit_value(r.cpu_weight));
  add("IOWeight", limit_value(r.io_weight));
  std::vector<std::string> device_weights, device_allow;
  for (const IoDeviceWeight& w : r.io_device_weight)
    device_weights.push_back(w.device + " " + std::to_string(w.weight));
  for (const DeviceAllow& d : r.device_allow) device_allow.push_back(d.device + " " + d.access);
  add("IODeviceWeight", join_words(device_weights));
  add("DevicePolicy", device_policy_name(r.device_policy));
  add("DeviceAllow", join_words(device_allow));
  add("Delegate", yes(r.delegate));
  add("MemoryAccounting", yes(r.memory_accounting));
  add("TasksAccounting", yes(r.tasks_accounting));
  add("CPUAccounting", yes(r.cpu_accounting.value_or(true)));  // unset: yes where a v2 tree counts it
  add("Slice", r.slice);
  auto prefixes = [](const std::vector<IpPrefix>& list) {
    std::vector<std::string> words;
    for (const IpPrefix& entry : list) words.push_back(ip_prefix_text(entry));
    return join_words(words);
  };
  add("IPAddressAllow", prefixes(r.ip_address_allow));
  add("IPAddressDeny", prefixes(r.ip_address_deny));
}
}  // namespace

std::string format_command(const Command& c) {
  std::string prefix = privileges_prefix(c.privileges);
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
  auto yes = [](bool b) { return std::string(b ? "yes" : "no"); };
  auto optional_int = [](const std::optional<int>& v) { return v ? std::to_string(*v) : std::string(); };
  add("Id", u.name);
  add("FragmentPath", u.path);
  add("Description", u.description);
  add("Documentation", words(u.documentation));
  add("StartLimitIntervalSec", values::format_timespan(u.start_limit_interval));
  add("StartLimitBurst", std::to_string(u.start_limit_burst));
  for (const Condition& c : u.conditions) add(condition_key(c), condition_text(c));
  // The dependencies a command acts on, one line per kind, in file order.
  for (int k = 0; k <= static_cast<int>(DependencyKind::JoinsNamespaceOf); ++k) {
    auto kind = static_cast<DependencyKind>(k);
    if (!acted_on(kind)) continue;  // a line of its own below
    std::vector<std::string> units;
    for (const Dependency& d : u.dependencies)
      if (d.kind == kind) units.push_back(d.unit);
    add(to_string(kind), words(units));
  }
  add("DefaultDependencies", yes(u.default_dependencies));
  add("StopWhenUnneeded", yes(u.stop_when_unneeded));
  add("RefuseManualStart", yes(u.refuse_manual_start));
  add("RefuseManualStop", yes(u.refuse_manual_stop));
  add("Type", to_string(u.type));
  add("ExitType", to_string(u.exit_type));
  add("RemainAfterExit", yes(u.remain_after_exit));
  add("GuessMainPID", yes(u.guess_main_pid));
  add("BusName", u.bus_name);
  add("NotifyAccess", to_string(effective_notify_access(u)));
  add("PermissionsStartOnly", yes(u.permissions_start_only));
  for (const auto& [key, field] : command_fields())
    for (const Command& c : u.*field) add(key, format_command(c));
  add("WorkingDirectory", (u.working_directory_optional ? "-" : "") + u.working_directory);
  add("UMask", octal(u.umask));
  add("User", u.user);
  add("Group", u.group);
  add("SupplementaryGroups", words(u.supplementary_groups));
  for (const auto& [k, v] : u.environment) add("Environment", quote_word(k + "=" + v));
  for (const EnvironmentFile& f : u.environment_files) add("EnvironmentFile", (f.optional ? "-" : "") + f.path);
  add("PassEnvironment", words(u.pass_environment));
  add("UnsetEnvironment", words(u.unset_environment));
  add("PIDFile", u.pid_file);
  add("StandardInput", to_string(u.standard_input));
  add("StandardInputData", base64(u.standard_input_data));
  add("StandardOutput", output_text(u, u.standard_output));
  add("StandardError", u.standard_error.kind == OutputSpec::Kind::Default ? output_text(u, u.standard_output)
                                                                          : output_text(u, u.standard_error));
  add("X-Unitrun-Timestamps", yes(u.timestamps));
  add("TTYPath", u.tty_path);
  add("TTYReset", yes(u.tty_reset));
  add("TTYVHangup", yes(u.tty_vhangup));
  add("TTYVTDisallocate", yes(u.tty_vt_disallocate));
  add("TTYRows", u.tty_rows ? std::to_string(*u.tty_rows) : "");
  add("TTYColumns", u.tty_columns ? std::to_string(*u.tty_columns) : "");
  add("SyslogIdentifier", u.syslog_identifier);
  add("SyslogFacility", values::syslog_facility_name(u.syslog_facility));
  add("SyslogLevel", values::syslog_level_name(u.syslog_level));
  add("SyslogLevelPrefix", yes(u.syslog_level_prefix));
  add("Restart", to_string(u.restart));
  add("RestartSec", values::format_timespan(u.restart_sec));
  add("SuccessExitStatus", exit_status_text(u.success_exit_status));
  add("RestartPreventExitStatus", exit_status_text(u.restart_prevent_exit_status));
  add("RestartForceExitStatus", exit_status_text(u.restart_force_exit_status));
  add("TimeoutStartSec", values::format_timespan(u.timeout_start));
  add("TimeoutStopSec", values::format_timespan(u.timeout_stop));
  add("TimeoutAbortSec", values::format_timespan(u.timeout_abort.value_or(u.timeout_stop)));
  add("TimeoutStartFailureMode", to_string(u.timeout_start_failure_mode));
  add("TimeoutStopFailureMode", to_string(u.timeout_stop_failure_mode));
  add("RuntimeMaxSec", values::format_timespan(u.runtime_max));
  add("RuntimeRandomizedExtraSec", values::format_timespan(u.runtime_randomized_extra));
  add("KillMode", to_string(u.kill_mode));
  add("KillSignal", values::signal_name(u.kill_signal));
  add("RestartKillSignal", values::signal_name(u.restart_kill_signal.value_or(u.kill_signal)));
  add("FinalKillSignal", values::signal_name(u.final_kill_signal));
  add("WatchdogSignal", values::signal_name(u.watchdog_signal));
  add("SendSIGKILL", yes(u.send_sigkill));
  add("SendSIGHUP", yes(u.send_sighup));
  add("WatchdogSec", values::format_timespan(u.watchdog_sec));
  add("LimitNOFILE", u.limit_nofile ? values::format_rlimit(*u.limit_nofile) : "");
  add("LimitCORE", u.limit_core ? values::format_rlimit(*u.limit_core) : "");
  for (const auto& [resource, limit] : u.limits)
    add(std::string(values::rlimit_key(resource)), limit_text(resource, limit));
  add("Nice", u.nice ? std::to_string(*u.nice) : "");
  add("OOMScoreAdjust", optional_int(u.oom_score_adjust));
  if (u.coredump_filter) {
    char hex[24];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(*u.coredump_filter));
    add("CoredumpFilter", hex);
  } else {
    add("CoredumpFilter", "");
  }
  add("TimerSlackNSec", u.timer_slack_nsec ? std::to_string(*u.timer_slack_nsec) : "");
  add("Personality", u.personality ? values::personality_name(*u.personality) : "");
  add("CPUSchedulingPolicy", u.cpu_scheduling.policy ? values::sched_policy_name(*u.cpu_scheduling.policy) : "");
  add("CPUSchedulingPriority", optional_int(u.cpu_scheduling.priority));
  add("CPUSchedulingResetOnFork", yes(u.cpu_scheduling.reset_on_fork));
  add("IOSchedulingClass", u.io_scheduling.io_class ? values::io_class_name(*u.io_scheduling.io_class) : "");
  add("IOSchedulingPriority", optional_int(u.io_scheduling.priority));
  add("CPUAffinity", u.cpu_affinity_from_numa ? "numa" : values::format_cpu_set(u.cpu_affinity));
  add("NUMAPolicy", u.numa_policy ? values::numa_policy_name(*u.numa_policy) : "");
  add("NUMAMask", u.numa_mask_all ? "all" : values::format_cpu_set(u.numa_mask));
  add("IgnoreSIGPIPE", yes(u.ignore_sigpipe));
  add("RemoveIPC", yes(u.remove_ipc));
  std::string search_path;
  for (const std::string& d : u.exec_search_path) search_path += (search_path.empty() ? "" : ":") + d;
  add("ExecSearchPath", search_path);
  add_sandbox_properties(u, p);
  for (DirectoryType t : kDirectoryTypes) {
    const ServiceDirectories& d = u.exec_directory(t);
    add(std::string(to_string(t)) + "Directory", directory_words(d));
    add(std::string(to_string(t)) + "DirectoryMode", octal(d.mode));
  }
  add("RuntimeDirectoryPreserve", to_string(u.runtime_directory_preserve));
  for (const Credential& c : u.credentials) {
    if (c.is_set)
      add("SetCredential", c.id + ":" + quote_word(c.data));
    else
      add("LoadCredential", c.id + ":" + c.path);
  }
  add("WantedBy", words(u.wanted_by));
  add("RequiredBy", words(u.required_by));
  add("Alias", words(u.alias));
  add("Also", words(u.also));
  add("DefaultInstance", u.default_instance);
  // Keys accepted without effect, as written, and which they are.
  for (const KeyAssignment& k : u.without_effect) add(key_name(k.key), k.value);
  std::vector<std::string> names;
  for (const std::string& k : keys_without_effect(u)) names.push_back(key_name(k));
  add("AcceptedWithoutEffect", words(names));
  return p;
}

std::string show_text(const Unit& u) {
  std::string out;
  for (const auto& [k, v] : properties(u)) out += k + "=" + v + "\n";
  return out;
}

nlohmann::json show_json(const Unit& u) {
  nlohmann::json j;
  std::vector<std::string> without_effect = keys_without_effect(u);
  auto is_list = [&](const std::string& k) {
    if (k.rfind("Exec", 0) == 0 && k != "ExecSearchPath") return true;
    if (k.rfind("Condition", 0) == 0 || k.rfind("Assert", 0) == 0) return true;
    for (const std::string& w : without_effect)
      if (key_name(w) == k) return true;
    for (const auto& [key, field] : sandbox_line_fields())
      if (k == key) return true;
    return k == "Environment" || k == "EnvironmentFile" || k == "SetCredential" || k == "LoadCredential";
  };
  for (const auto& [k, v] : properties(u))
    if (!is_list(k)) j[k] = v;
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
  j["PassEnvironment"] = u.pass_environment;
  j["UnsetEnvironment"] = u.unset_environment;
  j["WantedBy"] = u.wanted_by;
  j["RequiredBy"] = u.required_by;
  j["Alias"] = u.alias;
  j["Also"] = u.also;
  j["DefaultInstance"] = u.default_instance;
  for (const auto& [key, field] : sandbox_line_fields()) j[key] = u.sandbox.*field;
  nlohmann::json conditions = nlohmann::json::array();
  for (const Condition& c : u.conditions)
    conditions.push_back({{"key", condition_key(c)},
                          {"value", c.value},
                          {"trigger", c.trigger},
                          {"negate", c.negate},
                          {"assert", c.is_assert},
                          {"line", c.line}});
  j["Conditions"] = conditions;
  nlohmann::json credentials = nlohmann::json::array();
  for (const Credential& c : u.credentials) {
    nlohmann::json one = {{"id", c.id}, {"line", c.line}};
    if (c.is_set)
      one["data"] = c.data;
    else
      one["path"] = c.path;
    credentials.push_back(one);
  }
  j["Credentials"] = credentials;
  j["CredentialsDirectory"] = u.credentials_directory;
  for (DirectoryType t : kDirectoryTypes) {
    nlohmann::json list = nlohmann::json::array();
    const ServiceDirectories& d = u.exec_directory(t);
    for (const ServiceDirectory& e : d.paths)
      list.push_back({{"path", d.root + "/" + e.path}, {"symlinks", e.symlinks}});
    j[std::string(to_string(t)) + "Directory"] = list;
  }
  // Keys accepted without effect: their values as written, and why.
  nlohmann::json accepted = nlohmann::json::object();
  for (const std::string& key : without_effect) {
    std::string section = key.substr(0, key.find('.')), name = key_name(key);
    const Directive* d = find_directive(section, name);
    nlohmann::json values = nlohmann::json::array();
    for (const KeyAssignment& k : u.without_effect)
      if (k.key == key) values.push_back(k.value);
    accepted[name] = {{"section", section}, {"values", values}, {"reason", d ? reason_text(d->reason()) : ""}};
  }
  j["AcceptedWithoutEffect"] = accepted;
  return j;
}

}  // namespace unitrun::unit
