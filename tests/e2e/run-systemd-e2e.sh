#!/usr/bin/env bash
# The systemd end-to-end suite: unitrun as the main process of real systemd
# units, under a real systemd as PID 1, booted in a systemd-nspawn container.
#
#   tests/e2e/run-systemd-e2e.sh [UNITRUN_BINARY]
#   tests/e2e/run-systemd-e2e.sh --prepare-only     # build the cached rootfs and stop
#
# The binary: the argument, else $UNITRUN_BINARY, else a fresh build in
# build-e2e/ (cmake, tests off). The container: a minimal Debian 12 made once
# with debootstrap and cached in ${UNITRUN_E2E_CACHE:-/var/cache/unitrun-e2e}/bookworm
# (a stamp file marks it complete), booted read-only with a tmpfs overlay
# (--volatile=overlay), so the cache never changes. The binary and the test
# files are bound read-only to /opt/unitrun.
#
# Each case prints "PASS name" or "FAIL name: why"; the last line is
# "N passed, N failed" and the exit status is non-zero on any failure.
# When the suite cannot run (not root, no systemd-nspawn, no debootstrap and
# no cache, no network for the first debootstrap) it prints "SKIPPED: why"
# and exits 0, or 1 when UNITRUN_E2E_REQUIRED=1.
#
# UNITRUN_E2E_ONLY=REGEX runs only the cases whose names match.
# UNITRUN_E2E_KEEP=1 leaves the container running at the end (for debugging;
# the script prints how to enter it and how to stop it). See DEVELOPERS.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
REQUIRED=${UNITRUN_E2E_REQUIRED:-0}
CACHE_ROOT=${UNITRUN_E2E_CACHE:-/var/cache/unitrun-e2e}
ROOTFS=$CACHE_ROOT/bookworm
INCLUDE=systemd,systemd-sysv,dbus,libinih1,libspdlog1.10,libfmt9,libsystemd0,python3-minimal,procps
PATH_IN_CONTAINER=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

SUITE_START=$(date +%s)
WORK=""
NSPAWN_PID=""
CPID=""
MACHINE="unitrun-e2e-$$"

SUITE=e2e
REQUIRED_NOTE="UNITRUN_E2E_REQUIRED=1: the systemd end-to-end suite had to run"
HELP_LINES=2,25p
# shellcheck source=tests/lib/suite.sh
. "$SOURCE_DIR/tests/lib/suite.sh"

# ---- preconditions ---------------------------------------------------------------

parse_suite_arguments "$@"

[ "$(id -u)" -eq 0 ] || skip "not root (systemd-nspawn and debootstrap need root)"

install_missing() {
    local missing=() tool package
    for pair in systemd-nspawn:systemd-container debootstrap:debootstrap nsenter:util-linux; do
        tool=${pair%%:*}
        package=${pair#*:}
        command -v "$tool" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; }; then
        log "could not install ${missing[*]}"
    fi
}
install_missing
command -v systemd-nspawn >/dev/null 2>&1 || skip "no systemd-nspawn (package systemd-container) and it could not be installed"
command -v nsenter >/dev/null 2>&1 || skip "no nsenter (package util-linux)"

# The cached rootfs (tests/lib/debian-rootfs.sh: the mirror apt uses here,
# debootstrap once, a stamp and a lock).
# shellcheck source=tests/lib/debian-rootfs.sh
. "$SOURCE_DIR/tests/lib/debian-rootfs.sh"
prepare_debian_rootfs "$CACHE_ROOT" "$INCLUDE" lib/systemd/systemd
[ "$PREPARE_ONLY" = 1 ] && { echo "rootfs ready in $ROOTFS"; exit 0; }

if [ -z "$BINARY" ]; then
    log "no binary given: building one in $SOURCE_DIR/build-e2e"
    cmake -S "$SOURCE_DIR" -B "$SOURCE_DIR/build-e2e" -DUNITRUN_TESTS=OFF >/dev/null &&
        cmake --build "$SOURCE_DIR/build-e2e" -j"$(nproc)" --target unitrun >/dev/null ||
        abort build "cannot build unitrun in $SOURCE_DIR/build-e2e"
    BINARY=$SOURCE_DIR/build-e2e/unitrun
fi
[ -x "$BINARY" ] || abort binary "$BINARY is not an executable"

# ---- the container -------------------------------------------------------------------

WORK=$(mktemp -d /tmp/unitrun-e2e.XXXXXX)
STAGE=$WORK/opt
mkdir -p "$STAGE"
cp "$BINARY" "$STAGE/unitrun"
cp "$HERE/e2e-service.py" "$HERE/bad-interpreter.sh" "$STAGE/"
cp -r "$HERE/units" "$HERE/systemd" "$STAGE/"
mkdir -p "$STAGE/contrib"
# shellcheck source=tests/e2e/configured-contrib.sh
. "$HERE/configured-contrib.sh"
configured_contrib systemd/unitrun@.service "$STAGE/contrib/unitrun@.service" "$BINARY"
chmod -R a+rX "$STAGE"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        if [ "${UNITRUN_E2E_KEEP:-0}" = 1 ] && [ -n "$CPID" ]; then
            log "UNITRUN_E2E_KEEP=1: container left running; enter it with"
            log "  nsenter -t $CPID -m -u -i -n -p -r -w /bin/bash"
            log "and power it off with: kill $NSPAWN_PID  (then rm -rf $WORK)"
            exit "$rc"
        fi
        [ -n "$CPID" ] && cexec systemctl poweroff --no-block >/dev/null 2>&1
        local i
        for i in $(seq 1 60); do
            kill -0 "$NSPAWN_PID" 2>/dev/null || break
            sleep 0.5
            # nspawn turns SIGTERM into a clean poweroff of the container.
            [ "$i" = 20 ] && kill -TERM "$NSPAWN_PID" 2>/dev/null
        done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            log "the container did not power off; killing systemd-nspawn"
            kill -KILL "$NSPAWN_PID" 2>/dev/null
        fi
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    [ -n "$WORK" ] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A command inside the container: its namespaces and root, a clean
# environment (nothing of this shell's NOTIFY_SOCKET, INVOCATION_ID, ...).
cexec() {
    nsenter -t "$CPID" -m -u -i -n -p -r -w \
        env -i PATH="$PATH_IN_CONTAINER" LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb "$@"
}
# The same, bounded: no case can hang the suite.
ctimeout() {
    local secs=$1
    shift
    cexec timeout -k 5 "$secs" "$@"
}

boot_container() {
    log "booting $ROOTFS as $MACHINE"
    systemd-nspawn --quiet --register=no --keep-unit --machine="$MACHINE" \
        --directory="$ROOTFS" --volatile=overlay --private-network \
        --link-journal=no --resolv-conf=off --timezone=off \
        --bind-ro="$STAGE:/opt/unitrun" --console=read-only -b \
        </dev/null >"$WORK/nspawn.log" 2>&1 &
    NSPAWN_PID=$!
    # The container's PID 1 is the descendant of systemd-nspawn whose PID in
    # its own namespace is 1.
    local i
    for i in $(seq 1 100); do
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        CPID=$(container_pid1 "$NSPAWN_PID") && break
        sleep 0.2
    done
    if [ -z "$CPID" ]; then
        tail -n 30 "$WORK/nspawn.log" >&2
        abort boot "systemd-nspawn did not start a container (log above)"
    fi
    local state=""
    for i in $(seq 1 90); do
        state=$(cexec timeout 5 systemctl is-system-running 2>/dev/null)
        case "$state" in running|degraded) break ;; esac
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        sleep 1
    done
    case "$state" in
        running|degraded) log "container systemd is up ($state, PID $CPID on the host)" ;;
        *)
            tail -n 30 "$WORK/nspawn.log" >&2
            cexec systemctl list-jobs >&2 2>/dev/null
            abort boot "the container's systemd did not reach running/degraded within 90 s (state: '${state:-none}')"
            ;;
    esac
}

# ---- helpers for the cases -----------------------------------------------------------

now_ms() { date +%s%3N; }

prop() { cexec systemctl show -p "$2" --value "$1"; }

# wait_for SECS DESCRIPTION COMMAND...: polls every 0.2 s.
wait_for() {
    local secs=$1 end
    shift
    end=$(($(now_ms) + secs * 1000))
    while [ "$(now_ms)" -lt "$end" ]; do
        "$@" && return 0
        sleep 0.2
    done
    "$@"
}

is_state() { [ "$(prop "$1" ActiveState)" = "$2" ]; }
file_exists() { cexec test -e "$1"; }

# Processes in the container whose command line contains NAME, as "pid cmd"
# lines; the [x]yz pattern keeps pgrep from matching the helpers around it.
procs_of() {
    local name=$1
    cexec pgrep -a -f "[${name:0:1}]${name:1}"
}
no_procs_of() { [ -z "$(procs_of "$1")" ]; }

service_pid() { cexec cat "/run/e2e/$1.pid" 2>/dev/null | tr -d '\n'; }
comm_of() { cexec cat "/proc/$1/comm" 2>/dev/null; }
ppid_of() { cexec ps -o ppid= -p "$1" 2>/dev/null | tr -d ' '; }

install_unit() {
    cexec cp "/opt/unitrun/systemd/$1.service" /etc/systemd/system/
}
daemon_reload() { ctimeout 60 systemctl daemon-reload; }

# Forgets what a case left: the unit stopped, its failed state reset, its
# evidence files gone.
reset_unit() {
    ctimeout 60 systemctl stop "$1" >/dev/null 2>&1
    cexec systemctl reset-failed "$1" >/dev/null 2>&1
    cexec sh -c "rm -f /run/e2e/$2.*" 2>/dev/null
}

journal_of() { cexec journalctl --no-pager -o cat -u "$1" 2>/dev/null; }

WHY=""
fail() {
    WHY="$*"
    return 1
}

run_case() {
    local name=$1 fn=$2 t0 t1
    # UNITRUN_E2E_ONLY=REGEX runs only the matching cases (for debugging;
    # some cases use what an earlier one set up, see DEVELOPERS.md).
    if [ -n "${UNITRUN_E2E_ONLY:-}" ] && ! [[ "$name" =~ $UNITRUN_E2E_ONLY ]]; then
        return 0
    fi
    WHY=""
    t0=$(now_ms)
    if "$fn"; then
        t1=$(now_ms)
        echo "PASS $name ($(((t1 - t0) / 1000)) s)"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL $name: ${WHY:-no reason given}"
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
    fi
}

# Checks shared by several cases: the unit is active, its MainPID is unitrun
# and the service (NAME) is unitrun's child.
check_active_under_unitrun() {
    local unit=$1 name=$2 main pid
    [ "$(prop "$unit" ActiveState)" = active ] || fail "$unit: ActiveState=$(prop "$unit" ActiveState), want active" || return 1
    main=$(prop "$unit" MainPID)
    [ -n "$main" ] && [ "$main" != 0 ] || fail "$unit: no MainPID" || return 1
    [ "$(comm_of "$main")" = unitrun ] || fail "$unit: MainPID $main is '$(comm_of "$main")', want unitrun" || return 1
    wait_for 5 file_exists "/run/e2e/$name.pid" || fail "$unit: the service never wrote /run/e2e/$name.pid" || return 1
    pid=$(service_pid "$name")
    [ "$(ppid_of "$pid")" = "$main" ] || fail "$unit: service PID $pid has parent $(ppid_of "$pid"), want unitrun ($main)" || return 1
}

# ---- the cases -----------------------------------------------------------------------------

case_binary_runs() {
    local out
    out=$(cexec /opt/unitrun/unitrun --version 2>&1) ||
        fail "unitrun does not run in the container: $(cexec ldd /opt/unitrun/unitrun 2>&1 | grep 'not found' | tr '\n' ' ') $out" || return 1
    out=$(cexec /opt/unitrun/unitrun check /opt/unitrun/units/e2e-simple.ini 2>&1) ||
        fail "unitrun check of a test unit failed in the container: $out"
}

case_notify_start_ready() {
    install_unit e2e-simple && daemon_reload || fail "cannot install e2e-simple.service" || return 1
    local out
    out=$(ctimeout 40 systemctl start e2e-simple 2>&1) || fail "systemctl start failed: $out $(journal_of e2e-simple | tail -n 5)" || return 1
    # A Type=notify job completes on READY=1: right after start returns the
    # unit is active, not activating.
    [ "$(prop e2e-simple ActiveState)" = active ] || fail "right after start: ActiveState=$(prop e2e-simple ActiveState) SubState=$(prop e2e-simple SubState)" || return 1
    check_active_under_unitrun e2e-simple e2e-simple
}

case_status_and_mainpid() {
    local status main
    status=$(prop e2e-simple StatusText)
    main=$(prop e2e-simple MainPID)
    [ -n "$status" ] || fail "StatusText is empty" || return 1
    case "$status" in
        *running*) ;;
        *) fail "StatusText='$status', want unitrun's 'running (pid N)'" || return 1 ;;
    esac
    [ "$(cexec readlink "/proc/$main/exe")" = /opt/unitrun/unitrun ] || fail "MainPID $main runs $(cexec readlink "/proc/$main/exe"), not unitrun" || return 1
    # unitrun never hands supervision over: no MAINPID= went upstream.
    local pid
    pid=$(service_pid e2e-simple)
    [ "$main" != "$pid" ] || fail "MainPID is the service ($pid), not unitrun" || return 1
    [ "$(prop e2e-simple NotifyAccess)" = main ] || fail "NotifyAccess=$(prop e2e-simple NotifyAccess)"
}

case_journal_prefixes() {
    # unitrun's own lines reach the journal with their priority, without a
    # literal "<N>" (JOURNAL_STREAM matches its stderr under systemd).
    local all
    all=$(journal_of e2e-simple)
    echo "$all" | grep -q "started (pid" || fail "unitrun's 'started (pid N)' line is not in the journal: $(echo "$all" | tail -n 5 | tr '\n' '|')" || return 1
    if echo "$all" | grep -qE '^<[0-7]>'; then fail "literal <N> prefixes in the journal: $(echo "$all" | grep -E '^<[0-7]>' | head -n 3 | tr '\n' '|')" || return 1; fi
    local info
    info=$(cexec journalctl --no-pager -o cat -u e2e-simple -p info 2>/dev/null)
    echo "$info" | grep -q "started (pid" || fail "'started (pid N)' not logged at priority info or above" || return 1
    reset_unit e2e-simple e2e-simple
}

case_watchdog_active() {
    # systemd's WatchdogSec=2 on unitrun: unitrun pings at 1 s while the
    # service is healthy. One service has no watchdog of its own, one has
    # WatchdogSec=3 and pings; both units must stay up for 10 s.
    install_unit e2e-wd-plain && install_unit e2e-wd-ping && daemon_reload || fail "cannot install the units" || return 1
    local u out
    for u in e2e-wd-plain e2e-wd-ping; do
        out=$(ctimeout 40 systemctl start "$u" 2>&1) || fail "systemctl start $u failed: $out" || return 1
    done
    local main_plain main_ping
    main_plain=$(prop e2e-wd-plain MainPID)
    main_ping=$(prop e2e-wd-ping MainPID)
    [ "$(prop e2e-wd-plain WatchdogUSec)" = 2s ] || fail "e2e-wd-plain: WatchdogUSec=$(prop e2e-wd-plain WatchdogUSec)" || return 1
    sleep 10
    for u in e2e-wd-plain e2e-wd-ping; do
        [ "$(prop "$u" ActiveState)" = active ] || fail "$u after 10 s: ActiveState=$(prop "$u" ActiveState) Result=$(prop "$u" Result)" || return 1
        [ "$(prop "$u" NRestarts)" = 0 ] || fail "$u restarted" || return 1
        [ "$(prop "$u" Result)" = success ] || fail "$u: Result=$(prop "$u" Result)" || return 1
    done
    [ "$(prop e2e-wd-plain MainPID)" = "$main_plain" ] && [ "$(prop e2e-wd-ping MainPID)" = "$main_ping" ] || fail "a MainPID changed within the 10 s" || return 1
    if cexec journalctl --no-pager -o cat -u e2e-wd-plain -u e2e-wd-ping | grep -qi "watchdog timeout"; then
        fail "the journal reports a watchdog timeout" || return 1
    fi
    # Hygiene: the service's notify socket is unitrun's private one, and
    # systemd's WATCHDOG_* for unitrun never reach it.
    local env_plain env_ping pid_ping
    env_plain=$(cexec cat /run/e2e/e2e-wd-plain.env)
    env_ping=$(cexec cat /run/e2e/e2e-wd-ping.env)
    pid_ping=$(service_pid e2e-wd-ping)
    # e2e-wd-plain is Type=exec with NotifyAccess= unset (none): as under
    # systemd it gets no NOTIFY_SOCKET at all; e2e-wd-ping's is unitrun's.
    if echo "$env_plain" | grep -q '^NOTIFY_SOCKET='; then fail "e2e-wd-plain (NotifyAccess=none) got a NOTIFY_SOCKET: $(echo "$env_plain" | grep NOTIFY_SOCKET)" || return 1; fi
    echo "$env_ping" | grep -q '^NOTIFY_SOCKET=@unitrun/' || fail "e2e-wd-ping's NOTIFY_SOCKET is not unitrun's: $(echo "$env_ping" | grep NOTIFY_SOCKET)" || return 1
    if echo "$env_plain" | grep -q '^WATCHDOG_'; then fail "systemd's watchdog variables leaked to the service: $(echo "$env_plain" | grep '^WATCHDOG_' | tr '\n' ' ')" || return 1; fi
    echo "$env_ping" | grep -qx 'WATCHDOG_USEC=3000000' || fail "e2e-wd-ping: WATCHDOG_USEC is not its own 3000000: $(echo "$env_ping" | grep '^WATCHDOG_' | tr '\n' ' ')" || return 1
    if echo "$env_ping" | grep -q '^WATCHDOG_PID=' && ! echo "$env_ping" | grep -qx "WATCHDOG_PID=$pid_ping"; then
        fail "e2e-wd-ping: WATCHDOG_PID is not the service's own PID $pid_ping" || return 1
    fi
    reset_unit e2e-wd-plain e2e-wd-plain
    reset_unit e2e-wd-ping e2e-wd-ping
}

case_hung_service_trips_watchdog() {
    # The service has WatchdogSec=3 and pings; once it hangs (SIGSTOP)
    # unitrun must stop pinging systemd, whose WatchdogSec=2 then fires.
    install_unit e2e-hang && daemon_reload || fail "cannot install e2e-hang.service" || return 1
    local out pid
    out=$(ctimeout 40 systemctl start e2e-hang 2>&1) || fail "systemctl start failed: $out" || return 1
    wait_for 5 file_exists /run/e2e/e2e-hang.pid || fail "the service never wrote its pid" || return 1
    pid=$(service_pid e2e-hang)
    sleep 2
    [ "$(prop e2e-hang ActiveState)" = active ] || fail "not active before the hang: $(prop e2e-hang ActiveState)" || return 1
    cexec kill -STOP "$pid"
    # Until systemd's watchdog fires, or the unit ended some other way.
    wait_for 20 eval '[ "$(prop e2e-hang Result)" = watchdog ] || is_state e2e-hang failed || is_state e2e-hang inactive'
    [ "$(prop e2e-hang Result)" = watchdog ] ||
        fail "no Result=watchdog after the hang: ActiveState=$(prop e2e-hang ActiveState) Result=$(prop e2e-hang Result) ExecMainStatus=$(prop e2e-hang ExecMainStatus); journal: $(journal_of e2e-hang | tail -n 5 | tr '\n' '|')" || return 1
    wait_for 10 no_procs_of e2e-hang || fail "processes left after the watchdog: $(procs_of e2e-hang | tr '\n' '|')" || return 1
    reset_unit e2e-hang e2e-hang
}

case_inner_restart_keeps_watchdog_fed() {
    # The unit file's own Restart=: unitrun restarts the service, systemd's
    # unit stays up. unitrun is busy, not hung, for the whole restart (its
    # stop phase included, here 4 s of ExecStopPost=), so it keeps pinging
    # systemd's WatchdogSec=2.
    install_unit e2e-inner-restart && daemon_reload || fail "cannot install e2e-inner-restart.service" || return 1
    local out pid main
    out=$(ctimeout 40 systemctl start e2e-inner-restart 2>&1) || fail "systemctl start failed: $out" || return 1
    check_active_under_unitrun e2e-inner-restart e2e-inner-restart || return 1
    pid=$(service_pid e2e-inner-restart)
    main=$(prop e2e-inner-restart MainPID)
    cexec kill -KILL "$pid"
    # ExecStopPost= 4 s + RestartSec= 1 s, then a new service process.
    wait_for 15 eval '[ -n "$(service_pid e2e-inner-restart)" ] && [ "$(service_pid e2e-inner-restart)" != "$pid" ] || ! is_state e2e-inner-restart active'
    [ "$(prop e2e-inner-restart Result)" = success ] && is_state e2e-inner-restart active ||
        fail "during unitrun's own restart: ActiveState=$(prop e2e-inner-restart ActiveState) Result=$(prop e2e-inner-restart Result); journal: $(journal_of e2e-inner-restart | tail -n 6 | tr '\n' '|')" || return 1
    [ "$(prop e2e-inner-restart MainPID)" = "$main" ] && [ "$(prop e2e-inner-restart NRestarts)" = 0 ] ||
        fail "systemd restarted unitrun (NRestarts=$(prop e2e-inner-restart NRestarts)); unitrun should have restarted the service itself" || return 1
    [ "$(service_pid e2e-inner-restart)" != "$pid" ] || fail "the service was not restarted within 15 s" || return 1
    check_active_under_unitrun e2e-inner-restart e2e-inner-restart || return 1
    reset_unit e2e-inner-restart e2e-inner-restart
}

case_notify_service_waited() {
    # The service sends STATUS=warming up at once, READY=1 after 2 s: start
    # waits for it, the STATUS is relayed during and after the start.
    install_unit e2e-notify && daemon_reload || fail "cannot install e2e-notify.service" || return 1
    cexec rm -f /run/e2e/e2e-notify.pid
    local t0 t1 elapsed status seen_starting=no
    t0=$(now_ms)
    ctimeout 40 systemctl start e2e-notify >"$WORK/notify-start.out" 2>&1 &
    local start_pid=$!
    while kill -0 "$start_pid" 2>/dev/null; do
        status=$(prop e2e-notify StatusText)
        [ "$status" = "warming up" ] && [ "$(prop e2e-notify ActiveState)" = activating ] && seen_starting=yes
        sleep 0.1
    done
    wait "$start_pid" || fail "systemctl start failed: $(cat "$WORK/notify-start.out") $(journal_of e2e-notify | tail -n 5 | tr '\n' '|')" || return 1
    t1=$(now_ms)
    elapsed=$((t1 - t0))
    [ "$elapsed" -ge 1800 ] || fail "systemctl start returned after ${elapsed} ms; the service's READY=1 comes after 2 s" || return 1
    [ "$elapsed" -le 20000 ] || fail "systemctl start took ${elapsed} ms" || return 1
    [ "$seen_starting" = yes ] || fail "StatusText 'warming up' (sent before READY=1) was never seen while activating" || return 1
    status=$(prop e2e-notify StatusText)
    [ "$status" = "serving requests" ] || fail "StatusText='$status', want the service's 'serving requests'" || return 1
    check_active_under_unitrun e2e-notify e2e-notify || return 1
    reset_unit e2e-notify e2e-notify
}

case_death_fails_unit() {
    install_unit e2e-fail && daemon_reload || fail "cannot install e2e-fail.service" || return 1
    local out pid
    out=$(ctimeout 40 systemctl start e2e-fail 2>&1) || fail "systemctl start failed: $out" || return 1
    check_active_under_unitrun e2e-fail e2e-fail || return 1
    pid=$(service_pid e2e-fail)
    cexec kill -KILL "$pid"
    wait_for 15 is_state e2e-fail failed || fail "after the service was killed: ActiveState=$(prop e2e-fail ActiveState) Result=$(prop e2e-fail Result)" || return 1
    [ "$(prop e2e-fail Result)" = exit-code ] || fail "Result=$(prop e2e-fail Result), want exit-code" || return 1
    local code status
    code=$(prop e2e-fail ExecMainCode)
    status=$(prop e2e-fail ExecMainStatus)
    # CLD_EXITED (1) with 128+SIGKILL: unitrun says how its service died.
    [ "$code" = 1 ] && [ "$status" = 137 ] || fail "unitrun's exit: ExecMainCode=$code ExecMainStatus=$status, want exited 137" || return 1
    no_procs_of e2e-fail || fail "processes left: $(procs_of e2e-fail | tr '\n' '|')" || return 1
    reset_unit e2e-fail e2e-fail
}

case_restart_on_failure() {
    install_unit e2e-restart && daemon_reload || fail "cannot install e2e-restart.service" || return 1
    local out pid main
    out=$(ctimeout 40 systemctl start e2e-restart 2>&1) || fail "systemctl start failed: $out" || return 1
    check_active_under_unitrun e2e-restart e2e-restart || return 1
    pid=$(service_pid e2e-restart)
    main=$(prop e2e-restart MainPID)
    cexec rm -f /run/e2e/e2e-restart.pid
    cexec kill -KILL "$pid"
    wait_for 20 eval '[ "$(prop e2e-restart NRestarts)" = 1 ] && is_state e2e-restart active' ||
        fail "not restarted within 20 s: NRestarts=$(prop e2e-restart NRestarts) ActiveState=$(prop e2e-restart ActiveState)" || return 1
    [ "$(prop e2e-restart MainPID)" != "$main" ] || fail "MainPID unchanged after the restart" || return 1
    check_active_under_unitrun e2e-restart e2e-restart || return 1
    journal_of e2e-restart | grep -q "Failed with result 'exit-code'" ||
        fail "systemd did not log the failure before restarting: $(journal_of e2e-restart | tail -n 6 | tr '\n' '|')" || return 1
    reset_unit e2e-restart e2e-restart
}

case_stop_leaves_nothing() {
    install_unit e2e-stop && daemon_reload || fail "cannot install e2e-stop.service" || return 1
    local out t0 t1
    out=$(ctimeout 40 systemctl start e2e-stop 2>&1) || fail "systemctl start failed: $out" || return 1
    check_active_under_unitrun e2e-stop e2e-stop || return 1
    wait_for 5 eval '[ "$(procs_of e2e-stop-child | wc -l)" = 2 ]' || fail "the service's two children are not running: $(procs_of e2e-stop | tr '\n' '|')" || return 1
    t0=$(now_ms)
    out=$(ctimeout 60 systemctl stop e2e-stop 2>&1) || fail "systemctl stop failed: $out" || return 1
    t1=$(now_ms)
    [ $((t1 - t0)) -lt 15000 ] || fail "stop took $((t1 - t0)) ms (a timeout rather than SIGTERM?)" || return 1
    no_procs_of e2e-stop || fail "processes left after stop: $(procs_of e2e-stop | tr '\n' '|')" || return 1
    [ "$(prop e2e-stop ActiveState)" = inactive ] || fail "ActiveState=$(prop e2e-stop ActiveState) Result=$(prop e2e-stop Result), want inactive" || return 1
    [ "$(prop e2e-stop Result)" = success ] || fail "Result=$(prop e2e-stop Result), want success (a clean exit)" || return 1
    [ "$(prop e2e-stop ExecMainStatus)" = 0 ] || fail "unitrun exited with $(prop e2e-stop ExecMainStatus), want 0" || return 1
    # unitrun ran its stop sequence: the service saw its SIGTERM.
    file_exists /run/e2e/e2e-stop.term || fail "the service never got SIGTERM (no /run/e2e/e2e-stop.term)" || return 1
    reset_unit e2e-stop e2e-stop
}

case_reload() {
    install_unit e2e-reload && daemon_reload || fail "cannot install e2e-reload.service" || return 1
    local out main
    out=$(ctimeout 40 systemctl start e2e-reload 2>&1) || fail "systemctl start failed: $out" || return 1
    check_active_under_unitrun e2e-reload e2e-reload || return 1
    main=$(prop e2e-reload MainPID)
    out=$(ctimeout 40 systemctl reload e2e-reload 2>&1) || fail "systemctl reload failed: $out" || return 1
    wait_for 10 file_exists /run/e2e/e2e-reload.hup || fail "the service never got SIGHUP" || return 1
    # RELOADING=1 must be followed by READY=1, or the unit stays "reloading".
    wait_for 10 eval '[ "$(prop e2e-reload ActiveState)" = active ] && [ "$(prop e2e-reload SubState)" = running ]' ||
        fail "after reload: ActiveState=$(prop e2e-reload ActiveState) SubState=$(prop e2e-reload SubState)" || return 1
    [ "$(prop e2e-reload MainPID)" = "$main" ] || fail "MainPID changed across the reload" || return 1
    reset_unit e2e-reload e2e-reload
}

case_exec_failure() {
    install_unit e2e-execfail && daemon_reload || fail "cannot install e2e-execfail.service" || return 1
    local out
    if out=$(ctimeout 40 systemctl start e2e-execfail 2>&1); then
        fail "systemctl start succeeded although the service cannot be executed" || return 1
    fi
    wait_for 10 is_state e2e-execfail failed || fail "ActiveState=$(prop e2e-execfail ActiveState), want failed" || return 1
    [ "$(prop e2e-execfail ExecMainStatus)" != 0 ] || fail "unitrun exited 0" || return 1
    # unitrun says why, at error priority.
    cexec journalctl --no-pager -o cat -u e2e-execfail -p err | grep -q "start failed" ||
        fail "no 'start failed' at priority err in the journal: $(journal_of e2e-execfail | tail -n 5 | tr '\n' '|')" || return 1
    reset_unit e2e-execfail e2e-execfail
}

case_exported_service() {
    local out
    out=$(cexec sh -c '/opt/unitrun/unitrun export systemd /opt/unitrun/units/e2e-exported.ini >/etc/systemd/system/e2e-exported.service' 2>&1) ||
        fail "unitrun export systemd failed: $out" || return 1
    out=$(ctimeout 60 systemd-analyze verify /etc/systemd/system/e2e-exported.service 2>&1) ||
        fail "systemd-analyze verify rejects the export: $out" || return 1
    if echo "$out" | grep -q "e2e-exported"; then fail "systemd-analyze verify warns: $out" || return 1; fi
    daemon_reload || fail "daemon-reload failed" || return 1
    local t0 t1
    t0=$(now_ms)
    out=$(ctimeout 60 systemctl start e2e-exported 2>&1) || fail "systemctl start failed: $out $(journal_of e2e-exported | tail -n 5 | tr '\n' '|')" || return 1
    t1=$(now_ms)
    [ $((t1 - t0)) -ge 1800 ] || fail "start returned after $((t1 - t0)) ms, before the service's READY=1 at 2 s" || return 1
    check_active_under_unitrun e2e-exported e2e-exported || return 1
    [ "$(prop e2e-exported StatusText)" = "exported and serving" ] || fail "StatusText='$(prop e2e-exported StatusText)'" || return 1
    [ "$(prop e2e-exported KillMode)" = mixed ] || fail "KillMode=$(prop e2e-exported KillMode)" || return 1
    # The service's death fails the unit.
    cexec kill -KILL "$(service_pid e2e-exported)"
    wait_for 15 is_state e2e-exported failed || fail "after the service was killed: ActiveState=$(prop e2e-exported ActiveState)" || return 1
    no_procs_of e2e-exported || fail "processes left after the failure: $(procs_of e2e-exported | tr '\n' '|')" || return 1
    # And a stop is clean and complete.
    cexec systemctl reset-failed e2e-exported
    out=$(ctimeout 60 systemctl start e2e-exported 2>&1) || fail "second start failed: $out" || return 1
    out=$(ctimeout 60 systemctl stop e2e-exported 2>&1) || fail "systemctl stop failed: $out" || return 1
    no_procs_of e2e-exported || fail "processes left after stop: $(procs_of e2e-exported | tr '\n' '|')" || return 1
    [ "$(prop e2e-exported Result)" = success ] && [ "$(prop e2e-exported ActiveState)" = inactive ] ||
        fail "after stop: ActiveState=$(prop e2e-exported ActiveState) Result=$(prop e2e-exported Result)" || return 1
    file_exists /run/e2e/e2e-exported.term || fail "the service never got SIGTERM" || return 1
    reset_unit e2e-exported e2e-exported
}

case_contrib_template() {
    # contrib/systemd/unitrun@.service as configured: the installed binary
    # (its ExecStart=, /usr/local/bin/unitrun by default) and
    # /etc/unitrun/NAME.ini.
    local bin
    bin=$(sed -n 's/^ExecStart=\([^ ]*\) run .*/\1/p' "$STAGE/contrib/unitrun@.service")
    [ -n "$bin" ] || fail "no 'ExecStart=BINARY run' in the configured template" || return 1
    cexec sh -c 'mkdir -p /etc/unitrun "${1%/*}" &&
        ln -sf /opt/unitrun/unitrun "$1" &&
        cp /opt/unitrun/units/e2e-tmpl.ini /etc/unitrun/e2e-tmpl.ini &&
        cp /opt/unitrun/contrib/unitrun@.service /etc/systemd/system/' sh "$bin" || fail "cannot install the template" || return 1
    local out
    out=$(ctimeout 60 systemd-analyze verify /etc/systemd/system/unitrun@e2e-tmpl.service 2>&1) ||
        fail "systemd-analyze verify rejects unitrun@e2e-tmpl.service: $out" || return 1
    daemon_reload || fail "daemon-reload failed" || return 1
    out=$(ctimeout 60 systemctl start unitrun@e2e-tmpl 2>&1) || fail "systemctl start unitrun@e2e-tmpl failed: $out" || return 1
    check_active_under_unitrun unitrun@e2e-tmpl e2e-tmpl || return 1
    out=$(ctimeout 60 systemctl stop unitrun@e2e-tmpl 2>&1) || fail "systemctl stop failed: $out" || return 1
    no_procs_of e2e-tmpl || fail "processes left after stop: $(procs_of e2e-tmpl | tr '\n' '|')" || return 1
    [ "$(prop unitrun@e2e-tmpl Result)" = success ] || fail "Result=$(prop unitrun@e2e-tmpl Result)" || return 1
    reset_unit unitrun@e2e-tmpl e2e-tmpl
}

case_start_as_main_process() {
    # ExecStart=unitrun start: SYSTEMD_EXEC_PID is its PID and NOTIFY_SOCKET
    # is set, so it must stay in the foreground and speak sd_notify like run.
    install_unit e2e-startmode && daemon_reload || fail "cannot install e2e-startmode.service" || return 1
    local out t0 t1
    t0=$(now_ms)
    out=$(ctimeout 40 systemctl start e2e-startmode 2>&1) || fail "systemctl start failed: $out $(journal_of e2e-startmode | tail -n 5 | tr '\n' '|')" || return 1
    t1=$(now_ms)
    [ $((t1 - t0)) -ge 800 ] || fail "start returned after $((t1 - t0)) ms, before the service's READY=1 at 1 s" || return 1
    check_active_under_unitrun e2e-startmode e2e-startmode || return 1
    [ "$(prop e2e-startmode StatusText)" = "started by start" ] || fail "StatusText='$(prop e2e-startmode StatusText)'" || return 1
    out=$(ctimeout 60 systemctl stop e2e-startmode 2>&1) || fail "systemctl stop failed: $out" || return 1
    no_procs_of e2e-startmode || fail "processes left after stop: $(procs_of e2e-startmode | tr '\n' '|')" || return 1
    [ "$(prop e2e-startmode Result)" = success ] || fail "Result=$(prop e2e-startmode Result)" || return 1
    reset_unit e2e-startmode e2e-startmode
}

# Runs the init script in the container; the exit status is the script's.
initd() { ctimeout 60 /etc/init.d/e2e-sysv "$@"; }

case_sysv_through_systemctl() {
    local out rc
    out=$(cexec sh -c '/opt/unitrun/unitrun export sysv /opt/unitrun/units/e2e-sysv.ini >/etc/init.d/e2e-sysv &&
        chmod 755 /etc/init.d/e2e-sysv' 2>&1) || fail "unitrun export sysv failed: $out" || return 1
    daemon_reload || fail "daemon-reload failed" || return 1
    # systemd-sysv-generator made a unit of it.
    out=$(prop e2e-sysv SourcePath)
    [ "$out" = /etc/init.d/e2e-sysv ] || fail "no generated e2e-sysv.service (SourcePath='$out')" || return 1
    local t0 t1
    t0=$(now_ms)
    out=$(ctimeout 60 systemctl start e2e-sysv 2>&1) || fail "systemctl start e2e-sysv failed: $out $(journal_of e2e-sysv | tail -n 5 | tr '\n' '|')" || return 1
    t1=$(now_ms)
    is_state e2e-sysv active || fail "ActiveState=$(prop e2e-sysv ActiveState) after start" || return 1
    # `unitrun start` waits for the service's READY=1 (after 1 s), and the
    # script for unitrun: the service runs now.
    [ $((t1 - t0)) -ge 800 ] || fail "systemctl start returned after $((t1 - t0)) ms, before the service's READY=1 at 1 s" || return 1
    [ -n "$(procs_of 'e2e-service.py --name e2e-sysv')" ] || fail "the service is not running after start" || return 1
    ctimeout 30 systemctl status e2e-sysv >/dev/null 2>&1
    rc=$?
    [ "$rc" = 0 ] || fail "systemctl status of the running unit: $rc, want 0" || return 1
    # unitrun's own view, bypassing the redirect to systemctl.
    out=$(cexec env SYSTEMCTL_SKIP_REDIRECT=1 timeout 30 /etc/init.d/e2e-sysv status 2>&1)
    rc=$?
    [ "$rc" = 0 ] || fail "the script's status with SYSTEMCTL_SKIP_REDIRECT=1: $rc, want 0: $out" || return 1
    out=$(ctimeout 60 systemctl stop e2e-sysv 2>&1) || fail "systemctl stop e2e-sysv failed: $out" || return 1
    wait_for 5 no_procs_of e2e-sysv || fail "processes left after systemctl stop: $(procs_of e2e-sysv | tr '\n' '|')" || return 1
    ctimeout 30 systemctl status e2e-sysv >/dev/null 2>&1
    rc=$?
    [ "$rc" = 3 ] || fail "systemctl status of the stopped unit: $rc, want 3" || return 1
}

case_sysv_directly() {
    local out rc
    cexec test -x /etc/init.d/e2e-sysv || fail "no /etc/init.d/e2e-sysv (the previous case installs it)" || return 1
    # Run by hand on a systemd host, the script hands start/stop/status to
    # systemctl (/lib/lsb/init-functions.d/40-systemd).
    out=$(initd start 2>&1) || fail "start: $?: $out" || return 1
    is_state e2e-sysv active || fail "after the script's start, systemctl sees ActiveState=$(prop e2e-sysv ActiveState)" || return 1
    [ -n "$(procs_of 'e2e-service.py --name e2e-sysv')" ] || fail "the service is not running after start" || return 1
    out=$(initd start 2>&1)
    rc=$?
    [ "$rc" = 0 ] || fail "start twice: $rc, want 0: $out" || return 1
    out=$(initd status 2>&1)
    rc=$?
    [ "$rc" = 0 ] || fail "status of the running service: $rc, want 0: $out" || return 1
    out=$(initd stop 2>&1)
    rc=$?
    [ "$rc" = 0 ] || fail "stop: $rc, want 0: $out" || return 1
    wait_for 5 no_procs_of e2e-sysv || fail "processes left after stop: $(procs_of e2e-sysv | tr '\n' '|')" || return 1
    out=$(initd stop 2>&1)
    rc=$?
    [ "$rc" = 0 ] || fail "stop twice: $rc, want 0: $out" || return 1
    out=$(initd status 2>&1)
    rc=$?
    [ "$rc" = 3 ] || fail "status of the stopped service: $rc, want 3: $out" || return 1
    out=$(cexec env SYSTEMCTL_SKIP_REDIRECT=1 timeout 30 /etc/init.d/e2e-sysv status 2>&1)
    rc=$?
    [ "$rc" = 3 ] || fail "unitrun's own status of the stopped service: $rc, want 3: $out" || return 1
    out=$(initd frobnicate 2>&1)
    rc=$?
    [ "$rc" = 2 ] || fail "unknown action: $rc, want 2: $out" || return 1
    echo "$out" | grep -q "Usage:" || fail "unknown action printed no usage: $out" || return 1
}

case_no_notify_rejections() {
    # Everything upstream came from the main PID (unitrun) itself.
    local bad
    bad=$(cexec journalctl --no-pager -o cat -b 2>/dev/null | grep -E "reception only permitted|Got notification message from PID" | head -n 3)
    [ -z "$bad" ] || fail "systemd rejected notifications: $(echo "$bad" | tr '\n' '|')"
}

# ---- main ------------------------------------------------------------------------------------

boot_container
BOOTED=$(date +%s)

run_case binary-runs-in-container case_binary_runs
run_case notify-start-returns-after-ready case_notify_start_ready
run_case status-text-and-mainpid-is-unitrun case_status_and_mainpid
run_case journal-priorities-without-literal-prefixes case_journal_prefixes
run_case watchdog-2s-stays-active-10s case_watchdog_active
run_case hung-service-trips-systemd-watchdog case_hung_service_trips_watchdog
run_case inner-restart-keeps-systemd-watchdog-fed case_inner_restart_keeps_watchdog_fed
run_case notify-service-waited-and-status-relayed case_notify_service_waited
run_case service-death-makes-failed-unit case_death_fails_unit
run_case restart-on-failure-brings-it-back case_restart_on_failure
run_case stop-leaves-no-process case_stop_leaves_nothing
run_case reload-sighup-reloading-ready case_reload
run_case exec-failure-fails-start case_exec_failure
run_case exported-service-behaves-the-same case_exported_service
run_case contrib-template-unitrun@ case_contrib_template
run_case start-as-main-process-behaves-like-run case_start_as_main_process
run_case sysv-script-through-systemctl case_sysv_through_systemctl
run_case sysv-script-directly case_sysv_directly
run_case no-notify-rejections-in-journal case_no_notify_rejections

log "boot took $((BOOTED - SUITE_START)) s, cases $(($(date +%s) - BOOTED)) s, total $(($(date +%s) - SUITE_START)) s"
finish
