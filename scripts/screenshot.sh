#!/usr/bin/env bash
# Runs a terminal program in a private tmux server, optionally waits for text and sends
# keys, then paints the screen as a PNG with scripts/ansi2png.py.
#
#   scripts/screenshot.sh [options] OUT.png COLS ROWS CMD [ARG...]
#
# Steps, done in the order given, after the program starts:
#   --wait TEXT     wait until TEXT is on the screen (fails after --timeout)
#   --keys "K ..."  send tmux key names, for example --keys "Down Down Enter" or --keys C-c
#   --text TEXT     type TEXT literally
#   --sleep SECS    pause
# Other options:
#   --settle SECS   pause before the capture, so the last redraw lands (default 0.4)
#   --timeout SECS  limit for each --wait (default 20)
#   --fontsize N    pixels (default 16)
#   --env K=V       extra environment for the program (LANG=C.UTF-8 is always set)
#   --ansi FILE     also keep the raw capture (capture-pane -p -e -N)
#   --allow-exit    capture even if the program has already ended
# With no --wait, it waits until the screen shows anything.
#
# Example:
#   scripts/screenshot.sh --wait "terminal check" --keys Down /tmp/check.png 100 30 \
#       .build/debug/pooltop --terminal-check
#
# Needs tmux and Debian's python3-pyte python3-pil fonts-dejavu-core fonts-wqy-microhei:
#   apt-get install -y --no-install-recommends python3-pyte python3-pil fonts-dejavu-core fonts-wqy-microhei
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=/usr/bin/python3   # Debian's python3 has pyte and PIL; a pyenv python3 on PATH would not

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "screenshot.sh: $*" >&2; exit 1; }

steps=()
settle=0.4
timeout=20
fontsize=16
ansi_out=""
allow_exit=0
envs=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --wait|--keys|--text|--sleep) [[ $# -ge 2 ]] || usage; steps+=("$1" "$2"); shift 2 ;;
        --settle) settle="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --fontsize) fontsize="$2"; shift 2 ;;
        --env) envs+=("-e" "$2"); shift 2 ;;
        --ansi) ansi_out="$2"; shift 2 ;;
        --allow-exit) allow_exit=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "screenshot.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[[ $# -ge 4 ]] || usage
out="$1" cols="$2" rows="$3"
shift 3
[[ "$cols" =~ ^[0-9]+$ && "$rows" =~ ^[0-9]+$ ]] || die "COLS and ROWS must be numbers, got '$cols' '$rows'"

command -v tmux >/dev/null || die "tmux is not installed (apt-get install -y tmux)"
if ! "$python" -c 'import pyte, PIL' 2>/dev/null \
    || [[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf || ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]]; then
    die "missing packages; install them with:
  apt-get install -y --no-install-recommends python3-pyte python3-pil fonts-dejavu-core fonts-wqy-microhei"
fi

# The command line, quoted for the shell tmux runs it with.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
cmdline=""
for arg in "$@"; do cmdline+="$(quote "$arg") "; done

socket="screenshot-$$-$RANDOM"
conf="$(mktemp)"
capture="$(mktemp)"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    # kill-server can leave the socket file behind
    rm -f "$conf" "$capture" "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$socket"
}
trap cleanup EXIT
# remain-on-exit keeps a program that ends early on screen, so the failure is visible.
printf 'set -g remain-on-exit on\nset -g status off\n' > "$conf"

tmux -f "$conf" -L "$socket" new-session -d -s shot -x "$cols" -y "$rows" \
    -e LANG=C.UTF-8 ${envs[@]+"${envs[@]}"} "$cmdline" </dev/null >/dev/null
t() { tmux -L "$socket" "$@"; }

pane_dead() { [[ "$(t display-message -p -t shot '#{pane_dead}')" == 1 ]]; }
screen_text() { t capture-pane -p -t shot; }

wait_for() {   # wait_for TEXT (empty: anything)
    local deadline=$(( $(date +%s) + ${timeout%.*} ))
    while true; do
        local s
        s="$(screen_text)"
        if [[ -z "$1" && -n "${s//[[:space:]]/}" ]] || [[ -n "$1" && "$s" == *"$1"* ]]; then return 0; fi
        if pane_dead && [[ $allow_exit == 0 ]]; then
            printf '%s\n' "$s" >&2
            die "the program ended before '${1:-any output}' showed (screen above)"
        fi
        if (( $(date +%s) >= deadline )); then
            printf '%s\n' "$s" >&2
            die "timed out after ${timeout}s waiting for '${1:-any output}' (screen above)"
        fi
        sleep 0.05
    done
}

[[ ${#steps[@]} -gt 0 && "${steps[0]}" == --wait ]] || wait_for ""
for (( i = 0; i < ${#steps[@]}; i += 2 )); do
    arg="${steps[i+1]}"
    case "${steps[i]}" in
        --wait) wait_for "$arg" ;;
        --keys) read -r -a keys <<< "$arg"; t send-keys -t shot "${keys[@]}" ;;
        --text) t send-keys -t shot -l "$arg" ;;
        --sleep) sleep "$arg" ;;
    esac
done
sleep "$settle"
if pane_dead && [[ $allow_exit == 0 ]]; then
    screen_text >&2
    die "the program ended before the capture (screen above); use --allow-exit to capture anyway"
fi

t capture-pane -p -e -N -t shot > "$capture"
[[ -z "$ansi_out" ]] || cp "$capture" "$ansi_out"
"$python" "$here/ansi2png.py" "$cols" "$rows" "$fontsize" < "$capture" > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
