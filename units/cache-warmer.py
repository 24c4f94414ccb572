#!/usr/bin/python3
"""cache-warmer: a Type=notify service, the readiness protocol by hand.

It loads a "cache" for a few seconds (STATUS= tells how far it got), says
READY=1 only once the cache is complete, then serves: it pings the watchdog
(WATCHDOG=1) while its serving loop runs, and reports its request count in
STATUS=. SIGHUP reloads the cache between RELOADING=1 and READY=1; SIGTERM
sends STOPPING=1 and exits. sd_notify(3) is a datagram to $NOTIFY_SOCKET,
which unitrun gives every service (and systemd does too): no library needed.
"""
import os
import signal
import socket
import sys
import time

WARMUP_STEPS = int(os.environ.get("WARMER_STEPS", "4"))
STEP_SECONDS = float(os.environ.get("WARMER_STEP_SECONDS", "0.5"))


def notify(*lines):
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return  # not supervised by anyone who listens: fine
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto("\n".join(lines).encode(), address)


def log(text):
    print(time.strftime("%Y-%m-%dT%H:%M:%S"), "cache-warmer:", text, flush=True)


def warm(what):
    for step in range(1, WARMUP_STEPS + 1):
        notify("STATUS=%s: %d of %d blocks" % (what, step, WARMUP_STEPS))
        time.sleep(STEP_SECONDS)
    log("%s: %d blocks" % (what, WARMUP_STEPS))


def main():
    reload_wanted = False
    stop_wanted = False

    def on_hup(signum, frame):
        nonlocal reload_wanted
        reload_wanted = True

    def on_term(signum, frame):
        nonlocal stop_wanted
        stop_wanted = True

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_term)

    warm("warming up")
    notify("READY=1", "STATUS=serving")
    log("ready")
    # Ping at half the watchdog interval, as sd_watchdog_enabled(3) advises.
    watchdog_usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    tick = watchdog_usec / 2e6 if watchdog_usec else 1.0
    served = 0
    while not stop_wanted:
        # The watchdog keeps running through a reload (as under systemd):
        # ping before the reload's work, not only after it.
        if watchdog_usec:
            notify("WATCHDOG=1")
        if reload_wanted:
            reload_wanted = False
            monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            notify("RELOADING=1", "MONOTONIC_USEC=%d" % monotonic_usec)
            warm("reloading")
            notify("READY=1", "STATUS=serving (reloaded)")
            if watchdog_usec:
                notify("WATCHDOG=1")
        served += 1
        if served % 10 == 0:
            notify("STATUS=serving: %d requests" % served)
        time.sleep(tick)
    notify("STOPPING=1", "STATUS=shutting down")
    log("stopping after %d requests" % served)
    return 0


if __name__ == "__main__":
    sys.exit(main())
