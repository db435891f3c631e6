"""A hand-written VAE training loop, eager and with its step replayed as a CUDA graph.

    python examples/cuda_graph_step.py            # on CuPy when a GPU is there, else on NumPy

The same model, data order and noise twice: once calling the step, once through
``minigrad.cuda_graph.graphed``. On a GPU the graphed epochs should be several times faster (the
step's ~100 kernels go in one launch; benchmarks/bench_gpu_vae.py measured 5.8-7.6x for this loop
on an H200, where this script itself has not run yet), with the same losses. On NumPy nothing is
captured: both loops run the same code, under the same checks, and print the same.
(`autoencoders train vae --backend cupy --cuda-graph` does this inside the training loop.)
"""

import time

import minigrad
from autoencoders.data import load_dataset
from autoencoders.models import Batch
from autoencoders.models.vae import VAE
from minigrad.cuda_graph import graphed


def make_step(model, optimizer):
    def step(x):
        optimizer.zero_grad()
        loss = model.objective(model.loss_terms(Batch(x=x)))
        loss.backward(float(len(x)))        # the gradient of the batch's sum, as pytorch/examples
        optimizer.step()
        return loss.detach()                # a graphed step returns the same Tensor at every call

    return step


def train(images, wrap, epochs=3, batch_size=128):
    minigrad.manual_seed(0)
    model = VAE().to(minigrad.get_backend())
    optimizer = minigrad.optim.Adam(model.parameters(), lr=1e-3, capturable=True)  # capturable: for graphs
    step = wrap(make_step(model, optimizer))
    x_all = minigrad.tensor(images)         # the data on the device once
    for epoch in range(1, epochs + 1):
        start, total = time.perf_counter(), 0.0
        order = minigrad.random.generator().permutation(len(images))   # outside the step: allowed
        for first in range(0, len(images), batch_size):
            x = minigrad.Tensor._wrap(x_all.data[order[first:first + batch_size]])
            total = total + step(x).data * len(x)   # read at once: the next replay overwrites it
        mean = float(total) / len(images)           # the epoch's one host sync
        print(f"  epoch {epoch}: loss {mean:8.3f}  {time.perf_counter() - start:6.3f} s")


def main():
    backend = "cupy" if minigrad.cupy_available() else "numpy"
    minigrad.set_backend(backend)
    images = load_dataset("mnist-5k").x_train                   # (4000, 784) float32 in [0, 1]
    print(f"backend {backend}, {len(images)} images")
    print("eager:")
    train(images, wrap=lambda step: step)
    print("CUDA graph (graphed):")
    train(images, wrap=graphed)


if __name__ == "__main__":
    main()
