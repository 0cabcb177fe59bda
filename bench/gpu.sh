#!/usr/bin/env bash
# docs/results.md's GPU measurements in one call on a GPU machine with JAX but no TensorFlow
# and no network: `bash bench/gpu.sh [WHEELS_DIR]`, run from the repository root.
# WHEELS_DIR (default wheels, git-ignored) holds keras, namex and optree wheels for that machine's
# Python; they are installed without dependencies, since the machine has the rest.
# Most important first; each step gets what is left of its deadline (seconds since the
# start), so a call with a 10-minute limit still returns every finished log, in $OUT.
set -u
WHEELS=${1:-wheels}
OUT=${OUT:-runs/gpu}
mkdir -p "$OUT"
export KERAS_BACKEND=jax
python -c "import keras" 2>/dev/null || pip install -q --no-deps "$WHEELS"/*.whl

step() {  # step DEADLINE NAME COMMAND...
    local deadline=$1 name=$2
    shift 2
    local left=$((deadline - SECONDS))
    if [ "$left" -lt 30 ]; then
        echo "$name: skipped, $left s left"
        return
    fi
    timeout "$left" "$@" > "$OUT/$name.log" 2>&1
    echo "$name: exit $? after ${SECONDS} s"
}

nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$OUT/gpu.txt" 2>&1
# U-Net 256 px in bf16 at batches 1, 64 and 128, the RGB convs in bf16 against float32, the
# CAAE, and a profile of the last setting.
step 290 unet python -m bench.jax_train --batches 1 64 128 --precisions bfloat16 --caae --compare-rgb-conv \
    --profile "$OUT/profile"
step 410 resnet python -m bench.jax_train --generator resnet --batches 1 64 --precisions bfloat16 --compare-rgb-conv
step 500 transposed_conv python -m bench.transposed_conv
step 570 unet_float32 python -m bench.jax_train --batches 1 64 --precisions float32
