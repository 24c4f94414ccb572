# Shared by the suites that run a Debian 12 root in a container
# (tests/e2e/run-systemd-e2e.sh, tests/container/run-container.sh and
# bench/container_compare.py through it). Sourced, not run. The caller
# defines log MESSAGE, skip WHY (prints "SKIPPED: why" and exits) and
# abort NAME WHY (a failure of the harness).
#
#   prepare_debian_rootfs CACHE_ROOT INCLUDE CHECK_PATH
#
# makes (once) or reuses ROOTFS=CACHE_ROOT/bookworm: debootstrap
# --variant=minbase --include=INCLUDE bookworm, complete when
# CACHE_ROOT/bookworm.stamp names that command and ROOTFS/CHECK_PATH exists.
# Changing INCLUDE changes the stamp, and so rebuilds the root. A lock
# serialises concurrent runs; the stamp is written last, so an interrupted
# build is redone from scratch. On return the caller holds a shared lock
# (fd 9) on the cache: nobody rebuilds it while the caller uses it.

# The Debian mirror this machine's apt uses for bookworm (deb822 .sources or
# one-line .list), so that no host is written into the scripts.
# UNITRUN_E2E_MIRROR overrides it.
find_mirror() {
    [ -n "${UNITRUN_E2E_MIRROR:-}" ] && { echo "$UNITRUN_E2E_MIRROR"; return 0; }
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == "bookworm") { print $i; exit }
             }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk 'function flush() {
                 if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && enabled != "no" && uris != "") {
                     split(uris, u, " "); print u[1]; found = 1
                 }
                 types = ""; suites = ""; uris = ""; enabled = ""
             }
             /^[ \t]*$/ { flush(); if (found) exit; next }
             /^#/ { next }
             tolower($1) == "types:" { $1 = ""; types = $0 }
             tolower($1) == "suites:" { $1 = ""; suites = $0 }
             tolower($1) == "uris:" { $1 = ""; uris = $0 }
             tolower($1) == "enabled:" { enabled = tolower($2) }
             END { if (!found) flush() }' "$f"
    done
}

prepare_debian_rootfs() {
    local cache_root=$1 include=$2 check=$3
    local rootfs=$cache_root/bookworm stamp=$cache_root/bookworm.stamp
    local stamp_content="debootstrap --variant=minbase --include=$include bookworm (format 1)"
    mkdir -p "$cache_root" || skip "cannot create the cache directory $cache_root"
    exec 9>"$cache_root/.lock"
    flock -w 1800 9 || skip "the rootfs cache $cache_root is locked by another run"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_content" ] && [ -e "$rootfs/$check" ]; then
        flock -s 9
        return 0
    fi
    command -v debootstrap >/dev/null 2>&1 || skip "no debootstrap and no cached rootfs in $rootfs"
    local mirror
    mirror=$(find_mirror | head -n 1)
    [ -n "$mirror" ] || skip "no Debian bookworm mirror in /etc/apt/sources.list(.d) to debootstrap from (set UNITRUN_E2E_MIRROR)"
    if command -v wget >/dev/null 2>&1; then
        wget -q -T 20 -t 2 -O /dev/null "${mirror%/}/dists/bookworm/InRelease" ||
            skip "no network: $mirror is unreachable, and the rootfs is not cached yet"
    fi
    rm -f "$stamp"
    rm -rf "$rootfs" "$rootfs.tmp"
    log "building the rootfs in $rootfs from $mirror (once; cached afterwards)"
    local t0 t1
    t0=$(date +%s)
    if ! debootstrap --variant=minbase --include="$include" bookworm "$rootfs.tmp" "$mirror" \
        >"$cache_root/debootstrap.log" 2>&1; then
        tail -n 20 "$cache_root/debootstrap.log" >&2
        rm -rf "$rootfs.tmp"
        abort rootfs "debootstrap failed; see $cache_root/debootstrap.log"
    fi
    # A fresh machine-id on every boot (the overlay keeps the cache clean).
    : >"$rootfs.tmp/etc/machine-id"
    rm -rf "$rootfs.tmp/var/cache/apt/archives/"*.deb
    mv "$rootfs.tmp" "$rootfs"
    echo "$stamp_content" >"$stamp"
    t1=$(date +%s)
    log "rootfs built in $((t1 - t0)) s"
    echo "rootfs: debootstrap took $((t1 - t0)) s"
    flock -s 9
}

# The pids of PID's descendants, depth first.
descendants() {
    local pid=$1 child
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        echo "$child"
        descendants "$child"
    done
}

# The host pid of the container's PID 1 under LAUNCHER_PID (systemd-nspawn or
# unshare): the descendant whose pid in its own namespace is 1. Empty if none.
container_pid1() {
    local pid nspid
    for pid in $(descendants "$1"); do
        nspid=$(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status" 2>/dev/null)
        [ "$nspid" = 1 ] && { echo "$pid"; return 0; }
    done
    return 1
}
