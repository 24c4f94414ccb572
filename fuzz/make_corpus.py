#!/usr/bin/env python3
# Regenerates fuzz/corpus:  python3 fuzz/make_corpus.py fuzz/corpus
# Generates fuzz/corpus: one small unit per feature, written for unitrun.
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {}
def seed(name, text):
    assert name not in seeds, name
    seeds[name] = text.encode("latin-1") if isinstance(text, str) else text

S = "[Service]\n"
# --- valid units, one per feature -----------------------------------------
seed("minimal", S + "ExecStart=/bin/sleep 60\n")
seed("oneshot-no-exec-start", S + "Type=oneshot\nExecStop=/bin/true\n")
seed("full-example",
"""# A complete unit using every section.
[Unit]
Description=Example web worker
Documentation=https://example.org/docs man:worker(8)
StartLimitIntervalSec=30s
StartLimitBurst=3

[Service]
Type=notify
ExecStartPre=-/usr/bin/mkdir -p /var/lib/worker
ExecStart=/usr/bin/worker --port 8080 --name "%N worker"
ExecStartPost=/bin/echo started
ExecReload=/bin/kill -HUP $MAINPID
ExecStop=/bin/kill -TERM $MAINPID
ExecStopPost=-/bin/rm -f /run/worker.sock
WorkingDirectory=/var/lib/worker
UMask=0027
User=nobody
Group=nogroup
SupplementaryGroups=adm users
Environment="GREETING=hello world" MODE=prod
EnvironmentFile=-/etc/default/worker
PIDFile=/run/worker.pid
StandardInput=null
StandardOutput=append:/var/log/worker.log
StandardError=inherit
Restart=on-failure
RestartSec=2s
SuccessExitStatus=0 143 TEMPFAIL SIGUSR1
RestartPreventExitStatus=78
TimeoutStartSec=1min 30s
TimeoutStopSec=20s
KillMode=mixed
KillSignal=SIGINT
FinalKillSignal=SIGKILL
SendSIGKILL=yes
WatchdogSec=10s
LimitNOFILE=1024:4096
LimitCORE=infinity
Nice=5

[Install]
WantedBy=multi-user.target
""")
# [Unit] keys
seed("key-description", "[Unit]\nDescription=  spaces around are trimmed  \n" + S + "ExecStart=/bin/true\n")
seed("key-documentation", "[Unit]\nDocumentation=man:a(1) \"https://x.org/a b\"\nDocumentation=\nDocumentation=info:c\n" + S + "ExecStart=/bin/true\n")
seed("key-start-limit", "[Unit]\nStartLimitIntervalSec=0\nStartLimitBurst=1000000\n" + S + "ExecStart=/bin/true\n")
# [Service] keys
for t in ["simple", "exec", "notify", "oneshot"]:
    seed("key-type-" + t, S + f"Type={t}\nExecStart=/bin/true\n")
seed("key-type-forking", S + "Type=forking\nPIDFile=run/fork.pid\nExecStart=/usr/sbin/daemon --fork\n")
seed("key-type-empty-resets", S + "Type=notify\nType=\nExecStart=/bin/true\n")
seed("key-exec-start-pre", S + "ExecStartPre=/bin/true\nExecStartPre=-/bin/false\nExecStart=/bin/true\n")
seed("key-exec-start-post", S + "ExecStart=/bin/true\nExecStartPost=/bin/echo one ; /bin/echo two\n")
seed("key-exec-stop", S + "ExecStart=/bin/sleep 9\nExecStop=/bin/kill $MAINPID\nExecStopPost=/bin/rm -f /tmp/x\n")
seed("key-exec-reload", S + "ExecStart=/bin/sleep 9\nExecReload=/bin/kill -HUP ${MAINPID}\n")
seed("key-exec-list-reset", S + "ExecStartPre=/bin/a\nExecStartPre=\nExecStartPre=/bin/b\nExecStart=/bin/true\n")
seed("key-working-directory", S + "WorkingDirectory=-/srv/missing\nExecStart=/bin/true\n")
seed("key-working-directory-home", S + "WorkingDirectory=~\nExecStart=/bin/true\n")
seed("key-working-directory-relative", S + "WorkingDirectory=data/../state/.\nExecStart=/bin/true\n")
for v in ["0022", "027", "0", "0777", "077"]:
    seed("key-umask-" + v, S + f"UMask={v}\nExecStart=/bin/true\n")
seed("key-user-group", S + "User=nobody\nGroup=nogroup\nExecStart=/bin/true\n")
seed("key-user-numeric", S + "User=65534\nGroup=65534\nExecStart=/bin/true\n")
seed("key-user-samba-dollar", S + "User=host$\nExecStart=/bin/true\n")
seed("key-supplementary-groups", S + "SupplementaryGroups=adm\nSupplementaryGroups=users 100\nSupplementaryGroups=\nSupplementaryGroups=audio\nExecStart=/bin/true\n")
seed("key-environment", S + "Environment=A=1 B=2\nEnvironment=\"C=with space\" 'D=single'\nEnvironment=E=\nExecStart=/bin/env\n")
seed("key-environment-reset", S + "Environment=A=1\nEnvironment=\nEnvironment=B=2\nExecStart=/bin/env\n")
seed("key-environment-file", S + "EnvironmentFile=/etc/default/x\nEnvironmentFile=-relative.env\nExecStart=/bin/env\n")
seed("key-pidfile-absolute", S + "PIDFile=/run/x.pid\nExecStart=/bin/true\n")
seed("key-pidfile-relative", S + "PIDFile=x.pid\nExecStart=/bin/true\n")
seed("key-standard-input", S + "StandardInput=null\nExecStart=/bin/true\n")
for v in ["null", "inherit", "journal", "file:out.log", "append:/var/log/a.log", "truncate:../t.log"]:
    seed("key-standard-output-" + v.split(":")[0], S + f"StandardOutput={v}\nStandardError={v}\nExecStart=/bin/true\n")
for v in ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"]:
    seed("key-restart-" + v, S + f"Restart={v}\nExecStart=/bin/true\n")
seed("key-restart-sec", S + "RestartSec=500ms\nExecStart=/bin/true\n")
seed("key-exit-status", S + "SuccessExitStatus=1 2 SIGHUP TEMPFAIL\nRestartPreventExitStatus=255 SIGKILL\nSuccessExitStatus=\nExecStart=/bin/true\n")
seed("key-timeouts", S + "TimeoutStartSec=infinity\nTimeoutStopSec=5min 20s\nTimeoutSec=1.5h\nExecStart=/bin/true\n")
seed("key-timespan-units", S + "RestartSec=1y 1M 1w 1d 1h 1min 1s 1ms 1us\nTimeoutStopSec=300ms20s 5day\nTimeoutStartSec=90\nExecStart=/bin/true\n")
for v in ["control-group", "mixed", "process"]:
    seed("key-kill-mode-" + v, S + f"KillMode={v}\nExecStart=/bin/true\n")
seed("key-kill-signal", S + "KillSignal=TERM\nFinalKillSignal=9\nExecStart=/bin/true\n")
seed("key-kill-signal-rt", S + "KillSignal=SIGRTMIN+3\nFinalKillSignal=RTMAX-2\nExecStart=/bin/true\n")
seed("key-send-sigkill", S + "SendSIGKILL=off\nExecStart=/bin/true\n")
seed("key-watchdog", S + "Type=notify\nWatchdogSec=3s\nExecStart=/bin/true\n")
seed("key-limits", S + "LimitNOFILE=infinity\nLimitCORE=16M:1G\nExecStart=/bin/true\n")
seed("key-nice", S + "Nice=-20\nNice=19\nExecStart=/bin/true\n")
seed("key-wanted-by", S + "ExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target default.target\n")
seed("key-x-extension", "[X-Tool]\nAnything=goes\n" + S + "X-Note=ignored\nExecStart=/bin/true\n")
# Command-line syntax
seed("exec-quoting", S + "ExecStart=/bin/echo \"a b\" 'c d' e\\ f \"x\"'y' \"\"\n")
seed("exec-escapes", S + "ExecStart=/bin/printf \"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'\\s\" \\x41\\101 \\u00e9\\U0001F600\n")
seed("exec-prefixes", S + "ExecStartPre=-/bin/false\nExecStartPre=@/bin/sh mysh -c true\nExecStartPre=:/bin/echo $NOT_EXPANDED\nExecStartPre=-@:/bin/sh sh -c true\nExecStart=/bin/true\n")
seed("exec-separator", S + "ExecStartPre=/bin/echo a ; /bin/echo b \\; c ; /bin/echo \";\"\nExecStart=/bin/true\n")
seed("exec-env-vars", S + "Environment=ARGS=\"-a -b\" ONE=1\nExecStart=/bin/echo $ARGS ${ONE} pre${ONE}post $$literal ${not valid}\n")
seed("exec-bare-name", S + "ExecStart=sleep infinity\n")
seed("exec-relative-path", S + "ExecStart=./bin/tool --flag\nExecStartPre=../x/../y/run\n")
seed("exec-specifiers", S + "ExecStart=/bin/echo %n %N %p %i %h %u %t %%\nPIDFile=%t/%N.pid\nEnvironment=HOME_DIR=%h\n")
seed("exec-sh-c", S + "ExecStart=/bin/sh -c 'echo $$HOME; exec sleep 5'\n")
seed("exec-glob-backticks", S + "ExecStart=/bin/echo * ? `id` $(id) ; /bin/true\n")
seed("exec-high-bytes", S + "ExecStart=/usr/bin/caf\xc3\xa9 \xff\xfe \"\xe2\x82\xac\"\n")
# Line layer
seed("line-continuation", S + "ExecStart=/bin/echo one \\\n  two \\\n# a comment inside\n; another comment\n  three\n")
seed("line-crlf", ("[Unit]\r\nDescription=crlf\r\n[Service]\r\nExecStart=/bin/echo a \\\r\n b\r\n"))
seed("line-bom", b"\xef\xbb\xbf[Service]\nExecStart=/bin/true\n")
seed("line-comments", "# hash\n; semicolon\n   # indented\n[Unit]\nDescription=text ; not a comment # neither\n" + S + "ExecStart=/bin/echo # not a comment ; either\n")
seed("line-no-final-newline", S + "ExecStart=/bin/true")
seed("line-whitespace", "  [Service]  \n\tExecStart  =   /bin/true   \n\n\n")
seed("line-last-wins", S + "User=nobody\nUser=daemon\nUMask=0022\nUMask=0077\nExecStart=/bin/true\n")
seed("line-two-service-sections", S + "ExecStart=/bin/true\n[Unit]\nDescription=x\n" + S + "User=nobody\n")
seed("line-long", "[Unit]\nDescription=" + "x" * 4000 + "\n" + S + "ExecStart=/bin/echo " + "y " * 2000 + "\n")
# --- bad inputs (reliability.md §3.3, B1-B10) ---------------------------------
seed("bad-b1-empty", "")
seed("bad-b1-no-service", "[Unit]\nDescription=x\n")
seed("bad-b1-key-outside", "ExecStart=/bin/true\n" + S)
seed("bad-b1-unterminated-section", "[Service\nExecStart=/bin/true\n")
seed("bad-b1-missing-key", S + "=value\n")
seed("bad-b1-no-equals", S + "ExecStart /bin/true\n")
seed("bad-b1-text-after-section", "[Service] trailing\n")
seed("bad-b1-empty-section", "[]\n")
seed("bad-b2-long-line", S + "Description=" + "z" * (64 * 1024 - 40) + "\n")
seed("bad-b2-many-continuations", S + "ExecStart=/bin/echo \\\n" + "a \\\n" * 3000 + "end\n")
seed("bad-b3-nul", b"[Service]\nExecStart=/bin/true\x00;rm -rf /\n")
seed("bad-b3-nul-key", b"[Service]\nUs\x00er=root\nExecStart=/bin/true\n")
seed("bad-b3-control-chars", S + "ExecStart=/bin/true\n[Unit]\nDescription=esc\x1b[31mred\x07\n")
seed("bad-b3-continuation-at-eof", S + "ExecStart=/bin/true \\")
seed("bad-b3-escaped-nul", S + "ExecStart=/bin/echo \\x00 \\000 \\u0000\n")
seed("bad-b4-latin1", "[Unit]\nDescription=caf\xe9 na\xefve\n" + S + "ExecStart=/bin/\xe9\n")
seed("bad-b4-bom-twice", b"\xef\xbb\xbf\xef\xbb\xbf[Service]\nExecStart=/bin/true\n")
seed("bad-b4-invalid-utf8-escape", S + "ExecStart=/bin/echo \\ud800 \\U00110000\n")
seed("bad-b5-typo-key", S + "Usre=nobody\nExecStart=/bin/true\n")
seed("bad-b5-typo-section", "[Sevrice]\nExecStart=/bin/true\n")
seed("bad-b5-wrong-section", S + "Description=x\nExecStart=/bin/true\n[Unit]\nUser=root\n")
seed("bad-b5-colon-key", S + "ExecStart:/bin/true\n")
seed("bad-b5-case", "[service]\nexecstart=/bin/true\n")
seed("bad-b6-duplicate-exec-start", S + "User=nobody\nUser=root\nExecStart=/bin/a\nExecStart=/bin/b\n")
for v in ["999", "abc", "-1", "0x12", "0o22", "07777", "022abc", "022 x", ""]:
    seed("bad-b7-umask-" + (v.replace(" ", "_") or "empty"), S + f"UMask={v}\nExecStart=/bin/true\n")
for v in ["-1", "10foo", "1e3", "18446744073709551616s", "5 x"]:
    seed("bad-b7-timeout-" + v.replace(" ", "_"), S + f"TimeoutStopSec={v}\nExecStart=/bin/true\n")
seed("bad-b7-numbers", S + "StartLimitBurst=-1\nNice=20\nLimitNOFILE=10:5\nLimitCORE=1Z\nKillSignal=SIGBOGUS\nSendSIGKILL=maybe\nExecStart=/bin/true\n")
for i, v in enumerate(["0day", "0x0", "-1", "4294967295", "99999999999", "65535", "a b", "root:root", "9ab", "x" * 40]):
    seed(f"bad-b8-user-{i}", S + f"User={v}\nExecStart=/bin/true\n")
seed("bad-b8-user-nul", b"[Service]\nUser=nobody\x00root\nExecStart=/bin/true\n")
seed("bad-b9-traversal", S + "ExecStart=../../../../bin/sh\nPIDFile=../../../../etc/passwd\nWorkingDirectory=.\nStandardOutput=file:../../etc/x\n")
seed("bad-b10-injection", S + "ExecStart=/bin/echo ; `id` $(id) %n \"a b\" 'c' \\\" \\n *\n")
seed("bad-b10-unterminated-quote", S + "ExecStart=/bin/echo \"never closed\n")
seed("bad-b10-unknown-escape", S + "ExecStart=/bin/echo \\q\n")
seed("bad-b10-trailing-backslash-in-quote", S + "ExecStart=/bin/echo \"a\\\n")
seed("bad-exec-privileged-prefix", S + "ExecStart=+/bin/true\nExecStartPre=!/bin/true\nExecStartPost=!!/bin/true\n")
seed("bad-exec-repeated-prefix", S + "ExecStart=--/bin/true\n")
seed("bad-exec-empty-command", S + "ExecStart=/bin/a ; ; /bin/b\nExecStartPre=;\nExecStop=-\n")
seed("bad-exec-at-without-argv0", S + "ExecStart=@/bin/true\n")
seed("bad-exec-empty-argv0", S + "ExecStart=@/bin/true \"\"\n")
seed("bad-specifier", S + "ExecStart=/bin/echo %z\nDescription=100%\n")
seed("bad-environment", S + "Environment=1A=x\nEnvironment=noequals\nEnvironment=\"unterminated\nExecStart=/bin/true\n")
seed("bad-output", S + "StandardOutput=tty\nStandardError=file:\nStandardInput=tty\nExecStart=/bin/true\n")
seed("bad-enums", S + "Type=dbus\nRestart=sometimes\nKillMode=none\nExecStart=/bin/true\n")
# --- found while writing docs/unit-format.md and fuzzing --------------------------
seed("line-escaped-backslash-at-end", S + "ExecStart=/bin/echo C:\\\\\nUser=nobody\n")
seed("line-odd-backslashes-continue", S + "ExecStart=/bin/echo a\\\\\\\n b\nUser=nobody\n")
seed("bad-blank-in-section-header", "[ Service ]\nExecStart=/bin/true\nUser=nobody\n")
seed("bad-vt-section-smuggle", S + "ExecStart=/bin/true\n[X-Doc]\n\x0b[Service]=x\nUser=root\n")
seed("line-formfeed-before-key", S + "ExecStart=/bin/true\n\x0cUser=nobody\n\x0b# comment\n")
seed("bad-long-unknown-key", S + "ExecStart=/bin/true\n" + "K" * 60000 + "=1\n")
seed("bad-many-unknown-keys", S + "ExecStart=/bin/true\n" + "Usre=1\n" * 5000)

# --- systemd's dialect: the registry, specifiers, conditions, exec keys ------
U = "[Unit]\n"
seed("dialect-debian-daemon", """[Unit]
Description=A daemon as Debian ships it (%N on %H)
Documentation=man:daemon(8)
After=network-online.target remote-fs.target nss-lookup.target
Wants=network-online.target
Requires=dbus.socket
Conflicts=shutdown.target
Before=multi-user.target
PartOf=daemons.target
BindsTo=dev-ttyS0.device
OnFailure=heartbeat-failed@%n
RequiresMountsFor=/var/lib/daemon
DefaultDependencies=no
IgnoreOnIsolate=yes
ConditionPathExists=!/etc/daemon/disabled
ConditionPathExists=|/etc/daemon.conf
ConditionPathExists=|/etc/daemon.d
ConditionVirtualization=!container
ConditionACPower=true
ConditionCapability=CAP_NET_ADMIN
ConditionKernelCommandLine=!nodaemon
ConditionKernelVersion=>=5.10 <7
ConditionMemory=>=512M
ConditionCPUs=>1
ConditionOSRelease=ID=debian VERSION_ID>=12
ConditionMemoryPressure=system.slice:80%%/1min
AssertPathIsReadWrite=/var/lib
StartLimitIntervalSec=30s
SuccessAction=none

[Service]
Type=notify
NotifyAccess=all
ExecCondition=/usr/lib/daemon/is-configured
ExecStartPre=+/usr/lib/daemon/prepare
ExecStart=!!/usr/sbin/daemon --foreground --pidfile %t/daemon/daemon.pid
ExecStartPost=-!/bin/true
ExecReload=:/bin/kill -HUP $MAINPID
User=daemon
Group=daemon
RuntimeDirectory=daemon daemon/sockets:daemon-sockets
RuntimeDirectoryMode=0750
RuntimeDirectoryPreserve=restart
StateDirectory=daemon
CacheDirectory=daemon
LogsDirectory=daemon
ConfigurationDirectory=daemon
LoadCredential=tls.key:/etc/daemon/tls.key
SetCredential=token:abc\x00def
PassEnvironment=LANG TZ
UnsetEnvironment=TERM DEBUG=1
OOMScoreAdjust=-500
CPUSchedulingPolicy=batch
IOSchedulingClass=best-effort
IOSchedulingPriority=6
CPUAffinity=0-3 8,9
NUMAPolicy=interleave
NUMAMask=all
CoredumpFilter=default private-dax
TimerSlackNSec=50us
LimitNPROC=1024:2048
LimitMEMLOCK=64K
LimitNICE=-5
LimitRTTIME=200
IgnoreSIGPIPE=no
SyslogIdentifier=daemon
SyslogFacility=local3
SyslogLevel=notice
SyslogLevelPrefix=no
StandardOutput=journal+console
StandardError=kmsg
TimeoutAbortSec=10s
TimeoutStartFailureMode=abort
RuntimeMaxSec=1d
RestartForceExitStatus=SIGUSR2 NOTINSTALLED
SendSIGHUP=yes
RestartKillSignal=SIGINT
WatchdogSignal=SIGKILL
KillMode=mixed
StartLimitBurst=3
StartLimitInterval=10s
CPUAccounting=yes
UtmpIdentifier=tty1

[Install]
WantedBy=multi-user.target
RequiredBy=daemons.target
Alias=daemon-alias.service
Also=daemon.socket
DefaultInstance=main
""")
seed("dialect-getty", """[Unit]
Description=Getty on %I
After=systemd-user-sessions.service getty-pre.target
[Service]
ExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM
Type=idle
Restart=always
UtmpIdentifier=%I
StandardInput=tty
StandardOutput=tty
TTYPath=/dev/%I
TTYReset=yes
TTYVHangup=yes
TTYVTDisallocate=yes
TTYRows=40
TTYColumns=132
IgnoreSIGPIPE=no
SendSIGHUP=yes
UnsetEnvironment=LANG LANGUAGE LC_CTYPE
""")
seed("dialect-forking-guess", S + "Type=forking\nGuessMainPID=yes\nExecStart=/usr/sbin/forker\nRemainAfterExit=yes\n")
seed("dialect-dbus", S + "Type=dbus\nBusName=org.example.Daemon\nExecStart=/usr/bin/daemon\n")
seed("dialect-specifiers", U + "Description=%a %A %b %B %C %d %E %f %g %G %h %H %i %I %j %J %l %L %m %M %n %N %o %p %P %q %s %S %t %T %u %U %v %V %w %W %y %Y %%\n" + S + "ExecStart=/bin/echo %i %I %j %f\n")
seed("dialect-stdin-data", S + "ExecStart=/bin/cat\nStandardInputText=first line\\twith a tab\nStandardInputData=c2Vjb25kCg==\nStandardInput=data\n")
seed("dialect-stdin-file", S + "ExecStart=/bin/cat\nStandardInput=file:/etc/hostname\nStandardOutput=kmsg+console\n")
seed("dialect-killmode-none", S + "ExecStart=/bin/sleep 9\nKillMode=none\nStandardOutput=syslog\n")
seed("dialect-exec-search-path", S + "ExecSearchPath=/opt/bin:/usr/bin\nExecStart=tool --x\nPersonality=x86\n")
seed("dialect-refused", S + "ExecStart=/bin/true\nPrivateTmp=yes\nProtectSystem=strict\nMemoryMax=1G\nSlice=x.slice\nSockets=x.socket\nPAMName=login\nLoadCredentialEncrypted=x\n")
seed("dialect-refused-values", S + "ExecStart=/bin/true\nStandardInput=socket\nStandardOutput=fd:x\n")
seed("dialect-conditions-all", U + "".join(f"Condition{k}={v}\nAssert{k}=|!{v}\n" for k, v in [
    ("PathExists", "/x"), ("PathExistsGlob", "/x*{a,b}"), ("PathIsDirectory", "/x"), ("PathIsSymbolicLink", "/x"),
    ("PathIsMountPoint", "/x"), ("PathIsReadWrite", "/x"), ("PathIsEncrypted", "/x"), ("DirectoryNotEmpty", "/x"),
    ("FileNotEmpty", "/x"), ("FileIsExecutable", "/x"), ("NeedsUpdate", "/etc"), ("FirstBoot", "yes"),
    ("Architecture", "arm64"), ("Virtualization", "kvm"), ("Host", "web*"), ("KernelCommandLine", "quiet"),
    ("KernelVersion", "<4"), ("Credential", "c"), ("Security", "selinux"), ("Capability", "cap_sys_admin"),
    ("ACPower", "no"), ("Memory", "<1G"), ("CPUFeature", "avx2"), ("CPUs", "=4"), ("Environment", "A=b"),
    ("User", "@system"), ("Group", "adm"), ("ControlGroupController", "v2"), ("OSRelease", "ID!=arch"),
    ("MemoryPressure", "10%%"), ("CPUPressure", "20%%/10sec"), ("IOPressure", "a-b.slice:30%%")]) +
    "ConditionFirmware=smbios-field(board_vendor $= Dell*)\nConditionFirmware=device-tree-compatible(x,y)\nConditionPathExists=\n" + S + "ExecStart=/bin/true\n")
seed("dialect-dependencies", U + "".join(f"{k}=a.service b@c.target %n\n{k}=\n" for k in [
    "Requires", "Requisite", "Wants", "BindsTo", "BindTo", "Upholds", "Conflicts", "Before", "After", "OnSuccess",
    "OnFailure", "PropagatesReloadTo", "PropagateReloadTo", "ReloadPropagatedFrom", "PropagateReloadFrom",
    "PropagatesStopTo", "StopPropagatedFrom", "PartOf", "JoinsNamespaceOf", "RequiresOverridable",
    "RequisiteOverridable"]) + "OnSuccessJobMode=isolate\nOnFailureJobMode=ignore-dependencies\nJobTimeoutSec=5\nCollectMode=inactive-or-failed\n" + S + "ExecStart=/bin/true\n")
seed("dialect-bad-values", S + "ExecStart=/bin/true\nOOMScoreAdjust=1001\nCPUAffinity=9-1\nIOSchedulingPriority=8\nRuntimeDirectory=../x\nSetCredential=../x:y\nTTYRows=70000\nBusName=x\nExecStart=+!/bin/x\nStandardInputData=***\n")
seed("dialect-limits", S + "ExecStart=/bin/true\n" + "".join(f"Limit{k}={v}\n" for k, v in [
    ("CPU", "1h:infinity"), ("FSIZE", "1G"), ("DATA", "2G"), ("STACK", "8M"), ("CORE", "0"), ("RSS", "1"),
    ("NOFILE", "1024:4096"), ("AS", "infinity"), ("NPROC", "100"), ("MEMLOCK", "64K"), ("LOCKS", "5"),
    ("SIGPENDING", "100"), ("MSGQUEUE", "1K"), ("NICE", "+10"), ("RTPRIO", "0"), ("RTTIME", "1s")]))
seed("dialect-expansion-bomb", U + "Description=" + "%n" * 30000 + "\n" + S + "ExecStart=/bin/true\n")
for name, data in seeds.items():
    with open(os.path.join(out, name + ".ini"), "wb") as f:
        f.write(data)
print(len(seeds), "seeds")
