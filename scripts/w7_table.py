#!/usr/bin/env python3
"""scripts/w7_table.py — turns the bench lines of one GPU-machine run (scripts/gpu_check.sh's bench.txt) into the
W2 / W4 / W7 tables of docs/benchmarks.md: reel and PyTorch side by side, GPU vs CPU and cuDNN vs reel's naive
CUDA convolution as speedup ratios.

  python3 scripts/w7_table.py gpu-report/bench.txt
"""
import sys


def parse(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("bench="):
                continue
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            fields["value"] = float(fields["value"])
            rows.append(fields)
    return rows


def find(rows, **want):
    for row in rows:
        if all(row.get(k) == v for k, v in want.items()):
            return row
    return None


def fmt(value, digits=4):
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"


def speedup(value):
    return "—" if value is None else f"{fmt(value, 3)}x"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def value(row):
    return None if row is None else row["value"]


def main():
    rows = parse(sys.argv[1])
    print("\n## W2: float32 matmul GFLOP/s (median of 10 repeats)\n")
    print("| n | reel CUDA | PyTorch CUDA | reel/PyTorch | reel CPU 2 threads | reel GPU/CPU |")
    print("|---|---|---|---|---|---|")
    for n in ["256", "1024", "2048", "4096"]:
        reel_gpu = value(find(rows, bench="W2", figure="reel_matmul_gflops", n=n, device="cuda"))
        torch_gpu = value(find(rows, bench="W2", figure="torch_matmul_gflops", n=n, device="cuda"))
        reel_cpu = value(find(rows, bench="W2", figure="reel_matmul_gflops", n=n, threads="2"))
        print(f"| {n} | {fmt(reel_gpu)} | {fmt(torch_gpu)} | {fmt(ratio(reel_gpu, torch_gpu), 3)} | "
              f"{fmt(reel_cpu)} | {fmt(ratio(reel_gpu, reel_cpu), 3)} |")

    print("\n## W4: CNN training step, ms (median of 200 steps)\n")
    print("| configuration | reel | PyTorch | reel/PyTorch |")
    print("|---|---|---|---|")
    reel_cudnn = value(find(rows, bench="W4", device="cuda", conv="cudnn", impl=None))
    reel_naive = value(find(rows, bench="W4", device="cuda", conv="naive"))
    torch_cuda = value(find(rows, bench="W4", device="cuda", impl="pytorch"))
    reel_cpu2 = value(find(rows, bench="W4", device="cpu", threads="2", impl=None))
    torch_cpu2 = value(find(rows, bench="W4", device="cpu", threads="2", impl="pytorch"))
    cpu_all = [r for r in rows if r.get("bench") == "W4" and r.get("device") == "cpu" and r.get("threads") != "2"
               and r.get("impl") is None]
    print(f"| CUDA, cuDNN convolutions | {fmt(reel_cudnn)} | {fmt(torch_cuda)} | {fmt(ratio(reel_cudnn, torch_cuda), 3)} |")
    print(f"| CUDA, reel's naive convolution kernels | {fmt(reel_naive)} | — | — |")
    print(f"| CPU, 2 threads | {fmt(reel_cpu2)} | {fmt(torch_cpu2)} | {fmt(ratio(reel_cpu2, torch_cpu2), 3)} |")
    for row in cpu_all:
        print(f"| CPU, {row['threads']} threads | {fmt(row['value'])} | — | — |")

    print("\n## W7: speedups\n")
    print("| figure | speedup |")
    print("|---|---|")
    print(f"| W4 GPU (cuDNN) vs CPU 2 threads, reel | {speedup(ratio(reel_cpu2, reel_cudnn))} |")
    for row in cpu_all:
        print(f"| W4 GPU (cuDNN) vs CPU {row['threads']} threads, reel | {speedup(ratio(row['value'], reel_cudnn))} |")
    print(f"| W4 cuDNN vs reel's naive CUDA convolution | {speedup(ratio(reel_naive, reel_cudnn))} |")
    print(f"| W4 GPU vs CPU 2 threads, PyTorch | {speedup(ratio(torch_cpu2, torch_cuda))} |")
    lstm_cudnn = value(find(rows, bench="W7", figure="lstm_train_step_ms", device="cuda", rnn="cudnn"))
    lstm_naive = value(find(rows, bench="W7", figure="lstm_train_step_ms", device="cuda", rnn="naive"))
    lstm_cpu = value(find(rows, bench="W7", figure="lstm_train_step_ms", device="cpu", impl=None))
    lstm_torch = value(find(rows, bench="W7", figure="lstm_train_step_ms", device="cuda", impl="pytorch"))
    print(f"| LSTM step GPU (cuDNN) vs CPU 2 threads, reel | {speedup(ratio(lstm_cpu, lstm_cudnn))} |")
    print(f"| LSTM step cuDNN vs reel's own CUDA ops (generic fused_rnn) | {speedup(ratio(lstm_naive, lstm_cudnn))} |")
    print(f"| LSTM step reel (cuDNN) vs PyTorch (cuDNN): PyTorch ms / reel ms | {speedup(ratio(lstm_torch, lstm_cudnn))} |")
    print(f"\nLSTM training step (2 layers, 64 -> 256, T 64, N 32), ms: reel cuDNN {fmt(lstm_cudnn)}, reel own CUDA ops "
          f"{fmt(lstm_naive)}, reel CPU 2 threads {fmt(lstm_cpu)}, PyTorch cuDNN {fmt(lstm_torch)}")
    for n in ["1024", "2048"]:
        reel_gpu = value(find(rows, bench="W2", figure="reel_matmul_gflops", n=n, device="cuda"))
        reel_cpu = value(find(rows, bench="W2", figure="reel_matmul_gflops", n=n, threads="2"))
        print(f"| W2 n={n} GPU vs CPU 2 threads, reel | {speedup(ratio(reel_gpu, reel_cpu))} |")


if __name__ == "__main__":
    main()
