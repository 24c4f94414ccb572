// runtime/runtime_files.h: StateWriter keeps the record's document between
// writes and updates it in place. Each text it gives must be exactly what
// serialize() gives for the same state, whatever states came before, and
// both exactly what serialize() gave when it built one document whole (the
// reference below, kept here): the record's bytes do not change.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/runtime_files.h"

using namespace unitrun;

namespace {

// serialize() as it was: the whole document from one initializer list.
std::string reference(const MonitorState& s) {
  nlohmann::json events = nlohmann::json::array();
  for (const Event& e : s.events) events.push_back({{"time_usec", e.time_usec}, {"text", e.text}});
  nlohmann::json j = {{"unit_path", s.unit_path},
                      {"boot_id", s.boot_id},
                      {"monitor_pid", s.monitor_pid},
                      {"monitor_start_time", s.monitor_start_time},
                      {"active_state", to_string(s.active_state())},
                      {"sub_state", to_string(s.sub_state)},
                      {"result", to_string(s.result)},
                      {"state_since_usec", s.state_since_usec},
                      {"main_pid", s.main_pid},
                      {"main_start_time", s.main_start_time},
                      {"main_started_usec", s.main_started_usec},
                      {"main_sid", s.main_sid},
                      {"exit_code", s.exit_code},
                      {"exit_signal", s.exit_signal},
                      {"restarts", s.restarts},
                      {"status_text", s.status_text},
                      {"service_errno", s.service_errno},
                      {"ready_usec", s.ready_usec},
                      {"invocation_id", s.invocation_id},
                      {"protections", s.protections},
                      {"condition_text", s.condition_text},
                      {"condition_usec", s.condition_usec},
                      {"foreground", s.foreground},
                      {"start_limit_starts", s.start_limit_starts},
                      {"events", events}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

struct Checker {
  StateWriter writer;
  int step = 0;
  void operator()(const MonitorState& s) {
    INFO("step " << step++);
    std::string want = reference(s);
    CHECK(serialize(s) == want);
    CHECK(writer.text(s) == want);
  }
};

}  // namespace

TEST_CASE("state writer: a kept document writes what serialize() writes", "[state_record]") {
  Checker check;
  MonitorState s;
  check(s);  // every field at its default, no events

  // A start, as the monitor records it.
  s.unit_path = "/tmp/u/pr.ini";
  s.boot_id = "3ef0221e-f751-488b-ba6d-671d74322055";
  s.monitor_pid = 7744;
  s.monitor_start_time = 3849043;
  s.start_limit_starts = {38490438479};
  check(s);
  s.sub_state = SubState::Start;
  s.state_since_usec = 1796682301988000ULL;
  s.invocation_id = "d590856382e11e5f73292820fada3876";
  s.protections = {"ProtectSystem=strict", "NoNewPrivileges=yes"};
  check(s);
  s.main_pid = 7745;
  s.main_start_time = 3849044;
  s.main_started_usec = 1796682301988536ULL;
  s.main_sid = 7745;
  s.add_event("started (pid 7745)");
  check(s);
  s.sub_state = SubState::Running;
  s.ready_usec = 1796682301988651ULL;
  check(s);

  // Events past the cap: the oldest go, one or several between writes.
  for (int i = 0; i < 30; ++i) {
    s.add_event("event " + std::to_string(i));
    if (i % 3 != 1) check(s);
  }
  REQUIRE(s.events.size() == MonitorState::kMaxEvents);
  for (int i = 0; i < 5; ++i) s.add_event("burst " + std::to_string(i));
  check(s);
  // Two events at the same time, the text told apart; one changed in place.
  s.add_event("same");
  s.events.back().time_usec = s.events[s.events.size() - 2].time_usec;
  check(s);
  s.events[7].text = "rewritten";
  check(s);
  s.events.front().time_usec = 1;
  check(s);

  // Texts the library escapes, and invalid UTF-8 it replaces.
  s.status_text = "quote \" backslash \\ slash / tab \t newline \n bell \x07 del \x7f";
  s.condition_text = std::string("nul \0 inside", 12);
  s.add_event("invalid \xff\xfe and cut \xc3");
  s.add_event("\xe2\x82\xac euro, \xf0\x9f\x98\x80 and overlong \xc0\xaf");
  s.unit_path = "/srv/\xc3\xa9t\xc3\xa9.ini";
  check(s);
  s.add_event("");  // an empty text
  s.protections = {"a \"quoted\" one", "\x01\x1f"};
  check(s);

  // Lists shrinking and growing, numbers at their limits, the end.
  s.protections.clear();
  s.start_limit_starts = {1, 2, 3, UINT64_MAX};
  s.exit_code = 143;
  s.exit_signal = 15;
  s.service_errno = -1;
  s.restarts = 4294967295U;
  s.foreground = true;
  s.sub_state = SubState::Failed;
  s.result = ServiceResult::ExitCode;
  s.main_pid = 0;
  s.status_text.clear();
  check(s);
  s.events.resize(3);
  check(s);
  s.events.clear();
  s.start_limit_starts.clear();
  s.foreground = false;
  check(s);
  s.add_event("again");
  s.protections = {"PrivateTmp=yes"};
  check(s);
  check(MonitorState{});  // back to nothing at all
}
