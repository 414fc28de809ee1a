#!/usr/bin/env bash
# The Quick start demo: installs what it needs, builds and installs pglocks,
# then runs scripts/demo_sessions.sh against a throwaway cluster, which is
# removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages
build_extension
with_cluster ./scripts/demo_sessions.sh
