"""Shared machinery of bench/harness.py and bench/soak.py.

The process that imports this becomes a child subreaper (PR_SET_CHILD_SUBREAPER):
everything the tools under test daemonize is re-parented to it, not to PID 1
(which on some machines reaps orphans only every second or two), and a reaping
thread reaps every child at once. Commands are spawned with posix_spawn, a
clean signal mask and default dispositions, stdin from /dev/null.

Timing uses the kernel's process-events connector (NETLINK_CONNECTOR,
PROC_EVENTS) when it is available: an exec or exit event carries the kernel's
CLOCK_MONOTONIC timestamp, so "the service exec'd" and "the command exited"
are known to the microsecond without polling. Without it, /proc is polled.
"""

import ctypes
import errno
import os
import select
import signal
import socket
import struct
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
PR_SET_TIMERSLACK = 29

_libc = ctypes.CDLL(None, use_errno=True)


def now_ns():
    return time.monotonic_ns()


def become_subreaper():
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(e))
    # Short sleeps in the polling fallbacks should be short.
    _libc.prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0)


# Signals a spawned command gets back to SIG_DFL (SIGKILL/SIGSTOP cannot be set).
_DEFAULT_SIGNALS = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]


class Reaper:
    """Reaps every child as soon as SIGCHLD arrives and remembers when.

    SIGCHLD must be blocked in every thread, so block_sigchld() has to be
    called before any other thread is created."""

    KEEP_NS = 120 * 10**9

    def __init__(self):
        self.cond = threading.Condition()
        self.reaped = {}  # pid -> (wait status, monotonic ns when reaped)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="reaper", daemon=True)

    @staticmethod
    def block_sigchld():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})

    def start(self):
        self._thread.start()

    def _reap_all(self):
        got = False
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            t = now_ns()
            with self.cond:
                self.reaped[pid] = (status, t)
            got = True
        if got:
            with self.cond:
                if len(self.reaped) > 4096:
                    cut = now_ns() - self.KEEP_NS
                    self.reaped = {p: v for p, v in self.reaped.items() if v[1] >= cut}
                self.cond.notify_all()

    def _run(self):
        while not self._stop:
            self._reap_all()
            signal.sigtimedwait({signal.SIGCHLD}, 0.5)

    def stop(self):
        self._stop = True

    def wait(self, pid, timeout=None):
        """(status, reap time ns) of a child, or None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while pid not in self.reaped:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self.cond.wait(left if left is not None else 1.0)
            return self.reaped.pop(pid)

    def forget(self, pid):
        with self.cond:
            return self.reaped.pop(pid, None)

    def reap_time(self, pid):
        with self.cond:
            v = self.reaped.get(pid)
            return v[1] if v else None


def exit_code(status):
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return -1


def spawn(argv, log=None, env=None, cwd=None, stdout_path=None, stdout_flags=None):
    """posix_spawn argv[0] (a path) with stdin /dev/null, stdout/stderr to `log`
    (appended) or /dev/null, or stdout to `stdout_path`."""
    fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
    out = log or "/dev/null"
    oflags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    if stdout_path:
        fa.append((os.POSIX_SPAWN_OPEN, 1, stdout_path, stdout_flags or (os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 0o644))
    else:
        fa.append((os.POSIX_SPAWN_OPEN, 1, out, oflags, 0o644))
    fa.append((os.POSIX_SPAWN_OPEN, 2, out, oflags, 0o644))
    if cwd:
        # posix_spawn has no chdir before glibc 2.29's addchdir; run through env -C.
        argv = ["/usr/bin/env", "-C", cwd] + list(argv)
    return os.posix_spawn(argv[0], list(argv), env if env is not None else dict(os.environ),
                          file_actions=fa, setsigmask=(), setsigdef=_DEFAULT_SIGNALS)


def run(reaper, argv, log=None, env=None, timeout=120):
    pid = spawn(argv, log=log, env=env)
    r = reaper.wait(pid, timeout)
    if r is None:
        os.kill(pid, signal.SIGKILL)
        reaper.wait(pid)
        raise TimeoutError(" ".join(argv))
    return exit_code(r[0])


# ---------------------------------------------------------------- /proc


def read_stat(pid):
    """(comm, state, ppid, pgrp, session, starttime) or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lp, rp = s.index("("), s.rindex(")")
    comm = s[lp + 1:rp]
    f = s[rp + 2:].split()
    return comm, f[0], int(f[1]), int(f[2]), int(f[3]), int(f[19])


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return None


def children(pid):
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


def subtree(root):
    """Every descendant of root (not root itself), breadth first."""
    out, todo = [], [root]
    while todo:
        p = todo.pop(0)
        for c in children(p):
            out.append(c)
            todo.append(c)
    return out


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def is_service(pid, token):
    """The process runs `sleep` (exec'd, not a pre-exec fork) with `token` as an argument."""
    st = read_stat(pid)
    if not st or st[1] in "ZX" or st[0] != "sleep":
        return False
    cl = cmdline(pid)
    return bool(cl) and token in cl[1:]


def find_service(token, root=None):
    pids = subtree(root if root else os.getpid())
    return [p for p in pids if is_service(p, token)]


def ancestors(pid, stop_at):
    """pid's ancestors below stop_at (excluded), nearest first."""
    out = []
    seen = set()
    while True:
        st = read_stat(pid)
        if not st:
            return out
        ppid = st[2]
        if ppid in (0, 1, stop_at) or ppid in seen:
            return out
        out.append(ppid)
        seen.add(ppid)
        pid = ppid


def ctx_switches(pid):
    """voluntary + nonvoluntary context switches summed over all threads."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def smaps_rollup(pid):
    """{'Pss': kB, 'Private_Dirty': kB, 'Rss': kB, ...}"""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[-1] == "kB":
                    out[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        return None
    return out


def pidfd(pid):
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def is_gone(fd):
    """True once the process behind the pidfd has been reaped (not a zombie)."""
    try:
        signal.pidfd_send_signal(fd, 0)
        return False
    except ProcessLookupError:
        return True


# ---------------------------------------------------------------- proc connector

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
PROC_EVENT_EXEC = 0x00000002
PROC_EVENT_EXIT = 0x80000000
NLMSG_DONE = 3
SO_RCVBUFFORCE = 33


class ProcEvents:
    """Exec and exit events with kernel CLOCK_MONOTONIC timestamps.

    exec_events(token) -> [(pid, ts)] of processes that exec'd `sleep ... token ...`;
    exit_ts(pid) -> ts of the latest exit of that pid (thread-group leader)."""

    KEEP_NS = 60 * 10**9

    def __init__(self):
        self.ok = False
        self.lost = 0
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self._exits = {}    # pid -> ts
        self._execs = {}    # token -> [(pid, ts)]
        self._tokens = set()
        self._sock = None
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
            try:
                s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 * 1024 * 1024)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
            s.bind((0, CN_IDX_PROC))
            # Linux >= 6.6 filters by event type when given a struct proc_input.
            op = struct.pack("=II", PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC | PROC_EVENT_EXIT)
            cn = struct.pack("=IIIIHH", CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0) + op
            nl = struct.pack("=IHHII", 16 + len(cn), NLMSG_DONE, 0, 0, os.getpid()) + cn
            s.send(nl)
            self._sock = s
            self.ok = True
        except OSError:
            self.ok = False
            return
        self._thread = threading.Thread(target=self._run, name="procevents", daemon=True)
        self._thread.start()

    def watch(self, token):
        with self.lock:
            self._tokens.add(token)

    def _run(self):
        prune_at = now_ns() + self.KEEP_NS
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    with self.lock:
                        self.lost += 1
                    continue
                return
            off = 0
            while off + 16 <= len(data):
                nlen = struct.unpack_from("=I", data, off)[0]
                if nlen < 16:
                    break
                body = off + 16
                if body + 20 + 16 <= off + nlen:
                    what, _cpu, ts = struct.unpack_from("=IIQ", data, body + 20)
                    ev = body + 20 + 16
                    if what == PROC_EVENT_EXEC:
                        pid, tgid = struct.unpack_from("=ii", data, ev)
                        if pid == tgid:
                            self._on_exec(tgid, ts)
                    elif what == PROC_EVENT_EXIT:
                        pid, tgid = struct.unpack_from("=ii", data, ev)
                        if pid == tgid:
                            with self.lock:
                                self._exits[pid] = ts
                off += (nlen + 3) & ~3
            t = now_ns()
            if t > prune_at:
                with self.lock:
                    cut = t - self.KEEP_NS
                    self._exits = {p: v for p, v in self._exits.items() if v >= cut}
                prune_at = t + self.KEEP_NS

    def _on_exec(self, pid, ts):
        with self.lock:
            if not self._tokens:
                return
            tokens = self._tokens
        st = read_stat(pid)
        if not st or st[0] != "sleep":
            return
        cl = cmdline(pid)
        if not cl:
            return
        for tok in cl[1:]:
            if tok in tokens:
                with self.lock:
                    self._execs.setdefault(tok, []).append((pid, ts))
                    self.cond.notify_all()

    def exec_ts(self, token, pid, timeout=0.5):
        """Kernel time of pid's exec as the `token` sleep, waiting up to timeout for the event."""
        if not self.ok:
            return None
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for p, ts in reversed(self._execs.get(token, [])):
                    if p == pid:
                        return ts
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def wait_exec(self, token, after_ns, exclude=(), timeout=10.0):
        """(pid, ts) of the first `token` sleep exec'd at or after after_ns, not in exclude."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for p, ts in self._execs.get(token, []):
                    if ts >= after_ns and p not in exclude:
                        return p, ts
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.05))

    def clear(self, token):
        with self.lock:
            self._execs.pop(token, None)

    def exit_ts(self, pid, timeout=0.5):
        if not self.ok:
            return None
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                ts = self._exits.get(pid)
            if ts is not None or time.monotonic() >= deadline:
                return ts
            time.sleep(0.0005)


# ---------------------------------------------------------------- waiting


def wait_gone(fds, timeout=60.0):
    """Waits until every process behind the pidfds has exited and been reaped.
    Returns {fd: monotonic ns when seen reaped, or None if still a zombie at the
    first look after exit (then the time it was seen reaped)} -- the caller
    prefers the kernel's exit timestamp when the process was already reaped."""
    deadline = time.monotonic() + timeout
    seen_exited_reaped = {}
    pending = set(fds)
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLIN)
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("processes still alive after %.0f s" % timeout)
        for fd, _ in poller.poll(int(left * 1000) + 1):
            if fd not in pending:
                continue
            poller.unregister(fd)
            pending.discard(fd)
            if is_gone(fd):
                seen_exited_reaped[fd] = None   # reaped by the first look
            else:
                while not is_gone(fd):         # a zombie: wait for its reaper
                    if time.monotonic() > deadline:
                        raise TimeoutError("zombie not reaped")
                    time.sleep(0.00005)
                seen_exited_reaped[fd] = now_ns()
    return seen_exited_reaped


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
