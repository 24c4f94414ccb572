// What enable, disable and mask change (unit/install_plan.h), from a unit's
// [Install] section, as systemctl(1) and systemd.unit(5) say.
#include "unit/install_plan.h"

#include <catch2/catch.hpp>

using namespace unitrun;
using unit::PlannedLink;

namespace {

unit::InstallSource source(const std::string& name, const std::string& file) {
  unit::InstallSource s;
  s.name = name;
  s.file_path = file;
  return s;
}

}  // namespace

TEST_CASE("install plan: WantedBy=, RequiredBy=, UpheldBy= and Alias= become links to the unit file",
          "[install_plan]") {
  unit::InstallSource s = source("web.service", "/usr/lib/unitrun/web.service");
  s.wanted_by = {"multi-user.target", "graphical.target", "multi-user.target"};
  s.required_by = {"app.target"};
  s.upheld_by = {"keep.target"};
  s.alias = {"www.service", "web.service"};
  unit::EnablePlan plan = unit::plan_enable(s);
  const std::string f = "/usr/lib/unitrun/web.service";
  CHECK(plan.links == std::vector<PlannedLink>{{"multi-user.target.wants", "web.service", f},
                                               {"graphical.target.wants", "web.service", f},
                                               {"app.target.requires", "web.service", f},
                                               {"keep.target.upholds", "web.service", f},
                                               {"", "www.service", f}});
  CHECK(plan.installable);
  CHECK(plan.also.empty());
}

TEST_CASE("install plan: no [Install] section is nothing to enable, Also= alone is something", "[install_plan]") {
  unit::InstallSource s = source("plain.service", "/etc/unitrun/plain.service");
  CHECK_FALSE(unit::plan_enable(s).installable);
  CHECK(unit::plan_enable(s).links.empty());
  s.also = {"helper.service", "plain.service"};
  unit::EnablePlan plan = unit::plan_enable(s);
  CHECK(plan.installable);
  CHECK(plan.links.empty());
  CHECK(plan.also == std::vector<std::string>{"helper.service"});  // not itself
}

TEST_CASE("install plan: templates, DefaultInstance= and instances", "[install_plan]") {
  const std::string t = "/usr/lib/unitrun/getty@.service";
  unit::InstallSource s = source("getty@.service", t);
  s.wanted_by = {"multi-user.target", "seat@.target"};
  s.alias = {"tty@.service"};
  // The template alone, without DefaultInstance=: no instance to want, only
  // the template's alias (systemd enables no instance it was not told of).
  unit::EnablePlan bare = unit::plan_enable(s);
  CHECK(bare.links == std::vector<PlannedLink>{{"", "tty@.service", t}});
  s.alias.clear();
  CHECK_FALSE(unit::plan_enable(s).installable);
  // DefaultInstance=: the default instance is linked, a template target
  // takes the instance too.
  s.default_instance = "tty1";
  CHECK(unit::plan_enable(s).links == std::vector<PlannedLink>{{"multi-user.target.wants", "getty@tty1.service", t},
                                                               {"seat@tty1.target.wants", "getty@tty1.service", t}});
  // An instance named on the command line: that instance, whatever the
  // default; a template alias becomes the alias's instance.
  s.name = "getty@tty2.service";
  s.alias = {"tty@.service"};
  CHECK(unit::plan_enable(s).links == std::vector<PlannedLink>{{"multi-user.target.wants", "getty@tty2.service", t},
                                                               {"seat@tty2.target.wants", "getty@tty2.service", t},
                                                               {"", "tty@tty2.service", t}});
  CHECK(unit::instance_name("web@.service", "8080") == "web@8080.service");
  CHECK(unit::instance_name("web.service", "8080") == "web.service");
}

TEST_CASE("install plan: disable removes links by name or by target, never a mask or the unit's own file",
          "[install_plan]") {
  unit::InstallSource s = source("web.service", "/etc/unitrun/web.service");
  s.alias = {"www.service"};
  s.also = {"helper.service"};
  unit::DisablePlan plan = unit::plan_disable(s, "web.service");
  CHECK(plan.also == std::vector<std::string>{"helper.service"});
  CHECK(unit::removes(plan, "multi-user.target.wants", "web.service", "/etc/unitrun/web.service"));
  CHECK(unit::removes(plan, "multi-user.target.wants", "web.service", "/elsewhere/web.service"));  // its name
  CHECK(unit::removes(plan, "", "www.service", "/etc/unitrun/web.service"));
  CHECK(unit::removes(plan, "", "old-alias.service", "/usr/lib/unitrun/web.service"));  // its target's name
  CHECK_FALSE(unit::removes(plan, "", "web.service", "/opt/web.service"));              // its own file
  CHECK(unit::removes(plan, "a.target.wants", "web.service", "/opt/web.service"));      // ... only at the top
  CHECK_FALSE(unit::removes(plan, "", "www.service", "/dev/null"));                     // a mask: unmask's
  CHECK_FALSE(unit::removes(plan, "a.target.wants", "db.service", "/etc/unitrun/db.service"));
  // A link to a link removed before goes too.
  plan.targets = {"/etc/unitrun/www.service"};
  CHECK(unit::removes(plan, "", "w3.service", "/etc/unitrun/www.service"));

  // A template: every instance's link (their target is the template); an
  // instance: only its own.
  unit::DisablePlan tmpl = unit::plan_disable(source("getty@.service", "/lib/getty@.service"), "");
  CHECK(unit::removes(tmpl, "multi-user.target.wants", "getty@tty1.service", "/lib/getty@.service"));
  unit::DisablePlan inst = unit::plan_disable(source("getty@tty1.service", "/lib/getty@.service"), "");
  CHECK(unit::removes(inst, "multi-user.target.wants", "getty@tty1.service", "/lib/getty@.service"));
  CHECK_FALSE(unit::removes(inst, "multi-user.target.wants", "getty@tty2.service", "/lib/getty@.service"));

  CHECK(unit::plan_mask("web.service") == PlannedLink{"", "web.service", "/dev/null"});
  CHECK(unit::is_link_directory("multi-user.target.wants"));
  CHECK(unit::is_link_directory("a.target.requires"));
  CHECK(unit::is_link_directory("a.target.upholds"));
  CHECK_FALSE(unit::is_link_directory("web.service.d"));
}
