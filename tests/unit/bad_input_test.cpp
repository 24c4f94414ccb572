// End to end through the real binary: `unitrun check` on the bad inputs of
// reliability.md §3.3 (B1–B10) must exit 6 and say `file:line: reason`;
// good units check out; show and the command line behave.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"
#include "unit/directives.h"
#include "unit/ini_lines.h"
#include "unit/unit.h"

using unitrun::test::run_unitrun;
using unitrun::test::RunResult;
using unitrun::test::TempDir;
using namespace std::string_literals;

namespace {

constexpr int kNotConfigured = 6;
constexpr int kBadArguments = 2;

const std::string kSource = UNITRUN_SOURCE_DIR;

// Whether some line of `text` starts with `prefix` and contains `message`.
bool has_line(const std::string& text, const std::string& prefix, const std::string& message) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.rfind(prefix, 0) == 0 && line.find(message, prefix.size()) != std::string::npos) return true;
    start = end + 1;
  }
  return false;
}

// "path:line: " for a line, "path: " for the file as a whole.
std::string position(const std::string& path, int line) {
  return line > 0 ? path + ":" + std::to_string(line) + ": " : path + ": ";
}

// `unitrun check path` must fail with exit 6 and report `message` at `line`.
void expect_rejected(const std::string& path, int line, const std::string& message) {
  RunResult r = run_unitrun({"check", path});
  INFO("unitrun check " << path << "\nexit " << r.exit_code << "\nstderr:\n" << r.err.substr(0, 4000));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == kNotConfigured);
  CHECK(has_line(r.err, position(path, line), message));
  CHECK(r.out.empty());
}

void expect_rejected(const TempDir& dir, const std::string& content, int line, const std::string& message) {
  expect_rejected(dir.write("u.ini", content), line, message);
}

void expect_accepted(const std::string& path) {
  RunResult r = run_unitrun({"check", path});
  INFO("unitrun check " << path << "\nexit " << r.exit_code << "\nstderr:\n" << r.err.substr(0, 4000));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
}

void expect_accepted(const TempDir& dir, const std::string& content) { expect_accepted(dir.write("u.ini", content)); }

// The value `show` prints for `key`, or "<missing>".
std::string shown(const std::string& out, const std::string& key) {
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(start, end - start);
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    start = end + 1;
  }
  return "<missing>";
}

}  // namespace

TEST_CASE("bad input B1: malformed structure", "[bad_input]") {
  TempDir dir;
  SECTION("missing [Service]") { expect_rejected(dir, "[Unit]\nDescription=x\n", 0, "no [Service] section"); }
  SECTION("key before any section") {
    expect_rejected(dir, "Description=x\n[Service]\nExecStart=/bin/true\n", 1, "outside of any section");
  }
  SECTION("unterminated section header") {
    expect_rejected(dir, "[Unit]\nDescription=x\n[Service\nExecStart=/bin/true\n", 3, "unterminated section header");
  }
  SECTION("=value") { expect_rejected(dir, "[Service]\nExecStart=/bin/true\n=value\n", 3, "missing key"); }
  SECTION("a line without =") {
    expect_rejected(dir, "[Service]\nExecStart=/bin/true\n\njustaword\n", 4, "expected 'Key=value'");
  }
  SECTION("Key:value") { expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUser:root\n", 3, "Key=value"); }
  SECTION("text after the section header") {
    expect_rejected(dir, "[Service] ; comment\nExecStart=/bin/true\n", 1, "after section header");
  }
  SECTION("empty file") { expect_rejected(dir, "", 0, "no [Service] section"); }
  SECTION("only comments") { expect_rejected(dir, "# nothing\n; here\n", 0, "no [Service] section"); }
  SECTION("a directory") {
    std::string sub = dir / "sub.ini";
    REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
    expect_rejected(sub, 0, "is a directory");
  }
  SECTION("a FIFO does not hang") {
    std::string fifo = dir / "fifo.ini";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    expect_rejected(fifo, 0, "not a regular file");
  }
  SECTION("/dev/zero does not hang") { expect_rejected("/dev/zero", 0, "not a regular file"); }
  SECTION("a missing file") { expect_rejected(dir / "missing.ini", 0, "No such file"); }
}

TEST_CASE("bad input B2: huge input is rejected and never truncated", "[bad_input]") {
  TempDir dir;
  const size_t max = unitrun::ini_lines::kMaxLineBytes;
  SECTION("a 1 MiB + 1 line") {
    std::string line = "ExecStart=/bin/echo ";
    line += std::string(max + 1 - line.size(), 'x');
    REQUIRE(line.size() == max + 1);
    expect_rejected(dir, "[Service]\n" + line + "\n", 2, "too long");
  }
  SECTION("a 1 MiB + 1 line in a comment-free [Unit]") {
    std::string line = "Description=" + std::string(max + 1 - 12, 'd');
    REQUIRE(line.size() == max + 1);
    expect_rejected(dir, "[Unit]\n" + line + "\n[Service]\nExecStart=/bin/true\n", 2, "too long");
  }
  SECTION("a 1 MiB line is accepted whole") {
    std::string line = "ExecStart=/bin/echo ";
    size_t arg = max - line.size();
    line += std::string(arg, 'x');
    REQUIRE(line.size() == max);
    std::string path = dir.write("u.ini", "[Service]\n" + line + "\n");
    expect_accepted(path);
    RunResult r = run_unitrun({"show", path});
    REQUIRE(r.exit_code == 0);
    CHECK(shown(r.out, "ExecStart") == "/bin/echo " + std::string(arg, 'x'));
  }
  SECTION("a 100 MiB file") {
    std::string path = dir.write("u.ini", "[Service]\nExecStart=/bin/true\n#");
    REQUIRE(::truncate(path.c_str(), 100L * 1024 * 1024) == 0);  // sparse: NUL bytes
    expect_rejected(path, 0, "too large");
  }
  SECTION("many continuation lines") {
    std::string content = "[Service]\nExecStart=/bin/echo \\\n";
    for (int i = 0; i < 100000; ++i) content += "x\\\n";
    content += "end\n";
    std::string path = dir.write("u.ini", content);
    RunResult r = run_unitrun({"show", path});
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    std::string expected = "/bin/echo";
    for (int i = 0; i < 100000; ++i) expected += " x";
    CHECK(shown(r.out, "ExecStart") == expected + " end");
  }
}

TEST_CASE("bad input B3: NUL bytes and dangling continuations", "[bad_input]") {
  TempDir dir;
  SECTION("NUL in a value is never parsed as the part before it") {
    expect_rejected(dir, "[Service]\nExecStart=/bin/true\0;rm -rf /tmp/unitrun-nul\n"s, 2, "NUL");
  }
  SECTION("NUL in a key") { expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUs\0er=root\n"s, 3, "NUL"); }
  SECTION("trailing backslash at the end of the file") {
    expect_rejected(dir, "[Service]\nExecStart=/bin/true \\", 2, "end of the file");
    expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUser=nobody \\\n", 3, "end of the file");
  }
  SECTION("CRLF line endings are accepted") {
    expect_accepted(dir, "[Service]\r\nExecStart=/bin/true\r\nUMask=0027\r\n");
  }
}

TEST_CASE("bad input B4: BOM is skipped and non-UTF-8 text is kept byte-exact", "[bad_input]") {
  TempDir dir;
  expect_accepted(dir, "\xEF\xBB\xBF[Service]\nExecStart=/bin/true\n");
  std::string path = dir.write("latin1.ini", "[Unit]\nDescription=caf\xE9 \x1b[1m\n[Service]\nExecStart=/bin/true\n");
  expect_accepted(path);
  RunResult text = run_unitrun({"show", path});
  REQUIRE(text.exit_code == 0);
  CHECK(shown(text.out, "Description") == "caf\xE9 \x1b[1m");
  // JSON must stay valid UTF-8 whatever the unit holds.
  RunResult json = run_unitrun({"show", "--json", path});
  REQUIRE(json.exit_code == 0);
  nlohmann::json j;
  REQUIRE_NOTHROW(j = nlohmann::json::parse(json.out));
  CHECK(j["Id"] == "latin1");
}

TEST_CASE("bad input B5: unknown keys and sections", "[bad_input]") {
  TempDir dir;
  expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUsre=nobody\n", 3, "did you mean 'User='");
  expect_rejected(dir, "[Sevrice]\nExecStart=/bin/true\n", 1, "did you mean [Service]");
  expect_rejected(dir, "[Unit]\nExecStart=/bin/true\n[Service]\nExecStart=/bin/true\n", 2, "belongs in [Service]");
  expect_accepted(dir, "[Service]\nExecStart=/bin/true\nX-Foo=1\n[X-Bar]\nAnything=1\n[Install]\nWantedBy=x.target\n");
}

TEST_CASE("bad input B6: duplicates", "[bad_input]") {
  TempDir dir;
  expect_rejected(dir, "[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n", 3, "more than one ExecStart=");
  // Last wins for scalars, with a warning for security keys; show prints the effective value.
  std::string path = dir.write("u.ini", "[Service]\nExecStart=/bin/true\nUser=nobody\nUser=root\n");
  RunResult check = run_unitrun({"check", path});
  CHECK(check.exit_code == 0);
  CHECK(has_line(check.err, position(path, 4), "warning: User= assigned again"));
  RunResult show = run_unitrun({"show", path});
  CHECK(show.exit_code == 0);
  CHECK(shown(show.out, "User") == "root");
}

TEST_CASE("bad input B7: UMask values", "[bad_input]") {
  TempDir dir;
  for (std::string bad : {"999", "abc", "-1", "0x12", "0o22", "07777", "022abc", "022 x", "1000", "8"}) {
    INFO("UMask=" << bad);
    expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUMask=" + bad + "\n", 3, "UMask=");
  }
  for (std::string good : {"", " 022 ", "0", "27", "0777"}) {
    INFO("UMask=" << good);
    expect_accepted(dir, "[Service]\nExecStart=/bin/true\nUMask=" + good + "\n");
  }
  std::string path = dir.write("u.ini", "[Service]\nExecStart=/bin/true\nUMask=27\n");
  CHECK(shown(run_unitrun({"show", path}).out, "UMask") == "0027");
}

TEST_CASE("bad input B7: TimeoutStopSec values", "[bad_input]") {
  TempDir dir;
  for (std::string bad : {"-1", "10foo", "1e3", "18446744073709551616s", "-5s", "5 x"}) {
    INFO("TimeoutStopSec=" << bad);
    expect_rejected(dir, "[Service]\nExecStart=/bin/true\nTimeoutStopSec=" + bad + "\n", 3, "TimeoutStopSec=");
  }
  std::string path =
      dir.write("u.ini", "[Service]\nExecStart=/bin/true\nTimeoutStopSec=5min 20s\nTimeoutStartSec=infinity\n");
  expect_accepted(path);
  RunResult r = run_unitrun({"show", path});
  CHECK(shown(r.out, "TimeoutStopSec") == "5min 20s");
  CHECK(shown(r.out, "TimeoutStartSec") == "infinity");
}

TEST_CASE("bad input B8: user and group identifiers", "[bad_input]") {
  TempDir dir;
  for (std::string bad : {"0day", "0x0", "-1", "4294967295", "99999999999"}) {
    INFO("User=" << bad);
    expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUser=" + bad + "\n", 3, "User=");
  }
  expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUser=nobody\0root\n"s, 3, "NUL");
  expect_rejected(dir, "[Service]\nExecStart=/bin/true\nUser=idontexist_unitrun\n", 3, "does not exist");
  expect_rejected(dir, "[Service]\nExecStart=/bin/true\nGroup=nonexistentgroupxyz\n", 3,
                  "group 'nonexistentgroupxyz' does not exist");
  expect_accepted(dir, "[Service]\nExecStart=/bin/true\nUser=65534\n");
  std::string path = dir.write("u.ini", "[Service]\nExecStart=/bin/true\nUser= nobody\n");
  expect_accepted(path);
  CHECK(shown(run_unitrun({"show", path}).out, "User") == "nobody");
}

TEST_CASE("bad input B9: unit names", "[bad_input]") {
  TempDir dir;
  const std::string content = "[Service]\nExecStart=/bin/true\n";
  std::string evil = dir.write("-evil.ini", content);
  expect_rejected(evil, 0, "invalid unit name '-evil'");
  // Given relative to the working directory, it is still not an option.
  RunResult r = run_unitrun({"check", "./-evil.ini"}, dir.path());
  CHECK(r.exit_code == kNotConfigured);
  CHECK(has_line(r.err, "./-evil.ini: ", "invalid unit name"));

  std::string long_name = dir.write(std::string(210, 'n') + ".ini", content);
  expect_rejected(long_name, 0, "invalid unit name");
  std::string space = dir.write("a b.ini", content);
  expect_rejected(space, 0, "invalid unit name");
  expect_accepted(dir.write("web@8080.ini", content));
}

TEST_CASE("bad input B10: ExecStart tokenizer", "[bad_input]") {
  TempDir dir;
  expect_rejected(dir, "[Service]\nExecStart=/bin/echo \"abc\n", 2, "unterminated quote");
  expect_rejected(dir, "[Service]\nExecStart=/bin/echo 'abc\n", 2, "unterminated quote");
  expect_rejected(dir, "[Service]\nExecStart=/bin/echo \\q\n", 2, "unknown escape");
  expect_rejected(dir, "[Service]\nExecStart=+!/bin/true\n", 2, "only one of the '+', '!' and '!!' prefixes");
  expect_rejected(dir, "[Service]\nExecStart=/bin/echo %Z\n", 2, "unknown specifier");

  std::string path = dir.write(
      "argv.ini", "[Service]\nType=oneshot\nExecStart=/bin/echo ; $(id) `id` %n \"a b\" 'c' \\\" \\n * \"x ; y\"\n"s);
  // A lone ';' starts a second command: '$(id)' is then its program, taken
  // literally (and not found: no shell is involved).
  RunResult r = run_unitrun({"show", "--json", path});
  REQUIRE(r.exit_code == 0);  // show does not check programs
  nlohmann::json j = nlohmann::json::parse(r.out);
  REQUIRE(j["ExecStart"].size() == 2);
  CHECK(j["ExecStart"][0]["argv"] == nlohmann::json::array({"/bin/echo"}));
  CHECK(j["ExecStart"][1]["argv"] ==
        nlohmann::json::array({"$(id)", "`id`", "argv.ini", "a b", "c", "\"", "\n", "*", "x ; y"}));
}

TEST_CASE("check: the shipped units are valid", "[bad_input][cli]") {
  for (std::string unit : {"/units/autotest.ini", "/units/alarm.ini", "/units/cache-warmer.ini"}) {
    RunResult r = run_unitrun({"check", kSource + unit});
    INFO(unit << ": exit " << r.exit_code << "\n" << r.err);
    CHECK(r.exit_code == 0);
  }
  RunResult both = run_unitrun({"check", kSource + "/units/autotest.ini", kSource + "/units/alarm.ini"});
  CHECK(both.exit_code == 0);
  // Relative to the working directory, too.
  RunResult rel = run_unitrun({"check", "units/autotest.ini"}, kSource);
  CHECK(rel.exit_code == 0);
}

TEST_CASE("check: every problem of every file is reported", "[bad_input][cli]") {
  TempDir dir;
  std::string a = dir.write("a.ini", "[Service]\nExecStart=/bin/true\nUsre=nobody\nUMask=999\n");
  std::string good = dir.write("good.ini", "[Service]\nExecStart=/bin/true\n");
  std::string b = dir.write("b.ini", "[Unit]\nDescription=b\n[Service]\nExecStart=/nonexistent/unitrun/prog\n");
  std::string c = dir / "missing.ini";
  RunResult r = run_unitrun({"check", a, good, b, c});
  INFO(r.err);
  CHECK(r.exit_code == kNotConfigured);
  CHECK(has_line(r.err, a + ":3: ", "did you mean 'User='"));
  CHECK(has_line(r.err, a + ":4: ", "UMask="));
  CHECK(has_line(r.err, b + ":4: ", "does not exist"));
  CHECK(has_line(r.err, c + ": ", "cannot open"));
  CHECK(r.err.find(good) == std::string::npos);
  // In the order the files were given.
  CHECK(r.err.find(a) < r.err.find(b));
  CHECK(r.err.find(b) < r.err.find(c));

  RunResult ok = run_unitrun({"check", good, good});
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.empty());
}

TEST_CASE("show: Key=value lines and JSON", "[bad_input][cli]") {
  const std::string unit = kSource + "/units/autotest.ini";
  RunResult r = run_unitrun({"show", unit});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE_FALSE(r.out.empty());
  CHECK(r.out.back() == '\n');
  size_t start = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    std::string line = r.out.substr(start, end - start);
    INFO(line);
    size_t eq = line.find('=');
    CHECK(eq != std::string::npos);
    CHECK(eq > 0);
    start = end + 1;
  }
  CHECK(shown(r.out, "Id") == "autotest");
  CHECK(shown(r.out, "FragmentPath") == unit);
  CHECK(shown(r.out, "Type") == "exec");
  CHECK(shown(r.out, "ExecStart") == kSource + "/units/autotest.sh 3");
  CHECK(shown(r.out, "WorkingDirectory") == kSource + "/units");
  CHECK(shown(r.out, "PIDFile") == kSource + "/logs/autotest.pid");
  CHECK(shown(r.out, "StandardOutput") == "append:" + kSource + "/logs/autotest.log");
  CHECK(shown(r.out, "Restart") == "on-failure");
  CHECK(shown(r.out, "RestartSec") == "1s");
  CHECK(shown(r.out, "TimeoutStopSec") == "10s");
  CHECK(shown(r.out, "WantedBy") == "multi-user.target");
  CHECK(has_line(r.out, "Environment=", "AUTOTEST_NAME=autotest"));

  RunResult j = run_unitrun({"show", "--json", unit});
  REQUIRE(j.exit_code == 0);
  nlohmann::json json;
  REQUIRE_NOTHROW(json = nlohmann::json::parse(j.out));
  REQUIRE(json.is_object());
  CHECK(json["Id"] == "autotest");
  CHECK(json["Type"] == "exec");
  REQUIRE(json["ExecStart"].size() == 1);
  CHECK(json["ExecStart"][0]["argv"] == nlohmann::json::array({kSource + "/units/autotest.sh", "3"}));
  CHECK(json["ExecStart"][0]["line"] == 17);
  CHECK(json["Environment"]["AUTOTEST_TICK"] == "2");
  CHECK(json["Environment"]["AUTOTEST_NAME"] == "autotest");
  CHECK(json["WantedBy"] == nlohmann::json::array({"multi-user.target"}));

  // An invalid unit is not shown.
  TempDir dir;
  std::string bad = dir.write("bad.ini", "[Service]\nExecStart=/bin/true\nUMask=999\n");
  RunResult b = run_unitrun({"show", bad});
  CHECK(b.exit_code == kNotConfigured);
  CHECK(b.out.empty());
  CHECK(has_line(b.err, bad + ":3: ", "UMask="));
}

TEST_CASE("command line: help, version, unknown verbs and options", "[bad_input][cli]") {
  RunResult help = run_unitrun({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("check") && Catch::Contains("show"));

  RunResult version = run_unitrun({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out + version.err, Catch::Contains("unitrun"));

  RunResult check_help = run_unitrun({"check", "--help"});
  CHECK(check_help.exit_code == 0);

  const std::string unit = kSource + "/units/autotest.ini";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{{"frobnicate"},
                                                                                    {"frobnicate", unit},
                                                                                    {"--bogus"},
                                                                                    {"check", "--bogus", unit},
                                                                                    {"show", "--bogus", unit},
                                                                                    {},
                                                                                    {"check"},
                                                                                    {"show"},
                                                                                    {"show", unit, unit}}) {
    std::string joined;
    for (const std::string& a : args) joined += " " + a;
    INFO("unitrun" << joined);
    RunResult r = run_unitrun(args);
    CHECK(r.exit_code == kBadArguments);
    CHECK_THAT(r.err, Catch::Contains("usage: unitrun "));  // the error, then a usage line
  }
  CHECK_THAT(run_unitrun({"frobnicate", unit}).err, Catch::StartsWith("unitrun: unknown command 'frobnicate'"));
}

namespace {

// A bad value for every key of the registry whose value is checked: each
// must give "path:line: Key=..." and exit 6. Conditions take theirs from
// kBadConditionValues.
const std::map<std::string, std::string>& bad_values() {
  static const std::map<std::string, std::string> table = {
      {"Unit.Documentation", "\"unterminated"},
      {"Unit.SourcePath", "relative/path"},
      {"Unit.StartLimitIntervalSec", "5x"},
      {"Unit.StartLimitInterval", "-1"},
      {"Unit.StartLimitBurst", "many"},
      {"Unit.StopWhenUnneeded", "maybe"},
      {"Unit.RefuseManualStart", "2"},
      {"Unit.RefuseManualStop", "sometimes"},
      {"Unit.AllowIsolate", "x"},
      {"Unit.DefaultDependencies", "perhaps"},
      {"Unit.OnSuccessJobMode", "eventually"},
      {"Unit.OnFailureJobMode", "retry"},
      {"Unit.OnFailureIsolate", "nah"},
      {"Unit.IgnoreOnIsolate", "oui"},
      {"Unit.JobTimeoutSec", "1 fortnight"},
      {"Unit.JobRunningTimeoutSec", "-3s"},
      {"Unit.JobTimeoutAction", "panic"},
      {"Unit.StartLimitAction", "explode"},
      {"Unit.FailureAction", "shutdown"},
      {"Unit.SuccessAction", "party"},
      {"Unit.FailureActionExitStatus", "256"},
      {"Unit.SuccessActionExitStatus", "-1"},
      {"Unit.RequiresMountsFor", "var/lib"},
      {"Unit.CollectMode", "always"},
      {"Service.ExecCondition", "-"},
      // The sandbox and the limits.
      {"Service.NoNewPrivileges", "maybe"},
      {"Service.LockPersonality", "2"},
      {"Service.MemoryDenyWriteExecute", "x"},
      {"Service.RestrictRealtime", "y-e-s"},
      {"Service.RestrictSUIDSGID", "nope"},
      {"Service.PrivateTmp", "private"},
      {"Service.PrivateDevices", "some"},
      {"Service.PrivateNetwork", "lan"},
      {"Service.PrivateIPC", "yes please"},
      {"Service.RemoveIPC", "sometimes"},
      // A MAC label without systemd's '-' would leave the service unconfined.
      {"Service.SELinuxContext", "system_u:system_r:sshd_t:s0"},
      {"Service.AppArmorProfile", "redis-server"},
      {"Service.SmackProcessLabel", "_"},
      {"Service.PrivateUsers", "self"},
      {"Service.PrivateMounts", "mounted"},
      {"Service.ProtectKernelTunables", "tuned"},
      {"Service.ProtectKernelModules", "loaded"},
      {"Service.ProtectKernelLogs", "logged"},
      {"Service.ProtectControlGroups", "grouped"},
      {"Service.ProtectClock", "ticking"},
      {"Service.ProtectHostname", "named"},
      {"Service.ProtectSystem", "partial"},
      {"Service.ProtectHome", "read-write"},
      {"Service.ProtectProc", "hidden"},
      {"Service.ProcSubset", "some"},
      {"Service.KeyringMode", "public"},
      {"Service.MountFlags", "recursive"},
      {"Service.ReadWritePaths", "relative/dir"},
      {"Service.ReadOnlyPaths", "etc"},
      {"Service.InaccessiblePaths", "-home"},
      {"Service.ExecPaths", "usr/bin"},
      {"Service.NoExecPaths", "tmp"},
      {"Service.ReadWriteDirectories", "x"},
      {"Service.ReadOnlyDirectories", "y"},
      {"Service.InaccessibleDirectories", "z"},
      {"Service.BindPaths", "relative:/x"},
      {"Service.BindReadOnlyPaths", "/x:/y:sideways"},
      {"Service.TemporaryFileSystem", "var"},
      {"Service.RootDirectory", "srv/root"},
      {"Service.MemoryMax", "lots"},
      {"Service.MemoryLimit", "-1"},
      {"Service.MemoryHigh", "101%"},
      {"Service.MemorySwapMax", "1Q"},
      {"Service.TasksMax", "0"},
      {"Service.CPUQuota", "50"},
      {"Service.CPUQuotaPeriodSec", "soon"},
      {"Service.CPUWeight", "0"},
      {"Service.CPUShares", "1"},
      {"Service.IOWeight", "10001"},
      {"Service.BlockIOWeight", "5"},
      {"Service.IODeviceWeight", "/dev/sda"},
      {"Service.BlockIODeviceWeight", "sda 100"},
      {"Service.DevicePolicy", "open"},
      {"Service.DeviceAllow", "/dev/null rwx"},
      {"Service.Slice", "web"},
      {"Service.SecureBits", "keep-capz"},
      {"Service.CapabilityBoundingSet", "CAP_BOGUS"},
      {"Service.AmbientCapabilities", "NOT_A_CAP"},
      {"Service.RestrictNamespaces", "netz"},
      {"Service.RestrictAddressFamilies", "AF_BOGUS"},
      {"Service.SystemCallFilter", "@no-such-group"},
      {"Service.SystemCallArchitectures", "pdp11"},
      {"Service.SystemCallErrorNumber", "ENOTANERRNO"},
      {"Service.SystemCallLog", "@bogus"},
      {"Service.Delegate", "cpux"},
      {"Service.IPAddressAllow", "10.0.0.0/33"},
      {"Service.IPAddressDeny", "example.com"},
      {"Service.StartupCPUWeight", "heavy"},
      {"Service.StartupCPUShares", "x"},
      {"Service.StartupIOWeight", "-1"},
      {"Service.StartupBlockIOWeight", "lots"},
      {"Service.TimeoutAbortSec", "soon"},
      {"Service.TimeoutStartFailureMode", "explode"},
      {"Service.TimeoutStopFailureMode", "terminate-later"},
      {"Service.RuntimeMaxSec", "1 eon"},
      {"Service.RuntimeRandomizedExtraSec", "x"},
      {"Service.StartLimitAction", "halt-maybe"},
      {"Service.FailureAction", "reboot-softly"},
      {"Service.Type", "daemon"},
      {"Service.ExitType", "process"},
      {"Service.PermissionsStartOnly", "sure"},
      {"Service.RemainAfterExit", "forever"},
      {"Service.GuessMainPID", "guess"},
      {"Service.RestartForceExitStatus", "EXIT_WHATEVER"},
      {"Service.NonBlocking", "nonblocking"},
      {"Service.BusName", "no-dots"},
      {"Service.FileDescriptorStoreMax", "-1"},
      {"Service.NotifyAccess", "everyone"},
      {"Service.OOMPolicy", "panic"},
      {"Service.SendSIGHUP", "hup"},
      {"Service.RestartKillSignal", "SIGNOPE"},
      {"Service.WatchdogSignal", "99"},
      {"Service.OOMScoreAdjust", "1001"},
      {"Service.CoredumpFilter", "everything"},
      {"Service.IOSchedulingClass", "fastest"},
      {"Service.IOSchedulingPriority", "8"},
      {"Service.CPUSchedulingPolicy", "deadline"},
      {"Service.CPUSchedulingPriority", "100"},
      {"Service.CPUSchedulingResetOnFork", "fork"},
      {"Service.CPUAffinity", "0-x"},
      {"Service.NUMAPolicy", "spread"},
      {"Service.NUMAMask", "9999"},
      {"Service.PassEnvironment", "1BAD"},
      {"Service.UnsetEnvironment", "BAD-NAME"},
      {"Service.StandardInputText", "bad \\q escape"},
      {"Service.StandardInputData", "not base64!"},
      {"Service.TTYPath", "tty1"},
      {"Service.TTYReset", "reset"},
      {"Service.TTYVHangup", "hangup"},
      {"Service.TTYVTDisallocate", "free"},
      {"Service.TTYRows", "65536"},
      {"Service.TTYColumns", "wide"},
      {"Service.SyslogFacility", "local8"},
      {"Service.SyslogLevel", "loud"},
      {"Service.SyslogLevelPrefix", "prefix"},
      {"Service.LogLevelMax", "verbose"},
      {"Service.LogRateLimitIntervalSec", "often"},
      {"Service.LogRateLimitBurst", "lots"},
      {"Service.LogExtraFields", "lower=case"},
      {"Service.TimerSlackNSec", "1 tick"},
      {"Service.LimitCPU", "1 day 5x"},
      {"Service.LimitFSIZE", "1Q"},
      {"Service.LimitDATA", "2:1"},
      {"Service.LimitSTACK", "-8M"},
      {"Service.LimitRSS", "lots"},
      {"Service.LimitAS", "1.5G"},
      {"Service.LimitNPROC", "1K"},
      {"Service.LimitMEMLOCK", "64X"},
      {"Service.LimitLOCKS", "x"},
      {"Service.LimitSIGPENDING", "-"},
      {"Service.LimitMSGQUEUE", "infinity:1"},
      {"Service.LimitNICE", "41"},
      {"Service.LimitRTPRIO", "high"},
      {"Service.LimitRTTIME", "5 x"},
      {"Service.ExecSearchPath", "/usr/bin:relative"},
      {"Service.Personality", "vax"},
      {"Service.RuntimeDirectoryPreserve", "sometimes"},
      {"Service.RuntimeDirectoryMode", "0999"},
      {"Service.RuntimeDirectory", "/absolute"},
      {"Service.StateDirectoryMode", "rwx"},
      {"Service.StateDirectory", "../escape"},
      {"Service.CacheDirectoryMode", "010000"},
      {"Service.CacheDirectory", "a/./b"},
      {"Service.LogsDirectoryMode", "-1"},
      {"Service.LogsDirectory", "a:/abs"},
      {"Service.ConfigurationDirectoryMode", "x"},
      {"Service.ConfigurationDirectory", "conf:link"},
      {"Service.SetCredential", "no-colon"},
      {"Service.LoadCredential", "../id:/etc/x"},
      {"Service.TimeoutCleanSec", "never"},
      {"Service.IgnoreSIGPIPE", "sigpipe"},
      {"Service.UtmpMode", "tty"},
      {"Service.CPUAccounting", "maybe"},
      {"Service.MemoryAccounting", "2"},
      {"Service.IOAccounting", "io"},
      {"Service.BlockIOAccounting", "block"},
      {"Service.TasksAccounting", "tasks"},
      {"Service.IPAccounting", "ip"},
      {"Install.WantedBy", "not-a-unit"},
      {"Install.RequiredBy", "x.unknowntype"},
      {"Install.Also", "@x.service"},
      {"Install.Alias", "other.target"},
      {"Install.DefaultInstance", "a b"},
  };
  return table;
}

const std::map<unitrun::ConditionKind, std::string>& bad_condition_values() {
  using K = unitrun::ConditionKind;
  static const std::map<K, std::string> table = {
      {K::PathExists, "relative"},
      {K::PathExistsGlob, "x*"},
      {K::PathIsDirectory, "|dir"},
      {K::PathIsSymbolicLink, "!link"},
      {K::PathIsMountPoint, "mnt"},
      {K::PathIsReadWrite, "rw"},
      {K::PathIsEncrypted, "crypt"},
      {K::DirectoryNotEmpty, "d"},
      {K::FileNotEmpty, "f"},
      {K::FileIsExecutable, "x"},
      {K::NeedsUpdate, "/usr"},
      {K::FirstBoot, "first"},
      {K::Architecture, "pdp11"},
      {K::Firmware, "bios"},
      {K::Virtualization, "matrix"},
      {K::Host, ""},
      {K::KernelCommandLine, ""},
      {K::KernelVersion, ">="},
      {K::Credential, "a/b"},
      {K::Security, "magic"},
      {K::Capability, "CAP_FLY"},
      {K::ACPower, "mains"},
      {K::Memory, "lots"},
      {K::CPUFeature, ""},
      {K::CPUs, "several"},
      {K::Environment, ""},
      {K::User, ""},
      {K::Group, ""},
      {K::ControlGroupController, ""},
      {K::OSRelease, "debian"},
      {K::MemoryPressure, "10"},
      {K::CPUPressure, "x%"},
      {K::IOPressure, "10%/1h"},
  };
  return table;
}

}  // namespace

TEST_CASE("bad input: every checked key with a bad value gives path:line and exit 6", "[bad_input]") {
  using unitrun::unit::DirectiveStatus;
  TempDir dir;
  // Keys that take any value (free text, any path, names looked up at
  // start), the refused ones (their value is never read), and the keys with
  // a test of their own above.
  const std::set<std::string> any_value = {
      "Unit.Description", "Unit.JobTimeoutRebootArgument", "Unit.RebootArgument", "Service.RebootArgument",
      "Service.PIDFile", "Service.SyslogIdentifier", "Service.UtmpIdentifier", "Service.WorkingDirectory",
      // Accepted without effect, and not looked at.
      "Service.LogNamespace", "Service.StartupAllowedCPUs", "Service.StartupAllowedMemoryNodes",
      "Service.DisableControllers", "Service.ManagedOOMSwap", "Service.ManagedOOMMemoryPressure",
      "Service.ManagedOOMMemoryPressureLimit", "Service.ManagedOOMPreference"};
  int checked = 0;
  for (const unitrun::unit::Directive& d : unitrun::unit::directives()) {
    std::string id = std::string(d.section()) + "." + std::string(d.name());
    if (d.status() == DirectiveStatus::Refused || any_value.count(id)) continue;
    std::string bad;
    if (id.rfind("Unit.Condition", 0) == 0 || id.rfind("Unit.Assert", 0) == 0) {
      std::string kind_name = id.substr(id.rfind("Unit.Condition", 0) == 0 ? 14 : 11);
      for (const auto& [kind, value] : bad_condition_values())
        if (kind_name == unitrun::to_string(kind)) bad = value;
      // An empty value is a reset, not a bad value: those kinds take any word.
      if (bad.empty()) continue;
    } else if (auto it = bad_values().find(id); it != bad_values().end()) {
      bad = it->second;
    } else if (d.status() == DirectiveStatus::Implemented &&
               unitrun::unit::find_directive(d.section(), d.name())->parse() == nullptr) {
      continue;
    } else {
      // The keys today's tests cover one by one (UMask=, User=, ...).
      static const std::set<std::string> covered_above = {"Service.ExecStartPre",
                                                          "Service.ExecStart",
                                                          "Service.ExecStartPost",
                                                          "Service.ExecReload",
                                                          "Service.ExecStop",
                                                          "Service.ExecStopPost",
                                                          "Service.RestartSec",
                                                          "Service.TimeoutSec",
                                                          "Service.TimeoutStartSec",
                                                          "Service.TimeoutStopSec",
                                                          "Service.WatchdogSec",
                                                          "Service.StartLimitInterval",
                                                          "Service.StartLimitBurst",
                                                          "Service.Restart",
                                                          "Service.RestartPreventExitStatus",
                                                          "Service.SuccessExitStatus",
                                                          "Service.SendSIGKILL",
                                                          "Service.KillMode",
                                                          "Service.KillSignal",
                                                          "Service.FinalKillSignal",
                                                          "Service.User",
                                                          "Service.Group",
                                                          "Service.SupplementaryGroups",
                                                          "Service.Nice",
                                                          "Service.UMask",
                                                          "Service.Environment",
                                                          "Service.EnvironmentFile",
                                                          "Service.StandardInput",
                                                          "Service.StandardOutput",
                                                          "Service.StandardError",
                                                          "Service.LimitCORE",
                                                          "Service.LimitNOFILE",
                                                          "Unit.Requires",
                                                          "Unit.Requisite",
                                                          "Unit.Wants",
                                                          "Unit.BindsTo",
                                                          "Unit.BindTo",
                                                          "Unit.Upholds",
                                                          "Unit.Conflicts",
                                                          "Unit.Before",
                                                          "Unit.After",
                                                          "Unit.OnSuccess",
                                                          "Unit.OnFailure",
                                                          "Unit.PropagatesReloadTo",
                                                          "Unit.PropagateReloadTo",
                                                          "Unit.ReloadPropagatedFrom",
                                                          "Unit.PropagateReloadFrom",
                                                          "Unit.PropagatesStopTo",
                                                          "Unit.StopPropagatedFrom",
                                                          "Unit.PartOf",
                                                          "Unit.JoinsNamespaceOf",
                                                          "Unit.RequiresOverridable",
                                                          "Unit.RequisiteOverridable"};
      INFO(id << " has no bad value in bad_values()");
      CHECK(covered_above.count(id) == 1);
      if (id.rfind("Unit.", 0) == 0 && id != "Unit.Documentation")
        bad = "not a unit name";
      else
        continue;
    }
    std::string section = std::string(d.section());
    std::string content = "[" + section + "]\n" + std::string(d.name()) + "=" + bad + "\n";
    if (section != "Service") content += "[Service]\n";
    content += "ExecStart=/bin/true\n";
    INFO(id << "=" << bad);
    expect_rejected(dir, content, 2, std::string(d.name()) + "=");
    ++checked;
  }
  CHECK(checked > 180);
}

TEST_CASE("unit names: a symlink names the instance, a template alone is checked but not started", "[bad_input]") {
  TempDir dir;
  std::string tmpl =
      dir.write("echo@.service", "[Unit]\nDescription=echo %i (%I) as %n\n[Service]\nExecStart=/bin/echo %i\n");
  std::string link = dir / "echo@hello-world.service";
  REQUIRE(::symlink(tmpl.c_str(), link.c_str()) == 0);
  RunResult show = run_unitrun({"show", "--json", link});
  INFO(show.err);
  REQUIRE(show.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(show.out);
  CHECK(j["Id"] == "echo@hello-world.service");
  CHECK(j["Description"] == "echo hello-world (hello/world) as echo@hello-world.service");
  CHECK(j["ExecStart"][0]["argv"] == nlohmann::json::array({"/bin/echo", "hello-world"}));
  CHECK(j["PIDFile"].get<std::string>().find("/echo@hello-world.service.pid") != std::string::npos);

  // The template itself: check validates it as instance 'i', with a note;
  // the verbs that run or inspect it refuse it (exit 6).
  RunResult check = run_unitrun({"check", tmpl});
  CHECK(check.exit_code == 0);
  CHECK(has_line(check.err, tmpl + ": ", "note: a template: its specifiers are checked as instance 'i'"));
  RunResult start = run_unitrun({"start", tmpl});
  CHECK(start.exit_code == kNotConfigured);
  CHECK(has_line(start.err, tmpl + ": ", "'echo@.service' is a template: start one of its instances"));
  // Notes are for check: start and show say nothing about keys without effect.
  std::string with_after =
      dir.write("after.service", "[Unit]\nJoinsNamespaceOf=x.service\n[Service]\nExecStart=/bin/true\n");
  CHECK(run_unitrun({"check", with_after}).err.find("note: JoinsNamespaceOf=") != std::string::npos);
  RunResult shown = run_unitrun({"show", with_after});
  CHECK(shown.exit_code == 0);
  CHECK(shown.err.empty());
}
