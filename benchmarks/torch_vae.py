"""The pytorch/examples VAE in PyTorch: the reference side of bench_vae_epoch.py (CPU) and
bench_gpu_vae.py (CUDA). PyTorch is an optional import of the benchmarks, never a dependency.

784 -> 400 (ReLU) -> mu, logvar (20 each); z = mu + eps * exp(logvar / 2); z -> 400 (ReLU) ->
784 logits. Loss per batch: the sum of BCE with logits and the closed-form KL, as in
pytorch/examples; Adam lr 1e-3 (PyTorch's default implementation for the device, or fused).
"""


def make_torch_vae(torch, seed=1, capturable=False, device="cuda", fused=None):
    """(model, optimizer) on ``device``; ``model.loss(x)`` is the batch's summed loss.
    ``fused=True``: PyTorch's fused Adam (one kernel per step; on the CPU since torch 2.4)."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def loss(self, x):
            h = F.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = self.fc4(F.relu(self.fc3(z)))
            bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return bce + kl

    model = VAE().to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, capturable=capturable, fused=fused)


def torch_step(model, optimizer):
    """step(x) -> the batch's summed loss, a 0-d tensor (not read: no sync)."""
    def step(x):
        optimizer.zero_grad()
        loss = model.loss(x)
        loss.backward()
        optimizer.step()
        return loss

    return step


def torch_epoch(torch, step, X, batch):
    """One shuffled epoch of ``step`` over the rows of X (on X's device); the mean loss per
    example, read once at the end."""
    order = torch.randperm(len(X), device=X.device)
    total = torch.zeros((), device=X.device)
    for start in range(0, len(X), batch):
        total += step(X[order[start:start + batch]]).detach()
    return float(total) / len(X)
