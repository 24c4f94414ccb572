#include "notify/libsystemd.h"

#include <dlfcn.h>

namespace unitrun::notify {

const LibSystemd* libsystemd() {
  static const LibSystemd* loaded = []() -> const LibSystemd* {
    // Never unloaded: the handle lives as long as the process.
    void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return nullptr;
    static LibSystemd lib;
    lib.notify = reinterpret_cast<decltype(lib.notify)>(::dlsym(handle, "sd_notify"));
    lib.watchdog_enabled = reinterpret_cast<decltype(lib.watchdog_enabled)>(::dlsym(handle, "sd_watchdog_enabled"));
    lib.journal_stream_fd = reinterpret_cast<decltype(lib.journal_stream_fd)>(::dlsym(handle, "sd_journal_stream_fd"));
    if (!lib.notify || !lib.watchdog_enabled || !lib.journal_stream_fd) return nullptr;
    return &lib;
  }();
  return loaded;
}

}  // namespace unitrun::notify
