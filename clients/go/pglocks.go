// Package pglocks computes the key ids of the pglocks PostgreSQL extension
// (docs/key-hashing.md) and runs a function under an advisory lock over
// database/sql. Locks are PostgreSQL's own advisory locks: a key locked here
// is the same lock as pglocks.lock(key) in SQL.
package pglocks

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// KeyID is the first 8 bytes of SHA-256 over the key's UTF-8 bytes, read as
// a little-endian signed integer: pglocks.key_id(key).
func KeyID(key string) int64 {
	sum := sha256.Sum256([]byte(key))
	return int64(binary.LittleEndian.Uint64(sum[:8]))
}

// CRC32KeyID is django-pglocks 1.x's id: the CRC-32 (IEEE) of the key's
// UTF-8 bytes as a signed 32-bit integer: pglocks.crc32_key_id(key).
func CRC32KeyID(key string) int64 {
	return int64(int32(crc32.ChecksumIEEE([]byte(key))))
}

// Key is a lock key: String, Int64 or Pair.
type Key struct {
	args   string // the SQL arguments of pg_advisory_lock
	row    string // its row in pg_locks, in terms of the same parameters
	params []any
}

// String keys are hashed with KeyID.
func String(key string) Key { return Int64(KeyID(key)) }

// Int64 is a bigint key, as in pg_advisory_lock(bigint).
func Int64(key int64) Key {
	return Key{"$1::bigint", "objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid " +
		"AND objid = ($1::bigint & 4294967295)::oid", []any{key}}
}

// Pair is a two-int key, as in pg_advisory_lock(int, int).
func Pair(key1, key2 int32) Key {
	return Key{"$1::int, $2::int", "objsubid = 2 AND classid = $1::int::oid AND objid = $2::int::oid",
		[]any{key1, key2}}
}

// Options: Shared takes a shared lock; NoWait only takes a free lock;
// Timeout (if > 0) waits at most that long. A lock not acquired is not an
// error: WithLock reports it and does not run fn.
type Options struct {
	Shared  bool
	NoWait  bool
	Timeout time.Duration
}

// ErrNotAcquired is returned by WithLock when the lock was busy (NoWait) or
// the Timeout ran out.
var ErrNotAcquired = errors.New("pglocks: lock not acquired")

// WithLock pins one connection of db, takes a session advisory lock on key
// on it, runs fn with that connection, and releases the lock when fn returns
// or panics. fn's error is returned as is.
func WithLock(ctx context.Context, db *sql.DB, key Key, fn func(*sql.Conn) error, opts Options) (err error) {
	if opts.NoWait && opts.Timeout > 0 {
		return errors.New("pglocks: Timeout cannot be combined with NoWait")
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	suffix := ""
	if opts.Shared {
		suffix = "_shared"
	}
	acquired, err := acquire(ctx, conn, key, suffix, opts)
	if err != nil {
		return err
	}
	if !acquired {
		return ErrNotAcquired
	}
	defer func() {
		// release on a fresh context: ctx may be what ended fn
		unlock := fmt.Sprintf("SELECT pg_advisory_unlock%s(%s)", suffix, key.args)
		if _, uerr := conn.ExecContext(context.Background(), unlock, key.params...); uerr != nil {
			discard(conn)
			if err == nil {
				err = fmt.Errorf("pglocks: releasing the lock: %w", uerr)
			}
		}
	}()
	return fn(conn)
}

func acquire(ctx context.Context, conn *sql.Conn, key Key, suffix string, opts Options) (bool, error) {
	if opts.NoWait {
		var ok bool
		q := fmt.Sprintf("SELECT pg_try_advisory_lock%s(%s)", suffix, key.args)
		err := conn.QueryRowContext(ctx, q, key.params...).Scan(&ok)
		return ok, err
	}
	lock, leftover := lockStatements(key, suffix)
	if opts.Timeout <= 0 {
		err := takeLock(ctx, conn, conn, lock, leftover, key.params)
		return err == nil, err
	}

	// lock_timeout for this one statement, in a transaction of its own
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	ms := (opts.Timeout + time.Millisecond - 1) / time.Millisecond
	if _, err = tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", ms)); err != nil {
		tx.Rollback()
		return false, err
	}
	if err = takeLock(ctx, conn, tx, lock, leftover, key.params); err != nil {
		if isLockNotAvailable(err) {
			return false, nil
		}
		return false, err
	}
	return true, tx.Commit()
}

// lockStatements: the statement that waits for the lock, and the one that
// releases a hold of it this session has in that mode, if any.
func lockStatements(key Key, suffix string) (lock, leftover string) {
	mode := "ExclusiveLock"
	if suffix == "_shared" {
		mode = "ShareLock"
	}
	lock = fmt.Sprintf("SELECT pg_advisory_lock%s(%s)", suffix, key.args)
	leftover = fmt.Sprintf("SELECT pg_advisory_unlock%s(%s) FROM pg_catalog.pg_locks "+
		"WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND mode = '%s' AND %s",
		suffix, key.args, mode, key.row)
	return lock, leftover
}

// takeLock runs the lock statement on `on` (conn, or a transaction on it,
// which it ends if the statement fails). An error can end the wait just as
// the lock is granted (lock_timeout, statement_timeout, a cancelled ctx): the
// statement fails and the session holds the lock all the same. No hold in
// this mode existed before (it would have been granted at once), so a hold
// left then is that one: leftover gives it back.
func takeLock(ctx context.Context, conn *sql.Conn, on execer, lock, leftover string, params []any) error {
	_, err := on.ExecContext(ctx, lock, params...)
	if err == nil {
		return nil
	}
	if tx, ok := on.(*sql.Tx); ok {
		tx.Rollback()
	}
	// a fresh context: ctx may be what ended the wait
	if _, lerr := conn.ExecContext(context.Background(), leftover, params...); lerr != nil {
		discard(conn)
	}
	return err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// discard closes conn instead of returning it to the pool: it cannot be
// trusted with a lock it may still hold, and ending the session releases it.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
}

// isLockNotAvailable: SQLSTATE 55P03, what lock_timeout raises. Drivers
// (lib/pq, pgx) expose the SQLSTATE through an SQLState method.
func isLockNotAvailable(err error) bool {
	var coded interface{ SQLState() string }
	return errors.As(err, &coded) && coded.SQLState() == "55P03"
}
