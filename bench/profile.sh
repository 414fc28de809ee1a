#!/usr/bin/env bash
# Where the time goes: bench/profile.sh [in-backend [VARIANT]|key_id|pgbench].
# Samples with perf (Debian's linux-perf) against a throwaway cluster and
# prints the share of each binary, the hottest functions and (for a backend)
# the share of each call tree under the executor, the body and pglocks:
#   in-backend  the backend running one of bench/setup.sql's loops, by default
#               'lock(text); body; unlock(text)'
#   key_id      the backend hashing 1,000,000 distinct 32-byte keys, 8 times
#   pgbench     the whole machine while pgbench sends SELECT pglocks.with_lock(...)
#               on 1,024 keys from 8 clients
# Needs root (or perf_event_paranoid <= 0) for perf.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages linux-perf
build_extension
with_cluster bash -s "${1:-pgbench}" "${2:-lock(text); body; unlock(text)}" <<'RUN'
set -eu # no pipefail: head ends perf report early
data=$(mktemp)
psql -qf bench/setup.sql >/dev/null 2>&1
if [ "$1" != pgbench ]; then
	[ "$1" = key_id ] && psql -qc "SELECT bench.make_keys(1000000, 32)" -c "VACUUM ANALYZE bench.keys_32"
	psql -Atq -v mode="$1" -v variant="$2" <<'SQL' &
SELECT pg_backend_pid() \g /tmp/pglocks-profile.pid
SELECT pg_sleep(1);
SELECT CASE :'mode' WHEN 'key_id' THEN (SELECT sum(bench.hash('key_id', 32)) FROM generate_series(1, 8))
       ELSE bench.loop(:'variant', 1000000) END;
SQL
	sleep 0.5
	perf record -q -g -o "$data" -p "$(cat /tmp/pglocks-profile.pid)" 2>/dev/null &
	wait %1
	kill -INT %2
	wait %2 || true
else
	script=$(mktemp)
	printf '%s\n' '\set id random(1, 1024)' \
		"SELECT pglocks.with_lock(:id::bigint, false, true, 'bench.body()');" >"$script"
	perf record -q -a -g -o "$data" -- \
		/usr/lib/postgresql/$PGVERSION/bin/pgbench -n -f "$script" -c 8 -j 4 -T 10 | grep tps
fi
echo "== share of each binary"
perf report -i "$data" --no-children --sort comm,dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12
echo "== hottest functions"
perf report -i "$data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25
if [ "$1" != pgbench ]; then
	echo "== call trees (share of the time spent in a function and what it calls)"
	perf report -i "$data" --children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' |
		grep -E 'standard_Executor(Start|Run|End)|plpgsql_compile|call_body|LockAcquireExtended|LockRelease|pglocks|sha256|SHA256' |
		head -25
fi
echo "== pglocks.so"
perf report -i "$data" --no-children --dso pglocks.so --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -10
rm -f "$data"
RUN
