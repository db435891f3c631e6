"""Convolutional autoencoders: the notes' network, and a small strided one that trains fast on a CPU.

``conv-ae`` (the default, quick): two stride-2 convolutions down to 7×7, a linear code,
and two stride-2 transposed convolutions back up:

    x (1×28×28) → conv 3×3/2 → 16×14×14 → ReLU → conv 3×3/2 → 32×7×7 → ReLU → linear → z (20)
    z → linear → 32×7×7 → ReLU → convᵀ 4×4/2 → 16×14×14 → ReLU → convᵀ 4×4/2 → 1×28×28 → sigmoid
    L_reconstruction = mean (x̂ − x)²,  Adam

(the network of the conv-autoencoder benchmark in docs/benchmarks.md).

``conv-ae-notes``: the convolutional autoencoder of the study notes (003), all tanh,
"same" padding, no striding, pixels scaled to [−1, 1]:

    x → conv 5×5 1→14 → tanh → conv 5×5 14→7 → tanh → flatten (7·28·28) → linear → z (28) → tanh
    z → linear → 7·28·28 → tanh → conv 5×5 7→14 → tanh → conv 5×5 14→1 → tanh
    L_reconstruction = mean (x̂ − x)²,  SGD with momentum 0.9, lr 0.01, batch 60

Both read images (B, 1, 28, 28) (``flatten: False``).
"""

from minigrad import functional as F
from minigrad import nn, optim

from autoencoders.models.base import Autoencoder
from autoencoders.models.registry import register


class _ConvAutoencoder(Autoencoder):
    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def loss_terms(self, batch):
        return {"reconstruction": F.mse_loss(self.reconstruct(batch.input), batch.x)}


@register("conv-ae", "small strided convolutional autoencoder (16, 32 channels, 3x3 stride 2, code 20), "
                     "sigmoid output, MSE, Adam")
class ConvAE(_ConvAutoencoder):
    defaults = {"epochs": 15, "batch_size": 64, "lr": 2e-3, "latent_dim": 20, "flatten": False}

    def __init__(self, input_shape=(1, 28, 28), latent_dim=20, channels=(16, 32)):
        super().__init__()
        c, height, width = input_shape
        if height % 4 or width % 4:
            raise ValueError(f"conv-ae: image sides must be multiples of 4, got {height}x{width}")
        c1, c2 = channels
        grid = (c2, height // 4, width // 4)
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(c2 * grid[1] * grid[2], latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c2 * grid[1] * grid[2]), nn.ReLU(), nn.Unflatten(1, grid),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1), nn.Sigmoid(),
        )


@register("conv-ae-notes", "the study notes' convolutional autoencoder (1-14-7 channels, 5x5 same padding, "
                           "tanh, code 28), pixels in [-1, 1], SGD momentum 0.9")
class NotesConvAE(_ConvAutoencoder):
    defaults = {"epochs": 3, "batch_size": 60, "lr": 0.01, "optimizer": "sgd", "latent_dim": 28,
                "flatten": False, "value_range": [-1.0, 1.0]}

    def __init__(self, input_shape=(1, 28, 28), latent_dim=28, momentum=0.9):
        super().__init__()
        c, height, width = input_shape
        grid = (7, height, width)
        self.latent_dim, self.momentum = latent_dim, momentum
        self.encoder = nn.Sequential(
            nn.Conv2d(c, 14, 5, padding=2), nn.Tanh(),
            nn.Conv2d(14, 7, 5, padding=2), nn.Tanh(),
            nn.Flatten(), nn.Linear(7 * height * width, latent_dim), nn.Tanh(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 7 * height * width), nn.Tanh(), nn.Unflatten(1, grid),
            nn.Conv2d(7, 14, 5, padding=2), nn.Tanh(),
            nn.Conv2d(14, c, 5, padding=2), nn.Tanh(),
        )

    def configure_optimizers(self, config):
        """SGD with the notes' momentum (the generic optimizer option has none)."""
        if config.get("optimizer", "sgd") != "sgd":
            return super().configure_optimizers(config)
        return {"model": optim.SGD(self.parameters(), lr=config["lr"], momentum=self.momentum)}
