// The package from an ES module: named imports of the CommonJS exports
import test from 'node:test';
import assert from 'node:assert';
import { createRequire } from 'node:module';
import * as pglocks from 'pglocks';
import { keyId, crc32KeyId, withLock } from 'pglocks';

test('named imports are the exports of require', () => {
  const required = createRequire(import.meta.url)('pglocks');
  assert.deepStrictEqual(Object.keys(pglocks).filter((name) => name !== 'default').sort(),
    ['crc32KeyId', 'keyId', 'withLock']);
  assert.strictEqual(withLock, required.withLock);
  assert.strictEqual(keyId('some lock'), -1292339565357005894n);
  assert.strictEqual(crc32KeyId('some lock'), -205618829n);
});
