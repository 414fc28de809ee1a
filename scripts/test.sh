#!/usr/bin/env bash
# Every test suite: GoogleTest unit tests of the C++ core, then pg_regress and
# the isolation tester against a throwaway cluster. Installs what it needs.
# The last line is "N passed, N failed" over all suites; exit status 1 on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

passed=0
failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# count <log>: ok/FAILED lines of pg_regress (PostgreSQL 15 and the TAP style of 16+)
count() {
	local ok bad
	ok=$(grep -cE '^(test|     ) .* \.\.\. ok|^ok [0-9]+ ' "$1")
	bad=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$1")
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# a step that is not a test suite (build, install) counts once if it fails
step() {
	"$@" || { echo "FAILED: $*"; failed=$((failed + 1)); return 1; }
}

run_unit_tests() {
	echo "==> unit tests (GoogleTest)"
	step cmake -S . -B build/unit -DCMAKE_BUILD_TYPE=Release >/dev/null &&
		step cmake --build build/unit -j "$(nproc)" >/dev/null || return
	(cd build/unit && ctest --output-on-failure) | tee "$logs/unit"
	local total bad
	total=$(sed -nE 's/.* tests failed out of ([0-9]+).*/\1/p' "$logs/unit")
	bad=$(sed -nE 's/.* ([0-9]+) tests failed out of.*/\1/p' "$logs/unit")
	if [ -z "$total" ]; then
		failed=$((failed + 1))
	else
		passed=$((passed + total - bad))
		failed=$((failed + bad))
	fi
}

run_sql_tests() {
	echo "==> regression and isolation tests (PostgreSQL $PG_MAJOR, throwaway cluster)"
	with_cluster make -s PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= 2>&1 | tee "$logs/regress"
	count "$logs/regress"
	with_cluster make -s PG_CONFIG="$PG_CONFIG" installcheck REGRESS= 2>&1 | tee "$logs/isolation"
	count "$logs/isolation"
	if [ -s regression.diffs ]; then
		cat regression.diffs
	fi
	if [ -s output_iso/regression.diffs ]; then
		cat output_iso/regression.diffs
	fi
}

if step install_packages; then
	run_unit_tests
	step build_extension && run_sql_tests
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
