/** The fuzz harness itself: deterministic per seed, and it tells a codec's own errors from bugs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutate, prng, runFuzz } from './fuzz.js';

test('the fuzzer is deterministic for a seed', () => {
  const a = prng(7);
  const b = prng(7);
  const seed = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  for (let i = 0; i < 100; i++) assert.deepEqual(mutate(seed, a), mutate(seed, b));
});

test('a codec error is a rejection, anything else is a failure with the input to replay', () => {
  class CodecError extends Error {}
  const report = runFuzz([{
    name: 'picky',
    seeds: [Uint8Array.of(1, 2, 3)],
    run: (b) => {
      if (b.length === 0) throw new TypeError('boom');
      if (b[0] !== 1) throw new CodecError('bad');
      return b;
    },
    codeOf: (e) => (e instanceof CodecError ? 'BAD' : undefined),
  }], 2000, 3);
  assert.equal(report.inputs, 2000);
  assert.ok(report.errorCodes.BAD! > 0);
  assert.ok(report.failures.length > 0);
  assert.equal(report.failures[0]!.error, 'TypeError: boom');
  assert.equal(report.failures[0]!.inputHex, '');
});
