// A monitor's control channel: an AF_UNIX seqpacket socket in the unit's
// runtime directory (RuntimeFiles::control; the directory belongs to
// unitrun's user and nobody else may write there, so nobody else can take
// the name; the socket is 0600). `unitrun reload` connects, proves the peer
// is the monitor (SO_PEERCRED PID against the state record), sends "reload"
// and waits for "ok" or "fail CODE message".
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace unitrun::runtime {

// Monitor side. The caller holds the unit's alive lock, so a socket file
// already there is a dead monitor's and is replaced.
Result<UniqueFd> listen_control(const std::string& path);
// The monitor removes its socket on its way out.
void remove_control(const std::string& path);

// Client side: connects and checks that the peer is `expected_pid`.
Result<UniqueFd> connect_control(const std::string& path, pid_t expected_pid);

}  // namespace unitrun::runtime
