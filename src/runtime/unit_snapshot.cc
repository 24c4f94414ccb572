#include "runtime/unit_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/sys.h"
#include "runtime/safe_files.h"

namespace unitrun {

namespace {

constexpr size_t kSnapshotLimit = 64 << 20;  // what a snapshot is read up to

// A unit file that is not UTF-8 is kept as its bytes would print: the
// comparison with the file on disk then says "changed", never wrongly "same".
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

bool parse_header(std::string_view line, UnitSnapshot& s) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    s.sources.name = j.at("name").get<std::string>();
    s.sources.identity = j.at("identity").get<std::string>();
    s.description = j.value("description", "");
    s.fragment = j.value("fragment", "");
    s.unitrun_version = j.value("unitrun", "");
    if (auto stamps = j.find("stamps"); stamps != j.end())
      for (const nlohmann::json& f : *stamps) {
        SourceStamp& st = s.stamps.emplace_back();
        st.path = f.at("path").get<std::string>();
        st.stamp.dev = f.at("dev").get<uint64_t>();
        st.stamp.ino = f.at("ino").get<uint64_t>();
        st.stamp.size = f.at("size").get<int64_t>();
        st.stamp.mtime_ns = f.at("mtime_ns").get<int64_t>();
        st.stamp.ctime_ns = f.at("ctime_ns").get<int64_t>();
      }
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return !s.sources.name.empty();
}

// The header's stamps: one per file, or none when a file has none.
nlohmann::json stamps_of(const std::vector<unit::SourceFile>& files) {
  nlohmann::json stamps = nlohmann::json::array();
  for (const unit::SourceFile& f : files) {
    if (!f.stamp) return nlohmann::json::array();
    nlohmann::json& st = stamps.emplace_back(nlohmann::json::object());
    st["path"] = f.path;
    st["dev"] = f.stamp->dev;
    st["ino"] = f.stamp->ino;
    st["size"] = f.stamp->size;
    st["mtime_ns"] = f.stamp->mtime_ns;
    st["ctime_ns"] = f.stamp->ctime_ns;
  }
  return stamps;
}

}  // namespace

std::string serialize(const UnitSnapshot& snapshot) {
  // Built member by member: an initializer list makes each {key, value}
  // an array of two first, and copies every text once more.
  nlohmann::json files = nlohmann::json::array();
  for (const unit::SourceFile& f : snapshot.sources.files) {
    nlohmann::json& file = files.emplace_back(nlohmann::json::object());
    file["path"] = f.path;
    file["text"] = f.text;
  }
  nlohmann::json header = nlohmann::json::object();
  header["name"] = snapshot.sources.name;
  header["identity"] = snapshot.sources.identity;
  header["description"] = snapshot.description;
  header["fragment"] = snapshot.sources.files.empty() ? std::string() : snapshot.sources.files[0].path;
  header["unitrun"] = current_unitrun_version();
  if (nlohmann::json stamps = stamps_of(snapshot.sources.files); !stamps.empty()) header["stamps"] = std::move(stamps);
  nlohmann::json body = nlohmann::json::object();
  body["files"] = std::move(files);
  return dump(header) + "\n" + dump(body) + "\n";
}

std::optional<UnitSnapshot> parse_snapshot(const std::string& text) {
  size_t eol = text.find('\n');
  if (eol == std::string::npos) return std::nullopt;
  UnitSnapshot s;
  if (!parse_header(std::string_view(text).substr(0, eol), s)) return std::nullopt;
  nlohmann::json j =
      nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(eol) + 1, text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    for (const auto& f : j.at("files")) s.sources.files.push_back({f.at("path"), f.at("text")});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (s.sources.files.empty()) return std::nullopt;
  // Back on the files they were taken of: written again as they were read.
  if (s.stamps.size() == s.sources.files.size())
    for (size_t i = 0; i < s.stamps.size(); ++i)
      if (s.stamps[i].path == s.sources.files[i].path) s.sources.files[i].stamp = s.stamps[i].stamp;
  return s;
}

Status write_snapshot(const std::string& path, const UnitSnapshot& snapshot) {
  std::string text = serialize(snapshot);
  // The same unit started again finds its snapshot as it would write it:
  // reading it is cheaper than a new file and a rename (a journal
  // transaction each where /run is not a tmpfs). Callers hold the unit lock.
  if (auto fd = safe_files::open_for_reading(path)) {
    struct stat st {};
    if (::fstat(fd->get(), &st) == 0 && static_cast<size_t>(st.st_size) == text.size()) {
      auto old = sys::read_all(fd->get(), text.size() + 1);
      if (old && *old == text) return ok();
    }
  }
  return safe_files::write_atomic(path, text, 0600);
}

std::optional<UnitSnapshot> parse_snapshot_header(std::string_view text) {
  size_t eol = text.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  UnitSnapshot s;
  if (!parse_header(text.substr(0, eol), s)) return std::nullopt;
  return s;
}

std::optional<UnitSnapshot> read_snapshot(const std::string& path) {
  auto fd = safe_files::open_for_reading(path);
  if (!fd) return std::nullopt;
  auto text = sys::read_all(fd->get(), kSnapshotLimit);
  if (!text) return std::nullopt;
  return parse_snapshot(*text);
}

std::optional<std::string> read_snapshot_text_in(int dir_fd, const std::string& name, const std::string& path) {
  auto fd = safe_files::open_for_reading_in(dir_fd, name, path);
  if (!fd) return std::nullopt;
  auto text = sys::read_all(fd->get(), kSnapshotLimit);
  if (!text) return std::nullopt;
  return std::move(*text);
}

std::optional<UnitSnapshot> read_snapshot_header(const std::string& path) {
  auto dir = safe_files::parent_directory(path, false);
  if (!dir) return std::nullopt;
  return read_snapshot_header_in(dir->get(), base_name(path), path);
}

std::optional<UnitSnapshot> read_snapshot_header_in(int dir_fd, const std::string& name, const std::string& path) {
  auto fd = safe_files::open_for_reading_in(dir_fd, name, path);
  if (!fd) return std::nullopt;
  // The header is small (a Description= of a few kB at most, escaped):
  // read until its newline, never the texts after it.
  std::string head;
  char buf[4096];
  while (head.size() < (1 << 20)) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
    if (head.find('\n') != std::string::npos) break;
  }
  return parse_snapshot_header(head);
}

const std::string& current_unitrun_version() {
  static const std::string version = UNITRUN_VERSION;
  return version;
}

bool runs_unit(const std::optional<UnitSnapshot>& snapshot, const MonitorState& record, const unit::LoadResult& next) {
  if (!record.unit_digest.empty()) return record.unit_digest == unit_digest(next.unit);
  return snapshot && snapshot->unitrun_version == current_unitrun_version() && snapshot->sources == next.sources;
}

}  // namespace unitrun
