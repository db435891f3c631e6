"""What every autoencoder model provides to the training loop, the command line and the figures.

A model is an :class:`Autoencoder` (a ``minigrad.nn.Module``) in one short file::

    @register("ae", "plain MLP autoencoder, MSE reconstruction")
    class AE(Autoencoder):
        defaults = {"epochs": 20, "latent_dim": 32, "hidden": [512, 256]}

        def __init__(self, input_shape=(784,), hidden=(512, 256), latent_dim=32): ...
        def encode(self, x): ...                   # x -> code z
        def decode(self, z): ...                   # z -> reconstruction, in data space
        def loss_terms(self, batch):               # named scalar terms, summed into the objective
            return {"reconstruction": F.mse_loss(self.reconstruct(batch.input), batch.x)}

The loop calls ``configure_optimizers(config)`` once and ``train_step(batch, optimizers)``
per mini-batch; the defaults (one optimizer over all parameters; zero_grad, backward of
``objective(loss_terms(batch))``, step) fit every model trained on one objective. A model
with several optimizers (the adversarial autoencoder) overrides both.

``train_step`` returns its values as detached 0-d Tensors, still on the device: reading one
(``.item()``, ``float()``) waits for the GPU to finish the step, so the loop reads them in
batches of steps (see ``autoencoders.training.loop``). A model may return Python floats
instead; the loop takes both.
"""

import math
from dataclasses import dataclass

import minigrad
from minigrad import functional as F
from minigrad import nn, optim


@dataclass
class Batch:
    """One mini-batch, as the training loop hands it to a model.

    x:       the clean input, a float Tensor of shape (B, 784), or (B, 1, 28, 28) for a model
             whose ``defaults`` set ``"flatten": False``; the reconstruction target.
    y:       the labels, an int64 Tensor of shape (B,) (every dataset here has labels; a
             model that does not use them ignores them).
    x_noisy: the corrupted input when the config sets ``noise`` (denoising models), else None.
    index:   the rows of these examples in the training (or test) set, an int64 Tensor of
             shape (B,): stable ids, e.g. to pick a fixed labelled subset (semi-supervised M2).

    ``batch.input`` is what an encoder should read: ``x_noisy`` when there is one, else ``x``.
    """

    x: minigrad.Tensor
    y: minigrad.Tensor | None = None
    x_noisy: minigrad.Tensor | None = None
    index: minigrad.Tensor | None = None

    @property
    def input(self):
        return self.x if self.x_noisy is None else self.x_noisy

    def __len__(self):
        return len(self.x)


OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}


def make_optimizer(config, parameters):
    """``config["optimizer"]`` (adam, adamw, sgd, rmsprop) over ``parameters`` with ``config["lr"]``;
    Adam and AdamW ``capturable`` when the config asks for CUDA graphs."""
    name = config.get("optimizer", "adam")
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    extra = {"capturable": True} if config.get("cuda_graph") and name in ("adam", "adamw") else {}
    return getattr(optim, OPTIMIZERS[name])(parameters, lr=config["lr"], **extra)


def mlp(sizes, activation=nn.ReLU):
    """Linear layers through ``sizes`` with ``activation`` between them (none after the last)."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Base class of the models. Override ``encode``, ``decode`` and ``loss_terms``; the rest is optional.

    Class attributes a model may set:

    ``defaults``  its training and model options, e.g. ``{"epochs": 20, "lr": 1e-3,
                  "latent_dim": 32, "hidden": [512, 256], "binarize": "dynamic"}``. They update
                  :data:`autoencoders.training.config.BASE_DEFAULTS`; command-line flags
                  override both. Keys that are not training options must be parameters of
                  ``__init__``, which receives them (see ``autoencoders.training.config``).
    ``prior``     ``"standard-normal"`` when ``sample`` draws z ~ N(0, I) (VAEs): the figures
                  then lay the 2-D manifold on its quantiles. None (no prior) otherwise.

    ``name`` and ``description`` are set by ``@register``; ``latent_dim`` by ``__init__``.
    """

    name = None
    description = None
    defaults = {}
    prior = None
    latent_dim = None

    # ---- the model ----------------------------------------------------------------------
    def encode(self, x):
        """The code of input ``x`` (deterministic: the posterior mean for a VAE), shape (B, latent_dim)."""
        raise NotImplementedError

    def decode(self, z):
        """The reconstruction of code ``z`` in data space (for a Bernoulli decoder, the probabilities)."""
        raise NotImplementedError

    def reconstruct(self, x):
        """decode(encode(x)), in data space (for a VAE: decoded from the posterior mean)."""
        return self.decode(self.encode(x))

    def sample(self, n):
        """``n`` samples from the model (decoded prior draws), or None for a model with no prior."""
        return None

    # ---- the objective ------------------------------------------------------------------
    def loss_terms(self, batch):
        """{name: scalar Tensor} of the loss terms on ``batch`` (a :class:`Batch`), named as in the paper."""
        raise NotImplementedError

    def objective(self, terms):
        """The scalar that training minimizes: the sum of the terms (override to weight them)."""
        total = None
        for value in terms.values():
            total = value if total is None else total + value
        return total

    # ---- optimization -------------------------------------------------------------------
    def configure_optimizers(self, config):
        """{name: Optimizer}; by default one ``config["optimizer"]`` (Adam) over all parameters."""
        return {"model": make_optimizer(config, self.parameters())}

    def train_step(self, batch, optimizers):
        """One update on ``batch``; returns {term: 0-d Tensor} plus ``"loss"``, the objective
        (detached, on the device: no host sync; ``float(value)`` reads one)."""
        (optimizer,) = optimizers.values()
        optimizer.zero_grad()
        terms = self.loss_terms(batch)
        loss = self.objective(terms)
        loss.backward()
        optimizer.step()
        return scalars(terms, loss)

    def evaluate_step(self, batch):
        """{term: float} plus ``"loss"`` on ``batch``, without recording a graph (call in eval mode)."""
        with minigrad.no_grad():
            terms = self.loss_terms(batch)
            return _floats(terms, self.objective(terms))


def scalars(terms, loss):
    """{name: term} plus ``"loss"``, each detached from the graph and left on the device."""
    values = {name: value.detach() for name, value in terms.items()}
    values["loss"] = loss.detach()
    return values


def _floats(terms, loss):
    """{name: float} plus ``"loss"`` (one host sync per value: for evaluation, not every step)."""
    values = {name: float(value.item()) for name, value in terms.items()}
    values["loss"] = float(loss.item())
    return values


def prod(shape):
    """The number of elements of one example of shape ``shape``."""
    return math.prod(shape)


def label_condition(y, num_classes, like):
    """The condition vector of labels ``y`` (B,) as a float Tensor (B, K): one-hot, or uniform
    rows (1/K each) for None. ``like`` (a Tensor) gives the batch size, dtype and backend."""
    if y is None:
        return minigrad.full((len(like), num_classes), 1.0 / num_classes, dtype=like.dtype, backend=like.backend)
    return F.one_hot(y, num_classes, dtype=like.dtype)
