#include "unit/host_facts.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "base/strings.h"
#include "unit/conditions.h"

namespace unitrun::unit {
namespace {

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() > 64 * 1024) content.resize(64 * 1024);
  return content;
}

// A 128-bit ID as systemd formats it: 32 lowercase hex digits, no dashes.
std::optional<std::string> id128(const char* path) {
  auto text = read_text(path);
  if (!text) return std::nullopt;
  std::string id;
  for (char c : *text)
    if (std::isxdigit(static_cast<unsigned char>(c)))
      id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (id.size() != 32) return std::nullopt;
  return id;
}

// KEY=VALUE with optional quotes (os-release(5), machine-info(5)).
std::map<std::string, std::string> key_values(const std::string& content) {
  std::map<std::string, std::string> out;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = trim(line);
    size_t eq = l.find('=');
    if (l.empty() || l[0] == '#' || eq == std::string_view::npos) continue;
    std::string_view v = trim(l.substr(eq + 1));
    if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'') && v.back() == v[0]) v = v.substr(1, v.size() - 2);
    std::string value;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      value += v[i];
    }
    out[std::string(trim(l.substr(0, eq)))] = value;
  }
  return out;
}

}  // namespace

HostFacts read_host_facts() {
  HostFacts h;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') h.hostname = name;
  struct utsname u;
  if (::uname(&u) == 0) h.kernel_release = u.release;
  std::string arch = architecture_name();
  if (!arch.empty()) h.architecture = arch;
  h.machine_id = id128("/etc/machine-id");
  h.boot_id = id128("/proc/sys/kernel/random/boot_id");
  if (auto info = read_text("/etc/machine-info")) {
    auto kv = key_values(*info);
    if (auto it = kv.find("PRETTY_HOSTNAME"); it != kv.end() && !it->second.empty()) h.pretty_hostname = it->second;
  }
  auto os = read_text("/etc/os-release");
  if (!os) os = read_text("/usr/lib/os-release");
  if (os) {
    auto kv = key_values(*os);
    h.os_release_read = true;
    h.os_id = kv["ID"];
    h.os_version_id = kv["VERSION_ID"];
    h.os_variant_id = kv["VARIANT_ID"];
    h.os_build_id = kv["BUILD_ID"];
    h.os_image_id = kv["IMAGE_ID"];
    h.os_image_version = kv["IMAGE_VERSION"];
  }
  return h;
}

namespace {

bool invoked_as_systemctl_flag = false;

// Whether `path` (symlinks followed: it is only looked at) is the same file
// as this process's executable.
bool is_this_binary(const char* path) {
  struct stat self, other;
  if (::stat("/proc/self/exe", &self) != 0 || ::stat(path, &other) != 0) return false;
  return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

}  // namespace

bool pid1_is_systemd(const InitFacts& facts) {
  if (facts.pid1_comm.empty()) return facts.systemd_runtime_dir;
  return facts.pid1_comm == "systemd";
}

bool systemd_directories_are_ours(const InitFacts& facts) {
  return !pid1_is_systemd(facts) && (facts.systemctl_is_unitrun || facts.invoked_as_systemctl);
}

InitFacts read_init_facts() {
  InitFacts f;
  if (auto comm = read_text("/proc/1/comm")) {
    f.pid1_comm = *comm;
    while (!f.pid1_comm.empty() && (f.pid1_comm.back() == '\n' || f.pid1_comm.back() == ' ')) f.pid1_comm.pop_back();
  }
  struct stat st;
  f.systemd_runtime_dir = ::stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
  f.systemctl_is_unitrun = is_this_binary("/usr/bin/systemctl") || is_this_binary("/bin/systemctl");
  f.invoked_as_systemctl = invoked_as_systemctl_flag;
  return f;
}

bool systemd_directories_are_ours() {
  static const bool ours = systemd_directories_are_ours(read_init_facts());
  return ours;
}

void set_invoked_as_systemctl() { invoked_as_systemctl_flag = true; }
bool is_invoked_as_systemctl() { return invoked_as_systemctl_flag; }

}  // namespace unitrun::unit
