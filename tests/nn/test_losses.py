"""Losses: values against NumPy formulas, gradients (float64, every reduction, every
differentiable input; labels fixed), second order where smooth, stability and errors."""

import math

import numpy
import pytest

import minigrad
import minigrad.functional as F

REDUCTIONS = ("mean", "sum", "none")


def log_softmax(x, axis=1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - numpy.log(numpy.exp(z).sum(axis=axis, keepdims=True))


def pick(x, labels):
    """x[n, labels[n], ...] along the class axis 1."""
    return numpy.take_along_axis(x, labels[:, None], axis=1)[:, 0]


def sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


# Each case: inputs(rng) -> [(host array, differentiable)], the per-element (or per-sample)
# loss in NumPy ("none"; "mean" and "sum" reduce it), and whether the loss is smooth enough
# for gradgradcheck. l1's inputs stay ≥ 0.1 apart (its kink is at input == target).
CASES = {
    "mse_loss": (
        F.mse_loss,
        lambda rng: [(rng.standard_normal((3, 4)), True), (rng.standard_normal((3, 4)), True)],
        lambda x, t: (x - t) ** 2,
        True,
    ),
    "l1_loss": (
        F.l1_loss,
        lambda rng: [(x := rng.standard_normal((3, 4)), True),
                     (x + rng.choice([-1, 1], (3, 4)) * rng.uniform(0.1, 1, (3, 4)), True)],
        lambda x, t: numpy.abs(x - t),
        False,
    ),
    "binary_cross_entropy": (
        F.binary_cross_entropy,
        lambda rng: [(rng.uniform(0.1, 0.9, (3, 4)), True), (rng.uniform(0, 1, (3, 4)), True)],
        lambda p, t: -(t * numpy.log(p) + (1 - t) * numpy.log(1 - p)),
        False,
    ),
    "binary_cross_entropy_with_logits": (
        F.binary_cross_entropy_with_logits,
        lambda rng: [(3 * rng.standard_normal((3, 4)), True), (rng.uniform(0, 1, (3, 4)), True)],
        lambda x, t: -(t * numpy.log(sigmoid(x)) + (1 - t) * numpy.log(1 - sigmoid(x))),
        True,
    ),
    "cross_entropy": (
        F.cross_entropy,
        lambda rng: [(2 * rng.standard_normal((4, 5)), True), (numpy.array([0, 4, 2, 2]), False)],
        lambda x, y: -pick(log_softmax(x), y),
        True,
    ),
    "cross_entropy_spatial": (
        F.cross_entropy,
        lambda rng: [(rng.standard_normal((2, 3, 2, 2)), True), (rng.integers(0, 3, (2, 2, 2)), False)],
        lambda x, y: -pick(log_softmax(x), y),
        True,
    ),
    "cross_entropy_probabilities": (
        F.cross_entropy,
        lambda rng: [(rng.standard_normal((4, 3)), True), (rng.dirichlet(numpy.ones(3), 4), True)],
        lambda x, t: -(t * log_softmax(x)).sum(1),
        True,
    ),
    "nll_loss": (
        F.nll_loss,
        lambda rng: [(log_softmax(rng.standard_normal((4, 5))), True), (numpy.array([1, 0, 4, 1]), False)],
        lambda x, y: -pick(x, y),
        True,
    ),
    "gaussian_kl": (
        F.gaussian_kl,
        lambda rng: [(rng.standard_normal((3, 4)), True), (0.5 * rng.standard_normal((3, 4)), True)],
        lambda mu, logvar: -0.5 * (1 + logvar - mu ** 2 - numpy.exp(logvar)).sum(-1),
        True,
    ),
    "gaussian_nll": (
        F.gaussian_nll,
        lambda rng: [(rng.standard_normal((3, 4)), True), (rng.standard_normal((3, 4)), True),
                     (0.5 * rng.standard_normal((3, 4)), True)],
        lambda x, m, v: 0.5 * (math.log(2 * math.pi) + v + (x - m) ** 2 / numpy.exp(v)),
        True,
    ),
    "gaussian_nll_shared_logvar": (
        F.gaussian_nll,
        lambda rng: [(rng.standard_normal((3, 4)), True), (rng.standard_normal((3, 4)), True),
                     (0.5 * rng.standard_normal(4), True)],
        lambda x, m, v: 0.5 * (math.log(2 * math.pi) + v + (x - m) ** 2 / numpy.exp(v)),
        True,
    ),
}


def make_inputs(case, rng, dtype=numpy.float64):
    _, inputs, _, _ = CASES[case]
    arrays = inputs(rng)
    tensors = [minigrad.tensor(a.astype(dtype), requires_grad=grad) if grad else minigrad.tensor(a)
               for a, grad in arrays]
    return [a for a, _ in arrays], tensors


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_loss_values(backend, rng, case, reduction):
    fn, _, reference, _ = CASES[case]
    arrays, tensors = make_inputs(case, rng)
    expected = reference(*arrays)
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    loss = fn(*tensors, reduction=reduction)
    assert loss.backend == backend and loss.dtype == numpy.float64
    assert loss.shape == numpy.shape(expected)
    numpy.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_loss_gradients(backend, rng, case, reduction):
    fn, _, _, smooth = CASES[case]
    _, tensors = make_inputs(case, rng)
    assert minigrad.gradcheck(lambda *t: fn(*t, reduction=reduction), tensors)
    if smooth and reduction != "sum":  # one reduction with and one without a final sum suffice
        assert minigrad.gradgradcheck(lambda *t: fn(*t, reduction=reduction), tensors)


@pytest.mark.parametrize("case", list(CASES))
def test_losses_keep_float32(backend, rng, case):
    fn = CASES[case][0]
    _, tensors = make_inputs(case, rng, dtype=numpy.float32)
    loss = fn(*tensors)
    assert loss.dtype == numpy.float32
    loss.backward()
    assert all(t.grad.dtype == numpy.float32 for t in tensors if t.requires_grad)


# ----- stability ------------------------------------------------------------------------------

def test_bce_with_logits_is_finite_at_huge_logits(backend):
    x = minigrad.tensor([-1000.0, 1000.0, -1000.0, 1000.0], requires_grad=True)
    t = minigrad.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    numpy.testing.assert_allclose(loss.numpy(), [1000.0, 1000.0, 0.0, 0.0])
    loss.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [-1.0, 1.0, 0.0, 0.0])


def test_bce_clamps_its_logs_like_pytorch(backend):
    p = minigrad.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    t = minigrad.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    numpy.testing.assert_array_equal(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert numpy.isfinite(p.grad.numpy()).all()


def test_cross_entropy_is_finite_at_huge_logits(backend):
    x = minigrad.tensor([[1000.0, -1000.0, 0.0], [0.0, 0.0, 3000.0]], requires_grad=True)
    loss = F.cross_entropy(x, minigrad.tensor([1, 2]), reduction="none")
    numpy.testing.assert_allclose(loss.numpy(), [2000.0, 0.0])
    loss.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])


def test_gaussian_kl_of_the_prior_is_zero_and_reductions_are_per_sample(backend, rng):
    zeros = minigrad.zeros(5, 3, dtype="float64")
    assert F.gaussian_kl(zeros, zeros).item() == 0.0
    mu = minigrad.tensor(rng.standard_normal((5, 3)))
    logvar = minigrad.tensor(rng.standard_normal((5, 3)))
    per_sample = F.gaussian_kl(mu, logvar, reduction="none")
    assert per_sample.shape == (5,)
    assert F.gaussian_kl(mu, logvar).item() == pytest.approx(per_sample.numpy().mean(), rel=1e-12)
    assert F.gaussian_kl(mu, logvar, reduction="sum").item() == pytest.approx(per_sample.numpy().sum(), rel=1e-12)
    assert (per_sample.numpy() >= 0).all()


def test_gaussian_nll_with_unit_variance_is_half_squared_error_plus_constant(backend, rng):
    x = minigrad.tensor(rng.standard_normal((4, 3)))
    m = minigrad.tensor(rng.standard_normal((4, 3)))
    nll = F.gaussian_nll(x, m, 0.0, reduction="none").numpy()
    expected = 0.5 * F.mse_loss(x, m, reduction="none").numpy() + 0.5 * math.log(2 * math.pi)
    numpy.testing.assert_allclose(nll, expected, rtol=1e-12)


# ----- one_hot --------------------------------------------------------------------------------

def test_one_hot(backend):
    labels = minigrad.tensor([2, 0, 1])
    encoded = F.one_hot(labels)
    assert encoded.dtype == numpy.int64 and encoded.backend == backend
    numpy.testing.assert_array_equal(encoded.numpy(), numpy.eye(3, dtype=int)[[2, 0, 1]])
    wide = F.one_hot(minigrad.tensor([[1], [3]]), 5, dtype="float32")
    assert wide.shape == (2, 1, 5) and wide.dtype == numpy.float32
    numpy.testing.assert_array_equal(wide.numpy()[:, 0], numpy.eye(5)[[1, 3]])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        F.one_hot(minigrad.tensor([0, 3]), 3)
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(minigrad.tensor([0.0, 1.0]), 3)


# ----- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_mismatched_shapes_name_the_loss_and_both_shapes(backend, fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: input shape \(4, 3\) and target shape \(4, 1\) differ"):
        fn(minigrad.full((4, 3), 0.5), minigrad.full((4, 1), 0.5))


def test_gaussian_losses_check_shapes(backend):
    with pytest.raises(ValueError, match=r"gaussian_kl: mu shape \(2, 3\) and logvar shape \(2, 4\) differ"):
        F.gaussian_kl(minigrad.ones(2, 3), minigrad.ones(2, 4))
    with pytest.raises(ValueError, match=r"gaussian_nll: input shape \(2, 3\) and mean shape \(3,\) differ"):
        F.gaussian_nll(minigrad.ones(2, 3), minigrad.ones(3), minigrad.ones(2, 3))
    with pytest.raises(ValueError, match=r"gaussian_nll: logvar shape \(2,\) does not broadcast to input shape"):
        F.gaussian_nll(minigrad.ones(2, 3), minigrad.ones(2, 3), minigrad.ones(2))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_classification_losses_check_labels(backend, fn):
    logits = minigrad.randn(4, 3)
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: input shape \(4, 3\) and labels shape \(3,\) do not fit"):
        fn(logits, minigrad.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name}: labels must lie in \[0, 2\] for 3 classes, got values in \[0, 3\]"):
        fn(logits, minigrad.tensor([0, 1, 2, 3]))
    with pytest.raises(TypeError, match=rf"{name}: labels must be an integer tensor"):
        fn(logits, minigrad.tensor([0.5, 1.0, 2.0, 0.0]) if fn is F.nll_loss else "labels")


def test_bce_refuses_values_outside_zero_one(backend):
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(minigrad.tensor([0.5, 1.5]), minigrad.tensor([0.0, 1.0]))


def test_unknown_reduction_is_refused(backend):
    with pytest.raises(ValueError, match="mse_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(minigrad.ones(2), minigrad.ones(2), reduction="avg")
