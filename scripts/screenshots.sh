#!/usr/bin/env bash
# Renders the README's screenshots of pooltop from real runs into screenshots/:
#   live.png          an embedded pool with demo clients at work
#   kill-confirm.png  the kill confirmation (Cancel focused)
#   help.png          the help overlay, generated from the keymap
#   replay.png        a recording made here, replayed at a point with a killed worker
#   narrow.png        the same live pool at 80x24
#
#   scripts/screenshots.sh [OUTDIR]
#
# Needs tmux and python3-pyte python3-pil fonts-dejavu-core fonts-wqy-microhei (see
# scripts/screenshot.sh, which does each shot).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/screenshots}"
shot="$root/scripts/screenshot.sh"
mkdir -p "$out"
cd "$root"
swift build --product pooltop >/dev/null
pooltop="$root/.build/debug/pooltop"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A busy demo pool: 3 clients, 1 in 5 jobs failing, so rows go busy and errors show.
live=("$pooltop" --min 3 --warm 2 --max 8 --demo-clients 3 --demo-error-rate 0.2)

"$shot" --wait "+PoolReady" --sleep 7 "$out/live.png" 120 36 "${live[@]}"
"$shot" --wait "+PoolReady" --sleep 5 --keys "j" --keys "x" --wait "Kill worker" "$out/kill-confirm.png" 120 36 "${live[@]}"
"$shot" --wait "+PoolReady" --sleep 2 --keys "?" --wait "Help: keys" "$out/help.png" 120 36 "${live[@]}"
"$shot" --wait " PoolReady" --sleep 6 "$out/narrow.png" 80 24 "${live[@]}"

# (At 80 columns the header leaves out flags that are off, so " PoolReady" means on.)

# Record a pool for a while, killing a worker on the way, then replay it.
recording="$work/pool.amrec"
"$shot" --wait "+PoolReady" --sleep 5 --keys "x" --wait "Kill worker" --keys "Right" --keys "Enter" --sleep 4 \
    --keys "q" --wait "Quit pooltop?" --keys "Right" --keys "Enter" --sleep 3 --allow-exit \
    "$work/recording-session.png" 120 36 "${live[@]}" --record "$recording"
"$shot" --wait "REPLAY" --keys ":" --text "goto +7s" --keys "Enter" --sleep 0.5 "$out/replay.png" 120 36 \
    "$pooltop" --replay "$recording"
ls -l "$out"
