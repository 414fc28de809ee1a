package livetest

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	pglocks "github.com/pglocks/pglocks/clients/go/v2"
)

// A 55P03 from the caller's own lock_timeout, on a lock without a Timeout,
// is the caller's error, not "not acquired" (docs/clients.md, step 3).
func TestCallersLockTimeoutIsAnError(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	conn := pin(t, db)
	id := pglocks.KeyID("callers lock_timeout")
	key, sk := pglocks.Int64(id), bigint(id)
	lock(t, o, sk, false)
	defer unlock(t, o, sk, false)
	run(t, conn, "SET lock_timeout = '100ms'")
	_, err := pglocks.DoConn(ctx, conn, key, notRun(t), pglocks.Options{})
	if errors.Is(err, pglocks.ErrNotAcquired) || sqlState(err) != "55P03" {
		t.Errorf("outside a transaction: %v", err)
	}
	tx := begin(t, conn)
	_, err = pglocks.DoConn(ctx, conn, key, notRun(t), pglocks.Options{})
	if errors.Is(err, pglocks.ErrNotAcquired) || sqlState(err) != "55P03" {
		t.Errorf("in a transaction: %v", err)
	}
	err = pglocks.LockTx(ctx, tx, key, pglocks.Options{})
	if errors.Is(err, pglocks.ErrNotAcquired) || sqlState(err) != "55P03" {
		t.Errorf("a transaction lock: %v", err)
	}
	if value[int](t, tx, "SELECT 1") != 1 || held(t, tx) != 0 {
		t.Error("the transaction is not left as it was")
	}
	must(t, tx.Rollback())
}

// fn, in the caller's transaction, has its query cancelled by a context
// (lib/pq drops the connection) and swallows the error: DoConn must return
// an error, not hang closing a *sql.Conn a transaction is open on.
func TestSwallowedCancelInATransaction(t *testing.T) {
	db := connect(t, "")
	o := other(t)
	conn := pin(t, db)
	id := pglocks.KeyID("swallowed cancel")
	key, sk := pglocks.Int64(id), bigint(id)
	tx := begin(t, conn)
	done := make(chan error, 1)
	go func() {
		_, err := pglocks.DoConn(ctx, conn, key, func(c *sql.Conn) (int, error) {
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			c.ExecContext(short, "SELECT pg_catalog.pg_sleep(5)") // error swallowed
			return 0, nil
		}, pglocks.Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("DoConn returned no error over a connection lost in the body")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("DoConn hangs")
	}
	tx.Rollback()
	eventually(t, "the lock is free", func() bool { return free(t, o, sk, false) })
}
