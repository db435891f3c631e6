"""Priors p(z) for the adversarial autoencoder: what the discriminator calls "real".

An AAE only needs to *sample* its prior (the discriminator never evaluates a density),
so any distribution we can draw from will do (Makhzani et al. 2016, section 2):

    gaussian      N(0, I) in any dimension
    uniform       U(-a, a) in every dimension
    mixture       10 Gaussians in a star (2-D): component k sits at radius r and angle
                  θₖ = 2πk/10, elongated along its own radius and rotated to θₖ:
                      z = r·u(θₖ) + R(θₖ)·(σ_r·ε₁, σ_t·ε₂),   u(θ) = (cos θ, sin θ),  ε ~ N(0, I)
    swiss-roll    an Archimedean spiral of two turns (2-D), cut into 10 segments of equal mass:
                      s ~ U(k/10, (k+1)/10),  z = 3√s · u(4π√s)   (+ optional isotropic noise)

Label-conditioned sampling. The mixture and the swiss roll have ``num_parts`` = 10 parts
(a component, a segment). ``sample(n, labels)`` draws row i from part ``labels[i]``; the
extra label ``num_parts`` (= 10, the "no label" class of the discriminator's 11-way
one-hot) draws from the whole prior. So a label-conditioned AAE learns to put the codes
of digit k on part k, and those of unlabelled digits anywhere on the prior.

Samples are host NumPy arrays (float64, shape (n, dim)): the model moves them to its
backend with ``minigrad.tensor``. Without an explicit ``rng`` (a ``numpy.random.Generator``)
they come from minigrad's seeded NumPy generator (``minigrad.random.generator(numpy)``),
which ``minigrad.manual_seed`` seeds and every training checkpoint saves, on any backend:
a resumed run draws the same prior samples as one that never stopped.
"""

import numpy as np

import minigrad

NUM_PARTS = 10


def _rng(rng):
    return minigrad.random.generator(np) if rng is None else rng


def _host_labels(labels, n):
    """``labels`` (an array, list or minigrad Tensor of n ints) as a host int64 array."""
    if isinstance(labels, minigrad.Tensor):
        labels = labels.numpy()
    labels = np.asarray(labels)
    if labels.shape != (n,) or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"labels must be {n} integers, got an array of shape {labels.shape} and dtype {labels.dtype}")
    return labels.astype(np.int64)


class Prior:
    """A distribution to sample codes from. Subclasses set ``name``, ``dim``, ``num_parts``
    (None when the prior has no labelled parts) and write ``_draw``."""

    name = None
    num_parts = None
    planar = False  # True: defined in 2-D only

    def __init__(self, dim):
        if int(dim) != dim or dim < 1:
            raise ValueError(f"{self.name} prior: dim must be a positive integer, got {dim!r}")
        if self.planar and dim != 2:
            raise ValueError(f"the {self.name} prior is 2-D, got dim={dim} (use --latent-dim 2)")
        self.dim = int(dim)

    @property
    def conditional(self):
        """True when labels pick a part of the prior (mixture, swiss roll)."""
        return self.num_parts is not None

    def sample(self, n, labels=None, rng=None):
        """``n`` codes (a float64 array (n, dim)); row i from part ``labels[i]`` when labels are given.

        A label equal to ``num_parts`` (the "no label" class) draws from the whole prior.
        """
        rng = _rng(rng)
        if labels is None:
            return self._draw(n, None, rng)
        if not self.conditional:
            raise ValueError(f"the {self.name} prior has no labelled parts: use prior mixture or swiss-roll "
                             "for label-conditioned sampling")
        labels = _host_labels(labels, n)
        if labels.size and (labels.min() < 0 or labels.max() > self.num_parts):
            raise ValueError(f"labels must lie in 0..{self.num_parts} ({self.num_parts}: no label), got values in "
                             f"{labels.min()}..{labels.max()}")
        unlabelled = labels == self.num_parts
        labels = labels.copy()
        labels[unlabelled] = rng.integers(0, self.num_parts, size=int(unlabelled.sum()))
        return self._draw(n, labels, rng)

    def _draw(self, n, labels, rng):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(dim={self.dim})"


class Gaussian(Prior):
    """N(0, I)."""

    name = "gaussian"

    def _draw(self, n, labels, rng):
        return rng.standard_normal((n, self.dim))


class Uniform(Prior):
    """U(-half_width, half_width) in every dimension."""

    name = "uniform"

    def __init__(self, dim, half_width=2.0):
        super().__init__(dim)
        self.half_width = float(half_width)

    def _draw(self, n, labels, rng):
        return rng.uniform(-self.half_width, self.half_width, size=(n, self.dim))


def _rotation(angle):
    """The 2-D rotation matrices R(angle), shape (..., 2, 2)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


class GaussianMixture(Prior):
    """10 Gaussians in a star: component k has mean r·(cos θₖ, sin θₖ), θₖ = 2πk/10, and
    covariance R(θₖ) diag(σ_r², σ_t²) R(θₖ)ᵀ (long along its radius when σ_r > σ_t)."""

    name = "mixture"
    num_parts = NUM_PARTS
    planar = True

    def __init__(self, dim=2, radius=2.0, radial_std=0.5, tangential_std=0.1):
        super().__init__(dim)
        self.radius, self.radial_std, self.tangential_std = float(radius), float(radial_std), float(tangential_std)
        self.angles = 2 * np.pi * np.arange(self.num_parts) / self.num_parts
        self.means = self.radius * np.stack([np.cos(self.angles), np.sin(self.angles)], 1)   # (10, 2)
        self.rotations = _rotation(self.angles)                                               # (10, 2, 2)
        self.stds = np.array([self.radial_std, self.tangential_std])
        self.covariances = self.rotations @ np.diag(self.stds ** 2) @ self.rotations.transpose(0, 2, 1)

    def _draw(self, n, labels, rng):
        if labels is None:
            labels = rng.integers(0, self.num_parts, size=n)
        eps = rng.standard_normal((n, 2)) * self.stds                                 # axis-aligned
        return self.means[labels] + np.einsum("nij,nj->ni", self.rotations[labels], eps)   # rotated, shifted

    def component_log_density(self, z):
        """log N(z; μₖ, Σₖ) for every row of ``z`` (n, 2) and component k: (n, 10)."""
        z = np.asarray(z, dtype=np.float64)
        # Coordinates of z - μₖ in component k's own (radial, tangential) axes: Rₖᵀ (z - μₖ).
        local = np.einsum("kji,nkj->nki", self.rotations, z[:, None, :] - self.means[None])
        mahalanobis = np.sum((local / self.stds) ** 2, axis=-1)
        return -0.5 * mahalanobis - np.log(2 * np.pi * self.stds.prod())

    def nearest_part(self, z):
        """The component of highest density at each row of ``z``: all components have the same
        determinant, so this is the nearest mean in each component's Mahalanobis distance."""
        return np.argmax(self.component_log_density(z), axis=1)


class SwissRoll(Prior):
    """The spiral z = 3√s·(cos 4π√s, sin 4π√s), s ~ U(0, 1); part k is s in [k/10, (k+1)/10)."""

    name = "swiss-roll"
    num_parts = NUM_PARTS
    planar = True

    def __init__(self, dim=2, noise=0.0, scale=3.0, turns=2.0):
        super().__init__(dim)
        self.noise, self.scale, self.turns = float(noise), float(scale), float(turns)

    def curve(self, s):
        """The point of the spiral at position s in [0, 1] (arrays broadcast), shape (..., 2)."""
        root = np.sqrt(s)
        angle = 2 * np.pi * self.turns * root
        return self.scale * root[..., None] * np.stack([np.cos(angle), np.sin(angle)], -1)

    def _draw(self, n, labels, rng):
        if labels is None:
            s = rng.uniform(0.0, 1.0, size=n)
        else:
            s = (labels + rng.uniform(0.0, 1.0, size=n)) / self.num_parts
        z = self.curve(s)
        if self.noise > 0:
            z = z + self.noise * rng.standard_normal(z.shape)
        return z

    def nearest_part(self, z, resolution=4000):
        """The segment of the point of the spiral nearest to each row of ``z`` (the spiral cut
        at ``resolution`` evenly spaced positions s)."""
        s = (np.arange(resolution) + 0.5) / resolution
        points = self.curve(s)                                                            # (m, 2)
        z = np.asarray(z, dtype=np.float64)
        distances = (z ** 2).sum(1)[:, None] - 2 * z @ points.T + (points ** 2).sum(1)[None]
        return np.minimum((s[np.argmin(distances, axis=1)] * self.num_parts).astype(np.int64), self.num_parts - 1)


PRIORS = {cls.name: cls for cls in (Gaussian, Uniform, GaussianMixture, SwissRoll)}


def make_prior(name, dim, **options):
    """The prior called ``name`` (gaussian, uniform, mixture, swiss-roll) in ``dim`` dimensions."""
    if name not in PRIORS:
        raise ValueError(f"unknown prior {name!r}; expected one of {', '.join(PRIORS)}")
    return PRIORS[name](dim, **options)


def bayes_accuracy(prior, n=100_000, seed=0):
    """The fraction of the prior's own samples whose ``nearest_part`` is the part they were
    drawn from: the best a code matching the prior exactly can score on that metric."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, prior.num_parts, size=n)
    return float(np.mean(prior.nearest_part(prior.sample(n, labels, rng)) == labels))


__all__ = ["NUM_PARTS", "Prior", "Gaussian", "Uniform", "GaussianMixture", "SwissRoll", "PRIORS", "make_prior",
           "bayes_accuracy"]
