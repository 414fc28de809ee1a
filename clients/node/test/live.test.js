'use strict';
// withLock against a live server with the pglocks extension; connects with
// libpq's environment variables (PGHOST, PGPORT, PGUSER, ...).
const test = require('node:test');
const assert = require('node:assert');
const { Client } = require('pg');
const { withLock, keyId } = require('..');

async function connect() {
  const c = new Client();
  await c.connect();
  return c;
}

test('live server', async (t) => {
  const client = await connect();
  const server = await connect();
  await server.query('CREATE EXTENSION IF NOT EXISTS pglocks');
  const serverTry = async (key) =>
    (await server.query('SELECT pglocks.lock($1::text, wait => false) AS ok', [key])).rows[0].ok;
  const held = async () => Number((await client.query(
    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")).rows[0].n);

  await t.test('a client lock is the server lock', async () => {
    const { acquired, result } = await withLock(client, 'orders:42', async () => {
      assert.strictEqual(await serverTry('orders:42'), false);
      return 7;
    });
    assert.deepStrictEqual([acquired, result], [true, 7]);
    assert.strictEqual(await serverTry('orders:42'), true);
    await server.query("SELECT pglocks.unlock('orders:42')");
  });

  await t.test('a server lock is the client lock', async () => {
    assert.strictEqual(await serverTry('jobs'), true);
    let ran = false;
    const r = await withLock(client, 'jobs', () => { ran = true; }, { wait: false });
    assert.deepStrictEqual([r.acquired, ran], [false, false]);
    const timed = await withLock(client, keyId('jobs'), () => { ran = true; }, { timeout: 50 });
    assert.deepStrictEqual([timed.acquired, ran], [false, false]);
    await server.query("SELECT pglocks.unlock('jobs')");
    assert.strictEqual((await withLock(client, 'jobs', () => {}, { timeout: 50 })).acquired, true);
    assert.strictEqual(await held(), 0);
  });

  await t.test('pair keys and shared locks', async () => {
    await withLock(client, [1, 2], async () => {
      const r = await server.query('SELECT pglocks.lock(1, 2, wait => false) AS ok');
      assert.strictEqual(r.rows[0].ok, false);
    });
    await withLock(client, 'shared', async () => {
      const r = await server.query("SELECT pglocks.lock('shared', shared => true, wait => false) AS ok");
      assert.strictEqual(r.rows[0].ok, true);
      await server.query("SELECT pglocks.unlock('shared', true)");
    }, { shared: true });
    await assert.rejects(withLock(client, 1.5, () => {}), TypeError);
    await assert.rejects(withLock(client, [1], () => {}), TypeError);
    await assert.rejects(withLock(client, 1n << 63n, () => {}), RangeError);
  });

  await t.test('released when the body throws in a broken transaction', async () => {
    await client.query('BEGIN');
    await assert.rejects(withLock(client, 'broken', async () => {
      await client.query('SELECT 1 / 0');
    }), /division by zero/);
    assert.strictEqual(await held(), 0);
    assert.strictEqual(await serverTry('broken'), true);
    await server.query("SELECT pglocks.unlock('broken')");
  });

  await t.test('a grant that races with an error is given back', async () => {
    // What the race with lock_timeout (or a cancel) leaves: the lock granted
    // and the statement failed. Stand in for pg_advisory_lock with a function
    // that does both.
    await client.query(`CREATE FUNCTION pg_temp.granted_as_timeout_fired(k bigint) RETURNS void
      LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_lock(k);
      RAISE EXCEPTION 'canceling statement due to lock timeout' USING ERRCODE = '55P03'; END $$`);
    await client.query(`CREATE FUNCTION pg_temp.granted_as_timeout_fired_shared(k1 int, k2 int)
      RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_lock_shared(k1, k2);
      RAISE EXCEPTION 'canceling statement due to lock timeout' USING ERRCODE = '55P03'; END $$`);
    const racing = new Proxy(client, {
      get: (target, name) => (name !== 'query' ? Reflect.get(target, name) : (sql, ...rest) =>
        target.query(sql.replace(/pg_advisory_lock(_shared)?\(/, 'pg_temp.granted_as_timeout_fired$1('),
          ...rest)),
    });
    const notices = [];
    client.on('notice', (n) => notices.push(n.message));
    let ran = false;
    const r = await withLock(racing, 'raced', () => { ran = true; }, { timeout: 50 });
    assert.deepStrictEqual([r.acquired, ran], [false, false]);
    assert.strictEqual(await held(), 0);
    const pair = await withLock(racing, [-1, -2], () => { ran = true; }, { shared: true, timeout: 50 });
    assert.deepStrictEqual([pair.acquired, ran], [false, false]);
    assert.strictEqual(await held(), 0);
    // without a timeout of its own, the error comes through, the lock does not stay
    await assert.rejects(withLock(racing, 'raced', () => { ran = true; }), { code: '55P03' });
    assert.strictEqual(ran, false);
    assert.strictEqual(await held(), 0);
    // and when nothing raced, nothing is released and nothing is said
    assert.strictEqual(await serverTry('busy'), true);
    assert.strictEqual((await withLock(client, 'busy', () => {}, { timeout: 50 })).acquired, false);
    assert.deepStrictEqual(notices, []);
    await server.query("SELECT pglocks.unlock('busy')");
  });

  await client.end();
  await server.end();
});
