#!/bin/sh
# render-man.sh TEMPLATE OUTPUT VERSION DATE PROGRAM HELP-ARG
#
# Writes a man page from TEMPLATE, replacing @VERSION@ and @DATE@, and the
# lines @OPTIONS@ and @COMMANDS@ with the "Options:" and "Commands:" sections
# of `PROGRAM HELP-ARG`, turned into roff. The program's own usage text is the
# one list of options and commands: a command added to tandemctl's usage
# appears in its man page (and its bash completion) with no other change.
set -eu

template=$1 out=$2 version=$3 date=$4 program=$5 help_arg=$6

help=$("$program" "$help_arg")

# Section NAME of the usage text as roff: "  TERM   description" lines become
# .TP entries; a line indented further continues the description of the entry
# above (a TERM too long to share its line with one). In TERM,
# upper-case words are placeholders (italic), the rest literal (bold).
section() {
  printf '%s\n' "$help" | awk -v want="$1:" '
    function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
    function term(t,    out, rest, m) {
      out = ""; rest = t
      while (length(rest) > 0) {
        if (match(rest, /^[A-Z][A-Z0-9_]*/)) {
          out = out "\\fI" esc(substr(rest, 1, RLENGTH)) "\\fR"
        } else if (match(rest, /^[a-z0-9-][a-z0-9_.-]*/) || match(rest, /^--?[a-zA-Z0-9-]+/)) {
          out = out "\\fB" esc(substr(rest, 1, RLENGTH)) "\\fR"
        } else {
          RLENGTH = 1
          out = out esc(substr(rest, 1, 1))
        }
        rest = substr(rest, RLENGTH + 1)
      }
      return out
    }
    $0 == want { on = 1; next }
    on && /^[^ ]/ { on = 0 }
    # A long entry puts its description on the next line, indented further.
    on && entry && /^   +[^ ]/ { d = $0; sub(/^ +/, "", d); print esc(d); next }
    on && /^$/ { entry = 0 }
    on && /^  [^ ]/ {
      entry = 1
      line = substr($0, 3)
      t = line; d = ""
      if (match(line, /  +/)) { t = substr(line, 1, RSTART - 1); d = substr(line, RSTART + RLENGTH) }
      print ".TP"
      print term(t)
      if (d != "") print esc(d)
    }
  '
}

# Through the environment: awk -v would read the backslashes as escapes.
TANDEM_OPTIONS=$(section Options) TANDEM_COMMANDS=$(section Commands) \
  TANDEM_VERSION=$version TANDEM_DATE=$date awk '
  $0 == "@OPTIONS@" { print ENVIRON["TANDEM_OPTIONS"]; next }
  $0 == "@COMMANDS@" { print ENVIRON["TANDEM_COMMANDS"]; next }
  { gsub(/@VERSION@/, ENVIRON["TANDEM_VERSION"]); gsub(/@DATE@/, ENVIRON["TANDEM_DATE"]); print }
' "$template" > "$out.tmp"
mv "$out.tmp" "$out"
