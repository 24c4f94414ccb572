#include "manager/active_state.h"

namespace unitrun::manager {

const char* to_string(ActiveState state) {
  switch (state) {
    case ActiveState::Inactive:
      return "inactive";
    case ActiveState::Activating:
      return "activating";
    case ActiveState::Active:
      return "active";
    case ActiveState::Reloading:
      return "reloading";
    case ActiveState::Deactivating:
      return "deactivating";
    case ActiveState::Failed:
      return "failed";
  }
  return "inactive";
}

ActiveState UnitStates::of(const std::string& unit) const {
  auto it = states_.find(unit);
  return it == states_.end() ? ActiveState::Inactive : it->second;
}

}  // namespace unitrun::manager
