package livetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	pglocks "github.com/pglocks/pglocks/clients/go/v2"
)

var boom = errors.New("boom")

// notRun is a body for a lock that must not be taken.
func notRun(t *testing.T) func(*sql.Conn) (int, error) {
	return func(*sql.Conn) (int, error) {
		t.Error("the body ran without the lock")
		return 1, nil
	}
}

// releaseWhenWaiting: once some session waits in the server's lock queue
// for id, the holder gives it up, after a pause.
func releaseWhenWaiting(holder *sql.Conn, id int64, pause time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			var waiting bool
			if err := holder.QueryRowContext(ctx, "SELECT count(*) > 0 FROM pg_catalog.pg_locks "+
				"WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1 "+
				"AND ((classid::bigint << 32) | objid::bigint) = $1::bigint", id).Scan(&waiting); err != nil {
				done <- err
				return
			}
			if waiting {
				break
			}
			if time.Now().After(deadline) {
				done <- errors.New("nobody waited in the lock queue")
				return
			}
		}
		time.Sleep(pause)
		_, err := holder.ExecContext(ctx, "SELECT pg_catalog.pg_advisory_unlock($1::bigint)", id)
		done <- err
	}()
	return done
}

func TestKeyForms(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	for _, c := range []struct {
		key pglocks.Key
		sql sqlKey
	}{
		{pglocks.String("orders:42"), bigint(pglocks.KeyID("orders:42"))},
		{pglocks.String(""), bigint(pglocks.KeyID(""))},
		{pglocks.Int64(-42), bigint(-42)},
		{pglocks.Int64(math.MinInt64), bigint(math.MinInt64)},
		{pglocks.Pair(1, 2), pair(1, 2)},
		{pglocks.Pair(math.MinInt32, math.MaxInt32), pair(math.MinInt32, math.MaxInt32)},
	} {
		ran := false
		err := pglocks.WithLock(ctx, db, c.key, func(*sql.Conn) error {
			ran = true
			if free(t, o, c.sql, false) {
				t.Errorf("%v: another session took a lock the client holds", c.sql.params)
			}
			return nil
		}, pglocks.Options{})
		if err != nil || !ran {
			t.Fatalf("%v: %v, ran %v", c.sql.params, err, ran)
		}
		if !free(t, o, c.sql, false) {
			t.Errorf("%v: not released", c.sql.params)
		}
		// and the other way round; a try does not run the body
		lock(t, o, c.sql, false)
		if _, err := pglocks.Do(ctx, db, c.key, notRun(t), pglocks.Options{NoWait: true}); !errors.Is(err, pglocks.ErrNotAcquired) {
			t.Errorf("%v: a lock another session holds: %v", c.sql.params, err)
		}
		unlock(t, o, c.sql, false)
		if n, err := pglocks.Do(ctx, db, c.key, func(*sql.Conn) (int, error) { return 1, nil },
			pglocks.Options{NoWait: true}); n != 1 || err != nil {
			t.Errorf("%v: a try on a free lock: %v, %v", c.sql.params, n, err)
		}
	}
	// a bigint and a pair are never the same lock (docs/key-hashing.md)
	must(t, pglocks.WithLock(ctx, db, pglocks.Int64(1<<32|2), func(*sql.Conn) error {
		if !free(t, o, pair(1, 2), false) {
			t.Error("Int64(1<<32 | 2) is Pair(1, 2)")
		}
		return nil
	}, pglocks.Options{}))
}

func TestTheExtensionsLockIsTheClientsLock(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	run(t, o, "CREATE EXTENSION IF NOT EXISTS pglocks")
	serverTry := func(key string) bool {
		return value[bool](t, o, "SELECT pglocks.lock($1::text, wait => false)", key)
	}
	must(t, pglocks.WithLock(ctx, db, pglocks.String("ext:orders:42"), func(*sql.Conn) error {
		if serverTry("ext:orders:42") {
			t.Error("pglocks.lock took a lock the client holds")
		}
		return nil
	}, pglocks.Options{}))
	if !serverTry("ext:orders:42") {
		t.Fatal("not released")
	}
	if _, err := pglocks.Do(ctx, db, pglocks.String("ext:orders:42"), notRun(t),
		pglocks.Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, pglocks.ErrNotAcquired) {
		t.Errorf("the client took a lock pglocks.lock holds: %v", err)
	}
	run(t, o, "SELECT pglocks.unlock($1::text)", "ext:orders:42")
}

func TestBadArgumentsAreRefusedBeforeAnyQuery(t *testing.T) {
	db, seen := openIntercepted(t)
	conn := pin(t, db)
	done := begin(t, conn)
	must(t, done.Commit())
	seen.statements()
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, pglocks.ErrInvalidArgument) {
			t.Errorf("%s: %v", what, err)
		}
		if sent := seen.statements(); len(sent) > 0 {
			t.Errorf("%s: sent %q", what, sent)
		}
	}
	good := pglocks.Int64(1)
	for what, key := range map[string]pglocks.Key{"the zero Key": {}, "a text key not UTF-8": pglocks.String("\xff")} {
		refused(what, pglocks.WithLock(ctx, db, key, func(*sql.Conn) error { return nil }, pglocks.Options{}))
		_, err := pglocks.Do(ctx, db, key, notRun(t), pglocks.Options{})
		refused(what, err)
		_, err = pglocks.DoConn(ctx, conn, key, notRun(t), pglocks.Options{})
		refused(what, err)
		tx := begin(t, conn)
		seen.statements()
		refused(what, pglocks.LockTx(ctx, tx, key, pglocks.Options{}))
		must(t, tx.Rollback())
		seen.statements()
	}
	for what, opts := range map[string]pglocks.Options{
		"a negative Timeout":          {Timeout: -time.Millisecond},
		"a Timeout with NoWait":       {NoWait: true, Timeout: time.Second},
		"a Timeout over lock_timeout": {Timeout: 25 * 24 * time.Hour},
	} {
		_, err := pglocks.Do(ctx, db, good, notRun(t), opts)
		refused(what, err)
		_, err = pglocks.DoConn(ctx, conn, good, notRun(t), opts)
		refused(what, err)
	}
	_, err := pglocks.Do[int](ctx, nil, good, notRun(t), pglocks.Options{})
	refused("a nil *sql.DB", err)
	_, err = pglocks.DoConn[int](ctx, nil, good, notRun(t), pglocks.Options{})
	refused("a nil *sql.Conn", err)
	refused("a nil *sql.Tx", pglocks.LockTx(ctx, nil, good, pglocks.Options{}))
	refused("a nil function", pglocks.WithLock(ctx, db, good, nil, pglocks.Options{}))
	_, err = pglocks.Do[int](ctx, db, good, nil, pglocks.Options{})
	refused("a nil function", err)
	refused("a transaction lock outside a transaction", pglocks.LockTx(ctx, done, good, pglocks.Options{}))
	if n := held(t, conn); n != 0 {
		t.Errorf("%d advisory locks held", n)
	}
}

func TestShared(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	for _, c := range []struct {
		key pglocks.Key
		sql sqlKey
	}{{pglocks.String("shared"), bigint(pglocks.KeyID("shared"))}, {pglocks.Pair(7, 42), pair(7, 42)}} {
		must(t, pglocks.WithLock(ctx, db, c.key, func(*sql.Conn) error {
			if !free(t, o, c.sql, true) {
				t.Error("two shared holders do not coexist")
			}
			if free(t, o, c.sql, false) {
				t.Error("a shared lock does not exclude an exclusive one")
			}
			return nil
		}, pglocks.Options{Shared: true}))
		lock(t, o, c.sql, true)
		if _, err := pglocks.Do(ctx, db, c.key, func(*sql.Conn) (int, error) { return 0, nil },
			pglocks.Options{Shared: true, NoWait: true}); err != nil {
			t.Errorf("shared beside shared: %v", err)
		}
		if _, err := pglocks.Do(ctx, db, c.key, notRun(t), pglocks.Options{NoWait: true}); !errors.Is(err, pglocks.ErrNotAcquired) {
			t.Errorf("exclusive beside shared: %v", err)
		}
		unlock(t, o, c.sql, true)
		if !free(t, o, c.sql, false) {
			t.Error("a shared lock left behind")
		}
	}
}

func TestTimeout(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	conn := pin(t, db)
	id := pglocks.KeyID("timed")
	key, sk := pglocks.Int64(id), bigint(id)
	run(t, conn, "SET lock_timeout = '3s'")
	showLockTimeout := func(q querier) string { return value[string](t, q, "SHOW lock_timeout") }

	// runs out: not acquired, after waiting that long
	lock(t, o, sk, false)
	start := time.Now()
	_, err := pglocks.DoConn(ctx, conn, key, notRun(t), pglocks.Options{Timeout: 300 * time.Millisecond})
	if elapsed := time.Since(start); !errors.Is(err, pglocks.ErrNotAcquired) || elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("a timeout of 300ms: %v after %v", err, elapsed)
	}
	if got := showLockTimeout(conn); got != "3s" {
		t.Errorf("lock_timeout is %s, not the caller's 3s", got)
	}

	// a waiter in the queue gets the lock when the holder lets it go
	released := releaseWhenWaiting(o, id, 200*time.Millisecond)
	start = time.Now()
	got, err := pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (string, error) { return "ran", nil },
		pglocks.Options{Timeout: 10 * time.Second})
	elapsed := time.Since(start)
	must(t, <-released)
	if err != nil || got != "ran" || elapsed < 200*time.Millisecond {
		t.Errorf("granted in the queue: %q, %v after %v", got, err, elapsed)
	}

	// in a transaction: left usable, with its lock_timeout
	tx := begin(t, conn)
	run(t, tx, "SET LOCAL lock_timeout = '7s'")
	lock(t, o, sk, false)
	if _, err := pglocks.DoConn(ctx, conn, key, notRun(t), pglocks.Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, pglocks.ErrNotAcquired) {
		t.Errorf("in a transaction: %v", err)
	}
	if value[int](t, tx, "SELECT 1") != 1 || showLockTimeout(tx) != "7s" || held(t, tx) != 0 {
		t.Errorf("the transaction after a timeout: lock_timeout %s, %d advisory locks", showLockTimeout(tx), held(t, tx))
	}
	released = releaseWhenWaiting(o, id, 100*time.Millisecond)
	_, err = pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) {
		if got := showLockTimeout(tx); got != "7s" {
			t.Errorf("in the body, lock_timeout is %s, not the caller's 7s", got)
		}
		return 0, nil
	}, pglocks.Options{Timeout: 10 * time.Second})
	must(t, err)
	must(t, <-released)
	if showLockTimeout(tx) != "7s" || held(t, tx) != 0 {
		t.Errorf("after the body: lock_timeout %s, %d advisory locks", showLockTimeout(tx), held(t, tx))
	}
	must(t, tx.Commit())
	if got := showLockTimeout(conn); got != "3s" {
		t.Errorf("lock_timeout is %s after the transaction", got)
	}
}

// The lock granted just as the timeout fires (or a cancel): the lock
// statements go to pg_temp functions that take the lock and then fail.
func TestTimeoutRace(t *testing.T) {
	db, i := openIntercepted(t)
	conn := pin(t, db)
	for _, fn := range []string{"lock", "lock_shared", "xact_lock", "xact_lock_shared"} {
		for _, params := range [][2]string{{"k bigint", "k"}, {"k1 int, k2 int", "k1, k2"}} {
			run(t, conn, fmt.Sprintf("CREATE FUNCTION pg_temp.raced_%s(%s) RETURNS void LANGUAGE plpgsql AS $$ "+
				"BEGIN PERFORM pg_advisory_%s(%s); RAISE EXCEPTION 'granted as the wait ended' "+
				"USING ERRCODE = current_setting('pglocks_test.sqlstate'); END $$", fn, params[0], fn, params[1]))
		}
	}
	raced := regexp.MustCompile(`pg_catalog\.pg_advisory_((?:xact_)?lock(?:_shared)?)\(`)
	i.setRewrite(func(query string) string { return raced.ReplaceAllString(query, "pg_temp.raced_$1(") })
	defer i.setRewrite(nil)

	for _, sqlstate := range []string{"55P03", "57014"} {
		run(t, conn, "SELECT pg_catalog.set_config('pglocks_test.sqlstate', $1::text, false)", sqlstate)
		for _, opts := range []pglocks.Options{{Timeout: time.Second}, {Shared: true}} {
			// a 55P03 is "not acquired" only from our Timeout: without one,
			// it is the caller's lock_timeout, and the caller's error
			outcome := func(what string, err error) {
				t.Helper()
				if sqlstate == "55P03" && opts.Timeout > 0 {
					if !errors.Is(err, pglocks.ErrNotAcquired) {
						t.Errorf("%s, %s: %v", sqlstate, what, err)
					}
				} else if errors.Is(err, pglocks.ErrNotAcquired) || sqlState(err) != sqlstate {
					t.Errorf("%s, %s, %+v: %v", sqlstate, what, opts, err)
				}
			}
			_, err := pglocks.DoConn(ctx, conn, pglocks.String("raced"), notRun(t), opts)
			outcome("outside a transaction", err)
			if n := held(t, conn); n != 0 {
				t.Errorf("%s, outside a transaction: %d advisory locks left", sqlstate, n)
			}

			tx := begin(t, conn)
			run(t, tx, "SET LOCAL lock_timeout = '7s'")
			_, err = pglocks.DoConn(ctx, conn, pglocks.Pair(-1, -2), notRun(t), opts)
			outcome("in a transaction", err)
			if n := held(t, tx); n != 0 {
				t.Errorf("%s, in a transaction: %d advisory locks left", sqlstate, n)
			}
			outcome("a transaction lock", pglocks.LockTx(ctx, tx, pglocks.Int64(-3), opts))
			if n := held(t, tx); n != 0 {
				t.Errorf("%s, a transaction lock: %d advisory locks left", sqlstate, n)
			}
			if got := value[string](t, tx, "SHOW lock_timeout"); got != "7s" {
				t.Errorf("lock_timeout is %s in the caller's transaction", got)
			}
			must(t, tx.Commit()) // not aborted
		}
	}
}

func TestSessionScope(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	conn := pin(t, db)
	id := pglocks.KeyID("scoped")
	key, sk := pglocks.Int64(id), bigint(id)
	run(t, o, "DROP TABLE IF EXISTS pglocks_go_rows")
	run(t, o, "CREATE TABLE pglocks_go_rows (step text)")
	t.Cleanup(func() { o.ExecContext(ctx, "DROP TABLE pglocks_go_rows") })
	busy := func(*sql.Conn) (int, error) {
		if free(t, o, sk, false) {
			t.Error("the lock is not held in the body")
		}
		return 0, nil
	}
	released := func(what string) {
		t.Helper()
		if !free(t, o, sk, false) {
			t.Fatalf("%s: the lock was left behind", what)
		}
	}
	aborted := func(what string, tx *sql.Tx) {
		t.Helper()
		if _, err := tx.ExecContext(ctx, "SELECT 1"); sqlState(err) != "25P02" {
			t.Errorf("%s: the transaction is not aborted: %v", what, err)
		}
	}
	panics := func(body func()) (recovered any) {
		defer func() { recovered = recover() }()
		body()
		return nil
	}

	// outside a transaction: a normal return, the body's error, a panic
	_, err := pglocks.Do(ctx, db, key, busy, pglocks.Options{})
	must(t, err)
	released("a normal return")
	if err := pglocks.WithLock(ctx, db, key, func(*sql.Conn) error { return boom }, pglocks.Options{}); err != boom {
		t.Errorf("the body's error came back as %v", err)
	}
	released("the body's error")
	if r := panics(func() {
		pglocks.WithLock(ctx, db, key, func(*sql.Conn) error { panic("body") }, pglocks.Options{})
	}); r != "body" {
		t.Errorf("the panic came back as %v", r)
	}
	released("a panic")

	// in a transaction that the body leaves usable
	tx := begin(t, conn)
	if _, err := pglocks.DoConn(ctx, conn, key, func(c *sql.Conn) (int, error) {
		busy(c)
		return 0, boom
	}, pglocks.Options{}); err != boom {
		t.Errorf("in a transaction, the body's error came back as %v", err)
	}
	released("the body's error in a transaction")
	mark := func() string {
		return value[string](t, tx, "SELECT pg_catalog.current_setting('pglocks_client.savepoints', true)")
	}
	var ours string
	_, err = pglocks.DoConn(ctx, conn, key, func(c *sql.Conn) (int, error) {
		ours = mark()
		return busy(c)
	}, pglocks.Options{})
	must(t, err)
	released("a normal return in a transaction")
	if !strings.HasPrefix(ours, "pglocks_") || mark() != "" {
		t.Errorf("the savepoints listed: %q in the body, %q after it", ours, mark())
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+ours); sqlState(err) != "3B001" {
		t.Errorf("savepoint %s is still there after the body: %v", ours, err)
	}
	must(t, tx.Rollback())

	// in a transaction the body aborts
	tx = begin(t, conn)
	_, err = pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) {
		_, err := tx.ExecContext(ctx, "SELECT 1 / 0")
		return 0, err
	}, pglocks.Options{})
	if sqlState(err) != "22012" {
		t.Errorf("the body's error came back as %v", err)
	}
	released("a body that aborted the transaction")
	aborted("a body that aborted the transaction", tx)
	must(t, tx.Rollback())

	// ... and swallows the error: nothing commits
	tx = begin(t, conn)
	run(t, tx, "INSERT INTO pglocks_go_rows VALUES ('swallowed')")
	_, err = pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) {
		tx.ExecContext(ctx, "SELECT 1 / 0")
		return 0, nil
	}, pglocks.Options{})
	if sqlState(err) != "25P02" || !strings.Contains(err.Error(), "aborted inside an advisory lock") {
		t.Errorf("a swallowed error: %v", err)
	}
	released("a swallowed error")
	aborted("a swallowed error", tx)
	if err := tx.Commit(); err == nil {
		t.Error("an aborted transaction committed")
	}
	if n := value[int](t, o, "SELECT count(*) FROM pglocks_go_rows"); n != 0 {
		t.Errorf("%d rows committed", n)
	}

	// ... and panics
	tx = begin(t, conn)
	if r := panics(func() {
		pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) {
			tx.ExecContext(ctx, "SELECT 1 / 0")
			panic("body")
		}, pglocks.Options{})
	}); r != "body" {
		t.Errorf("the panic came back as %v", r)
	}
	released("a panic in an aborted transaction")
	aborted("a panic in an aborted transaction", tx)
	must(t, tx.Rollback())
	if n := held(t, conn); n != 0 {
		t.Errorf("%d advisory locks held", n)
	}
}

func TestABodyThatEndsTheTransaction(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	conn := pin(t, db)
	id := pglocks.KeyID("manual")
	key, sk := pglocks.Int64(id), bigint(id)
	run(t, o, "DROP TABLE IF EXISTS pglocks_go_steps")
	run(t, o, "CREATE TABLE pglocks_go_steps (step text)")
	t.Cleanup(func() { o.ExecContext(ctx, "DROP TABLE pglocks_go_steps") })
	insert := func(q querier, step string) { run(t, q, "INSERT INTO pglocks_go_steps VALUES ($1::text)", step) }
	check := func(what string) {
		t.Helper()
		if !free(t, o, sk, false) {
			t.Errorf("%s: the lock was left behind", what)
		}
		if n := held(t, conn); n != 0 {
			t.Errorf("%s: %d advisory locks held", what, n)
		}
	}

	tx := begin(t, conn)
	_, err := pglocks.DoConn(ctx, conn, key, func(c *sql.Conn) (int, error) {
		insert(tx, "committed")
		must(t, tx.Commit())
		again := begin(t, c)
		insert(again, "rolled back")
		return 0, again.Rollback()
	}, pglocks.Options{})
	must(t, err)
	check("a body that committed")

	tx = begin(t, conn)
	_, err = pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) {
		insert(tx, "rolled back")
		return 0, tx.Rollback()
	}, pglocks.Options{})
	must(t, err)
	check("a body that rolled back")

	tx = begin(t, conn)
	insert(tx, "kept")
	run(t, tx, "SAVEPOINT mine")
	_, err = pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) {
		insert(tx, "rolled back to a savepoint")
		run(t, tx, "ROLLBACK TO SAVEPOINT mine")
		return 0, nil
	}, pglocks.Options{})
	must(t, err)
	must(t, tx.Commit())
	check("a body that rolled back to an older savepoint")

	rows, err := o.QueryContext(ctx, "SELECT step FROM pglocks_go_steps ORDER BY step")
	must(t, err)
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var step string
		must(t, rows.Scan(&step))
		steps = append(steps, step)
	}
	if strings.Join(steps, ",") != "committed,kept" {
		t.Errorf("rows committed: %q", steps)
	}
}

func TestNestedLocksOfOneKey(t *testing.T) {
	db, i := openIntercepted(t)
	o := other(t)
	key, sk := pglocks.String("nested"), bigint(pglocks.KeyID("nested"))
	outerHeld := func(what string) {
		t.Helper()
		if free(t, o, sk, false) {
			t.Errorf("%s released the outer hold", what)
		}
	}
	n, err := pglocks.Do(ctx, db, key, func(c *sql.Conn) (int, error) {
		inner, err := pglocks.DoConn(ctx, c, key, func(*sql.Conn) (int, error) { return 1, nil }, pglocks.Options{})
		must(t, err)
		outerHold := func() { outerHeld("the inner lock") }
		outerHold()
		if _, err := pglocks.DoConn(ctx, c, key, func(*sql.Conn) (int, error) { return 0, nil },
			pglocks.Options{Timeout: time.Second}); err != nil {
			t.Errorf("a nested lock with a timeout: %v", err)
		}
		outerHold()

		// a nested attempt that fails (before any grant) in a transaction
		// and outside one
		i.setRewrite(func(query string) string {
			return strings.Replace(query, "pg_catalog.pg_advisory_lock(", "no_such_function(", 1)
		})
		tx := begin(t, c)
		if _, err := pglocks.DoConn(ctx, c, key, notRun(t), pglocks.Options{}); sqlState(err) != "42883" {
			t.Errorf("a failed attempt: %v", err)
		}
		if value[int](t, tx, "SELECT 1") != 1 {
			t.Error("a failed attempt left the transaction aborted")
		}
		must(t, tx.Rollback())
		outerHeld("a failed attempt in a transaction")
		if _, err := pglocks.DoConn(ctx, c, key, notRun(t), pglocks.Options{}); sqlState(err) != "42883" {
			t.Errorf("a failed attempt: %v", err)
		}
		outerHeld("a failed attempt")
		i.setRewrite(nil)
		return inner + 1, nil
	}, pglocks.Options{})
	if n != 2 || err != nil {
		t.Errorf("nested: %d, %v", n, err)
	}
	if !free(t, o, sk, false) {
		t.Error("the lock was left behind")
	}
}

func TestTransactionScope(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	conn := pin(t, db)
	id := pglocks.KeyID("xact")
	key, sk := pglocks.Int64(id), bigint(id)

	tx := begin(t, conn)
	must(t, pglocks.LockTx(ctx, tx, key, pglocks.Options{}))
	run(t, tx, "SELECT 1")
	if free(t, o, sk, false) {
		t.Error("a transaction lock released before the transaction ended")
	}
	must(t, tx.Commit())
	if !free(t, o, sk, false) {
		t.Error("a transaction lock held after commit")
	}

	tx = begin(t, conn)
	must(t, pglocks.LockTx(ctx, tx, pglocks.Pair(3, 4), pglocks.Options{Shared: true}))
	if !free(t, o, pair(3, 4), true) || free(t, o, pair(3, 4), false) {
		t.Error("a shared transaction lock is not one")
	}
	must(t, tx.Rollback())
	if !free(t, o, pair(3, 4), false) {
		t.Error("a transaction lock held after rollback")
	}

	// busy: not acquired, and the transaction as it was
	lock(t, o, sk, false)
	tx = begin(t, conn)
	run(t, tx, "SET LOCAL lock_timeout = '7s'")
	if err := pglocks.LockTx(ctx, tx, key, pglocks.Options{NoWait: true}); !errors.Is(err, pglocks.ErrNotAcquired) {
		t.Errorf("a try: %v", err)
	}
	start := time.Now()
	err := pglocks.LockTx(ctx, tx, key, pglocks.Options{Timeout: 200 * time.Millisecond})
	if elapsed := time.Since(start); !errors.Is(err, pglocks.ErrNotAcquired) || elapsed < 200*time.Millisecond {
		t.Errorf("a timeout: %v after %v", err, elapsed)
	}
	if held(t, tx) != 0 || value[string](t, tx, "SHOW lock_timeout") != "7s" {
		t.Error("not acquired, but the transaction changed")
	}
	released := releaseWhenWaiting(o, id, 100*time.Millisecond)
	must(t, pglocks.LockTx(ctx, tx, key, pglocks.Options{Timeout: 10 * time.Second}))
	must(t, <-released)
	if got := value[string](t, tx, "SHOW lock_timeout"); got != "7s" {
		t.Errorf("lock_timeout is %s after the lock", got)
	}
	if free(t, o, sk, false) {
		t.Error("not held after a wait")
	}
	must(t, tx.Commit())
	if !free(t, o, sk, false) {
		t.Error("held after commit")
	}
}

func TestReturnValueAndOneConnection(t *testing.T) {
	db := connect(t, "")
	db.SetMaxOpenConns(3)
	o := other(t)
	id := pglocks.KeyID("value")
	key, sk := pglocks.Int64(id), bigint(id)
	type result struct{ pid, holder int }
	got, err := pglocks.Do(ctx, db, key, func(c *sql.Conn) (result, error) {
		// another connection of the same pool is another session
		c2 := pin(t, db)
		if free(t, c2, sk, false) {
			t.Error("another connection of the pool took the lock")
		}
		c2.Close()
		return result{
			pid: value[int](t, c, "SELECT pg_catalog.pg_backend_pid()"),
			holder: value[int](t, o, "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "+
				"AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint", id),
		}, nil
	}, pglocks.Options{})
	must(t, err)
	if got.pid == 0 || got.pid != got.holder {
		t.Errorf("the body's connection is %d, the holder %d", got.pid, got.holder)
	}
	lock(t, o, sk, false)
	if got, err := pglocks.Do(ctx, db, key, func(*sql.Conn) (string, error) { return "ran", nil },
		pglocks.Options{NoWait: true}); got != "" || !errors.Is(err, pglocks.ErrNotAcquired) {
		t.Errorf("not acquired: %q, %v", got, err)
	}
	unlock(t, o, sk, false)
}

func TestTheUnlockIsChecked(t *testing.T) {
	db := connect(t, "")
	conn := pin(t, db)
	id := pglocks.KeyID("unlocked")
	key, sk := pglocks.Int64(id), bigint(id)
	unlocks := func(c *sql.Conn) (int, error) {
		unlock(t, c, sk, false)
		return 0, nil
	}
	if _, err := pglocks.Do(ctx, db, key, unlocks, pglocks.Options{}); !errors.Is(err, pglocks.ErrNotHeld) {
		t.Errorf("a body that unlocked: %v", err)
	}
	if err := pglocks.WithLock(ctx, db, key, func(c *sql.Conn) error {
		unlocks(c)
		return boom
	}, pglocks.Options{}); err != boom {
		t.Errorf("a body that unlocked and failed: %v", err)
	}
	tx := begin(t, conn)
	if _, err := pglocks.DoConn(ctx, conn, key, unlocks, pglocks.Options{}); !errors.Is(err, pglocks.ErrNotHeld) {
		t.Errorf("a body that unlocked, in a transaction: %v", err)
	}
	if value[int](t, tx, "SELECT 1") != 1 || held(t, tx) != 0 {
		t.Error("the transaction after the check")
	}
	must(t, tx.Rollback())
}

// A cancelled context ends the wait; lib/pq then closes the connection,
// which ends its session.
func TestCancelDuringTheWait(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	id := pglocks.KeyID("cancelled")
	key, sk := pglocks.Int64(id), bigint(id)
	for _, inTransaction := range []bool{false, true} {
		lock(t, o, sk, false)
		conn := pin(t, db)
		var tx *sql.Tx
		if inTransaction {
			tx = begin(t, conn)
		}
		cancelled, cancel := context.WithCancel(ctx)
		go func() {
			for deadline := time.Now().Add(10 * time.Second); !waitingFor(o, id) && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		_, err := pglocks.DoConn(cancelled, conn, key, notRun(t), pglocks.Options{})
		cancel()
		if err == nil || errors.Is(err, pglocks.ErrNotAcquired) {
			t.Errorf("in a transaction %v: %v", inTransaction, err)
		}
		eventually(t, "the waiter leaves the queue", func() bool { return !waiting(t, o, id) })
		unlock(t, o, sk, false)
		if n := value[int](t, o, "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "+
			"AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint", id); n != 0 {
			t.Errorf("in a transaction %v: the key is still locked", inTransaction)
		}
		if tx != nil {
			tx.Rollback()
		}
	}
}

func waitingFor(q querier, id int64) bool {
	var w bool
	err := q.QueryRowContext(ctx, "SELECT count(*) > 0 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "+
		"AND NOT granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint", id).Scan(&w)
	return err == nil && w
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

func TestTypedParameters(t *testing.T) {
	db, seen := openIntercepted(t)
	o := other(t)
	conn := pin(t, db)
	lock(t, o, bigint(99), false)
	body := func(*sql.Conn) (int, error) { return 0, nil }
	all := []pglocks.Options{{}, {Shared: true}, {NoWait: true}, {Timeout: 50 * time.Millisecond}}
	for _, c := range []struct {
		key  pglocks.Key
		opts []pglocks.Options
	}{
		{pglocks.String("typed"), all}, {pglocks.Int64(42), all}, {pglocks.Pair(4, 2), all},
		{pglocks.Int64(99), all[2:]}, // busy: not acquired, and a timeout's error
	} {
		for _, opts := range c.opts {
			pglocks.Do(ctx, db, c.key, body, opts)
			tx := begin(t, conn)
			pglocks.DoConn(ctx, conn, c.key, body, opts)
			pglocks.LockTx(ctx, tx, c.key, opts)
			must(t, tx.Rollback())
		}
	}
	unlock(t, o, bigint(99), false)
	leftover := false
	for _, query := range seen.statements() {
		for _, at := range placeholder.FindAllStringIndex(query, -1) {
			if !strings.HasPrefix(query[at[1]:], "::") {
				t.Errorf("an untyped parameter: %s", query)
			}
		}
		leftover = leftover || strings.Contains(query, "pg_locks")
	}
	if !leftover {
		t.Error("no grant race was given back")
	}
}

func TestWithoutTheExtension(t *testing.T) {
	admin := other(t)
	name := fmt.Sprintf("pglocks_go_%d", os.Getpid())
	run(t, admin, "DROP DATABASE IF EXISTS "+name)
	run(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)") })
	db := connect(t, "dbname="+name)
	o := pin(t, db)
	if value[bool](t, o, "SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pglocks') "+
		"OR pg_catalog.to_regnamespace('pglocks') IS NOT NULL") {
		t.Fatal("the fresh database has pglocks")
	}
	key, sk := pglocks.String("no extension"), bigint(pglocks.KeyID("no extension"))
	_, err := pglocks.Do(ctx, db, key, func(*sql.Conn) (int, error) {
		if free(t, o, sk, false) {
			t.Error("not held")
		}
		return 0, nil
	}, pglocks.Options{Timeout: time.Second})
	must(t, err)
	conn := pin(t, db)
	tx := begin(t, conn)
	_, err = pglocks.DoConn(ctx, conn, key, func(*sql.Conn) (int, error) { return 0, nil }, pglocks.Options{NoWait: true})
	must(t, err)
	must(t, pglocks.LockTx(ctx, tx, key, pglocks.Options{Timeout: time.Second}))
	if free(t, o, sk, false) {
		t.Error("the transaction lock is not held")
	}
	must(t, tx.Commit())
	lock(t, o, sk, false)
	if _, err := pglocks.Do(ctx, db, key, notRun(t), pglocks.Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, pglocks.ErrNotAcquired) {
		t.Errorf("busy: %v", err)
	}
	unlock(t, o, sk, false)
	if n := held(t, conn); n != 0 {
		t.Errorf("%d advisory locks held", n)
	}
}
