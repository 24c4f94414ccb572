#include "unit/directives.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace unitrun::unit {

std::span<const Directive> directives() {
  static const std::vector<Directive> all = [] {
    std::vector<Directive> rows;
    for (auto part : {unit_section_directives(), service_directives(), exec_directives(), sandbox_directives(),
                      install_directives()})
      rows.insert(rows.end(), part.begin(), part.end());
    return rows;
  }();
  return all;
}

namespace {

bool row_less(const Directive* a, const Directive* b) {
  return std::pair(a->name(), a->section()) < std::pair(b->name(), b->section());
}

struct Key {
  std::string_view section, name;
};
bool row_less_key(const Directive* a, const Key& b) {
  return std::pair(a->name(), a->section()) < std::pair(b.name, b.section);
}

// Every row by (name, section), built from the sections' own tables rather
// than from directives(): that copy of all rows (23 kB) is only made for
// check, the docs and suggestions, so the monitor's heap never holds it.
// One array of pointers (4 kB), not a hash map of vectors (a node and a
// vector per name, 45 kB): the index lives on in every idle monitor's heap.
const std::vector<const Directive*>& sorted_rows() {
  static const std::vector<const Directive*> index = [] {
    std::vector<const Directive*> rows;
    for (auto part : {unit_section_directives(), service_directives(), exec_directives(), sandbox_directives(),
                      install_directives()})
      for (const Directive& d : part) rows.push_back(&d);
    std::sort(rows.begin(), rows.end(), row_less);
    return rows;
  }();
  return index;
}

}  // namespace

const Directive* find_directive(std::string_view section, std::string_view name) {
  // Sorted once: every line of every unit looks its key up here.
  const auto& index = sorted_rows();
  auto it = std::lower_bound(index.begin(), index.end(), Key{section, name}, row_less_key);
  if (it == index.end() || (*it)->name() != name || (*it)->section() != section) return nullptr;
  return *it;
}

size_t directive_count() { return sorted_rows().size(); }

size_t directive_ordinal(const Directive& d) {
  const auto& index = sorted_rows();
  return static_cast<size_t>(std::lower_bound(index.begin(), index.end(), &d, row_less) - index.begin());
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
  std::span<const KeyParser> parsers;
  switch (part_) {
    case DirectivePart::Unit:
      parsers = unit_section_parsers();
      break;
    case DirectivePart::Service:
      parsers = service_parsers();
      break;
    case DirectivePart::Exec:
      parsers = exec_parsers();
      break;
    case DirectivePart::Sandbox:
      parsers = sandbox_parsers();
      break;
    case DirectivePart::Install:
      parsers = install_parsers();
      break;
  }
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
      return "accounting limits nothing: unitrun status shows the unit's memory and tasks whether asked or not";
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
