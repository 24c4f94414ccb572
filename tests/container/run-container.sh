#!/usr/bin/env bash
# The container suite: unitrun as a container's PID 1 (`unitrun init`) and as
# its systemctl (`unitrun install-systemctl`), in a Debian 12 root without
# systemd, run by systemd-nspawn without -b (so that unitrun, not systemd or
# nspawn's stub, is PID 1). Inside it, `apt-get install nginx` runs the
# package's maintainer scripts, which enable and start nginx.service through
# systemctl; then status/restart/stop/is-active/show answer as systemd's
# would, and SIGTERM to PID 1 (what `docker stop` sends) stops everything
# cleanly within docker's 10 s.
#
#   tests/container/run-container.sh [UNITRUN_BINARY]
#   tests/container/run-container.sh --prepare-only   # the cached root and packages, then stop
#
# The binary: the argument, else $UNITRUN_BINARY, else a fresh build in
# build-container/. The root: debootstrap --variant=minbase (no systemd),
# cached in ${UNITRUN_CONTAINER_CACHE:-/var/cache/unitrun-container}/bookworm
# (tests/lib/debian-rootfs.sh), run with a tmpfs overlay (--volatile=overlay)
# so the cache never changes. The package and its dependencies are downloaded
# once into CACHE/apt (the only step that needs the network); the test
# container itself has a private network (nginx's port 80 is its own).
#
# Each case prints "PASS name" or "FAIL name: why"; the last line is
# "N passed, N failed". When the suite cannot run (not root, no
# systemd-nspawn, no cached root and no network, a unitrun without `init`)
# it prints "SKIPPED: why" and exits 0, or 1 when
# UNITRUN_CONTAINER_REQUIRED=1. UNITRUN_CONTAINER_KEEP=1 leaves the container
# running at the end and prints how to enter it. See DEVELOPERS.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/lib/debian-rootfs.sh
. "$SOURCE_DIR/tests/lib/debian-rootfs.sh"
REQUIRED=${UNITRUN_CONTAINER_REQUIRED:-0}
CACHE_ROOT=${UNITRUN_CONTAINER_CACHE:-/var/cache/unitrun-container}
ROOTFS=$CACHE_ROOT/bookworm
# python3: the test's helpers and the bench's peer (systemctl3.py); tini and
# dumb-init: the bench's zombie-reaping baseline (bench/container_compare.py).
INCLUDE=python3,procps,tini,dumb-init
APT_CACHE=$CACHE_ROOT/apt
PACKAGE=nginx
PATH_IN_CONTAINER=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# docker stop's window between SIGTERM and SIGKILL.
STOP_WINDOW=10

WORK=""
NSPAWN_PID=""
CPID=""
MACHINE="unitrun-ctr-$$"

SUITE=container
REQUIRED_NOTE="UNITRUN_CONTAINER_REQUIRED=1: the container suite had to run"
HELP_LINES=2,28p
# shellcheck source=tests/lib/suite.sh
. "$SOURCE_DIR/tests/lib/suite.sh"
parse_suite_arguments "$@"

[ "$(id -u)" -eq 0 ] || skip "not root (systemd-nspawn and debootstrap need root)"
command -v systemd-nspawn >/dev/null 2>&1 || skip "no systemd-nspawn (package systemd-container)"
command -v nsenter >/dev/null 2>&1 || skip "no nsenter (package util-linux)"
command -v python3 >/dev/null 2>&1 || skip "no python3 on the host (tests/container/stop_watch.py)"

prepare_debian_rootfs "$CACHE_ROOT" "$INCLUDE" usr/bin/tini

# The package and its dependencies, downloaded once (with the host's
# network) into CACHE/apt, which the test container binds: its apt-get
# install needs no network. Under the cache's exclusive lock.
prepare_packages() {
    if compgen -G "$APT_CACHE/archives/${PACKAGE}_*.deb" >/dev/null &&
        [ -f "$APT_CACHE/lists.stamp" ]; then
        return 0
    fi
    flock -x 9 || skip "cannot lock $CACHE_ROOT"
    mkdir -p "$APT_CACHE/archives/partial" "$APT_CACHE/lists/partial"
    log "downloading $PACKAGE and its dependencies into $APT_CACHE (once)"
    if ! systemd-nspawn --quiet --register=no --keep-unit --machine="$MACHINE-dl" \
        --directory="$ROOTFS" --volatile=overlay --as-pid2 \
        --link-journal=no --resolv-conf=copy-host --timezone=off \
        --bind="$APT_CACHE/archives:/var/cache/apt/archives" \
        --bind="$APT_CACHE/lists:/var/lib/apt/lists" \
        /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only $PACKAGE" \
        </dev/null >"$CACHE_ROOT/download.log" 2>&1; then
        tail -n 10 "$CACHE_ROOT/download.log" >&2
        flock -s 9
        skip "cannot download $PACKAGE into $APT_CACHE (no network?); see $CACHE_ROOT/download.log"
    fi
    date -u +%FT%TZ >"$APT_CACHE/lists.stamp"
    flock -s 9
}
prepare_packages
[ "$PREPARE_ONLY" = 1 ] && { echo "rootfs $ROOTFS"; echo "packages $APT_CACHE"; exit 0; }

if [ -z "$BINARY" ]; then
    log "no binary given: building one in $SOURCE_DIR/build-container"
    cmake -S "$SOURCE_DIR" -B "$SOURCE_DIR/build-container" -DUNITRUN_TESTS=OFF >/dev/null &&
        cmake --build "$SOURCE_DIR/build-container" -j"$(nproc)" --target unitrun >/dev/null ||
        abort build "cannot build unitrun in $SOURCE_DIR/build-container"
    BINARY=$SOURCE_DIR/build-container/unitrun
fi
[ -x "$BINARY" ] || abort binary "$BINARY is not an executable"
"$BINARY" init --help >/dev/null 2>&1 || skip "$BINARY has no 'init' subcommand"
"$BINARY" install-systemctl --help >/dev/null 2>&1 || skip "$BINARY has no 'install-systemctl' subcommand"

# ---- the container -------------------------------------------------------------------

WORK=$(mktemp -d /tmp/unitrun-container.XXXXXX)
STAGE=$WORK/opt
mkdir -p "$STAGE" "$WORK/evidence"
cp "$BINARY" "$STAGE/unitrun"
cp "$HERE/sentinel.py" "$HERE/sentinel.service" "$STAGE/"
chmod -R a+rX "$STAGE"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        if [ "${UNITRUN_CONTAINER_KEEP:-0}" = 1 ] && [ -n "$CPID" ]; then
            log "UNITRUN_CONTAINER_KEEP=1: container left running; enter it with"
            log "  nsenter -t $CPID -m -u -i -n -p -r -w /bin/bash"
            log "and stop it with: kill $CPID  (then rm -rf $WORK)"
            exit "$rc"
        fi
        [ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null
        timeout 30 tail --pid="$NSPAWN_PID" -f /dev/null
        kill -KILL "$NSPAWN_PID" 2>/dev/null
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    [ -n "$WORK" ] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cexec() {
    nsenter -t "$CPID" -m -u -i -n -p -r -w \
        env -i PATH="$PATH_IN_CONTAINER" LANG=C.UTF-8 TERM=dumb "$@"
}
ctimeout() {
    local secs=$1
    shift
    cexec timeout -k 5 "$secs" "$@"
}

# PID 1 is `unitrun init`; the binary is the root's /usr/bin/unitrun (bound
# read-only, as a package would install it). `unitrun install-systemctl`
# runs first, in the shell that then execs init (PID 1 all along), as a
# Dockerfile's RUN does before its ENTRYPOINT: init finds unitrun as the
# machine's systemctl when it starts.
boot_container() {
    log "starting $ROOTFS as $MACHINE with unitrun init as PID 1"
    systemd-nspawn --quiet --register=no --keep-unit --machine="$MACHINE" \
        --directory="$ROOTFS" --volatile=overlay --private-network \
        --link-journal=no --resolv-conf=off --timezone=off \
        --bind-ro="$STAGE/unitrun:/usr/bin/unitrun" \
        --bind-ro="$STAGE:/opt/unitrun" \
        --bind="$WORK/evidence:/opt/evidence" \
        --bind-ro="$APT_CACHE/lists:/var/lib/apt/lists" \
        --bind="$APT_CACHE/archives:/var/cache/apt/archives" \
        /bin/sh -c 'unitrun install-systemctl && exec /usr/bin/unitrun init' \
        </dev/null >"$WORK/nspawn.log" 2>&1 &
    NSPAWN_PID=$!
    # The container exists once nspawn's child runs as PID 1 of its namespace
    # and has exec'd unitrun (its comm). Up to 20 s (a hang guard).
    local i
    for i in $(seq 1 100); do
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        CPID=$(container_pid1 "$NSPAWN_PID")
        [ -n "$CPID" ] && [ "$(cat "/proc/$CPID/comm" 2>/dev/null)" = unitrun ] && return 0
        sleep 0.2
    done
    tail -n 30 "$WORK/nspawn.log" >&2
    abort boot "systemd-nspawn did not start unitrun init as PID 1 (log above)"
}

WHY=""
fail() {
    WHY="$*"
    return 1
}

run_case() {
    local name=$1 fn=$2 t0 t1
    WHY=""
    t0=$(date +%s%3N)
    if "$fn"; then
        t1=$(date +%s%3N)
        echo "PASS $name ($((t1 - t0)) ms)"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL $name: ${WHY:-no reason given}"
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
    fi
}

prop() { cexec systemctl show -p "$2" --value "$1"; }

# The master process of nginx, as /proc says: the nginx process whose parent
# is not an nginx process.
nginx_master() {
    cexec sh -c 'for p in $(pgrep -x nginx); do
                     pp=$(ps -o ppid= -p "$p" | tr -d " ")
                     [ "$(cat /proc/$pp/comm 2>/dev/null)" = nginx ] || echo "$p"
                 done'
}
# One HTTP GET of / on port 80 in the container; prints the status code.
http_get() {
    ctimeout 10 python3 -c '
import urllib.request, sys
try:
    r = urllib.request.urlopen("http://127.0.0.1/", timeout=5)
    body = r.read().decode()
    print(r.status, "nginx" in body)
except Exception as e:
    print("error", e)
'
}

# ---- the cases -----------------------------------------------------------------------

case_pid1_is_unitrun() {
    [ "$(cexec cat /proc/1/comm)" = unitrun ] || fail "PID 1 is $(cexec cat /proc/1/comm)" || return 1
    local exe
    exe=$(cexec readlink /proc/1/exe)
    [ "$exe" = /usr/bin/unitrun ] || fail "PID 1 runs $exe"
}

case_install_systemctl() {
    local out
    [ "$(cexec readlink -f /usr/bin/systemctl)" = /usr/bin/unitrun ] ||
        fail "/usr/bin/systemctl -> $(cexec readlink /usr/bin/systemctl), want unitrun; $(head -n 5 "$WORK/nspawn.log" | tr '\n' ' ')" || return 1
    # Once more: nothing to do, exit 0.
    out=$(ctimeout 10 unitrun install-systemctl 2>&1) || fail "unitrun install-systemctl again: $out" || return 1
    [ "$(cexec readlink -f /usr/bin/systemctl)" = /usr/bin/unitrun ] ||
        fail "after a second install-systemctl: /usr/bin/systemctl -> $(cexec readlink /usr/bin/systemctl)" || return 1
    # What debhelper's maintainer scripts and deb-systemd-invoke test before
    # they call systemctl (sd_booted()).
    cexec test -d /run/systemd/system || fail "/run/systemd/system does not exist: maintainer scripts would not call systemctl"
}

case_apt_install_starts() {
    local out
    out=$(ctimeout 300 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download "$PACKAGE" 2>&1) ||
        fail "apt-get install $PACKAGE: $(tail -n 15 <<<"$out" | tr '\n' ' ')" || return 1
    cexec test -L "/etc/systemd/system/multi-user.target.wants/$PACKAGE.service" ||
        fail "the postinst did not enable $PACKAGE.service (no multi-user.target.wants link)" || return 1
    [ "$(cexec systemctl is-enabled "$PACKAGE")" = enabled ] ||
        fail "is-enabled says '$(cexec systemctl is-enabled "$PACKAGE")'" || return 1
    [ "$(prop "$PACKAGE" ActiveState)" = active ] ||
        fail "after apt-get install: ActiveState=$(prop "$PACKAGE" ActiveState); apt said: $(grep -i -E 'systemctl|invoke|start|fail' <<<"$out" | tail -n 5 | tr '\n' ' ')"
}

case_serves() {
    local got
    got=$(http_get)
    [ "$got" = "200 True" ] || fail "GET http://127.0.0.1/ in the container: $got"
}

case_mainpid() {
    local main master
    main=$(prop "$PACKAGE" MainPID)
    master=$(nginx_master)
    [ -n "$master" ] || fail "no nginx master process in the container" || return 1
    [ "$main" = "$master" ] || fail "MainPID=$main, the nginx master is $master" || return 1
    [ "$(cexec cat /run/nginx.pid)" = "$master" ] || fail "/run/nginx.pid says $(cexec cat /run/nginx.pid), master $master"
}

case_status() {
    local out rc
    out=$(ctimeout 10 systemctl status "$PACKAGE" --no-pager 2>&1)
    rc=$?
    [ "$rc" = 0 ] || fail "systemctl status exits $rc (want 0): $out" || return 1
    grep -q "Active: active (running)" <<<"$out" || fail "status does not say 'Active: active (running)': $out" || return 1
    grep -q "Main PID: $(nginx_master)" <<<"$out" || fail "status does not name the master $(nginx_master): $out" || return 1
    [ "$(cexec systemctl is-active "$PACKAGE")" = active ] || fail "is-active: $(cexec systemctl is-active "$PACKAGE")"
}

case_restart() {
    local before after out
    before=$(nginx_master)
    out=$(ctimeout 30 systemctl restart "$PACKAGE" 2>&1) || fail "restart: $out" || return 1
    after=$(nginx_master)
    [ -n "$after" ] && [ "$after" != "$before" ] || fail "master $before -> '$after' (want a new one)" || return 1
    [ "$(prop "$PACKAGE" MainPID)" = "$after" ] || fail "MainPID=$(prop "$PACKAGE" MainPID), master $after" || return 1
    case_serves
}

case_stop() {
    local out rc
    out=$(ctimeout 30 systemctl stop "$PACKAGE" 2>&1) || fail "stop: $out" || return 1
    [ -z "$(cexec pgrep -x nginx)" ] || fail "nginx processes left: $(cexec pgrep -a -x nginx | tr '\n' ' ')" || return 1
    out=$(cexec systemctl is-active "$PACKAGE")
    rc=$?
    [ "$out" = inactive ] && [ "$rc" = 3 ] || fail "is-active after stop: '$out', exit $rc (want inactive, 3)" || return 1
    [ "$(prop "$PACKAGE" MainPID)" = 0 ] || fail "MainPID after stop: $(prop "$PACKAGE" MainPID) (want 0)" || return 1
    [ "$(http_get)" != "200 True" ] || fail "still serving after stop"
}

# A unit of the test's own, enabled, that writes how it was stopped to a
# directory of the host: the shutdown must reach it with SIGTERM.
case_sentinel() {
    local out
    cexec cp /opt/unitrun/sentinel.service /etc/systemd/system/ &&
        cexec systemctl enable --now sentinel >/dev/null 2>&1 || fail "cannot enable --now sentinel" || return 1
    [ "$(cexec systemctl is-active sentinel)" = active ] || fail "sentinel: $(cexec systemctl is-active sentinel)" || return 1
    out=$(ctimeout 30 systemctl start "$PACKAGE" 2>&1) || fail "start $PACKAGE again: $out" || return 1
    case_serves
}

case_sigterm_pid1() {
    local out rc
    out=$(python3 "$HERE/stop_watch.py" "$CPID" "$STOP_WINDOW")
    rc=$?
    echo "$out" | sed 's/^/    /'
    [ "$rc" = 0 ] || fail "not every process ended by the shutdown within ${STOP_WINDOW} s" || return 1
    wait "$NSPAWN_PID"
    rc=$?
    NSPAWN_PID=""
    [ "$rc" = 0 ] || fail "PID 1 exited with $rc (want 0): $(tail -n 5 "$WORK/nspawn.log" | tr '\n' ' ')" || return 1
    [ "$(cat "$WORK/evidence/sentinel" 2>/dev/null)" = SIGTERM ] ||
        fail "the sentinel unit was not stopped with SIGTERM (evidence: '$(cat "$WORK/evidence/sentinel" 2>/dev/null)')"
}

boot_container
echo "unitrun: $BINARY ($("$BINARY" --version 2>&1 | head -n 1)), PID 1 of the container is host pid $CPID"
run_case "PID 1 is unitrun init" case_pid1_is_unitrun
run_case "unitrun install-systemctl" case_install_systemctl
run_case "apt-get install $PACKAGE: the postinst enables and starts it" case_apt_install_starts
run_case "$PACKAGE serves" case_serves
run_case "show -p MainPID --value is the master from /proc" case_mainpid
run_case "status and is-active" case_status
run_case "restart: a new master, MainPID follows" case_restart
run_case "stop: no process left, is-active inactive (3)" case_stop
run_case "an enabled sentinel unit and $PACKAGE running" case_sentinel
run_case "SIGTERM to PID 1: everything stopped within ${STOP_WINDOW} s, exit 0" case_sigterm_pid1
finish
