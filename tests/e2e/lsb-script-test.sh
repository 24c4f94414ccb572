#!/usr/bin/env bash
# The LSB init scripts, without systemd: the script `unitrun export sysv`
# writes, and the generic contrib/sysv/unitrun (as CMake configures it) with
# its /etc/default file.
# Both are run from a temporary directory (never /etc/init.d), so Debian's
# /lib/lsb/init-functions, which they source, never hands them to systemctl;
# SYSTEMCTL_SKIP_REDIRECT=1 makes sure of that even on a systemd host.
#
#   tests/e2e/lsb-script-test.sh [UNITRUN_BINARY]     (or $UNITRUN_BINARY)
#
# Prints "PASS name" / "FAIL name: why" per check and "N passed, N failed".
# The contrib script reads /etc/default/NAME; that part needs root (it writes
# and removes /etc/default/lsbctb-PID) and is skipped, said so, otherwise.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BINARY=${1:-${UNITRUN_BINARY:-}}
if [ -z "$BINARY" ] || [ ! -x "$BINARY" ]; then
    echo "usage: $0 UNITRUN_BINARY (or set UNITRUN_BINARY)" >&2
    exit 2
fi
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
export SYSTEMCTL_SKIP_REDIRECT=1
# shellcheck source=tests/e2e/configured-contrib.sh
. "$HERE/configured-contrib.sh"

PASSED=0
FAILED=0
T=$(mktemp -d /tmp/unitrun-lsb.XXXXXX)
chmod 755 "$T"
EXPORTED=lsbexp-$$
CONTRIB=lsbctb-$$
DEFAULTS_WRITTEN=()

cleanup() {
    local name
    for name in "$EXPORTED" "$CONTRIB"; do
        [ -f "$T/$name.ini" ] && "$BINARY" stop "$T/$name.ini" >/dev/null 2>&1
    done
    for f in "${DEFAULTS_WRITTEN[@]}"; do rm -f "$f"; done
    if [ "$(id -u)" -eq 0 ]; then
        rm -f /run/unitrun/"$EXPORTED".* /run/unitrun/"$CONTRIB".* \
            /var/log/unitrun/"$EXPORTED".log /var/log/unitrun/"$CONTRIB".log
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }

# The service: records its PID and each SIGHUP, exits 0 on SIGTERM.
cat >"$T/service.sh" <<'EOF'
#!/bin/sh
trap 'echo hup >>"$1/$2.hups"' HUP
trap 'exit 0' TERM
echo $$ >"$1/$2.pid"
while :; do
    sleep 1 &
    wait $!
done
EOF
chmod 755 "$T/service.sh"

write_unit() {
    cat >"$T/$1.ini" <<EOF
[Unit]
Description=unitrun LSB script test $1

[Service]
Type=exec
ExecStart=$T/service.sh $T $1
ExecReload=/bin/kill -HUP \$MAINPID
StandardOutput=append:$T/$1.out
TimeoutStopSec=10s
EOF
}

# run SCRIPT ACTION: sets RC, OUT and ERR.
run() {
    OUT=$("$1" "$2" 2>"$T/stderr")
    RC=$?
    ERR=$(cat "$T/stderr")
}

# expect NAME WANT_RC SCRIPT ACTION
expect() {
    local name=$1 want=$2
    run "$3" "$4"
    if [ "$RC" = "$want" ]; then pass "$name"; else fail "$name" "exit $RC, want $want (stdout: $OUT; stderr: $ERR)"; fi
}

service_pid() { cat "$T/$1.pid" 2>/dev/null; }
service_alive() {
    local pid
    pid=$(service_pid "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
# new_process NAME OLD_PID: a service process other than OLD_PID wrote its PID
# (within 5 s: a Type=exec start returns once exec succeeded, maybe before the
# service's first line ran).
new_process() {
    local _
    for _ in $(seq 1 50); do
        [ -n "$(service_pid "$1")" ] && [ "$(service_pid "$1")" != "$2" ] && service_alive "$1" && return 0
        sleep 0.1
    done
    return 1
}
gone() { ! kill -0 "$1" 2>/dev/null; }
hups() { [ -f "$T/$1.hups" ] && wc -l <"$T/$1.hups" | tr -d ' ' || echo 0; }
# wait_hups NAME N: the service has seen N SIGHUPs (within 5 s).
wait_hups() {
    local _
    for _ in $(seq 1 50); do
        [ "$(hups "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

check() { # NAME CONDITION...: a check that is not an exit code
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}
not() { ! "$@"; }

# Every action of an LSB script for service NAME run by SCRIPT.
lsb_actions() {
    local prefix=$1 script=$2 name=$3 pid
    expect "$prefix: start" 0 "$script" start
    check "$prefix: running after start" new_process "$name" none
    pid=$(service_pid "$name")
    expect "$prefix: start again" 0 "$script" start
    check "$prefix: start again kept the same process" test "$(service_pid "$name")" = "$pid"
    expect "$prefix: status of the running service" 0 "$script" status
    expect "$prefix: reload" 0 "$script" reload
    check "$prefix: reload sent SIGHUP" wait_hups "$name" 1
    expect "$prefix: force-reload of the running service" 0 "$script" force-reload
    check "$prefix: force-reload sent SIGHUP" wait_hups "$name" 2
    expect "$prefix: try-restart of the running service" 0 "$script" try-restart
    check "$prefix: try-restart made a new process" new_process "$name" "$pid"
    pid=$(service_pid "$name")
    expect "$prefix: restart of the running service" 0 "$script" restart
    check "$prefix: restart made a new process" new_process "$name" "$pid"
    pid=$(service_pid "$name")
    expect "$prefix: stop" 0 "$script" stop
    check "$prefix: the service is gone after stop" gone "$pid"
    expect "$prefix: stop again" 0 "$script" stop
    expect "$prefix: status of the stopped service" 3 "$script" status
    expect "$prefix: reload of the stopped service" 7 "$script" reload
    expect "$prefix: force-reload of the stopped service" 0 "$script" force-reload
    check "$prefix: force-reload left it stopped" not service_alive "$name"
    expect "$prefix: try-restart of the stopped service" 0 "$script" try-restart
    check "$prefix: try-restart left it stopped" not service_alive "$name"
    rm -f "$T/$name.pid"
    expect "$prefix: restart of the stopped service" 0 "$script" restart
    check "$prefix: running after restart" new_process "$name" none
    expect "$prefix: status after restart" 0 "$script" status
    expect "$prefix: stop after restart" 0 "$script" stop
    run "$script" frobnicate
    if [ "$RC" = 2 ] && [[ "$ERR" == *Usage:* ]] && [ -z "$OUT" ]; then
        pass "$prefix: unknown action gives usage on stderr and 2"
    else
        fail "$prefix: unknown action gives usage on stderr and 2" "exit $RC (stdout: $OUT; stderr: $ERR)"
    fi
    OUT=$("$script" 2>"$T/stderr")
    RC=$?
    if [ "$RC" = 2 ] && grep -q Usage: "$T/stderr"; then
        pass "$prefix: no action gives usage and 2"
    else
        fail "$prefix: no action gives usage and 2" "exit $RC"
    fi
}

# ---- the exported script ----
write_unit "$EXPORTED"
mkdir -p "$T/init.d"
if "$BINARY" export sysv "$T/$EXPORTED.ini" >"$T/init.d/$EXPORTED"; then
    chmod 755 "$T/init.d/$EXPORTED"
    pass "export sysv"
    if grep -q "^# Provides: *$EXPORTED\$" "$T/init.d/$EXPORTED" && grep -q "^### END INIT INFO" "$T/init.d/$EXPORTED"; then
        pass "export sysv: LSB header"
    else
        fail "export sysv: LSB header" "no Provides: $EXPORTED / END INIT INFO"
    fi
    if command -v sh >/dev/null && sh -n "$T/init.d/$EXPORTED"; then pass "export sysv: valid sh"; else fail "export sysv: valid sh" "sh -n"; fi
    lsb_actions exported "$T/init.d/$EXPORTED" "$EXPORTED"
    # A script whose unitrun is gone: 5, program not installed.
    sed "s|^UNITRUN=.*|UNITRUN='$T/no-such-unitrun'|" "$T/init.d/$EXPORTED" >"$T/init.d/$EXPORTED-noprog"
    chmod 755 "$T/init.d/$EXPORTED-noprog"
    expect "exported: unitrun not installed gives 5" 5 "$T/init.d/$EXPORTED-noprog" start
else
    fail "export sysv" "unitrun export sysv exited $?"
fi

# ---- contrib/sysv/unitrun with /etc/default/NAME ----
if [ -w /etc/default ] || { [ "$(id -u)" -eq 0 ] && mkdir -p /etc/default; }; then
    write_unit "$CONTRIB"
    configured_contrib sysv/unitrun "$T/init.d/$CONTRIB" "$BINARY"
    chmod 755 "$T/init.d/$CONTRIB"
    DEFAULTS_WRITTEN+=("/etc/default/$CONTRIB")
    printf 'UNIT=%s\nUNITRUN=%s\n' "$T/$CONTRIB.ini" "$BINARY" >"/etc/default/$CONTRIB"
    lsb_actions contrib "$T/init.d/$CONTRIB" "$CONTRIB"
    # As an rc.d link (S01NAME) it still reads /etc/default/NAME.
    ln -s "$T/init.d/$CONTRIB" "$T/S01$CONTRIB"
    expect "contrib: S01NAME reads /etc/default/NAME" 3 "$T/S01$CONTRIB" status
    # A missing unit file: 6, program not configured.
    DEFAULTS_WRITTEN+=("/etc/default/$CONTRIB-nounit")
    printf 'UNIT=%s\nUNITRUN=%s\n' "$T/missing.ini" "$BINARY" >"/etc/default/$CONTRIB-nounit"
    cp "$T/init.d/$CONTRIB" "$T/init.d/$CONTRIB-nounit"
    expect "contrib: a missing unit file gives 6" 6 "$T/init.d/$CONTRIB-nounit" start
    # A missing binary: 5, program not installed.
    DEFAULTS_WRITTEN+=("/etc/default/$CONTRIB-noprog")
    printf 'UNIT=%s\nUNITRUN=%s\n' "$T/$CONTRIB.ini" "$T/no-such-unitrun" >"/etc/default/$CONTRIB-noprog"
    cp "$T/init.d/$CONTRIB" "$T/init.d/$CONTRIB-noprog"
    expect "contrib: unitrun not installed gives 5" 5 "$T/init.d/$CONTRIB-noprog" start
else
    echo "SKIP contrib: /etc/default is not writable (run as root to test contrib/sysv/unitrun)"
fi

# ---- contrib/sysv/unitrun-boot: unitrun boot and shutdown ----
# As nobody with a runtime directory of its own: shutdown stops every unit
# of the caller's runtime directory, and other tests' units run beside.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    B=$T/boot
    mkdir -p "$B/units/multi-user.target.wants" "$B/run" "$B/state"
    chown nobody:nogroup "$B/run" "$B/state"
    chmod 700 "$B/run" "$B/state"
    chmod 777 "$B"
    BOOTU=lsbboot-$$
    for u in first second; do
        {
            printf '[Unit]\nDescription=unitrun boot script test %s\n' "$u"
            [ "$u" = second ] && printf 'Requires=%s\nAfter=%s\n' "$BOOTU-first.service" "$BOOTU-first.service"
            # ExecStartPre= has run to its end when the start is over: an echo
            # of the main process could come after the next unit's start.
            printf '[Service]\nExecStartPre=/bin/sh -c '\''echo start-%s >>%s/order'\''\nExecStart=/bin/sleep 1000\n' "$u" "$B"
            printf 'ExecStopPost=/bin/sh -c '\''echo stop-%s >>%s/order'\''\nStandardOutput=null\n' "$u" "$B"
        } >"$B/units/$BOOTU-$u.service"
        ln -s "../$BOOTU-$u.service" "$B/units/multi-user.target.wants/$BOOTU-$u.service"
    done
    chmod -R a+rX "$B/units"
    configured_contrib sysv/unitrun-boot "$T/init.d/unitrun-boot" "$BINARY"
    sed -i "s|^UNITRUN=.*|UNITRUN=$BINARY|" "$T/init.d/unitrun-boot"
    chmod 755 "$T/init.d/unitrun-boot"
    check "boot script: valid sh" sh -n "$T/init.d/unitrun-boot"
    check "boot script: LSB header" grep -q '^# Provides: *unitrun-boot' "$T/init.d/unitrun-boot"
    printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_RUNTIME_DIR=%s XDG_STATE_HOME=%s HOME=/nonexistent UNITRUN_UNIT_PATH=%s %s "$@"\n' \
        "$B/run" "$B/state" "$B/units" "$T/init.d/unitrun-boot" >"$T/as-nobody"
    chmod 755 "$T/as-nobody"
    expect "boot script: status before start" 3 "$T/as-nobody" status
    expect "boot script: start" 0 "$T/as-nobody" start
    check "boot script: started in dependency order" test "$(cat "$B/order")" = "$(printf 'start-first\nstart-second')"
    expect "boot script: status after start" 0 "$T/as-nobody" status
    expect "boot script: stop" 0 "$T/as-nobody" stop
    check "boot script: stopped in reverse order" test "$(cat "$B/order")" = "$(printf 'start-first\nstart-second\nstop-second\nstop-first')"
    expect "boot script: status after stop" 3 "$T/as-nobody" status
    run "$T/as-nobody" frobnicate
    if [ "$RC" = 2 ] && [[ "$ERR" == *Usage:* ]]; then pass "boot script: unknown action gives 2"; else fail "boot script: unknown action gives 2" "exit $RC"; fi
    "$T/as-nobody" stop >/dev/null 2>&1
else
    echo "SKIP boot script: needs root and setpriv (it runs the units as nobody)"
fi
# The OpenRC and runit/s6 scripts: their tools are not here; valid sh at least.
for f in openrc/unitrun runit/run; do
    configured_contrib "$f" "$T/contrib-check" "$BINARY"
    check "contrib $f: valid sh" sh -n "$T/contrib-check"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
