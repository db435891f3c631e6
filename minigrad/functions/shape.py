"""Ops that move elements without changing them: reshape, transpose, swapaxes,
broadcast_to, cast, getitem, concatenate, stack, split, pad.

Each backward moves the gradient back the way the elements came; the pairs are each
other's adjoints (getitem ↔ scatter-add, concatenate ↔ split, pad ↔ slice), which is
why every backward here is itself differentiable.
"""

import numpy

from minigrad import backend as _backend
from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Tensor


class Reshape(Function):
    """y = x viewed with another shape ;  gx = gy reshaped back"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    """y = x with axes permuted ;  gx = gy permuted by the inverse permutation"""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if self.axes is None:
            self.axes = tuple(reversed(range(x.ndim)))
        if sorted(a % max(x.ndim, 1) for a in self.axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of a {x.ndim}-d tensor's axes")
        return x.transpose(self.axes)

    def backward(self, gy):
        ndim = len(self.axes)
        inverse = tuple(sorted(range(ndim), key=lambda i: self.axes[i] % ndim))
        return transpose(gy, inverse)


class BroadcastTo(Function):
    """y = x repeated along broadcast axes ;  gx = gy summed back to x's shape"""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        xp = get_array_module(x)
        return xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        from minigrad.functions.reduction import sum_to
        return sum_to(gy, self.inputs[0].shape)


class Cast(Function):
    """y = x converted to another dtype ;  gx = gy converted back"""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.inputs[0].dtype)


class GetItem(Function):
    """y = x[index] ;  gx = zeros like x with gy added at x[index] (see GetItemGrad)

    ``index`` is anything NumPy accepts: ints, slices, None, Ellipsis, integer arrays
    and boolean masks (normalized once by :func:`getitem`).
    """

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        x, = self.inputs
        return GetItemGrad(self.index, x.shape)(gy)


class GetItemGrad(Function):
    """gx = zeros of the input's shape, then gx[index] += gy (a scatter-add: an element
    picked twice by an integer index gets both gradients) ;  its own backward is gy[index]"""

    def __init__(self, index, shape):
        self.index = index
        self.shape = shape

    def forward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):  # basic indexing never picks an element twice
            gx[self.index] = gy
        else:
            xp.add.at(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


class Concatenate(Function):
    """y = [x₁, x₂, ...] joined along ``axis`` ;  gxᵢ = the slice of gy where xᵢ went (a split)"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        sizes = [x.shape[self.axis] for x in self.inputs]
        ends = numpy.cumsum(sizes)[:-1].tolist()
        gxs = split(gy, ends, self.axis)
        return tuple(g if x.requires_grad else None for g, x in zip(gxs, self.inputs))


class Stack(Function):
    """y = [x₁, x₂, ...] stacked along a new ``axis`` ;  gxᵢ = gy[..., i, ...] (a split along axis)"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return get_array_module(*xs).stack(xs, axis=self.axis)

    def backward(self, gy):
        gxs = split(gy, len(self.inputs), self.axis)
        return tuple(reshape(g, x.shape) if x.requires_grad else None for g, x in zip(gxs, self.inputs))


class Split(Function):
    """(y₁, y₂, ...) = x cut into pieces along ``axis`` ;  gx = [gy₁, gy₂, ...] concatenated

    Outputs nobody used get a zero gradient from the engine.
    """

    def __init__(self, indices_or_sections, axis):
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        return tuple(xp.split(x, self.indices_or_sections, axis=self.axis))

    def backward(self, *gys):
        return concatenate(gys, self.axis)


class Pad(Function):
    """y = x with ``value`` added around it ;  gx = the middle of gy (where x went)"""

    def __init__(self, pad_width, value):
        self.pad_width = pad_width
        self.value = value

    def forward(self, x):
        xp = get_array_module(x)
        return xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        x, = self.inputs
        middle = tuple(slice(before, before + n) for (before, _), n in zip(self.pad_width, x.shape))
        return getitem(gy, middle)


def reshape(x, shape):
    if tuple(x.shape) == tuple(shape):
        return x
    return Reshape(tuple(shape))(x)


def transpose(x, axes=None):
    return Transpose(None if axes is None else tuple(axes))(x)


def swapaxes(x, axis1, axis2):
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def broadcast_to(x, shape):
    if tuple(x.shape) == tuple(shape):
        return x
    return BroadcastTo(shape)(x)


def cast(x, dtype):
    if x.dtype == numpy.dtype(dtype):
        return x
    return Cast(numpy.dtype(dtype))(x)


def getitem(x, index):
    """``x[index]`` with NumPy's rules, basic and advanced.

    Index parts may be ints, slices, None, Ellipsis, lists, integer or boolean arrays
    and Tensors (their data is used: indices get no gradient). Boolean masks become
    their ``nonzero()`` integer arrays (the same selection, as NumPy defines it).
    """
    xp = get_array_module(x.data)
    parts = []
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, Tensor):
            part = part.data
        if not (part is None or part is Ellipsis or isinstance(part, (int, slice, numpy.generic))):
            part = _as_index_array(part, xp)
            if part.dtype == bool and part.ndim > 0:
                parts.extend(part.nonzero())
                continue
        parts.append(part)
    return GetItem(tuple(parts))(x)


def _as_index_array(part, xp):
    """Index data (a list, or an array of any backend) as an array of module ``xp``."""
    if isinstance(part, list):
        return xp.asarray(part)
    if get_array_module(part) is xp:
        return part
    return xp.asarray(_backend.to_numpy(part))


def _is_basic(index):
    """True when ``index`` has no array part (basic indexing: slices, ints, None, Ellipsis)."""
    for part in index:
        if not (part is None or part is Ellipsis or isinstance(part, (slice, int, numpy.integer))):
            return False
    return True


def concatenate(tensors, axis=0):
    """The tensors joined along an existing ``axis`` (all other dimensions must agree)."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    return Concatenate(axis)(*tensors)


def stack(tensors, axis=0):
    """The tensors (all of one shape) stacked along a new ``axis``."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    return Stack(axis)(*tensors)


def split(x, indices_or_sections, axis=0):
    """``x`` cut along ``axis`` into a tuple of tensors, as ``numpy.split``: an int n gives
    n equal pieces, a list of indices gives the pieces between them."""
    if isinstance(indices_or_sections, (int, numpy.integer)):
        indices_or_sections = int(indices_or_sections)
    else:
        indices_or_sections = [int(i) for i in indices_or_sections]
    pieces = Split(indices_or_sections, axis)(x)
    return pieces if isinstance(pieces, tuple) else (pieces,)


def pad(x, pad_width, mode="constant", value=0):
    """``x`` padded with the constant ``value``; ``pad_width`` as in ``numpy.pad``: an int, a
    (before, after) pair for every axis, or one pair per axis."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is implemented, got mode={mode!r}")
    widths = numpy.broadcast_to(numpy.asarray(pad_width, dtype=numpy.int64), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad: pad widths must be non-negative, got {pad_width}")
    return Pad(tuple((int(b), int(a)) for b, a in widths), value)(x)
