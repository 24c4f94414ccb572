// The man pages (docs/unitrun.1, docs/unitrun.unit.5) against the program:
// every command `unitrun --help` lists has an entry in unitrun(1), every
// key the parser knows has one in its section of unitrun.unit(5), and no
// entry names a key the parser does not know.
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "test_support.h"
#include "unit/unit_parser.h"

using namespace unitrun;
using unitrun::test::read_file;
using unitrun::test::run_unitrun;

namespace {

std::string man_page(const std::string& name) {
  std::string text = read_file(std::string(UNITRUN_SOURCE_DIR) + "/docs/" + name);
  REQUIRE_FALSE(text.empty());
  return text;
}

// The text of one `.SH` section of a man page, up to the next `.SH`.
std::string man_section(const std::string& page, const std::string& heading) {
  size_t at = page.find("\n.SH " + heading + "\n");
  INFO("section " << heading);
  REQUIRE(at != std::string::npos);
  size_t end = page.find("\n.SH ", at + 1);
  return page.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The commands of `unitrun --help`: the first word of each line after
// "Subcommands:", with its aliases ("try-restart, condrestart").
std::set<std::string> commands_from_help() {
  test::RunResult r = run_unitrun({"--help"});
  REQUIRE(r.exit_code == 0);
  std::set<std::string> commands;
  std::istringstream in(r.out);
  std::string line;
  bool in_list = false;
  while (std::getline(in, line)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    if (!in_list || line.size() < 3 || line[0] != ' ') continue;
    std::smatch m;
    std::string names = line.substr(0, line.find("  ", 2));
    for (std::regex word("[a-z-]+"); std::regex_search(names, m, word); names = m.suffix()) commands.insert(m.str());
  }
  return commands;
}

}  // namespace

TEST_CASE("man pages: unitrun(1) describes every command and exit code", "[man]") {
  std::string commands_text = man_section(man_page("unitrun.1"), "COMMANDS");
  std::set<std::string> commands = commands_from_help();
  REQUIRE(commands.size() >= 12);
  for (const std::string& c : commands) {
    INFO("command " << c);
    // An entry's tag starts with the command: `.BI "check " ...`, or `.BR "export systemd" ...`,
    // or is an alias in a tag such as `.BI "try-restart " unit.ini "\fR, \fPcondrestart " ...`.
    bool tagged = std::regex_search(commands_text, std::regex("\n\\.TP\n\\.B[IR]? \"?" + c + "[ \"]")) ||
                  commands_text.find("\\fP" + c + " ") != std::string::npos;
    CHECK(tagged);
  }
  std::string exit_text = man_section(man_page("unitrun.1"), "EXIT STATUS");
  for (const char* code : {"0", "1", "2", "4", "5", "6", "7"}) {
    INFO("exit code " << code);
    CHECK(exit_text.find("\n.B " + std::string(code) + "\n") != std::string::npos);
  }
}

TEST_CASE("man pages: unitrun.unit(5) describes every key, in its section, and no other", "[man]") {
  std::string page = man_page("unitrun.unit.5");
  std::set<std::string> known;
  for (const std::string& id : unit::known_keys()) {  // "Service.ExecStart"
    std::string section = id.substr(0, id.find('.')), key = id.substr(id.find('.') + 1);
    known.insert(key);
    INFO("key " << id);
    CHECK(man_section(page, "[" + section + "] KEYS").find("\n.TP\n.B " + key + "=\n") != std::string::npos);
  }
  // Every entry names a real key: the page cannot document one that was renamed or dropped.
  std::regex entry("\n\\.TP\n\\.B ([A-Za-z]+)=\n");
  for (std::sregex_iterator it(page.begin(), page.end(), entry), end; it != end; ++it) {
    INFO("documented key " << (*it)[1].str());
    CHECK(known.count((*it)[1].str()) == 1);
  }
}
