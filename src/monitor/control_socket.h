// A monitor's control channel: an abstract AF_UNIX seqpacket socket named
// after the unit's lock file. `unitrun reload` connects, proves the peer is
// the monitor (SO_PEERCRED PID and start time against the state record),
// sends "reload" and waits for "ok" or "fail CODE message".
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun::monitor {

std::string control_socket_name(const std::string& lock_path);

// Monitor side.
Result<UniqueFd> listen_control(const std::string& lock_path);

// Client side: connects and checks that the peer is `expected_pid`.
Result<UniqueFd> connect_control(const std::string& lock_path, pid_t expected_pid);

}  // namespace unitrun::monitor
