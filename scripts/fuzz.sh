#!/usr/bin/env bash
# Fuzz the C++ core with libFuzzer: scripts/fuzz.sh [SECONDS] (default 600)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/suites.sh

step install_packages "${SUITE_PACKAGES[@]}" && run_fuzz "${1:-600}"
report
