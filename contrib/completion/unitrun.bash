# bash completion for unitrun(1). Installed as
# /usr/share/bash-completion/completions/unitrun (bash-completion loads it on
# first use), or sourced from ~/.bashrc.
#
# Plain bash (compgen, compopt) only, so it works without the bash-completion
# package too. The verbs and options are those of src/cli/main.cpp.

# Unit names, from the hidden verb `unitrun __complete-units` (the units of
# the unit path and those that run), and unit files: a path names a unit
# too. A word with a '/' is a path: files only. An older unitrun without the
# verb (it exits 2, "unknown command") gets files only.
_unitrun_units() {
    local cur=$1 prog=$2 out line
    if [[ $cur != */* ]] && out=$("$prog" __complete-units 2>/dev/null); then
        while IFS= read -r line; do
            [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
        done <<<"$out"
    fi
    _unitrun_unit_files "$cur"
}

# The unit names alone (list's patterns).
_unitrun_unit_names() {
    local cur=$1 prog=$2 out line
    out=$("$prog" __complete-units 2>/dev/null) || return 0
    while IFS= read -r line; do
        [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
    done <<<"$out"
}

# Unit files (*.ini, *.service) and directories, under the typed path.
_unitrun_unit_files() {
    local cur=$1 path
    # Quote what needs quoting, and add a slash to directories.
    compopt -o filenames 2>/dev/null
    while IFS= read -r path; do
        [[ -d $path || $path == *.ini || $path == *.service ]] && COMPREPLY+=("$path")
    done < <(compgen -f -- "$cur")
    return 0
}

_unitrun() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local prog=${COMP_WORDS[0]}
    local verbs="check security show cat start stop restart status reload force-reload try-restart condrestart run logs reopen-logs boot shutdown init export"
    verbs+=" list list-units list-unit-files is-active is-failed is-enabled"
    verbs+=" enable disable reenable mask unmask kill install-systemctl uninstall-systemctl"
    COMPREPLY=()

    # --color takes auto, always or never (also as --color=WHEN), before or
    # after the verb.
    if [[ $prev == --color ]]; then
        mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
        return 0
    fi
    if [[ $cur == --color=* ]]; then
        mapfile -t COMPREPLY < <(compgen -P "--color=" -W "auto always never" -- "${cur#--color=}")
        return 0
    fi

    # The verb is the first word after the program that is not a global
    # option (--help, --version, --color WHEN, --no-color) nor its value.
    local i verb="" verb_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == --color ]]; then
            ((i++))
        elif [[ ${COMP_WORDS[i]} != -* ]]; then
            verb=${COMP_WORDS[i]}
            verb_index=$i
            break
        fi
    done
    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "-h --help --version --color --no-color" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
        fi
        return 0
    fi

    local options="-h --help"
    case $verb in
        show | status) options+=" --json" ;;
        security)
            options+=" --json --threshold"
            # --threshold takes a number: nothing to offer.
            [[ $prev == --threshold ]] && return 0
            ;;
        logs)
            options+=" -n --lines -f --follow --timestamps --since"
            # -n takes a number, --since a time: nothing to offer.
            [[ $prev == -n || $prev == --lines || $prev == --since ]] && return 0
            ;;
        list | list-units | list-unit-files)
            [[ $verb == list-unit-files ]] || options+=" -a --all"
            options+=" --state --json"
            if [[ $prev == --state ]]; then
                local states="active inactive failed activating deactivating reloading running dead exited loaded masked"
                [[ $verb == list-unit-files ]] &&
                    states="enabled enabled-runtime disabled static indirect alias masked masked-runtime transient bad"
                mapfile -t COMPREPLY < <(compgen -W "$states" -- "$cur")
                return 0
            fi
            ;;
        is-active | is-failed | is-enabled) options+=" -q --quiet" ;;
        enable | disable | reenable | mask) options+=" --now --runtime" ;;
        unmask) options+=" --runtime" ;;
        kill)
            options+=" -s --signal --kill-whom"
            if [[ $prev == --kill-whom ]]; then
                mapfile -t COMPREPLY < <(compgen -W "main all" -- "$cur")
                return 0
            fi
            # -s takes a signal: nothing to offer.
            [[ $prev == -s || $prev == --signal ]] && return 0
            ;;
        install-systemctl) options+=" -f --force" ;;
    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return 0
    fi

    # The positional arguments already typed after the verb (a number after
    # -n/--lines, a time after --since, a state after --state, are the
    # option's, not ones).
    local positionals=0
    for ((i = verb_index + 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -n | --lines | --since | --state | --color | --threshold | -s | --signal | --kill-whom) ((i++)) ;;
            -*) ;;
            *) ((positionals++)) ;;
        esac
    done
    case $verb in
        reopen-logs | boot | shutdown | init) ;;  # no unit (init: a command after --)
        install-systemctl | uninstall-systemctl) ((positionals == 0)) && _unitrun_unit_files "$cur" ;;
        export)
            if ((positionals == 0)); then
                mapfile -t COMPREPLY < <(compgen -W "systemd sysv" -- "$cur")
            elif ((positionals == 1)); then
                _unitrun_units "$cur" "$prog"
            fi
            ;;
        list | list-units | list-unit-files) _unitrun_unit_names "$cur" "$prog" ;;
        # Names only: the unit file verbs act on units of the unit path.
        enable | disable | reenable | mask | unmask) _unitrun_unit_names "$cur" "$prog" ;;
        show | run | logs) ((positionals == 0)) && _unitrun_units "$cur" "$prog" ;;
        *) _unitrun_units "$cur" "$prog" ;;  # any number of units
    esac
    return 0
}
complete -F _unitrun unitrun
