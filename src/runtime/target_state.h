// A .target unit has no process and no monitor: its state is its record in
// the runtime directory alone (NAME.HASH.state, as a service's), written by
// the command that starts or stops it. Active means the record says so for
// this boot; anything else is inactive.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "runtime/runtime_files.h"

namespace unitrun {

// Whether a unit name is a target's ("multi-user.target").
bool is_target_name(std::string_view name);

// Records the target active (since now) or inactive; makes the runtime
// directory when it is missing.
Status write_target_state(const std::string& name, const RuntimeFiles& files, bool active);

// Whether a target's record says active for this boot.
bool target_record_active(const std::optional<MonitorState>& record);

}  // namespace unitrun
