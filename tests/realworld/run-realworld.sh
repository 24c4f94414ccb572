#!/usr/bin/env bash
# The realworld suite: Debian 12's own daemons, started by unitrun from the
# unit files their packages ship, unchanged.
#
#   tests/realworld/run-realworld.sh [--only NAME[,NAME...]] UNITRUN_BINARY
#   tests/realworld/run-realworld.sh --prepare-only     # install the packages and stop
#
# NAME is a unit name: nginx, redis-server, memcached, ssh, haproxy, rsyslog,
# cron (UNITRUN_REALWORLD_ONLY=NAME,... does the same as --only).
#
# 1. Installs the packages that are missing (nginx redis-server memcached
#    openssh-server haproxy rsyslog cron) with apt-get, a policy-rc.d that
#    answers 101 in place during the install (the one there before is put
#    back exactly, or none), and checks that the install started nothing.
# 2. For each daemon, with /lib/systemd/system/NAME.service as the package
#    installed it (md5sum checked against dpkg's): start, serves (HTTP 200,
#    PING -> PONG, memcached stats, the SSH banner, a line through /dev/log
#    into /var/log/syslog, a cron @reboot job), status (main PID as the
#    daemon's own pidfile or answer says), the protections of its sandboxing
#    keys (seen from /proc), reload (a config change applies; exit 3 without
#    ExecReload=), kill -9 of the main process (handled as its Restart= says),
#    stop (no process, no listening port, no RuntimeDirectory=, no PIDFile=).
# 3. Leaves the machine as it found it: every unit it started stopped, every
#    config it changed restored, every file it added removed (unitrun's state
#    files of the unit included). The packages stay installed, so a second
#    run needs no network.
#
# Each check prints "PASS name (N s)" or "FAIL name: why"; a daemon that
# cannot be tested here (it already runs, its port is taken, its package
# could not be installed) prints "SKIP name: why". The last line is
# "N passed, N failed"; the exit status is 1 on any failure.
# When the suite cannot run at all (not root, no apt and packages missing, or
# none could be installed) it prints "SKIPPED: why" and exits 0; with
# UNITRUN_REALWORLD_REQUIRED=1 (CI) that and every SKIP are failures.
# UNITRUN_REALWORLD_VERBOSE=1 prints `unitrun status` after every check.
# Two runs on one machine take turns (flock on /run/lock/unitrun-realworld.lock):
# they would share the ports and the units' names.
# See DEVELOPERS.md, "The realworld suite".
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REQUIRED=${UNITRUN_REALWORLD_REQUIRED:-0}
ONLY=${UNITRUN_REALWORLD_ONLY:-}
VERBOSE=${UNITRUN_REALWORLD_VERBOSE:-0}
PYTHON=/usr/bin/python3
PROBE=("$PYTHON" "$HERE/probe.py")
POLICY=/usr/sbin/policy-rc.d
APT_OPTIONS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
# A port no other test of the project uses, for haproxy's frontend.
HAPROXY_PORT=${UNITRUN_REALWORLD_HAPROXY_PORT:-18404}
WAIT=30      # seconds any wait may take before it is a failure
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

ALL=(nginx redis-server memcached ssh haproxy rsyslog cron)
declare -A PACKAGE=([nginx]=nginx [redis-server]=redis-server [memcached]=memcached
    [ssh]=openssh-server [haproxy]=haproxy [rsyslog]=rsyslog [cron]=cron)
# The program each daemon's processes run (its /proc/PID/exe).
declare -A PROGRAM=([nginx]=/usr/sbin/nginx [redis-server]=/usr/bin/redis-server
    [memcached]=/usr/bin/memcached [ssh]=/usr/sbin/sshd [haproxy]=/usr/sbin/haproxy
    [rsyslog]=/usr/sbin/rsyslogd [cron]=/usr/sbin/cron)
declare -A PORT=([nginx]=80 [redis-server]=6379 [memcached]=11211 [ssh]=22 [haproxy]=$HAPROXY_PORT)
# Files each daemon makes when it runs (pidfiles, sockets, data, its own log):
# put back as they were before its case, i.e. removed when they were not there.
declare -A DAEMON_FILES=([nginx]="/run/nginx.pid"
    [redis-server]="/run/redis/redis-server.pid /var/lib/redis/dump.rdb /var/log/redis/redis-server.log"
    [memcached]="/run/memcached/memcached.pid"
    [ssh]="/run/sshd.pid"
    [haproxy]="/run/haproxy.pid /run/haproxy-master.sock /run/haproxy/admin.sock /var/lib/haproxy/dev/log"
    [rsyslog]="" [cron]="/run/crond.pid /run/crond.reboot")

usage() { sed -n '2,39p' "$0"; }

PREPARE_ONLY=0
BINARY=${UNITRUN_BINARY:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --only) ONLY="${ONLY:+$ONLY,}${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
        --only=*) ONLY="${ONLY:+$ONLY,}${1#--only=}"; shift ;;
        --prepare-only) PREPARE_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; exit 2 ;;
        *) BINARY=$1; shift ;;
    esac
done

SELECTED=()
if [ -n "$ONLY" ]; then
    IFS=', ' read -r -a wanted <<<"$ONLY"
    for w in "${wanted[@]}"; do
        [ -z "$w" ] && continue
        w=${w%.service}
        case "$w" in redis) w=redis-server ;; sshd|openssh-server) w=ssh ;; syslog) w=rsyslog ;; esac
        [ -n "${PACKAGE[$w]:-}" ] || { echo "unknown daemon '$w' (one of: ${ALL[*]})" >&2; exit 2; }
        SELECTED+=("$w")
    done
else
    SELECTED=("${ALL[@]}")
fi

cannot_run() {
    if [ "$REQUIRED" = 1 ]; then
        echo "FAIL realworld: cannot run: $* (UNITRUN_REALWORLD_REQUIRED=1: the suite had to run)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "SKIPPED: $*"
    exit 0
}

[ "$(id -u)" -eq 0 ] || cannot_run "not root (the suite installs packages and runs system daemons on their ports)"
if [ "$PREPARE_ONLY" = 0 ]; then
    if [ -z "$BINARY" ] || [ ! -x "$BINARY" ]; then
        usage >&2
        exit 2
    fi
    BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
fi
[ -x "$PYTHON" ] || cannot_run "no $PYTHON (Debian's python3), which the probes need"
for tool in ss pgrep nsenter logger dpkg-query md5sum timeout; do
    command -v "$tool" >/dev/null 2>&1 || cannot_run "no $tool on this machine"
done

PASSED=0
FAILED=0
SKIPS=0
T=$(mktemp -d /tmp/unitrun-realworld.XXXXXX)
chmod 755 "$T"
TOKEN="rw$$-$(date +%s)"
declare -A SUMMARY=()

log() { echo "realworld: $*" >&2; }

# One run at a time on this machine (the ports, the unit names, the configs).
# The lock's fd 9 is closed for unitrun (ur), so no monitor keeps it.
LOCK=/run/lock/unitrun-realworld.lock
exec 9>>"$LOCK"
if ! flock -n 9; then
    log "another run of the suite holds $LOCK; waiting (at most 30 min)"
    flock -w 1800 9 || cannot_run "another run of the suite kept $LOCK for 30 minutes"
fi
now_ms() { date +%s%3N; }
secs_since() { local d=$(($(now_ms) - $1)); printf '%d.%02d' $((d / 1000)) $((d % 1000 / 10)); }

CASE=""
# The summary keeps each check's short name: its label up to a ':' or '('.
note_result() {
    local k=${1%%[:(]*}
    [ -n "$CASE" ] && SUMMARY[$CASE]="${SUMMARY[$CASE]:-}${k% }=$2, "
}
pass() {
    echo "PASS $CASE: $1${2:+ ($2 s)}"
    PASSED=$((PASSED + 1))
    note_result "$1" PASS
    [ "$VERBOSE" = 1 ] && [ "$CASE_RUNNING" = 1 ] && status_text | detail
    return 0
}
fail() { echo "FAIL $CASE: $1: $2"; FAILED=$((FAILED + 1)); note_result "$1" FAIL; }
skip_case() {
    if [ "$REQUIRED" = 1 ]; then
        fail "$1" "cannot be tested here: $2 (UNITRUN_REALWORLD_REQUIRED=1)"
    else
        echo "SKIP $CASE: $1: $2"
        SKIPS=$((SKIPS + 1))
        note_result "$1" SKIP
    fi
}
# The indented lines of detail under a FAIL (unitrun's output, a status).
detail() { sed 's/^/    | /' "$@" | head -n 40; }

# ---- policy-rc.d: 101 during the install, then exactly what was there ----------

POLICY_SWAPPED=0
POLICY_HAD=0
policy_swap() {
    if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then
        cp -a "$POLICY" "$T/policy-rc.d.orig" || return 1
        POLICY_HAD=1
    fi
    printf '#!/bin/sh\n# unitrun realworld suite: no daemon starts during its install\nexit 101\n' >"$POLICY.unitrun-realworld" &&
        chmod 755 "$POLICY.unitrun-realworld" &&
        mv -f "$POLICY.unitrun-realworld" "$POLICY" || return 1
    POLICY_SWAPPED=1
}
policy_restore() {
    [ "$POLICY_SWAPPED" = 1 ] || return 0
    if [ "$POLICY_HAD" = 1 ]; then
        cp -a "$T/policy-rc.d.orig" "$POLICY.unitrun-realworld" && mv -f "$POLICY.unitrun-realworld" "$POLICY"
    else
        rm -f "$POLICY"
    fi
    POLICY_SWAPPED=0
}

# ---- processes -----------------------------------------------------------------

# PIDs whose executable is $1 (one find: a readlink per process would take
# seconds on a machine with a few thousand processes).
procs_of() {
    find /proc/[0-9]*/exe -maxdepth 0 -lname "$1" -printf '%h\n' 2>/dev/null | sed 's|^/proc/||'
}
# PIDs whose command name is $1 (for programs not installed yet).
procs_named() { pgrep -x "$1" 2>/dev/null; }
# The start time of a process (clock ticks since boot), empty when it is gone
# or a zombie (PID 1 here reaps orphans only every second or two).
starttime() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    [ "$1" = Z ] || echo "${20}"
}
boot_ticks_now() {
    local up
    up=$(cut -d' ' -f1 /proc/uptime)
    echo $((${up%.*} * $(getconf CLK_TCK) + 10#${up#*.} * $(getconf CLK_TCK) / 100))
}
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
listeners() { ss -Hltnp "sport = :$1" 2>/dev/null | awk '{ print $4, $6 }' | tr '\n' ' '; }

# wait_until SECONDS CMD...: runs CMD every 0.2 s until it succeeds.
wait_until() {
    local secs=$1 end
    shift
    end=$(($(now_ms) + secs * 1000))
    while :; do
        "$@" && return 0
        [ "$(now_ms)" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# ---- the packages ----------------------------------------------------------------

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

prepare_packages() {
    local missing=() d p pkgs=() before=() t0 pid st install_start
    for d in "${SELECTED[@]}"; do
        p=${PACKAGE[$d]}
        installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || cannot_run "no apt-get, and ${missing[*]} not installed"
    log "installing ${missing[*]} (apt-get; policy-rc.d answers 101 meanwhile, so nothing starts)"
    t0=$(now_ms)
    for d in "${ALL[@]}"; do
        mapfile -t -O "${#before[@]}" before < <(procs_named "$(basename "${PROGRAM[$d]}")")
    done
    install_start=$(boot_ticks_now)
    policy_swap || cannot_run "could not put a policy-rc.d in place at $POLICY"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTIONS[@]}" "${missing[@]}" >"$T/apt.log" 2>&1 9>&-; then
        log "apt-get install failed; apt-get update, then again"
        { apt-get update -q -o DPkg::Lock::Timeout=300 &&
            DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTIONS[@]}" "${missing[@]}"; } >>"$T/apt.log" 2>&1 9>&-
    fi
    policy_restore
    INSTALL_SECONDS=$(secs_since "$t0")
    pkgs=()
    for p in "${missing[@]}"; do installed "$p" || pkgs+=("$p"); done
    if [ ${#pkgs[@]} -gt 0 ]; then
        tail -n 20 "$T/apt.log" | sed 's/^/realworld: apt: /' >&2
        [ ${#pkgs[@]} -eq ${#missing[@]} ] && [ ${#missing[@]} -eq ${#SELECTED[@]} ] &&
            cannot_run "${pkgs[*]} could not be installed (no network? the end of apt-get's output is above)"
        log "could not install ${pkgs[*]}: their cases are skipped"
    fi
    log "installed in $INSTALL_SECONDS s"
    # The install must not have started a daemon. Should one run all the same
    # (a policy-rc.d ignored), it is stopped: only a process of one of these
    # programs that was not there before and began during the install.
    CASE=install
    local started=()
    for d in "${ALL[@]}"; do
        for pid in $(procs_named "$(basename "${PROGRAM[$d]}")"); do
            [[ " ${before[*]} " == *" $pid "* ]] && continue
            st=$(starttime "$pid")
            [ -n "$st" ] && [ "$st" -ge "$install_start" ] && started+=("$pid")
        done
    done
    if [ ${#started[@]} -eq 0 ]; then
        pass "apt-get started no daemon (policy-rc.d 101)"
    else
        fail "apt-get started no daemon" "running after the install: $(ps -o pid=,args= -p "${started[*]}" | tr '\n' ';'); stopping them"
        kill -TERM "${started[@]}" 2>/dev/null
        sleep 3
        for pid in "${started[@]}"; do [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null; done
    fi
    CASE=""
}

# ---- what a case changes, and how to undo it ---------------------------------------

RESTORE=()      # "path|backup" (backup empty: the path did not exist)
# backup PATH: remembers PATH as it is now (a file, a symlink, or nothing).
backup() {
    local path=$1 copy
    copy="$T/backup/$(echo "$path" | tr / _)"
    mkdir -p "$T/backup"
    if [ -e "$path" ] || [ -L "$path" ]; then
        [ -e "$copy" ] || [ -L "$copy" ] || cp -a "$path" "$copy"
        RESTORE+=("$path|$copy")
    else
        RESTORE+=("$path|")
    fi
}
restore_all() {
    local i entry path copy
    for ((i = ${#RESTORE[@]} - 1; i >= 0; i--)); do
        entry=${RESTORE[$i]}
        path=${entry%%|*}
        copy=${entry#*|}
        rm -f "$path"
        [ -n "$copy" ] && cp -a "$copy" "$path"
    done
    RESTORE=()
    rm -rf "$T/backup"
}

# ---- unitrun --------------------------------------------------------------------

UNIT=""
RC=0
# ur VERB: unitrun VERB UNIT, bounded; sets RC, output in $T/out.
ur() {
    timeout 120 "$BINARY" "$1" "$UNIT" >"$T/out" 2>&1 9>&-
    RC=$?
}
SEEN=()         # "pid:starttime" of every service process unitrun reported for the case
MONITORS=()     # the same for the unit's monitors
remember() {
    local st
    st=$(starttime "$2")
    [ -n "$st" ] || return 0
    if [ "$1" = monitor ]; then
        [[ " ${MONITORS[*]} " == *" $2:$st "* ]] || MONITORS+=("$2:$st")
    else
        [[ " ${SEEN[*]} " == *" $2:$st "* ]] || SEEN+=("$2:$st")
    fi
}
# status_json: unitrun status --json UNIT into $T/status.json; sets RC.
status_json() {
    local pid
    timeout 30 "$BINARY" status --json "$UNIT" >"$T/status.json" 2>"$T/status.err"
    RC=$?
    S_pids=""
    S_monitor_pid=""
    eval "$("${PROBE[@]}" status "$T/status.json")"
    for pid in $S_pids; do remember service "$pid"; done
    [ -n "$S_monitor_pid" ] && [ "$S_monitor_pid" != 0 ] && remember monitor "$S_monitor_pid"
    return 0
}
# The PIDs of a "pid:starttime" list that still name the same process.
alive() {
    local entry
    for entry in "$@"; do
        [ "$(starttime "${entry%%:*}")" = "${entry#*:}" ] && echo "${entry%%:*}"
    done
}
# A field of the last status_json (main_pid, monitor_pid, active_state,
# sub_state, result, restarts).
field() { local v="S_$1"; echo "${!v:-}"; }
main_pid() { status_json; field main_pid; }
status_text() { timeout 30 "$BINARY" status "$UNIT" 2>&1 | head -n 30; }

# The last value of KEY= in the unit's [Service] section.
unit_value() {
    awk -v key="$1" '
        /^[ \t]*\[/ { section = $0; gsub(/[ \t]/, "", section); next }
        section == "[Service]" && index($0, key "=") == 1 { value = substr($0, length(key) + 2) }
        END { print value }' "$UNIT"
}
unit_has() { grep -q "^$1=" "$UNIT"; }

# ---- the daemons: configuration, probes, and their own idea of the main PID -----------

# Each daemon has: setup_NAME (configuration; every change through backup),
# serves_NAME (one probe; WHY says what was seen), ownpid_NAME (the main PID
# as the daemon says), and where its unit has ExecReload=, change_NAME (a
# config change) and changed_NAME (one probe that it applies). Optional:
# stopped_NAME (more checks after stop), cleanup_NAME.
WHY=""

# nginx: the default site moved aside, a site of ours on 127.0.0.1:80.
NGINX_SITE=/etc/nginx/sites-enabled/unitrun-realworld
setup_nginx() {
    backup /etc/nginx/sites-enabled/default
    rm -f /etc/nginx/sites-enabled/default
    backup "$NGINX_SITE"
    nginx_site ""
}
nginx_site() {
    cat >"$NGINX_SITE" <<EOF
# unitrun realworld suite (removed at its end)
server {
    listen 127.0.0.1:80 default_server;
    server_name _;
    location = / { default_type text/plain; return 200 "unitrun-realworld nginx $TOKEN\n"; }
$1
}
EOF
}
serves_nginx() {
    WHY=$("${PROBE[@]}" http http://127.0.0.1:80/) || return 1
    [ "$WHY" = "200 unitrun-realworld nginx $TOKEN" ]
}
ownpid_nginx() { cat /run/nginx.pid 2>/dev/null; }
change_nginx() {
    nginx_site "    location = /reloaded { default_type text/plain; return 200 \"reloaded $TOKEN\n\"; }"
    WHY=$("${PROBE[@]}" http http://127.0.0.1:80/reloaded)
    case "$WHY" in 404*) return 0 ;; *) WHY="before the reload, /reloaded answered: $WHY"; return 1 ;; esac
}
changed_nginx() {
    WHY=$("${PROBE[@]}" http http://127.0.0.1:80/reloaded) || return 1
    [ "$WHY" = "200 reloaded $TOKEN" ]
}

# redis-server: Debian's redis.conf binds 127.0.0.1 and ::1, port 6379, as it is.
setup_redis-server() { :; }
serves_redis-server() { WHY=$("${PROBE[@]}" redis 127.0.0.1 6379); }
ownpid_redis-server() { cat /run/redis/redis-server.pid 2>/dev/null; }

# memcached: Debian's memcached.conf listens on 127.0.0.1:11211, as it is.
setup_memcached() { :; }
serves_memcached() { WHY=$("${PROBE[@]}" memcached 127.0.0.1 11211); }
ownpid_memcached() { local a; a=$("${PROBE[@]}" memcached 127.0.0.1 11211) && echo "${a#pid }"; }

# ssh: a drop-in (Debian's sshd_config includes sshd_config.d/*.conf) for
# 127.0.0.1 only; the reload adds a VersionAddendum, seen in the banner.
SSH_DROPIN=/etc/ssh/sshd_config.d/unitrun-realworld.conf
setup_ssh() {
    grep -q '^Include /etc/ssh/sshd_config.d/\*\.conf' /etc/ssh/sshd_config ||
        log "ssh: /etc/ssh/sshd_config does not include sshd_config.d: the drop-in may not apply"
    backup "$SSH_DROPIN"
    printf '# unitrun realworld suite (removed at its end)\nListenAddress 127.0.0.1\n' >"$SSH_DROPIN"
}
serves_ssh() {
    WHY=$("${PROBE[@]}" banner 127.0.0.1 22) || return 1
    [[ "$WHY" == SSH-2.0-* ]]
}
ownpid_ssh() { cat /run/sshd.pid 2>/dev/null; }
change_ssh() { printf 'VersionAddendum %s\n' "$TOKEN" >>"$SSH_DROPIN"; }
changed_ssh() {
    WHY=$("${PROBE[@]}" banner 127.0.0.1 22) || return 1
    [[ "$WHY" == SSH-2.0-*" $TOKEN" ]]
}

# haproxy: a frontend on 127.0.0.1:$HAPROXY_PORT answering itself
# (http-request return), appended to Debian's haproxy.cfg. Its unit binds
# /dev/log into haproxy's chroot (BindReadOnlyPaths=, no '-'), so /dev/log
# must exist, as it does on every systemd machine (journald's): where it does
# not, a socket is bound there for the case (and removed after it).
HAPROXY_CFG=/etc/haproxy/haproxy.cfg
HAPROXY_DEVLOG_MADE=0
setup_haproxy() {
    backup "$HAPROXY_CFG"
    haproxy_frontend "unitrun-realworld haproxy $TOKEN"
    if [ ! -e /dev/log ]; then
        "$PYTHON" -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind("/dev/log")' &&
            HAPROXY_DEVLOG_MADE=1
    fi
}
haproxy_frontend() {
    cp -a "$T/backup/$(echo "$HAPROXY_CFG" | tr / _)" "$HAPROXY_CFG"
    cat >>"$HAPROXY_CFG" <<EOF

# unitrun realworld suite (removed at its end)
frontend unitrun_realworld
	bind 127.0.0.1:$HAPROXY_PORT
	mode http
	http-request return status 200 content-type text/plain string "$1"
EOF
}
serves_haproxy() {
    WHY=$("${PROBE[@]}" http "http://127.0.0.1:$HAPROXY_PORT/") || return 1
    [ "$WHY" = "200 unitrun-realworld haproxy $TOKEN" ]
}
ownpid_haproxy() { cat /run/haproxy.pid 2>/dev/null; }
change_haproxy() { haproxy_frontend "reloaded $TOKEN"; }
changed_haproxy() {
    WHY=$("${PROBE[@]}" http "http://127.0.0.1:$HAPROXY_PORT/") || return 1
    [ "$WHY" = "200 reloaded $TOKEN" ]
}
cleanup_haproxy() {
    if [ "$HAPROXY_DEVLOG_MADE" = 1 ] && [ -S /dev/log ] && ! ss -Hxl 2>/dev/null | grep -q ' /dev/log '; then
        rm -f /dev/log
    fi
    HAPROXY_DEVLOG_MADE=0
}

# rsyslog: Debian's rsyslog.conf as it is (imuxsock on /dev/log, *.* to
# /var/log/syslog); logger sends a line through /dev/log.
RSYSLOG_DEVLOG_HAD=0
RSYSLOG_LOGS_BEFORE=""
RSYSLOG_N=0
# Someone else's syslog socket (journald's on a systemd host, another
# syslogd) would take the test's line, and rsyslog would take its socket.
precondition_rsyslog() {
    local path
    path=$(readlink -f /dev/log 2>/dev/null) || path=/dev/log
    if [ -e /dev/log ] && ss -Hxl 2>/dev/null | awk '{ print $5 }' | grep -qxF -e "$path" -e /dev/log; then
        WHY="/dev/log ($path) is served already: $(ss -Hxlp 2>/dev/null | grep -F -e " $path " -e ' /dev/log ' | head -n 1 | tr -s ' ')"
        return 1
    fi
}

# The files rsyslog's configuration writes (its file actions).
rsyslog_files() {
    cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf 2>/dev/null |
        awk '$1 !~ /^#/ && NF >= 2 { f = $NF; sub(/^-/, "", f); if (f ~ /^\/var\/log\//) print f }' | sort -u
}
setup_rsyslog() {
    local f
    [ -e /dev/log ] && RSYSLOG_DEVLOG_HAD=1
    RSYSLOG_LOGS_BEFORE=""
    for f in $(rsyslog_files); do
        [ -e "$f" ] && RSYSLOG_LOGS_BEFORE+="$f"$'\n'
    done
}
serves_rsyslog() {
    local line="unitrun-realworld rsyslog $TOKEN $RSYSLOG_N"
    if ! WHY=$(logger --socket-errors=on -u /dev/log -t unitrun-realworld "$line" 2>&1); then
        WHY="logger: $WHY"
        return 1
    fi
    if wait_until 5 grep -qF "$line" /var/log/syslog 2>/dev/null; then
        RSYSLOG_N=$((RSYSLOG_N + 1))
        WHY="a line sent through /dev/log (logger) reached /var/log/syslog"
        return 0
    fi
    WHY="'$line' sent through /dev/log did not reach /var/log/syslog in 5 s"
    return 1
}
ownpid_rsyslog() { procs_of /usr/sbin/rsyslogd | head -n 1; }
stopped_rsyslog() {
    if ss -Hxl 2>/dev/null | grep -q ' /dev/log '; then
        fail "/dev/log released after stop" "something still listens on /dev/log: $(ss -Hxlp | grep ' /dev/log ')"
        return 1
    fi
    pass "/dev/log released after stop"
}
cleanup_rsyslog() {
    local f
    # What the case caused: /dev/log (rsyslog's imuxsock made it) and the log
    # files rsyslog created; what was there before stays.
    if [ "$RSYSLOG_DEVLOG_HAD" = 0 ] && [ -S /dev/log ] && ! ss -Hxl 2>/dev/null | grep -q ' /dev/log '; then
        rm -f /dev/log
    fi
    for f in $(rsyslog_files); do
        [ -f "$f" ] && ! grep -qxF "$f" <<<"$RSYSLOG_LOGS_BEFORE" && rm -f "$f"
    done
}

# cron: an @reboot job in /etc/cron.d proves cron read its tables without
# waiting for a minute. cron runs @reboot jobs only when /run/crond.reboot
# does not exist yet (its first start since boot); if it does, the probe is
# the process alone.
CRON_FILE=/etc/cron.d/unitrun-realworld
CRON_OUT=/run/unitrun-realworld-cron.out
CRON_REBOOT_PROBE=0
setup_cron() {
    backup "$CRON_FILE"
    backup "$CRON_OUT"
    rm -f "$CRON_OUT"
    if [ ! -e /run/crond.reboot ]; then
        CRON_REBOOT_PROBE=1
        printf '# unitrun realworld suite (removed at its end)\n@reboot root echo %s >%s\n' "$TOKEN" "$CRON_OUT" >"$CRON_FILE"
        chmod 644 "$CRON_FILE"
    else
        CRON_REBOOT_PROBE=0
        log "cron: /run/crond.reboot exists (cron ran since boot): no @reboot probe, the process alone"
    fi
}
CRON_PROBED=0
serves_cron() {
    local pid
    pid=$(procs_of /usr/sbin/cron | head -n 1)
    [ -n "$pid" ] || { WHY="no /usr/sbin/cron process"; return 1; }
    if [ "$CRON_REBOOT_PROBE" = 1 ] && [ "$CRON_PROBED" = 0 ]; then
        # Only the first start of the case runs @reboot jobs.
        [ "$(cat "$CRON_OUT" 2>/dev/null)" = "$TOKEN" ] || { WHY="the @reboot job of $CRON_FILE did not run ($CRON_OUT)"; return 1; }
        CRON_PROBED=1
        WHY="cron (pid $pid) ran the @reboot job of $CRON_FILE"
        return 0
    fi
    WHY="cron runs (pid $pid)"
}
ownpid_cron() { cat /run/crond.pid 2>/dev/null; }

# ---- one daemon ----------------------------------------------------------------------

UNITRUN_FILES_BEFORE=""
RUNTIME_DIRS=()
declare -A RUNTIME_DIR_HAD=()
CASE_START_TICKS=0
CASE_RUNNING=0

# True when the unit's processes are all gone and the port is free.
daemon_gone() {
    [ -z "$(procs_of "${PROGRAM[$CASE]}")" ] || return 1
    [ -z "${PORT[$CASE]:-}" ] || ! listening "${PORT[$CASE]}"
}
# Serves its original configuration, or the one the reload step changed
# (a daemon started again after that step reads the changed one).
serving() {
    "serves_$CASE" && return 0
    declare -F "changed_$CASE" >/dev/null && "changed_$CASE"
}

unitrun_files() {
    ls -d /run/unitrun/"$CASE".service.* /run/unitrun/."$CASE".service.* /var/log/unitrun/"$CASE".service.log 2>/dev/null | sort
}

case_preconditions() {
    local pkg=${PACKAGE[$CASE]} owner sum want pids
    installed "$pkg" || { skip_case "package" "$pkg is not installed and could not be"; return 1; }
    [ -f "$UNIT" ] || { fail "unit file" "$UNIT missing although $pkg is installed"; return 1; }
    owner=$(dpkg-query -S "$UNIT" 2>/dev/null | head -n 1 | cut -d: -f1)
    want=$(cat /var/lib/dpkg/info/"$owner".md5sums /var/lib/dpkg/info/"$owner":*.md5sums 2>/dev/null |
        awk -v p="${UNIT#/}" '$2 == p { print $1; exit }')
    sum=$(md5sum "$UNIT" | cut -d' ' -f1)
    if [ -z "$want" ] || [ "$sum" != "$want" ]; then
        fail "unit file is the package's" "$UNIT (package ${owner:-?}): md5sum $sum, dpkg's ${want:-unknown}: not the shipped file"
        return 1
    fi
    pass "unit file is the package's ($owner, md5sum $sum)"
    pids=$(procs_of "${PROGRAM[$CASE]}" | tr '\n' ' ')
    if [ -n "$pids" ]; then
        skip_case "start" "${PROGRAM[$CASE]} already runs here (pid $pids), not started by this suite: its processes and config are left alone"
        return 1
    fi
    if [ -n "${PORT[$CASE]:-}" ] && listening "${PORT[$CASE]}"; then
        skip_case "start" "port ${PORT[$CASE]} is taken: $(listeners "${PORT[$CASE]}")"
        return 1
    fi
    if declare -F "precondition_$CASE" >/dev/null && ! "precondition_$CASE"; then
        skip_case "start" "$WHY"
        return 1
    fi
    return 0
}

# The refused keys of a failed start, one line: "A= B= (reason)".
refused_keys() {
    awk -F': ' '/ is refused: / {
            k = $2; sub(/ is refused$/, "", k); r = $0; sub(/.* is refused: /, "", r); sub(/: refused rather.*/, "", r)
            if (!(k in seen)) { seen[k] = 1; keys[r] = keys[r] " " k } }
        END { for (r in keys) printf "%s(%s) ", substr(keys[r], 2) " ", r }' "$T/out"
}

# What a start failure unitrun reports means here, where it is known.
explain_start_failure() {
    local limit hard
    if grep -q 'setrlimit: Operation not permitted' "$T/out"; then
        limit=$(unit_value LimitNOFILE)
        hard=$(ulimit -Hn)
        # CAP_SYS_RESOURCE is bit 24 of the effective set.
        if [ -n "$limit" ] && (((0x$(awk '/^CapEff:/ { print $2 }' /proc/self/status) >> 24 & 1) == 0)); then
            printf ' [LimitNOFILE=%s is above the hard limit here (%s) and this root has no CAP_SYS_RESOURCE to raise it; systemd clamps the limit to the closest permitted value (setrlimit_closest()) and starts the service]' "$limit" "$hard"
        fi
    fi
}

step_start() {
    local t0
    t0=$(now_ms)
    ur start
    local took
    took=$(secs_since "$t0")
    CASE_RUNNING=1
    if [ "$RC" -ne 0 ]; then
        if grep -q ' is refused: ' "$T/out"; then
            fail "start" "exit $RC, unitrun refuses the shipped unit: $(refused_keys)"
            awk '!seen[$0]++' "$T/out" | detail
        else
            fail "start" "exit $RC: $(head -n 5 "$T/out" | tr '\n' ' ')$(explain_start_failure)"
            detail "$T/out"
            status_text | detail
        fi
        return 1
    fi
    pass "start" "$took"
    return 0
}

step_serves() {
    local label=${1:-serves} t0
    t0=$(now_ms)
    if wait_until "$WAIT" serving; then
        pass "$label: $WHY" "$(secs_since "$t0")"
        return 0
    fi
    fail "$label" "$WHY (for ${WAIT} s)"
    status_text | detail
    return 1
}

step_status() {
    local mp own exe
    status_json
    if [ "$RC" -ne 0 ]; then
        fail "status" "exit $RC (running is 0): $(tr '\n' ' ' <"$T/status.err")"
        status_text | detail
        return 1
    fi
    mp=$(field main_pid)
    own=$("ownpid_$CASE")
    exe=$(readlink "/proc/$mp/exe" 2>/dev/null)
    if [ "$(field active_state)" != active ] || [ -z "$mp" ] || [ "$mp" = 0 ]; then
        fail "status" "active_state '$(field active_state)' sub_state '$(field sub_state)', main PID '$mp'"
        status_text | detail
        return 1
    fi
    if [ "$mp" != "$own" ] || [ "$exe" != "${PROGRAM[$CASE]}" ]; then
        fail "status: main PID" "unitrun says $mp ($exe), the daemon says ${own:-nothing}"
        status_text | detail
        return 1
    fi
    pass "status: exit 0, active ($(field sub_state)), main PID $mp = the daemon's own"
}

# The unit's process properties that /proc shows (LimitNOFILE=, User=,
# Group=, UMask=, IgnoreSIGPIPE=no), where it sets any.
step_properties() {
    local mp
    grep -qE '^(LimitNOFILE|User|Group|UMask|IgnoreSIGPIPE)=' "$UNIT" || return 0
    mp=$(main_pid)
    if ! "${PROBE[@]}" properties "$mp" "$UNIT" >"$T/properties" 2>&1; then
        fail "properties" "$(grep '^NOT' "$T/properties" | tr '\n' ' ')(pid $mp)"
        return 1
    fi
    pass "properties: $(tail -n 1 "$T/properties")"
}

step_protections() {
    local mp
    mp=$(main_pid)
    if ! "${PROBE[@]}" protections "$mp" "$UNIT" >"$T/protections" 2>&1; then
        fail "protections" "not all of the unit's sandboxing keys are in force on pid $mp:"
        detail "$T/protections"
        return 1
    fi
    pass "protections: $(grep -c ': in force' "$T/protections") keys seen in force on the main process, $(grep -c ': not checked' "$T/protections") not visible from outside"
    echo "NOTE $CASE protections:"
    sed 's/^/    /' "$T/protections"
}

step_reload() {
    local before after t0
    before=$(main_pid)
    if ! unit_has ExecReload; then
        ur reload
        after=$(main_pid)
        if [ "$RC" -eq 3 ] && [ "$after" = "$before" ]; then
            pass "reload: exit 3 (no ExecReload=, as systemd: cannot be reloaded), service left alone: $(head -n 1 "$T/out")"
        else
            fail "reload" "exit $RC (expected 3: the unit has no ExecReload=), main PID $before -> $after: $(head -n 3 "$T/out" | tr '\n' ' ')"
        fi
        return
    fi
    if ! "change_$CASE"; then
        fail "reload" "$WHY"
        return 1
    fi
    t0=$(now_ms)
    ur reload
    if [ "$RC" -ne 0 ]; then
        fail "reload" "exit $RC: $(head -n 5 "$T/out" | tr '\n' ' ')"
        status_text | detail
        return 1
    fi
    if ! wait_until "$WAIT" "changed_$CASE"; then
        fail "reload" "exit 0, but the config change does not apply: $WHY"
        status_text | detail
        return 1
    fi
    after=$(main_pid)
    pass "reload: exit 0, the change applies ($WHY), main PID $before -> $after" "$(secs_since "$t0")"
}

# kill -9 of the main process, then what the unit's Restart= says.
step_kill9() {
    local restart mp new t0 state
    restart=$(unit_value Restart)
    mp=$(main_pid)
    if [ -z "$mp" ] || [ "$mp" = 0 ]; then
        fail "kill -9" "no main PID to kill"
        return 1
    fi
    t0=$(now_ms)
    kill -KILL "$mp"
    case "${restart:-no}" in
        always|on-failure|on-abnormal|on-abort)
            new_main() {
                status_json
                new=$(field main_pid)
                [ "$RC" -eq 0 ] && [ "$(field active_state)" = active ] && [ -n "$new" ] && [ "$new" != 0 ] && [ "$new" != "$mp" ]
            }
            if ! wait_until "$WAIT" new_main; then
                fail "kill -9 (Restart=$restart)" "no new main process in ${WAIT} s: status exit $RC, $(field active_state)/$(field sub_state), main PID '$(field main_pid)'"
                status_text | detail
                return 1
            fi
            if ! wait_until "$WAIT" serving; then
                fail "kill -9 (Restart=$restart)" "restarted (main PID $mp -> $new) but does not serve: $WHY"
                status_text | detail
                return 1
            fi
            pass "kill -9 (Restart=$restart): restarted, main PID $mp -> $new (restarts: $(field restarts)), serves again" "$(secs_since "$t0")"
            ;;
        *)
            ended() { status_json; [ "$RC" -ne 0 ] && daemon_gone; }
            if ! wait_until "$WAIT" ended; then
                fail "kill -9 (Restart=${restart:-no})" "after ${WAIT} s: status exit $RC, $(field active_state)/$(field sub_state); left: $(procs_of "${PROGRAM[$CASE]}" | tr '\n' ' ') ${PORT[$CASE]:+port ${PORT[$CASE]}: $(listeners "${PORT[$CASE]}")}"
                status_text | detail
                return 1
            fi
            state="$(field active_state) (result $(field result))"
            if [ "$(field active_state)" != failed ]; then
                fail "kill -9 (Restart=${restart:-no})" "nothing left, but the unit is $state; systemd: failed (Result: signal)"
                status_text | detail
            else
                pass "kill -9 (Restart=${restart:-no}): no restart, unit $state, status exit $RC, no process or port left" "$(secs_since "$t0")"
            fi
            # Started again, so that stop is tried on a running daemon.
            t0=$(now_ms)
            ur start
            if [ "$RC" -ne 0 ]; then
                fail "start after the failure" "exit $RC: $(head -n 5 "$T/out" | tr '\n' ' ')"
                status_text | detail
                return 1
            fi
            pass "start after the failure" "$(secs_since "$t0")"
            step_serves "serves after the new start" || return 1
            ;;
    esac
}

step_stop() {
    local t0 took left dir pidfile ok=1
    status_json
    t0=$(now_ms)
    ur stop
    took=$(secs_since "$t0")
    if [ "$RC" -ne 0 ]; then
        fail "stop" "exit $RC: $(head -n 5 "$T/out" | tr '\n' ' ')"
        status_text | detail
        ok=0
    fi
    if ! wait_until 5 daemon_gone; then
        left="processes: $(ps -o pid=,args= -p "$(procs_of "${PROGRAM[$CASE]}" | tr '\n' ',' | sed 's/,$//')" 2>/dev/null | tr '\n' ';')"
        [ -n "${PORT[$CASE]:-}" ] && listening "${PORT[$CASE]}" && left+=" port ${PORT[$CASE]}: $(listeners "${PORT[$CASE]}")"
        fail "stop" "left behind: $left"
        ok=0
    fi
    timeout 30 "$BINARY" status "$UNIT" >/dev/null 2>&1
    RC=$?
    [ "$RC" -eq 3 ] || { fail "stop" "status exits $RC afterwards (3: not running)"; ok=0; }
    for dir in "${RUNTIME_DIRS[@]}"; do
        if [ -e "/run/$dir" ]; then
            fail "stop" "RuntimeDirectory=$dir: /run/$dir is left (systemd removes it at stop: no RuntimeDirectoryPreserve=)"
            ok=0
        fi
    done
    pidfile=$(unit_value PIDFile)
    if [ -n "$pidfile" ] && [ -e "$pidfile" ]; then
        fail "stop" "PIDFile=$pidfile is left (systemd removes it when the service is dead): $(cat "$pidfile" 2>/dev/null)"
        ok=0
    fi
    left=$(ls -d /tmp/unitrun-private-"$CASE".service-* /var/tmp/unitrun-private-"$CASE".service-* /tmp/unitrun-private-"$CASE"-* /var/tmp/unitrun-private-"$CASE"-* 2>/dev/null | tr '\n' ' ')
    [ -z "$left" ] || { fail "stop" "private /tmp left: $left"; ok=0; }
    [ "$ok" = 1 ] && pass "stop: exit 0, no process${PORT[$CASE]:+, port ${PORT[$CASE]} closed}${RUNTIME_DIRS[*]:+, /run/${RUNTIME_DIRS[*]} removed}${pidfile:+, $pidfile removed}, status 3" "$took"
    CASE_RUNNING=0
    if declare -F "stopped_$CASE" >/dev/null; then "stopped_$CASE"; fi
}

# Whatever happened: the unit stopped, and as a last resort the processes the
# case can prove it started ended: the unit's monitors unitrun reported (same
# PID and start time) get SIGTERM, which stops the service as `stop` would,
# then SIGKILL; then the service processes unitrun reported, and those of the
# daemon's program begun since the case started, get SIGKILL. (Killing the
# service alone would not do: its monitor restarts it as Restart= says.)
cleanup_case() {
    local pid st leftovers=() monitors=() dir mode owner f
    if [ "$CASE_RUNNING" = 1 ]; then
        status_json
        timeout 120 "$BINARY" stop "$UNIT" >/dev/null 2>&1 9>&-
        CASE_RUNNING=0
    fi
    mapfile -t monitors < <(alive "${MONITORS[@]}")
    if [ ${#monitors[@]} -gt 0 ]; then
        log "$CASE: the unit's monitor still runs after stop: SIGTERM to $(ps -o pid=,args= -p "$(IFS=,; echo "${monitors[*]}")" | tr '\n' ';')"
        kill -TERM "${monitors[@]}" 2>/dev/null
        monitors_gone() { [ -z "$(alive "${MONITORS[@]}")" ]; }
        if ! wait_until 15 monitors_gone; then
            mapfile -t monitors < <(alive "${MONITORS[@]}")
            log "$CASE: SIGKILL to the monitor ${monitors[*]}"
            kill -KILL "${monitors[@]}" 2>/dev/null
            sleep 0.5
        fi
    fi
    mapfile -t leftovers < <(alive "${SEEN[@]}")
    for pid in $(procs_of "${PROGRAM[$CASE]}"); do
        st=$(starttime "$pid")
        [ -n "$st" ] && [ "$st" -ge "$CASE_START_TICKS" ] && [[ " ${leftovers[*]} " != *" $pid "* ]] && leftovers+=("$pid")
    done
    if [ ${#leftovers[@]} -gt 0 ]; then
        log "$CASE: killing what is left of the case: $(ps -o pid=,args= -p "$(IFS=,; echo "${leftovers[*]}")" | tr '\n' ';')"
        kill -KILL "${leftovers[@]}" 2>/dev/null
        sleep 0.5
    fi
    SEEN=()
    MONITORS=()
    if declare -F "cleanup_$CASE" >/dev/null; then "cleanup_$CASE"; fi
    restore_all
    for dir in "${RUNTIME_DIRS[@]}"; do
        # A runtime directory that was there before the case (the package made
        # it), removed by the stop as systemd would: made again as it was.
        if [ -n "${RUNTIME_DIR_HAD[$dir]:-}" ] && [ ! -e "/run/$dir" ]; then
            read -r mode owner <<<"${RUNTIME_DIR_HAD[$dir]}"
            install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "/run/$dir"
        fi
    done
    for f in $(unitrun_files); do
        grep -qxF "$f" <<<"$UNITRUN_FILES_BEFORE" || rm -f "$f"
    done
}

run_case() {
    CASE=$1
    UNIT=/lib/systemd/system/$CASE.service
    SEEN=()
    MONITORS=()
    RESTORE=()
    RUNTIME_DIRS=()
    RUNTIME_DIR_HAD=()
    CASE_RUNNING=0
    local t0 dir f
    t0=$(now_ms)
    echo "--- $CASE ($UNIT)"
    if ! case_preconditions; then
        SUMMARY[$CASE]="${SUMMARY[$CASE]:-}the rest not run"
        CASE=""
        return
    fi
    CASE_START_TICKS=$(boot_ticks_now)
    UNITRUN_FILES_BEFORE=$(unitrun_files)
    if [ "$(unit_value RuntimeDirectoryPreserve)" != yes ]; then
        for dir in $(unit_value RuntimeDirectory); do
            RUNTIME_DIRS+=("$dir")
            [ -e "/run/$dir" ] && RUNTIME_DIR_HAD[$dir]="$(stat -c '%a %U:%G' "/run/$dir")"
        done
    fi
    for f in ${DAEMON_FILES[$CASE]}; do backup "$f"; done
    "setup_$CASE"
    if step_start; then
        step_serves
        step_status
        step_properties
        if [ -n "$("${PROBE[@]}" sandbox-keys "$UNIT")" ]; then
            step_protections
        else
            echo "NOTE $CASE protections: none (its unit sets no sandboxing key)"
        fi
        step_reload
        step_kill9 && step_status
        step_stop
    else
        echo "    (the other checks of $CASE need it started: not run)"
    fi
    cleanup_case
    echo "--- $CASE: $(secs_since "$t0") s"
    CASE=""
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    policy_restore
    if [ -n "$CASE" ] && [ "$CASE" != install ]; then
        log "interrupted in $CASE: cleaning up"
        cleanup_case
    fi
    rm -rf "$T"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---- the run -------------------------------------------------------------------------

SUITE_T0=$(now_ms)
INSTALL_SECONDS=""
prepare_packages
# What /proc/PID/exe shows (redis-server is a link to redis-check-rdb).
for d in "${ALL[@]}"; do
    [ -e "${PROGRAM[$d]}" ] && PROGRAM[$d]=$(readlink -f "${PROGRAM[$d]}")
done
if [ "$PREPARE_ONLY" = 1 ]; then
    echo "packages ready${INSTALL_SECONDS:+ (installed in $INSTALL_SECONDS s)}"
    exit 0
fi
echo "unitrun: $BINARY ($("$BINARY" --version 2>&1 | head -n 1))"
for d in "${SELECTED[@]}"; do
    run_case "$d"
done

echo "--- summary (suite $(secs_since "$SUITE_T0") s${INSTALL_SECONDS:+, of which install $INSTALL_SECONDS s})"
for d in "${SELECTED[@]}"; do
    summary=${SUMMARY[$d]:-}
    echo "$d: ${summary%, }"
done
[ "$SKIPS" -gt 0 ] && echo "$SKIPS skipped (SKIP lines above)"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
