"""The inside of bench/systemd-compare: runs in the booted e2e container as
a transient service of its systemd (systemd-run --pipe --wait), so
systemd's `systemctl start` and unitrun's `unitrun start` of the same unit
file see the same kernel, root, cgroup tree, seccomp filter and load.

Only what python3-minimal has (no json, no statistics). Writes
/etc/systemd/system/bench-plain.service and bench-sandboxed.service, then,
round-robin (the order rotated every run), starts and stops each of the
four rows, timing each command from spawn to its exit with CLOCK_MONOTONIC.
Prints a markdown table; exits non-zero on any failed command.

    python3 systemd_compare.py --unitrun /opt/unitrun-bench/unitrun --runs 15
"""

import argparse
import os
import re
import sys
import time

SANDBOX_KEYS = ["ProtectSystem=strict", "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes",
                "SystemCallFilter=@system-service"]
UNIT_DIR = "/etc/systemd/system"
LOG = "/run/sdbench.log"


class Fail(Exception):
    pass


def write_unit(name, extra):
    path = os.path.join(UNIT_DIR, name + ".service")
    with open(path, "w") as f:
        f.write("[Unit]\nDescription=unitrun benchmark %s\n\n[Service]\nType=simple\n"
                "ExecStart=/bin/sleep infinity\n" % name)
        for line in extra:
            f.write(line + "\n")
    return path


def timed(argv):
    """(exit code, ns from spawn to reaped exit); output appended to LOG."""
    fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
          (os.POSIX_SPAWN_OPEN, 1, LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
          (os.POSIX_SPAWN_DUP2, 1, 2)]
    t0 = time.monotonic_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    _, status = os.waitpid(pid, 0)
    t1 = time.monotonic_ns()
    return os.waitstatus_to_exitcode(status), t1 - t0


def output(argv):
    r, w = os.pipe()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                                       (os.POSIX_SPAWN_DUP2, w, 1)])
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


def must(argv, what):
    code, ns = timed(argv)
    if code != 0:
        raise Fail("%s: `%s` exited %d (output in the container's %s)" % (what, " ".join(argv), code, LOG))
    return ns


class Row:
    def __init__(self, name, label, start, stop, active, main_pid):
        self.name, self.label = name, label
        self.start_argv, self.stop_argv, self.active_argv, self.main_pid_argv = start, stop, active, main_pid
        self.start, self.stop = [], []

    def run_once(self, record=True):
        s = must(self.start_argv, self.name + " start")
        code, _ = timed(self.active_argv)
        if code != 0:
            raise Fail("%s: not active after start (`%s` exited %d)" % (self.name, " ".join(self.active_argv), code))
        t = must(self.stop_argv, self.name + " stop")
        if record:
            self.start.append(s)
            self.stop.append(t)

    def main_pid(self):
        code, out = output(self.main_pid_argv)
        m = re.search(r'"main_pid"\s*:\s*(\d+)', out) or re.match(r"\s*(\d+)\s*$", out)
        if code != 0 or not m or m.group(1) == "0":
            raise Fail("%s: no main PID from `%s` (exit %d): %s" % (self.name, " ".join(self.main_pid_argv), code, out.strip()))
        return int(m.group(1))


def status_fields(pid):
    fields = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def sandbox_state(pid):
    """(NoNewPrivs, seccomp filters beyond this driver's own, own mount
    namespace) of the service once it runs sleep. nspawn puts a seccomp
    filter on the whole container, so the count is relative."""
    deadline = time.monotonic() + 5
    while True:
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == "sleep":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise Fail("PID %d never exec'd /bin/sleep" % pid)
        time.sleep(0.01)
    mine, its = status_fields("self"), status_fields(pid)
    extra = int(its.get("Seccomp_filters", "0")) - int(mine.get("Seccomp_filters", "0"))
    own_ns = os.readlink("/proc/%d/ns/mnt" % pid) != os.readlink("/proc/1/ns/mnt")
    return its.get("NoNewPrivs"), extra, own_ns


def check_sandbox(row, sandboxed):
    """The sandboxed rows run with no_new_privs, a seccomp filter of their
    own and a mount namespace of their own; the plain ones without."""
    must(row.start_argv, row.name + " start")
    try:
        nnp, extra, ns = sandbox_state(row.main_pid())
    finally:
        must(row.stop_argv, row.name + " stop")
    if (nnp, extra > 0, ns) != (("1", True, True) if sandboxed else ("0", False, False)):
        raise Fail("%s: the service has NoNewPrivs=%s, %d seccomp filters more than the driver, own mount ns=%s"
                   % (row.name, nnp, extra, ns))
    return "NoNewPrivs=%s, +%d seccomp filter(s), own mount ns: %s" % (nnp, extra, "yes" if ns else "no")


def percentile(xs, p):
    s = sorted(xs)
    k = max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))  # nearest rank
    return s[k]


def ms(ns):
    return "%.1f" % (ns / 1e6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unitrun", required=True)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    if args.runs < 1:
        sys.exit("systemd_compare: --runs must be at least 1")

    units = {"plain": write_unit("bench-plain", []), "sandboxed": write_unit("bench-sandboxed", SANDBOX_KEYS)}
    must(["/bin/systemctl", "daemon-reload"], "daemon-reload")
    ur = args.unitrun
    rows = []
    for kind, path in units.items():
        name = os.path.basename(path)
        rows.append(Row("systemd-" + kind, "systemctl start/stop, %s" % kind,
                        ["/bin/systemctl", "start", name], ["/bin/systemctl", "stop", name],
                        ["/bin/systemctl", "is-active", "--quiet", name],
                        ["/bin/systemctl", "show", "-p", "MainPID", "--value", name]))
        rows.append(Row("unitrun-" + kind, "unitrun start/stop, %s" % kind,
                        [ur, "start", path], [ur, "stop", path], [ur, "status", path],
                        [ur, "status", "--json", path]))

    for row in rows:
        print("sandbox check %-18s %s" % (row.name, check_sandbox(row, row.name.endswith("sandboxed"))), flush=True)

    true_ns = []
    for row in rows:  # warm-up, not recorded
        row.run_once(record=False)
    for i in range(args.runs):
        k = i % len(rows)
        for row in rows[k:] + rows[:k]:
            row.run_once()
        true_ns.append(timed(["/bin/true"])[1])
        print("run %d/%d done" % (i + 1, args.runs), file=sys.stderr, flush=True)

    med = {r.name: percentile(r.start, 50) for r in rows}
    print()
    print("| row | start median [p90] | stop median [p90] |")
    print("|---|---:|---:|")
    for r in rows:
        print("| %s | %s ms [%s] | %s ms [%s] |" % (r.label, ms(med[r.name]), ms(percentile(r.start, 90)),
                                                    ms(percentile(r.stop, 50)), ms(percentile(r.stop, 90))))
    print("| spawn and reap of /bin/true (in every figure above) | %s ms [%s] | |" %
          (ms(percentile(true_ns, 50)), ms(percentile(true_ns, 90))))
    print()
    sb, pl, sd_sb, sd_pl = med["unitrun-sandboxed"], med["unitrun-plain"], med["systemd-sandboxed"], med["systemd-plain"]
    print("ratios of the start medians (%d runs each):" % args.runs)
    print("  unitrun sandboxed / unitrun plain:   %.2f× (target ≤ 2×: %s)" % (sb / pl, "met" if sb <= 2 * pl else "MISSED"))
    print("  unitrun sandboxed / systemd sandboxed: %.2f× (target < 1×: %s)" % (sb / sd_sb, "met" if sb < sd_sb else "MISSED"))
    print("  unitrun plain / systemd plain:       %.2f×" % (pl / sd_pl))
    print("  systemd sandboxed / systemd plain:   %.2f×" % (sd_sb / sd_pl))


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print("systemd_compare: %s" % e, file=sys.stderr)
        try:
            with open(LOG) as f:
                sys.stderr.write("".join(f.readlines()[-20:]))
        except OSError:
            pass
        sys.exit(1)
