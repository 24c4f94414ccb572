#include "process/passwd_files.h"

#include <charconv>
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
    if (line.substr(0, 6) != "passwd") continue;
    std::string_view rest = line.substr(6);
    while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
    if (rest.empty() || rest.front() != ':') continue;
    ++lines;
    rest.remove_prefix(1);
    std::vector<std::string_view> words;
    for (std::string_view w : split(rest, ' '))
      for (std::string_view v : split(w, '\t'))
        if (!v.empty()) words.push_back(v);
    first = !words.empty() && words[0] == "files" && (words.size() == 1 || words[1].front() != '[');
  }
  return lines == 1 && first;
}

template <typename T>
bool number(std::string_view s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::optional<PasswdEntry> passwd_from_texts(uid_t uid, const std::string& nsswitch, const std::string& passwd) {
  if (!files_first(nsswitch)) return std::nullopt;
  for (std::string_view line : split(passwd, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    // A line glibc would read otherwise than we do (leading blanks, a
    // field too many or too few, a number that is not one): its answer.
    if (is_blank(line.front())) return std::nullopt;
    std::vector<std::string_view> f = split(line, ':');
    PasswdEntry e;
    if (f.size() != 7 || !number(f[2], e.uid) || !number(f[3], e.gid)) return std::nullopt;
    // nss_files skips the NIS markers of compat (+name, -name).
    if (e.uid != uid || f[0].empty() || f[0].front() == '+' || f[0].front() == '-') continue;
    e.name = f[0];
    e.dir = f[5];
    e.shell = f[6];
    return e;
  }
  return std::nullopt;
}

std::optional<PasswdEntry> passwd_from_files(uid_t uid) {
  auto nsswitch = sys::read_file("/etc/nsswitch.conf", 64 << 10);
  if (!nsswitch || nsswitch->size() >= (64 << 10)) return std::nullopt;
  auto passwd = sys::read_file("/etc/passwd", 1 << 20);
  if (!passwd || passwd->size() >= (1 << 20)) return std::nullopt;
  return passwd_from_texts(uid, *nsswitch, *passwd);
}

}  // namespace unitrun::process
