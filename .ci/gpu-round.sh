#!/usr/bin/env bash
# One prepared GPU round: what whoever holds a lent H200 runs in ONE call of the device tool
# (../shared/reference/gpu.md: prepare .whl/ and .gpu-data/ first, then)
#
#   run(command="PROJECT_COMMIT=<the commit you run> .ci/gpu-round.sh",
#       carry=[".whl", ".gpu-data"], timeout_s=570)
#
# In this order, each part in a time box of its own so a slow part cannot starve the rest
# (seconds, overridable: ROUND_SERIES_S ...), 9 minutes at most from start to end:
#                                                          with GPU recipes   without
#   series   exp01-04 trained and tested (common.series,          150           320
#            --devices all, fused steps)
#   exp07    the speed run, trained and tested                       50            90
#   gpu      the GPU recipes (exp08, then exp09, which reuses     the rest          -
#            exp08's run as its first member), trained and tested  (>= 200)
#   bench    exp04's ms a step, one call a step against 50           40            60
#            (common.bench)
#   profile  50 steps of exp04 and of exp07 as a TensorBoard         30            45
#            trace (common.bench.profile)
# and a one-screen summary. $OUT gets at most 8 files: summary.md, round.log, gpu.txt,
# dmon.txt, results.tar.gz (every record and plot), models.tar.gz (the .h5 of the new
# steps, those under 15 MiB: exp08's is ~51 MB, so its sha256 is in the summary instead),
# profile.tar.gz. The tool sends the checkout's files, at most 64 MiB: saved_models/ is
# more, and the round needs none of it (docs/speed.md). Checked on a CPU
# (tests/test_gpu_script.py) with:
#
#   OUT=/tmp/round PYTHON=.venv/bin/python ROUND_DATA=tiny.npz ROUND_TINY=1 .ci/gpu-round.sh
set -uo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
OUT=${OUT:?set OUT to the folder that comes back}
PYTHON=${PYTHON:-python3}
export KERAS_BACKEND=${BACKEND:-jax}  # the GPU machine has JAX and PyTorch, no TensorFlow
mkdir -p "$OUT"
LOG=$OUT/round.log
if ! "$PYTHON" -c "import keras" 2>/dev/null; then  # Keras comes as wheels in .whl/
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
if [ -n "${ROUND_DATA:-}" ]; then
  export CIFAR10_DATA=$ROUND_DATA
elif [ -z "${CIFAR10_DATA:-}" ] && [ -f .gpu-data/cifar10-jpeg.tar.gz ]; then
  export CIFAR10_DATA=$PWD/.gpu-data/cifar10-jpeg.tar.gz
fi
# the code's commit: an exported copy has no .git, so the caller says it
export PROJECT_COMMIT=${PROJECT_COMMIT:-$("$PYTHON" -c \
  "from common.basics.provenance import git_commit; print(git_commit())")}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no GPU"; } \
  > "$OUT/gpu.txt" 2>&1
DMON=""
if command -v nvidia-smi > /dev/null; then
  nvidia-smi dmon -s u -d 1 > "$OUT/dmon.txt" 2>&1 & DMON=$!
else
  echo "no GPU: no utilisation sampled" > "$OUT/dmon.txt"
fi

work=$(mktemp -d)
TRAIN="--devices all"
STEPS="exp01_baseline exp02_batchnorm exp03_deeper_l2 exp04_augmentation"
BENCH="--steps-per-call 1 50 --experiments exp04_augmentation --images 6400"
PROFILED="exp04_augmentation exp07_speedrun"
PROFILE_STEPS=50
if [ -n "${ROUND_TINY:-}" ]; then  # a CPU check of the round's plumbing, in minutes
  TRAIN="--limit 64 --epochs 1 --batch-size 16"
  STEPS=exp01_baseline
  BENCH="--steps-per-call 1 2 --experiments exp01_baseline --images 64"
  PROFILED=exp01_baseline
  PROFILE_STEPS=2
fi
part() {  # part NAME SECONDS COMMAND...: run it time-boxed, log it, never stop the round
  local name=$1 limit=$2
  shift 2
  echo "== $name (at most ${limit} s; round at $((SECONDS - START)) s)" | tee -a "$LOG"
  local began=$SECONDS
  timeout "$limit" "$@" >> "$LOG" 2>&1
  local code=$?
  echo "== $name: exit $code after $((SECONDS - began)) s" | tee -a "$LOG"
  echo "| $name | $code$([ $code = 124 ] && echo ' (time box)') | $((SECONDS - began)) s |" \
    >> "$work/parts.md"
}
steps() {  # the train and test commands of each experiment named, one after the other
  local cmd="true"
  for name in "$@"; do
    cmd+=" && $PYTHON -m experiments.$name.train $TRAIN --model-dir $work/models"
    cmd+=" --results-dir $work/results && $PYTHON -m experiments.$name.test"
    # the file the train command saved: <name>.h5, or named by the options it ran with
    cmd+=" --model \$(ls -t $work/models/$name.h5 $work/models/$name-*.h5 2> /dev/null | head -1)"
    cmd+=" --results-dir $work/results"
  done
  echo "$cmd"
}

new=()
for folder in experiments/exp08_* experiments/exp09_*; do
  [ -d "$folder" ] && new+=("$(basename "$folder")")
done
# the time boxes (seconds): the GPU recipes' time comes from the other parts when they exist
read -r series_s exp07_s bench_s profile_s <<< \
  "$([ ${#new[@]} -gt 0 ] && echo 150 50 40 30 || echo 320 90 60 45)"
TOTAL_S=${ROUND_TOTAL_S:-540}  # the round's 9 minutes, less the packing at the end
# shellcheck disable=SC2086  # the option strings split into words on purpose
part series "${ROUND_SERIES_S:-$series_s}" "$PYTHON" -m common.series --experiments $STEPS \
  --results-dir "$work/results" --model-dir "$work/models" -- $TRAIN
part exp07 "${ROUND_EXP07_S:-$exp07_s}" bash -c "$(steps exp07_speedrun)"
if [ ${#new[@]} -gt 0 ]; then  # what the series and exp07 left, less bench and profile
  gpu_s=$((TOTAL_S - (SECONDS - START) - ${ROUND_BENCH_S:-$bench_s} - ${ROUND_PROFILE_S:-$profile_s}))
  # shellcheck disable=SC2086  # as a series: time to target and FLOPs, like exp01-04's
  part gpu-recipes "${ROUND_GPU_S:-$((gpu_s > 200 ? gpu_s : 200))}" "$PYTHON" -m common.series \
    --fresh --experiments "${new[@]}" --results-dir "$work/results" --model-dir "$work/models" \
    -- $TRAIN
fi
# shellcheck disable=SC2086
part bench "${ROUND_BENCH_S:-$bench_s}" "$PYTHON" -m common.bench $BENCH --timings 2 \
  --results-dir "$work/results"
# shellcheck disable=SC2086
part profile "${ROUND_PROFILE_S:-$profile_s}" "$PYTHON" -m common.bench.profile \
  --experiments $PROFILED --steps "$PROFILE_STEPS" --out "$work/profile"
[ -n "$DMON" ] && kill "$DMON" 2> /dev/null

# what comes back: at most 8 files, each well under 16 MiB
tar -czf "$OUT/results.tar.gz" -C "$work" results
small=() large=()
for name in "${new[@]}"; do  # a file over 15 MiB would not come back: its checksum does
  file=$(ls -t "$work/models/$name.h5" "$work/models/$name"-*.h5 2> /dev/null | head -1)
  [ -n "$file" ] && [ -f "$file" ] || continue
  if [ "$(stat -c %s "$file")" -le $((15 << 20)) ]; then small+=("$(basename "$file")"); else
    large+=("$(basename "$file"): $(($(stat -c %s "$file") >> 20)) MiB, sha256 $(sha256sum "$file" | cut -c1-64)")
  fi
done
[ ${#small[@]} -gt 0 ] && (cd "$work/models" && tar -czf "$OUT/models.tar.gz" "${small[@]}")
[ -d "$work/profile" ] && tar -czf "$OUT/profile.tar.gz" -C "$work" profile
{
  echo "# GPU round: $(head -2 "$OUT/gpu.txt" | tail -1)"
  echo
  echo "Commit $PROJECT_COMMIT, KERAS_BACKEND=$KERAS_BACKEND, $(date -u +%FT%TZ)," \
    "$((SECONDS - START)) s from start to end."
  echo
  echo "| part | exit | time |"
  echo "|---|---|---|"
  cat "$work/parts.md"
  echo
  "$PYTHON" -m common.round_summary "$work/results" 2>/dev/null
  echo
  tail -n +4 "$work/results/bench/steps.md" 2>/dev/null
  if [ ${#large[@]} -gt 0 ]; then
    echo
    echo "Left on the device (over the 16 MiB a file that comes back; the records hold them):"
    printf -- '- %s\n' "${large[@]}"
  fi
} > "$OUT/summary.md"
cat "$OUT/summary.md"
