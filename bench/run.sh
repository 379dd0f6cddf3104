#!/usr/bin/env bash
# Issue 6's benchmark in one command: Kiln vs PyTorch and JAX on this machine.
#
#   bash bench/run.sh [options of bench/run.py]     (--help lists them)
#
# Sets up its peers first, once: a venv in bench/.venv (git-ignored) with
# numpy (OpenBLAS), jax[cpu] and torch from PyPI. PyPI's Linux torch wheel
# pulls the CUDA runtime packages with it (about 6 GB installed; torch does not
# import without them); BENCH_VENV=DIR puts the venv elsewhere. Kiln's side
# uses build/bin/kilnc (or $KILNC / --kilnc) and the system C compiler.
# Writes bench/results.json and bench/results.md and prints the tables.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${BENCH_VENV:-$here/.venv}"
stamp="$venv/.bench-ready"
packages=(numpy "jax[cpu]" torch)

if [ ! -f "$stamp" ]; then
  python="${PYTHON:-python3}"
  echo "bench: setting up $venv (numpy, jax[cpu], torch from PyPI; takes minutes once)" >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >&2 || true
  "$venv/bin/python" -m pip install --disable-pip-version-check -q "${packages[@]}" >&2
  "$venv/bin/python" -c "import numpy, jax, torch" >&2
  printf '%s\n' "${packages[@]}" > "$stamp"
fi
exec "$venv/bin/python" "$here/run.py" "$@"
