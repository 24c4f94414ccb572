// Giving back the stack below the caller (what an idle monitor does once it
// settles): the pages a deeper call dirtied are no longer resident, and the
// caller's own frame is intact.
#include "base/idle_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>

using namespace unitrun;

namespace {

bool resident(uintptr_t address) {
  auto page = address & ~uintptr_t{4095};
  unsigned char vec = 0;
  REQUIRE(::mincore(reinterpret_cast<void*>(page), 4096, &vec) == 0);
  return vec & 1;
}

// Writes 16 kB of stack per level; returns the address of the deepest byte.
[[gnu::noinline]] uintptr_t dirty_stack(int levels) {
  volatile char buf[16384];
  for (size_t k = 0; k < sizeof buf; k += 512) buf[k] = static_cast<char>(k);
  if (levels <= 1) return reinterpret_cast<uintptr_t>(&buf[0]);
  uintptr_t deeper = dirty_stack(levels - 1);
  buf[1] = 1;  // not a tail call
  return deeper;
}

}  // namespace

TEST_CASE("the stack below the caller is given back, the caller's frame kept", "[idle_stack]") {
  char mine[512];
  std::memset(mine, 'x', sizeof mine);
  uintptr_t deep = dirty_stack(4);  // 64 kB below this frame
  REQUIRE(resident(deep));

  auto released = release_stack_below_caller();
  REQUIRE(released);
  CHECK(*released >= 48 * 1024);
  CHECK_FALSE(resident(deep));
  for (char c : mine) REQUIRE(c == 'x');

  // The pages come back, zero-filled, when the stack grows there again.
  deep = dirty_stack(4);
  CHECK(resident(deep));
}
