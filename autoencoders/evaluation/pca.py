"""Exact PCA (NumPy SVD) and principal angles: the yardstick of the linear autoencoder.

A linear autoencoder x̂ = W_d (W_e x + b_e) + b_d trained on the mean squared error has no
spurious local minima; at its optimum the column space of the decoder W_d is the span of
the top-k principal directions of the training set (Baldi & Hornik, 1989), and its MSE is
that of the rank-k PCA reconstruction. Its weights need not be the principal directions
themselves (any invertible mixing of them is as good), so the comparison is between
*subspaces*: the principal angles between span(W_d) and span(V_k).

    pca = fit_pca(x_train)                        # mean, components (d, d) by SVD, variances
    pca.mse(x_test, k=10)                         # per-pixel test MSE with 10 components
    largest_principal_angle(W_d, pca.components[:, :10])   # radians

Everything here is host NumPy in float64.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCA:
    """The principal components of a data set.

    mean:       (d,) the training mean.
    components: (d, r) orthonormal columns, the principal directions by decreasing variance
                (r = min(n, d)).
    variances:  (r,) the variance of the training data along each direction (eigenvalues of
                the covariance with divisor n).
    """

    mean: np.ndarray
    components: np.ndarray
    variances: np.ndarray

    def encode(self, x, k):
        """The coordinates of ``x`` (n, d) on the top-``k`` directions, (n, k)."""
        return (_flat(x) - self.mean) @ self.components[:, :k]

    def decode(self, z):
        """Back to data space from coordinates ``z`` (n, k) on the top-k directions."""
        return z @ self.components[:, :z.shape[1]].T + self.mean

    def reconstruct(self, x, k):
        """The rank-``k`` PCA reconstruction of ``x``: the best rank-k affine fit."""
        return self.decode(self.encode(x, k))

    def mse(self, x, k):
        """Mean squared error per element of the rank-``k`` reconstruction of ``x``."""
        x = _flat(x)
        return float(np.mean((x - self.reconstruct(x, k)) ** 2))

    def explained_variance_ratio(self, k):
        return float(self.variances[:k].sum() / self.variances.sum())


def fit_pca(x):
    """Exact PCA of ``x`` (n, d): SVD of the centred data matrix X − μ = U S Vᵀ, in float64.

    The principal directions are the columns of V, the variances S² / n. Each direction's
    sign is fixed (largest-magnitude entry positive) so that results are reproducible.
    """
    x = _flat(x)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    components = vt.T
    signs = np.sign(components[np.argmax(np.abs(components), axis=0), np.arange(components.shape[1])])
    components = components * np.where(signs == 0, 1.0, signs)
    return PCA(mean, components, s ** 2 / len(x))


def orthonormal_basis(a):
    """An orthonormal basis (d, rank) of the column space of ``a`` (d, p), by SVD."""
    a = np.asarray(a, dtype=np.float64)
    u, s, _ = np.linalg.svd(a, full_matrices=False)
    rank = int(np.sum(s > s.max(initial=0.0) * max(a.shape) * np.finfo(np.float64).eps))
    return u[:, :rank]


def principal_angles(a, b):
    """The principal angles (radians, increasing) between the column spaces of ``a`` (d, p) and ``b`` (d, q).

    With orthonormal bases Qa, Qb, the cosines are the singular values of QaᵀQb. Small
    angles lose accuracy through the arccos of a cosine near 1, so (Björck & Golub, 1973;
    Knyazev & Argentati, 2002) angles below π/4 are taken from the sines instead: the
    singular values of Qb − Qa QaᵀQb. min(p, q) angles are returned.
    """
    qa, qb = orthonormal_basis(a), orthonormal_basis(b)
    if qa.shape[1] < qb.shape[1]:
        qa, qb = qb, qa  # project the smaller space onto the larger one
    k = qb.shape[1]
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0)   # decreasing
    sines = np.clip(np.linalg.svd(qb - qa @ (qa.T @ qb), compute_uv=False), 0.0, 1.0)  # decreasing
    from_cos = np.arccos(cosines)                       # increasing
    from_sin = np.arcsin(sines[:k][::-1])               # increasing
    return np.where(from_cos < np.pi / 4, from_sin, from_cos)


def largest_principal_angle(a, b):
    """The largest principal angle (radians) between span(a) and span(b): 0 when one contains the other."""
    return float(principal_angles(a, b)[-1])


def _flat(x):
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(len(x), -1)
