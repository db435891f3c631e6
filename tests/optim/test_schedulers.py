"""Learning-rate schedulers: the lr sequences equal their closed forms, for every param group.

Schedulers only touch Python floats in the param groups, so no backend is involved.
"""

import math

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

BASE_LRS = [0.1, 0.03]


def two_group_optimizer():
    a = minigrad.tensor(np.ones(2), requires_grad=True)
    b = minigrad.tensor(np.ones(2), requires_grad=True)
    return optim.SGD([{"params": [a]}, {"params": [b], "lr": BASE_LRS[1]}], lr=BASE_LRS[0], momentum=0.9)


def lr_sequence(scheduler, epochs):
    """The group lrs of epochs 0 .. epochs-1 (epoch 0 is set by the constructor)."""
    sequence = []
    for _ in range(epochs):
        lrs = [group["lr"] for group in scheduler.optimizer.param_groups]
        assert scheduler.get_last_lr() == lrs
        sequence.append(lrs)
        scheduler.step()
    return sequence


def closed_forms(name):
    return {
        "step": lambda base, e: base * 0.5 ** (e // 3),
        "exponential": lambda base, e: base * 0.9 ** e,
        "cosine": lambda base, e: 0.001 + (base - 0.001) * (1 + math.cos(math.pi * e / 5)) / 2,
    }[name]


def make(name, optimizer):
    return {
        "step": lambda: StepLR(optimizer, step_size=3, gamma=0.5),
        "exponential": lambda: ExponentialLR(optimizer, gamma=0.9),
        "cosine": lambda: CosineAnnealingLR(optimizer, T_max=5, eta_min=0.001),
    }[name]()


NAMES = ["step", "exponential", "cosine"]


@pytest.mark.parametrize("name", NAMES)
def test_lr_sequence_is_the_closed_form(name):
    scheduler = make(name, two_group_optimizer())
    form = closed_forms(name)
    expected = [[form(base, epoch) for base in BASE_LRS] for epoch in range(12)]
    np.testing.assert_allclose(lr_sequence(scheduler, 12), expected, rtol=1e-12)


def test_known_values_by_hand():
    optimizer = two_group_optimizer()
    step = StepLR(optimizer, step_size=2, gamma=0.1)
    assert [lrs[0] for lrs in lr_sequence(step, 5)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])
    optimizer = two_group_optimizer()
    cosine = CosineAnnealingLR(optimizer, T_max=2)
    assert [lrs[0] for lrs in lr_sequence(cosine, 5)] == pytest.approx([0.1, 0.05, 0.0, 0.05, 0.1], abs=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_schedule_starts_from_initial_lr_not_the_current_lr(name):
    optimizer = two_group_optimizer()
    scheduler = make(name, optimizer)
    assert [g["initial_lr"] for g in optimizer.param_groups] == BASE_LRS
    optimizer.param_groups[0]["lr"] = 42.0   # overwritten by the closed form at the next step
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(closed_forms(name)(BASE_LRS[0], 1))
    # a group's initial_lr, once recorded, is kept by later schedulers on the same optimizer
    assert make(name, optimizer).base_lrs == BASE_LRS


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("optimizer_first", [True, False], ids=["load-optimizer-first", "make-scheduler-first"])
def test_state_dict_round_trip_continues_identically(name, optimizer_first):
    reference = make(name, two_group_optimizer())
    expected = lr_sequence(reference, 10)

    first_optimizer = two_group_optimizer()
    first = make(name, first_optimizer)
    head = lr_sequence(first, 4)
    saved_optimizer, saved_scheduler = first_optimizer.state_dict(), first.state_dict()
    assert "optimizer" not in saved_scheduler and saved_scheduler["last_epoch"] == 4

    resumed_optimizer = two_group_optimizer()
    if optimizer_first:   # then constructing the scheduler resets the lrs to epoch 0 ...
        resumed_optimizer.load_state_dict(saved_optimizer)
        resumed = make(name, resumed_optimizer)
    else:
        resumed = make(name, resumed_optimizer)
        resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)   # ... and loading its state sets them back
    assert resumed.last_epoch == 4
    assert head + lr_sequence(resumed, 6) == expected


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(two_group_optimizer(), step_size=3, last_epoch=5)
    optimizer = two_group_optimizer()
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    scheduler = ExponentialLR(optimizer, gamma=0.5, last_epoch=2)
    assert scheduler.last_epoch == 3
    assert scheduler.get_last_lr() == pytest.approx([b * 0.5 ** 3 for b in BASE_LRS])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="step_size"):
        StepLR(two_group_optimizer(), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(two_group_optimizer(), T_max=0)


def test_the_scheduled_lr_drives_the_optimizer():
    p = minigrad.tensor(np.zeros(1), requires_grad=True)
    optimizer = optim.SGD([p], lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = minigrad.tensor(np.ones(1))
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(p.numpy(), [-(1.0 + 0.5 + 0.25)])
