// Many units: names looked up in a unit path, templates and drop-ins,
// several units per verb and globs, list, list-unit-files, the status
// overview and is-*, cat; and a unit's identity (trust 12: a symlinked
// spelling is the same unit), its snapshot (trust 13: an edited or deleted
// unit file never strands its service), and unitrun without root (trust
// 22). Real processes, each test with a unit path of its own
// (UNITRUN_UNIT_PATH) and unique unit names.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <thread>

#include "support.h"

using namespace itest;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Units of a unit path of their own, named NAME.service (and templates),
// all carrying one marker; the destructor stops them and removes their
// runtime files, whatever the test left.
class UnitDir {
 public:
  UnitDir() : prefix_(unique_name("u")), marker_(prefix_ + "-marker") { ::chmod(dir_.path().c_str(), 0755); }
  ~UnitDir() {
    RunOptions quick = options();
    for (const std::string& name : started_) (void)run_unitrun({"stop", name}, quick);
    kill_marked(marker_);
    reap_adopted();
    remove_unit_cgroups(prefix_ + "-");
    for (const char* runtime : {kRuntimeDir}) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(runtime, ec)) {
        std::string n = e.path().filename();
        if (n.rfind(prefix_, 0) == 0 || n.rfind("." + prefix_, 0) == 0) std::filesystem::remove(e.path(), ec);
      }
    }
  }
  UnitDir(const UnitDir&) = delete;
  UnitDir& operator=(const UnitDir&) = delete;

  const TempDir& dir() const { return dir_; }
  std::string path() const { return dir_.path(); }
  // "PREFIX-name": unique to this test.
  std::string name(const std::string& short_name) const { return prefix_ + "-" + short_name; }
  const std::string& prefix() const { return prefix_; }
  const std::string& marker() const { return marker_; }

  // Writes NAME.service (a template when short_name ends in '@') with the
  // marker, its output in the temp dir; returns its path.
  std::string write(const std::string& file_name, const std::string& exec_start, const std::string& more = "",
                    const std::string& unit_section = "") {
    std::string text = "[Unit]\n" + unit_section + "[Service]\nExecStart=" + exec_start +
                       "\nEnvironment=UNITRUN_TEST_MARKER=" + marker_ + "\nStandardOutput=append:" + dir_.path() + "/" +
                       file_name + ".log\n" + more;
    std::string p = dir_ / file_name;
    write_file(p, text);
    return p;
  }
  // Names unitrun may have started (for the destructor).
  void started(const std::string& name) { started_.push_back(name); }

  RunOptions options() const {
    RunOptions o;
    o.set_env = {"UNITRUN_UNIT_PATH=" + dir_.path(), "UNITRUN_TEST_MARKER=" + marker_};
    return o;
  }
  RunResult unitrun(const std::vector<std::string>& args) const { return run_unitrun(args, options()); }

 private:
  TempDir dir_;
  std::string prefix_, marker_;
  std::vector<std::string> started_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("names: a unit found by its name in the unit path, a template's instances, and a missing name",
          "[units][names]") {
  UnitDir u;
  std::string web = u.name("web");
  u.write(web + "@.service", "/bin/sleep 1000", "", "Description=web on %i (%I)\n");
  u.write(u.name("app") + ".ini", "/bin/sleep 1000");
  u.started(web + "@8080");
  u.started(web + "@a-b");
  u.started(u.name("app"));

  RunResult started = u.unitrun({"start", web + "@8080", web + "@a-b.service", u.name("app")});
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  // One line per unit, in the order given.
  std::vector<std::string> out = lines_of(started.out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].rfind("started " + web + "@8080.service (pid ", 0) == 0);
  CHECK(out[1].rfind("started " + web + "@a-b.service (pid ", 0) == 0);
  CHECK(out[2].rfind("started " + u.name("app") + " (pid ", 0) == 0);
  CHECK(find_marked(u.marker()).size() >= 3);

  RunResult status = u.unitrun({"status", web + "@a-b"});
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "● " + web + "@a-b.service - web on a-b (a/b)"));
  CHECK(contains(status.out, "Loaded: loaded (" + u.path() + "/" + web + "@.service; static)"));
  nlohmann::json j = parse_json(u.unitrun({"status", "--json", web + "@8080"}).out);
  CHECK(j.at("name") == web + "@8080.service");
  CHECK(j.at("unit_path") == u.path() + "/" + web + "@.service");
  CHECK(j.at("active_state") == "active");

  // The template itself cannot start.
  RunResult tmpl = u.unitrun({"start", web + "@"});
  CHECK(tmpl.exit_code == 6);
  CHECK(contains(tmpl.err, "is a template"));

  // A name with no file: 5 for an action, with the path it was looked up
  // in; status says 4 ("unknown"), as systemctl status does.
  RunResult missing = u.unitrun({"start", u.name("nosuch")});
  CHECK(missing.exit_code == 5);
  CHECK(contains(missing.err, "unit '" + u.name("nosuch") + "' not found in the unit path (" + u.path() + ")"));
  CHECK(contains(missing.err, "UNITRUN_UNIT_PATH"));
  CHECK(u.unitrun({"stop", u.name("nosuch")}).exit_code == 5);
  CHECK(u.unitrun({"status", u.name("nosuch")}).exit_code == 4);
  RunResult bad = u.unitrun({"start", "a b"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "invalid unit name 'a b'"));

  // A glob stops every instance that runs.
  RunResult stopped = u.unitrun({"stop", web + "@*"});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.out == "stopped " + web + "@8080.service\nstopped " + web + "@a-b.service\n");
  CHECK(u.unitrun({"is-active", u.name("app")}).exit_code == 0);
  CHECK(u.unitrun({"stop", u.name("app")}).exit_code == 0);
  CHECK(find_marked(u.marker()).empty());
  // A glob that matches nothing has nothing to do.
  RunResult none = u.unitrun({"stop", u.name("zzz") + "*"});
  CHECK(none.exit_code == 0);
  CHECK(contains(none.err, "no unit matches"));
}

TEST_CASE("names: the first directory of the path wins, drop-ins from all apply, and cat shows which",
          "[units][names][dropins]") {
  UnitDir u;
  TempDir second;
  ::chmod(second.path().c_str(), 0755);
  std::string svc = u.name("svc");
  std::string first_file = u.write(svc + ".service", "/bin/sleep 1000", "", "Description=first\n");
  write_file(second / (svc + ".service"), "[Unit]\nDescription=second\n[Service]\nExecStart=/bin/sleep 999\n");
  std::filesystem::create_directories(second / (svc + ".service.d"));
  std::string conf = second / (svc + ".service.d/desc.conf");
  write_file(conf, "[Unit]\nDescription=from a drop-in\n");
  u.started(svc);
  RunOptions both = u.options();
  both.set_env[0] = "UNITRUN_UNIT_PATH=" + u.path() + ":" + second.path();

  RunResult cat = run_unitrun({"cat", svc}, both);
  INFO(cat.describe());
  CHECK(cat.exit_code == 0);
  CHECK(cat.out.rfind("# " + first_file + "\n# (hides " + second.path() + "/" + svc + ".service)\n[Unit]\n", 0) == 0);
  CHECK(contains(cat.out, "\n\n# " + conf + "\n[Unit]\nDescription=from a drop-in\n"));
  RunResult cat_missing = run_unitrun({"cat", u.name("nosuch")}, both);
  CHECK(cat_missing.exit_code == 5);

  RunResult started = run_unitrun({"start", svc}, both);
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  RunResult status = run_unitrun({"status", svc}, both);
  CHECK(contains(status.out, svc + ".service - from a drop-in"));
  CHECK(contains(status.out, "Drop-In: " + conf));
  CHECK(contains(status.out, "/bin/sleep 1000"));
  CHECK(run_unitrun({"stop", svc}, both).exit_code == 0);
}

TEST_CASE("several units per verb: each outcome in the order given, exit the worst", "[units][several]") {
  UnitDir u;
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) {
    names.push_back(u.name("n" + std::to_string(i)));
    u.write(names.back() + ".service", "/bin/sleep 1000");
    u.started(names.back());
  }
  u.write(u.name("bad") + ".service", u.dir() / "no-such-program");
  std::vector<std::string> args{"start"};
  args.insert(args.end(), names.begin(), names.end());
  args.push_back(u.name("missing"));
  args.push_back(u.name("bad"));
  RunResult started = u.unitrun(args);
  INFO(started.describe());
  CHECK(started.exit_code == 5);  // the worst of 0, 5 (not found) and 5 (no program)
  std::vector<std::string> out = lines_of(started.out);
  REQUIRE(out.size() == names.size());
  for (size_t i = 0; i < names.size(); ++i) CHECK(out[i].rfind("started " + names[i] + ".service (pid ", 0) == 0);
  CHECK(contains(started.err, "unit '" + u.name("missing") + "' not found"));
  CHECK(contains(started.err, u.name("bad") + ".service: "));
  // The missing unit's message comes before the bad one's: the order given.
  CHECK(started.err.find(u.name("missing")) < started.err.find(u.name("bad") + ".service: "));
  for (const std::string& n : names) CHECK(u.unitrun({"is-active", "--quiet", n}).exit_code == 0);

  // restart several: each stopped and started again, in the order given.
  std::vector<std::string> restart{"restart", names[4], names[1]};
  RunResult restarted = u.unitrun(restart);
  INFO(restarted.describe());
  CHECK(restarted.exit_code == 0);
  out = lines_of(restarted.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].rfind("started " + names[4] + ".service", 0) == 0);
  CHECK(out[1].rfind("started " + names[1] + ".service", 0) == 0);

  RunResult stopped = u.unitrun({"stop", u.prefix() + "-n*"});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(lines_of(stopped.out).size() == names.size());
  CHECK(find_marked(u.marker()).empty());
}

TEST_CASE("trust 12: a unit is its file, whatever the spelling", "[units][identity]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "real/sub");
  REQUIRE(::symlink("real", (dir / "lnk").c_str()) == 0);
  std::string name = unique_name("same");
  std::string marker = name + "-marker";
  write_file(dir / ("real/" + name + ".ini"), "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=UNITRUN_TEST_MARKER=" +
                                                  marker + "\nStandardOutput=append:" + dir.path() + "/log\n");
  RunOptions opts = with_marker({}, marker);
  opts.cwd = dir.path();
  std::string via_link = "lnk/" + name + ".ini";
  RunResult started = run_unitrun({"start", via_link}, opts);
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  std::vector<pid_t> services = find_marked(marker);
  REQUIRE_FALSE(services.empty());
  for (const std::string& spelling :
       {"./real/" + name + ".ini", "real/sub/../" + name + ".ini", dir / ("lnk/./" + name + ".ini"), via_link}) {
    INFO(spelling);
    RunResult status = run_unitrun({"status", spelling}, opts);
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "active (running)"));
    CHECK_FALSE(contains(status.out, "pidfile is left"));
    // A second start of the same unit under another spelling: already running.
    RunResult again = run_unitrun({"start", spelling}, opts);
    CHECK(again.exit_code == 0);
    CHECK(contains(again.out, "already running"));
  }
  RunResult stopped = run_unitrun({"stop", "./real/" + name + ".ini"}, opts);
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.out == "stopped " + name + "\n");
  CHECK(find_marked(marker).empty());
  reap_adopted();
  for (pid_t p : services) CHECK_FALSE(alive(p));
  (void)run_unitrun({"stop", via_link}, opts);
  remove_runtime_files(name);
}

TEST_CASE("trust 12: another file of the same name is not told that the running one's pidfile is stale",
          "[units][identity]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "one");
  std::filesystem::create_directories(dir / "two");
  std::string name = unique_name("twin");
  std::string marker = name + "-marker";
  // No PIDFile=: both default to /run/unitrun/NAME.pid.
  for (const char* d : {"one", "two"})
    write_file(dir / (std::string(d) + "/" + name + ".ini"),
               "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=UNITRUN_TEST_MARKER=" + marker +
                   "\nStandardOutput=append:" + dir.path() + "/log\n");
  RunOptions opts = with_marker({}, marker);
  std::string one = dir / ("one/" + name + ".ini"), two = dir / ("two/" + name + ".ini");
  // Never started, and started and stopped before (its lock is there): the
  // same answers.
  bool two_ran = GENERATE(false, true);
  if (two_ran) {
    REQUIRE(run_unitrun({"start", two}, opts).exit_code == 0);
    REQUIRE(run_unitrun({"stop", two}, opts).exit_code == 0);
  }
  REQUIRE(run_unitrun({"start", one}, opts).exit_code == 0);
  RunResult status = run_unitrun({"status", two}, opts);
  INFO(status.describe());
  CHECK(status.exit_code == 3);
  CHECK_FALSE(contains(status.out, "stale"));
  CHECK(contains(status.out, "another unit of this name runs and holds it: " + one));
  RunResult stop = run_unitrun({"stop", two}, opts);
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK_FALSE(contains(stop.out, "stale"));
  CHECK(contains(stop.out, name + " is not running"));
  if (two_ran) CHECK(contains(stop.out, "is that of another unit of this name, " + one + ", which runs"));
  CHECK(run_unitrun({"status", one}, opts).exit_code == 0);  // untouched
  RunResult start_two = run_unitrun({"start", two}, opts);
  CHECK(start_two.exit_code == 1);
  CHECK(contains(start_two.err, "another unit of that name is running (" + one + ")"));
  CHECK(run_unitrun({"stop", one}, opts).exit_code == 0);
  CHECK(find_marked(marker).empty());
  remove_runtime_files(name);
}

TEST_CASE("trust 12: NAME.ini named by its path and NAME.service of the unit path are one name, never two services",
          "[units][identity]") {
  // Both would run in the cgroup NAME.service (systemd's name for either);
  // the second start failed only once it found the first's processes there.
  UnitDir u;
  std::string name = u.name("pair");
  std::filesystem::create_directories(u.dir() / "files");
  std::string by_path = u.dir() / ("files/" + name + ".ini");
  std::string text = "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=UNITRUN_TEST_MARKER=" + u.marker() + "\n";
  write_file(by_path, text);
  std::string in_path = u.write(name + ".service", "/bin/sleep 1000");
  u.started(name);
  u.started(by_path);
  bool path_first = GENERATE(true, false);
  std::string first = path_first ? by_path : name, second = path_first ? name : by_path;
  std::string first_file = path_first ? by_path : in_path;
  RunResult one = u.unitrun({"start", first});
  INFO(one.describe());
  REQUIRE(one.exit_code == 0);
  size_t processes = find_marked(u.marker()).size();  // the monitor and its service
  RunResult two = u.unitrun({"start", second});
  INFO(two.describe());
  CHECK(two.exit_code == 1);
  CHECK(contains(two.err, "another unit of that name is running (" + first_file + ")"));
  CHECK_FALSE(contains(two.err, "cgroup"));
  CHECK(find_marked(u.marker()).size() == processes);
  CHECK(u.unitrun({"stop", first}).exit_code == 0);
  CHECK(find_marked(u.marker()).empty());
}

TEST_CASE("trust 12: a unit started by its path keeps its runtime files when its directory joins the unit path",
          "[units][identity]") {
  // Started by its path from outside the unit path (keyed by that path, as
  // unitrun 0.x keyed every unit), then named once the unit path holds its
  // directory: every verb finds the running unit under the name.
  UnitDir u;
  std::string name = u.name("moved");
  std::string file = u.write(name + ".service", "/bin/sleep 1000");
  u.started(name);
  RunOptions elsewhere = u.options();
  TempDir empty;
  elsewhere.set_env[0] = "UNITRUN_UNIT_PATH=" + empty.path();
  RunResult started = run_unitrun({"start", file}, elsewhere);
  INFO(started.describe());
  REQUIRE(started.exit_code == 0);
  auto sleepers = [&] {
    std::vector<pid_t> out;
    for (pid_t p : find_marked(u.marker()))
      if (proc_cmdline(p) == "/bin/sleep 1000") out.push_back(p);
    return out;
  };
  std::vector<pid_t> services = sleepers();
  REQUIRE(services.size() == 1);

  RunResult active = u.unitrun({"is-active", name});
  INFO(active.describe());
  CHECK(active.exit_code == 0);
  CHECK(active.out == "active\n");
  RunResult status = u.unitrun({"status", name});
  INFO(status.describe());
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "Main PID: " + std::to_string(services[0])));
  CHECK_FALSE(contains(status.err, "since start"));
  RunResult again = u.unitrun({"start", name});
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "already running (pid " + std::to_string(services[0]) + ")"));
  CHECK(sleepers().size() == 1);
  // A glob finds it among the running units, as the file it is.
  RunResult stopped = u.unitrun({"stop", u.prefix() + "-mov*"});
  INFO(stopped.describe());
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.out == "stopped " + name + ".service\n");
  CHECK(stopped.err.empty());
  CHECK(find_marked(u.marker()).empty());
  CHECK(u.unitrun({"is-active", name}).exit_code == 3);
}

TEST_CASE("trust 13: an edited or deleted unit file never strands its service", "[units][snapshot]") {
  TempDir dir;
  TestUnit u(dir, "edited", "/bin/sleep 1000", {.extra = "ExecStop=/bin/true\n"});
  std::string original = *read_file(u.path());
  REQUIRE(u.start().exit_code == 0);
  std::vector<pid_t> services = u.services();
  REQUIRE(services.size() == 1);

  SECTION("a typo added while it runs") {
    write_file(u.path(), original + "Usre=nobody\n");
    RunResult status = u.status();
    INFO(status.describe());
    CHECK(status.exit_code == 0);
    CHECK(contains(status.err, "unit file changed on disk since start; `unitrun restart " + u.name() + "` applies it"));
    CHECK(parse_json(u.status_json().out).at("unit_file_changed") == true);
    CHECK(u.verb("logs").exit_code == 0);
    // restart reads the unit on disk first: invalid, so nothing is stopped.
    RunResult restart = u.restart();
    CHECK(restart.exit_code == 6);
    CHECK(contains(restart.err, "not restarted"));
    CHECK(u.services() == services);
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(stop.out == "stopped " + u.name() + "\n");
    // The snapshot's texts (read before the signal) against the file.
    CHECK(contains(stop.err, "unit file changed on disk since start"));
    CHECK(u.nothing_running());
    // Stopped, the unit is what its file says: invalid.
    CHECK(u.status().exit_code == 4);
  }
  SECTION("an edit that restart applies") {
    write_file(u.path(), original + "Environment=EDITED=1\n");
    CHECK(contains(u.status().err, "changed on disk"));
    RunResult restart = u.restart();
    INFO(restart.describe());
    CHECK(restart.exit_code == 0);
    RunResult status = u.status();
    CHECK(status.exit_code == 0);
    CHECK_FALSE(contains(status.err, "changed on disk"));
    CHECK(parse_json(u.status_json().out).at("unit_file_changed") == false);
    CHECK(u.stop().exit_code == 0);
  }
  SECTION("the unit file deleted") {
    remove_file(u.path());
    RunResult status = u.status();
    INFO(status.describe());
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "active (running)"));
    CHECK(contains(status.err, "unit file deleted since start"));
    CHECK(u.verb("logs").exit_code == 0);
    CHECK(u.restart().exit_code == 6);  // nothing on disk to start again; it keeps running
    CHECK(u.services() == services);
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(u.nothing_running());
    CHECK(u.status().exit_code == 4);
    write_file(u.path(), original);  // for TestUnit's clean-up
  }
  SECTION("the unit file deleted, and its snapshot's texts no longer readable (a unitrun of other rules)") {
    // `stop` signals the monitor once the snapshot's header names this unit,
    // before the unit is loaded: a unit that then cannot be loaded at all is
    // stopped all the same, where stop used to say "not found" (exit 5) and
    // leave the service running.
    remove_file(u.path());
    std::string snapshot;
    for (const std::string& f : u.runtime_files())
      if (f.size() > 5 && f.compare(f.size() - 5, 5, ".unit") == 0) snapshot = f;
    REQUIRE_FALSE(snapshot.empty());
    std::string text = *read_file(snapshot);
    REQUIRE(text.find('\n') != std::string::npos);
    write_file(snapshot, text.substr(0, text.find('\n') + 1) + "{\"files\": 1}\n");
    RunResult stop = u.stop();
    INFO(stop.describe());
    CHECK(stop.exit_code == 0);
    CHECK(contains(stop.out, "stopped " + u.name()));
    CHECK(u.nothing_running());
    write_file(u.path(), original);  // for TestUnit's clean-up
  }
}

// A stop decides "unchanged" from the snapshot's stamps of files that had
// settled before the start (unit/file_stamp.h), with one stat each: an edit
// that keeps the size and puts the mtime back still warns (its ctime moved),
// a touch alone does not.
TEST_CASE("trust 13: a stop's stamps never hide an edit of a unit file", "[units][snapshot]") {
  TempDir dir;
  TestUnit edited(dir, "stamped", "/bin/sleep 1000");
  TestUnit touched(dir, "touched", "/bin/sleep 1000");
  TestUnit same(dir, "same", "/bin/sleep 1000");
  // Older than the settling time: stamped at the start.
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  for (const TestUnit* u : {&edited, &touched, &same}) REQUIRE(u->start().exit_code == 0);
  std::string snapshot;
  for (const std::string& f : same.runtime_files())
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".unit") == 0) snapshot = *read_file(f);
  CHECK(snapshot.substr(0, snapshot.find('\n')).find("\"stamps\"") != std::string::npos);

  struct stat before {};
  REQUIRE(::stat(edited.path().c_str(), &before) == 0);
  std::string text = *read_file(edited.path());
  size_t at = text.find("sleep 1000");
  REQUIRE(at != std::string::npos);
  text.replace(at, 10, "sleep 1001");
  write_file(edited.path(), text);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, edited.path().c_str(), times, 0) == 0);
  RunResult stop = edited.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(contains(stop.err, "unit file changed on disk since start"));
  CHECK(edited.nothing_running());

  REQUIRE(::utimensat(AT_FDCWD, touched.path().c_str(), nullptr, 0) == 0);
  stop = touched.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.err.empty());
  stop = same.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.err.empty());
  CHECK(same.nothing_running());
}

TEST_CASE("stop of a running unit does not parse it again: the unit's warnings are start's to say",
          "[units][snapshot]") {
  TempDir dir;
  TestUnit u(dir, "warned", "/bin/sleep 1000", {.extra = "UMask=0022\nUMask=0027\n"});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  CHECK(contains(start.err, "UMask= assigned again"));
  // stop signals the monitor and waits; the unit it parses only when a
  // monitor died without finishing (or for a progress line on a terminal).
  RunResult stop = u.stop();
  INFO(stop.describe());
  CHECK(stop.exit_code == 0);
  CHECK(stop.out == "stopped " + u.name() + "\n");
  CHECK(stop.err.empty());
  CHECK(u.nothing_running());
}

TEST_CASE("list, list-unit-files, the status overview, and is-active, is-failed, is-enabled", "[units][list]") {
  UnitDir u;
  std::string a = u.name("a"), b = u.name("b"), c = u.name("c");
  u.write(a + ".service", "/bin/sleep 1000", "", "Description=the a unit\n");
  u.write(b + ".service", "/bin/sh -c 'exit 3'", "", "Description=fails\n");
  u.write(c + ".service", "/bin/sleep 1000", "[Install]\nWantedBy=multi-user.target\n");
  std::string d = u.name("d");
  u.write(d + ".service", "/bin/sleep 1000", "[Install]\nWantedBy=multi-user.target\n");
  std::filesystem::create_directories(u.dir() / "multi-user.target.wants");
  REQUIRE(::symlink((u.dir() / (d + ".service")).c_str(),
                    (u.dir() / ("multi-user.target.wants/" + d + ".service")).c_str()) == 0);
  u.started(a);
  u.started(b);
  REQUIRE(u.unitrun({"start", a}).exit_code == 0);
  (void)u.unitrun({"start", b});
  REQUIRE(wait_until([&] { return u.unitrun({"is-failed", "-q", b}).exit_code == 0; }, 10000));

  std::string pattern = u.prefix() + "-*";
  RunResult list = u.unitrun({"list", pattern});
  INFO(list.describe());
  CHECK(list.exit_code == 0);
  std::vector<std::string> rows = lines_of(list.out);
  REQUIRE(rows.size() >= 3);
  CHECK(std::regex_match(rows[0], std::regex(" +UNIT +LOAD +ACTIVE +SUB +DESCRIPTION")));
  CHECK(std::regex_match(rows[1], std::regex("  " + a + ".service +loaded +active +running +the a unit")));
  CHECK(std::regex_match(rows[2], std::regex("● " + b + ".service +loaded +failed +failed +fails")));
  CHECK(contains(list.out, "2 loaded units listed. Pass --all to see loaded but inactive units, too."));
  CHECK(u.unitrun({"list-units", pattern}).out == list.out);  // the alias

  nlohmann::json all = nlohmann::json::parse(u.unitrun({"list", "--all", "--json", pattern}).out);
  REQUIRE(all.size() == 4);
  CHECK(all[2] == nlohmann::json({{"unit", c + ".service"},
                                  {"load", "loaded"},
                                  {"active", "inactive"},
                                  {"sub", "dead"},
                                  {"description", ""}}));
  nlohmann::json failed = nlohmann::json::parse(u.unitrun({"list", "--state=failed", "--json", pattern}).out);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].at("unit") == b + ".service");

  RunResult files = u.unitrun({"list-unit-files", pattern});
  INFO(files.describe());
  CHECK(std::regex_search(files.out, std::regex(a + "\\.service +static\n")));
  CHECK(std::regex_search(files.out, std::regex(c + "\\.service +disabled\n")));
  CHECK(std::regex_search(files.out, std::regex(d + "\\.service +enabled\n")));
  CHECK(contains(files.out, "4 unit files listed."));
  CHECK(nlohmann::json::parse(u.unitrun({"list-unit-files", "--state=enabled", "--json", pattern}).out) ==
        nlohmann::json::parse("[{\"unit_file\":\"" + d + ".service\",\"state\":\"enabled\"}]"));

  // The overview: every unit that runs or ran, failed ones first.
  RunResult overview = u.unitrun({"status"});
  INFO(overview.describe());
  CHECK(overview.exit_code == 0);
  CHECK(contains(overview.out, "    State: degraded"));
  size_t b_at = overview.out.find(b + ".service"), a_at = overview.out.find(a + ".service");
  REQUIRE(b_at != std::string::npos);
  REQUIRE(a_at != std::string::npos);
  CHECK(b_at < a_at);
  CHECK(parse_json(u.unitrun({"status", "--json"}).out).at("failed").get<int>() >= 1);

  RunResult active = u.unitrun({"is-active", a, c, u.name("nosuch")});
  CHECK(active.exit_code == 0);
  CHECK(active.out == "active\ninactive\ninactive\n");
  CHECK(u.unitrun({"is-active", c}).exit_code == 3);
  CHECK(u.unitrun({"is-active", "-q", c}).out.empty());
  CHECK(u.unitrun({"is-failed", b}).out == "failed\n");
  CHECK(u.unitrun({"is-failed", a}).exit_code == 1);
  RunResult enabled = u.unitrun({"is-enabled", a, c, d});
  CHECK(enabled.out == "static\ndisabled\nenabled\n");
  CHECK(enabled.exit_code == 0);
  CHECK(u.unitrun({"is-enabled", c}).exit_code == 1);
  RunResult not_found = u.unitrun({"is-enabled", u.name("nosuch")});
  CHECK(not_found.exit_code == 1);
  CHECK(not_found.out == "not-found\n");

  // Completion offers the names of the unit path (templates and masked
  // files left out).
  RunResult names = u.unitrun({"__complete-units"});
  CHECK(names.exit_code == 0);
  CHECK(contains(names.out, a + ".service\n"));
  CHECK(contains(names.out, d + ".service\n"));
  CHECK_FALSE(contains(run_unitrun({"--help"}).out, "__complete-units"));
  CHECK(u.unitrun({"stop", a, b}).exit_code == 0);
}

TEST_CASE("trust 22: without root, and without XDG_RUNTIME_DIR", "[units][security]") {
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);  // the unit files must be readable to nobody
  std::string log_dir = dir.world_writable_subdir("logs");
  std::string name = unique_name("nobody");
  std::string marker = name + "-marker";
  auto unit_text = [&](const std::string& user) {
    return "[Service]\nExecStart=/bin/sleep 1000\nUser=" + user + "\nEnvironment=UNITRUN_TEST_MARKER=" + marker +
           "\nStandardOutput=append:" + log_dir + "/" + name + ".log\nPIDFile=" + log_dir + "/" + name + ".pid\n";
  };
  write_file(dir / (name + ".ini"), unit_text("nobody"));
  write_file(dir / (name + "-root.ini"), unit_text("root"));
  RunOptions as_nobody = with_marker({}, marker);
  as_nobody.wrapper = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
  as_nobody.unset_env = {"XDG_RUNTIME_DIR", "XDG_STATE_HOME"};
  as_nobody.set_env.push_back("HOME=/nonexistent");

  // User= that is the caller: no switch, no privilege needed.
  RunResult started = run_unitrun({"start", dir / (name + ".ini")}, as_nobody);
  INFO(started.describe());
  CHECK(started.exit_code == 0);
  std::vector<pid_t> services;
  for (pid_t p : find_marked(marker))
    if (proc_cmdline(p) == "/bin/sleep 1000") services.push_back(p);
  REQUIRE(services.size() == 1);
  CHECK(proc_status_field(services[0], "Uid").value_or("").rfind("65534\t", 0) == 0);
  RunResult status = run_unitrun({"status", dir / (name + ".ini")}, as_nobody);
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "active (running)"));
  // Another user: refused at once, saying what would work.
  RunResult root = run_unitrun({"start", dir / (name + "-root.ini")}, as_nobody);
  CHECK(root.exit_code == 4);
  CHECK(contains(root.err, "User=root: only root can run a service as another user"));
  CHECK(run_unitrun({"stop", dir / (name + ".ini")}, as_nobody).exit_code == 0);
  CHECK(find_marked(marker).empty());

  // A fallback directory planted by someone else is refused, with what to set.
  std::string planted = "/tmp/unitrun-54321";
  std::filesystem::remove_all(planted);
  REQUIRE(::mkdir(planted.c_str(), 0777) == 0);
  REQUIRE(::chmod(planted.c_str(), 0777) == 0);
  RunOptions as_other = as_nobody;
  as_other.wrapper = {"/usr/bin/setpriv", "--reuid=54321", "--regid=54321", "--clear-groups", "--"};
  write_file(dir / (name + "-any.ini"), "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=UNITRUN_TEST_MARKER=" +
                                            marker + "\nStandardOutput=null\n");
  RunResult refused = run_unitrun({"start", dir / (name + "-any.ini")}, as_other);
  INFO(refused.describe());
  CHECK(refused.exit_code == 4);
  CHECK(contains(refused.err, "set XDG_RUNTIME_DIR to a directory of your own"));
  CHECK(find_marked(marker).empty());
  std::filesystem::remove_all(planted);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/tmp/unitrun-65534/unitrun", ec)) {
    std::string n = e.path().filename();
    if (n.rfind(name, 0) == 0 || n.rfind("." + name, 0) == 0) std::filesystem::remove(e.path(), ec);
  }
}
