#include "unit/command_reads.h"

namespace unitrun::unit {
namespace {

CommandReads* g_current = nullptr;
CommandReads* g_left = nullptr;  // leave()'s scope, its contents not freed yet: free_left()

}  // namespace

CommandReads::CommandReads() {
  if (g_current) return;
  g_current = this;
  in_charge_ = true;
}

CommandReads::~CommandReads() {
  if (in_charge_) g_current = nullptr;
  if (g_left == this) g_left = nullptr;
}

CommandReads* CommandReads::current() { return g_current; }

void CommandReads::leave() {
  if (!g_current) return;
  g_current->private_directory_fd.reset();
  // The frees wait for free_left(): in a process just forked, each one
  // writes to a heap page it shares with its parent (a copy-on-write fault
  // apiece, ~10 us in all on a monitor's way to its service).
  g_left = g_current;
  g_current = nullptr;
}

void CommandReads::free_left() {
  if (!g_left) return;
  g_left->user_entry.reset();
  g_left->caller_entry.reset();
  g_left->runtime_dir_choice.reset();
  g_left->unit_files.clear();
  g_left->unit_links.clear();
  g_left->private_directory.clear();
  g_left = nullptr;
}

}  // namespace unitrun::unit
