"""The VAE epoch on a GPU: minigrad on CuPy against PyTorch CUDA, and against minigrad on the CPU.

    python benchmarks/bench_gpu_vae.py                       # on a machine with CuPy, torch and a GPU
    python benchmarks/bench_gpu_vae.py --batches 128,1024 --pairs 3 --part-timeout 120

Run by ``benchmarks/gpu_suite.sh``. Every part runs on its own, under its own time limit,
and prints what failed instead of stopping the rest.

Data: SYNTHETIC, 60,000 x 784 values uniform in [0, 1] (the size of Fashion-MNIST's training
set; the GPU machine has no datasets and no network). It is made on the device once and
shared with PyTorch through DLPack; the timing does not depend on the pixel values.

Network and loss: the pytorch/examples VAE (784-400-20-400-784, ReLU, Bernoulli decoder on
logits, per-batch sum of BCE + KL, Adam lr 1e-3), as in bench_vae_epoch.py. Sides:

* minigrad CuPy: ``autoencoders.models.vae.VAE`` and ``minigrad.optim.Adam``, the data on the
  device, a device permutation per epoch, batches gathered on the device, and no host sync
  inside the epoch (the loss is summed on the device and read once at the end);
* the same with the fused elementwise kernels switched off (``elementwise.ENABLED = False``:
  the plain CuPy calls), to show what fusion buys;
* minigrad CuPy through ``model.train_step`` and the training loop's loader: what
  ``autoencoders train vae`` does, host batches copied to the device each step and three
  ``.item()`` reads per step (host syncs);
* PyTorch CUDA: the same network and loss, the data on the device, ``torch.randperm`` on the
  device, no sync inside the epoch; its default Adam (foreach on CUDA);
* minigrad NumPy on this machine's CPU (all its cores), the same loop, one epoch.

GPU sides are interleaved (A B C A B C ...) after one warm-up epoch each (kernel compilation);
each epoch ends with a device synchronize. Targets: minigrad CuPy <= 1.2x PyTorch CUDA at
batch 1024, and >= 20x faster than minigrad's CPU epoch.
"""

import argparse
import os
import signal
import statistics
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

N, D = 60000, 784


class PartTimeout(Exception):
    pass


def part(name, seconds, fn, *args):
    """Run fn(*args) under a time limit; print and swallow any failure. Returns its result or None."""
    def alarm(signum, frame):
        raise PartTimeout(f"{name}: over its {seconds} s limit")

    print(f"\n--- {name} (limit {seconds} s)", flush=True)
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(int(seconds))
    start = time.perf_counter()
    try:
        result = fn(*args)
        print(f"--- {name}: done in {time.perf_counter() - start:.1f} s", flush=True)
        return result
    except BaseException as exc:  # noqa: BLE001 - report and go on with the next part
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"--- {name}: FAILED after {time.perf_counter() - start:.1f} s: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc(limit=6)
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ----- environment ----------------------------------------------------------------------------

def environment():
    import numpy

    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, {os.cpu_count()} CPUs")
    try:
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"cupy {cupy.__version__}, CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, "
              f"GPU {props['name'].decode() if isinstance(props['name'], bytes) else props['name']}")
    except Exception as exc:  # noqa: BLE001
        print(f"cupy: not usable ({type(exc).__name__}: {exc})")
    try:
        import torch
        print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}"
              + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""))
    except Exception as exc:  # noqa: BLE001
        print(f"torch: not usable ({type(exc).__name__}: {exc})")
    try:
        from threadpoolctl import threadpool_info
        print("BLAS:", "; ".join(f"{i.get('internal_api')} {i.get('architecture')} {i.get('num_threads')} threads"
                                 for i in threadpool_info()))
    except ImportError:
        pass


# ----- minigrad ---------------------------------------------------------------------------------

def make_minigrad_vae(backend, seed=1):
    import minigrad
    from autoencoders.models.vae import VAE

    with minigrad.use_backend(backend):
        minigrad.manual_seed(seed)
        model = VAE()
        model.to(backend)
        optimizer = minigrad.optim.Adam(model.parameters(), lr=1e-3)
    return model, optimizer


def minigrad_epoch(model, optimizer, X, batch, backend):
    """One epoch on data X already on ``backend``; the loss stays on the device until the end."""
    import minigrad
    from autoencoders.models import Batch
    from minigrad.tensor import Tensor

    with minigrad.use_backend(backend):
        xp = minigrad.backend.module_for(backend)
        order = minigrad.random.generator(xp).permutation(len(X))
        total = None
        for start in range(0, len(X), batch):
            b = Batch(x=Tensor._wrap(X[order[start:start + batch]]))
            optimizer.zero_grad()
            terms = model.loss_terms(b)
            loss = model.objective(terms)
            loss.backward(minigrad.full_like(loss, float(len(b))))
            optimizer.step()
            part_sum = loss.data * len(b)
            total = part_sum if total is None else total + part_sum
        return float(total) / len(X)  # the one host sync of the epoch


def minigrad_train_step_epoch(model, optimizers, loader, to_batch):
    total = n = 0
    for arrays in loader:
        batch = to_batch(arrays)
        total += model.train_step(batch, optimizers)["loss"] * len(batch)
        n += len(batch)
    return total / n


# ----- PyTorch ----------------------------------------------------------------------------------

def make_torch_vae(torch, seed=1):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def loss(self, x):
            h = F.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = self.fc4(F.relu(self.fc3(z)))
            bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return bce + kl

    model = VAE().cuda()
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def torch_epoch(torch, model, optimizer, X, batch):
    order = torch.randperm(len(X), device=X.device)
    total = torch.zeros((), device=X.device)
    for start in range(0, len(X), batch):
        x = X[order[start:start + batch]]
        optimizer.zero_grad()
        loss = model.loss(x)
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return float(total) / len(X)


# ----- parts --------------------------------------------------------------------------------------

def correctness(args):
    """One VAE step from the same weights, batch and noise on NumPy and on CuPy: losses, gradients,
    parameters after one Adam step (this runs every fused kernel: BCE, KL, sigmoid-free path, Adam)."""
    import numpy
    import minigrad
    from autoencoders.models import Batch
    from minigrad.functions import elementwise

    rng = numpy.random.default_rng(0)
    x = rng.uniform(0, 1, (256, D)).astype(numpy.float32)
    noise = rng.standard_normal((256, 20)).astype(numpy.float32)
    results = {}
    for backend, fused in (("numpy", True), ("cupy", True), ("cupy", False)):
        elementwise.ENABLED = fused
        model, opt = make_minigrad_vae("numpy")
        with minigrad.use_backend(backend):
            model.to(backend)
            opt = minigrad.optim.Adam(model.parameters(), lr=1e-3)
            b = Batch(x=minigrad.tensor(x))
            terms = model.loss_terms(b, noise=minigrad.tensor(noise))
            loss = model.objective(terms)
            loss.backward(minigrad.full_like(loss, 256.0))
            grads = [p.grad.numpy() for p in model.parameters()]
            opt.step()
            params = [p.numpy() for p in model.parameters()]
            sig = minigrad.sigmoid(minigrad.tensor(rng.normal(0, 5, (64, 64)).astype(numpy.float32))).numpy()
        results[(backend, fused)] = (float(loss.item()), grads, params)
    elementwise.ENABLED = True
    ref_loss, ref_grads, ref_params = results[("numpy", True)]
    for key in (("cupy", True), ("cupy", False)):
        loss, grads, params = results[key]
        gerr = max(float(numpy.max(numpy.abs(g - r)) / (numpy.max(numpy.abs(r)) + 1e-30)) for g, r in zip(grads, ref_grads))
        perr = max(float(numpy.max(numpy.abs(p - r))) for p, r in zip(params, ref_params))
        ok = abs(loss - ref_loss) <= 1e-4 * abs(ref_loss) and gerr < 1e-3 and perr < 1e-5
        print(f"cupy (fused kernels {'on' if key[1] else 'off'}) vs numpy: loss {loss:.6f} vs {ref_loss:.6f}, "
              f"max relative gradient error {gerr:.2e}, max parameter difference after Adam {perr:.2e}: "
              f"{'OK' if ok else 'MISMATCH'}")
    del sig


def gpu_timings(args):
    import cupy
    import torch
    import numpy
    import minigrad
    from minigrad.functions import elementwise

    X = cupy.random.default_rng(0).random((N, D), dtype=cupy.float32)  # synthetic, see the docstring
    X_torch = torch.from_dlpack(X)
    table = {}
    for batch in args.batches:
        sides = {}
        ours = make_minigrad_vae("cupy")
        sides["minigrad CuPy"] = lambda ours=ours, batch=batch: minigrad_epoch(*ours, X, batch, "cupy")
        unfused = make_minigrad_vae("cupy")

        def epoch_unfused(unfused=unfused, batch=batch):
            elementwise.ENABLED = False
            try:
                return minigrad_epoch(*unfused, X, batch, "cupy")
            finally:
                elementwise.ENABLED = True

        sides["minigrad CuPy, kernels off"] = epoch_unfused
        theirs = make_torch_vae(torch)
        sides["PyTorch CUDA"] = lambda theirs=theirs, batch=batch: torch_epoch(torch, *theirs, X_torch, batch)
        times = {name: [] for name in sides}
        losses = {}
        for round_ in range(args.pairs + 1):  # round 0 is the warm-up
            for name, fn in sides.items():
                cupy.cuda.Device().synchronize()
                torch.cuda.synchronize()
                start = time.perf_counter()
                losses[name] = fn()
                cupy.cuda.Device().synchronize()
                torch.cuda.synchronize()
                if round_:
                    times[name].append(time.perf_counter() - start)
        table[batch] = (times, losses)
        ratios = [a / b for a, b in zip(times["minigrad CuPy"], times["PyTorch CUDA"])]
        print(f"batch {batch}: " + ", ".join(f"{name} {statistics.median(t):.3f} s (loss {losses[name]:.1f})"
                                             for name, t in times.items())
              + f"; minigrad/PyTorch {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
              flush=True)
    del numpy
    return table


def loop_timings(args):
    """The training loop's own path on CuPy: host loader, H2D copy per batch, train_step with .item()."""
    import numpy
    import cupy
    import minigrad
    from autoencoders.data import DataLoader
    from autoencoders.models import Batch

    def to_batch(arrays):  # as autoencoders.training.data.to_batch, without importing the loop (tqdm)
        x, y, index = arrays
        return Batch(x=x, y=y, index=index)

    x = numpy.random.default_rng(0).random((N, D), dtype=numpy.float32)
    out = {}
    for batch in args.batches:
        model, opt = make_minigrad_vae("cupy")
        with minigrad.use_backend("cupy"):
            loader = DataLoader(x, numpy.zeros(N, numpy.int64), numpy.arange(N), batch_size=batch, seed=1)
            minigrad_train_step_epoch(model, {"model": opt}, loader, to_batch)  # warm-up
            times = []
            for _ in range(args.pairs):
                cupy.cuda.Device().synchronize()
                start = time.perf_counter()
                minigrad_train_step_epoch(model, {"model": opt}, loader, to_batch)
                cupy.cuda.Device().synchronize()
                times.append(time.perf_counter() - start)
        out[batch] = statistics.median(times)
        print(f"batch {batch}: minigrad CuPy through train_step + loader {out[batch]:.3f} s", flush=True)
    return out


def cpu_timings(args):
    import numpy

    x = numpy.random.default_rng(0).random((N, D), dtype=numpy.float32)
    out = {}
    for batch in args.batches:
        model, opt = make_minigrad_vae("numpy")
        start = time.perf_counter()
        minigrad_epoch(model, opt, x, batch, "numpy")
        out[batch] = time.perf_counter() - start
        print(f"batch {batch}: minigrad NumPy on this machine's CPU ({os.cpu_count()} cores) {out[batch]:.2f} s",
              flush=True)
    return out


def report(gpu, loop, cpu):
    if not gpu:
        print("\nno GPU timings: see the failures above")
        return
    print("\nVAE epoch (60,000 SYNTHETIC images), seconds, medians of interleaved epochs")
    print("| batch | minigrad CuPy | kernels off | train_step + loader | PyTorch CUDA | minigrad ÷ PyTorch | "
          "minigrad CPU (this machine) | CPU ÷ GPU |")
    print("|---|---|---|---|---|---|---|---|")
    for batch, (times, _) in gpu.items():
        med = {name: statistics.median(t) for name, t in times.items()}
        ratios = [a / b for a, b in zip(times["minigrad CuPy"], times["PyTorch CUDA"])]
        c = (cpu or {}).get(batch)
        lp = (loop or {}).get(batch)
        ours = med["minigrad CuPy"]
        loop_text = "" if lp is None else f"{lp:.3f}"
        cpu_text = "" if c is None else f"{c:.2f}"
        speedup_text = "" if c is None else f"{c / ours:.1f}"
        print(f"| {batch} | {ours:.3f} | {med['minigrad CuPy, kernels off']:.3f} | {loop_text} | "
              f"{med['PyTorch CUDA']:.3f} | {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{cpu_text} | {speedup_text} |")
    if 1024 in gpu:
        times = gpu[1024][0]
        ratio = statistics.median(a / b for a, b in zip(times["minigrad CuPy"], times["PyTorch CUDA"]))
        print(f"target minigrad CuPy <= 1.2x PyTorch CUDA at batch 1024: {ratio:.2f} -> "
              f"{'met' if ratio <= 1.2 else 'NOT met'}")
        if cpu and 1024 in cpu:
            speedup = cpu[1024] / statistics.median(times["minigrad CuPy"])
            print(f"target GPU >= 20x minigrad's CPU epoch (this machine's CPU) at batch 1024: {speedup:.1f}x -> "
                  f"{'met' if speedup >= 20 else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="128,1024")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--part-timeout", type=int, default=150)
    parser.add_argument("--skip-cpu", action="store_true")
    args = parser.parse_args()
    args.batches = [int(b) for b in args.batches.split(",")]
    part("environment", 30, environment)
    part("correctness: one VAE step, NumPy vs CuPy", 60, correctness, args)
    gpu = part("GPU epochs: minigrad CuPy vs PyTorch CUDA", args.part_timeout, gpu_timings, args)
    report(gpu, None, None)  # printed now too, in case a later part runs out of time
    loop = part("GPU epochs through the training loop's path", args.part_timeout // 3, loop_timings, args)
    cpu = None if args.skip_cpu else part("CPU epochs: minigrad NumPy", args.part_timeout * 2 // 3, cpu_timings, args)
    report(gpu, loop, cpu)


if __name__ == "__main__":
    main()
