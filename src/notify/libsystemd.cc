#include "notify/libsystemd.h"

#include <dlfcn.h>

namespace unitrun::notify {
namespace {

// Never unloaded: the handle lives as long as the process. nullptr when the
// library cannot be loaded.
void* library() {
  static void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  return handle;
}

template <typename F>
bool bind(void* handle, F& f, const char* name) {
  f = reinterpret_cast<F>(::dlsym(handle, name));
  return f != nullptr;
}

}  // namespace

const LibSystemd* libsystemd() {
  static const LibSystemd* loaded = []() -> const LibSystemd* {
    void* handle = library();
    if (!handle) return nullptr;
    static LibSystemd lib;
    bool all = bind(handle, lib.notify, "sd_notify") && bind(handle, lib.watchdog_enabled, "sd_watchdog_enabled") &&
               bind(handle, lib.journal_stream_fd, "sd_journal_stream_fd");
    return all ? &lib : nullptr;
  }();
  return loaded;
}

const LibSdBus* libsystemd_bus() {
  static const LibSdBus* loaded = []() -> const LibSdBus* {
    void* handle = library();
    if (!handle) return nullptr;
    static LibSdBus lib;
    bool all =
        bind(handle, lib.open_system, "sd_bus_open_system") &&
        bind(handle, lib.set_method_call_timeout, "sd_bus_set_method_call_timeout") &&
        bind(handle, lib.add_match, "sd_bus_add_match") && bind(handle, lib.call_method, "sd_bus_call_method") &&
        bind(handle, lib.message_read, "sd_bus_message_read") &&
        bind(handle, lib.message_unref, "sd_bus_message_unref") && bind(handle, lib.error_free, "sd_bus_error_free") &&
        bind(handle, lib.error_has_name, "sd_bus_error_has_name") && bind(handle, lib.get_fd, "sd_bus_get_fd") &&
        bind(handle, lib.get_events, "sd_bus_get_events") && bind(handle, lib.get_timeout, "sd_bus_get_timeout") &&
        bind(handle, lib.process, "sd_bus_process") && bind(handle, lib.flush_close_unref, "sd_bus_flush_close_unref");
    return all ? &lib : nullptr;
  }();
  return loaded;
}

}  // namespace unitrun::notify
