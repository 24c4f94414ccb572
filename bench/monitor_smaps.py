#!/usr/bin/python3
"""The idle monitor's Private_Dirty, per mapping.

usage: bench/monitor_smaps.py BINARY [RUNS]

Starts a plain unit ([Service] ExecStart=/bin/sleep TOKEN) with BINARY, finds
its monitor (the sleep's parent), sums Private_Dirty over
/proc/MONITOR/smaps, prints the total and the largest mappings, stops the
unit; RUNS times (default 3). bench/run's idle phase reports the same total
(from smaps_rollup) for a Restart=always unit; this one says where it is.
"""
import collections
import os
import subprocess
import sys
import tempfile


def monitor_of(token):
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline") as f:
                argv = f.read().split("\0")
            if len(argv) > 1 and argv[0] == "/bin/sleep" and argv[1] == token:
                with open(f"/proc/{p}/stat") as f:
                    return int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    raise SystemExit("monitor_smaps: the unit's sleep was not found")


def private_dirty(pid):
    per, cur = collections.Counter(), None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if not fields[0].endswith(":"):
                cur = (fields[0], fields[5] if len(fields) > 5 else "[anon]")
            elif fields[0] == "Private_Dirty:":
                per[cur] += int(fields[1])
    return per


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    # A binary written moments ago has dirty page-cache pages, which smaps
    # counts as Private_Dirty until writeback.
    subprocess.run(["sync", binary], check=True)
    with tempfile.TemporaryDirectory(prefix="monitor-smaps.") as d:
        for r in range(runs):
            token = "1000.%d%d" % (os.getpid(), r)
            unit = f"{d}/monitor-smaps-{os.getpid()}-{r}.service"
            with open(unit, "w") as f:
                f.write(f"[Service]\nExecStart=/bin/sleep {token}\n")
            subprocess.run([binary, "start", unit], check=True, stdout=subprocess.DEVNULL)
            try:
                mon = monitor_of(token)
                per = private_dirty(mon)
                print(f"run {r + 1}: monitor {mon}: Private_Dirty {sum(per.values())} kB")
                for (span, name), kb in per.most_common(6):
                    if kb:
                        print(f"  {kb:5d} kB  {span} {name}")
            finally:
                subprocess.run([binary, "stop", unit], check=True, stdout=subprocess.DEVNULL)


main()
