// unit::parse() with a hand-built ParseContext: every key, the defaults,
// resets, last-wins, paths, specifiers and diagnostics; and show_text /
// show_json giving back what was parsed.
#include "unit/unit_parser.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "unit/conditions.h"
#include "unit/unit_show.h"
#include "unit/values.h"

using namespace unitrun;
using namespace unitrun::unit;
using Words = std::vector<std::string>;

namespace {

constexpr Usec kSec = 1000000;

ParseContext context(const std::string& path = "/srv/units/demo.ini") {
  ParseContext c;
  c.path = path;
  c.user_name = "root";
  c.home = "/root";
  c.runtime_dir = "/run";
  c.pid_dir = "/run/unitrun";
  c.log_dir = "/var/log/unitrun";
  return c;
}

ParseResult parse_text(const std::string& content, const std::string& path = "/srv/units/demo.ini") {
  return parse(content, context(path));
}

std::string describe(const Diagnostics& ds) {
  std::string out;
  for (const Diagnostic& d : ds) out += d.format("demo.ini") + "\n";
  return out;
}

// Parses and requires that nothing at all was reported.
Unit parse_clean(const std::string& content, const std::string& path = "/srv/units/demo.ini") {
  ParseResult r = parse_text(content, path);
  INFO("diagnostics:\n" << describe(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  return r.unit;
}

// The errors of a parse, which must exist.
Diagnostics errors_of(const std::string& content) {
  ParseResult r = parse_text(content);
  Diagnostics out;
  for (const Diagnostic& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::Error) out.push_back(d);
  return out;
}

// Requires exactly one error, on `line`, whose message contains `text`.
void require_error(const std::string& content, int line, const std::string& text) {
  Diagnostics e = errors_of(content);
  INFO("content:\n" << content << "\ndiagnostics:\n" << describe(e));
  REQUIRE(e.size() == 1);
  CHECK(e[0].line == line);
  CHECK_THAT(e[0].message, Catch::Contains(text));
}

// The one diagnostic whose message contains `text`.
Diagnostic find_error(const Diagnostics& ds, const std::string& text) {
  const Diagnostic* found = nullptr;
  for (const Diagnostic& d : ds)
    if (d.message.find(text) != std::string::npos) {
      INFO(describe(ds));
      REQUIRE(found == nullptr);
      found = &d;
    }
  INFO("no diagnostic contains '" << text << "' in:\n" << describe(ds));
  REQUIRE(found != nullptr);
  return *found;
}

struct Sample {
  std::string key;  // "Section.Key"
  std::string value;
  std::function<void(const Unit&)> check;
};

// One sample assignment per known key, with what it must set. The test
// below fails when known_keys() gains a key that has no sample here.
const std::vector<Sample>& samples() {
  static const std::vector<Sample> table = {
      {"Unit.Description", "My demo service", [](const Unit& u) { CHECK(u.description == "My demo service"); }},
      {"Unit.Documentation", "man:demo(8) \"https://example.org/a b\"",
       [](const Unit& u) {
         CHECK(u.documentation == Words{"man:demo(8)", "https://example.org/a b"});
       }},
      {"Unit.StartLimitIntervalSec", "1min", [](const Unit& u) { CHECK(u.start_limit_interval == 60 * kSec); }},
      {"Unit.StartLimitBurst", "3", [](const Unit& u) { CHECK(u.start_limit_burst == 3); }},
      // Dependencies: the kind and units, in file order (line 2).
      {"Unit.Requires", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Requires, "a.service", 2},
                                                       {DependencyKind::Requires, "b.target", 2}});
       }},
      {"Unit.Requisite", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Requisite, "a.service", 2},
                                                       {DependencyKind::Requisite, "b.target", 2}});
       }},
      {"Unit.Wants", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Wants, "a.service", 2},
                                                       {DependencyKind::Wants, "b.target", 2}});
       }},
      {"Unit.BindsTo", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::BindsTo, "a.service", 2},
                                                       {DependencyKind::BindsTo, "b.target", 2}});
       }},
      {"Unit.BindTo", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::BindsTo, "a.service", 2},
                                                       {DependencyKind::BindsTo, "b.target", 2}});
       }},
      {"Unit.Upholds", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Upholds, "a.service", 2},
                                                       {DependencyKind::Upholds, "b.target", 2}});
       }},
      {"Unit.Conflicts", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Conflicts, "a.service", 2},
                                                       {DependencyKind::Conflicts, "b.target", 2}});
       }},
      {"Unit.Before", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Before, "a.service", 2},
                                                       {DependencyKind::Before, "b.target", 2}});
       }},
      {"Unit.After", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::After, "a.service", 2},
                                                       {DependencyKind::After, "b.target", 2}});
       }},
      {"Unit.OnSuccess", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::OnSuccess, "a.service", 2},
                                                       {DependencyKind::OnSuccess, "b.target", 2}});
       }},
      {"Unit.OnFailure", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::OnFailure, "a.service", 2},
                                                       {DependencyKind::OnFailure, "b.target", 2}});
       }},
      {"Unit.PropagatesReloadTo", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::PropagatesReloadTo, "a.service", 2},
                                                       {DependencyKind::PropagatesReloadTo, "b.target", 2}});
       }},
      {"Unit.PropagateReloadTo", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::PropagatesReloadTo, "a.service", 2},
                                                       {DependencyKind::PropagatesReloadTo, "b.target", 2}});
       }},
      {"Unit.ReloadPropagatedFrom", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::ReloadPropagatedFrom, "a.service", 2},
                                                       {DependencyKind::ReloadPropagatedFrom, "b.target", 2}});
       }},
      {"Unit.PropagateReloadFrom", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::ReloadPropagatedFrom, "a.service", 2},
                                                       {DependencyKind::ReloadPropagatedFrom, "b.target", 2}});
       }},
      {"Unit.PropagatesStopTo", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::PropagatesStopTo, "a.service", 2},
                                                       {DependencyKind::PropagatesStopTo, "b.target", 2}});
       }},
      {"Unit.StopPropagatedFrom", "a.service",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::StopPropagatedFrom, "a.service", 2}});
       }},
      {"Unit.PartOf", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::PartOf, "a.service", 2},
                                                       {DependencyKind::PartOf, "b.target", 2}});
       }},
      {"Unit.RequiresOverridable", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Requires, "a.service", 2},
                                                       {DependencyKind::Requires, "b.target", 2}});
       }},
      {"Unit.RequisiteOverridable", "a.service b.target",
       [](const Unit& u) {
         CHECK(u.dependencies == std::vector<Dependency>{{DependencyKind::Requisite, "a.service", 2},
                                                       {DependencyKind::Requisite, "b.target", 2}});
       }},
      {"Unit.DefaultDependencies", "no", [](const Unit& u) { CHECK_FALSE(u.default_dependencies); }},
      {"Unit.StopWhenUnneeded", "yes", [](const Unit& u) { CHECK(u.stop_when_unneeded); }},
      {"Unit.RefuseManualStart", "yes",
       [](const Unit& u) {
         CHECK(u.refuse_manual_start);
         CHECK_FALSE(u.refuse_manual_stop);
       }},
      {"Unit.RefuseManualStop", "true",
       [](const Unit& u) {
         CHECK(u.refuse_manual_stop);
         CHECK_FALSE(u.refuse_manual_start);
       }},
      {"Service.Type", "forking", [](const Unit& u) { CHECK(u.type == ServiceType::Forking); }},
      {"Service.ExecStart", "/bin/echo \"a b\" c",
       [](const Unit& u) {
         REQUIRE(u.exec_start.size() == 1);
         CHECK(u.exec_start[0].program == "/bin/echo");
         CHECK(u.exec_start[0].argv == Words{"/bin/echo", "a b", "c"});
         CHECK(u.exec_start[0].line == 2);
       }},
      {"Service.ExecStartPre", "-/bin/pre x",
       [](const Unit& u) {
         REQUIRE(u.exec_start_pre.size() == 1);
         CHECK(u.exec_start_pre[0].argv == Words{"/bin/pre", "x"});
         CHECK(u.exec_start_pre[0].ignore_failure);
       }},
      {"Service.ExecStartPost", "/bin/post",
       [](const Unit& u) {
         REQUIRE(u.exec_start_post.size() == 1);
         CHECK(u.exec_start_post[0].program == "/bin/post");
       }},
      {"Service.ExecStop", "/bin/kill -TERM $MAINPID",
       [](const Unit& u) {
         REQUIRE(u.exec_stop.size() == 1);
         CHECK(u.exec_stop[0].argv == Words{"/bin/kill", "-TERM", "$MAINPID"});
       }},
      {"Service.ExecStopPost", "@/bin/cleanup cleaner",
       [](const Unit& u) {
         REQUIRE(u.exec_stop_post.size() == 1);
         CHECK(u.exec_stop_post[0].program == "/bin/cleanup");
         CHECK(u.exec_stop_post[0].argv == Words{"cleaner"});
       }},
      {"Service.ExecReload", ":/bin/kill -HUP $MAINPID",
       [](const Unit& u) {
         REQUIRE(u.exec_reload.size() == 1);
         CHECK_FALSE(u.exec_reload[0].expand_environment);
       }},
      {"Service.WorkingDirectory", "-/var/lib/demo",
       [](const Unit& u) {
         CHECK(u.working_directory == "/var/lib/demo");
         CHECK(u.working_directory_optional);
       }},
      {"Service.UMask", "0027", [](const Unit& u) { CHECK(u.umask == 027); }},
      {"Service.User", "nobody", [](const Unit& u) { CHECK(u.user == "nobody"); }},
      {"Service.Group", "nogroup", [](const Unit& u) { CHECK(u.group == "nogroup"); }},
      {"Service.SupplementaryGroups", "adm 4",
       [](const Unit& u) {
         CHECK(u.supplementary_groups == Words{"adm", "4"});
       }},
      {"Service.Environment", "A=1 \"B=two words\" C=",
       [](const Unit& u) {
         using P = std::pair<std::string, std::string>;
         CHECK(u.environment == std::vector<P>{{"A", "1"}, {"B", "two words"}, {"C", ""}});
       }},
      {"Service.EnvironmentFile", "-/etc/default/demo",
       [](const Unit& u) {
         REQUIRE(u.environment_files.size() == 1);
         CHECK(u.environment_files[0].path == "/etc/default/demo");
         CHECK(u.environment_files[0].optional);
       }},
      {"Service.PIDFile", "/run/demo/demo.pid", [](const Unit& u) { CHECK(u.pid_file == "/run/demo/demo.pid"); }},
      {"Service.StandardInput", "tty-force",
       [](const Unit& u) {
         CHECK(u.standard_input.kind == InputSpec::Kind::TtyForce);
         CHECK(u.standard_input.is_tty());
       }},
      {"Service.StandardOutput", "file:/var/log/demo.out",
       [](const Unit& u) {
         CHECK(u.standard_output.kind == OutputSpec::Kind::File);
         CHECK(u.standard_output.path == "/var/log/demo.out");
       }},
      {"Service.StandardError", "truncate:/var/log/demo.err",
       [](const Unit& u) {
         CHECK(u.standard_error.kind == OutputSpec::Kind::Truncate);
         CHECK(u.standard_error.path == "/var/log/demo.err");
       }},
      {"Service.Restart", "on-abnormal", [](const Unit& u) { CHECK(u.restart == RestartPolicy::OnAbnormal); }},
      {"Service.RestartSec", "2.5s", [](const Unit& u) { CHECK(u.restart_sec == 2500000); }},
      {"Service.SuccessExitStatus", "3 TEMPFAIL SIGUSR1",
       [](const Unit& u) {
         CHECK(u.success_exit_status.codes == std::vector<int>{3, 75});
         CHECK(u.success_exit_status.signals == std::vector<int>{SIGUSR1});
       }},
      {"Service.RestartPreventExitStatus", "78",
       [](const Unit& u) { CHECK(u.restart_prevent_exit_status.codes == std::vector<int>{78}); }},
      {"Service.TimeoutStartSec", "infinity",
       [](const Unit& u) {
         CHECK(u.timeout_start == kInfinity);
         CHECK(u.timeout_stop == 90 * kSec);
       }},
      {"Service.TimeoutStopSec", "5min 20s",
       [](const Unit& u) {
         CHECK(u.timeout_stop == 320 * kSec);
         CHECK(u.timeout_start == 90 * kSec);
       }},
      {"Service.TimeoutSec", "7s",
       [](const Unit& u) {
         CHECK(u.timeout_start == 7 * kSec);
         CHECK(u.timeout_stop == 7 * kSec);
       }},
      {"Service.KillMode", "mixed", [](const Unit& u) { CHECK(u.kill_mode == KillMode::Mixed); }},
      {"Service.KillSignal", "INT", [](const Unit& u) { CHECK(u.kill_signal == SIGINT); }},
      {"Service.FinalKillSignal", "SIGQUIT", [](const Unit& u) { CHECK(u.final_kill_signal == SIGQUIT); }},
      {"Service.SendSIGKILL", "no", [](const Unit& u) { CHECK_FALSE(u.send_sigkill); }},
      {"Service.WatchdogSec", "30s", [](const Unit& u) { CHECK(u.watchdog_sec == 30 * kSec); }},
      {"Service.LimitNOFILE", "1024:4096",
       [](const Unit& u) {
         REQUIRE(u.limit_nofile.has_value());
         CHECK(*u.limit_nofile == ResourceLimit{1024, 4096});
       }},
      {"Service.LimitCORE", "2M",
       [](const Unit& u) {
         REQUIRE(u.limit_core.has_value());
         CHECK(*u.limit_core == ResourceLimit{2 << 20, 2 << 20});
       }},
      {"Service.Nice", "-5",
       [](const Unit& u) {
         REQUIRE(u.nice.has_value());
         CHECK(*u.nice == -5);
       }},
      {"Install.WantedBy", "multi-user.target default.target",
       [](const Unit& u) {
         CHECK(u.wanted_by == Words{"multi-user.target", "default.target"});
       }},
      {"Install.RequiredBy", "app.target", [](const Unit& u) { CHECK(u.required_by == Words{"app.target"}); }},
      {"Install.Alias", "www.service web2.service",
       [](const Unit& u) {
         CHECK(u.alias == Words{"www.service", "web2.service"});
       }},
      {"Install.Also", "helper.service", [](const Unit& u) { CHECK(u.also == Words{"helper.service"}); }},
      {"Install.DefaultInstance", "tty1", [](const Unit& u) { CHECK(u.default_instance == "tty1"); }},
      // [Unit], systemd's compatibility spelling.
      {"Unit.StartLimitInterval", "20s", [](const Unit& u) { CHECK(u.start_limit_interval == 20 * kSec); }},
      // [Service] compatibility spellings of [Unit] keys.
      {"Service.StartLimitInterval", "30s", [](const Unit& u) { CHECK(u.start_limit_interval == 30 * kSec); }},
      {"Service.StartLimitBurst", "7", [](const Unit& u) { CHECK(u.start_limit_burst == 7); }},
      {"Service.ExecCondition", "-/bin/test -e /etc/demo",
       [](const Unit& u) {
         REQUIRE(u.exec_condition.size() == 1);
         CHECK(u.exec_condition[0].argv == Words{"/bin/test", "-e", "/etc/demo"});
         CHECK(u.exec_condition[0].ignore_failure);
       }},
      {"Service.TimeoutAbortSec", "3s",
       [](const Unit& u) {
         REQUIRE(u.timeout_abort.has_value());
         CHECK(*u.timeout_abort == 3 * kSec);
       }},
      {"Service.TimeoutStartFailureMode", "abort",
       [](const Unit& u) { CHECK(u.timeout_start_failure_mode == TimeoutFailureMode::Abort); }},
      {"Service.TimeoutStopFailureMode", "kill",
       [](const Unit& u) { CHECK(u.timeout_stop_failure_mode == TimeoutFailureMode::Kill); }},
      {"Service.RuntimeMaxSec", "1h", [](const Unit& u) { CHECK(u.runtime_max == 3600 * kSec); }},
      {"Service.RuntimeRandomizedExtraSec", "10s",
       [](const Unit& u) { CHECK(u.runtime_randomized_extra == 10 * kSec); }},
      {"Service.ExitType", "cgroup", [](const Unit& u) { CHECK(u.exit_type == ExitType::Cgroup); }},
      {"Service.PermissionsStartOnly", "yes", [](const Unit& u) { CHECK(u.permissions_start_only); }},
      {"Service.RemainAfterExit", "yes", [](const Unit& u) { CHECK(u.remain_after_exit); }},
      {"Service.GuessMainPID", "no", [](const Unit& u) { CHECK_FALSE(u.guess_main_pid); }},
      {"Service.RestartForceExitStatus", "2 SIGUSR2 NOTINSTALLED",
       [](const Unit& u) {
         CHECK(u.restart_force_exit_status.codes == std::vector<int>{2, 5});
         CHECK(u.restart_force_exit_status.signals == std::vector<int>{SIGUSR2});
       }},
      {"Service.BusName", "org.example.Demo1", [](const Unit& u) { CHECK(u.bus_name == "org.example.Demo1"); }},
      {"Service.NotifyAccess", "all", [](const Unit& u) { CHECK(u.notify_access == NotifyAccess::All); }},
      {"Service.SendSIGHUP", "yes", [](const Unit& u) { CHECK(u.send_sighup); }},
      {"Service.RestartKillSignal", "SIGINT",
       [](const Unit& u) {
         REQUIRE(u.restart_kill_signal.has_value());
         CHECK(*u.restart_kill_signal == SIGINT);
       }},
      {"Service.WatchdogSignal", "SIGKILL", [](const Unit& u) { CHECK(u.watchdog_signal == SIGKILL); }},
      {"Service.OOMScoreAdjust", "-900",
       [](const Unit& u) {
         REQUIRE(u.oom_score_adjust.has_value());
         CHECK(*u.oom_score_adjust == -900);
       }},
      {"Service.CoredumpFilter", "default private-dax",
       [](const Unit& u) {
         REQUIRE(u.coredump_filter.has_value());
         CHECK(*u.coredump_filter == (0x33 | 0x80));
       }},
      {"Service.IOSchedulingClass", "idle",
       [](const Unit& u) {
         REQUIRE(u.io_scheduling.io_class.has_value());
         CHECK(*u.io_scheduling.io_class == 3);
       }},
      {"Service.IOSchedulingPriority", "7",
       [](const Unit& u) {
         REQUIRE(u.io_scheduling.priority.has_value());
         CHECK(*u.io_scheduling.priority == 7);
       }},
      {"Service.CPUSchedulingPolicy", "batch",
       [](const Unit& u) {
         REQUIRE(u.cpu_scheduling.policy.has_value());
         CHECK(*u.cpu_scheduling.policy == SCHED_BATCH);
       }},
      {"Service.CPUSchedulingPriority", "50",
       [](const Unit& u) {
         REQUIRE(u.cpu_scheduling.priority.has_value());
         CHECK(*u.cpu_scheduling.priority == 50);
       }},
      {"Service.CPUSchedulingResetOnFork", "yes", [](const Unit& u) { CHECK(u.cpu_scheduling.reset_on_fork); }},
      {"Service.CPUAffinity", "0-2,5 7",
       [](const Unit& u) {
         CHECK(u.cpu_affinity.bits == std::vector<bool>{true, true, true, false, false, true, false, true});
       }},
      {"Service.NUMAPolicy", "interleave",
       [](const Unit& u) {
         REQUIRE(u.numa_policy.has_value());
         CHECK(*u.numa_policy == 3 /* MPOL_INTERLEAVE */);
       }},
      {"Service.NUMAMask", "0-1",
       [](const Unit& u) {
         CHECK(u.numa_mask.bits == std::vector<bool>{true, true});
       }},
      {"Service.PassEnvironment", "LANG TZ",
       [](const Unit& u) {
         CHECK(u.pass_environment == Words{"LANG", "TZ"});
       }},
      {"Service.UnsetEnvironment", "LANG TZ=UTC",
       [](const Unit& u) {
         CHECK(u.unset_environment == Words{"LANG", "TZ=UTC"});
       }},
      {"Service.StandardInputText", "hello\\tworld",
       [](const Unit& u) {
         CHECK(u.standard_input_data == "hello\tworld\n");
         CHECK(u.standard_input.kind == InputSpec::Kind::Data);  // the default once there is data
       }},
      {"Service.StandardInputData", "aGVsbG8=",
       [](const Unit& u) {
         CHECK(u.standard_input_data == "hello");
         CHECK(u.standard_input.kind == InputSpec::Kind::Data);
       }},
      {"Service.TTYPath", "/dev/tty9", [](const Unit& u) { CHECK(u.tty_path == "/dev/tty9"); }},
      {"Service.TTYReset", "yes", [](const Unit& u) { CHECK(u.tty_reset); }},
      {"Service.TTYVHangup", "yes", [](const Unit& u) { CHECK(u.tty_vhangup); }},
      {"Service.TTYVTDisallocate", "yes", [](const Unit& u) { CHECK(u.tty_vt_disallocate); }},
      {"Service.TTYRows", "40", [](const Unit& u) { CHECK(u.tty_rows == std::optional<unsigned>(40)); }},
      {"Service.TTYColumns", "132", [](const Unit& u) { CHECK(u.tty_columns == std::optional<unsigned>(132)); }},
      {"Service.SyslogIdentifier", "demo-daemon", [](const Unit& u) { CHECK(u.syslog_identifier == "demo-daemon"); }},
      {"Service.SyslogFacility", "local3", [](const Unit& u) { CHECK(u.syslog_facility == (19 << 3)); }},
      {"Service.SyslogLevel", "warning", [](const Unit& u) { CHECK(u.syslog_level == 4); }},
      {"Service.SyslogLevelPrefix", "no", [](const Unit& u) { CHECK_FALSE(u.syslog_level_prefix); }},
      {"Service.TimerSlackNSec", "50us",
       [](const Unit& u) { CHECK(u.timer_slack_nsec == std::optional<uint64_t>(50000)); }},
      {"Service.ExecSearchPath", "/opt/demo/bin:/usr/bin",
       [](const Unit& u) {
         CHECK(u.exec_search_path == Words{"/opt/demo/bin", "/usr/bin"});
       }},
      {"Service.Personality", "x86", [](const Unit& u) { CHECK(u.personality.has_value()); }},
      {"Service.RuntimeDirectoryPreserve", "restart",
       [](const Unit& u) { CHECK(u.runtime_directory_preserve == PreserveMode::Restart); }},
      {"Service.RuntimeDirectoryMode", "0700",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Runtime).mode == 0700); }},
      {"Service.RuntimeDirectory", "demo demo/sub:demo-link",
       [](const Unit& u) {
         const auto& d = u.exec_directory(DirectoryType::Runtime);
         REQUIRE(d.paths.size() == 2);
         CHECK(d.root == "/run");
         CHECK(d.paths[0].path == "demo");
         CHECK(d.paths[1].path == "demo/sub");
         CHECK(d.paths[1].symlinks == Words{"demo-link"});
       }},
      {"Service.StateDirectoryMode", "0750",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::State).mode == 0750); }},
      {"Service.StateDirectory", "demo",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::State).paths.size() == 1); }},
      {"Service.CacheDirectoryMode", "0700",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Cache).mode == 0700); }},
      {"Service.CacheDirectory", "demo",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Cache).paths.size() == 1); }},
      {"Service.LogsDirectoryMode", "0700",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Logs).mode == 0700); }},
      {"Service.LogsDirectory", "demo",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Logs).paths.size() == 1); }},
      {"Service.ConfigurationDirectoryMode", "0700",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Configuration).mode == 0700); }},
      {"Service.ConfigurationDirectory", "demo",
       [](const Unit& u) { CHECK(u.exec_directory(DirectoryType::Configuration).paths.size() == 1); }},
      {"Service.SetCredential", "token:ab\\x00c",
       [](const Unit& u) {
         REQUIRE(u.credentials.size() == 1);
         CHECK(u.credentials[0].id == "token");
         CHECK(u.credentials[0].data == std::string("ab\0c", 4));
         CHECK(u.credentials[0].is_set);
       }},
      {"Service.LoadCredential", "cert:/etc/demo/cert.pem",
       [](const Unit& u) {
         REQUIRE(u.credentials.size() == 1);
         CHECK(u.credentials[0].path == "/etc/demo/cert.pem");
         CHECK_FALSE(u.credentials[0].is_set);
       }},
      {"Service.IgnoreSIGPIPE", "yes", [](const Unit& u) { CHECK(u.ignore_sigpipe); }},
  };
  return table;
}

// Limit*= and the conditions, one sample each: every Limit key takes the same
// kind of value (in its own unit), every condition its own syntax.
const std::vector<Sample>& more_samples() {
  static const std::vector<Sample> table = [] {
    std::vector<Sample> out;
    struct Limit {
      const char* key;
      const char* value;
      ResourceLimit expected;
    };
    for (const Limit& l :
         {Limit{"LimitCPU", "1min", {60, 60}}, Limit{"LimitFSIZE", "1M", {1 << 20, 1 << 20}},
          Limit{"LimitDATA", "2G:infinity", {2ULL << 30, UINT64_MAX}}, Limit{"LimitSTACK", "8M", {8 << 20, 8 << 20}},
          Limit{"LimitRSS", "100", {100, 100}}, Limit{"LimitAS", "infinity", {UINT64_MAX, UINT64_MAX}},
          Limit{"LimitNPROC", "512:1024", {512, 1024}}, Limit{"LimitMEMLOCK", "64K", {65536, 65536}},
          Limit{"LimitLOCKS", "10", {10, 10}}, Limit{"LimitSIGPENDING", "100", {100, 100}},
          Limit{"LimitMSGQUEUE", "1K", {1024, 1024}}, Limit{"LimitNICE", "-5", {25, 25}},
          Limit{"LimitRTPRIO", "50", {50, 50}}, Limit{"LimitRTTIME", "200", {200, 200}}}) {
      std::string key = l.key;
      ResourceLimit expected = l.expected;
      out.push_back({"Service." + key, l.value, [key, expected](const Unit& u) {
                       int resource = values::rlimit_of(key);
                       REQUIRE(u.limits.count(resource) == 1);
                       CHECK(u.limits.at(resource) == expected);
                     }});
    }
    struct Cond {
      const char* name;
      ConditionKind kind;
      const char* value;
    };
    using K = ConditionKind;
    for (const Cond& c :
         {Cond{"PathExists", K::PathExists, "/etc/demo"},
          Cond{"PathExistsGlob", K::PathExistsGlob, "/etc/demo*.{conf,cfg}"},
          Cond{"PathIsDirectory", K::PathIsDirectory, "/etc"},
          Cond{"PathIsSymbolicLink", K::PathIsSymbolicLink, "/bin"},
          Cond{"PathIsMountPoint", K::PathIsMountPoint, "/proc"}, Cond{"PathIsReadWrite", K::PathIsReadWrite, "/var"},
          Cond{"PathIsEncrypted", K::PathIsEncrypted, "/home"},
          Cond{"DirectoryNotEmpty", K::DirectoryNotEmpty, "/etc/demo.d"},
          Cond{"FileNotEmpty", K::FileNotEmpty, "/etc/demo.conf"},
          Cond{"FileIsExecutable", K::FileIsExecutable, "/usr/sbin/demo"}, Cond{"NeedsUpdate", K::NeedsUpdate, "/etc"},
          Cond{"FirstBoot", K::FirstBoot, "no"}, Cond{"Architecture", K::Architecture, "x86-64"},
          Cond{"Firmware", K::Firmware, "uefi"}, Cond{"Virtualization", K::Virtualization, "container"},
          Cond{"Host", K::Host, "web*"}, Cond{"KernelCommandLine", K::KernelCommandLine, "quiet"},
          Cond{"KernelVersion", K::KernelVersion, ">=5.10"}, Cond{"Credential", K::Credential, "token"},
          Cond{"Security", K::Security, "apparmor"}, Cond{"Capability", K::Capability, "CAP_NET_ADMIN"},
          Cond{"ACPower", K::ACPower, "true"}, Cond{"Memory", K::Memory, ">=1G"},
          Cond{"CPUFeature", K::CPUFeature, "sse4_2"}, Cond{"CPUs", K::CPUs, ">1"},
          Cond{"Environment", K::Environment, "LANG=C"}, Cond{"User", K::User, "@system"},
          Cond{"Group", K::Group, "adm"}, Cond{"ControlGroupController", K::ControlGroupController, "memory pids"},
          Cond{"OSRelease", K::OSRelease, "ID=debian VERSION_ID>=12"},
          // '%' is written '%%' in a unit file, as for systemd
          Cond{"MemoryPressure", K::MemoryPressure, "20%%/1min"},
          Cond{"CPUPressure", K::CPUPressure, "system.slice:50%%"}, Cond{"IOPressure", K::IOPressure, "80%%"}}) {
      for (bool is_assert : {false, true}) {
        if (is_assert && !has_assert_form(c.kind)) continue;
        std::string key = std::string(is_assert ? "Assert" : "Condition") + c.name;
        ConditionKind kind = c.kind;
        std::string written = c.value, value = written;
        for (size_t at = value.find("%%"); at != std::string::npos; at = value.find("%%", at + 1)) value.erase(at, 1);
        out.push_back({"Unit." + key, "|!" + written, [kind, is_assert, value](const Unit& u) {
                         REQUIRE(u.conditions.size() == 1);
                         const Condition& got = u.conditions[0];
                         CHECK(got.kind == kind);
                         CHECK(got.is_assert == is_assert);
                         CHECK(got.trigger);
                         CHECK(got.negate);
                         CHECK(got.value == value);
                         CHECK(got.line == 2);
                       }});
      }
    }
    return out;
  }();
  return table;
}

// The sandbox and resource-control keys (unit/sandbox_keys.cc).
const std::vector<Sample>& sandbox_samples() {
  static const std::vector<Sample> table = [] {
    std::vector<Sample> out;
    using SB = SandboxSpec;
    for (auto [key, field] :
         std::vector<std::pair<const char*, bool SB::*>>{{"NoNewPrivileges", &SB::no_new_privileges},
                                                         {"LockPersonality", &SB::lock_personality},
                                                         {"MemoryDenyWriteExecute", &SB::memory_deny_write_execute},
                                                         {"RestrictRealtime", &SB::restrict_realtime},
                                                         {"RestrictSUIDSGID", &SB::restrict_suid_sgid},
                                                         {"PrivateTmp", &SB::private_tmp},
                                                         {"PrivateDevices", &SB::private_devices},
                                                         {"PrivateNetwork", &SB::private_network},
                                                         {"PrivateIPC", &SB::private_ipc},
                                                         {"PrivateUsers", &SB::private_users},
                                                         {"ProtectKernelTunables", &SB::protect_kernel_tunables},
                                                         {"ProtectKernelModules", &SB::protect_kernel_modules},
                                                         {"ProtectKernelLogs", &SB::protect_kernel_logs},
                                                         {"ProtectControlGroups", &SB::protect_control_groups},
                                                         {"ProtectClock", &SB::protect_clock},
                                                         {"ProtectHostname", &SB::protect_hostname}}) {
      out.push_back({std::string("Service.") + key, "yes", [field](const Unit& u) { CHECK(u.sandbox.*field); }});
    }
    out.push_back({"Service.RemoveIPC", "yes", [](const Unit& u) { CHECK(u.remove_ipc); }});
    for (auto [key, value, field] : std::vector<std::tuple<const char*, const char*, std::vector<std::string> SB::*>>{
             {"SecureBits", "keep-caps", &SB::secure_bits},
             {"CapabilityBoundingSet", "CAP_NET_BIND_SERVICE", &SB::capability_bounding_set},
             {"AmbientCapabilities", "CAP_NET_BIND_SERVICE", &SB::ambient_capabilities},
             {"RestrictNamespaces", "~user", &SB::restrict_namespaces},
             {"RestrictAddressFamilies", "AF_UNIX AF_INET", &SB::restrict_address_families},
             {"SystemCallFilter", "@system-service", &SB::system_call_filter},
             {"SystemCallArchitectures", "native", &SB::system_call_architectures},
             {"SystemCallLog", "@mount", &SB::system_call_log}}) {
      std::string expected = value;
      out.push_back({std::string("Service.") + key, value, [field, expected](const Unit& u) {
                       CHECK((u.sandbox.*field) == std::vector<std::string>{expected});
                     }});
    }
    for (auto [key, field] : std::vector<std::pair<const char*, std::vector<std::string> SB::*>>{
             {"ReadWritePaths", &SB::read_write_paths},
             {"ReadOnlyPaths", &SB::read_only_paths},
             {"InaccessiblePaths", &SB::inaccessible_paths},
             {"ExecPaths", &SB::exec_paths},
             {"NoExecPaths", &SB::no_exec_paths},
             {"ReadWriteDirectories", &SB::read_write_paths},
             {"ReadOnlyDirectories", &SB::read_only_paths},
             {"InaccessibleDirectories", &SB::inaccessible_paths}}) {
      out.push_back({std::string("Service.") + key, "/srv -/opt/x", [field](const Unit& u) {
                       CHECK((u.sandbox.*field) == std::vector<std::string>{"/srv", "-/opt/x"});
                     }});
    }
    out.push_back({"Service.SystemCallErrorNumber", "EPERM",
                   [](const Unit& u) { CHECK(u.sandbox.system_call_error_number == "EPERM"); }});
    out.push_back(
        {"Service.KeyringMode", "shared", [](const Unit& u) { CHECK(u.sandbox.keyring_mode == KeyringMode::Shared); }});
    out.push_back({"Service.ProtectSystem", "strict",
                   [](const Unit& u) { CHECK(u.sandbox.protect_system == ProtectSystem::Strict); }});
    out.push_back({"Service.ProtectHome", "read-only",
                   [](const Unit& u) { CHECK(u.sandbox.protect_home == ProtectHome::ReadOnly); }});
    out.push_back({"Service.ProtectProc", "invisible",
                   [](const Unit& u) { CHECK(u.sandbox.protect_proc == ProtectProc::Invisible); }});
    out.push_back(
        {"Service.ProcSubset", "pid", [](const Unit& u) { CHECK(u.sandbox.proc_subset == ProcSubset::Pid); }});
    out.push_back({"Service.PrivateMounts", "yes",
                   [](const Unit& u) { CHECK(u.sandbox.mount_flags == MountPropagation::Slave); }});
    out.push_back({"Service.MountFlags", "private",
                   [](const Unit& u) { CHECK(u.sandbox.mount_flags == MountPropagation::Private); }});
    out.push_back({"Service.BindPaths", "/srv/a:/mnt/a", [](const Unit& u) {
                     REQUIRE(u.sandbox.bind_paths.size() == 1);
                     CHECK(u.sandbox.bind_paths[0].destination == "/mnt/a");
                     CHECK_FALSE(u.sandbox.bind_paths[0].read_only);
                   }});
    out.push_back({"Service.BindReadOnlyPaths", "/etc/x", [](const Unit& u) {
                     REQUIRE(u.sandbox.bind_paths.size() == 1);
                     CHECK(u.sandbox.bind_paths[0].read_only);
                   }});
    out.push_back({"Service.TemporaryFileSystem", "/var:ro", [](const Unit& u) {
                     REQUIRE(u.sandbox.temporary_file_system.size() == 1);
                     CHECK(u.sandbox.temporary_file_system[0].options == "ro");
                   }});
    out.push_back(
        {"Service.RootDirectory", "/srv/root", [](const Unit& u) { CHECK(u.sandbox.root_directory == "/srv/root"); }});
    out.push_back(
        {"Service.MemoryMax", "64M", [](const Unit& u) { CHECK(u.resource_control.memory_max == 64ull << 20); }});
    out.push_back(
        {"Service.MemoryLimit", "1G", [](const Unit& u) { CHECK(u.resource_control.memory_max == 1ull << 30); }});
    out.push_back({"Service.MemoryHigh", "infinity",
                   [](const Unit& u) { CHECK(u.resource_control.memory_high == kCgroupInfinity); }});
    out.push_back({"Service.MemorySwapMax", "0",
                   [](const Unit& u) { CHECK(u.resource_control.memory_swap_max == uint64_t{0}); }});
    out.push_back({"Service.TasksMax", "42", [](const Unit& u) { CHECK(u.resource_control.tasks_max == 42u); }});
    out.push_back({"Service.CPUQuota", "150%",
                   [](const Unit& u) { CHECK(u.resource_control.cpu_quota_per_sec_usec == 1500000u); }});
    out.push_back({"Service.CPUQuotaPeriodSec", "10ms",
                   [](const Unit& u) { CHECK(u.resource_control.cpu_quota_period_usec == 10000u); }});
    out.push_back({"Service.CPUWeight", "500", [](const Unit& u) { CHECK(u.resource_control.cpu_weight == 500u); }});
    out.push_back({"Service.CPUShares", "2048", [](const Unit& u) { CHECK(u.resource_control.cpu_weight == 200u); }});
    out.push_back({"Service.IOWeight", "300", [](const Unit& u) { CHECK(u.resource_control.io_weight == 300u); }});
    out.push_back(
        {"Service.BlockIOWeight", "500", [](const Unit& u) { CHECK(u.resource_control.io_weight == 5000u); }});
    out.push_back({"Service.IODeviceWeight", "/dev/sda 200", [](const Unit& u) {
                     REQUIRE(u.resource_control.io_device_weight.size() == 1);
                     CHECK(u.resource_control.io_device_weight[0].weight == 200u);
                   }});
    out.push_back({"Service.BlockIODeviceWeight", "/dev/sda 20", [](const Unit& u) {
                     REQUIRE(u.resource_control.io_device_weight.size() == 1);
                     CHECK(u.resource_control.io_device_weight[0].weight == 200u);
                   }});
    out.push_back({"Service.DevicePolicy", "closed",
                   [](const Unit& u) { CHECK(u.resource_control.device_policy == DevicePolicy::Closed); }});
    out.push_back({"Service.DeviceAllow", "/dev/null rw", [](const Unit& u) {
                     REQUIRE(u.resource_control.device_allow.size() == 1);
                     CHECK(u.resource_control.device_allow[0].access == "rw");
                   }});
    out.push_back({"Service.Delegate", "yes", [](const Unit& u) { CHECK(u.resource_control.delegate); }});
    out.push_back({"Service.MemoryAccounting", "no", [](const Unit& u) {
                     CHECK_FALSE(u.resource_control.memory_accounting);
                     CHECK_FALSE(u.resource_control.asks_for_control());  // accounting alone needs no cgroup
                   }});
    out.push_back(
        {"Service.TasksAccounting", "false", [](const Unit& u) { CHECK_FALSE(u.resource_control.tasks_accounting); }});
    out.push_back(
        {"Service.CPUAccounting", "0", [](const Unit& u) { CHECK(u.resource_control.cpu_accounting == false); }});
    out.push_back({"Service.IPAddressAllow", "localhost 10.1.2.3/8", [](const Unit& u) {
                     REQUIRE(u.resource_control.ip_address_allow.size() == 3);
                     CHECK(ip_prefix_text(u.resource_control.ip_address_allow[0]) == "10.0.0.0/8");
                     CHECK(ip_prefix_text(u.resource_control.ip_address_allow[1]) == "127.0.0.0/8");
                     CHECK(ip_prefix_text(u.resource_control.ip_address_allow[2]) == "::1/128");
                   }});
    out.push_back({"Service.IPAddressDeny", "any", [](const Unit& u) {
                     CHECK(u.resource_control.ip_address_deny.size() == 2);
                     CHECK(ip_prefixes_cover_all(u.resource_control.ip_address_deny));
                   }});
    out.push_back(
        {"Service.Slice", "system.slice", [](const Unit& u) { CHECK(u.resource_control.slice == "system.slice"); }});
    return out;
  }();
  return table;
}

std::vector<Sample> all_samples() {
  std::vector<Sample> all = samples();
  all.insert(all.end(), more_samples().begin(), more_samples().end());
  all.insert(all.end(), sandbox_samples().begin(), sandbox_samples().end());
  return all;
}

}  // namespace

TEST_CASE("parser: every known key has a sample assignment", "[parser]") {
  std::set<std::string> sampled;
  for (const Sample& s : all_samples()) sampled.insert(s.key);
  std::set<std::string> known;
  for (const std::string& k : known_keys()) {
    INFO("known key " << k << " has no sample in unit_parser_test.cpp");
    CHECK(sampled.count(k) == 1);
    known.insert(k);
  }
  CHECK(known.size() == known_keys().size());  // no key listed twice
  for (const std::string& k : sampled) {
    INFO("sample for " << k << " is not a known key");
    CHECK(known.count(k) == 1);
  }
}

TEST_CASE("parser: every key sets its field", "[parser]") {
  for (const Sample& s : all_samples()) {
    std::string section = s.key.substr(0, s.key.find('.'));
    std::string key = s.key.substr(s.key.find('.') + 1);
    std::string content = "[" + section + "]\n" + key + "=" + s.value + "\n";
    if (section != "Service") content += "[Service]\nExecStart=/bin/true\n";
    INFO("unit:\n" << content);
    // The obsolete dependency spellings warn, as systemd does, and nothing else.
    bool obsolete = s.key == "Unit.RequiresOverridable" || s.key == "Unit.RequisiteOverridable";
    ParseResult parsed = parse_text(content, "/srv/units/demo.ini");
    if (obsolete) {
      INFO(describe(parsed.diagnostics));
      REQUIRE(parsed.diagnostics.size() == 1);
      CHECK(parsed.diagnostics[0].severity == Diagnostic::Severity::Warning);
      CHECK_THAT(parsed.diagnostics[0].message, Catch::Contains("is obsolete"));
    }
    Unit u = obsolete ? parsed.unit : parse_clean(content);
    s.check(u);
    CHECK(u.key_lines.at(s.key) == 2);
    // The key changes what show prints: nothing is parsed and then dropped.
    Unit defaults = parse_clean(section != "Service" ? "[Service]\nExecStart=/bin/true\n" : "[Service]\n");
    CHECK(show_text(u) != show_text(defaults));
  }
}

TEST_CASE("parser: defaults", "[parser]") {
  Unit u = parse_clean("[Service]\n");
  CHECK(u.name == "demo");
  CHECK(u.path == "/srv/units/demo.ini");
  CHECK(u.directory == "/srv/units");
  CHECK(u.log_file == "/var/log/unitrun/demo.log");
  CHECK(u.type == ServiceType::Oneshot);  // no ExecStart
  CHECK(u.pid_file == "/run/unitrun/demo.pid");
  CHECK(u.umask == 0022);
  CHECK(u.restart == RestartPolicy::No);
  CHECK(u.restart_sec == 100000);
  CHECK(u.timeout_start == 90 * kSec);
  CHECK(u.timeout_stop == 90 * kSec);
  CHECK(u.start_limit_interval == 10 * kSec);
  CHECK(u.start_limit_burst == 5);
  CHECK(u.working_directory == "/");
  CHECK_FALSE(u.working_directory_optional);
  CHECK(u.kill_mode == KillMode::ControlGroup);
  CHECK(u.kill_signal == SIGTERM);
  CHECK(u.final_kill_signal == SIGKILL);
  CHECK(u.send_sigkill);
  CHECK(u.watchdog_sec == 0);
  CHECK_FALSE(u.limit_nofile.has_value());
  CHECK_FALSE(u.limit_core.has_value());
  CHECK_FALSE(u.nice.has_value());
  CHECK(u.user.empty());
  CHECK(u.group.empty());
  CHECK(u.standard_output.kind == OutputSpec::Kind::Default);
  CHECK(u.standard_error.kind == OutputSpec::Kind::Default);
  CHECK(u.success_exit_status.empty());

  CHECK(parse_clean("[Service]\nExecStart=/bin/true\n").type == ServiceType::Simple);
  // An explicit Type= is kept even without ExecStart= (validate() complains).
  CHECK(parse_clean("[Service]\nType=simple\n").type == ServiceType::Simple);
  // ExecStop= alone does not make it a long-running service.
  CHECK(parse_clean("[Service]\nExecStop=/bin/true\n").type == ServiceType::Oneshot);
}

TEST_CASE("parser: an empty assignment resets a list", "[parser]") {
  Unit u = parse_clean(
      "[Unit]\n"
      "Documentation=man:a(1)\n"
      "Documentation=\n"
      "Documentation=man:b(1)\n"
      "[Service]\n"
      "ExecStartPre=/bin/a\n"
      "ExecStartPre=/bin/b\n"
      "ExecStartPre=\n"
      "ExecStartPre=/bin/c\n"
      "ExecStart=/bin/main\n"
      "Environment=A=1 B=2\n"
      "Environment=\n"
      "Environment=C=3\n"
      "SupplementaryGroups=adm\n"
      "SupplementaryGroups=\n"
      "SupplementaryGroups=users\n"
      "EnvironmentFile=/a\n"
      "EnvironmentFile=\n"
      "SuccessExitStatus=1 2\n"
      "SuccessExitStatus=\n"
      "SuccessExitStatus=3\n"
      "ExecStop=/bin/stop\n"
      "ExecStop=\n"
      "[Install]\n"
      "WantedBy=a.target\n"
      "WantedBy=\n");
  CHECK(u.documentation == Words{"man:b(1)"});
  REQUIRE(u.exec_start_pre.size() == 1);
  CHECK(u.exec_start_pre[0].program == "/bin/c");
  CHECK(u.exec_start_pre[0].line == 9);
  using P = std::pair<std::string, std::string>;
  CHECK(u.environment == std::vector<P>{{"C", "3"}});
  CHECK(u.supplementary_groups == Words{"users"});
  CHECK(u.environment_files.empty());
  CHECK(u.success_exit_status.codes == std::vector<int>{3});
  CHECK(u.exec_stop.empty());
  CHECK(u.wanted_by.empty());
}

TEST_CASE("parser: lists accumulate", "[parser]") {
  Unit u = parse_clean(
      "[Service]\n"
      "Type=oneshot\n"
      "ExecStart=/bin/one\n"
      "ExecStart=/bin/two ; /bin/three\n"
      "Environment=A=1\n"
      "Environment=A=2 B=3\n"
      "EnvironmentFile=/a\n"
      "EnvironmentFile=-/b\n");
  REQUIRE(u.exec_start.size() == 3);
  CHECK(u.exec_start[0].line == 3);
  CHECK(u.exec_start[1].line == 4);
  CHECK(u.exec_start[2].program == "/bin/three");
  using P = std::pair<std::string, std::string>;
  CHECK(u.environment == std::vector<P>{{"A", "1"}, {"A", "2"}, {"B", "3"}});
  REQUIRE(u.environment_files.size() == 2);
  CHECK_FALSE(u.environment_files[0].optional);
  CHECK(u.environment_files[1].optional);
  CHECK(u.environment_files[0].line == 7);
  CHECK(u.environment_files[1].line == 8);
}

TEST_CASE("parser: an empty assignment resets a scalar to its default", "[parser]") {
  Unit u = parse_clean(
      "[Unit]\n"
      "StartLimitIntervalSec=1s\n"
      "StartLimitIntervalSec=\n"
      "StartLimitBurst=1\n"
      "StartLimitBurst=\n"
      "[Service]\n"
      "ExecStart=/bin/true\n"
      "UMask=0077\n"
      "UMask=\n"
      "RestartSec=5s\n"
      "RestartSec=\n"
      "TimeoutSec=1s\n"
      "TimeoutSec=\n"
      "KillSignal=HUP\n"
      "KillSignal=\n"
      "FinalKillSignal=HUP\n"
      "FinalKillSignal=\n"
      "SendSIGKILL=no\n"
      "SendSIGKILL=\n"
      "Nice=5\n"
      "Nice=\n"
      "LimitNOFILE=10\n"
      "LimitNOFILE=\n"
      "LimitCORE=10\n"
      "LimitCORE=\n"
      "Restart=always\n"
      "Restart=\n"
      "KillMode=process\n"
      "KillMode=\n"
      "WatchdogSec=5\n"
      "WatchdogSec=\n"
      "WorkingDirectory=/tmp\n"
      "WorkingDirectory=\n"
      "PIDFile=/x.pid\n"
      "PIDFile=\n"
      "StandardOutput=null\n"
      "StandardOutput=\n"
      "User=nobody\n"
      "User=\n"
      "Group=nogroup\n"
      "Group=\n");
  Unit d = parse_clean("[Service]\nExecStart=/bin/true\n");
  CHECK(u.start_limit_interval == d.start_limit_interval);
  CHECK(u.start_limit_burst == d.start_limit_burst);
  CHECK(u.umask == 0022);
  CHECK(u.restart_sec == 100000);
  CHECK(u.timeout_start == 90 * kSec);
  CHECK(u.timeout_stop == 90 * kSec);
  CHECK(u.kill_signal == SIGTERM);
  CHECK(u.final_kill_signal == SIGKILL);
  CHECK(u.send_sigkill);
  CHECK_FALSE(u.nice.has_value());
  CHECK_FALSE(u.limit_nofile.has_value());
  CHECK_FALSE(u.limit_core.has_value());
  CHECK(u.restart == RestartPolicy::No);
  CHECK(u.kill_mode == KillMode::ControlGroup);
  CHECK(u.watchdog_sec == 0);
  CHECK(u.working_directory == "/");
  CHECK(u.pid_file == "/run/unitrun/demo.pid");
  CHECK(u.standard_output.kind == OutputSpec::Kind::Default);
  CHECK(u.user.empty());
  CHECK(u.group.empty());
  CHECK(show_text(u) == show_text(d));
  // A reset key counts as not set at all (validate() and the monitor look at
  // key_lines to tell an explicit value from a default).
  CHECK(u.key_lines.count("Service.PIDFile") == 0);
  CHECK(u.key_lines.count("Service.User") == 0);
  CHECK(u.key_lines.count("Service.TimeoutSec") == 0);
  CHECK(u.key_lines.count("Service.ExecStart") == 1);

  // Type='s default depends on ExecStart=, also after a reset.
  CHECK(parse_clean("[Service]\nType=notify\nType=\nExecStop=/bin/true\n").type == ServiceType::Oneshot);
  CHECK(parse_clean("[Service]\nType=oneshot\nType=\nExecStart=/bin/true\n").type == ServiceType::Simple);
}

TEST_CASE("parser: the last assignment wins for scalars", "[parser]") {
  ParseResult r = parse_text(
      "[Service]\n"
      "ExecStart=/bin/true\n"
      "User=nobody\n"
      "UMask=0077\n"
      "RestartSec=1s\n"
      "RestartSec=2s\n"
      "User=root\n"
      "UMask=0077\n");
  CHECK_FALSE(has_errors(r.diagnostics));
  CHECK(r.unit.user == "root");
  CHECK(r.unit.restart_sec == 2 * kSec);
  CHECK(r.unit.key_lines.at("Service.User") == 7);
  // A second, different User= is worth a warning; the same UMask= twice is not.
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::Warning);
  CHECK(r.diagnostics[0].line == 7);
  CHECK_THAT(r.diagnostics[0].message,
             Catch::Contains("User=") && Catch::Contains("nobody") && Catch::Contains("root"));
}

TEST_CASE("parser: TimeoutSec= sets both timeouts", "[parser]") {
  Unit u = parse_clean("[Service]\nExecStart=/bin/true\nTimeoutSec=5s\n");
  CHECK(u.timeout_start == 5 * kSec);
  CHECK(u.timeout_stop == 5 * kSec);
  Unit later = parse_clean("[Service]\nExecStart=/bin/true\nTimeoutSec=5s\nTimeoutStopSec=7s\n");
  CHECK(later.timeout_start == 5 * kSec);
  CHECK(later.timeout_stop == 7 * kSec);
  Unit earlier = parse_clean("[Service]\nExecStart=/bin/true\nTimeoutStartSec=3s\nTimeoutSec=infinity\n");
  CHECK(earlier.timeout_start == kInfinity);
  CHECK(earlier.timeout_stop == kInfinity);
}

TEST_CASE("parser: relative paths resolve against the unit's directory", "[parser]") {
  Unit u = parse_clean(
      "[Service]\n"
      "ExecStart=./x.sh arg ./not-a-path\n"
      "ExecStartPre=@./pre.sh pre\n"
      "ExecStop=bin/stop\n"
      "ExecStopPost=sleep 1\n"
      "PIDFile=../logs/x.pid\n"
      "StandardOutput=file:../logs/x.log\n"
      "StandardError=append:/abs/../err.log\n"
      "WorkingDirectory=.\n"
      "EnvironmentFile=-env/demo.env\n");
  REQUIRE(u.exec_start.size() == 1);
  CHECK(u.exec_start[0].program == "/srv/units/x.sh");
  CHECK(u.exec_start[0].argv == Words{"/srv/units/x.sh", "arg", "./not-a-path"});
  REQUIRE(u.exec_start_pre.size() == 1);
  CHECK(u.exec_start_pre[0].program == "/srv/units/pre.sh");
  CHECK(u.exec_start_pre[0].argv == Words{"pre"});
  CHECK(u.exec_stop[0].program == "/srv/units/bin/stop");
  // A bare name is left for the fixed-PATH lookup (validate's resolve_programs).
  CHECK(u.exec_stop_post[0].program == "sleep");
  CHECK(u.pid_file == "/srv/logs/x.pid");
  CHECK(u.standard_output.path == "/srv/logs/x.log");
  CHECK(u.standard_error.kind == OutputSpec::Kind::Append);
  CHECK(u.standard_error.path == "/err.log");
  CHECK(u.working_directory == "/srv/units");
  REQUIRE(u.environment_files.size() == 1);
  CHECK(u.environment_files[0].path == "/srv/units/env/demo.env");
  CHECK(u.environment_files[0].optional);

  CHECK(parse_clean("[Service]\nExecStart=/bin/true\nWorkingDirectory=~\n").working_directory == "~");
  CHECK(resolve_path("../../../../x", "/srv/units") == "/x");
  CHECK(resolve_path("a//b/./c/", "/d") == "/d/a/b/c");
  CHECK(resolve_path("/", "/d") == "/");
}

TEST_CASE("parser: specifiers", "[parser]") {
  Unit u = parse_clean(
      "[Unit]\n"
      "Description=n=%n N=%N p=%p i=%i h=%h u=%u t=%t pct=%%\n"
      "[Service]\n"
      "ExecStart=/usr/bin/web --port %i --name %N 100%%\n"
      "Environment=INSTANCE=%i\n"
      "PIDFile=%t/%p/%i.pid\n",
      "/srv/units/web@8080.ini");
  CHECK(u.name == "web@8080");
  CHECK(u.description == "n=web@8080.ini N=web@8080 p=web i=8080 h=/root u=root t=/run pct=%");
  REQUIRE(u.exec_start.size() == 1);
  CHECK(u.exec_start[0].argv == Words{"/usr/bin/web", "--port", "8080", "--name", "web@8080", "100%"});
  using P = std::pair<std::string, std::string>;
  CHECK(u.environment == std::vector<P>{{"INSTANCE", "8080"}});
  CHECK(u.pid_file == "/run/web/8080.pid");
  CHECK(u.log_file == "/var/log/unitrun/web@8080.log");

  // Without '@' the prefix is the whole name and the instance is empty.
  Unit plain = parse_clean("[Unit]\nDescription=[%p][%i]\n[Service]\n");
  CHECK(plain.description == "[demo][]");

  require_error("[Service]\nExecStart=/bin/echo %Z\n", 2, "unknown specifier '%Z'");
  require_error("[Unit]\nDescription=x\nDescription=100%\n[Service]\n", 3, "'%' at the end");
}

TEST_CASE("parser: unknown keys and sections", "[parser]") {
  SECTION("a typo gets a suggestion") {
    require_error("[Service]\nExecStart=/bin/true\nUsre=nobody\n", 3, "did you mean 'User='");
    require_error("[Service]\nExecStart=/bin/true\nExecStrat=/bin/true\n", 3, "did you mean 'ExecStart='");
    require_error("[Unit]\nDescripton=x\n[Service]\n", 2, "did you mean 'Description='");
  }
  SECTION("keys are case-sensitive") {
    require_error("[Service]\nexecstart=/bin/true\n", 2, "unknown key 'execstart'");
  }
  SECTION("no suggestion for something far away") {
    Diagnostics e = errors_of("[Service]\nExecStart=/bin/true\nFrobnicateTheWidgets=1\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].line == 3);
    CHECK_THAT(e[0].message, Catch::Contains("unknown key 'FrobnicateTheWidgets'"));
    CHECK_THAT(e[0].message, !Catch::Contains("did you mean"));
  }
  SECTION("a key in the wrong section") {
    require_error("[Unit]\nExecStart=/bin/true\n[Service]\n", 2, "belongs in [Service]");
    require_error("[Service]\nExecStart=/bin/true\nWantedBy=x.target\n", 3, "belongs in [Install]");
    require_error("[Service]\nExecStart=/bin/true\nStartLimitIntervalSec=3\n", 3, "belongs in [Unit]");
  }
  SECTION("an unknown section gets a suggestion") {
    Diagnostic d = find_error(errors_of("[Sevrice]\nExecStart=/bin/true\n"), "unknown section");
    CHECK(d.line == 1);
    CHECK_THAT(d.message, Catch::Contains("unknown section [Sevrice]") && Catch::Contains("did you mean [Service]"));
  }
  SECTION("section names are case-sensitive") {
    Diagnostic d = find_error(errors_of("[service]\nExecStart=/bin/true\n"), "unknown section");
    CHECK(d.line == 1);
    CHECK_THAT(d.message, Catch::Contains("unknown section [service]"));
  }
  SECTION("X- keys and X- sections are ignored") {
    Unit u = parse_clean(
        "[Unit]\nX-Foo=bar\n[Service]\nExecStart=/bin/true\nX-Whatever=1 2 3\n[X-Bar]\nAnything=goes\nUsre=x\n");
    CHECK(u.exec_start.size() == 1);
  }
  SECTION("a key before any section") {
    Diagnostics e = errors_of("Description=x\n[Service]\nExecStart=/bin/true\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].line == 1);
    CHECK_THAT(e[0].message, Catch::Contains("outside of any section"));
  }
  SECTION("no [Service] section") {
    Diagnostics e = errors_of("[Unit]\nDescription=x\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].line == 0);
    CHECK_THAT(e[0].message, Catch::Contains("no [Service] section"));
  }
}

TEST_CASE("parser: no inline comments", "[parser]") {
  Unit u = parse_clean(
      "[Unit]\n"
      "Description=a ; b # c\n"
      "[Service]\n"
      "ExecStart=/bin/sh -c \"a ; b\" ; not a comment\n");
  CHECK(u.description == "a ; b # c");
  // The lone ';' separates a second command (Type=oneshot is not set, so
  // validate() will complain; the parser keeps what was written).
  REQUIRE(u.exec_start.size() == 2);
  CHECK(u.exec_start[0].argv == Words{"/bin/sh", "-c", "a ; b"});
  CHECK(u.exec_start[1].argv == Words{"not", "a", "comment"});

  Unit sh = parse_clean("[Service]\nExecStart=/bin/sh -c \"a ; b\"\n");
  REQUIRE(sh.exec_start.size() == 1);
  CHECK(sh.exec_start[0].argv == Words{"/bin/sh", "-c", "a ; b"});

  // A value may even start with a comment character.
  CHECK(parse_clean("[Unit]\nDescription=;x\n[Service]\n").description == ";x");
  CHECK(parse_clean("[Unit]\nDescription=#x\n[Service]\n").description == "#x");
  // Environment= takes '$' literally; expansion happens only in Exec*= at exec time.
  using P = std::pair<std::string, std::string>;
  CHECK(parse_clean("[Service]\nEnvironment=A=$HOME B=${X}\n").environment ==
        std::vector<P>{{"A", "$HOME"}, {"B", "${X}"}});
}

TEST_CASE("parser: whitespace, continuations, CRLF and BOM", "[parser]") {
  Unit u = parse_clean(
      "\xEF\xBB\xBF# comment\r\n"
      "[Service]\r\n"
      "  ExecStart  =  /bin/echo \\\r\n"
      "# skipped\r\n"
      "    one two  \r\n"
      "User = nobody\r\n");
  REQUIRE(u.exec_start.size() == 1);
  CHECK(u.exec_start[0].argv == Words{"/bin/echo", "one", "two"});
  CHECK(u.exec_start[0].line == 3);
  CHECK(u.user == "nobody");
  CHECK(u.key_lines.at("Service.User") == 6);
}

TEST_CASE("parser: diagnostics carry the right line numbers", "[parser]") {
  ParseResult r = parse_text(
      "[Unit]\n"                       // 1
      "Description=ok\n"               // 2
      "\n"                             // 3
      "[Service]\n"                    // 4
      "ExecStart=/bin/true\n"          // 5
      "UMask=999\n"                    // 6
      "# comment\n"                    // 7
      "TimeoutStopSec=10foo\n"         // 8
      "Environment=A=\\\n"             // 9
      "  b \"C\"\n"                    // 10
      "KillSignal=BOGUS\n"             // 11
      "User=0x0\n"                     // 12
      "Group=-1\n"                     // 13
      "Type=daemon\n"                  // 14
      "Restart=sometimes\n"            // 15
      "ExecStop=/bin/echo \"open\n"    // 16
      "Nice=20\n"                      // 17
      "LimitNOFILE=1K\n"               // 18
      "StandardOutput=socket\n"        // 19
      "StandardInput=tty-maybe\n"      // 20
      "SendSIGKILL=maybe\n"            // 21
      "ExecReload=+!/bin/true\n"       // 22
      "SupplementaryGroups=ok 0day\n"  // 23
      "WatchdogSec=-1\n"               // 24
      "[Unit]\n"                       // 25
      "StartLimitBurst=-1\n");         // 26
  std::vector<int> lines;
  for (const Diagnostic& d : r.diagnostics) {
    CHECK(d.severity == Diagnostic::Severity::Error);
    lines.push_back(d.line);
  }
  INFO(describe(r.diagnostics));
  CHECK(lines == std::vector<int>{6, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 26});
  // Each names the key it is about.
  const std::vector<std::string> keys = {"UMask=",         "TimeoutStopSec=", "Environment=", "KillSignal=",
                                         "User=",          "Group=",          "Type=",        "Restart=",
                                         "ExecStop=",      "Nice=",           "LimitNOFILE=", "StandardOutput=",
                                         "StandardInput=", "SendSIGKILL=",    "ExecReload=",  "SupplementaryGroups=",
                                         "WatchdogSec=",   "StartLimitBurst="};
  REQUIRE(r.diagnostics.size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) CHECK_THAT(r.diagnostics[i].message, Catch::StartsWith(keys[i]));
  // A rejected value leaves the default in place.
  CHECK(r.unit.umask == 0022);
  CHECK(r.unit.timeout_stop == 90 * kSec);
  CHECK(r.unit.user.empty());
  CHECK(r.unit.kill_signal == SIGTERM);
}

TEST_CASE("parser: user and group identifiers", "[parser]") {
  for (const std::string& bad : std::vector<std::string>{"0day", "0x0", "-1", "4294967295", "99999999999", "65535",
                                                         "a b", "root:root", "1root", "name$x", std::string(33, 'a')}) {
    INFO("User=" << bad);
    require_error("[Service]\nExecStart=/bin/true\nUser=" + bad + "\n", 3, "User=");
    INFO("Group=" << bad);
    require_error("[Service]\nExecStart=/bin/true\nGroup=" + bad + "\n", 3, "Group=");
  }
  for (std::string good : {"65534", "0", "nobody", "_apt", "www-data", "a.b", "machine$", "4294967294"}) {
    INFO("User=" << good);
    CHECK(parse_clean("[Service]\nExecStart=/bin/true\nUser=" + good + "\n").user == good);
  }
}

TEST_CASE("parser: unit names", "[parser]") {
  CHECK(name_from_path("units/autotest.ini") == "autotest");
  CHECK(name_from_path("/a/b/web@1.ini") == "web@1");
  CHECK(name_from_path("x.conf") == "x.conf");
  CHECK(name_from_path(".ini") == ".ini");
  CHECK(is_valid_unit_name("autotest"));
  CHECK(is_valid_unit_name("a:b_c.d@e-f"));
  CHECK(is_valid_unit_name(std::string(200, 'a')));
  for (const std::string& bad :
       std::vector<std::string>{"", "-evil", ".", "..", "a/b", "a b", "a$", std::string(201, 'a')}) {
    INFO(bad);
    CHECK_FALSE(is_valid_unit_name(bad));
  }
  Diagnostics e = errors_of("[Service]\nExecStart=/bin/true\n");
  CHECK(e.empty());
  ParseResult evil = parse("[Service]\nExecStart=/bin/true\n", context("/srv/units/-evil.ini"));
  REQUIRE(evil.diagnostics.size() == 1);
  CHECK(evil.diagnostics[0].line == 0);
  CHECK_THAT(evil.diagnostics[0].message, Catch::Contains("invalid unit name"));
}

TEST_CASE("show: Key=value text and JSON", "[parser][show]") {
  Unit u = parse_clean(
      "[Unit]\n"
      "Description=Demo\n"
      "[Service]\n"
      "ExecStart=/bin/echo \"a b\"\n"
      "UMask=27\n"
      "Environment=\"GREETING=hello world\"\n"
      "TimeoutStopSec=90s\n"
      "KillSignal=RTMIN+3\n"
      "LimitCORE=infinity\n");
  std::string text = show_text(u);
  CHECK_THAT(text, Catch::StartsWith("Id=demo\n"));
  for (std::string line : {"FragmentPath=/srv/units/demo.ini", "Description=Demo", "Type=simple",
                           "ExecStart=/bin/echo \"a b\"", "UMask=0027", "Environment=\"GREETING=hello world\"",
                           "PIDFile=/run/unitrun/demo.pid", "StandardOutput=append:/var/log/unitrun/demo.log",
                           "StandardError=append:/var/log/unitrun/demo.log", "TimeoutStopSec=1min 30s",
                           "RestartSec=100ms", "KillSignal=SIGRTMIN+3", "LimitCORE=infinity", "SendSIGKILL=yes"}) {
    INFO(line);
    CHECK_THAT(text, Catch::Contains("\n" + line + "\n"));
  }
  // Every line is Key=value.
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    REQUIRE(end != std::string::npos);
    std::string line = text.substr(start, end - start);
    INFO(line);
    CHECK(line.find('=') != std::string::npos);
    CHECK(line.find('=') > 0);
    start = end + 1;
  }

  nlohmann::json j = show_json(u);
  CHECK(j["Id"] == "demo");
  CHECK(j["UMask"] == "0027");
  CHECK(j["Type"] == "simple");
  REQUIRE(j["ExecStart"].is_array());
  REQUIRE(j["ExecStart"].size() == 1);
  CHECK(j["ExecStart"][0]["program"] == "/bin/echo");
  CHECK(j["ExecStart"][0]["argv"] == nlohmann::json::array({"/bin/echo", "a b"}));
  CHECK(j["ExecStart"][0]["line"] == 4);
  CHECK(j["Environment"]["GREETING"] == "hello world");
  CHECK(j["ExecStop"].is_array());
  CHECK(j["ExecStop"].empty());
  // The text form survives a dump and a parse.
  CHECK(nlohmann::json::parse(j.dump()) == j);
}

namespace {

// Every Exec* list, for comparisons that ignore the line numbers.
std::vector<std::pair<std::string, const std::vector<Command>*>> command_lists(const Unit& u) {
  return {{"ExecStartPre", &u.exec_start_pre}, {"ExecStart", &u.exec_start}, {"ExecStartPost", &u.exec_start_post},
          {"ExecReload", &u.exec_reload},      {"ExecStop", &u.exec_stop},   {"ExecStopPost", &u.exec_stop_post}};
}

void check_same_commands(const Unit& a, const Unit& b) {
  auto la = command_lists(a), lb = command_lists(b);
  for (size_t i = 0; i < la.size(); ++i) {
    INFO(la[i].first);
    const auto& ca = *la[i].second;
    const auto& cb = *lb[i].second;
    REQUIRE(ca.size() == cb.size());
    for (size_t k = 0; k < ca.size(); ++k) {
      CHECK(ca[k].program == cb[k].program);
      CHECK(ca[k].argv == cb[k].argv);
      CHECK(ca[k].ignore_failure == cb[k].ignore_failure);
      CHECK(ca[k].expand_environment == cb[k].expand_environment);
    }
  }
}

// The lines of show_text() for the keys that a unit file can take back.
std::string reparsable(const std::string& shown) {
  std::string out = "[Service]\n";
  size_t start = 0;
  while (start < shown.size()) {
    size_t end = shown.find('\n', start);
    std::string line = shown.substr(start, end - start);
    if (line.rfind("Exec", 0) == 0 || line.rfind("Environment=", 0) == 0) out += line + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("show: commands round-trip through show_text", "[parser][show]") {
  Unit u = parse_clean(
      "[Service]\n"
      "Type=oneshot\n"
      "ExecStartPre=-/bin/echo \"two words\" 'single' \"it's\" \"say \\\"hi\\\"\"\n"
      "ExecStartPre=@/bin/sleep my-sleep 1\n"
      "ExecStart=:/bin/echo $HOME ${X} $$ \"$(id)\" `id` * ~\n"
      "ExecStart=-:@./rel.sh argv0 \"\" \\; \";\" x\n"
      "ExecStartPost=/bin/printf \"tab\\there\" \"line\\nbreak\" back\\\\slash 100%% \\x01 \\u00e9\n"
      "ExecReload=/bin/kill -HUP $MAINPID ; /bin/echo reloaded\n"
      "ExecStop=\"/opt/my app/stop\" now\n"
      "ExecStopPost=-\"/opt/my app/post\" %%n\n"
      "Environment=\"A=x y\" B=100%% C=\\\"q\\\" D= \"E=a\\\\b\"\n");
  REQUIRE(u.exec_start.size() == 2);
  CHECK(u.exec_start[1].program == "/srv/units/rel.sh");
  CHECK(u.exec_start[1].argv == Words{"argv0", "", ";", ";", "x"});
  CHECK(u.exec_stop[0].program == "/opt/my app/stop");
  CHECK(u.exec_stop_post[0].ignore_failure);
  CHECK(u.exec_stop_post[0].argv == Words{"/opt/my app/post", "%n"});

  std::string again_text = reparsable(show_text(u));
  INFO("re-parsed from:\n" << again_text);
  Unit again = parse_clean(again_text);
  check_same_commands(u, again);
  CHECK(again.environment == u.environment);

  // format_command() alone, for each command.
  for (const auto& [key, list] : command_lists(u)) {
    for (const Command& c : *list) {
      std::string written = format_command(c);
      INFO(key << "=" << written);
      Unit one = parse_clean("[Service]\nType=oneshot\n" + key + "=" + written + "\n");
      std::vector<const Command*> all;
      for (const auto& [k2, l2] : command_lists(one))
        for (const Command& c2 : *l2) all.push_back(&c2);
      REQUIRE(all.size() == 1);
      CHECK(all[0]->program == c.program);
      CHECK(all[0]->argv == c.argv);
      CHECK(all[0]->ignore_failure == c.ignore_failure);
      CHECK(all[0]->expand_environment == c.expand_environment);
    }
  }
}

TEST_CASE("output_file and error_file: which file holds what the service wrote", "[parser][output]") {
  const std::string head = "[Service]\nExecStart=/bin/true\n";
  Unit dflt = parse_clean(head);
  CHECK(output_file(dflt, false, true) == dflt.log_file);
  CHECK(error_file(dflt, false, true) == dflt.log_file);
  CHECK(output_file(dflt, true, true).empty());  // run: inherited
  Unit split = parse_clean(head + "StandardOutput=null\nStandardError=append:/var/log/x.err\n");
  CHECK(output_file(split, false, true) == "/var/log/x.err");
  CHECK(error_file(split, false, true) == "/var/log/x.err");
  Unit both = parse_clean(head + "StandardOutput=file:/var/log/x.out\nStandardError=truncate:/var/log/x.err\n");
  CHECK(output_file(both, false, true) == "/var/log/x.out");
  CHECK(error_file(both, false, true) == "/var/log/x.err");
  Unit joined = parse_clean(head + "StandardOutput=append:/var/log/x.out\nStandardError=inherit\n");
  CHECK(error_file(joined, true, true) == "/var/log/x.out");
  Unit journal = parse_clean(head + "StandardOutput=journal\n");
  CHECK(output_file(journal, false, true).empty());
  CHECK(output_file(journal, false, false) == journal.log_file);  // no journald: the unit's log
  Unit silent = parse_clean(head + "StandardOutput=null\n");
  CHECK(output_file(silent, false, true).empty());
  CHECK(error_file(silent, false, true).empty());  // stderr follows stdout to /dev/null
}

TEST_CASE("parser: MemoryAccounting=, TasksAccounting= default to yes, CPUAccounting= to unset, an empty line resets",
          "[parser]") {
  Unit plain = parse_clean("[Service]\nExecStart=/bin/true\n");
  CHECK(plain.resource_control.memory_accounting);
  CHECK(plain.resource_control.tasks_accounting);
  CHECK_FALSE(plain.resource_control.cpu_accounting.has_value());  // where it is cheap (process/cgroup_plan.h)
  Unit said = parse_clean("[Service]\nExecStart=/bin/true\nCPUAccounting=yes\n");
  CHECK(said.resource_control.cpu_accounting == true);
  CHECK_FALSE(said.resource_control.asks_for_control());
  Unit unsaid = parse_clean("[Service]\nExecStart=/bin/true\nCPUAccounting=no\nCPUAccounting=\n");
  CHECK_FALSE(unsaid.resource_control.cpu_accounting.has_value());
  Unit reset =
      parse_clean("[Service]\nExecStart=/bin/true\nMemoryAccounting=no\nMemoryAccounting=\nTasksAccounting=no\n");
  CHECK(reset.resource_control.memory_accounting);
  CHECK_FALSE(reset.resource_control.tasks_accounting);
  CHECK_FALSE(reset.resource_control.asks_for_control());
  Unit limited = parse_clean("[Service]\nExecStart=/bin/true\nMemoryAccounting=no\nTasksMax=5\n");
  CHECK(limited.resource_control.asks_for_control());
}

TEST_CASE("parser: percentages in the resource-control keys are literal, as systemd reads them", "[parser]") {
  // Shipped units write "TasksMax=80%" (mariadb.service): systemd resolves no
  // specifier in these keys, so '%' needs no doubling.
  Unit u = parse_clean("[Service]\nExecStart=/bin/true\nCPUQuota=50%\nMemoryMax=infinity\nTasksMax=80%\n");
  CHECK(u.resource_control.cpu_quota_per_sec_usec == 500000u);
  REQUIRE(u.resource_control.tasks_max.has_value());
  CHECK(*u.resource_control.tasks_max > 0u);
  // Doubled, it is a bad percentage there, not a literal '%'.
  Diagnostics errors = errors_of("[Service]\nExecStart=/bin/true\nCPUQuota=50%%\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.find("CPUQuota=") == 0);
  // Other keys still resolve specifiers.
  Unit v = parse_clean("[Service]\nExecStart=/bin/echo %n\n");
  CHECK(v.exec_start.at(0).argv.at(1) == "demo.ini");
}

TEST_CASE("parser: Slice= other than system.slice says it is not applied", "[parser]") {
  ParseResult r = parse_text("[Service]\nExecStart=/bin/true\nSlice=web.slice\n");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::Warning);
  CHECK(r.diagnostics[0].line == 3);
  CHECK(r.diagnostics[0].message.find("Slice=web.slice is not applied") == 0);
  CHECK(parse_clean("[Service]\nExecStart=/bin/true\nSlice=system.slice\n").resource_control.slice == "system.slice");
}

TEST_CASE("parser: CapabilityBoundingSet= alone is the empty bounding set, not the default") {
  // systemd: "If the empty string is assigned to this option, the bounding
  // set is reset to the empty capability set". Before, the line was
  // dropped and the service kept every capability.
  Unit u = parse_clean("[Service]\nExecStart=/bin/true\nCapabilityBoundingSet=CAP_KILL\nCapabilityBoundingSet=\n");
  CHECK(u.sandbox.capability_bounding_set == std::vector<std::string>{""});
  Unit v = parse_clean("[Service]\nExecStart=/bin/true\nCapabilityBoundingSet=\nCapabilityBoundingSet=CAP_KILL\n");
  // Combined later as systemd does: the empty set, then CAP_KILL added.
  CHECK(v.sandbox.capability_bounding_set == std::vector<std::string>{"", "CAP_KILL"});
  Unit w = parse_clean("[Service]\nExecStart=/bin/true\nAmbientCapabilities=CAP_KILL\nAmbientCapabilities=\n");
  CHECK(w.sandbox.ambient_capabilities.empty());
}

TEST_CASE("X-Unitrun-Timestamps= is a boolean of [Service], off by default", "[parser]") {
  const std::string head = "[Service]\nExecStart=/bin/true\n";
  CHECK_FALSE(parse_clean(head).timestamps);
  Unit on = parse_clean(head + "X-Unitrun-Timestamps=yes\n");
  CHECK(on.timestamps);
  CHECK(on.key_lines.at("Service.X-Unitrun-Timestamps") == 3);
  CHECK(show_text(on).find("X-Unitrun-Timestamps=yes") != std::string::npos);
  CHECK_FALSE(parse_clean(head + "X-Unitrun-Timestamps=yes\nX-Unitrun-Timestamps=\n").timestamps);  // reset
  CHECK_FALSE(parse_clean(head + "X-Unitrun-Timestamps=off\n").timestamps);
  require_error(head + "X-Unitrun-Timestamps=sometimes\n", 3, "X-Unitrun-Timestamps=: ");
  require_error(head + "X-Unitrun-Timestamp=yes\n", 3,
                "unknown unitrun key 'X-Unitrun-Timestamp' in [Service] (unitrun's keys: X-Unitrun-Sandbox= and "
                "X-Unitrun-Timestamps= in [Service])");
}
