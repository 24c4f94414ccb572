#!/usr/bin/env python3
"""The container suite's sentinel service: runs until a signal, then writes
the signal's name to /opt/evidence/sentinel (a directory of the host) and
exits 0. Evidence that the container's shutdown stopped it in order, rather
than the kernel killing it when PID 1 exited (SIGKILL leaves no file)."""
import signal
import sys


def stopped(signum, _frame):
    with open("/opt/evidence/sentinel", "w") as f:
        f.write(signal.Signals(signum).name)
    sys.exit(0)


signal.signal(signal.SIGTERM, stopped)
signal.signal(signal.SIGINT, stopped)
while True:
    signal.pause()
