#!/usr/bin/env python3
"""Throughput of a service's output with X-Unitrun-Timestamps=yes (a pipe
the monitor reads, stamping each line) against the direct path (the service
writes to its file itself) and against no unitrun at all (`head > FILE`).

The service is `head -c N LINES`, LINES a file of 100-byte lines on tmpfs:
one process that copies lines to its stdout as fast as it can. Each unit is
Type=oneshot, so `unitrun start` returns when head has exited and the
monitor has written the last line (the run's end drains the pipe); that is
the time measured, start latency included. Runs alternate the variants;
each checks the output's line count. Not in CI: docs/benchmarks.md.

    bench/stamped_output.py --unitrun build/unitrun --mib 256 --runs 5
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return n
            n += b.count(b"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--unitrun", default="build/unitrun")
    ap.add_argument("--mib", type=int, default=256, help="MiB the service writes (default 256)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="/dev/shm", help="where the files go (default /dev/shm, tmpfs)")
    a = ap.parse_args()
    unitrun = os.path.abspath(a.unitrun)
    tmp = tempfile.mkdtemp(prefix="unitrun-stamped.", dir=a.dir)
    try:
        line = b"x" * 99 + b"\n"
        size = (a.mib << 20) // len(line) * len(line)  # whole lines: a last partial one would gain a newline
        lines_path = os.path.join(tmp, "lines")
        with open(lines_path, "wb") as f:
            chunk = line * ((1 << 20) // len(line) + 1)
            left = size
            while left > 0:
                f.write(chunk[:left] if left < len(chunk) else chunk)
                left -= min(left, len(chunk))
        want = count_lines(lines_path)
        out = os.path.join(tmp, "out")
        head = "/usr/bin/head -c %d %s" % (size, lines_path)

        def unit(name, extra):
            path = os.path.join(tmp, name + ".service")
            with open(path, "w") as f:
                f.write("[Service]\nType=oneshot\nExecStart=%s\nStandardOutput=file:%s\nStandardError=null\n%s"
                        % (head, out, extra))
            return path

        units = {"unitrun direct": unit("direct", ""),
                 "unitrun stamped": unit("stamped", "X-Unitrun-Timestamps=yes\n")}
        times = {"head > FILE": [], "unitrun direct": [], "unitrun stamped": []}
        order = list(times)
        for r in range(-1, a.runs):  # run -1 warms the page cache and is not counted
            for v in (order if r % 2 == 0 else list(reversed(order))):
                if os.path.exists(out):
                    os.unlink(out)
                t0 = time.perf_counter()
                if v == "head > FILE":
                    with open(out, "wb") as f:
                        subprocess.run(head.split(), stdout=f, check=True)
                else:
                    subprocess.run([unitrun, "start", units[v]], check=True, stdout=subprocess.DEVNULL)
                t = time.perf_counter() - t0
                got = count_lines(out)
                if got != want:
                    raise SystemExit("%s: %d lines in the output, expected %d" % (v, got, want))
                if v == "unitrun stamped":
                    with open(out, "rb") as f:
                        first = f.readline()
                    if len(first) != 33 + len(line):
                        raise SystemExit("stamped: first line %r has no stamp" % first[:60])
                if r >= 0:
                    times[v].append(t)
            if r >= 0:
                print("run %d/%d: " % (r + 1, a.runs) +
                      ", ".join("%s %.0f ms" % (v, times[v][-1] * 1e3) for v in order), flush=True)
        med = {v: statistics.median(ts) for v, ts in times.items()}
        print("\n%d MiB in %d lines of 100 bytes, median of %d runs:" % (a.mib, want, a.runs))
        for v in order:
            print("  %-16s %7.0f ms  %6.0f MiB/s  %.3fx head > FILE" % (v, med[v] * 1e3, a.mib / med[v],
                                                                     med["head > FILE"] / med[v]))
        print("  stamped vs unitrun direct: %.3fx" % (med["unitrun direct"] / med["unitrun stamped"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
