// Gives back the stack pages below the caller: for a process that is about
// to sleep for a long time (an idle monitor) after having run deeper than it
// will again. Every page a process's stack ever reached stays dirty (its
// Private_Dirty) for as long as it lives; the pages below the current frame
// hold nothing (a stack below its pointer is dead by the ABI), so they can be
// returned: the kernel maps a zero page again should the process reach them.
#pragma once

#include <cstddef>

#include "base/result.h"

namespace unitrun {

// Releases (MADV_DONTNEED) the pages of the mapping that holds the caller's
// frame from its start up to one page below that frame (the margin holds
// this call's own frames). Returns the bytes released (0: none below).
// Reads /proc/self/maps once to find the mapping: call it once per idle
// spell, not per event.
Result<size_t> release_stack_below_caller();

}  // namespace unitrun
