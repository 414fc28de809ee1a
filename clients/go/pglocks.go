// Package pglocks runs Go code under PostgreSQL advisory locks over
// database/sql, with the key ids of the pglocks extension
// (docs/key-hashing.md). It uses PostgreSQL's own advisory lock functions:
// a key locked here is the same lock as pglocks.lock(key) in SQL, and the
// server needs no extension.
//
// A session lock (Do, DoConn, WithLock) is held while a function runs on one
// connection and released when it returns, panics or fails, also when it left
// the transaction it ran in aborted. A transaction lock (LockTx) is held until
// the transaction ends.
package pglocks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Version is the pglocks release this package belongs to.
const Version = "2.1.0"

// Options: Shared takes a shared lock (default: exclusive). NoWait only takes
// the lock if it is free now. Timeout, if not zero, waits at most that long
// in the server's lock queue (lock_timeout, rounded up to milliseconds); zero
// is no timeout, as everywhere in Go. A lock not taken (NoWait, or the
// Timeout ran out) is ErrNotAcquired, and the function is not run.
type Options struct {
	Shared  bool
	NoWait  bool
	Timeout time.Duration
}

var (
	// ErrNotAcquired: the lock was busy (NoWait) or the Timeout ran out.
	// The caller's transaction, if any, is as it was.
	ErrNotAcquired = errors.New("pglocks: lock not acquired")
	// ErrInvalidArgument wraps every refusal of an argument, which comes
	// before any query.
	ErrInvalidArgument = errors.New("pglocks: invalid argument")
	// ErrNotHeld: at the end of a function that returned normally, the lock
	// was no longer held (the function released it itself).
	ErrNotHeld = errors.New("pglocks: the lock was no longer held at the end of the function (released inside it?)")
)

// WithLock is Do for a function that returns only an error.
func WithLock(ctx context.Context, db *sql.DB, key Key, fn func(*sql.Conn) error, opts Options) error {
	if fn == nil {
		return invalid("a nil function")
	}
	_, err := Do(ctx, db, key, func(c *sql.Conn) (struct{}, error) { return struct{}{}, fn(c) }, opts)
	return err
}

// Do pins one connection of db, takes a session lock on key on it, runs fn
// with that connection and returns what fn returns. The lock is released
// however fn ends, and the connection goes back to the pool (or is closed if
// its state is unknown). fn's error is returned as it is.
func Do[T any](ctx context.Context, db *sql.DB, key Key, fn func(*sql.Conn) (T, error), opts Options) (T, error) {
	var zero T
	if db == nil {
		return zero, invalid("a nil *sql.DB")
	}
	if err := arguments(key, opts, fn == nil); err != nil {
		return zero, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return zero, err
	}
	// database/sql hands out no connection with a transaction open on it:
	// there is no transaction to look for.
	h := &hold{conn: conn, key: key, shared: opts.Shared}
	defer func() {
		if h.abortedByUs {
			discard(conn) // not back to the pool in a transaction nobody owns
		}
		conn.Close()
	}()
	return run(ctx, h, fn, opts)
}

// DoConn is Do on a connection already pinned, such as the one a function
// given to Do gets: locks nest, also of the same key. The connection may
// have a transaction open (conn.BeginTx, or BEGIN): then the lock is taken
// after a savepoint, and if fn leaves the transaction aborted, the lock is
// released and the transaction aborted again, so that it must still be
// rolled back and nothing in it can commit (an error with SQLSTATE 25P02 is
// returned if fn returned normally). fn may commit or roll back that
// transaction. Finding out whether a transaction is open costs two round
// trips.
func DoConn[T any](ctx context.Context, conn *sql.Conn, key Key, fn func(*sql.Conn) (T, error), opts Options) (T, error) {
	var zero T
	if conn == nil {
		return zero, invalid("a nil *sql.Conn")
	}
	if err := arguments(key, opts, fn == nil); err != nil {
		return zero, err
	}
	h := &hold{conn: conn, key: key, shared: opts.Shared}
	if err := h.findTransaction(ctx); err != nil {
		return zero, err
	}
	return run(ctx, h, fn, opts)
}

// LockTx takes a transaction lock on key in tx: it is held until tx commits
// or rolls back. The lock is taken inside a savepoint, so a lock not taken
// (ErrNotAcquired) or an error while waiting leaves tx as it was. A
// transaction already over is refused (ErrInvalidArgument).
func LockTx(ctx context.Context, tx *sql.Tx, key Key, opts Options) error {
	if tx == nil {
		return invalid("a nil *sql.Tx")
	}
	if err := arguments(key, opts, false); err != nil {
		return err
	}
	savepoint := nextSavepoint()
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		if errors.Is(err, sql.ErrTxDone) {
			return invalid("a transaction lock needs an open transaction: " + err.Error())
		}
		return err
	}
	prev, err := lock(ctx, tx, key, true, opts)
	if err != nil {
		// also gives back a lock granted as the statement failed: it is
		// the savepoint's. If that fails, the first error is the one to
		// report, and tx must be rolled back.
		background := context.Background() // ctx may be what ended the wait
		if _, rerr := tx.ExecContext(background, "ROLLBACK TO SAVEPOINT "+savepoint); rerr != nil {
			return err
		}
		if _, rerr := tx.ExecContext(background, "RELEASE SAVEPOINT "+savepoint); rerr != nil {
			return err
		}
		// a 55P03 from the caller's own lock_timeout is the caller's error
		if errors.Is(err, ErrNotAcquired) || opts.Timeout > 0 && isLockNotAvailable(err) {
			return ErrNotAcquired
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+savepoint); err != nil {
		return err
	}
	return restoreLockTimeout(ctx, tx, prev)
}

// run takes the lock, runs fn and releases the lock. fn's error, or its
// panic, is what propagates; the release's error only if fn returned
// normally.
func run[T any](ctx context.Context, h *hold, fn func(*sql.Conn) (T, error), opts Options) (result T, err error) {
	if err = h.take(ctx, opts); err != nil {
		return result, err
	}
	returned := false
	defer func() {
		failed := !returned || err != nil
		if rerr := h.release(failed); !failed {
			err = rerr
		}
	}()
	result, err = fn(h.conn)
	returned = true
	return result, err
}

// lock_timeout's range, in milliseconds
const maxTimeout = math.MaxInt32 * time.Millisecond

func arguments(key Key, opts Options, noFunction bool) error {
	switch {
	case noFunction:
		return invalid("a nil function")
	case opts.Timeout < 0:
		return invalid("a negative Timeout")
	case opts.Timeout > maxTimeout:
		return invalid("a Timeout over lock_timeout's maximum, about 24.8 days")
	case opts.NoWait && opts.Timeout > 0:
		return invalid("a Timeout with NoWait")
	}
	return key.check()
}

func invalid(what string) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, what)
}
