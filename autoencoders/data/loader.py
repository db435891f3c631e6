"""DataLoader: seeded, resumable mini-batches over host numpy arrays, delivered on minigrad's backend."""

import copy

import numpy as np

from autoencoders.data.transforms import binarize_bernoulli


def to_device(array):
    """The one host-to-device copy of a batch array: a minigrad Tensor on the active backend.

    On NumPy the batch, a fresh array from the loader's gather, is wrapped as it is: no copy."""
    import minigrad  # imported here so the data layer works (with device=False) without the engine

    if type(array) is np.ndarray and minigrad.backend.active_module() is np:
        return minigrad.Tensor(array)
    return minigrad.tensor(array)


class DataLoader:
    """Mini-batches of rows of ``arrays`` (all of the same length), one epoch per iteration.

    Each batch is a tuple with one entry per input array. Float arrays are cast once, up
    front, to ``dtype`` and integer arrays (labels) to int64, so a batch costs one gather on
    the host and, with ``device=True``, one host-to-device copy per array (:func:`to_device`);
    ``device=False`` yields the numpy arrays.

    The first array is the model input. ``dynamic_binarize`` replaces each of its batches by
    a fresh Bernoulli draw (pixel on with probability x; x must lie in [0, 1]); then
    ``transform(x, rng)``, e.g. a noise of :mod:`autoencoders.data.transforms`, is applied to
    it (it must return a new array). Later arguments that are the *same object* as the first
    receive its batch binarized but not transformed, so ``DataLoader(x, x, batch_size=64,
    transform=MaskingNoise(0.25))`` yields (corrupted input, clean target) pairs.

    All randomness (each epoch's permutation, binarization, transform noise) comes from one
    numpy Generator seeded once with ``seed``: the same seed gives the same batches.
    ``state_dict()`` records that generator and the position in the current epoch;
    ``load_state_dict()`` on a fresh loader over the same data makes its next iteration
    continue that epoch with identical batches. A loader has one live iteration at a time;
    starting a new one (other than right after ``load_state_dict``) starts a new epoch.
    """

    def __init__(self, *arrays, batch_size, shuffle=True, seed=0, drop_last=False, transform=None,
                 dynamic_binarize=False, dtype="float32", device=True):
        if not arrays:
            raise ValueError("DataLoader needs at least one array")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.dtype = np.dtype(dtype)
        host = {}  # each distinct input array converted once
        for array in arrays:
            if id(array) not in host:
                host[id(array)] = self._host_array(array)
        self.arrays = tuple(host[id(array)] for array in arrays)
        self._same_as_input = tuple(i > 0 and array is arrays[0] for i, array in enumerate(arrays))
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"all arrays must have the same length, got lengths {lengths}")
        self.num_samples = lengths[0]
        if dynamic_binarize:
            x = self.arrays[0]
            if x.dtype.kind != "f" or (x.size and (x.min() < 0 or x.max() > 1)):
                raise ValueError("dynamic_binarize needs the first array to hold floats in [0, 1]")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.transform = transform
        self.dynamic_binarize = bool(dynamic_binarize)
        self.device = bool(device)
        self.epoch = 0  # epochs started
        self._rng = np.random.default_rng(seed)
        self._epoch_rng_state = None  # generator state right before this epoch's permutation
        self._order = None
        self._next = 0  # batches of this epoch already delivered
        self._resume = False

    def _host_array(self, array):
        array = np.asarray(array)
        if array.dtype.kind == "f":
            return array.astype(self.dtype, copy=False)
        if array.dtype.kind in "iub":
            return array.astype(np.int64, copy=False)
        raise TypeError(f"DataLoader takes float or integer arrays, got dtype {array.dtype}")

    def __len__(self):
        """Batches per epoch."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        if not (self._resume and self._order is not None and self._next < len(self)):
            self._start_epoch()
        self._resume = False
        while self._next < len(self):
            start = self._next * self.batch_size
            rows = self._order[start:start + self.batch_size]
            self._next += 1  # before yielding, so state_dict() inside the loop counts this batch
            yield self._batch(rows)

    def _start_epoch(self):
        self._epoch_rng_state = copy.deepcopy(self._rng.bit_generator.state)
        self._order = self._permutation(self._rng)
        self._next = 0
        self.epoch += 1

    def _permutation(self, rng):
        return rng.permutation(self.num_samples) if self.shuffle else np.arange(self.num_samples)

    def _batch(self, rows):
        clean = self.arrays[0][rows]
        if self.dynamic_binarize:
            clean = binarize_bernoulli(clean, self._rng)
        inputs = clean if self.transform is None else self.transform(clean, self._rng)
        batch = [inputs] + [clean if same else array[rows]
                            for array, same in zip(self.arrays[1:], self._same_as_input[1:])]
        return tuple(to_device(array) for array in batch) if self.device else tuple(batch)

    def state_dict(self):
        """Where the loader stands: plain Python values (JSON- and pickle-friendly)."""
        return {
            "seed": self.seed,
            "epoch": self.epoch,
            "next_batch": self._next,
            "epoch_rng_state": copy.deepcopy(self._epoch_rng_state),
            "rng_state": self._rng.bit_generator.state,
            "num_samples": self.num_samples,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state):
        """Continue from ``state``: the next iteration resumes the recorded epoch where it stopped."""
        mismatched = [f"{key}: state has {state[key]}, loader has {getattr(self, key)}"
                      for key in ("num_samples", "batch_size", "shuffle", "drop_last")
                      if state[key] != getattr(self, key)]
        if mismatched:
            raise ValueError("state_dict does not match this DataLoader: " + "; ".join(mismatched))
        self._rng.bit_generator.state = state["rng_state"]
        self.epoch = state["epoch"]
        self._next = state["next_batch"]
        self._epoch_rng_state = copy.deepcopy(state["epoch_rng_state"])
        self._order = None
        if self._epoch_rng_state is not None:
            replay = np.random.default_rng()
            replay.bit_generator.state = self._epoch_rng_state
            self._order = self._permutation(replay)
        self._resume = True
