"""Module and Parameter: the containers that hold a model's weights (PyTorch conventions).

A :class:`Module` registers what is assigned to its attributes: a :class:`Parameter`
becomes a trainable weight, another Module a submodule, and ``register_buffer``
adds state that is saved but not trained (BatchNorm's running statistics)::

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(784, 32)          # a submodule
            self.scale = nn.Parameter(mg.ones(32).data)   # a parameter

        def forward(self, x):
            return self.fc(x) * self.scale

Names are dotted paths (``"fc.weight"``), in registration order. ``state_dict``
returns copies of the parameters and buffers; ``load_state_dict`` copies arrays of
any backend into them, in place, so optimizers keep pointing at the same Parameters.
"""

from collections import namedtuple

import numpy

from minigrad import backend as _backend
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a trainable weight (``requires_grad=True``).

    ``Parameter(data)`` wraps an array or a Tensor's array (no copy).
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model: subclass it and write ``forward``."""

    def __init__(self):
        # Set through object.__setattr__: our own __setattr__ relies on these dicts.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.forward is not written")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ----- registration by attribute assignment -------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            if name not in params:  # a new name goes last; a known one keeps its place
                self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            if name not in modules:
                self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r} of "
                                f"{type(self).__name__} (expected an nn.Parameter or None)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to submodule {name!r} of "
                                f"{type(self).__name__} (expected an nn.Module or None)")
            modules[name] = None
        elif name in buffers:
            buffers[name] = _as_buffer(name, value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if not self._forget(name):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _forget(self, name):
        """Remove ``name`` from every registry and the plain attributes; True if it was anywhere."""
        found = False
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                found = True
        if name in self.__dict__:
            del self.__dict__[name]
            found = True
        return found

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) as ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        """Register state that is saved in ``state_dict`` and moved by ``to()`` but not trained
        (``tensor``: a Tensor, an array of a backend, or None)."""
        self._forget(name)
        self._buffers[name] = _as_buffer(name, tensor)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be an nn.Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # ----- walking the tree ----------------------------------------------------------
    def named_modules(self, prefix=""):
        """``(dotted name, module)`` for this module ("") and every submodule, each once, depth first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m) for child, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` ("" is this module)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(self).__name__} has no submodule {target!r} ({part!r} not found)")
            module = child
        return module

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, recurse):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a shared (tied) tensor is listed once, under its first name
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse=True):
        """``(dotted name, Parameter)`` in registration order, each shared Parameter once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse):
            yield param

    def named_buffers(self, recurse=True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    def num_parameters(self, trainable_only=False):
        """The number of scalar weights (only those with requires_grad if ``trainable_only``)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule, then on this module (e.g. a custom init); returns self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ----- modes and gradients --------------------------------------------------------
    def train(self, mode=True):
        """Training mode for this module and every submodule (Dropout drops, BatchNorm uses batch stats)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self):
        """Forget the gradients of every parameter (``grad = None``)."""
        for param in self.parameters():
            param.grad = None

    # ----- backend and dtype ------------------------------------------------------------
    def to(self, target):
        """Move every parameter and buffer to backend ``target`` ("numpy", "cupy") or cast the
        floating ones to dtype ``target``, in place: the Parameter objects stay the same, so an
        optimizer built before still holds them. Returns ``self``."""
        if isinstance(target, str) and target in _backend.BACKENDS:
            _backend.module_for(target)  # a clear error if the backend cannot be used

            def convert(array):
                return _backend.to_backend(array, target)
        else:
            dtype = numpy.dtype(target)
            if not numpy.issubdtype(dtype, numpy.floating):
                raise TypeError(f"Module.to: expected a backend name or a floating dtype, got {target!r}")

            def convert(array):
                return array.astype(dtype) if numpy.issubdtype(array.dtype, numpy.floating) else array

        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.data = convert(tensor.data)
            if tensor.grad is not None:
                tensor.grad = Tensor._wrap(convert(tensor.grad.data))
        return self

    def double(self):
        return self.to("float64")

    def float(self):
        return self.to("float32")

    # ----- saving and loading ---------------------------------------------------------------
    def _state_tensors(self):
        """Every parameter and buffer by dotted name (shared tensors under each of their names)."""
        state = {}
        for prefix, module in self.named_modules():
            for registry in (module._parameters, module._buffers):
                for name, tensor in registry.items():
                    if tensor is not None:
                        state[f"{prefix}.{name}" if prefix else name] = tensor
        return state

    def state_dict(self):
        """``{dotted name: array}``: copies of every parameter and buffer, on their backend."""
        return {name: tensor.data.copy() for name, tensor in self._state_tensors().items()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy ``state_dict``'s arrays (any backend, or Tensors) into the parameters and buffers.

        Values are cast to each parameter's dtype and copied to its backend. A key whose
        shape differs is always an error; with ``strict`` missing and unexpected keys are
        too. Nothing is changed when an error is raised. Returns the
        ``(missing_keys, unexpected_keys)`` named tuple.
        """
        own = self._state_tensors()
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        mismatched = []
        for name, tensor in own.items():
            if name in state_dict:
                shape = tuple(_array_of(state_dict[name]).shape)
                if shape != tensor.shape:
                    mismatched.append(f"size mismatch for {name}: expected shape {tensor.shape}, got {shape}")
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        problems += mismatched
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n    "
                               + "\n    ".join(problems))
        for name, tensor in own.items():
            if name in state_dict:
                array = _backend.to_backend(_array_of(state_dict[name]), tensor.backend)
                tensor.data = array.astype(tensor.dtype, copy=True)
        return IncompatibleKeys(missing, unexpected)

    # ----- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """The text between the parentheses of this module's line (its hyper-parameters)."""
        return ""

    def _describe(self):
        extra = self.extra_repr()
        children = [(name, module) for name, module in self._modules.items() if module is not None]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = extra.split("\n") if extra else []
        for name, child in children:
            lines.append(f"({name}): {child._describe()}{_count_note(child.num_parameters())}")
        body = "\n".join("  " + line for text in lines for line in text.split("\n"))
        return f"{type(self).__name__}(\n{body}\n)"

    def __repr__(self):
        """Like PyTorch's, with the parameter count of each submodule and, last, of the whole."""
        total = self.num_parameters()
        return self._describe() + (f"  # total: {total:,} parameters" if total else "")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def _count_note(count):
    return f"  # {count:,} parameters" if count else ""


def _as_buffer(name, value):
    if value is None or isinstance(value, Tensor):
        return value
    try:
        return Tensor(value)
    except TypeError:
        raise TypeError(f"buffer {name!r} must be a Tensor, an array of a backend or None, "
                        f"got {type(value).__name__}") from None


def _array_of(value):
    """The array of a state_dict value (a Tensor or an array of any backend)."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, numpy.generic):
        return numpy.asarray(value)
    _backend.backend_of(value)  # TypeError for anything that is not an array of a backend
    return value
