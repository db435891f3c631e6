"""Semi-supervised VAE, model M2 of Kingma, Rezende, Mohamed & Welling, "Semi-Supervised Learning
with Deep Generative Models" (NeurIPS 2014).

The label y is a latent variable that is sometimes observed:

    classifier   q(y|x)    = Cat(softmax(g(x)))
    encoder      q(z|x, y) = N(μ(x, y), diag σ²(x, y))
    prior        p(y) = 1/K,   p(z) = N(0, I)
    decoder      p(x|y, z) = Bernoulli(sigmoid(f(y, z)))

Labelled pair (x, y):  the negative ELBO of log p(x, y)

    L(x, y) = E_q(z|x,y)[−log p(x|y, z)] + KL(q(z|x, y) ‖ p(z)) − log p(y)

Unlabelled x:  y is summed out under the classifier, which is how unlabelled data trains it

    U(x) = Σ_y q(y|x) · L(x, y) − H(q(y|x))

Objective, per example (means over each mini-batch):

    J = mean_labelled L + mean_unlabelled U + α · mean_labelled[−log q(y|x)]

The last, "classification", term is the paper's fix for q(y|x) learning only from
unlabelled data; the paper weights it with α = 0.1·N in its sums over the data set, which in
means over batches is α = 0.1·N / (number of labels). That is the default (``alpha=None``).

Data: the ``labels`` labelled examples (100 by default; ``--set labels=1000``) are drawn
once, balanced over the classes, with the run's seed, from the training set. Each step
takes the loop's mini-batch as *unlabelled* (its labels are never read) and a mini-batch
of ``labelled_batch`` examples from the labelled pool. The test metrics include the
classifier's error rate, ``error``.

The two first layers that read a concatenation [x, onehot(y)] (encoder) and [z, onehot(y)]
(decoder) are written as the sum of two linear maps, W·[x; y] = Wₓ·x + W_y·y, which is the
same function; it lets U(x) compute Wₓ·x once for the K labels it enumerates.
"""

import math

import numpy as np

import minigrad
from minigrad import functional as F
from minigrad import nn
from minigrad.tensor import Tensor

from autoencoders.models.base import Autoencoder, Batch, make_optimizer, prod
from autoencoders.models.registry import register
from autoencoders.models.vae import mlp_trunk, reparameterize


@register("m2", "semi-supervised VAE M2 (Kingma et al. 2014): q(y|x), q(z|x,y), p(x|y,z); --set labels=100")
class M2(Autoencoder):
    defaults = {"epochs": 100, "batch_size": 128, "lr": 1e-3, "hidden": [500], "latent_dim": 50,
                "binarize": "dynamic"}
    prior = "standard-normal"
    conditional = True  # encode(x, y) and decode(z, y) take labels (autoencoders.plots.variational)

    def __init__(self, input_shape=(784,), hidden=(500,), latent_dim=50, num_classes=10, labels=100, alpha=None,
                 labelled_batch=100):
        super().__init__()
        hidden = list(hidden)
        if not hidden:
            raise ValueError("m2 needs at least one hidden layer (hidden=[500])")
        if labels < num_classes or labels % num_classes:
            raise ValueError(f"labels must be a positive multiple of the {num_classes} classes, got {labels}")
        self.input_shape = tuple(input_shape)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.labels, self.alpha, self.labelled_batch = labels, alpha, labelled_batch
        d = prod(input_shape)
        self.classifier = nn.Sequential(mlp_trunk([d, *hidden]), nn.Linear(hidden[-1], num_classes))
        # q(z|x, y): first layer Wₓx + W_y·onehot(y) + b, then the rest of the trunk, then the heads
        self.encoder_x = nn.Linear(d, hidden[0])
        self.encoder_y = nn.Linear(num_classes, hidden[0], bias=False)
        self.encoder = nn.Sequential(nn.ReLU(), mlp_trunk(hidden))
        self.mu_head = nn.Linear(hidden[-1], latent_dim)
        self.logvar_head = nn.Linear(hidden[-1], latent_dim)
        # p(x|y, z): the same layout in reverse
        top = hidden[::-1]
        self.decoder_z = nn.Linear(latent_dim, top[0])
        self.decoder_y = nn.Linear(num_classes, top[0], bias=False)
        self.decoder = nn.Sequential(nn.ReLU(), mlp_trunk(top), nn.Linear(top[-1], d))
        self._pool = None  # the labelled examples (host arrays), see set_labelled
        # N, the training set size, for the default α; a buffer so that a checkpoint keeps it
        self.register_buffer("train_size", minigrad.zeros(()))

    # ---- the networks -------------------------------------------------------------------
    def classify(self, x):
        """The logits of q(y|x), (B, K)."""
        return self.classifier(self.flat(x))

    def posterior(self, x, y_onehot):
        """(μ, logvar) of q(z|x, y). ``y_onehot`` (B, K), or (K, 1, K) to get every label at once: (K, B, latent)."""
        h = self.encoder(self.encoder_x(self.flat(x)) + self.encoder_y(y_onehot))
        return self.mu_head(h), self.logvar_head(h)

    def decoder_output(self, z, y_onehot):
        """The Bernoulli logits of p(x|y, z), (..., D)."""
        return self.decoder(self.decoder_z(z) + self.decoder_y(y_onehot))

    def flat(self, x):
        return x if x.ndim == 2 else x.reshape(len(x), -1)

    def onehot(self, y, like):
        return F.one_hot(y, self.num_classes, dtype=like.dtype)

    def every_label(self, like):
        """The K one-hot vectors as (K, 1, K): broadcasts against a batch axis."""
        return Tensor._wrap(like.xp.eye(self.num_classes, dtype=like.dtype).reshape(self.num_classes, 1, -1))

    # ---- the bounds ---------------------------------------------------------------------
    def labelled_bound(self, x, y_onehot, noise=None):
        """L(x, y) per example: −ELBO of log p(x, y) with one z sample. Shapes as in ``posterior``."""
        x = self.flat(x)
        mu, logvar = self.posterior(x, y_onehot)
        z = reparameterize(mu, logvar, noise)
        logits = self.decoder_output(z, y_onehot)
        target = x if logits.shape == x.shape else Tensor._wrap(x.xp.broadcast_to(x.data, logits.shape))
        reconstruction = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(axis=-1)
        return reconstruction + F.gaussian_kl(mu, logvar, reduction="none") + math.log(self.num_classes)

    def unlabelled_bound(self, x, noise=None, logits=None):
        """U(x) = Σ_y q(y|x)·L(x, y) − H(q(y|x)) per example, (B,). ``noise``: (K, B, latent)."""
        x = self.flat(x)
        logits = self.classify(x) if logits is None else logits
        log_q = F.log_softmax(logits, axis=1)                     # (B, K)
        q = minigrad.exp(log_q)
        bounds = self.labelled_bound(x, self.every_label(x), noise)  # (K, B): L(x, y) for each label y
        expected = (q * bounds.T).sum(axis=1)
        entropy = -(q * log_q).sum(axis=1)
        return expected - entropy

    # ---- the objective ------------------------------------------------------------------
    def loss_terms(self, batch, labelled=None, noise=None):
        """Means over ``batch`` (unlabelled: its labels are not read) and over ``labelled`` (a Batch
        with labels, or None). ``noise``: None or (noise of U (K, B, latent), noise of L (B_l, latent))."""
        noise_u, noise_l = (None, None) if noise is None else noise
        terms = {"unlabelled": self.unlabelled_bound(batch.input, noise_u).mean()}
        if labelled is not None:
            y_onehot = self.onehot(labelled.y, labelled.x)
            terms["labelled"] = self.labelled_bound(labelled.input, y_onehot, noise_l).mean()
            terms["classification"] = F.cross_entropy(self.classify(labelled.input), labelled.y)
        return terms

    def objective(self, terms):
        total = terms["unlabelled"]
        if "labelled" in terms:
            total = total + terms["labelled"] + self.classification_weight() * terms["classification"]
        return total

    def classification_weight(self):
        """α: the given one, else 0.1·N / labels (N, the training set size, known once set_labelled has run)."""
        if self.alpha is not None:
            return float(self.alpha)
        n = float(self.train_size.item())
        if n <= 0:
            raise RuntimeError("m2: the default alpha needs the training set size; call set_labelled(...) "
                               "or configure_optimizers(config) first, or pass alpha")
        return 0.1 * n / self.labels

    # ---- the labelled pool and the training step -----------------------------------------
    def set_labelled(self, x, y, train_size=None, dynamic_binarize=False):
        """Use host arrays ``x``, ``y`` as the labelled pool (``train_size`` sets the default α)."""
        self._pool = {"x": np.ascontiguousarray(x), "y": np.asarray(y, dtype=np.int64),
                      "dynamic_binarize": bool(dynamic_binarize)}
        self.train_size.data[...] = len(x) if train_size is None else int(train_size)

    def configure_optimizers(self, config):
        from autoencoders.training.data import load_data  # the training data, to draw the labelled pool

        data = load_data(config)
        rows = balanced_subset(data.y_train, self.labels, self.num_classes, seed=config["seed"])
        self.set_labelled(data.x_train[rows], data.y_train[rows], train_size=len(data.x_train),
                          dynamic_binarize=config["binarize"] == "dynamic")
        return {"model": make_optimizer(config, self.parameters())}

    def labelled_minibatch(self):
        """``labelled_batch`` examples drawn from the pool (minigrad's NumPy generator, so that a
        resumed run draws the same ones), binarized afresh when the run binarizes dynamically."""
        if self._pool is None:
            raise RuntimeError("m2: no labelled examples; configure_optimizers(config) or set_labelled(x, y) first")
        pool = self._pool
        rng = minigrad.random.generator(np)
        rows = np.sort(rng.permutation(len(pool["y"]))[:min(self.labelled_batch, len(pool["y"]))])
        x = pool["x"][rows]
        if pool["dynamic_binarize"]:
            x = (rng.random(x.shape, dtype=np.float32) < x).astype(x.dtype)
        return Batch(x=minigrad.tensor(x), y=minigrad.tensor(pool["y"][rows]))

    def train_step(self, batch, optimizers):
        (optimizer,) = optimizers.values()
        labelled = self.labelled_minibatch()
        optimizer.zero_grad()
        terms = self.loss_terms(Batch(x=batch.x, x_noisy=batch.x_noisy), labelled)  # no labels: unlabelled
        loss = self.objective(terms)
        loss.backward()
        optimizer.step()
        values = {name: float(value.item()) for name, value in terms.items()}
        values["loss"] = float(loss.item())
        return values

    def evaluate_step(self, batch):
        """On test data: both bounds, the classification loss and the classifier's error rate."""
        with minigrad.no_grad():
            logits = self.classify(batch.input)
            terms = self.loss_terms(batch, labelled=batch)
            values = {name: float(value.item()) for name, value in terms.items()}
            values["loss"] = float(self.objective(terms).item())
            values["error"] = float((logits.data.argmax(axis=1) != batch.y.data).mean())
        return values

    # ---- encode / decode / sample, for the figures ------------------------------------------
    def predict(self, x):
        """The most probable label under q(y|x), (B,) int64."""
        return Tensor._wrap(self.classify(x).data.argmax(axis=1))

    def encode(self, x, y=None):
        """μ of q(z|x, y); without ``y``, the classifier's prediction stands in for it."""
        y = self.predict(x) if y is None else y
        return self.posterior(x, self.onehot(y, self.flat(x)))[0]

    def decode(self, z, y=None):
        """The pixel probabilities of p(x|y, z); without ``y``, the uniform vector (1/K, ...) stands in for it."""
        if y is None:
            condition = Tensor._wrap(z.xp.full((len(z), self.num_classes), 1.0 / self.num_classes, dtype=z.dtype))
        else:
            condition = self.onehot(y, z)
        return F.sigmoid(self.decoder_output(z, condition)).reshape((len(z),) + self.input_shape)

    def reconstruct(self, x, y=None):
        y = self.predict(x) if y is None else y
        return self.decode(self.encode(x, y), y)

    def sample(self, n, y=None):
        """``n`` images of labels ``y``, or of labels drawn from p(y) (uniform)."""
        if y is None:
            y = Tensor._wrap((minigrad.rand(n).data * self.num_classes).astype("int64"))
        return self.decode(minigrad.randn(n, self.latent_dim), y)


def balanced_subset(labels, count, num_classes, seed=0):
    """``count`` row indices, ``count / num_classes`` of each class, drawn without replacement with ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2014]))
    per_class = count // num_classes
    rows = []
    for label in range(num_classes):
        candidates = np.flatnonzero(np.asarray(labels) == label)
        if len(candidates) < per_class:
            raise ValueError(f"m2: class {label} has {len(candidates)} training examples, fewer than the "
                             f"{per_class} labels asked for")
        rows.append(rng.choice(candidates, per_class, replace=False))
    return np.sort(np.concatenate(rows))
