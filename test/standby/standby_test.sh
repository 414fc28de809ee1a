#!/usr/bin/env bash
# pglocks on a real hot standby: a streaming replica of the throwaway cluster
# this runs in, on localhost. An advisory lock taken on a standby excludes
# only that standby's sessions, never the primary's, so there every function
# that takes a lock must fail with 25006 (unless pglocks.allow_on_standby is
# on), leave nothing held and not run its body; the functions that take
# nothing must work; and with the setting on, a lock taken on the standby
# must indeed leave the same key free on the primary.
#
# Runs inside pg_virtualenv (scripts/suites.sh, run_standby), whose cluster is
# the primary: libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...)
# reaches it as a superuser. The standby is started with pg_ctl in a
# temporary directory and removed on exit, also on failure. As root (as in
# CI), the standby runs as postgres, like the primary.
#
# One line per check, "ok: ..." or "FAILED: ..."; exit status 1 if any failed.
set -euo pipefail

: "${PGHOST:?run this inside pg_virtualenv (PGHOST is not set)}"
: "${PGPORT:?run this inside pg_virtualenv (PGPORT is not set)}"
: "${PGUSER:?run this inside pg_virtualenv (PGUSER is not set)}"
PG_BIN=/usr/lib/postgresql/${PGVERSION:-15}/bin
DB=${PGDATABASE:-postgres}

passed=0
failed=0
ok() {
	echo "ok: $1"
	passed=$((passed + 1))
}
# failed NAME [OUTPUT]: OUTPUT (what the server said) is shown indented
failed() {
	echo "FAILED: $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ]; then sed 's/^/    /' <<<"$2"; fi
}
# a step without which no check can run
die() {
	failed "$1" "${2:-}"
	exit 1
}

# The server must not run as root: as root, the standby's files and its
# server belong to postgres (the primary's owner under pg_virtualenv). From /,
# which postgres can always enter.
if [ "$(id -u)" -eq 0 ]; then
	owner=(runuser -u postgres --)
else
	owner=()
fi
as_owner() {
	(cd / && "${owner[@]}" "$@")
}

work=$(mktemp -d -t pglocks-standby.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$work"; fi
data=$work/data
log=$work/standby.log

# Stop the standby (immediate: it is thrown away) and remove it, whatever
# happened; its log is shown first when the run failed.
cleanup() {
	local status=$?
	set +e
	if [ -f "$data/postmaster.pid" ]; then
		as_owner "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
	fi
	if [ "$status" -ne 0 ] && [ -s "$log" ]; then
		echo "*** the standby's log (last 50 lines) ***"
		tail -n 50 "$log"
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

primary() {
	psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

# The primary ------------------------------------------------------------------
#
# pg_virtualenv's cluster can stream as it is: wal_level = replica and
# max_wal_senders = 10 are PostgreSQL's defaults, and Debian's pg_hba.conf
# has "host replication all" for 127.0.0.1 and ::1. A cluster set up
# otherwise is repaired here rather than failing for a reason unrelated to
# pglocks.

if ! primary "SELECT 1" >/dev/null; then
	die "cannot connect to the primary (PGHOST=$PGHOST PGPORT=$PGPORT)"
fi

wal_level=$(primary "SHOW wal_level")
senders=$(primary "SHOW max_wal_senders")
if [ "$wal_level" = minimal ] || [ "$senders" -eq 0 ]; then
	# both need a restart; pg_ctlcluster finds pg_virtualenv's cluster
	primary "ALTER SYSTEM SET wal_level = replica" >/dev/null
	primary "ALTER SYSTEM SET max_wal_senders = 10" >/dev/null
	pg_ctlcluster "${PGVERSION:-15}" regress restart ||
		die "restarting the primary with wal_level = replica and max_wal_senders = 10"
	echo "note: the primary had wal_level = $wal_level, max_wal_senders = $senders; restarted with replica, 10"
fi

# A replication connection over TCP, as pg_basebackup and the standby's WAL
# receiver make it (IDENTIFY_SYSTEM needs no database).
replication_allowed() {
	psql -X -At "host=$PGHOST port=$PGPORT user=$PGUSER replication=true" -c IDENTIFY_SYSTEM \
		>/dev/null 2>&1
}
if ! replication_allowed; then
	hba=$(primary "SHOW hba_file")
	printf '%s\n' "host replication all 127.0.0.1/32 scram-sha-256" \
		"host replication all ::1/128 scram-sha-256" >>"$hba"
	primary "SELECT pg_reload_conf()" >/dev/null
	sleep 1 # the postmaster reloads asynchronously
	replication_allowed || die "the primary refuses replication connections even after adding them to $hba"
	echo "note: added host replication entries for localhost to $hba"
fi

# The extension, and bodies for the with_* functions that say when they run
# (a standby cannot write, so a NOTICE is the trace), are created before the
# base backup: the standby has them from the start.
setup_out=$(psql -X -q -v ON_ERROR_STOP=1 2>&1 <<'EOF'
CREATE EXTENSION IF NOT EXISTS pglocks;
CREATE OR REPLACE FUNCTION public.standby_body() RETURNS void
LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'standby_body ran'; END $$;
CREATE OR REPLACE FUNCTION public.standby_body(note text) RETURNS void
LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'standby_body ran: %', note; END $$;
EOF
) || die "CREATE EXTENSION pglocks and the body functions on the primary" "$setup_out"

# The standby ------------------------------------------------------------------

# A port nothing listens on (TCP on localhost, or a socket in the usual
# directory), so that the standby's listen cannot collide with another server.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || [ -e "/var/run/postgresql/.s.PGSQL.$1" ]
}
port=$((PGPORT + 1))
while port_in_use "$port"; do port=$((port + 1)); done

# -R: standby.signal, and primary_conninfo (with the password, which
# runuser passes on in the environment) in postgresql.auto.conf; -c fast: no
# wait for a scheduled checkpoint.
if ! backup_out=$(as_owner "$PG_BIN/pg_basebackup" \
	-h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$data" -R -X stream -c fast --no-sync 2>&1); then
	die "pg_basebackup -R from the primary" "$backup_out"
fi

# Debian keeps a cluster's postgresql.conf and pg_hba.conf outside its data
# directory, so the backup has none: the standby gets its own. The settings
# a hot standby needs at least as high as the primary's are copied from it.
# Clients reach the standby only through a socket in $work (0700), trusted;
# its TCP port accepts nobody.
copied=$(primary "SELECT string_agg(name || ' = ' || setting, E'\n' ORDER BY name) FROM pg_settings
	WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
	               'max_prepared_transactions', 'max_locks_per_transaction')")
as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# pglocks' standby test
port = $port
listen_addresses = 'localhost'
unix_socket_directories = '$work'
hot_standby = on
fsync = off
logging_collector = off
$copied
EOF
as_owner tee "$data/pg_hba.conf" >/dev/null <<'EOF'
local all all trust
EOF
if [ ! -e "$data/pg_ident.conf" ]; then as_owner touch "$data/pg_ident.conf"; fi

# -w: returns once the standby accepts connections (consistent recovery)
if ! start_out=$(as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start 2>&1); then
	die "starting the standby on port $port" "$start_out"
fi

standby_psql() {
	psql -X -At -h "$work" -p "$port" -U "$PGUSER" -d "$DB" "$@"
}
standby() {
	standby_psql -v ON_ERROR_STOP=1 -c "$1"
}

# Wait until it is in recovery and its WAL receiver streams from the primary.
state=""
for _ in $(seq 120); do
	state=$(standby "SELECT pg_is_in_recovery() || ' ' || coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')" \
		2>&1) || true
	[ "$state" = "true streaming" ] && break
	sleep 0.5
done
if [ "$state" = "true streaming" ] &&
	[ "$(primary "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]; then
	ok "the standby (port $port) is in recovery and streams from the primary (port $PGPORT)"
else
	die "the standby did not come up streaming in 60 s (in recovery, WAL receiver: $state)"
fi
if [ "$(standby "SELECT extversion FROM pg_extension WHERE extname = 'pglocks'")" = \
	"$(primary "SELECT extversion FROM pg_extension WHERE extname = 'pglocks'")" ]; then
	ok "the standby has the primary's pglocks"
else
	die "the extension did not reach the standby"
fi

# Locking functions: refused --------------------------------------------------

# refused FUNC CALL: SELECT CALL on the standby, in a session of its own,
# fails with 25006, the message naming FUNC and the hint naming
# pglocks.allow_on_standby; the body does not run; and afterwards, in the
# same session (a session lock would outlive the failed statement), the
# standby holds no advisory lock at all.
refused() {
	local func=$1 call=$2 out
	# psql prefixes a script's errors with "psql:<stdin>:LINE: "
	out=$(standby_psql 2>&1 <<EOF | sed -E 's/^psql:[^:]*:[0-9]+: //'
\set VERBOSITY verbose
SELECT $call;
SELECT 'advisory locks on the standby: ' || count(*) FROM pg_locks WHERE locktype = 'advisory';
EOF
	) || true
	if grep -qxF "ERROR:  25006: $func cannot take an advisory lock during recovery" <<<"$out" &&
		grep -qE '^HINT:  .*pglocks\.allow_on_standby' <<<"$out" &&
		! grep -q 'standby_body ran' <<<"$out" &&
		grep -qxF 'advisory locks on the standby: 0' <<<"$out"; then
		ok "$call: 25006, hint names pglocks.allow_on_standby, nothing held"
	else
		failed "$call: expected 25006 \"$func cannot take an advisory lock during recovery\", a hint naming pglocks.allow_on_standby, no body run and no advisory lock" "$out"
	fi
}

# FUNC|CALL: every function that takes a lock, each key form, each way of
# waiting (the timed ones wait in a subtransaction), and with_lock's and
# with_xact_lock's positional, named and timed forms, with and without
# arguments for the body (the timed forms of with_semaphore and with_locks
# exist only with them)
while IFS='|' read -r func call; do
	[ -n "$func" ] || continue
	refused "$func" "$call"
done <<'EOF'
pglocks.lock|pglocks.lock('k')
pglocks.lock|pglocks.lock(42::bigint)
pglocks.lock|pglocks.lock(1, 2)
pglocks.lock|pglocks.lock('k', shared => true)
pglocks.lock|pglocks.lock('k', wait => false)
pglocks.lock|pglocks.lock(42::bigint, timeout => '1 s')
pglocks.lock|pglocks.lock(1, 2, wait => false, on_busy => 'error')
pglocks.xact_lock|pglocks.xact_lock('k')
pglocks.xact_lock|pglocks.xact_lock(42::bigint)
pglocks.xact_lock|pglocks.xact_lock(1, 2)
pglocks.xact_lock|pglocks.xact_lock('k', wait => false)
pglocks.xact_lock|pglocks.xact_lock(1, 2, timeout => '1 s')
pglocks.with_lock|pglocks.with_lock('k', false, true, 'standby_body()')
pglocks.with_lock|pglocks.with_lock(42::bigint, false, true, 'standby_body()')
pglocks.with_lock|pglocks.with_lock(1, 2, false, true, 'standby_body()')
pglocks.with_lock|pglocks.with_lock('k', false, true, 'standby_body(text)', 'positional')
pglocks.with_lock|pglocks.with_lock(1, 2, false, false, 'standby_body(text)', 'positional')
pglocks.with_lock|pglocks.with_lock('k', fn => 'standby_body()')
pglocks.with_lock|pglocks.with_lock(42::bigint, fn => 'standby_body()')
pglocks.with_lock|pglocks.with_lock(1, 2, fn => 'standby_body()')
pglocks.with_lock|pglocks.with_lock('k', fn => 'standby_body()', wait => false)
pglocks.with_lock|pglocks.with_lock('k', fn => 'standby_body()', timeout => '1 s', on_busy => 'error')
pglocks.with_lock|pglocks.with_lock('k', false, interval '1 s', 'standby_body()')
pglocks.with_lock|pglocks.with_lock(42::bigint, false, interval '1 s', 'standby_body()')
pglocks.with_lock|pglocks.with_lock(1, 2, false, interval '1 s', 'standby_body()')
pglocks.with_lock|pglocks.with_lock('k', true, interval '0', 'standby_body(text)', 'timed')
pglocks.with_xact_lock|pglocks.with_xact_lock('k', false, true, 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock(42::bigint, false, true, 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock(1, 2, false, true, 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock('k', false, true, 'standby_body(text)', 'positional')
pglocks.with_xact_lock|pglocks.with_xact_lock('k', fn => 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock(42::bigint, fn => 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock(1, 2, fn => 'standby_body()', wait => false)
pglocks.with_xact_lock|pglocks.with_xact_lock('k', false, interval '1 s', 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock(42::bigint, false, interval '1 s', 'standby_body()')
pglocks.with_xact_lock|pglocks.with_xact_lock(1, 2, false, interval '1 s', 'standby_body(text)', 'timed')
pglocks.acquire_slot|pglocks.acquire_slot('k', 2)
pglocks.acquire_slot|pglocks.acquire_slot(42::bigint, 2)
pglocks.acquire_slot|pglocks.acquire_slot('k', 2, wait => false)
pglocks.acquire_slot|pglocks.acquire_slot(42::bigint, 2, timeout => '1 s')
pglocks.xact_acquire_slot|pglocks.xact_acquire_slot('k', 2)
pglocks.xact_acquire_slot|pglocks.xact_acquire_slot(42::bigint, 2)
pglocks.xact_acquire_slot|pglocks.xact_acquire_slot('k', 2, wait => false)
pglocks.with_semaphore|pglocks.with_semaphore('k', 2, 'standby_body()')
pglocks.with_semaphore|pglocks.with_semaphore(42::bigint, 2, 'standby_body()', timeout => '1 s')
pglocks.with_semaphore|pglocks.with_semaphore('k', 2, interval '1 s', 'standby_body(text)', 'timed')
pglocks.with_semaphore|pglocks.with_semaphore(42::bigint, 2, interval '0', 'standby_body(text)', 'timed')
pglocks.lock_all|pglocks.lock_all(ARRAY['a', 'b'])
pglocks.lock_all|pglocks.lock_all(ARRAY[1, 2]::bigint[])
pglocks.lock_all|pglocks.lock_all(ARRAY['a', 'b'], shared => true, timeout => '1 s')
pglocks.xact_lock_all|pglocks.xact_lock_all(ARRAY['a', 'b'])
pglocks.xact_lock_all|pglocks.xact_lock_all(ARRAY[1, 2]::bigint[])
pglocks.xact_lock_all|pglocks.xact_lock_all(ARRAY['a', 'b'], timeout => '1 s')
pglocks.with_locks|pglocks.with_locks(ARRAY['a', 'b'], 'standby_body()')
pglocks.with_locks|pglocks.with_locks(ARRAY[1, 2]::bigint[], 'standby_body()')
pglocks.with_locks|pglocks.with_locks(ARRAY['a', 'b'], true, interval '1 s', 'standby_body(text)', 'timed')
pglocks.with_locks|pglocks.with_locks(ARRAY[1, 2]::bigint[], false, interval '1 s', 'standby_body(text)', 'timed')
EOF

# Functions that take nothing: they work -------------------------------------

# works QUERY EXPECTED: QUERY succeeds on the standby and returns EXPECTED
# (its warnings, e.g. unlock's "you don't own a lock", do not matter)
works() {
	local query=$1 expected=$2 out
	if out=$(standby "$query" 2>&1 >"$work/works.out") && [ "$(cat "$work/works.out")" = "$expected" ]; then
		ok "$query works on the standby: $expected"
	else
		failed "$query on the standby: expected $expected" "$out$(printf '\n')$(cat "$work/works.out")"
	fi
}

key_id=$(primary "SELECT pglocks.key_id('k')")
works "SELECT pglocks.key_id('k')" "$key_id"
works "SELECT pglocks.crc32_key_id('k')" "$(primary "SELECT pglocks.crc32_key_id('k')")"
works "SELECT pglocks.unlock('k')" f
works "SELECT pglocks.unlock(42::bigint, shared => true)" f
works "SELECT pglocks.unlock(1, 2)" f
works "SELECT count(*) FROM pglocks.unlock_all()" 1
works "SELECT pglocks.is_held('k')" f
works "SELECT pglocks.is_held(42::bigint)" f
works "SELECT pglocks.is_held(1, 2, shared => true)" f
works "SELECT pglocks.is_free('k')" t
works "SELECT pglocks.is_free(42::bigint, shared => true)" t
works "SELECT pglocks.is_free(1, 2)" t
works "SELECT count(*) FROM pglocks.holders('k')" 0
works "SELECT count(*) FROM pglocks.holders(42::bigint)" 0
works "SELECT count(*) FROM pglocks.holders(1, 2)" 0
works "SELECT count(*) FROM pglocks.locks" 0
works "SELECT count(*) FROM pglocks.orphaned_locks()" 0
works "SELECT pglocks.release_slot('k', 0)" f
works "SELECT pglocks.release_slot(42::bigint, 1)" f
works "SELECT pglocks.unlock_keys(ARRAY['a', 'b'])" f
works "SELECT pglocks.unlock_keys(ARRAY[1, 2]::bigint[], shared => true)" f

# With pglocks.allow_on_standby: a lock local to the standby ------------------
#
# While one standby session holds 'k' (pg_locks shows it), the primary takes
# the same key at once (no false safety: the standby's lock excludes none of
# the primary's sessions), and another session of the standby finds it busy.
# The other sessions run from inside the holder's (\!), so the lock is held
# throughout; they get libpq's environment, i.e. the primary, unless told
# otherwise.
held_on_standby="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted
	AND ((classid::int8 << 32) | objid::int8) = pglocks.key_id('k')"
out=$(standby_psql 2>&1 <<EOF | sed -E 's/^psql:[^:]*:[0-9]+: //'
SET pglocks.allow_on_standby = on;
SELECT 'standby lock: ' || pglocks.lock('k');
SELECT 'standby pg_locks: ' || ($held_on_standby AND pid = pg_backend_pid());
\! psql -X -At -c "SELECT 'primary lock: ' || pglocks.lock('k', wait => false)" 2>&1
\! psql -X -At -h '$work' -p $port -U '$PGUSER' -d '$DB' -c "SET pglocks.allow_on_standby = on" -c "SELECT 'other standby session lock: ' || pglocks.lock('k', wait => false)" 2>&1
SELECT 'standby still holds: ' || pglocks.is_held('k');
SELECT 'standby with_lock: ' || pglocks.with_lock('w', fn => 'standby_body()');
SELECT 'standby unlock: ' || pglocks.unlock('k');
EOF
) || true
expect_line() {
	if grep -qxF "$1" <<<"$out"; then ok "$2"; else failed "$2 (no line \"$1\")" "$out"; fi
}
expect_line "standby lock: true" "with SET pglocks.allow_on_standby = on, pglocks.lock('k') on the standby returns true"
expect_line "standby pg_locks: 1" "pg_locks on the standby shows that session holding key_id('k')"
expect_line "primary lock: true" "meanwhile pglocks.lock('k', wait => false) on the primary returns true: the standby's lock excludes nothing there"
expect_line "other standby session lock: false" "meanwhile another standby session (allow_on_standby on) finds 'k' busy"
expect_line "standby still holds: true" "the standby session still holds 'k' after the primary took it"
expect_line "standby with_lock: true" "with the setting on, with_lock on the standby runs its body"
if grep -q 'NOTICE:  standby_body ran' <<<"$out"; then
	ok "the body ran under the standby-local lock"
else
	failed "the body of with_lock did not run with pglocks.allow_on_standby = on" "$out"
fi
expect_line "standby unlock: true" "the standby-local lock is released by pglocks.unlock('k')"

# The setting is the session's: a new session is refused again, and nothing
# is left held on the standby.
refused pglocks.lock "pglocks.lock('k')"

echo "standby: $passed checks passed, $failed failed (PostgreSQL ${PGVERSION:-15}, standby port $port)"
[ "$failed" -eq 0 ]
