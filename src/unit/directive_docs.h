// The parts of docs/unit-format.md and docs/unitrun.unit.5 that are
// generated from the registry (directives.h): the counts, and every key
// accepted without effect or refused, grouped by reason. scripts/
// gen-directive-docs writes them between the GENERATED markers of those
// files; tests/unit/man_pages_test.cpp checks that what is committed is what
// this produces.
#pragma once

#include <string>

namespace unitrun::unit {

std::string directives_markdown();
std::string directives_man();
// "[Unit]\nDescription\n..." with every row of the registry, for
// comparison with `systemd --dump-configuration-items` (scripts/
// systemd-directives).
std::string directives_list();

}  // namespace unitrun::unit
