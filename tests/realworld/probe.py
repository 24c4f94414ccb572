#!/usr/bin/python3
"""Probes for the realworld suite (run-realworld.sh): Python 3 standard
library only, every network call bounded by a timeout.

  probe.py http URL                 status line and body: "200 <body>"
  probe.py banner HOST PORT         the first line the server sends
  probe.py memcached HOST PORT      "pid N" from the stats command
  probe.py redis HOST PORT          the answer to PING ("+PONG")
  probe.py status JSONFILE          the fields of `unitrun status --json` the
                                    suite reads, as shell assignments S_key=...
  probe.py protections PID UNIT     which of UNIT's sandboxing keys are seen
                                    in force on PID, from /proc (and nsenter)
  probe.py sandbox-keys UNIT        the sandboxing keys UNIT sets
  probe.py properties PID UNIT      UNIT's LimitNOFILE=, User=, Group=, UMask=,
                                    IgnoreSIGPIPE=no as /proc shows them on PID

Exit status 0 when the probe got an answer, 1 otherwise (the reason on
stdout, so that the FAIL line can carry it).
"""
# Only what every probe needs is imported here; the rest where it is used
# (a probe runs in a loop: its start-up time counts).
import os
import stat
import sys

TIMEOUT = 5


def http_get(url):
    import http.client
    import re
    m = re.match(r"http://([^/:]+)(?::(\d+))?(/.*)?$", url)
    if not m:
        print(f"bad url {url}")
        return 1
    host, port, path = m.group(1), int(m.group(2) or 80), m.group(3) or "/"
    try:
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace").strip()
        conn.close()
    except OSError as e:
        print(f"GET {url}: {e}")
        return 1
    except http.client.HTTPException as e:
        print(f"GET {url}: {type(e).__name__} {e}")
        return 1
    print(f"{resp.status} {body}")
    return 0


def connect(host, port):
    import socket
    return socket.create_connection((host, int(port)), timeout=TIMEOUT)


def read_line(sock):
    data = b""
    while b"\n" not in data and len(data) < 4096:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")


def banner(host, port):
    try:
        with connect(host, port) as s:
            line = read_line(s)
    except OSError as e:
        print(f"connect {host}:{port}: {e}")
        return 1
    print(line)
    return 0 if line else 1


def memcached(host, port):
    import re
    try:
        with connect(host, port) as s:
            s.sendall(b"stats\r\n")
            data = b""
            while not data.endswith(b"END\r\n") and len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.sendall(b"quit\r\n")
    except OSError as e:
        print(f"connect {host}:{port}: {e}")
        return 1
    m = re.search(rb"^STAT pid (\d+)\r$", data, re.M)
    if not m:
        print(f"no 'STAT pid' in the answer to stats: {data[:200]!r}")
        return 1
    print(f"pid {int(m.group(1))}")
    return 0


def redis(host, port):
    try:
        with connect(host, port) as s:
            s.sendall(b"PING\r\n")
            line = read_line(s)
    except OSError as e:
        print(f"connect {host}:{port}: {e}")
        return 1
    print(line)
    return 0 if line == "+PONG" else 1


def status(path):
    """unitrun status --json, as shell assignments S_key='value' (the fields
    the suite reads, and S_pids: the main PID and every process's)."""
    import json
    import shlex
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        doc = {}
    for key in ("main_pid", "monitor_pid", "active_state", "sub_state", "result", "restarts"):
        value = doc.get(key)
        print(f"S_{key}={shlex.quote('' if value is None else str(value))}")
    pids = [doc["main_pid"]] if doc.get("main_pid") else []
    pids += [p["pid"] for p in doc.get("processes", []) if p.get("pid")]
    print(f"S_pids={shlex.quote(' '.join(str(p) for p in dict.fromkeys(pids)))}")
    return 0


# ---- protections --------------------------------------------------------------

# Linux capability numbers (linux/capability.h), for CapabilityBoundingSet=.
CAPS = """chown dac_override dac_read_search fowner fsetid kill setgid setuid
setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw
ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct
sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease
audit_write audit_control setfcap mac_override mac_admin syslog wake_alarm
block_suspend audit_read perfmon bpf checkpoint_restore""".split()

# Keys whose only trace outside the process is a loaded seccomp filter.
SECCOMP_KEYS = {
    "SystemCallFilter", "SystemCallArchitectures", "SystemCallErrorNumber", "SystemCallLog",
    "MemoryDenyWriteExecute", "LockPersonality", "RestrictRealtime", "RestrictNamespaces",
    "RestrictSUIDSGID", "RestrictAddressFamilies", "ProtectClock",
}
SANDBOX_KEYS = SECCOMP_KEYS | {
    "PrivateTmp", "PrivateDevices", "PrivateNetwork", "PrivateUsers", "PrivateIPC",
    "ProtectSystem", "ProtectHome", "ProtectControlGroups", "ProtectProc", "ProcSubset",
    "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectHostname",
    "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths",
    "ReadWriteDirectories", "ReadOnlyDirectories", "InaccessibleDirectories",
    "ExecPaths", "NoExecPaths", "BindPaths", "BindReadOnlyPaths",
    "TemporaryFileSystem", "NoNewPrivileges", "CapabilityBoundingSet",
    "AmbientCapabilities", "RemoveIPC", "KeyringMode", "SecureBits",
    "RootDirectory", "MountFlags",
}
TRUE = {"1", "yes", "true", "on"}


def unit_keys(path):
    """[Service] keys in file order: (key, value) pairs, continuations joined."""
    keys, section, pending = [], "", ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if pending:
                line = pending + line
                pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("["):
                section = s
                continue
            if section == "[Service]" and "=" in s:
                k, v = s.split("=", 1)
                keys.append((k.strip(), v.strip()))
    return keys


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def ns(pid, kind):
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def inside(pid, *cmd):
    """Runs one of the few commands the checks need (test -e/-w, stat, ls -A)
    as in pid's mount namespace; (True when it succeeds, its output).

    Done from here through /proc/PID/root rather than by exec'ing a command
    inside with nsenter: under NoExecPaths=/ (redis-server's unit) nothing
    outside ExecPaths= can be executed in there, and a probe that cannot run
    would read as a protection missing. Paths resolve in the service's mount
    tree, read-only and inaccessible mounts included."""
    def at(path):
        return f"/proc/{pid}/root{path}"
    try:
        if cmd[0] == "test":
            flag, path = cmd[1], cmd[2]
            if flag == "-e":
                return os.path.lexists(at(path)) or os.path.exists(at(path)), ""
            if flag == "-w":
                return os.access(at(path), os.W_OK), ""
        elif cmd[0] == "stat":
            follow = "-L" in cmd
            fmt = cmd[cmd.index("-c") + 1]
            st = os.stat(at(cmd[-1])) if follow else os.lstat(at(cmd[-1]))
            kinds = {stat.S_IFSOCK: "socket", stat.S_IFREG: "regular file", stat.S_IFDIR: "directory",
                     stat.S_IFCHR: "character special file", stat.S_IFBLK: "block special file",
                     stat.S_IFIFO: "fifo", stat.S_IFLNK: "symbolic link"}
            out = (fmt.replace("%F", kinds.get(stat.S_IFMT(st.st_mode), "unknown"))
                   .replace("%d", str(st.st_dev)).replace("%i", str(st.st_ino))
                   .replace("%a", "%o" % stat.S_IMODE(st.st_mode)))
            return True, out + "\n"
        elif cmd[0] == "ls" and cmd[1] == "-A":
            return True, "".join(n + "\n" for n in sorted(os.listdir(at(cmd[2]))))
    except OSError:
        return False, ""
    raise ValueError("inside(): no emulation for %r" % (cmd,))


def mount_options(pid, path, per_mount_only=False):
    """Options of the mount that holds path in pid's view: per mount and
    super block, or the per-mount ones alone (where ro of a bind shows)."""
    best, opts = "", set()
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            fields = line.split()
            mp = fields[4].replace("\\040", " ")
            sep = fields.index("-")
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best):
                best = mp
                opts = set(fields[5].split(","))
                if not per_mount_only:
                    opts |= set(fields[sep + 3].split(","))
    return best, opts


def writable_inside(pid, path):
    """A socket is writable whatever its mount says (connect() does not look
    at MS_RDONLY, in systemd's namespace as in unitrun's): for one, the
    mount's own read-only flag is the evidence."""
    ok, kind = inside(pid, "stat", "-L", "-c", "%F", path)
    if ok and kind.strip() == "socket":
        return "ro" not in mount_options(pid, path, per_mount_only=True)[1]
    return inside(pid, "test", "-w", path)[0]


def check_binds(pid, key, vals):
    """(in force, evidence) for BindPaths=/BindReadOnlyPaths= lines."""
    shown = []
    for v in vals:
        for entry in v.split():
            optional = entry.startswith("-")
            parts = entry.lstrip("-").split(":")
            src = parts[0]
            dst = parts[1] if len(parts) > 1 and parts[1] else src
            if not os.path.exists(src):
                if optional:
                    continue
                return False, f"{src} does not exist on the host"
            st = os.stat(src)
            ok, out = inside(pid, "stat", "-L", "-c", "%d %i", dst)
            if not ok or out.split() != [str(st.st_dev), str(st.st_ino)]:
                return False, f"{dst} inside is not {src}"
            if key == "BindReadOnlyPaths" and writable_inside(pid, dst):
                return False, f"{src} on {dst} is writable inside"
            shown.append(f"{src} on {dst}" + (" read-only" if key == "BindReadOnlyPaths" else ""))
    return True, "; ".join(shown) or "nothing to bind here"


def protections(pid, unit):
    import subprocess
    pid = int(pid)
    keys = unit_keys(unit)
    present = [k for k, _ in keys if k in SANDBOX_KEYS]
    values = {}
    for k, v in keys:
        values.setdefault(k, []).append(v)
    me = os.getpid()
    bad = 0
    seen = set()

    def report(key, ok, evidence):
        nonlocal bad
        state = {True: "in force", False: "NOT in force", None: "not checked"}[ok]
        if ok is False:
            bad += 1
        print(f"{key}: {state} ({evidence})")

    for key in present:
        if key in seen:
            continue
        seen.add(key)
        vals = values[key]
        last = vals[-1]
        try:
            if key == "NoNewPrivileges":
                nnp = status_field(pid, "NoNewPrivs")
                report(key, (nnp == "1") == (last.lower() in TRUE), f"NoNewPrivs: {nnp}")
            elif key == "CapabilityBoundingSet":
                mask = 0
                for v in vals:
                    if not v:
                        mask = 0
                        continue
                    names = v.lstrip("~").split()
                    bits = 0
                    for n in names:
                        n = n.lower().removeprefix("cap_")
                        bits |= 1 << CAPS.index(n)
                    mask = (mask | bits) if not v.startswith("~") else (mask & ~bits)
                # Only what this machine's bounding set has can stay in a child's.
                host = int(status_field(me, "CapBnd"), 16)
                got = int(status_field(pid, "CapBnd"), 16)
                report(key, got == mask & host,
                       f"CapBnd: {got:016x}, expected {mask & host:016x} (the unit's {mask:016x} within the host's {host:016x})")
            elif key in SECCOMP_KEYS:
                mode = status_field(pid, "Seccomp")
                n = status_field(pid, "Seccomp_filters")
                report(key, mode == "2",
                       f"Seccomp: {mode}, {n} filters; which rule a filter holds is not visible from /proc")
            elif key == "PrivateUsers":
                report(key, ns(pid, "user") != ns(me, "user"), f"user namespace {ns(pid, 'user')}")
            elif key == "ProtectHostname":
                report(key, ns(pid, "uts") != ns(me, "uts"), f"UTS namespace {ns(pid, 'uts')}")
            elif key == "PrivateNetwork":
                report(key, ns(pid, "net") != ns(me, "net"), f"network namespace {ns(pid, 'net')}")
            elif key == "PrivateIPC":
                report(key, ns(pid, "ipc") != ns(me, "ipc"), f"IPC namespace {ns(pid, 'ipc')}")
            elif key == "PrivateTmp":
                marker = f"/tmp/unitrun-realworld-marker.{me}"
                with open(marker, "w"):
                    pass
                try:
                    visible = inside(pid, "test", "-e", marker)[0]
                finally:
                    os.unlink(marker)
                report(key, not visible and ns(pid, "mnt") != ns(me, "mnt"),
                       f"a file made in the host's /tmp is {'visible' if visible else 'not visible'} inside")
            elif key == "PrivateDevices":
                host = [d for d in sorted(os.listdir("/dev"))
                        if os.path.exists(f"/dev/{d}") and
                        (os.stat(f"/dev/{d}").st_mode & 0o170000) == 0o060000][:3]
                shown = [d for d in host if inside(pid, "test", "-e", f"/dev/{d}")[0]]
                report(key, not shown and host != [],
                       f"host block devices {' '.join(host) or '(none)'}; visible inside: {' '.join(shown) or 'none'}")
            elif key == "ProtectSystem":
                level = last.lower()
                ro = {"yes": ["/usr", "/boot"], "true": ["/usr", "/boot"], "full": ["/usr", "/etc"],
                      "strict": ["/usr", "/etc", "/var"]}.get(level, [])
                ro = [p for p in ro if os.path.isdir(p) and os.access(p, os.W_OK)]
                rw = [p for p in ro if writable_inside(pid, p)]
                report(key, bool(ro) and not rw,
                       f"{level}: read-only inside: {' '.join(p for p in ro if p not in rw) or 'none'}"
                       + (f"; writable inside: {' '.join(rw)}" if rw else ""))
            elif key == "ProtectHome":
                ok, out = inside(pid, "ls", "-A", "/root")
                host = os.listdir("/root")
                if last.lower() == "read-only":
                    report(key, not writable_inside(pid, "/root"), "/root read-only inside")
                else:
                    report(key, (not ok or not out.strip()) and bool(host),
                           f"/root inside: {'empty' if not out.strip() else 'has files'}; on the host: {len(host)} entries")
            elif key in ("ProtectControlGroups", "ProtectKernelTunables"):
                path = {"ProtectControlGroups": "/sys/fs/cgroup", "ProtectKernelTunables": "/proc/sys/kernel"}[key]
                if not os.access(path, os.W_OK):
                    report(key, None, f"{path} is read-only on the host already")
                else:
                    w = writable_inside(pid, path)
                    report(key, not w, f"{path} {'writable' if w else 'read-only'} inside, writable on the host")
            elif key == "ProtectKernelModules":
                path = "/lib/modules" if os.path.isdir("/lib/modules") else "/usr/lib/modules"
                if not os.path.isdir(path):
                    report(key, None, f"{path} does not exist on this machine")
                    continue
                ok, out = inside(pid, "ls", "-A", path)
                report(key, not out.strip(),
                       f"{path} inside: {'empty/inaccessible' if not out.strip() else 'listed'}")
            elif key == "ProtectKernelLogs":
                ok, out = inside(pid, "stat", "-c", "%a", "/proc/kmsg")
                report(key, out.strip() == "0", f"/proc/kmsg mode inside: {out.strip() or '?'}")
            elif key in ("ProtectProc", "ProcSubset"):
                mp, opts = mount_options(pid, "/proc")
                want = {"ProtectProc": "hidepid", "ProcSubset": "subset"}[key]
                got = [o for o in opts if o.startswith(want + "=")]
                report(key, bool(got), f"/proc mounted with {','.join(got) or 'no ' + want + '='}")
            elif key in ("ReadWritePaths", "ReadWriteDirectories"):
                paths = [p.lstrip("-+") for v in vals for p in v.split()]
                paths = [p for p in paths if os.path.exists(p)]
                ro = [p for p in paths if not writable_inside(pid, p)]
                report(key, not ro, f"writable inside, as the key allows: {' '.join(p for p in paths if p not in ro) or '(none exists)'}"
                       + (f"; read-only: {' '.join(ro)}" if ro else ""))
            elif key == "NoExecPaths":
                paths = [p.lstrip("-+") for v in vals for p in v.split()]
                # The mount sits on the resolved path (/lib is usr/lib, Debian's
                # /usr/bin/redis-server a link to redis-check-rdb), as the
                # sandbox resolves it.
                flagged = [p for p in paths if "noexec" in mount_options(pid, os.path.realpath(p))[1]]
                report(key, flagged == paths, f"noexec inside: {' '.join(flagged) or 'none'}")
            elif key == "ExecPaths":
                paths = [p.lstrip("-+") for v in vals for p in v.split()]
                paths = [p for p in paths if os.path.exists(p)]
                flagged = [p for p in paths if "noexec" in mount_options(pid, os.path.realpath(p))[1]]
                report(key, not flagged, "executable inside: " + " ".join(p for p in paths if p not in flagged)
                       + (f"; noexec: {' '.join(flagged)}" if flagged else ""))
            elif key in ("BindPaths", "BindReadOnlyPaths"):
                report(key, *check_binds(pid, key, vals))
            else:
                report(key, None, "no outside evidence")
        except (OSError, ValueError, subprocess.SubprocessError) as e:
            report(key, False, f"probe failed: {e}")
    return 1 if bad else 0


def limit_value(v):
    return None if v == "infinity" else int(v)


def properties(pid, unit):
    """The unit's process properties that /proc shows: LimitNOFILE=, User=,
    Group=, UMask=, IgnoreSIGPIPE=no. The hard limit is compared (a daemon
    may move its soft limit itself), the others as they are."""
    pid = int(pid)
    values = dict(unit_keys(unit))  # the last value of each key
    shown, bad = [], []

    def check(ok, text):
        (shown if ok else bad).append(text)

    if "LimitNOFILE" in values:
        v = values["LimitNOFILE"]
        soft, _, hard = v.partition(":")
        want = limit_value(hard or soft)
        # As systemd's setrlimit_closest(): above the hard limit the service
        # inherits, without CAP_SYS_RESOURCE (bit 24), it gets that limit.
        import resource
        own_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        can_raise = (int(status_field(os.getpid(), "CapEff") or "0", 16) >> 24) & 1
        if not can_raise and own_hard != resource.RLIM_INFINITY and (want is None or want > own_hard):
            want = own_hard
            v += f" (clamped to {own_hard})"
        with open(f"/proc/{pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        fields = line.split()
        got_soft, got_hard = fields[3], fields[4]
        got = None if got_hard == "unlimited" else int(got_hard)
        check(got == want, f"LimitNOFILE={v}: open files {got_soft}/{got_hard}")
    for key, field, db in (("User", "Uid", "/etc/passwd"), ("Group", "Gid", "/etc/group")):
        if key in values:
            name = values[key]
            want = name if name.isdigit() else next(
                (l.split(":")[2] for l in open(db) if l.split(":")[0] == name), "?")
            got = status_field(pid, field).split()[0]
            check(got == want, f"{key}={name}: {field} {got}")
    if "UMask" in values:
        got = status_field(pid, "Umask")
        check(int(got, 8) == int(values["UMask"], 8), f"UMask={values['UMask']}: Umask {got}")
    if values.get("IgnoreSIGPIPE", "").lower() in ("no", "false", "0", "off"):
        ign = int(status_field(pid, "SigIgn"), 16)
        check(not ign & (1 << 12), f"IgnoreSIGPIPE={values['IgnoreSIGPIPE']}: SIGPIPE "
              + ("ignored" if ign & (1 << 12) else "not ignored"))
    for text in bad:
        print(f"NOT as the unit says: {text}")
    print("; ".join(shown))
    return 1 if bad else 0


def sandbox_keys(unit):
    """The unit's sandboxing keys."""
    keys = [k for k, _ in unit_keys(unit) if k in SANDBOX_KEYS]
    print(" ".join(dict.fromkeys(keys)))
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    table = {"http": http_get, "banner": banner, "memcached": memcached, "redis": redis,
             "status": status, "protections": protections,
             "sandbox-keys": sandbox_keys, "properties": properties}
    if cmd not in table:
        print(__doc__)
        return 2
    return table[cmd](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
