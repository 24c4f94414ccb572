#!/usr/bin/env python3
"""unitrun soak test: random start/stop/restart and SIGKILLs over a set of
units, checking after every step that `unitrun status` agrees with /proc, and
at the end that nothing is left. Run it through bench/soak.

After each step the soak waits until the unit's processes are settled (no
zombie, and a live monitor has its service running), then compares:

  what /proc shows                                   status must say
  a monitor (unitrun process of this unit)           exit 0, main_pid = the service
                                                     process whose parent is the monitor
  no monitor, processes of the service left          exit 0, main_pid = the surviving
  (the monitor was SIGKILLed)                        session leader (0 if it died)
  nothing, the pidfile is left                       exit 1, main_pid 0
  nothing                                            exit 3, main_pid 0

and also: at most one monitor and one service session per unit; every
process of the service in the same session; the service's fds are exactly
0, 1, 2; a monitor's fd count does not grow while it lives. At the end,
after a final stop of every unit: no process, zombie or open fd of the units,
and no file but the per-unit lock and state files (a stale pidfile left by a
SIGKILLed monitor is reported separately: unitrun leaves it by design).
"""

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time

import benchlib as B

OPS = [("start", 25), ("stop", 18), ("restart", 15), ("kill-service", 17), ("kill-monitor", 9),
       ("kill-both", 5), ("kill-child", 4), ("status", 7)]

KINDS = [
    # (name, service lines, has a child process)
    ("always", ["Restart=always", "RestartSec=0"], False),
    ("always-tree", ["Restart=always", "RestartSec=0"], True),
    ("on-failure", ["Restart=on-failure", "RestartSec=0"], False),
    ("no", ["Restart=no"], False),
    ("no-tree", ["Restart=no"], True),
    ("delay", ["Restart=always", "RestartSec=100ms"], False),
    ("simple", ["Type=simple", "Restart=on-failure", "RestartSec=0"], False),
    ("mixed-tree", ["Restart=on-failure", "RestartSec=0", "KillMode=mixed"], True),
    ("always-2", ["Restart=always", "RestartSec=0"], False),
    ("no-2", ["Restart=no"], False),
]


class Unit:
    def __init__(self, soak, i):
        kind, lines, tree = KINDS[i % len(KINDS)]
        self.i = i
        self.kind = kind
        self.tree = tree
        self.token = str(200000000 + soak.pid * 100 + i)
        self.name = "%su%02d-%s" % (soak.prefix, i, kind)
        self.path = os.path.join(soak.tmp, self.name + ".ini")
        self.pidfile = os.path.join(soak.tmp, self.name + ".pid")
        if tree:
            # A shell with two children; it reaps them (a `sleep` parent would not).
            exec_start = "/bin/sh -c 'sleep %s & sleep %s; wait'" % (self.token, self.token)
        else:
            exec_start = "/bin/sleep " + self.token
        body = ["Type=exec"] if not any(l.startswith("Type=") for l in lines) else []
        body += ["ExecStart=" + exec_start, "PIDFile=" + self.pidfile,
                 "StandardOutput=append:%s/%s.log" % (soak.tmp, self.name), "StandardError=inherit",
                 "TimeoutStopSec=10s"] + lines
        with open(self.path, "w") as f:
            f.write("[Unit]\nDescription=soak %s\n\n[Service]\n%s\n" % (kind, "\n".join(body)))
        self.monitor_fds = {}  # monitor pid -> fd count when first seen settled


class Soak:
    def __init__(self, args):
        self.args = args
        self.pid = os.getpid()
        self.tmp = tempfile.mkdtemp(prefix="unitrun-soak.")
        os.chmod(self.tmp, 0o755)
        self.prefix = "soak-%d-" % self.pid
        self.reaper = B.Reaper()
        self.reaper.start()
        self.units = [Unit(self, i) for i in range(args.units)]
        self.failures = []
        self.transient = 0
        self.counts = {}
        self.status_codes = {}
        self.cli_log = os.path.join(self.tmp, "cli.log")
        self.step = 0
        self.extra_files, self.stale_pidfiles = [], []

    # ------------------------------------------------------------ /proc view

    def view(self, u):
        """(monitors, service processes [(pid, ppid, sid, comm)], zombies) of unit u, from /proc.
        A zombie is the unit's if its parent is the unit's monitor or one of its processes."""
        monitors, procs, dead = [], [], []
        for p in B.subtree(self.pid):
            st = B.read_stat(p)
            if not st:
                continue
            comm, state, ppid, _pgrp, sid, _start = st
            if state in "ZX":
                dead.append((p, comm, ppid))
                continue
            cl = B.cmdline(p) or []
            if comm == "unitrun" and u.path in cl:
                monitors.append(p)
            elif comm in ("sleep", "sh") and u.token in " ".join(cl):
                procs.append((p, ppid, sid, comm))
        mine = set(monitors) | {p[0] for p in procs}
        zombies = [z for z in dead if z[2] in mine]
        return monitors, procs, zombies

    def settled(self, u, v):
        monitors, procs, zombies = v
        if zombies:
            return False
        if len(monitors) > 1:
            return False
        if monitors:
            m = monitors[0]
            mains = [p for p in procs if p[1] == m]
            if len(mains) != 1:
                return False
            if u.tree and len(procs) < 2:
                return False  # the shell has not forked its children yet
            return True
        return True

    def settle(self, u, timeout=20.0):
        deadline = time.monotonic() + timeout
        prev = None
        while True:
            v = self.view(u)
            key = (tuple(v[0]), tuple(sorted(v[1])), tuple(v[2]))
            if self.settled(u, v) and key == prev:
                return v
            prev = key
            if time.monotonic() > deadline:
                self.fail(u, "did not settle in %.0f s: monitors %s, processes %s, zombies %s" %
                          (timeout, v[0], v[1], v[2]), "did not settle")
                return v
            time.sleep(0.03)

    # ------------------------------------------------------------ checks

    def fail(self, u, msg, kind="other"):
        text = "step %d, %s (%s): %s" % (self.step, u.name if u else "-", u.kind if u else "-", msg)
        self.failures.append((kind, text))
        n = sum(1 for k, _ in self.failures if k == kind)
        if n <= 3:
            print("FAIL [%s] %s" % (kind, text), file=sys.stderr, flush=True)
        if len(self.failures) >= self.args.max_failures:
            raise SystemExit("soak: %d failures, stopping" % len(self.failures))

    def expected(self, u, v):
        monitors, procs, _ = v
        if monitors:
            m = monitors[0]
            mains = [p[0] for p in procs if p[1] == m]
            return 0, (mains[0] if mains else None), m
        if procs:
            leaders = [p[0] for p in procs if p[0] == p[2]]
            return 0, (leaders[0] if leaders else 0), 0
        return (1 if os.path.exists(u.pidfile) else 3), 0, 0

    def status(self, u):
        pid = B.spawn([self.args.unitrun, "status", "--json", u.path], log=None,
                      stdout_path=os.path.join(self.tmp, "status.json"))
        st = self.reaper.wait(pid, 60)
        code = B.exit_code(st[0])
        try:
            with open(os.path.join(self.tmp, "status.json")) as f:
                j = json.load(f)
        except (OSError, ValueError):
            j = {}
        return code, j

    def check(self, u):
        for attempt in range(4):
            v = self.settle(u)
            code, mainpid, monitor = self.expected(u, v)
            got, j = self.status(u)
            v2 = self.view(u)
            if (tuple(v2[0]), tuple(sorted(v2[1]))) != (tuple(v[0]), tuple(sorted(v[1]))) and attempt < 3:
                if self.args.verbose:
                    print("transient (step %d, %s): processes changed during status" % (self.step, u.name),
                          file=sys.stderr)
                continue  # changed under us (a restart in progress): look again
            problems = []
            kind = "status disagrees with /proc"
            if got == code and not monitor and mainpid == 0 and j.get("main_pid", 0) and \
                    not os.path.exists("/proc/%d" % j["main_pid"]):
                kind = "status names a dead main PID (orphaned unit)"
            if got != code:
                problems.append("status exit %d, /proc says %d" % (got, code))
            if j.get("main_pid", 0) != mainpid:
                problems.append("status main_pid %s, /proc says %s" % (j.get("main_pid"), mainpid))
            if monitor and j.get("monitor_pid") != monitor:
                problems.append("status monitor_pid %s, /proc says %s" % (j.get("monitor_pid"), monitor))
            if not problems:
                if attempt > 0:
                    self.transient += 1  # agreed on a second look
                self.status_codes[code] = self.status_codes.get(code, 0) + 1
                self.invariants(u, v)
                return
            if attempt < 3:
                if self.args.verbose:
                    print("transient (step %d, %s): %s" % (self.step, u.name, "; ".join(problems)), file=sys.stderr)
                time.sleep(0.1)
                continue
            self.fail(u, "; ".join(problems) + " (state %s, processes %s)" % (j.get("sub_state"), v[1]), kind)

    def invariants(self, u, v):
        monitors, procs, _ = v
        sids = {p[2] for p in procs}
        if len(sids) > 1:
            self.fail(u, "service processes in %d sessions (a second copy?): %s" % (len(sids), procs), "invariant")
        leaders = [p for p in procs if p[0] == p[2]]
        if len(leaders) > 1:
            self.fail(u, "two service instances: %s" % procs, "invariant")
        if monitors:
            m = monitors[0]
            desc = set(B.subtree(m))
            stray = [p for p in procs if p[0] not in desc]
            if stray:
                self.fail(u, "service processes outside the monitor's tree: %s" % stray, "invariant")
            try:
                n = len(os.listdir("/proc/%d/fd" % m))
            except OSError:
                n = None
            if n is not None:
                first = u.monitor_fds.setdefault(m, n)
                if n > first:
                    self.fail(u, "monitor %d has %d fds, %d when first seen" % (m, n, first), "fd leak")
                    u.monitor_fds[m] = n
        for p in procs:
            try:
                fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % p[0]))
            except OSError:
                continue
            if fds != [0, 1, 2]:
                self.fail(u, "service process %d has fds %s" % (p[0], fds), "fd leak")

    # ------------------------------------------------------------ steps

    def cli(self, verb, u):
        pid = B.spawn([self.args.unitrun, verb, u.path], log=self.cli_log)
        st = self.reaper.wait(pid, 120)
        if st is None:
            self.fail(u, "unitrun %s did not return in 120 s" % verb, "command")
            return -1
        return B.exit_code(st[0])

    def do(self, op, u):
        self.counts[op] = self.counts.get(op, 0) + 1
        if op in ("start", "stop", "restart"):
            code = self.cli(op, u)
            if code != 0:
                self.fail(u, "unitrun %s exited %d (see %s)" % (op, code, self.cli_log), "command")
            return
        if op == "status":
            return
        monitors, procs, _ = self.view(u)
        targets = []
        if op in ("kill-service", "kill-both"):
            if monitors:
                targets += [p[0] for p in procs if p[1] == monitors[0]]
            else:
                targets += [p[0] for p in procs if p[0] == p[2]]
        if op in ("kill-monitor", "kill-both"):
            targets += monitors
        if op == "kill-child":
            children = [p[0] for p in procs if p[0] != p[2]]
            if children:
                targets.append(random.choice(children))
        if op == "kill-both":
            random.shuffle(targets)
        for t in targets:
            try:
                os.kill(t, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def run(self):
        a = self.args
        rnd = random.Random(a.seed)
        random.seed(a.seed)
        names, weights = zip(*OPS)
        t_start = time.monotonic()
        fds_before = sorted(os.listdir("/proc/self/fd"))
        for self.step in range(1, a.cycles + 1):
            u = rnd.choice(self.units)
            op = rnd.choices(names, weights)[0]
            self.do(op, u)
            self.check(u)
            if self.step % a.progress == 0:
                el = time.monotonic() - t_start
                print("soak: %d/%d steps, %.0f s, %d failures, load %s" %
                      (self.step, a.cycles, el, len(self.failures), B.load_average()), file=sys.stderr, flush=True)
        self.final(fds_before)
        return time.monotonic() - t_start

    def final(self, fds_before):
        for u in self.units:
            code = self.cli("stop", u)
            if code != 0:
                self.fail(u, "final stop exited %d" % code, "end")
        time.sleep(0.2)
        # processes and zombies: anything below us, or anywhere with our tokens or unit paths
        left = []
        for p in B.all_pids():
            if p == self.pid:
                continue
            cl = " ".join(B.cmdline(p) or [])
            st = B.read_stat(p)
            if not st:
                continue
            ours = any(u.token in cl or u.path in cl for u in self.units) or st[2] == self.pid
            if ours:
                left.append((p, st[0], st[1], cl))
        if left:
            self.fail(None, "left after the final stop: %s" % left, "end")
        # fds: nobody (but us) holds a file of ours open
        holders = []
        for p in B.all_pids():
            if p == self.pid:
                continue
            try:
                for fd in os.listdir("/proc/%d/fd" % p):
                    try:
                        t = os.readlink("/proc/%d/fd/%s" % (p, fd))
                    except OSError:
                        continue
                    if t.startswith(self.tmp) or ("/unitrun/" + self.prefix) in t:
                        holders.append((p, fd, t))
            except OSError:
                pass
        if holders:
            self.fail(None, "files of the units still open: %s" % holders, "end")
        fds_after = sorted(os.listdir("/proc/self/fd"))
        if len(fds_after) > len(fds_before):
            self.fail(None, "the soak itself leaked fds: %s -> %s" % (fds_before, fds_after), "end")
        # files: in /run/unitrun only NAME.HASH.lock, NAME.HASH.state, the
        # state record's spare .NAME.HASH.state.spare, the snapshot of what
        # the last monitor started from NAME.HASH.unit per unit, and NAME.name
        self.extra_files, self.stale_pidfiles = [], []
        rundir = "/run/unitrun"
        for f in sorted(os.listdir(rundir)) if os.path.isdir(rundir) else []:
            if not f.lstrip(".").startswith(self.prefix):
                continue
            if not (f.endswith(".lock") or f.endswith(".state") or f.endswith(".unit") or f.endswith(".name") or (f.startswith(".") and f.endswith(".state.spare"))):
                self.extra_files.append(os.path.join(rundir, f))
        for u in self.units:
            if os.path.exists(u.pidfile):
                self.stale_pidfiles.append(u.pidfile)
        for f in os.listdir(self.tmp):
            p = os.path.join(self.tmp, f)
            if f.endswith((".ini", ".log", ".pid")) or f == "status.json":
                continue
            self.extra_files.append(p)
        if self.extra_files:
            self.fail(None, "files left: %s" % self.extra_files, "end")

    def cleanup(self):
        for u in self.units:
            try:
                B.run(self.reaper, [self.args.unitrun, "stop", u.path], log=self.cli_log, timeout=60)
            except Exception:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = B.subtree(self.pid)
            for p in left:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while B.subtree(self.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        if os.path.isdir("/run/unitrun"):
            for f in os.listdir("/run/unitrun"):
                if f.startswith(self.prefix):
                    try:
                        os.unlink(os.path.join("/run/unitrun", f))
                    except OSError:
                        pass
        if not self.args.keep:
            for f in os.listdir(self.tmp):
                os.unlink(os.path.join(self.tmp, f))
            os.rmdir(self.tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--unitrun", required=True)
    ap.add_argument("--cycles", type=int, default=10000, help="steps (default 10000)")
    ap.add_argument("--units", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    ap.add_argument("--progress", type=int, default=100, help="print progress every N steps")
    ap.add_argument("--max-failures", type=int, default=1000, help="stop after this many (default 1000)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (unit files, logs)")
    ap.add_argument("--verbose", action="store_true", help="also print every transient disagreement")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak: run as root")
    if a.seed is None:
        a.seed = int(time.time())
    a.unitrun = os.path.abspath(a.unitrun)
    B.Reaper.block_sigchld()
    B.become_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    s = Soak(a)
    print("soak: %d steps over %d units, seed %d, unitrun %s, tmp %s, load %s" %
          (a.cycles, a.units, a.seed, a.unitrun, s.tmp, B.load_average()), file=sys.stderr, flush=True)
    elapsed = None
    t0 = time.monotonic()
    try:
        elapsed = s.run()
    except SystemExit as e:
        print(str(e), file=sys.stderr)
    finally:
        s.cleanup()
    if elapsed is None:
        print("soak: stopped at step %d of %d after %.0f s (seed %d)" % (s.step, a.cycles, time.monotonic() - t0, a.seed))
    else:
        print("soak: %d steps in %.0f s (seed %d)" % (a.cycles, elapsed, a.seed))
    print("  operations: %s" % ", ".join("%s %d" % kv for kv in sorted(s.counts.items())))
    print("  status exit codes seen (after agreeing with /proc): %s" %
          ", ".join("%d: %d" % kv for kv in sorted(s.status_codes.items())))
    print("  checks that agreed only on a second look (the unit changed during status): %d" % s.transient)
    if s.stale_pidfiles:
        print("  stale pidfiles left (monitor SIGKILLed, then its service died; `stop` leaves them "
              "by design, `status` exits 1): %d" % len(s.stale_pidfiles))
    if s.failures:
        kinds = {}
        for k, t in s.failures:
            kinds.setdefault(k, []).append(t)
        print("  FAILED: %d steps, by kind:" % len(s.failures))
        for k, ts in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
            print("    %s: %d, first: %s" % (k, len(ts), ts[0]))
        sys.exit(1)
    print("  no failure: status always matched /proc; nothing left (processes, zombies, fds, files)")


if __name__ == "__main__":
    main()
