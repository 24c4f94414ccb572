#include "unit/install_plan.h"

#include <algorithm>

#include "base/strings.h"
#include "unit/unit_name.h"

namespace unitrun::unit {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <typename T>
void add_once(std::vector<T>& to, T item) {
  if (std::find(to.begin(), to.end(), item) == to.end()) to.push_back(std::move(item));
}

// A template name written in [Install] ("getty@.target", "foo@.service")
// takes the instance of the unit being enabled, as systemd does; other
// names stay as written.
std::string with_instance(const std::string& name, const std::string& instance) {
  return instance.empty() ? name : instance_name(name, instance);
}

}  // namespace

std::string instance_name(const std::string& template_name, const std::string& instance) {
  size_t at = template_name.find('@');
  size_t dot = template_name.rfind('.');
  if (at == std::string::npos || dot == std::string::npos || dot != at + 1) return template_name;
  return template_name.substr(0, at + 1) + instance + template_name.substr(dot);
}

EnablePlan plan_enable(const InstallSource& s) {
  EnablePlan plan;
  UnitName n = unit_name_of(s.name);
  std::string instance = n.instance;
  // The template itself: its DefaultInstance=, or no name for the targets
  // to want (systemd enables no instance it was not told of).
  if (n.is_template && !s.default_instance.empty()) instance = s.default_instance;
  std::string linked_name = n.is_template ? (instance.empty() ? "" : instance_name(s.name, instance)) : s.name;
  if (!linked_name.empty()) {
    auto wanted = [&](const std::vector<std::string>& targets, const char* suffix) {
      for (const std::string& t : targets)
        add_once(plan.links, PlannedLink{with_instance(t, instance) + suffix, linked_name, s.file_path});
    };
    wanted(s.wanted_by, ".wants");
    wanted(s.required_by, ".requires");
    wanted(s.upheld_by, ".upholds");
  }
  for (const std::string& a : s.alias) {
    std::string alias = with_instance(a, n.is_template ? "" : instance);
    if (alias != s.name) add_once(plan.links, PlannedLink{"", alias, s.file_path});
  }
  for (const std::string& a : s.also)
    if (a != s.name) add_once(plan.also, a);
  plan.installable = !plan.links.empty() || !plan.also.empty();
  return plan;
}

DisablePlan plan_disable(const InstallSource& s, const std::string& own_file) {
  DisablePlan plan;
  UnitName n = unit_name_of(s.name);
  add_once(plan.names, s.name);
  for (const std::string& a : s.alias) add_once(plan.names, with_instance(a, n.is_template ? "" : n.instance));
  for (const std::string& a : s.also)
    if (a != s.name) add_once(plan.also, a);
  plan.own_file = own_file;
  return plan;
}

bool is_link_directory(const std::string& directory) {
  return ends_with(directory, ".wants") || ends_with(directory, ".requires") || ends_with(directory, ".upholds");
}

bool removes(const DisablePlan& plan, const std::string& directory, const std::string& name,
             const std::string& target) {
  if (target == kMaskTarget) return false;
  if (directory.empty() && name == plan.own_file) return false;
  auto named = [&](const std::string& n) {
    return std::find(plan.names.begin(), plan.names.end(), n) != plan.names.end();
  };
  return named(name) || named(base_name(target)) ||
         std::find(plan.targets.begin(), plan.targets.end(), target) != plan.targets.end();
}

PlannedLink plan_mask(const std::string& name) { return PlannedLink{"", name, kMaskTarget}; }

}  // namespace unitrun::unit
