// The locale every service gets from its manager. systemd's system manager
// starts its services' environment from PATH and the locale configuration
// (core/locale-setup.c, "Import locale variables LC_*= from
// configuration"); a user manager passes its own environment instead.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unitrun::monitor {

using LocaleVariables = std::vector<std::pair<std::string, std::string>>;

// The locale variables an env-file text sets (locale.conf(5) syntax, which
// is EnvironmentFile='s): LANG, LANGUAGE and the twelve LC_* categories,
// those with a value, in the text's order (the last assignment of a name
// decides; an empty one unsets it). Anything else (LC_ALL included,
// which systemd does not take from there either) is left out. A text that
// does not parse sets nothing.
LocaleVariables locale_variables(std::string_view text);

// What a service of this unitrun gets. As root (a system manager):
// /etc/locale.conf; where that file does not exist, Debian's
// /etc/default/locale (Debian's systemd reads it so); where neither sets a
// variable, LANG=C.UTF-8 (systemd's built-in default). Not root (a user
// manager): these variables from unitrun's own environment. The kernel
// command line's locale.LANG= & co., which systemd reads first, are not
// read (docs/unit-format.md says so).
LocaleVariables manager_locale();

}  // namespace unitrun::monitor
