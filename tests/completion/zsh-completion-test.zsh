#!/usr/bin/env zsh
# contrib/completion/_unitrun in a real interactive zsh: the file loads both
# ways (sourced after compinit, autoloaded from $fpath), and completing a few
# command lines, typed with a TAB into a zsh on a pseudo-terminal (zpty),
# offers exactly the expected words. The words are caught by wrapping
# compadd, so neither the screen nor the menu matters.
#
#   zsh -f tests/completion/zsh-completion-test.zsh UNITRUN_BINARY
#
# Prints "PASS name" / "FAIL name: why" and "N passed, N failed".
emulate -L zsh
setopt pipefail

HERE=${0:A:h}
COMPLETION_DIR=${HERE:h:h}/contrib/completion
BINARY=${1:?usage: zsh $0 UNITRUN_BINARY}
BINARY=${BINARY:A}

integer passed=0 failed=0
pass() { print -r -- "PASS $1"; (( passed++ )) }
fail() { print -r -- "FAIL $1: $2"; (( failed++ )) }

T=$(mktemp -d /tmp/unitrun-zsh-completion.XXXXXX) || exit 1
trap 'zpty -d z 2>/dev/null; rm -rf $T' EXIT
mkdir -p $T/units/d
touch $T/units/{a.ini,b.service,c.txt} $T/units/d/{x.ini,y.txt}
HITS=$T/hits

out=$(zsh -fc "autoload -U compinit; compinit -u -D; source $COMPLETION_DIR/_unitrun; print -r -- \$_comps[unitrun]" 2>&1)
if [[ $? -eq 0 && $out == _unitrun ]]; then pass "sourced after compinit, it registers _unitrun"
else fail "sourced after compinit, it registers _unitrun" "$out"; fi
out=$(zsh -fc "fpath=($COMPLETION_DIR \$fpath); autoload -U compinit; compinit -u -D; print -r -- \$_comps[unitrun]" 2>&1)
if [[ $? -eq 0 && $out == _unitrun ]]; then pass "compinit finds it in \$fpath (#compdef unitrun)"
else fail "compinit finds it in \$fpath (#compdef unitrun)" "$out"; fi

# An interactive zsh with the completion, where every compadd that adds
# matches also appends them to $HITS (calls with -O, -A or -D only fill
# arrays for the completion functions: not matches).
zmodload zsh/zpty || { fail "zsh/zpty" "cannot load the module"; exit 1 }
zpty z zsh -f -i
# LISTMAX: never "do you wish to see all N possibilities?", which zsh asks
# of a long list (every verb) unless typeahead is already there: under load
# the C-u below came later, answered it, and the sync marker then ran as
# arguments of `unitrun`.
zpty -w z "PS1='' RPS1='' LISTMAX=100000; fpath=($COMPLETION_DIR \$fpath); autoload -U compinit; compinit -u -D; cd $T/units"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a hits
  builtin compadd -A hits "$@"
  (( $#hits )) && print -rl -- $hits >>'$HITS'
  builtin compadd "$@"
}'
zpty -w z "bindkey '^I' complete-word"

# Waits (60 s at most: a hang guard; under ASan on a loaded machine the
# first completion took over 10 s) until the shell has run everything typed so far: it
# prints a marker whose typed form (echoed) differs from its output.
# What the shell printed up to the marker is kept in $shell_output, for a
# failure's message.
shell_output=
sync_shell() {
  local buf= chunk
  zpty -w z "print -r -- __sy''nc__"
  SECONDS=0
  while (( SECONDS < 60 )); do
    zpty -rt z chunk && buf+=$chunk
    shell_output=$buf
    [[ $buf == *__sync__[$'\r\n']* ]] && return 0
    sleep 0.05
  done
  return 1
}
sync_shell || { fail "interactive zsh" "it did not answer in 60 s"; exit 1 }

# expect NAME LINE WORD...: a TAB after LINE offers exactly WORD...
expect() {
  local name=$1 line=$2 got want
  shift 2
  : >$HITS
  zpty -w -n z "$line"$'\t'
  zpty -w -n z $'\C-u'  # the line is only typed, never run
  if ! sync_shell; then fail $name "no answer after '$line<TAB>'"; return; fi
  got=${(j: :)${(fou)"$(<$HITS)"}}
  want=${(j: :)${(ou)@}}
  if [[ $got == $want ]]; then pass $name
  else fail $name "'$line' completed to [$got], expected [$want]; the shell printed: ${(qqqq)shell_output[-600,-1]}"; fi
}

verbs=(${(f)"$($BINARY --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][-a-z, ]*[a-z]\)  .*/\1/p' | tr -d ',' | tr ' ' '\n')"})
expect "every verb of unitrun --help" "unitrun " $verbs
expect "verbs by prefix: st" "unitrun st" start status stop
expect "export: the formats first" "unitrun export " systemd sysv
expect "export: then unit files" "unitrun export sysv " a.ini b.service d
expect "logs: its options" "unitrun logs -" -f --follow -h --help -n --lines --since --timestamps
expect "status: its options" "unitrun status -" -h --help --json
expect "status: unit files and directories, not c.txt" "unitrun status " a.ini b.service d
expect "status: unit files under a typed directory" "unitrun status d/" x.ini
mkdir -p $T/bin
print -r -- $'#!/bin/sh\n[ "$1" = __complete-units ] && printf \'web\\nworker\\napi\\n\' && exit 0\nexit 2' >$T/bin/unitrun
chmod 755 $T/bin/unitrun
zpty -w z "PATH=$T/bin:\$PATH; rehash"
# Run before the next line is typed (one run completed to nothing at all,
# not even the files, when the two came together).
sync_shell || { fail "interactive zsh" "it did not answer in 60 s"; exit 1 }
expect "a unitrun with __complete-units: its unit names and the unit files" "unitrun status " a.ini api b.service d web worker
expect "a unitrun with __complete-units: list takes names only" "unitrun list " api web worker

print -r -- "$passed passed, $failed failed"
(( failed == 0 ))
