#!/bin/bash
# Prints kernel-summary.awk's table (kind, loop, rank; uniq -c) of the
# CUDA kernels of every sample model (samples/**/*.kiln), one block per
# model headed "model NAME".
# usage: sample-kernel-summary.sh SRC_ROOT
set -euo pipefail
src=$1
here=$(dirname "${BASH_SOURCE[0]}")
while IFS= read -r model; do
  echo "model $(basename "$model" .kiln)"
  kilnc "$model" --emit=linalg | kiln-opt --kiln-cuda-kernels |
    awk -f "$here/kernel-summary.awk" | sort | uniq -c
done < <(find "$src/samples" -name '*.kiln' | sort)
