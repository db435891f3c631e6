"""A plain GAN (Goodfellow et al., 2014) on the discriminator loop of the adversarial autoencoder.

    python examples/gan.py [OUT_PNG] [EPOCHS]     # defaults: runs/example-gan.png, 30

The AAE plays its game on codes: prior samples are "real", the encoder's codes "fake". A
GAN plays the same game on images: training images are real, G(z) fake, z ~ N(0, I). The
pieces are the AAE's (``autoencoders.models.aae``): the discriminator MLP, the two losses
from logits and ``frozen``, so each step is

    discriminator update:  L_D = BCE(D(x), 1) + BCE(D(G(z)), 0)    G(z) made under no_grad
    generator update:      L_G = BCE(D(G(z)), 1)                   through a frozen D

With MLPs, 4,000 digits and a few minutes of CPU the samples are rough but digit-like.
"""

import sys

from matplotlib.figure import Figure

import minigrad
from minigrad import nn, optim

from autoencoders.data import DataLoader, load_dataset
from autoencoders.models.aae import Discriminator, discriminator_loss, frozen, generator_loss
from autoencoders.models.base import mlp

NOISE_DIM = 32


def main(out="runs/example-gan.png", epochs=30):
    minigrad.manual_seed(0)
    data = load_dataset("mnist-5k", value_range=(-1.0, 1.0))          # tanh images, as DCGAN
    generator = nn.Sequential(mlp([NOISE_DIM, 256, 512, 784], activation=nn.LeakyReLU), nn.Tanh())
    discriminator = Discriminator(784, hidden=(512, 256), activation=lambda: nn.LeakyReLU(0.2))
    opt_g = optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(data.x_train, batch_size=64, seed=0)
    for epoch in range(1, int(epochs) + 1):
        d_sum = g_sum = 0.0
        for (x,) in loader:
            opt_d.zero_grad()
            with minigrad.no_grad():
                fake = generator(minigrad.randn(len(x), NOISE_DIM))           # constants to D
            d_loss = discriminator_loss(discriminator(x), discriminator(fake))
            d_loss.backward()
            opt_d.step()

            opt_g.zero_grad()
            with frozen(discriminator):
                g_loss = generator_loss(discriminator(generator(minigrad.randn(len(x), NOISE_DIM))))
                g_loss.backward()
            opt_g.step()
            d_sum, g_sum = d_sum + d_loss.item(), g_sum + g_loss.item()
        print(f"epoch {epoch}: L_D {d_sum / len(loader):.3f}, L_G {g_sum / len(loader):.3f}")

    with minigrad.no_grad():
        images = generator(minigrad.randn(64, NOISE_DIM)).numpy().reshape(8, 8, 28, 28)
    fig = Figure(figsize=(6, 6), layout="constrained")
    ax = fig.subplots()
    ax.imshow(images.transpose(0, 2, 1, 3).reshape(8 * 28, 8 * 28), cmap="gray", vmin=-1, vmax=1)
    ax.set_axis_off()
    ax.set_title(f"64 GAN samples after {epochs} epochs on mnist-5k")
    fig.savefig(out, dpi=100)
    print("wrote", out)


if __name__ == "__main__":
    main(*sys.argv[1:])
