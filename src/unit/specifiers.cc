#include "unit/specifiers.h"

#include <algorithm>

namespace unitrun::unit {
namespace {

// "%j": what follows the last '-' of the prefix, or the whole prefix.
std::string_view final_component(std::string_view prefix) {
  size_t dash = prefix.rfind('-');
  return dash == std::string_view::npos ? prefix : prefix.substr(dash + 1);
}

Error unknown(char letter) {
  return Error::plain(std::string("unknown specifier '%") + letter + "' (write '%%' for a literal '%')");
}

Error not_here(char letter, std::string_view what) {
  return Error::plain(std::string("specifier '%") + letter + "': " + std::string(what));
}

}  // namespace

SpecifierExpander::SpecifierExpander(const UnitName& name, const ParseContext& context, std::string fragment_path,
                                     std::string credentials_directory)
    : name_(name),
      context_(context),
      fragment_path_(std::move(fragment_path)),
      credentials_directory_(std::move(credentials_directory)) {
  size_t slash = fragment_path_.rfind('/');
  fragment_directory_ = slash == std::string::npos || slash == 0 ? "/" : fragment_path_.substr(0, slash);
}

std::string_view SpecifierExpander::letters() { return "aAbBCdEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY%"; }

Result<std::string_view> SpecifierExpander::value_of(char letter) {
  const HostFacts& host = context_.host;
  auto fact = [&](const std::optional<std::string>& v, std::string_view missing) -> Result<std::string_view> {
    if (!v) return not_here(letter, missing);
    return std::string_view(*v);
  };
  auto os_field = [&](const std::string& v) -> Result<std::string_view> {
    if (!host.os_release_read) return not_here(letter, "no /etc/os-release or /usr/lib/os-release here");
    return std::string_view(v);
  };
  switch (letter) {
    case 'n':
      return std::string_view(name_.file_name);
    case 'N':
      return std::string_view(name_.without_suffix);
    case 'p':
      return std::string_view(name_.prefix);
    case 'P':
      return std::string_view(scratch_ = unescape(name_.prefix));
    case 'i':
      return std::string_view(name_.instance);
    case 'I':
      return std::string_view(scratch_ = unescape(name_.instance));
    case 'j':
      return final_component(name_.prefix);
    case 'J':
      return std::string_view(scratch_ = unescape(final_component(name_.prefix)));
    case 'f':
      return std::string_view(scratch_ = unescape_path(name_.instance.empty() ? name_.prefix : name_.instance));
    case 'y':
      return std::string_view(fragment_path_);
    case 'Y':
      return std::string_view(fragment_directory_);
    case 'd':
      return std::string_view(credentials_directory_);
    case 'u':
      return std::string_view(context_.user_name);
    case 'U':
      return std::string_view(scratch_ = std::to_string(context_.uid));
    case 'g':
      return std::string_view(context_.group_name);
    case 'G':
      return std::string_view(scratch_ = std::to_string(context_.gid));
    case 'h':
      return std::string_view(context_.home);
    case 's':
      return std::string_view(context_.shell);
    case 't':
      return std::string_view(context_.runtime_dir);
    case 'S':
      return std::string_view(context_.state_dir);
    case 'C':
      return std::string_view(context_.cache_dir);
    case 'L':
      return std::string_view(context_.logs_dir);
    case 'E':
      return std::string_view(context_.config_dir);
    case 'T':
      return std::string_view(context_.tmp_dir);
    case 'V':
      return std::string_view(context_.var_tmp_dir);
    case 'H':
      return fact(host.hostname, "the host name is not known here");
    case 'l': {
      auto h = fact(host.hostname, "the host name is not known here");
      if (!h) return h;
      return h->substr(0, h->find('.'));
    }
    case 'q':
      if (host.pretty_hostname) return std::string_view(*host.pretty_hostname);
      return value_of('l');
    case 'm':
      return fact(host.machine_id, "no machine ID here (/etc/machine-id)");
    case 'b':
      return fact(host.boot_id, "no boot ID here (/proc/sys/kernel/random/boot_id)");
    case 'v':
      return fact(host.kernel_release, "the kernel release is not known here");
    case 'a':
      return fact(host.architecture, "the architecture is not known here");
    case 'o':
      return os_field(host.os_id);
    case 'w':
      return os_field(host.os_version_id);
    case 'W':
      return os_field(host.os_variant_id);
    case 'B':
      return os_field(host.os_build_id);
    case 'M':
      return os_field(host.os_image_id);
    case 'A':
      return os_field(host.os_image_version);
    case '%':
      return std::string_view("%");
    default:
      return unknown(letter);
  }
}

Result<std::string_view> SpecifierExpander::expand(std::string_view value, std::string& out) {
  if (value.find('%') == std::string_view::npos) return value;
  out.clear();
  auto too_long = [] { return Error::plain("the value is longer than 1 MiB once its specifiers are expanded"); };
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      size_t next = std::min(value.find('%', i), value.size());  // copy up to the next '%' in one go
      if (out.size() + (next - i) > kMaxExpandedValueBytes) return too_long();
      out.append(value.substr(i, next - i));
      i = next - 1;
      continue;
    }
    if (++i == value.size()) return Error::plain("'%' at the end of the value (write '%%' for a literal '%')");
    auto v = value_of(value[i]);
    if (!v) return v.error();
    if (out.size() + v->size() > kMaxExpandedValueBytes) return too_long();
    out.append(*v);
  }
  size_t growth = out.size() > value.size() ? out.size() - value.size() : 0;
  if (growth > growth_left_)
    return Error::plain("specifiers in this file expand to more than 8 MiB in all; this value is refused");
  growth_left_ -= growth;
  return std::string_view(out);
}

}  // namespace unitrun::unit
