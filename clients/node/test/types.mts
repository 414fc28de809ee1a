// Type-checked (tsc --noEmit) in a project that installed the package: the
// declarations as a TypeScript user of node-postgres meets them.
import pg from 'pg';
import { crc32KeyId, keyId, withLock, type Key, type LockResult } from 'pglocks';

export async function check(client: pg.Client, pool: pg.Pool): Promise<void> {
  const r: LockResult<number> = await withLock(client, 'orders:42', async () => 42, { timeout: 100 });
  if (r.acquired) {
    const n: number = r.result;
  } else {
    const nothing: undefined = r.result;
  }
  const pooled = await pool.connect();
  const s: { acquired: boolean; result?: string } =
    await withLock(pooled, [1, 2], () => 'x', { shared: true, xact: true });
  const keys: Key[] = ['text', 42, 42n, [1, 2]];
  const ids: bigint = keyId('text') + crc32KeyId('text');
  // @ts-expect-error a pool is not one connection
  await withLock(pool, 'k', () => 1);
  // @ts-expect-error a key is not a boolean
  await withLock(client, true, () => 1);
  // @ts-expect-error a timeout is milliseconds
  await withLock(client, 'k', () => 1, { timeout: '5s' });
}
