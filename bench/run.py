#!/usr/bin/env python3
"""Issue 6's benchmark: Kiln vs PyTorch (eager) and JAX (jit) training
throughput, and Kiln's generated matmul vs library SGEMM, on this machine in
one run. Use bench/run.sh, which sets up the peers' venv first; this script
expects to run under that venv's python.

    bench/run.sh [--quick] [--threads 1,2] [--batches 64,256]
                 [--models mlp_adam,lenet,seed_conv] [--matmul 256,512,1024,2048]
                 [--frameworks torch,jax] [--torch-compile] [--no-matmul]
                 [--warmup S] [--rep S] [--reps N] [--kilnc PATH]
                 [--json bench/results.json] [--md bench/results.md]

Kiln's side: kilnc (build/bin/kilnc, or --kilnc / $KILNC) compiles each model
at bench time; bench/kiln_driver.c links the object and times train_step (or
predict, for the matmul models generated from bench/models/matmul.kiln.in).
Thread counts: 1-thread runs are pinned to CPU 0 with taskset for every
framework; Kiln uses a thread knob when there is one (a `--threads` option of
kilnc, or OpenMP in the object, driven by OMP_NUM_THREADS); otherwise its
generated code is single-threaded and its 1-thread number is reported in the
2-thread rows too, marked as such.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

from steal import STEAL_LIMIT, StealMeter, least_stolen

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLES = os.path.join(ROOT, "samples", "fashion_mnist")

# name -> (.kiln file, images per step = batch, nominal train FLOP per image).
# Nominal FLOP: 2*MACs of each layer's forward pass, times 3 (forward, weight
# gradient, input gradient), times 2 for the first layer (no input gradient);
# convolutions count every tap, padding included.
def _train_flops(layers):
    return sum((2 if i == 0 else 3) * f for i, f in enumerate(layers))


MODELS = {
    "mlp_adam": dict(
        file=os.path.join(HERE, "models", "mlp_adam.kiln"),
        desc="MLP 784-256-128-10, Adam 1e-3",
        flops=_train_flops([2 * 784 * 256, 2 * 256 * 128, 2 * 128 * 10])),
    "lenet": dict(
        file=os.path.join(SAMPLES, "lenet.kiln"),
        desc="LeNet conv5x5x32-pool-conv5x5x64-pool-1024-10, Adam 1e-3",
        flops=_train_flops([2 * 28 * 28 * 32 * 25, 2 * 14 * 14 * 64 * 25 * 32,
                            2 * 3136 * 1024, 2 * 1024 * 10])),
    "seed_conv": dict(
        file=os.path.join(SAMPLES, "seed_conv.kiln"),
        desc="conv 28x28x1x10 SAME + global mean, SGD 1e-2",
        flops=_train_flops([2 * 28 * 28 * 10 * 28 * 28])),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def busy_processes():
    """Other compiler/build processes (they share the 2 cores)."""
    names = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if re.match(r"^(ninja|make|cc1plus|cc1|clang.*|ld.*|lld|kilnc|kiln-opt|lit)$", comm):
            names.append(comm)
    return sorted(names)


def machine_info():
    info = dict(platform=platform.platform(), python=platform.python_version())
    try:
        out = sh(["lscpu"])
        keep = ["Architecture", "Model name", "CPU(s)", "Thread(s) per core",
                "Core(s) per socket", "Socket(s)", "CPU max MHz", "L1d cache",
                "L2 cache", "L3 cache", "Hypervisor vendor"]
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in keep:
                info[k.strip()] = v.strip()
            if k.strip() == "Flags":
                flags = v.split()
                info["vector ISA"] = " ".join(
                    f for f in ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw",
                                "avx512vl", "avx512_bf16", "amx_tile"] if f in flags)
    except Exception as e:  # noqa: BLE001
        info["lscpu"] = "unavailable (%s)" % e
    try:
        with open("/proc/meminfo") as f:
            info["memory"] = f.readline().split(":")[1].strip()
    except OSError:
        pass
    return info


def git_rev(where=ROOT):
    """Revision of the checkout holding `where` (+dirty with uncommitted changes)."""
    try:
        rev = sh(["git", "-C", where, "rev-parse", "--short", "HEAD"]).strip()
        dirty = sh(["git", "-C", where, "status", "--porcelain", "--untracked-files=no",
                    "--", "compiler", "dialects", "runtime", "tools"]).strip()
        return rev + ("+dirty" if dirty else "")
    except Exception:  # noqa: BLE001
        return "unknown"


# ----------------------------------------------------------------------------
# Kiln
# ----------------------------------------------------------------------------

class Kiln:
    def __init__(self, kilnc, work, cc):
        self.kilnc, self.work, self.cc = kilnc, work, cc
        os.makedirs(work, exist_ok=True)
        help_text = subprocess.run([kilnc, "--help"], text=True, capture_output=True).stdout
        self.threads_option = "--threads" in help_text
        self.compile_seconds = {}

    def build(self, name, kiln_file, threads):
        """Compile kiln_file and link the driver; returns (exe, env, threads used)."""
        tag = name + ("_t%d" % threads if self.threads_option else "")
        obj = os.path.join(self.work, tag + ".o")
        hdr = os.path.join(self.work, tag + ".h")
        exe = os.path.join(self.work, tag + "_driver")
        cmd = [self.kilnc, kiln_file, "-o", obj, "--header", hdr]
        if self.threads_option:
            cmd.append("--threads=%d" % threads)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, text=True, capture_output=True)
        self.compile_seconds[tag] = round(time.perf_counter() - t0, 3)
        if r.returncode != 0:
            raise RuntimeError("kilnc failed on %s:\n%s" % (kiln_file, r.stderr[-3000:]))
        undefined = sh(["nm", "-u", obj])
        openmp = bool(re.search(r"\b(__kmpc_\w+|GOMP_\w+|omp_\w+)\b", undefined))
        # kilnc --threads objects call the LLVM OpenMP runtime (__kmpc_*),
        # which gcc's -fopenmp (libgomp) does not provide.
        llvm_openmp = "__kmpc_" in undefined
        pthreads = bool(re.search(r"\bpthread_create\b", undefined))
        # The driver allocates like `kiln train`: libkilnrt's kiln_alloc.
        runtime_lib = os.path.join(os.path.dirname(os.path.dirname(self.kilnc)), "lib")
        link = [self.cc, "-O2", "-DKILN_MODEL=%s" % name, "-include", hdr,
                "-I", os.path.join(HERE, "..", "runtime", "include"),
                os.path.join(HERE, "kiln_driver.c"), obj, "-o", exe,
                "-L" + runtime_lib, "-lkilnrt", "-Wl,-rpath," + runtime_lib, "-lm"]
        if llvm_openmp:
            libomp = os.environ.get("KILN_OPENMP_LIBRARY", "/usr/lib/llvm-22/lib/libomp.so")
            link += [libomp, "-Wl,-rpath," + os.path.dirname(libomp)]
        elif openmp:
            link.insert(1, "-fopenmp")
        if pthreads:
            link.append("-lpthread")
        r = subprocess.run(link, text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("linking the driver failed:\n%s" % r.stderr[-3000:])
        env = dict(os.environ)
        used = 1
        if self.threads_option or openmp:
            env["OMP_NUM_THREADS"] = str(threads)
            used = threads
        env["KILN_NUM_THREADS"] = str(threads)
        return exe, env, used, dict(openmp=openmp, pthreads=pthreads,
                                    threads_option=self.threads_option)

    def run(self, exe, env, argv, threads):
        cmd = [exe] + [str(a) for a in argv]
        if threads == 1:
            cmd = ["taskset", "-c", "0"] + cmd
        meter = StealMeter([0] if threads == 1 else os.sched_getaffinity(0)).start()
        out = subprocess.run(cmd, env=env, text=True, capture_output=True)
        stolen = meter.stop()
        if out.returncode != 0:
            raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), out.stderr[-3000:]))
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["steal"] = stolen
        return result


# ----------------------------------------------------------------------------
# Peers
# ----------------------------------------------------------------------------

def peer_env(framework, threads, wait_policy=None):
    env = dict(os.environ)
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[k] = str(threads)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["JAX_PLATFORMS"] = "cpu"
    flags = env.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    env["XLA_FLAGS"] = flags.strip()
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run_peer(framework, threads, args, models, batches, matmul):
    cmd = [sys.executable, os.path.join(HERE, "peers.py"), "--framework", framework,
           "--threads", str(threads), "--models", ",".join(models),
           "--batches", ",".join(map(str, batches)),
           "--matmul", ",".join(map(str, matmul)),
           "--warmup", str(args.warmup), "--rep", str(args.rep), "--reps", str(args.reps)]
    if threads == 1:
        cmd = ["taskset", "-c", "0"] + cmd
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=peer_env(framework, threads, args.wait_policy), text=True, capture_output=True,
                       timeout=args.peer_timeout)
    rows = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
    if r.returncode != 0:
        log("  %s (threads %d) failed (exit %d): %s" % (framework, threads, r.returncode,
                                                      r.stderr.strip()[-1500:]))
    log("  %s, %d thread(s): %d results in %.0f s" % (framework, threads, len(rows),
                                                      time.perf_counter() - t0))
    return rows, (None if r.returncode == 0 else r.stderr.strip()[-1500:])


def peer_train_result(r):
    sps = r["median"]
    return dict(steps_per_s=sps, images_per_s=sps * r["batch"], rates=r["rates"],
                calls_per_rep=r["calls_per_rep"], first_call_s=r["first_call_s"],
                steal=r.get("steal"))


def peer_matmul_result(r):
    return dict(gflops=r["gflops"], rates=r["rates"], steal=r.get("steal"))


def remeasure_stolen_peer_rows(args, train, mm):
    """Measures again, alone, each peer result with more than STEAL_LIMIT of
    its CPUs' time stolen (as least_stolen does for Kiln's)."""
    def again(f, t, models, batches, sizes):
        rows, _ = run_peer(f, t, args, models, batches, sizes)
        return rows[0] if rows else {"steal": 1.0}

    def remeasure(row, what, measure, key, result):
        for f in [k for k in row if isinstance(row[k], dict) and k != "kiln"]:
            if (row[f].get("steal") or 0) > STEAL_LIMIT:
                log("  %s %s: %.0f%% stolen, measuring again" % (f, what, 100 * row[f]["steal"]))
                r = least_stolen(lambda: measure(f))
                if key in r and (r.get("steal") or 0) < row[f]["steal"]:
                    row[f] = result(r)

    for (m, b, t), row in train.items():
        remeasure(row, "%s batch %d, %d thread(s)" % (m, b, t),
                  lambda f: again(f, t, [m], [b], []), "median", peer_train_result)
    for (n, t), row in mm.items():
        remeasure(row, "matmul %d, %d thread(s)" % (n, t),
                  lambda f: again("torch" if f.startswith("torch") else f, t, [], [], [n]),
                  "gflops", peer_matmul_result)


def most_stolen(row):
    """The largest stolen share among a table row's measurements, in %."""
    shares = [v.get("steal") for v in row.values() if isinstance(v, dict)]
    shares = [x for x in shares if x is not None]
    return "%.1f" % (100 * max(shares)) if shares else "-"


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------

def fmt(v, digits=3):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f" % v
    return ("%." + str(digits) + "g") % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def markdown(res):
    L = []
    m = res["machine"]
    L.append("# Kiln benchmark (issue 6)")
    L.append("")
    L.append("- command: `%s`" % res["command"])
    L.append("- date: %s; kilnc `%s`, built from %s" % (res["date"], res["kilnc"],
                                                         res["kiln_revision"]))
    L.append("- machine: %s, %s CPU(s) (%s thread(s)/core), %s; L2 %s, L3 %s; memory %s; "
             "hypervisor %s; %s" % (
                 m.get("Model name", "?"), m.get("CPU(s)", "?"),
                 m.get("Thread(s) per core", "?"), m.get("vector ISA", "?"),
                 m.get("L2 cache", "?"), m.get("L3 cache", "?"), m.get("memory", "?"),
                 m.get("Hypervisor vendor", "none"), m.get("platform", "?")))
    L.append("- peers: %s" % ", ".join("%s %s" % (k, v) for k, v in res["peer_versions"].items()))
    L.append("- load average (1 min) at start %.2f, end %.2f; other build processes seen: %s" % (
        res["load_start"][0], res["load_end"][0],
        ", ".join("%s x%d" % (n, res["busy_start"].count(n))
                  for n in sorted(set(res["busy_start"]))) or "none"))
    ncpu = os.cpu_count() or 1
    if res["load_start"][0] > 0.5 * ncpu or res["busy_start"]:
        L.append("- **warning**: the machine was busy (load average %.1f on %d CPUs, other "
                 "builds running): throughput is roughly halved and run-to-run differences "
                 "of 2x happen; the 2-thread rows measure contention more than scaling. "
                 "Rerun on an idle machine for numbers to quote." % (res["load_start"][0], ncpu))
    L.append("- Kiln threads: %s" % res["kiln_threading"])
    L.append("- peers' OMP_WAIT_POLICY: %s" % res["omp_wait_policy"])
    L.append("- protocol: one random batch reused every step; warm-up %.1f s excluded "
             "(JAX's compile excluded too); %d repetitions of ~%.1f s; medians. 1-thread runs "
             "pinned to CPU 0 (taskset). steal %%: the largest share of a row's CPU time "
             "the hypervisor took while one of its measurements ran; any measurement above "
             "%.0f%% was repeated (up to twice) and the least stolen kept." % (
                 res["args"]["warmup"], res["args"]["reps"], res["args"]["rep"],
                 100 * STEAL_LIMIT))
    L.append("")
    if res["train"]:
        L.append("## Training throughput (steps/s, images/s; ratios are Kiln/peer images/s)")
        L.append("")
        frameworks = res["frameworks"]
        head = ["model", "batch", "threads", "Kiln steps/s"]
        head += ["%s steps/s" % f for f in frameworks]
        head += ["Kiln img/s"] + ["%s img/s" % f for f in frameworks]
        head += ["Kiln GFLOP/s"] + ["Kiln/%s" % f for f in frameworks] + ["steal %"]
        L.append("| " + " | ".join(head) + " |")
        L.append("|" + "---|" * len(head))
        for row in res["train"]:
            k = row.get("kiln")
            kv = k["steps_per_s"] if k else None
            kthreads = ""
            if k and k["threads_used"] != row["threads"]:
                kthreads = " (%d thr)" % k["threads_used"]
            cells = [row["model"], str(row["batch"]), str(row["threads"]),
                     fmt(kv) + kthreads]
            cells += [fmt(row[f]["steps_per_s"]) if row.get(f) else "-" for f in frameworks]
            cells += [fmt(k["images_per_s"]) if k else "-"]
            cells += [fmt(row[f]["images_per_s"]) if row.get(f) else "-" for f in frameworks]
            cells += [fmt(k["gflops"]) if k else "-"]
            cells += ["%.2fx" % r if r is not None else "-" for r in
                      (ratio(kv, row[f]["steps_per_s"] if row.get(f) else None)
                       for f in frameworks)]
            cells += [most_stolen(row)]
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
        L.append("Kiln GFLOP/s is nominal: forward MACs x2 x3 (x2 for the first layer), "
                 "convolution padding taps included.")
        L.append("")
    if res["matmul"]:
        L.append("## Matmul (square n x n x n, GFLOP/s; Kiln = generated predict() of a "
                 "one-matmul model)")
        L.append("")
        libs = res["matmul_libs"]
        head = ["n", "threads", "Kiln"] + libs + ["best library", "Kiln/best", "steal %"]
        L.append("| " + " | ".join(head) + " |")
        L.append("|" + "---|" * len(head))
        for row in res["matmul"]:
            k = row.get("kiln")
            kthreads = ""
            if k and k["threads_used"] != row["threads"]:
                kthreads = " (%d thr)" % k["threads_used"]
            best = max((l for l in libs if row.get(l)), key=lambda l: row[l]["gflops"],
                       default=None)
            cells = [str(row["n"]), str(row["threads"]),
                     (fmt(k["gflops"]) + kthreads) if k else "-"]
            cells += [fmt(row[l]["gflops"]) if row.get(l) else "-" for l in libs]
            cells += [best or "-"]
            r = ratio(k["gflops"] if k else None, row[best]["gflops"] if best else None)
            cells += ["%.0f%%" % (100 * r) if r is not None else "-"]
            cells += [most_stolen(row)]
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
    if res["kiln_compile_seconds"]:
        L.append("kilnc compile time (s): " + ", ".join(
            "%s %.2f" % kv for kv in res["kiln_compile_seconds"].items()))
        L.append("")
    if res["errors"]:
        L.append("## Errors")
        L.append("")
        for e in res["errors"]:
            L.append("- " + e.replace("\n", " ")[:600])
        L.append("")
    return "\n".join(L)


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnc", default=os.environ.get("KILNC",
                                                       os.path.join(ROOT, "build", "bin", "kilnc")))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--models", default="mlp_adam,lenet,seed_conv")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--frameworks", default="torch,jax")
    ap.add_argument("--torch-compile", action="store_true",
                    help="also time torch.compile'd train steps")
    ap.add_argument("--matmul", default="256,512,1024,2048")
    ap.add_argument("--no-matmul", action="store_true")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--rep", type=float, default=0.5)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true",
                    help="batch 64 only, 2 threads only, 3 short repetitions")
    ap.add_argument("--peer-timeout", type=float, default=900)
    ap.add_argument("--omp-wait-policy", default="auto",
                    choices=["auto", "active", "passive", "unset"],
                    help="OMP_WAIT_POLICY of the peers. auto: PASSIVE when other build "
                         "processes run or the load average is above 1 at the start (spinning "
                         "OpenMP threads collapse under oversubscription: PyTorch's 2-thread "
                         "MLP step is 50x slower), unset otherwise")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--md", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    args = ap.parse_args()
    if args.quick:
        args.batches, args.threads, args.reps, args.rep, args.warmup = "64", "2", 3, 0.3, 0.3
        args.matmul = "512,1024"

    models = [m for m in args.models.split(",") if m]
    batches = [int(b) for b in args.batches.split(",") if b]
    threads_list = [int(t) for t in args.threads.split(",") if t]
    frameworks = [f for f in args.frameworks.split(",") if f]
    if args.torch_compile:
        frameworks.append("torch_compile")
    sizes = [] if args.no_matmul else [int(n) for n in args.matmul.split(",") if n]
    if args.no_train:
        models = []
    for m in models:
        if m not in MODELS:
            sys.exit("unknown model %s (known: %s)" % (m, ", ".join(MODELS)))
    if not os.access(args.kilnc, os.X_OK):
        sys.exit("kilnc not found at %s: build it (ninja -C build kilnc) or pass --kilnc"
                 % args.kilnc)
    if shutil.which("taskset") is None:
        sys.exit("taskset (util-linux) is needed to pin the 1-thread runs")

    started = time.perf_counter()
    res = dict(command="bash bench/run.sh " + " ".join(sys.argv[1:]),
               date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               kiln_revision=git_rev(os.path.dirname(os.path.realpath(args.kilnc))),
               kilnc=args.kilnc,
               machine=machine_info(), load_start=loadavg(), busy_start=busy_processes(),
               args=dict(warmup=args.warmup, rep=args.rep, reps=args.reps),
               frameworks=[f for f in frameworks], train=[], matmul=[],
               matmul_libs=["torch.mm", "numpy"], errors=[], peer_versions={})
    if res["busy_start"]:
        log("note: other build processes are running (%s): numbers will be noisy"
            % ", ".join(sorted(set(res["busy_start"]))))
    busy = bool(res["busy_start"]) or res["load_start"][0] > 1.0
    args.wait_policy = {"auto": "PASSIVE" if busy else None, "active": "ACTIVE",
                        "passive": "PASSIVE", "unset": None}[args.omp_wait_policy]
    res["omp_wait_policy"] = args.wait_policy or "unset"

    kiln = Kiln(args.kilnc, args.work, args.cc)
    kiln_threading = set()
    train = {}   # (model, batch, threads) -> row
    for m in models:
        for b in batches:
            for t in threads_list:
                train[(m, b, t)] = dict(model=m, batch=b, threads=t)
    mm = {}
    for n in sizes:
        for t in threads_list:
            mm[(n, t)] = dict(n=n, threads=t)

    # --- Kiln ---------------------------------------------------------------
    log("Kiln (%s)" % args.kilnc)
    for m in models:
        cache = {}
        for t in threads_list:
            try:
                exe, env, used, how = kiln.build(m, MODELS[m]["file"], t)
                if used == 1 and 1 in cache:
                    r = cache[1]
                else:
                    r = {}
                    for b in batches:
                        out = least_stolen(lambda: kiln.run(
                            exe, env, ["train", 784, 10, b, args.warmup, args.rep, args.reps, 1],
                            used))
                        r[b] = out
                        log("  %s batch %d, %d thread(s): %.3g steps/s" % (m, b, used,
                                                                           out["median"]))
                    cache[used] = r
                kiln_threading.add("openmp" if how["openmp"] else "single")
                for b in batches:
                    out = r[b]
                    sps = out["median"]
                    train[(m, b, t)]["kiln"] = dict(
                        steps_per_s=sps, images_per_s=sps * b, threads_used=used,
                        gflops=sps * b * MODELS[m]["flops"] / 1e9, rates=out["rates"],
                        calls_per_rep=out["calls_per_rep"], how=how, steal=out["steal"])
            except Exception as e:  # noqa: BLE001
                res["errors"].append("kiln %s: %s" % (m, e))
                log("  kiln %s failed: %s" % (m, e))
                break
    tmpl = open(os.path.join(HERE, "models", "matmul.kiln.in")).read()
    for n in sizes:
        name = "matmul_%d" % n
        path = os.path.join(args.work, name + ".kiln")
        with open(path, "w") as f:
            f.write(tmpl.replace("@NAME@", name).replace("@K@", str(n)).replace("@N@", str(n)))
        cache = {}
        for t in threads_list:
            try:
                exe, env, used, how = kiln.build(name, path, t)
                if used not in cache:
                    cache[used] = least_stolen(lambda: kiln.run(
                        exe, env, ["predict", n, n, n, args.warmup, args.rep, args.reps, 1],
                        used))
                    log("  matmul %d, %d thread(s): %.1f GFLOP/s" % (
                        n, used, cache[used]["median"] * 2 * n ** 3 / 1e9))
                out = cache[used]
                kiln_threading.add("openmp" if how["openmp"] else "single")
                mm[(n, t)]["kiln"] = dict(gflops=out["median"] * 2 * n ** 3 / 1e9,
                                          threads_used=used, rates=out["rates"],
                                          calls_per_rep=out["calls_per_rep"], how=how,
                                          steal=out["steal"])
            except Exception as e:  # noqa: BLE001
                res["errors"].append("kiln %s: %s" % (name, e))
                log("  kiln %s failed: %s" % (name, e))
                break
    if kiln.threads_option:
        res["kiln_threading"] = "kilnc --threads=N (one object per thread count)"
    elif kiln_threading == {"openmp"}:
        res["kiln_threading"] = "OpenMP in the objects, OMP_NUM_THREADS=N"
    else:
        res["kiln_threading"] = ("%s: single-threaded generated code (no kilnc --threads "
                                 "option, no OpenMP or pthreads in the objects); its 1-thread "
                                 "result is repeated in the 2-thread rows, marked (1 thr)"
                                 % ("mixed" if len(kiln_threading) > 1 else "1"))
    res["kiln_compile_seconds"] = kiln.compile_seconds

    # --- Peers ---------------------------------------------------------------
    for t in threads_list:
        for f in frameworks:
            log("%s, %d thread(s)" % (f, t))
            rows, err = run_peer(f, t, args, models, batches,
                                 sizes if f == "torch" else [])
            if err:
                res["errors"].append("%s threads=%d: %s" % (f, t, err))
            for r in rows:
                if "info" in r and r["kind"] == "train":
                    res["peer_versions"][r["framework"]] = r["info"].get("version", "?")
                if r["kind"] == "train":
                    sps = r["median"]
                    train[(r["model"], r["batch"], t)][f] = peer_train_result(r)
                    log("  %s batch %d: %.3g steps/s" % (r["model"], r["batch"], sps))
                else:
                    res["peer_versions"].setdefault(f, r["info"].get("version", "?"))
                    mm[(r["n"], t)][r["framework"]] = peer_matmul_result(r)
                    log("  %s %d: %.1f GFLOP/s" % (r["framework"], r["n"], r["gflops"]))
        if sizes:
            log("numpy, %d thread(s)" % t)
            rows, err = run_peer("numpy", t, args, [], [], sizes)
            if err:
                res["errors"].append("numpy threads=%d: %s" % (t, err))
            for r in rows:
                res["peer_versions"]["numpy"] = "%s (%s)" % (r["info"].get("version"),
                                                             r["info"].get("blas", "?"))
                mm[(r["n"], t)]["numpy"] = peer_matmul_result(r)
                log("  numpy %d: %.1f GFLOP/s" % (r["n"], r["gflops"]))
    remeasure_stolen_peer_rows(args, train, mm)

    res["train"] = [train[k] for k in sorted(train, key=lambda k: (
        list(MODELS).index(k[0]), k[1], k[2]))]
    res["matmul"] = [mm[k] for k in sorted(mm)]
    res["load_end"] = loadavg()
    res["busy_end"] = busy_processes()
    res["wall_seconds"] = round(time.perf_counter() - started, 1)

    md = markdown(res) + "Total wall time %.0f s.\n" % res["wall_seconds"]
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1)
    with open(args.md, "w") as f:
        f.write(md)
    print(md)
    log("wrote %s and %s" % (args.json, args.md))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
