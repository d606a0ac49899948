import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocBytes } from './bytes.js';

test('allocBytes: zero-filled views that never overlap, plain Uint8Arrays; large arrays get their own buffer', () => {
  const views = Array.from({ length: 200 }, (_, i) => allocBytes(1 + (i % 97)));
  for (const v of views) {
    assert.equal(Object.getPrototypeOf(v), Uint8Array.prototype);
    assert.ok(v.every((b) => b === 0), 'zero-filled when handed out');
    v.fill(0xff); // a later allocation must not see this
  }
  const later = allocBytes(64);
  assert.ok(later.every((b) => b === 0));
  const ranges = views.map((v) => [v.buffer, v.byteOffset, v.byteOffset + v.length] as const);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [ba, sa, ea] = ranges[i]!;
      const [bb, sb, eb] = ranges[j]!;
      assert.ok(ba !== bb || ea <= sb || eb <= sa, `views ${i} and ${j} overlap`);
    }
  }
  const big = allocBytes(5000);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 5000);
  assert.equal(allocBytes(0).length, 0);
});
