// The manager's pure core against systemd's documented cases: one row per
// sentence of systemd.unit(5), systemd.target(5), systemd.service(5) and
// systemd.special(7) that applies without PID 1, each citing it. A row is
// a set of units, their states and a request; it checks the jobs of the
// transaction, their order, what failed and why, and, where the sentence
// is about run time, the results once the jobs run (a small runner below
// drives runnable_jobs() and job_finished() the way the manager will).
#include "manager/transaction.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "manager/dependency_graph.h"
#include "manager/job_outcome.h"

using namespace unitrun;
using namespace unitrun::manager;

namespace {

constexpr Dependency kRequires = Dependency::Requires;
constexpr Dependency kRequisite = Dependency::Requisite;
constexpr Dependency kWants = Dependency::Wants;
constexpr Dependency kBindsTo = Dependency::BindsTo;
constexpr Dependency kPartOf = Dependency::PartOf;
constexpr Dependency kPropagatesStopTo = Dependency::PropagatesStopTo;
constexpr Dependency kStopPropagatedFrom = Dependency::StopPropagatedFrom;
constexpr Dependency kUpholds = Dependency::Upholds;
constexpr Dependency kConflicts = Dependency::Conflicts;
constexpr Dependency kBefore = Dependency::Before;
constexpr Dependency kAfter = Dependency::After;
constexpr Dependency kOnFailure = Dependency::OnFailure;
constexpr Dependency kOnSuccess = Dependency::OnSuccess;
constexpr Dependency kPropagatesReloadTo = Dependency::PropagatesReloadTo;
constexpr Dependency kReloadPropagatedFrom = Dependency::ReloadPropagatedFrom;

constexpr ActiveState kActive = ActiveState::Active;
constexpr ActiveState kInactive = ActiveState::Inactive;
constexpr ActiveState kFailed = ActiveState::Failed;
constexpr ActiveState kActivating = ActiveState::Activating;

// A unit with DefaultDependencies=no, so that a row shows only what it is
// about; the rows on default dependencies use with_defaults().
UnitSpec plain(std::string name) {
  UnitSpec spec;
  spec.name = std::move(name);
  spec.default_dependencies = false;
  return spec;
}

UnitSpec with_defaults(std::string name) {
  UnitSpec spec;
  spec.name = std::move(name);
  return spec;
}

UnitSpec with_state(UnitSpec spec, LoadState state) {
  spec.load_state = state;
  return spec;
}

UnitSpec unneeded(UnitSpec spec) {
  spec.stop_when_unneeded = true;
  return spec;
}

Request request(RequestType type, std::vector<std::string> units, JobMode mode = JobMode::Replace) {
  return Request{type, std::move(units), mode};
}

std::set<std::string> job_names(const Transaction& t) {
  std::set<std::string> names;
  for (const Job& job : t.jobs) names.insert(job_name(job));
  return names;
}

JobId id_of(const Transaction& t, const std::string& name) {
  for (JobId id = 0; id < t.jobs.size(); ++id)
    if (job_name(t.jobs[id]) == name) return id;
  FAIL("no job " << name);
  return 0;
}

// Whether `later` waits, directly or not, for `first`.
bool waits_for(const Transaction& t, JobId later, JobId first) {
  std::vector<JobId> stack = {later};
  std::set<JobId> seen;
  while (!stack.empty()) {
    JobId id = stack.back();
    stack.pop_back();
    for (JobId b : t.jobs[id].ready_after) {
      if (b == first) return true;
      if (seen.insert(b).second) stack.push_back(b);
    }
  }
  return false;
}

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "\n  " + l;
  return out;
}

// Runs a transaction the way the manager's runner will: every runnable job
// at once, then their results in order, each through job_finished(). A
// job's result is Done unless `outcomes` says otherwise; a verify-active
// job looks at its unit's state. Returns each job's result by name.
struct Run {
  std::map<std::string, std::string> results;   // job name → "done", "failed", "dependency", ...
  std::map<std::string, std::string> messages;  // job name → why it failed
  std::vector<std::string> follow_ups;          // "start alert.service"
};

Run run(const DependencyGraph& graph, const Transaction& t, const UnitStates& before,
        const std::map<std::string, JobResult>& outcomes, const std::set<std::string>& ends_inactive) {
  Run out;
  std::vector<JobState> states(t.jobs.size(), JobState::Waiting);
  for (;;) {
    std::vector<JobId> now = runnable_jobs(t, states);
    if (now.empty()) break;
    for (JobId id : now) states[id] = JobState::Running;
    for (JobId id : now) {
      if (states[id] == JobState::Finished) continue;  // failed by an earlier one of this round
      const Job& job = t.jobs[id];
      std::string name = job_name(job);
      JobResult result = JobResult::Done;
      if (job.type == JobType::VerifyActive) {
        std::optional<JobResult> verified = verify_active_result(before.of(job.unit));
        REQUIRE(verified.has_value());
        result = *verified;
      } else if (auto it = outcomes.find(name); it != outcomes.end()) {
        result = it->second;
      }
      ActiveState after = kFailed;
      if (result == JobResult::Done)
        after = job.type == JobType::Stop || ends_inactive.count(job.unit) ? kInactive : kActive;
      states[id] = JobState::Finished;
      out.results[name] = to_string(result);
      JobConsequences c = job_finished(graph, t, states, id, result, after);
      for (const FailedJob& f : c.failed) {
        states[f.job] = JobState::Finished;
        out.results[job_name(t.jobs[f.job])] = to_string(JobResult::Dependency);
        out.messages[job_name(t.jobs[f.job])] = f.message;
      }
      for (const FollowUp& f : c.follow_ups) out.follow_ups.push_back(std::string(to_string(f.type)) + " " + f.unit);
    }
  }
  return out;
}

struct Case {
  const char* name;
  const char* cites;  // the sentence the row checks
  std::vector<UnitSpec> units;
  UnitStates states;
  Request request;
  // The transaction: exactly these jobs ("unit/type"), these pairs ordered
  // (first before second), these pairs not ordered either way.
  std::set<std::string> jobs;
  std::vector<std::pair<std::string, std::string>> ordered = {};
  std::vector<std::pair<std::string, std::string>> unordered = {};
  // Jobs that could not be added: "unit/type" → part of the message.
  std::map<std::string, std::string> failed = {};
  std::vector<std::string> notes = {};     // parts of notes
  std::vector<std::string> warnings = {};  // parts of warnings
  std::string error = {};                  // the build fails with this in its message
  // Run time: job results other than done, units whose start leaves them
  // inactive, and the results and messages expected.
  std::map<std::string, JobResult> outcomes = {};
  std::set<std::string> ends_inactive = {};
  std::map<std::string, std::string> results = {};
  std::map<std::string, std::string> messages = {};
  std::vector<std::string> follow_ups = {};
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      // --- Requires= ---------------------------------------------------
      {"Requires= without After=: both start at once, and a failure does not stop the other",
       "systemd.unit(5), Wants=/Requires=: \"requirement dependencies do not influence the order in which services "
       "are started or stopped ... both units will be started simultaneously\"",
       {plain("a.service").add(kRequires, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {},
       {{"a.service/start", "b.service/start"}},
       {},
       {},
       {},
       {},
       {{"b.service/start", JobResult::Failed}},
       {},
       {{"b.service/start", "failed"}, {"a.service/start", "done"}}},
      {"Requires= with After=: ordered, and the failure propagates",
       "systemd.unit(5), Requires=: \"If one of the other units fails to activate, and an ordering dependency After= "
       "on the failing unit is set, this unit will not be started.\"",
       {plain("a.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/start", JobResult::Failed}},
       {},
       {{"b.service/start", "failed"}, {"a.service/start", "dependency"}},
       {{"a.service/start", "dependency failed: a.service requires b.service, which failed"}}},
      {"Requires=: a failure propagates down a chain",
       "systemd.unit(5), Requires= (as above), applied to each unit of the chain in turn",
       {plain("c.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}),
        plain("b.service").add(kRequires, {"a.service"}).add(kAfter, {"a.service"}), plain("a.service")},
       {},
       request(RequestType::Start, {"c.service"}),
       {"a.service/start", "b.service/start", "c.service/start"},
       {{"a.service/start", "b.service/start"}, {"b.service/start", "c.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {{"a.service/start", JobResult::Timeout}},
       {},
       {{"a.service/start", "timeout"}, {"b.service/start", "dependency"}, {"c.service/start", "dependency"}},
       {{"b.service/start", "b.service requires a.service, which timed out"},
        {"c.service/start", "c.service requires b.service, which failed on a dependency"}}},
      {"Requires= of an active unit: nothing to do for it",
       "systemd's job_type_is_redundant(): a start of an active unit is dropped unless requested",
       {plain("a.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start"}},
      {"Requires=: stopping the required unit stops the requiring one first",
       "systemd.unit(5), Requires=: \"this unit will be stopped (or restarted) if one of the other units is "
       "explicitly stopped\"; Before=/After=: \"the inverse of the start-up order is applied\"",
       {plain("a.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"b.service"}),
       {"a.service/stop", "b.service/stop"},
       {{"a.service/stop", "b.service/stop"}}},
      {"Requires=: stopping the requiring unit leaves the required one",
       "systemd.unit(5), Requires= propagates a stop from the listed unit to this one, not back",
       {plain("a.service").add(kRequires, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"a.service"}),
       {"a.service/stop"}},
      {"Requires=: restarting the required unit restarts the requiring one, stops reversed, starts in order",
       "systemd.unit(5), Requires=: \"this unit will be stopped (or restarted) if one of the other units is "
       "explicitly stopped (or restarted)\"",
       {plain("a.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Restart, {"b.service"}),
       {"a.service/restart (stop)", "a.service/restart (start)", "b.service/restart (stop)",
        "b.service/restart (start)"},
       {{"a.service/restart (stop)", "b.service/restart (stop)"},
        {"b.service/restart (stop)", "b.service/restart (start)"},
        {"b.service/restart (start)", "a.service/restart (start)"}}},
      {"Requires=: a restart is passed on only to units that run",
       "systemd's transaction.c: \"We propagate STOP as STOP, but RESTART only as TRY_RESTART, in order not to "
       "start dependencies that are not around.\"",
       {plain("a.service").add(kRequires, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Restart, {"b.service"}),
       {"b.service/restart (stop)", "b.service/restart (start)"}},

      // --- missing and masked units ------------------------------------
      {"Requires= of a unit that does not exist: the requiring job fails, naming it",
       "systemd.unit(5), Requires=: \"the units listed will be activated as well\" - a unit that cannot be "
       "cannot be required",
       {plain("a.service").add(kRequires, {"missing.service"})},
       {},
       request(RequestType::Start, {"a.service"}),
       {},
       {},
       {},
       {{"a.service/start", "a.service requires missing.service, which does not exist"}}},
      {"Requires= of a masked unit: the requiring job fails, naming it",
       "systemd.unit(5), masking: \"the unit ... cannot be started\"",
       {plain("a.service").add(kRequires, {"m.service"}), with_state(plain("m.service"), LoadState::Masked)},
       {},
       request(RequestType::Start, {"a.service"}),
       {},
       {},
       {},
       {{"a.service/start", "a.service requires m.service, which is masked"}}},
      {"Requires= through a chain to a missing unit fails every job on the way",
       "systemd.unit(5), Requires= (as above), each requiring job in turn",
       {plain("c.service").add(kRequires, {"b.service"}), plain("b.service").add(kBindsTo, {"missing.service"})},
       {},
       request(RequestType::Start, {"c.service"}),
       {},
       {},
       {},
       {{"b.service/start", "b.service binds to missing.service, which does not exist"},
        {"c.service/start",
         "c.service requires b.service, which cannot start: b.service binds to missing.service, which does not "
         "exist"}}},
      {"Wants= of a unit that does not exist: only a note",
       "systemd.unit(5), Wants=: \"if the listed units fail to start or cannot be added to the transaction, this "
       "has no impact on the validity of the transaction\"",
       {plain("a.service").add(kWants, {"missing.service"})},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start"},
       {},
       {},
       {},
       {"a.service wants missing.service, which does not exist; ignored"}},
      {"Wants= of a unit that requires a missing unit: that unit fails, the wanting one starts",
       "systemd.unit(5), Wants= (as above) and Requires= (as above)",
       {plain("t.target").add(kWants, {"a.service"}), plain("a.service").add(kRequires, {"missing.service"})},
       {},
       request(RequestType::Start, {"t.target"}),
       {"t.target/start"},
       {},
       {},
       {{"a.service/start", "a.service requires missing.service, which does not exist"}}},
      {"Starting a unit that does not exist fails the request with systemd's message",
       "systemctl(1) start: \"Unit x.service not found.\"",
       {plain("a.service")},
       {},
       request(RequestType::Start, {"x.service"}),
       {},
       {},
       {},
       {{"x.service/start", "Unit x.service not found."}}},
      {"Starting a masked unit fails the request",
       "systemctl(1) mask: \"This will link these unit files to /dev/null, making it impossible to start them.\"",
       {with_state(plain("m.service"), LoadState::Masked)},
       {},
       request(RequestType::Start, {"m.service"}),
       {},
       {},
       {},
       {{"m.service/start", "Unit m.service is masked."}}},
      {"try-restart of a unit that does not exist fails rather than doing nothing",
       "systemd's transaction_add_job_and_dependencies(): the unit's load state is checked before its state",
       {plain("a.service")},
       {},
       request(RequestType::TryRestart, {"x.service"}),
       {},
       {},
       {},
       {{"x.service/try-restart", "Unit x.service not found."}}},
      {"Stopping a unit that has no file and does not run fails the request",
       "systemd's bus_unit_queue_job(): \"Unit %s not loaded.\"",
       {plain("a.service").add(kWants, {"gone.service"})},
       {},
       request(RequestType::Stop, {"gone.service"}),
       {},
       {},
       {},
       {{"gone.service/stop", "Unit gone.service not loaded."}}},
      {"Stopping a unit whose file is gone while it runs is allowed",
       "systemd.unit(5): a unit's file may go while the unit is loaded; a stop needs no file",
       {plain("a.service").add(kWants, {"gone.service"})},
       {{"gone.service", kActive}},
       request(RequestType::Stop, {"gone.service"}),
       {"gone.service/stop"}},

      // --- Wants= ------------------------------------------------------
      {"Wants= with After=: ordered, and a failure does not propagate",
       "systemd.unit(5), Wants=: \"this unit will still be started\"; Before=/After=: \"It is a common pattern to "
       "include a unit name in both the After= and Wants= options, in which case the unit listed will be started "
       "before the unit that is configured with these options.\"",
       {plain("a.service").add(kWants, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/start", JobResult::Failed}},
       {},
       {{"b.service/start", "failed"}, {"a.service/start", "done"}}},
      {"After= alone pulls nothing in",
       "systemd.unit(5), Before=/After=: \"those settings are independent of and orthogonal to the requirement "
       "dependencies\"",
       {plain("a.service").add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start"}},
      {"Before= on the other unit orders like After= on this one",
       "systemd.unit(5), Before=/After=: \"After= is the inverse of Before=\"",
       {plain("a.service").add(kRequires, {"b.service"}), plain("b.service").add(kBefore, {"a.service"})},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}}},

      // --- Requisite= --------------------------------------------------
      {"Requisite= on an inactive unit: it is not started, and the start fails",
       "systemd.unit(5), Requisite=: \"if the units listed here are not started already, they will not be started "
       "and the starting of this unit will fail immediately\"",
       {plain("a.service").add(kRequisite, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/verify-active"},
       {{"b.service/verify-active", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/verify-active", "skipped"}, {"a.service/start", "dependency"}},
       {{"a.service/start", "a.service requires (Requisite=) b.service, which is not active"}}},
      {"Requisite= on an active unit: nothing to check",
       "systemd.unit(5), Requisite= (as above); a verify-active job of an active unit is redundant",
       {plain("a.service").add(kRequisite, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start"}},
      {"Requisite= without After=: no ordering",
       "systemd.unit(5), Requisite=: \"Requisite= does not imply an ordering dependency, even if both units are "
       "started in the same transaction\"",
       {plain("a.service").add(kRequisite, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/verify-active"},
       {},
       {{"a.service/start", "b.service/verify-active"}}},
      {"Requisite= on a unit started in the same transaction that does not stay active fails the start",
       "systemd's job.c: a verify-active job merged into a start \"loses its invalidation effect\", so a start "
       "that leaves the unit inactive fails the units that have Requisite= on it",
       {plain("a.service").add(kRequisite, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service", "b.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {},
       {"b.service"},
       {{"b.service/start", "done"}, {"a.service/start", "dependency"}},
       {{"a.service/start", "b.service, which is not active after it started"}}},

      // --- BindsTo= ----------------------------------------------------
      {"BindsTo= with After=: pulled in and ordered, and its failure fails this unit",
       "systemd.unit(5), BindsTo=: \"very similar in style to Requires=\"; \"When used in conjunction with After= "
       "on the same unit the behaviour of BindsTo= is even stronger\"",
       {plain("a.service").add(kBindsTo, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/start", JobResult::Failed}},
       {},
       {{"b.service/start", "failed"}, {"a.service/start", "dependency"}},
       {{"a.service/start", "dependency failed: a.service binds to b.service, which failed"}}},
      {"BindsTo=: stopping the bound unit stops this one, in reverse order",
       "systemd.unit(5), BindsTo=: \"if the unit bound to is stopped, this unit will be stopped too\"",
       {plain("a.service").add(kBindsTo, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"b.service"}),
       {"a.service/stop", "b.service/stop"},
       {{"a.service/stop", "b.service/stop"}}},

      // --- PropagatesStopTo=, StopPropagatedFrom= --------------------
      {"PropagatesStopTo=: a stop of this unit stops the listed one",
       "systemd.unit(5), PropagatesStopTo=: \"Issuing a stop request on a unit will automatically also enqueue "
       "stop requests on all units that are linked to it using these two settings.\"",
       {plain("a.service").add(kPropagatesStopTo, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"a.service"}),
       {"a.service/stop", "b.service/stop"}},
      {"StopPropagatedFrom=: a stop of the listed unit stops this one",
       "systemd.unit(5), StopPropagatedFrom= (as above: \"or units from which stop requests shall be propagated "
       "to this unit\")",
       {plain("b.service").add(kStopPropagatedFrom, {"a.service"}), plain("a.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"a.service"}),
       {"a.service/stop", "b.service/stop"}},
      {"PropagatesStopTo= is one-way and for stops only: a stop of the listed unit, a restart or a start of this "
       "one pull nothing",
       "systemd.unit(5), PropagatesStopTo= (stop requests); systemd's atoms: UNIT_ATOM_PROPAGATE_STOP, not "
       "UNIT_ATOM_PROPAGATE_RESTART",
       {plain("a.service").add(kPropagatesStopTo, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Restart, {"a.service"}),
       {"a.service/restart (stop)", "a.service/restart (start)"}},
      {"PropagatesStopTo= is one-way: a stop of the listed unit leaves this one",
       "systemd.unit(5), PropagatesStopTo=: \"stop requests from this unit shall be propagated to\" the listed units",
       {plain("a.service").add(kPropagatesStopTo, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"b.service"}),
       {"b.service/stop"}},
      // --- PartOf= -----------------------------------------------------
      {"PartOf=: a stop of the listed unit is propagated to this one",
       "systemd.unit(5), PartOf=: \"When systemd stops or restarts the units listed here, the action is propagated "
       "to this unit.\"",
       {plain("a.service").add(kPartOf, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"b.service"}),
       {"a.service/stop", "b.service/stop"}},
      {"PartOf=: a restart of the listed unit is propagated to this one",
       "systemd.unit(5), PartOf= (as above)",
       {plain("a.service").add(kPartOf, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Restart, {"b.service"}),
       {"a.service/restart (stop)", "a.service/restart (start)", "b.service/restart (stop)",
        "b.service/restart (start)"}},
      {"PartOf= is one-way: stopping this unit leaves the listed one",
       "systemd.unit(5), PartOf=: \"Note that this is a one-way dependency - changes to this unit do not affect "
       "the listed units.\"",
       {plain("a.service").add(kPartOf, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Stop, {"a.service"}),
       {"a.service/stop"}},
      {"PartOf= is limited to stopping and restarting: a start pulls nothing in",
       "systemd.unit(5), PartOf=: \"similar to Requires=, but limited to stopping and restarting of units\"",
       {plain("a.service").add(kPartOf, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start"}},

      // --- Conflicts= --------------------------------------------------
      {"Conflicts=: starting this unit stops the other, at once when unordered",
       "systemd.unit(5), Conflicts=: \"starting the former will stop the latter\"; \"this setting does not imply "
       "an ordering dependency\"",
       {plain("a.service").add(kConflicts, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/stop"},
       {},
       {{"a.service/start", "b.service/stop"}}},
      {"Conflicts=: and vice versa",
       "systemd.unit(5), Conflicts=: \"starting the former will stop the latter and vice versa\"",
       {plain("a.service").add(kConflicts, {"b.service"}), plain("b.service")},
       {{"a.service", kActive}},
       request(RequestType::Start, {"b.service"}),
       {"b.service/start", "a.service/stop"}},
      {"Conflicts= with After=: the stop goes before the start",
       "systemd.unit(5), Conflicts=: \"It doesn't matter which of the two ordering dependencies is used, because "
       "stop jobs are always ordered before start jobs\"",
       {plain("a.service").add(kConflicts, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/stop"},
       {{"b.service/stop", "a.service/start"}}},
      {"Conflicts= with Before=: the stop still goes before the start",
       "systemd.unit(5), Before=/After=: \"if one unit is shut down and the other is started up, the shutdown is "
       "ordered before the start-up. It doesn't matter if the ordering dependency is After= or Before=\"",
       {plain("a.service").add(kConflicts, {"b.service"}).add(kBefore, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/stop"},
       {{"b.service/stop", "a.service/start"}}},
      {"Conflicts=: a stop that fails keeps the conflicting unit from starting",
       "systemd's unit-dependency-atom.c: ConflictedBy= propagates a stop failure to the waiting start",
       {plain("a.service").add(kConflicts, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/stop"},
       {{"b.service/stop", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/stop", JobResult::Failed}},
       {},
       {{"b.service/stop", "failed"}, {"a.service/start", "dependency"}},
       {{"a.service/start", "a.service conflicts with b.service, which failed to stop"}}},
      {"Conflicts=: starting both when both are required fails the transaction",
       "systemd.unit(5), Conflicts=: \"the transaction will either fail (in case both are required parts of the "
       "transaction)\"",
       {plain("a.service").add(kConflicts, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service", "b.service"}),
       {},
       {},
       {},
       {},
       {},
       {},
       "Transaction contains conflicting jobs 'start' and 'stop' for b.service"},
      {"Conflicts=: when neither is required, the conflicting unit starts and the conflicted one does not",
       "systemd.unit(5), Conflicts=: \"in case both are not required, the unit that conflicts will be started and "
       "the unit that is conflicted is stopped\"",
       {plain("t.target").add(kWants, {"a.service", "b.service"}), plain("a.service").add(kConflicts, {"b.service"}),
        plain("b.service")},
       {},
       request(RequestType::Start, {"t.target"}),
       {"t.target/start", "a.service/start"},
       {},
       {},
       {},
       {"Job b.service/start dropped: it conflicts with b.service/stop"}},
      {"Conflicts=: when one is required, the one not required is removed",
       "systemd.unit(5), Conflicts=: \"In the latter case, the job that is not required will be removed\"",
       {plain("t.target").add(kWants, {"b.service"}), plain("a.service").add(kConflicts, {"b.service"}),
        plain("b.service")},
       {},
       request(RequestType::Start, {"a.service", "t.target"}),
       {"a.service/start", "t.target/start"},
       {},
       {},
       {},
       {"Job b.service/start dropped: it conflicts with b.service/stop, which is required"}},
      {"Job mode fail: a stop nobody requires is not done to a running unit",
       "systemd's transaction.c, --job-mode=fail: \"Try not to stop any running services if we don't have to.\"",
       {plain("a.service"), plain("b.service").add(kConflicts, {"a.service"})},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}, JobMode::Fail),
       {"a.service/start"},
       {},
       {},
       {},
       {"Job b.service/stop dropped: it would stop a running unit"}},
      {"Job mode replace: the same stop is done",
       "systemd.unit(5), Conflicts=: \"starting the former will stop the latter and vice versa\"",
       {plain("a.service"), plain("b.service").add(kConflicts, {"a.service"})},
       {{"b.service", kActive}},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/stop"}},

      // --- OnFailure=, Upholds= ----------------------------------------
      {"OnFailure=: a start that fails on a dependency starts the OnFailure= units",
       "systemd's job.c: \"Trigger OnFailure= dependencies that are not generated by the unit itself\" (a "
       "dependency failure or a timeout)",
       {plain("a.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}).add(kOnFailure, {"alert.service"}),
        plain("b.service"), plain("alert.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/start", JobResult::Failed}},
       {},
       {{"a.service/start", "dependency"}},
       {},
       {"start alert.service"}},
      {"Upholds=: starting the upholding unit pulls the upheld one in like Wants=",
       "systemd.unit(5), Upholds=: \"Configures dependencies similar to Wants=\"",
       {plain("a.service").add(kUpholds, {"b.service"}).add(kAfter, {"b.service"}), plain("b.service")},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}},
       {},
       {},
       {},
       {},
       {},
       {{"b.service/start", JobResult::Failed}},
       {},
       {{"a.service/start", "done"}}},

      // --- reloads -----------------------------------------------------
      {"PropagatesReloadTo=: a reload is passed on to the listed units that are active",
       "systemd.unit(5), PropagatesReloadTo=: \"Issuing a reload request on a unit will automatically also enqueue "
       "reload requests on all units that are linked to it\"",
       {plain("a.service").add(kPropagatesReloadTo, {"b.service", "c.service"}), plain("b.service"),
        plain("c.service")},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Reload, {"a.service"}),
       {"a.service/reload", "b.service/reload"}},
      {"ReloadPropagatedFrom=: the same link, written on the other unit",
       "systemd.unit(5), PropagatesReloadTo=, ReloadPropagatedFrom=: \"units from which reload requests shall be "
       "propagated to this unit\"",
       {plain("a.service"), plain("b.service").add(kReloadPropagatedFrom, {"a.service"})},
       {{"a.service", kActive}, {"b.service", kActive}},
       request(RequestType::Reload, {"a.service"}),
       {"a.service/reload", "b.service/reload"}},
      {"A target with PropagatesReloadTo= can be reloaded; it passes the reload on",
       "systemd's unit_can_reload(): a unit that propagates reloads can reload",
       {plain("app.target").add(kPropagatesReloadTo, {"a.service"}), plain("a.service")},
       {{"app.target", kActive}, {"a.service", kActive}},
       request(RequestType::Reload, {"app.target"}),
       {"app.target/reload", "a.service/reload"}},
      {"A target cannot be reloaded otherwise",
       "systemd.target(5): targets \"do not offer any additional functionality\"; systemctl: \"Job type reload is "
       "not applicable\"",
       {plain("t.target")},
       {{"t.target", kActive}},
       request(RequestType::Reload, {"t.target"}),
       {},
       {},
       {},
       {{"t.target/reload", "Job type reload is not applicable for unit t.target."}}},
      {"Reloading an inactive unit fails",
       "systemd's unit_reload(): \"Unit %s is not active, cannot reload.\"",
       {plain("a.service")},
       {},
       request(RequestType::Reload, {"a.service"}),
       {},
       {},
       {},
       {{"a.service/reload", "Unit a.service is not active, cannot reload."}}},
      {"reload-or-restart of an active unit reloads it",
       "systemctl(1) reload-or-restart: \"Reload one or more units if they support it. If not, stop and then start "
       "them instead.\"",
       {plain("a.service")},
       {{"a.service", kActive}},
       request(RequestType::ReloadOrRestart, {"a.service"}),
       {"a.service/reload"}},
      {"reload-or-restart of an inactive unit starts it",
       "systemctl(1) reload-or-restart: \"If the units are not running yet, they will be started.\"",
       {plain("a.service")},
       {},
       request(RequestType::ReloadOrRestart, {"a.service"}),
       {"a.service/start"}},
      {"reload-or-restart of a unit that cannot reload restarts it",
       "systemctl(1) reload-or-restart: \"If not, stop and then start them instead.\"",
       {plain("t.target")},
       {{"t.target", kActive}},
       request(RequestType::ReloadOrRestart, {"t.target"}),
       {"t.target/restart (stop)", "t.target/restart (start)"},
       {{"t.target/restart (stop)", "t.target/restart (start)"}}},

      // --- restart, stop ------------------------------------------------
      {"restart: a stop, then a start",
       "systemctl(1) restart: \"Stop and then start one or more units\"",
       {plain("a.service")},
       {{"a.service", kActive}},
       request(RequestType::Restart, {"a.service"}),
       {"a.service/restart (stop)", "a.service/restart (start)"},
       {{"a.service/restart (stop)", "a.service/restart (start)"}}},
      {"restart whose stop fails does not start",
       "systemd's job.c: a restart job is one job; when its stop part fails it ends",
       {plain("a.service")},
       {{"a.service", kActive}},
       request(RequestType::Restart, {"a.service"}),
       {"a.service/restart (stop)", "a.service/restart (start)"},
       {},
       {},
       {},
       {},
       {},
       {},
       {{"a.service/restart (stop)", JobResult::Failed}},
       {},
       {{"a.service/restart (start)", "dependency"}}},
      {"try-restart of an inactive unit does nothing",
       "systemctl(1) try-restart: \"This does nothing if units are not running.\"",
       {plain("a.service")},
       {},
       request(RequestType::TryRestart, {"a.service"}),
       {},
       {},
       {},
       {},
       {"a.service is not active: try-restart does nothing"}},
      {"Stopping many units runs their stops in the reverse of the start order",
       "systemd.unit(5), Before=/After=: \"When two units with an ordering dependency between them are shut down, "
       "the inverse of the start-up order is applied.\"",
       {plain("a.service"), plain("b.service").add(kAfter, {"a.service"}),
        plain("c.service").add(kAfter, {"b.service"})},
       {{"a.service", kActive}, {"b.service", kActive}, {"c.service", kActive}},
       request(RequestType::Stop, {"a.service", "b.service", "c.service"}),
       {"a.service/stop", "b.service/stop", "c.service/stop"},
       {{"c.service/stop", "b.service/stop"}, {"b.service/stop", "a.service/stop"}}},
      {"Starting many units keeps their order and nothing else",
       "systemd.unit(5), Before=/After=: \"If two units have no ordering dependencies between them, they are shut "
       "down or started up simultaneously\"",
       {plain("a.service"), plain("b.service").add(kAfter, {"a.service"}), plain("c.service")},
       {},
       request(RequestType::Start, {"a.service", "b.service", "c.service"}),
       {"a.service/start", "b.service/start", "c.service/start"},
       {{"a.service/start", "b.service/start"}},
       {{"a.service/start", "c.service/start"}, {"b.service/start", "c.service/start"}}},

      // --- default dependencies, targets -------------------------------
      {"DefaultDependencies=yes for a service: sysinit.target first, shutdown.target not running is left alone",
       "systemd.service(5), Default Dependencies: \"Service units will have dependencies of type Requires= and "
       "After= on sysinit.target, a dependency of type After= on basic.target as well as dependencies of type "
       "Conflicts= and Before= on shutdown.target.\"",
       {with_defaults("web.service")},
       {},
       request(RequestType::Start, {"web.service"}),
       {"web.service/start", "sysinit.target/start"},
       {{"sysinit.target/start", "web.service/start"}}},
      {"DefaultDependencies=yes for a service: starting shutdown.target stops it first",
       "systemd.service(5), Default Dependencies: \"are terminated cleanly prior to system shutdown\"",
       {with_defaults("web.service")},
       {{"web.service", kActive}},
       request(RequestType::Start, {"shutdown.target"}),
       {"shutdown.target/start", "web.service/stop"},
       {{"web.service/stop", "shutdown.target/start"}}},
      {"DefaultDependencies=no for a service: nothing is added",
       "systemd.unit(5), DefaultDependencies=: \"If set to no, this option does not disable all implicit "
       "dependencies, just non-essential ones.\"",
       {plain("web.service")},
       {},
       request(RequestType::Start, {"web.service"}),
       {"web.service/start"}},
      {"A target pulls in its Wants= (an enabled unit's .wants/ link) and is ordered after them",
       "systemd.target(5), Default Dependencies: \"Target units will automatically complement all configured "
       "dependencies of type Wants= or Requires= with dependencies of type After=\"",
       {with_state(plain("multi-user.target"), LoadState::NotFound).add(kWants, {"a.service", "b.service"}),
        with_defaults("a.service"), with_defaults("b.service")},
       {},
       request(RequestType::Start, {"multi-user.target"}),
       {"multi-user.target/start", "basic.target/start", "sysinit.target/start", "a.service/start", "b.service/start"},
       {{"sysinit.target/start", "basic.target/start"},
        {"basic.target/start", "multi-user.target/start"},
        {"basic.target/start", "a.service/start"},
        {"a.service/start", "multi-user.target/start"},
        {"b.service/start", "multi-user.target/start"}},
       {{"a.service/start", "b.service/start"}}},
      {"default.target is multi-user.target",
       "systemd.special(7), default.target: \"Usually, this should be aliased (symlinked) to multi-user.target\"",
       {with_defaults("a.service")},
       {},
       request(RequestType::Start, {"default.target"}),
       {"multi-user.target/start", "basic.target/start", "sysinit.target/start"},
       {{"basic.target/start", "multi-user.target/start"}}},
      {"A target's default After= yields to an explicit Before= the other way",
       "systemd.unit(5), Default Dependencies: \"it can be selectively overridden via an explicit Before= "
       "dependency\"",
       {with_defaults("t.target").add(kWants, {"a.service"}), with_defaults("a.service").add(kAfter, {"t.target"})},
       {},
       request(RequestType::Start, {"t.target"}),
       {"t.target/start", "a.service/start", "sysinit.target/start"},
       {{"t.target/start", "a.service/start"}}},
      {"A target does not order itself after a unit with DefaultDependencies=no",
       "systemd.target(5): \"unless DefaultDependencies=no is set in the specified units\"",
       {with_defaults("t.target").add(kWants, {"a.service"}), plain("a.service")},
       {},
       request(RequestType::Start, {"t.target"}),
       {"t.target/start", "a.service/start"},
       {},
       {{"t.target/start", "a.service/start"}}},
      {"Wants= on a target from a service gives no ordering",
       "systemd.target(5): \"Wants= or Requires= must be defined in the target unit itself - if you for example "
       "define Wants=some.target in some.service, the automatic ordering will not be added.\"",
       {with_defaults("some.service").add(kWants, {"some.target"}), with_defaults("some.target")},
       {},
       request(RequestType::Start, {"some.service"}),
       {"some.service/start", "some.target/start", "sysinit.target/start"},
       {},
       {{"some.service/start", "some.target/start"}}},

      // --- ordering cycles ---------------------------------------------
      {"An ordering cycle of wanted jobs is broken by deleting one, with systemd's warning",
       "systemd's transaction.c: \"Job %s/%s deleted to break ordering cycle starting with %s/%s\"",
       {plain("t.target").add(kWants, {"a.service", "b.service"}), plain("a.service").add(kAfter, {"b.service"}),
        plain("b.service").add(kAfter, {"a.service"})},
       {},
       request(RequestType::Start, {"t.target"}),
       {"t.target/start", "a.service/start"},
       {},
       {},
       {},
       {},
       {"Job b.service/start deleted to break ordering cycle starting with a.service/start"}},
      {"A cycle through required and wanted jobs loses the wanted one",
       "systemd's transaction.c: only a job that does not matter to the requested one may be deleted",
       {plain("a.service").add(kRequires, {"b.service"}).add(kWants, {"c.service"}).add(kAfter, {"b.service"}),
        plain("b.service").add(kAfter, {"c.service"}), plain("c.service").add(kAfter, {"a.service"})},
       {},
       request(RequestType::Start, {"a.service"}),
       {"a.service/start", "b.service/start"},
       {{"b.service/start", "a.service/start"}},
       {},
       {},
       {},
       {"Job c.service/start deleted to break ordering cycle",
        "a.service/start → c.service/start → b.service/start → a.service/start"}},
      {"An ordering cycle of required jobs fails the transaction, naming the cycle in order",
       "systemd's transaction.c: \"Transaction order is cyclic\", \"Unable to break cycle starting with %s/%s\"",
       {plain("a.service").add(kRequires, {"b.service"}).add(kAfter, {"b.service"}),
        plain("b.service").add(kRequires, {"c.service"}).add(kAfter, {"c.service"}),
        plain("c.service").add(kAfter, {"a.service"})},
       {},
       request(RequestType::Start, {"a.service"}),
       {},
       {},
       {},
       {},
       {},
       {},
       "Transaction order is cyclic: a.service/start → c.service/start → b.service/start → a.service/start"},
  };
  return c;
}

}  // namespace

TEST_CASE("transaction: systemd's documented cases", "[transaction]") {
  for (const Case& c : cases()) {
    INFO(c.name << "\n  (" << c.cites << ")");
    Result<DependencyGraph> graph = DependencyGraph::build(c.units);
    REQUIRE(graph.ok());
    Result<Transaction> built = build_transaction(*graph, c.states, c.request);
    if (!c.error.empty()) {
      REQUIRE_FALSE(built.ok());
      INFO("error: " << built.error().message());
      CHECK(built.error().message().find(c.error) != std::string::npos);
      continue;
    }
    if (!built.ok()) FAIL("build failed: " << built.error().message());
    const Transaction& t = *built;
    INFO("notes:" << joined(t.notes) << "\nwarnings:" << joined(t.warnings));
    CHECK(job_names(t) == c.jobs);
    for (const auto& [first, second] : c.ordered) {
      INFO(first << " before " << second);
      CHECK(waits_for(t, id_of(t, second), id_of(t, first)));
      CHECK_FALSE(waits_for(t, id_of(t, first), id_of(t, second)));
    }
    for (const auto& [x, y] : c.unordered) {
      INFO(x << " and " << y << " at once");
      CHECK_FALSE(waits_for(t, id_of(t, x), id_of(t, y)));
      CHECK_FALSE(waits_for(t, id_of(t, y), id_of(t, x)));
    }
    std::map<std::string, std::string> failed;
    for (const JobFailure& f : t.failed) failed[f.unit + "/" + to_string(f.type)] = f.message;
    CHECK(failed.size() == c.failed.size());
    for (const auto& [job, part] : c.failed) {
      INFO(job << " fails with: " << part << " (got: " << failed[job] << ")");
      CHECK(failed[job].find(part) != std::string::npos);
    }
    for (const std::string& part : c.notes) {
      INFO("note: " << part);
      CHECK(contains(t.notes, part));
    }
    for (const std::string& part : c.warnings) {
      INFO("warning: " << part);
      CHECK(contains(t.warnings, part));
    }
    if (c.warnings.empty()) CHECK(t.warnings.empty());
    if (c.results.empty() && c.follow_ups.empty()) continue;
    Run r = run(*graph, t, c.states, c.outcomes, c.ends_inactive);
    for (const auto& [job, result] : c.results) {
      INFO("result of " << job);
      CHECK(r.results[job] == result);
    }
    for (const auto& [job, part] : c.messages) {
      INFO("message of " << job << ": " << r.messages[job]);
      CHECK(r.messages[job].find(part) != std::string::npos);
    }
    CHECK(r.follow_ups == c.follow_ups);
  }
}

// --- Run time: state changes -------------------------------------------------

namespace {

struct StateCase {
  const char* name;
  const char* cites;
  std::vector<UnitSpec> units;
  UnitStates now;  // after the change
  std::unordered_set<std::string> with_jobs;
  StateChange change;
  std::vector<std::string> follow_ups;  // exactly these, "start x" / "stop y"
};

StateChange change(std::string unit, ActiveState from, ActiveState to, bool by_job = false) {
  StateChange c;
  c.unit = std::move(unit);
  c.from = from;
  c.to = to;
  c.by_job = by_job;
  return c;
}

const std::vector<StateCase>& state_cases() {
  static const std::vector<StateCase> c = {
      {"OnFailure=: a unit that fails starts its OnFailure= units",
       "systemd.unit(5), OnFailure=: \"units that are activated when this unit enters the \"failed\" state\"",
       {plain("a.service").add(kOnFailure, {"alert.service"}), plain("alert.service")},
       {{"a.service", kFailed}},
       {},
       change("a.service", kActive, kFailed),
       {"start alert.service"}},
      {"OnFailure=: not while Restart= brings the unit back",
       "systemd's unit_notify(): OnFailure= is not triggered when the unit will auto-restart",
       {plain("a.service").add(kOnFailure, {"alert.service"}), plain("alert.service")},
       {{"a.service", kFailed}},
       {},
       [] {
         StateChange restarting = change("a.service", kActive, kFailed);
         restarting.will_auto_restart = true;
         return restarting;
       }(),
       {}},
      {"OnSuccess=: a unit that ends cleanly starts its OnSuccess= units",
       "systemd.unit(5), OnSuccess=: \"units that are activated when this unit enters the \"inactive\" state\"",
       {plain("a.service").add(kOnSuccess, {"next.service"}), plain("next.service")},
       {},
       {},
       change("a.service", kActive, kInactive),
       {"start next.service"}},
      {"OnSuccess=: not from the failed state",
       "systemd's unit_notify(): OnSuccess= only when the unit was not failed or inactive before",
       {plain("a.service").add(kOnSuccess, {"next.service"}), plain("next.service")},
       {},
       {},
       change("a.service", kFailed, kInactive),
       {}},
      {"BindsTo=: a unit bound to one that stops on its own is stopped too",
       "systemd.unit(5), BindsTo=: \"a unit bound to another unit that suddenly enters inactive state will be "
       "stopped too\"",
       {plain("web.service").add(kBindsTo, {"db.service"}), plain("db.service")},
       {{"web.service", kActive}},
       {},
       change("db.service", kActive, kFailed),
       {"stop web.service"}},
      {"Requires=: a unit that stops on its own does not stop the units that require it",
       "systemd.unit(5), Requires=: \"some unit types may deactivate on their own ... which is not propagated to "
       "units having a Requires= dependency\"",
       {plain("web.service").add(kRequires, {"db.service"}), plain("db.service")},
       {{"web.service", kActive}},
       {},
       change("db.service", kActive, kInactive),
       {}},
      {"StopWhenUnneeded=: a helper nobody needs any more is stopped",
       "systemd.unit(5), StopWhenUnneeded=: \"this unit will be automatically cleaned up if no other active unit "
       "requires it\"",
       {plain("web.service").add(kRequires, {"helper.service"}), unneeded(plain("helper.service"))},
       {{"helper.service", kActive}},
       {},
       change("web.service", kActive, kInactive, true),
       {"stop helper.service"}},
      {"StopWhenUnneeded=: kept while another active unit wants it",
       "systemd.unit(5), StopWhenUnneeded= (as above): \"if no other active unit requires it\"",
       {plain("web.service").add(kRequires, {"helper.service"}), plain("api.service").add(kWants, {"helper.service"}),
        unneeded(plain("helper.service"))},
       {{"helper.service", kActive}, {"api.service", kActive}},
       {},
       change("web.service", kActive, kInactive, true),
       {}},
      {"StopWhenUnneeded=: kept while a unit that needs it has a job",
       "systemd's unit_is_unneeded(): \"If a dependent unit has a job queued ... then don't clean this one up\"",
       {plain("web.service").add(kRequires, {"helper.service"}), plain("api.service").add(kWants, {"helper.service"}),
        unneeded(plain("helper.service"))},
       {{"helper.service", kActive}},
       {"api.service"},
       change("web.service", kActive, kInactive, true),
       {}},
      {"StopWhenUnneeded=: a unit started by itself with nobody needing it stops again",
       "systemd's unit_notify(): \"Maybe we finished startup and are now ready for being stopped because "
       "unneeded?\"",
       {unneeded(plain("helper.service"))},
       {{"helper.service", kActive}},
       {},
       change("helper.service", kInactive, kActive, true),
       {"stop helper.service"}},
      {"StopWhenUnneeded=: kept while an active target wants it (an enabled unit's .wants/ link)",
       "systemd.unit(5), StopWhenUnneeded=: Wants= counts as needing it (systemd's unit_is_unneeded())",
       {plain("web.service").add(kRequires, {"helper.service"}),
        plain("multi-user.target").add(kWants, {"helper.service"}), unneeded(plain("helper.service"))},
       {{"helper.service", kActive}, {"multi-user.target", kActive}},
       {},
       change("web.service", kActive, kInactive, true),
       {}},
      {"StopWhenUnneeded=: a unit that was Requisite=, BindsTo= or Upholds= of the stopped one is stopped too",
       "systemd's check_unneeded_dependencies(): the atom UNIT_ATOM_ADD_STOP_WHEN_UNNEEDED_QUEUE of Requires=, "
       "Requisite=, Wants=, BindsTo= and Upholds=",
       {plain("web.service")
            .add(kRequisite, {"a.service"})
            .add(kBindsTo, {"b.service"})
            .add(kUpholds, {"c.service"})
            .add(kConflicts, {"d.service"}),
        unneeded(plain("a.service")), unneeded(plain("b.service")), unneeded(plain("c.service")),
        unneeded(plain("d.service"))},
       {{"a.service", kActive}, {"b.service", kActive}, {"c.service", kActive}, {"d.service", kActive}},
       {},
       change("web.service", kActive, kFailed),
       {"stop a.service", "stop b.service", "stop c.service"}},
      {"StopWhenUnneeded=: not a unit that is still starting",
       "systemd's unit_is_unneeded(): \"if (!UNIT_IS_ACTIVE_OR_RELOADING(unit_active_state(u)))\" (only active "
       "units are cleaned up)",
       {plain("web.service").add(kRequires, {"helper.service"}), unneeded(plain("helper.service"))},
       {{"helper.service", kActivating}},
       {},
       change("web.service", kActive, kInactive, true),
       {}},
      {"Upholds=: an upheld unit stopped by a job is started again",
       "systemd.unit(5), Upholds=: \"started whenever found to be inactive or failed, and no job is queued for "
       "them\" (the stop job is over)",
       {plain("keeper.service").add(kUpholds, {"db.service"}), plain("db.service")},
       {{"keeper.service", kActive}},
       {},
       change("db.service", kActive, kInactive, true),
       {"start db.service"}},
      {"PropagatesStopTo=: a unit that goes down on its own stops the listed units",
       "systemd's unit_notify(): retroactively_stop_dependencies(), UNIT_ATOM_RETROACTIVE_STOP_ON_STOP of "
       "PropagatesStopTo=",
       {plain("a.service").add(kPropagatesStopTo, {"b.service"}), plain("b.service"),
        plain("c.service").add(kStopPropagatedFrom, {"a.service"})},
       {{"b.service", kActive}, {"c.service", kActive}},
       {},
       change("a.service", kActive, kFailed),
       {"stop b.service", "stop c.service"}},
      {"Upholds=: an upheld unit that stops is started again",
       "systemd.unit(5), Upholds=: \"as long as this unit is up, all units listed in Upholds= are started whenever "
       "found to be inactive or failed\"",
       {plain("keeper.service").add(kUpholds, {"db.service"}), plain("db.service")},
       {{"keeper.service", kActive}, {"db.service", kFailed}},
       {},
       change("db.service", kActive, kFailed),
       {"start db.service"}},
      {"Upholds=: an upholding unit that comes up starts what it upholds",
       "systemd.unit(5), Upholds= (as above)",
       {plain("keeper.service").add(kUpholds, {"db.service"}), plain("db.service")},
       {{"keeper.service", kActive}},
       {},
       change("keeper.service", kInactive, kActive, true),
       {"start db.service"}},
      {"Upholds=: not while the upheld unit has a job",
       "systemd.unit(5), Upholds=: \"and no job is queued for them\"",
       {plain("keeper.service").add(kUpholds, {"db.service"}), plain("db.service")},
       {{"keeper.service", kActive}},
       {"db.service"},
       change("db.service", kActive, kInactive),
       {}},
      {"Upholds=: not once the upholding unit is down",
       "systemd.unit(5), Upholds=: \"as long as this unit is up\"",
       {plain("keeper.service").add(kUpholds, {"db.service"}), plain("db.service")},
       {},
       {},
       change("db.service", kActive, kInactive),
       {}},
      {"A unit started outside the manager pulls in what it requires and stops what it conflicts with",
       "systemd's retroactively_start_dependencies(): Requires=/BindsTo= with mode replace, Wants= with mode fail, "
       "Conflicts= stopped; not what it is ordered after",
       {plain("a.service")
            .add(kRequires, {"b.service"})
            .add(kWants, {"c.service", "d.service"})
            .add(kAfter, {"d.service"})
            .add(kConflicts, {"e.service"}),
        plain("b.service"), plain("c.service"), plain("d.service"), plain("e.service")},
       {{"a.service", kActive}, {"e.service", kActive}},
       {},
       change("a.service", kInactive, kActive),
       {"start b.service", "start c.service", "stop e.service"}},
  };
  return c;
}

}  // namespace

TEST_CASE("after_state_change: systemd's documented run-time rules", "[transaction][job_outcome]") {
  for (const StateCase& c : state_cases()) {
    INFO(c.name << "\n  (" << c.cites << ")");
    Result<DependencyGraph> graph = DependencyGraph::build(c.units);
    REQUIRE(graph.ok());
    std::vector<FollowUp> f = after_state_change(*graph, c.now, c.with_jobs, c.change);
    std::vector<std::string> got;
    for (const FollowUp& u : f) {
      got.push_back(std::string(to_string(u.type)) + " " + u.unit);
      CHECK_FALSE(u.reason.empty());
    }
    CHECK(got == c.follow_ups);
  }
}

TEST_CASE("after_state_change: each follow-up names the rule that asked for it", "[transaction][job_outcome]") {
  Result<DependencyGraph> g = DependencyGraph::build(
      {plain("web.service")
           .add(kRequires, {"helper.service"})
           .add(kOnFailure, {"alarm.service"})
           .add(kWants, {"x.service"}),
       unneeded(plain("helper.service")), plain("alarm.service"), plain("bound.service").add(kBindsTo, {"web.service"}),
       plain("keeper.service").add(kUpholds, {"web.service"}), plain("x.service")});
  REQUIRE(g.ok());
  UnitStates now = {{"helper.service", kActive}, {"bound.service", kActive}, {"keeper.service", kActive}};
  std::vector<FollowUp> f = after_state_change(*g, now, {}, change("web.service", kActive, kFailed));
  std::vector<std::string> got;
  for (const FollowUp& u : f) got.push_back(std::string(to_string(u.cause)) + " " + to_string(u.type) + " " + u.unit);
  CHECK(got == std::vector<std::string>{"BindsTo= stop bound.service", "OnFailure= start alarm.service",
                                        "StopWhenUnneeded= stop helper.service", "Upholds= start web.service"});
}

TEST_CASE("after_state_change: Wants= pulled in retroactively uses job mode fail, and the reasons name the edge",
          "[transaction][job_outcome]") {
  Result<DependencyGraph> g = DependencyGraph::build(
      {plain("a.service").add(kRequires, {"b.service"}).add(kWants, {"c.service"}), plain("b.service"),
       plain("c.service"), plain("web.service").add(kBindsTo, {"db.service"}), plain("db.service")});
  REQUIRE(g.ok());
  std::vector<FollowUp> f =
      after_state_change(*g, {{"a.service", kActive}}, {}, change("a.service", kInactive, kActive));
  REQUIRE(f.size() == 2);
  CHECK(f[0].mode == JobMode::Replace);
  CHECK(f[0].reason == "a.service requires b.service, and a.service became active");
  CHECK(f[1].mode == JobMode::Fail);
  std::vector<FollowUp> s =
      after_state_change(*g, {{"web.service", kActive}}, {}, change("db.service", kActive, kInactive));
  REQUIRE(s.size() == 1);
  CHECK(s[0].reason == "web.service binds to db.service, and db.service became inactive");
}

TEST_CASE("verify_active_result: done when active, skipped when not, waits while activating",
          "[transaction][job_outcome]") {
  CHECK(verify_active_result(ActiveState::Active) == JobResult::Done);
  CHECK(verify_active_result(ActiveState::Reloading) == JobResult::Done);
  CHECK_FALSE(verify_active_result(ActiveState::Activating).has_value());
  CHECK(verify_active_result(ActiveState::Inactive) == JobResult::Skipped);
  CHECK(verify_active_result(ActiveState::Failed) == JobResult::Skipped);
  CHECK(verify_active_result(ActiveState::Deactivating) == JobResult::Skipped);
}

// --- Job types -----------------------------------------------------------------

TEST_CASE("job types merge as systemd's table says", "[transaction][job_type]") {
  // job.c's job_merging_table, every pair of the five.
  using T = JobType;
  struct Row {
    T a, b;
    std::optional<T> merged;
  };
  const std::vector<Row> rows = {
      {T::Start, T::Start, T::Start},
      {T::Start, T::VerifyActive, T::Start},
      {T::Start, T::Stop, std::nullopt},
      {T::Start, T::Reload, T::ReloadOrStart},
      {T::Start, T::Restart, T::Restart},
      {T::VerifyActive, T::Stop, std::nullopt},
      {T::VerifyActive, T::Reload, T::Reload},
      {T::VerifyActive, T::Restart, T::Restart},
      {T::Stop, T::Stop, T::Stop},
      {T::Stop, T::Reload, std::nullopt},
      {T::Stop, T::Restart, std::nullopt},
      {T::Reload, T::Restart, T::Restart},
  };
  for (const Row& r : rows) {
    INFO(to_string(r.a) << " + " << to_string(r.b));
    CHECK(merge(r.a, r.b) == r.merged);
    CHECK(merge(r.b, r.a) == r.merged);
  }
  CHECK(merge_and_collapse(T::Start, T::Reload, ActiveState::Active) == T::Reload);
  CHECK(merge_and_collapse(T::Start, T::Reload, ActiveState::Inactive) == T::Start);
  CHECK(collapse(T::TryRestart, ActiveState::Activating) == T::Restart);
  CHECK(collapse(T::TryRestart, ActiveState::Failed) == T::Nop);
  CHECK(collapse(T::TryReload, ActiveState::Reloading) == T::Reload);
  CHECK(collapse(T::TryReload, ActiveState::Activating) == T::Nop);
  CHECK(is_redundant(T::Start, ActiveState::Active));
  CHECK_FALSE(is_redundant(T::Start, ActiveState::Activating));
  CHECK(is_redundant(T::Stop, ActiveState::Failed));
  CHECK_FALSE(is_redundant(T::Restart, ActiveState::Active));
}

// --- Scale -----------------------------------------------------------------

TEST_CASE("200 independent units started in one request form one parallel layer", "[transaction][scale]") {
  std::vector<UnitSpec> units;
  std::vector<std::string> names_;
  for (int i = 0; i < 200; ++i) {
    names_.push_back("u" + std::to_string(i) + ".service");
    units.push_back(with_defaults(names_.back()));
  }
  Result<DependencyGraph> g = DependencyGraph::build(units);
  REQUIRE(g.ok());
  // sysinit.target has been reached (the manager booted): nothing else to do.
  UnitStates booted = {{"sysinit.target", kActive}};
  Result<Transaction> t = build_transaction(*g, booted, request(RequestType::Start, names_));
  REQUIRE(t.ok());
  CHECK(t->jobs.size() == 200);
  std::vector<std::vector<JobId>> layers = parallel_layers(*t);
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].size() == 200);
  std::vector<JobState> states(200, JobState::Waiting);
  CHECK(runnable_jobs(*t, states).size() == 200);

  // Before boot, sysinit.target starts first, then all 200 at once.
  Result<Transaction> cold = build_transaction(*g, {}, request(RequestType::Start, names_));
  REQUIRE(cold.ok());
  std::vector<std::vector<JobId>> cold_layers = parallel_layers(*cold);
  REQUIRE(cold_layers.size() == 2);
  CHECK(cold_layers[0].size() == 1);
  CHECK(cold->jobs[cold_layers[0][0]].unit == "sysinit.target");
  CHECK(cold_layers[1].size() == 200);
}

TEST_CASE("runnable_jobs follows the ready_after lists", "[transaction]") {
  Result<DependencyGraph> g = DependencyGraph::build({plain("a.service"), plain("b.service").add(kAfter, {"a.service"}),
                                                      plain("c.service").add(kAfter, {"a.service"}),
                                                      plain("d.service").add(kAfter, {"b.service", "c.service"})});
  REQUIRE(g.ok());
  Result<Transaction> t =
      build_transaction(*g, {}, request(RequestType::Start, {"d.service", "c.service", "b.service", "a.service"}));
  REQUIRE(t.ok());
  JobId a = id_of(*t, "a.service/start"), b = id_of(*t, "b.service/start"), c = id_of(*t, "c.service/start"),
        d = id_of(*t, "d.service/start");
  std::vector<JobState> s(4, JobState::Waiting);
  CHECK(runnable_jobs(*t, s) == std::vector<JobId>{a});
  s[a] = JobState::Running;
  CHECK(runnable_jobs(*t, s).empty());
  s[a] = JobState::Finished;
  std::vector<JobId> next = runnable_jobs(*t, s);
  std::sort(next.begin(), next.end());
  std::vector<JobId> bc = {b, c};
  std::sort(bc.begin(), bc.end());
  CHECK(next == bc);
  s[b] = JobState::Finished;
  CHECK(runnable_jobs(*t, s) == std::vector<JobId>{c});
  s[c] = JobState::Finished;
  CHECK(runnable_jobs(*t, s) == std::vector<JobId>{d});
  // Every job comes after the jobs it waits for.
  for (JobId id = 0; id < t->jobs.size(); ++id)
    for (JobId before : t->jobs[id].ready_after) CHECK(before < id);
  CHECK(parallel_layers(*t).size() == 3);
}

TEST_CASE("1,000 units: a chain and a fan-out under multi-user.target", "[transaction][scale]") {
  // 500 services in a chain (each Requires= and After= the one before) and
  // 500 that each require the chain's end; multi-user.target wants them
  // all, as 1,000 enabled units would. The timing is in bench/.
  std::vector<UnitSpec> units;
  UnitSpec target = with_state(plain("multi-user.target"), LoadState::NotFound);
  std::vector<std::string> wanted;
  for (int i = 0; i < 1000; ++i) {
    std::string name = "s" + std::to_string(i) + ".service";
    UnitSpec u = with_defaults(name);
    if (i > 0 && i < 500) {
      std::string previous = "s" + std::to_string(i - 1) + ".service";
      u.add(kRequires, {previous}).add(kAfter, {previous});
    } else if (i >= 500) {
      u.add(kRequires, {"s499.service"}).add(kAfter, {"s499.service"});
    }
    units.push_back(u);
    target.dependencies[kWants].push_back(name);
  }
  units.push_back(target);
  Result<DependencyGraph> g = DependencyGraph::build(units);
  REQUIRE(g.ok());
  Result<Transaction> t = build_transaction(*g, {}, request(RequestType::Start, {"multi-user.target"}));
  REQUIRE(t.ok());
  CHECK(t->failed.empty());
  CHECK(t->warnings.empty());
  CHECK(t->jobs.size() == 1003);  // the services, multi-user, basic and sysinit targets
  std::vector<std::vector<JobId>> layers = parallel_layers(*t);
  // sysinit, basic, the 500 of the chain, the 500 of the fan-out at once,
  // then multi-user.target.
  REQUIRE(layers.size() == 504);
  CHECK(layers[502].size() == 500);
  CHECK(t->jobs[layers[503][0]].unit == "multi-user.target");

  // Stopping the chain's first unit stops everything that requires it,
  // the fan-out first, the chain backwards.
  UnitStates running;
  for (const UnitSpec& u : units) running.set(u.name, kActive);
  running.set("sysinit.target", kActive);
  running.set("basic.target", kActive);
  Result<Transaction> stop = build_transaction(*g, running, request(RequestType::Stop, {"s0.service"}));
  REQUIRE(stop.ok());
  CHECK(stop->jobs.size() == 1000);
  CHECK(waits_for(*stop, id_of(*stop, "s0.service/stop"), id_of(*stop, "s1.service/stop")));
  CHECK(waits_for(*stop, id_of(*stop, "s499.service/stop"), id_of(*stop, "s999.service/stop")));
}
