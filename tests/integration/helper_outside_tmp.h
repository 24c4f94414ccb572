// A test helper program where a PrivateTmp= service can still run it.
//
// PrivateTmp= gives the service its own /tmp and /var/tmp, as systemd does,
// so a build tree below the host's /tmp (a CI checkout in /tmp, say) hides
// the helper from the service: its exec fails with ENOENT. Then the helper
// is copied once into a directory under /var/lib, removed when the test
// program exits; otherwise its own path is returned.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace itest {

inline bool below_a_private_tmp(const std::string& path) {
  return path.rfind("/tmp/", 0) == 0 || path.rfind("/var/tmp/", 0) == 0;
}

inline std::string helper_outside_tmp(const std::string& helpers_dir, const std::string& name) {
  std::string original = helpers_dir + "/" + name;
  if (!below_a_private_tmp(original)) return original;
  struct CopyDir {
    std::string path;
    CopyDir() {
      char tmpl[] = "/var/lib/unitrun-itest-helpers.XXXXXX";
      if (::mkdtemp(tmpl)) path = tmpl;
    }
    ~CopyDir() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  };
  static CopyDir dir;
  if (dir.path.empty()) return original;  // the exec then fails and says why
  std::filesystem::permissions(dir.path, std::filesystem::perms(0755));
  std::string copy = dir.path + "/" + name;
  std::error_code ec;
  std::filesystem::copy_file(original, copy, std::filesystem::copy_options::skip_existing, ec);
  return ec ? original : copy;
}

}  // namespace itest
