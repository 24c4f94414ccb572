#include "unit/directives.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace unitrun::unit {

namespace {

// The parts in directives()' order, which is also DirectivePart's.
DirectivePartTable part_table(DirectivePart part) {
  switch (part) {
    case DirectivePart::Unit:
      return unit_section_directives();
    case DirectivePart::Service:
      return service_directives();
    case DirectivePart::Exec:
      return exec_directives();
    case DirectivePart::Sandbox:
      return sandbox_directives();
    case DirectivePart::Install:
      return install_directives();
  }
  return {};
}

constexpr DirectivePart kParts[] = {DirectivePart::Unit, DirectivePart::Service, DirectivePart::Exec,
                                    DirectivePart::Sandbox, DirectivePart::Install};

}  // namespace

std::span<const Directive> directives() {
  // A copy of all rows, for check, the docs and suggestions: a lookup never
  // makes it (find_directive() searches the parts' own tables), so the
  // monitor's heap never holds it.
  static const std::vector<Directive> all = [] {
    std::vector<Directive> rows;
    for (DirectivePart part : kParts) {
      auto table = part_table(part).rows;
      rows.insert(rows.end(), table.begin(), table.end());
    }
    return rows;
  }();
  return all;
}

// Every line of every unit looks its key up here: a binary search of each
// part's index, made at compile time (rows_by_name()), so nothing is built
// on the heap (a sorted array of pointers was 4 kB in every idle monitor's).
namespace {

// The place of the row of that key in the part's rows, or nullopt.
std::optional<size_t> find_in(const DirectivePartTable& table, std::string_view section, std::string_view name) {
  auto key = std::pair(name, section);
  auto it = std::lower_bound(table.by_name.begin(), table.by_name.end(), key, [&](uint16_t row, const auto& k) {
    return std::pair(table.rows[row].name(), table.rows[row].section()) < k;
  });
  if (it == table.by_name.end() || table.rows[*it].name() != name || table.rows[*it].section() != section)
    return std::nullopt;
  return *it;
}

}  // namespace

// Every line of every unit looks its key up here: a binary search of each
// part's index, made at compile time (rows_by_name()), so nothing is built
// on the heap (a sorted array of pointers was 4 kB in every idle monitor's).
const Directive* find_directive(std::string_view section, std::string_view name) {
  for (DirectivePart part : kParts) {
    DirectivePartTable table = part_table(part);
    if (auto k = find_in(table, section, name)) return &table.rows[*k];
  }
  return nullptr;
}

size_t directive_count() {
  size_t n = 0;
  for (DirectivePart part : kParts) n += part_table(part).rows.size();
  return n;
}

size_t directive_ordinal(const Directive& d) {
  size_t before = 0;
  for (DirectivePart part : kParts) {
    DirectivePartTable table = part_table(part);
    if (part != d.part()) {
      before += table.rows.size();
      continue;
    }
    // A row of the part's own table (what find_directive() returns, for
    // every key of every unit the parser reads) is placed by its address;
    // a copy (directives()' rows) by a search.
    const Directive* first = table.rows.data();
    if (std::less_equal<const Directive*>()(first, &d) && std::less<const Directive*>()(&d, first + table.rows.size()))
      return before + static_cast<size_t>(&d - first);
    return before + find_in(table, d.section(), d.name()).value_or(0);
  }
  return before;
}

std::string_view Directive::section() const {
  switch (section_) {
    case DirectiveSection::Unit:
      return "Unit";
    case DirectiveSection::Service:
      return "Service";
    case DirectiveSection::Install:
      return "Install";
  }
  return "";
}

KeyParser Directive::parse() const {
  if (parser_ == 0) return nullptr;
  std::span<const KeyParser> parsers = part_table(part_).parsers;
  return parser_ <= parsers.size() ? parsers[parser_ - 1] : nullptr;
}

std::string_view reason_text(Reason reason) {
  switch (reason) {
    case Reason::None:
      return "";
    case Reason::ManagedTogether:
      return "it takes effect while a manager watches units between commands; unitrun acts on dependencies when "
             "a command starts or stops units";
    case Reason::NoJobQueue:
      return "unitrun has no job queue: a start or stop is never queued behind another";
    case Reason::NoIsolate:
      return "unitrun has no isolate operation";
    case Reason::NoGarbageCollection:
      return "unitrun keeps no unit loaded once it has ended, so there is nothing to collect";
    case Reason::GeneratorRecord:
      return "it names the file a generator converted; unitrun reads the file it is given";
    case Reason::NoSystemAction:
      return "unitrun never reboots, powers off or halts the machine, nor exits a service manager: the action is "
             "not taken";
    case Reason::SystemActionDetail:
      return "it only qualifies a reboot or exit action, which unitrun never takes";
    case Reason::Accounting:
      return "accounting limits nothing: unitrun keeps no I/O or IP counters (status shows memory, tasks and CPU "
             "time, as MemoryAccounting=, TasksAccounting= and CPUAccounting= say)";
    case Reason::SocketActivationOption:
      return "it applies to sockets passed by socket activation, which unitrun does not do";
    case Reason::FileDescriptorStore:
      return "the file descriptor store is kept by systemd itself; unitrun ignores FDSTORE=1";
    case Reason::JournaldSetting:
      return "journald applies it to the units systemd runs; unitrun's log streams keep every line";
    case Reason::NoUtmp:
      return "unitrun writes no utmp or wtmp records";
    case Reason::NoCleanOperation:
      return "unitrun has no clean operation (systemctl clean)";
    case Reason::NoOomDetection:
      return "without a control group of its own unitrun cannot tell an OOM kill from another SIGKILL, and handles it "
             "like any signal";
    case Reason::NoStartupPhase:
      return "it applies only while the system starts up, a phase unitrun does not have; the setting without "
             "Startup applies";
    case Reason::NoControllerTree:
      return "unitrun enables no controller for sub-groups of a unit, so there is none to disable";
    case Reason::NoOomd:
      return "it is systemd-oomd's setting, and unitrun does not use systemd-oomd (MemoryMax= and OOM kills still "
             "apply)";
    case Reason::MacLabelIgnorable:
      return "unitrun applies no SELinux, AppArmor or SMACK label: accepted only with systemd's '-' prefix (run "
             "without it where it cannot be applied), with a warning; refused without it";
    case Reason::Sandboxing:
      return "unitrun does not implement this protection: refused rather than running the service without it";
    case Reason::ResourceControl:
      return "unitrun does not implement this limit: refused rather than running the service without it";
    case Reason::ImageMount:
      return "unitrun does not mount disk images (they need dm-verity and loop devices): refused rather than running "
             "the service on the host's file system";
    case Reason::DynamicUser:
      return "dynamic users need systemd's user database (nss-systemd), which unitrun does not provide";
    case Reason::BpfFilter:
      return "it needs a BPF program attached to the unit's control group, which unitrun does not load: refused "
             "rather than running the service without the filter";
    case Reason::NamespacePath:
      return "joining a namespace another unit made needs systemd's bookkeeping of it";
    case Reason::MacLabel:
      return "unitrun applies no SELinux, AppArmor or SMACK label: refused rather than running the service without "
             "it";
    case Reason::SocketActivation:
      return "socket activation is not supported";
    case Reason::PamSession:
      return "PAM sessions are not supported: refused rather than running the service without its session's limits "
             "and environment";
    case Reason::EncryptedCredential:
      return "encrypted credentials need systemd-creds' host key or TPM2, which unitrun does not use";
  }
  return "";
}

const char* to_string(DirectiveStatus status) {
  switch (status) {
    case DirectiveStatus::Implemented:
      return "implemented";
    case DirectiveStatus::NoEffect:
      return "no effect";
    case DirectiveStatus::Refused:
      return "refused";
  }
  return "?";
}

}  // namespace unitrun::unit
