// IPAddressAllow=/IPAddressDeny= as data: the entries a line gives
// (systemd's in-addr-prefix-util rules) and the allow/deny decision the
// kernel filter carries out.
#include "unit/ip_address_access.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace unitrun;

namespace {

std::vector<std::string> texts(const std::vector<IpPrefix>& list) {
  std::vector<std::string> out;
  for (const IpPrefix& p : list) out.push_back(ip_prefix_text(p));
  return out;
}

std::vector<IpPrefix> parse(const std::string& line) {
  std::vector<IpPrefix> list;
  Status s = add_ip_prefixes(line, list);
  INFO(line);
  REQUIRE(s);
  return list;
}

// Whether an address (text) passes the lists.
bool allowed(const std::vector<IpPrefix>& allow, const std::vector<IpPrefix>& deny, const std::string& address) {
  std::array<uint8_t, 16> bytes{};
  int family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
  REQUIRE(::inet_pton(family, address.c_str(), bytes.data()) == 1);
  return ip_access_allowed(allow, deny, family, bytes.data());
}

}  // namespace

TEST_CASE("IPAddressDeny= words: any, localhost, link-local, multicast are systemd's prefix pairs", "[ipaccess]") {
  CHECK(texts(parse("any")) == std::vector<std::string>{"0.0.0.0/0", "::/0"});
  CHECK(texts(parse("localhost")) == std::vector<std::string>{"127.0.0.0/8", "::1/128"});
  CHECK(texts(parse("localhost.localdomain")) == texts(parse("localhost")));
  CHECK(texts(parse("link-local")) == std::vector<std::string>{"169.254.0.0/16", "fe80::/64"});
  CHECK(texts(parse("multicast")) == std::vector<std::string>{"224.0.0.0/4", "ff00::/8"});
}

TEST_CASE("IPAddressDeny= entries: an address is a full-length prefix, host bits are cleared, duplicates merge",
          "[ipaccess]") {
  CHECK(texts(parse("10.1.2.3")) == std::vector<std::string>{"10.1.2.3/32"});
  CHECK(texts(parse("10.1.2.3/8 10.9.9.9/8")) == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(texts(parse("192.168.7.77/20")) == std::vector<std::string>{"192.168.0.0/20"});
  CHECK(texts(parse("2001:db8::1/32")) == std::vector<std::string>{"2001:db8::/32"});
  CHECK(texts(parse("fe80::1")) == std::vector<std::string>{"fe80::1/128"});
  CHECK(texts(parse("0.0.0.0/0")) == std::vector<std::string>{"0.0.0.0/0"});
  // Lines add up (the caller resets on an empty one).
  std::vector<IpPrefix> list = parse("127.0.0.1");
  REQUIRE(add_ip_prefixes("::1 127.0.0.1", list));
  CHECK(texts(list) == std::vector<std::string>{"127.0.0.1/32", "::1/128"});
}

TEST_CASE("IPAddressDeny= bad entries are errors naming them, and leave the list as it was", "[ipaccess]") {
  for (const char* bad : {"10.0.0.0/33", "::/129", "example.com", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8",
                          "256.1.1.1", "1.2.3.4/x", "anything"}) {
    INFO(bad);
    std::vector<IpPrefix> list = parse("127.0.0.1");
    Status s = add_ip_prefixes(std::string("10.0.0.1 ") + bad, list);
    REQUIRE_FALSE(s);
    CHECK(s.error().message().find(bad) != std::string::npos);
    CHECK(texts(list) == std::vector<std::string>{"127.0.0.1/32"});
  }
}

TEST_CASE("IPAddressAllow= wins over IPAddressDeny=, an unmatched address passes", "[ipaccess]") {
  std::vector<IpPrefix> none;
  auto any = parse("any");
  auto localhost = parse("localhost");
  // Nothing set: all pass.
  CHECK(allowed(none, none, "192.0.2.1"));
  // Deny any: all dropped, both families.
  CHECK_FALSE(allowed(none, any, "127.0.0.1"));
  CHECK_FALSE(allowed(none, any, "::1"));
  CHECK_FALSE(allowed(none, any, "192.0.2.1"));
  // Deny any, allow localhost: loopback passes, the rest is dropped.
  CHECK(allowed(localhost, any, "127.0.0.1"));
  CHECK(allowed(localhost, any, "127.255.0.9"));
  CHECK(allowed(localhost, any, "::1"));
  CHECK_FALSE(allowed(localhost, any, "::2"));
  CHECK_FALSE(allowed(localhost, any, "128.0.0.1"));
  // Allow alone changes nothing.
  CHECK(allowed(localhost, none, "192.0.2.1"));
  // One /32 denied: only that address.
  auto one = parse("127.0.0.2");
  CHECK_FALSE(allowed(none, one, "127.0.0.2"));
  CHECK(allowed(none, one, "127.0.0.1"));
  CHECK(allowed(none, one, "127.0.0.3"));
  // The longer allow inside a shorter deny, and the other way round: allow wins either way.
  CHECK(allowed(parse("10.1.0.0/16"), parse("10.0.0.0/8"), "10.1.2.3"));
  CHECK_FALSE(allowed(parse("10.1.0.0/16"), parse("10.0.0.0/8"), "10.2.0.1"));
  CHECK(allowed(parse("10.0.0.0/8"), parse("10.1.0.0/16"), "10.1.2.3"));
  // Prefix boundaries that do not fall on a byte.
  auto p20 = parse("192.168.16.0/20");
  CHECK_FALSE(allowed(none, p20, "192.168.31.255"));
  CHECK(allowed(none, p20, "192.168.32.0"));
  CHECK(allowed(none, p20, "192.168.15.255"));
  // An IPv4 prefix never matches an IPv6 address (not even ::ffff:127.0.0.1 by 127/8).
  CHECK(allowed(none, parse("127.0.0.0/8"), "::ffff:127.0.0.1"));
  // Multicast and link-local.
  CHECK_FALSE(allowed(none, parse("multicast"), "239.1.2.3"));
  CHECK_FALSE(allowed(none, parse("multicast"), "ff02::1"));
  CHECK_FALSE(allowed(none, parse("link-local"), "fe80::1:2"));
  CHECK(allowed(none, parse("link-local"), "fe80:0:0:1::1"));
}

TEST_CASE("IPAddressDeny=any is what systemd-analyze security counts as blocking everything", "[ipaccess]") {
  CHECK(ip_prefixes_cover_all(parse("any")));
  CHECK(ip_prefixes_cover_all(parse("0.0.0.0/0 ::/0")));
  CHECK_FALSE(ip_prefixes_cover_all(parse("0.0.0.0/0")));
  CHECK_FALSE(ip_prefixes_cover_all(parse("10.0.0.0/8 ::/0")));
  CHECK(ip_prefix_is_localhost(parse("127.0.0.0/8")[0]));
  CHECK(ip_prefix_is_localhost(parse("::1")[0]));
  CHECK_FALSE(ip_prefix_is_localhost(parse("10.0.0.1")[0]));
}
