"""Where a training step's time goes at its real size: the interpreter, BLAS, NumPy's loops.

    python3.12 benchmarks/interpreter_time.py --workload mlp --side minigrad
    python3.12 benchmarks/interpreter_time.py --workload mlp --side handwritten
    python3.12 benchmarks/interpreter_time.py --workload vae --side minigrad --steps 3000

Needs Linux ``perf`` and CPython >= 3.12, whose ``-X perf`` names every Python function in
perf's call graphs. The workload runs twice under ``perf record`` (with no steps, then with
``--steps``), and the difference of the two is the steps' own: per step, the CPU time in each
shared object (libpython is the interpreter; the BLAS library; NumPy's ``_multiarray_umath``),
and the interpreter's time charged to the innermost Python function running (a sample whose
innermost native frame is in libpython). Micro-benchmarks of the engine's Python underrate it:
at the real size the caches are full of the step's arrays, and every Python operation costs
several times more. Workloads those of ``compare_trees.py`` (synthetic images, no data files):
``mlp`` (784-64-784, batch 32, Adam), ``vae`` (784-400-20, batch 128).
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

RATE = 999  # samples per second of CPU time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("mlp", "vae"), default="mlp")
    parser.add_argument("--side", choices=("minigrad", "handwritten"), default="minigrad")
    parser.add_argument("--steps", type=int, default=None, help="steps measured (default: mlp 8000, vae 1500)")
    parser.add_argument("--top", type=int, default=20, help="Python functions listed (default 20)")
    parser.add_argument("--run-steps", type=int, default=None, help=argparse.SUPPRESS)  # the child process
    return parser.parse_args(argv)


def run_steps(workload, side, steps):
    """The child: ``steps`` training steps of one side, after the imports and the set-up
    (the workloads of ``compare_trees.py``)."""
    benchmarks = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, benchmarks)
    import numpy as np
    from compare_trees import load, make_step

    images = np.random.default_rng(0).random((4096, 784), dtype=np.float32)
    step = make_step(load(os.path.dirname(benchmarks), workload), workload, images, side)
    for i in range(steps):
        step(i)


def profile(args, steps):
    """(samples per shared object, interpreter samples per Python function) of one child run."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        child = [sys.executable, "-X", "perf", __file__, "--workload", args.workload, "--side", args.side,
                 "--run-steps", str(steps)]
        subprocess.run(["perf", "record", "-q", "--call-graph", "dwarf,16384", "-F", str(RATE), "-o", data, *child],
                       check=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        script = subprocess.run(["perf", "script", "-i", data], check=True, capture_output=True, text=True).stdout
    objects, functions = collections.Counter(), collections.Counter()
    for sample in script.split("\n\n"):
        frames = [line.strip() for line in sample.strip().splitlines()[1:] if line.strip()]
        if not frames:
            continue
        leaf = next((f for f in frames if not f.endswith("(inlined)")), frames[0])
        found = re.search(r"\(([^()]*)\)$", leaf)
        name = os.path.basename(found.group(1)) if found else "?"
        name = "libpython (the interpreter)" if "libpython" in name else name
        objects[name] += 1
        if name.startswith("libpython"):
            python = next((f for f in frames if "py::" in f), None)
            function = re.search(r"py::(.*?)\+0x", python).group(1) if python else "(no Python frame)"
            functions[function.replace(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/", "")] += 1
    return objects, functions


def main():
    args = parse_args()
    steps = args.steps or (8000 if args.workload == "mlp" else 1500)
    if args.run_steps is not None:
        return run_steps(args.workload, args.side, args.run_steps)
    if sys.version_info < (3, 12):
        sys.exit("interpreter_time.py needs CPython >= 3.12 (for -X perf); run it with python3.12")
    start_objects, start_functions = profile(args, 0)
    objects, functions = profile(args, steps)
    per_step = 1e6 / RATE / steps
    print(f"{args.workload}, {args.side}: {steps} steps; µs of CPU per step (perf samples at {RATE} Hz, "
          "the set-up-only run subtracted)")
    for name, count in (objects - start_objects).most_common(8):
        print(f"  {count * per_step:8.1f}  {name}")
    print("the interpreter's time by the Python function running:")
    for name, count in (functions - start_functions).most_common(args.top):
        print(f"  {count * per_step:8.1f}  {name}")


if __name__ == "__main__":
    main()
