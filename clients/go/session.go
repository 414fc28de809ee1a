package pglocks

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A transaction-local setting that lists our savepoints that exist,
// comma-separated, innermost last: each is added before it is taken, so it
// goes away with the transaction, and with any ROLLBACK TO a savepoint older
// than it (which destroys ours too).
const (
	appendMarkSQL = "SELECT pg_catalog.set_config('pglocks_client.savepoints', pg_catalog.concat_ws(',', " +
		"NULLIF(pg_catalog.current_setting('pglocks_client.savepoints', true), ''), $1::text), true)"
	readMarkSQL  = "SELECT pg_catalog.current_setting('pglocks_client.savepoints', true)"
	writeMarkSQL = "SELECT pg_catalog.set_config('pglocks_client.savepoints', $1::text, true)"
)

const reabortSQL = "DO $pglocks$ BEGIN RAISE EXCEPTION USING ERRCODE = 'in_failed_sql_transaction', " +
	"MESSAGE = 'the transaction was aborted inside an advisory lock''s block', " +
	"HINT = 'The lock has been released; roll the transaction back.'; END $pglocks$"

var savepoints atomic.Uint64

// nextSavepoint: a savepoint name unique in this process.
func nextSavepoint() string { return "pglocks_" + strconv.FormatUint(savepoints.Add(1), 10) }

// The holds each pinned connection has through this package, by key and
// mode: a hold found after a failed lock statement is one granted as it
// failed only if there was none before.
var holds = struct {
	sync.Mutex
	n map[holdID]int
}{n: map[holdID]int{}}

type holdID struct {
	conn   *sql.Conn
	key    Key
	shared bool
}

// countHolds adds delta to a count of holds and returns it.
func countHolds(id holdID, delta int) int {
	holds.Lock()
	defer holds.Unlock()
	n := holds.n[id] + delta
	if n > 0 {
		holds.n[id] = n
	} else {
		delete(holds.n, id)
	}
	return n
}

// hold is one session lock on a pinned connection (docs/clients.md, "The
// protocol of a session lock").
type hold struct {
	conn        *sql.Conn
	key         Key
	shared      bool
	savepoint   string // ours, when a transaction was open on conn; else ""
	abortedByUs bool   // release left conn in a transaction it began
}

func (h *hold) id() holdID { return holdID{h.conn, h.key, h.shared} }

// findTransaction: a setting made transaction-local in one statement is
// still there in the next only in an open transaction (outside one, each
// statement is a transaction of its own). The one it sets is the marker,
// with the name of the savepoint take will make.
func (h *hold) findTransaction(ctx context.Context) error {
	name := nextSavepoint()
	var appended string
	if err := h.conn.QueryRowContext(ctx, appendMarkSQL, name).Scan(&appended); err != nil {
		return err
	}
	var mark sql.NullString
	if err := h.conn.QueryRowContext(ctx, readMarkSQL).Scan(&mark); err != nil {
		return err
	}
	if mark.String == appended {
		h.savepoint = name
	}
	return nil
}

func (h *hold) take(ctx context.Context, opts Options) error {
	if h.savepoint != "" {
		if _, err := h.conn.ExecContext(ctx, "SAVEPOINT "+h.savepoint); err != nil {
			return err
		}
	}
	heldBefore := countHolds(h.id(), 0) > 0
	prev, err := lock(ctx, h.conn, h.key, false, opts)
	if errors.Is(err, ErrNotAcquired) {
		if h.savepoint != "" {
			if _, err := h.conn.ExecContext(context.Background(), "RELEASE SAVEPOINT "+h.savepoint); err != nil {
				return err
			}
		}
		return ErrNotAcquired
	}
	if err != nil {
		return h.lockFailed(err, heldBefore, opts.Timeout > 0)
	}
	countHolds(h.id(), 1)
	if h.savepoint != "" {
		if err := restoreLockTimeout(ctx, h.conn, prev); err != nil {
			h.release(true)
			return err
		}
	}
	return nil
}

// lockFailed: an error (lock_timeout, a cancel, statement_timeout) can end
// the wait just as the lock is granted, and the session holds it all the
// same. If it held none in this mode before (that would have been granted
// at once, with no wait to interrupt), a hold found now is that one. A 55P03
// is "not acquired" only when timed (our Timeout): from the caller's own
// lock_timeout it is the caller's error.
func (h *hold) lockFailed(err error, heldBefore, timed bool) error {
	background := context.Background() // ctx may be what ended the wait
	if h.savepoint != "" {
		if !usable(h.conn) {
			return err
		}
		if _, rerr := h.conn.ExecContext(background, "ROLLBACK TO SAVEPOINT "+h.savepoint); rerr != nil {
			return err
		}
		if _, rerr := h.conn.ExecContext(background, "RELEASE SAVEPOINT "+h.savepoint); rerr != nil {
			return err
		}
	}
	if !heldBefore {
		if _, lerr := h.conn.ExecContext(background, h.key.leftoverSQL(h.shared), h.key.params()...); lerr != nil {
			h.discard()
		}
	}
	if timed && isLockNotAvailable(err) {
		return ErrNotAcquired
	}
	return err
}

// release gives the lock back at the end of the function, however it ended.
func (h *hold) release(fnFailed bool) error {
	countHolds(h.id(), -1)
	// also when fn returned normally (it may have swallowed the error that
	// lost the connection): a statement would hang (see usable)
	if h.savepoint != "" && !usable(h.conn) {
		return driver.ErrBadConn
	}
	background := context.Background() // ctx may be what ended the function
	unlock, params := h.key.unlockSQL(h.shared), h.key.params()
	var released bool
	var mark sql.NullString
	var err error
	if h.savepoint == "" {
		err = h.conn.QueryRowContext(background, unlock, params...).Scan(&released)
	} else {
		// the unlock first, then our savepoint if it is still there: the
		// function may have committed, rolled back, or rolled back to an
		// older savepoint
		err = h.conn.QueryRowContext(background, "SELECT ("+unlock+"), "+
			"pg_catalog.current_setting('pglocks_client.savepoints', true)", params...).Scan(&released, &mark)
	}
	if sqlState(err) == "25P02" {
		return h.releaseAborted(fnFailed)
	}
	if err != nil {
		h.discard()
		return err
	}
	if names := strings.Split(mark.String, ","); h.savepoint != "" && contains(names, h.savepoint) {
		if _, err := h.conn.ExecContext(background, "RELEASE SAVEPOINT "+h.savepoint); err != nil {
			return err
		}
		if _, err := h.conn.ExecContext(background, writeMarkSQL, strings.Join(remove(names, h.savepoint), ",")); err != nil {
			return err
		}
	}
	if !released {
		return ErrNotHeld
	}
	return nil
}

// releaseAborted: the function left the transaction aborted. Back to our
// savepoint (or out of the transaction) to unlock, then abort the
// transaction again on purpose: its owner must still roll it back, and
// nothing in it can commit. That error is returned only if the function
// returned normally.
func (h *hold) releaseAborted(fnFailed bool) error {
	background := context.Background()
	exec := func(query string, args ...any) error {
		_, err := h.conn.ExecContext(background, query, args...)
		return err
	}
	restored := h.savepoint != "" &&
		exec("ROLLBACK TO SAVEPOINT "+h.savepoint) == nil && exec("RELEASE SAVEPOINT "+h.savepoint) == nil
	if !restored {
		// the function ended the transaction the lock was taken in, or
		// began this one: lost anyway, and not ours to save
		if err := exec("ROLLBACK"); err != nil {
			h.discard()
			return err
		}
	}
	if err := exec(h.key.unlockSQL(h.shared), h.key.params()...); err != nil {
		h.discard()
		return err
	}
	if !restored {
		if err := exec("BEGIN"); err != nil {
			h.discard()
			return err
		}
		h.abortedByUs = true
	}
	err := exec(reabortSQL)
	if fnFailed {
		return nil
	}
	return err
}

// discard closes the connection instead of returning it to the pool: it
// cannot be trusted with a lock it may still hold, and ending the session
// releases it. Not in the caller's transaction: closing a *sql.Conn waits
// for the transaction open on it, so that connection is left to the caller,
// who gets the error.
func (h *hold) discard() {
	if h.savepoint == "" {
		discard(h.conn)
	}
}

// usable: whether the driver still has the connection (lib/pq and pgx drop
// it when a context cancels a query). Asked through Raw, as a statement on
// a *sql.Conn whose driver connection is gone makes database/sql close it,
// which waits for the transaction open on it: that would never return. With
// a driver that cannot tell without a round trip, an empty statement.
func usable(conn *sql.Conn) bool {
	ok := true
	conn.Raw(func(dc any) error {
		switch c := dc.(type) {
		case driver.Validator:
			ok = c.IsValid()
		case driver.ExecerContext:
			_, err := c.ExecContext(context.Background(), "", nil)
			ok = !errors.Is(err, driver.ErrBadConn)
		}
		return nil
	})
	return ok
}

func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
}

// querier is a *sql.Conn or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lock runs the lock statement: ErrNotAcquired if a try finds the lock
// busy. With a Timeout it returns the caller's lock_timeout, which a lock
// taken in a transaction restores (outside one the setting ends with the
// statement).
func lock(ctx context.Context, q querier, key Key, xact bool, opts Options) (prev *string, err error) {
	query, params := key.lockSQL(xact, opts), key.params()
	switch {
	case opts.NoWait:
		var ok bool
		if err := q.QueryRowContext(ctx, query, params...).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotAcquired
		}
		return nil, nil
	case opts.Timeout > 0:
		ms := (opts.Timeout + time.Millisecond - 1) / time.Millisecond
		prev = new(string)
		params = append(params, strconv.FormatInt(int64(ms), 10))
		return prev, q.QueryRowContext(ctx, query, params...).Scan(prev, new(any))
	default:
		_, err := q.ExecContext(ctx, query, params...)
		return nil, err
	}
}

func restoreLockTimeout(ctx context.Context, q querier, prev *string) error {
	if prev == nil {
		return nil
	}
	_, err := q.ExecContext(ctx, "SELECT pg_catalog.set_config('lock_timeout', $1::text, true)", *prev)
	return err
}

// sqlState is the error's SQLSTATE, through the SQLState method of the
// drivers' errors (lib/pq, pgx), or "".
func sqlState(err error) string {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState()
	}
	return ""
}

// isLockNotAvailable: SQLSTATE 55P03, what lock_timeout raises.
func isLockNotAvailable(err error) bool { return sqlState(err) == "55P03" }

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func remove(names []string, name string) []string {
	kept := names[:0]
	for _, n := range names {
		if n != name {
			kept = append(kept, n)
		}
	}
	return kept
}
