#!/usr/bin/env python3
"""test/gpu/matmul_ref.py - FP32 SGEMM reference through PyTorch, for GPU
machines without a loadable cuBLAS for the kiln-matmul-bench binary.

usage: matmul_ref.py N DIR KILN_MS
Reads DIR/a.f32, b.f32, c.f32 (row-major N x N f32, written by the
KILN_NO_CUBLAS build of MatmulBench.cpp), times torch.matmul on the GPU with
TF32 off (true FP32), checks C against it (max rel diff < 1e-4) and prints the
same row as kiln-matmul-bench. Exit status 1 on a mismatch, 2 without torch/GPU.
"""
import os
import sys
import time

n, d, kiln_ms = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
try:
    import numpy as np
    import torch
except Exception as e:  # noqa: BLE001
    print(f"matmul {n}: no PyTorch for the reference ({e})", file=sys.stderr)
    sys.exit(2)
if not torch.cuda.is_available():
    print(f"matmul {n}: PyTorch sees no CUDA device", file=sys.stderr)
    sys.exit(2)
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")


def load(name):
    return torch.from_numpy(np.fromfile(os.path.join(d, name), dtype=np.float32).reshape(n, n))


a, b, c = (load(x).cuda() for x in ("a.f32", "b.f32", "c.f32"))
r = torch.empty_like(c)


def step():
    torch.matmul(a, b, out=r)
    torch.cuda.synchronize()


step()
step()
iters, start = 0, time.perf_counter()
now = start
while now - start < 1.0 or iters < 3:
    step()
    iters += 1
    now = time.perf_counter()
tr = (now - start) / iters
rel = ((c - r).abs().max() / max(r.abs().max().item(), 1e-6)).item()
ok = rel < 1e-4
flops = 2.0 * n * n * n
tk = kiln_ms / 1e3
print(f"matmul {n}x{n}x{n} f32 | kiln {flops / tk / 1e12:.2f} TFLOP/s ({kiln_ms:.3f} ms) | "
      f"torch SGEMM (cuBLAS via PyTorch, TF32 off) {flops / tr / 1e12:.2f} TFLOP/s ({tr * 1e3:.3f} ms) | "
      f"kiln/ref {100 * tr / tk:.0f}% | max rel diff {rel:.1e} {'OK' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
