#!/usr/bin/env bash
# The four CIFAR-10 steps on a lent GPU machine, in one prepared call of the device tool
# (../shared/reference/gpu.md has the machine and how to prepare .whl/ and .gpu-data/):
#
#   run(command=".ci/gpu-series.sh", carry=[".whl", ".gpu-data"], timeout_s=540)
#
# It trains and tests each step with the project's own commands (python -m common.series),
# samples GPU utilisation, and leaves series.tar.gz (records, plots, .h5), series.log and
# gpu.txt in $OUT, which the tool brings back. Checked on a CPU with:
#
#   OUT=/tmp/gpu-out BACKEND=tensorflow PYTHON=.venv/bin/python .ci/gpu-series.sh -- --limit 256 --epochs 1
#
# Arguments go to common.series (after --: to every train command). Without any, every
# step trains with --devices all (issue 24: on one H200 that must simply work).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder that comes back}
PYTHON=${PYTHON:-python3}
export KERAS_BACKEND=${BACKEND:-jax}  # the GPU machine has JAX and PyTorch, no TensorFlow
mkdir -p "$OUT"
if ! "$PYTHON" -c "import keras" 2>/dev/null; then  # Keras comes as wheels in .whl/
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
if [ -z "${CIFAR10_DATA:-}" ] && [ -f .gpu-data/cifar10-jpeg.tar.gz ]; then
  export CIFAR10_DATA=$PWD/.gpu-data/cifar10-jpeg.tar.gz
fi
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no GPU"; } \
  > "$OUT/gpu.txt" 2>&1
[ $# -gt 0 ] || set -- -- --devices all
work=$(mktemp -d)  # a clean results folder: only this run's records travel back
timeout "${SERIES_TIMEOUT:-480}" "$PYTHON" -m common.series --out "$OUT" \
  --results-dir "$work/results" --model-dir "$work/models" "$@" 2>&1 | tee "$OUT/series.log"
