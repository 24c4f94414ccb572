// The one reply protocol between a monitor and the command that asked it
// something: the readiness pipe of `start` and the control socket's answers
// (reload). One line,
//   "ok[ DETAIL]\n"             (DETAIL: the main PID, "0" for a oneshot)
//   "fail CODE MESSAGE\n..."    (CODE: an LSB exit code, base/exit_codes.h;
//                                quoted output lines may follow the first)
// Written and read here only.
#pragma once

#include <string>
#include <string_view>

namespace unitrun {

struct Reply {
  bool ok = false;
  int code = 1;        // the LSB exit code: 0 when ok
  std::string detail;  // ok: what followed "ok "; fail: the message (and any quoted lines)
};

std::string format_reply_ok(std::string_view detail);
std::string format_reply_fail(int code, std::string_view message);

// Anything that is not a well-formed reply is a failure (code 1) saying so.
Reply parse_reply(std::string_view text);

}  // namespace unitrun
