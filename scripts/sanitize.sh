#!/usr/bin/env bash
# The unit tests and the SQL suites under sanitizers (default: AddressSanitizer
# and UBSan together): scripts/sanitize.sh [address,undefined | undefined]
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/suites.sh

step install_packages "${SUITE_PACKAGES[@]}" && run_sanitized "${1:-address,undefined}"
report
