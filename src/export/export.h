// Writers for the two other homes of a unit: a native systemd .service that
// runs `unitrun run`, and an LSB init script that calls unitrun. Pure: they
// only turn a Unit into text.
#pragma once

#include <string>

#include "unit/unit.h"

namespace unitrun::exporter {

// unitrun_path: the absolute path of the unitrun binary to call.
std::string systemd_service(const Unit& unit, const std::string& unitrun_path);
std::string sysv_script(const Unit& unit, const std::string& unitrun_path);

}  // namespace unitrun::exporter
