#!/bin/bash
# run-on-device.sh - the CUDA target's GPU checks from a bundle made by
# test/gpu/prepare.sh; needs no LLVM, compiler or network on the GPU machine.
#
# Made where LLVM/MLIR 22 is (no GPU needed), from the repo root:
#     bash test/gpu/prepare.sh            (-> gpu-bundle/, git-ignored, < 60 MiB)
# Run on the GPU machine; with the device tool, from the repo root:
#     carry:   ["gpu-bundle"]
#     command: "bash gpu-bundle/run-on-device.sh"
# or anywhere: bash <bundle>/run-on-device.sh
#
# Needs: an NVIDIA GPU of the bundle's arch (BUNDLE-INFO; sm_90 by default)
# with its driver (libcuda.so.1). For the SGEMM reference: cuBLAS 13
# (libcublas.so.13 + libcublasLt.so.13) from $CUDA_HOME/lib64,
# /usr/local/cuda/lib64 or the pip packages nvidia-cublas (nvidia/*/lib);
# without it, PyTorch (TF32 off) is the reference instead.
# Prints one table, as test/gpu/run.sh:
#   1. the GPU lowering lit tests (run by prepare.sh, result recorded);
#   2. every sample model: CUDA init and train_step vs the CPU's (5 steps,
#      relative 1e-3 on loss and parameters), images/s at batch 64 and 256;
#   3. 28x28 models on Fashion-MNIST: GPU and CPU from the same state on the
#      same first KILN_GPU_TRAIN_LIMIT (1280) examples, test accuracy on 2000
#      test images (GPU within 1 point of the CPU; the CPU side is
#      single-threaded, so only a subset); libkilnrt's training loop with
#      the state on the device (what `kiln train --device cuda` runs, batches
#      prefetched) against the CPU's on 640 examples (epoch loss within
#      relative 1e-3, accuracy within 1 point); the same loop's images/s on
#      12800 examples with batches prefetched vs copied in each step (losses
#      equal within 1e-6); then the GPU alone for the
#      recipe's epochs on all 60000, test accuracy on all 10000 after each;
#      LeNet (issue 3's bar 0.90 after its 2 epochs) instead trains its
#      2 epochs from seeds 1..5, and the bar applies to the mean test
#      accuracy (each seed's is printed, and the min); each model's runs
#      capped at KILN_GPU_SECONDS (40) seconds of training;
#   4. the generated matmul (N=1024, 4096) next to cuBLAS SGEMM (FP32).
# Lines are printed as they are measured, each section with the elapsed
# time; the whole script takes about 2 minutes on an H100 and stays within
# about 6 even when the GPU code is slow (the caps above, and a timeout per
# model).
# Exit status 0 when every check passes. Env: KILN_MNIST (data directory;
# default the bundle's data/fashion-mnist), KILN_WORK (scratch; default
# mktemp), KILN_GPU_TRAIN_LIMIT, KILN_GPU_SECONDS.
set -uo pipefail

B=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MNIST=${KILN_MNIST:-$B/data/fashion-mnist}
ARCH=$(awk '$1=="arch"{print $2}' "$B/BUNDLE-INFO" 2>/dev/null)
WORK=${KILN_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/kiln-gpu.XXXXXX")}
mkdir -p "$WORK"
status=0
fail() { echo "FAIL: $*"; status=1; }
section() { echo; echo "== $* [+${SECONDS}s]"; }
[ -x "$B/bin/kiln-gpu-check" ] && [ -e "$B/lib/libkilnrt.so" ] ||
  { echo "run-on-device.sh: $B is no complete bundle (run test/gpu/prepare.sh)"; exit 1; }
sed 's/^/  /' "$B/BUNDLE-INFO"

section "device"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap \
    --format=csv,noheader
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null |
       head -1 | tr -d ' .')
  if [ -n "$cc" ] && [ -n "$ARCH" ] && [ "sm_$cc" != "$ARCH" ]; then
    fail "the bundle was built for $ARCH, this GPU is sm_$cc (KILN_GPU_ARCH=sm_$cc bash test/gpu/prepare.sh)"
  fi
else
  echo "nvidia-smi not found"
fi

section "libraries"
# cuBLAS for the SGEMM reference: the toolkit's, or the pip wheels' (torch).
cublas_dir=
cands=()
[ -n "${CUDA_HOME:-}" ] && cands+=("$CUDA_HOME/lib64" "$CUDA_HOME/lib")
cands+=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib)
if command -v python3 >/dev/null; then
  while IFS= read -r d; do [ -n "$d" ] && cands+=("$d"); done < <(
    timeout 30 python3 - 2>/dev/null <<'PY'
import glob, os, site, sys
roots = []
try:
    import nvidia
    roots += list(nvidia.__path__)
except Exception:
    pass
try:
    import nvidia.cublas as c
    roots.append(os.path.dirname(c.__file__))
except Exception:
    pass
for s in site.getsitepackages() + [site.getusersitepackages()]:
    roots.append(os.path.join(s, "nvidia"))
seen = set()
for r in roots:
    for f in glob.glob(os.path.join(r, "**", "libcublas.so.13"), recursive=True):
        d = os.path.dirname(os.path.realpath(f))
        if d not in seen:
            seen.add(d)
            print(d)
PY
  )
fi
for d in "${cands[@]}"; do
  if [ -e "$d/libcublas.so.13" ] && [ -e "$d/libcublasLt.so.13" ]; then
    cublas_dir=$d; break
  fi
done
if [ -z "$cublas_dir" ] && command -v ldconfig >/dev/null; then
  l=$(ldconfig -p | awk '/libcublas\.so\.13 .*x86-64/{print $NF; exit}')
  [ -n "$l" ] && cublas_dir=$(dirname "$l")
fi
if [ -n "$cublas_dir" ]; then
  echo "cuBLAS: $cublas_dir"
  export LD_LIBRARY_PATH="$cublas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  echo "cuBLAS NOT FOUND (looked in ${cands[*]} and ldconfig):"
  echo "  the SGEMM reference will be PyTorch's matmul with TF32 off"
fi
missing=$(ldd "$B/bin/kiln-gpu-check" "$B"/models/*/lib*.so 2>&1 | grep 'not found')
[ -e "$MNIST/train-images-idx3-ubyte.gz" ] && echo "Fashion-MNIST: $MNIST ($(ls "$MNIST" | wc -l) files)"
[ -z "$missing" ] || { echo "$missing"; fail "bundle libraries do not load"; }
echo "libkilnrt: $B/lib ($(ls "$B/lib" | tr '\n' ' '))"

section "GPU lowering lit tests"
echo "lit gpu-lowering: $(cat "$B/lit-result.txt" 2>/dev/null || echo 'not recorded')"
grep -q '^FAILED' "$B/lit-result.txt" 2>/dev/null && fail "lit gpu-lowering"

section "models: CUDA vs CPU (tolerance: relative 1e-3 on loss and parameters after 5 steps)"
echo "kilnc --target=cuda --gpu-arch=$ARCH (compiled by prepare.sh)"
have_mnist=0
[ -e "$MNIST/train-images-idx3-ubyte.gz" ] && have_mnist=1
while read -r id name xsize classes epochs batch rel; do
  [ -n "$id" ] || continue
  if [ "$id" = - ]; then fail "$rel: kilnc failed at prepare time"; continue; fi
  d=$B/models/$id
  extra=()
  if [ "$xsize" = 784 ] && [ $have_mnist = 1 ]; then
    extra=(--mnist "$MNIST" --epochs "$epochs" --batch "$batch" --seconds "${KILN_GPU_SECONDS:-40}")
    # Issue 3's bar for the LeNet sample after its 2 epochs.
    [ "$name" = lenet ] && extra+=(--bar 0.90)
  fi
  timeout 150 "$B/bin/kiln-gpu-check" "$name" "$d/libcpu.so" "$d/libcuda.so" \
    "$xsize" "$classes" "${extra[@]}" 2>&1 | tee "$WORK/$id.log"
  rc=${PIPESTATUS[0]}
  [ $rc = 0 ] || fail "$rel: GPU vs CPU (exit $rc)"
  if grep -q 'no CUDA device available' "$WORK/$id.log"; then
    echo
    echo "NO USABLE GPU: stopping here (everything before the first GPU use worked)"
    echo "SOME GPU CHECKS FAILED"
    exit 1
  fi
done <"$B/models/list.txt"
[ $have_mnist = 1 ] ||
  echo "(Fashion-MNIST not found in $MNIST: set KILN_MNIST; accuracy rows skipped)"

section "generated matmul vs cuBLAS SGEMM (FP32)"
for n in 1024 4096; do
  if [ -n "$cublas_dir" ]; then
    timeout 60 "$B/bin/kiln-matmul-bench-$n" "$n"
    rc=$?
    [ $rc = 0 ] && continue
    if [ $rc != 127 ]; then fail "matmul $n (exit $rc)"; continue; fi
    echo "kiln-matmul-bench-$n did not load (cuBLAS in $cublas_dir): PyTorch reference"
  fi
  mkdir -p "$WORK/mm$n"
  out=$(timeout 60 "$B/bin/kiln-matmul-bench-nocublas-$n" "$n" "$WORK/mm$n")
  rc=$?
  if [ $rc != 0 ]; then
    echo "$out"; fail "matmul $n (exit $rc)"; continue
  fi
  ms=$(echo "$out" | awk '$1=="kiln-ms"{print $2}')
  timeout 60 python3 "$B/bin/matmul_ref.py" "$n" "$WORK/mm$n" "$ms" ||
    fail "matmul $n (PyTorch reference)"
  rm -f "$WORK/mm$n"/*.f32
done

echo
echo "(${SECONDS}s in all)"
if [ $status = 0 ]; then echo "ALL GPU CHECKS PASSED"; else echo "SOME GPU CHECKS FAILED"; fi
echo "(work files in $WORK)"
exit $status
