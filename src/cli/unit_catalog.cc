#include "cli/unit_catalog.h"

#include <dirent.h>

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "cli/unit_runtime.h"
#include "runtime/safe_files.h"
#include "runtime/target_state.h"
#include "runtime/unit_lock.h"

namespace unitrun::cli {

RuntimeDirectory::RuntimeDirectory(std::string path) : path_(std::move(path)) {
  if (auto fd = safe_files::open_parent_directory(path_ + "/x", false)) fd_ = std::move(*fd);
}

std::vector<RuntimeEntry> RuntimeDirectory::entries() const {
  std::map<std::pair<std::string, std::string>, RuntimeEntry> by_key;
  DIR* dir = ::opendir(path_.c_str());
  if (!dir) return {};
  while (struct dirent* e = ::readdir(dir)) {
    auto parsed = parse_runtime_file_name(e->d_name);
    if (!parsed) continue;
    RuntimeEntry& entry = by_key[{parsed->name, parsed->key}];
    entry.name = parsed->name;
    entry.key = parsed->key;
    std::string path = path_ + "/" + e->d_name;
    if (parsed->kind == "lock")
      entry.lock = path;
    else if (parsed->kind == "state")
      entry.state = path;
    else
      entry.snapshot = path;
  }
  ::closedir(dir);
  std::vector<RuntimeEntry> out;
  out.reserve(by_key.size());
  for (auto& [key, entry] : by_key) out.push_back(std::move(entry));
  return out;
}

std::vector<KnownUnit> known_units(const unit::UnitPath& path, bool with_files, const RuntimeDirectory& runtime) {
  std::map<std::string, std::vector<KnownUnit>> by_name;
  if (with_files) {
    for (unit::UnitFileEntry& f : unit::list_unit_files(path)) {
      if (f.is_template) continue;
      std::string name = f.name.size() > 4 && f.name.compare(f.name.size() - 4, 4, ".ini") == 0
                             ? f.name.substr(0, f.name.size() - 4)
                             : f.name;
      by_name[name].push_back({name, std::move(f), std::nullopt});
    }
  }
  for (RuntimeEntry& r : runtime.entries()) {
    std::vector<KnownUnit>& same = by_name[r.name];
    // A unit of the unit path is keyed by its name.
    bool by_name_key = r.key == runtime_key(r.name);
    auto file_unit = std::find_if(same.begin(), same.end(), [](const KnownUnit& k) { return k.file && !k.runtime; });
    if (by_name_key && file_unit != same.end()) {
      file_unit->runtime = std::move(r);
    } else {
      std::string name = r.name;
      same.push_back({name, std::nullopt, std::move(r)});
    }
  }
  std::vector<KnownUnit> out;
  for (auto& [name, units] : by_name)
    for (KnownUnit& k : units) out.push_back(std::move(k));
  return out;
}

std::optional<unit::UnitFile> unit_of(const RuntimeEntry& entry) {
  unit::UnitFile f;
  f.spelling = entry.name;
  f.found = false;  // as far as this entry knows: prepare() looks again
  auto header = entry.snapshot.empty() ? std::nullopt : read_snapshot_header(entry.snapshot);
  if (header && header->sources.name == entry.name && runtime_key(header->sources.identity) == entry.key) {
    f.name = header->sources.name;
    f.identity = header->sources.identity;
    f.fragment = header->fragment;
  } else if (entry.key == runtime_key(entry.name)) {
    // No snapshot (or not this unit's): a unit of the unit path is keyed by
    // its name, which is all it takes to find it again.
    f.name = f.identity = entry.name;
  } else {
    return std::nullopt;
  }
  f.by_name = f.identity == f.name;
  return f;
}

namespace {

QuickState from(const std::string& name, bool running, std::optional<MonitorState> record) {
  QuickState q;
  q.record = std::move(record);
  const MonitorState* s = q.record ? &*q.record : nullptr;
  if (is_target_name(name)) {  // no monitor: the record alone (runtime/target_state.h)
    bool active = target_record_active(q.record);
    q.active = active ? ActiveState::Active : ActiveState::Inactive;
    q.sub = active ? "active" : "dead";
    return q;
  }
  if (running) {
    SubState sub = s ? s->sub_state : SubState::Running;
    q.active = active_state_of(sub);
    q.sub = to_string(sub);
    return q;
  }
  // No monitor: the record is its last word, unless it died mid-run and
  // left its service behind (only then is /proc searched).
  if (s && !s->finished() && !find_orphans(name, *s).empty()) {
    q.active = ActiveState::Active;
    q.sub = "orphaned";
  } else if (s && s->sub_state == SubState::Failed) {
    q.active = ActiveState::Failed;
    q.sub = "failed";
  }
  return q;
}

}  // namespace

QuickState quick_state(const std::string& name, const RuntimeFiles& files) {
  RuntimeDirectory dir(files.directory);
  RuntimeEntry entry;
  entry.name = name;
  entry.lock = files.lock;
  entry.state = files.state;
  return quick_state(entry, dir);
}

QuickState quick_state(const RuntimeEntry& entry, const RuntimeDirectory& dir) {
  if (dir.fd() < 0) return from(entry.name, false, std::nullopt);
  // One open of the lock for both looks, the record read between them, as
  // inspect() does: a monitor writes its last record before it lets go of
  // the lock.
  std::optional<UniqueFd> lock;
  if (!entry.lock.empty())
    if (auto fd = safe_files::open_for_reading_in(dir.fd(), base_name(entry.lock), entry.lock)) lock = std::move(*fd);
  auto held = [&] { return lock && UnitLock::alive_held_on(lock->get()).value_or(false); };
  bool running = held();
  std::optional<MonitorState> record;
  for (int attempt = 0; attempt < 4; ++attempt) {
    record = entry.state.empty() ? std::nullopt : read_state_in(dir.fd(), base_name(entry.state), entry.state);
    bool before = running;
    running = held();
    if (running == before) break;
  }
  return from(entry.name, running, std::move(record));
}

std::string snapshot_description(const RuntimeEntry& entry, const RuntimeDirectory& dir) {
  if (entry.snapshot.empty() || dir.fd() < 0) return "";
  auto header = read_snapshot_header_in(dir.fd(), base_name(entry.snapshot), entry.snapshot);
  return header ? header->description : "";
}

}  // namespace unitrun::cli
