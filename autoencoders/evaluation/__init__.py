"""Evaluation of trained autoencoders: exact baselines, probes and measurements."""
