"""The VAE epoch on a GPU: minigrad on CuPy against PyTorch CUDA, eager and as CUDA graphs, and on the CPU.

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
* minigrad CuPy, CUDA graph: the first side's loop and model, with ``Adam(capturable=True)`` and
  the whole step (zero_grad, forward, backward, Adam) wrapped by ``minigrad.cuda_graph.graphed``:
  a batch shape's first call runs eagerly, its second captures a CUDA graph, later calls replay
  it (the warm-up epoch captures both shapes: 60,000 is no multiple of the batch sizes, so the
  last batch is smaller);
* PyTorch CUDA: the same network and loss, the data on the device, ``torch.randperm`` on the
  device, no sync inside the epoch; its default Adam (foreach on CUDA);
* PyTorch CUDA graph: PyTorch's documented whole-network capture with ``Adam(capturable=True)``:
  per batch shape, the first time it is seen, a static input, 3 warm-up steps on a side stream
  (real optimizer steps) and one captured step; then per batch ``static_x.copy_(x)`` and a replay;
* minigrad NumPy on this machine's CPU (all its cores), the same loop, one epoch.

The correctness part also runs 5 steps on CuPy eagerly and through ``graphed`` from the same
weights, batches and noise sequence (losses and parameters must agree), and the eager steps
with and without capturable Adam. A graph side that fails to build, capture or run is left out
(its traceback printed); the other sides still report.

GPU sides are interleaved (A B C D E A B C D E ...) after one warm-up epoch each (kernel
compilation, graph capture); each epoch ends with a device synchronize. Targets: minigrad CuPy
(eager) <= 1.2x PyTorch CUDA at batch 1024, and >= 20x faster than minigrad's CPU epoch
(reported for the eager and the CUDA-graph side).
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

from torch_vae import make_torch_vae, torch_epoch, torch_step  # noqa: E402

N, D = 60000, 784
MINIGRAD_GRAPH, TORCH_GRAPH = "minigrad CuPy, CUDA graph", "PyTorch CUDA graph"
OPTIONAL_SIDES = (MINIGRAD_GRAPH, TORCH_GRAPH)  # new APIs: a failure drops the side, not the whole GPU part


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

def make_minigrad_vae(backend, seed=1, capturable=False):
    import minigrad
    from autoencoders.models.vae import VAE

    # capturable is passed only when asked for: the eager sides then run on any Adam, with or without it
    options = {"capturable": True} if capturable else {}
    with minigrad.use_backend(backend):
        minigrad.manual_seed(seed)
        model = VAE()
        model.to(backend)
        optimizer = minigrad.optim.Adam(model.parameters(), lr=1e-3, **options)
    return model, optimizer


def minigrad_step(model, optimizer):
    """The training step as a function of the batch's x (a device Tensor): what ``graphed`` captures."""
    from autoencoders.models import Batch

    def step(x):
        optimizer.zero_grad()
        terms = model.loss_terms(Batch(x=x))
        loss = model.objective(terms)
        loss.backward(float(len(x)))  # the gradient of the per-batch sum, as the pytorch/examples VAE
        optimizer.step()
        return loss.detach()

    return step


def minigrad_steps_epoch(step, X, batch, backend):
    """One epoch of ``step(x) -> 0-d loss Tensor`` on data X already on ``backend``; the loss stays
    on the device until the end."""
    import minigrad
    from minigrad.tensor import Tensor

    with minigrad.use_backend(backend):
        xp = minigrad.backend.module_for(backend)
        order = minigrad.random.generator(xp).permutation(len(X))
        total = None
        for start in range(0, len(X), batch):
            x = Tensor._wrap(X[order[start:start + batch]])
            part_sum = step(x).data * len(x)  # at once: a graphed step's loss is overwritten by its next call
            total = part_sum if total is None else total + part_sum
        return float(total) / len(X)  # the one host sync of the epoch


def minigrad_epoch(model, optimizer, X, batch, backend):
    return minigrad_steps_epoch(minigrad_step(model, optimizer), X, batch, backend)


def minigrad_graphed_epoch(graphed_step, X, batch, backend):
    """minigrad_epoch with the step replayed as a CUDA graph (a shape's first call is eager, its second
    captures): run it once first, as the warm-up epoch does, so that no capture is timed."""
    return minigrad_steps_epoch(graphed_step, X, batch, backend)


def minigrad_train_step_epoch(model, optimizers, loader, to_batch):
    total = n = 0
    for arrays in loader:
        batch = to_batch(arrays)
        total += model.train_step(batch, optimizers)["loss"] * len(batch)
        n += len(batch)
    return total / n


# ----- PyTorch ----------------------------------------------------------------------------------

def torch_graphed_step(torch, model, optimizer):
    """The whole step as a CUDA graph, PyTorch's documented recipe: one graph, static input and static
    loss per batch shape (the epoch's last batch is smaller), captured the first time the shape is seen."""
    graphs = {}

    def step(x):
        if x.shape not in graphs:
            graphs[x.shape] = torch_capture(torch, model, optimizer, x.clone())
        graph, static_x, static_loss = graphs[x.shape]
        static_x.copy_(x)
        graph.replay()
        return static_loss  # overwritten by the next replay: the epoch adds it up at once

    return step


def torch_capture(torch, model, optimizer, static_x):
    """Warm up on a side stream (cuBLAS workspaces, Adam's state; these are real optimizer steps), then
    capture one step. The grads are None at capture, so backward allocates them in the graph's pool."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            optimizer.zero_grad(set_to_none=True)
            model.loss(static_x).backward()
            optimizer.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = model.loss(static_x)
        static_loss.backward()
        optimizer.step()
    return graph, static_x, static_loss


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
    graph_correctness(rng)


def graph_correctness(rng):
    """5 steps on CuPy from the same weights (seed 1), batches and noise sequence (manual_seed(3)), eagerly
    and through ``graphed`` (which refreshes its noise from the same generator in the same order); and
    the eager steps with capturable Adam against plain Adam. The Adam check first: it needs no graphs."""
    import numpy

    batches = [rng.uniform(0, 1, (256, D)).astype(numpy.float32) for _ in range(5)]
    plain = five_steps(batches, capturable=False)
    eager = five_steps(batches, capturable=True)
    compare_steps("eager, capturable Adam vs plain Adam", eager, plain, loss_tol=1e-5, param_tol=1e-5)
    from minigrad.cuda_graph import graphed

    graph = five_steps(batches, capturable=True, wrap=graphed)
    compare_steps("CUDA graph (graphed) vs eager, capturable Adam", graph, eager, loss_tol=1e-5, param_tol=1e-4)


def five_steps(batches, capturable, wrap=None):
    """Losses (read after each step: a graphed loss is overwritten by the next call) and final parameters."""
    import minigrad

    model, optimizer = make_minigrad_vae("cupy", capturable=capturable)
    with minigrad.use_backend("cupy"):
        xs = [minigrad.tensor(x) for x in batches]
        minigrad.manual_seed(3)  # before graphed(): it may take the generator when it is built
        step = minigrad_step(model, optimizer)
        step = wrap(step) if wrap else step
        losses = [float(step(x).item()) for x in xs]  # graphed: eager, capture + replay, then replays
        params = [p.numpy() for p in model.parameters()]
    return losses, params


def compare_steps(label, got, ref, loss_tol, param_tol):
    import numpy

    (losses, params), (ref_losses, ref_params) = got, ref
    # numpy.max, not max(): a NaN must make the check fail, not be skipped
    lerr = float(numpy.max(numpy.abs(numpy.subtract(losses, ref_losses)) / numpy.abs(ref_losses)))
    perr = float(numpy.max([numpy.max(numpy.abs(p - r)) for p, r in zip(params, ref_params)]))
    ok = lerr <= loss_tol and perr <= param_tol
    print(f"{label}, 5 steps at batch 256: losses {', '.join(f'{x:.4f}' for x in losses)}; max relative loss "
          f"difference {lerr:.2e}, max parameter difference {perr:.2e}: {'OK' if ok else 'MISMATCH'}")


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
        theirs = torch_step(*make_torch_vae(torch))
        sides["PyTorch CUDA"] = lambda theirs=theirs, batch=batch: torch_epoch(torch, theirs, X_torch, batch)
        add_optional_side(sides, MINIGRAD_GRAPH, minigrad_graphed_side, X, batch)
        add_optional_side(sides, TORCH_GRAPH, torch_graphed_side, torch, X_torch, batch)
        times, losses = interleaved_epochs(sides, args.pairs, cupy, torch)
        table[batch] = (times, losses)
        ratios = ", ".join(f"{label} {ratio_text(paired_ratios(times, a, b))}"
                           for label, a, b in (("minigrad/PyTorch", "minigrad CuPy", "PyTorch CUDA"),
                                               ("graph/PyTorch graph", MINIGRAD_GRAPH, TORCH_GRAPH))
                           if paired_ratios(times, a, b) is not None)
        print(f"batch {batch}: " + ", ".join(f"{name} {statistics.median(t):.3f} s (loss {losses[name]:.1f})"
                                             for name, t in times.items()) + f"; {ratios}", flush=True)
    del numpy
    return table


def minigrad_graphed_side(X, batch):
    from minigrad.cuda_graph import graphed

    graphed_step = graphed(minigrad_step(*make_minigrad_vae("cupy", capturable=True)))
    return lambda: minigrad_graphed_epoch(graphed_step, X, batch, "cupy")


def torch_graphed_side(torch, X, batch):
    step = torch_graphed_step(torch, *make_torch_vae(torch, capturable=True))
    return lambda: torch_epoch(torch, step, X, batch)


def add_optional_side(sides, name, build, *args):
    """sides[name] = build(*args), or the side left out (traceback printed) if building it fails."""
    try:
        sides[name] = build(*args)
    except PartTimeout:
        raise
    except Exception:  # noqa: BLE001 - report and go on with the other sides
        left_out(name, "building it")


def left_out(name, when):
    print(f"{name}: left out, failed in {when}:", flush=True)
    traceback.print_exc(limit=6)


def interleaved_epochs(sides, pairs, cupy, torch):
    """Rounds of one epoch per side (A B C ...), round 0 the warm-up (compilation, graph capture).
    An optional side that raises is dropped with its times; any other failure ends the part."""
    times = {name: [] for name in sides}
    losses = {}
    for round_ in range(pairs + 1):
        for name, fn in list(sides.items()):
            try:
                seconds, losses[name] = timed_epoch(fn, cupy, torch)
            except PartTimeout:
                raise
            except Exception:  # noqa: BLE001
                if name not in OPTIONAL_SIDES:
                    raise
                left_out(name, f"epoch {round_} (0 is the warm-up)")
                for held in (sides, times, losses):
                    held.pop(name, None)
                continue
            if round_:
                times[name].append(seconds)
    return times, losses


def timed_epoch(fn, cupy, torch):
    cupy.cuda.Device().synchronize()
    torch.cuda.synchronize()
    start = time.perf_counter()
    loss = fn()
    cupy.cuda.Device().synchronize()
    torch.cuda.synchronize()
    return time.perf_counter() - start, loss


def paired_ratios(times, a, b):
    """Per-round ratios of side a's epoch to side b's (interleaved neighbours); None if a side is missing."""
    if a not in times or b not in times:
        return None
    return [x / y for x, y in zip(times[a], times[b])]


def ratio_text(ratios):
    return "" if ratios is None else f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


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


def trainer_timings(args):
    """``autoencoders train vae --backend cupy [--cuda-graph]`` itself, on the embedded MNIST subset
    (5,000 real digits, shipped in the package): the loop's tqdm-free path, its evaluation and
    checkpoints included. Seconds per training epoch (median of epochs 2-3: epoch 1 compiles and
    captures) and the final test loss of each (the two runs draw the same noise)."""
    import tempfile

    from autoencoders.training import make_config, read_metrics, train

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for graph in (False, True):
            config = make_config("vae", backend="cupy", epochs=3, batch_size=128, cuda_graph=graph)
            run_dir = Path(folder) / f"vae-{'graph' if graph else 'eager'}"
            train(config, run_dir, quiet=True)
            records = read_metrics(run_dir)
            out[graph] = (statistics.median(r["seconds"] for r in records[1:]), records[-1]["test"]["loss"])
    (eager, eager_loss), (graph, graph_loss) = out[False], out[True]
    print(f"autoencoders train vae --backend cupy (mnist-5k, batch 128): {eager:.3f} s per training epoch, "
          f"with --cuda-graph {graph:.3f} s ({eager / graph:.1f}x); final test loss {eager_loss:.4f} and "
          f"{graph_loss:.4f}", flush=True)
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
    print("\nVAE epoch (60,000 SYNTHETIC images), seconds, medians of interleaved epochs "
          "(an empty graph cell: that side failed, see above)")
    print("| batch | minigrad CuPy | kernels off | train_step + loader | PyTorch CUDA | minigrad ÷ PyTorch | "
          "minigrad CUDA graph | PyTorch CUDA graph | graph ÷ PyTorch graph | "
          "minigrad CPU (this machine) | CPU ÷ GPU | CPU ÷ GPU (graph) |")
    print("|---" * 12 + "|")
    for batch, (times, _) in gpu.items():
        med = {name: statistics.median(t) for name, t in times.items()}
        c = (cpu or {}).get(batch)
        cells = [str(batch), seconds_text(med["minigrad CuPy"]), seconds_text(med["minigrad CuPy, kernels off"]),
                 seconds_text((loop or {}).get(batch)), seconds_text(med["PyTorch CUDA"]),
                 ratio_text(paired_ratios(times, "minigrad CuPy", "PyTorch CUDA")),
                 seconds_text(med.get(MINIGRAD_GRAPH)), seconds_text(med.get(TORCH_GRAPH)),
                 ratio_text(paired_ratios(times, MINIGRAD_GRAPH, TORCH_GRAPH)),
                 "" if c is None else f"{c:.2f}",
                 speedup_text(c, med["minigrad CuPy"]), speedup_text(c, med.get(MINIGRAD_GRAPH))]
        print("| " + " | ".join(cells) + " |")
    if 1024 in gpu:
        times = gpu[1024][0]
        ratio = statistics.median(paired_ratios(times, "minigrad CuPy", "PyTorch CUDA"))
        print(f"target minigrad CuPy (eager) <= 1.2x PyTorch CUDA at batch 1024: {ratio:.2f} -> "
              f"{'met' if ratio <= 1.2 else 'NOT met'}")
        if cpu and 1024 in cpu:
            for label, name in (("eager", "minigrad CuPy"), ("CUDA graph", MINIGRAD_GRAPH)):
                target = f"target GPU ({label}) >= 20x minigrad's CPU epoch (this machine's CPU) at batch 1024"
                if name not in times:
                    print(f"{target}: not measured (the side failed, see above)")
                    continue
                speedup = cpu[1024] / statistics.median(times[name])
                print(f"{target}: {speedup:.1f}x -> {'met' if speedup >= 20 else 'NOT met'}")


def seconds_text(seconds):
    return "" if seconds is None else f"{seconds:.3f}"


def speedup_text(cpu_seconds, gpu_seconds):
    return "" if cpu_seconds is None or gpu_seconds is None else f"{cpu_seconds / gpu_seconds:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="128,1024")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--part-timeout", type=int, default=150)
    parser.add_argument("--skip-cpu", action="store_true")
    args = parser.parse_args()
    args.batches = [int(b) for b in args.batches.split(",")]
    part("environment", 30, environment)
    part("correctness: one VAE step, NumPy vs CuPy; 5 steps, eager vs CUDA graph", 90, correctness, args)
    gpu = part("GPU epochs: minigrad CuPy vs PyTorch CUDA, eager and CUDA graphs", args.part_timeout,
               gpu_timings, args)
    report(gpu, None, None)  # printed now too, in case a later part runs out of time
    loop = part("GPU epochs through the training loop's path", args.part_timeout // 3, loop_timings, args)
    part("the training loop itself, eager and --cuda-graph", args.part_timeout // 3, trainer_timings, args)
    cpu = None if args.skip_cpu else part("CPU epochs: minigrad NumPy", args.part_timeout * 2 // 3, cpu_timings, args)
    report(gpu, loop, cpu)


if __name__ == "__main__":
    main()
