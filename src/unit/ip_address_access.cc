#include "unit/ip_address_access.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "base/strings.h"

namespace unitrun {
namespace {

IpPrefix make(int family, std::initializer_list<uint8_t> leading, uint8_t prefixlen) {
  IpPrefix p;
  p.family = family;
  std::copy(leading.begin(), leading.end(), p.address.begin());
  p.prefixlen = prefixlen;
  return p;
}

void clear_host_bits(IpPrefix& p) {
  size_t bits = ip_address_size(p.family) * 8;
  for (size_t i = 0; i < p.address.size(); ++i) {
    size_t first_bit = i * 8;
    if (first_bit >= bits || first_bit >= p.prefixlen) {
      p.address[i] = 0;
    } else if (first_bit + 8 > p.prefixlen) {
      p.address[i] &= static_cast<uint8_t>(0xff << (8 - (p.prefixlen - first_bit)));
    }
  }
}

// systemd's is_localhost(): the name localhost and the names below it.
bool is_localhost_name(std::string_view w) {
  if (!w.empty() && w.back() == '.') w.remove_suffix(1);
  auto ends_with = [&](std::string_view s) { return w.size() >= s.size() && w.substr(w.size() - s.size()) == s; };
  return w == "localhost" || w == "localhost.localdomain" || ends_with(".localhost") ||
         ends_with(".localhost.localdomain");
}

Result<IpPrefix> parse_prefix(const std::string& word) {
  IpPrefix p;
  std::string address = word;
  std::optional<unsigned> length;
  if (auto slash = word.find('/'); slash != std::string::npos) {
    address = word.substr(0, slash);
    std::string digits = word.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
      return Error::plain("'" + word + "' is not an address prefix (the prefix length is a number)");
    length = static_cast<unsigned>(std::stoul(digits));
  }
  if (::inet_pton(AF_INET, address.c_str(), p.address.data()) == 1) {
    p.family = AF_INET;
  } else if (::inet_pton(AF_INET6, address.c_str(), p.address.data()) == 1) {
    p.family = AF_INET6;
  } else {
    return Error::plain("'" + word +
                        "' is not an IP address, ADDRESS/PREFIXLEN, any, localhost, link-local or multicast");
  }
  unsigned max = static_cast<unsigned>(ip_address_size(p.family) * 8);
  if (length && *length > max)
    return Error::plain("'" + word + "': the prefix length of an " + (p.family == AF_INET ? "IPv4" : "IPv6") +
                        " address is at most " + std::to_string(max));
  p.prefixlen = static_cast<uint8_t>(length.value_or(max));
  clear_host_bits(p);
  return p;
}

}  // namespace

size_t ip_address_size(int family) { return family == AF_INET ? 4 : 16; }

Status add_ip_prefixes(std::string_view line, std::vector<IpPrefix>& list) {
  std::vector<IpPrefix> adding;
  for (const std::string& word : split_whitespace(line)) {
    if (word == "any") {
      adding.push_back(make(AF_INET, {}, 0));
      adding.push_back(make(AF_INET6, {}, 0));
    } else if (is_localhost_name(word)) {
      adding.push_back(make(AF_INET, {127}, 8));
      adding.push_back(make(AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128));
    } else if (word == "link-local") {
      adding.push_back(make(AF_INET, {169, 254}, 16));
      adding.push_back(make(AF_INET6, {0xfe, 0x80}, 64));
    } else if (word == "multicast") {
      adding.push_back(make(AF_INET, {224}, 4));
      adding.push_back(make(AF_INET6, {0xff}, 8));
    } else {
      auto p = parse_prefix(word);
      if (!p) return p.error();
      adding.push_back(*p);
    }
  }
  for (const IpPrefix& p : adding)
    if (auto at = std::lower_bound(list.begin(), list.end(), p); at == list.end() || *at != p) list.insert(at, p);
  return ok();
}

std::string ip_prefix_text(const IpPrefix& p) {
  char text[INET6_ADDRSTRLEN] = {};
  if (!::inet_ntop(p.family, p.address.data(), text, sizeof text)) return "?";
  return std::string(text) + "/" + std::to_string(p.prefixlen);
}

bool ip_prefix_contains(const IpPrefix& p, int family, const uint8_t* address) {
  if (p.family != family) return false;
  for (unsigned bit = 0; bit < p.prefixlen; bit += 8) {
    unsigned n = std::min(8u, p.prefixlen - bit);
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - n));
    if ((address[bit / 8] & mask) != p.address[bit / 8]) return false;
  }
  return true;
}

bool ip_access_allowed(const std::vector<IpPrefix>& allow, const std::vector<IpPrefix>& deny, int family,
                       const uint8_t* address) {
  auto matches = [&](const std::vector<IpPrefix>& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const IpPrefix& p) { return ip_prefix_contains(p, family, address); });
  };
  if (matches(allow)) return true;
  return !matches(deny);
}

bool ip_prefixes_cover_all(const std::vector<IpPrefix>& list) {
  auto has = [&](int family) {
    return std::any_of(list.begin(), list.end(),
                       [&](const IpPrefix& p) { return p.family == family && p.prefixlen == 0; });
  };
  return has(AF_INET) && has(AF_INET6);
}

bool ip_prefix_is_localhost(const IpPrefix& p) {
  if (p.family == AF_INET) return p.address[0] == 127;
  static constexpr std::array<uint8_t, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return p.address == kLoopback;
}

}  // namespace unitrun
