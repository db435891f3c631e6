"""Every CPU benchmark, one after the other, each printing its table: the numbers of docs/performance.md.

    python benchmarks/run_all.py                 # everything (20-40 minutes on 2 busy cores)
    python benchmarks/run_all.py --quick         # fewer samples, a 12,800-image epoch (a few minutes)
    python benchmarks/run_all.py --only mlp,conv --threads 1

Each benchmark runs in its own process (BLAS reads its thread count when it loads), with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from *its* environment, both together: they
may be set on this machine for the tests, and they change which OpenBLAS kernel runs.
The machine paragraph of each benchmark says which kernel did run (via threadpoolctl,
when installed). Benchmarks are never part of the test suite.

1. vae     one VAE epoch, minigrad vs hand-written NumPy  (bench_vae_epoch.py)   target <= 1.10
          (+ PyTorch CPU when installed)
2. mlp     tiny MLP step: engine overhead, + PyTorch CPU   (bench_mlp_step.py)    target <= 1.3
3. conv    conv autoencoder step vs PyTorch CPU, and each    (bench_conv_ae.py)     target <= 1.5
          convolution of the step on its own (--layers)
4. memory  peak memory of an epoch, flat memory over steps (bench_memory.py)      target <= 1.3
5. scaling time per step against FLOPs, batch and width    (bench_scaling.py)
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS = {
    "vae": ("bench_vae_epoch.py", ["--pairs", "7"], ["--pairs", "3", "--dataset", "mnist-5k"]),
    "mlp": ("bench_mlp_step.py", ["--rounds", "15"], ["--rounds", "5", "--steps", "50"]),
    "conv": ("bench_conv_ae.py", ["--rounds", "7", "--layers"], ["--rounds", "3", "--steps", "5"]),
    "memory": ("bench_memory.py", ["--steps", "2000"], ["--steps", "300", "--limit", "12800"]),
    "scaling": ("bench_scaling.py", ["--rounds", "5"], ["--rounds", "2", "--min-time", "0.1"]),
}


def main():
    parser = argparse.ArgumentParser(description="Run every CPU benchmark and print its table.")
    parser.add_argument("--quick", action="store_true", help="fewer samples and smaller data: a smoke run")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/torch threads for every benchmark (default: the machine's configuration)")
    parser.add_argument("--only", default=None, help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")

    env = dict(os.environ)
    removed = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if env.pop(k, None) is not None]
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    print(f"run_all: {', '.join(names)}; {'quick' if args.quick else 'full'} run; "
          f"removed from the benchmarks' environment: {', '.join(removed) or 'nothing (neither was set)'}",
          flush=True)
    failed = []
    for name in names:
        script, full, quick = BENCHMARKS[name]
        command = [sys.executable, str(HERE / script)] + (quick if args.quick else full)
        if args.threads is not None:
            command += ["--blas-threads" if name == "vae" else "--threads", str(args.threads)]
        print(f"\n{'=' * 100}\n{name}: {' '.join(command[1:])}\n{'=' * 100}", flush=True)
        start = time.perf_counter()
        result = subprocess.run(command, env=env)
        print(f"[{name}: exit {result.returncode}, {time.perf_counter() - start:.0f} s]", flush=True)
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
