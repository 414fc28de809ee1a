#!/usr/bin/env bash
# The stress soak against a throwaway cluster: scripts/soak.sh [SECONDS]
# (default 600). test/soak/soak.py --help lists its other options.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/suites.sh

step install_packages "${SUITE_PACKAGES[@]}" && step build_extension && run_soak "${1:-600}"
report
