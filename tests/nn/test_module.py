"""nn.Module and nn.Parameter: registration, walking the tree, modes, backends, state dicts, repr."""

import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.backend import backend_of, to_numpy


class Block(nn.Module):
    """A module with a parameter, a buffer, a submodule and a plain attribute."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(minigrad.ones(3))
        self.fc = nn.Linear(2, 3)
        self.register_buffer("count", minigrad.zeros(1))
        self.note = "plain"

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4))

    def forward(self, x):
        return self.head(self.block(x))


# ----- registration -----------------------------------------------------------------------

def test_attribute_assignment_registers_parameters_buffers_and_modules(backend):
    block = Block()
    assert list(block._parameters) == ["scale"]
    assert list(block._buffers) == ["count"]
    assert list(block._modules) == ["fc"]
    assert "note" not in block._parameters and block.note == "plain"
    assert isinstance(block.scale, nn.Parameter) and block.scale.requires_grad
    assert block.scale.backend == backend


def test_named_parameters_are_dotted_and_in_registration_order(backend):
    names = [name for name, _ in Net().named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias",
                     "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]
    net = Net()
    assert [p.shape for p in net.parameters()] == [(3,), (3, 2), (3,), (4, 3), (4,), (4,), (4,)]
    assert [name for name, _ in net.named_buffers()] == ["block.count", "head.2.running_mean", "head.2.running_var"]


def test_children_and_modules(backend):
    net = Net()
    assert [name for name, _ in net.named_children()] == ["block", "head"]
    assert list(net.children()) == [net.block, net.head]
    names = [name for name, _ in net.named_modules()]
    assert names == ["", "block", "block.fc", "head", "head.0", "head.1", "head.2"]
    assert net.get_submodule("head.2") is net.head[2]
    with pytest.raises(AttributeError, match="head.7"):
        net.get_submodule("head.7")


def test_shared_parameter_is_listed_once(backend):
    a = nn.Linear(3, 3)
    b = nn.Linear(3, 3)
    b.weight = a.weight  # tied weights
    model = nn.Sequential(a, b)
    params = list(model.parameters())
    assert len(params) == 3 and sum(p is a.weight for p in params) == 1
    assert model.num_parameters() == 9 + 3 + 3


def test_reassigning_keeps_the_order_and_rejects_wrong_types(backend):
    net = Net()
    net.block = Block()
    assert [name for name, _ in net.named_children()] == ["block", "head"]
    with pytest.raises(TypeError, match="parameter 'scale'"):
        net.block.scale = minigrad.ones(3)
    with pytest.raises(TypeError, match="submodule 'fc'"):
        net.block.fc = 3
    net.block.fc = None
    assert [name for name, _ in net.block.named_parameters()] == ["scale"]
    del net.block.scale
    assert list(net.block.parameters()) == []


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_parameter_wraps_arrays_and_tensors(backend):
    t = minigrad.ones(2)
    p = nn.Parameter(t)
    assert p.data is t.data and p.requires_grad and isinstance(p, minigrad.Tensor)
    q = nn.Parameter(t.data, requires_grad=False)
    assert not q.requires_grad
    assert "Parameter containing" in repr(p)
    y = (p * 2).sum()
    assert type(y) is minigrad.Tensor
    y.backward()
    numpy.testing.assert_array_equal(p.grad.numpy(), [2.0, 2.0])


def test_call_runs_forward(backend):
    block = Block()
    x = minigrad.randn(5, 2)
    numpy.testing.assert_array_equal(block(x).numpy(), block.forward(x).numpy())


# ----- modes and gradients -----------------------------------------------------------------

def test_train_and_eval_toggle_every_submodule(backend):
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_sets_grads_to_none(backend):
    net = Net()
    net(minigrad.randn(5, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ----- backends and dtypes -------------------------------------------------------------------

def test_to_moves_parameters_and_buffers_in_place(backend):
    net = Net()
    params = list(net.parameters())
    before = [p.numpy() for p in params]
    net(minigrad.randn(5, 2)).sum().backward()
    other = "strict" if backend != "strict" else "numpy"
    assert net.to(other) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]  # identity kept
    assert all(t.backend == other for t in list(net.parameters()) + list(net.buffers()))
    assert all(p.grad.backend == other for p in net.parameters())
    net.to(backend)
    assert all(t.backend == backend for t in list(net.parameters()) + list(net.buffers()))
    for p, b in zip(net.parameters(), before):
        numpy.testing.assert_array_equal(p.numpy(), b)


def test_to_dtype_casts_floating_state(backend):
    net = Net().double()
    assert all(t.dtype == numpy.float64 for t in list(net.parameters()) + list(net.buffers()))
    y = net(minigrad.randn(4, 2, dtype="float64"))
    assert y.dtype == numpy.float64
    net.float()
    assert all(p.dtype == numpy.float32 for p in net.parameters())
    with pytest.raises(TypeError, match="floating dtype"):
        net.to("int64")


# ----- state dicts -----------------------------------------------------------------------------

def test_state_dict_holds_copies_of_parameters_and_buffers(backend):
    net = Net()
    state = net.state_dict()
    # PyTorch's order: each module's parameters, then its buffers, then its submodules.
    assert list(state) == ["block.scale", "block.count", "block.fc.weight", "block.fc.bias",
                           "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias",
                           "head.2.running_mean", "head.2.running_var"]
    assert all(backend_of(a) == backend for a in state.values())
    state["block.scale"] += 1.0
    numpy.testing.assert_array_equal(net.block.scale.numpy(), numpy.ones(3))


def test_state_dict_round_trip_restores_outputs(backend):
    x = minigrad.randn(6, 2)
    net = Net()
    net(x)  # move BatchNorm's running statistics away from their initial values
    net.eval()
    expected = net(x).numpy()
    other = Net().eval()
    params = list(other.parameters())
    assert other.load_state_dict(net.state_dict()) == ([], [])
    assert all(p is q for p, q in zip(other.parameters(), params))
    numpy.testing.assert_array_equal(other(x).numpy(), expected)
    numpy.testing.assert_array_equal(other.head[2].running_mean.numpy(), net.head[2].running_mean.numpy())


def test_load_state_dict_accepts_host_arrays_and_tensors_and_casts(backend):
    net = nn.Linear(2, 3)
    state = {"weight": numpy.arange(6, dtype=numpy.float64).reshape(3, 2),
             "bias": minigrad.tensor([1.0, 2.0, 3.0], backend="numpy")}
    net.load_state_dict(state)
    assert net.weight.backend == backend and net.weight.dtype == numpy.float32
    numpy.testing.assert_array_equal(net.weight.numpy(), numpy.arange(6).reshape(3, 2))
    numpy.testing.assert_array_equal(net.bias.numpy(), [1.0, 2.0, 3.0])
    state["weight"][0, 0] = 100.0  # the module holds a copy
    assert net.weight.numpy()[0, 0] == 0.0


def test_load_state_dict_reports_missing_keys(backend):
    net = Net()
    state = net.state_dict()
    del state["block.fc.bias"], state["head.2.running_var"]
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert "Error(s) in loading state_dict for Net" in message
    assert 'Missing key(s) in state_dict: "block.fc.bias", "head.2.running_var".' in message
    assert "Unexpected" not in message
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["block.fc.bias", "head.2.running_var"] and unexpected == []


def test_load_state_dict_reports_unexpected_keys(backend):
    net = Net()
    state = net.state_dict()
    state["block.extra"] = numpy.zeros(2)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "block.extra".'):
        net.load_state_dict(state)
    assert net.load_state_dict(state, strict=False).unexpected_keys == ["block.extra"]


def test_load_state_dict_reports_mis_shaped_keys_and_changes_nothing(backend):
    net = Net()
    before = net.block.scale.numpy()
    state = net.state_dict()
    state["block.scale"] = numpy.zeros(3, dtype=numpy.float32) + 5
    state["head.0.weight"] = numpy.zeros((3, 4), dtype=numpy.float32)
    for strict in (True, False):
        with pytest.raises(RuntimeError) as info:
            net.load_state_dict(state, strict=strict)
        assert "size mismatch for head.0.weight: expected shape (4, 3), got (3, 4)" in str(info.value)
    numpy.testing.assert_array_equal(net.block.scale.numpy(), before)  # nothing was loaded


def test_load_state_dict_lists_every_problem(backend):
    state = nn.Linear(2, 3).state_dict()
    state["weight"] = state["weight"][:2]
    state["junk"] = state.pop("bias")
    with pytest.raises(RuntimeError) as info:
        nn.Linear(2, 3).load_state_dict(state)
    lines = str(info.value).splitlines()
    assert lines[1:] == ['    Missing key(s) in state_dict: "bias".',
                         '    Unexpected key(s) in state_dict: "junk".',
                         "    size mismatch for weight: expected shape (3, 2), got (2, 2)"]


def test_state_dict_moves_between_backends(backend):
    source = Net()
    host_state = {name: to_numpy(array) for name, array in source.state_dict().items()}
    other = "strict" if backend != "strict" else "numpy"
    with minigrad.use_backend(other):
        target = Net()
    target.load_state_dict(source.state_dict())  # arrays of `backend` into a module on `other`
    assert all(t.backend == other for t in target.parameters())
    for name, array in target.state_dict().items():
        numpy.testing.assert_array_equal(to_numpy(array), host_state[name])


# ----- printing ------------------------------------------------------------------------------------

def test_repr_shows_layers_and_parameter_counts(backend):
    text = repr(Net())
    lines = text.splitlines()
    assert lines[0] == "Net("
    assert "  (block): Block(" in lines
    assert "    (fc): Linear(in_features=2, out_features=3, bias=True)  # 9 parameters" in lines
    assert "  )  # 12 parameters" in lines  # Block: 3 + 9
    assert "    (0): Linear(in_features=3, out_features=4, bias=True)  # 16 parameters" in lines
    assert "    (1): ReLU()" in lines
    assert "    (2): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 8 parameters" \
        in lines
    assert lines[-1] == ")  # total: 36 parameters"
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.Linear(1000, 1000)).endswith("# total: 1,001,000 parameters")


# ----- containers and shape layers --------------------------------------------------------------------

def test_sequential_indexing_len_and_iteration(backend):
    layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    x = minigrad.randn(4, 2)
    numpy.testing.assert_allclose(model(x).numpy(), layers[2](layers[1](layers[0](x))).numpy())
    model[1] = nn.ReLU()
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"] and isinstance(model[1], nn.ReLU)
    model.append(nn.Sigmoid())
    assert len(model) == 4
    named = nn.Sequential({"enc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert [name for name, _ in named.named_parameters()] == ["enc.weight", "enc.bias"]


def test_module_list_registers_its_modules(backend):
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3 and blocks[-1] is list(blocks)[2]
    assert [name for name, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]
    blocks.append(nn.Linear(2, 1))
    blocks.insert(0, nn.ReLU())
    del blocks[1]
    assert [name for name, _ in blocks.named_children()] == ["0", "1", "2", "3"]
    assert isinstance(blocks[0], nn.ReLU) and blocks[3].out_features == 1
    assert len(list(blocks.parameters())) == 6
    with pytest.raises(NotImplementedError):
        blocks(minigrad.ones(2))


def test_flatten_and_unflatten(backend):
    x = minigrad.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(2)(x).shape == (2, 3, 20)
    y = nn.Unflatten(1, (3, 4, 5))(nn.Flatten()(x))
    numpy.testing.assert_array_equal(y.numpy(), x.numpy())
    with pytest.raises(ValueError, match="cannot be split"):
        nn.Unflatten(1, (7, 7))(minigrad.ones(2, 60))


def test_apply_visits_every_module_children_first(backend):
    net = Net()
    visited = []
    assert net.apply(visited.append) is net
    assert visited[-1] is net and len(visited) == len(list(net.modules()))
    assert visited.index(net.block.fc) < visited.index(net.block)


def test_deepcopy_gives_an_independent_module(backend):
    import copy

    net = Net()
    clone = copy.deepcopy(net)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert all(p is not q for p, q in zip(clone.parameters(), net.parameters()))
    clone.block.scale.data = clone.block.scale.data * 0
    numpy.testing.assert_array_equal(net.block.scale.numpy(), numpy.ones(3))
    x = minigrad.randn(4, 2)
    assert clone.eval()(x).shape == net.eval()(x).shape


def test_deleting_a_plain_attribute_and_a_missing_one():
    # monkeypatch.setattr(module, "method", ...) is undone by delattr: a plain instance attribute.
    layer = nn.Linear(2, 3)
    layer.note = "plain"
    del layer.note
    assert not hasattr(layer, "note")
    with pytest.raises(AttributeError, match="note"):
        del layer.note
    del layer.bias  # a registered parameter goes from its registry
    assert "bias" not in dict(layer.named_parameters())
