#!/usr/bin/env python3
"""Where unitrun's start and stop latency goes, from the kernel's process
events (fork, exec, exit, with CLOCK_MONOTONIC timestamps): no tracer slows
the processes down. As root:

    /usr/bin/python3 bench/where.py --unitrun build-bench/unitrun [--runs 30]

Start is cut at: the CLI's exec, its first fork (everything before is the
CLI's own work: loading, unit validation, runtime-file inspection, lock), the
monitor's fork, the service's fork, the service's exec, and the CLI's exit
(the readiness report reaching the caller). Stop is cut at: the CLI's exec,
the service's exit (CLI work + the monitor's reaction to SIGTERM), the
monitor's exit (its stop sequence after the service died), the CLI's exit.
Medians [min-max] in ms over --runs.
"""

import argparse
import os
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402


class AllEvents:
    def __init__(self):
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, B.NETLINK_CONNECTOR)
        s.setsockopt(socket.SOL_SOCKET, B.SO_RCVBUFFORCE, 32 << 20)
        s.bind((0, B.CN_IDX_PROC))
        op = struct.pack("=II", B.PROC_CN_MCAST_LISTEN, 0x1 | 0x2 | 0x80000000)
        cn = struct.pack("=IIIIHH", B.CN_IDX_PROC, B.CN_VAL_PROC, 0, 0, len(op), 0) + op
        s.send(struct.pack("=IHHII", 16 + len(cn), B.NLMSG_DONE, 0, 0, os.getpid()) + cn)
        self.s = s
        self.events = []
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            d = self.s.recv(65536)
            off = 0
            while off + 16 <= len(d):
                n = struct.unpack_from("=I", d, off)[0]
                b = off + 16
                what, _cpu, ts = struct.unpack_from("=IIQ", d, b + 20)
                e = b + 36
                ev = None
                if what == 1:
                    _pp, pt, cp, ct = struct.unpack_from("=iiii", d, e)
                    if cp == ct:
                        ev = (ts, "fork", pt, ct)
                elif what == 2:
                    p, t = struct.unpack_from("=ii", d, e)
                    if p == t:
                        ev = (ts, "exec", t, 0)
                elif what == 0x80000000:
                    p, t = struct.unpack_from("=ii", d, e)
                    if p == t:
                        ev = (ts, "exit", t, 0)
                if ev:
                    with self.lock:
                        self.events.append(ev)
                off += (n + 3) & ~3

    def take(self):
        with self.lock:
            ev, self.events = self.events, []
        return sorted(ev)


def fmt(xs):
    return "%7.2f [%.2f-%.2f]" % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--unitrun", required=True)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    B.Reaper.block_sigchld()
    B.become_subreaper()
    reaper = B.Reaper()
    reaper.start()
    ev = AllEvents()
    tmp = tempfile.mkdtemp(prefix="unitrun-where.")
    token = str(900000000 + os.getpid())
    unit = os.path.join(tmp, "where-%d.ini" % os.getpid())
    with open(unit, "w") as f:
        f.write("[Service]\nType=exec\nExecStart=/bin/sleep %s\nPIDFile=%s/where.pid\n"
                "StandardOutput=null\nStandardError=null\n" % (token, tmp))
    start_cols = ["spawn→CLI exec", "CLI exec→1st fork", "1st fork→monitor", "monitor→service fork",
                  "service fork→exec", "service exec→CLI exit", "total"]
    # "1st fork→monitor" is 0 for a binary that forks its monitor directly
    # (since 2026-12-07); older ones forked an intermediate process first.
    stop_cols = ["spawn→CLI exec", "CLI exec→service exit", "service exit→monitor exit", "monitor exit→CLI exit",
                 "total"]
    S = {c: [] for c in start_cols}
    P = {c: [] for c in stop_cols}
    try:
        for _ in range(a.runs + 1):
            time.sleep(0.1)
            ev.take()
            t0 = B.now_ns()
            cli = B.spawn([a.unitrun, "start", unit])
            reaper.wait(cli)
            time.sleep(0.1)
            es = ev.take()
            tree = {cli}
            forks = []
            for ts, k, p, c in es:
                if k == "fork" and p in tree:
                    tree.add(c)
                    forks.append((ts, p, c))
            t = {}
            for ts, k, p, c in es:
                if k == "exec" and p == cli:
                    t["cli_exec"] = ts
                if k == "exit" and p == cli:
                    t["cli_exit"] = ts
            # forks: CLI -> [intermediate ->] monitor -> service; the service
            # is the first process of the chain that execs.
            chain = [[f for f in forks if f[1] == cli][0]]
            execs = {p: ts for ts, k, p, c in es if k == "exec"}
            while chain[-1][2] not in execs:
                chain.append([f for f in forks if f[1] == chain[-1][2]][0])
            f1 = chain[0]
            f2 = chain[-2] if len(chain) > 2 else chain[0]
            f3 = chain[-1]
            svc_exec = execs[f3[2]]
            row = [t["cli_exec"] - t0, f1[0] - t["cli_exec"], f2[0] - f1[0], f3[0] - f2[0], svc_exec - f3[0],
                   t["cli_exit"] - svc_exec, max(t["cli_exit"], svc_exec) - t0]
            monitor, service = f2[2], f3[2]
            time.sleep(0.1)
            ev.take()
            t0 = B.now_ns()
            cli = B.spawn([a.unitrun, "stop", unit])
            reaper.wait(cli)
            time.sleep(0.1)
            es = ev.take()
            t = {}
            for ts, k, p, c in es:
                if k == "exec" and p == cli:
                    t["cli_exec"] = ts
                if k == "exit" and p in (cli, monitor, service):
                    t[p] = ts
            prow = [t["cli_exec"] - t0, t[service] - t["cli_exec"], t[monitor] - t[service], t[cli] - t[monitor],
                    max(t[cli], t[monitor], t[service]) - t0]
            if _ > 0:  # first run is a warm-up
                for c, v in zip(start_cols, row):
                    S[c].append(v / 1e6)
                for c, v in zip(stop_cols, prow):
                    P[c].append(v / 1e6)
    finally:
        B.run(reaper, [a.unitrun, "stop", unit])
        for f in os.listdir("/run/unitrun") if os.path.isdir("/run/unitrun") else []:
            if f.startswith("where-%d." % os.getpid()):
                os.unlink(os.path.join("/run/unitrun", f))
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    print("load average: %s; %d runs; ms, median [min-max]" % (B.load_average(), a.runs))
    print("start:")
    for c in start_cols:
        print("  %-26s %s" % (c, fmt(S[c])))
    print("stop:")
    for c in stop_cols:
        print("  %-26s %s" % (c, fmt(P[c])))


if __name__ == "__main__":
    main()
