// IPAddressAllow=/IPAddressDeny=: a BPF program (BPF_PROG_TYPE_CGROUP_SKB)
// on the unit's cgroup v2 directory, one for each direction, as systemd's
// bpf-firewall does: every IP packet a process of the cgroup receives
// (BPF_CGROUP_INET_INGRESS, by its source address) or sends
// (BPF_CGROUP_INET_EGRESS, by its destination address) is looked up in
// LPM trie maps of the allow and deny prefixes and dropped when it matches
// a deny entry and no allow entry (unit/ip_address_access.h's rule). A
// dropped send fails with EPERM; a dropped receive is as if never sent.
//
// The programs are attached with BPF_F_ALLOW_MULTI, so that a program the
// service attaches below (Delegate=) does not replace them. The kernel
// keeps an attached program and its maps for as long as the cgroup
// exists: nothing here keeps an fd, the filter outlives a SIGKILLed
// monitor for the processes left in the cgroup, and an idle monitor holds
// nothing for it. The syscalls go through libbpf (bpf/bpf.h), included in
// bpf_firewall.cc only.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "unit/ip_address_access.h"

namespace unitrun::process {

// Builds the maps and the two programs and attaches them to `cgroup_dir`
// (a cgroup v2 directory), after removing the programs an earlier run left
// there. Errors name the step and the kernel's reason ("load the ingress
// program: Operation not permitted").
Status attach_ip_firewall(const std::string& cgroup_dir, const std::vector<IpPrefix>& allow,
                          const std::vector<IpPrefix>& deny);

// Detaches every ingress and egress program attached to `cgroup_dir` (an
// earlier run's, in a cgroup directory being reused).
Status detach_ip_firewall(const std::string& cgroup_dir);

// Whether this kernel loads such a program (an LPM trie map and a
// cgroup-skb program are made and freed; nothing is attached). For `check`.
Status probe_ip_firewall();

}  // namespace unitrun::process
