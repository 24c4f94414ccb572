// parse_notify_fields: the sd_notify datagram format ("KEY=VALUE" lines,
// sd_notify(3)). A service may send anything; the parser must never throw,
// and must take nothing from a line that is not an assignment.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "notify/notify_server.h"

using unitrun::notify::parse_notify_fields;
using Fields = std::map<std::string, std::string>;

TEST_CASE("parse_notify_fields: one assignment, with and without a final newline", "[notify]") {
  CHECK(parse_notify_fields("READY=1") == Fields{{"READY", "1"}});
  CHECK(parse_notify_fields("READY=1\n") == Fields{{"READY", "1"}});
  CHECK(parse_notify_fields("WATCHDOG=1\n") == Fields{{"WATCHDOG", "1"}});
}

TEST_CASE("parse_notify_fields: several assignments in one datagram", "[notify]") {
  Fields f = parse_notify_fields(
      "READY=1\nSTATUS=Processing requests...\nMAINPID=4711\nERRNO=2\nEXTEND_TIMEOUT_USEC=5000000\n");
  CHECK(f == Fields{{"READY", "1"},
                    {"STATUS", "Processing requests..."},
                    {"MAINPID", "4711"},
                    {"ERRNO", "2"},
                    {"EXTEND_TIMEOUT_USEC", "5000000"}});
  CHECK(parse_notify_fields("RELOADING=1\nMONOTONIC_USEC=123\n") ==
        Fields{{"RELOADING", "1"}, {"MONOTONIC_USEC", "123"}});
  CHECK(parse_notify_fields("STOPPING=1") == Fields{{"STOPPING", "1"}});
}

TEST_CASE("parse_notify_fields: the value is everything after the first '='", "[notify]") {
  CHECK(parse_notify_fields("STATUS=a=b=c") == Fields{{"STATUS", "a=b=c"}});
  CHECK(parse_notify_fields("STATUS=") == Fields{{"STATUS", ""}});
  CHECK(parse_notify_fields("STATUS= leading and trailing  ") == Fields{{"STATUS", " leading and trailing  "}});
  CHECK(parse_notify_fields("STATUS=caf\xc3\xa9") == Fields{{"STATUS", "caf\xc3\xa9"}});
}

TEST_CASE("parse_notify_fields: a repeated key keeps the last value", "[notify]") {
  CHECK(parse_notify_fields("STATUS=one\nSTATUS=two\n") == Fields{{"STATUS", "two"}});
}

TEST_CASE("parse_notify_fields: empty datagrams and blank lines give nothing", "[notify]") {
  CHECK(parse_notify_fields("").empty());
  CHECK(parse_notify_fields("\n").empty());
  CHECK(parse_notify_fields("\n\n\n").empty());
  CHECK(parse_notify_fields("\nREADY=1\n\n") == Fields{{"READY", "1"}});
}

TEST_CASE("parse_notify_fields: lines without '=' or with an empty key are skipped", "[notify]") {
  CHECK(parse_notify_fields("READY").empty());
  CHECK(parse_notify_fields("garbage here").empty());
  CHECK(parse_notify_fields("=1").empty());
  CHECK(parse_notify_fields("=").empty());
  CHECK(parse_notify_fields("garbage\n=x\nREADY=1\nmore garbage") == Fields{{"READY", "1"}});
}

TEST_CASE("parse_notify_fields: values are byte-exact (no trimming, no CR stripping)", "[notify]") {
  // "READY=1\r" is not "READY=1": the monitor compares values exactly, as
  // systemd does, so a CRLF sender is not taken as ready.
  CHECK(parse_notify_fields("READY=1\r\n") == Fields{{"READY", "1\r"}});
  CHECK(parse_notify_fields(" READY=1") == Fields{{" READY", "1"}});
  CHECK(parse_notify_fields("READY =1") == Fields{{"READY ", "1"}});
}

TEST_CASE("parse_notify_fields: binary garbage and NUL bytes never break it", "[notify]") {
  std::string with_nul("STATUS=a\0b\nREADY=1", 18);
  Fields f = parse_notify_fields(with_nul);
  CHECK(f.at("STATUS") == std::string("a\0b", 3));
  CHECK(f.at("READY") == "1");

  std::string nul_only(64, '\0');
  CHECK(parse_notify_fields(nul_only).empty());

  // Every byte value, in a few shapes; only complete assignments come out.
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  Fields g = parse_notify_fields(all);
  for (const auto& [k, v] : g) {
    CHECK_FALSE(k.empty());
    CHECK(k.find('\n') == std::string::npos);
    CHECK(v.find('\n') == std::string::npos);
  }
  std::string noise;
  unsigned x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1103515245u + 12345u;
    noise.push_back(static_cast<char>(x >> 16));
  }
  Fields h = parse_notify_fields(noise);
  for (const auto& [k, v] : h) {
    CHECK_FALSE(k.empty());
    CHECK(k.find('=') == std::string::npos);
    CHECK(k.find('\n') == std::string::npos);
  }
}

TEST_CASE("parse_notify_fields: a long datagram is parsed whole", "[notify]") {
  std::string status(4000, 'x');
  Fields f = parse_notify_fields("STATUS=" + status + "\nREADY=1\n");
  CHECK(f.at("STATUS") == status);
  CHECK(f.at("READY") == "1");
}
