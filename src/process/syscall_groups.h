// systemd 252's system call groups (SystemCallFilter=@system-service, ...),
// as a table generated from `systemd-analyze syscall-filter`
// (scripts/gen-syscall-groups, syscall_groups.inc). Names only: which of
// them exist on this architecture is libseccomp's business when a filter is
// built (sandbox_seccomp.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unitrun::process::syscall_groups {

struct Group {
  std::string_view name;                  // "@system-service"
  std::string_view help;                  // systemd's one-line description
  std::vector<std::string_view> members;  // system calls and nested groups ("@basic-io"), systemd's order
};

// Every group, in systemd's order (@default first).
const std::vector<Group>& all();

// nullptr when there is no such group.
const Group* find(std::string_view name);

// The system calls a group stands for, nested groups resolved, sorted and
// without duplicates; nullopt for an unknown group. A plain name resolves to
// itself (whether the kernel knows it is not decided here).
std::optional<std::vector<std::string>> resolve(std::string_view name_or_group);

}  // namespace unitrun::process::syscall_groups
