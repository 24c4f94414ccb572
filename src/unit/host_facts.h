// The facts about this machine that specifiers name (%H, %m, %b, %v, %a,
// %o, ...), read from the system for unit_loader: uname(), /etc/machine-id,
// the boot id, /etc/os-release, /etc/machine-info.
#pragma once

#include "unit/unit_parser.h"

namespace unitrun::unit {

HostFacts read_host_facts();

}  // namespace unitrun::unit
