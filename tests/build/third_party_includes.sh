#!/bin/sh
# Each third-party library is included by one module only:
#   inih → src/unit/unit_parser.cc, spdlog → src/monitor/monitor_log.cc,
#   libsystemd → src/notify/, CLI11 → src/cli/main.cpp,
#   libseccomp → src/process/sandbox_seccomp.cc, libcap → src/process/sandbox.cc.
# Prints every include outside its home and exits 1 if there is one.
set -eu
src=$1
status=0
check() {  # pattern, allowed path prefix
    found=$(grep -rlE "#include [<\"]($1)" "$src" | grep -v "^$src/$2" || true)
    if [ -n "$found" ]; then
        printf '%s included outside %s:\n%s\n' "$1" "$2" "$found"
        status=1
    fi
}
check 'ini\.h' 'unit/unit_parser.cc'
check 'spdlog/' 'monitor/monitor_log.cc'
check 'systemd/' 'notify/'
check 'CLI/' 'cli/main.cpp'
check 'seccomp\.h' 'process/sandbox_seccomp.cc'
check 'sys/capability\.h' 'process/sandbox.cc'
exit $status
