#!/usr/bin/env bash
# contrib/completion/unitrun.bash, driven the way readline drives it: for a
# command line, COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT are set, _unitrun
# is called, and COMPREPLY must hold exactly the expected words (sorted: the
# order is readline's business).
#
#   tests/completion/bash-completion-test.sh UNITRUN_BINARY
#
# The binary's own --help is the reference for the verbs and each verb's
# options, so a verb or option added to src/cli/main.cpp without its
# completion fails here. Prints "PASS name" / "FAIL name: why" and
# "N passed, N failed".
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPLETION=$HERE/../../contrib/completion/unitrun.bash
BINARY=${1:?usage: $0 UNITRUN_BINARY}
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")

PASSED=0
FAILED=0
pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }

T=$(mktemp -d /tmp/unitrun-completion.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/units/d" "$T/bin-lists" "$T/bin-fails"
touch "$T/units/a.ini" "$T/units/b.service" "$T/units/c.txt" "$T/units/d/x.ini" "$T/units/d/y.txt"
# A unitrun that lists its units (the hidden verb), and one that cannot (an
# unitrun older than the verb: exit 2, unknown command).
cat >"$T/bin-lists/unitrun" <<'EOF'
#!/bin/sh
[ "$1" = __complete-units ] && printf 'web\nworker\napi\n' && exit 0
exit 2
EOF
printf '#!/bin/sh\nexit 2\n' >"$T/bin-fails/unitrun"
chmod 755 "$T/bin-lists/unitrun" "$T/bin-fails/unitrun"

# shellcheck source=contrib/completion/unitrun.bash
. "$COMPLETION"
if [ "$(complete -p unitrun 2>/dev/null)" = "complete -F _unitrun unitrun" ]; then
    pass "sourcing registers _unitrun for unitrun"
else
    fail "sourcing registers _unitrun for unitrun" "complete -p unitrun: $(complete -p unitrun 2>&1)"
fi

# The completions of LINE (the cursor at its end), one per line, sorted.
complete_line() {
    local line=$1
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -ra COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _unitrun "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}" 2>/dev/null
    ((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect NAME LINE WORD...: the completions of LINE are exactly WORD...
expect() {
    local name=$1 line=$2 got want
    shift 2
    got=$(complete_line "$line" | tr '\n' ' ')
    want=$( (($#)) && printf '%s\n' "$@" | sort | tr '\n' ' ')
    if [ "$got" = "$want" ]; then
        pass "$name"
    else
        fail "$name" "'$line' completed to [${got% }], expected [${want% }]"
    fi
}

# The reference: verbs (aliases too) and each verb's options, from --help.
verbs=$("$BINARY" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][-a-z, ]*[a-z]\)  .*/\1/p' | tr -d ',' | tr ' ' '\n' | sort | tr '\n' ' ')
options_of() {
    "$BINARY" "$@" --help | sed -n '/^Options:/,/^$/p' | grep -o -- '^  -[^ ]*' | tr ',' '\n' | sed 's/^ *//' | sort | tr '\n' ' '
}

cd "$T/units" || exit 1
export PATH="$T/bin-fails:$PATH"

# shellcheck disable=SC2046,SC2086 # word lists
{
    expect "every verb of unitrun --help" "unitrun " $verbs
    expect "verbs by prefix: st" "unitrun st" start status stop
    expect "options before the verb are unitrun --help's" "unitrun -" $(options_of)
    for verb in $verbs; do
        expect "$verb: its options are unitrun $verb --help's" "unitrun $verb -" $(options_of "$verb")
    done
    expect "logs: options by prefix" "unitrun logs --" --follow --help --lines --since --timestamps
}
expect "--color takes when" "unitrun --color " always auto never
expect "--color= takes when" "unitrun --color=a" --color=always --color=auto
expect "verbs after --color WHEN" "unitrun --color never st" start status stop
expect "verbs after --no-color" "unitrun --no-color st" start status stop
expect "status: unit files after --color WHEN" "unitrun --color always status " a.ini b.service d
expect "export: the formats first" "unitrun export " systemd sysv
expect "export: formats by prefix" "unitrun export sy" systemd sysv
expect "export: then unit files" "unitrun export sysv " a.ini b.service d
expect "export: nothing after the unit" "unitrun export sysv a.ini " 
expect "status: unit files and directories, not c.txt" "unitrun status " a.ini b.service d
expect "status: unit files under a typed directory" "unitrun status d/" d/x.ini
expect "status: after --json, unit files" "unitrun status --json " a.ini b.service d
expect "start: any number of units" "unitrun start a.ini " a.ini b.service d
expect "show: one unit, nothing after it" "unitrun show a.ini " 
expect "run: one unit, nothing after it" "unitrun run a.ini " 
expect "check: any number of units" "unitrun check a.ini " a.ini b.service d
expect "list: --state takes a state" "unitrun list --state f" failed
expect "list-unit-files: its states" "unitrun list-unit-files --state e" enabled enabled-runtime
expect "logs: nothing for -n's number" "unitrun logs -n " 
expect "logs: unit files after -n N" "unitrun logs -n 5 " a.ini b.service d
expect "logs: no second unit after -n N UNIT" "unitrun logs -n 5 a.ini " 
# The real binary, with a unit path of its own: its names (a prefix no other
# test's unit has: the units that run are offered too), then the files.
mkdir -p "$T/path"
for f in cmpl-web.service cmpl-tmpl@.service cmpl-app.ini; do printf '[Service]\nExecStart=/bin/true\n' >"$T/path/$f"; done
: >"$T/path/cmpl-masked.service"
UNITRUN_UNIT_PATH=$T/path expect "the real binary: the unit path's names (no template, no mask)" \
    "$BINARY status cmpl" cmpl-app.ini cmpl-web.service
UNITRUN_UNIT_PATH=$T/path expect "the real binary: names by prefix" "$BINARY start cmpl-w" cmpl-web.service
UNITRUN_UNIT_PATH=$T/path expect "the real binary: list takes names" "$BINARY list cmpl" cmpl-app.ini cmpl-web.service
UNITRUN_UNIT_PATH=$T/path expect "the real binary: a path, files only" "$BINARY status d/" d/x.ini
UNITRUN_UNIT_PATH=$T/path expect "the real binary: names, and the unit files of the directory" "$BINARY status a" a.ini
expect "a unitrun without __complete-units: unit files" "unitrun status " a.ini b.service d
PATH="$T/bin-lists:$PATH" expect "a unitrun with __complete-units: its unit names and the unit files" "unitrun status " a.ini api b.service d web worker
PATH="$T/bin-lists:$PATH" expect "a unitrun with __complete-units: by prefix" "unitrun stop w" web worker
PATH="$T/bin-lists:$PATH" expect "a unitrun with __complete-units: export" "unitrun export systemd a" a.ini api

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
