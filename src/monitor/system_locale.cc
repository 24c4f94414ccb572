#include "monitor/system_locale.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/sys.h"
#include "unit/environment_file.h"

namespace unitrun::monitor {
namespace {

// systemd 252's locale variables (locale-util.h), in its order.
constexpr const char* kLocaleNames[] = {"LANG",       "LANGUAGE",     "LC_CTYPE",       "LC_NUMERIC",       "LC_TIME",
                                        "LC_COLLATE", "LC_MONETARY",  "LC_MESSAGES",    "LC_PAPER",         "LC_NAME",
                                        "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION"};

bool is_locale_name(const std::string& name) {
  for (const char* n : kLocaleNames)
    if (name == n) return true;
  return false;
}

constexpr const char* kLocaleConf = "/etc/locale.conf";
constexpr const char* kDebianLocale = "/etc/default/locale";
constexpr const char* kDefaultLocale = "C.UTF-8";

}  // namespace

LocaleVariables locale_variables(std::string_view text) {
  LocaleVariables out;
  auto vars = environment_file::parse(text);
  if (!vars) return out;
  for (auto& [name, value] : *vars) {
    if (!is_locale_name(name)) continue;
    // The last assignment of a name decides (systemd's parse_env_file()),
    // in the name's first place; an empty one unsets it.
    bool replaced = false;
    for (auto& [n, v] : out)
      if (n == name) {
        v = value;
        replaced = true;
      }
    if (!replaced) out.emplace_back(std::move(name), std::move(value));
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const auto& kv) { return kv.second.empty(); }), out.end());
  return out;
}

LocaleVariables manager_locale() {
  LocaleVariables out;
  if (::geteuid() != 0) {
    for (const char* name : kLocaleNames)
      if (const char* v = std::getenv(name); v && *v) out.emplace_back(name, v);
    return out;
  }
  // Files of root's /etc, read as they are (a symlink there is root's
  // choice: some systems link locale.conf to the Debian file). A
  // locale.conf that exists decides, even when it sets nothing, as in
  // systemd; one that cannot be read counts as setting nothing (systemd
  // logs and goes on the same way).
  auto text = sys::read_file(kLocaleConf, 1 << 16);
  if (!text && text.error().sys_errno == ENOENT) text = sys::read_file(kDebianLocale, 1 << 16);
  if (text) out = locale_variables(*text);
  if (out.empty()) out.emplace_back("LANG", kDefaultLocale);
  return out;
}

}  // namespace unitrun::monitor
