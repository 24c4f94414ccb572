#!/bin/sh
# The alarm daemon: sleeps until the next time in $ALARM_TIMES (HH:MM, local
# time, separated by spaces), writes $ALARM_MESSAGE with a timestamp, and
# waits for the next one. The clock is read again after every sleep, so a
# suspended machine or a changed clock only delays a reminder.
set -u
times=${ALARM_TIMES:?set ALARM_TIMES to HH:MM times}
message=${ALARM_MESSAGE:-Reminder}

for t in $times; do
    case $t in
        [0-2][0-9]:[0-5][0-9]) ;;
        *) echo "alarm: invalid time '$t' (expected HH:MM)" >&2; exit 2 ;;
    esac
done

seconds_until_next() {
    now=$(date +%s)
    best=""
    for t in $times; do
        at=$(date -d "$t" +%s)
        [ "$at" -le "$now" ] && at=$(date -d "tomorrow $t" +%s)
        wait=$((at - now))
        if [ -z "$best" ] || [ "$wait" -lt "$best" ]; then best=$wait; fi
    done
    echo "$best"
}

echo "$(date '+%Y-%m-%dT%H:%M:%S') alarm: armed for $times"
while :; do
    wait=$(seconds_until_next)
    # Sleep in slices of at most a minute, so a clock change is noticed.
    if [ "$wait" -gt 60 ]; then
        sleep 60
        continue
    fi
    sleep "$wait"
    echo "$(date '+%Y-%m-%dT%H:%M:%S') alarm: $message"
    sleep 1
done
