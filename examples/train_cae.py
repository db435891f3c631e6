"""A contractive autoencoder, and the three ways to compute its penalty ‖∂h/∂x‖²_F.

    python examples/train_cae.py

Trains the CAE (closed-form penalty), then evaluates the penalty of the trained encoder on a
few test images by the closed form, by double backward (exact, one backward per code unit)
and by the Hutchinson estimate, and compares the contraction with an unpenalized run.
"""

import numpy as np

import minigrad
from autoencoders.models.cae import jacobian_norm_closed_form, jacobian_norm_exact, jacobian_norm_hutchinson
from autoencoders.training import make_config, open_run, train


def main():
    for lam in (0.0, None):  # None: the model's default lambda
        run_dir = f"runs/example-cae-{'plain' if lam == 0.0 else 'contractive'}"
        train(make_config("cae", lam=lam, epochs=10), run_dir, overwrite=True, quiet=True)
        with open_run(run_dir) as run:
            x = minigrad.tensor(run.data.x_test[:8].astype(np.float64))
            run.model.to("float64")
            closed = jacobian_norm_closed_form(run.model.encode(x), run.model.encoder.weight).numpy()
            exact = jacobian_norm_exact(run.model.encode, x).numpy()
            minigrad.manual_seed(0)
            hutchinson = jacobian_norm_hutchinson(run.model.encode, x, probes=64).numpy()
            print(f"lambda {run.config['lam']}: mean ||J||_F^2 closed form {closed.mean():.3f}, double backward "
                  f"{exact.mean():.3f} (max difference {np.abs(closed - exact).max():.1e}), Hutchinson (64 probes) "
                  f"{hutchinson.mean():.3f}")


if __name__ == "__main__":
    main()
