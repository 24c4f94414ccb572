#include "unit/directives.h"

#include <string>
#include <unordered_map>
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

const Directive* find_directive(std::string_view section, std::string_view name) {
  // Hashed once: every line of every unit looks its key up here.
  static const auto index = [] {
    std::unordered_map<std::string_view, std::vector<const Directive*>> by_name;
    for (const Directive& d : directives()) by_name[d.name].push_back(&d);
    return by_name;
  }();
  auto it = index.find(name);
  if (it == index.end()) return nullptr;
  for (const Directive* d : it->second)
    if (d->section == section) return d;
  return nullptr;
}

std::string_view reason_text(Reason reason) {
  switch (reason) {
    case Reason::None:
      return "";
    case Reason::ManagedTogether:
      return "it takes effect when units are managed together; unitrun runs one unit at a time";
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
      return "accounting needs a control group of the unit's own; unitrun status reads memory and processes from /proc";
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
    case Reason::Sandboxing:
      return "sandboxing is not implemented yet: refused rather than running the service unprotected";
    case Reason::ResourceControl:
      return "resource control is not implemented yet: refused rather than running the service without its limit";
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
