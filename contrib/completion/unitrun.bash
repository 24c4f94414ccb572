# bash completion for unitrun(1). Installed as
# /usr/share/bash-completion/completions/unitrun (bash-completion loads it on
# first use), or sourced from ~/.bashrc.
#
# Plain bash (compgen, compopt) only, so it works without the bash-completion
# package too. The verbs and options are those of src/cli/main.cpp.

# Unit names: once unitrun can list the units of its unit path, the hidden
# verb `unitrun __complete-units` prints one per line and exits 0; until then
# (today it exits 2, "unknown command") unit files are completed instead.
_unitrun_units() {
    local cur=$1 prog=$2 out line
    if out=$("$prog" __complete-units 2>/dev/null); then
        while IFS= read -r line; do
            [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
        done <<<"$out"
        return 0
    fi
    _unitrun_unit_files "$cur"
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
    local verbs="check security show start stop restart status reload force-reload try-restart condrestart run logs export"
    COMPREPLY=()

    # The verb is the first word after the program; options before it are
    # --help and --version only.
    local i verb="" verb_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} != -* ]]; then
            verb=${COMP_WORDS[i]}
            verb_index=$i
            break
        fi
    done
    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "-h --help --version" -- "$cur")
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
            options+=" -n --lines -f --follow"
            # -n takes a number: nothing to offer.
            [[ $prev == -n || $prev == --lines ]] && return 0
            ;;
    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return 0
    fi

    # The positional arguments already typed after the verb (a number after
    # -n/--lines is the option's, not one).
    local positionals=0
    for ((i = verb_index + 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -n | --lines | --threshold) ((i++)) ;;
            -*) ;;
            *) ((positionals++)) ;;
        esac
    done
    case $verb in
        check | security) _unitrun_units "$cur" "$prog" ;;  # any number of units
        export)
            if ((positionals == 0)); then
                mapfile -t COMPREPLY < <(compgen -W "systemd sysv" -- "$cur")
            elif ((positionals == 1)); then
                _unitrun_units "$cur" "$prog"
            fi
            ;;
        *) ((positionals == 0)) && _unitrun_units "$cur" "$prog" ;;
    esac
    return 0
}
complete -F _unitrun unitrun
