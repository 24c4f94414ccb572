# shellcheck shell=bash disable=SC2034 # PREPARE_ONLY and BINARY are the caller's
# Shared by the shell suites that report case by case
# (tests/e2e/run-systemd-e2e.sh, tests/container/run-container.sh). Sourced,
# not run. The caller sets, before sourcing it:
#   SUITE          the prefix of log lines ("e2e")
#   REQUIRED       1: a suite that cannot run fails instead of skipping
#   REQUIRED_NOTE  what it says then
#   HELP_LINES     the sed range of its header comment, for -h
# It defines the counters PASSED, FAILED and FAILED_NAMES; log MESSAGE;
# skip WHY (prints "SKIPPED: why" and exits); abort NAME WHY (a failure of the
# harness itself, before any case ran); finish (the last line, "N passed,
# N failed", and the exit status); and parse_suite_arguments "$@", which sets
# PREPARE_ONLY and BINARY from [--prepare-only | UNITRUN_BINARY].

PASSED=0
FAILED=0
FAILED_NAMES=()

log() { echo "$SUITE: $*" >&2; }

skip() {
    echo "SKIPPED: $*"
    if [ "$REQUIRED" = 1 ]; then
        echo "$REQUIRED_NOTE" >&2
        exit 1
    fi
    exit 0
}

abort() {
    echo "FAIL $1: $2"
    FAILED=$((FAILED + 1))
    finish
}

finish() {
    [ "$FAILED" -gt 0 ] && log "failed: ${FAILED_NAMES[*]:-setup}"
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0
    exit 1
}

parse_suite_arguments() {
    PREPARE_ONLY=0
    BINARY=${UNITRUN_BINARY:-}
    case "${1:-}" in
        --prepare-only) PREPARE_ONLY=1 ;;
        -h|--help) sed -n "$HELP_LINES" "$0"; exit 0 ;;
        "") ;;
        *) BINARY=$1 ;;
    esac
}
