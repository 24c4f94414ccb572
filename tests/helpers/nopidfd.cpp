// nopidfd [--eperm] COMMAND ARGS...: runs COMMAND with pidfd_open(2) failing
// ENOSYS (or EPERM, as some profiles answer calls they do not know), as
// under a kernel before 5.3 or a container's seccomp profile that predates
// the call (Docker's before 20.10). For the tests of what unitrun does then.
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
  int error = ENOSYS;
  if (argc > 1 && std::string_view(argv[1]) == "--eperm") {
    error = EPERM;
    --argc;
    ++argv;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: nopidfd [--eperm] COMMAND ARGS...\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), SCMP_SYS(pidfd_open), 0) != 0 || seccomp_load(ctx) != 0) {
    std::fprintf(stderr, "nopidfd: cannot load the filter\n");
    return 2;
  }
  seccomp_release(ctx);
  ::execv(argv[1], argv + 1);
  std::perror("nopidfd: execv");
  return 127;
}
