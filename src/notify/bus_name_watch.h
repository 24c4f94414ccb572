// Watches one well-known name on the system bus (Type=dbus's BusName=): who
// owns it when the watch begins, and every change of owner after that, from
// the bus's NameOwnerChanged signal. Through sd-bus (libsystemd, loaded on
// first use); the bus is reached at $DBUS_SYSTEM_BUS_ADDRESS, or at
// unix:path=/run/dbus/system_bus_socket.
//
// No thread and no polling: fd() is one descriptor for the caller's epoll
// (readable when the bus has something for us, or one of sd-bus's own
// deadlines has passed); process() then says what changed. The watch owns
// its connection and closes it when destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

struct sd_bus;

namespace unitrun::notify {

class BusNameWatch {
 public:
  struct Change {
    enum class Kind {
      Acquired,      // `owner` (a unique name, ":1.42") took the name
      Lost,          // nobody owns it any more
      Disconnected,  // the bus went away (`detail` says how); the watch is over
    };
    Kind kind;
    std::string owner;
    std::string detail;
  };

  // Whether libsystemd with sd-bus can be loaded here at all.
  static bool available();
  // Where the system bus is looked for: $DBUS_SYSTEM_BUS_ADDRESS, or
  // systemd's and dbus's default.
  static std::string system_bus_address();

  // Connects, subscribes to the name's changes of owner, then asks for its
  // owner now: in that order, so that no change between the two is missed.
  // Blocks for those round trips to the local bus daemon only (at most 5 s
  // each when it hangs). The error says why, in one line.
  static Result<std::unique_ptr<BusNameWatch>> open(const std::string& name);
  ~BusNameWatch();
  BusNameWatch(const BusNameWatch&) = delete;
  BusNameWatch& operator=(const BusNameWatch&) = delete;

  const std::string& name() const { return name_; }
  // The owner when the watch began; "" when the name had none.
  const std::string& initial_owner() const { return initial_owner_; }
  int fd() const { return epoll_.get(); }
  // Reads and dispatches whatever is waiting; the changes heard, in order.
  // Call it after open() as well: a signal may have arrived during the
  // owner query, already read from the socket.
  std::vector<Change> process();

 private:
  explicit BusNameWatch(std::string name) : name_(std::move(name)) {}
  friend struct BusCallbacks;  // sd-bus's callbacks, in the .cc (its types stay there)
  Status rearm();

  std::string name_;
  std::string initial_owner_;
  sd_bus* bus_ = nullptr;
  int bus_fd_ = -1;
  bool disconnected_ = false;
  UniqueFd epoll_;  // the bus's fd and timer_, as one fd for the caller
  UniqueFd timer_;  // sd_bus_get_timeout()'s deadline
  std::vector<Change> pending_;
};

}  // namespace unitrun::notify
