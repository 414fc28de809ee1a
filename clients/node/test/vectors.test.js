'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { keyId, crc32KeyId } = require('pglocks');

// vectors/key_ids.tsv (PGLOCKS_VECTORS when the tests run outside the tree):
// key as UTF-8 hex or repeat:<unit hex>:<count>, key_id, crc32_key_id
function* vectors() {
  const file = process.env.PGLOCKS_VECTORS || path.join(__dirname, '..', '..', '..', 'vectors', 'key_ids.tsv');
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [column, id, crc, description] = line.split('\t');
    let bytes;
    if (column.startsWith('repeat:')) {
      const [, unit, count] = column.split(':');
      bytes = Buffer.concat(new Array(Number(count)).fill(Buffer.from(unit, 'hex')));
    } else {
      bytes = Buffer.from(column, 'hex');
    }
    yield { key: bytes.toString('utf8'), id: BigInt(id), crc: BigInt(crc), description };
  }
}

test('every shared vector', () => {
  let count = 0;
  for (const v of vectors()) {
    assert.strictEqual(keyId(v.key), v.id, v.description);
    assert.strictEqual(crc32KeyId(v.key), v.crc, v.description);
    count += 1;
  }
  assert.ok(count >= 300, `only ${count} vectors`);
});

test('README examples', () => {
  assert.strictEqual(keyId('some lock'), -1292339565357005894n);
  assert.strictEqual(crc32KeyId('some lock'), -205618829n);
});

test('a key is a string with a UTF-8 form', () => {
  for (const bad of [null, undefined, 42, 42n, ['a'], Buffer.from('a')]) {
    assert.throws(() => keyId(bad), TypeError);
    assert.throws(() => crc32KeyId(bad), TypeError);
  }
  for (const lone of ['\uD800', 'a\uDC00b', '\uDBFF']) {
    assert.throws(() => keyId(lone), TypeError);
    assert.throws(() => crc32KeyId(lone), TypeError);
  }
});
