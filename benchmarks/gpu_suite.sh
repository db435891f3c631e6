#!/usr/bin/env bash
# The GPU checks of issue #8 in one command, for a machine with an NVIDIA GPU, CuPy and PyTorch CUDA
# (no network, no datasets, the package not installed):
#
#     bash benchmarks/gpu_suite.sh            # about 8 minutes at most (150 s tests + 240 s benchmark + 60 s profile + info)
#     TEST_LIMIT=90 BENCH_LIMIT=180 PAIRS=2 PROFILE_LIMIT=45 bash benchmarks/gpu_suite.sh    # a shorter run
#
# 1. the test suite on real CuPy (tests parametrized with the "cupy" backend, the fused kernels'
#    and the optimizers' first), stopped cleanly after TEST_LIMIT seconds;
# 2. benchmarks/bench_gpu_vae.py: a NumPy-vs-CuPy correctness check of one VAE step and of five
#    steps replayed as a CUDA graph, then the VAE epoch on 60,000 SYNTHETIC images with minigrad
#    CuPy vs PyTorch CUDA at batch 128 and 1024, eager and as CUDA graphs (plus fused kernels off,
#    the training loop's own path, `autoencoders train vae` with and without --cuda-graph, and
#    minigrad on this machine's CPU);
# 3. benchmarks/profile_gpu_step.py: the GPU's own profile (CUPTI, through torch.profiler) of the VAE
#    step at batch 1024: kernels per step, their GPU time, how busy the GPU is; minigrad eager, minigrad
#    as a CUDA graph, PyTorch eager.
#
# Each part has its own time limit and its own exit status; a failing part does not stop the next.
# Logs go to $OUT (set by the device runner) or to ./gpu_suite_logs.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # the package is not installed there
export PYTHONDONTWRITEBYTECODE=1
LOGS="${OUT:-$PWD/gpu_suite_logs}"
mkdir -p "$LOGS"
TEST_LIMIT="${TEST_LIMIT:-150}"     # 0 skips the tests
BENCH_LIMIT="${BENCH_LIMIT:-240}"
PAIRS="${PAIRS:-3}"                 # timed epochs per side and batch size (after one warm-up)
PROFILE_LIMIT="${PROFILE_LIMIT:-60}"  # 0 skips the profile
PYTHON="${PYTHON:-python3}"

run_part() {  # name, seconds, command...: SIGINT at the limit (pytest then prints its summary), KILL 15 s later
    local name=$1 limit=$2
    shift 2
    echo
    echo "=================== $name (limit ${limit} s): $*"
    local start=$SECONDS
    timeout --signal=INT --kill-after=15 "$limit" "$@" 2>&1 | tee "$LOGS/$name.log"
    local rc=${PIPESTATUS[0]}
    echo "=================== $name: exit $rc after $((SECONDS - start)) s$([ "$rc" = 124 ] && echo ' (TIME LIMIT)')"
    echo "$name $rc $((SECONDS - start))" >> "$LOGS/summary.txt"
}

: > "$LOGS/summary.txt"
run_part info 30 bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; lscpu | grep 'Model name'; $PYTHON -c 'import numpy, cupy, torch; print(\"numpy\", numpy.__version__, \"cupy\", cupy.__version__, \"torch\", torch.__version__, \"cuda\", torch.cuda.is_available())'"

if [ "$TEST_LIMIT" = 0 ]; then
    echo "TEST_LIMIT=0: the test part is skipped"
elif $PYTHON -c "import pytest" 2>/dev/null; then
    # Most relevant first; pytest drops the duplicates of the final "tests".
    run_part tests-cupy "$TEST_LIMIT" $PYTHON -m pytest -o addopts=--import-mode=importlib -q -rfE -p no:cacheprovider -k cupy --maxfail=25 \
        tests/test_cuda_graph.py tests/test_elementwise.py tests/optim tests/nn/test_losses.py tests/autoencoders/test_vae.py \
        tests/test_autograd.py tests/test_backend.py tests/test_ops.py tests
else
    echo "pytest is not installed here: the test part is skipped (bench_gpu_vae.py's correctness check still runs)"
    echo "tests-cupy skipped 0" >> "$LOGS/summary.txt"
fi

run_part bench-gpu-vae "$BENCH_LIMIT" $PYTHON benchmarks/bench_gpu_vae.py --batches 128,1024 --pairs "$PAIRS" \
    --part-timeout 90

if [ "$PROFILE_LIMIT" = 0 ]; then
    echo "PROFILE_LIMIT=0: the profile part is skipped"
else
    run_part profile-gpu-step "$PROFILE_LIMIT" $PYTHON benchmarks/profile_gpu_step.py --batch 1024 --steps 30
fi

echo
echo "=================== summary (part, exit status, seconds); logs in $LOGS"
cat "$LOGS/summary.txt"
