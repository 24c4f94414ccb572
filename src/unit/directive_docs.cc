#include "unit/directive_docs.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "unit/directives.h"

namespace unitrun::unit {
namespace {

constexpr std::string_view kSections[] = {"Unit", "Service", "Install"};

// The keys of one status, by reason, in registry order.
std::vector<std::pair<Reason, std::vector<const Directive*>>> by_reason(DirectiveStatus status) {
  std::vector<std::pair<Reason, std::vector<const Directive*>>> groups;
  for (const Directive& d : directives()) {
    if (d.status() != status) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == d.reason(); });
    if (it == groups.end()) it = groups.insert(groups.end(), {d.reason(), {}});
    it->second.push_back(&d);
  }
  return groups;
}

int count(std::string_view section, DirectiveStatus status) {
  int n = 0;
  for (const Directive& d : directives()) n += d.section() == section && d.status() == status;
  return n;
}

// Reason text as roff: a leading quote or dot would be a request.
std::string roff_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '-')
      out += "\\-";
    else if (c == '\\')
      out += "\\e";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

}  // namespace

std::string directives_markdown() {
  std::string out;
  out += "| section | implemented | accepted without effect | refused | all |\n";
  out += "|---|---:|---:|---:|---:|\n";
  for (std::string_view s : kSections) {
    int impl = count(s, DirectiveStatus::Implemented), none = count(s, DirectiveStatus::NoEffect),
        refused = count(s, DirectiveStatus::Refused);
    out += "| [" + std::string(s) + "] | " + std::to_string(impl) + " | " + std::to_string(none) + " | " +
           std::to_string(refused) + " | " + std::to_string(impl + none + refused) + " |\n";
  }
  for (DirectiveStatus status : {DirectiveStatus::NoEffect, DirectiveStatus::Refused}) {
    out += status == DirectiveStatus::NoEffect ? "\n#### Accepted without effect\n\n" : "\n#### Refused\n\n";
    out += status == DirectiveStatus::NoEffect
               ? "`check` says so in a note (`path:line: note: Key= is accepted without effect: reason`), `show` lists "
                 "them under `AcceptedWithoutEffect=`; their values are still checked where systemd checks them.\n\n"
               : "Each is an error (`path:line: Key= is refused: reason`, exit 6).\n\n";
    out += "| reason | keys |\n|---|---|\n";
    for (const auto& [reason, keys] : by_reason(status)) {
      out += "| " + std::string(reason_text(reason)) + " | ";
      std::string_view section;
      bool first = true;
      for (const Directive* d : keys) {
        if (!first) out += ", ";
        if (d->section() != section) out += "[" + std::string(d->section()) + "] ";
        section = d->section();
        out += "`" + std::string(d->name()) + "=`";
        first = false;
      }
      out += " |\n";
    }
  }
  return out;
}

std::string directives_man() {
  std::string out;
  for (DirectiveStatus status : {DirectiveStatus::NoEffect, DirectiveStatus::Refused}) {
    out += status == DirectiveStatus::NoEffect ? ".SH KEYS ACCEPTED WITHOUT EFFECT\n" : ".SH KEYS REFUSED\n";
    out += status == DirectiveStatus::NoEffect
               ? "Accepted, with a note from\n.BR check ;\ntheir values are still checked.\n"
               : "An error each: unitrun does not run the unit without them.\n";
    for (const auto& [reason, keys] : by_reason(status)) {
      out += ".TP\n";
      std::string names;
      std::string_view section;
      for (const Directive* d : keys) {
        if (d->section() != section) names += " [" + std::string(d->section()) + "]";
        section = d->section();
        names += " \\%" + std::string(d->name()) + "=";  // \% : never hyphenated
      }
      out += ".B" + names + "\n";
      out += roff_escape(reason_text(reason)) + ".\n";
    }
  }
  return out;
}

std::string directives_list() {
  std::string out;
  for (std::string_view s : kSections) {
    out += "[" + std::string(s) + "]\n";
    for (const Directive& d : directives())
      if (d.section() == s) out += std::string(d.name()) + "\n";
  }
  return out;
}

}  // namespace unitrun::unit
