// IPAddressAllow= and IPAddressDeny= (systemd.resource-control(5)) as plain
// data: address prefixes, how a line of them is read, and the rule the
// kernel filter (process/bpf_firewall.h) carries out for every IP packet.
// Pure: no system call.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace unitrun {

// One address prefix. `address` is in network byte order, host bits zero
// (the first 4 bytes for IPv4, the rest zero).
struct IpPrefix {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> address{};
  uint8_t prefixlen = 0;
  auto operator<=>(const IpPrefix&) const = default;
  bool operator==(const IpPrefix&) const = default;
};

// 4 for IPv4, 16 for IPv6.
size_t ip_address_size(int family);

// Adds the entries of one line of IPAddressAllow=/IPAddressDeny= to `list`
// (kept sorted, without duplicates): whitespace-separated ADDRESS,
// ADDRESS/PREFIXLEN (host bits are cleared, as systemd does), or the words
// any (0.0.0.0/0 ::/0), localhost (127.0.0.0/8 ::1/128), link-local
// (169.254.0.0/16 fe80::/64) and multicast (224.0.0.0/4 ff00::/8). An
// empty line is the caller's reset. An invalid entry is an error naming
// it (systemd ignores it with a warning; a filter missing an entry the
// unit asked for is not run here), and `list` is left unchanged.
Status add_ip_prefixes(std::string_view line, std::vector<IpPrefix>& list);

// "127.0.0.0/8", "::1/128".
std::string ip_prefix_text(const IpPrefix& p);

// Whether `address` (network byte order, ip_address_size(family) bytes)
// lies in `p`.
bool ip_prefix_contains(const IpPrefix& p, int family, const uint8_t* address);

// systemd's rule: allowed when the address matches an allow entry, else
// denied when it matches a deny entry, else allowed.
bool ip_access_allowed(const std::vector<IpPrefix>& allow, const std::vector<IpPrefix>& deny, int family,
                       const uint8_t* address);

// The IPv4 and IPv6 ::/0 are both in the list (IPAddressDeny=any), as
// systemd-analyze security tests it.
bool ip_prefixes_cover_all(const std::vector<IpPrefix>& list);
// 127.0.0.0/8 or ::1 (the prefix's address, as systemd's in_addr_is_localhost).
bool ip_prefix_is_localhost(const IpPrefix& p);

}  // namespace unitrun
