"""Optimizers against their update rules written out in NumPy, on every backend.

Each reference below is the textbook/PyTorch formula in float64 on the host; the
optimizer runs on the backend's arrays, in place. Gradients are set by hand (they
differ at each step) so that every term of each rule matters.
"""

import math

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.backend import backend_of, to_numpy

SHAPES = [(3, 4), (4,)]


def host(tensor):
    return np.array(to_numpy(tensor.data))  # a copy: to_numpy of a NumPy array is the array itself


def make_params(rng, dtype="float64"):
    return [minigrad.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in SHAPES]


def grad_sequence(rng, steps, dtype="float64"):
    return [[rng.standard_normal(shape).astype(dtype) for shape in SHAPES] for _ in range(steps)]


def run(optimizer, params, grad_steps):
    for grads in grad_steps:
        for p, g in zip(params, grads):
            p.grad = minigrad.tensor(g)
        optimizer.step()


# ----- the update rules, by hand ------------------------------------------------------
def sgd_reference(theta, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    buf = None
    for g in grads:
        g = g + weight_decay * theta
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        theta = theta - lr * g
    return theta


def adam_reference(theta, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   decoupled=False, capturable=False):  # capturable: where t is kept, not the rule
    b1, b2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def rmsprop_reference(theta, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v = np.zeros_like(theta)
    g_avg = np.zeros_like(theta)
    buf = np.zeros_like(theta)
    for g in grads:
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            denom = np.sqrt(v - g_avg * g_avg) + eps
        else:
            denom = np.sqrt(v) + eps
        if momentum:
            buf = momentum * buf + g / denom
            theta = theta - lr * buf
        else:
            theta = theta - lr * g / denom
    return theta


CASES = [
    ("sgd", optim.SGD, dict(lr=0.1), sgd_reference),
    ("sgd-weight-decay", optim.SGD, dict(lr=0.1, weight_decay=0.3), sgd_reference),
    ("sgd-momentum", optim.SGD, dict(lr=0.1, momentum=0.9), sgd_reference),
    ("sgd-dampening", optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1), sgd_reference),
    ("sgd-nesterov", optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1), sgd_reference),
    ("adam", optim.Adam, dict(lr=0.05), adam_reference),
    ("adam-betas-eps", optim.Adam, dict(lr=0.05, betas=(0.5, 0.8), eps=1e-3), adam_reference),
    ("adam-l2", optim.Adam, dict(lr=0.05, weight_decay=0.2), adam_reference),
    ("adam-amsgrad", optim.Adam, dict(lr=0.05, betas=(0.5, 0.8), amsgrad=True), adam_reference),
    ("adamw", optim.AdamW, dict(lr=0.05, weight_decay=0.2), lambda *a, **k: adam_reference(*a, decoupled=True, **k)),
    ("adamw-amsgrad", optim.AdamW, dict(lr=0.05, betas=(0.5, 0.8), weight_decay=0.2, amsgrad=True),
     lambda *a, **k: adam_reference(*a, decoupled=True, **k)),
    ("adam-capturable", optim.Adam, dict(lr=0.05, weight_decay=0.2, capturable=True), adam_reference),
    ("adam-amsgrad-capturable", optim.Adam, dict(lr=0.05, betas=(0.5, 0.8), amsgrad=True, capturable=True),
     adam_reference),
    ("adamw-capturable", optim.AdamW, dict(lr=0.05, weight_decay=0.2, capturable=True),
     lambda *a, **k: adam_reference(*a, decoupled=True, **k)),
    ("rmsprop", optim.RMSprop, dict(lr=0.01), rmsprop_reference),
    ("rmsprop-alpha-wd", optim.RMSprop, dict(lr=0.01, alpha=0.5, eps=1e-3, weight_decay=0.1), rmsprop_reference),
    ("rmsprop-centered", optim.RMSprop, dict(lr=0.01, alpha=0.5, centered=True), rmsprop_reference),
    ("rmsprop-momentum", optim.RMSprop, dict(lr=0.01, alpha=0.5, momentum=0.8), rmsprop_reference),
    ("rmsprop-centered-momentum", optim.RMSprop, dict(lr=0.01, alpha=0.5, momentum=0.8, centered=True),
     rmsprop_reference),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, cls, kwargs, reference", CASES, ids=IDS)
def test_first_steps_follow_the_update_rule(backend, rng, name, cls, kwargs, reference):
    params = make_params(rng)
    start = [host(p) for p in params]
    grads = grad_sequence(rng, 3)
    optimizer = cls(params, **kwargs)
    for steps in (1, 2, 3):
        run(optimizer, params, grads[steps - 1:steps])
        for i, p in enumerate(params):
            expected = reference(start[i], [g[i] for g in grads[:steps]], **kwargs)
            np.testing.assert_allclose(host(p), expected, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name}: parameter {i} after step {steps}")


def test_adam_first_step_moves_each_element_by_lr_towards_minus_the_gradient(backend):
    # With bias correction m̂₁ = g and v̂₁ = g², so the first step is lr·g/(|g| + eps).
    p = minigrad.tensor(np.zeros(4), requires_grad=True)
    p.grad = minigrad.tensor(np.array([3.0, -0.5, 1e-3, -200.0]))
    optim.Adam([p], lr=0.1, eps=1e-8).step()
    np.testing.assert_allclose(host(p), [-0.1, 0.1, -0.1, 0.1], rtol=1e-5)


def test_sgd_momentum_second_step_by_hand(backend):
    p = minigrad.tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad = minigrad.tensor(np.array([2.0]))
    optimizer.step()          # buffer = 2, p = 1 - 0.5·2 = 0
    p.grad = minigrad.tensor(np.array([1.0]))
    optimizer.step()          # buffer = 0.9·2 + 1 = 2.8, p = 0 - 0.5·2.8 = -1.4
    np.testing.assert_allclose(host(p), [-1.4], rtol=1e-12)


def test_adamw_decay_is_decoupled_from_the_moments(backend):
    # A zero gradient leaves Adam's moments at zero: AdamW then only shrinks θ by (1 − lr·λ),
    # while Adam's L2 term goes through the moments and moves θ by about lr.
    adamw_p = minigrad.tensor(np.array([2.0]), requires_grad=True)
    adam_p = minigrad.tensor(np.array([2.0]), requires_grad=True)
    adamw_p.grad = minigrad.tensor(np.array([0.0]))
    adam_p.grad = minigrad.tensor(np.array([0.0]))
    optim.AdamW([adamw_p], lr=0.1, weight_decay=0.5).step()
    optim.Adam([adam_p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(host(adamw_p), [2.0 * (1 - 0.1 * 0.5)], rtol=1e-12)
    np.testing.assert_allclose(host(adam_p), [2.0 - 0.1], rtol=1e-6)


def test_adam_parameters_at_different_steps_each_get_their_own_bias_correction(backend, rng):
    # The bias corrections are computed once for parameters that share a step: b skips the first
    # step, so it is one step behind a and must not reuse a's corrections (either order).
    a, b, c = (minigrad.tensor(rng.standard_normal(3), requires_grad=True) for _ in range(3))
    start = [host(t) for t in (a, b, c)]
    grads = [rng.standard_normal(3) for _ in range(6)]
    optimizer = optim.Adam([a, b, c], lr=0.05, betas=(0.5, 0.8))
    a.grad, b.grad, c.grad = minigrad.tensor(grads[0]), None, minigrad.tensor(grads[1])
    optimizer.step()
    a.grad, b.grad, c.grad = (minigrad.tensor(g) for g in grads[2:5])
    optimizer.step()
    for tensor, theta, its_grads in ((a, start[0], [grads[0], grads[2]]), (b, start[1], [grads[3]]),
                                     (c, start[2], [grads[1], grads[4]])):
        np.testing.assert_allclose(host(tensor), adam_reference(theta, its_grads, lr=0.05, betas=(0.5, 0.8)),
                                   rtol=1e-10, atol=1e-12)


@pytest.fixture
def tiny_adam_blocks(monkeypatch):
    """The NumPy Adam's block shrunk, so that parameters of a few elements take each of its paths."""
    from minigrad.functions import elementwise

    monkeypatch.setattr(elementwise, "ADAM_BLOCK", 8)


@pytest.mark.parametrize("cls, kwargs", [(optim.Adam, dict(lr=0.05)), (optim.Adam, dict(lr=0.05, weight_decay=0.2)),
                                         (optim.AdamW, dict(lr=0.05, weight_decay=0.2))],
                         ids=["adam", "adam-l2", "adamw"])
def test_numpy_adam_paths_follow_the_update_rule(tiny_adam_blocks, rng, cls, kwargs):
    # With ADAM_BLOCK = 8: 3 and 6 elements are updated in one pass, 20 in three blocks (8, 8, 4);
    # a transposed parameter and a broadcast gradient cannot be cut into flat blocks and take
    # the one-pass path.
    shapes = [(3,), (2, 3), (4, 5), (4, 5), (2, 3), (4, 5)]
    starts = [rng.standard_normal(shape) for shape in shapes]
    params = [minigrad.tensor(theta, requires_grad=True) for theta in starts]
    params[3] = minigrad.Tensor(np.ascontiguousarray(starts[3].T).T, requires_grad=True)  # F-ordered
    optimizer = cls(params, **kwargs)
    steps = []
    for _ in range(3):
        grads = [rng.standard_normal(shape) for shape in shapes]
        grads[4] = np.broadcast_to(rng.standard_normal(3), (2, 3))  # read-only, stride 0
        grads[5] = np.broadcast_to(rng.standard_normal(5), (4, 5))
        steps.append(grads)
        for p, g in zip(params, grads):
            p.grad = minigrad.Tensor(g)
        optimizer.step()
    assert not params[3].data.flags.c_contiguous
    reference = adam_reference if cls is optim.Adam else (lambda *a, **k: adam_reference(*a, decoupled=True, **k))
    for i, (p, theta) in enumerate(zip(params, starts)):
        np.testing.assert_allclose(host(p), reference(theta, [grads[i] for grads in steps], **kwargs),
                                   rtol=1e-10, atol=1e-12, err_msg=f"parameter {i} of shape {shapes[i]}")


@pytest.mark.parametrize("name, cls, kwargs, reference", CASES, ids=IDS)
def test_float32_stays_float32(backend, rng, name, cls, kwargs, reference):
    params = make_params(rng, "float32")
    start = [host(p).astype("float64") for p in params]
    grads = grad_sequence(rng, 3, "float32")
    optimizer = cls(params, **kwargs)
    run(optimizer, params, grads)
    for i, p in enumerate(params):
        assert p.dtype == np.float32
        for key, value in optimizer.state.get(p, {}).items():
            if hasattr(value, "dtype"):
                assert value.dtype == np.float32, f"{name}: state {key!r} is {value.dtype}"
        expected = reference(start[i], [g[i].astype("float64") for g in grads], **kwargs)
        np.testing.assert_allclose(host(p), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, cls, kwargs, reference", CASES, ids=IDS)
def test_step_updates_data_in_place_without_a_graph_and_leaves_grads_alone(backend, rng, name, cls, kwargs,
                                                                          reference):
    params = make_params(rng)
    arrays = [p.data for p in params]
    optimizer = cls(params, **kwargs)
    grads = grad_sequence(rng, 1)[0]
    for p, g in zip(params, grads):
        p.grad = minigrad.tensor(g)
    optimizer.step()
    for p, array, g in zip(params, arrays, grads):
        assert p.data is array
        assert p.creator is None and p.requires_grad and p.is_leaf
        assert backend_of(p.data) == backend
        np.testing.assert_array_equal(host(p.grad), g)


def test_step_works_after_a_real_backward(backend):
    target = minigrad.tensor(np.array([1.0, -2.0, 3.0]))
    w = minigrad.zeros(3, dtype="float64", requires_grad=True)
    optimizer = optim.Adam([w], lr=0.1)
    for _ in range(300):
        optimizer.zero_grad()
        ((w - target) * (w - target)).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(host(w), [1.0, -2.0, 3.0], atol=1e-2)


def test_step_with_closure_returns_its_loss(backend):
    w = minigrad.tensor(np.array([3.0]), requires_grad=True)
    optimizer = optim.SGD([w], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with minigrad.no_grad():
        loss = optimizer.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(host(w), [3.0 - 0.25 * 6.0])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop])
def test_params_without_grad_are_skipped(backend, cls):
    a = minigrad.tensor(np.ones(3), requires_grad=True)
    b = minigrad.tensor(np.ones(3), requires_grad=True)
    optimizer = cls([a, b], lr=0.1, momentum=0.9) if cls in (optim.SGD, optim.RMSprop) else cls([a, b], lr=0.1)
    a.grad = minigrad.tensor(np.ones(3))
    optimizer.step()
    np.testing.assert_array_equal(host(b), np.ones(3))
    assert b not in optimizer.state and a in optimizer.state
    assert (host(a) < 1).all()


def test_param_groups_have_their_own_lr_and_defaults_fill_the_rest(backend):
    a = minigrad.tensor(np.ones(2), requires_grad=True)
    b = minigrad.tensor(np.ones(2), requires_grad=True)
    optimizer = optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b], "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 0.1]
    assert [g["momentum"] for g in optimizer.param_groups] == [0.0, 0.9]
    for step in range(2):
        a.grad = minigrad.tensor(np.ones(2))
        b.grad = minigrad.tensor(np.ones(2))
        optimizer.step()
    np.testing.assert_allclose(host(a), 1 - 2 * 0.5)               # plain SGD, lr 0.5
    np.testing.assert_allclose(host(b), 1 - 0.1 * (1 + (0.9 + 1)))  # momentum 0.9, lr 0.1


def test_add_param_group_after_construction(backend):
    a = minigrad.tensor(np.ones(2), requires_grad=True)
    b = minigrad.tensor(np.ones(2), requires_grad=True)
    optimizer = optim.Adam([a], lr=0.1)
    optimizer.add_param_group({"params": b, "lr": 0.2})
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    a.grad = minigrad.tensor(np.ones(2))
    b.grad = minigrad.tensor(np.ones(2))
    optimizer.step()
    np.testing.assert_allclose(host(a), 0.9, rtol=1e-6)
    np.testing.assert_allclose(host(b), 0.8, rtol=1e-6)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})


def test_bad_params_and_hyperparameters_are_refused():
    p = minigrad.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="only update Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="same parameter twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="alpha"):
        optim.RMSprop([p], alpha=1.5)


def test_zero_grad(backend):
    a = minigrad.tensor(np.ones((2, 3), dtype="float32"), requires_grad=True)
    b = minigrad.tensor(np.ones(3, dtype="float32"), requires_grad=True)
    optimizer = optim.SGD([a, b], lr=0.1)
    (a * b).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    for p in (a, b):
        assert p.grad.shape == p.shape and p.grad.dtype == np.float32
        assert backend_of(p.grad.data) == backend
        np.testing.assert_array_equal(host(p.grad), 0)
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


# ----- state dicts -------------------------------------------------------------------
STATEFUL = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.05, betas=(0.5, 0.8), weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.2)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.2, capturable=True)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.5, momentum=0.8, centered=True)),
]


def _to_host(obj):
    if isinstance(obj, dict):
        return {k: _to_host(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_host(v) for v in obj)
    try:
        return np.array(to_numpy(obj))
    except TypeError:
        return obj


@pytest.mark.parametrize("cls, kwargs", STATEFUL, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("via_host", [False, True], ids=["live", "host-arrays"])
def test_state_dict_round_trip_continues_identically(backend, rng, cls, kwargs, via_host):
    grads = grad_sequence(rng, 6)
    params = make_params(rng)
    start = [host(p) for p in params]

    uninterrupted = [minigrad.tensor(s, requires_grad=True) for s in start]
    run(cls(uninterrupted, **kwargs), uninterrupted, grads)

    first = [minigrad.tensor(s, requires_grad=True) for s in start]
    first_optimizer = cls(first, **kwargs)
    run(first_optimizer, first, grads[:3])
    saved = first_optimizer.state_dict()
    assert sorted(saved["state"]) == [0, 1] and saved["param_groups"][0]["params"] == [0, 1]
    if via_host:  # as if written by another backend: the load must move the arrays
        saved = _to_host(saved)

    resumed = [minigrad.tensor(host(p), requires_grad=True) for p in first]
    resumed_optimizer = cls(resumed, **dict(kwargs, lr=123.0))
    resumed_optimizer.load_state_dict(saved)
    assert resumed_optimizer.param_groups[0]["lr"] == kwargs["lr"]
    for p in resumed:
        for value in resumed_optimizer.state[p].values():
            if hasattr(value, "shape"):
                assert backend_of(value) == backend
    run(resumed_optimizer, resumed, grads[3:])
    run(first_optimizer, first, grads[3:])   # the loaded state must be a copy, not shared buffers

    for i in range(len(SHAPES)):
        np.testing.assert_array_equal(host(resumed[i]), host(uninterrupted[i]))
        np.testing.assert_array_equal(host(first[i]), host(uninterrupted[i]))


def test_load_state_dict_casts_floating_state_to_the_param_dtype(backend, rng):
    p64 = minigrad.tensor(rng.standard_normal(3), requires_grad=True)
    source = optim.Adam([p64], lr=0.1)
    p64.grad = minigrad.tensor(rng.standard_normal(3))
    source.step()
    p32 = minigrad.tensor(np.zeros(3, dtype="float32"), requires_grad=True)
    target = optim.Adam([p32], lr=0.1)
    target.load_state_dict(source.state_dict())
    assert target.state[p32]["exp_avg"].dtype == np.float32
    assert target.state[p32]["step"] == 1


@pytest.mark.parametrize("amsgrad", [False, True])
def test_capturable_adam_keeps_its_step_on_the_device_and_loads_either_kind_of_state(backend, rng, amsgrad):
    grads = grad_sequence(rng, 6)
    start = [host(p) for p in make_params(rng)]
    kwargs = dict(lr=0.05, betas=(0.5, 0.8), amsgrad=amsgrad)
    uninterrupted = [minigrad.tensor(s, requires_grad=True) for s in start]
    run(optim.Adam(uninterrupted, **kwargs), uninterrupted, grads)

    for first_capturable in (True, False):  # saved by one kind, resumed by the other
        first = [minigrad.tensor(s, requires_grad=True) for s in start]
        first_optimizer = optim.Adam(first, capturable=first_capturable, **kwargs)
        run(first_optimizer, first, grads[:3])
        step = first_optimizer.state[first[0]]["step"]
        if first_capturable:
            assert step.shape == () and step.dtype == np.float64 and backend_of(step) == backend
            assert float(to_numpy(step)) == 3.0
        else:
            assert step == 3
        resumed = [minigrad.tensor(host(p), requires_grad=True) for p in first]
        resumed_optimizer = optim.Adam(resumed, capturable=not first_capturable, **kwargs)
        resumed_optimizer.load_state_dict(first_optimizer.state_dict())
        run(resumed_optimizer, resumed, grads[3:])
        step = resumed_optimizer.state[resumed[0]]["step"]
        assert (step if first_capturable else float(to_numpy(step))) == 6
        for i in range(len(SHAPES)):
            np.testing.assert_allclose(host(resumed[i]), host(uninterrupted[i]), rtol=1e-12, atol=1e-14)


def test_load_state_dict_refuses_a_different_layout_and_changes_nothing(rng):
    a = minigrad.tensor(np.ones(3), requires_grad=True)
    b = minigrad.tensor(np.ones(4), requires_grad=True)
    source = optim.Adam([a, b], lr=0.1)
    a.grad = minigrad.tensor(np.ones(3))
    b.grad = minigrad.tensor(np.ones(4))
    source.step()
    saved = source.state_dict()

    x = minigrad.tensor(np.ones(3), requires_grad=True)
    y = minigrad.tensor(np.ones(4), requires_grad=True)
    two_groups = optim.Adam([{"params": [x]}, {"params": [y]}], lr=0.5)
    with pytest.raises(ValueError, match="state dict has 1 parameter groups but this optimizer has 2"):
        two_groups.load_state_dict(saved)
    one_param = optim.Adam([x], lr=0.5)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict but 1"):
        one_param.load_state_dict(saved)
    swapped = optim.Adam([y, x], lr=0.5)
    with pytest.raises(ValueError, match=r"shape \(3,\) but its parameter has shape \(4,\)"):
        swapped.load_state_dict(saved)
    assert swapped.state == {} and swapped.param_groups[0]["lr"] == 0.5


# ----- gradient clipping -------------------------------------------------------------
def _grads_params(grads):
    params = []
    for g in grads:
        p = minigrad.tensor(np.zeros_like(g), requires_grad=True)
        p.grad = minigrad.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before(backend):
    grads = [np.array([3.0, 0.0, 4.0]), np.array([[12.0, 0.0], [0.0, 0.0]])]   # total norm 13
    params = _grads_params(grads)
    total = optim.clip_grad_norm_(params, max_norm=6.5)
    assert isinstance(total, float) and total == pytest.approx(13.0)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(host(p.grad), g * 6.5 / (13.0 + 1e-6))
        assert backend_of(p.grad.data) == backend
    new_norm = math.sqrt(sum(float((host(p.grad) ** 2).sum()) for p in params))
    assert new_norm == pytest.approx(6.5, rel=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone(backend):
    params = _grads_params([np.array([3.0, 4.0])])
    assert optim.clip_grad_norm_(params, max_norm=10.0) == pytest.approx(5.0)
    np.testing.assert_array_equal(host(params[0].grad), [3.0, 4.0])


@pytest.mark.parametrize("norm_type, expected", [(1, 19.0), (float("inf"), 12.0), (3.0, (27 + 64 + 1728) ** (1 / 3))])
def test_clip_grad_norm_other_norms(backend, norm_type, expected):
    params = _grads_params([np.array([3.0, -4.0]), np.array([-12.0])])
    assert optim.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type) == pytest.approx(expected)
    np.testing.assert_allclose(host(params[1].grad), [-12.0 / (expected + 1e-6)])


def test_clip_grad_norm_clips_a_shared_gradient_once_and_keeps_float32(backend):
    # (a + b).backward(g) gives a and b the very same gradient: clipping in place would scale it twice.
    a = minigrad.tensor(np.zeros(2, dtype="float32"), requires_grad=True)
    b = minigrad.tensor(np.zeros(2, dtype="float32"), requires_grad=True)
    (a + b).backward(minigrad.tensor(np.array([3.0, 4.0], dtype="float32")))
    total = optim.clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(math.sqrt(50.0))
    for p in (a, b):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(host(p.grad), np.array([3.0, 4.0]) / math.sqrt(50.0), rtol=1e-5)


def test_clip_grad_norm_can_refuse_a_nonfinite_norm(backend):
    params = _grads_params([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="inf"):
        optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_(backend):
    params = _grads_params([np.array([-3.0, 0.5, 2.0])])
    params.append(minigrad.tensor(np.ones(2), requires_grad=True))   # no grad: ignored
    optim.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(host(params[0].grad), [-1.0, 0.5, 1.0])
    assert params[1].grad is None
