"""Autoencoder models (AE, DAE, VAE, ...) built on minigrad."""
