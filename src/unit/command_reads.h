// What one command reads of the configuration, read once: the caller's
// user entry and the runtime directory it chose (user_dirs(), not
// whether that directory is safe), the texts of unit files
// (read_unit_file()), and the listings of the unit path's link directories
// (NAME.wants/ and the like). A verb that looks at the same unit from
// several places (whether it needs the manager, whether it refuses a
// manual start, the load itself, the record of its requirements) then
// costs at most one getpwuid, one read of each file and one look at each
// directory.
//
// A CommandReads lives on the stack of the command it serves: while it
// does, the functions above answer from it; once it is gone, they read
// again. Never longer than a command (`unitrun init` runs many in one
// process, and each must see the files as they are when it begins), and
// only for what no monitor changes: the runtime directory's files (locks,
// state records, pidfiles) are never kept here, since a lock taken in
// between may reveal them changed. A scope opened while another lives
// leaves the outer one in charge. Single-threaded, as unitrun is (its
// parallel jobs are forked processes, each with its copy).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "unit/file_stamp.h"
#include "unit/user_dirs.h"

namespace unitrun::unit {

// The names a unit's NAME.wants/, NAME.requires/ and NAME.upholds/
// directories of the unit path link.
struct UnitLinks {
  std::vector<std::string> wants, required, upheld;
};

// A unit file as read (unit/unit_sources.h): its text or why not, and its
// stamp when it had settled.
struct UnitFileRead {
  Result<std::string> text;
  std::optional<FileStamp> stamp;
};

class CommandReads {
 public:
  CommandReads();
  ~CommandReads();
  CommandReads(const CommandReads&) = delete;
  CommandReads& operator=(const CommandReads&) = delete;

  // The scope in charge, or null outside any.
  static CommandReads* current();
  // For a process forked by the command that lives on after it (a
  // monitor): nothing answers from the scope in this process again, and
  // its fd is closed. What it holds is freed by free_left(), later (the
  // monitor's memory trims, once a service it started runs; a monitor that
  // never gets there, such as a RemainAfterExit= oneshot's, keeps it, as it
  // kept the frees' pages before); the scope must outlive that call, as a
  // monitor's does (it never returns into the command's frames: it
  // _exits).
  static void leave();
  static void free_left();

  // user_dirs() without what it finds in the file system: the user entry
  // (and root's fixed directories). Another user's runtime directory:
  // which one was chosen (logind's or the fallback under /tmp, when
  // XDG_RUNTIME_DIR is not set) is kept, so that one command's files never
  // split between the two; whether it is safe is looked at on every call
  // (user_dirs.cc).
  std::optional<UserDirs> user_entry;
  std::optional<CallerEntry> caller_entry;  // caller_entry(), when asked
  std::optional<std::string> runtime_dir_choice;
  std::map<std::string, UnitFileRead> unit_files;  // by the path read
  std::map<std::string, UnitLinks> unit_links;     // by the unit path's directories and the unit's name
  // The runtime directory a start made and checked
  // (safe_files::ensure_private_directory), held open (O_PATH): the
  // command's locks, records and snapshot in it are opened through it, not
  // by its path again. The directory, never its files: what is in it is
  // read anew every time.
  std::string private_directory;
  UniqueFd private_directory_fd;

 private:
  bool in_charge_ = false;
};

}  // namespace unitrun::unit
