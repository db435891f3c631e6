"""Optimizers, gradient clipping and learning-rate schedulers (PyTorch's API).

    opt = minigrad.optim.Adam(model.parameters(), lr=1e-3)
    sched = minigrad.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
"""

from minigrad.optim.optimizer import Optimizer
from minigrad.optim.sgd import SGD
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.clip_grad import clip_grad_norm_, clip_grad_value_
from minigrad.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "clip_grad_norm_", "clip_grad_value_", "lr_scheduler"]
