#!/usr/bin/env bash
# The benchmark: bench/run.sh [--quick]. Installs what it needs, builds and
# installs pglocks, runs bench/bench.py against a throwaway cluster, and
# writes bench/results/results.md and bench/results/in_backend.png.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages python3-psycopg gnuplot-nox
build_extension
with_cluster /usr/bin/python3 bench/bench.py "$@"
gnuplot -e "dir='bench/results'" bench/plot.gp
echo "==> bench/results/results.md, bench/results/in_backend.png"
