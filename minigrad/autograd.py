"""Reverse-mode automatic differentiation: function nodes and the backward pass.

Every operation is a :class:`Function`. Calling one runs ``forward`` on raw arrays
and, when gradients are wanted, records a node of the graph: the function keeps
strong references to its input tensors and *weak* references to its outputs, while
each output keeps a strong reference to the function that created it (its
``creator``). Dropping the final tensor therefore frees the whole graph: there is
no reference cycle.

``backward`` receives the gradients of the outputs as :class:`~minigrad.Tensor`
objects and returns the gradients of the inputs, written with minigrad ops. Under
``create_graph=True`` those ops are themselves recorded, which is how second
derivatives (``gradgradcheck``, the contractive penalty) come for free.

The backward pass visits functions in decreasing ``generation`` (one more than the
largest generation of its inputs) with a heap, iteratively: a node's gradient is
complete before it is used, and a chain of 10,000 ops needs no recursion.
"""

import contextlib
import heapq
import traceback
import weakref

from minigrad.backend import get_array_module

_tensor = None  # the minigrad.tensor module, bound when it is imported (it imports this one)
_wrap = None    # Tensor._wrap, bound at the same time


class Config:
    """Global switches of the engine (use the context managers, not these fields)."""

    enable_grad = True
    anomaly = False
    backward_hook = None  # callable(function, grad_outputs, grad_inputs), see minigrad.viz.trace_backward


class _set_grad_enabled(contextlib.ContextDecorator):
    """Set ``Config.enable_grad`` for a block (a class, not a generator: entered every step)."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.previous = Config.enable_grad
        Config.enable_grad = self.mode

    def __exit__(self, *exc_info):
        Config.enable_grad = self.previous

    def _recreate_cm(self):  # as a decorator, a fresh one per call (recursion-safe)
        return type(self)(self.mode)


def no_grad():
    """Context manager in which no graph is recorded (evaluation, optimizer updates)."""
    return _set_grad_enabled(False)


def enable_grad():
    """Context manager that turns graph recording back on inside ``no_grad``."""
    return _set_grad_enabled(True)


def is_grad_enabled():
    return Config.enable_grad


class AnomalyError(FloatingPointError):
    """A NaN or Inf appeared while :func:`detect_anomaly` was active."""


@contextlib.contextmanager
def detect_anomaly():
    """Raise at the first NaN/Inf produced in forward or backward, naming the op and
    the line of user code that created it. Slower: use it to debug, not to train."""
    previous = Config.anomaly
    Config.anomaly = True
    try:
        yield
    finally:
        Config.anomaly = previous


def _user_frame(stack):
    """The innermost frame of the stack that is not inside minigrad itself."""
    for frame in reversed(stack):
        if "/minigrad/" not in frame.filename.replace("\\", "/"):
            return frame
    return stack[-1] if stack else None


def _check_finite(function, arrays, where):
    for index, array in enumerate(arrays):
        if array is None:
            continue
        xp = get_array_module(array)
        if xp.issubdtype(array.dtype, xp.floating) and not bool(xp.isfinite(array).all()):
            frame = _user_frame(getattr(function, "_stack", None) or [])
            origin = f" (created at {frame.filename}:{frame.lineno}: {frame.line})" if frame else ""
            kind = "NaN" if bool(xp.isnan(array).any()) else "Inf"
            raise AnomalyError(f"{function.name}: {kind} in {where} {index}{origin}")


class Function:
    """Base class of every differentiable operation, library ops and user ops alike.

    Subclass it and write two methods side by side::

        class Cube(Function):
            '''y = x³ ;  dy/dx = 3x²'''
            def forward(self, x):            # raw arrays in, raw array(s) out
                return x ** 3
            def backward(self, gy):          # Tensors in, Tensors out
                x, = self.inputs
                return gy * 3 * x ** 2

        y = Cube()(x)

    ``forward`` receives the arrays of the inputs (NumPy or CuPy: take the array
    module with ``xp = get_array_module(x)``) and returns an array or a tuple of
    arrays. ``backward`` receives one gradient Tensor per output and returns one
    gradient per input (a tuple, or a single Tensor for one input; None for an input
    that gets no gradient). Write it with minigrad ops on ``self.inputs`` (Tensors)
    so that it can itself be differentiated. A Function object is used once.
    """

    inputs = None
    outputs = None
    generation = 0
    _freed = False  # set by release(); a class default keeps the backward loop's check a plain lookup
    _queued_by = None  # the backward pass that has put this function on its heap

    @property
    def name(self):
        return type(self).__name__

    def __call__(self, *inputs):
        # This is the hottest path of the engine (every op of every step goes through it):
        # plain loops and local lookups, and a fast lane for the common single output.
        tensor_type = _tensor.Tensor
        for x in inputs:
            if not isinstance(x, tensor_type):
                inputs = tuple([_tensor.as_tensor(x, like=inputs) for x in inputs])
                break
        anomaly = Config.anomaly
        if anomaly:
            self._stack = traceback.extract_stack()[:-1]
        if len(inputs) == 1:
            ys = self.forward(inputs[0].data)
        else:
            arrays = [t.data for t in inputs]
            first = type(arrays[0])
            for array in arrays:
                if type(array) is not first:
                    get_array_module(*arrays, op=self.name)  # refuses mixed backends
                    break
            ys = self.forward(*arrays)
        if type(ys) is tuple or anomaly:
            return self._finish(inputs, ys, anomaly)
        out = _wrap(ys)
        if Config.enable_grad:
            generation = -1
            for t in inputs:
                if t.requires_grad and t.generation > generation:
                    generation = t.generation
            if generation >= 0:  # some input requires grad: link this node into the graph
                self.generation = generation
                self.inputs = inputs
                self.outputs = (weakref.ref(out),)
                out.creator = self
                out.generation = generation + 1
                out.requires_grad = True
        return out

    def _finish(self, inputs, ys, anomaly):
        """The general end of ``__call__``: several outputs, or anomaly checks."""
        outputs = tuple(map(_wrap, ys)) if type(ys) is tuple else (_wrap(ys),)
        if anomaly:
            _check_finite(self, [o.data for o in outputs], "output")
        if Config.enable_grad:
            for t in inputs:
                if t.requires_grad:
                    self._record(inputs, outputs)
                    break
        return outputs[0] if len(outputs) == 1 else outputs

    def _record(self, tensors, outputs):
        """Link this function into the graph between its inputs and outputs."""
        generation = 0
        for t in tensors:
            if t.generation > generation:
                generation = t.generation
        self.generation = generation
        generation += 1
        for output in outputs:
            output.creator = self
            output.generation = generation
            output.requires_grad = True
        self.inputs = tensors
        if len(outputs) == 1:
            self.outputs = (weakref.ref(outputs[0]),)
        else:
            self.outputs = tuple([weakref.ref(o) for o in outputs])
            self._output_meta = [(o.shape, o.dtype) for o in outputs]

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.name}.forward is not written yet")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{self.name}.backward is not written yet")

    def release(self):
        """Drop what forward kept for backward (called after backward unless retain_graph)."""
        self.__dict__.clear()
        self._freed = True


def _grad_outputs_of(function):
    """The gradients of a function's outputs; zeros for an output that nobody used."""
    grads = []
    for index, ref in enumerate(function.outputs):
        output = ref()
        grad = None if output is None else output._pending_grad
        if grad is None:  # an output nobody used: its gradient is zero
            shape, dtype = function._output_meta[index]
            xp = get_array_module(function.inputs[0].data)
            grad = _wrap(xp.zeros(shape, dtype=dtype))
        grads.append(grad)
    return grads


def _call_backward(function, grad_outputs):
    """``function.backward``. Under detect_anomaly the ops inside it are not checked one
    by one: a NaN/Inf is reported below as the gradient of ``function`` itself, naming it
    and the line that created it (not a helper op and the line of ``backward()``)."""
    if not Config.anomaly:
        return function.backward(*grad_outputs)
    Config.anomaly = False
    try:
        return function.backward(*grad_outputs)
    finally:
        Config.anomaly = True


def _refuse_gradient_shapes(function, inputs, grads):
    for index, (x, gx) in enumerate(zip(inputs, grads)):
        if gx is not None and x.requires_grad and gx.data.shape != x.data.shape:
            raise RuntimeError(
                f"{function.name}.backward returned a gradient of shape {gx.shape} for input "
                f"{index} of shape {x.shape}"
            )


def run_backward(outputs, grad_outputs, *, retain_graph=False, create_graph=False, inputs=None, allow_unused=False):
    """The backward pass shared by ``Tensor.backward`` and :func:`grad`.

    With ``inputs=None`` gradients are accumulated into the ``.grad`` of the leaves
    (and of tensors that called ``retain_grad()``). Otherwise the gradients of
    ``inputs`` are returned and no ``.grad`` is touched.
    """
    # Each tensor collects its incoming gradient in ``_pending_grad`` while the pass
    # runs; ``touched`` remembers them so they can be cleared at the end. ``heap`` holds
    # (−generation, order, function): the function created last comes out first.
    # (The loop is written out flat, without helper calls: it runs once per graph edge.)
    touched = []
    heap = []
    this_pass = object()  # the mark this pass leaves on the functions it has queued
    queued = 0
    push = heapq.heappush
    pop = heapq.heappop
    anomaly = Config.anomaly
    hook = Config.backward_hook
    results = None
    previous_mode = Config.enable_grad
    Config.enable_grad = create_graph  # the backward ops are recorded only under create_graph
    try:
        for output, grad in zip(outputs, grad_outputs):
            if output._pending_grad is None:
                output._pending_grad = grad
                touched.append(output)
            else:
                output._pending_grad = output._pending_grad + grad
            creator = output.creator
            if creator is not None and creator._queued_by is not this_pass:
                creator._queued_by = this_pass
                queued += 1
                push(heap, (-creator.generation, queued, creator))
        while heap:
            function = pop(heap)[2]
            if function._freed:
                raise RuntimeError(
                    "Trying to backward through the graph a second time: the values saved by the first "
                    "backward() were freed. Pass retain_graph=True to the first backward() (or to grad()) "
                    "if you need to backward twice."
                )
            if len(function.outputs) == 1:  # the common case; the output is alive, a gradient reached it
                grad_outputs_here = (function.outputs[0]()._pending_grad,)
            else:
                grad_outputs_here = _grad_outputs_of(function)
            if anomaly:
                grad_inputs = _call_backward(function, grad_outputs_here)
            else:
                grad_inputs = function.backward(*grad_outputs_here)
            if type(grad_inputs) is not tuple:
                grad_inputs = (grad_inputs,)
            inputs_here = function.inputs
            if len(grad_inputs) != len(inputs_here):
                raise RuntimeError(
                    f"{function.name}.backward returned {len(grad_inputs)} gradients for "
                    f"{len(inputs_here)} inputs"
                )
            if anomaly:
                _check_finite(function, [g.data for g in grad_inputs if g is not None], "gradient of input")
            if hook is not None:
                hook(function, grad_outputs_here, grad_inputs)
            for x, gx in zip(inputs_here, grad_inputs):
                if gx is None or not x.requires_grad:
                    continue
                if gx.data.shape != x.data.shape:
                    _refuse_gradient_shapes(function, inputs_here, grad_inputs)
                if x._pending_grad is None:  # the first gradient to reach x
                    x._pending_grad = gx
                    touched.append(x)
                else:                        # x was used more than once: the gradients add up
                    x._pending_grad = x._pending_grad + gx
                creator = x.creator
                if creator is not None and creator._queued_by is not this_pass:
                    creator._queued_by = this_pass
                    queued += 1
                    push(heap, (-creator.generation, queued, creator))
            if not retain_graph:
                function.release()
        if inputs is None:
            for tensor in touched:
                if tensor.creator is None or tensor._retains_grad:
                    grad = tensor._pending_grad
                    tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        else:
            results = []
            for index, tensor in enumerate(inputs):
                grad = tensor._pending_grad
                if grad is None and not allow_unused:
                    raise RuntimeError(
                        f"grad: input {index} (shape {tensor.shape}) is not part of the graph of the "
                        "outputs (pass allow_unused=True to get None for it)"
                    )
                results.append(grad)
    finally:
        Config.enable_grad = previous_mode
        for tensor in touched:
            tensor._pending_grad = None
    return results


def grad(outputs, inputs, grad_outputs=None, *, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple.

    Like ``torch.autograd.grad``: nothing is accumulated into ``.grad``. With
    ``create_graph=True`` the returned gradients are part of a graph themselves and
    can be differentiated again (the graph is then retained by default).
    """
    from minigrad.tensor import Tensor, ones_like_tensor

    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = []
        for output in outputs:
            if output.size != 1:
                raise RuntimeError(
                    f"grad: grad_outputs can be omitted only for outputs with one element; got shape {output.shape}"
                )
            grad_outputs.append(ones_like_tensor(output))
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for index, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"grad: input {index} (shape {tensor.shape}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward(
        outputs, list(grad_outputs), retain_graph=retain_graph, create_graph=create_graph, inputs=inputs,
        allow_unused=allow_unused,
    )
    return tuple(results)
