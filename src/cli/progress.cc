#include "cli/progress.h"

#include <cstdio>

#include "base/strings.h"
#include "base/sys.h"
#include "cli/terminal.h"
#include "runtime/runtime_files.h"
#include "unit/values.h"

namespace unitrun::cli {
namespace {

bool finite(Usec limit) { return limit != 0 && limit != kInfinity; }

}  // namespace

std::string progress_text(const Unit& unit, std::optional<SubState> phase, uint64_t elapsed_usec) {
  std::string name = escape_for_terminal(unit.name);
  std::string what;
  Usec limit = 0;
  switch (phase.value_or(SubState::Dead)) {
    case SubState::Condition:
      what = "Running ExecCondition= of " + name;
      limit = unit.timeout_start;
      break;
    case SubState::StartPre:
      what = "Running ExecStartPre= of " + name;
      limit = unit.timeout_start;
      break;
    case SubState::Start:
      limit = unit.timeout_start;
      switch (unit.type) {
        case ServiceType::Notify:
          what = "Waiting for READY=1 from " + name;
          break;
        case ServiceType::Forking:
          what = "Waiting for " + name + " to fork and write its PIDFile=";
          break;
        case ServiceType::Oneshot:
          what = "Running ExecStart= of " + name;
          break;
        default:
          what = "Starting " + name;
          break;
      }
      break;
    case SubState::StartPost:
      what = "Running ExecStartPost= of " + name;
      limit = unit.timeout_start;
      break;
    case SubState::Reload:
      what = "Reloading " + name;
      limit = unit.timeout_start;
      break;
    case SubState::Stop:
      what = "Running ExecStop= of " + name;
      limit = unit.timeout_stop;
      break;
    case SubState::StopWatchdog:
    case SubState::StopSigterm:
      what = "Waiting for " + name + " to stop";
      limit = unit.timeout_stop;
      break;
    case SubState::StopSigkill:
      what = "Waiting for " + name + " to die of " + values::signal_name(unit.final_kill_signal);
      limit = unit.timeout_stop;
      break;
    case SubState::StopPost:
      what = "Running ExecStopPost= of " + name;
      limit = unit.timeout_stop;
      break;
    case SubState::FinalSigterm:
    case SubState::FinalSigkill:
      what = "Waiting for what ExecStopPost= of " + name + " left to stop";
      limit = unit.timeout_stop;
      break;
    case SubState::AutoRestart:
      what = name + " restarts after RestartSec=";
      limit = unit.restart_sec;
      break;
    case SubState::Dead:
    case SubState::Failed:
    case SubState::Running:
    case SubState::Exited:
      what = "Waiting for " + name;
      break;
  }
  Usec shown = elapsed_usec / kUsecPerSec * kUsecPerSec;
  std::string elapsed = shown ? values::format_timespan(shown) : "0s";
  return what + " (" + elapsed + (finite(limit) ? " / " + values::format_timespan(limit) : "") + ")";
}

WaitProgress::WaitProgress(const Unit& unit, std::string state_path)
    : unit_(unit), state_path_(std::move(state_path)), began_usec_(sys::now_realtime_usec()) {}

WaitProgress::~WaitProgress() { clear(); }

int WaitProgress::tick_ms() const { return terminal::progress() ? 1000 : -1; }

void WaitProgress::update() {
  if (!terminal::progress()) return;
  uint64_t now = sys::now_realtime_usec();
  std::optional<SubState> phase;
  uint64_t since = began_usec_;
  // The record of this wait's monitor: written after the wait began (an
  // older one is the last run's, whose phase is not this wait's).
  if (auto s = read_state(state_path_); s && s->state_since_usec >= began_usec_ - kUsecPerSec) {
    phase = s->sub_state;
    since = s->state_since_usec;
  }
  std::string line = progress_text(unit_, phase, now > since ? now - since : 0);
  size_t width = terminal::columns();
  if (width > 1 && line.size() >= width) {
    // Cut to the width (a longer line would wrap, and \r would redraw only
    // its last row), never inside a UTF-8 sequence.
    size_t cut = width - 1;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80) --cut;
    line.resize(cut);
  }
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void WaitProgress::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace unitrun::cli
