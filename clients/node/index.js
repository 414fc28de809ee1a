'use strict';
// Key ids of the pglocks extension (docs/key-hashing.md), and withLock for
// node-postgres. Locks are PostgreSQL's own advisory locks: a key locked here
// is the same lock as pglocks.lock(key) in SQL.
const { createHash } = require('node:crypto');
const CRC32 = require('crc-32');

/** First 8 bytes of SHA-256 over the key's UTF-8 bytes, signed big-endian. */
function keyId(key) {
  if (typeof key !== 'string') throw new TypeError('keyId takes a string');
  return createHash('sha256').update(key, 'utf8').digest().readBigInt64BE(0);
}

/** django-pglocks 1.x: CRC-32 of the UTF-8 bytes as a signed 32-bit integer. */
function crc32KeyId(key) {
  if (typeof key !== 'string') throw new TypeError('crc32KeyId takes a string');
  return BigInt(CRC32.buf(Buffer.from(key, 'utf8')));
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// [SQL argument list, parameters] for a string, a bigint/integer or [int, int]
function lockArgs(key) {
  if (typeof key === 'string') return ['$1::bigint', [keyId(key).toString()]];
  if (typeof key === 'bigint' || Number.isSafeInteger(key)) {
    const id = BigInt(key);
    if (id < INT64_MIN || id > INT64_MAX) throw new RangeError('a bigint key must fit in 64 bits');
    return ['$1::bigint', [id.toString()]];
  }
  if (Array.isArray(key) && key.length === 2 &&
      key.every((k) => Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31)) {
    return ['$1::int, $2::int', key];
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
  const [args, params] = lockArgs(key);
  const suffix = shared ? '_shared' : '';
  if (timeout !== null && !wait) throw new TypeError('timeout cannot be combined with wait: false');
  if (timeout !== null && !(Number.isInteger(timeout) && timeout >= 0)) {
    throw new RangeError('timeout is a whole number of milliseconds, 0 or more');
  }
  let acquired;
  if (!wait || timeout === 0) {
    const r = await client.query(`SELECT pg_try_advisory_lock${suffix}(${args}) AS ok`, params);
    acquired = r.rows[0].ok;
  } else if (timeout === null) {
    await client.query(`SELECT pg_advisory_lock${suffix}(${args})`, params);
    acquired = true;
  } else {
    acquired = await lockWithin(client, `SELECT pg_advisory_lock${suffix}(${args})`, params, timeout);
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

// Wait at most `ms` with lock_timeout, set for this one statement.
async function lockWithin(client, sql, params, ms) {
  const { rows } = await client.query("SELECT current_setting('lock_timeout') AS t");
  await client.query(`SET lock_timeout = ${Math.max(ms, 1)}`);
  try {
    await client.query(sql, params);
    return true;
  } catch (e) {
    if (e.code === '55P03') return false; // lock_not_available
    throw e;
  } finally {
    await client.query('SELECT set_config($1, $2, false)', ['lock_timeout', rows[0].t]);
  }
}

module.exports = { keyId, crc32KeyId, withLock };
