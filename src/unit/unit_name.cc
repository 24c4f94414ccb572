#include "unit/unit_name.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace unitrun::unit {
namespace {

constexpr std::string_view kServiceSuffix = ".service";
constexpr std::string_view kIniSuffix = ".ini";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(":_.@-\\").find(c) != std::string_view::npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The unit types of systemd.unit(5): what a dependency may name.
constexpr std::array<std::string_view, 11> kUnitTypes = {".service",   ".socket", ".device", ".mount",
                                                         ".automount", ".swap",   ".target", ".path",
                                                         ".timer",     ".slice",  ".scope"};

}  // namespace

UnitName unit_name_of(std::string_view path) {
  UnitName n;
  size_t slash = path.rfind('/');
  n.file_name = std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
  std::string_view file = n.file_name;
  n.is_service = ends_with(file, kServiceSuffix) && file.size() > kServiceSuffix.size();
  if (n.is_service) {
    n.name = n.file_name;
    n.without_suffix = std::string(file.substr(0, file.size() - kServiceSuffix.size()));
  } else {
    // unitrun's own files: the name is the file name without ".ini" (any
    // other extension stays part of it).
    if (ends_with(file, kIniSuffix) && file.size() > kIniSuffix.size()) file.remove_suffix(kIniSuffix.size());
    n.name = std::string(file);
    n.without_suffix = n.name;
  }
  size_t at = n.without_suffix.find('@');
  if (at == std::string::npos) {
    n.prefix = n.without_suffix;
  } else {
    n.prefix = n.without_suffix.substr(0, at);
    n.instance = n.without_suffix.substr(at + 1);
    n.is_template = n.is_service && n.instance.empty();
  }
  return n;
}

UnitName as_checked(const UnitName& name) {
  if (!name.is_template) return name;
  UnitName n = name;
  n.instance = std::string(kTemplateCheckInstance);
  n.without_suffix = n.prefix + "@" + n.instance;
  n.file_name = n.without_suffix + std::string(kServiceSuffix);
  return n;
}

bool is_valid_unit_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name[0] == '-' || name == "." || name == "..") return false;
  if (!std::all_of(name.begin(), name.end(), is_name_char)) return false;
  // "@x.service": no prefix. An instance may hold '@' itself, as in systemd.
  if (ends_with(name, kServiceSuffix) && name[0] == '@') return false;
  return true;
}

// systemd's unit_name_is_valid(): NAME.TYPE of its characters, shorter
// than 256 bytes, not starting with '@'; after the first '@' (the instance)
// more may follow.
bool is_valid_dependency_name(std::string_view name) {
  if (name.empty() || name.size() >= 256 || name[0] == '.' || name[0] == '@') return false;
  if (!std::all_of(name.begin(), name.end(), is_name_char)) return false;
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view type = name.substr(dot);
  return std::find(kUnitTypes.begin(), kUnitTypes.end(), type) != kUnitTypes.end();
}

std::string unescape(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '-') {
      out += '/';
    } else if (c == '\\' && i + 3 < escaped.size() && escaped[i + 1] == 'x' && hex_value(escaped[i + 2]) >= 0 &&
               hex_value(escaped[i + 3]) >= 0) {
      out += static_cast<char>(hex_value(escaped[i + 2]) * 16 + hex_value(escaped[i + 3]));
      i += 3;
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_path(std::string_view escaped) {
  if (escaped.empty() || escaped == "-") return "/";
  std::string path = unescape(escaped);
  return path[0] == '/' ? path : "/" + path;
}

std::string service_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".service";
  if (name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix) return std::string(name);
  return std::string(name) + std::string(kSuffix);
}

}  // namespace unitrun::unit
