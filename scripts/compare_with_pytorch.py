#!/usr/bin/env python3
"""Trains the same small MLP in reel and in PyTorch from one safetensors initialisation and compares the losses.

Usage: scripts/compare_with_pytorch.py --reel build/samples/loss_curve [--steps 200] [--workdir /tmp/reel-vs-torch]

1. Makes a data set (seeded NumPy: 1024 points in 16-D, labels from a random teacher network, 4 classes) and an
   initialisation (PyTorch's default nn.Linear init, seeded) and writes both as safetensors.
2. Runs reel's samples/loss_curve on them (SGD lr 0.1 momentum 0.9, batches of 64 in order, cross-entropy).
3. Runs the same steps with torch.nn / torch.optim from the same files.
4. Prints both curves' summary and the largest relative difference per step; exits 1 if it exceeds 1e-3.
Needs numpy, safetensors and torch (not installed by the build scripts: this is a manual check).
"""
import argparse
import csv
import os
import subprocess
import sys

import numpy as np
import safetensors.numpy
import safetensors.torch
import torch


def make_files(workdir, inputs=16, hidden=64, classes=4, samples=1024):
    rng = np.random.default_rng(1234)
    x = rng.standard_normal((samples, inputs)).astype(np.float32)
    teacher = rng.standard_normal((inputs, classes)).astype(np.float32)
    y = np.argmax(np.tanh(x @ teacher) + 0.3 * rng.standard_normal((samples, classes)), axis=1).astype(np.int64)
    data_path = os.path.join(workdir, "data.safetensors")
    safetensors.numpy.save_file({"x": x, "y": y}, data_path)
    torch.manual_seed(0)
    model = torch.nn.Sequential()
    model.add_module("fc1", torch.nn.Linear(inputs, hidden))
    model.add_module("relu", torch.nn.ReLU())
    model.add_module("fc2", torch.nn.Linear(hidden, classes))
    init_path = os.path.join(workdir, "init.safetensors")
    safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, init_path)
    return data_path, init_path


def torch_curve(data_path, init_path, steps, lr):
    torch.set_num_threads(1)
    data = safetensors.torch.load_file(data_path)
    init = safetensors.torch.load_file(init_path)
    inputs, hidden = init["fc1.weight"].shape[1], init["fc1.weight"].shape[0]
    classes = init["fc2.weight"].shape[0]
    model = torch.nn.Sequential()
    model.add_module("fc1", torch.nn.Linear(inputs, hidden))
    model.add_module("relu", torch.nn.ReLU())
    model.add_module("fc2", torch.nn.Linear(hidden, classes))
    model.load_state_dict(init)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    x, y = data["x"], data["y"]
    n, batch = x.shape[0], 64
    losses = []
    for step in range(steps):
        start = (step * batch) % n
        xb, yb = x[start:start + batch], y[start:start + batch]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reel", required=True, help="path to reel's loss_curve binary")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--workdir", default="/tmp/reel-vs-torch")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    data_path, init_path = make_files(args.workdir)
    curve_path = os.path.join(args.workdir, "reel_curve.csv")
    subprocess.run([args.reel, "--init", init_path, "--data", data_path, "--out", curve_path,
                    "--steps", str(args.steps), "--lr", str(args.lr)], check=True)
    with open(curve_path) as f:
        reel_losses = [float(row["loss"]) for row in csv.DictReader(f)]
    torch_losses = torch_curve(data_path, init_path, args.steps, args.lr)
    worst = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(reel_losses, torch_losses))
    worst_step = max(range(args.steps), key=lambda i: abs(reel_losses[i] - torch_losses[i]) / max(abs(torch_losses[i]), 1e-12))
    print(f"torch {torch.__version__}: steps {args.steps}")
    for i in [0, 1, 10, 50, 100, args.steps - 1]:
        if i < args.steps:
            print(f"  step {i:4d}: reel {reel_losses[i]:.7f}  torch {torch_losses[i]:.7f}")
    print(f"largest relative difference {worst:.2e} at step {worst_step}")
    return 0 if worst <= 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
