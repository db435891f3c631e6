"""Stacked autoencoders: greedy layer-wise pretraining, then supervised fine-tuning.

Bengio, Lamblin, Popovici & Larochelle, "Greedy Layer-Wise Training of Deep Networks"
(NeurIPS 2006); the denoising variant ``sdae``: Vincent, Larochelle, Lajoie, Bengio &
Manzagol, "Stacked Denoising Autoencoders" (JMLR 2010).

Layer l is a one-hidden-layer autoencoder of the codes of the layer below (h₀ = x):

    h_l     = f_l(h_{l−1}) = sigmoid(W_l h_{l−1} + b_l)
    ĥ_{l−1} = g_l(h_l)     = sigmoid(W'_l h_l + c_l)          W'_l = W_lᵀ when ``tied``
    reconstruction_l = mean (ĥ_{l−1} − h_{l−1})²

Training runs in phases, one after the other, each with its own optimizer:

1. phase l = 1 … L (``pretrain_epochs`` epochs each) minimizes reconstruction_l over the
   parameters of layer l only. The layers below are frozen: they compute h_{l−1} without
   a graph and their optimizers do not step.
2. fine-tuning (the remaining epochs, if any: ``epochs`` equal to L·``pretrain_epochs``
   pretrains only, e.g. to probe the frozen codes): the encoder stack f_L ∘ … ∘ f_1 with a softmax
   classifier on top, every parameter trained on the ``labels`` labelled examples

       classification = mean −log softmax(V h_L + d)[y]

   Each step draws its mini-batch from that labelled pool (class-balanced, drawn once with
   the run's seed by :func:`autoencoders.evaluation.probe.few_labels`, so a probe on other
   features can use the very same examples); the loop's batch is not used.

``sdae`` corrupts each layer's input and reconstructs the clean one:

    reconstruction_l = mean (g_l(f_l(h̃_{l−1})) − h_{l−1})²

h̃₀ is the data layer's corrupted input (config ``noise``, masking 25 % by default), and
h̃_{l−1} for l ≥ 2 the code with each unit zeroed with probability ``code_noise``.

``encode`` is the clean stack f_L ∘ … ∘ f_1 and ``decode`` the decoders in reverse,
g_1 ∘ … ∘ g_L; the test metrics report both the stack's reconstruction and the
classifier's error rate.
"""

import math

import numpy as np

import minigrad
from minigrad import functional as F
from minigrad import nn
from minigrad.tensor import Tensor

from autoencoders.evaluation.probe import few_labels
from autoencoders.models.base import Autoencoder, Batch, make_optimizer, prod
from autoencoders.models.registry import register

FINETUNE = "finetune"


class AutoencoderLayer(nn.Module):
    """One layer of the stack: h = sigmoid(W x + b), x̂ = sigmoid(W' h + c), W' = Wᵀ if ``tied``."""

    def __init__(self, n_in, n_out, tied=True):
        super().__init__()
        self.tied = tied
        self.encoder = nn.Linear(n_in, n_out)                       # W, b
        if tied:
            self.decoder_bias = nn.Parameter(minigrad.zeros(n_in))  # c
        else:
            self.decoder = nn.Linear(n_out, n_in)                   # W', c

    def encode(self, x):
        return F.sigmoid(self.encoder(x))

    def decode(self, h):
        if self.tied:
            return F.sigmoid(F.linear(h, self.encoder.weight.T, self.decoder_bias))
        return F.sigmoid(self.decoder(h))


def mask_units(h, fraction):
    """h with each unit zeroed independently with probability ``fraction`` (minigrad's generator)."""
    if not fraction:
        return h
    keep = minigrad.rand(*h.shape, dtype=h.dtype, backend=h.backend).data >= fraction
    return h * Tensor._wrap(keep.astype(h.dtype))


@register("stacked-ae", "stacked sigmoid autoencoders 784-256-64, greedy layer-wise pretraining, then "
                        "softmax fine-tuning on few labels")
class StackedAE(Autoencoder):
    defaults = {"epochs": 30, "batch_size": 64, "lr": 1e-3, "hidden": [256, 64], "pretrain_epochs": 10}

    def __init__(self, input_shape=(784,), hidden=(256, 64), num_classes=10, tied=True, pretrain_epochs=10,
                 labels=1000, labelled_batch=64, code_noise=0.0):
        super().__init__()
        sizes = [prod(input_shape), *hidden]
        if len(sizes) < 2:
            raise ValueError(f"{self.name}: hidden must list at least one layer size")
        self.input_shape = tuple(input_shape)
        self.latent_dim = sizes[-1]
        self.num_classes, self.labels, self.labelled_batch = num_classes, labels, labelled_batch
        self.pretrain_epochs, self.code_noise = pretrain_epochs, code_noise
        self.layers = nn.ModuleList([AutoencoderLayer(n_in, n_out, tied) for n_in, n_out in zip(sizes, sizes[1:])])
        self.classifier = nn.Linear(sizes[-1], num_classes)        # V, d
        self.register_buffer("steps_done", minigrad.zeros(1, dtype="int64"))  # saved: exact resume
        self.steps_per_epoch = None
        self._pool = None

    # ---- the networks -------------------------------------------------------------------
    def encode(self, x, depth=None):
        """h_depth (default: the top code h_L) of the clean input."""
        h = x.reshape(len(x), -1)
        for layer in list(self.layers)[:depth]:
            h = layer.encode(h)
        return h

    def decode(self, z):
        for layer in reversed(list(self.layers)):
            z = layer.decode(z)
        return z.reshape((len(z),) + self.input_shape)

    def classify(self, x):
        """The logits of the fine-tuned classifier, (B, classes)."""
        return self.classifier(self.encode(x))

    # ---- the phases ---------------------------------------------------------------------
    @property
    def phases(self):
        return [f"layer{l}" for l in range(1, len(self.layers) + 1)] + [FINETUNE]

    def phase_parameters(self, phase):
        if phase == FINETUNE:
            return [p for layer in self.layers for p in layer.encoder.parameters()] + list(self.classifier.parameters())
        return list(self.layers[self.phases.index(phase)].parameters())

    def current_phase(self):
        """The phase of the next training step."""
        return self.phase_at(int(self.steps_done.data[0]))

    def phase_at(self, step):
        """The phase of training step ``step`` (0, 1, ...), from ``steps_per_epoch`` and ``pretrain_epochs``."""
        if self.steps_per_epoch is None:
            raise RuntimeError(f"{self.name}: call configure_optimizers(config) or set_schedule(steps_per_epoch) first")
        epoch = step // self.steps_per_epoch
        return self.phases[min(epoch // self.pretrain_epochs, len(self.layers))]

    def set_schedule(self, steps_per_epoch):
        self.steps_per_epoch = int(steps_per_epoch)

    # ---- the objective ------------------------------------------------------------------
    def loss_terms(self, batch, phase=None):
        """The terms of ``phase`` (default: the current one) on ``batch``; fine-tuning reads batch.y."""
        phase = phase or self.current_phase()
        if phase == FINETUNE:
            return {"classification": F.cross_entropy(self.classify(batch.x), batch.y)}
        l = self.phases.index(phase) + 1
        if l == 1:  # the data layer's corrupted input (sdae), or x itself
            clean, corrupted = (b.reshape(len(b), -1) for b in (batch.x, batch.input))
        else:
            with minigrad.no_grad():  # the frozen layers below only compute this layer's input
                clean = self.encode(batch.x, l - 1)
            corrupted = mask_units(clean, self.code_noise)
        layer = self.layers[l - 1]
        return {f"reconstruction_{l}": F.mse_loss(layer.decode(layer.encode(corrupted)), clean)}

    # ---- optimization -------------------------------------------------------------------
    def configure_optimizers(self, config):
        """One optimizer per phase; draws the labelled pool and fixes the schedule from the training data."""
        from autoencoders.training.config import ConfigError
        from autoencoders.training.data import load_data

        data = load_data(config)
        self.set_schedule(math.ceil(len(data.x_train) / config["batch_size"]))
        pretraining = len(self.layers) * self.pretrain_epochs
        if config["epochs"] < pretraining:
            raise ConfigError(f"{self.name}: epochs ({config['epochs']}) must be at least the {pretraining} epochs "
                              f"of pretraining ({len(self.layers)} layers x pretrain_epochs {self.pretrain_epochs}); "
                              "the epochs after them fine-tune (none: pretraining only)")
        rows = few_labels(data.y_train, self.labels, seed=config["seed"], num_classes=self.num_classes)
        self.set_labelled(data.x_train[rows], data.y_train[rows])
        return {phase: make_optimizer(config, self.phase_parameters(phase)) for phase in self.phases}

    def set_labelled(self, x, y):
        """Use host arrays ``x``, ``y`` as the labelled pool of fine-tuning."""
        self._pool = (np.ascontiguousarray(x), np.asarray(y, dtype=np.int64))

    def labelled_minibatch(self):
        x, y = self._pool
        rows = np.sort(minigrad.random.generator(np).permutation(len(y))[:self.labelled_batch])
        return Batch(x=minigrad.tensor(x[rows]), y=minigrad.tensor(y[rows]))

    def train_step(self, batch, optimizers):
        phase = self.current_phase()
        if phase == FINETUNE:
            batch = self.labelled_minibatch()
        optimizer = optimizers[phase]
        optimizer.zero_grad()
        terms = self.loss_terms(batch, phase)
        loss = self.objective(terms)
        loss.backward()
        optimizer.step()
        self.steps_done.data += 1
        values = {name: float(value.item()) for name, value in terms.items()}
        values["loss"] = float(loss.item())
        return values

    def evaluate_step(self, batch):
        """Every layer's (clean) reconstruction, the stack's, the classifier's loss and error rate;
        "loss" is the term of the current phase."""
        with minigrad.no_grad():
            clean = Batch(x=batch.x, y=batch.y)
            values = {}
            for phase in self.phases[:-1]:
                values.update({k: float(v.item()) for k, v in self.loss_terms(clean, phase).items()})
            values["reconstruction"] = float(F.mse_loss(self.reconstruct(batch.x), batch.x).item())
            logits = self.classify(batch.x)
            values["classification"] = float(F.cross_entropy(logits, batch.y).item())
            values["error"] = float((logits.data.argmax(axis=1) != batch.y.data).mean())
        done = int(self.steps_done.data[0])
        phase = self.phase_at(done - 1) if self.steps_per_epoch and done else FINETUNE  # the last step's phase
        key = "classification" if phase == FINETUNE else f"reconstruction_{self.phases.index(phase) + 1}"
        values["loss"] = values[key]
        return values


@register("sdae", "stacked denoising autoencoders: each layer denoises (masking noise), then softmax "
                  "fine-tuning on few labels")
class StackedDenoisingAE(StackedAE):
    defaults = {**StackedAE.defaults, "noise": "masking:0.25", "code_noise": 0.25}
