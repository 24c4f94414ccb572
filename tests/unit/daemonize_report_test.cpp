// runtime/daemonize.h: the report the caller of a start reads from its
// monitor, "monitor PID START" (identity_line()) and then the reply.
#include <catch2/catch.hpp>

#include "base/exit_codes.h"
#include "runtime/daemonize.h"
#include "runtime/reply.h"

namespace {

using unitrun::daemon::identity_line;
using unitrun::daemon::identity_text;
using unitrun::daemon::parse_identity_text;
using unitrun::daemon::parse_report;

TEST_CASE("parse_report: the identity line and an ok reply", "[daemonize]") {
  auto o = parse_report(identity_line(4242, 18446744073709551615ULL) + unitrun::format_reply_ok("777"));
  CHECK(o.monitor_pid == 4242);
  CHECK(o.monitor_start_time == 18446744073709551615ULL);
  CHECK(o.code == 0);
  CHECK(o.pid == 777);
  CHECK(o.detail.empty());
}

TEST_CASE("parse_report: a failure after the identity line", "[daemonize]") {
  auto o =
      parse_report(identity_line(99, 5) + unitrun::format_reply_fail(unitrun::exit_code::kFailure, "no such program"));
  CHECK(o.monitor_pid == 99);
  CHECK(o.monitor_start_time == 5);
  CHECK(o.code == unitrun::exit_code::kFailure);
  CHECK(o.message == "no such program");
}

TEST_CASE("parse_report: an identity line alone, or a malformed one, names no monitor", "[daemonize]") {
  auto alone = parse_report(identity_line(99, 5));
  CHECK(alone.monitor_pid == 99);
  CHECK(alone.code == unitrun::exit_code::kFailure);
  CHECK(alone.message == "the monitor exited before reporting the outcome");
  CHECK(parse_report("monitor 1 5\nok 3\n").monitor_pid == 0);  // not a monitor's PID
  CHECK(parse_report("monitor x 5\nok 3\n").monitor_pid == 0);
  CHECK(parse_report("monitor 12\nok 3\n").monitor_pid == 0);
  CHECK(parse_report("monitor 12 \nok 3\n").monitor_pid == 0);
  CHECK(parse_report("monitor 99999999999 5\nok 3\n").monitor_pid == 0);
  auto no_identity = parse_report("ok 3\n");
  CHECK(no_identity.monitor_pid == 0);
  CHECK(no_identity.pid == 3);
}

TEST_CASE("identity_text: what it writes, parse_identity_text reads back; nothing else", "[daemonize]") {
  auto id = parse_identity_text(identity_text(4242, 18446744073709551615ULL));
  REQUIRE(id);
  CHECK(id->pid == 4242);
  CHECK(id->start_time == 18446744073709551615ULL);
  CHECK_FALSE(parse_identity_text("1 5"));  // not a monitor's PID
  CHECK_FALSE(parse_identity_text("x 5"));
  CHECK_FALSE(parse_identity_text("12"));
  CHECK_FALSE(parse_identity_text("12 "));
  CHECK_FALSE(parse_identity_text(""));
  CHECK_FALSE(parse_identity_text("99999999999 5"));
}

}  // namespace
