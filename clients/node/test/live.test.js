'use strict';
// withLock against a live server, connected with libpq's environment
// variables (PGHOST, PGPORT, PGUSER, ...). The extension need not be in the
// database: only the tests that compare with pglocks.lock create it.
const { describe, it, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert');
const { setTimeout: sleep } = require('node:timers/promises');
const { Client, Pool } = require('pg');
const { withLock, keyId } = require('pglocks');

async function connect(options) {
  const c = new Client(options);
  await c.connect();
  return c;
}

// A connection that sends every query through `edit(sql)` and records it
function intercepted(client, edit = (sql) => sql) {
  const queries = [];
  const proxy = new Proxy(client, {
    get: (target, name) => (name !== 'query' ? Reflect.get(target, name) : (sql, ...rest) => {
      queries.push({ sql: edit(sql), params: rest[0] });
      return target.query(edit(sql), ...rest);
    }),
  });
  return { proxy, queries };
}

// A client as node-postgres < 8.21 has it, without getTransactionStatus
function withoutStatus(client) {
  return new Proxy(client, {
    get: (target, name) => (name === 'getTransactionStatus' ? undefined : Reflect.get(target, name)),
  });
}

const KEYS = { bigint: ['k bigint', 'k'], pair: ['k1 int, k2 int', 'k1, k2'] };

// What an error that fires just as the lock is granted leaves (the timeout, a
// cancel): the lock granted and the statement failed. pg_temp.<name>_<fn>
// stands in for pg_catalog.<fn>: it takes the lock, then raises `code`.
async function racingFunctions(client, name, code) {
  for (const fn of ['pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_xact_lock']) {
    for (const [params, args] of Object.values(KEYS)) {
      await client.query(`CREATE FUNCTION pg_temp.${name}_${fn}(${params}) RETURNS void LANGUAGE plpgsql
        AS $$ BEGIN PERFORM pg_catalog.${fn}(${args}); RAISE EXCEPTION 'raced' USING ERRCODE = '${code}'; END $$`);
    }
  }
  const call = /pg_catalog\.(pg_advisory(_xact)?_lock(_shared)?)\(/;
  return intercepted(client, (sql) => sql.replace(call, `pg_temp.${name}_$1(`)).proxy;
}

describe('withLock', () => {
  let client; // the connection withLock uses
  let other; // another session: holds locks, and looks at client's
  beforeEach(async () => {
    client = await connect();
    other = await connect();
  });
  afterEach(async () => {
    await client.end();
    await other.query('DROP TABLE IF EXISTS pglocks_node_rows');
    await other.end();
  });

  // the advisory locks client's session holds
  const held = async () => (await other.query("SELECT count(*)::int AS n FROM pg_catalog.pg_locks " +
    "WHERE locktype = 'advisory' AND granted AND pid = $1::int", [client.processID])).rows[0].n;
  // whether other can take a lock: call is a pg_try_advisory_lock* with its unlock
  const free = async (sql, params, shared = false) => {
    const s = shared ? '_shared' : '';
    const { ok } = (await other.query(`SELECT pg_try_advisory_lock${s}(${sql}) AS ok`, params)).rows[0];
    if (ok) await other.query(`SELECT pg_advisory_unlock${s}(${sql})`, params);
    return ok;
  };
  const freeId = (id, shared) => free('$1::bigint', [String(id)], shared);
  const freeKey = (key, shared) => freeId(keyId(key), shared);
  const hold = (key) => other.query('SELECT pg_advisory_lock($1::bigint)', [String(keyId(key))]);
  const letGo = (key) => other.query('SELECT pg_advisory_unlock($1::bigint)', [String(keyId(key))]);
  // 'I', 'T' or 'E': asked after a query of ours, so that it is not stale
  const status = async () => {
    try {
      await client.query('SELECT 1');
    } catch (e) {
      if (e.code === '25P02') return 'E';
      throw e;
    }
    return client.getTransactionStatus();
  };
  const mark = async () =>
    (await client.query("SELECT current_setting('pglocks_client.savepoints', true) AS m")).rows[0].m ?? '';
  const table = () => other.query('DROP TABLE IF EXISTS pglocks_node_rows; CREATE TABLE pglocks_node_rows (step text)');
  const insert = (step) => client.query('INSERT INTO pglocks_node_rows VALUES ($1::text)', [step]);
  const rows = async () =>
    (await other.query('SELECT step FROM pglocks_node_rows ORDER BY step')).rows.map((r) => r.step);
  // until client's session waits for an advisory lock in the server's queue
  const waiting = async () => {
    for (let i = 0; i < 500; i++) {
      const { n } = (await other.query("SELECT count(*)::int AS n FROM pg_catalog.pg_locks " +
        "WHERE locktype = 'advisory' AND NOT granted AND pid = $1::int", [client.processID])).rows[0];
      if (n) return;
      await sleep(10);
    }
    throw new Error('the lock was never waited for');
  };

  describe('keys', () => {
    it('a text key is the bigint keyId, and pglocks.lock of the text', async () => {
      await other.query('CREATE EXTENSION IF NOT EXISTS pglocks');
      const r = await withLock(client, 'orders:42', async () => [
        await freeKey('orders:42'),
        (await other.query("SELECT pglocks.lock('orders:42', wait => false) AS ok")).rows[0].ok,
      ]);
      assert.deepStrictEqual(r, { acquired: true, result: [false, false] });
      assert.strictEqual(await freeKey('orders:42'), true);
      // and the other way round
      await other.query("SELECT pglocks.lock('jobs')");
      assert.strictEqual((await withLock(client, 'jobs', () => 1, { wait: false })).acquired, false);
      await other.query("SELECT pglocks.unlock('jobs')");
      assert.strictEqual((await withLock(client, 'jobs', () => 1, { wait: false })).acquired, true);
    });

    it('an integer is that bigint: a number, or a BigInt to the ends of the range', async () => {
      for (const key of [42, -42, 0, Number.MAX_SAFE_INTEGER, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 62n + 1n]) {
        const { result: [busy, neighbour] } = await withLock(client, key, async () =>
          [!(await freeId(key)), await freeId(BigInt(key) ^ 1n)]);
        assert.deepStrictEqual([busy, neighbour], [true, true], String(key));
        assert.strictEqual(await freeId(key), true);
      }
    });

    it('a pair is the two-int lock, not the bigint of the same bits', async () => {
      for (const key of [[1, 2], [-1, -2], [-(2 ** 31), 2 ** 31 - 1]]) {
        const { result } = await withLock(client, key, async () => [
          await free('$1::int, $2::int', key),
          await freeId((BigInt(key[0]) << 32n) | (BigInt(key[1]) & 0xffffffffn)),
        ]);
        assert.deepStrictEqual(result, [false, true], String(key));
        assert.strictEqual(await free('$1::int, $2::int', key), true);
      }
    });

    it('refuses bad keys and options before any query', async () => {
      const { proxy, queries } = intercepted(client);
      const refused = [
        [TypeError, null], [TypeError, undefined], [TypeError, 1.5], [TypeError, NaN], [TypeError, Infinity],
        [TypeError, true], [TypeError, {}], [TypeError, [1]], [TypeError, [1, 2, 3]], [TypeError, [1, '2']],
        [TypeError, [1.5, 2]], [TypeError, [1n, 2n]], [TypeError, '\uD800'], [TypeError, new Date()],
        [RangeError, 2 ** 53], [RangeError, -(2 ** 53)], [RangeError, 2n ** 63n], [RangeError, -(2n ** 63n) - 1n],
        [RangeError, [2 ** 31, 0]], [RangeError, [0, -(2 ** 31) - 1]],
        [TypeError, [, 2]], [TypeError, new Array(2)], // holes: not a NULL sent as the key
      ];
      for (const [error, key] of refused) {
        await assert.rejects(withLock(proxy, key, () => assert.fail('ran')), error, String(key));
      }
      const options = [
        [TypeError, { timeout: '5' }], [TypeError, { timeout: 5, wait: false }], [TypeError, { shared: 1 }],
        [TypeError, { wait: 'no' }], [TypeError, { xact: null }], [RangeError, { timeout: -1 }],
        [RangeError, { timeout: NaN }], [RangeError, { timeout: Infinity }], [RangeError, { timeout: 2 ** 31 }],
        [TypeError, { timeOut: 100 }], [TypeError, { nowait: true }], [TypeError, null], // not waiting forever
      ];
      for (const [error, option] of options) {
        await assert.rejects(withLock(proxy, 'k', () => assert.fail('ran'), option), error, JSON.stringify(option));
      }
      await assert.rejects(withLock(proxy, 'k', 'not a function'), TypeError);
      assert.deepStrictEqual(queries, []);
    });
  });

  it('refuses a pool, takes a client from one', async () => {
    const pool = new Pool({ max: 1 });
    await assert.rejects(withLock(pool, 'pooled', () => assert.fail('ran')), TypeError);
    assert.strictEqual(pool.totalCount, 0, 'a query went to the pool');
    for (const bad of [null, {}, 'postgres://']) await assert.rejects(withLock(bad, 'pooled', () => 1), TypeError);
    const pooled = await pool.connect();
    try {
      const r = await withLock(pooled, 'pooled', () => freeKey('pooled'));
      assert.deepStrictEqual(r, { acquired: true, result: false });
    } finally {
      pooled.release();
      await pool.end();
    }
    assert.strictEqual(await freeKey('pooled'), true);
  });

  it('shared: shared holders coexist, an exclusive one is excluded', async () => {
    const inside = await withLock(client, 'shared', async () =>
      [await freeKey('shared', true), await freeKey('shared')], { shared: true });
    assert.deepStrictEqual(inside.result, [true, false]);
    await other.query('SELECT pg_advisory_lock_shared($1::bigint)', [String(keyId('shared'))]);
    assert.strictEqual((await withLock(client, 'shared', () => 1, { shared: true, wait: false })).acquired, true);
    assert.strictEqual((await withLock(client, 'shared', () => 1, { wait: false })).acquired, false);
    assert.strictEqual(await held(), 0);
  });

  it('wait: false (or timeout: 0) takes a free lock and does not wait for a busy one', async () => {
    for (const options of [{ wait: false }, { timeout: 0 }]) {
      assert.deepStrictEqual(await withLock(client, 'try', () => 'ran', options), { acquired: true, result: 'ran' });
      await hold('try');
      const started = Date.now();
      assert.deepStrictEqual(await withLock(client, 'try', () => assert.fail('ran'), options),
        { acquired: false, result: undefined });
      assert.ok(Date.now() - started < 1000);
      await letGo('try');
    }
    assert.strictEqual(await held(), 0);
  });

  describe('timeout', () => {
    it('waits in the queue, and gets the lock when the holder lets go in time', async () => {
      await hold('timed');
      const started = Date.now();
      const locking = withLock(client, 'timed', () => 'ran', { timeout: 10000 });
      await waiting();
      await sleep(200);
      await letGo('timed');
      assert.deepStrictEqual(await locking, { acquired: true, result: 'ran' });
      const waited = Date.now() - started;
      assert.ok(waited >= 200 && waited < 10000, `waited ${waited} ms`);
      assert.strictEqual(await freeKey('timed'), true);
    });

    it('runs out: not acquired, and the session keeps its lock_timeout', async () => {
      await client.query("SET lock_timeout = '7s'");
      await hold('timed');
      const started = Date.now();
      const locking = withLock(client, 'timed', () => assert.fail('ran'), { timeout: 300 });
      await waiting();
      assert.deepStrictEqual(await locking, { acquired: false, result: undefined });
      const waited = Date.now() - started;
      assert.ok(waited >= 290 && waited < 5000, `waited ${waited} ms`);
      assert.strictEqual((await client.query('SHOW lock_timeout')).rows[0].lock_timeout, '7s');
      await letGo('timed');
      const inside = await withLock(client, 'timed', async () =>
        (await client.query('SHOW lock_timeout')).rows[0].lock_timeout, { timeout: 0.5 });
      assert.deepStrictEqual(inside, { acquired: true, result: '7s' });
      assert.strictEqual((await client.query('SHOW lock_timeout')).rows[0].lock_timeout, '7s');
      assert.strictEqual(await held(), 0);
    });

    it('in a transaction: runs out leaving it usable, and restores lock_timeout', async () => {
      await table();
      await client.query("BEGIN; SET LOCAL lock_timeout = '3s'");
      await insert('before');
      await hold('timed');
      assert.strictEqual((await withLock(client, 'timed', () => assert.fail('ran'), { timeout: 100 })).acquired, false);
      assert.strictEqual(await status(), 'T');
      assert.strictEqual((await client.query('SHOW lock_timeout')).rows[0].lock_timeout, '3s');
      assert.strictEqual(await mark(), '');
      await letGo('timed');
      const inside = await withLock(client, 'timed', async () => {
        await insert('inside');
        return (await client.query('SHOW lock_timeout')).rows[0].lock_timeout;
      }, { timeout: 100 });
      assert.deepStrictEqual(inside, { acquired: true, result: '3s' });
      assert.strictEqual((await client.query('SHOW lock_timeout')).rows[0].lock_timeout, '3s');
      await client.query('COMMIT');
      assert.deepStrictEqual(await rows(), ['before', 'inside']);
      assert.strictEqual(await held(), 0);
    });

    it('a grant racing with the timeout is given back: not acquired', async () => {
      const racing = await racingFunctions(client, 'timed_out', '55P03');
      for (const transaction of [false, true]) {
        if (transaction) await client.query('BEGIN');
        for (const [key, shared] of [['raced', false], [[-1, -2], true]]) {
          const r = await withLock(racing, key, () => assert.fail('ran'), { shared, timeout: 50 });
          assert.deepStrictEqual(r, { acquired: false, result: undefined });
          assert.strictEqual(await held(), 0, `${key} ${transaction}`);
        }
        if (transaction) {
          const r = await withLock(racing, 'raced', () => assert.fail('ran'), { xact: true, timeout: 50 });
          assert.strictEqual(r.acquired, false);
          assert.strictEqual(await held(), 0, 'xact');
          assert.strictEqual(await status(), 'T');
          assert.strictEqual(await mark(), '');
          await client.query('ROLLBACK');
        }
      }
      // without a timeout of withLock's own, lock_timeout is the caller's error
      await client.query("SET lock_timeout = '50ms'");
      await hold('raced');
      await assert.rejects(withLock(client, 'raced', () => assert.fail('ran')), { code: '55P03' });
      await letGo('raced');
      assert.strictEqual(await held(), 0);
    });
  });

  describe('session scope', () => {
    it('is released when the body returns or throws, outside a transaction', async () => {
      const r = await withLock(client, 'plain', () => freeKey('plain'));
      assert.deepStrictEqual(r, { acquired: true, result: false });
      assert.strictEqual(await freeKey('plain'), true);
      const error = new Error('body');
      await assert.rejects(withLock(client, 'plain', () => { throw error; }), (e) => e === error);
      assert.strictEqual(await freeKey('plain'), true);
      assert.strictEqual(await held(), 0);
    });

    it('in a transaction, a body that throws without aborting it leaves it open', async () => {
      await table();
      await client.query('BEGIN');
      const error = new Error('body');
      await assert.rejects(withLock(client, 'thrown', async () => {
        await insert('inside');
        throw error;
      }), (e) => e === error);
      assert.strictEqual(await freeKey('thrown'), true);
      assert.strictEqual(await status(), 'T');
      assert.strictEqual(await mark(), '');
      await client.query('COMMIT');
      assert.deepStrictEqual(await rows(), ['inside']);
    });

    it('a body that aborts the transaction: released, the transaction stays aborted', async () => {
      await table();
      await client.query('BEGIN');
      await insert('before');
      await assert.rejects(withLock(client, 'broken', async () => {
        await client.query('SELECT 1 / 0');
      }), { code: '22012' }); // the body's own error
      assert.strictEqual(await held(), 0);
      assert.strictEqual(await freeKey('broken'), true);
      assert.strictEqual(await status(), 'E');
      await client.query('COMMIT'); // of an aborted transaction: a rollback
      assert.deepStrictEqual(await rows(), []);
    });

    it('a swallowed error commits nothing', async () => {
      await table();
      await client.query('BEGIN');
      await insert('before');
      await assert.rejects(withLock(client, 'swallowed', async () => {
        await client.query('SELECT 1 / 0').catch(() => {});
        return 'went on';
      }), { code: '25P02', message: "the transaction was aborted inside an advisory lock's block" });
      assert.strictEqual(await held(), 0);
      assert.strictEqual(await status(), 'E');
      await client.query('COMMIT');
      assert.deepStrictEqual(await rows(), []);
    });

    it('a body that commits or rolls back the transaction it was called in', async () => {
      await table();
      await client.query('BEGIN');
      await insert('a before');
      await withLock(client, 'manual', async () => {
        await insert('b committed');
        await client.query('COMMIT; BEGIN');
        await insert('c rolled back');
        await client.query('ROLLBACK');
      });
      assert.strictEqual(await held(), 0);
      assert.strictEqual(await status(), 'I');
      await client.query('BEGIN');
      await insert('d rolled back');
      await withLock(client, 'manual', () => client.query('ROLLBACK'));
      assert.strictEqual(await status(), 'I');
      assert.deepStrictEqual(await rows(), ['a before', 'b committed']);
      // a body that ends the transaction and aborts the next one it began
      await client.query('BEGIN');
      await assert.rejects(withLock(client, 'manual', async () => {
        await client.query('COMMIT; BEGIN');
        await insert('e aborted');
        await client.query('SELECT 1 / 0');
      }), { code: '22012' });
      assert.strictEqual(await held(), 0);
      assert.strictEqual(await status(), 'E');
      await client.query('ROLLBACK');
      // outside a transaction, a body that begins one and aborts it
      await assert.rejects(withLock(client, 'manual', async () => {
        await client.query('BEGIN');
        await insert('f aborted');
        await client.query('SELECT 1 / 0');
      }), { code: '22012' });
      assert.strictEqual(await held(), 0);
      assert.strictEqual(await status(), 'E');
      await client.query('COMMIT');
      assert.deepStrictEqual(await rows(), ['a before', 'b committed']);
    });

    it('a rollback to an older savepoint; the release of one is an error and no leak', async () => {
      await table();
      await client.query('BEGIN');
      await insert('before');
      await client.query('SAVEPOINT mine');
      await withLock(client, 'savepoints', async () => {
        await insert('undone');
        await client.query('ROLLBACK TO SAVEPOINT mine');
      });
      assert.strictEqual(await held(), 0);
      assert.strictEqual(await mark(), '');
      await client.query('COMMIT');
      assert.deepStrictEqual(await rows(), ['before']);
      await client.query('BEGIN; SAVEPOINT mine');
      const releasing = withLock(client, 'savepoints', () => client.query('RELEASE SAVEPOINT mine'));
      await assert.rejects(releasing, { code: '3B001' });
      assert.strictEqual(await held(), 0);
      await client.query('ROLLBACK');
    });

    it('nests: the same key twice on one connection', async () => {
      for (const transaction of [false, true]) {
        if (transaction) await client.query('BEGIN');
        const after = await withLock(client, 'nested', async () => {
          await withLock(client, 'nested', async () => assert.strictEqual(await freeKey('nested'), false));
          return freeKey('nested');
        });
        assert.strictEqual(after.result, false, 'the inner lock released the outer one');
        assert.strictEqual(await held(), 0);
        if (transaction) {
          assert.strictEqual(await mark(), '');
          await client.query('COMMIT');
        }
      }
      // a failed attempt (before any grant) does not give back the outer hold
      let broken = false;
      const breakable = intercepted(client, (sql) =>
        (broken ? sql.replace('pg_advisory_lock(', 'no_such_function(') : sql)).proxy;
      await client.query('BEGIN');
      const { result } = await withLock(breakable, 'nested', async () => {
        broken = true;
        await assert.rejects(withLock(breakable, 'nested', () => assert.fail('ran')), { code: '42883' });
        broken = false;
        return freeKey('nested');
      });
      assert.strictEqual(result, false, 'a failed attempt released the outer hold');
      assert.strictEqual(await status(), 'T');
      await client.query('COMMIT');
      assert.strictEqual(await held(), 0);
    });
  });

  describe('transaction scope', () => {
    it('xact: held until the transaction ends', async () => {
      for (const end of ['COMMIT', 'ROLLBACK']) {
        await client.query('BEGIN');
        const r = await withLock(client, 'xact', () => 'ran', { xact: true });
        assert.deepStrictEqual(r, { acquired: true, result: 'ran' });
        assert.strictEqual(await freeKey('xact'), false, 'released before the transaction ended');
        assert.strictEqual(await mark(), '');
        await client.query(end);
        assert.strictEqual(await freeKey('xact'), true);
      }
      await client.query('BEGIN');
      await withLock(client, [3, 4], () => 1, { xact: true, shared: true, timeout: 100 });
      const pair = (shared) => free('$1::int, $2::int', [3, 4], shared);
      assert.deepStrictEqual([await pair(true), await pair(false)], [true, false]);
      await hold('xact');
      assert.strictEqual((await withLock(client, 'xact', () => 1, { xact: true, wait: false })).acquired, false);
      assert.strictEqual((await withLock(client, 'xact', () => 1, { xact: true, timeout: 100 })).acquired, false);
      assert.strictEqual(await status(), 'T');
      await client.query('COMMIT');
      assert.strictEqual(await held(), 0);
    });

    it('xact: refused outside a transaction, before the lock', async () => {
      for (const conn of [client, withoutStatus(client)]) {
        const { proxy, queries } = intercepted(conn);
        await assert.rejects(withLock(proxy, 'xact', () => assert.fail('ran'), { xact: true }), TypeError);
        assert.deepStrictEqual(queries.filter((q) => /advisory/.test(q.sql)), []);
      }
      assert.strictEqual(await held(), 0);
    });
  });

  it('returns the body\'s value, or that the lock was not acquired', async () => {
    const value = { some: 'value' };
    const r = await withLock(client, 'value', async () => value);
    assert.strictEqual(r.result, value);
    await hold('value');
    let ran = false;
    assert.deepStrictEqual(await withLock(client, 'value', () => { ran = true; }, { wait: false }),
      { acquired: false, result: undefined });
    assert.strictEqual(ran, false);
  });

  it('reads its booleans whatever parser the client has for them', async () => {
    const raw = await connect({ types: { getTypeParser: () => (value) => value } }); // 't' and 'f'
    try {
      await hold('parsed');
      assert.deepStrictEqual(await withLock(raw, 'parsed', () => assert.fail('ran'), { wait: false }),
        { acquired: false, result: undefined });
      await letGo('parsed');
      const unlock = () => raw.query('SELECT pg_advisory_unlock($1::bigint)', [String(keyId('parsed'))]);
      await assert.rejects(withLock(raw, 'parsed', unlock), /no longer held at the end of the body/);
    } finally {
      await raw.end();
    }
  });

  it('checks the unlock: a body that unlocks is an error after it', async () => {
    const unlock = () => client.query('SELECT pg_advisory_unlock($1::bigint)', [String(keyId('gone'))]);
    await assert.rejects(withLock(client, 'gone', unlock), /no longer held at the end of the body/);
    const error = new Error('body');
    await assert.rejects(withLock(client, 'gone', async () => {
      await unlock();
      throw error;
    }), (e) => e === error);
    assert.strictEqual(await held(), 0);
  });

  it('a cancel during the wait leaves no lock', async () => {
    for (const transaction of [false, true]) {
      if (transaction) await client.query('BEGIN');
      await hold('canceled');
      const canceled = assert.rejects(withLock(client, 'canceled', () => assert.fail('ran')), { code: '57014' });
      await waiting();
      await other.query('SELECT pg_cancel_backend($1::int)', [client.processID]);
      await canceled;
      await letGo('canceled');
      assert.strictEqual(await held(), 0);
      if (transaction) {
        assert.strictEqual(await status(), 'T');
        await client.query('ROLLBACK');
      }
    }
    // and a cancel that comes just as the lock is granted
    const racing = await racingFunctions(client, 'canceled', '57014');
    for (const transaction of [false, true]) {
      if (transaction) await client.query('BEGIN');
      for (const [key, shared] of [['raced', false], [[-1, -2], true]]) {
        await assert.rejects(withLock(racing, key, () => assert.fail('ran'), { shared }), { code: '57014' });
        assert.strictEqual(await held(), 0, `${key} ${transaction}`);
      }
      if (transaction) {
        assert.strictEqual(await status(), 'T');
        await client.query('ROLLBACK');
      }
    }
  });

  it('sends every parameter typed', async () => {
    const { proxy, queries } = intercepted(client);
    await withLock(proxy, 42, () => 1);
    await withLock(proxy, 2n ** 62n, () => 1, { shared: true, timeout: 100 });
    await withLock(proxy, [1, 2], () => 1, { wait: false });
    await client.query('BEGIN');
    await withLock(proxy, 'typed', () => 1);
    await withLock(proxy, 'typed', () => client.query('SELECT 1 / 0')).catch(() => {});
    await client.query('ROLLBACK; BEGIN');
    await withLock(proxy, 'typed', () => 1, { xact: true, timeout: 100 });
    await client.query('ROLLBACK');
    await hold('typed');
    await withLock(proxy, 'typed', () => 1, { timeout: 10 });
    const parameterized = queries.filter((q) => q.params);
    assert.ok(parameterized.length >= 10, `${parameterized.length} queries with parameters`);
    for (const { sql } of parameterized) assert.doesNotMatch(sql, /\$\d+(?!\d|::)/);
    assert.deepStrictEqual(queries[0], { sql: 'SELECT pg_catalog.pg_advisory_lock($1::bigint)', params: ['42'] });
  });

  it('works in a database without the extension', async () => {
    const database = `pglocks_node_${process.pid}`;
    await other.query(`CREATE DATABASE ${database}`);
    const there = await connect({ database });
    const watcher = await connect({ database });
    try {
      const installed = await there.query("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pglocks'");
      assert.strictEqual(installed.rows[0].n, 0);
      const busy = async () => {
        const { ok } = (await watcher.query('SELECT pg_try_advisory_lock($1::bigint) AS ok',
          [String(keyId('bare'))])).rows[0];
        await watcher.query('SELECT pg_advisory_unlock_all()');
        return !ok;
      };
      for (const options of [{}, { wait: false }, { timeout: 100 }, { shared: true }]) {
        assert.deepStrictEqual(await withLock(there, 'bare', busy, options), { acquired: true, result: true });
        assert.strictEqual(await busy(), false);
      }
      await there.query('BEGIN');
      await withLock(there, 'bare', () => 1, { xact: true, shared: true });
      await assert.rejects(withLock(there, 'bare', () => there.query('SELECT 1 / 0')), { code: '22012' });
      await there.query('ROLLBACK');
    } finally {
      await there.end();
      await watcher.end();
      await other.query(`DROP DATABASE ${database}`);
    }
  });

  it('without getTransactionStatus (node-postgres < 8.21), SAVEPOINT tells a transaction', async () => {
    const old = withoutStatus(client);
    assert.deepStrictEqual(await withLock(old, 'old', () => freeKey('old')), { acquired: true, result: false });
    await client.query('BEGIN');
    const listed = await withLock(old, 'old', mark);
    assert.match(listed.result, /^pglocks_\d+$/);
    await assert.rejects(withLock(old, 'old', () => client.query('SELECT 1 / 0')), { code: '22012' });
    assert.strictEqual(await held(), 0);
    assert.strictEqual(await status(), 'E');
    await client.query('ROLLBACK');
    // with it, no statement fails outside a transaction
    const { proxy, queries } = intercepted(client);
    await withLock(proxy, 'old', () => 1);
    assert.deepStrictEqual(queries.filter((q) => /SAVEPOINT/.test(q.sql)), []);
  });
});
