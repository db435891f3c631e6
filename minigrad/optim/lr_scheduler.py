"""Learning-rate schedules, in closed form (PyTorch's ``_get_closed_form_lr``).

A scheduler sets ``group["lr"]`` of every parameter group from the group's
``"initial_lr"`` (recorded on construction) and an epoch counter ``last_epoch``::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch()        # optimizer.step() ...
        scheduler.step()         # then the lr of the next epoch

Construction itself takes the first step (``last_epoch`` becomes 0 and the lr is
the epoch-0 value), as in PyTorch. Being closed forms, the schedules overwrite any
lr set by hand in between.
"""

import math


class LRScheduler:
    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param group {index} has no 'initial_lr', which resuming "
                                   f"with last_epoch={last_epoch} needs")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr, epoch):
        """The lr of epoch ``epoch`` for a group whose initial lr is ``base_lr``."""
        raise NotImplementedError

    def step(self):
        """Advance one epoch and set each group's lr."""
        self.last_epoch += 1
        self._last_lr = [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self):
        """The lrs (one per param group) set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer (``last_epoch``, ``base_lrs``, the hyperparameters ...)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the epoch counter and set each group's lr to the restored last lr.

        Setting the lr (which PyTorch leaves to the optimizer's state dict) makes the
        order of loading the optimizer and constructing the scheduler not matter.
        """
        self.__dict__.update(state_dict)
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


class StepLR(LRScheduler):
    """lr = initial_lr · γ^⌊epoch / step_size⌋"""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = initial_lr · γ^epoch"""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (initial_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2

    (a cosine from initial_lr down to η_min at epoch T_max, back up by 2·T_max, and so on).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
