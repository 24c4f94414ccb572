#include "runtime/unit_snapshot.h"

#include <nlohmann/json.hpp>

#include "base/sys.h"
#include "runtime/safe_files.h"

namespace unitrun {

std::string serialize(const UnitSnapshot& snapshot) {
  nlohmann::json files = nlohmann::json::array();
  for (const unit::SourceFile& f : snapshot.sources.files) files.push_back({{"path", f.path}, {"text", f.text}});
  nlohmann::json j = {{"name", snapshot.sources.name},
                      {"identity", snapshot.sources.identity},
                      {"description", snapshot.description},
                      {"files", files}};
  // A unit file that is not UTF-8 is kept as its bytes would print: the
  // comparison with the file on disk then says "changed", never wrongly "same".
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<UnitSnapshot> parse_snapshot(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  UnitSnapshot s;
  try {
    s.sources.name = j.at("name").get<std::string>();
    s.sources.identity = j.at("identity").get<std::string>();
    s.description = j.value("description", "");
    for (const auto& f : j.at("files")) s.sources.files.push_back({f.at("path"), f.at("text")});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (s.sources.files.empty() || s.sources.name.empty()) return std::nullopt;
  return s;
}

Status write_snapshot(const std::string& path, const UnitSnapshot& snapshot) {
  return safe_files::write_atomic(path, serialize(snapshot), 0600);
}

std::optional<UnitSnapshot> read_snapshot(const std::string& path) {
  auto fd = safe_files::open_for_reading(path);
  if (!fd) return std::nullopt;
  auto text = sys::read_all(fd->get(), 64 << 20);
  if (!text) return std::nullopt;
  return parse_snapshot(*text);
}

}  // namespace unitrun
