#!/usr/bin/env python3
"""The classic hand-rolled Python daemon, as a benchmark peer of unitrun.

Written after the well-known recipe ("a simple unix/linux daemon in Python":
double fork, setsid, umask, chdir, pidfile, and a stop that reads the pidfile
and signals in a 0.1 s loop until the process is gone), with the one change
the origin of unitrun made to it: stop uses killpg, so that the service the
daemon runs as its child goes too.

    classic_daemon.py --pidfile P start -- PROGRAM [ARG...]
    classic_daemon.py --pidfile P stop

It keeps the recipe's weaknesses on purpose (a stale pidfile blocks start,
start cannot tell whether PROGRAM could be exec'd, the pid in the pidfile is
trusted): it is measured, not recommended.
"""

import atexit
import os
import signal
import subprocess
import sys
import time


class Daemon:
    def __init__(self, pidfile, stdin="/dev/null", stdout="/dev/null", stderr="/dev/null"):
        self.pidfile = pidfile
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr

    def daemonize(self):
        try:
            pid = os.fork()
            if pid > 0:
                sys.exit(0)  # first parent: the caller's `start` returns here
        except OSError as e:
            sys.stderr.write("fork #1 failed: %s\n" % e)
            sys.exit(1)

        # decouple from the parent environment
        os.chdir("/")
        os.setsid()
        os.umask(0)

        try:
            pid = os.fork()
            if pid > 0:
                sys.exit(0)  # second parent
        except OSError as e:
            sys.stderr.write("fork #2 failed: %s\n" % e)
            sys.exit(1)

        # redirect standard file descriptors
        sys.stdout.flush()
        sys.stderr.flush()
        si = open(self.stdin, "r")
        so = open(self.stdout, "a+")
        se = open(self.stderr, "a+")
        os.dup2(si.fileno(), sys.stdin.fileno())
        os.dup2(so.fileno(), sys.stdout.fileno())
        os.dup2(se.fileno(), sys.stderr.fileno())

        atexit.register(self.delpid)
        with open(self.pidfile, "w+") as f:
            f.write("%s\n" % os.getpid())

    def delpid(self):
        try:
            os.remove(self.pidfile)
        except OSError:
            pass

    def read_pid(self):
        try:
            with open(self.pidfile, "r") as pf:
                return int(pf.read().strip())
        except (IOError, ValueError):
            return None

    def start(self, argv):
        if self.read_pid():
            sys.stderr.write("pidfile %s already exists. Daemon already running?\n" % self.pidfile)
            sys.exit(1)
        self.daemonize()
        self.run(argv)

    def stop(self):
        pid = self.read_pid()
        if not pid:
            sys.stderr.write("pidfile %s does not exist. Daemon not running?\n" % self.pidfile)
            return  # not an error in a restart
        try:
            pgid = os.getpgid(pid)
            while True:
                os.killpg(pgid, signal.SIGTERM)
                time.sleep(0.1)
        except OSError as err:
            if err.errno == 3:  # ESRCH: no process left in the group
                if os.path.exists(self.pidfile):
                    os.remove(self.pidfile)
            else:
                print(str(err))
                sys.exit(1)

    def run(self, argv):
        # The daemon's work: run the service and wait for it.
        sys.exit(subprocess.call(argv))


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "--pidfile":
        sys.stderr.write(__doc__)
        sys.exit(2)
    d = Daemon(args[1])
    verb = args[2]
    if verb == "start":
        rest = args[3:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        if not rest:
            sys.exit(2)
        d.start(rest)
    elif verb == "stop":
        d.stop()
    else:
        sys.stderr.write("unknown command %s\n" % verb)
        sys.exit(2)


if __name__ == "__main__":
    main()
