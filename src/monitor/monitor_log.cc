#include "monitor/monitor_log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "base/sys.h"
#include "base/unique_fd.h"
#include "runtime/safe_files.h"

namespace unitrun::monitor {
namespace {

// Lines are kept with their own time when logged (MonitorLog's pending_),
// formatted and written when the monitor flushes, once per turn of its
// loop: a stop or a restart logs several lines within a millisecond, and
// each would otherwise be a write.

// Appends formatted lines to an fd opened through safe_files. Write errors
// (a full disk) are counted, not thrown: the monitor must outlive its log.
class SafeFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Opened at the first flush, not here: the monitor's first lines are
  // written once its start has been reported (the loop flushes before it
  // sleeps), and the open is off the path from `start` to the service.
  explicit SafeFileSink(std::string path) : path_(std::move(path)) {}
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    flush_();
    open_file();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    pending_.append(buf.data(), buf.size());
  }
  void flush_() override {
    if (pending_.empty()) return;
    if (!opened_) open_file();
    if (!fd_ || !sys::write_all(fd_.get(), pending_)) ++lost_;
    pending_.clear();
  }

 private:
  void open_file() {
    auto fd = safe_files::open_for_writing(path_, true, false, 0640);
    fd_ = fd ? std::move(*fd) : UniqueFd();
    opened_ = true;
  }
  std::string path_;
  bool opened_ = false;  // open_file() ran (it may have failed: then lines are lost, counted)
  UniqueFd fd_;
  std::string pending_;
  unsigned long lost_ = 0;
};

// stderr under systemd: every line carries its syslog priority as "<N>"
// (sd-daemon(3)) when stderr really is the journal; plain text otherwise.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit StderrSink(bool journal_prefix) : journal_prefix_(journal_prefix) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    if (journal_prefix_)
      pending_ += msg.level >= spdlog::level::err ? "<3>" : msg.level == spdlog::level::warn ? "<4>" : "<6>";
    pending_.append(buf.data(), buf.size());
  }
  void flush_() override {
    if (pending_.empty()) return;
    (void)sys::write_all(STDERR_FILENO, pending_);  // nowhere to report a failure to
    pending_.clear();
  }

 private:
  bool journal_prefix_;
  std::string pending_;
};

// JOURNAL_STREAM=dev:ino names the journal's socket; it is only ours if it
// is what stderr is (systemd.exec(5)); the variable leaks into login shells.
bool stderr_is_journal() {
  const char* v = std::getenv("JOURNAL_STREAM");
  if (!v) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(v, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st;
  return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

std::string monitor_log_path(const Unit& unit) {
  // Beside the per-unit log directory, not in it, so that a logrotate glob
  // over the service logs never matches it: /var/log/unitrun.log as root.
  std::string dir = unit.log_file.substr(0, unit.log_file.rfind('/'));
  return dir.substr(0, dir.rfind('/')) + "/unitrun.log";
}

struct MonitorLog::Line {
  spdlog::log_clock::time_point time;
  spdlog::level::level_enum level;
  std::string text;
};

MonitorLog::MonitorLog() = default;
MonitorLog::~MonitorLog() = default;

void MonitorLog::open(const Unit& unit, bool foreground) {
  name_ = unit.name;
  foreground_ = foreground;
  if (!foreground) path_ = monitor_log_path(unit);
  opened_ = true;
}

// spdlog's logger, its sink and the pattern's formatters (a few dozen
// allocations, ~30 us): made for the first line written, after the monitor
// has replied to the start that waits for it, and never by a monitor with
// nothing to say.
void MonitorLog::make_logger() {
  spdlog::sink_ptr sink;
  if (foreground_) {
    journal_ = stderr_is_journal();
    sink = std::make_shared<StderrSink>(journal_);
  } else {
    sink = std::make_shared<SafeFileSink>(path_);
  }
  logger_ = std::make_shared<spdlog::logger>(name_, sink);
  // journald stamps each line itself.
  logger_->set_pattern(!foreground_ ? "%Y-%m-%dT%H:%M:%S.%e %n[%P]: %v" : journal_ ? "%v" : "%n: %v");
  logger_->flush_on(spdlog::level::off);  // MonitorLog::flush(), once per turn of the loop
}

void MonitorLog::reopen() {
  if (!logger_) return;
  flush();  // what was logged before the rotation goes to the file it was logged to
  for (auto& sink : logger_->sinks())
    if (auto* file = dynamic_cast<SafeFileSink*>(sink.get())) file->reopen();
}

void MonitorLog::flush() {
  if (pending_.empty()) return;  // nothing logged since: no write, no logger made
  if (!logger_) make_logger();
  for (const Line& line : pending_) logger_->log(line.time, spdlog::source_loc{}, line.level, line.text);
  pending_.clear();
  logger_->flush();
}

void MonitorLog::info(const std::string& message) {
  if (opened_) pending_.push_back({spdlog::log_clock::now(), spdlog::level::info, message});
}

void MonitorLog::error(const std::string& message) {
  if (opened_) pending_.push_back({spdlog::log_clock::now(), spdlog::level::err, message});
}

}  // namespace unitrun::monitor
