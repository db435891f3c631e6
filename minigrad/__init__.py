"""minigrad: a readable reverse-mode autodiff engine on NumPy or CuPy.

    import minigrad as mg
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()            # x.grad == 2 * x
"""

from minigrad.backend import (
    BackendError, set_backend, get_backend, use_backend, get_array_module, cupy_available,
)
from minigrad.autograd import Function, no_grad, enable_grad, is_grad_enabled, grad, detect_anomaly, AnomalyError
from minigrad.tensor import Tensor, as_tensor
from minigrad.creation import (
    tensor, zeros, ones, full, arange, randn, rand, zeros_like, ones_like, full_like, randn_like, rand_like,
    set_default_dtype, get_default_dtype,
)
from minigrad.random import manual_seed, get_rng_state, set_rng_state
from minigrad.functions import *  # noqa: F401,F403  (every op as minigrad.<op>)
from minigrad import functions
from minigrad.serialization import save, load
from minigrad import optim
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__version__ = "0.1.0"
