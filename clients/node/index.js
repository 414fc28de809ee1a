'use strict';
// pglocks for node-postgres: the key ids of the pglocks extension
// (docs/key-hashing.md), and withLock, which holds one of PostgreSQL's own
// advisory locks while a function runs, by the protocol of docs/clients.md.
// A key locked here is the same lock as pglocks.lock(key) in SQL, and the
// server needs no extension.
const { createHash } = require('node:crypto');
const { inspect } = require('node:util');

function utf8(key, caller) {
  if (typeof key !== 'string') throw new TypeError(`${caller} takes a string`);
  // Buffer.from would encode a lone surrogate as U+FFFD: another key's id
  if (/\p{Surrogate}/u.test(key)) throw new TypeError('a key with a lone surrogate has no UTF-8 form');
  return Buffer.from(key, 'utf8');
}

/** First 8 bytes of SHA-256 over the key's UTF-8 bytes, signed little-endian. */
function keyId(key) {
  return createHash('sha256').update(utf8(key, 'keyId')).digest().readBigInt64LE(0);
}

// CRC-32 as zlib computes it, which Node 18's zlib does not export
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  for (let bit = 0; bit < 8; bit++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
  return n;
});

/** django-pglocks 1.x: CRC-32 of the UTF-8 bytes as a signed 32-bit integer. */
function crc32KeyId(key) {
  let crc = -1;
  for (const byte of utf8(key, 'crc32KeyId')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return BigInt(~crc);
}

const INT64 = 1n << 63n;
const INT32 = 2 ** 31;

// The key's row in pg_locks, in terms of the parameters of its arguments
const BIGINT_ROW = 'objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid ' +
  'AND objid = ($1::bigint & 4294967295)::oid';
const PAIR_ROW = 'objsubid = 2 AND classid = $1::int::oid AND objid = $2::int::oid';

// The key as SQL arguments, always typed: an untyped parameter would let the
// server pick the overload (pglocks.lock($1) with '42' is the text key).
function lockKey(key) {
  if (typeof key === 'string') return bigintKey(keyId(key));
  if (typeof key === 'bigint') {
    if (key < -INT64 || key >= INT64) throw new RangeError('a bigint key must fit in 64 bits');
    return bigintKey(key);
  }
  if (typeof key === 'number') {
    if (!Number.isInteger(key)) throw new TypeError(`a number key is an integer, not ${key}`);
    if (!Number.isSafeInteger(key)) throw new RangeError('a number key beyond 2 ** 53 is not exact: use a BigInt');
    return bigintKey(BigInt(key));
  }
  if (Array.isArray(key) && key.length === 2) {
    const pair = [key[0], key[1]]; // a hole ([, 2]) is undefined here: every() would skip it, and send a NULL
    if (!pair.every(Number.isInteger)) throw new TypeError('a pair key is two integers');
    if (!pair.every((k) => k >= -INT32 && k < INT32)) throw new RangeError('a pair key is two 32-bit integers');
    return { args: '$1::int, $2::int', params: pair, row: PAIR_ROW };
  }
  throw new TypeError('a key is a string, an integer (a number or a BigInt), or a pair of 32-bit integers');
}

function bigintKey(id) {
  return { args: '$1::bigint', params: [id.toString()], row: BIGINT_ROW };
}

// lock_timeout in whole milliseconds (0 would mean no timeout at all), or null
function lockTimeout(timeout, wait) {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== 'number') throw new TypeError('timeout is a number of milliseconds');
  if (!wait) throw new TypeError('timeout cannot be combined with wait: false');
  if (!(timeout >= 0 && timeout <= 2147483647)) { // NaN fails too
    throw new RangeError(`timeout is 0 to 2147483647 milliseconds, not ${timeout}`);
  }
  return Math.ceil(timeout);
}

// A lock belongs to one server session: the lock, the body's queries and the
// unlock must go to the same connection, and a pool (pg.Pool) hands each query
// to whichever connection is free. pg-pool's counters tell a pool; a client
// checked out of one (pool.connect()) is one connection.
function checkConnection(client) {
  if (typeof client?.query !== 'function') {
    throw new TypeError('withLock takes a node-postgres client (pg.Client, or one from pool.connect())');
  }
  if ('totalCount' in client) {
    throw new TypeError('withLock needs one connection, not a pool: lock on a client from pool.connect()');
  }
}

const OPTIONS = ['shared', 'wait', 'timeout', 'xact'];

// One use of withLock: its connection, what it asked for, and its statements.
// Everything is checked here, before any query.
function prepare(client, key, options) {
  checkConnection(client);
  const { args, params, row } = lockKey(key);
  if (typeof options !== 'object' || options === null) throw new TypeError('the options are an object');
  // a misspelt option (timeOut, nowait) would otherwise wait without limit
  const unknown = Object.keys(options).filter((name) => !OPTIONS.includes(name));
  if (unknown.length) throw new TypeError(`unknown option ${unknown.join(', ')}: withLock takes ${OPTIONS.join(', ')}`);
  const { shared = false, wait = true, timeout = null, xact = false } = options;
  for (const [name, value] of Object.entries({ shared, wait, xact })) {
    if (typeof value !== 'boolean') throw new TypeError(`${name} is true or false`);
  }
  const ms = lockTimeout(timeout, wait);
  const waits = wait && ms !== 0; // a timeout of 0 is a try
  const suffix = shared ? '_shared' : '';
  const call = `pg_catalog.pg_${waits ? '' : 'try_'}advisory${xact ? '_xact' : ''}_lock${suffix}(${args})`;
  const unlock = `pg_catalog.pg_advisory_unlock${suffix}(${args})`;
  const lock = {
    client, params, xact, waits, unlock,
    limit: waits ? ms : null,
    savepoint: null,
    hold: `${unlock} ${params}`, // its key in holds
    leftover: `SELECT ${unlock} FROM pg_catalog.pg_locks WHERE locktype = 'advisory' ` +
      'AND pid = pg_catalog.pg_backend_pid() AND granted ' +
      `AND mode = '${shared ? 'ShareLock' : 'ExclusiveLock'}' AND ${row}`,
  };
  if (!waits) {
    lock.take = [`SELECT ${call}::text AS acquired`, params];
  } else if (lock.limit === null) {
    lock.take = [`SELECT ${call}`, params];
  } else {
    // lock_timeout for this one statement: set_config(..., true) runs before
    // the lock, and outside a transaction ends with the statement (in one,
    // `prev` restores it)
    lock.take = ["WITH p AS MATERIALIZED (SELECT pg_catalog.current_setting('lock_timeout') AS prev), " +
      "t AS MATERIALIZED (SELECT prev, pg_catalog.set_config('lock_timeout', " +
      `$${params.length + 1}::text, true) FROM p) SELECT t.prev, ${call} FROM t`, [...params, String(ms)]];
  }
  return lock;
}

// A transaction-local setting listing our savepoints that exist, innermost
// last: each is added just before it is taken, so it goes away with the
// transaction and with a ROLLBACK TO an older savepoint (which destroys ours
// too), and is taken off when ours is released.
const MARK = 'pglocks_client.savepoints';
let lastSavepoint = 0; // names pglocks_N, unique in this process

// The savepoint taken before a lock in a transaction, or null outside one.
// node-postgres >= 8.21 reports the status of the server's last ReadyForQuery
// (getTransactionStatus(): 'I' idle, 'T' in a transaction, 'E' aborted);
// older versions don't, and then SAVEPOINT itself tells: outside a transaction
// block (also the implicit one of several statements) it fails with 25P01 and
// changes nothing. Only 'I' is trusted: right after a failed query (its error
// comes before its ReadyForQuery) a 'T' may be stale, and then SAVEPOINT
// fails (25P02) as the lock would have.
async function openSavepoint(client) {
  if (client.getTransactionStatus?.() === 'I') return null;
  const name = `pglocks_${++lastSavepoint}`;
  try {
    await client.query(`SELECT pg_catalog.set_config('${MARK}', pg_catalog.concat_ws(',', ` +
      `NULLIF(pg_catalog.current_setting('${MARK}', true), ''), '${name}'), true); SAVEPOINT ${name}`);
    return name;
  } catch (error) {
    if (error.code === '25P01') return null; // no_active_sql_transaction
    throw error;
  }
}

// RELEASE our savepoint (after rolling back to it, to undo a failed
// statement) and take it off the list, in one round trip.
function dropSavepoint(client, name, rollback) {
  return client.query(`${rollback ? `ROLLBACK TO SAVEPOINT ${name}; ` : ''}RELEASE SAVEPOINT ${name}; ` +
    `SELECT pg_catalog.set_config('${MARK}', pg_catalog.array_to_string(pg_catalog.array_remove(` +
    `pg_catalog.string_to_array(pg_catalog.current_setting('${MARK}', true), ','), '${name}'), ','), true)`);
}

// The session holds each connection has through withLock, per key and mode
const holds = new WeakMap(); // client -> Map(unlock statement and key -> count)

function countHold({ client, hold }, by) {
  const counts = holds.get(client) ?? new Map();
  const count = (counts.get(hold) ?? 0) + by;
  if (count) counts.set(hold, count);
  else counts.delete(hold); // a connection may lock many keys over its life
  holds.set(client, counts);
}

// Take the lock, inside a savepoint in a transaction; whether it was acquired.
// The booleans we read (the try's, the unlock's) come as text: a client may
// parse booleans its own way (pg.types.setTypeParser, the types option), and
// a 'f' read as true would run fn without the lock.
async function take(lock) {
  const { client } = lock;
  lock.savepoint = await openSavepoint(client);
  if (lock.xact && !lock.savepoint) {
    throw new TypeError('xact: true needs an open transaction: a transaction lock would end with its statement');
  }
  let row;
  try {
    [row] = (await client.query(...lock.take)).rows;
  } catch (error) {
    await recover(lock).catch(() => { throw error; }); // the error to report is the first
    if (lock.limit !== null && error.code === '55P03') return false; // lock_not_available: the timeout ran out
    throw error;
  }
  if (!lock.waits && row.acquired !== 'true') {
    if (lock.savepoint) await dropSavepoint(client, lock.savepoint, false);
    return false;
  }
  if (lock.limit !== null && lock.savepoint) {
    await client.query("SELECT pg_catalog.set_config('lock_timeout', $1::text, true)", [row.prev]);
  }
  if (lock.xact) await dropSavepoint(client, lock.savepoint, false); // the lock moves to the transaction
  return true;
}

// After a failed lock statement: undo it, and give back a lock granted as it failed.
async function recover({ client, savepoint, xact, hold, leftover, params }) {
  if (savepoint) await dropSavepoint(client, savepoint, true); // gives back a transaction lock too
  // An error can end the wait just as the lock is granted (the timeout, a
  // cancel, statement_timeout): the statement fails and the session holds the
  // lock all the same. With no earlier hold of ours (that would have been
  // granted at once, with no wait to interrupt) a hold now is that one.
  if (!xact && !holds.get(client)?.get(hold)) await client.query(leftover, params);
}

const REABORT = "DO $pglocks$ BEGIN RAISE EXCEPTION USING ERRCODE = 'in_failed_sql_transaction', " +
  "MESSAGE = 'the transaction was aborted inside an advisory lock''s block', " +
  "HINT = 'The lock has been released; roll the transaction back.'; END $pglocks$";

// Release a session lock at the end of the body: the unlock's result. The
// transaction's state is found out by trying: the body's last error arrives
// before its ReadyForQuery, so a status read now may be stale.
async function giveBack({ client, unlock, params, savepoint }, bodyFailed) {
  try {
    const { released, mark } = (await client.query(`SELECT ${unlock}::text AS released, ` +
      `pg_catalog.current_setting('${MARK}', true) AS mark`, params)).rows[0];
    // gone if the body committed, rolled back, or rolled back to an older
    // savepoint: releasing it then would abort the transaction
    if (savepoint && mark?.split(',').includes(savepoint)) await dropSavepoint(client, savepoint, false);
    return released === 'true';
  } catch (error) {
    if (error.code !== '25P02') throw error; // in_failed_sql_transaction: the body left it aborted
  }
  let ended = !savepoint;
  if (savepoint) {
    try {
      await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
    } catch {
      ended = true; // the body ended the transaction the lock was taken in
    }
  }
  if (ended) await client.query('ROLLBACK'); // one the body began: lost anyway
  const { released } = (await client.query(`SELECT ${unlock}::text AS released`, params)).rows[0];
  // Abort the transaction again: its owner must still roll it back, and
  // nothing in it can commit.
  try {
    await client.query(`${ended ? 'BEGIN; ' : ''}${REABORT}`);
  } catch (error) {
    if (!bodyFailed) throw error;
  }
  return released === 'true';
}

/**
 * Run fn() while holding an advisory lock on key (see README.md). Resolves to
 * { acquired, result }: fn's value, or acquired: false (and fn not run) when
 * wait: false or a timeout (milliseconds) found the lock busy. A session lock
 * is released when fn settles, also when fn left the transaction aborted: the
 * transaction then stays aborted. xact: true takes a transaction lock, held
 * until the open transaction ends.
 */
async function withLock(client, key, fn, options = {}) {
  const lock = prepare(client, key, options);
  if (typeof fn !== 'function') throw new TypeError('withLock runs a function');
  if (!(await take(lock))) return { acquired: false, result: undefined };
  if (lock.xact) return { acquired: true, result: await fn() };
  countHold(lock, 1);
  let result;
  try {
    result = await fn();
  } catch (error) {
    countHold(lock, -1);
    await giveBack(lock, true).catch(() => {}); // fn's error is the one to report
    throw error;
  }
  countHold(lock, -1);
  if (!(await giveBack(lock, false))) {
    throw new Error(`advisory lock ${inspect(key)} was no longer held at the end of the body (unlocked inside it?)`);
  }
  return { acquired: true, result };
}

module.exports = { keyId, crc32KeyId, withLock };
