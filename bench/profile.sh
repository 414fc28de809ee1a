#!/usr/bin/env bash
# Where the time goes: bench/profile.sh [in-backend|pgbench]. Samples with perf
# (Debian's linux-perf) against a throwaway cluster and prints the share of
# each binary and the hottest functions:
#   in-backend  the backend running lock(text); body; unlock(text) in a loop
#   pgbench     the whole machine while pgbench sends SELECT pglocks.with_lock(...)
#               on 1,024 keys from 8 clients
# Needs root (or perf_event_paranoid <= 0) for perf.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages linux-perf
build_extension
with_cluster bash -s "${1:-pgbench}" <<'RUN'
set -eu # no pipefail: head ends perf report early
data=$(mktemp)
psql -qf bench/setup.sql >/dev/null 2>&1
if [ "$1" = in-backend ]; then
	psql -Atq <<'SQL' &
SELECT pg_backend_pid() \g /tmp/pglocks-profile.pid
SELECT pg_sleep(1);
SELECT bench.loop('lock(text); body; unlock(text)', 1000000);
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
echo "== pglocks.so"
perf report -i "$data" --no-children --dso pglocks.so --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -10
rm -f "$data"
RUN
