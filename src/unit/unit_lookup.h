// From what the user typed to the files a unit is made of: a name looked up
// in the unit path ("nginx", "web@1.service", "app.ini"), or a path
// ("units/app.ini", "./web@1.service"), to the unit's name, the file to read
// (the template, for an instance), its drop-ins in the order they apply,
// and the unit's identity: what makes two spellings one unit.
//
// systemd.unit(5)'s rules: the first directory of the path with a file of
// the name wins; an instance without a file of its own is made from its
// template; a file that is empty or a symlink to /dev/null masks the name;
// a symlink to another unit file of the same type is an alias, and the unit
// is named after the file it points to. Drop-ins: NAME.d/*.conf, then the
// template's, then those of each prefix up to a '-' (foo-bar-.service.d,
// foo-.service.d), then the top-level service.d/, from every directory of
// the path; applied sorted by file name, a file in an earlier directory (or
// a more specific one of the same directory) hiding one of the same name
// in a later one, and one that is empty or /dev/null hiding it without
// applying anything.
//
// The order of the drop-in directories (dropin_directory_names) and of the
// drop-ins (order_dropins) is pure; the file-system reads are here too, in
// find_unit() and list_unit_files().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "unit/unit_path.h"

namespace unitrun::unit {

// A spelling with a '/' is a path; anything else a name (systemctl's rule).
bool is_path_spelling(std::string_view spelling);
// A name with one of fnmatch's wildcards '*', '?' or '[': it matches the
// names of the units unitrun knows (systemctl's rule for PATTERN...).
bool is_glob(std::string_view spelling);

// The file names a name may have: "nginx" is "nginx.service" or
// "nginx.ini" (in that order, in each directory); a name with either
// suffix only itself.
std::vector<std::string> candidate_file_names(std::string_view name);

struct UnitFile {
  std::string spelling;  // as typed
  std::string name;      // the unit's name: "nginx.service", "web@1.service", "app" (app.ini)
  // The file the unit is read from, resolved (no symlink): the template for
  // an instance without a file of its own. Empty when nothing was found.
  std::string fragment;
  // What makes two spellings one unit, and keys its runtime files: the
  // name for a unit of the unit path (whichever directory holds it now);
  // otherwise the resolved path of its file ("<directory of the resolved
  // template>/<instance name>" for an instance made from a template).
  std::string identity;
  bool by_name = false;   // a unit of the unit path (identity is its name)
  bool found = false;     // a file (or template) was found
  bool masked = false;    // the name's first file is empty or a symlink to /dev/null
  std::string directory;  // the directory of the unit path that holds it; empty for a path outside it
  // The drop-ins, in the order they apply (resolved paths).
  std::vector<std::string> dropins;
  // Files of the same name later in the path, which the fragment hides
  // (`cat` says so).
  std::vector<std::string> shadowed;
  // Other names the unit is known by (the name typed, when it is an alias).
  std::vector<std::string> aliases;
};

// Resolves a name or a path (never a glob). A name that is not a valid
// unit name is an error ("invalid unit name 'a b'"); one that is not found
// is a UnitFile with found == false (its name and identity still say which
// unit it would be, so that a running unit whose file was deleted is still
// found). A path that does not exist keeps its spelling as the fragment,
// found == false: reading it says why.
Result<UnitFile> find_unit(std::string_view spelling, const UnitPath& path);

// The drop-in directory names of a unit (its name, its template's, those
// of its prefixes, and the top-level one, "service.d"), most specific first;
// `aliases` add theirs after the name's. Pure.
std::vector<std::string> dropin_directory_names(std::string_view name, const std::vector<std::string>& aliases = {});

// One drop-in directory as found: its .conf entries, and which of them are
// masks (empty or /dev/null).
struct DropinDirectory {
  std::string path;
  std::vector<std::string> entries;  // file names ending in ".conf"
  std::vector<std::string> masks;    // of those, the ones that hide others without applying anything
};
// The drop-ins to apply, in order: by file name; for each name the first
// directory that has it wins, and a mask applies nothing. Pure.
std::vector<std::string> order_dropins(const std::vector<DropinDirectory>& directories);

// Every unit file of the path, the first of each name, sorted by name; with
// a template's instances nowhere (they have no file). Kinds unitrun runs:
// .service and .ini.
struct UnitFileEntry {
  std::string name;       // "nginx.service", "app.ini" (file name: a .ini unit's name lacks it)
  std::string path;       // as found in the directory (a symlink stays one)
  std::string directory;  // the directory of the path that holds it
  bool masked = false;
  bool alias = false;  // a symlink to a unit file of another name
  bool is_template = false;
};
std::vector<UnitFileEntry> list_unit_files(const UnitPath& path);

}  // namespace unitrun::unit
