package pglocks

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// vectors/key_ids.tsv: key as UTF-8 hex or repeat:<unit hex>:<count>, key_id, crc32_key_id
func TestVectors(t *testing.T) {
	f, err := os.Open("../../vectors/key_ids.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	count := 0
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		var key []byte
		if strings.HasPrefix(cols[0], "repeat:") {
			parts := strings.Split(strings.TrimPrefix(cols[0], "repeat:"), ":")
			unit, _ := hex.DecodeString(parts[0])
			n, _ := strconv.Atoi(parts[1])
			key = bytes.Repeat(unit, n)
		} else if key, err = hex.DecodeString(cols[0]); err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.ParseInt(cols[1], 10, 64)
		crc, _ := strconv.ParseInt(cols[2], 10, 64)
		if got := KeyID(string(key)); got != id {
			t.Errorf("KeyID(%s) = %d, want %d", cols[3], got, id)
		}
		if got := CRC32KeyID(string(key)); got != crc {
			t.Errorf("CRC32KeyID(%s) = %d, want %d", cols[3], got, crc)
		}
		count++
	}
	if count < 300 {
		t.Errorf("only %d vectors", count)
	}
}

// Against a live server with the pglocks extension, from libpq's environment.
func TestLive(t *testing.T) {
	if os.Getenv("PGHOST") == "" {
		t.Skip("PGHOST is not set: no server")
	}
	ctx := context.Background()
	db, err := sql.Open("postgres", "sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	server, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pglocks"); err != nil {
		t.Fatal(err)
	}
	serverTry := func(key string) bool {
		var ok bool
		if err := server.QueryRowContext(ctx, "SELECT pglocks.lock($1::text, wait => false)", key).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	serverUnlock := func(key string) {
		if _, err := server.ExecContext(ctx, "SELECT pglocks.unlock($1::text)", key); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("client lock is the server lock", func(t *testing.T) {
		err := WithLock(ctx, db, String("orders:42"), func(*sql.Conn) error {
			if serverTry("orders:42") {
				t.Error("the server got a lock the client holds")
			}
			return nil
		}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !serverTry("orders:42") {
			t.Error("not released")
		}
		serverUnlock("orders:42")
	})

	t.Run("server lock is the client lock", func(t *testing.T) {
		serverTry("jobs")
		ran := false
		body := func(*sql.Conn) error { ran = true; return nil }
		if err := WithLock(ctx, db, String("jobs"), body, Options{NoWait: true}); !errors.Is(err, ErrNotAcquired) {
			t.Errorf("NoWait: %v", err)
		}
		if err := WithLock(ctx, db, Int64(KeyID("jobs")), body, Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrNotAcquired) {
			t.Errorf("Timeout: %v", err)
		}
		if ran {
			t.Error("the body ran without the lock")
		}
		serverUnlock("jobs")
		if err := WithLock(ctx, db, String("jobs"), body, Options{Timeout: time.Second}); err != nil || !ran {
			t.Errorf("free lock: %v, ran %v", err, ran)
		}
	})

	t.Run("pair keys, shared locks, body errors", func(t *testing.T) {
		boom := errors.New("boom")
		err := WithLock(ctx, db, Pair(1, 2), func(c *sql.Conn) error {
			var ok bool
			server.QueryRowContext(ctx, "SELECT pglocks.lock(1, 2, wait => false)").Scan(&ok)
			if ok {
				t.Error("pair key not held")
			}
			return boom
		}, Options{})
		if !errors.Is(err, boom) {
			t.Errorf("body error: %v", err)
		}
		err = WithLock(ctx, db, String("shared"), func(*sql.Conn) error {
			var ok bool
			server.QueryRowContext(ctx, "SELECT pglocks.lock('shared', shared => true, wait => false)").Scan(&ok)
			if !ok {
				t.Error("shared locks do not coexist")
			}
			server.ExecContext(ctx, "SELECT pglocks.unlock('shared', true)")
			return nil
		}, Options{Shared: true})
		if err != nil {
			t.Fatal(err)
		}
		var left int
		server.QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").Scan(&left)
		if left != 0 {
			t.Errorf("%d advisory locks left", left)
		}
	})

	t.Run("a grant that races with an error is given back", func(t *testing.T) {
		// What the race with lock_timeout (or a cancel) leaves: the lock
		// granted and the statement failed. Stand in for pg_advisory_lock
		// with a function that does both.
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, f := range []string{
			`CREATE FUNCTION pg_temp.granted_as_timeout_fired(k bigint) RETURNS void LANGUAGE plpgsql
			 AS $$ BEGIN PERFORM pg_advisory_lock(k); RAISE EXCEPTION 'lock timeout' USING ERRCODE = '55P03'; END $$`,
			`CREATE FUNCTION pg_temp.granted_as_timeout_fired_shared(k1 int, k2 int) RETURNS void LANGUAGE plpgsql
			 AS $$ BEGIN PERFORM pg_advisory_lock_shared(k1, k2); RAISE EXCEPTION 'lock timeout' USING ERRCODE = '55P03'; END $$`,
		} {
			if _, err := conn.ExecContext(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		held := func() (n int) {
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, c := range []struct {
			key    Key
			suffix string
			tx     bool
		}{{String("raced"), "", false}, {Pair(-1, -2), "_shared", true}} {
			lock, leftover := lockStatements(c.key, c.suffix)
			racing := strings.Replace(lock, "pg_advisory_lock", "pg_temp.granted_as_timeout_fired", 1)
			var on execer = conn
			if c.tx {
				if on, err = conn.BeginTx(ctx, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := takeLock(ctx, conn, on, racing, leftover, c.key.params); !isLockNotAvailable(err) {
				t.Errorf("%s: want the statement's error, got %v", c.key.args, err)
			}
			if n := held(); n != 0 {
				t.Errorf("%s, in a transaction %v: %d advisory locks left", c.key.args, c.tx, n)
			}
		}
	})
}
