#!/usr/bin/env bash
# The Debian package end to end, on this machine:
#   1. scripts/package builds it (clean build, dynamic C++ runtime) and
#      lintian reports no error;
#   2. apt-get installs it (no network when its dependencies are installed,
#      as they are wherever unitrun builds): the files where Debian wants
#      them, the conffiles marked, nothing started;
#   3. the installed /usr/bin/unitrun: --version, check, start, status 0,
#      stop, status 3, of a small unit in a temporary directory;
#   4. apt-get purge removes it, leaving nothing: the file lists of /usr,
#      /etc, /lib and /var/lib/dpkg/info/unitrun.* are what they were before
#      the install, and the smoke unit's runtime files and logs are gone.
#
#   tests/package/package-test.sh [OUTDIR]     (default: build-deb-test/)
#
# Needs root (it installs a package). It says "SKIP: why" and exits 0 when it
# cannot run (not root, unitrun already installed here or /usr/bin/unitrun
# present), or exits 1 then with UNITRUN_PACKAGE_REQUIRED=1 (CI). Prints
# "PASS name" / "FAIL name: why" and "N passed, N failed". Whatever happens,
# a trap stops the smoke unit and purges the package. See docs/packaging.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
OUT=${1:-$SOURCE_DIR/build-deb-test}
REQUIRED=${UNITRUN_PACKAGE_REQUIRED:-0}
INSTALLED=/usr/bin/unitrun
APT_OPTIONS=(-y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)

skip() {
    echo "SKIP: $*"
    [ "$REQUIRED" = 1 ] && { echo "UNITRUN_PACKAGE_REQUIRED=1: the package test had to run" >&2; exit 1; }
    exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root (the test installs and purges the package)"
command -v apt-get >/dev/null 2>&1 || skip "no apt-get: not a Debian system"
# Never replace, then purge, a unitrun someone installed on this machine.
if dpkg-query -W -f='${db:Status-Status}' unitrun 2>/dev/null | grep -qv '^not-installed$'; then
    skip "the unitrun package is already on this machine ($(dpkg-query -W -f='${Version} ${db:Status-Abbrev}' unitrun))"
fi
[ -e "$INSTALLED" ] && skip "$INSTALLED exists and is not from a package: the test would overwrite it"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)

PASSED=0
FAILED=0
pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit
}

T=$(mktemp -d /tmp/unitrun-package.XXXXXX)
chmod 755 "$T"
SMOKE=pkgsmoke-$$
UNIT=$T/$SMOKE.ini

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # The smoke unit, by its own unitrun, then the package, even after a
    # failure: nothing of the test stays on the machine.
    if [ -f "$UNIT" ] && [ -x "$INSTALLED" ]; then
        "$INSTALLED" stop "$UNIT" >/dev/null 2>&1
    fi
    if dpkg-query -W -f='${db:Status-Status}' unitrun 2>/dev/null | grep -qv '^not-installed$'; then
        echo "cleanup: purging unitrun" >&2
        DEBIAN_FRONTEND=noninteractive apt-get purge "${APT_OPTIONS[@]}" unitrun >/dev/null 2>&1
    fi
    rm -f /run/unitrun/"$SMOKE".* /run/unitrun/."$SMOKE".* /var/log/unitrun/"$SMOKE".log
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What is on the machine, as a sorted list of paths, to compare after purge.
snapshot() {
    find /usr /etc /lib/ -xdev 2>/dev/null | LC_ALL=C sort
    ls -d /var/lib/dpkg/info/unitrun.* 2>/dev/null
}

# ---- 1. build and lintian ----------------------------------------------------
t0=$(date +%s)
if ! "$SOURCE_DIR/scripts/package" "$OUT" >"$T/package.log" 2>&1; then
    tail -n 40 "$T/package.log"
    fail "scripts/package" "it failed (above: the end of its output)"
    finish
fi
DEB=$(tail -n 1 "$T/package.log")
t1=$(date +%s)
[ -f "$DEB" ] && pass "scripts/package builds $(basename "$DEB") ($((t1 - t0)) s)" || { fail "scripts/package" "no .deb: '$DEB'"; finish; }
echo "--- lintian:"
cat "$OUT/lintian.txt"
echo "---"
if grep -q '^E: ' "$OUT/lintian.txt"; then
    fail "lintian" "errors (above)"
else
    pass "lintian: no errors ($(grep -c '^W: ' "$OUT/lintian.txt") warnings)"
fi

VERSION=$(dpkg-deb -f "$DEB" Version)
UPSTREAM=${VERSION%-*}
missing=""
CONTENTS=$(dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^/\?$')
for f in /usr/bin/unitrun /usr/share/man/man1/unitrun.1.gz /usr/share/man/man5/unitrun.unit.5.gz \
    /lib/systemd/system/unitrun@.service /etc/init.d/unitrun /etc/default/unitrun /etc/logrotate.d/unitrun \
    /usr/share/bash-completion/completions/unitrun /usr/share/zsh/vendor-completions/_unitrun \
    /usr/share/doc/unitrun/copyright /usr/share/doc/unitrun/changelog.Debian.gz; do
    grep -qx "$f" <<<"$CONTENTS" || missing+="$f "
done
[ -z "${missing:-}" ] && pass "contents: binary, man pages, systemd template, init script, default, logrotate, completions, copyright, changelog" ||
    fail "contents" "not in the package: $missing"
depends=$(dpkg-deb -f "$DEB" Depends)
case "$depends" in
    *libstdc++6*) pass "Depends: from dpkg-shlibdeps, the C++ runtime shared ($depends)" ;;
    *) fail "Depends" "no libstdc++6 in '$depends': the package's binary should link the C++ runtime dynamically" ;;
esac
[ "$(dpkg-deb -f "$DEB" Recommends)" = libsystemd0 ] && pass "Recommends: libsystemd0 (dlopen()ed)" ||
    fail "Recommends" "'$(dpkg-deb -f "$DEB" Recommends)', expected libsystemd0"

# ---- 2. install ---------------------------------------------------------------
BEFORE=$T/before
snapshot >"$BEFORE"
if DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTIONS[@]}" --no-install-recommends "$DEB" >"$T/install.log" 2>&1; then
    pass "apt-get install ./$(basename "$DEB")"
else
    tail -n 20 "$T/install.log"
    fail "apt-get install" "it failed (above)"
    finish
fi
conffiles=$(dpkg-query -W -f='${Conffiles}\n' unitrun | awk 'NF { print $1 }' | sort | tr '\n' ' ')
[ "$conffiles" = "/etc/default/unitrun /etc/init.d/unitrun /etc/logrotate.d/unitrun " ] &&
    pass "conffiles: /etc/default/unitrun /etc/init.d/unitrun /etc/logrotate.d/unitrun" ||
    fail "conffiles" "dpkg lists [$conffiles]"
grep -qx "ExecStart=$INSTALLED run /etc/unitrun/%i.ini" /lib/systemd/system/unitrun@.service &&
    grep -qx "UNITRUN=$INSTALLED" /etc/init.d/unitrun &&
    pass "the systemd template and the init script run $INSTALLED" ||
    fail "installed paths" "$(grep -h '^ExecStart=\|^UNITRUN=' /lib/systemd/system/unitrun@.service /etc/init.d/unitrun | tr '\n' ' ')"
# Registered but disabled: K links only, no S link anywhere.
if ls /etc/rc?.d/K??unitrun >/dev/null 2>&1 && ! ls /etc/rc?.d/S??unitrun >/dev/null 2>&1; then
    pass "the init script is registered disabled (K links only)"
else
    fail "rc.d links" "$(ls /etc/rc?.d/*unitrun 2>&1 | tr '\n' ' ')"
fi
# Other unitruns may run on this machine (tests of other builds): only the
# installed binary's processes count.
started=""
for pid in $(pgrep -x unitrun); do
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$INSTALLED" ] && started+="$pid "
done
[ -z "$started" ] && pass "nothing started at install" || fail "nothing started at install" "$INSTALLED runs as $started"
out=$(bash -c '. /usr/share/bash-completion/completions/unitrun && complete -p unitrun' 2>&1)
[ "$out" = "complete -F _unitrun unitrun" ] && pass "the installed bash completion loads" || fail "bash completion" "$out"

# ---- 3. the installed binary ----------------------------------------------------
out=$("$INSTALLED" --version 2>&1)
[ "$out" = "unitrun $UPSTREAM" ] && pass "unitrun --version: $out" || fail "unitrun --version" "'$out', expected 'unitrun $UPSTREAM'"
out=$(ldd "$INSTALLED" 2>&1)
grep -q 'libstdc++' <<<"$out" && ! grep -q 'not found' <<<"$out" && pass "it maps Debian's libstdc++ and finds every library" ||
    fail "ldd" "$(tr '\n' ' ' <<<"$out")"
cat >"$UNIT" <<EOF
[Unit]
Description=unitrun package smoke test

[Service]
ExecStart=/bin/sleep 1000
PIDFile=$SMOKE.pid
StandardOutput=append:$SMOKE.log
EOF
out=$("$INSTALLED" check "$UNIT" "$SOURCE_DIR/units/autotest.ini" 2>&1) && pass "unitrun check: the smoke unit and units/autotest.ini" ||
    fail "unitrun check" "$out"
"$INSTALLED" status "$UNIT" >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] && pass "status before start: 3" || fail "status before start" "exit $rc, expected 3"
if out=$("$INSTALLED" start "$UNIT" 2>&1); then
    pass "unitrun start: $out"
else
    fail "unitrun start" "$out"
fi
pid=$(cat "$T/$SMOKE.pid" 2>/dev/null)
if [ -n "$pid" ] && [ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" = "/bin/sleep 1000 " ]; then
    pass "its pidfile names the running /bin/sleep 1000"
else
    fail "pidfile" "'$pid' is not a running /bin/sleep 1000"
fi
"$INSTALLED" status "$UNIT" >"$T/status.out" 2>&1
rc=$?
[ "$rc" = 0 ] && pass "status while running: 0" || fail "status while running" "exit $rc: $(head -n 3 "$T/status.out" | tr '\n' ' ')"
out=$("$INSTALLED" stop "$UNIT" 2>&1) && pass "unitrun stop: $out" || fail "unitrun stop" "$out"
"$INSTALLED" status "$UNIT" >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] && pass "status after stop: 3" || fail "status after stop" "exit $rc, expected 3"
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && fail "stop" "the service $pid still runs"

LOG_INODE=$(stat -c %i /var/log/unitrun.log 2>/dev/null)

# ---- 4. purge ---------------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get purge "${APT_OPTIONS[@]}" unitrun >"$T/purge.log" 2>&1; then
    pass "apt-get purge unitrun"
else
    tail -n 20 "$T/purge.log"
    fail "apt-get purge" "it failed (above)"
fi
snapshot >"$T/after"
# Every path that differs. Those named after unitrun are the package's doing;
# others can be another build's tests working on this machine meanwhile (the
# LSB script test writes /etc/default/lsbctb-PID): they fail only where
# nothing else runs, in CI (UNITRUN_PACKAGE_REQUIRED=1).
differs() {
    local kind=$1 paths=$2 ours others
    ours=$(grep -i unitrun <<<"$paths" | tr '\n' ' ')
    others=$(grep -vi unitrun <<<"$paths" | grep . | tr '\n' ' ')
    [ -n "$ours" ] && { fail "purge: $kind" "$ours"; return 1; }
    [ -z "$others" ] && return 0
    [ "$REQUIRED" = 1 ] && { fail "purge: $kind" "$others"; return 1; }
    echo "NOTE $kind, not named unitrun (another build's tests?): $others"
}
differs "left after purge" "$(comm -13 "$BEFORE" "$T/after")" &&
    differs "there before the install, gone after purge" "$(comm -23 "$BEFORE" "$T/after")" &&
    pass "purge: /usr, /etc, /lib and dpkg's info as before the install"
owned_left=""
while IFS= read -r f; do
    [ -n "$f" ] && [ ! -d "$f" ] && [ -e "$f" ] && owned_left+="$f "
done <<<"$CONTENTS"
[ -z "$owned_left" ] && pass "purge: no file of the package is left" || fail "purge: files of the package left" "$owned_left"
# unitrun's own log as root: the one the smoke test wrote to must be gone
# (another unitrun may have started a new one since).
runtime_left=$(ls -d /run/unitrun/"$SMOKE".* /run/unitrun/."$SMOKE".* 2>/dev/null | tr '\n' ' ')
[ -n "$LOG_INODE" ] && [ "$(stat -c %i /var/log/unitrun.log 2>/dev/null)" = "$LOG_INODE" ] && runtime_left+="/var/log/unitrun.log"
[ -z "$runtime_left" ] && pass "purge: the smoke unit's runtime files and unitrun's log are gone" ||
    fail "purge: runtime files left" "$runtime_left"
[ -e "$INSTALLED" ] && fail "purge" "$INSTALLED is still there"

finish
