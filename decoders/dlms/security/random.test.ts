import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pooledRandomBytes } from './random.js';

test('pooledRandomBytes: the asked length, never the same bytes twice, and a refill leaves handed-out bytes alone', () => {
  const first = pooledRandomBytes(16);
  const kept = Uint8Array.from(first);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const b = pooledRandomBytes(16); // 32 KB: several refills of the 4 KiB pool
    assert.equal(b.length, 16);
    const hex = Buffer.from(b).toString('hex');
    assert.ok(!seen.has(hex), 'a challenge repeated');
    seen.add(hex);
  }
  assert.deepEqual(first, kept, 'bytes handed out earlier were overwritten by a refill');
  assert.equal(pooledRandomBytes(3000).length, 3000);
});
