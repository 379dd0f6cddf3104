#!/usr/bin/env python3
"""Peer side of issue 6's benchmark: PyTorch (eager, optionally torch.compile),
JAX (jax.jit of the whole train step) and NumPy/PyTorch SGEMM.

Run by bench/run.py in a fresh process per (framework, threads), because the
thread count of XLA and OpenBLAS is fixed when they load:

    peers.py --framework torch|torch_compile|jax|numpy --threads T
             [--models mlp_adam,lenet,seed_conv] [--batches 64,256]
             [--matmul 256,512,1024,2048] [--warmup S] [--rep S] [--reps N]

Prints one JSON object per measurement on stdout. The models are the ones of
bench/models/mlp_adam.kiln and samples/fashion_mnist/{lenet,seed_conv}.kiln:
the same layers, sizes, loss (mean sparse softmax cross-entropy), optimizer
and hyper-parameters (Adam: Keras' beta_1 0.9, beta_2 0.999, epsilon 1e-7).
Each framework gets its idiomatic layout (PyTorch NCHW, JAX NHWC/HWIO).

Timing protocol (the same as bench/kiln_driver.c): one random batch (x
uniform in [0, 1), labels in 0..9) reused every step; calls until --warmup
seconds have passed (at least 3, or 1 when one call is longer than --warmup;
JAX compiles first, outside the warm-up); the warm-up's time per call sets the
calls per repetition (about --rep seconds); --reps timed repetitions (3 when
one call takes more than 4 * --rep); medians. Each result also has the share
of its CPUs' time the hypervisor stole during the repetitions (steal.py).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

from steal import StealMeter


def protocol(call, finish, warmup_s, rep_s, reps):
    """call() runs one step; finish() waits for outstanding work."""
    warm = 0
    t0 = time.perf_counter()
    t = t0
    while t - t0 < warmup_s or (warm < 3 and (t - t0) / max(warm, 1) <= warmup_s):
        call()
        finish()
        warm += 1
        t = time.perf_counter()
    per_call = (t - t0) / warm
    per_rep = max(1, math.ceil(rep_s / per_call))
    if per_call > 4 * rep_s:
        reps = min(reps, 3)  # slow calls: keep the run short
    rates = []
    meter = StealMeter(os.sched_getaffinity(0)).start()
    for _ in range(reps):
        a = time.perf_counter()
        for _ in range(per_rep):
            call()
        finish()
        b = time.perf_counter()
        rates.append(per_rep / (b - a))
    return dict(rates=rates, median=statistics.median(rates),
                calls_per_rep=per_rep, warmup_calls=warm, steal=meter.stop())


def random_batch(np, batch, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, size=batch).astype(np.int32)
    return x, y


# ----------------------------------------------------------------------------
# PyTorch
# ----------------------------------------------------------------------------

def torch_models(torch):
    nn = torch.nn

    class SeedConv(nn.Module):
        # conv2d(x, w[28, 28, 1, 10], SAME) + b, then global average pool.
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 10, 28, padding="same")

        def forward(self, x):
            return self.conv(x).mean(dim=(2, 3))

    def mlp():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def lenet():
        return nn.Sequential(
            nn.Conv2d(1, 32, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(),
            nn.Linear(1024, 10))

    return {
        "mlp_adam": (mlp, "adam", 1e-3),
        "lenet": (lenet, "adam", 1e-3),
        "seed_conv": (SeedConv, "sgd", 1e-2),
    }


def bench_torch(args, compiled):
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(1)
    F = torch.nn.functional
    info = dict(version=torch.__version__, threads=torch.get_num_threads(),
                mkldnn=torch.backends.mkldnn.is_available())
    for name, (make, opt, lr) in torch_models(torch).items():
        if name not in args.models:
            continue
        for batch in args.batches:
            model = make()
            if opt == "adam":
                optim = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-7)
            else:
                optim = torch.optim.SGD(model.parameters(), lr=lr)
            xn, yn = random_batch(np, batch)
            x = torch.from_numpy(xn).permute(0, 3, 1, 2).contiguous()  # NCHW
            y = torch.from_numpy(yn).long()

            def step():
                optim.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optim.step()
                return loss

            if compiled:
                step = torch.compile(step)
            t0 = time.perf_counter()
            step()
            first = time.perf_counter() - t0
            res = protocol(step, lambda: None, args.warmup, args.rep, args.reps)
            emit(kind="train", framework="torch_compile" if compiled else "torch",
                 model=name, batch=batch, threads=args.threads,
                 first_call_s=first, info=info, **res)


def bench_torch_mm(args):
    import torch
    torch.set_num_threads(args.threads)
    info = dict(version=torch.__version__, threads=torch.get_num_threads())
    for n in args.matmul:
        g = torch.Generator().manual_seed(1)
        a = torch.rand(n, n, generator=g)
        b = torch.rand(n, n, generator=g)
        c = torch.empty(n, n)
        res = protocol(lambda: torch.mm(a, b, out=c), lambda: None,
                       args.warmup, args.rep, args.reps)
        emit(kind="matmul", framework="torch.mm", n=n, threads=args.threads,
             gflops=res["median"] * 2 * n ** 3 / 1e9, info=info, **res)


# ----------------------------------------------------------------------------
# NumPy (OpenBLAS)
# ----------------------------------------------------------------------------

def bench_numpy_mm(args):
    import numpy as np
    info = dict(version=np.__version__)
    try:
        cfg = np.show_config(mode="dicts")
        info["blas"] = cfg["Build Dependencies"]["blas"]["name"]
    except Exception:
        pass
    for n in args.matmul:
        rng = np.random.default_rng(1)
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        res = protocol(lambda: np.matmul(a, b, out=c), lambda: None,
                       args.warmup, args.rep, args.reps)
        emit(kind="matmul", framework="numpy", n=n, threads=args.threads,
             gflops=res["median"] * 2 * n ** 3 / 1e9, info=info, **res)


# ----------------------------------------------------------------------------
# JAX
# ----------------------------------------------------------------------------

def bench_jax(args):
    import numpy as np
    import jax
    import jax.numpy as jnp

    info = dict(version=jax.__version__, backend=jax.default_backend(),
                xla_flags=os.environ.get("XLA_FLAGS", ""))

    def glorot(key, shape, fan_in, fan_out):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return jax.random.uniform(key, shape, jnp.float32, -limit, limit)

    def dense_p(key, n_in, n_out):
        return dict(w=glorot(key, (n_in, n_out), n_in, n_out), b=jnp.zeros((n_out,)))

    def conv_p(key, kh, kw, cin, cout):
        return dict(w=glorot(key, (kh, kw, cin, cout), kh * kw * cin, kh * kw * cout),
                    b=jnp.zeros((cout,)))

    def conv_same(x, p):
        return jax.lax.conv_general_dilated(
            x, p["w"], window_strides=(1, 1), padding="SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC")) + p["b"]

    def dense(x, p):
        return x @ p["w"] + p["b"]

    def max_pool_2(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max,
                                     (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def mlp_init(k):
        k = jax.random.split(k, 3)
        return dict(l1=dense_p(k[0], 784, 256), l2=dense_p(k[1], 256, 128),
                    l3=dense_p(k[2], 128, 10))

    def mlp_fwd(p, x):
        h = x.reshape(x.shape[0], -1)
        h = jax.nn.relu(dense(h, p["l1"]))
        h = jax.nn.relu(dense(h, p["l2"]))
        return dense(h, p["l3"])

    def lenet_init(k):
        k = jax.random.split(k, 4)
        return dict(c1=conv_p(k[0], 5, 5, 1, 32), c2=conv_p(k[1], 5, 5, 32, 64),
                    fc=dense_p(k[2], 3136, 1024), logits=dense_p(k[3], 1024, 10))

    def lenet_fwd(p, x):
        h = max_pool_2(jax.nn.relu(conv_same(x, p["c1"])))
        h = max_pool_2(jax.nn.relu(conv_same(h, p["c2"])))
        h = jax.nn.relu(dense(h.reshape(h.shape[0], -1), p["fc"]))
        return dense(h, p["logits"])

    def seed_init(k):
        return dict(c=conv_p(k, 28, 28, 1, 10))

    def seed_fwd(p, x):
        return jnp.mean(conv_same(x, p["c"]), axis=(1, 2))

    models = {
        "mlp_adam": (mlp_init, mlp_fwd, "adam", 1e-3),
        "lenet": (lenet_init, lenet_fwd, "adam", 1e-3),
        "seed_conv": (seed_init, seed_fwd, "sgd", 1e-2),
    }

    for name, (init, fwd, opt, lr) in models.items():
        if name not in args.models:
            continue

        def loss_fn(p, x, y, fwd=fwd):
            logp = jax.nn.log_softmax(fwd(p, x), axis=-1)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        if opt == "sgd":
            def train_step(state, x, y, loss_fn=loss_fn, lr=lr):
                loss, g = jax.value_and_grad(loss_fn)(state["p"], x, y)
                p = jax.tree_util.tree_map(lambda w, gw: w - lr * gw, state["p"], g)
                return dict(p=p), loss

            def init_state(p):
                return dict(p=p)
        else:
            b1, b2, eps = 0.9, 0.999, 1e-7

            def train_step(state, x, y, loss_fn=loss_fn, lr=lr):
                loss, g = jax.value_and_grad(loss_fn)(state["p"], x, y)
                t = state["t"] + 1
                tf = t.astype(jnp.float32)
                alpha = lr * jnp.sqrt(1 - b2 ** tf) / (1 - b1 ** tf)
                m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], g)
                v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], g)
                p = jax.tree_util.tree_map(lambda w, m, v: w - alpha * m / (jnp.sqrt(v) + eps),
                                           state["p"], m, v)
                return dict(p=p, m=m, v=v, t=t), loss

            def init_state(p):
                z = jax.tree_util.tree_map(jnp.zeros_like, p)
                return dict(p=p, m=z, v=jax.tree_util.tree_map(jnp.zeros_like, p),
                            t=jnp.zeros((), jnp.int32))

        step_jit = jax.jit(train_step, donate_argnums=(0,))
        for batch in args.batches:
            xn, yn = random_batch(np, batch)
            x, y = jnp.asarray(xn), jnp.asarray(yn)
            box = [init_state(init(jax.random.PRNGKey(1))), None]

            def call():
                box[0], box[1] = step_jit(box[0], x, y)

            def finish():
                if box[1] is not None:
                    box[1].block_until_ready()

            t0 = time.perf_counter()
            call()
            finish()
            first = time.perf_counter() - t0
            res = protocol(call, finish, args.warmup, args.rep, args.reps)
            emit(kind="train", framework="jax", model=name, batch=batch,
                 threads=args.threads, first_call_s=first, info=info, **res)


def emit(**kw):
    print(json.dumps(kw), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--framework", required=True,
                    choices=["torch", "torch_compile", "jax", "numpy"])
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--models", default="mlp_adam,lenet,seed_conv")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--matmul", default="")
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--rep", type=float, default=0.5)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    args.batches = [int(b) for b in args.batches.split(",") if b]
    args.matmul = [int(n) for n in args.matmul.split(",") if n]

    if args.framework in ("torch", "torch_compile"):
        if args.models:
            bench_torch(args, compiled=args.framework == "torch_compile")
        if args.matmul and args.framework == "torch":
            bench_torch_mm(args)
    elif args.framework == "jax":
        bench_jax(args)
    elif args.framework == "numpy":
        bench_numpy_mm(args)


if __name__ == "__main__":
    sys.exit(main())
