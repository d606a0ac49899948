/** A slice of the fuzz run (`npm run fuzz` runs a million inputs): only DlmsError may come out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../fuzz.js';
import { dlmsFuzzTargets } from './targets.js';

test('every decoder rejects random and mutated frames with DlmsError only', () => {
  const targets = dlmsFuzzTargets();
  for (const t of targets) assert.ok(t.seeds.length > 0, `${t.name} has seeds`);
  const report = runFuzz(targets, 40_000, 20261122);
  assert.deepEqual(report.failures, [], JSON.stringify(report.failures.slice(0, 3)));
  assert.equal(report.inputs, 40_000);
  // The mutations must exercise both outcomes, or the fuzzer is not reaching the decoders.
  assert.ok(report.rejected > 1000, `rejected ${report.rejected}`);
  assert.ok(report.decoded > 100, `decoded ${report.decoded}`);
});

