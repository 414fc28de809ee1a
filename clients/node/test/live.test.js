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

  await client.end();
  await server.end();
});
