/** A slice of the fuzz run (`npm run fuzz` runs a million inputs): only MbusError may come out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../fuzz.js';
import { mbusFuzzTargets } from './targets.js';

test('every M-Bus decoder rejects random and mutated telegrams with MbusError only', () => {
  const targets = mbusFuzzTargets();
  for (const t of targets) assert.ok(t.seeds.length > 0, `${t.name} has seeds`);
  const report = runFuzz(targets, 40_000, 20260519);
  assert.deepEqual(report.failures, [], JSON.stringify(report.failures.slice(0, 3)));
  assert.equal(report.inputs, 40_000);
  assert.ok(report.rejected > 1000, `rejected ${report.rejected}`);
  assert.ok(report.decoded > 1000, `decoded ${report.decoded}`);
  // The mutations reach the checks that guard each layer.
  for (const code of ['MBUS_ERR_CRC', 'MBUS_ERR_LENGTH', 'MBUS_ERR_DECRYPT', 'MBUS_ERR_TRUNCATED']) assert.ok(report.errorCodes[code], `${code} seen: ${JSON.stringify(report.errorCodes)}`);
});
