#!/bin/sh
# The autotest watcher: every $AUTOTEST_TICK seconds it logs a timestamped
# line and replaces any worker of its pool that has died. Workers are plain
# shell loops; every other one runs a shell child of its own, so the unit has
# grandchildren that a careless stop would leave behind.
set -u
pool_size=${1:-3}
tick=${AUTOTEST_TICK:-2}
name=${AUTOTEST_NAME:-autotest}

start_worker() {
    n=$1
    if [ $((n % 2)) -eq 0 ]; then
        # A worker with a shell child.
        sh -c 'while :; do sh -c "sleep 7"; done' &
    else
        sh -c 'while :; do sleep 5; done' &
    fi
    eval "worker_$n=$!"
}

log() {
    printf '%s %s[%d]: %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" "$name" "$$" "$*"
}

i=1
while [ "$i" -le "$pool_size" ]; do
    start_worker "$i"
    i=$((i + 1))
done
log "started with $pool_size workers"

count=0
while :; do
    sleep "$tick"
    count=$((count + 1))
    pids=""
    i=1
    while [ "$i" -le "$pool_size" ]; do
        eval "pid=\$worker_$i"
        if ! kill -0 "$pid" 2>/dev/null; then
            log "worker $i (pid $pid) is gone; starting a new one"
            start_worker "$i"
            eval "pid=\$worker_$i"
        fi
        pids="$pids $pid"
        i=$((i + 1))
    done
    log "tick $count, workers:$pids"
done
