#include "process/passwd_files.h"

#include <pwd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>
#include <vector>

#include "base/sys.h"

namespace unitrun::process {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Whether glibc would ask /etc/passwd first and return what it finds there:
// exactly one `passwd:` line, whose first source is `files` and whose next
// word, if any, is another source (not an action such as [SUCCESS=continue]).
bool files_first(const std::string& nsswitch) {
  int lines = 0;
  bool first = false;
  for (std::string_view line : split(nsswitch, '\n')) {
    line = line.substr(0, line.find('#'));
    while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
    // glibc ends a database's name at a blank or a colon and skips any run
    // of both: `passwd sss`, without the colon, is a passwd: line too.
    if (line.substr(0, 6) != "passwd") continue;
    std::string_view rest = line.substr(6);
    if (!rest.empty() && !is_blank(rest.front()) && rest.front() != ':') continue;  // another name
    ++lines;
    while (!rest.empty() && (is_blank(rest.front()) || rest.front() == ':')) rest.remove_prefix(1);
    std::vector<std::string_view> words;
    for (std::string_view w : split(rest, ' '))
      for (std::string_view v : split(w, '\t'))
        if (!v.empty()) words.push_back(v);
    first = !words.empty() && words[0] == "files" && (words.size() == 1 || words[1].front() != '[');
  }
  return lines == 1 && first;
}

// The entry for `uid` in a passwd-format stream, parsed by glibc's own
// files parser (fgetpwent_r: what nss_files reads lines with).
std::optional<PasswdEntry> find_in(uid_t uid, FILE* stream) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(4096);
  while (true) {
    int rc = ::fgetpwent_r(stream, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);  // a line longer than the buffer: read it again, whole
      continue;
    }
    if (rc != 0 || !found) return std::nullopt;  // the end, or an error: getpwuid() answers
    // nss_files in compat form reads +name/-name as NIS markers, not users.
    if (found->pw_uid != uid || !found->pw_name[0] || found->pw_name[0] == '+' || found->pw_name[0] == '-') continue;
    return PasswdEntry{found->pw_name, found->pw_dir ? found->pw_dir : "", found->pw_shell ? found->pw_shell : "",
                       found->pw_uid, found->pw_gid};
  }
}

}  // namespace

std::optional<PasswdEntry> passwd_from_texts(uid_t uid, const std::string& nsswitch, const std::string& passwd) {
  if (!files_first(nsswitch) || passwd.empty()) return std::nullopt;
  FILE* stream = ::fmemopen(const_cast<char*>(passwd.data()), passwd.size(), "r");
  if (!stream) return std::nullopt;
  std::optional<PasswdEntry> e = find_in(uid, stream);
  ::fclose(stream);
  return e;
}

std::optional<PasswdEntry> passwd_from_files(uid_t uid) {
  auto nsswitch = sys::read_file("/etc/nsswitch.conf", 64 << 10);
  if (!nsswitch || nsswitch->size() >= (64 << 10)) return std::nullopt;
  if (!files_first(*nsswitch)) return std::nullopt;
  // "e": close-on-exec, as every fd of the monitor's.
  FILE* stream = std::fopen("/etc/passwd", "re");
  if (!stream) return std::nullopt;
  std::optional<PasswdEntry> e = find_in(uid, stream);
  std::fclose(stream);
  return e;
}

}  // namespace unitrun::process
