#!/usr/bin/env python3
"""Whole-run agreement of a Kiln-compiled model with an independent JAX peer.

    compare_jax.py MODEL.kiln --peer NAME --work DIR [--steps 100]
                   [--batch 64] [--seed 1] [--rtol 1e-3] [--data DIR]

1. kilnc compiles MODEL.kiln (with every `dropout(x, ...)` replaced by `x`:
   Kiln's dropout masks come from its own counter-based RNG, which the peer
   does not reproduce) to an object and a header.
2. A small C driver links the object, calls NAME_init(state, seed), writes the
   initial state, then runs `steps` train_step calls on the first
   steps * batch Fashion-MNIST training examples in dataset order (batch i is
   examples [i*batch, (i+1)*batch): the same batches the peer gets), printing
   each step's loss, and finally the evaluate() loss of batch 0 with the
   trained state.
3. The peer, a hand-written JAX model for NAME (forward pass, loss, L1/L2
   penalty, optimizer and schedule written from the Keras/TF formulas, not
   from Kiln's code), starts from Kiln's initial parameters (read from the
   state through the offsets and shapes in the generated header), trains on
   the same batches and computes the same numbers.
4. Exit 0 when the loss of step `steps` and the final evaluation loss agree
   within `rtol` relative; every step's relative difference is printed.

The model names below are the peers this script knows; each must match the
.kiln file it is run on (parameter names, shapes, recipe).
"""
import argparse
import gzip
import math
import os
import re
import subprocess
import sys
import textwrap

try:
    import numpy as np
    import jax
    import jax.numpy as jnp
except ImportError as e:  # the lit config skips the tests before this
    print("SKIPPED: the JAX peer is not installed (%s)" % e)
    sys.exit(0)

jax.config.update("jax_enable_x64", False)
jax.config.update("jax_default_matmul_precision", "highest")

MNIST = "/usr/share/datasets/fashion-mnist"


# ----------------------------------------------------------------------------
# Peers: forward pass (params, x) -> logits, and the training recipe.
# ----------------------------------------------------------------------------

def dense(x, w, b):
    return jnp.matmul(x, w) + b


def conv_same(x, w, b):
    y = jax.lax.conv_general_dilated(
        x, w, window_strides=(1, 1), padding="SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST)
    return y + b


def max_pool_2(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max,
                                 (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def mlp_forward(p, x):
    h = x.reshape(x.shape[0], -1)
    h = jax.nn.relu(dense(h, p["w1"], p["b1"]))
    h = jax.nn.relu(dense(h, p["w2"], p["b2"]))
    return dense(h, p["w3"], p["b3"])


def lenet_forward(p, x):
    h = jax.nn.relu(conv_same(x, p["c1/kernel"], p["c1/bias"]))
    h = max_pool_2(h)
    h = jax.nn.relu(conv_same(h, p["c2/kernel"], p["c2/bias"]))
    h = max_pool_2(h)
    h = h.reshape(h.shape[0], -1)
    h = jax.nn.relu(dense(h, p["fc/kernel"], p["fc/bias"]))
    return dense(h, p["logits/kernel"], p["logits/bias"])


def exponential_decay(initial, decay_steps, decay_rate):
    # tf.keras.optimizers.schedules.ExponentialDecay (staircase=False), of the
    # number of completed steps.
    return lambda step: initial * decay_rate ** (step / decay_steps)


def cosine_decay(initial, decay_steps, alpha=0.0):
    # tf.keras.optimizers.schedules.CosineDecay, of the number of completed
    # steps.
    def rate(step):
        fraction = min(step, decay_steps) / decay_steps
        return initial * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)
    return rate


def constant(lr):
    return lambda step: lr


PEERS = {
    # samples/fashion_mnist/mlp.kiln
    "mlp": dict(forward=mlp_forward, optimizer="sgd", lr=constant(0.1), l2=0.0),
    # samples/fashion_mnist/mlp_adam_l2.kiln
    "mlp_adam_l2": dict(forward=mlp_forward, optimizer="adam",
                        lr=exponential_decay(1e-3, 1000, 0.5), l2=1e-4),
    # samples/fashion_mnist/lenet.kiln (without its dropout)
    "lenet": dict(forward=lenet_forward, optimizer="adam",
                  lr=cosine_decay(1e-3, 1876), l2=0.0),
}


def make_peer(spec, param_names):
    forward = spec["forward"]

    def loss_fn(params, x, y):
        logits = forward(params, x)
        # Sparse softmax cross entropy, averaged over the batch.
        logp = jax.nn.log_softmax(logits, axis=-1)
        ce = -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
        if spec["l2"]:
            # Keras' l2(c) = c * sum(w^2), here over every parameter (the
            # .kiln recipe names no subset).
            ce = ce + spec["l2"] * sum(jnp.sum(params[n] ** 2)
                                       for n in param_names)
        return ce

    grad_fn = jax.jit(jax.value_and_grad(loss_fn))
    loss_jit = jax.jit(loss_fn)

    if spec["optimizer"] == "sgd":
        def init_slots(params):
            return {}

        def update(params, slots, grads, step):
            lr = spec["lr"](step)
            return {n: params[n] - lr * grads[n] for n in params}, slots
    else:  # Keras Adam: beta_1 0.9, beta_2 0.999, epsilon 1e-7
        b1, b2, eps = 0.9, 0.999, 1e-7

        def init_slots(params):
            return {n: (jnp.zeros_like(v), jnp.zeros_like(v))
                    for n, v in params.items()}

        def update(params, slots, grads, step):
            t = step + 1
            lr = spec["lr"](step)
            alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            new_p, new_s = {}, {}
            for n in params:
                m, v = slots[n]
                g = grads[n]
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                new_p[n] = params[n] - alpha * m / (jnp.sqrt(v) + eps)
                new_s[n] = (m, v)
            return new_p, new_s

    return grad_fn, loss_jit, init_slots, update


# ----------------------------------------------------------------------------
# Data, the Kiln side
# ----------------------------------------------------------------------------

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_batches(data_dir, count):
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    x = (images[:count].astype(np.float32) * np.float32(1 / 255)).reshape(count, 28, 28, 1)
    y = labels[:count].astype(np.int32)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

static void *slurp(const char *path, size_t bytes) {
  FILE *f = fopen(path, "rb");
  void *p = malloc(bytes);
  if (!f || !p || fread(p, 1, bytes, f) != bytes) { perror(path); exit(2); }
  fclose(f);
  return p;
}

static void dump(const char *path, const void *p, size_t bytes) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, bytes, f) != bytes) { perror(path); exit(2); }
  fclose(f);
}

int main(int argc, char **argv) {
  long steps = atol(argv[1]), batch = atol(argv[2]);
  unsigned long long seed = strtoull(argv[3], NULL, 10);
  const char *dir = argv[4];
  char path[4096];
  size_t n = (size_t)steps * batch;
  snprintf(path, sizeof path, "%s/x.bin", dir);
  float *x = slurp(path, n * NAME_X_SIZE * sizeof(float));
  snprintf(path, sizeof path, "%s/y.bin", dir);
  int *y = slurp(path, n * sizeof(int));
  size_t size = name_state_size();
  void *state = aligned_alloc(64, (size + 63) / 64 * 64);
  name_init(state, seed);
  snprintf(path, sizeof path, "%s/init.bin", dir);
  dump(path, state, size);
  for (long i = 0; i < steps; ++i) {
    for (int d = 5; d < argc; ++d)
      if (atol(argv[d]) == i || atol(argv[d]) + 1 == i) {
        snprintf(path, sizeof path, "%s/state-%ld.bin", dir, i);
        dump(path, state, size);
      }
    float loss = name_train_step(state, x + (size_t)i * batch * NAME_X_SIZE,
                                 y + (size_t)i * batch, batch);
    printf("step %ld %.9g\n", i + 1, loss);
  }
  for (int d = 5; d < argc; ++d)
    if (atol(argv[d]) + 1 == steps) {
      snprintf(path, sizeof path, "%s/state-%ld.bin", dir, steps);
      dump(path, state, size);
    }
  float *logits = malloc((size_t)batch * NAME_LOGITS_SIZE * sizeof(float));
  printf("eval %.9g\n", name_evaluate(state, x, y, batch, logits));
  return 0;
}
"""


def state_layout(header):
    """[(name, dtype, shape, byte offset)] from the generated header's comment."""
    entries = []
    for m in re.finditer(r"^ \*   (\S+) (f32|i64)\[([0-9, ]*)\] at byte (\d+)$",
                         header, re.M):
        shape = tuple(int(d) for d in m.group(3).split(",") if d.strip())
        entries.append((m.group(1), m.group(2), shape, int(m.group(4))))
    return entries


def run_kiln(args, work):
    source = open(args.model).read()
    # `h = dropout(x, ...)` -> `h = x` (the peer has no dropout; see above).
    source, dropped = re.subn(r"\bdropout\(\s*([A-Za-z_][\w]*)\s*,[^)\n]*\)",
                              r"\1", source)
    if args.sgd is not None:
        # The same model trained with plain SGD (see --sgd).
        source, n = re.subn(r"optimizer\s*=\s*\w+\((?:[^()]|\([^()]*\))*\)",
                            "optimizer = sgd(learning_rate = %r)" % args.sgd, source)
        assert n == 1, "no single optimizer = ... to replace"
    model_name = re.search(r"^model\s+(\w+)", source, re.M).group(1)
    kiln_file = os.path.join(work, "model.kiln")
    open(kiln_file, "w").write(source)
    subprocess.run([args.kilnc, kiln_file, "-o", os.path.join(work, "model.o"),
                    "--header", os.path.join(work, "model.h")], check=True)
    driver = DRIVER.replace("NAME_", model_name.upper() + "_") \
                   .replace("name_", model_name + "_")
    open(os.path.join(work, "driver.c"), "w").write(driver)
    exe = os.path.join(work, "driver")
    subprocess.run([args.cc, "-O1", "-o", exe, os.path.join(work, "driver.c"),
                    os.path.join(work, "model.o"), "-lm"], check=True)
    out = subprocess.run([exe, str(args.steps), str(args.batch), str(args.seed), work]
                         + [str(k) for k in args.check_steps],
                         check=True, capture_output=True, text=True).stdout
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+ (\S+)$", out, re.M)]
    final = float(re.search(r"^eval (\S+)$", out, re.M).group(1))
    header = open(os.path.join(work, "model.h")).read()
    layout = state_layout(header)
    return losses, final, read_state(os.path.join(work, "init.bin"), layout), layout, dropped


def read_state(path, layout):
    """The f32 entries of a state dump, by name."""
    raw = open(path, "rb").read()
    entries = {}
    for name, dtype, shape, offset in layout:
        if dtype != "f32":
            continue
        count = int(np.prod(shape)) if shape else 1
        entries[name] = np.frombuffer(raw, np.float32, count, offset).reshape(shape)
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--peer", required=True, choices=sorted(PEERS))
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rtol", type=float, default=1e-3,
                    help="free run: relative tolerance of the losses after --steps")
    ap.add_argument("--free-run", choices=["assert", "report"], default="assert",
                    help="report: print the free-run comparison without asserting it")
    ap.add_argument("--probe", action="store_true",
                    help="also run the peer from ~1-ulp perturbed initial "
                         "parameters, to show how much the free run amplifies "
                         "rounding differences")
    ap.add_argument("--check-steps", type=lambda v: [int(k) for k in v.split(",")],
                    default=[0, 1, 49, 99],
                    help="0-based steps whose single update is checked from Kiln's state")
    ap.add_argument("--step-rtol", type=float, default=1e-3,
                    help="single steps: max |difference| of each updated entry "
                         "relative to the max |change| Kiln made to it")
    ap.add_argument("--sgd", type=float, metavar="LR",
                    help="train both with plain SGD at LR instead of the "
                         "recipe's optimizer (a free run without Adam's "
                         "amplification of rounding differences)")
    ap.add_argument("--data", default=os.environ.get("KILN_MNIST", MNIST))
    ap.add_argument("--kilnc", default="kilnc")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    x, y = load_batches(args.data, args.steps * args.batch)
    x.tofile(os.path.join(args.work, "x.bin"))
    y.tofile(os.path.join(args.work, "y.bin"))
    kiln_losses, kiln_final, all_state, layout, dropped = run_kiln(args, args.work)
    if len(kiln_losses) != args.steps:
        sys.exit("the driver printed %d losses, expected %d" % (len(kiln_losses), args.steps))

    spec = dict(PEERS[args.peer])
    if args.sgd is not None:
        spec.update(optimizer="sgd", lr=constant(args.sgd))
    # Parameters are the state entries without optimizer slots ("name/m", ...):
    # those whose name is no other entry's name plus a slot suffix.
    names = [n for n in all_state
             if not any(n.startswith(o + "/") for o in all_state if o != n)]
    params = {n: jnp.asarray(all_state[n]) for n in names}
    grad_fn, loss_fn, init_slots, update = make_peer(spec, names)
    def free_run(params):
        slots = init_slots(params)
        losses = []
        for i in range(args.steps):
            xb = jnp.asarray(x[i * args.batch:(i + 1) * args.batch])
            yb = jnp.asarray(y[i * args.batch:(i + 1) * args.batch])
            loss, grads = grad_fn(params, xb, yb)
            losses.append(float(loss))
            params, slots = update(params, slots, grads, i)
        final = float(loss_fn(params, jnp.asarray(x[:args.batch]), jnp.asarray(y[:args.batch])))
        return losses, final

    peer_losses, peer_final = free_run(params)
    probe = None
    if args.probe:
        # How well conditioned the run is: the peer against itself from
        # initial parameters perturbed by about one ulp (relative 1e-7).
        rng = np.random.default_rng(0)
        nudged = {n: v * (1 + 1e-7 * jnp.asarray(rng.standard_normal(v.shape), v.dtype))
                  for n, v in params.items()}
        probe = free_run(nudged)

    rel = lambda a, b: abs(a - b) / max(abs(b), 1e-12)
    print("model %s  peer %s (JAX %s)  %d steps of %d  seed %d  params %s%s%s" % (
        args.model, args.peer, jax.__version__, args.steps, args.batch, args.seed,
        ",".join(names), "  (dropout removed)" if dropped else "",
        "  (optimizer: sgd %g)" % args.sgd if args.sgd is not None else ""))
    worst = 0.0
    for i, (k, p) in enumerate(zip(kiln_losses, peer_losses)):
        worst = max(worst, rel(k, p))
        if i < 3 or (i + 1) % 20 == 0:
            print("step %3d  kiln %.7f  jax %.7f  rel %.2e" % (i + 1, k, p, rel(k, p)))
    print("max rel difference over all steps %.2e" % worst)
    if probe:
        print("conditioning: the peer from initial parameters nudged by 1e-7 "
              "relative differs from itself by %.2e at step %d (max %.2e over all steps)" % (
                  rel(probe[0][-1], peer_losses[-1]), args.steps,
                  max(rel(a, b) for a, b in zip(probe[0], peer_losses))))
    print("after %d steps: eval loss of batch 1  kiln %.7f  jax %.7f  rel %.2e" % (
        args.steps, kiln_final, peer_final, rel(kiln_final, peer_final)))
    failures = []
    checks = [("loss of step %d" % args.steps, kiln_losses[-1], peer_losses[-1]),
              ("eval loss after %d steps" % args.steps, kiln_final, peer_final)]
    for what, k, p in checks:
        if not rel(k, p) <= args.rtol:
            msg = "%s: kiln %.7f vs jax %.7f (rel %.2e > %g)" % (what, k, p, rel(k, p), args.rtol)
            if args.free_run == "assert":
                failures.append(msg)
            else:
                print("free run differs (reported, not asserted): " + msg)

    # Single steps from Kiln's own state: the peer applies one update to the
    # parameters and optimizer slots Kiln had before step k, on batch k, and
    # the result must be Kiln's state after step k. Unlike the free run this
    # does not depend on how rounding differences grow along the trajectory.
    slot_names = {n: sorted(o[len(n) + 1:] for o in all_state if o.startswith(n + "/"))
                  for n in names}
    worst_step = 0.0
    for k in args.check_steps:
        if k + 1 > args.steps:
            continue
        before = read_state(os.path.join(args.work, "state-%d.bin" % k), layout)
        after = read_state(os.path.join(args.work, "state-%d.bin" % (k + 1)), layout)
        p = {n: jnp.asarray(before[n]) for n in names}
        if spec["optimizer"] == "adam":
            assert all(slot_names[n] == ["m", "v"] for n in names), slot_names
            sl = {n: (jnp.asarray(before[n + "/m"]), jnp.asarray(before[n + "/v"]))
                  for n in names}
        else:
            sl = init_slots(p)
        xb = jnp.asarray(x[k * args.batch:(k + 1) * args.batch])
        yb = jnp.asarray(y[k * args.batch:(k + 1) * args.batch])
        loss, grads = grad_fn(p, xb, yb)
        new_p, new_sl = update(p, sl, grads, k)
        pairs = [(n, new_p[n]) for n in names]
        if spec["optimizer"] == "adam":
            pairs += [(n + "/m", new_sl[n][0]) for n in names]
            pairs += [(n + "/v", new_sl[n][1]) for n in names]
        report = []
        for name, peer_value in pairs:
            change = float(np.max(np.abs(after[name] - before[name])))
            diff = float(np.max(np.abs(np.asarray(peer_value) - after[name])))
            r = diff / max(change, 1e-30)
            worst_step = max(worst_step, r)
            report.append((r, name))
            if not r <= args.step_rtol:
                failures.append("step %d: %s differs by %.3g, %.2e of its change %.3g"
                                % (k + 1, name, diff, r, change))
        loss_rel = rel(kiln_losses[k], float(loss))
        if not loss_rel <= 1e-5:
            failures.append("step %d: loss kiln %.7f vs jax %.7f from the same state"
                            % (k + 1, kiln_losses[k], float(loss)))
        r, name = max(report)
        print("single step %3d from kiln's state: loss rel %.1e, worst entry %s: "
              "|diff| %.1e of its change" % (k + 1, loss_rel, name, r))
    if failures:
        for f in failures:
            print("FAIL: " + f)
        sys.exit(1)
    print("PASS: %slosses agree within %g relative; single updates within %.1e "
          "(<= %g) of Kiln's change" % (
              "free-run " if args.free_run == "assert" else "single-step ",
              args.rtol if args.free_run == "assert" else 1e-5, worst_step, args.step_rtol))

if __name__ == "__main__":
    main()
