#!/usr/bin/env bash
# Every test suite: GoogleTest unit tests of the C++ core; pg_regress and the
# isolation tester against a throwaway cluster; the stress soak; the
# interrupt races (test/faults); the same SQL
# suites with pglocks built under AddressSanitizer and UBSan; the clients in
# clients/ against the shared key vectors and a live server; pglocks behind
# PgBouncer; a benchmark smoke run; the release checks and the Debian
# package; and a fuzz run.
# The soak and the fuzz run are shortened here (scripts/soak.sh and
# scripts/fuzz.sh run them longer). Installs what it needs.
# The last line is "N passed, N failed" over all suites; exit status 1 on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/suites.sh

if step install_packages "${SUITE_PACKAGES[@]}"; then
	run_unit_tests build/unit
	if step build_extension; then
		run_sql_tests
		run_soak 30
		run_faults
		run_clients
		run_poolers
		run_bench_smoke
		run_sanitized address,undefined
		run_packaging
	fi
	run_fuzz 30
fi

report
