"""minigrad.viz: the graph as DOT text, drawn as an image, and the backward trace."""

import io
import re

import numpy
import pytest

import minigrad
import minigrad.functional as F
from minigrad import Function, nn, viz
from minigrad.autograd import Config


def f64(values, name=None, requires_grad=True):
    x = minigrad.tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=requires_grad)
    x.name = name
    return x


def small_graph():
    """loss = sigmoid(x @ W + b).sum() with named leaves, and the leaves."""
    rng = numpy.random.default_rng(0)
    x, w, b = f64(rng.normal(size=(4, 3)), "x"), f64(rng.normal(size=(3, 2)), "W"), f64([0.1, -0.2], "b")
    return minigrad.sigmoid(x @ w + b).sum(), (x, w, b)


def node_labels(dot):
    return dict(re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, flags=re.M))


def edges(dot):
    return re.findall(r"^\s+(\w+) -> (\w+);", dot, flags=re.M)


# ----- to_dot --------------------------------------------------------------------------------------

def test_to_dot_has_ops_tensors_shapes_dtypes_and_names(backend):
    loss, (x, w, b) = small_graph()
    dot = viz.to_dot(loss)
    assert dot.startswith("digraph minigrad {") and dot.rstrip().endswith("}")
    labels = node_labels(dot)
    ops = sorted(label for key, label in labels.items() if key.startswith("f"))
    assert ops == ["Add", "MatMul", "Sigmoid", "Sum"]
    tensors = [label for key, label in labels.items() if key.startswith("t")]
    assert "x\\n(4, 3) float64" in tensors and "W\\n(3, 2) float64" in tensors and "b\\n(2,) float64" in tensors
    assert "() float64" in tensors  # the loss
    assert len(edges(dot)) == 10  # 6 operands into the 4 ops, and each op to its output
    assert "|grad|" not in dot  # no backward yet


def test_to_dot_after_backward_shows_gradient_norms_on_leaves(backend):
    loss, (x, w, b) = small_graph()
    loss.backward(retain_graph=True)
    labels = node_labels(viz.to_dot(loss))
    for leaf in (x, w, b):
        norm = numpy.linalg.norm(leaf.grad.numpy())
        assert any(label.startswith(leaf.name + "\\n") and f"|grad| = {norm:.3g}" in label for label in labels.values())


def test_to_dot_after_a_freeing_backward_says_the_graph_is_freed():
    loss, _ = small_graph()
    loss.backward()
    dot = viz.to_dot(loss)
    assert "freed by backward" in dot and "MatMul" not in dot


def test_to_dot_names_parameters_marks_constants_and_escapes_quotes():
    layer = nn.Linear(3, 2)
    data = minigrad.randn(5, 3)
    weird = f64([1.0, 2.0], name='say "hi"')
    loss = (layer(data).sum() + (weird * weird).sum())
    dot = viz.to_dot(loss, params=dict(layer.named_parameters()))
    labels = list(node_labels(dot).values())
    assert any(label.startswith("weight\\n(2, 3)") for label in labels)
    assert any(label.startswith("bias\\n(2,)") for label in labels)
    assert 'say \\"hi\\"' in dot
    assert "#f2f2f2" in dot  # the data: a constant
    # x * x: the same tensor enters Mul twice, and is drawn once
    assert sum(1 for label in labels if label.startswith('say \\"hi\\"')) == 1


def test_to_dot_of_a_leaf_and_of_a_very_deep_chain():
    x = f64([1.0], "x")
    assert node_labels(viz.to_dot(x)) == {"t0": "x\\n(1,) float64"}
    y = x
    for _ in range(3000):  # the walk is iterative: no RecursionError
        y = y * 1.0
    dot = viz.to_dot(y)
    assert dot.count("Mul") == 3000


def test_to_dot_of_a_function_with_several_outputs():
    class SplitHalves(Function):
        def forward(self, x):
            return x[:2], x[2:]

        def backward(self, ga, gb):
            return minigrad.concatenate([ga, gb])

    x = f64([1.0, 2.0, 3.0, 4.0], "x")
    a, b = SplitHalves()(x)
    dot = viz.to_dot(a * b)
    assert dot.count('label="SplitHalves"') == 1
    split = next(k for k, v in node_labels(dot).items() if v == "SplitHalves")
    assert sum(1 for u, _ in edges(dot) if u == split) == 2


# ----- draw ----------------------------------------------------------------------------------------

def test_draw_writes_a_png(tmp_path, backend):
    loss, _ = small_graph()
    loss.backward(retain_graph=True)
    path = viz.draw(loss, str(tmp_path / "graph.png"), title="sigmoid(x @ W + b).sum()")
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.shape[0] > image.shape[1] > 100  # taller than wide: 4 ops and 4 layers of tensors


def test_draw_a_leaf_and_a_model_graph(tmp_path):
    import matplotlib

    backend_before = matplotlib.get_backend()
    x = f64([1.0, 2.0], "x")
    viz.draw(x, str(tmp_path / "leaf.png"))
    assert matplotlib.get_backend() == backend_before  # no pyplot: a notebook's backend is left alone
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 4))
    data = minigrad.rand(6, 4)
    loss = F.mse_loss(model(data), data)
    viz.draw(loss, str(tmp_path / "model.svg"), params=dict(model.named_parameters()))
    assert (tmp_path / "leaf.png").stat().st_size > 0 and (tmp_path / "model.svg").stat().st_size > 0


def test_layout_arrows_point_down_and_nodes_do_not_overlap():
    """The layered layout of a graph with a long edge (x used at the start and at the end)."""
    x = f64(numpy.linspace(0.5, 1.5, 6).reshape(2, 3), "x")
    w = f64(numpy.ones((3, 3)), "W")
    h = minigrad.tanh(x @ w)
    loss = ((minigrad.sigmoid(h) * 2 - x) ** 2).mean()
    graph = viz._Graph(loss)
    keys = [key for key, _, _ in graph.nodes()]
    position, paths = viz._layout(keys, graph.edges)
    for path in paths:
        layers = [position[k][1] for k in path]
        assert layers == list(range(layers[0], layers[0] + len(layers)))  # one layer per step, downwards
    assert max(len(p) for p in paths) > 2  # the long edge got bend points
    rows = {}
    for key, (x_pos, layer) in position.items():
        rows.setdefault(layer, []).append((x_pos, key))
    for row in rows.values():
        row.sort()
        for (xa, a), (xb, b) in zip(row, row[1:]):
            need = (1.0 if a[0] in "tf" else 0.35) / 2 + (1.0 if b[0] in "tf" else 0.35) / 2
            assert xb - xa >= need - 1e-9


# ----- trace_backward --------------------------------------------------------------------------------

def test_trace_prints_each_node_in_order_with_gradient_shapes_and_norms(backend):
    loss, (x, w, b) = small_graph()
    stream = io.StringIO()
    with viz.trace_backward(stream):
        loss.backward()
    lines = stream.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["[1] Sum", "[2] Sigmoid", "[3] Add", "[4] MatMul"]
    assert lines[0].startswith("[1] Sum  in: grad () |g|=1  out: (4, 2) |g|=2.83")  # √8: ones of shape (4, 2)
    assert f"b (2,) |g|={numpy.linalg.norm(b.grad.numpy()):.3g}" in lines[2]
    matmul = lines[3]
    assert f"x (4, 3) |g|={numpy.linalg.norm(x.grad.numpy()):.3g}" in matmul
    assert f"W (3, 2) |g|={numpy.linalg.norm(w.grad.numpy()):.3g}" in matmul
    # the gradient into MatMul is the one Add sent to its first input
    sent = re.search(r"out: \(4, 2\) \|g\|=(\S+),", lines[2]).group(1)
    assert re.search(r"in: grad \(4, 2\) \|g\|=(\S+)  ", matmul).group(1) == sent.rstrip(",")


def test_trace_defaults_to_stdout_marks_constants_and_restores_the_hook(capsys):
    calls = []

    def outer(function, grad_outputs, grad_inputs):
        calls.append(function.name)

    Config.backward_hook = outer
    try:
        x = f64([1.0, 2.0], "x")
        c = f64([3.0, 4.0], "c", requires_grad=False)
        with viz.trace_backward():
            (x * c).sum().backward()
        assert Config.backward_hook is outer
        assert calls == ["Sum", "Mul"]  # the previous hook still ran
    finally:
        Config.backward_hook = None
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "[2] Mul  in: grad (2,) |g|=1.41  out: x (2,) |g|=5, c (no grad needed)"


def test_trace_restores_the_hook_after_an_error():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            raise ValueError("broken backward")

    x = f64([1.0], "x")
    with pytest.raises(ValueError, match="broken backward"):
        with viz.trace_backward(io.StringIO()):
            Broken()(x).sum().backward()
    assert Config.backward_hook is None


def test_trace_of_a_multi_output_function_and_of_a_bad_gradient():
    class MeanAndMax(Function):
        def forward(self, x):
            return x.mean(keepdims=True), x.max(keepdims=True)

        def backward(self, gm, gmax):
            x, = self.inputs
            return gm / x.size + gmax * minigrad.Tensor((x.data == x.data.max()).astype(x.dtype))

    x = f64([1.0, 5.0, 2.0], "x")
    m, top = MeanAndMax()(x)
    stream = io.StringIO()
    with viz.trace_backward(stream):
        (m + top).sum().backward()
    assert "MeanAndMax  in: grads (1,) |g|=1, (1,) |g|=1  out: x (3,)" in stream.getvalue()
    text = viz.format_backward_step(7, MeanAndMax(), [], [numpy.ones(3)])
    assert text.startswith("[7] MeanAndMax")
    assert viz._grad_text(numpy.ones(2)) == "<ndarray, not a Tensor>"


# ----- the teachers' guide ----------------------------------------------------------------------------

def test_the_python_blocks_of_docs_teaching_md_run(tmp_path, monkeypatch, capsys):
    """docs/teaching.md promises that its code works as written: run its blocks in order."""
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "teaching.md")
    with open(path, encoding="utf-8") as handle:
        blocks = re.findall(r"```python\n(.*?)```", handle.read(), flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile("\n".join(blocks), path, "exec"), namespace)
    assert (tmp_path / "graph.png").stat().st_size > 0
    out = capsys.readouterr().out
    assert "[3] MatMul  in: grad (2, 2) |g|=0.404  out: x (2, 3) |g|=0.088, W (3, 2) |g|=0.711" in out
