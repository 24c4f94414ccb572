// Prints what docs/unit-format.md and docs/unitrun.unit.5 hold between
// their GENERATED markers, or the registry's list of directives:
//   unitrun_directive_docs --markdown | --man | --list
// scripts/gen-directive-docs runs it.
#include "unit/directive_docs.h"

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  std::string what = argc == 2 ? argv[1] : "";
  std::string text;
  if (what == "--markdown")
    text = unitrun::unit::directives_markdown();
  else if (what == "--man")
    text = unitrun::unit::directives_man();
  else if (what == "--list")
    text = unitrun::unit::directives_list();
  else {
    std::fprintf(stderr, "usage: %s --markdown | --man | --list\n", argv[0]);
    return 2;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}
