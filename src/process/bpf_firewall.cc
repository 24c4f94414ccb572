#include "process/bpf_firewall.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <tuple>

#include "base/unique_fd.h"

namespace unitrun::process {
namespace {

// ---- the instructions (the kernel's encoding, linux/bpf.h)

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn mov64_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn add64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm); }
bpf_insn or32_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_OR | BPF_K, dst, 0, 0, imm); }
bpf_insn load32(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn store32_imm(uint8_t dst, int16_t off, int32_t imm) { return insn(BPF_ST | BPF_MEM | BPF_W, dst, 0, off, imm); }
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn call(int32_t helper) { return insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Bits of r8: which lists the packet's address matched.
constexpr int32_t kMatchedAllow = 1, kMatchedDeny = 2;

// The registers kept across helper calls: r6 the skb, r7 its protocol
// (network byte order), r8 the matched bits.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R6 = 6, R7 = 7, R8 = 8, R10 = 10;

// If the packet is of `family`: copy its source (ingress) or destination
// (egress) address onto the stack behind a full-length prefix, look that
// key up in `map_fd`, and set `bit` in r8 on a match.
void add_lookup(std::vector<bpf_insn>& p, int family, bool ingress, int map_fd, int32_t bit) {
  int32_t size = static_cast<int32_t>(ip_address_size(family));
  int32_t offset = family == AF_INET
                       ? static_cast<int32_t>(ingress ? offsetof(iphdr, saddr) : offsetof(iphdr, daddr))
                       : static_cast<int32_t>(ingress ? offsetof(ip6_hdr, ip6_src) : offsetof(ip6_hdr, ip6_dst));
  int32_t protocol = htons(family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
  std::vector<bpf_insn> block = {
      // r2 = offset, r3 = the address's place on the stack, r4 = its size
      mov64_reg(R1, R6),
      mov32_imm(R2, offset),
      mov64_reg(R3, R10),
      add64_imm(R3, -size),
      mov32_imm(R4, size),
      call(BPF_FUNC_skb_load_bytes),
      // the map (two instructions), and the key: {prefixlen = all bits, address}
      insn(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, map_fd),
      insn(0, 0, 0, 0, 0),
      mov64_reg(R2, R10),
      add64_imm(R2, -size - 4),
      store32_imm(R2, 0, size * 8),
      call(BPF_FUNC_map_lookup_elem),
      jump_imm(BPF_JEQ, R0, 0, 1),
      or32_imm(R8, bit),
  };
  p.push_back(jump_imm(BPF_JNE, R7, protocol, static_cast<int16_t>(block.size())));
  p.insert(p.end(), block.begin(), block.end());
}

struct Maps {
  UniqueFd allow_v4, allow_v6, deny_v4, deny_v6;
};

std::vector<bpf_insn> program(const Maps& maps, bool ingress) {
  std::vector<bpf_insn> p = {
      mov64_reg(R6, R1),
      load32(R7, R6, offsetof(__sk_buff, protocol)),
      mov32_imm(R8, 0),
  };
  if (maps.allow_v4) add_lookup(p, AF_INET, ingress, maps.allow_v4.get(), kMatchedAllow);
  if (maps.allow_v6) add_lookup(p, AF_INET6, ingress, maps.allow_v6.get(), kMatchedAllow);
  if (maps.deny_v4) add_lookup(p, AF_INET, ingress, maps.deny_v4.get(), kMatchedDeny);
  if (maps.deny_v6) add_lookup(p, AF_INET6, ingress, maps.deny_v6.get(), kMatchedDeny);
  // Pass (1) unless only the deny list matched (0: drop).
  p.push_back(mov64_imm(R0, 1));
  p.push_back(jump_imm(BPF_JNE, R8, kMatchedDeny, 1));
  p.push_back(mov64_imm(R0, 0));
  p.push_back(exit_insn());
  return p;
}

// libbpf returns -errno (and sets errno).
Error bpf_error(const std::string& what, int ret) { return Error{-ret, what}; }

// An LPM trie of the prefixes of `family` in `list`; an invalid fd when
// there are none.
Result<UniqueFd> make_map(const std::vector<IpPrefix>& list, int family, const char* name) {
  std::vector<const IpPrefix*> entries;
  for (const IpPrefix& p : list)
    if (p.family == family) entries.push_back(&p);
  if (entries.empty()) return UniqueFd{};
  size_t size = ip_address_size(family);
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
  int fd = ::bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, static_cast<uint32_t>(4 + size), sizeof(uint64_t),
                            static_cast<uint32_t>(entries.size()), &opts);
  if (fd < 0) return bpf_error(std::string("create the map ") + name, fd);
  UniqueFd map(fd);
  for (const IpPrefix* p : entries) {
    std::array<uint8_t, 4 + 16> key{};
    uint32_t prefixlen = p->prefixlen;
    std::memcpy(key.data(), &prefixlen, 4);
    std::memcpy(key.data() + 4, p->address.data(), size);
    uint64_t value = 1;
    if (int r = ::bpf_map_update_elem(map.get(), key.data(), &value, BPF_ANY); r < 0)
      return bpf_error("add " + ip_prefix_text(*p) + " to the map " + name, r);
  }
  return map;
}

Result<UniqueFd> load(const std::vector<bpf_insn>& p, bool ingress) {
  LIBBPF_OPTS(bpf_prog_load_opts, opts,
              .expected_attach_type = ingress ? BPF_CGROUP_INET_INGRESS : BPF_CGROUP_INET_EGRESS);
  const char* name = ingress ? "unitrun_ip_in" : "unitrun_ip_out";
  int fd = ::bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, name, "GPL", p.data(), p.size(), &opts);
  if (fd >= 0) return UniqueFd(fd);
  int err = fd;
  std::string what = std::string("load the ") + (ingress ? "ingress" : "egress") + " program";
  if (err != -EACCES && err != -EINVAL) return bpf_error(what, err);
  // The verifier refused it (a unitrun bug): load it again for its words.
  std::string log(16384, '\0');
  LIBBPF_OPTS(bpf_prog_load_opts, verbose, .expected_attach_type = opts.expected_attach_type, .log_level = 1,
              .log_size = static_cast<uint32_t>(log.size()), .log_buf = log.data());
  int again = ::bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, name, "GPL", p.data(), p.size(), &verbose);
  if (again >= 0) (void)::close(again);  // loaded this time: unused, the first failure stands
  log.resize(std::strlen(log.c_str()));
  if (!log.empty()) what += " (verifier: " + log.substr(log.size() > 400 ? log.size() - 400 : 0) + ")";
  return bpf_error(what, err);
}

Result<UniqueFd> open_cgroup(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Error::from_errno("open " + dir);
  return UniqueFd(fd);
}

Status detach_all(int cgroup_fd, bpf_attach_type type) {
  std::array<uint32_t, 64> ids{};
  uint32_t count = ids.size(), flags = 0;
  if (int r = ::bpf_prog_query(cgroup_fd, type, 0, &flags, ids.data(), &count); r < 0)
    return bpf_error("list the programs attached", r);
  for (uint32_t i = 0; i < count; ++i) {
    int fd = ::bpf_prog_get_fd_by_id(ids[i]);
    if (fd < 0) {
      if (fd == -ENOENT) continue;  // freed meanwhile
      return bpf_error("open the attached program " + std::to_string(ids[i]), fd);
    }
    UniqueFd prog(fd);
    if (int r = ::bpf_prog_detach2(prog.get(), cgroup_fd, type); r < 0 && r != -ENOENT)
      return bpf_error("detach the program " + std::to_string(ids[i]), r);
  }
  return ok();
}

}  // namespace

Status detach_ip_firewall(const std::string& cgroup_dir) {
  auto cgroup = open_cgroup(cgroup_dir);
  if (!cgroup) return cgroup.error();
  for (bpf_attach_type type : {BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS})
    if (Status s = detach_all(cgroup->get(), type); !s)
      return Error{s.error().sys_errno, cgroup_dir + ": " + s.error().context};
  return ok();
}

Status attach_ip_firewall(const std::string& cgroup_dir, const std::vector<IpPrefix>& allow,
                          const std::vector<IpPrefix>& deny) {
  Maps maps;
  for (auto [into, list, family, name] : {std::tuple{&maps.allow_v4, &allow, AF_INET, "unitrun_allow4"},
                                          std::tuple{&maps.allow_v6, &allow, AF_INET6, "unitrun_allow6"},
                                          std::tuple{&maps.deny_v4, &deny, AF_INET, "unitrun_deny4"},
                                          std::tuple{&maps.deny_v6, &deny, AF_INET6, "unitrun_deny6"}}) {
    auto map = make_map(*list, family, name);
    if (!map) return map.error();
    *into = std::move(*map);
  }
  auto ingress = load(program(maps, true), true);
  if (!ingress) return ingress.error();
  auto egress = load(program(maps, false), false);
  if (!egress) return egress.error();
  auto cgroup = open_cgroup(cgroup_dir);
  if (!cgroup) return cgroup.error();
  for (bpf_attach_type type : {BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS})
    if (Status s = detach_all(cgroup->get(), type); !s) return s;
  if (int r = ::bpf_prog_attach(ingress->get(), cgroup->get(), BPF_CGROUP_INET_INGRESS, BPF_F_ALLOW_MULTI); r < 0)
    return bpf_error("attach the ingress program to " + cgroup_dir, r);
  if (int r = ::bpf_prog_attach(egress->get(), cgroup->get(), BPF_CGROUP_INET_EGRESS, BPF_F_ALLOW_MULTI); r < 0) {
    Error e = bpf_error("attach the egress program to " + cgroup_dir, r);
    (void)::bpf_prog_detach2(ingress->get(), cgroup->get(), BPF_CGROUP_INET_INGRESS);  // half a filter is worse
    return e;
  }
  return ok();  // the fds close here: the attachments keep programs and maps
}

Status probe_ip_firewall() {
  IpPrefix any;
  any.family = AF_INET;
  Maps maps;
  auto map = make_map({any}, AF_INET, "unitrun_probe");
  if (!map) return map.error();
  maps.deny_v4 = std::move(*map);
  auto prog = load(program(maps, false), false);
  if (!prog) return prog.error();
  return ok();
}

}  // namespace unitrun::process
