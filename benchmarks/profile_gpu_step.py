"""The GPU's own view of the VAE training step: its kernels, counted and timed by CUPTI.

    python benchmarks/profile_gpu_step.py                    # batch 1024, 30 profiled steps per side
    python benchmarks/profile_gpu_step.py --batch 128 --steps 50 --top 12
    python benchmarks/profile_gpu_step.py --cpu              # a dry run of the script without a GPU

torch.profiler (Kineto, on NVIDIA's CUPTI) records every kernel that the process runs on the
GPU, CuPy's included, so one profiler sees both engines. minigrad's fused kernels carry the
names ``minigrad_*`` (``minigrad/functions/elementwise.py``). The sides, each on the same
batch of SYNTHETIC pixels (uniform in [0, 1]) and each timed after 5 warm-up steps (kernel
compilation, a graph's capture):

* minigrad CuPy, eager: ``autoencoders.models.vae.VAE`` with ``minigrad.optim.Adam``, the step
  of ``bench_gpu_vae.py``;
* minigrad CuPy as a CUDA graph: the same step with ``Adam(capturable=True)``, wrapped by
  ``minigrad.cuda_graph.graphed``;
* PyTorch CUDA, eager: the same network and loss (``benchmarks/torch_vae.py``).

Printed per side: the wall time of a step (with the profiler on), the GPU activities per step
(kernels, memory copies and sets), their GPU time per step, and the share of the wall time that
this GPU time fills. A share far below 100% means the step is bound by the host: Python and
kernel launches, not arithmetic. Then the activities with the most GPU time. Run by
``benchmarks/gpu_suite.sh``. ``--cpu`` runs minigrad on NumPy and PyTorch on the CPU with the
CPU profiler only: there are no GPU activities to show, it only checks the script.
"""

import argparse
import collections
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WARMUP = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=30, help="profiled steps per side (default 30)")
    parser.add_argument("--top", type=int, default=10, help="GPU activities listed per side (default 10)")
    parser.add_argument("--cpu", action="store_true", help="a dry run on the CPU (no GPU activities to show)")
    return parser.parse_args(argv)


def sides(args, torch):
    """name -> (step, its input): the steps of bench_gpu_vae.py, on the CPU for a dry run."""
    import numpy

    import minigrad
    from bench_gpu_vae import make_minigrad_vae, minigrad_step
    from minigrad.tensor import Tensor
    from torch_vae import make_torch_vae, torch_step

    backend, device = ("numpy", "cpu") if args.cpu else ("cupy", "cuda")
    pixels = numpy.random.default_rng(0).random((args.batch, 784), dtype=numpy.float32)
    x = Tensor._wrap(minigrad.backend.module_for(backend).asarray(pixels))
    steps = {f"minigrad {'NumPy' if args.cpu else 'CuPy'}, eager": (minigrad_step(*make_minigrad_vae(backend)), x)}
    if not args.cpu:
        from minigrad.cuda_graph import graphed

        steps["minigrad CuPy, CUDA graph"] = (graphed(minigrad_step(*make_minigrad_vae(backend, capturable=True))), x)
    model, optimizer = make_torch_vae(torch, device=device)
    steps[f"PyTorch {device.upper()}, eager"] = (torch_step(model, optimizer), torch.from_numpy(pixels).to(device))
    return backend, steps


def synchronize(args, torch):
    if not args.cpu:
        import cupy

        cupy.cuda.Device().synchronize()
        torch.cuda.synchronize()


def profile_side(args, torch, backend, step, x):
    """(wall µs per step, {activity name: (count, GPU µs)} per step) of ``args.steps`` profiled steps."""
    import minigrad
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([] if args.cpu else [ProfilerActivity.CUDA])
    with minigrad.use_backend(backend):
        for _ in range(WARMUP):
            step(x)
        synchronize(args, torch)
        with profile(activities=activities) as prof:
            start = time.perf_counter()
            for _ in range(args.steps):
                step(x)
            synchronize(args, torch)
            wall = time.perf_counter() - start
    on_gpu = collections.defaultdict(lambda: [0, 0.0])
    for event in prof.events():
        if event.device_type == DeviceType.CUDA:
            entry = on_gpu[event.name]
            entry[0] += 1
            entry[1] += event.time_range.elapsed_us()
    return wall / args.steps * 1e6, {name: (count / args.steps, us / args.steps) for name, (count, us) in on_gpu.items()}


def main():
    args = parse_args()
    import torch

    backend, steps = sides(args, torch)
    print(f"VAE training step (784-400-20, BCE + KL, Adam), batch {args.batch} of SYNTHETIC pixels; "
          f"{args.steps} profiled steps per side after {WARMUP} warm-up steps; torch {torch.__version__}"
          + (" (--cpu: a dry run, no GPU activities)" if args.cpu else ""), flush=True)
    rows = []
    for name, (step, x) in steps.items():
        try:
            wall, on_gpu = profile_side(args, torch, backend, step, x)
        except Exception:  # noqa: BLE001 - report and go on with the other sides
            print(f"{name}: FAILED", flush=True)
            traceback.print_exc(limit=6)
            continue
        count = sum(c for c, _ in on_gpu.values())
        busy = sum(us for _, us in on_gpu.values())
        rows.append((name, wall, count, busy))
        print(f"\n{name}: {wall:.0f} µs per step (wall, profiled), {count:.0f} GPU activities per step, "
              f"{busy:.0f} µs of GPU time per step ({busy / wall:.0%} of the wall time)")
        for activity, (n, us) in sorted(on_gpu.items(), key=lambda item: -item[1][1])[:args.top]:
            print(f"    {us:8.1f} µs  {n:5.1f} x  {activity[:110]}")
    print("\n| side | µs per step (wall) | GPU activities per step | GPU µs per step | GPU busy |")
    print("|---|---|---|---|---|")
    for name, wall, count, busy in rows:
        print(f"| {name} | {wall:.0f} | {count:.0f} | {busy:.0f} | {busy / wall:.0%} |")


if __name__ == "__main__":
    main()
