"""The Optimizer base class: parameter groups, per-parameter state, state dicts.

The API is PyTorch's::

    opt = minigrad.optim.Adam(model.parameters(), lr=1e-3)
    opt = minigrad.optim.SGD([{"params": encoder.parameters()},
                              {"params": decoder.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)
    for batch in data:
        opt.zero_grad()
        loss(batch).backward()
        opt.step()

``param_groups`` is a list of dicts, each with ``"params"`` (a list of Tensors) and
its hyperparameters (``"lr"`` ...); a hyperparameter a group does not give is taken
from the optimizer's ``defaults``. ``state`` maps each parameter to a dict of its
buffers (``exp_avg`` ...), made on the parameter's first update.

Updates work on the raw arrays, in place (``p.data`` is overwritten, never
replaced), under ``no_grad``; a parameter whose ``grad`` is None is skipped.
Gradients are only read: minigrad's backward may hand the same gradient array to
several tensors (``a + b`` gives both the same one) or a read-only broadcast view,
so an optimizer must never write into ``p.grad``.

Subclasses define ``_check_group(group)`` (validate hyperparameters) and
``_step_group(group)`` (update the parameters of one group).
"""

from minigrad import backend as _backend
from minigrad import cuda_graph as _cuda_graph
from minigrad.autograd import enable_grad, no_grad
from minigrad.tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}        # Tensor -> dict of its buffers (Tensors hash by identity)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single Tensor; "
                            "wrap it in a list")
        if isinstance(params, dict):
            raise TypeError("params must be an iterable of Tensors or of param-group dicts, got one dict; "
                            "wrap it in a list")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index} ({len(group['params'])} parameters)")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, group):
        """Add a dict ``{"params": [...], **hyperparameters}``; missing hyperparameters come from defaults."""
        if not isinstance(group, dict):
            raise TypeError(f"a param group must be a dict, got {type(group).__name__}")
        params = group.get("params")
        if params is None:
            raise ValueError("a param group needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("a param group's params must be an ordered sequence (a list), not a set: "
                            "the order decides how state_dict() numbers them")
        else:
            params = list(params)
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(f"the optimizer can only update Tensors, but param {index} of the group is a "
                                f"{type(param).__name__}")
            if param.creator is not None:
                raise ValueError(f"param {index} of the group is not a leaf tensor (it was computed from "
                                 "others); optimize the leaves, or detach() it")
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("a param group lists the same parameter twice")
        for other in self.param_groups:
            if any(id(p) in ids for p in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        group = dict(group, params=params)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise ValueError for bad hyperparameters (subclasses override)."""

    def _require_nonnegative(self, group, *keys):
        """The check most hyperparameters share: ValueError naming the optimizer and the value if < 0."""
        for key in keys:
            if group[key] < 0:
                label = "learning rate" if key == "lr" else key
                raise ValueError(f"{type(self).__name__}: invalid {label} {group[key]} (must be >= 0)")

    # ----- the training loop ---------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``p.grad = None`` (default), or fresh zeros with ``set_to_none=False``.

        The zeros are new arrays rather than the old ones overwritten, because a
        gradient array may be shared with other tensors (see the module docstring).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor._wrap(_backend.get_array_module(p.grad.data).zeros_like(p.grad.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if one is given.

        ``closure`` (optional) recomputes the loss with gradients enabled, as in PyTorch.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        session = _cuda_graph._session
        if session is not None:  # a step being captured as a CUDA graph
            session.add_optimizer(self)
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} does not define _step_group")

    # ----- CUDA graphs (minigrad.cuda_graph) ------------------------------------------
    def _capture_problem(self):
        """Why a step of this optimizer cannot be captured in a CUDA graph, or None (subclasses override)."""
        return None

    def _new_state(self, p, state):
        """Store ``state`` as parameter ``p``'s first state; refused while a step is being captured."""
        if _cuda_graph.active_session() is not None:
            raise _cuda_graph.CaptureError(
                f"graphed step: {type(self).__name__} would make the state of a parameter {p.shape} inside the "
                "captured step, and a replay would make it afresh each time. The optimizer's state must exist "
                "before the capture (the warm-up call makes it): did this parameter get its first gradient in "
                "this call?")
        self.state[p] = state
        return state

    # ----- checkpoints ---------------------------------------------------------------
    def state_dict(self):
        """``{'state': {index: {name: value}}, 'param_groups': [{hyperparameters..., 'params': [indices]}]}``.

        Parameters are numbered 0, 1, ... through the groups in order, as in PyTorch.
        The arrays are the optimizer's live buffers, not copies (also as in PyTorch):
        save them (``minigrad.save``) or copy them before the next ``step()``.
        """
        index_of = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = []
            for p in group["params"]:
                index_of[id(p)] = len(index_of)
                packed["params"].append(index_of[id(p)])
            groups.append(packed)
        state = {index_of[id(p)]: dict(buffers) for p, buffers in self.state.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load what :meth:`state_dict` returned (possibly saved and loaded by ``minigrad.save/load``).

        The groups must match this optimizer's in number and sizes. Hyperparameters
        are taken from the saved groups. State arrays (of any backend) are copied to
        their parameter's backend, floating ones cast to its dtype; a state array must
        be 0-d or have its parameter's shape. Nothing changes if an error is raised.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the state dict has {len(saved_groups)} parameter groups but this "
                             f"optimizer has {len(self.param_groups)}")
        param_of = {}
        for index, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"load_state_dict: parameter group {index} has {len(saved['params'])} parameters "
                                 f"in the state dict but {len(group['params'])} in this optimizer")
            param_of.update(zip((int(i) for i in saved["params"]), group["params"]))
        state = {}
        for key, buffers in state_dict["state"].items():
            param = param_of.get(int(key))
            if param is None:
                raise ValueError(f"load_state_dict: the state dict has state for parameter {key}, which none of "
                                 "its parameter groups lists")
            state[param] = {name: _state_value(value, param, f"state[{key}][{name!r}]")
                            for name, value in buffers.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            group.update((key, value) for key, value in saved.items() if key != "params")
        self.state = state


def _state_value(value, param, where):
    """A saved state value made ready for ``param``: arrays copied to its backend and float dtype."""
    if isinstance(value, Tensor):
        value = value.data
    try:
        name = _backend.backend_of(value)
    except TypeError:
        return value  # a Python value ('step' ...)
    if value.ndim and tuple(value.shape) != param.shape:
        raise ValueError(f"load_state_dict: {where} has shape {tuple(value.shape)} but its parameter has shape "
                         f"{param.shape} (is this the state of another model?)")
    array = _backend.to_backend(value, param.backend)
    if array.dtype.kind == "f" and param.dtype.kind == "f" and array.dtype != param.dtype:
        return array.astype(param.dtype)
    return array.copy() if name == param.backend else array
