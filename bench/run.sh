#!/usr/bin/env bash
# The benchmark: bench/run.sh [--pg N] [--in-backend] [--quick]. Installs what
# it needs, builds and installs pglocks for PostgreSQL N (the host's 15 by
# default; 13, 17, 18 or 19 in a Debian chroot, as root: scripts/chroot.sh),
# runs bench/bench.py against a throwaway cluster of it, and writes
# bench/results/pgN/results.md, then bench/results/summary.md and
# bench/results/in_backend.png with every major measured so far.
# --in-backend leaves out the pgbench sections; --quick is a smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/chroot.sh

usage() {
	echo "usage: bench/run.sh [--pg $(IFS="|"; echo "${SUPPORTED_PG[*]}")] [--in-backend] [--quick]" >&2
	exit 2
}
major=$HOST_PG_MAJOR
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--pg)
		supported_pg "${2:-}" || usage
		major=$2
		shift 2
		;;
	--in-backend | --quick) args+=("$1"); shift ;;
	*) usage ;;
	esac
done

# the host's PostgreSQL is needed anyway: pgbench and the drivers run here
install_packages python3-psycopg gnuplot-nox
trap 'set +e; release_chroot' EXIT
use_version "$major"
build_extension
with_server /usr/bin/python3 bench/bench.py "${args[@]}"
if [[ " ${args[*]} " == *" --quick "* ]]; then
	echo "==> bench/results/quick/results.md"
else
	gnuplot -e "dir='bench/results'" bench/plot.gp
	echo "==> bench/results/pg$major/results.md, bench/results/summary.md, bench/results/in_backend.png"
fi
