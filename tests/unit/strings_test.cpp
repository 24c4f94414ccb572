// base/strings.h: the small helpers every module uses.
#include "base/strings.h"

#include <catch2/catch.hpp>

using unitrun::base_name;
using unitrun::trim;

TEST_CASE("base_name is what follows a path's last slash", "[strings]") {
  CHECK(base_name("/run/unitrun/x.state") == "x.state");
  CHECK(base_name("x.service") == "x.service");  // no slash: the whole text
  CHECK(base_name("/") == "");
  CHECK(base_name("dir/") == "");
  CHECK(base_name("") == "");
  CHECK(base_name("/a//b") == "b");
}

TEST_CASE("trim drops blanks at both ends only", "[strings]") {
  CHECK(trim("  a b \t") == "a b");
  CHECK(trim("") == "");
  CHECK(trim(" \t ") == "");
}
