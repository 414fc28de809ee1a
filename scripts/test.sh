#!/usr/bin/env bash
# Every test suite: GoogleTest unit tests of the C++ core; pg_regress and the
# isolation tester against a throwaway cluster; the stress soak; the
# interrupt races (test/faults); the lock functions on a streaming replica
# (test/standby); the same SQL suites with pglocks built under
# AddressSanitizer and UBSan; the clients in clients/ against the shared key
# vectors and a live server; pglocks behind PgBouncer; a benchmark smoke run;
# the release checks and the Debian package; a fuzz run; then the version
# matrix: the regression and isolation suites and a short soak on every other
# supported PostgreSQL major, each in a Debian chroot (scripts/chroot.sh).
#
# scripts/test.sh --pg N runs only the matrix's suites against PostgreSQL N
# (13, 15, 17, 18 or 19); --pg all against each of them.
#
# The soak and the fuzz run are shortened here (scripts/soak.sh and
# scripts/fuzz.sh run them longer). Installs what it needs.
# The last line is "N passed, N failed" over all suites; exit status 1 on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/suites.sh

SOAK_SECONDS=20

case "${1:-}" in
"") ;;
--pg)
	if [ "${2:-}" = all ]; then
		versions=("${SUPPORTED_PG[@]}")
	elif supported_pg "${2:-}"; then
		versions=("$2")
	else
		echo "scripts/test.sh --pg takes one of ${SUPPORTED_PG[*]} or all" >&2
		reported=1 # a usage error, not a run
		exit 2
	fi
	if step install_packages python3-psycopg; then
		for major in "${versions[@]}"; do run_version "$major" "$SOAK_SECONDS"; done
	fi
	report
	exit
	;;
*)
	echo "usage: scripts/test.sh [--pg $(IFS="|"; echo "${SUPPORTED_PG[*]}")|all]" >&2
	reported=1
	exit 2
	;;
esac

if step install_packages "${SUITE_PACKAGES[@]}"; then
	run_unit_tests build/unit
	if step build_extension; then
		run_sql_tests
		run_soak 30
		run_faults
		run_standby
		run_clients
		run_poolers
		run_bench_smoke
		run_sanitized address,undefined
		run_release_checks
		run_package
	fi
	run_fuzz 30
	for major in "${SUPPORTED_PG[@]}"; do
		[ "$major" = "$HOST_PG_MAJOR" ] || run_version "$major" "$SOAK_SECONDS"
	done
fi

report
