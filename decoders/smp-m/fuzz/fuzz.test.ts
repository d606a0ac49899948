/** A slice of the fuzz run (`npm run fuzz`): only SmpmError may come out of the SMP-M header, messages and decoder. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../fuzz.js';
import { smpmFuzzTargets } from './targets.js';

test('the SMP-M codec and decoder reject random and mutated packets with SmpmError only', () => {
  const report = runFuzz(smpmFuzzTargets(), 30_000, 20261207);
  assert.deepEqual(report.failures, [], JSON.stringify(report.failures.slice(0, 3)));
  assert.ok(report.rejected > 1000, `rejected ${report.rejected}`);
  assert.ok(report.decoded > 1000, `decoded ${report.decoded}`);
  for (const code of ['SMPM_AUTH', 'SMPM_TRUNCATED', 'SMPM_LENGTH', 'SMPM_VALUE']) assert.ok(report.errorCodes[code], `${code} seen: ${JSON.stringify(report.errorCodes)}`);
});
