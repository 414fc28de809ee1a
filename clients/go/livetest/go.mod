module github.com/pglocks/pglocks/clients/go/livetest

go 1.19

require (
	github.com/lib/pq v1.10.7
	github.com/pglocks/pglocks/clients/go/v2 v2.1.0
)

// The package as a consumer uses it: one replace line (run-tests.sh points
// it at the client's absolute path in a copy of this module).
replace github.com/pglocks/pglocks/clients/go/v2 => ../

// The tests' driver: Debian's golang-github-lib-pq-dev, nothing downloaded.
replace github.com/lib/pq => /usr/share/gocode/src/github.com/lib/pq
