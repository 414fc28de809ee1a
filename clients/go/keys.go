package pglocks

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"unicode/utf8"
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

// Key is a lock key, made by String, Int64 or Pair. The zero Key is no key:
// every function refuses it with ErrInvalidArgument.
type Key struct {
	kind   keyKind
	id     int64 // a bigint key
	k1, k2 int32 // a pair key
}

type keyKind uint8

const (
	noKey keyKind = iota
	bigintKey
	pairKey
	badTextKey // not UTF-8: no id of the spec's (docs/key-hashing.md)
)

// String is a text key, locked as its KeyID. It must be valid UTF-8.
func String(key string) Key {
	if !utf8.ValidString(key) {
		return Key{kind: badTextKey}
	}
	return Int64(KeyID(key))
}

// Int64 is a bigint key, as in pg_advisory_lock(bigint).
func Int64(key int64) Key { return Key{kind: bigintKey, id: key} }

// Pair is a two-int key, as in pg_advisory_lock(int, int).
func Pair(key1, key2 int32) Key { return Key{kind: pairKey, k1: key1, k2: key2} }

func (k Key) check() error {
	switch k.kind {
	case noKey:
		return invalid("the zero Key (make one with String, Int64 or Pair)")
	case badTextKey:
		return invalid("a text key must be valid UTF-8")
	}
	return nil
}

// args are the key's typed parameters, as the arguments of the advisory
// lock functions: an untyped $1 could resolve to another function.
func (k Key) args() string {
	if k.kind == pairKey {
		return "$1::int, $2::int"
	}
	return "$1::bigint"
}

func (k Key) params() []any {
	if k.kind == pairKey {
		return []any{k.k1, k.k2}
	}
	return []any{k.id}
}

// row finds the key's row in pg_locks (docs/key-hashing.md).
func (k Key) row() string {
	if k.kind == pairKey {
		return "objsubid = 2 AND classid = $1::int::oid AND objid = $2::int::oid"
	}
	return "objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid " +
		"AND objid = ($1::bigint & 4294967295)::oid"
}

// lockSQL is the statement that takes the lock: pg_[try_]advisory_[xact_]
// lock[_shared], or with a timeout the lock_timeout CTE of docs/clients.md,
// whose parameter after the key's is the timeout in milliseconds and whose
// first column is the caller's lock_timeout.
func (k Key) lockSQL(xact bool, opts Options) string {
	fn := "pg_catalog.pg_"
	if opts.NoWait {
		fn += "try_"
	}
	fn += "advisory_"
	if xact {
		fn += "xact_"
	}
	fn += "lock" + suffix(opts.Shared)
	if opts.Timeout == 0 {
		return fmt.Sprintf("SELECT %s(%s)", fn, k.args())
	}
	return fmt.Sprintf("WITH p AS MATERIALIZED (SELECT pg_catalog.current_setting('lock_timeout') AS prev), "+
		"t AS MATERIALIZED (SELECT prev, pg_catalog.set_config('lock_timeout', $%d::text, true) FROM p) "+
		"SELECT t.prev, %s(%s) FROM t", len(k.params())+1, fn, k.args())
}

// unlockSQL gives back one hold of the key in that mode.
func (k Key) unlockSQL(shared bool) string {
	return fmt.Sprintf("SELECT pg_catalog.pg_advisory_unlock%s(%s)", suffix(shared), k.args())
}

// leftoverSQL gives back a hold of the key in that mode that this session
// has, if any: one granted just as the lock statement failed.
func (k Key) leftoverSQL(shared bool) string {
	mode := "ExclusiveLock"
	if shared {
		mode = "ShareLock"
	}
	return fmt.Sprintf("SELECT pg_catalog.pg_advisory_unlock%s(%s) FROM pg_catalog.pg_locks "+
		"WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid() AND granted "+
		"AND mode = '%s' AND %s", suffix(shared), k.args(), mode, k.row())
}

func suffix(shared bool) string {
	if shared {
		return "_shared"
	}
	return ""
}
