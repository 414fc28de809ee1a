#!/usr/bin/env bash
# The Go client's tests, with the package used as a consumer uses it. go vet
# and go build of the module (offline: GOPROXY=off; it needs nothing but the
# standard library); a fresh consumer module that requires it with one
# replace line, and Debian's lib/pq as its driver, runs the README's first
# example; then the tests (livetest/, a module of its own that uses the
# package the same way) from a copy outside the source tree. Run it under
# pg_virtualenv: libpq's environment names the server.
set -euo pipefail
client=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE=$work/cache GOPATH=$work/gopath
# lib/pq refuses PGSYSCONFDIR (pg_virtualenv sets it), and its sslmode
# defaults to require
unset PGSYSCONFDIR
export PGSSLMODE=${PGSSLMODE:-disable}
module=github.com/pglocks/pglocks/clients/go/v2
pq=/usr/share/gocode/src/github.com/lib/pq

echo "== go vet, go build ($module)"
(cd "$client" && go vet ./... && go build ./...)

echo "== a consumer module runs the README's first example"
mkdir "$work/consumer"
cat >"$work/consumer/go.mod" <<EOF
module example.com/consumer

go 1.19

require (
	$module v2.1.0
	github.com/lib/pq v1.10.7
)

replace $module => $client

// the consumer's driver, from Debian
replace github.com/lib/pq => $pq
EOF
cat >"$work/consumer/main.go" <<'EOF'
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"time"

	_ "github.com/lib/pq"
	pglocks "github.com/pglocks/pglocks/clients/go/v2"
)

var db *sql.DB

// ship stands in for the work: it checks that the lock is held, from
// another connection.
func ship(ctx context.Context, c *sql.Conn, order int) error {
	if free(ctx) {
		return errors.New("orders:42 is not locked in the body")
	}
	fmt.Println("shipped order", order, "under the lock")
	return nil
}

func free(ctx context.Context) bool {
	var ok bool
	id := pglocks.KeyID("orders:42")
	if err := db.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1::bigint) AND pg_advisory_unlock($1::bigint)", id).Scan(&ok); err != nil {
		log.Fatal(err)
	}
	return ok
}

func main() {
	ctx := context.Background()
	var err error
	if db, err = sql.Open("postgres", ""); err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// the README's first example
	err = pglocks.WithLock(ctx, db, pglocks.String("orders:42"), func(c *sql.Conn) error {
		return ship(ctx, c, 42)
	}, pglocks.Options{Timeout: 5 * time.Second})
	if errors.Is(err, pglocks.ErrNotAcquired) {
		log.Fatal("orders:42 is busy")
	} else if err != nil {
		log.Fatal(err)
	}

	if !free(ctx) {
		log.Fatal("orders:42 is still locked after the body")
	}
	fmt.Println("released")
}
EOF
(cd "$work/consumer" && go vet . && go run .)

echo "== the tests (livetest), against the package as the consumer had it"
cp -r "$client/livetest" "$work/livetest"
cd "$work/livetest"
go mod edit -replace="$module=$client"
go vet ./...
PGLOCKS_VECTORS=$client/../../vectors/key_ids.tsv go test -v -count=1 -timeout 5m ./...
