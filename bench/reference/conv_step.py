"""PyTorch reference for bench/conv-step.ts: one training step of the few-label CNN classifier or of
the 28x28 DCGAN (same layers, batch, Adam settings and thread count as ours). Prints one JSON line.

  /usr/bin/python3 bench/reference/conv_step.py --model classifier|dcgan --threads 1 [--steps 10] [--warmup 3] [--batch 64]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as tnn
import torch.nn.functional as F


def classifier_step(batch):
    g = torch.Generator().manual_seed(1)
    net = tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1, bias=False), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1, bias=False), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(32 * 7 * 7, 10),
    )
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    return step


def dcgan_step(batch):
    g = torch.Generator().manual_seed(2)
    Z = 100
    gen = tnn.Sequential(
        tnn.Linear(Z, 128 * 7 * 7), tnn.Unflatten(1, (128, 7, 7)), tnn.BatchNorm2d(128), tnn.ReLU(),
        tnn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(),
        tnn.ConvTranspose2d(64, 1, 4, 2, 1), tnn.Tanh(),
    )
    disc = tnn.Sequential(
        tnn.Conv2d(1, 64, 4, 2, 1), tnn.LeakyReLU(0.2),
        tnn.Conv2d(64, 128, 4, 2, 1, bias=False), tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2),
        tnn.Flatten(), tnn.Linear(128 * 7 * 7, 1),
    )
    gen.train()
    disc.train()
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.randn(batch, 1, 28, 28, generator=g)
    ones = torch.ones(batch, 1)
    zeros = torch.zeros(batch, 1)

    def step():
        opt_d.zero_grad()
        with torch.no_grad():
            fake = gen(torch.randn(batch, Z, generator=g))
        loss_d = F.binary_cross_entropy_with_logits(disc(real), ones) + F.binary_cross_entropy_with_logits(disc(fake), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        opt_d.zero_grad()
        F.binary_cross_entropy_with_logits(disc(gen(torch.randn(batch, Z, generator=g))), ones).backward()
        opt_g.step()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["classifier", "dcgan"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    step = (classifier_step if a.model == "classifier" else dcgan_step)(a.batch)
    for _ in range(a.warmup):
        step()
    ts = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "model": a.model, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "medianMs": statistics.median_low(ts), "stepsMs": [round(t, 2) for t in ts],
    }))


if __name__ == "__main__":
    main()
