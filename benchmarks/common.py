"""What the benchmarks share: thread settings, the machine's description, interleaved timing, tables.

Protocol (docs/benchmarks.md): every side of a comparison runs in the same process, the
sides interleaved (A B C A B C ...), each sample timed with the wall clock and the process
CPU clock; the table shows each side's median and the median and range of the *paired*
ratios (sample i of A over sample i of the reference). Only ratios measured side by side
mean anything on a shared machine: absolute seconds move by 2x between runs.

Import this module before NumPy when the thread count is set from the command line
(``set_threads`` writes the environment variables the BLAS libraries read at load time).
"""

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def set_threads(n):
    """Use ``n`` BLAS/OpenMP threads (call before NumPy or torch is imported); None leaves them."""
    if n is None:
        return
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)


def torch_or_none(threads=None):
    """PyTorch if it is importable (an optional comparison, never a dependency), else None."""
    try:
        import torch
    except ImportError:
        return None
    if threads is not None:
        torch.set_num_threads(int(threads))
    return torch


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor() or "unknown CPU"


def blas_description():
    """Which BLAS kernels run, from threadpoolctl when it is installed (pip install threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl to see which BLAS kernel runs)"
    parts = []
    for info in threadpool_info():
        name = info.get("internal_api", "?")
        arch = info.get("architecture")
        parts.append(f"{name} {info.get('version') or ''} {arch or ''} {info.get('num_threads')} threads".strip())
    return "; ".join(parts) or "no BLAS/OpenMP pool found"


def describe_machine():
    """One paragraph: CPU, cores, Python, NumPy, BLAS (and torch when present), environment knobs."""
    import numpy

    lines = [f"machine: {cpu_model()}, {os.cpu_count()} CPUs; Python {platform.python_version()}, "
             f"numpy {numpy.__version__}"]
    torch = sys.modules.get("torch")
    if torch is not None:
        lines[0] += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    lines.append(f"BLAS: {blas_description()}")
    knobs = {k: os.environ[k] for k in THREAD_VARIABLES + ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
             if k in os.environ}
    lines.append("environment: " + (", ".join(f"{k}={v}" for k, v in knobs.items()) or "no BLAS variables set"))
    try:
        lines.append(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    except OSError:
        pass
    return "\n".join(lines)


def interleaved(sides, rounds, warmup=1, on_round=None):
    """Run each ``(name, fn)`` of ``sides`` in turn, ``rounds`` times (after ``warmup`` untimed rounds).

    Returns {name: [(wall_seconds, cpu_seconds), ...]} with one entry per round. ``on_round(label,
    results)``, if given, is called after every round, the warm-up ones too ("warm-up", "round 1",
    ...), with ``results`` = {name: (wall_seconds, cpu_seconds, what fn returned)}: progress for
    benchmarks whose rounds take seconds.
    """
    samples = {name: [] for name, _ in sides}
    for index in range(-warmup, rounds):
        results = {}
        for name, fn in sides:
            wall, cpu = time.perf_counter(), time.process_time()
            value = fn()
            results[name] = (time.perf_counter() - wall, time.process_time() - cpu, value)
        if index >= 0:
            for name, (wall, cpu, _) in results.items():
                samples[name].append((wall, cpu))
        if on_round is not None:
            on_round("warm-up" if index < 0 else f"round {index + 1}", results)
    return samples


def paired(samples, name, reference, which=0):
    """Median and range of sample-by-sample ratios name/reference (which=0: wall, 1: CPU time)."""
    ratios = [a[which] / b[which] for a, b in zip(samples[name], samples[reference])]
    return statistics.median(ratios), min(ratios), max(ratios)


def median(samples, name, which=0):
    return statistics.median(s[which] for s in samples[name])


def ratio_text(samples, name, reference, which=0):
    med, low, high = paired(samples, name, reference, which)
    return f"{med:.2f} ({low:.2f}-{high:.2f})"


def table(header, rows):
    """A Markdown table (the docs paste it as it is)."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def verdict(value, target, below=True):
    """'met' / 'NOT met' for a ratio against its target (below=True: smaller is better)."""
    ok = value <= target if below else value >= target
    return "met" if ok else "NOT met"


def minigrad_adam_mse_step(model, lr=1e-3):
    """One minigrad training step of ``model`` as an autoencoder (MSE to its input, Adam), taking
    a host array: the minigrad side of the step benchmarks, written as torch_adam_mse_step is."""
    import minigrad
    from minigrad import functional as F, optim

    opt = optim.Adam(model.parameters(), lr=lr)

    def step(x):
        x = minigrad.Tensor(x)  # wraps the batch, no copy (as torch.from_numpy)
        opt.zero_grad()
        loss = F.mse_loss(model(x), x)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_adam_mse_step(torch, model, lr=1e-3):
    """One PyTorch training step of ``model`` as an autoencoder (MSE to its input, Adam),
    taking a host array: the reference side of the step benchmarks."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    mse = torch.nn.functional.mse_loss

    def step(x):
        x = torch.from_numpy(x)
        opt.zero_grad()
        loss = mse(model(x), x)
        loss.backward()
        opt.step()
        return loss.item()

    return step
