"""The inside of bench/container-compare: runs in a Debian 12 container
without systemd (tini as PID 1), where unitrun and docker-systemctl-
replacement's systemctl3.py (the peer) manage the same unit files in
/etc/systemd/system, one command at a time, alternating the two runners
every run.

    python3 container_compare.py --unitrun /usr/bin/unitrun \
        --peer /opt/bench/systemctl3.py --runs 15

Rows: start and stop latency of a Type=simple and a Type=notify unit (median
of --runs, CLOCK_MONOTONIC from spawn to exit of the command); whether stop
ends a setsid()'d grandchild (whole-tree stop); whether stop of a unit that
does not run kills the unrelated process its stale PIDFile= names; whether
ProtectSystem=strict, PrivateTmp=yes and NoNewPrivileges=yes are in force
on the main process (read from /proc). Prints "ROW runner key value" lines
and a markdown table. Exit 1 if a command failed in a way that leaves no
figure.
"""

import argparse
import os
import select
import signal
import subprocess
import sys
import time

UNIT_DIR = "/etc/systemd/system"
WORK = "/run/ccbench"

NOTIFY_PY = r"""
import os, socket, signal
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", addr)
while True:
    signal.pause()
"""

# The main process forks a child that calls setsid() and forks the
# grandchild, then exits: the grandchild has its own session and process
# group, and the main process's parent is not its parent.
TREE_PY = r"""
import os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open("/run/ccbench/grandchild.tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename("/run/ccbench/grandchild.tmp", "/run/ccbench/grandchild.pid")
        while True:
            signal.pause()
    os._exit(0)
while True:
    signal.pause()
"""

UNITS = {
    "ccb-simple": "Type=simple\nExecStart=/bin/sleep 1000001\n",
    "ccb-notify": "Type=notify\nExecStart=/usr/bin/python3 %s/notify.py\n" % WORK,
    "ccb-tree": "Type=simple\nExecStart=/usr/bin/python3 %s/tree.py\n" % WORK,
    "ccb-stale": ("Type=forking\nPIDFile=%s/stale.pid\n"
                  "ExecStart=/bin/sh -c 'sleep 1000004 & echo $! > %s/stale.pid'\n") % (WORK, WORK),
    "ccb-sandbox": ("Type=simple\nExecStart=/bin/sleep 1000005\n"
                    "ProtectSystem=strict\nPrivateTmp=yes\nNoNewPrivileges=yes\n"),
}


def write_files():
    os.makedirs(WORK, exist_ok=True)
    with open(WORK + "/notify.py", "w") as f:
        f.write(NOTIFY_PY)
    with open(WORK + "/tree.py", "w") as f:
        f.write(TREE_PY)
    for name, body in UNITS.items():
        with open("%s/%s.service" % (UNIT_DIR, name), "w") as f:
            f.write("[Unit]\nDescription=container bench %s\n\n[Service]\n%s" % (name, body))


class Runner:
    def __init__(self, name, argv):
        self.name = name
        self.argv = argv

    def run(self, verb, unit, timeout=120):
        t0 = time.monotonic()
        p = subprocess.run(self.argv + [verb, unit + ".service"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        ms = (time.monotonic() - t0) * 1000
        return p.returncode, ms, p.stdout.decode(errors="replace")


def pids_with_arg(arg):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if arg.encode() in f.read().split(b"\0"):
                    out.append(int(d))
        except OSError:
            pass
    return out


def ends_within(pid, seconds):
    """True if PID ends within SECONDS (a pidfd, no polling of /proc)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def wait_file(path, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.01)
    return os.path.exists(path)


def kill_proven(pid):
    """SIGKILL to PID through a pidfd (the very process we looked at)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        select.select([fd], [], [], 5)
    except ProcessLookupError:
        pass
    finally:
        os.close(fd)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return float("nan")
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def latency(runners, unit, runs, results, failures):
    for i in range(runs):
        order = runners if i % 2 == 0 else list(reversed(runners))
        for r in order:
            rc, ms, out = r.run("start", unit)
            if rc != 0:
                failures.append("%s start %s: exit %d: %s" % (r.name, unit, rc, out.strip()[:300]))
                r.run("stop", unit)
                continue
            results.setdefault((r.name, unit, "start"), []).append(ms)
            rc, ms, out = r.run("stop", unit)
            if rc != 0:
                failures.append("%s stop %s: exit %d: %s" % (r.name, unit, rc, out.strip()[:300]))
                continue
            results.setdefault((r.name, unit, "stop"), []).append(ms)


def whole_tree(r):
    gpath = WORK + "/grandchild.pid"
    if os.path.exists(gpath):
        os.unlink(gpath)
    rc, _, out = r.run("start", "ccb-tree")
    if rc != 0:
        return "start failed: " + out.strip()[:200]
    if not wait_file(gpath, 10):
        r.run("stop", "ccb-tree")
        return "no grandchild within 10 s"
    with open(gpath) as f:
        g = int(f.read())
    r.run("stop", "ccb-tree")
    if ends_within(g, 2):
        return "ended"
    kill_proven(g)
    return "SURVIVED"


def stale_pidfile(r):
    # An unrelated process (the bench's own child, in no unit) whose PID a
    # stale pidfile of a unit that does not run names.
    victim = subprocess.Popen(["/bin/sleep", "1000099"], start_new_session=True)
    with open(WORK + "/stale.pid", "w") as f:
        f.write("%d\n" % victim.pid)
    rc, _, _ = r.run("stop", "ccb-stale")
    killed = ends_within(victim.pid, 2)
    if not killed:
        victim.kill()
    victim.wait()
    try:
        os.unlink(WORK + "/stale.pid")
    except FileNotFoundError:
        pass
    return ("KILLED it" if killed else "left it alone") + " (stop exit %d)" % rc


def sandbox(r):
    rc, _, out = r.run("start", "ccb-sandbox")
    if rc != 0:
        return {"error": "start failed: " + out.strip()[:200]}
    pids = []
    end = time.monotonic() + 5
    while not pids and time.monotonic() < end:
        pids = pids_with_arg("1000005")
        if not pids:
            time.sleep(0.01)
    res = {}
    if not pids:
        res["error"] = "no main process"
    else:
        pid = pids[0]
        with open("/proc/%d/status" % pid) as f:
            nnp = [ln.split()[1] for ln in f if ln.startswith("NoNewPrivs:")]
        res["NoNewPrivileges=yes"] = "applied" if nnp == ["1"] else "NOT applied"
        root_opts = ""
        with open("/proc/%d/mountinfo" % pid) as f:
            for ln in f:
                fields = ln.split()
                if fields[4] == "/":
                    root_opts = fields[5]
        res["ProtectSystem=strict"] = "applied" if root_opts.split(",")[0] == "ro" else "NOT applied"
        marker = "/tmp/ccbench-marker-%d" % os.getpid()
        open(marker, "w").close()
        seen = os.path.exists("/proc/%d/root%s" % (pid, marker))
        os.unlink(marker)
        res["PrivateTmp=yes"] = "NOT applied" if seen else "applied"
    r.run("stop", "ccb-sandbox")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unitrun", required=True)
    ap.add_argument("--peer", required=True, help="systemctl3.py")
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    write_files()
    runners = [Runner("unitrun", [a.unitrun]), Runner("systemctl3.py", [sys.executable, a.peer])]
    results, failures = {}, []
    for unit in ("ccb-simple", "ccb-notify"):
        latency(runners, unit, a.runs, results, failures)
    rows = []
    for unit, label in (("ccb-simple", "Type=simple"), ("ccb-notify", "Type=notify")):
        for verb in ("start", "stop"):
            cells = []
            for r in runners:
                xs = results.get((r.name, unit, verb), [])
                m = median(xs)
                print("ROW %s %s-%s-median-ms %.1f (n=%d)" % (r.name, unit, verb, m, len(xs)))
                cells.append("%.0f ms" % m if xs else "failed")
            rows.append(("%s %s (median of %d)" % (label, verb, a.runs), cells))
    cells = []
    for r in runners:
        v = whole_tree(r)
        print("ROW %s setsid-grandchild-after-stop %s" % (r.name, v))
        cells.append(v)
    rows.append(("stop: a setsid() grandchild", cells))
    cells = []
    for r in runners:
        v = stale_pidfile(r)
        print("ROW %s stale-pidfile-unrelated-process %s" % (r.name, v))
        cells.append(v)
    rows.append(("stop with a stale PIDFile= naming an unrelated process", cells))
    sb = [sandbox(r) for r in runners]
    for key in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes"):
        cells = []
        for r, res in zip(runners, sb):
            v = res.get(key, res.get("error", "?"))
            print("ROW %s %s %s" % (r.name, key, v))
            cells.append(v)
        rows.append((key, cells))
    print()
    print("| | %s |" % " | ".join(r.name for r in runners))
    print("|---|" + "---|" * len(runners))
    for label, cells in rows:
        print("| %s | %s |" % (label, " | ".join(cells)))
    for f in failures:
        print("FAILED: " + f)
    return 1 if any(not results.get((r.name, "ccb-simple", "start")) for r in runners) else 0


if __name__ == "__main__":
    sys.exit(main())
