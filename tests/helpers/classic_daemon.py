#!/usr/bin/python3
"""The classic double-fork daemon (Stevens), for Type=forking.

    classic_daemon.py PIDFILE [options]

The first process forks and exits (with --first-exit, default 0); the child
calls setsid() and forks again; the grandchild is the daemon: it writes
PIDFILE itself (plain open/truncate/write, as daemons do) and sleeps.

  --pidfile-delay MS   the daemon waits MS ms before writing the pidfile
  --no-pidfile         never writes it
  --make-dir           creates the pidfile's directory first (after the delay)
  --write-pid PID      writes PID instead of its own (a liar, S2)
  --mode OCTAL         the pidfile's permission bits (default 0644)
  --hold-middle MS     the middle process exits only MS ms after the pidfile
                       was written (so the daemon is not yet re-parented)
  --children N         the daemon forks N children that sleep too
  --counter FILE       appends "daemon PID" to FILE for each daemon started
  --first-exit CODE    the first process's exit status
  --chown-pidfile USER the daemon (root) gives its pidfile to USER, as daemons
                       that drop root do
  --handover           on SIGUSR2 the daemon starts a new master (its child),
                       which writes PIDFILE anew, as nginx's binary upgrade;
                       the old master exits on SIGQUIT
"""
import os
import pwd
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    pidfile = args.pop(0)
    opts = {"--pidfile-delay": "0", "--write-pid": None, "--mode": "0644", "--hold-middle": "0",
            "--children": "0", "--counter": None, "--first-exit": "0", "--chown-pidfile": None}
    no_pidfile = False
    make_dir = False
    handover = False
    while args:
        k = args.pop(0)
        if k == "--no-pidfile":
            no_pidfile = True
            continue
        if k == "--make-dir":
            make_dir = True
            continue
        if k == "--handover":
            handover = True
            continue
        if k not in opts:
            sys.stderr.write("classic_daemon: unknown option %s\n" % k)
            sys.exit(2)
        opts[k] = args.pop(0)

    # Synchronises the middle process with the daemon's pidfile write.
    r, w = os.pipe()
    if os.fork() > 0:
        os._exit(int(opts["--first-exit"]))
    os.setsid()
    if os.fork() > 0:
        os.close(w)
        if int(opts["--hold-middle"]) > 0:
            os.read(r, 1)  # until the daemon has written its pidfile
            time.sleep(int(opts["--hold-middle"]) / 1000.0)
        os._exit(0)
    os.close(r)
    os.chdir("/")
    os.umask(0o022)
    if opts["--counter"]:
        with open(opts["--counter"], "a") as f:
            f.write("daemon %d\n" % os.getpid())
    for _ in range(int(opts["--children"])):
        if os.fork() == 0:
            while True:
                time.sleep(3600)
    time.sleep(int(opts["--pidfile-delay"]) / 1000.0)
    if make_dir:
        os.makedirs(os.path.dirname(pidfile), exist_ok=True)
    def write_pidfile(pid):
        fd = os.open(pidfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, int(opts["--mode"], 8))
        if opts["--chown-pidfile"]:
            user = pwd.getpwnam(opts["--chown-pidfile"])
            os.fchown(fd, user.pw_uid, user.pw_gid)
        os.write(fd, (pid + "\n").encode())
        os.close(fd)

    if not no_pidfile:
        write_pidfile(opts["--write-pid"] or str(os.getpid()))
    if handover:
        def on_usr2(signum, frame):
            if os.fork() == 0:  # the new master
                signal.signal(signal.SIGUSR2, signal.SIG_DFL)
                signal.signal(signal.SIGQUIT, signal.SIG_DFL)
                write_pidfile(str(os.getpid()))
                while True:
                    time.sleep(3600)
        signal.signal(signal.SIGUSR2, on_usr2)
        signal.signal(signal.SIGQUIT, lambda signum, frame: os._exit(0))
    try:
        os.write(w, b"x")  # the middle process may be gone already
    except OSError:
        pass
    os.close(w)
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
