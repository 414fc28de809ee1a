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
// a big-endian signed integer: pglocks.key_id(key).
func KeyID(key string) int64 {
	sum := sha256.Sum256([]byte(key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// CRC32KeyID is django-pglocks 1.x's id: the CRC-32 (IEEE) of the key's
// UTF-8 bytes as a signed 32-bit integer: pglocks.crc32_key_id(key).
func CRC32KeyID(key string) int64 {
	return int64(int32(crc32.ChecksumIEEE([]byte(key))))
}

// Key is a lock key: String, Int64 or Pair.
type Key struct {
	args   string
	params []any
}

// String keys are hashed with KeyID.
func String(key string) Key { return Int64(KeyID(key)) }

// Int64 is a bigint key, as in pg_advisory_lock(bigint).
func Int64(key int64) Key { return Key{"$1::bigint", []any{key}} }

// Pair is a two-int key, as in pg_advisory_lock(int, int).
func Pair(key1, key2 int32) Key { return Key{"$1::int, $2::int", []any{key1, key2}} }

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
			// the connection cannot be trusted with a lock it may still
			// hold: close it instead of returning it to the pool
			conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("pglocks: releasing the lock: %w", uerr)
			}
		}
	}()
	return fn(conn)
}

func acquire(ctx context.Context, conn *sql.Conn, key Key, suffix string, opts Options) (bool, error) {
	var ok bool
	switch {
	case opts.NoWait:
		q := fmt.Sprintf("SELECT pg_try_advisory_lock%s(%s)", suffix, key.args)
		err := conn.QueryRowContext(ctx, q, key.params...).Scan(&ok)
		return ok, err
	case opts.Timeout > 0:
		// lock_timeout for this one statement, in a transaction of its own
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return false, err
		}
		ms := (opts.Timeout + time.Millisecond - 1) / time.Millisecond
		if _, err = tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", ms)); err == nil {
			q := fmt.Sprintf("SELECT pg_advisory_lock%s(%s)", suffix, key.args)
			_, err = tx.ExecContext(ctx, q, key.params...)
		}
		if err != nil {
			tx.Rollback()
			if isLockNotAvailable(err) {
				return false, nil
			}
			return false, err
		}
		return true, tx.Commit()
	default:
		q := fmt.Sprintf("SELECT pg_advisory_lock%s(%s)", suffix, key.args)
		_, err := conn.ExecContext(ctx, q, key.params...)
		return err == nil, err
	}
}

// isLockNotAvailable: SQLSTATE 55P03, what lock_timeout raises. Drivers
// (lib/pq, pgx) expose the SQLSTATE through an SQLState method.
func isLockNotAvailable(err error) bool {
	var coded interface{ SQLState() string }
	return errors.As(err, &coded) && coded.SQLState() == "55P03"
}
