"""The autoencoder models. Each file registers its model; importing it here makes it available.

    from autoencoders.models import get_model_class, available_models
"""

from autoencoders.models.base import Autoencoder, Batch, make_optimizer, mlp
from autoencoders.models.registry import available_models, get_model_class, register, UnknownModelError

# One line per model file (the import registers the model):
from autoencoders.models import ae  # noqa: F401
from autoencoders.models import vae  # noqa: F401
from autoencoders.models import beta_vae  # noqa: F401
from autoencoders.models import cvae  # noqa: F401
from autoencoders.models import m2  # noqa: F401
from autoencoders.models import aae  # noqa: F401
from autoencoders.models import aae_supervised  # noqa: F401
from autoencoders.models import aae_semisupervised  # noqa: F401
from autoencoders.models import stacked_ae  # noqa: F401
from autoencoders.models import dae  # noqa: F401
from autoencoders.models import sparse_ae  # noqa: F401
from autoencoders.models import cae  # noqa: F401
from autoencoders.models import conv_ae  # noqa: F401
from autoencoders.models import linear_ae  # noqa: F401
