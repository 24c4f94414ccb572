// A unit's active state as systemd names it (systemd(1), "Concepts"; the
// ActiveState= property), and the states of many units at one moment. The
// manager's pure rules read these; whoever calls them finds the states out.
#pragma once

#include <initializer_list>
#include <string>
#include <unordered_map>
#include <utility>

namespace unitrun::manager {

enum class ActiveState { Inactive, Activating, Active, Reloading, Deactivating, Failed };

const char* to_string(ActiveState state);

// systemd's UNIT_IS_* predicates, under the same names, because the rules
// that use them are written after systemd's.
inline bool is_active_or_reloading(ActiveState s) { return s == ActiveState::Active || s == ActiveState::Reloading; }
inline bool is_active_or_activating(ActiveState s) { return is_active_or_reloading(s) || s == ActiveState::Activating; }
inline bool is_inactive_or_failed(ActiveState s) { return s == ActiveState::Inactive || s == ActiveState::Failed; }
inline bool is_inactive_or_deactivating(ActiveState s) {
  return is_inactive_or_failed(s) || s == ActiveState::Deactivating;
}

// The active state of each unit by name; a unit not listed is inactive.
class UnitStates {
 public:
  UnitStates() = default;
  UnitStates(std::initializer_list<std::pair<const std::string, ActiveState>> states) : states_(states) {}

  void set(const std::string& unit, ActiveState state) { states_[unit] = state; }
  ActiveState of(const std::string& unit) const;
  const std::unordered_map<std::string, ActiveState>& all() const { return states_; }

 private:
  std::unordered_map<std::string, ActiveState> states_;
};

}  // namespace unitrun::manager
