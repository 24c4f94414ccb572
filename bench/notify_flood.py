#!/usr/bin/env python3
"""A notify flood from a stranger: the sender of bench/run's notifyflood
phase (docs/benchmarks.md).

    notify_flood.py ADDRESS SECONDS [--depth N] [--user nobody]

Becomes --user (default nobody) first, then forks a chain of --depth
processes (default 64: each a child of the one before) and, from the
deepest, sends "STATUS=flood" datagrams to the AF_UNIX datagram socket
ADDRESS ("@name": the abstract namespace) as fast as it can for SECONDS
(blocking sends: a full queue paces it). A tree that deep was the dearest
sender to check for a monitor that walks parent links. Prints
"sent N refused M" (refused: the kernel said no, EACCES or ECONNREFUSED).
"""

import argparse
import os
import pwd
import socket
import sys
import time


def flood(address, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # Credentials are attached by the kernel whatever the sender says (the
    # receiver asked for SO_PASSCRED); this sender claims nothing.
    target = "\0" + address[1:] if address.startswith("@") else address
    payload = b"STATUS=flood"
    sent = refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(256):  # one clock read per 256 sends
            try:
                s.sendto(payload, target)
                sent += 1
            except (PermissionError, ConnectionRefusedError, FileNotFoundError):
                refused += 1
    return sent, refused


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("address")
    ap.add_argument("seconds", type=float)
    ap.add_argument("--depth", type=int, default=64)
    ap.add_argument("--user", default="nobody")
    a = ap.parse_args()
    pw = pwd.getpwnam(a.user)
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    r, w = os.pipe()
    for _ in range(a.depth):
        pid = os.fork()
        if pid:
            # Each link waits for the one below, so the chain stays whole.
            os.close(w)
            os.waitpid(pid, 0)
            if os.getpid() == top:
                print(os.read(r, 100).decode().strip(), flush=True)
            os._exit(0)
    sent, refused = flood(a.address, a.seconds)
    os.write(w, ("sent %d refused %d" % (sent, refused)).encode())
    os._exit(0)


top = os.getpid()
if __name__ == "__main__":
    sys.exit(main())
