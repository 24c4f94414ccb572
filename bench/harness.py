#!/usr/bin/env python3
"""unitrun's benchmark against its peers. Run it through bench/run; what each
measure means is in docs/benchmarks.md.

Phases (all in one process, which is the child subreaper of everything the
tools start and reaps it at once):
  startstop  start and stop latency, tools alternated round-robin per iteration
  idle       wakeups/s and memory of each supervising process over 10 s windows
  restart    SIGKILL of the service -> the new service exec'd
  scale      200 unitrun units started, then stopped, in parallel
  output     1 GiB written to stdout under unitrun vs straight to a file
  notifyflood  the monitor's CPU while a stranger (uid nobody, 64 processes
             deep) floods its unit's NOTIFY_SOCKET (bench/notify_flood.py)
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib as B

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SYS_PYTHON = "/usr/bin/python3"
GIB = 1 << 30
PHASES = ["startstop", "idle", "restart", "scale", "output", "notifyflood"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Fail(Exception):
    pass


class Ctx:
    def __init__(self, args):
        self.args = args
        self.pid = os.getpid()
        self.unitrun = args.unitrun
        self.tmp = tempfile.mkdtemp(prefix="unitrun-bench.")
        self.shm = tempfile.mkdtemp(prefix="unitrun-bench.", dir=args.output_dir)
        os.chmod(self.tmp, 0o755)
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.prefix = "ubench-%d-" % self.pid  # unit names: /run/unitrun/<prefix>*
        self.units = []                        # every unit file written, for cleanup
        self.reaper = B.Reaper()
        self.reaper.start()
        self.pe = B.ProcEvents()
        self._tok = 0

    def token(self):
        """A unique argument for `sleep`, identifying one service instance."""
        self._tok += 1
        return str(100000000 + self.pid * 1000 + self._tok)

    def logfile(self, name):
        return os.path.join(self.logs, name + ".log")

    def write_unit(self, name, service_lines):
        path = os.path.join(self.tmp, self.prefix + name + ".ini")
        with open(path, "w") as f:
            f.write("[Unit]\nDescription=unitrun benchmark %s\n\n[Service]\n" % name)
            for line in service_lines:
                f.write(line + "\n")
        self.units.append(path)
        return path

    def run(self, argv, logname, timeout=120):
        return B.run(self.reaper, argv, log=self.logfile(logname), timeout=timeout)


# ---------------------------------------------------------------- timing primitives


def command_end(ctx, pid, reap_ns):
    """When the command exited: the kernel's exit event, else when it was reaped."""
    ts = ctx.pe.exit_ts(pid, timeout=0.2) if ctx.pe.ok else None
    return ts if ts is not None else reap_ns


def run_timed(ctx, argv, logname, timeout=120):
    """Runs argv; (exit code, exit time ns)."""
    pid = B.spawn(argv, log=ctx.logfile(logname))
    r = ctx.reaper.wait(pid, timeout)
    if r is None:
        os.kill(pid, signal.SIGKILL)
        ctx.reaper.wait(pid)
        raise Fail("timed out: " + " ".join(argv))
    return B.exit_code(r[0]), command_end(ctx, pid, r[1])


def wait_service(ctx, token, t0, exclude=(), timeout=15.0):
    """(pid, ns when it exec'd) of the `sleep token` started at or after t0."""
    if ctx.pe.ok:
        r = ctx.pe.wait_exec(token, t0, exclude=set(exclude), timeout=timeout)
        if r is not None and B.is_service(r[0], token):
            return r
        if r is not None:
            raise Fail("service %s exec'd but is gone" % token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:   # fallback: poll /proc
        found = [p for p in B.find_service(token) if p not in exclude]
        if found:
            return found[0], B.now_ns()
        time.sleep(0.0001)
    raise Fail("service %s did not start" % token)


def gone_times(ctx, pids_fds, t0, timeout=60.0):
    """Waits until every process is gone (exited and reaped); when each went."""
    seen = B.wait_gone([fd for _, fd in pids_fds], timeout=timeout)
    out = []
    for pid, fd in pids_fds:
        if seen[fd] is not None:
            out.append(seen[fd])              # was a zombie: when it was seen reaped
            continue
        ts = ctx.reaper.reap_time(pid)        # reaped by us: exact
        if ts is None or ts < t0:
            ts = ctx.pe.exit_ts(pid, timeout=0.2) if ctx.pe.ok else None
        if ts is None or ts < t0:
            ts = B.now_ns()
        out.append(ts)
    return out


# ---------------------------------------------------------------- tools: start and stop


class Tool:
    name = ""
    label = ""
    persistent = ()   # pids of long-lived supervisors, not part of an instance

    def __init__(self, ctx):
        self.ctx = ctx
        self.token = ctx.token()
        if ctx.pe.ok:
            ctx.pe.watch(self.token)

    def setup(self):
        pass

    def start_argv(self):
        raise NotImplementedError

    def stop(self, inst, t0):
        """Stops; returns when the stop command exited (ns), or t0 for an in-process kill."""
        code, end = run_timed(self.ctx, self.stop_argv(), self.name)
        if code != 0:
            raise Fail("%s stop exited %d (see %s)" % (self.name, code, self.ctx.logfile(self.name)))
        return end

    def stop_argv(self):
        raise NotImplementedError

    def teardown(self):
        pass


class Unitrun(Tool):
    name, label = "unitrun", "unitrun start / stop"
    # Each variant writes a unit file of its own (stem, extra keys): a
    # variant that rewrote the plain one's file would start its own token
    # under the plain tool's name, and the plain tool would wait in vain.
    stem = "ss"
    extra = ()

    def binary(self):
        return self.ctx.unitrun

    def setup(self):
        self.unit = self.ctx.write_unit(self.stem, [
            "Type=exec",
            "ExecStart=/bin/sleep " + self.token,
            "PIDFile=%s/unitrun-%s.pid" % (self.ctx.tmp, self.stem),
            "StandardOutput=null",
            "StandardError=null",
        ] + list(self.extra))

    def start_argv(self):
        return [self.binary(), "start", self.unit]

    def stop_argv(self):
        return [self.binary(), "stop", self.unit]


class UnitrunBefore(Unitrun):
    """The same start and stop with another unitrun binary (--unitrun-before),
    alternated with this one in the same run: a before/after ratio that the
    machine's mood cannot skew."""
    name, label = "unitrun-before", "unitrun (before) start / stop"
    stem = "ssb"

    def binary(self):
        return self.ctx.args.unitrun_before


SANDBOX_KEYS = ["ProtectSystem=strict", "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes",
                "SystemCallFilter=@system-service"]


class UnitrunSandboxed(Unitrun):
    """The same unit with issue 13's protections: a mount namespace with a
    read-only tree, a private /tmp and /dev, no_new_privs and a seccomp
    filter. What the sandbox costs a start and a stop."""
    name, label = "unitrun-sandboxed", "unitrun start / stop, sandboxed (%s)" % ", ".join(SANDBOX_KEYS)
    stem = "sbx"
    extra = SANDBOX_KEYS


STALE_UNITS = 1000


class UnitrunCrowded(Unitrun):
    """unitrun start / stop while the runtime directory holds the files of
    1,000 other units that ran once (a machine after a day of use): a start
    must not cost more for it."""
    name, label = "unitrun-crowded", "unitrun start / stop, 1,000 stale units' runtime files present"

    stem = "ssc"

    def setup(self):
        super().setup()
        rundir = "/run/unitrun"
        os.makedirs(rundir, mode=0o755, exist_ok=True)
        self.stale = []
        record = '{"sub_state":"dead","result":"success","state":"inactive","events":[]}\n'
        for i in range(STALE_UNITS):
            stem = os.path.join(rundir, "%sstale-%04d" % (self.ctx.prefix, i))
            for path, content in ((stem + ".%012x.lock" % i, ""), (stem + ".%012x.state" % i, record),
                                  (stem + ".name", "/nonexistent/%d.ini" % i)):
                with open(path, "w") as f:
                    f.write(content)
                self.stale.append(path)

    def teardown(self):
        for path in self.stale:
            try:
                os.unlink(path)
            except OSError:
                pass


class Ssd(Tool):
    name, label = "ssd", "start-stop-daemon --background / --stop --retry"

    def setup(self):
        self.pidfile = os.path.join(self.ctx.tmp, "ssd.pid")

    def start_argv(self):
        return ["/usr/sbin/start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile", self.pidfile,
                "--exec", "/bin/sleep", "--", self.token]

    def stop_argv(self):
        return ["/usr/sbin/start-stop-daemon", "--stop", "--pidfile", self.pidfile, "--retry", "TERM/5/KILL/5"]


class Daemonize(Tool):
    name, label = "daemonize", "daemonize -p / kill(2)"

    def setup(self):
        self.pidfile = os.path.join(self.ctx.tmp, "daemonize.pid")

    def start_argv(self):
        return ["/usr/sbin/daemonize" if os.path.exists("/usr/sbin/daemonize") else "/usr/bin/daemonize",
                "-p", self.pidfile, "/bin/sleep", self.token]

    def stop(self, inst, t0):
        with open(self.pidfile) as f:
            os.kill(int(f.read().strip()), signal.SIGTERM)
        return t0


class Daemon(Tool):
    name, label = "daemon", "daemon --name / --stop"

    def setup(self):
        self.dname = "%sss" % self.ctx.prefix

    def start_argv(self):
        return ["/usr/bin/daemon", "--name=" + self.dname, "--pidfiles=" + self.ctx.tmp, "--", "/bin/sleep",
                self.token]

    def stop_argv(self):
        return ["/usr/bin/daemon", "--name=" + self.dname, "--pidfiles=" + self.ctx.tmp, "--stop"]

    def teardown(self):
        B.run(self.ctx.reaper, self.stop_argv(), log=self.ctx.logfile(self.name))


class Floor(Tool):
    """The floor model (bench/floor.c, built by bench/run): unitrun's start and
    stop protocol and its guarantees (own session, cgroups, clone3 into them,
    record before pidfile before reply, pidfd stop of the whole tree) in a few
    hundred lines of C and nothing else. What any implementation of those
    guarantees pays here; unitrun/floor is what unitrun's own code adds."""
    name, label = "floor", "floor model (bench/floor)"

    def setup(self):
        self.stem = "%sfloor" % self.ctx.prefix

    def start_argv(self):
        return [self.ctx.args.floor, "start", self.stem, "--", "/bin/sleep", self.token]

    def stop_argv(self):
        return [self.ctx.args.floor, "stop", self.stem]

    def teardown(self):
        B.run(self.ctx.reaper, self.stop_argv(), log=self.ctx.logfile(self.name))


class Supervisord:
    """One supervisord (foreground, a child of the harness) with two programs:
    `ss` (autostart=false) for start/stop, `rs` (autostart, autorestart) for
    idle and restart."""

    def __init__(self, ctx, ss_token, rs_token):
        self.ctx = ctx
        d = os.path.join(ctx.tmp, "supervisor")
        os.makedirs(d, exist_ok=True)
        self.conf = os.path.join(d, "supervisord.conf")
        self.sock = os.path.join(d, "supervisor.sock")
        with open(self.conf, "w") as f:
            f.write(f"""[unix_http_server]
file={self.sock}
chmod=0700

[supervisord]
logfile={d}/supervisord.log
pidfile={d}/supervisord.pid
childlogdir={d}
nodaemon=true

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{self.sock}

[program:ss]
command=/bin/sleep {ss_token}
autostart=false
autorestart=false
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:rs]
command=/bin/sleep {rs_token}
autostart=true
autorestart=true
stdout_logfile=NONE
stderr_logfile=NONE
""")
        self.pid = B.spawn(["/usr/bin/supervisord", "-n", "-c", self.conf], log=ctx.logfile("supervisord"))
        deadline = time.monotonic() + 30
        while True:
            if os.path.exists(self.sock) and self.ctl("status", "ss", ok=(0, 3)) in (0, 3):
                break
            if time.monotonic() > deadline:
                raise Fail("supervisord did not come up (see %s)" % ctx.logfile("supervisord"))
            time.sleep(0.1)

    def ctl_argv(self, *a):
        return ["/usr/bin/supervisorctl", "-c", self.conf] + list(a)

    def ctl(self, *a, ok=(0,)):
        return B.run(self.ctx.reaper, self.ctl_argv(*a), log=self.ctx.logfile("supervisorctl"))

    def shutdown(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        self.ctx.reaper.wait(self.pid, 20)


class Supervisor(Tool):
    name, label = "supervisor", "supervisorctl start / stop (startsecs=0)"

    def setup(self):
        self.persistent = (self.ctx.supervisord.pid,)

    def start_argv(self):
        return self.ctx.supervisord.ctl_argv("start", "ss")

    def stop_argv(self):
        return self.ctx.supervisord.ctl_argv("stop", "ss")


class Classic(Tool):
    name, label = "classic", "classic Python daemon (bench/classic_daemon.py)"

    def setup(self):
        self.pidfile = os.path.join(self.ctx.tmp, "classic.pid")
        self.script = os.path.join(HERE, "classic_daemon.py")

    def start_argv(self):
        return [SYS_PYTHON, self.script, "--pidfile", self.pidfile, "start", "--", "/bin/sleep", self.token]

    def stop_argv(self):
        return [SYS_PYTHON, self.script, "--pidfile", self.pidfile, "stop"]


class Baseline(Tool):
    """The floor: the harness spawns sleep itself; stop is kill(2) from the harness."""
    name, label = "baseline", "baseline: posix_spawn sleep / kill(2)"
    direct = True

    def start_argv(self):
        return None

    def stop(self, inst, t0):
        os.kill(inst["pid"], signal.SIGTERM)
        return t0


class BaselineKillCmd(Baseline):
    """The same, with the kill as a command (/bin/kill): the floor plus one exec."""
    name, label = "baseline-kill1", "baseline: posix_spawn sleep / /bin/kill"

    def stop(self, inst, t0):
        code, end = run_timed(self.ctx, ["/bin/kill", "-TERM", str(inst["pid"])], self.name)
        if code != 0:
            raise Fail("/bin/kill exited %d" % code)
        return end


def measure_start(ctx, tool):
    t0 = B.now_ns()
    argv = tool.start_argv()
    if argv is None:
        pid = B.spawn(["/bin/sleep", tool.token])
        cmd_end = t0
    else:
        code, cmd_end = run_timed(ctx, argv, tool.name)
        if code != 0:
            raise Fail("%s start exited %d (see %s)" % (tool.name, code, ctx.logfile(tool.name)))
    try:
        spid, exec_ts = wait_service(ctx, tool.token, t0)
    except Fail as e:
        raise Fail("%s: %s" % (tool.name, e))
    if argv is None and spid != pid:
        raise Fail("baseline: unexpected pid")
    end = max(cmd_end, exec_ts)
    members = [spid] + [a for a in B.ancestors(spid, ctx.pid) if a not in tool.persistent]
    fds = []
    for p in members:
        fd = B.pidfd(p)
        if fd is not None:
            fds.append((p, fd))
    return end - t0, {"pid": spid, "fds": fds, "members": members}


def measure_stop(ctx, tool, inst):
    t0 = B.now_ns()
    cmd_end = tool.stop(inst, t0)
    ends = gone_times(ctx, inst["fds"], t0)
    for _, fd in inst["fds"]:
        os.close(fd)
    left = B.find_service(tool.token)
    if left:
        raise Fail("%s: service still running after stop: %s" % (tool.name, left))
    return max([cmd_end] + ends) - t0


# ---------------------------------------------------------------- supervisors: idle and restart


class Supervised:
    """One supervisor watching one `sleep`; .sup is the supervising process."""
    name = ""
    label = ""

    def __init__(self, ctx, token):
        self.ctx = ctx
        self.token = token
        self.sup = None

    def current(self):
        found = B.find_service(self.token)
        if len(found) != 1:
            raise Fail("%s: expected one service, found %s" % (self.name, found))
        return found[0]

    def teardown(self):
        pass


class SvUnitrun(Supervised):
    name, label = "unitrun", "unitrun monitor (Restart=always, RestartSec=0)"

    def start(self):
        self.unit = self.ctx.write_unit("idle", [
            "Type=exec",
            "ExecStart=/bin/sleep " + self.token,
            "PIDFile=%s/unitrun-idle.pid" % self.ctx.tmp,
            "StandardOutput=null",
            "StandardError=null",
            "Restart=always",
            "RestartSec=0",
        ])
        if self.ctx.run([self.ctx.unitrun, "start", self.unit], "unitrun-idle") != 0:
            raise Fail("unitrun start (idle unit) failed")

    def find_sup(self):
        self.sup = B.read_stat(self.current())[2]

    def teardown(self):
        self.ctx.run([self.ctx.unitrun, "stop", self.unit], "unitrun-idle")


class SvDaemon(Supervised):
    name, label = "daemon", "daemon --respawn (--idiot --acceptable=1)"

    def start(self):
        self.dname = self.ctx.prefix + "idle"
        self.base = ["/usr/bin/daemon", "--name=" + self.dname, "--pidfiles=" + self.ctx.tmp]
        argv = self.base + ["--respawn", "--idiot", "--acceptable=1", "--", "/bin/sleep", self.token]
        if self.ctx.run(argv, "daemon-idle") != 0:
            raise Fail("daemon --respawn failed")

    def find_sup(self):
        self.sup = B.read_stat(self.current())[2]

    def teardown(self):
        self.ctx.run(self.base + ["--stop"], "daemon-idle")


class SvRunsv(Supervised):
    name, label = "runsv", "runsv (runit)"
    prog = "/usr/bin/runsv"

    def start(self):
        d = os.path.join(self.ctx.tmp, "sv-" + self.name)
        os.makedirs(d)
        with open(os.path.join(d, "run"), "w") as f:
            f.write("#!/bin/sh\nexec /bin/sleep %s\n" % self.token)
        os.chmod(os.path.join(d, "run"), 0o755)
        self.sup = B.spawn([self.prog, d], log=self.ctx.logfile(self.name))

    def find_sup(self):
        pass

    def teardown(self):
        try:
            os.kill(self.sup, signal.SIGTERM)
        except ProcessLookupError:
            return
        self.ctx.reaper.wait(self.sup, 10)


class SvS6(SvRunsv):
    name, label = "s6-supervise", "s6-supervise (s6)"
    prog = "/usr/bin/s6-supervise"


class SvSupervisord(Supervised):
    name, label = "supervisord", "supervisord (autorestart=true)"

    def start(self):
        pass  # started with the startstop phase's supervisord: program rs

    def find_sup(self):
        self.sup = self.ctx.supervisord.pid


def start_supervised(ctx):
    out = [SvUnitrun(ctx, ctx.idle_tokens["unitrun"]), SvDaemon(ctx, ctx.idle_tokens["daemon"]),
           SvRunsv(ctx, ctx.idle_tokens["runsv"]), SvS6(ctx, ctx.idle_tokens["s6-supervise"]),
           SvSupervisord(ctx, ctx.idle_tokens["supervisord"])]
    if ctx.pe.ok:
        for s in out:
            ctx.pe.watch(s.token)
    for s in out:
        s.start()
    deadline = time.monotonic() + 30
    for s in out:
        while not B.find_service(s.token):
            if time.monotonic() > deadline:
                raise Fail("%s: service did not start" % s.name)
            time.sleep(0.05)
        s.find_sup()
    return out


def phase_idle(ctx, res, sups):
    a = ctx.args
    log("idle: %d windows of %g s over %s (settling %g s first)" %
        (a.idle_runs, a.idle_seconds, ", ".join(s.name for s in sups), a.idle_settle))
    time.sleep(a.idle_settle)
    samples = {s.name: {"wakeups": [], "pss": [], "private_dirty": [], "rss": []} for s in sups}
    for w in range(a.idle_runs):
        before = {s.name: (B.ctx_switches(s.sup), time.monotonic()) for s in sups}
        time.sleep(a.idle_seconds)
        for s in sups:
            c0, t0 = before[s.name]
            c1, t1 = B.ctx_switches(s.sup), time.monotonic()
            m = B.smaps_rollup(s.sup)
            if c0 is None or c1 is None or m is None:
                raise Fail("%s: supervising process %d is gone" % (s.name, s.sup))
            samples[s.name]["wakeups"].append((c1 - c0) / (t1 - t0))
            samples[s.name]["pss"].append(m.get("Pss", 0))
            samples[s.name]["private_dirty"].append(m.get("Private_Dirty", 0))
            samples[s.name]["rss"].append(m.get("Rss", 0))
        if (w + 1) % 5 == 0:
            log("  window %d/%d, load %s" % (w + 1, a.idle_runs, B.load_average()))
    res["idle"] = {"tools": [{"name": s.name, "label": s.label} for s in sups], "samples": samples,
                   "seconds": a.idle_seconds}


def phase_restart(ctx, res, sups):
    a = ctx.args
    log("restart: %d tools x %d iterations, >= %g s between two kills of one service" %
        (len(sups), a.runs, a.restart_spacing))
    samples = {s.name: [] for s in sups}
    last = {s.name: 0.0 for s in sups}
    for it in range(a.runs):
        k = it % len(sups)
        for s in sups[k:] + sups[:k]:
            wait = last[s.name] + a.restart_spacing - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            old = s.current()
            t0 = B.now_ns()
            os.kill(old, signal.SIGKILL)
            new, ts = wait_service(ctx, s.token, t0, exclude=(old,), timeout=30)
            last[s.name] = time.monotonic()
            samples[s.name].append(ts - t0)
        if (it + 1) % 5 == 0:
            log("  iteration %d/%d, load %s" % (it + 1, a.runs, B.load_average()))
    res["restart"] = {"tools": [{"name": s.name, "label": s.label} for s in sups], "samples": samples}


# ---------------------------------------------------------------- scale


def phase_scale(ctx, res):
    a = ctx.args
    n = a.scale_units
    tokens = [ctx.token() for _ in range(n)]
    units = []
    for i, tok in enumerate(tokens):
        units.append(ctx.write_unit("scale-%03d" % i, [
            "Type=exec",
            "ExecStart=/bin/sleep " + tok,
            "PIDFile=%s/scale-%03d.pid" % (ctx.tmp, i),
            "StandardOutput=null",
            "StandardError=null",
        ]))
        if ctx.pe.ok:
            ctx.pe.watch(tok)
    log("scale: %d units started and stopped in parallel, %d runs" % (n, a.scale_runs))
    out = {"start": [], "stop": [], "pss": [], "private_dirty": [], "units": n}
    for r in range(a.scale_runs):
        t0 = B.now_ns()
        pids = [B.spawn([ctx.unitrun, "start", u], log=ctx.logfile("scale")) for u in units]
        ends = []
        for p in pids:
            st = ctx.reaper.wait(p, 300)
            if st is None or B.exit_code(st[0]) != 0:
                raise Fail("scale: a start failed (see %s)" % ctx.logfile("scale"))
            ends.append(command_end(ctx, p, st[1]))
        fds, pss, pd = [], [], []
        for tok in tokens:
            spid, ts = wait_service(ctx, tok, t0, timeout=60)
            ends.append(ts)
            mon = B.read_stat(spid)[2]
            m = B.smaps_rollup(mon)
            pss.append(m["Pss"])
            pd.append(m["Private_Dirty"])
            for p in (spid, mon):
                fd = B.pidfd(p)
                if fd is not None:
                    fds.append((p, fd))
        out["start"].append(max(ends) - t0)
        out["pss"].append(sum(pss) / len(pss))
        out["private_dirty"].append(sum(pd) / len(pd))
        time.sleep(1.0)
        t1 = B.now_ns()
        pids = [B.spawn([ctx.unitrun, "stop", u], log=ctx.logfile("scale")) for u in units]
        ends = []
        for p in pids:
            st = ctx.reaper.wait(p, 300)
            if st is None or B.exit_code(st[0]) != 0:
                raise Fail("scale: a stop failed (see %s)" % ctx.logfile("scale"))
            ends.append(command_end(ctx, p, st[1]))
        ends += gone_times(ctx, fds, t1, timeout=120)
        for _, fd in fds:
            os.close(fd)
        out["stop"].append(max(ends) - t1)
        log("  run %d/%d: start %.0f ms, stop %.0f ms, load %s" %
            (r + 1, a.scale_runs, out["start"][-1] / 1e6, out["stop"][-1] / 1e6, B.load_average()))
        time.sleep(1.0)
    res["scale"] = out


# ---------------------------------------------------------------- output


def find_proc(root, comm):
    for p in B.subtree(root):
        st = B.read_stat(p)
        if st and st[0] == comm and st[1] not in "ZX":
            return p
    return None


def phase_output(ctx, res):
    a = ctx.args
    size = a.output_bytes
    head = ["/usr/bin/head", "-c", str(size), "/dev/zero"]
    path_u = os.path.join(ctx.shm, "out-unitrun")
    path_d = os.path.join(ctx.shm, "out-direct")
    unit = ctx.write_unit("output", [
        "Type=exec",
        "ExecStart=" + " ".join(head),
        "PIDFile=%s/unitrun-output.pid" % ctx.tmp,
        "StandardOutput=file:" + path_u,
        "StandardError=null",
    ])
    log("output: %d bytes to %s, unitrun vs direct, %d runs each" % (size, ctx.shm, a.output_runs))
    out = {"unitrun": [], "unitrun_unit_done": [], "direct": [], "bytes": size, "dir": ctx.shm}
    for r in range(-1, a.output_runs):
        order = ["unitrun", "direct"] if r % 2 == 0 else ["direct", "unitrun"]
        for v in order:
            for p in (path_u, path_d):
                if os.path.exists(p):
                    os.unlink(p)
            if v == "direct":
                t0 = B.now_ns()
                pid = B.spawn(head, stdout_path=path_d)
                st = ctx.reaper.wait(pid, 300)
                if B.exit_code(st[0]) != 0:
                    raise Fail("direct head failed")
                end = st[1]
                got = os.path.getsize(path_d)
                if r >= 0:
                    out["direct"].append(end - t0)
            else:
                t0 = B.now_ns()
                pid = B.spawn([ctx.unitrun, "start", unit], log=ctx.logfile("output"))
                st = ctx.reaper.wait(pid, 300)
                if B.exit_code(st[0]) != 0:
                    raise Fail("unitrun start (output unit) failed")
                cmd_end = command_end(ctx, pid, st[1])
                hp = find_proc(ctx.pid, "head")
                members = []
                if hp is not None:
                    members.append(hp)
                    members += B.ancestors(hp, ctx.pid)
                fds = [(p, B.pidfd(p)) for p in members]
                fds = [(p, fd) for p, fd in fds if fd is not None]
                ends = gone_times(ctx, fds, t0, timeout=300)
                for _, fd in fds:
                    os.close(fd)
                got = os.path.getsize(path_u)
                if hp is None:   # finished before it was seen: the unit ended, its monitor reaped
                    raise Fail("output: head not found under the monitor")
                if r >= 0:
                    out["unitrun"].append(max(cmd_end, ends[0]) - t0)
                    out["unitrun_unit_done"].append(max([cmd_end] + ends) - t0)
            if got != size:
                raise Fail("output (%s): wrote %d bytes, expected %d" % (v, got, size))
        for p in (path_u, path_d):
            if os.path.exists(p):
                os.unlink(p)
        if r >= 0:
            log("  run %d/%d: unitrun %.0f ms, direct %.0f ms, load %s" %
                (r + 1, a.output_runs, out["unitrun"][-1] / 1e6, out["direct"][-1] / 1e6, B.load_average()))
    res["output"] = out


# ---------------------------------------------------------------- report


def st(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fms(ns):
    ms = ns / 1e6
    if ms >= 100:
        return "%.0f" % ms
    if ms >= 10:
        return "%.1f" % ms
    return "%.2f" % ms


def cell_ms(xs):
    s = st(xs)
    return "%s [%s–%s]" % (fms(s["median"]), fms(s["min"]), fms(s["max"]))


def cell_num(xs, fmt):
    s = st(xs)
    return "%s [%s–%s]" % (fmt % s["median"], fmt % s["min"], fmt % s["max"])


def machine_info(ctx):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = sh("awk '/MemTotal/ {printf \"%.0f GiB\", $2/1048576}' /proc/meminfo")
    pk = {}
    for p in ("dpkg", "daemon", "daemonize", "supervisor", "runit", "s6"):
        pk[p] = sh("dpkg-query -W -f '${Version}' %s 2>/dev/null" % p)
    rev = sh("git -C %s rev-parse --short HEAD 2>/dev/null" % REPO)
    dirty = sh("git -C %s status --porcelain --untracked-files=no -- src 2>/dev/null" % REPO)
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "memory": mem,
        "debian": sh("cat /etc/debian_version"), "python": platform.python_version(),
        "packages": pk, "unitrun_rev": rev + ("+ uncommitted changes in src/" if dirty else ""),
        "unitrun_binary": ctx.unitrun, "proc_connector": ctx.pe.ok,
    }


def psi_cpu():
    try:
        with open("/proc/pressure/cpu") as f:
            return f.readline().split()[1].split("=")[1]
    except OSError:
        return "?"


def targets(res):
    """[(target, measured, met or None)]"""
    out = []
    med = lambda xs: statistics.median(xs)
    if "startstop" in res:
        s = res["startstop"]["samples"]
        u, dz, ssd = med(s["unitrun"]["start"]), med(s["daemonize"]["start"]), med(s["ssd"]["start"])
        out.append(("start ≤ 1.5× daemonize", "%s ms vs 1.5 × %s = %s ms (%.2f×)" % (fms(u), fms(dz), fms(1.5 * dz), u / dz),
                    u <= 1.5 * dz))
        out.append(("start below start-stop-daemon", "%s ms vs %s ms" % (fms(u), fms(ssd)), u < ssd))
        us = med(s["unitrun"]["stop"])
        peers = [(n, med(v["stop"])) for n, v in s.items() if n in ("ssd", "daemon", "supervisor", "classic")]
        worst = min(peers, key=lambda x: x[1])
        out.append(("(also) stop below every peer's stop command (ssd, daemon, supervisorctl, classic)",
                    "%s ms; fastest %s %s ms" % (fms(us), worst[0], fms(worst[1])), us < worst[1]))
        sup_peers = [(n, v) for n, v in peers if n in ("daemon", "supervisor")]
        best_sup = min(sup_peers, key=lambda x: x[1])
        out.append(("stop below every supervising peer (daemon, supervisor)",
                    "%s ms; fastest %s %s ms" % (fms(us), best_sup[0], fms(best_sup[1])), us < best_sup[1]))
        if "unitrun-crowded" in s:
            c = med(s["unitrun-crowded"]["start"])
            out.append(("start does not grow with 1,000 stale units' files (≤ 1.1× the plain start)",
                        "%s ms vs %s ms (%.2f×)" % (fms(c), fms(u), c / u), c <= 1.1 * u))
        if "unitrun-sandboxed" in s:
            x = med(s["unitrun-sandboxed"]["start"])
            out.append(("sandboxed start ≤ 2× the plain start", "%s ms vs %s ms (%.2f×)" % (fms(x), fms(u), x / u),
                        x <= 2 * u))
        if "unitrun-before" in s:
            ub, ubs = med(s["unitrun-before"]["start"]), med(s["unitrun-before"]["stop"])
            out.append(("(before/after) start no slower than the binary before", "%s ms vs %s ms before (%.2f×)" %
                        (fms(u), fms(ub), u / ub), u <= ub * 1.05))
            out.append(("(before/after) stop no slower than the binary before", "%s ms vs %s ms before (%.2f×)" %
                        (fms(us), fms(ubs), us / ubs), us <= ubs * 1.05))
        if "floor" in s:
            f, fs = med(s["floor"]["start"]), med(s["floor"]["stop"])
            dzs, dms = med(s["daemonize"]["stop"]), med(s["daemon"]["stop"])
            out.append(("(no target) what the guarantees cost: the floor model (bench/floor)",
                        "start: floor/daemonize %.2f×, unitrun/floor %.2f× (unitrun/daemonize %.2f×); "
                        "stop: floor/daemonize %.2f×, floor/daemon(1) %.2f×, unitrun/floor %.2f× (%s, %s, %s ms)" %
                        (f / dz, u / f, u / dz, fs / dzs, fs / dms, us / fs, fms(fs), fms(us), fms(dms)), None))
        b = med(s["baseline"]["stop"])
        out.append(("stop within 2 ms of kill-and-observe", "%s ms vs baseline %s ms (+%s ms)" % (fms(us), fms(b), fms(us - b)),
                    us - b <= 2e6))
    if "idle" in res:
        s = res["idle"]["samples"]["unitrun"]
        w, pd = med(s["wakeups"]), med(s["private_dirty"])
        out.append(("idle: 0 wakeups/s", "%.2f/s (max %.2f/s)" % (w, max(s["wakeups"])), max(s["wakeups"]) == 0))
        out.append(("idle: Private_Dirty ≤ 256 kB", "%d kB" % pd, pd <= 256))
    if "restart" in res:
        s = res["restart"]["samples"]
        u = med(s["unitrun"])
        peers = [(n, med(v)) for n, v in s.items() if n != "unitrun"]
        best = min(peers, key=lambda x: x[1])
        out.append(("restart below every peer", "%s ms; fastest peer %s %s ms" % (fms(u), best[0], fms(best[1])),
                    u < best[1]))
    if "output" in res:
        o = res["output"]
        r = med(o["direct"]) / med(o["unitrun"])
        out.append(("output ≥ 0.9× direct throughput", "%.3f× (%s vs %s ms)" % (r, fms(med(o["unitrun"])), fms(med(o["direct"]))),
                    r >= 0.9))
    if "notifyflood" in res:
        c = res["notifyflood"]["samples"]["unitrun"]["cpu"]
        out.append(("notify flood from a stranger: monitor < 10% of a core", "%.1f%% (max %.1f%%)" % (med(c), max(c)),
                    max(c) < 10.0))
    return out


def render(res, info, cmd):
    L = []
    a = res["args"]
    L.append("Measured %s, finished %s (%.0f min)." % (res["started"], res["finished"], res["elapsed_s"] / 60))
    L.append("")
    L.append("Command: `%s`" % cmd)
    L.append("")
    L.append("| machine | |")
    L.append("|---|---|")
    L.append("| CPUs (`nproc`) | %s |" % info["nproc"])
    L.append("| CPU | %s |" % info["cpu"])
    L.append("| memory | %s |" % info["memory"])
    L.append("| kernel | %s |" % info["kernel"])
    L.append("| Debian | %s |" % info["debian"])
    L.append("| unitrun | %s (`%s`, Release) |" % (info["unitrun_rev"], os.path.relpath(info["unitrun_binary"], REPO)))
    L.append("| peers (Debian packages) | %s |" % ", ".join("%s %s" % kv for kv in info["packages"].items()))
    L.append("| harness | Python %s, subreaper, kernel proc-events timestamps: %s |" %
             (info["python"], "yes" if info["proc_connector"] else "no (polling /proc)"))
    L.append("| load average (1/5/15 min) and CPU pressure (PSI some avg10) | at start %s (PSI %s%%); at end %s (PSI %s%%) |" %
             (res["load_start"], res["psi_start"], res["load_end"], res["psi_end"]))
    L.append("| the same when each phase began | %s |" %
             "; ".join("%s: %s" % kv for kv in res.get("phase_load", {}).items()))
    L.append("")
    L.append("Every cell: median [min–max] over n runs.")
    L.append("")
    if "startstop" in res:
        ss = res["startstop"]
        n = len(next(iter(ss["samples"].values()))["start"])
        L.append("### Start and stop latency (ms, n = %d each, tools alternated round-robin)" % n)
        L.append("")
        L.append("| tool | start | stop |")
        L.append("|---|---:|---:|")
        for t in ss["tools"]:
            s = ss["samples"][t["name"]]
            L.append("| %s | %s | %s |" % (t["label"], cell_ms(s["start"]), cell_ms(s["stop"])))
        L.append("")
    if "idle" in res:
        idl = res["idle"]
        n = len(next(iter(idl["samples"].values()))["wakeups"])
        L.append("### Idle cost of the supervising process (n = %d windows of %g s)" % (n, idl["seconds"]))
        L.append("")
        L.append("| supervising process | wakeups/s | Pss kB | Private_Dirty kB | Rss kB |")
        L.append("|---|---:|---:|---:|---:|")
        for t in idl["tools"]:
            s = idl["samples"][t["name"]]
            L.append("| %s | %s | %s | %s | %s |" % (t["label"], cell_num(s["wakeups"], "%.2f"), cell_num(s["pss"], "%d"),
                                                     cell_num(s["private_dirty"], "%d"), cell_num(s["rss"], "%d")))
        L.append("")
    if "restart" in res:
        rs = res["restart"]
        n = len(next(iter(rs["samples"].values())))
        L.append("### Restart latency: service SIGKILLed → new service exec'd (ms, n = %d each, ≥ %g s apart)" %
                 (n, a["restart_spacing"]))
        L.append("")
        L.append("| supervisor | restart |")
        L.append("|---|---:|")
        for t in rs["tools"]:
            L.append("| %s | %s |" % (t["label"], cell_ms(rs["samples"][t["name"]])))
        L.append("")
    if "scale" in res:
        sc = res["scale"]
        L.append("### Scale: %d unitrun units in parallel (n = %d runs)" % (sc["units"], len(sc["start"])))
        L.append("")
        L.append("| measure | value |")
        L.append("|---|---:|")
        L.append("| start all (wall, ms) | %s |" % cell_ms(sc["start"]))
        L.append("| stop all (wall, ms) | %s |" % cell_ms(sc["stop"]))
        L.append("| Pss per monitor (kB, mean over the %d) | %s |" % (sc["units"], cell_num(sc["pss"], "%.0f")))
        L.append("| Private_Dirty per monitor (kB, mean over the %d) | %s |" %
                 (sc["units"], cell_num(sc["private_dirty"], "%.0f")))
        L.append("")
    if "output" in res:
        o = res["output"]
        mib = o["bytes"] / (1 << 20)
        thr = lambda xs: ["%.0f" % (mib / (x / 1e9)) for x in xs]
        L.append("### Output: %d MiB from `head -c` to a file on tmpfs (n = %d runs each)" % (mib, len(o["direct"])))
        L.append("")
        L.append("| how | wall time (ms) | throughput (MiB/s, from the median) |")
        L.append("|---|---:|---:|")
        L.append("| straight to the file (`head > FILE`) | %s | %s |" %
                 (cell_ms(o["direct"]), thr([statistics.median(o["direct"])])[0]))
        L.append("| under unitrun, `StandardOutput=file:` (start → service gone) | %s | %s |" %
                 (cell_ms(o["unitrun"]), thr([statistics.median(o["unitrun"])])[0]))
        L.append("| under unitrun, until the monitor is gone too | %s | %s |" %
                 (cell_ms(o["unitrun_unit_done"]), thr([statistics.median(o["unitrun_unit_done"])])[0]))
        L.append("")
    if "notifyflood" in res:
        nf = res["notifyflood"]
        n = len(nf["samples"]["unitrun"]["cpu"])
        L.append("### Notify flood: a stranger (uid nobody, 64 processes deep) sends `STATUS=` datagrams to a unit's "
                 "NOTIFY_SOCKET for %g s (n = %d runs)" % (nf["seconds"], n))
        L.append("")
        L.append("| monitor | its CPU (% of one core) | datagrams sent/s |")
        L.append("|---|---:|---:|")
        for name in ("unitrun", "unitrun-before"):
            if name in nf["samples"]:
                s = nf["samples"][name]
                L.append("| %s | %s | %s |" % (name, cell_num(s["cpu"], "%.1f"), cell_num(s["rate"], "%.0f")))
        L.append("")
    L.append("### Targets (ratios within this run)")
    L.append("")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    for name, measured, met in targets(res):
        L.append("| %s | %s | %s |" % (name, measured, "—" if met is None else "yes" if met else "**no**"))
    return "\n".join(L) + "\n"


BEGIN = "<!-- BEGIN bench/run results: generated, do not edit by hand -->"
END = "<!-- END bench/run results -->"


def write_doc(path, block):
    text = open(path).read() if os.path.exists(path) else ""
    if BEGIN in text and END in text:
        head = text[:text.index(BEGIN) + len(BEGIN)]
        tail = text[text.index(END):]
        text = head + "\n\n" + block + "\n" + tail
    else:
        text += "\n## Results\n\n" + BEGIN + "\n\n" + block + "\n" + END + "\n"
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- cleanup


def cleanup(ctx, started):
    for obj in reversed(started):
        try:
            obj()
        except Exception as e:  # keep cleaning
            log("cleanup: %s" % e)
    for u in ctx.units:
        try:
            B.run(ctx.reaper, [ctx.unitrun, "stop", u], log=ctx.logfile("cleanup"), timeout=60)
        except Exception as e:
            log("cleanup: unitrun stop %s: %s" % (u, e))
    # Whatever is still below the harness (it is their subreaper): TERM, then KILL.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = B.subtree(ctx.pid)
        if not left:
            break
        for p in left:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while B.subtree(ctx.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    left = [p for p in B.subtree(ctx.pid) if (B.read_stat(p) or ("", "Z"))[1] != "Z"]
    if left:
        log("cleanup: processes left: %s" % left)
    for rundir in ("/run/unitrun", "/run/unitrun-floor"):
        if os.path.isdir(rundir):
            for f in os.listdir(rundir):
                if f.startswith(ctx.prefix) or f.startswith("." + ctx.prefix):
                    try:
                        os.unlink(os.path.join(rundir, f))
                    except OSError:
                        pass
    if not os.environ.get("UNITRUN_BENCH_KEEP"):
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    shutil.rmtree(ctx.shm, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--unitrun", required=True, help="the unitrun binary")
    ap.add_argument("--unitrun-before", default="",
                    help="another unitrun binary, measured beside --unitrun in the startstop phase (before/after)")
    ap.add_argument("--floor", default="",
                    help="the floor model's binary (bench/floor.c), measured beside the others in the startstop phase")
    ap.add_argument("--runs", type=int, default=25, help="iterations of start/stop and restart (default 25)")
    ap.add_argument("--idle-runs", type=int, default=20, help="idle windows (default 20)")
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--idle-settle", type=float, default=3.0)
    ap.add_argument("--restart-spacing", type=float, default=3.0,
                    help="minimum seconds between two kills of one service (default 3: above runsv's and "
                         "s6-supervise's 1 s floor and unitrun's default start limit of 5 in 10 s)")
    ap.add_argument("--scale-units", type=int, default=200)
    ap.add_argument("--scale-runs", type=int, default=5)
    ap.add_argument("--output-runs", type=int, default=5)
    ap.add_argument("--output-bytes", type=int, default=GIB)
    ap.add_argument("--output-dir", default="/dev/shm", help="where the output files go (default /dev/shm, tmpfs)")
    ap.add_argument("--flood-runs", type=int, default=3)
    ap.add_argument("--flood-seconds", type=float, default=5.0)
    ap.add_argument("--pause", type=float, default=0.05, help="pause between two measurements (s)")
    ap.add_argument("--only", default=",".join(PHASES), help="phases, comma-separated: " + ",".join(PHASES))
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "benchmarks.md"),
                    help="Markdown file whose generated block is replaced ('' for none)")
    ap.add_argument("--json", default="", help="also write every sample here")
    ap.add_argument("--command", default="bench/run", help="the command line to print in the report")
    args = ap.parse_args()
    phases = [p for p in args.only.split(",") if p]
    for p in phases:
        if p not in PHASES:
            ap.error("unknown phase " + p)
    if os.geteuid() != 0:
        sys.exit("bench: run as root (the peers' system paths, the proc connector)")
    args.unitrun = os.path.abspath(args.unitrun)
    if args.floor:
        args.floor = os.path.abspath(args.floor)

    B.Reaper.block_sigchld()
    B.become_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    ctx = Ctx(args)
    started = []
    res = {"args": vars(args), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_start": B.load_average(),
           "psi_start": psi_cpu()}
    t_begin = time.monotonic()
    info = machine_info(ctx)
    log("bench: unitrun %s, tmp %s, load %s, proc connector %s" %
        (args.unitrun, ctx.tmp, res["load_start"], ctx.pe.ok))
    ok = False
    try:
        ctx.idle_tokens = {n: ctx.token() for n in ("unitrun", "daemon", "runsv", "s6-supervise", "supervisord")}
        ctx.supervisord = None
        need_sd = any(p in phases for p in ("startstop", "idle", "restart"))
        if need_sd:
            ctx.supervisord_ss_token = ctx.token()
            ctx.supervisord = Supervisord(ctx, ctx.supervisord_ss_token, ctx.idle_tokens["supervisord"])
            started.append(ctx.supervisord.shutdown)
        res["phase_load"] = {}
        mark = lambda p: res["phase_load"].__setitem__(p, "%s (PSI %s%%)" % (B.load_average(), psi_cpu()))
        if "startstop" in phases:
            mark("startstop")
            phase_startstop_with(ctx, res, ctx.supervisord)
        if "idle" in phases or "restart" in phases:
            sups = start_supervised(ctx)
            for s in sups:
                started.append(s.teardown)
            if "idle" in phases:
                mark("idle")
                phase_idle(ctx, res, sups)
            if "restart" in phases:
                mark("restart")
                phase_restart(ctx, res, sups)
        if "scale" in phases:
            mark("scale")
            phase_scale(ctx, res)
        if "output" in phases:
            if "scale" in phases:
                time.sleep(15)  # let the scale phase's aftermath (PSI avg10) die down
            mark("output")
            phase_output(ctx, res)
        if "notifyflood" in phases:
            mark("notifyflood")
            phase_notifyflood(ctx, res)
        ok = True
    except Fail as e:
        log("bench: FAILED: %s" % e)
    finally:
        cleanup(ctx, started)
    if not ok:
        sys.exit(1)
    res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    res["elapsed_s"] = time.monotonic() - t_begin
    res["load_end"] = B.load_average()
    res["psi_end"] = psi_cpu()
    res["proc_events_lost"] = ctx.pe.lost
    block = render(res, info, args.command)
    print(block)
    if ctx.pe.lost:
        log("bench: note: %d proc-connector overruns (ENOBUFS); affected samples fell back to polling" % ctx.pe.lost)
    if args.doc:
        write_doc(args.doc, block)
        log("bench: results written to %s" % args.doc)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": res, "machine": info}, f, indent=1)


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def flood_once(ctx, binary, tag, seconds):
    """Starts a unit whose monitor offers NOTIFY_SOCKET (NotifyAccess=all),
    floods it from a stranger for `seconds`, and returns (monitor CPU as % of
    one core, datagrams the stranger got sent per second)."""
    token = ctx.token()
    lines = [
        "Type=exec",
        "NotifyAccess=all",
        "ExecStart=/bin/sleep " + token,
        "PIDFile=%s/unitrun-flood%s.pid" % (ctx.tmp, tag),
        "StandardOutput=null",
        "StandardError=null",
    ]
    unit = ctx.write_unit("flood" + tag, lines)
    if B.run(ctx.reaper, [binary, "check", unit], log=ctx.logfile("flood")) != 0:
        # An older unitrun without NotifyAccess= gave every service the
        # socket and heard every process of its tree: the same as "all".
        unit = ctx.write_unit("flood" + tag, [l for l in lines if not l.startswith("NotifyAccess=")])
    if B.run(ctx.reaper, [binary, "start", unit], log=ctx.logfile("flood")) != 0:
        raise Fail("notifyflood: start failed (see %s)" % ctx.logfile("flood"))
    try:
        found = B.find_service(token)
        if not found:
            raise Fail("notifyflood: the service is not running")
        service = found[0]
        monitor = B.read_stat(service)[2]
        with open("/proc/%d/environ" % service, "rb") as f:
            env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        address = env[b"NOTIFY_SOCKET"].decode()
        out = os.path.join(ctx.tmp, "flood.out")
        hz = os.sysconf("SC_CLK_TCK")
        c0, t0 = cpu_ticks(monitor), time.monotonic()
        pid = B.spawn([SYS_PYTHON, os.path.join(HERE, "notify_flood.py"), address, str(seconds)], stdout_path=out)
        if ctx.reaper.wait(pid, seconds + 60) is None:
            os.kill(pid, signal.SIGKILL)
            ctx.reaper.wait(pid)
            raise Fail("notifyflood: the sender hung")
        c1, t1 = cpu_ticks(monitor), time.monotonic()
        words = open(out).read().split()
        sent = int(words[1]) if len(words) >= 2 else 0
        return 100.0 * (c1 - c0) / hz / (t1 - t0), sent / seconds
    finally:
        B.run(ctx.reaper, [binary, "stop", unit], log=ctx.logfile("flood"))


def phase_notifyflood(ctx, res):
    a = ctx.args
    binaries = [("unitrun", ctx.unitrun)]
    if a.unitrun_before:
        binaries.append(("unitrun-before", os.path.abspath(a.unitrun_before)))
    log("notifyflood: %d runs of %g s per binary (%s)" % (a.flood_runs, a.flood_seconds,
                                                       ", ".join(n for n, _ in binaries)))
    out = {n: {"cpu": [], "rate": []} for n, _ in binaries}
    for r in range(a.flood_runs):
        for name, binary in binaries:
            cpu, rate = flood_once(ctx, binary, "%s%d" % ("b" if name != "unitrun" else "", r), a.flood_seconds)
            out[name]["cpu"].append(cpu)
            out[name]["rate"].append(rate)
            log("  %s: monitor %.1f%% of a core, %.0f datagrams/s sent" % (name, cpu, rate))
            time.sleep(a.pause)
    res["notifyflood"] = {"samples": out, "seconds": a.flood_seconds}


def phase_startstop_with(ctx, res, sd):
    """phase_startstop, reusing the supervisord main() started."""
    a = ctx.args
    tools = [Unitrun(ctx), UnitrunCrowded(ctx), UnitrunSandboxed(ctx), Ssd(ctx), Daemonize(ctx), Daemon(ctx), Supervisor(ctx), Classic(ctx),
             Baseline(ctx), BaselineKillCmd(ctx)]
    if a.floor:
        tools.insert(tools.index(next(t for t in tools if t.name == "daemonize")) + 1, Floor(ctx))
    if a.unitrun_before:
        tools.insert(1, UnitrunBefore(ctx))
    for t in tools:
        t.setup()
    sup = [t for t in tools if t.name == "supervisor"][0]
    sup.token = ctx.supervisord_ss_token
    if ctx.pe.ok:
        ctx.pe.watch(sup.token)
    samples = {t.name: {"start": [], "stop": []} for t in tools}
    log("startstop: %d tools x %d iterations (+1 warm-up)" % (len(tools), a.runs))
    try:
        for it in range(-1, a.runs):
            k = it % len(tools) if it >= 0 else 0
            order = tools[k:] + tools[:k]
            for t in order:
                s_ns, inst = measure_start(ctx, t)
                time.sleep(a.pause)
                p_ns = measure_stop(ctx, t, inst)
                time.sleep(a.pause)
                if it >= 0:
                    samples[t.name]["start"].append(s_ns)
                    samples[t.name]["stop"].append(p_ns)
            if it >= 0 and (it + 1) % 5 == 0:
                log("  iteration %d/%d, load %s" % (it + 1, a.runs, B.load_average()))
    finally:
        for t in tools:
            try:
                t.teardown()
            except Exception as e:
                log("teardown %s: %s" % (t.name, e))
    res["startstop"] = {"tools": [{"name": t.name, "label": t.label} for t in tools], "samples": samples}


if __name__ == "__main__":
    main()
