"""A training step captured once as a CUDA graph and replayed with one launch (CuPy).

On a GPU, one VAE step is about a hundred kernel launches of a few microseconds of work each;
Python decides every launch, so at small and middling sizes the GPU waits on the interpreter.
A CUDA graph records the launches of one call and replays all of them with one::

    step = minigrad.cuda_graph.graphed(train_step)   # train_step(x, ...) -> Tensors
    for x in batches:                                # Tensors (or arrays) on the device
        loss = step(x)                               # read it before the next call

For each input signature (backend, shapes, dtypes) the first call runs ``train_step`` as it
is: a warm-up that compiles the kernels and makes the optimizer's state. The second call
captures it and replays it; later calls copy their inputs into the graph's own input arrays
and replay. The rules are those of PyTorch's ``torch.cuda.graphs``, checked where we can:

* Only device work is replayed. Python runs once, at capture: a Python value the step
  computes (a schedule's β, a counter) keeps its capture-time value, and so does every
  ``if``. Where a value must change per step, keep it in a device array.
* The step may not wait for the device: ``.item()``, ``float(t)``, printing a device value
  or copying a host array to the device inside it raise :class:`CaptureError` at capture.
* The outputs are the same Tensors at every replay, overwritten by the next call.
* ``minigrad.random.normal``/``uniform`` give fresh numbers at every replay: their arrays
  are refilled from the seeded generator before each launch, in the order the step drew
  them, so a captured run draws the numbers an uncaptured one would.
  ``minigrad.random.generator()`` inside the step is refused (its draws would be frozen).
* Optimizers: ``Adam``/``AdamW`` need ``capturable=True`` (their step count then lives on
  the device). Hyperparameters are those of the capture: changing one (a learning-rate
  scheduler) raises at the next call; call :meth:`GraphedStep.reset` to capture again.
  Optimizer state must exist before the capture, and a parameter's array or the state may
  not be replaced afterwards (``load_state_dict``): both raise instead of replaying stale
  arrays.
* Memory: the arrays made during a capture come from a private memory pool that lives as
  long as the process, because a replay writes into them whatever else is allocated.

On NumPy (and the strict test backend) nothing is captured: every call runs the function,
with the same checks at the call that would capture and at later ones, so code that runs
under ``graphed`` on the CPU runs on the GPU.
"""

import contextlib

from minigrad import backend as _backend

_session = None         # the capture in progress, if any (captures are not nested or threaded)
_private_pools = []     # CuPy memory pools of captured graphs: kept for the process, see above
_stream = None          # the stream every capture runs on (CUDA cannot capture the default stream)


class CaptureError(RuntimeError):
    """A step cannot be captured, or a captured step can no longer be replayed as it was."""


def active_session():
    """The capture in progress (a :class:`CaptureSession`), or None."""
    return _session


def graphed(fn):
    """``fn`` as a :class:`GraphedStep`: captured as a CUDA graph on CuPy (see the module docstring)."""
    return GraphedStep(fn)


class CaptureSession:
    """What one capture collects: the random arrays to refill and the optimizers stepped."""

    def __init__(self, on_device):
        self.on_device = on_device
        self.random_refills = []   # (array, draw): draw() gives that array's next numbers
        self.optimizers = []

    def random(self, xp, shape, dtype, sample):
        """An array for ``sample(shape, dtype, xp)``'s numbers, refilled before every replay."""
        if not (self.on_device and xp.__name__.startswith("cupy")):
            return sample(shape, dtype, xp)
        array = xp.empty(tuple(shape), dtype)
        self.random_refills.append((array, lambda: sample(shape, dtype, xp)))
        return array

    def add_optimizer(self, optimizer):
        problem = optimizer._capture_problem()
        if problem:
            raise CaptureError(f"graphed step: {problem}")
        if not any(optimizer is seen for seen in self.optimizers):
            self.optimizers.append(optimizer)


class _OptimizerRecord:
    """An optimizer as it was captured: its hyperparameters and the arrays the graph updates."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.hyperparameters = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
        self.params = [(p, p.data, p.grad, _arrays(optimizer.state.get(p)))
                       for group in optimizer.param_groups for p in group["params"]]

    def check(self):
        name = type(self.optimizer).__name__
        groups = self.optimizer.param_groups
        if len(groups) != len(self.hyperparameters):
            raise CaptureError(f"graphed step: {name} has {len(groups)} parameter groups but was captured with "
                               f"{len(self.hyperparameters)}; call reset() on the graphed step to capture it again")
        for index, (group, captured) in enumerate(zip(groups, self.hyperparameters)):
            for key, value in captured.items():
                if group.get(key) != value:
                    raise CaptureError(
                        f"graphed step: {name}'s parameter group {index} has {key}={group.get(key)!r}, but the step "
                        f"was captured with {key}={value!r} and a replay would go on using that. Call reset() on the "
                        "graphed step after changing hyperparameters (the next calls capture it again)")
        state = self.optimizer.state
        for index, (p, data, _, buffers) in enumerate(self.params):
            if p.data is not data:
                raise CaptureError(f"graphed step: the array of {name}'s parameter {index} {p.shape} was replaced "
                                   "after the capture (p.data = ...), and the graph updates the old one. Write "
                                   "parameters in place, or call reset() on the graphed step")
            now = _arrays(state.get(p))
            if len(now) != len(buffers) or any(a is not b for a, b in zip(now, buffers)):
                raise CaptureError(f"graphed step: {name}'s state of parameter {index} {p.shape} was replaced after "
                                   "the capture (load_state_dict?), and the graph updates the old arrays. Call "
                                   "reset() on the graphed step after loading state")

    def replayed(self, count_step):
        """Give back the gradients the graph writes, and count the step where the count is on the host."""
        state = self.optimizer.state
        for p, _, grad, _ in self.params:
            p.grad = grad
            buffers = state.get(p)
            if count_step and grad is not None and buffers is not None and type(buffers.get("step")) is int:
                buffers["step"] += 1


def _arrays(buffers):
    """The arrays among an optimizer's state buffers (held, so their memory outlives the graph's use)."""
    return tuple(v for v in buffers.values() if hasattr(v, "shape")) if buffers else ()


class GraphedStep:
    """A function whose calls are replays of a CUDA graph on CuPy (see the module docstring)."""

    def __init__(self, fn):
        self.fn = fn
        self._warmed_up = set()
        self._captures = {}
        self._pool = None

    def __repr__(self):
        return f"GraphedStep({getattr(self.fn, '__qualname__', self.fn)!r}, {len(self._captures)} captured)"

    def reset(self):
        """Drop the captured graphs: the next call with each input signature captures again."""
        self._captures.clear()

    def __call__(self, *inputs):
        arrays = [_array_of(x, index) for index, x in enumerate(inputs)]
        key = tuple((_backend.backend_of(a), a.shape, a.dtype.str) for a in arrays)
        capture = self._captures.get(key)
        if capture is not None:
            return capture.replay(arrays, inputs)
        if key not in self._warmed_up:
            outputs = self.fn(*inputs)
            self._warmed_up.add(key)
            return outputs
        on_device = bool(key) and key[0][0] == "cupy"
        capture = self._capture_on_device(arrays, inputs) if on_device else _HostCapture(self.fn, inputs)
        self._captures[key] = capture
        return capture.replay(arrays, inputs) if on_device else capture.outputs

    def _capture_on_device(self, arrays, inputs):
        global _session, _stream
        cupy = _backend.module_for("cupy")
        from minigrad import cublas
        from minigrad.tensor import Tensor

        if _stream is None:
            _stream = cupy.cuda.Stream(non_blocking=True)
        if self._pool is None:
            self._pool = cupy.cuda.MemoryPool()
            _private_pools.append(self._pool)
        cublas.prepare(_stream)  # CuPy's matmul refuses to be captured: minigrad.cublas calls cuBLAS itself

        inputs_in_graph = [cupy.empty_like(a) for a in arrays]
        args = [Tensor._wrap(s) if isinstance(x, Tensor) else s for s, x in zip(inputs_in_graph, inputs)]
        session = CaptureSession(on_device=True)
        with cupy.cuda.using_allocator(self._pool.malloc), _stream, products_through_cublas():
            _session = session
            _stream.begin_capture()
            try:
                outputs = self.fn(*args)
            except BaseException as exc:
                _abandon(_stream)
                if not isinstance(exc, CaptureError) and _is_cuda_error(exc):
                    raise CaptureError(
                        f"graphed step: the step did something a CUDA graph cannot record ({exc}). Usually it "
                        "waits for the device: .item(), float(tensor), an `if` on a device value, printing one, or "
                        "copying a host array to the device inside the step. Move that out of the step: read the "
                        "Tensors it returns after the call") from exc
                raise
            finally:
                _session = None
            graph = _stream.end_capture()
        return _DeviceCapture(graph, inputs_in_graph, outputs, session)


@contextlib.contextmanager
def products_through_cublas():
    """The ops' matrix products (:mod:`minigrad.gemm`) call cuBLAS directly for the block, which a
    capture records (CuPy's own matmul refuses to run while a stream captures)."""
    from minigrad import cublas, gemm

    saved = gemm.matmul, gemm.matmul_into
    gemm.matmul = gemm.matmul_into = cublas.matmul
    try:
        yield
    finally:
        gemm.matmul, gemm.matmul_into = saved


def _array_of(x, index):
    from minigrad.tensor import Tensor

    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        _backend.backend_of(x)  # a TypeError for arrays of no backend
        return x
    raise TypeError(f"graphed step: input {index} is a {type(x).__name__}; a graphed step takes Tensors or arrays "
                    "(its inputs are copied into the graph's input arrays at each call)")


def _abandon(stream):
    try:
        stream.end_capture()
    except Exception:  # an invalidated capture also fails to end: nothing to keep
        pass


def _is_cuda_error(exc):
    """A CUDA error, or CuPy refusing a synchronous call on a capturing stream."""
    return (type(exc).__module__.startswith("cupy") or "cuda" in type(exc).__name__.lower()
            or "captur" in str(exc).lower())


class _DeviceCapture:
    def __init__(self, graph, inputs_in_graph, outputs, session):
        self.graph = graph
        self.inputs_in_graph = inputs_in_graph
        self.outputs = outputs
        self.random_refills = session.random_refills
        self.optimizers = [_OptimizerRecord(o) for o in session.optimizers]
        from minigrad.tensor import _scalars

        self.constants = tuple(_scalars.values())  # the graph reads them: kept alive while it may replay
        self._replayed_once = False

    def replay(self, arrays, inputs):
        for record in self.optimizers:
            record.check()  # before anything is launched
        for target, array in zip(self.inputs_in_graph, arrays):
            target[...] = array
        for array, draw in self.random_refills:
            array[...] = draw()
        self.graph.launch()
        for record in self.optimizers:  # the capture ran the step's Python once: that counted the first replay
            record.replayed(count_step=self._replayed_once)
        self._replayed_once = True
        return self.outputs


class _HostCapture:
    """NumPy's stand-in for a capture: the function runs at every call, under the same checks."""

    def __init__(self, fn, inputs):
        global _session
        self.fn = fn
        session = CaptureSession(on_device=False)
        _session = session
        try:
            self.outputs = fn(*inputs)
        finally:
            _session = None
        self.optimizers = [_OptimizerRecord(o) for o in session.optimizers]

    def replay(self, arrays, inputs):
        for record in self.optimizers:
            record.check()
        return self.fn(*inputs)
