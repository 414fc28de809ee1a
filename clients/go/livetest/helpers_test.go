package livetest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
)

// The server is the one libpq's environment (PGHOST, PGPORT, ...) points
// to; lib/pq reads it.

var ctx = context.Background()

func connect(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func pin(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	conn, err := db.Conn(ctx)
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// other is a second session, standing in for any other client of the server.
func other(t *testing.T) *sql.Conn {
	t.Helper()
	return pin(t, connect(t, ""))
}

func begin(t *testing.T, conn *sql.Conn) *sql.Tx {
	t.Helper()
	tx, err := conn.BeginTx(ctx, nil)
	must(t, err)
	return tx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func run(t *testing.T, q querier, query string, args ...any) {
	t.Helper()
	_, err := q.ExecContext(ctx, query, args...)
	must(t, err)
}

func value[T any](t *testing.T, q querier, query string, args ...any) T {
	t.Helper()
	var v T
	must(t, q.QueryRowContext(ctx, query, args...).Scan(&v))
	return v
}

// sqlKey is a key as SQL names it to pg_catalog's advisory lock functions.
type sqlKey struct {
	args   string
	params []any
}

func bigint(id int64) sqlKey   { return sqlKey{"$1::bigint", []any{id}} }
func pair(k1, k2 int32) sqlKey { return sqlKey{"$1::int, $2::int", []any{k1, k2}} }
func suffix(shared bool) string {
	if shared {
		return "_shared"
	}
	return ""
}

// free: whether the session q can take key in that mode now (it gives it
// back at once).
func free(t *testing.T, q querier, key sqlKey, shared bool) bool {
	t.Helper()
	ok := value[bool](t, q, "SELECT pg_catalog.pg_try_advisory_lock"+suffix(shared)+"("+key.args+")", key.params...)
	if ok {
		run(t, q, "SELECT pg_catalog.pg_advisory_unlock"+suffix(shared)+"("+key.args+")", key.params...)
	}
	return ok
}

func lock(t *testing.T, q querier, key sqlKey, shared bool) {
	t.Helper()
	run(t, q, "SELECT pg_catalog.pg_advisory_lock"+suffix(shared)+"("+key.args+")", key.params...)
}

func unlock(t *testing.T, q querier, key sqlKey, shared bool) {
	t.Helper()
	if !value[bool](t, q, "SELECT pg_catalog.pg_advisory_unlock"+suffix(shared)+"("+key.args+")", key.params...) {
		t.Fatalf("%v was not held", key.params)
	}
}

// held counts the advisory locks the session q holds.
func held(t *testing.T, q querier) int {
	t.Helper()
	return value[int](t, q, "SELECT count(*) FROM pg_catalog.pg_locks "+
		"WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid() AND granted")
}

// waiting: whether some session waits in the lock queue for the bigint key.
func waiting(t *testing.T, q querier, id int64) bool {
	t.Helper()
	return value[bool](t, q, "SELECT count(*) > 0 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "+
		"AND NOT granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint", id)
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func sqlState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// intercepted is a lib/pq pool that records the SQL it is given, and can
// rewrite it first (the client's statements, as the server will see them).
type intercepted struct {
	mu      sync.Mutex
	seen    []string
	rewrite func(string) string
}

func openIntercepted(t *testing.T) (*sql.DB, *intercepted) {
	t.Helper()
	connector, err := pq.NewConnector("")
	must(t, err)
	i := &intercepted{}
	db := sql.OpenDB(interceptingConnector{connector, i})
	t.Cleanup(func() { db.Close() })
	return db, i
}

func (i *intercepted) setRewrite(rewrite func(string) string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rewrite = rewrite
}

// statements returns the SQL seen since the last call.
func (i *intercepted) statements() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	seen := i.seen
	i.seen = nil
	return seen
}

func (i *intercepted) sql(query string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.seen = append(i.seen, query)
	if i.rewrite != nil {
		query = i.rewrite(query)
	}
	return query
}

type interceptingConnector struct {
	*pq.Connector
	i *intercepted
}

func (c interceptingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return interceptingConn{conn.(pqConn), c.i}, nil
}

// pqConn: what database/sql uses of lib/pq's connection.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
}

type interceptingConn struct {
	pqConn
	i *intercepted
}

func (c interceptingConn) Prepare(query string) (driver.Stmt, error) {
	return c.pqConn.Prepare(c.i.sql(query))
}

func (c interceptingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.pqConn.PrepareContext(ctx, c.i.sql(query))
}

func (c interceptingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.pqConn.ExecContext(ctx, c.i.sql(query), args)
}

func (c interceptingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.pqConn.QueryContext(ctx, c.i.sql(query), args)
}
