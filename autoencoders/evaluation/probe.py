"""A linear probe: softmax regression trained on fixed features, to score a representation.

    result = probe(train_features, y_train, test_features, y_test, labelled=few_labels(y_train, 100))
    result.test_accuracy

The same protocol scores every representation (raw pixels, PCA coordinates, an
autoencoder's codes), so their accuracies can be compared side by side:

* features are centred and divided by one scalar, the root mean feature variance over the
  *whole* training set (labels are not needed for that), so the average feature has unit
  variance while the relative scales of the features are kept;
* the classifier p(y | f) = softmax(W f + b) is fitted on the labelled rows only, by
  full-batch Adam (1,000 steps, learning rate 0.01 decayed to 0 along a cosine: a larger
  constant rate oscillates on raw pixels and stops far from the minimum) on the mean
  cross-entropy plus the L2 penalty (λ/2)‖W‖², a convex problem;
* λ, the step count and the learning rate are fixed (not tuned per representation).

``few_labels(y, n)`` picks a class-balanced labelled subset (n / classes per class) with a
seed, so every representation sees the same labelled examples.
"""

import math
from dataclasses import dataclass

import numpy as np

import minigrad
from minigrad import functional as F
from minigrad import nn, optim

WEIGHT_DECAY = 1e-2
STEPS = 1000
LR = 0.01


@dataclass(frozen=True)
class ProbeResult:
    test_accuracy: float
    train_accuracy: float     # on the labelled rows it was fitted on
    train_loss: float         # final mean cross-entropy on those rows (without the penalty)
    num_labelled: int
    num_features: int


def few_labels(y, n, seed=0, num_classes=None):
    """Sorted row indices of a class-balanced subset of ``n`` labelled examples of ``y``."""
    y = np.asarray(y)
    num_classes = num_classes or int(y.max()) + 1
    per_class, rest = divmod(n, num_classes)
    if rest:
        raise ValueError(f"few_labels: {n} labels do not split evenly over {num_classes} classes")
    rng = np.random.default_rng(seed)
    rows = []
    for label in range(num_classes):
        candidates = np.flatnonzero(y == label)
        if len(candidates) < per_class:
            raise ValueError(f"few_labels: class {label} has {len(candidates)} examples, fewer than {per_class}")
        rows.append(rng.choice(candidates, per_class, replace=False))
    return np.sort(np.concatenate(rows))


def standardizer(features):
    """(mean, scale) that centre ``features`` and give its average column unit variance."""
    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    mean = features.mean(axis=0)
    scale = np.sqrt(features.var(axis=0).mean())
    return mean, (scale if scale > 0 else 1.0)


def fit_softmax_regression(features, labels, num_classes, *, weight_decay=WEIGHT_DECAY, steps=STEPS, lr=LR,
                           seed=0, dtype="float64"):
    """An ``nn.Linear`` fitted by full-batch Adam on mean cross-entropy + (λ/2)‖W‖² (λ = ``weight_decay``)."""
    minigrad.manual_seed(seed)
    x = minigrad.tensor(np.asarray(features, dtype=dtype))
    y = minigrad.tensor(np.asarray(labels, dtype=np.int64))
    classifier = nn.Linear(x.shape[1], num_classes).to(dtype)
    optimizer = optim.Adam(classifier.parameters(), lr=lr)
    for step in range(steps):
        optimizer.param_groups[0]["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))  # cosine decay to 0
        optimizer.zero_grad()
        loss = F.cross_entropy(classifier(x), y) + 0.5 * weight_decay * (classifier.weight ** 2).sum()
        loss.backward()
        optimizer.step()
    return classifier


def accuracy(classifier, features, labels, dtype="float64"):
    with minigrad.no_grad():
        scores = classifier(minigrad.tensor(np.asarray(features, dtype=dtype))).numpy()
    return float(np.mean(scores.argmax(axis=1) == np.asarray(labels)))


def probe(train_features, y_train, test_features, y_test, labelled=None, *, weight_decay=WEIGHT_DECAY,
          steps=STEPS, lr=LR, seed=0, num_classes=10):
    """Fit the probe on rows ``labelled`` of the training features (all rows if None); score it on the test set."""
    train_features = np.asarray(train_features, dtype=np.float64).reshape(len(train_features), -1)
    test_features = np.asarray(test_features, dtype=np.float64).reshape(len(test_features), -1)
    mean, scale = standardizer(train_features)
    rows = np.arange(len(train_features)) if labelled is None else np.asarray(labelled)
    f_train = (train_features[rows] - mean) / scale
    f_test = (test_features - mean) / scale
    y_fit = np.asarray(y_train)[rows]
    classifier = fit_softmax_regression(f_train, y_fit, num_classes, weight_decay=weight_decay, steps=steps,
                                        lr=lr, seed=seed)
    with minigrad.no_grad():
        train_loss = float(F.cross_entropy(classifier(minigrad.tensor(f_train)), minigrad.tensor(y_fit)).item())
    return ProbeResult(accuracy(classifier, f_test, y_test), accuracy(classifier, f_train, y_fit), train_loss,
                       len(rows), train_features.shape[1])
