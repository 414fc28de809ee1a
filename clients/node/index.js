'use strict';
// Key ids of the pglocks extension (docs/key-hashing.md), and withLock for
// node-postgres. Locks are PostgreSQL's own advisory locks: a key locked here
// is the same lock as pglocks.lock(key) in SQL.
const { createHash } = require('node:crypto');
const CRC32 = require('crc-32');

/** First 8 bytes of SHA-256 over the key's UTF-8 bytes, signed little-endian. */
function keyId(key) {
  if (typeof key !== 'string') throw new TypeError('keyId takes a string');
  return createHash('sha256').update(key, 'utf8').digest().readBigInt64LE(0);
}

/** django-pglocks 1.x: CRC-32 of the UTF-8 bytes as a signed 32-bit integer. */
function crc32KeyId(key) {
  if (typeof key !== 'string') throw new TypeError('crc32KeyId takes a string');
  return BigInt(CRC32.buf(Buffer.from(key, 'utf8')));
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// The lock's row in pg_locks, in terms of the parameters of lockArgs.
const BIGINT_ROW = 'objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid ' +
  'AND objid = ($1::bigint & 4294967295)::oid';
const PAIR_ROW = 'objsubid = 2 AND classid = $1::int::oid AND objid = $2::int::oid';

// [SQL argument list, parameters, row in pg_locks] for a string, a
// bigint/integer or [int, int]
function lockArgs(key) {
  if (typeof key === 'string') return ['$1::bigint', [keyId(key).toString()], BIGINT_ROW];
  if (typeof key === 'bigint' || Number.isSafeInteger(key)) {
    const id = BigInt(key);
    if (id < INT64_MIN || id > INT64_MAX) throw new RangeError('a bigint key must fit in 64 bits');
    return ['$1::bigint', [id.toString()], BIGINT_ROW];
  }
  if (Array.isArray(key) && key.length === 2 &&
      key.every((k) => Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31)) {
    return ['$1::int, $2::int', key, PAIR_ROW];
  }
  throw new TypeError('a key is a string, an integer, or a pair of 32-bit integers');
}

/**
 * Run fn() while holding a session advisory lock on key; release it when fn
 * settles. Resolves to { acquired, result }: with wait: false or a timeout
 * (milliseconds) the lock may not be acquired, and fn is not run then.
 * If fn leaves the client's transaction aborted, the transaction is rolled
 * back (it could only be rolled back) so that the lock can be released.
 */
async function withLock(client, key, fn, { shared = false, wait = true, timeout = null } = {}) {
  const [args, params, row] = lockArgs(key);
  const suffix = shared ? '_shared' : '';
  if (timeout !== null && !wait) throw new TypeError('timeout cannot be combined with wait: false');
  if (timeout !== null && !(Number.isInteger(timeout) && timeout >= 0)) {
    throw new RangeError('timeout is a whole number of milliseconds, 0 or more');
  }
  let acquired;
  if (!wait || timeout === 0) {
    const r = await client.query(`SELECT pg_try_advisory_lock${suffix}(${args}) AS ok`, params);
    acquired = r.rows[0].ok;
  } else {
    const lock = `SELECT pg_advisory_lock${suffix}(${args})`;
    const leftover = `SELECT pg_advisory_unlock${suffix}(${args}) FROM pg_catalog.pg_locks ` +
      `WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted ` +
      `AND mode = '${shared ? 'ShareLock' : 'ExclusiveLock'}' AND ${row}`;
    if (timeout === null) {
      await takeLock(client, lock, leftover, params);
      acquired = true;
    } else {
      acquired = await lockWithin(client, lock, leftover, params, timeout);
    }
  }
  if (!acquired) return { acquired, result: undefined };
  try {
    return { acquired, result: await fn() };
  } finally {
    const unlock = `SELECT pg_advisory_unlock${suffix}(${args})`;
    try {
      await client.query(unlock, params);
    } catch (e) {
      if (e.code !== '25P02') throw e; // current transaction is aborted
      await client.query('ROLLBACK');
      await client.query(unlock, params);
    }
  }
}

// Run the lock statement `sql`. An error can end its wait just as the lock is
// granted (lock_timeout, statement_timeout, a cancel): the statement fails and
// the session holds the lock all the same. No hold in this mode existed before
// (it would have been granted at once), so a hold left then is that one:
// `leftover` gives it back.
async function takeLock(client, sql, leftover, params) {
  try {
    await client.query(sql, params);
  } catch (e) {
    // Fails too in an aborted transaction; the error to report is the first.
    await client.query(leftover, params).catch(() => {});
    throw e;
  }
}

// Wait at most `ms` with lock_timeout, set for this one statement.
async function lockWithin(client, sql, leftover, params, ms) {
  const { rows } = await client.query("SELECT current_setting('lock_timeout') AS t");
  await client.query(`SET lock_timeout = ${Math.max(ms, 1)}`);
  try {
    await takeLock(client, sql, leftover, params);
    return true;
  } catch (e) {
    if (e.code === '55P03') return false; // lock_not_available
    throw e;
  } finally {
    await client.query('SELECT set_config($1, $2, false)', ['lock_timeout', rows[0].t]);
  }
}

module.exports = { keyId, crc32KeyId, withLock };
