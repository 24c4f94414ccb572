#include "manager/transaction.h"

#include <algorithm>
#include <deque>
#include <unordered_set>
#include <utility>

namespace unitrun::manager {
namespace {

constexpr int kNoJob = -1;

// "subject pulled object in": systemd's JobDependency. `via` is the kind on
// the subject's unit that names the object's unit.
struct Link {
  int subject = kNoJob;
  int object = kNoJob;
  Dependency via = Dependency::Requires;
  bool matters = false;    // the subject cannot do without the object
  bool conflicts = false;  // a stop pulled in by Conflicts= of the subject
  bool alive = true;
};

struct PendingJob {
  UnitId unit = 0;
  JobType type = JobType::Start;
  bool anchor = false;   // requested
  bool matters = false;  // reachable from a requested job over links that matter
  bool alive = true;
  std::vector<int> out;  // links this job is the subject of
  std::vector<int> in;   // links this job is the object of
  // Set while the jobs are added, when something this job cannot do without
  // cannot be added; the job then fails with it.
  std::string failure;
};

// A job as the runner sees it: a restart is split in two.
struct PlanNode {
  int job = kNoJob;
  JobType type = JobType::Start;
  bool restart = false;
};

std::string job_name(const std::string& unit, JobType type) { return unit + "/" + to_string(type); }

class Builder {
 public:
  Builder(const DependencyGraph& graph, const UnitStates& states, const Request& request)
      : g_(graph), request_(request), state_(graph.size(), ActiveState::Inactive), jobs_of_unit_(graph.size()) {
    for (const auto& [name, state] : states.all())
      if (std::optional<UnitId> id = graph.find(name)) state_[*id] = state;
  }

  Result<Transaction> build() {
    add_requested_jobs();
    while (!to_expand_.empty()) {
      int job = to_expand_.front();
      to_expand_.pop_front();
      expand(job);
    }
    // The order of these steps is systemd's transaction_activate(), except
    // that ordering is checked after merging (see order_jobs()).
    fail_jobs_that_cannot_be_added();
    mark_jobs_that_matter();
    if (request_.mode == JobMode::Fail) minimize_impact();
    drop_redundant_jobs();
    collect_garbage();
    Status merged = merge_jobs();
    if (!merged) return merged.error();
    drop_redundant_jobs();
    Status ordered = order_jobs();
    if (!ordered) return ordered.error();
    return std::move(out_);
  }

 private:
  enum class Added { Yes, Unloadable, NotApplicable };

  std::string unit_name(UnitId id) const { return g_.name(id); }
  std::string name_of(int job) const { return job_name(unit_name(jobs_[job].unit), jobs_[job].type); }

  void note(std::string text) {
    if (seen_notes_.insert(text).second) out_.notes.push_back(std::move(text));
  }

  static bool applicable(const UnitNode& unit, JobType type) {
    // systemd's unit_job_is_applicable(): every unit can be started, checked
    // and stopped (and so restarted); only some can reload.
    return type != JobType::Reload || unit.can_reload;
  }

  int find_job(UnitId unit, JobType type) const {
    for (int j : jobs_of_unit_[unit])
      if (jobs_[j].type == type) return j;
    return kNoJob;
  }

  // systemd's transaction_add_job_and_dependencies(), without the
  // recursion: a new job is queued for expand().
  Added add(JobType type, UnitId unit, int subject, Dependency via, bool matters, bool conflicts) {
    const UnitNode& node = g_.unit(unit);
    // A unit with no file can still be stopped (it may run from a file
    // since deleted); nothing else.
    if (type != JobType::Stop && !node.loaded()) return Added::Unloadable;
    if (!applicable(node, type)) return Added::NotApplicable;
    int job = find_job(unit, type);
    if (job == kNoJob) {
      job = static_cast<int>(jobs_.size());
      PendingJob pending;
      pending.unit = unit;
      pending.type = type;
      jobs_.push_back(std::move(pending));
      jobs_of_unit_[unit].push_back(job);
      to_expand_.push_back(job);
    }
    if (subject == kNoJob) {
      jobs_[job].anchor = true;
    } else {
      int link = static_cast<int>(links_.size());
      links_.push_back(Link{subject, job, via, matters, conflicts, true});
      jobs_[subject].out.push_back(link);
      jobs_[job].in.push_back(link);
    }
    return Added::Yes;
  }

  void add_requested_jobs() {
    for (const std::string& name : request_.units) {
      std::optional<UnitId> found = g_.find(name);
      JobType asked = requested_type(request_.type);
      if (!found) {
        fail_request(name, asked, "Unit " + name + " not found.");
        continue;
      }
      UnitId id = *found;
      const UnitNode& node = g_.unit(id);
      ActiveState state = state_[id];
      if (!node.loaded() && asked != JobType::Stop) {
        // Even a try-restart that would do nothing: systemd checks the
        // unit before it looks at its state.
        fail_request(node.name, asked, unloadable_message(node));
        continue;
      }
      if (!node.loaded() && is_inactive_or_failed(state)) {
        // systemd refuses this stop in the D-Bus call: nothing to stop, and
        // no file to say what the unit would be.
        fail_request(node.name, asked, "Unit " + node.name + " not loaded.");
        continue;
      }
      std::optional<JobType> type = anchor_type(node, state);
      if (!type) continue;
      if (*type == JobType::Reload && node.loaded() && node.can_reload && !is_active_or_reloading(state)) {
        fail_request(node.name, *type, "Unit " + node.name + " is not active, cannot reload.");
        continue;
      }
      switch (add(*type, id, kNoJob, Dependency::Requires, true, false)) {
        case Added::Yes:
          break;
        case Added::Unloadable:
          fail_request(node.name, *type, unloadable_message(node));
          break;
        case Added::NotApplicable:
          fail_request(node.name, *type,
                       std::string("Job type ") + to_string(*type) + " is not applicable for unit " + node.name + ".");
          break;
      }
    }
  }

  static JobType requested_type(RequestType type) {
    switch (type) {
      case RequestType::Start:
        return JobType::Start;
      case RequestType::Stop:
        return JobType::Stop;
      case RequestType::Restart:
      case RequestType::ReloadOrRestart:
        return JobType::Restart;
      case RequestType::TryRestart:
      case RequestType::TryReloadOrRestart:
        return JobType::TryRestart;
      case RequestType::Reload:
        return JobType::Reload;
    }
    return JobType::Start;
  }

  // The request's verb as a job type for this unit, collapsed by its state
  // (systemd's bus_unit_method_start_generic() with reload_if_possible,
  // then job_type_collapse()); nullopt, with a note, when there is nothing
  // to do.
  std::optional<JobType> anchor_type(const UnitNode& node, ActiveState state) {
    JobType type = requested_type(request_.type);
    bool reload_if_possible =
        request_.type == RequestType::ReloadOrRestart || request_.type == RequestType::TryReloadOrRestart;
    if (reload_if_possible && node.can_reload)
      type = type == JobType::Restart ? JobType::ReloadOrStart : JobType::TryReload;
    JobType collapsed = collapse(type, state);
    if (collapsed == JobType::Nop) {
      note(node.name + " is not active: " + to_string(request_.type) + " does nothing");
      return std::nullopt;
    }
    return collapsed;
  }

  static std::string unloadable_message(const UnitNode& node) {
    if (node.load_state == LoadState::Masked) return "Unit " + node.name + " is masked.";
    return "Unit " + node.name + " not found.";
  }

  void fail_request(const std::string& unit, JobType type, std::string message) {
    out_.failed.push_back(JobFailure{unit, type, true, std::move(message)});
  }

  // The units a job pulls in, by systemd's dependency atoms (the v252 table
  // in src/core/unit-dependency-atom.c, summarised in docs/dependencies.md).
  void expand(int job) {
    UnitId unit = jobs_[job].unit;
    JobType type = jobs_[job].type;
    const UnitNode& node = g_.unit(unit);
    if (type == JobType::Start || type == JobType::Restart) {
      // systemd.unit(5), Requires=: "If this unit gets activated, the units
      // listed will be activated as well." BindsTo= is "very similar in
      // style to Requires=".
      for (Dependency kind : {Dependency::Requires, Dependency::BindsTo})
        for (UnitId other : node[kind]) pull(job, JobType::Start, other, kind, true, false);
      // Wants=: "if the listed units fail to start or cannot be added to the
      // transaction, this has no impact on the validity of the transaction";
      // Upholds= is "similar to Wants=".
      for (Dependency kind : {Dependency::Wants, Dependency::Upholds})
        for (UnitId other : node[kind]) pull(job, JobType::Start, other, kind, false, false);
      // Requisite=: "if the units listed here are not started already, they
      // will not be started and the starting of this unit will fail".
      for (UnitId other : node[Dependency::Requisite])
        pull(job, JobType::VerifyActive, other, Dependency::Requisite, true, false);
      // Conflicts=: "starting the former will stop the latter and vice
      // versa"; only the unit that names the conflict requires the stop.
      for (UnitId other : node[Dependency::Conflicts])
        pull(job, JobType::Stop, other, Dependency::Conflicts, true, true);
      for (UnitId other : node[Dependency::ConflictedBy])
        pull(job, JobType::Stop, other, Dependency::ConflictedBy, false, false);
    }
    if (type == JobType::Stop || type == JobType::Restart) {
      // Requires=: "this unit will be stopped (or restarted) if one of the
      // other units is explicitly stopped (or restarted)"; the same for
      // Requisite= and BindsTo=, and PartOf= is "limited to stopping and
      // restarting". A restart is passed on as try-restart, so that it
      // starts nothing that was not running.
      for (Dependency kind :
           {Dependency::RequiredBy, Dependency::RequisiteOf, Dependency::BoundBy, Dependency::ConsistsOf}) {
        for (UnitId other : node[kind]) {
          JobType pulled = type == JobType::Stop ? JobType::Stop : collapse(JobType::TryRestart, state_[other]);
          if (pulled == JobType::Nop) continue;
          pull(job, pulled, other, kind, true, false);
        }
      }
    }
    if (type == JobType::Stop) {
      // PropagatesStopTo=: "Issuing a stop request on a unit will
      // automatically also enqueue stop requests on all units that are
      // linked to it" (systemd's UNIT_ATOM_PROPAGATE_STOP: a stop, not a
      // restart, and required, as the propagation of Requires=).
      for (UnitId other : node[Dependency::PropagatesStopTo])
        pull(job, JobType::Stop, other, Dependency::PropagatesStopTo, true, false);
    }
    if (type == JobType::Reload) {
      // PropagatesReloadTo=: "Issuing a reload request on a unit will
      // automatically also enqueue reload requests on all units that are
      // linked to it" (as try-reload: only those that are active).
      for (UnitId other : node[Dependency::PropagatesReloadTo]) {
        JobType pulled = collapse(JobType::TryReload, state_[other]);
        if (pulled == JobType::Nop) continue;
        if (pull(job, pulled, other, Dependency::PropagatesReloadTo, false, false) == Added::NotApplicable)
          note(describe_edge(g_, unit, Dependency::PropagatesReloadTo, other) + ", which cannot reload; ignored");
      }
    }
  }

  Added pull(int subject, JobType type, UnitId unit, Dependency via, bool matters, bool conflicts) {
    Added added = add(type, unit, subject, via, matters, conflicts);
    if (added == Added::Unloadable) {
      const UnitNode& node = g_.unit(unit);
      std::string what = describe_edge(g_, jobs_[subject].unit, via, unit) + ", which " +
                         (node.load_state == LoadState::Masked ? "is masked" : "does not exist");
      if (matters) {
        if (jobs_[subject].failure.empty()) jobs_[subject].failure = std::move(what);
      } else {
        note(what + "; ignored");
      }
    }
    // A job type that does not apply is ignored even where it matters, as
    // systemd does (-EBADR).
    return added;
  }

  // systemd's transaction_delete_job() with delete_dependencies: the jobs
  // that cannot do without a deleted job go too. With a failure message,
  // each deleted job is a failure; otherwise it is dropped with a note.
  void delete_job(int first, bool delete_dependencies, const std::string* failure, const std::string& why) {
    std::vector<std::pair<int, std::string>> stack = {{first, failure ? *failure : why}};
    while (!stack.empty()) {
      auto [job, message] = std::move(stack.back());
      stack.pop_back();
      PendingJob& j = jobs_[job];
      if (!j.alive) continue;
      j.alive = false;
      std::vector<int>& same_unit = jobs_of_unit_[j.unit];
      same_unit.erase(std::remove(same_unit.begin(), same_unit.end(), job), same_unit.end());
      if (failure) {
        out_.failed.push_back(JobFailure{unit_name(j.unit), j.type, j.anchor, message});
      } else if (job != first) {
        note("Job " + name_of(job) + " dropped: " + message);
      }
      for (int l : j.out) links_[l].alive = false;
      for (int l : j.in) {
        Link& link = links_[l];
        if (!link.alive) continue;
        link.alive = false;
        if (!link.matters || !delete_dependencies) continue;
        stack.emplace_back(link.subject, cascade_message(link, message, failure != nullptr));
      }
    }
  }

  std::string cascade_message(const Link& link, const std::string& inner, bool failed) const {
    const PendingJob& subject = jobs_[link.subject];
    const PendingJob& object = jobs_[link.object];
    std::string edge = describe_edge(g_, subject.unit, link.via, object.unit);
    if (!failed) return "it needs " + name_of(link.object) + " (" + edge + "), which was dropped: " + inner;
    if (is_configurable(link.via)) return edge + ", which cannot " + to_string(object.type) + ": " + inner;
    return "needs " + name_of(link.object) + " (" + edge + "), which cannot run: " + inner;
  }

  void fail_jobs_that_cannot_be_added() {
    for (size_t j = 0; j < jobs_.size(); ++j)
      if (jobs_[j].alive && !jobs_[j].failure.empty()) {
        std::string message = jobs_[j].failure;
        delete_job(static_cast<int>(j), true, &message, "");
      }
  }

  // systemd's transaction_find_jobs_that_matter_to_anchor(), from every
  // requested job.
  void mark_jobs_that_matter() {
    std::vector<int> stack;
    for (size_t j = 0; j < jobs_.size(); ++j)
      if (jobs_[j].alive && jobs_[j].anchor) {
        jobs_[j].matters = true;
        stack.push_back(static_cast<int>(j));
      }
    while (!stack.empty()) {
      int job = stack.back();
      stack.pop_back();
      for (int l : jobs_[job].out) {
        const Link& link = links_[l];
        if (!link.alive || !link.matters || jobs_[link.object].matters) continue;
        jobs_[link.object].matters = true;
        stack.push_back(link.object);
      }
    }
  }

  // systemd's transaction_minimize_impact(), for --job-mode=fail.
  void minimize_impact() {
    for (size_t j = 0; j < jobs_.size(); ++j) {
      const PendingJob& job = jobs_[j];
      if (!job.alive || job.matters || job.type != JobType::Stop || !is_active_or_activating(state_[job.unit]))
        continue;
      note("Job " + name_of(static_cast<int>(j)) +
           " dropped: it would stop a running unit that nothing requires stopped (job mode fail)");
      delete_job(static_cast<int>(j), true, nullptr, "its stop was dropped (job mode fail)");
    }
  }

  // systemd's transaction_drop_redundant(): a unit whose every job has
  // nothing to do (a start of an active unit, a stop of an inactive one)
  // loses them, unless one was requested.
  void drop_redundant_jobs() {
    for (UnitId unit = 0; unit < jobs_of_unit_.size(); ++unit) {
      const std::vector<int>& list = jobs_of_unit_[unit];
      if (list.empty()) continue;
      bool keep = false;
      for (int j : list)
        if (jobs_[j].anchor || !is_redundant(jobs_[j].type, state_[unit])) keep = true;
      if (keep) continue;
      for (int j : std::vector<int>(list)) delete_job(j, false, nullptr, "");
    }
  }

  // systemd's transaction_collect_garbage(): a job nobody pulls in (any
  // more) goes, unless it was requested.
  void collect_garbage() {
    std::deque<int> candidates;
    for (size_t j = 0; j < jobs_.size(); ++j) candidates.push_back(static_cast<int>(j));
    while (!candidates.empty()) {
      int job = candidates.front();
      candidates.pop_front();
      const PendingJob& j = jobs_[job];
      if (!j.alive || j.anchor) continue;
      bool pulled = std::any_of(j.in.begin(), j.in.end(), [&](int l) { return links_[l].alive; });
      if (pulled) continue;
      std::vector<int> objects;
      for (int l : j.out)
        if (links_[l].alive) objects.push_back(links_[l].object);
      delete_job(job, true, nullptr, "");
      candidates.insert(candidates.end(), objects.begin(), objects.end());
    }
  }

  bool conflicted_by(int job) const {
    return std::any_of(jobs_[job].in.begin(), jobs_[job].in.end(),
                       [&](int l) { return links_[l].alive && links_[l].conflicts; });
  }

  // systemd's delete_one_unmergeable_job(): of two jobs on one unit that
  // cannot merge, drop the one that does not matter; if neither matters,
  // keep the start of the unit that declares the conflict and the stop of
  // the unit it names (systemd.unit(5), Conflicts=: "in case both are not
  // required, the unit that conflicts will be started and the unit that is
  // conflicted is stopped"). Returns false, with the pair, when both matter.
  bool delete_one_unmergeable(const std::vector<int>& list, int* kept, int* other) {
    for (size_t a = 0; a < list.size(); ++a) {
      for (size_t b = a + 1; b < list.size(); ++b) {
        int j = list[a], k = list[b];
        if (merge(jobs_[j].type, jobs_[k].type)) continue;
        int drop;
        if (!jobs_[j].matters && !jobs_[k].matters) {
          if (jobs_[j].type == JobType::Stop)
            drop = conflicted_by(j) ? k : j;
          else if (jobs_[k].type == JobType::Stop)
            drop = conflicted_by(k) ? j : k;
          else
            drop = j;
        } else if (!jobs_[j].matters) {
          drop = j;
        } else if (!jobs_[k].matters) {
          drop = k;
        } else {
          *kept = j;
          *other = k;
          return false;
        }
        int keep = drop == j ? k : j;
        note("Job " + name_of(drop) + " dropped: it conflicts with " + name_of(keep) +
             (jobs_[keep].matters ? ", which is required" : ""));
        delete_job(drop, true, nullptr, "it conflicted with " + name_of(keep));
        return true;
      }
    }
    // Every pair merges, yet the jobs did not fold into one: impossible with
    // systemd's table (mergeability is transitive), reported as a conflict
    // rather than retried forever.
    *kept = list[0];
    *other = list[1];
    return false;
  }

  // systemd's transaction_merge_jobs(): the jobs of one unit become one, or
  // the transaction fails.
  Status merge_jobs() {
    for (bool again = true; again;) {
      again = false;
      for (UnitId unit = 0; unit < jobs_of_unit_.size() && !again; ++unit) {
        const std::vector<int>& list = jobs_of_unit_[unit];
        if (list.size() < 2) continue;
        JobType merged = jobs_[list[0]].type;
        bool mergeable = true;
        for (size_t i = 1; i < list.size() && mergeable; ++i) {
          std::optional<JobType> m = merge_and_collapse(merged, jobs_[list[i]].type, state_[unit]);
          if (m)
            merged = *m;
          else
            mergeable = false;
        }
        if (mergeable) continue;
        int a = kNoJob, b = kNoJob;
        if (!delete_one_unmergeable(std::vector<int>(list), &a, &b))
          return Error::plain(std::string("Transaction contains conflicting jobs '") + to_string(jobs_[a].type) +
                              "' and '" + to_string(jobs_[b].type) + "' for " + unit_name(unit) +
                              ". Probably contradicting requirement dependencies configured.");
        collect_garbage();
        again = true;
      }
    }
    for (UnitId unit = 0; unit < jobs_of_unit_.size(); ++unit) {
      std::vector<int>& list = jobs_of_unit_[unit];
      if (list.size() < 2) continue;
      // The requested job absorbs the others, so that its reason stays.
      auto anchor = std::find_if(list.begin(), list.end(), [&](int j) { return jobs_[j].anchor; });
      if (anchor != list.end()) std::iter_swap(list.begin(), anchor);
      int keep = list[0];
      JobType merged = jobs_[keep].type;
      for (size_t i = 1; i < list.size(); ++i) {
        int other = list[i];
        merged = *merge_and_collapse(merged, jobs_[other].type, state_[unit]);
        PendingJob& o = jobs_[other];
        for (int l : o.in) {
          links_[l].object = keep;
          jobs_[keep].in.push_back(l);
        }
        for (int l : o.out) {
          links_[l].subject = keep;
          jobs_[keep].out.push_back(l);
        }
        jobs_[keep].anchor = jobs_[keep].anchor || o.anchor;
        jobs_[keep].matters = jobs_[keep].matters || o.matters;
        o.alive = false;
        o.in.clear();
        o.out.clear();
      }
      jobs_[keep].type = merged;
      list.resize(1);
    }
    return ok();
  }

  // The plan: nodes (a restart as two) and the edges between them.
  struct Plan {
    std::vector<PlanNode> nodes;
    std::vector<std::vector<int>> after;   // node → nodes it waits for
    std::vector<std::vector<int>> before;  // node → nodes that wait for it
  };

  Plan make_plan() const {
    Plan plan;
    std::vector<std::vector<int>> nodes_of_unit(g_.size());
    for (size_t j = 0; j < jobs_.size(); ++j) {
      const PendingJob& job = jobs_[j];
      if (!job.alive) continue;
      if (job.type == JobType::Restart) {
        nodes_of_unit[job.unit].push_back(static_cast<int>(plan.nodes.size()));
        plan.nodes.push_back(PlanNode{static_cast<int>(j), JobType::Stop, true});
        nodes_of_unit[job.unit].push_back(static_cast<int>(plan.nodes.size()));
        plan.nodes.push_back(PlanNode{static_cast<int>(j), JobType::Start, true});
      } else {
        nodes_of_unit[job.unit].push_back(static_cast<int>(plan.nodes.size()));
        plan.nodes.push_back(PlanNode{static_cast<int>(j), job.type, false});
      }
    }
    plan.after.resize(plan.nodes.size());
    plan.before.resize(plan.nodes.size());
    auto edge = [&](int first, int second) {
      std::vector<int>& waits = plan.after[second];
      if (std::find(waits.begin(), waits.end(), first) != waits.end()) return;
      waits.push_back(first);
      plan.before[first].push_back(second);
    };
    for (size_t x = 0; x < plan.nodes.size(); ++x) {
      const PlanNode& node = plan.nodes[x];
      UnitId unit = jobs_[node.job].unit;
      if (node.restart && node.type == JobType::Start) edge(static_cast<int>(x) - 1, static_cast<int>(x));
      // systemd's job_compare() for "unit Before= other": the other's stop
      // goes first (stops before starts; two stops in reverse order);
      // otherwise this unit's job goes first. Only units that both have a
      // job are ordered.
      for (UnitId other : g_.unit(unit)[Dependency::Before]) {
        for (int y : nodes_of_unit[other]) {
          if (plan.nodes[y].type == JobType::Stop)
            edge(y, static_cast<int>(x));
          else
            edge(static_cast<int>(x), y);
        }
      }
    }
    return plan;
  }

  std::string node_name(const PlanNode& node) const {
    std::string name = job_name(unit_name(jobs_[node.job].unit), node.type);
    return node.restart ? name + " (restart)" : name;
  }

  // A cycle in the plan, as node indices in order, or empty. Depth-first
  // from the nodes in the order their jobs were added (requested first),
  // without recursion so that long chains cannot exhaust the stack.
  std::vector<int> find_cycle(const Plan& plan) const {
    enum Color : uint8_t { White, Grey, Black };
    std::vector<Color> color(plan.nodes.size(), White);
    for (size_t root = 0; root < plan.nodes.size(); ++root) {
      if (color[root] != White) continue;
      std::vector<std::pair<int, size_t>> path = {{static_cast<int>(root), 0}};
      color[root] = Grey;
      while (!path.empty()) {
        auto& [node, next] = path.back();
        if (next == plan.before[node].size()) {
          color[node] = Black;
          path.pop_back();
          continue;
        }
        int successor = plan.before[node][next++];
        if (color[successor] == White) {
          color[successor] = Grey;
          path.emplace_back(successor, 0);
        } else if (color[successor] == Grey) {
          std::vector<int> cycle;
          bool in_cycle = false;
          for (const auto& step : path) {
            if (step.first == successor) in_cycle = true;
            if (in_cycle) cycle.push_back(step.first);
          }
          return cycle;
        }
      }
    }
    return {};
  }

  // systemd's transaction_verify_order(): a cycle is broken by deleting the
  // jobs of a unit that does not matter (the first such one walking back
  // from where the cycle closed), with a warning in systemd's words, and
  // the check repeated; a cycle of jobs that all matter fails the
  // transaction. This runs on the plan rather than on systemd's unmerged
  // jobs, so it also finds a cycle that only the halves of a restart form.
  Status order_jobs() {
    for (;;) {
      Plan plan = make_plan();
      std::vector<int> cycle = find_cycle(plan);
      if (cycle.empty()) {
        emit(plan);
        return ok();
      }
      std::string text;
      for (int node : cycle) text += node_name(plan.nodes[node]) + " → ";
      text += node_name(plan.nodes[cycle.front()]);
      int drop = kNoJob;
      for (auto it = cycle.rbegin(); it != cycle.rend() && drop == kNoJob; ++it)
        if (!jobs_[plan.nodes[*it].job].matters) drop = plan.nodes[*it].job;
      std::string start = name_of(plan.nodes[cycle.front()].job);
      if (drop == kNoJob)
        return Error::plain("Transaction order is cyclic: " + text + ". Unable to break cycle starting with " + start +
                            ": every job in it is required.");
      out_.warnings.push_back("Job " + name_of(drop) + " deleted to break ordering cycle starting with " + start +
                              " (ordering cycle: " + text + ")");
      delete_job(drop, true, nullptr, "its job was deleted to break an ordering cycle");
      collect_garbage();
    }
  }

  std::string reason(int job) const {
    const PendingJob& j = jobs_[job];
    if (j.anchor) return "requested";
    for (int l : j.in)
      if (links_[l].alive) return describe_edge(g_, jobs_[links_[l].subject].unit, links_[l].via, j.unit);
    return "";
  }

  // The plan in layers (Kahn's algorithm, in the order nodes were added
  // within a layer), as the transaction's jobs.
  void emit(const Plan& plan) {
    size_t n = plan.nodes.size();
    std::vector<size_t> layer(n, 0), waiting(n, 0);
    std::vector<int> order, ready;
    for (size_t x = 0; x < n; ++x) {
      waiting[x] = plan.after[x].size();
      if (waiting[x] == 0) ready.push_back(static_cast<int>(x));
    }
    while (!ready.empty()) {
      std::sort(ready.begin(), ready.end());
      std::vector<int> next;
      for (int x : ready) {
        order.push_back(x);
        for (int y : plan.before[x]) {
          layer[y] = std::max(layer[y], layer[x] + 1);
          if (--waiting[y] == 0) next.push_back(y);
        }
      }
      ready = std::move(next);
    }
    std::vector<JobId> id_of(n);
    for (size_t i = 0; i < order.size(); ++i) id_of[order[i]] = i;
    for (int x : order) {
      const PlanNode& node = plan.nodes[x];
      const PendingJob& pending = jobs_[node.job];
      Job job;
      job.unit = unit_name(pending.unit);
      job.unit_id = pending.unit;
      job.type = node.type;
      job.restart = node.restart;
      job.requested = pending.anchor;
      job.required = pending.matters;
      for (int p : plan.after[x]) job.ready_after.push_back(id_of[p]);
      std::sort(job.ready_after.begin(), job.ready_after.end());
      job.reason = reason(node.job);
      out_.jobs.push_back(std::move(job));
    }
  }

  const DependencyGraph& g_;
  const Request& request_;
  std::vector<ActiveState> state_;              // by unit
  std::vector<PendingJob> jobs_;                // never shrinks; deleted jobs are not alive
  std::vector<Link> links_;                     // likewise
  std::vector<std::vector<int>> jobs_of_unit_;  // alive jobs by unit
  std::deque<int> to_expand_;
  std::unordered_set<std::string> seen_notes_;
  Transaction out_;
};

}  // namespace

const char* to_string(RequestType type) {
  switch (type) {
    case RequestType::Start:
      return "start";
    case RequestType::Stop:
      return "stop";
    case RequestType::Restart:
      return "restart";
    case RequestType::TryRestart:
      return "try-restart";
    case RequestType::Reload:
      return "reload";
    case RequestType::ReloadOrRestart:
      return "reload-or-restart";
    case RequestType::TryReloadOrRestart:
      return "try-reload-or-restart";
  }
  return "start";
}

std::string job_name(const Job& job) {
  return job_name(job.unit, job.restart ? JobType::Restart : job.type) +
         (job.restart ? (job.type == JobType::Stop ? " (stop)" : " (start)") : "");
}

std::optional<JobId> Transaction::find(std::string_view unit, JobType type) const {
  for (JobId id = 0; id < jobs.size(); ++id)
    if (jobs[id].unit == unit && jobs[id].type == type) return id;
  return std::nullopt;
}

Result<Transaction> build_transaction(const DependencyGraph& graph, const UnitStates& states, const Request& request) {
  return Builder(graph, states, request).build();
}

std::vector<std::vector<JobId>> parallel_layers(const Transaction& transaction) {
  std::vector<size_t> layer(transaction.jobs.size(), 0);
  std::vector<std::vector<JobId>> layers;
  for (JobId id = 0; id < transaction.jobs.size(); ++id) {
    for (JobId before : transaction.jobs[id].ready_after) layer[id] = std::max(layer[id], layer[before] + 1);
    if (layers.size() <= layer[id]) layers.resize(layer[id] + 1);
    layers[layer[id]].push_back(id);
  }
  return layers;
}

std::vector<JobId> runnable_jobs(const Transaction& transaction, const std::vector<JobState>& states) {
  std::vector<JobId> runnable;
  for (JobId id = 0; id < transaction.jobs.size() && id < states.size(); ++id) {
    if (states[id] != JobState::Waiting) continue;
    const std::vector<JobId>& after = transaction.jobs[id].ready_after;
    if (std::all_of(after.begin(), after.end(),
                    [&](JobId b) { return b < states.size() && states[b] == JobState::Finished; }))
      runnable.push_back(id);
  }
  return runnable;
}

}  // namespace unitrun::manager
