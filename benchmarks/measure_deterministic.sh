#!/usr/bin/env bash
# Every figure of docs/deterministic.md: bash benchmarks/measure_deterministic.sh [mnist-5k|fashion-mnist|all]
# Results: one JSON line per measurement in runs/deterministic/results.jsonl (runs in runs/deterministic/).
# The two datasets can run side by side (one core each: OPENBLAS_NUM_THREADS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
M="python benchmarks/measure_deterministic.py"

mnist_5k() {  # the models' defaults (each one is `autoencoders train MODEL [--set ...]`)
  $M pca --dataset mnist-5k
  $M baselines --dataset mnist-5k --pca-k 10 32 64
  for k in 2 10 32; do $M train linear-ae --quiet --set latent_dim=$k --tag k$k; done
  for model in stacked-ae sdae; do
    $M train $model --quiet --set epochs=20 --tag pretrained   # pretraining only: probe the frozen codes
    for labels in 100 1000; do $M train $model --quiet --set labels=$labels --tag labels$labels; done
  done
  $M train dae --quiet
  $M train dae --quiet --set noise=gaussian:0.5 --tag gaussian
  $M train sparse-ae --quiet
  $M train sparse-ae --quiet --set sparsity=l1 --tag l1
  $M train sparse-ae --quiet --set beta=0 --tag beta0
  $M train cae --quiet
  $M train cae --quiet --set lam=0 --tag lam0
  $M train scae --quiet
  $M train conv-ae --quiet
  $M train conv-ae-notes --quiet
  $M train conv-ae-notes --quiet --set epochs=15 --tag 15epochs
}

fashion_mnist() {  # the same models, fewer epochs (an epoch is 15 times longer), each a few CPU minutes at most
  local D="--dataset fashion-mnist"
  $M pca $D
  $M baselines $D --pca-k 10 32 64
  for k in 2 10 32; do $M train linear-ae $D --quiet --set latent_dim=$k --set epochs=100 --tag k$k; done
  for model in stacked-ae sdae; do
    $M train $model $D --quiet --set pretrain_epochs=3 --set epochs=6 --tag pretrained
    for labels in 100 1000; do
      $M train $model $D --quiet --set labels=$labels --set pretrain_epochs=3 --set epochs=9 --tag labels$labels
    done
  done
  $M train dae $D --quiet --set epochs=10
  $M train sparse-ae $D --quiet --set epochs=10
  $M train sparse-ae $D --quiet --set epochs=10 --set sparsity=l1 --tag l1
  $M train cae $D --quiet --set epochs=10
  $M train cae $D --quiet --set epochs=10 --set lam=0 --tag lam0
  $M train scae $D --quiet --set epochs=10
  $M train conv-ae $D --quiet --set epochs=3
}

case "${1:-all}" in
  mnist-5k) mnist_5k ;;
  fashion-mnist) fashion_mnist ;;
  all) mnist_5k; fashion_mnist ;;
  *) echo "usage: $0 [mnist-5k|fashion-mnist|all]" >&2; exit 2 ;;
esac
