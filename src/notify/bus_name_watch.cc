#include "notify/bus_name_watch.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "notify/libsystemd.h"

namespace unitrun::notify {

namespace {

constexpr const char* kDefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";
constexpr uint64_t kCallTimeoutUsec = 5 * 1000 * 1000;

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

struct BusCallbacks {
  // NameOwnerChanged(name, old_owner, new_owner), already filtered by arg0.
  static int on_owner_changed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* self = static_cast<BusNameWatch*>(userdata);
    const char* name = nullptr;
    const char* old_owner = nullptr;
    const char* new_owner = nullptr;
    // A malformed signal (it can only come from the bus daemon, as the match
    // says) is skipped: there is nothing else to do with it.
    if (libsystemd_bus()->message_read(m, "sss", &name, &old_owner, &new_owner) < 0) return 0;
    if (!name || self->name_ != name) return 0;
    if (new_owner && *new_owner)
      self->pending_.push_back({BusNameWatch::Change::Kind::Acquired, new_owner, ""});
    else
      self->pending_.push_back({BusNameWatch::Change::Kind::Lost, "", old_owner ? old_owner : ""});
    return 0;
  }
};

bool BusNameWatch::available() { return libsystemd_bus() != nullptr; }

std::string BusNameWatch::system_bus_address() {
  const char* e = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return e && *e ? e : kDefaultSystemBus;
}

Result<std::unique_ptr<BusNameWatch>> BusNameWatch::open(const std::string& name) {
  const LibSdBus* lib = libsystemd_bus();
  if (!lib) return Error::plain("libsystemd.so.0 (sd-bus) cannot be loaded");
  std::unique_ptr<BusNameWatch> w(new BusNameWatch(name));
  std::string where = "the system bus at " + system_bus_address();
  int r = lib->open_system(&w->bus_);
  if (r < 0)
    return Error::plain("no system bus at " + system_bus_address() + " (" + errno_text(-r) + "; is dbus running?)");
  (void)lib->set_method_call_timeout(w->bus_, kCallTimeoutUsec);  // only fails for a NULL bus

  // The match first, then the question: a change of owner between the two is
  // then both in the answer and heard as a signal, never in neither.
  std::string match =
      "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
      "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" +
      name + "'";
  r = lib->add_match(w->bus_, nullptr, match.c_str(), &BusCallbacks::on_owner_changed, w.get());
  if (r < 0) return Error::plain(where + ": subscribe to NameOwnerChanged: " + errno_text(-r));

  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  r = lib->call_method(w->bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                       &error, &reply, "s", name.c_str());
  if (r < 0) {
    bool no_owner = lib->error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner");
    std::string why = error.message ? error.message : errno_text(-r);
    lib->error_free(&error);
    if (!no_owner) return Error::plain(where + ": GetNameOwner: " + why);
  } else {
    const char* owner = nullptr;
    r = lib->message_read(reply, "s", &owner);
    if (r >= 0 && owner) w->initial_owner_ = owner;
    lib->message_unref(reply);
    if (r < 0) return Error::plain(where + ": GetNameOwner's answer: " + errno_text(-r));
  }

  r = lib->get_fd(w->bus_);
  if (r < 0) return Error{-r, "sd_bus_get_fd"};
  w->bus_fd_ = r;
  w->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!w->epoll_) return Error::from_errno("epoll_create1");
  w->timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!w->timer_) return Error::from_errno("timerfd_create");
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = w->timer_.get();
  if (::epoll_ctl(w->epoll_.get(), EPOLL_CTL_ADD, w->timer_.get(), &ev) < 0) return Error::from_errno("epoll_ctl");
  ev.data.fd = w->bus_fd_;
  if (::epoll_ctl(w->epoll_.get(), EPOLL_CTL_ADD, w->bus_fd_, &ev) < 0) return Error::from_errno("epoll_ctl");
  auto armed = w->rearm();
  if (!armed) return armed.error();
  return w;
}

BusNameWatch::~BusNameWatch() {
  if (bus_) (void)libsystemd_bus()->flush_close_unref(bus_);  // returns NULL, always
}

Status BusNameWatch::rearm() {
  if (disconnected_) return ok();
  const LibSdBus* lib = libsystemd_bus();
  int events = lib->get_events(bus_);
  if (events < 0) return Error{-events, "sd_bus_get_events"};
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = 0;
  if (events & POLLIN) ev.events |= EPOLLIN;
  if (events & POLLOUT) ev.events |= EPOLLOUT;
  ev.data.fd = bus_fd_;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, bus_fd_, &ev) < 0) return Error::from_errno("epoll_ctl");
  uint64_t deadline = UINT64_MAX;
  int r = lib->get_timeout(bus_, &deadline);
  if (r < 0) return Error{-r, "sd_bus_get_timeout"};
  struct itimerspec spec;
  std::memset(&spec, 0, sizeof spec);
  if (deadline != UINT64_MAX) {
    // An absolute CLOCK_MONOTONIC time in usec; 0 ("now") must not disarm.
    uint64_t at = deadline == 0 ? 1 : deadline;
    spec.it_value.tv_sec = static_cast<time_t>(at / 1000000);
    spec.it_value.tv_nsec = static_cast<long>(at % 1000000) * 1000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0)
    return Error::from_errno("timerfd_settime");
  return ok();
}

std::vector<BusNameWatch::Change> BusNameWatch::process() {
  if (!disconnected_) {
    uint64_t expirations;
    // EAGAIN: the deadline has not passed, or was re-armed; nothing to drain.
    if (::read(timer_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN && errno != EINTR)
      pending_.push_back({Change::Kind::Disconnected, "", std::string("read timerfd: ") + errno_text(errno)});
    const LibSdBus* lib = libsystemd_bus();
    int r;
    do r = lib->process(bus_, nullptr);
    while (r > 0);
    Status armed = ok();
    if (r >= 0) armed = rearm();
    if (r < 0 || !armed) {
      // The daemon is gone (ECONNRESET, ENOTCONN) or sd-bus failed: the
      // connection is over. Its fd leaves our epoll, which would otherwise
      // report its end of file forever.
      disconnected_ = true;
      (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, bus_fd_, nullptr);  // an fd it holds: cannot fail
      struct itimerspec off;
      std::memset(&off, 0, sizeof off);
      (void)::timerfd_settime(timer_.get(), 0, &off, nullptr);  // disarming a valid timerfd cannot fail
      std::string why = r < 0 ? errno_text(-r) : armed.error().message();
      pending_.push_back({Change::Kind::Disconnected, "",
                          "connection to the system bus at " + system_bus_address() + " lost: " + why});
    }
  }
  std::vector<Change> out;
  out.swap(pending_);
  return out;
}

}  // namespace unitrun::notify
