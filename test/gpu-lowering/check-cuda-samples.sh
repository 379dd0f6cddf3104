#!/bin/bash
# Compiles every sample model (samples/**/*.kiln) with --target=cuda, checks
# that ptxas accepts its PTX for sm_80 and sm_90, and that the CUDA object
# links against libkilnrt into a shared object with no undefined symbols.
# usage: check-cuda-samples.sh SRC_ROOT LIB_DIR PTXAS WORK_DIR
set -eu
src=$1 lib=$2 ptxas=$3 work=$4
mkdir -p "$work"
count=0
while IFS= read -r model; do
  name=$(basename "$model" .kiln)
  for arch in sm_80 sm_90; do
    kilnc "$model" --target=cuda --gpu-arch=$arch --emit=ptx -o "$work/$name.$arch.ptx"
    "$ptxas" -arch=$arch "$work/$name.$arch.ptx" -o "$work/$name.$arch.cubin"
    echo "ptxas-ok $name $arch"
  done
  kilnc "$model" --target=cuda --gpu-arch=sm_90 -o "$work/$name.cuda.o" \
    --header "$work/$name.cuda.h"
  cc -shared -o "$work/lib$name.cuda.so" "$work/$name.cuda.o" -L"$lib" -lkilnrt \
    -Wl,--no-undefined
  echo "link-ok $name"
  count=$((count + 1))
done < <(find "$src/samples" -name '*.kiln' | sort)
echo "samples: $count"
[ "$count" -gt 0 ]
