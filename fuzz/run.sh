#!/bin/sh
# Builds the unit-file parser fuzzer with clang into build-fuzz and runs it.
#
#   fuzz/run.sh [SECONDS]        default 60
#
# Environment: JOBS (build parallelism, default 2), FUZZ_FLAGS (extra
# libFuzzer flags, e.g. "-jobs=4 -workers=4"), BUILD_DIR (default build-fuzz).
# New interesting inputs go to $BUILD_DIR/corpus-work, never into fuzz/corpus.
# Any crash, timeout, leak or OOM reproducer is copied into fuzz/regressions/
# and the script exits non-zero.
set -eu

seconds=${1:-60}
case $seconds in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
jobs=${JOBS:-2}
work=$build/corpus-work
artifacts=$build/artifacts

CC=${CC:-clang} CXX=${CXX:-clang++} \
  cmake -S "$root" -B "$build" -DUNITRUN_FUZZ=ON -DUNITRUN_TESTS=OFF >/dev/null
cmake --build "$build" --target unitrun_fuzz_unit_parser -j "$jobs"

mkdir -p "$work" "$artifacts"

# The unit files of Debian packages that bench/corpus downloaded, when its
# cache is there: real units of systemd's dialect as seeds (read only; they
# are not committed, being the packages' own files).
debian=$build/corpus-debian
extra=""
if [ -d /var/cache/unitrun-corpus/extracted ]; then
  mkdir -p "$debian"
  find /var/cache/unitrun-corpus/extracted /usr/lib/systemd/system -name '*.service' -type f -size -64k \
    -exec cp -f {} "$debian/" \; 2>/dev/null || true
  extra=$debian
fi
rm -f "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/leak-* "$artifacts"/oom-* "$artifacts"/slow-unit-*

# ASan keeps freed memory in a quarantine of 256 MiB by default, which counts
# towards -rss_limit_mb: with a large corpus loaded that alone passed 512 MiB
# and was reported as an out-of-memory "crash". 64 MiB still catches
# use-after-free in a parse of at most 64 KiB.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64:detect_leaks=1}"

status=0
# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags; $extra is empty or one directory
"$build/fuzz/unitrun_fuzz_unit_parser" \
  -max_len=65536 -timeout=2 -rss_limit_mb=512 -dict="$root/fuzz/unit.dict" \
  -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
  "$work" "$root/fuzz/corpus" "$root/fuzz/regressions" $extra || status=$?

found=0
for f in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/leak-* "$artifacts"/oom-*; do
  [ -e "$f" ] || continue
  cp "$f" "$root/fuzz/regressions/"
  echo "fuzz: reproducer saved as fuzz/regressions/$(basename "$f")" >&2
  found=1
done

if [ "$found" -ne 0 ] || [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (libFuzzer exit status $status)" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds}s"
