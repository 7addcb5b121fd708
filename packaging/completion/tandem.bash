# bash completion for tandemctl, tandem-balancer, tandem-vrrpd and tandem-peersync.
#
# Options and commands come from each program's own usage text (`tandemctl
# help`, `tandem-balancer -h`), the one list there is: a command added to
# tandemctl's usage completes with no change here. A usage line such as
#
#   server ready|drain|maint BACKEND/SERVER
#
# completes `server`, then one of `ready drain maint`, then what the
# placeholder BACKEND/SERVER names. _tandem_placeholder below says how each
# placeholder completes: a new kind of argument needs one line there.

# _tandem_placeholder PLACEHOLDER CUR [COMMAND]: fills COMPREPLY with what
# PLACEHOLDER stands for (COMMAND: tandemctl's command word, for a placeholder
# whose meaning depends on it, such as NAME). Names of backends, servers and
# VRRP instances come from the running daemons (through tandemctl, with the
# socket options given on the line). A new kind of argument: one line here.
_tandem_placeholder() {
  local ph=$1 cur=$2 cmd=${3:-}
  case $cmd:$ph in
    *:FILE | *:PIDFILE | *:PATH) _tandem_files "$cur" ;;
    *:DIR) _tandem_files "$cur" -d ;;
    *:LEVEL) mapfile -t COMPREPLY < <(compgen -W "emerg alert crit err warning notice info debug" -- "$cur") ;;
    backends:NAME | *:BACKEND) mapfile -t COMPREPLY < <(compgen -W "$(_tandem_ctl backends | awk 'NR > 1 { print $1 }')" -- "$cur") ;;
    *:BACKEND/SERVER) mapfile -t COMPREPLY < <(compgen -W "$(_tandem_ctl servers | awk 'NR > 1 { print $1 "/" $2 }')" -- "$cur") ;;
    *:INSTANCE) mapfile -t COMPREPLY < <(compgen -W "$(_tandem_ctl vrrp | awk 'NR > 1 { print $1 }')" -- "$cur") ;;
    *) COMPREPLY=() ;; # a number, or something only the user knows
  esac
}

_tandem_files() {
  local cur=$1
  if declare -F _filedir >/dev/null; then
    _filedir "${2:-}"
  elif [[ ${2:-} == -d ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}

# tandemctl with the socket options already on the command line.
_tandem_ctl() {
  "$_tandem_prog" "${_tandem_ctl_opts[@]}" "$@" 2>/dev/null
}

# _tandem_section PROG HELP-ARG SECTION: the entries of SECTION ("Options" or
# "Commands") of PROG's usage, one per line, without their descriptions.
declare -gA _tandem_usage_cache
_tandem_section() {
  local key="$1 $2"
  if [[ -z ${_tandem_usage_cache[$key]+set} ]]; then
    _tandem_usage_cache[$key]=$("$1" "$2" 2>/dev/null)
  fi
  awk -v want="$3:" '
    $0 == want { on = 1; next }
    on && /^[^ ]/ { on = 0 }
    on && /^  [^ ]/ { line = substr($0, 3); sub(/  .*/, "", line); print line }
  ' <<<"${_tandem_usage_cache[$key]}"
}

# The options of PROG's usage: "-f FILE" gives -f (taking FILE); "-h, --help"
# gives both names.
_tandem_options() {
  local prog=$1 arg=$2 entry name
  _tandem_opt_names=()
  declare -gA _tandem_opt_arg=()
  while IFS= read -r entry; do
    local ph=""
    [[ $entry =~ \ ([A-Z][A-Z/_]*)$ ]] && ph=${BASH_REMATCH[1]}
    entry=${entry% "$ph"}
    entry=${entry//,/}
    for name in $entry; do
      _tandem_opt_names+=("$name")
      _tandem_opt_arg[$name]=$ph
    done
  done < <(_tandem_section "$prog" "$arg" Options)
}

_tandemctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  _tandem_prog=${COMP_WORDS[0]}
  COMPREPLY=()
  _tandem_options "$_tandem_prog" help

  # Options come before the command; note those that pick the sockets.
  local i=1 words=()
  _tandem_ctl_opts=()
  while ((i < COMP_CWORD)); do
    local w=${COMP_WORDS[i]}
    if ((${#words[@]} == 0)) && [[ $w == -* ]]; then
      if [[ -n ${_tandem_opt_arg[$w]:-} ]]; then
        [[ $w == --*socket || $w == --run-dir ]] && _tandem_ctl_opts+=("$w" "${COMP_WORDS[i + 1]:-}")
        ((i++))
      fi
    else
      words+=("$w")
    fi
    ((i++))
  done

  if ((${#words[@]} == 0)); then
    if [[ $prev == -* && -n ${_tandem_opt_arg[$prev]:-} ]]; then
      _tandem_placeholder "${_tandem_opt_arg[$prev]}" "$cur"
      return
    fi
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "${_tandem_opt_names[*]}" -- "$cur")
      return
    fi
  fi

  # Each usage line is a pattern; the words typed so far must match its
  # first tokens ("a|b" literals or placeholders); its next token completes.
  local pattern literals=() placeholders=() n=${#words[@]}
  while IFS= read -r pattern; do
    local tokens=(${pattern//[\[\]]/}) k ok=1
    ((${#tokens[@]} > n)) || continue
    for ((k = 0; k < n; k++)); do
      local t=${tokens[k]}
      [[ $t =~ ^[A-Z] ]] && continue
      [[ "|$t|" == *"|${words[k]}|"* ]] || { ok=0; break; }
    done
    ((ok)) || continue
    local next=${tokens[n]}
    if [[ $next =~ ^[A-Z] ]]; then
      placeholders+=("$next")
    else
      literals+=(${next//|/ })
    fi
  done < <(_tandem_section "$_tandem_prog" help Commands)

  mapfile -t COMPREPLY < <(compgen -W "${literals[*]}" -- "$cur" | sort -u)
  local ph saved=("${COMPREPLY[@]}")
  for ph in $(printf '%s\n' "${placeholders[@]}" | sort -u); do
    _tandem_placeholder "$ph" "$cur" "${words[0]}"
    saved+=("${COMPREPLY[@]}")
  done
  COMPREPLY=("${saved[@]}")
}

_tandem_daemon() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  _tandem_options "${COMP_WORDS[0]}" -h
  if [[ -n ${_tandem_opt_arg[$prev]:-} ]]; then
    _tandem_placeholder "${_tandem_opt_arg[$prev]}" "$cur"
    return
  fi
  mapfile -t COMPREPLY < <(compgen -W "${_tandem_opt_names[*]}" -- "$cur")
}

complete -F _tandemctl tandemctl
complete -F _tandem_daemon tandem-balancer tandem-vrrpd tandem-peersync
