#include "runtime/reply.h"

#include <cstdlib>

#include "base/exit_codes.h"

namespace unitrun {

std::string format_reply_ok(std::string_view detail) {
  return detail.empty() ? "ok\n" : "ok " + std::string(detail) + "\n";
}

std::string format_reply_fail(int code, std::string_view message) {
  std::string text = "fail " + std::to_string(code) + " " + std::string(message);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text + "\n";
}

Reply parse_reply(std::string_view text) {
  Reply r;
  std::string_view line = text.substr(0, text.find('\n'));
  if (line == "ok" || line.rfind("ok ", 0) == 0) {
    r.ok = true;
    r.code = exit_code::kSuccess;
    r.detail = line.size() > 3 ? std::string(line.substr(3)) : "";
    return r;
  }
  if (line.rfind("fail ", 0) == 0) {
    std::string rest(text.substr(5));
    char* end = nullptr;
    long code = std::strtol(rest.c_str(), &end, 10);
    // 0 is not a failure code and anything above 255 is no exit status.
    r.code = code > 0 && code < 256 ? static_cast<int>(code) : exit_code::kFailure;
    // The message may carry the service's last output lines after a newline.
    std::string message = end && *end == ' ' ? std::string(end + 1) : "failed";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    r.detail = message;
    return r;
  }
  r.code = exit_code::kFailure;
  r.detail = "no answer";
  return r;
}

}  // namespace unitrun
