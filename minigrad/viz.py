"""Look inside the graph: ``to_dot``, ``draw`` and ``trace_backward``.

    import minigrad as mg
    from minigrad import viz

    x = mg.randn(4, 3, requires_grad=True); x.name = "x"
    W = mg.randn(3, 2, requires_grad=True); W.name = "W"
    loss = mg.sigmoid(x @ W).sum()

    print(viz.to_dot(loss))          # Graphviz DOT text (paste it into any DOT viewer)
    viz.draw(loss, "graph.png")      # the same graph drawn with matplotlib, no Graphviz needed

    with viz.trace_backward():       # one line per node as backward visits it
        loss.backward()

The graph has two kinds of nodes, as in the engine (:mod:`minigrad.autograd`):
*tensors* (boxes: name, shape, dtype, and the norm of ``.grad`` when there is one)
and *functions* (ellipses: the op's class name), with arrows in the direction of the
forward pass: input tensor -> function -> output tensor.

Backward frees what the functions saved (their ``inputs`` too), so a graph drawn
*after* ``backward()`` is cut at its first function, marked "freed by backward". To
see the gradient norms on the leaves, call ``loss.backward(retain_graph=True)`` and
then draw.
"""

import contextlib
import sys

import numpy

from minigrad import backend as _backend
from minigrad.autograd import Config

__all__ = ["to_dot", "draw", "trace_backward", "format_backward_step"]

# Colours shared by the DOT text and the matplotlib drawing.
_COLORS = {
    "leaf": "#cfe2ff",      # a leaf that requires grad: an input or a parameter being learned
    "constant": "#f2f2f2",  # a tensor without requires_grad: data, labels, masks
    "inner": "#fff4c2",     # an intermediate result
    "root": "#c9f2c7",      # the tensor that was drawn (usually the loss)
    "function": "#e6e6e6",
    "freed": "#f8d0d0",
}


# ----- walking the graph -------------------------------------------------------------------

class _Graph:
    """Tensors and functions reachable backwards from ``root``, in discovery order.

    ``tensors`` and ``functions`` are lists of objects; ``edges`` are pairs of node keys
    ("t3", "f1"), always in the forward direction (input -> function -> output). The
    walk is iterative, so a chain of thousands of ops needs no recursion.
    """

    def __init__(self, root, params=None):
        self.names = {id(t): name for name, t in (params or {}).items()}
        self.tensors, self.functions, self.edges = [], [], []
        self._keys = {}
        self.root_key = self._tensor_key(root)
        stack = [root]
        while stack:
            tensor = stack.pop()
            function = tensor.creator
            if function is None:
                continue
            known = id(function) in self._keys
            fkey = self._function_key(function)
            self.edges.append((fkey, self._tensor_key(tensor)))
            if known or self.freed(function):
                continue
            for x in function.inputs:
                new = id(x) not in self._keys
                self.edges.append((self._tensor_key(x), fkey))
                if new:
                    stack.append(x)

    @staticmethod
    def freed(function):
        return getattr(function, "_freed", False) or function.inputs is None

    def _tensor_key(self, tensor):
        if id(tensor) not in self._keys:
            self._keys[id(tensor)] = f"t{len(self.tensors)}"
            self.tensors.append(tensor)
        return self._keys[id(tensor)]

    def _function_key(self, function):
        if id(function) not in self._keys:
            self._keys[id(function)] = f"f{len(self.functions)}"
            self.functions.append(function)
        return self._keys[id(function)]

    def nodes(self):
        """(key, kind, label lines) for every node: tensors first, then functions."""
        result = []
        for k, t in enumerate(self.tensors):
            key = f"t{k}"
            kind = "root" if key == self.root_key else (
                "inner" if t.creator is not None else "leaf" if t.requires_grad else "constant")
            result.append((key, kind, self.tensor_label(t)))
        for k, f in enumerate(self.functions):
            if self.freed(f):
                result.append((f"f{k}", "freed", [f.name, "(freed by backward)"]))
            else:
                result.append((f"f{k}", "function", [f.name]))
        return result

    def tensor_label(self, t):
        lines = []
        name = t.name or self.names.get(id(t))
        if name:
            lines.append(str(name))
        lines.append(f"{_shape_text(t.shape)} {t.dtype}")
        if t.grad is not None:
            lines.append(f"|grad| = {_norm(t.grad.data):.3g}")
        return lines


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _norm(array):
    """The Euclidean norm of an array of any backend, as a Python float (host float64)."""
    return float(numpy.linalg.norm(numpy.asarray(_backend.to_numpy(array), dtype=numpy.float64).ravel()))


# ----- DOT text ------------------------------------------------------------------------------

def _dot_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(tensor, params=None):
    """The computation graph that produced ``tensor``, as Graphviz DOT text.

    Tensor nodes (boxes) show the name (``tensor.name``, or its key in ``params``, e.g.
    ``dict(model.named_parameters())``), shape and dtype, and ``|grad|`` when ``.grad``
    is set; function nodes (ellipses) show the op. Leaves that require grad are blue,
    constants grey, intermediate results yellow, ``tensor`` itself green. Render it with
    any DOT viewer (``dot -Tpng``, an online viewer), or use :func:`draw`, which needs
    no Graphviz.
    """
    graph = _Graph(tensor, params)
    lines = [
        "digraph minigrad {",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [arrowsize=0.7];',
    ]
    for key, kind, label in graph.nodes():
        text = '"' + "\\n".join(_dot_escape(line) for line in label) + '"'
        if kind in ("function", "freed"):
            style = "filled,dashed" if kind == "freed" else "filled"
            lines.append(f'  {key} [label={text}, shape=ellipse, style="{style}", fillcolor="{_COLORS[kind]}"];')
        else:
            lines.append(f'  {key} [label={text}, shape=box, style="rounded,filled", fillcolor="{_COLORS[kind]}"];')
    for a, b in graph.edges:
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_MAX_PIXELS = 32000


# ----- a layered layout in plain Python (Sugiyama's scheme, simplified) ----------------------

def _layout(keys, edges, sweeps=8):
    """Positions for a DAG drawn top to bottom.

    1. Layers: the longest path from a source (so every arrow points down); then each
       source moves down to just above its first consumer (leaves sit next to their op).
    2. An arrow that spans several layers gets invisible "dummy" points, one per layer,
       so that it can bend around the nodes between.
    3. Order within each layer: barycentre sweeps (each node moves to the mean position
       of its neighbours in the layer above, then below), which removes most crossings.
    4. x coordinates: each node pulled towards its neighbours, then the overlaps in its
       row resolved in weighted least squares (ops and results weigh more than leaves).

    Returns ``(position, paths)``: ``position[key] = (x, layer)`` for nodes and dummies, and
    for each edge the list of keys it passes through.
    """
    successors = {k: [] for k in keys}
    predecessors = {k: [] for k in keys}
    for a, b in edges:
        successors[a].append(b)
        predecessors[b].append(a)
    # 1. layers, via a topological order (Kahn's algorithm)
    remaining = {k: len(set(predecessors[k])) for k in keys}
    order = [k for k in keys if remaining[k] == 0]
    seen_edges = set()
    for k in order:
        for s in successors[k]:
            if (k, s) in seen_edges:
                continue
            seen_edges.add((k, s))
            remaining[s] -= 1
            if remaining[s] == 0:
                order.append(s)
    layer = {}
    for k in order:
        layer[k] = max((layer[p] + 1 for p in predecessors[k]), default=0)
    for k in order:
        if not predecessors[k] and successors[k]:
            layer[k] = min(layer[s] for s in successors[k]) - 1
    # 2. dummies on long edges
    paths = []
    position_layer = dict(layer)
    for n, (a, b) in enumerate(dict.fromkeys(edges)):
        path = [a]
        for step in range(layer[a] + 1, layer[b]):
            dummy = f"d{n}_{step}"
            position_layer[dummy] = step
            path.append(dummy)
        path.append(b)
        paths.append(path)
    up = {k: [] for k in position_layer}
    down = {k: [] for k in position_layer}
    for path in paths:
        for u, v in zip(path, path[1:]):
            down[u].append(v)
            up[v].append(u)
    depth = max(position_layer.values(), default=0) + 1
    rows = [[] for _ in range(depth)]
    for k in list(order) + [k for k in position_layer if k not in layer]:
        rows[position_layer[k]].append(k)
    # 3. ordering by barycentres
    rank = {}

    def renumber():
        for row in rows:
            for i, k in enumerate(row):
                rank[k] = i

    renumber()
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        for row in (rows[1:] if downward else rows[-2::-1]):
            neighbours = up if downward else down

            def barycentre(k):
                near = neighbours[k]
                return sum(rank[n] for n in near) / len(near) if near else rank[k]

            row.sort(key=barycentre)
            for i, k in enumerate(row):
                rank[k] = i
    # 4. coordinates: every node wants the mean x of its neighbours; overlaps in a row are
    # resolved by sliding blocks of touching nodes to their weighted mean, where the ops and
    # intermediate results weigh more than leaves and bends, so the main chain stays straight.
    size = {k: 1.0 if k in layer else 0.35 for k in position_layer}
    weight = {k: 0.2 if k not in layer else 1.0 if up[k] else 0.3 for k in position_layer}
    x = {}
    for row in rows:
        for i, k in enumerate(row):
            x[k] = i - (len(row) - 1) / 2
    for _ in range(40):
        for row in rows:
            desired = {}
            for k in row:
                near = up[k] + down[k]
                desired[k] = sum(x[n] for n in near) / len(near) if near else x[k]
            _place_row(row, desired, size, weight, x)
    return {k: (x[k], position_layer[k]) for k in position_layer}, paths


def _place_row(row, desired, size, weight, x):
    """Set ``x`` for the nodes of ``row`` (in this order, ``(size_a + size_b)/2`` apart at
    least) as close as possible to ``desired``, in weighted least squares."""
    blocks = []  # [first index, last index, Σw·(d − offset), Σw]; the block starts at their ratio
    offsets, total = [], 0.0
    for i, k in enumerate(row):
        if i:
            total += (size[row[i - 1]] + size[k]) / 2
        offsets.append(total)
        blocks.append([i, i, weight[k] * (desired[k] - total), weight[k]])
        while len(blocks) > 1:
            a, b = blocks[-2], blocks[-1]
            end_a = a[2] / a[3] + offsets[a[1]]
            start_b = b[2] / b[3] + offsets[b[0]]
            if start_b - end_a >= (size[row[a[1]]] + size[row[b[0]]]) / 2 - 1e-9:
                break
            blocks[-2:] = [[a[0], b[1], a[2] + b[2], a[3] + b[3]]]
    for first, last, moment, mass in blocks:
        for i in range(first, last + 1):
            x[row[i]] = moment / mass + offsets[i]


def draw(tensor, path, params=None, title=None, dpi=110):
    """Draw the graph of ``tensor`` (see :func:`to_dot`) to an image file with matplotlib.

    Leaves are at the top, ``tensor`` at the bottom, arrows follow the forward pass. The
    layout is computed here (no Graphviz binary). ``path`` ends in .png, .svg or .pdf;
    ``params`` names tensors as in :func:`to_dot`. Returns ``path``.

    A graph of a few dozen ops reads well; one of hundreds takes seconds and is drawn
    smaller (at most 32,000 pixels a side): draw a part of it (one layer, one loss term),
    or render :func:`to_dot` with Graphviz.
    """
    # A Figure with its own Agg canvas, not pyplot: no window, and the backend of a notebook
    # or of the caller's own plots is left alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    graph = _Graph(tensor, params)
    nodes = graph.nodes()
    position, paths = _layout([key for key, _, _ in nodes], graph.edges)
    xs = [p[0] for p in position.values()]
    depth = max(p[1] for p in position.values()) + 1
    x_step, y_step = 2.0, 0.85  # inches per unit of x and per layer
    width = (max(xs) - min(xs)) * x_step + 2.4
    height = (depth - 1) * y_step + 1.2 + (0.4 if title else 0.0)
    dpi = min(dpi, _MAX_PIXELS / max(width, height))  # huge graphs: smaller, but an image viewers open
    fig = Figure(figsize=(max(width, 3.0), max(height, 1.6)), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.set_xlim(min(xs) - 0.6 - (max(width, 3.0) - width) / (2 * x_step),
                max(xs) + 0.6 + (max(width, 3.0) - width) / (2 * x_step))
    top = 0.7 * (1 + (0.4 if title else 0.0) / y_step)
    ax.set_ylim(-(depth - 1) - 0.7 - (max(height, 1.6) - height) / y_step, top)

    patches = {}
    for key, kind, label in nodes:
        x, y = position[key]
        box = "round,pad=0.3" if kind in ("function", "freed") else "square,pad=0.35"
        style = "--" if kind == "freed" else "-"
        text = ax.text(x, -y, "\n".join(label), ha="center", va="center", fontsize=8.5,
                       fontweight="bold" if kind in ("function", "freed") else "normal",
                       bbox=dict(boxstyle=box, fc=_COLORS[kind], ec="#555555", lw=0.8, ls=style), zorder=3)
        patches[key] = text
    # Each box's half-size in data units, so that an arrow can start and stop at its edge
    # (computed once here: matplotlib's own patch clipping costs ~10 ms an arrow).
    renderer = fig.canvas.get_renderer()
    to_data = ax.transData.inverted()
    boxes = {}
    for key, text in patches.items():
        text.update_bbox_position_size(renderer)
        extent = text.get_bbox_patch().get_window_extent(renderer)
        (x0, y0), (x1, y1) = to_data.transform([[extent.x0, extent.y0], [extent.x1, extent.y1]])
        boxes[key] = (abs(x1 - x0) / 2 + 0.01, abs(y1 - y0) / 2 + 0.03)
    for keys in paths:
        points = [(position[k][0], -position[k][1]) for k in keys]
        points[0] = _edge_point(points[0], boxes[keys[0]], points[1])
        points[-1] = _edge_point(points[-1], boxes[keys[-1]], points[-2])
        if len(points) > 2:  # the bends of a long edge: a plain line up to the last one
            xs_line, ys_line = zip(*points[:-1])
            ax.plot(xs_line, ys_line, color="#444444", lw=0.8, zorder=2, solid_capstyle="butt")
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=9, lw=0.8,
                                     color="#444444", shrinkA=0, shrinkB=0, zorder=2))
    if title:
        ax.text(0.5, 0.995, title, transform=ax.transAxes, ha="center", va="top", fontsize=11)
    fig.savefig(path, dpi=dpi)
    return path


def _edge_point(center, half, toward):
    """Where the segment from ``center`` to ``toward`` leaves the box of half-sizes ``half``."""
    dx, dy = toward[0] - center[0], toward[1] - center[1]
    scales = [h / abs(d) for h, d in zip(half, (dx, dy)) if d]
    t = min(scales + [1.0])
    return center[0] + t * dx, center[1] + t * dy


# ----- the backward trace ----------------------------------------------------------------------

def _grad_text(grad, label=""):
    prefix = label + " " if label else ""
    if grad is None:
        return prefix + "none"
    if not hasattr(grad, "creator"):  # not a Tensor (a bug in a backward): say what it is
        return prefix + f"<{type(grad).__name__}, not a Tensor>"
    return prefix + f"{_shape_text(grad.shape)} |g|={_norm(grad.data):.3g}"


def format_backward_step(step, function, grad_outputs, grad_inputs, names=None):
    """One line of :func:`trace_backward`: the function, the gradients flowing into it
    (one per output) and those it sends to its inputs (one per input, with the input's
    name when it has one)."""
    names = names or {}
    incoming = ", ".join(_grad_text(g) for g in grad_outputs)
    parts = []
    for x, g in zip(function.inputs or (), grad_inputs):
        label = x.name or names.get(id(x), "")
        if not x.requires_grad:
            parts.append((label + " " if label else "") + "(no grad needed)")
        else:
            parts.append(_grad_text(g, label))
    word = "grad" if len(grad_outputs) == 1 else "grads"
    return f"[{step}] {function.name}  in: {word} {incoming}  out: {', '.join(parts)}"


@contextlib.contextmanager
def trace_backward(stream=None, params=None):
    """Print each node of the graph as backward visits it, in order::

        [1] Sum  in: grad () |g|=1  out: (4, 2) |g|=2.83
        [2] Sigmoid  in: grad (4, 2) |g|=2.83  out: (4, 2) |g|=0.61
        [3] MatMul  in: grad (4, 2) |g|=0.61  out: x (4, 3) |g|=0.92, W (3, 2) |g|=1.1

    "in" is the gradient of the loss with respect to the function's output(s), "out" what
    the function's ``backward`` returns for each input: the chain rule, one step per line.
    Lines go to ``stream`` (default ``sys.stdout``); ``params`` names tensors as in
    :func:`to_dot`. Any hook set before is still called, and restored on exit.
    """
    names = {id(t): name for name, t in (params or {}).items()}
    previous = Config.backward_hook
    counter = [0]

    def hook(function, grad_outputs, grad_inputs):
        counter[0] += 1
        out = sys.stdout if stream is None else stream
        print(format_backward_step(counter[0], function, grad_outputs, grad_inputs, names), file=out)
        if previous is not None:
            previous(function, grad_outputs, grad_inputs)

    Config.backward_hook = hook
    try:
        yield
    finally:
        Config.backward_hook = previous
