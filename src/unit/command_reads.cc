#include "unit/command_reads.h"

namespace unitrun::unit {
namespace {

CommandReads* g_current = nullptr;

}  // namespace

CommandReads::CommandReads() {
  if (g_current) return;
  g_current = this;
  in_charge_ = true;
}

CommandReads::~CommandReads() {
  if (in_charge_) g_current = nullptr;
}

CommandReads* CommandReads::current() { return g_current; }

void CommandReads::leave() {
  if (!g_current) return;
  g_current->user_entry.reset();
  g_current->caller_entry.reset();
  g_current->runtime_dir_choice.reset();
  g_current->unit_files.clear();
  g_current->unit_links.clear();
  g_current->private_directory.clear();
  g_current->private_directory_fd.reset();
  g_current = nullptr;
}

}  // namespace unitrun::unit
