#!/bin/bash
# test/gpu/prepare.sh - build the GPU check bundle on a machine WITH LLVM/MLIR 22
# (no GPU needed), for a GPU machine WITHOUT LLVM (only a driver; the CUDA
# toolkit and PyTorch optional).
#
#   bash test/gpu/prepare.sh [BUILD_DIR [BUNDLE_DIR]]
#       BUILD_DIR   default $KILN_BUILD or <repo>/build-gpu: a configured build
#                   (cmake -G Ninja -DCMAKE_C_COMPILER=clang-22
#                   -DCMAKE_CXX_COMPILER=clang++-22 -DMLIR_LINK_MLIR_DYLIB=ON);
#                   configured here if it has no build.ninja. Only
#                   `ninja -j2 kilnc kiln-opt kilnrt` is run.
#       BUNDLE_DIR  default $KILN_GPU_BUNDLE or <repo>/gpu-bundle (git-ignored)
#   env: KILN_GPU_ARCH (default sm_90), CUDA_HOME (default /usr/local/cuda:
#        ptxas/fatbinary/libdevice, cuBLAS headers and libraries),
#        KILN_MNIST (default /usr/share/datasets/fashion-mnist), SOURCE (the
#        tree whose samples/ and test/gpu/ are used; default this repo).
#
# The bundle (< 60 MiB) holds libkilnrt.so, the kiln-gpu-check harness, per
# sample model (samples/**/*.kiln) libcpu.so and libcuda.so, the matmul
# benchmarks for N=1024 and 4096 (with cuBLAS, and a cuBLAS-free variant
# checked against PyTorch), the Fashion-MNIST .gz files and run-on-device.sh.
# Binaries find their libraries through $ORIGIN rpaths and need only glibc,
# libstdc++ (static in the executables), libz and the driver's libcuda.so.1.
#
# Then, on the GPU machine (the device tool, from the repo root):
#     carry:   ["gpu-bundle"]
#     command: "bash gpu-bundle/run-on-device.sh"
# It prints the same table as test/gpu/run.sh; exit status 0 when all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=${SOURCE:-$ROOT}
BUILD=${1:-${KILN_BUILD:-$ROOT/build-gpu}}
BUNDLE=${2:-${KILN_GPU_BUNDLE:-$ROOT/gpu-bundle}}
CUDA=${CUDA_HOME:-/usr/local/cuda}
MNIST=${KILN_MNIST:-/usr/share/datasets/fashion-mnist}
ARCH=${KILN_GPU_ARCH:-sm_90}
LLVM_BIN=/usr/lib/llvm-22/bin
CXX=${CXX:-clang++-22}
CC=${CC:-clang-22}
command -v "$CXX" >/dev/null || CXX=c++
command -v "$CC" >/dev/null || CC=cc
export PATH="$BUILD/bin:$LLVM_BIN:$PATH"
export CUDA_HOME=$CUDA
die() { echo "prepare.sh: $*" >&2; exit 1; }
step() { echo "-- $*"; }

[ -x "$CUDA/bin/ptxas" ] || die "no ptxas in $CUDA/bin (set CUDA_HOME)"
[ -e "$CUDA/include/cublas_v2.h" ] || die "no cuBLAS headers in $CUDA/include"

# -- build ------------------------------------------------------------------
step "build ($BUILD)"
if [ ! -f "$BUILD/build.ninja" ]; then
  timeout 600 cmake -G Ninja -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_LINK_MLIR_DYLIB=ON >"$BUILD.cmake.log" 2>&1 ||
    { tail -20 "$BUILD.cmake.log"; die "cmake failed (log: $BUILD.cmake.log)"; }
fi
timeout 3600 ninja -C "$BUILD" -j"${KILN_JOBS:-2}" kilnc kiln-opt kilnrt \
  >"$BUILD/prepare-build.log" 2>&1 ||
  { tail -30 "$BUILD/prepare-build.log"; die "build failed (log: $BUILD/prepare-build.log)"; }
LIBRT=$(readlink -f "$BUILD/lib/libkilnrt.so") || die "no $BUILD/lib/libkilnrt.so"

# -- bundle layout ----------------------------------------------------------
if [ -e "$BUNDLE" ]; then
  [ -e "$BUNDLE/BUNDLE-INFO" ] || [ -z "$(ls -A "$BUNDLE")" ] ||
    die "$BUNDLE exists and is no bundle: not replacing it"
  rm -rf "$BUNDLE"
fi
mkdir -p "$BUNDLE"/{bin,lib,models,data,tmp} || die "cannot create $BUNDLE"
echo "incomplete (prepare.sh did not finish)" >"$BUNDLE/BUNDLE-INFO"
TMP=$BUNDLE/tmp
cp "$LIBRT" "$BUNDLE/lib/" || die "copy libkilnrt"
( cd "$BUNDLE/lib" && soname=$(objdump -p "$(basename "$LIBRT")" |
    awk '/SONAME/{print $2}') &&
  for n in $soname libkilnrt.so; do
    [ -e "$n" ] || ln -s "$(basename "$LIBRT")" "$n"; done ) ||
  die "libkilnrt links"
# Copy any non-system library libkilnrt needs (none expected).
ldd "$LIBRT" | awk '/=> \//{print $3}' | while read -r dep; do
  case "$dep" in
    /lib/*|/lib64/*|/usr/lib/x86_64-linux-gnu/*|/usr/lib64/*) ;;
    *) echo "   carrying $dep"; cp -L "$dep" "$BUNDLE/lib/" ;;
  esac
done
# Executables: libstdc++/libgcc static; libraries from ../lib.
EXE_FLAGS=(-static-libstdc++ -static-libgcc -Wl,-rpath,'$ORIGIN/../lib'
           -Wl,--enable-new-dtags)

step "GPU lowering lit tests (here: needs LLVM's lit and ptxas)"
LIT_RESULT="skipped (no $BUILD/test/lit.site.cfg.py)"
if [ -f "$BUILD/test/lit.site.cfg.py" ] && [ -x "$LLVM_BIN/lit" ]; then
  if timeout 300 "$LLVM_BIN/lit" -q "$BUILD/test" --filter gpu-lowering \
       >"$TMP/lit.log" 2>&1; then
    LIT_RESULT="passed (at prepare time, $(hostname))"
  else
    cat "$TMP/lit.log"
    LIT_RESULT="FAILED (at prepare time; see prepare.sh output)"
  fi
fi
echo "   lit gpu-lowering: $LIT_RESULT"
echo "$LIT_RESULT" >"$BUNDLE/lit-result.txt"

step "harness"
$CXX -std=c++17 -O2 -I"$SRC/runtime/include" "$SRC/test/gpu/GpuCheck.cpp" \
  -o "$BUNDLE/bin/kiln-gpu-check" -L"$BUNDLE/lib" -lkilnrt -ldl \
  "${EXE_FLAGS[@]}" || die "harness build"

step "models (kilnc, CPU and --target=cuda --gpu-arch=$ARCH)"
: >"$BUNDLE/models/list.txt"
nmodels=0
while IFS= read -r model; do
  name=$(basename "$model" .kiln)
  rel=${model#"$SRC/samples/"}
  id=$(echo "${rel%.kiln}" | tr '/' '_')
  d=$BUNDLE/models/$id
  mkdir -p "$d"
  if ! timeout 300 kilnc "$model" -o "$TMP/$id.cpu.o" --header "$d/cpu.h" ||
     ! timeout 300 kilnc "$model" --target=cuda --gpu-arch="$ARCH" \
         -o "$TMP/$id.cuda.o" --header "$d/cuda.h"; then
    # Recorded, not fatal: run-on-device.sh reports it as a FAIL row.
    echo "   FAILED: $rel: kilnc"
    rm -rf "$d"
    echo "- $name - - - - $rel" >>"$BUNDLE/models/list.txt"
    continue
  fi
  for t in cpu cuda; do
    $CC -shared -o "$d/lib$t.so" "$TMP/$id.$t.o" -L"$BUNDLE/lib" -lkilnrt -lm \
      -Wl,-rpath,'$ORIGIN/../../lib' -Wl,--enable-new-dtags ||
      die "$rel: link lib$t.so"
  done
  # Inputs, labels and outputs in header order: the first _SIZE is the input
  # width, the last the number of classes (as run.sh always did).
  sizes=($(grep -E '^#define [A-Z0-9_]+_SIZE [0-9]+$' "$d/cpu.h" |
           grep -v '_STATE_SIZE ' | awk '{print $3}'))
  [ ${#sizes[@]} -ge 2 ] || die "$rel: no sizes in its header"
  # The recipe's epochs and batch size: the GPU's Fashion-MNIST runs use them.
  epochs=$(sed -n 's/^[[:space:]]*epochs[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$model" | head -1)
  batch=$(sed -n 's/^[[:space:]]*batch_size[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$model" | head -1)
  echo "$id $name ${sizes[0]} ${sizes[${#sizes[@]}-1]} ${epochs:-1} ${batch:-64} $rel" >>"$BUNDLE/models/list.txt"
  echo "   $rel: symbol prefix $name, x ${sizes[0]}, classes ${sizes[${#sizes[@]}-1]}, epochs ${epochs:-1}, batch ${batch:-64}"
  nmodels=$((nmodels + 1))
done < <(find "$SRC/samples" -name '*.kiln' | sort)
[ $nmodels -gt 0 ] || die "no samples/**/*.kiln"

step "matmul benchmarks (kiln-opt --kiln-cuda-library-pipeline, cuBLAS from $CUDA)"
for n in 1024 4096; do
  sed "s/NxN/${n}x${n}/g" "$SRC/test/gpu/matmul-bench.mlir.in" >"$TMP/mm$n.mlir"
  timeout 300 kiln-opt "$TMP/mm$n.mlir" \
    --kiln-cuda-library-pipeline="chip=$ARCH format=fatbin toolkit=$CUDA" \
    -o "$TMP/mm$n.llvm.mlir" &&
    "$LLVM_BIN/mlir-translate" --mlir-to-llvmir "$TMP/mm$n.llvm.mlir" -o "$TMP/mm$n.ll" &&
    "$LLVM_BIN/llc" -O3 -relocation-model=pic -filetype=obj "$TMP/mm$n.ll" \
      -o "$TMP/mm$n.o" || die "matmul $n: lowering"
  # cuBLAS dynamic (found at run time), the CUDA runtime static.
  $CXX -std=c++17 -O2 -I"$SRC/runtime/include" -I"$CUDA/include" \
    "$SRC/test/gpu/MatmulBench.cpp" "$TMP/mm$n.o" -o "$BUNDLE/bin/kiln-matmul-bench-$n" \
    -L"$BUNDLE/lib" -lkilnrt -L"$CUDA/lib64" -lcublas -lcudart_static -lrt \
    -lpthread -ldl "${EXE_FLAGS[@]}" || die "matmul $n: link (cuBLAS)"
  $CXX -std=c++17 -O2 -DKILN_NO_CUBLAS -I"$SRC/runtime/include" \
    "$SRC/test/gpu/MatmulBench.cpp" "$TMP/mm$n.o" \
    -o "$BUNDLE/bin/kiln-matmul-bench-nocublas-$n" -L"$BUNDLE/lib" -lkilnrt \
    "${EXE_FLAGS[@]}" || die "matmul $n: link (no cuBLAS)"
done
cp "$SRC/test/gpu/matmul_ref.py" "$BUNDLE/bin/" || die "copy matmul_ref.py"

step "Fashion-MNIST ($MNIST)"
mkdir -p "$BUNDLE/data/fashion-mnist"
found=0
for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
         t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -e "$MNIST/$f.gz" ]; then
    cp "$MNIST/$f.gz" "$BUNDLE/data/fashion-mnist/" && found=$((found + 1))
  fi
done
[ $found = 4 ] || echo "   WARNING: Fashion-MNIST not found in $MNIST (accuracy rows will be skipped)"

cp "$SRC/test/gpu/run-on-device.sh" "$BUNDLE/" || die "copy run-on-device.sh"
{
  echo "arch $ARCH"
  echo "commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)$(git -C "$SRC" diff --quiet HEAD 2>/dev/null || echo '+dirty')"
  echo "built $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname) with $($CXX --version | head -1)"
  echo "cuda-toolkit $("$CUDA/bin/ptxas" --version | tail -1)"
} >"$BUNDLE/BUNDLE-INFO"
rm -rf "$TMP"

step "dependency check (ldd)"
bad=0
for f in "$BUNDLE"/bin/kiln-* "$BUNDLE"/lib/*.so* "$BUNDLE"/models/*/*.so; do
  [ -L "$f" ] && continue
  while read -r lib; do
    case "$lib" in
      linux-vdso.so.*|ld-linux-x86-64.so.*|libc.so.*|libm.so.*|libdl.so.*|\
      libpthread.so.*|librt.so.*|libz.so.*|libstdc++.so.*|libgcc_s.so.*|\
      libkilnrt.so*|libcublas.so.*|libcublasLt.so.*) ;;
      *) echo "   $f needs $lib"; bad=1 ;;
    esac
  done < <(objdump -p "$f" | awk '/NEEDED/{print $2}')
done
[ $bad = 0 ] || die "unexpected dependencies (above)"
# Everything but cuBLAS must resolve from the bundle alone.
LD_LIBRARY_PATH='' ldd "$BUNDLE"/bin/kiln-gpu-check "$BUNDLE"/bin/kiln-matmul-bench-nocublas-* \
  "$BUNDLE"/models/*/*.so | grep 'not found' && die "unresolved libraries"
maxglibc=$(for f in "$BUNDLE"/bin/kiln-* "$BUNDLE"/lib/*.so* "$BUNDLE"/models/*/*.so; do
  objdump -T "$f"; done | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
maxcxx=$(objdump -T "$BUNDLE"/lib/*.so* "$BUNDLE"/models/*/*.so 2>/dev/null |
  grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1)
echo "   needs at most $maxglibc, ${maxcxx:-no libstdc++} (libkilnrt)"
echo "   $nmodels model(s), arch $ARCH"
size=$(du -sm "$BUNDLE" | cut -f1)
echo "-- bundle $BUNDLE: $(du -sh "$BUNDLE" | cut -f1)"
[ "$size" -lt 60 ] || die "bundle is ${size} MiB (limit 60)"
echo "Run on the GPU machine: bash gpu-bundle/run-on-device.sh  (device tool: carry [\"gpu-bundle\"])"
