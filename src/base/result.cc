#include "base/result.h"

#include <cstring>

namespace unitrun {

std::string Error::message() const {
  if (sys_errno == 0) return context;
  return context + ": " + std::strerror(sys_errno);
}

}  // namespace unitrun
