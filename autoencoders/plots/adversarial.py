"""Figures of the adversarial autoencoders (aae, aae-supervised, aae-semisupervised).

* :func:`codes_over_prior` — the encoded test codes, coloured by label, drawn over samples of
  the prior (in grey; for a prior with parts, each part tinted with its label's colour).
  The figure that shows whether the adversarial game did its job.
* :func:`style_grid` — for the semi-supervised AAE, whose decoder reads [y, z]: each row is the
  style code of one test image (shown in the first column), decoded with every label.
  (aae-supervised gets the same figure, ``analogies.png``, from autoencoders.plots.variational.)

    from autoencoders.plots.adversarial import plot_adversarial
    plot_adversarial("runs/aae-mnist-5k")     # -> [.../codes_over_prior.png]

Each takes a :class:`~autoencoders.training.Run` and returns the path of the PNG it wrote
into the run directory, or None when the figure does not apply, like the figures of
:mod:`autoencoders.plots.figures`.
"""

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import minigrad
from autoencoders.plots.figures import _save, _show, _tile

COLORS = [f"C{k}" for k in range(10)]  # matplotlib's tab10, as the generic latent scatter uses


def style_codes(model, x, batch_size=500):
    """The regularized codes of host images ``x``: the style head of the semi-supervised AAE,
    the code itself otherwise, as a host array (N, d)."""
    encode = getattr(model, "style", model.encode)
    codes = []
    with minigrad.no_grad():
        for start in range(0, len(x), batch_size):
            codes.append(encode(minigrad.tensor(x[start:start + batch_size])).numpy())
    return np.concatenate(codes)


def codes_over_prior(run, filename="codes_over_prior.png", n_prior=5000, max_codes=2000, seed=0):
    """Test codes (first two coordinates) over ``n_prior`` prior samples."""
    model = run.model
    prior = getattr(model, "code_prior", None)
    if prior is None:
        return None
    codes = style_codes(model, run.data.x_test[:max_codes])
    labels = run.data.y_test[:max_codes]
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(6.6, 6), layout="constrained")
    ax = fig.subplots()
    if prior.conditional:
        parts = rng.integers(0, prior.num_parts, size=n_prior)
        z = prior.sample(n_prior, parts, rng=rng)
        colors = [to_rgba(COLORS[k % 10], 0.12) for k in parts]
        ax.scatter(z[:, 0], z[:, 1], c=colors, s=4, linewidths=0)
    else:
        z = prior.sample(n_prior, rng=rng)
        ax.scatter(z[:, 0], z[:, 1], color="0.75", s=4, linewidths=0, label=f"prior ({prior.name})")
    for k in np.unique(labels):
        mine = labels == k
        name = run.data.class_names[k] if run.data.class_names else k
        ax.scatter(codes[mine, 0], codes[mine, 1], color=COLORS[k % 10], s=5, alpha=0.8, linewidths=0,
                   label=str(name))
    ax.legend(markerscale=3, fontsize=7, loc="upper right", framealpha=0.8)
    ax.set_aspect("equal", adjustable="datalim")
    dims = "" if codes.shape[1] == 2 else f" (first 2 of {codes.shape[1]} dims)"
    conditional = ", label-conditioned" if getattr(model, "label_conditioned", False) else ""
    ax.set(xlabel="z[0]", ylabel="z[1]",
           title=f"test codes over samples of the {prior.name} prior{conditional}{dims}")
    return _save(fig, run, filename)


def style_grid(run, filename="style_grid.png", rows=10):
    """Rows: the style of one test image of each class (first column); columns: that style
    decoded as each label. For the semi-supervised AAE; models that declare ``conditional``
    (aae-supervised) get the same figure as ``analogies.png`` from autoencoders.plots.variational."""
    model = run.model
    if not hasattr(model, "decode_style") or getattr(model, "conditional", False):
        return None
    x, y = run.data.x_test, run.data.y_test
    classes = np.unique(y)
    picks = [np.flatnonzero(y == classes[r % len(classes)])[r // len(classes)] for r in range(rows)]
    z = style_codes(model, x[picks])
    k = run.data.num_classes
    z_rep = np.repeat(z, k, axis=0).astype(x.dtype)
    labels = np.tile(np.arange(k), rows)
    with minigrad.no_grad():
        images = model.decode_style(minigrad.tensor(z_rep), minigrad.tensor(labels)).numpy()
    grid = np.concatenate([x[picks].reshape(rows, 1, -1), images.reshape(rows, k, -1)], axis=1)
    fig = Figure(figsize=((k + 1) * 0.7 + 0.4, rows * 0.7 + 0.7), layout="constrained")
    ax = fig.subplots()
    _show(ax, _tile(run, grid.reshape(rows * (k + 1), -1), rows, k + 1), run)
    names = [str(run.data.class_names[c]) if run.data.class_names else str(c) for c in range(k)]
    _, h, w = run.data.image_shape
    ax.set_xticks(np.arange(k + 1) * (w + 1) + w / 2 - 0.5, ["input"] + names, fontsize=7,
                  rotation=45 if max(map(len, names)) > 2 else 0)
    fig.suptitle("style of each test image (left) written as every label", fontsize=10)
    return _save(fig, run, filename)


FIGURES = (codes_over_prior, style_grid)


def plot_adversarial(run_dir, backend=None):
    """Draw the figures of this module for the run in ``run_dir``; returns the paths written."""
    from autoencoders.training import open_run

    with open_run(run_dir, backend) as run:
        return [path for path in (figure(run) for figure in FIGURES) if path is not None]

