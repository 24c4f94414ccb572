// Enablement (unit/unit_file_state.h) in systemctl is-enabled's words, the
// light scan of a unit file for list, and the runtime files' names and the
// snapshot a running unit is read from (runtime/unit_snapshot.h).
#include "unit/unit_file_state.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/unit_source.h"
#include "runtime/runtime_files.h"
#include "runtime/unit_lock.h"
#include "runtime/unit_snapshot.h"
#include "test_support.h"
#include "unit/file_stamp.h"
#include "unit/unit_parser.h"
#include "unit/unit_sources.h"

using namespace unitrun;
using unitrun::test::TempDir;

TEST_CASE("unit files: the light scan reads Description= and [Install] as the parser would", "[unit_file_state]") {
  std::string text =
      "[Unit]\nDescription=The web \\\n  server\n[Service]\nExecStart=/bin/true\nX-Description=not this one\n"
      "[Install]\n# WantedBy=commented.target\nWantedBy=multi-user.target\nAlso=other.service\nDefaultInstance=x\n";
  unit::UnitFileSummary s = unit::summarize(text);
  unit::ParseContext context;
  context.path = "/srv/web.service";
  CHECK(s.description == unit::parse(text, context).unit.description);
  CHECK(s.install.has_targets);
  CHECK(s.install.has_also);
  CHECK_FALSE(s.install.has_alias);
  CHECK(s.install.default_instance == "x");
  // An empty assignment resets the list: nothing left to enable.
  CHECK_FALSE(unit::summarize("[Install]\nWantedBy=a.target\nWantedBy=\n").install.has_targets);
  CHECK(unit::summarize("[Install]\nAlias=b.service\n").install.has_alias);
}

TEST_CASE("unit files: enablement in systemctl is-enabled's words", "[unit_file_state]") {
  TempDir root;
  std::string etc = root / "etc", run = "/run/unitrun-test-" + std::to_string(::getpid()), lib = root / "lib";
  for (const std::string& d : {etc + "/multi-user.target.wants", run + "/multi-user.target.wants", lib})
    std::filesystem::create_directories(d);
  unit::UnitPath path;
  path.directories = {etc, run, lib};
  path.runtime_dir = run;
  REQUIRE(::symlink((lib + "/on.service").c_str(), (etc + "/multi-user.target.wants/on.service").c_str()) == 0);
  REQUIRE(::symlink((lib + "/rt.service").c_str(), (run + "/multi-user.target.wants/rt.service").c_str()) == 0);
  REQUIRE(::symlink((lib + "/web@.service").c_str(), (etc + "/multi-user.target.wants/web@1.service").c_str()) == 0);
  // An alias that Alias= made enables the file it points to; a linked unit
  // file of the same name, or a mask, enables nothing.
  REQUIRE(::symlink((lib + "/aliased.service").c_str(), (etc + "/other-name.service").c_str()) == 0);
  REQUIRE(::symlink((lib + "/linked.service").c_str(), (etc + "/linked.service").c_str()) == 0);
  REQUIRE(::symlink("/dev/null", (etc + "/masked.service").c_str()) == 0);
  unit::LinkIndex links = unit::LinkIndex::read(path);
  auto state = [&](const std::string& name, const std::string& dir, std::string text, bool masked = false,
                   bool alias = false) {
    unit::UnitFileFacts f{
        name, dir, masked, alias, name.find("@.") != std::string::npos, true, unit::summarize(text).install};
    return std::string(unit::to_string(unit::file_state(f, links, path)));
  };
  const std::string install = "[Install]\nWantedBy=multi-user.target\n";
  CHECK(state("on.service", lib, install) == "enabled");
  CHECK(state("rt.service", lib, install) == "enabled-runtime");
  CHECK(state("off.service", lib, install) == "disabled");
  CHECK(state("aliased.service", lib, install) == "enabled");
  CHECK(state("linked.service", lib, install) == "disabled");
  CHECK(state("masked.service", lib, install) == "disabled");  // its lib file, read alone
  CHECK(state("plain.service", lib, "[Service]\nExecStart=/bin/true\n") == "static");
  CHECK(state("also.service", lib, "[Install]\nAlso=on.service\n") == "indirect");
  CHECK(state("m.service", etc, "", true) == "masked");
  CHECK(state("m.service", run, "", true) == "masked-runtime");
  CHECK(state("a.service", etc, install, false, true) == "alias");
  CHECK(state("t.service", run, "[Service]\nExecStart=/bin/true\n") == "transient");
  CHECK(state("web@.service", lib, install) == "indirect");
  CHECK(state("web@.service", lib, install + "DefaultInstance=1\n") == "enabled");
  for (auto s : {unit::UnitFileState::Enabled, unit::UnitFileState::EnabledRuntime, unit::UnitFileState::Static,
                 unit::UnitFileState::Alias, unit::UnitFileState::Indirect, unit::UnitFileState::Transient})
    CHECK(unit::counts_as_enabled(s));
  for (auto s : {unit::UnitFileState::Disabled, unit::UnitFileState::Masked, unit::UnitFileState::MaskedRuntime,
                 unit::UnitFileState::Bad})
    CHECK_FALSE(unit::counts_as_enabled(s));
  std::filesystem::remove_all(run);
}

TEST_CASE("runtime files: named by the unit's name and a key of its identity", "[runtime_files][identity]") {
  Unit u;
  u.name = "web@1.service";
  u.path = "/etc/unitrun/web@.service";
  u.identity = "web@1.service";
  RuntimeFiles f = runtime_files_for(u);
  std::string key = runtime_key("web@1.service");
  CHECK(key.size() == 12);
  CHECK(f.lock == f.directory + "/web@1.service." + key + ".lock");
  CHECK(f.state == f.directory + "/web@1.service." + key + ".state");
  CHECK(f.snapshot == f.directory + "/web@1.service." + key + ".unit");
  CHECK(runtime_files_for("web@1.service", "web@1.service").lock == f.lock);
  // A unit without an identity (built by hand) is keyed by its path, as
  // every unit was before identities.
  Unit old;
  old.name = "x";
  old.path = "/srv/x.ini";
  CHECK(runtime_files_for(old).lock == runtime_files_for("x", "/srv/x.ini").lock);

  auto parsed = parse_runtime_file_name("web@1.service." + key + ".state");
  REQUIRE(parsed);
  CHECK(parsed->name == "web@1.service");
  CHECK(parsed->key == key);
  CHECK(parsed->kind == "state");
  CHECK(parse_runtime_file_name("x." + key + ".unit")->kind == "unit");
  for (const std::string& other :
       std::vector<std::string>{"x.name", "x.pid", "." + key + ".control", ".x." + key + ".state.spare",
                                "x.0123456789ag.lock", "x.12.lock", key + ".lock"}) {
    INFO(other);
    CHECK_FALSE(parse_runtime_file_name(other));
  }
}

TEST_CASE("snapshot: what a running unit was started from, back as it was written", "[snapshot]") {
  UnitSnapshot s;
  s.sources.name = "web@1.service";
  s.sources.identity = "web@1.service";
  s.sources.files = {{"/etc/unitrun/web@.service", "[Service]\nExecStart=/bin/sleep 1 # %i\n"},
                     {"/etc/unitrun/web@.service.d/x.conf", "[Service]\nNice=1\n"}};
  s.description = "web 1";
  auto back = parse_snapshot(serialize(s));
  REQUIRE(back);
  CHECK(back->sources == s.sources);
  CHECK(back->description == "web 1");
  CHECK_FALSE(parse_snapshot("{}"));
  CHECK_FALSE(parse_snapshot("not json"));
  CHECK_FALSE(parse_snapshot(R"({"name":"x","identity":"x","files":[]})"));

  TempDir dir;
  REQUIRE(write_snapshot(dir / "x.unit", s));
  auto read = read_snapshot(dir / "x.unit");
  REQUIRE(read);
  CHECK(read->sources == s.sources);
  CHECK(unitrun::test::read_file(dir / "x.unit").find("web@.service.d/x.conf") != std::string::npos);
  // `list` reads the first line only: no texts, and the unit file's path.
  auto header = read_snapshot_header(dir / "x.unit");
  REQUIRE(header);
  CHECK(header->sources.name == "web@1.service");
  CHECK(header->sources.identity == "web@1.service");
  CHECK(header->description == "web 1");
  CHECK(header->fragment == "/etc/unitrun/web@.service");
  CHECK(header->sources.files.empty());
  // A stop reads the text once, its header before the signal and the rest
  // after it: the same header, then the same snapshot.
  UniqueFd dir_fd(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dir_fd);
  auto whole = read_snapshot_text_in(dir_fd.get(), "x.unit", dir / "x.unit");
  REQUIRE(whole);
  auto first = parse_snapshot_header(*whole);
  REQUIRE(first);
  CHECK(first->sources.name == header->sources.name);
  CHECK(first->sources.identity == header->sources.identity);
  CHECK(first->fragment == header->fragment);
  CHECK(first->sources.files.empty());
  CHECK(parse_snapshot(*whole)->sources == s.sources);
  CHECK_FALSE(read_snapshot_text_in(dir_fd.get(), "absent.unit", dir / "absent.unit"));
  CHECK_FALSE(parse_snapshot_header("no newline"));
  std::string text = serialize(s);
  CHECK(text.find("[Service]") > text.find('\n'));  // the texts after the header line
  CHECK(std::filesystem::status(dir / "x.unit").permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));  // a unit may hold secrets
}

TEST_CASE("snapshot: a start with the same sources leaves the file alone, other sources replace it", "[snapshot]") {
  UnitSnapshot s;
  s.sources.name = "a.service";
  s.sources.identity = "a.service";
  s.sources.files = {{"/etc/unitrun/a.service", "[Service]\nExecStart=/bin/true\n"}};
  TempDir dir;
  std::string path = dir / "a.unit";
  REQUIRE(write_snapshot(path, s));
  auto inode = [&] {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
  };
  ino_t first = inode();
  REQUIRE(write_snapshot(path, s));
  CHECK(inode() == first);  // not written anew (a new file and a rename would be a new inode)
  s.sources.files[0].text = "[Service]\nExecStart=/bin/false\n";
  REQUIRE(write_snapshot(path, s));
  CHECK(inode() != first);
  auto back = read_snapshot(path);
  REQUIRE(back);
  CHECK(back->sources == s.sources);
  // The same length with other bytes is other content too.
  s.sources.files[0].text = "[Service]\nExecStart=/bin/fals3\n";
  REQUIRE(write_snapshot(path, s));
  back = read_snapshot(path);
  REQUIRE(back);
  CHECK(back->sources == s.sources);
}

TEST_CASE("snapshot: the header keeps every file's stamp when each has one; one without stamps still reads",
          "[snapshot]") {
  UnitSnapshot s;
  s.sources.name = "a.service";
  s.sources.identity = "a.service";
  s.sources.files = {{"/etc/unitrun/a.service", "[Service]\nExecStart=/bin/true\n"},
                     {"/etc/unitrun/a.service.d/x.conf", "[Service]\nNice=1\n"}};
  unit::FileStamp one{.dev = 2049, .ino = 18446744073709551615u, .size = 33, .mtime_ns = 1, .ctime_ns = 2};
  unit::FileStamp two{.dev = 2049, .ino = 7, .size = 17, .mtime_ns = 1796648537337798823, .ctime_ns = 3};
  s.sources.files[0].stamp = one;
  // One file without a stamp (it had not settled): none is kept, and a stop
  // compares the texts.
  CHECK(serialize(s).find("stamps") == std::string::npos);
  CHECK(parse_snapshot_header(serialize(s))->stamps.empty());
  s.sources.files[1].stamp = two;
  std::string text = serialize(s);
  CHECK(text.find("stamps") < text.find('\n'));  // in the header line
  auto header = parse_snapshot_header(text);
  REQUIRE(header);
  CHECK(header->stamps ==
        std::vector<SourceStamp>{{"/etc/unitrun/a.service", one}, {"/etc/unitrun/a.service.d/x.conf", two}});
  auto whole = parse_snapshot(text);
  REQUIRE(whole);
  CHECK(whole->sources == s.sources);
  CHECK(whole->sources.files[0].stamp == one);
  CHECK(whole->sources.files[1].stamp == two);
  CHECK(serialize(*whole) == text);  // a start that finds it as it would write it leaves it alone
  // A snapshot of an older unitrun (no stamps) reads as before; a header
  // whose stamps are malformed is no header.
  std::string old_text =
      "{\"description\":\"\",\"fragment\":\"/etc/unitrun/a.service\",\"identity\":\"a.service\",\"name\":"
      "\"a.service\",\"unitrun\":\"0.1.0\"}\n{\"files\":[{\"path\":\"/etc/unitrun/a.service\",\"text\":\"x\"}]}\n";
  auto old_header = parse_snapshot_header(old_text);
  REQUIRE(old_header);
  CHECK(old_header->stamps.empty());
  auto old_whole = parse_snapshot(old_text);
  REQUIRE(old_whole);
  CHECK(old_whole->sources.files.at(0).text == "x");
  CHECK_FALSE(old_whole->sources.files.at(0).stamp);
  CHECK_FALSE(parse_snapshot_header("{\"name\":\"a\",\"identity\":\"a\",\"stamps\":[{\"path\":\"/x\"}]}\n"));
}

TEST_CASE("file stamps: a file is stamped only once it has settled, before its text is read", "[snapshot]") {
  struct stat st {};
  st.st_dev = 1;
  st.st_ino = 2;
  st.st_size = 3;
  st.st_mtim = {100, 5};
  st.st_ctim = {100, 7};
  const int64_t ctime = 100'000'000'007;
  CHECK_FALSE(unit::settled_stamp(st, ctime));
  CHECK_FALSE(unit::settled_stamp(st, ctime + unit::kSettleNs - 1));
  REQUIRE(unit::settled_stamp(st, ctime + unit::kSettleNs));
  CHECK(*unit::settled_stamp(st, ctime + unit::kSettleNs) ==
        unit::FileStamp{.dev = 1, .ino = 2, .size = 3, .mtime_ns = 100'000'000'005, .ctime_ns = ctime});
  st.st_mtim = {200, 0};  // set into the future (touch -d)
  CHECK_FALSE(unit::settled_stamp(st, ctime + unit::kSettleNs));
  // A file written just now is read without a stamp.
  TempDir dir;
  std::string path = dir.write("a.service", "[Service]\nExecStart=/bin/true\n");
  std::optional<unit::FileStamp> stamp = unit::FileStamp{};
  REQUIRE(unit::read_unit_file(path, &stamp));
  CHECK_FALSE(stamp);
}

TEST_CASE("changed on disk: the stamps answer \"unchanged\" alone; anything else goes to the texts", "[snapshot]") {
  TempDir dir;
  std::string original = "[Service]\nExecStart=/bin/sleep 1\n";
  std::string path = dir.write("a.service", original);
  std::string dropin = dir.write("x.conf", "[Service]\nNice=1\n");
  unit::UnitFile file;
  file.name = file.identity = "a.service";
  file.found = true;
  file.fragment = path;
  file.dropins = {dropin};
  unit::UnitSources started;
  started.name = started.identity = "a.service";
  started.files = {{path, original}, {dropin, "[Service]\nNice=1\n"}};
  // The stamps as a start takes them of files that had settled (taken here
  // without waiting for that).
  std::vector<SourceStamp> stamps = {{path, *unit::current_stamp(path)}, {dropin, *unit::current_stamp(dropin)}};
  // What settling guarantees a start: a change from now on gets another
  // ctime, even where the clock behind file times is coarse (a tick).
  ::usleep(30'000);
  CHECK(cli::disk_change_by_stamps(file, stamps) == std::string());
  CHECK(cli::disk_change(file, started).empty());
  // No stamps (an older snapshot, or a file that had not settled), other
  // drop-ins, another order: the texts decide.
  CHECK_FALSE(cli::disk_change_by_stamps(file, {}));
  CHECK_FALSE(cli::disk_change_by_stamps(file, {stamps[0]}));
  CHECK_FALSE(cli::disk_change_by_stamps(file, {stamps[1], stamps[0]}));
  unit::UnitFile more = file;
  more.dropins.push_back(dir / "y.conf");
  CHECK_FALSE(cli::disk_change_by_stamps(more, stamps));
  unit::UnitFile gone = file;
  gone.found = false;
  CHECK_FALSE(cli::disk_change_by_stamps(gone, stamps));
  CHECK(cli::disk_change(gone, started) == "deleted");

  SECTION("an edit of the same size with its mtime put back still shows: its ctime moved") {
    struct stat before {};
    REQUIRE(::stat(path.c_str(), &before) == 0);
    std::string edited = original;
    edited[edited.size() - 2] = '2';
    dir.write("a.service", edited);
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
    struct stat after {};
    REQUIRE(::stat(path.c_str(), &after) == 0);
    REQUIRE(after.st_size == before.st_size);
    REQUIRE(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    CHECK_FALSE(cli::disk_change_by_stamps(file, stamps));
    CHECK(cli::disk_change(file, started) == "changed");
  }
  SECTION("a file touched but not changed: the texts say unchanged") {
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0);
    CHECK_FALSE(cli::disk_change_by_stamps(file, stamps));
    CHECK(cli::disk_change(file, started).empty());
  }
  SECTION("a file replaced by another of the same text") {
    REQUIRE(::rename(dir.write("new", original).c_str(), path.c_str()) == 0);
    CHECK_FALSE(cli::disk_change_by_stamps(file, stamps));
    CHECK(cli::disk_change(file, started).empty());
  }
}

TEST_CASE("restart's same unit: an older monitor's digest, else the texts of a snapshot this unitrun wrote",
          "[snapshot]") {
  unit::LoadResult next;
  next.sources.name = "a.service";
  next.sources.identity = "a.service";
  next.sources.files = {{"/etc/unitrun/a.service", "[Service]\nExecStart=/bin/true\n"}};
  next.unit.name = "a";
  next.unit.description = "a";
  UnitSnapshot snapshot;
  snapshot.sources = next.sources;
  MonitorState record;  // as a monitor records it now: no digest
  CHECK(runs_unit(snapshot, record, next));
  snapshot.sources.files[0].text = "[Service]\nExecStart=/bin/false\n";
  CHECK_FALSE(runs_unit(snapshot, record, next));
  snapshot.sources = next.sources;
  snapshot.sources.files.push_back({"/etc/unitrun/a.service.d/x.conf", "[Service]\nNice=1\n"});
  CHECK_FALSE(runs_unit(snapshot, record, next));  // a drop-in added since
  snapshot.sources.files.pop_back();
  snapshot.sources.identity = "/elsewhere/a.service";
  CHECK_FALSE(runs_unit(snapshot, record, next));
  // An older monitor's record (it has a digest) decides, whatever its
  // snapshot says: an older unitrun left an earlier start's snapshot behind
  // when a write failed.
  snapshot.sources = next.sources;
  record.unit_digest = "0123456789abcdef";  // of another unit
  CHECK_FALSE(runs_unit(snapshot, record, next));
  record.unit_digest = unit_digest(next.unit);
  snapshot.sources.files[0].text = "[Service]\nExecStart=/bin/false\n";  // stale
  CHECK(runs_unit(snapshot, record, next));
  record.unit_digest.clear();
  // A snapshot another version of unitrun wrote, or one from before the
  // field: its monitor runs that version's code; not the same unit.
  snapshot.sources = next.sources;
  CHECK(snapshot.unitrun_version == current_unitrun_version());
  auto reread = parse_snapshot(serialize(snapshot));
  REQUIRE(reread);
  CHECK(reread->unitrun_version == current_unitrun_version());
  CHECK(runs_unit(reread, record, next));
  snapshot.unitrun_version = "0.0.1";
  CHECK_FALSE(runs_unit(snapshot, record, next));
  std::string text = serialize(snapshot);
  size_t field = text.find(",\"unitrun\":");
  REQUIRE(field != std::string::npos);
  text.erase(field, text.find('}', field) - field);
  auto unversioned = parse_snapshot(text);
  REQUIRE(unversioned);
  CHECK(unversioned->unitrun_version.empty());
  CHECK_FALSE(runs_unit(unversioned, record, next));
  // No snapshot: an older monitor's record, its digest of the unit it runs.
  auto old_record =
      parse_state(R"({"sub_state":"running","result":"success","unit_digest":")" + unit_digest(next.unit) + R"("})");
  REQUIRE(old_record);
  CHECK(runs_unit(std::nullopt, *old_record, next));
  unit::LoadResult edited = next;
  edited.unit.description = "b";
  CHECK_FALSE(runs_unit(std::nullopt, *old_record, edited));
  // Neither: not known to be the same (stop and start apply the file).
  CHECK_FALSE(runs_unit(std::nullopt, MonitorState{}, next));
  // The monitors of now record no digest.
  CHECK(serialize(MonitorState{}).find("unit_digest") == std::string::npos);
}

TEST_CASE("name lock: names the unit file that holds it, whatever held it before", "[name_lock]") {
  TempDir dir;
  std::string name_lock = dir / "a.name";
  auto claim = [&](const std::string& unit_path) {
    auto lock = UnitLock::open(dir / "a.lock");
    REQUIRE(lock);
    auto other = lock->claim_name(name_lock, unit_path);
    REQUIRE(other);
    CHECK_FALSE(*other);
    CHECK(UnitLock::name_holder(name_lock) == unit_path);  // held by this lock's open file description
  };                                                       // released with the lock
  claim("/etc/unitrun/a.service");
  claim("/etc/unitrun/a.service");  // the same again: left as it is
  claim("/srv/unitrun/a.service");  // same length, other bytes
  claim("/a.service");              // shorter: nothing of the longer path is left
  CHECK(unitrun::test::read_file(name_lock) == "/a.service");
  claim("/etc/unitrun/a.service");
  CHECK(unitrun::test::read_file(name_lock) == "/etc/unitrun/a.service");
}

// Whoever closes a unit lock last lets go of its locks: the start caller,
// when its monitor ended before the caller closed its handle. A start
// waiting for the start lock runs the moment it is free and claims the
// name: the name lock must be free by then. The closing process is stopped
// at each of its system calls (ptrace), and at every stop a unit lock
// already free implies a name lock free as well.
TEST_CASE("unit lock: close() lets go of the name lock before the unit's locks", "[name_lock]") {
  TempDir dir;
  std::string lock_path = dir / "a.lock";
  std::string name_lock = dir / "a.name";
  auto lock = UnitLock::open(lock_path);
  REQUIRE(lock);
  auto other = lock->claim_name(name_lock, "/etc/unitrun/a.service");
  REQUIRE(other);
  REQUIRE_FALSE(*other);
  auto alive = lock->try_lock_alive();
  REQUIRE(alive);
  REQUIRE(*alive);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) < 0 || ::raise(SIGSTOP) != 0) ::_exit(2);
    lock->close();
    ::_exit(0);
  }
  lock->close();  // the child's handle is the last one now
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSTOPPED(status));
  REQUIRE(::ptrace(PTRACE_SETOPTIONS, child, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) == 0);
  int stops = 0;
  bool name_went_first = false;
  while (true) {
    REQUIRE(::ptrace(PTRACE_SYSCALL, child, nullptr, nullptr) == 0);
    REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    ++stops;
    auto unit_held = UnitLock::alive_held(lock_path);
    REQUIRE(unit_held);
    bool name_held = UnitLock::name_holder(name_lock).has_value();
    INFO("system call stop " << stops);
    CHECK((*unit_held || !name_held));
    if (*unit_held && !name_held) name_went_first = true;
  }
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(name_went_first);  // the stops saw the moment between the two closes
  CHECK_FALSE(*UnitLock::alive_held(lock_path));
  CHECK_FALSE(UnitLock::name_holder(name_lock));
}

namespace {

// The fd of this process whose link names `path`, or -1.
int fd_naming(const std::string& path) {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(e.path(), ec) == path) return std::stoi(e.path().filename().string());
  }
  return -1;
}

}  // namespace

// A monitor killed with SIGKILL lets go of its locks as the kernel closes
// its fds, not as close() would: here from the highest fd down (unit_lock.cc
// cites the kernel). The name lock must go first, so its fd must be above
// the unit lock's even when a lower fd was free when it was opened (before
// the fix, it got that lower fd). The holder is then killed, and the order
// in which the kernel released the two files is read from inotify: the
// close event comes from the same release (__fput) as the lock's removal.
TEST_CASE("unit lock: a killed holder lets go of the name lock before the unit's locks", "[name_lock]") {
  TempDir dir;
  std::string lock_path = dir / "a.lock";
  std::string name_lock = dir / "a.name";
  // Two fds below the unit lock's are free when the name lock is opened
  // (the open takes one for the directory first).
  UniqueFd below[2] = {UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)),
                       UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC))};
  REQUIRE(below[0]);
  REQUIRE(below[1]);
  auto lock = UnitLock::open(lock_path);
  REQUIRE(lock);
  REQUIRE(lock->fd() > below[1].get());
  below[0].reset();
  below[1].reset();
  auto other = lock->claim_name(name_lock, "/etc/unitrun/a.service");
  REQUIRE(other);
  REQUIRE_FALSE(*other);
  auto alive = lock->try_lock_alive();
  REQUIRE(alive);
  REQUIRE(*alive);
  CHECK(fd_naming(lock_path) == lock->fd());
  CHECK(fd_naming(name_lock) > lock->fd());

  UniqueFd events(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  REQUIRE(events);
  REQUIRE(::inotify_add_watch(events.get(), dir.path().c_str(), IN_CLOSE_WRITE) >= 0);
  pid_t child = ::fork();  // the child has the fds once fork returns
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  lock->close();  // the child's handles are the last ones now
  REQUIRE(*UnitLock::alive_held(lock_path));
  REQUIRE(::kill(child, SIGKILL) == 0);
  std::vector<std::string> closed;
  while (closed.size() < 2) {
    struct pollfd p = {events.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 30000) == 1);  // a bound so that a hang fails
    alignas(struct inotify_event) char buf[4096];
    ssize_t n = ::read(events.get(), buf, sizeof buf);
    REQUIRE(n > 0);
    for (char* at = buf; at < buf + n;) {
      auto* e = reinterpret_cast<struct inotify_event*>(at);
      closed.push_back(e->name);
      at += sizeof *e + e->len;
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(closed == std::vector<std::string>{"a.name", "a.lock"});
  CHECK_FALSE(*UnitLock::alive_held(lock_path));
  CHECK_FALSE(UnitLock::name_holder(name_lock));
}

TEST_CASE("runtime files: the state summary reads what parse_state reads of the monitor and its state",
          "[unit_file_state]") {
  MonitorState s;
  s.unit_path = "/srv/web.service";
  s.monitor_pid = 4242;
  s.monitor_start_time = 123456789012ULL;
  s.sub_state = SubState::Failed;
  s.result = ServiceResult::Timeout;
  s.status_text = "\"monitor_pid\":7, \"sub_state\":\"running\"";  // look-alikes inside a string
  s.protections = {"ProtectSystem=strict"};
  s.add_event("did not stop within 90s");
  std::string text = serialize(s);
  auto full = parse_state(text);
  auto summary = parse_state_summary(text);
  REQUIRE(full);
  REQUIRE(summary);
  CHECK(summary->monitor_pid == full->monitor_pid);
  CHECK(summary->monitor_start_time == full->monitor_start_time);
  CHECK(summary->sub_state == full->sub_state);
  CHECK(summary->result == full->result);
  CHECK(summary->finished());
  CHECK(summary->events.empty());  // not read
  // Nothing where parse_state has nothing: damaged, unknown words, a field
  // of the wrong type, no record at all.
  for (const char* bad :
       {"", "{", "[]", "\"x\"", "{\"sub_state\":\"running\"}", "{\"sub_state\":\"sideways\",\"result\":\"success\"}",
        "{\"sub_state\":\"running\",\"result\":\"success\",\"monitor_pid\":\"12\"}",
        "{\"sub_state\":\"running\",\"result\":\"success\",\"monitor_pid\":[12]}",
        "{\"sub_state\":7,\"result\":\"success\"}"}) {
    INFO(bad);
    CHECK_FALSE(parse_state(bad));
    CHECK_FALSE(parse_state_summary(bad));
  }
  auto nested = parse_state_summary(
      "{\"events\":[{\"text\":\"x\",\"sub_state\":\"dead\"}],\"sub_state\":\"running\",\"result\":\"success\","
      "\"monitor_pid\":9}");
  REQUIRE(nested);
  CHECK(nested->sub_state == SubState::Running);
  CHECK(nested->monitor_pid == 9);
}

// serialize() builds the snapshot member by member; its text must stay the
// one the initializer lists wrote (a start compares it with the file it
// left, byte for byte, and rewrites it when it differs).
TEST_CASE("unit files: the snapshot's text is the one it always was", "[unit_file_state]") {
  auto reference = [](const UnitSnapshot& s) {
    auto dump = [](const nlohmann::json& j) {
      return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    nlohmann::json files = nlohmann::json::array();
    for (const unit::SourceFile& f : s.sources.files) files.push_back({{"path", f.path}, {"text", f.text}});
    nlohmann::json header = {{"name", s.sources.name},
                             {"identity", s.sources.identity},
                             {"description", s.description},
                             {"fragment", s.sources.files.empty() ? "" : s.sources.files[0].path},
                             {"unitrun", current_unitrun_version()}};
    return dump(header) + "\n" + dump(nlohmann::json{{"files", files}}) + "\n";
  };
  UnitSnapshot s;
  CHECK(serialize(s) == reference(s));
  s.sources.name = "web.service";
  s.sources.identity = "/etc/unitrun/web.service";
  s.description = "The \"web\" server\t\xff\xfe";
  s.sources.files.push_back({"/etc/unitrun/web.service", "[Service]\nExecStart=/bin/echo \"\\x\" \x01\xc3\x28\n"});
  s.sources.files.push_back({"/etc/unitrun/web.service.d/a.conf", ""});
  CHECK(serialize(s) == reference(s));
  CHECK(serialize(s).find("\"fragment\":\"/etc/unitrun/web.service\"") != std::string::npos);
}
