#!/usr/bin/env python3
"""SIGTERM to a container's PID 1 (as `docker stop` sends it), then watch every
process of the container end, by pidfd (no polling of /proc).

    stop_watch.py HOST_PID_OF_PID1 DEADLINE_SECONDS

Before the signal it opens a pidfd on PID 1 and on each of its descendants.
When a descendant's pidfd becomes readable (it ended), it reads PID 1's
flags in /proc/PID/stat: without PF_EXITING, PID 1 was still running, so
the process ended by the ordered shutdown; with it, the kernel killed it
because PID 1 had exited (SIGKILL, as after docker stop's 10 s). The watch
runs under SCHED_FIFO, so that it reads the flags as soon as the process
ends, not whenever a loaded machine schedules it (then PID 1 may have ended
meanwhile, a process that ended in order would be counted as killed). One line
per process: "ended PID COMM after MS ms (by the shutdown|after PID 1 exited)",
then "pid1 ended after MS ms". Exit 0 if every process ended by the shutdown
and PID 1 ended within the deadline, 1 otherwise, 2 on a usage error.
"""
import os
import select
import signal
import sys
import time

PF_EXITING = 0x4


def descendants(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out.append(int(child))
                    out.extend(descendants(int(child)))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def exiting(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return True
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[6]) & PF_EXITING) != 0 or fields[0] in ("Z", "X")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    pid1, deadline = int(sys.argv[1]), float(sys.argv[2])
    fds = {}
    names = {}
    pid1_fd = os.pidfd_open(pid1)
    for pid in descendants(pid1):
        try:
            fds[os.pidfd_open(pid)] = pid
            names[pid] = comm(pid)
        except ProcessLookupError:
            pass
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    except OSError as e:
        print(f"note: no SCHED_FIFO ({e}); a late read may count a process as killed", file=sys.stderr)
    poller = select.poll()
    poller.register(pid1_fd, select.POLLIN)
    for fd in fds:
        poller.register(fd, select.POLLIN)
    t0 = time.monotonic()
    os.kill(pid1, signal.SIGTERM)
    clean = True
    pid1_ms = None
    while pid1_ms is None:
        left = deadline - (time.monotonic() - t0)
        if left <= 0:
            break
        for fd, _ in poller.poll(left * 1000):
            ms = (time.monotonic() - t0) * 1000
            poller.unregister(fd)
            if fd == pid1_fd:
                pid1_ms = ms
                continue
            pid = fds.pop(fd)
            by_shutdown = not exiting(pid1)
            clean = clean and by_shutdown
            how = "by the shutdown" if by_shutdown else "after PID 1 exited"
            print(f"ended {pid} {names[pid]} after {ms:.0f} ms ({how})")
    for pid in fds.values():
        clean = False
        print(f"ended {pid} {names[pid]} only with PID 1 (after PID 1 exited)")
    if pid1_ms is None:
        print(f"pid1 still runs after {deadline:.0f} s")
        return 1
    print(f"pid1 ended after {pid1_ms:.0f} ms")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
