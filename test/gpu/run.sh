#!/bin/bash
# test/gpu/run.sh - the CUDA target on a real GPU, in one command, on a GPU
# machine that ALSO has LLVM/MLIR 22 (the Debian packages of .ci/setup).
#
#   bash test/gpu/run.sh [BUILD_DIR]      (default: $KILN_BUILD or build-gpu)
#
# = bash test/gpu/prepare.sh BUILD_DIR  (build, then the bundle gpu-bundle/)
#   + bash gpu-bundle/run-on-device.sh  (the checks, from the bundle).
#
# A GPU machine WITHOUT LLVM (e.g. the device tool's nvidia-h100-x1: CUDA,
# PyTorch, no LLVM, no network): run prepare.sh here instead, then the bundle
# there. With the device tool, from the repo root:
#     carry:   ["gpu-bundle"]           (git-ignored, so it must be carried)
#     command: "bash gpu-bundle/run-on-device.sh"
#
# Needs: an NVIDIA GPU with its driver (libcuda.so.1), the CUDA toolkit in
# $CUDA_HOME or /usr/local/cuda (ptxas, fatbinary, libdevice, cuBLAS),
# LLVM/MLIR 22, clang-22, ninja. Prints one table:
#   1. the GPU lowering lit tests (ptxas, linking) as a sanity check;
#   2. for every sample model (samples/**/*.kiln): the CUDA init and
#      train_step against the CPU ones (same seed; same initial state and
#      batches for 5 steps): loss and parameters within relative 1e-3;
#      train_step images/s at batch 64 and 256 on GPU and CPU;
#   3. models with 28x28 inputs: one epoch of Fashion-MNIST (same batch
#      order) on GPU and on CPU, and both test accuracies (GPU must be within
#      1 point of the CPU);
#   4. the generated matmul's TFLOP/s next to cuBLAS SGEMM (FP32, no TF32),
#      with a check that both compute the same product.
# Runs in about 2-4 minutes after the build; exit status 0 when every check
# passes. Env: KILN_GPU_ARCH (default: the GPU's, from nvidia-smi),
# KILN_MNIST, CUDA_HOME, KILN_GPU_BUNDLE (default <repo>/gpu-bundle).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${KILN_BUILD:-$ROOT/build-gpu}}
BUNDLE=${KILN_GPU_BUNDLE:-$ROOT/gpu-bundle}
if [ -z "${KILN_GPU_ARCH:-}" ] && command -v nvidia-smi >/dev/null; then
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
  [ -n "$cc" ] && export KILN_GPU_ARCH=sm_$cc
fi
export KILN_MNIST=${KILN_MNIST:-/usr/share/datasets/fashion-mnist}

echo "== prepare (build, bundle $BUNDLE)"
bash "$ROOT/test/gpu/prepare.sh" "$BUILD" "$BUNDLE" || exit 1
# The bundle carries its own copy of the data; run it from there.
unset KILN_MNIST
exec bash "$BUNDLE/run-on-device.sh"
