#!/usr/bin/python3
"""A test service for the systemd end-to-end suite (tests/e2e).

Runs under `unitrun run` inside the container and leaves evidence in
/run/e2e/NAME.*: its PID (.pid), its environment (.env), a line per SIGHUP
(.hup), and .term when SIGTERM ended it. Speaks sd_notify itself (only the
standard library: the container has python3-minimal), so it stays the sender
of every message it sends.

  --name NAME             marker for files and for pgrep (children are NAME-child)
  --starting-status TEXT  STATUS= sent at once
  --ready-after SEC       after SEC seconds: STATUS=<--status> and READY=1
  --status TEXT           the status sent with READY=1 (default "ready")
  --watchdog              WATCHDOG=1 at half of WATCHDOG_USEC while it runs
  --children N            N sleeping children that ignore nothing
"""
import os
import signal
import socket
import sys
import time

RUN_DIR = "/run/e2e"


def notify(message):
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(address)
        s.sendall(message.encode())


def parse(argv):
    opts = {"name": "e2e", "status": "ready", "children": "0"}
    i = 0
    while i < len(argv):
        key = argv[i][2:]
        if key == "watchdog":
            opts[key] = "1"
            i += 1
            continue
        opts[key] = argv[i + 1]
        i += 2
    return opts


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


def main():
    opts = parse(sys.argv[1:])
    name = opts["name"]
    os.makedirs(RUN_DIR, exist_ok=True)
    base = os.path.join(RUN_DIR, name)
    write(base + ".env", "".join(f"{k}={v}\n" for k, v in sorted(os.environ.items())))
    write(base + ".pid", f"{os.getpid()}\n")

    def on_term(signum, frame):
        write(base + ".term", "SIGTERM\n")
        os._exit(0)

    def on_hup(signum, frame):
        write(base + ".hup", "SIGHUP\n", "a")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_hup)

    for _ in range(int(opts["children"])):
        if os.fork() == 0:
            os.execv("/bin/sleep", [name + "-child", "100000"])

    if "starting-status" in opts:
        notify("STATUS=" + opts["starting-status"])
    if "ready-after" in opts:
        time.sleep(float(opts["ready-after"]))
        notify("STATUS=" + opts["status"] + "\nREADY=1")

    interval = 1.0
    if "watchdog" in opts and os.environ.get("WATCHDOG_USEC"):
        interval = int(os.environ["WATCHDOG_USEC"]) / 2e6
    while True:
        if "watchdog" in opts:
            notify("WATCHDOG=1")
        time.sleep(interval)
        try:  # reap the children if they die
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass


if __name__ == "__main__":
    main()
