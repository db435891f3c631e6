"""minigrad.cuda_graph: a step captured as a CUDA graph trains as the same step run eagerly.

On NumPy and the strict stand-in nothing is captured, but the same checks run at the call
that would capture and at later ones; these tests pin down those checks on every backend.
On CuPy with a GPU the step is really captured: its replays must give what eager steps
give (same noise, same updates), and what a graph cannot record must raise clearly.
"""

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim
from minigrad.backend import to_numpy
from minigrad.cuda_graph import CaptureError, graphed


class NoisyNet(nn.Module):
    """A small regression net with noise drawn inside the step, like a VAE's ε."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 5)
        self.out = nn.Linear(5, 3)

    def loss(self, x, y):
        h = minigrad.relu(self.hidden(x))
        noise = minigrad.Tensor._wrap(minigrad.random.normal(h.shape, h.dtype))
        prediction = self.out(h + 0.1 * noise)
        return ((prediction - y) ** 2).sum()


def make(dtype="float64", seed=5, optimizer=lambda params: optim.Adam(params, lr=0.05, capturable=True)):
    minigrad.manual_seed(seed)
    model = NoisyNet()
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    opt = optimizer(model.parameters())

    def step(x, y):
        opt.zero_grad()
        loss = model.loss(x, y)
        loss.backward()
        opt.step()
        return loss.detach()

    return model, opt, step


def batches(count, size=4, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    return [(minigrad.tensor(rng.standard_normal((size, 6)).astype(dtype)),
             minigrad.tensor(rng.standard_normal((size, 3)).astype(dtype))) for _ in range(count)]


def params_of(model):
    return [np.array(to_numpy(p.data)) for p in model.parameters()]


def train(step, data, seed):
    minigrad.manual_seed(seed)
    return [float(to_numpy(step(x, y).data)) for x, y in data]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_graphed_steps_train_as_eager_steps(backend, dtype):
    data = batches(6, dtype=dtype) + batches(2, size=3, dtype=dtype, seed=1) + batches(3, dtype=dtype, seed=2)
    eager_model, _, eager_step = make(dtype)
    graphed_model, graphed_opt, step = make(dtype)
    graphed_step = graphed(step)
    eager_losses = train(eager_step, data, seed=11)
    graphed_losses = train(graphed_step, data, seed=11)
    # cuBLAS called by the graph and by CuPy may pick different algorithms: last-bit differences
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(graphed_losses, eager_losses, **tolerance)
    for got, expected in zip(params_of(graphed_model), params_of(eager_model)):
        np.testing.assert_allclose(got, expected, **tolerance)
    assert float(to_numpy(graphed_opt.state[graphed_model.out.weight]["step"])) == len(data)
    for got, expected in zip(graphed_model.parameters(), eager_model.parameters()):  # the last step's gradients
        np.testing.assert_allclose(to_numpy(got.grad.data), to_numpy(expected.grad.data), **tolerance)


def test_the_noise_is_fresh_at_every_call(backend):
    model, _, _ = make()
    seen = []

    def step(x):
        noise = minigrad.Tensor._wrap(minigrad.random.normal((3,), x.dtype))
        return (x + noise).detach()

    step = graphed(step)
    x = minigrad.tensor(np.zeros(3))
    for _ in range(4):
        seen.append(np.array(to_numpy(step(x).data)))
    assert len({tuple(s) for s in seen}) == 4


def test_a_new_input_shape_is_warmed_up_and_captured_on_its_own(backend):
    calls = []

    def step(x):
        calls.append(x.shape)
        return (x * 2.0).detach()

    step = graphed(step)
    for size in (2, 2, 3, 2, 3, 3, 2):
        out = step(minigrad.tensor(np.full(size, float(size))))
        np.testing.assert_array_equal(to_numpy(out.data), np.full(size, 2.0 * size))
    if backend == "cupy":  # each shape: a warm-up call and a capture; then replays, no Python
        assert calls == [(2,), (2,), (3,), (3,)]
    else:
        assert calls == [(2,), (2,), (3,), (2,), (3,), (3,), (2,)]


def test_adam_must_be_capturable(backend):
    _, _, step = make(optimizer=lambda params: optim.Adam(params, lr=0.05))
    step = graphed(step)
    (x, y), = batches(1)
    step(x, y)  # the warm-up runs as it is
    with pytest.raises(CaptureError, match=r"Adam\(capturable=False\).*capturable=True"):
        step(x, y)


@pytest.mark.parametrize("make_optimizer", [
    lambda params: optim.SGD(params, lr=0.01, momentum=0.9),
    lambda params: optim.RMSprop(params, lr=0.01, momentum=0.5),
    lambda params: optim.AdamW(params, lr=0.01, capturable=True),
], ids=["sgd-momentum", "rmsprop", "adamw"])
def test_other_optimizers_replay_as_eager_steps(backend, make_optimizer):
    data = batches(5)
    eager_model, eager_opt, eager_step = make(optimizer=make_optimizer)
    graphed_model, graphed_opt, step = make(optimizer=make_optimizer)
    train(eager_step, data, seed=2)
    train(graphed(step), data, seed=2)
    for got, expected in zip(params_of(graphed_model), params_of(eager_model)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    if isinstance(eager_opt, optim.RMSprop):  # its step count is a host int, counted per replay
        assert graphed_opt.state[graphed_model.out.weight]["step"] == 5


def test_a_changed_learning_rate_is_refused_until_reset(backend):
    data = batches(4)
    model, opt, step = make()
    step = graphed(step)
    for x, y in data[:2]:
        step(x, y)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    scheduler.step()
    with pytest.raises(CaptureError, match=r"group 0 has lr=0.025.*captured with lr=0.05.*reset\(\)"):
        step(*data[2])
    step.reset()
    step(*data[2])  # captured again, with the new rate
    step(*data[3])


def test_replaced_parameters_or_state_are_refused(backend):
    data = batches(3)
    model, opt, step = make()
    step = graphed(step)
    step(*data[0])
    step(*data[1])
    saved = opt.state_dict()
    opt.load_state_dict(saved)
    with pytest.raises(CaptureError, match=r"state of parameter 0 \(5, 6\) was replaced.*load_state_dict"):
        step(*data[2])
    step.reset()
    step(*data[2])
    model.hidden.bias.data = model.hidden.bias.data.copy()
    with pytest.raises(CaptureError, match=r"array of Adam's parameter 1 \(5,\) was replaced"):
        step(*data[2])


def test_state_made_inside_the_capture_is_refused(backend):
    minigrad.manual_seed(0)
    a = minigrad.tensor(np.ones(3), requires_grad=True)
    b = minigrad.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1, capturable=True)
    calls = []

    def step(x):
        opt.zero_grad()
        loss = (a * x).sum() if not calls else ((a + b) * x).sum()  # b gets its first gradient late
        calls.append(1)
        loss.backward()
        opt.step()
        return loss.detach()

    step = graphed(step)
    x = minigrad.tensor(np.arange(3.0))
    step(x)
    with pytest.raises(CaptureError, match=r"state of a parameter \(3,\) inside the captured step"):
        step(x)


def test_the_seeded_generator_is_refused_inside_a_capture(backend):
    def step(x):
        minigrad.random.generator().permutation(3)
        return x

    step = graphed(step)
    x = minigrad.tensor(np.zeros(3))
    step(x)  # eager: allowed
    with pytest.raises(CaptureError, match=r"generator\(\) inside a graphed step"):
        step(x)
    minigrad.random.generator()  # and allowed again after the failed capture


def test_inputs_must_be_tensors_or_arrays():
    step = graphed(lambda x: x)
    with pytest.raises(TypeError, match="input 0 is a list"):
        step([1.0, 2.0])


def test_inside_a_capture_the_ops_products_call_cublas_and_after_it_their_own_matmul(monkeypatch):
    from minigrad import cublas, cuda_graph, gemm

    calls = []

    def recorded(a, b, out=None):
        calls.append((a.shape, b.shape))
        return np.matmul(a, b, out=out)

    monkeypatch.setattr(cublas, "matmul", recorded)
    layer = nn.Linear(3, 2)
    x = minigrad.tensor(np.ones((4, 3), dtype="float32"), requires_grad=True)
    with cuda_graph.products_through_cublas():
        assert gemm.matmul is recorded and gemm.matmul_into is recorded
        layer(x).sum().backward()
    assert sorted(calls) == sorted([((4, 3), (3, 2)), ((4, 2), (2, 3)), ((2, 4), (4, 3))])  # y, ∂x, ∂W
    calls.clear()
    layer(x).sum().backward()
    assert calls == [] and gemm.matmul is not recorded and gemm.matmul_into is not recorded


# ----- a real capture (CuPy and a GPU) -------------------------------------------------------

def test_a_host_sync_inside_the_step_is_explained_and_leaves_cupy_usable(backend):
    if backend != "cupy":
        pytest.skip("only a real CUDA capture can refuse a host sync")
    _, _, step = make()

    def step_with_sync(x, y):
        loss = step(x, y)
        float(loss.item())  # waits for the device: not recordable
        return loss

    graphed_step = graphed(step_with_sync)
    (x, y), = batches(1)
    graphed_step(x, y)
    with pytest.raises(CaptureError, match=r"cannot record.*\.item\(\)"):
        graphed_step(x, y)
    assert float((x * 2.0).sum().item()) == pytest.approx(2 * float(to_numpy(x.data).sum()))


def test_outputs_are_the_same_tensors_overwritten_by_each_replay(backend):
    if backend != "cupy":
        pytest.skip("on the CPU every call runs the function and returns new outputs")
    data = batches(4)
    _, _, step = make()
    step = graphed(step)
    first = [step(*data[0]), step(*data[1])]
    values = float(first[1].item())
    third = step(*data[2])
    assert third is first[1] and float(third.item()) != values
