// A unit's name, as systemd.unit(5) defines it, from the file it is read
// from: "web@8080.service" is instance "8080" of the template
// "web@.service". Files that do not end in ".service" keep unitrun's own
// rules: "web@8080.ini" is the unit "web@8080", prefix "web", instance
// "8080". Pure.
#pragma once

#include <string>
#include <string_view>

namespace unitrun::unit {

struct UnitName {
  std::string file_name;       // the last path component: %n
  std::string name;            // the unit's name: "web@8080.service", or "web@8080" for "web@8080.ini"
  std::string without_suffix;  // %N: "web@8080"
  std::string prefix;          // %p: before the first '@', or %N without one
  std::string instance;        // %i: between '@' and the suffix
  bool is_service = false;     // the file name ends in ".service"
  bool is_template = false;    // "web@.service": '@' followed directly by the suffix
};

UnitName unit_name_of(std::string_view path);
// The name a template's specifiers see when it is checked alone: its
// instance kTemplateCheckInstance. Other names are returned as they are.
UnitName as_checked(const UnitName& name);

// 1 to 200 of A-Z a-z 0-9 : _ . @ - \, not starting with '-', not "." or
// "..", and for a ".service" file not starting with '@' (systemd's rule).
bool is_valid_unit_name(std::string_view name);
// A dependency's name as systemd accepts it: NAME.TYPE with a known type,
// shorter than 256 bytes, systemd's characters, not starting with '@'.
bool is_valid_dependency_name(std::string_view name);

// The name of a service as systemd knows it: NAME.service for a unit named
// by its file NAME.ini (or any name without that suffix), the name itself
// otherwise. One service has one such name, whatever its file is called:
// its cgroup and its name lock are keyed by it, so that ./web.ini and
// web.service never run at once under one name.
std::string service_name(std::string_view name);

// What a template is checked as when no instance is given: instance "i",
// as `systemd-analyze verify foo@.service` checks foo@i.service.
inline constexpr std::string_view kTemplateCheckInstance = "i";

// systemd-escape --unescape: "\xNN" becomes that byte, '-' becomes '/'
// (%I, %J, %P).
std::string unescape(std::string_view escaped);
// systemd-escape --unescape --path: the same, as an absolute path ("-" alone
// is "/"): %f.
std::string unescape_path(std::string_view escaped);

}  // namespace unitrun::unit
