#!/usr/bin/env python3
"""bench/pytorch/w2_w4.py — W2 and W4 (../shared/bench-workloads.md) in PyTorch, for the same-run comparison with
reel's bench/w2_gemm and bench/w4_cnn. scripts/gpu_check.sh runs it on the GPU machine right after reel's programs.

Prints the same one-line format as reel's benches (bench_common.h), with impl=pytorch:
  bench=W2 figure=torch_matmul_gflops value=... n=1024 device=cuda impl=pytorch
  bench=W4 figure=train_step_ms value=... device=cuda conv=cudnn impl=pytorch

  python3 bench/pytorch/w2_w4.py [--device cpu|cuda] [--threads N] [--quick]

Same settings as reel: float32, TF32 off (PyTorch's default for matmul; set explicitly for convolutions too),
W4 batches are seeded random images of Fashion-MNIST's shape, and each W4 step ends with loss.item().
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def figure(workload, name, unit, samples, extra):
    samples = sorted(samples)
    median = statistics.median(samples)
    print(f"bench={workload} figure={name} value={median:.4g} unit={unit} repeats={len(samples)} "
          f"min={samples[0]:.4g} median={median:.4g} max={samples[-1]:.4g} {extra} impl=pytorch", flush=True)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def w2(device, quick):
    sizes = [16, 64] if quick else ([256, 1024, 2048, 4096] if device.type == "cuda" else [64, 256, 1024, 2048])
    for n in sizes:
        torch.manual_seed(n)
        a = torch.randn(n, n, device=device)
        b = torch.randn(n, n, device=device)
        c = a @ b
        expected_gflops = 20000.0 if device.type == "cuda" else 50.0
        calls = max(1, int((0.001 if quick else 0.1) / (2.0 * n ** 3 / (expected_gflops * 1e9))))
        samples = []
        for _ in range(2 if quick else 10):
            sync(device)
            start = time.perf_counter()
            for _ in range(calls):
                c = a @ b
            sync(device)
            samples.append(2.0 * n ** 3 * calls / (time.perf_counter() - start) / 1e9)
        figure("W2", "torch_matmul_gflops", "GFLOP/s", samples, f"n={n} device={device.type} calls_per_repeat={calls}")


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5)
        self.conv2 = nn.Conv2d(32, 64, 5)
        self.fc1 = nn.Linear(1024, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return self.fc2(F.relu(self.fc1(h.flatten(1))))


def w4(device, quick, threads):
    warmups, steps = (1, 2) if quick else (10, 200)
    torch.manual_seed(4)
    model = Cnn().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    distinct = min(warmups + steps, 16)
    images = [torch.rand(64, 1, 28, 28, device=device) for _ in range(distinct)]
    labels = [torch.randint(10, (64,), device=device) for _ in range(distinct)]
    samples = []
    last = 0.0
    for step in range(warmups + steps):
        which = step % distinct
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[which]), labels[which])
        loss.backward()
        optimizer.step()
        last = loss.item()
        if step >= warmups:
            samples.append((time.perf_counter() - start) * 1e3)
    extra = f"device={device.type} threads={threads} batch=64"
    if device.type == "cuda":
        extra += " conv=cudnn"
    figure("W4", "train_step_ms", "ms", samples, extra + f" last_loss={last:.6f}")


def w7_lstm(device, quick, threads):
    """The same step as bench/w7_lstm.cpp: a two-layer LSTM (64 -> 256), sequence 64, batch 32, Adam."""
    warmups, steps = (1, 2) if quick else (5, 50 if device.type == "cuda" else 10)
    size_in, hidden, seq, batch = (8, 16, 5, 3) if quick else (64, 256, 64, 32)
    torch.manual_seed(7)
    lstm = nn.LSTM(size_in, hidden, num_layers=2).to(device)
    optimizer = torch.optim.Adam(lstm.parameters(), lr=1e-3)
    x = torch.randn(seq, batch, size_in, device=device)
    weights = torch.randn(seq, batch, hidden, device=device)
    samples = []
    last = 0.0
    for step in range(warmups + steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        output, (h_n, _) = lstm(x)
        loss = (output * weights).sum() + h_n.sum()
        loss.backward()
        optimizer.step()
        last = loss.item()
        if step >= warmups:
            samples.append((time.perf_counter() - start) * 1e3)
    figure("W7", "lstm_train_step_ms", "ms", samples, f"device={device.type} threads={threads} last_loss={last:.6f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device(args.device)
    print(f"# torch {torch.__version__}, cudnn {torch.backends.cudnn.version()}, device {device}"
          + (f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""), flush=True)
    w2(device, args.quick)
    w4(device, args.quick, args.threads)
    w7_lstm(device, args.quick, args.threads)


if __name__ == "__main__":
    main()
