#!/bin/bash
# test/gpu/run.sh - the CUDA target on a real GPU, in one command.
#
#   bash test/gpu/run.sh [BUILD_DIR]      (default: build-gpu, then build)
#
# Needs: an NVIDIA GPU with its driver (libcuda.so.1), the CUDA toolkit in
# $CUDA_HOME or /usr/local/cuda (ptxas, fatbinary, libdevice, cuBLAS), and
# the same Debian packages as .ci/setup (LLVM/MLIR 22, clang-22, ninja).
# Builds what is missing, then prints one table:
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
# Runs in about 2-4 minutes; exit status 0 when every check passes.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${KILN_BUILD:-$ROOT/build-gpu}}
CUDA=${CUDA_HOME:-/usr/local/cuda}
MNIST=${KILN_MNIST:-/usr/share/datasets/fashion-mnist}
LLVM_BIN=/usr/lib/llvm-22/bin
CXX=${CXX:-clang++-22}
command -v "$CXX" >/dev/null || CXX=c++
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kiln-gpu.XXXXXX")
export PATH="$BUILD/bin:$LLVM_BIN:$PATH"
export CUDA_HOME=$CUDA
status=0
fail() { echo "FAIL: $*"; status=1; }
section() { echo; echo "== $*"; }

section "device"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
  echo "nvidia-smi not found"
fi

section "build ($BUILD)"
if [ ! -x "$BUILD/bin/kilnc" ] || [ ! -x "$BUILD/bin/kiln-opt" ] ||
   [ ! -e "$BUILD/lib/libkilnrt.so" ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
      -DMLIR_LINK_MLIR_DYLIB=ON >"$WORK/cmake.log" 2>&1 ||
      { tail -20 "$WORK/cmake.log"; exit 1; }
  fi
  ninja -C "$BUILD" kilnc kiln-opt kilnrt >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log"; exit 1; }
  echo "built kilnc, kiln-opt, libkilnrt"
else
  echo "using the existing build"
fi
LIB=$BUILD/lib

section "GPU lowering lit tests"
if [ -f "$BUILD/test/lit.site.cfg.py" ]; then
  timeout 120 "$LLVM_BIN/lit" -q "$BUILD/test" --filter gpu-lowering ||
    fail "lit gpu-lowering"
  echo "lit gpu-lowering: done"
else
  echo "skipped (no $BUILD/test/lit.site.cfg.py)"
fi

section "harness"
RPATH="-Wl,-rpath,$LIB"
$CXX -std=c++17 -O2 -I"$ROOT/runtime/include" "$ROOT/test/gpu/GpuCheck.cpp" \
  -o "$WORK/kiln-gpu-check" -L"$LIB" -lkilnrt -ldl $RPATH || exit 1
echo "kiln-gpu-check built"

section "models: CUDA vs CPU (tolerance: relative 1e-3 on loss and parameters after 5 steps)"
ARCH=${KILN_GPU_ARCH:-}
if [ -z "$ARCH" ] && command -v nvidia-smi >/dev/null; then
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
  [ -n "$cc" ] && ARCH=sm_$cc
fi
ARCH=${ARCH:-sm_90}
echo "kilnc --target=cuda --gpu-arch=$ARCH"
while IFS= read -r model; do
  name=$(basename "$model" .kiln)
  d=$WORK/$name
  mkdir -p "$d"
  if ! timeout 120 kilnc "$model" -o "$d/cpu.o" --header "$d/cpu.h" ||
     ! timeout 120 kilnc "$model" --target=cuda --gpu-arch=$ARCH -o "$d/cuda.o" \
       --header "$d/cuda.h"; then
    fail "$name: compilation"; continue
  fi
  cc -shared -o "$d/libcpu.so" "$d/cpu.o" -L"$LIB" -lkilnrt $RPATH -lm &&
    cc -shared -o "$d/libcuda.so" "$d/cuda.o" -L"$LIB" -lkilnrt $RPATH -lm ||
    { fail "$name: link"; continue; }
  # Inputs, labels and outputs in header order: the first _SIZE is the input
  # width, the last the number of classes.
  sizes=($(grep -E '^#define [A-Z0-9_]+_SIZE [0-9]+$' "$d/cpu.h" |
           grep -v '_STATE_SIZE ' | awk '{print $3}'))
  xsize=${sizes[0]}
  classes=${sizes[${#sizes[@]}-1]}
  extra=()
  if [ "$xsize" = 784 ] && [ -e "$MNIST/train-images-idx3-ubyte.gz" ]; then
    extra=(--mnist "$MNIST")
  fi
  timeout 240 "$WORK/kiln-gpu-check" "$name" "$d/libcpu.so" "$d/libcuda.so" \
    "$xsize" "$classes" "${extra[@]}" || fail "$name: GPU vs CPU"
done < <(find "$ROOT/samples" -name '*.kiln' | sort)
[ -e "$MNIST/train-images-idx3-ubyte.gz" ] ||
  echo "(Fashion-MNIST not found in $MNIST: set KILN_MNIST; accuracy rows skipped)"

section "generated matmul vs cuBLAS SGEMM (FP32)"
for n in 1024 4096; do
  sed "s/NxN/${n}x${n}/g" "$ROOT/test/gpu/matmul-bench.mlir.in" >"$WORK/mm$n.mlir"
  if timeout 120 kiln-opt "$WORK/mm$n.mlir" \
       --kiln-cuda-library-pipeline="chip=$ARCH format=fatbin toolkit=$CUDA" \
       -o "$WORK/mm$n.llvm.mlir" &&
     "$LLVM_BIN/mlir-translate" --mlir-to-llvmir "$WORK/mm$n.llvm.mlir" -o "$WORK/mm$n.ll" &&
     "$LLVM_BIN/llc" -O3 -relocation-model=pic -filetype=obj "$WORK/mm$n.ll" -o "$WORK/mm$n.o" &&
     $CXX -std=c++17 -O2 -I"$ROOT/runtime/include" -I"$CUDA/include" \
       "$ROOT/test/gpu/MatmulBench.cpp" "$WORK/mm$n.o" -o "$WORK/mm$n" \
       -L"$LIB" -lkilnrt -L"$CUDA/lib64" -lcublas -lcudart $RPATH \
       -Wl,-rpath,"$CUDA/lib64"; then
    timeout 120 "$WORK/mm$n" "$n" || fail "matmul $n"
  else
    fail "matmul $n: build"
  fi
done

echo
if [ $status = 0 ]; then echo "ALL GPU CHECKS PASSED"; else echo "SOME GPU CHECKS FAILED"; fi
echo "(work files in $WORK)"
exit $status
