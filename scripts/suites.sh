# The test suites, as functions that add to $passed and $failed. Sourced by
# scripts/test.sh (every suite, shortened where noted) and by the commands
# that run one suite in full (scripts/sanitize.sh, scripts/fuzz.sh,
# scripts/soak.sh). Expects scripts/lib.sh to be sourced first.

source scripts/chroot.sh

passed=0
failed=0
logs=$(mktemp -d)
reported=0
# A run that stops before its report (a bug in these scripts, an interrupt)
# still ends with the summary line, and fails. The line goes to the run's own
# output, saved here: the trap can run while a suite's output goes to its log.
exec {RUN_OUTPUT}>&1
trap 'status=$?; rm -rf "$logs"; release_chroot
	if [ "$reported" = 0 ]; then
		{ fail "the run stopped early (exit status $status)"; report; } >&"$RUN_OUTPUT"
		exit 1
	fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The packages every suite needs besides the build's own: GoogleTest, clang
# for fuzzing, the toolchains and drivers of the clients (each client's
# package is built offline with them: Python's venv, setuptools and wheel;
# Debian's Maven repository and plugins; Bundler; Node.js comes with npm's
# packages, see install_node), and PgBouncer.
SUITE_PACKAGES=(cmake libgtest-dev clang libclang-rt-14-dev python3-psycopg python3-psycopg2 python3-django
	python3-psycopg-pool python3-venv python3-setuptools python3-wheel
	golang-go golang-github-lib-pq-dev default-jdk-headless libpostgresql-jdbc-java junit5
	maven maven-debian-helper libmaven-compiler-plugin-java libmaven-resources-plugin-java
	libmaven-jar-plugin-java libmaven-install-plugin-java libsurefire-java
	ruby ruby-pg ruby-minitest bundler pgbouncer)

# pass/fail one test named $1
pass() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAILED: $1"; failed=$((failed + 1)); }

# a step that is not a test suite (build, install) counts once if it fails
step() {
	"$@" || { fail "$*"; return 1; }
}

# suite NAME CMD...: one test suite, its output kept in a log; on success the
# log's last $SHOW lines (3 by default) are printed, on failure all of it
suite() {
	local name=$1 log
	shift
	log=$(mktemp -p "$logs")
	if "$@" >"$log" 2>&1; then
		tail -n "${SHOW:-3}" "$log"
		pass "$name"
	else
		cat "$log"
		fail "$name"
	fi
}

# ok/FAILED lines of pg_regress (PostgreSQL 15, and the TAP style of 16+)
count_pg_regress() {
	local ok bad
	ok=$(grep -cE '^(test|     ) .* \.\.\. ok|^ok [0-9]+ ' "$1")
	bad=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$1")
	[ "$ok" -eq 0 ] && [ "$bad" -eq 0 ] && bad=1 # the suite did not run at all
	passed=$((passed + ok))
	failed=$((failed + bad))
	[ "$bad" -eq 0 ] && [ "$ok" -gt 0 ]
}

# run_unit_tests BUILD_DIR [CMAKE_ARGS...]: the GoogleTest tests of the core
run_unit_tests() {
	local dir=$1 total bad
	shift
	echo "==> unit tests (GoogleTest) in $dir $*"
	step cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null &&
		step cmake --build "$dir" -j "$(nproc)" >/dev/null || return
	(cd "$dir" && ctest --output-on-failure) >"$logs/unit" 2>&1
	tail -n 3 "$logs/unit"
	total=$(sed -nE 's/.* tests failed out of ([0-9]+).*/\1/p' "$logs/unit")
	bad=$(sed -nE 's/.* ([0-9]+) tests failed out of.*/\1/p' "$logs/unit")
	if [ -z "$total" ]; then
		cat "$logs/unit"
		fail "unit tests in $dir"
	else
		[ "$bad" -eq 0 ] || cat "$logs/unit"
		passed=$((passed + total - bad))
		failed=$((failed + bad))
	fi
}

# run_sql_tests [WRAPPER...]: pg_regress and the isolation tester against a
# throwaway cluster; WRAPPER runs inside pg_virtualenv, before make.
run_sql_tests() {
	local suite
	for suite in regress isolation; do
		echo "==> $suite tests (PostgreSQL $PG_MAJOR, throwaway cluster) $*"
		local only=(ISOLATION=)
		[ "$suite" = isolation ] && only=(REGRESS=)
		with_cluster "$@" make -s PG_CONFIG="$PG_CONFIG" installcheck "${only[@]}" \
			>"$logs/$suite" 2>&1
		grep -E '\.\.\. |^(not )?ok [0-9]+ |tests (passed|failed)' "$logs/$suite"
		count_pg_regress "$logs/$suite" || {
			cat "$TREE_DIR/regression.diffs" "$TREE_DIR/output_iso/regression.diffs" 2>/dev/null
			tail -n 30 "$logs/$suite"
		}
	done
}

# run_soak SECONDS: test/soak/soak.py against a throwaway cluster (the soak
# itself runs on the host, also for a server in a chroot)
run_soak() {
	echo "==> stress soak, $1 s (PostgreSQL $PG_MAJOR)"
	if [ ${#IN_TREE[@]} -eq 0 ]; then
		with_cluster sh -c '/usr/bin/python3 test/soak/soak.py --seconds "$1" \
			--server-log "$(pg_lsclusters -h "$PGVERSION" regress | cut -d" " -f7)"' \
			soak "$1"
	else
		with_chroot_cluster sh -c '/usr/bin/python3 test/soak/soak.py --seconds "$1" \
			--server-log "$SERVER_LOG"' soak "$1"
	fi && pass "stress soak (PostgreSQL $PG_MAJOR)" || fail "stress soak (PostgreSQL $PG_MAJOR)"
}

# run_faults: test/faults/interrupts.py against a throwaway cluster; it
# stops and continues backends, so it runs as root (as CI does) or as the
# cluster's owner
run_faults() {
	echo "==> interrupt races (test/faults/interrupts.py)"
	SHOW=10 suite "interrupt races" with_cluster /usr/bin/python3 test/faults/interrupts.py
}

# run_standby: test/standby/standby_test.sh, which makes a streaming replica
# of the throwaway cluster and checks, on it, that every function that takes
# a lock refuses to (a lock on a standby would exclude nothing on the
# primary) unless pglocks.allow_on_standby is on. The host's PostgreSQL
# only: all the guard asks of the server is RecoveryInProgress(), the same on
# every supported major. The last lines shown are the checks with the
# setting on, the lock on the standby leaving the primary's free.
run_standby() {
	echo "==> on a hot standby (test/standby/standby_test.sh)"
	SHOW=11 suite "on a hot standby" with_cluster test/standby/standby_test.sh
}

# run_sanitized SANITIZERS: the core's unit tests, then the extension's SQL
# suites with the extension built with -fsanitize=SANITIZERS and loaded into
# a server that has the sanitizer runtime; any report fails the run. The
# normal build is installed again afterwards.
run_sanitized() {
	local sanitizers=$1 reports
	run_unit_tests "build/sanitize-${sanitizers//,/-}" -DPGLOCKS_SANITIZE="$sanitizers"
	echo "==> SQL suites with pglocks built with -fsanitize=$sanitizers"
	reports=$(mktemp -d)
	chmod 1777 "$reports"
	if step make -s clean && step build_extension SANITIZE="$sanitizers"; then
		run_sql_tests test/sanitize/restart_with_runtime.sh "$sanitizers" "$reports"
		if [ -n "$(ls -A "$reports")" ]; then
			cat "$reports"/*
			fail "sanitizer reports from the server (-fsanitize=$sanitizers)"
		else
			pass "no sanitizer report from the server (-fsanitize=$sanitizers)"
		fi
	fi
	rm -rf "$reports"
	step make -s clean && step build_extension
}

# run_fuzz SECONDS: the libFuzzer target over the core, built with clang
run_fuzz() {
	local dir=build/fuzz corpus
	echo "==> fuzzing the core for $1 s"
	step cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DPGLOCKS_FUZZ=ON -DPGLOCKS_SANITIZE=address,undefined >/dev/null &&
		step cmake --build "$dir" -j "$(nproc)" --target core_fuzz >/dev/null || return
	corpus=$(mktemp -d)
	if (cd "$dir" && ./core_fuzz -max_total_time="$1" -max_len=4096 -print_final_stats=1 \
		"$corpus") >"$logs/fuzz" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units)' "$logs/fuzz"
		pass "fuzzing the core ($1 s)"
	else
		tail -n 40 "$logs/fuzz"
		fail "fuzzing the core ($1 s): the crashing input is in $dir"
	fi
	rm -rf "$corpus"
}

# Node.js: the machine's own if it has one, else Debian's
install_node() {
	command -v node >/dev/null && command -v npm >/dev/null || install_packages nodejs npm
}

# run_clients: each client's clients/<name>/run-tests.sh, against a throwaway
# cluster: it builds the client's package the way its ecosystem does,
# installs it into a fresh consumer project, runs a small program there and
# then the client's feature tests (docs/clients.md); one result per client
run_clients() {
	local client
	step install_node || return
	for client in python node go java ruby; do
		echo "==> $client client"
		suite "$client client" with_cluster "clients/$client/run-tests.sh"
	done
}

# run_poolers: test/poolers/pgbouncer_suite.py, a PgBouncer in transaction
# pooling in front of a throwaway cluster
run_poolers() {
	echo "==> behind PgBouncer (pool_mode = transaction)"
	SHOW=20 suite "behind PgBouncer" with_cluster /usr/bin/python3 test/poolers/pgbouncer_suite.py
}

# run_release_checks: META.json, versions, make dist
run_release_checks() {
	echo "==> release metadata and make dist"
	suite "release metadata and make dist" /usr/bin/python3 test/packaging/test_release.py
}

# run_package: make deb from the committed tree, the package installed over
# the source build, and Debian's own package test (debian/tests) against it;
# the source build is installed again afterwards.
run_package() {
	local deb source=() so
	echo "==> make deb, and the package test against it (PostgreSQL $PG_MAJOR)"
	if [ -n "${PG_ROOT:-}" ]; then # a chroot has no git: hand it the tree
		if ! git archive --format tar --prefix pglocks/ HEAD >"$TREE_DIR/source.tar"; then
			fail "git archive for make deb (PostgreSQL $PG_MAJOR)"
			return
		fi
		source=(source.tar)
	fi
	rm -f "$TREE_DIR/dist/postgresql-$PG_MAJOR-pglocks_"*.deb
	# this version's package only: pg_buildext's versions are those the
	# release supports (19, from experimental, is not one) that
	# debian/pgversions lists, unless PG_SUPPORTED_VERSIONS says otherwise
	if ! "${IN_TREE[@]}" env PG_SUPPORTED_VERSIONS="$PG_MAJOR" scripts/deb.sh "${source[@]}" >"$logs/deb" 2>&1; then
		tail -n 40 "$logs/deb"
		fail "make deb (PostgreSQL $PG_MAJOR)"
		return
	fi
	if ! deb=$(cd "$TREE_DIR" && ls "dist/postgresql-$PG_MAJOR-pglocks_"*.deb); then
		tail -n 20 "$logs/deb"
		fail "make deb wrote no package for PostgreSQL $PG_MAJOR"
		return
	fi
	echo "built $deb"
	step as_root "${IN_TREE[@]}" apt-get install -y -qq --reinstall "./$deb" >/dev/null || return
	so=$("${IN_TREE[@]}" "$PG_CONFIG" --pkglibdir)/pglocks.so
	if "${IN_TREE[@]}" dpkg -S "$so" | grep -q "postgresql-$PG_MAJOR-pglocks"; then
		"${IN_TREE[@]}" env PG_SUPPORTED_VERSIONS="$PG_MAJOR" debian/tests/installcheck >"$logs/package" 2>&1
		count_pg_regress "$logs/package" || cat "$logs/package"
	else
		fail "the package did not install pglocks.so (PostgreSQL $PG_MAJOR)"
	fi
	step as_root "${IN_TREE[@]}" apt-get purge -y -qq "postgresql-$PG_MAJOR-pglocks" >/dev/null
	step build_extension
}

# run_version MAJOR SOAK_SECONDS: pglocks built and installed for PostgreSQL
# MAJOR (the host's, or a chroot's: scripts/chroot.sh), then its regression
# and isolation suites, a short soak and its Debian package (15's package is
# tested by the host's full suite).
run_version() {
	local PG_MAJOR PG_CONFIG PG_ROOT TREE_DIR
	local -a IN_TREE
	echo "==> PostgreSQL $1"
	step use_version "$1" || return
	if step build_extension; then
		run_sql_tests
		run_soak "$2"
		if [ -n "$PG_ROOT" ]; then run_package; fi
	fi
	release_chroot
}

# run_bench_smoke: the benchmark at tiny sizes; it must complete and write
# its tables (its numbers are not checked: benchmarks are not timed tests)
run_bench_smoke() {
	echo "==> benchmark smoke run"
	suite "benchmark smoke run" bench_smoke
}

bench_smoke() {
	with_cluster /usr/bin/python3 bench/bench.py --quick &&
		grep -q '^## Contention' bench/results/quick/results.md
}

report() {
	reported=1
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
