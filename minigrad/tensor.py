"""The Tensor: an array of the active backend plus what autodiff needs.

A Tensor holds ``data`` (a NumPy or CuPy array), ``grad`` (a Tensor, filled by
``backward``), ``requires_grad``, and ``creator``: the :class:`Function` whose output
it is (None for leaves). Operators and methods only forward to the functions of
:mod:`minigrad.functions`; all the math lives there.

Gradient semantics (as in PyTorch): ``backward()`` *accumulates* into ``.grad`` of
leaf tensors; call ``zero_grad()`` (or an optimizer's ``zero_grad()``) between steps.
Non-leaf tensors keep their gradient only after ``retain_grad()``.
"""

import operator
import sys

import numpy

from minigrad import backend as _backend
from minigrad.autograd import run_backward


class Tensor:
    # Class-level defaults keep the constructor of op outputs (``_wrap``) to one assignment.
    grad = None
    requires_grad = False
    creator = None
    generation = 0
    name = None
    _pending_grad = None
    _retains_grad = False
    __array_ufunc__ = None  # ``numpy_array * tensor`` defers to Tensor.__rmul__

    def __init__(self, data, requires_grad=False, name=None):
        if type(data) is numpy.ndarray:  # the common case, at once
            pass
        elif isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, numpy.generic):
            data = numpy.asarray(data)
        elif not _is_backend_array(data):
            raise TypeError(
                f"Tensor() wraps an array of a backend, got {type(data).__name__}; use minigrad.tensor(...) "
                "to build one from Python numbers or lists"
            )
        self.data = data  # the other attributes keep their class defaults unless given
        if requires_grad:
            if not _is_float(data.dtype):
                raise TypeError(f"only floating point tensors can require gradients, got dtype {data.dtype}")
            self.requires_grad = True
        if name is not None:
            self.name = name

    @staticmethod
    def _wrap(array):
        """Fast internal constructor for arrays produced by ops."""
        return _wrap_array(array)

    # ----- array facts -------------------------------------------------------------
    shape = property(operator.attrgetter("data.shape"))  # a tuple on every backend
    dtype = property(operator.attrgetter("data.dtype"))
    ndim = property(operator.attrgetter("data.ndim"))
    size = property(lambda self: int(self.data.size))
    backend = property(lambda self: _backend.backend_of(self.data))
    is_leaf = property(lambda self: self.creator is None)

    @property
    def xp(self):
        """The array module of this tensor's data."""
        return _backend.get_array_module(self.data)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        text = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = [] if self.backend == "numpy" else [f"backend={self.backend!r}"]
        if self.dtype != numpy.float32:
            extra.append(f"dtype={self.dtype}")
        if self.creator is not None:
            extra.append(f"grad_fn={self.creator.name}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([text] + extra) + ")"

    def item(self):
        """The value of a one-element tensor as a Python number (syncs with the GPU)."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors convert to Python numbers, got shape {self.shape}")
        return self.data.item()

    def numpy(self):
        """A host NumPy copy of the data (detached from the graph)."""
        return numpy.array(_backend.to_numpy(self.data), copy=True)

    def tolist(self):
        return self.numpy().tolist()

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous")
        return bool(self.data.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    __hash__ = object.__hash__

    # ----- autodiff ----------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` is the gradient of some scalar with respect to this tensor (a Tensor or
        array of its shape, or a Python number for a 0-d tensor); it may be omitted for
        one-element tensors (it is then 1). ``retain_graph`` keeps the
        graph for a second backward; ``create_graph`` records the backward pass so the
        gradients can be differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph (was it "
                               "computed under no_grad(), or from tensors without requires_grad=True?)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): grad can be omitted only for one-element tensors, got shape {self.shape}; "
                    "pass grad= of the same shape"
                )
            grad = ones_like_tensor(self)
        else:
            grad = as_tensor(grad, like=(self,))
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape} but the tensor has shape {self.shape}")
        run_backward([self], [grad], retain_graph=retain_graph or create_graph, create_graph=create_graph)

    def zero_grad(self):
        self.grad = None

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        self._retains_grad = True
        return self

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not _is_float(self.dtype):
            raise TypeError(f"only floating point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def to(self, target):
        """A copy on backend ``target`` ("numpy", "cupy") or cast to dtype ``target``."""
        if isinstance(target, str) and target in _backend.BACKENDS:
            moved = Tensor._wrap(_backend.to_backend(self.data, target))
            moved.requires_grad = self.requires_grad and moved is not self
            return moved
        return self.astype(target)

    def astype(self, dtype):
        from minigrad.functions.shape import cast
        return cast(self, dtype)

    def float(self):
        return self.astype("float32")

    def double(self):
        return self.astype("float64")

    # ----- operators (all math in minigrad.functions) ------------------------------
    def __add__(self, other): return F.add(self, other)
    def __radd__(self, other): return F.add(other, self)
    def __sub__(self, other): return F.sub(self, other)
    def __rsub__(self, other): return F.sub(other, self)
    def __mul__(self, other): return F.mul(self, other)
    def __rmul__(self, other): return F.mul(other, self)
    def __truediv__(self, other): return F.div(self, other)
    def __rtruediv__(self, other): return F.div(other, self)
    def __neg__(self): return F.neg(self)
    def __pos__(self): return self
    def __pow__(self, other): return F.pow(self, other)
    def __rpow__(self, other): return F.pow(other, self)
    def __matmul__(self, other): return F.matmul(self, other)
    def __rmatmul__(self, other): return F.matmul(other, self)
    def __abs__(self): return F.abs(self)
    def __getitem__(self, index): return F.getitem(self, index)

    def __lt__(self, other): return F.compare(self, other, "less")
    def __le__(self, other): return F.compare(self, other, "less_equal")
    def __gt__(self, other): return F.compare(self, other, "greater")
    def __ge__(self, other): return F.compare(self, other, "greater_equal")
    def __eq__(self, other): return F.compare(self, other, "equal")
    def __ne__(self, other): return F.compare(self, other, "not_equal")

    # ----- methods -------------------------------------------------------------------
    @property
    def T(self): return F.transpose(self)
    def transpose(self, *axes): return F.transpose(self, _axes_arg(axes))
    def permute(self, *axes): return F.transpose(self, _axes_arg(axes))
    def reshape(self, *shape): return F.reshape(self, _axes_arg(shape))
    def view(self, *shape): return F.reshape(self, _axes_arg(shape))
    def flatten(self, start_dim=0): return F.reshape(self, self.shape[:start_dim] + (-1,))
    def broadcast_to(self, shape): return F.broadcast_to(self, shape)
    def sum(self, axis=None, keepdims=False): return F.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return F.mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return F.var(self, axis, keepdims, ddof)
    def max(self, axis=None, keepdims=False): return F.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return F.min(self, axis, keepdims)
    def logsumexp(self, axis=None, keepdims=False): return F.logsumexp(self, axis, keepdims)
    def softmax(self, axis=-1): return F.softmax(self, axis)
    def log_softmax(self, axis=-1): return F.log_softmax(self, axis)
    def exp(self): return F.exp(self)
    def log(self): return F.log(self)
    def sqrt(self): return F.sqrt(self)
    def abs(self): return F.abs(self)
    def sin(self): return F.sin(self)
    def cos(self): return F.cos(self)
    def tanh(self): return F.tanh(self)
    def sigmoid(self): return F.sigmoid(self)
    def relu(self): return F.relu(self)
    def softplus(self): return F.softplus(self)
    def clip(self, low=None, high=None): return F.clip(self, low, high)
    def argmax(self, axis=None): return Tensor._wrap(self.data.argmax(axis=axis))
    def argmin(self, axis=None): return Tensor._wrap(self.data.argmin(axis=axis))


def _wrap_array(array, _new=object.__new__, _generic=numpy.generic, _asarray=numpy.asarray):
    """A Tensor around ``array`` with the class defaults (no grad, no creator): what ops return."""
    if isinstance(array, _generic):  # numpy reductions return scalars
        array = _asarray(array)
    tensor = _new(Tensor)
    tensor.data = array
    return tensor


def _axes_arg(args):
    if len(args) == 1 and (isinstance(args[0], (tuple, list)) or args[0] is None):
        return None if args[0] is None else tuple(args[0])
    return tuple(args) if args else None


def _is_float(dtype):
    return numpy.issubdtype(numpy.dtype(dtype), numpy.floating)


def _is_backend_array(value):
    try:
        _backend.backend_of(value)
    except TypeError:
        return False
    return True


def as_tensor(value, like=()):
    """``value`` as a Tensor that needs no gradient.

    Python scalars take the backend of the first tensor in ``like`` and its dtype
    when that is floating (so ``2 * x`` never upcasts a float32 ``x``; a float next
    to an integer tensor gets the default float dtype); arrays are wrapped as they
    are (a NumPy array next to a CuPy tensor is then refused by the op).
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool)):
        for other in like:
            if isinstance(other, Tensor):
                data = other.data
                key = (type(value), value, data.dtype, type(data))
                array = _scalars.get(key)
                if array is None:
                    dtype = data.dtype
                    if dtype.kind != "f" and not isinstance(value, int):
                        dtype = _default_float()
                    array = _scalar_array(key, value, dtype, _backend.get_array_module(data))
                return _wrap_array(array)
        xp = _backend.active_module()
        return Tensor._wrap(xp.asarray(value, dtype=_default_float() if isinstance(value, float) else None))
    if isinstance(value, numpy.generic) or _is_backend_array(value):
        return Tensor._wrap(value)
    raise TypeError(f"expected a Tensor, an array or a Python number, got {type(value).__name__}")


_scalars = {}  # (type of the number, number, dtype of the tensor, its array type) -> a 0-d array


def _scalar_array(key, value, dtype, xp):
    """A 0-d array of ``value`` (constants such as the 2 of ``2 * x``), made once and then reused
    (``as_tensor`` looks ``key`` up first): building a fresh one costs more than the op itself,
    and on a GPU it is a host-to-device copy. Nothing in minigrad writes into an op's inputs;
    NumPy's are also made read-only. Zeros (0.0 and −0.0 compare equal) and NaNs (unequal to
    themselves) are not cached."""
    array = xp.asarray(value, dtype=dtype)
    if value and value == value:
        if len(_scalars) >= 4096:
            _scalars.clear()
        if isinstance(array, numpy.ndarray):
            array.flags.writeable = False
        _scalars[key] = array
    return array


def _default_float():
    from minigrad.creation import get_default_dtype
    return get_default_dtype()


def ones_like_tensor(tensor):
    ones = _backend.get_array_module(tensor.data).empty_like(tensor.data)  # two C calls: xp.ones is Python
    ones.fill(1)
    return Tensor._wrap(ones)


from minigrad import autograd as _autograd  # noqa: E402
from minigrad import functions as F  # noqa: E402  (functions import Tensor from here)

_autograd._tensor = sys.modules[__name__]
_autograd._wrap = _wrap_array
