"""No float64 creeps into a float32 graph: every array an op makes while training stays float32.

A Python float next to a float32 tensor must not promote it (NumPy 2 and CuPy treat Python
scalars as weak), constants such as the 2 of ``2 * x`` take the tensor's dtype, and the
optimizer's state and updates keep the parameters' dtype. A float64 temporary would double
the memory traffic of every op that touches it.
"""

import numpy
import pytest

import minigrad
from minigrad import autograd, functional as F, nn, optim


@pytest.fixture
def op_outputs(monkeypatch):
    """Every array wrapped as an op's output while the fixture is active."""
    made = []
    wrap = autograd._wrap

    def recording_wrap(array):
        made.append(array)
        return wrap(array)

    monkeypatch.setattr(autograd, "_wrap", recording_wrap)
    return made


def _floating_dtypes(arrays):
    return {str(a.dtype) for a in arrays if numpy.dtype(a.dtype).kind == "f"}


@pytest.mark.parametrize("loss_name", ["mse", "bce_logits", "vae"])
def test_a_float32_training_step_makes_only_float32_arrays(backend, rng, op_outputs, loss_name):
    x = minigrad.tensor(rng.uniform(0, 1, (8, 12)).astype(numpy.float32))
    encoder = nn.Sequential(nn.Linear(12, 6), nn.ReLU())
    heads = nn.Linear(6, 4), nn.Linear(6, 4)
    decoder = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 12))
    params = list(encoder.parameters()) + [p for h in heads for p in h.parameters()] + list(decoder.parameters())
    opt = optim.Adam(params, lr=1e-3, weight_decay=1e-4)
    h = encoder(x)
    mu, logvar = heads[0](h), heads[1](h)
    if loss_name == "vae":
        z = mu + minigrad.exp(0.5 * logvar) * minigrad.randn(*mu.shape)
        out = decoder(z)
        loss = F.binary_cross_entropy_with_logits(out, x, reduction="sum") * (1.0 / len(x)) + F.gaussian_kl(mu, logvar)
    elif loss_name == "bce_logits":
        loss = F.binary_cross_entropy_with_logits(decoder(mu), x)
    else:
        loss = F.mse_loss(F.sigmoid(decoder(mu)), x) + 0.5 * (logvar * logvar).mean()
    loss.backward(minigrad.full_like(loss, 8.0))
    opt.step()
    assert op_outputs, "no op output was recorded"
    assert _floating_dtypes(op_outputs) == {"float32"}
    assert {str(p.dtype) for p in params} == {"float32"}
    assert {str(p.grad.dtype) for p in params if p.grad is not None} == {"float32"}
    state = [a for s in opt.state.values() for a in s.values() if hasattr(a, "dtype")]
    assert _floating_dtypes(state) == {"float32"}
