// runtime/runtime_files.h: parse_state() reads the record through the JSON
// library's SAX interface, without building a document. What it reads must
// be what the document's j.value() reads gave: the reference below is that
// reading, kept here, and both read a record unitrun writes and damaged,
// odd-typed and unknown variants of it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/runtime_files.h"

using namespace unitrun;

namespace {

// parse_state() as it was: a document, then a value() per field.
std::optional<MonitorState> reference(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  MonitorState s;
  try {
    s.unit_path = j.value("unit_path", "");
    s.boot_id = j.value("boot_id", "");
    s.monitor_pid = j.value("monitor_pid", 0);
    s.monitor_start_time = j.value("monitor_start_time", uint64_t{0});
    auto sub_state = parse_sub_state(j.value("sub_state", ""));
    auto result = parse_service_result(j.value("result", ""));
    if (!sub_state || !result) return std::nullopt;
    s.sub_state = *sub_state;
    s.result = *result;
    s.state_since_usec = j.value("state_since_usec", uint64_t{0});
    s.main_pid = j.value("main_pid", 0);
    s.main_start_time = j.value("main_start_time", uint64_t{0});
    s.main_started_usec = j.value("main_started_usec", uint64_t{0});
    s.main_sid = j.value("main_sid", 0);
    s.exit_code = j.value("exit_code", -1);
    s.exit_signal = j.value("exit_signal", 0);
    s.restarts = j.value("restarts", 0u);
    s.status_text = j.value("status_text", "");
    s.service_errno = j.value("service_errno", 0);
    s.ready_usec = j.value("ready_usec", uint64_t{0});
    s.invocation_id = j.value("invocation_id", "");
    if (j.contains("protections") && j["protections"].is_array())
      for (const auto& p : j["protections"])
        if (p.is_string()) s.protections.push_back(p.get<std::string>());
    s.condition_text = j.value("condition_text", "");
    s.condition_usec = j.value("condition_usec", uint64_t{0});
    s.foreground = j.value("foreground", false);
    s.unit_digest = j.value("unit_digest", "");
    if (j.contains("start_limit_starts") && j["start_limit_starts"].is_array())
      for (const auto& t : j["start_limit_starts"])
        if (t.is_number_unsigned()) s.start_limit_starts.push_back(t.get<uint64_t>());
    if (j.contains("events") && j["events"].is_array())
      for (const auto& e : j["events"]) s.events.push_back({e.value("time_usec", uint64_t{0}), e.value("text", "")});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return s;
}

void check_same(const std::string& text) {
  INFO(text);
  auto want = reference(text);
  auto got = parse_state(text);
  REQUIRE(bool(got) == bool(want));
  if (!want) return;
  // serialize() writes every field but the digest (which only older
  // monitors wrote), events and lists included.
  CHECK(serialize(*got) == serialize(*want));
  CHECK(got->unit_digest == want->unit_digest);
}

MonitorState full_record() {
  MonitorState s;
  s.unit_path = "/srv/web.service";
  s.boot_id = "3ef0221e-f751-488b-ba6d-671d7432aaaa";
  s.monitor_pid = 4242;
  s.monitor_start_time = 123456789012ULL;
  s.sub_state = SubState::Running;
  s.result = ServiceResult::Success;
  s.state_since_usec = 1765000000000000ULL;
  s.main_pid = 4243;
  s.main_start_time = 123456789099ULL;
  s.main_started_usec = 1765000000000001ULL;
  s.main_sid = 4243;
  s.exit_code = 3;
  s.exit_signal = 15;
  s.restarts = 2;
  s.status_text = "serving \"monitor_pid\":7 \xc3\xa9";
  s.service_errno = 5;
  s.ready_usec = 1765000000000002ULL;
  s.invocation_id = "0123456789abcdef0123456789abcdef";
  s.protections = {"ProtectSystem=strict", "NoNewPrivileges=yes"};
  s.condition_text = "ConditionPathExists=/x";
  s.condition_usec = 17;
  s.foreground = true;
  s.start_limit_starts = {1, 2, 3};
  for (int i = 0; i < 25; ++i) s.add_event("event " + std::to_string(i));
  return s;
}

// The record with `key`'s value replaced by `value` (added when absent).
std::string with(const std::string& key, const std::string& value) {
  nlohmann::json j = nlohmann::json::parse(serialize(full_record()));
  j[key] = nlohmann::json::parse(value);
  return j.dump();
}

}  // namespace

TEST_CASE("state record: the SAX reading reads what the document's did", "[state_record]") {
  check_same(serialize(full_record()));
  check_same(serialize(MonitorState{}));
  for (const char* text :
       {"", "{", "[]", "\"x\"", "7", "null", "{}", "{\"sub_state\":\"running\"}",
        "{\"sub_state\":\"running\",\"result\":\"success\"}", "{\"sub_state\":\"sideways\",\"result\":\"success\"}",
        "{\"sub_state\":\"running\",\"result\":\"success\"} trailing",
        "{\"sub_state\":\"dead\",\"result\":\"success\",\"sub_state\":\"running\"}",
        "{\"sub_state\":\"sideways\",\"result\":\"success\",\"sub_state\":\"running\"}",
        "{\"sub_state\":\"running\",\"result\":\"success\",\"x\":{\"sub_state\":7,\"a\":[[{}]]},\"y\":[1,\"z\",null]}",
        "{\"sub_state\":\"running\",\"result\":\"success\",\"events\":[{\"text\":\"x\",\"sub_state\":\"dead\"}]}",
        "{\"sub_state\":\"running\",\"result\":\"success\",\"events\":[{\"n\":{\"time_usec\":\"x\"},\"text\":\"t\"}]}"})
    check_same(text);
  // Every field with values of every type.
  const std::vector<std::string> keys = {
      "unit_path",      "boot_id",          "monitor_pid",   "monitor_start_time", "sub_state",
      "result",         "state_since_usec", "main_pid",      "main_start_time",    "main_started_usec",
      "main_sid",       "exit_code",        "exit_signal",   "restarts",           "status_text",
      "service_errno",  "ready_usec",       "invocation_id", "protections",        "condition_text",
      "condition_usec", "foreground",       "unit_digest",   "start_limit_starts", "events",
      "unknown"};
  const std::vector<std::string> values = {"null",
                                           "true",
                                           "false",
                                           "0",
                                           "-1",
                                           "7",
                                           "18446744073709551615",
                                           "-9223372036854775808",
                                           "2.75",
                                           "\"\"",
                                           "\"running\"",
                                           "\"failed\"",
                                           "\"timeout\"",
                                           "\"x\"",
                                           "[]",
                                           "{}",
                                           "[1,2]",
                                           "[\"a\",1,null,\"b\",[\"c\"],{}]",
                                           "[-1,2,3.5,true,4]",
                                           "{\"a\":1}",
                                           "[{}]",
                                           "[{\"time_usec\":5,\"text\":\"t\"},{\"text\":\"u\"}]",
                                           "[{\"time_usec\":true}]",
                                           "[{\"time_usec\":2.5,\"text\":\"t\",\"other\":[1,{\"text\":3}]}]",
                                           "[{\"time_usec\":\"5\"}]",
                                           "[{\"text\":null}]",
                                           "[{\"text\":[\"t\"]}]",
                                           "[{\"time_usec\":{}}]",
                                           "[1]",
                                           "[[{\"text\":\"t\"}]]",
                                           "[\"e\"]"};
  for (const std::string& k : keys)
    for (const std::string& v : values) check_same(with(k, v));
}

// A start without a monitor leaves a finished run's record unparsed
// (read_state_unless_finished): its first key must tell finished() exactly,
// for every state the writer can record, and anything else must not pass
// for finished.
TEST_CASE("state record: the first key tells a finished run's record", "[state_record]") {
  for (int i = static_cast<int>(SubState::Dead); i <= static_cast<int>(SubState::AutoRestart); ++i) {
    MonitorState s;
    s.sub_state = static_cast<SubState>(i);
    s.main_pid = 42;
    s.add_event("an event");
    INFO(to_string(s.sub_state));
    CHECK(state_text_says_finished(serialize(s)) == s.finished());
  }
  for (const char* text : {"", "{}", "[]", "\"inactive\"", "{\"sub_state\":\"dead\",\"active_state\":\"inactive\"}",
                           "{\"active_state\":\"active\",\"sub_state\":\"dead\"}", "{\"active_state\":1}",
                           "{\"active_state\":[\"inactive\"]}", "{\"active_state\":\"inactive \"}",
                           "{\"Active_state\":\"inactive\"}", "{{\"active_state\":\"inactive\"}}", "x"}) {
    INFO(text);
    CHECK_FALSE(state_text_says_finished(text));
  }
  CHECK(state_text_says_finished("{\"active_state\":\"failed\",\"sub_state\":\"failed\"}"));
}
