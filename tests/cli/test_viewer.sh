#!/usr/bin/env bash
# The viewer (--visualize true) on a virtual display (Debian's xvfb; screenshots with xwd from
# x11-apps, read by tests/oracles/xwd_check.py): the window opens at the video's size and shows
# the scene (not blank: sky over floor, the characters). With xdotool (optional) the keys are
# pressed as a user would: Enter pauses (two screenshots while paused are identical), K hides
# the reference character (the picture changes), Space steps one frame (it changes again and
# stays paused), a left drag orbits the camera (a tenth of the picture changes at least), the
# wheel zooms (as much again), R ends
# the episode, Esc closes the window and the run ends with status 0.
# Every wait is for a line the viewer prints once the frame is on the display, never a sleep.
# Skipped (ctest: Not Run) where Xvfb or xwd is not installed.
set -eu
for tool in Xvfb xwd; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (apt-get install xvfb x11-apps)"; exit 77; }
done
t="$CM_TMP/viewer"
rm -rf "$t" && mkdir -p "$t"
W=320 H=180
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# -displayfd: the server writes its display number once it accepts clients
Xvfb -displayfd 3 -screen 0 640x400x24 -nolisten tcp 3>"$t/display" 2>"$t/xvfb.err" &
pids+=($!)
wait_for() { # wait_for FILE PATTERN WHAT [N]: until FILE has N (1) lines matching PATTERN, or the run died
  for _ in $(seq 1 1200); do
    [ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
    [ -n "${run:-}" ] && ! kill -0 "$run" 2>/dev/null && { cat "$t/run.out"; echo "the run ended before: $3"; exit 1; }
    sleep 0.1
  done
  cat "$t/run.out" 2>/dev/null; echo "timed out waiting for: $3"; exit 1
}
wait_for "$t/display" . "Xvfb to start"
export DISPLAY=:$(head -1 "$t/display")
shot() { xwd -root -silent >"$t/$1.xwd"; }
check() { python3 tests/oracles/xwd_check.py "$t/$1.xwd" --crop ${W}x$H "${@:2}"; }

# an untrained walk policy beside its reference motion: two characters in the picture
"$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --mode test --visualize true --num_envs 1 --test_episodes 1 --video_width $W --video_height $H --rand_seed 2 \
  >"$t/run.out" 2>&1 &
run=$!
pids+=($run)
wait_for "$t/run.out" "^viewer: first frame shown" "the first frame"
shot first
check first --not-blank --png "$t/first.png"

if ! command -v xdotool >/dev/null; then
  echo "viewer: window and picture checked; keys not pressed (xdotool is not installed)"
  exit 0
fi
win=$(xdotool search --name '^cmimic$' | head -1)
xdotool windowfocus --sync "$win"
key() { xdotool key --clearmodifiers "$1"; }
key Return
wait_for "$t/run.out" "^viewer: paused at frame" "the pause"
frame=$(grep -o "paused at frame [0-9]*" "$t/run.out" | tail -1 | grep -o "[0-9]*$")
shot paused1
shot paused2
check paused1 --same "$t/paused2.xwd"
key k
wait_for "$t/run.out" "^viewer: reference character hidden" "the reference hidden"
shot noref
check noref --differs "$t/paused1.xwd" --png "$t/noref.png"
key space
wait_for "$t/run.out" "^viewer: paused at frame $((frame + 1))$" "one step"
shot stepped
check stepped --differs "$t/noref.xwd" --min 1
# orbit while paused: drag a third of the window to the side; the picture is redrawn when K is
# pressed (twice: shown, then hidden again, so that only the view differs from the last shot)
xdotool mousemove --window "$win" 40 90 mousedown 1 mousemove --window "$win" 100 90 mousemove --window "$win" 150 90 mouseup 1
key k
wait_for "$t/run.out" "^viewer: reference character shown" "the reference shown"
key k
wait_for "$t/run.out" "^viewer: reference character hidden" "the reference hidden again" 2
shot orbit
check orbit --differs "$t/stepped.xwd" --min $((W * H / 10)) --png "$t/orbit.png"
# zoom while paused: three wheel clicks out (button 5) over the window, redrawn by K twice
xdotool mousemove --window "$win" 160 90 click --repeat 3 --delay 50 5
key k
wait_for "$t/run.out" "^viewer: reference character shown" "the reference shown after the zoom" 2
key k
wait_for "$t/run.out" "^viewer: reference character hidden" "the reference hidden after the zoom" 3
shot zoom
check zoom --differs "$t/orbit.xwd" --min $((W * H / 10)) --png "$t/zoom.png"
key r
wait_for "$t/run.out" "^viewer: paused at frame $((frame + 2))$" "the reset's step"
key k
wait_for "$t/run.out" "^viewer: reference character shown" "the reference shown again" 3
shot reset
check reset --not-blank --differs "$t/stepped.xwd" --png "$t/reset.png"
grep -q "^viewer: reset" "$t/run.out"
key Escape
set +e; wait $run; rc=$?; set -e
[ $rc -eq 0 ] || { cat "$t/run.out"; echo "run exit $rc after Esc"; exit 1; }
# R ended the counted episode where it was pressed (after the step that showed frame + 1): an
# episode that went on (R ignored) would be longer; one that ended by itself before is shorter
len=$(grep -o "^Mean Episode Length: [0-9]*" "$t/run.out" | grep -o "[0-9]*$")
[ "$len" -le "$frame" ] || { cat "$t/run.out"; echo "episode of $len steps went past the reset at step $frame"; exit 1; }
echo "viewer ok (paused at frame $frame; screenshots in $t)"
